#!/usr/bin/env python3
"""The bot's resident memory (VmRSS) through the shared fake Discord: idle 3 s after READY, after
USERS x EACH complete intakes (the 9-turn script of ../shared/bench/latency.py, every intake by
another person, USERS at once), and every 30 s for LATER seconds afterwards.

usage (from the project root): python3 benches/discord/memory_curve.py USERS EACH LATER COMMAND [ARG...]
e.g.  python3 benches/discord/memory_curve.py 100 10 180 benches/discord/run-llo-intake.sh
The fake is imported from $BENCH_DIR (default ../shared/bench)."""
import asyncio, os, subprocess, sys, time
sys.path.insert(0, os.environ.get("BENCH_DIR", "../shared/bench"))
from fake_discord import FakeDiscord  # noqa: E402
SCRIPT = ["hallo", "ja", "mijn mensen lopen weg en ik kan geen nieuw personeel vinden, de werkdruk is hoog",
          "ja", "bouw", "12", "Utrecht", "niks", "nee"]
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) / 1024
async def run(cmd, users, intakes_each, after_s):
    fake = FakeDiscord(); port = await fake.start()
    env = dict(os.environ, FAKE_API=f"http://127.0.0.1:{port}", FAKE_GW=f"ws://127.0.0.1:{port}/gw")
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.wait_for(fake.ready.wait(), 60); await asyncio.sleep(3)
    print(f"idle 3 s after READY: {rss(p.pid):.1f} MiB", flush=True)
    done = 0; missing = 0
    async def one(w):
        nonlocal done, missing
        for k in range(intakes_each):
            uid = 100000 + w * intakes_each + k  # every intake by another person
            ch = fake.dm_channel(uid)
            for t in SCRIPT:
                fut = fake.next_message_in(ch)
                await fake.user_dm(uid, f"u{uid}", t)
                try: await asyncio.wait_for(fut, 20)
                except asyncio.TimeoutError: missing += 1
                await asyncio.sleep(0.05)
            done += 1
            if done % 250 == 0: print(f"  {done} intakes: {rss(p.pid):.1f} MiB", flush=True)
    t = time.monotonic()
    await asyncio.gather(*(one(u) for u in range(users)))
    print(f"after {done} intakes ({users} users, {time.monotonic()-t:.0f} s, {missing} missing replies): {rss(p.pid):.1f} MiB", flush=True)
    t = time.monotonic()
    while time.monotonic() - t < after_s:
        await asyncio.sleep(30)
        print(f"  {time.monotonic()-t:.0f} s later: {rss(p.pid):.1f} MiB", flush=True)
    p.terminate(); p.wait(); await fake.stop()
if len(sys.argv) < 5:
    sys.exit(__doc__)
asyncio.run(run(sys.argv[4:], int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
