#!/bin/sh
# ../shared/bench/run-llo-intake.sh with a configuration llo-intake accepts: the shared script
# sets rate_limit_events = 1000000, above the config's maximum of 10,000, so the bot refuses to
# start. Here the limit is the largest allowed (10,000 events per user per second), which no
# bench user reaches. Everything else is the shared script's: `llo-intake run` on a fresh
# database against the fake Discord named by FAKE_API / FAKE_GW.
# usage (from the project root): benches/discord/run-llo-intake.sh [BIN] [INTENTS_DIR]
# LLO_BENCH_CACHE_MIB, when set, becomes [intake] cache_mib (sled's cache; default 16).
bin=${1:-target/release/llo-intake}; intents=${2:-$(pwd)/intents}
d=$(mktemp -d)
cat > "$d/config.toml" <<CFG
[intake]
default_language = "nl"
database = "$d/data"
content = ["$intents"]
${LLO_BENCH_CACHE_MIB:+cache_mib = $LLO_BENCH_CACHE_MIB}
[discord]
mode = "dm"
api_base_url = "$FAKE_API"
gateway_url = "$FAKE_GW"
rate_limit_events = 10000
rate_limit_window_secs = 1
CFG
export DISCORD_TOKEN=bench-token
# exec, as in the shared script: latency.py reads the bot's own CPU and peak RSS from wait4.
# The temporary directory stays (as with the shared script); its path is printed with LLO_BENCH_SAY=1.
[ -n "$LLO_BENCH_SAY" ] && echo "$d" >&2
exec "$bin" run --config "$d/config.toml" 2>"$d/stderr.log"
