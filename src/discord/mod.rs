//! The Discord transport: serenity + poise over the intake [`Intake`] service.
//!
//! Thin by design: Discord events become engine [`Input`](crate::domain::engine::Input)s,
//! the service runs the turn (and commits it, flushed, before returning), and
//! the outputs are rendered as messages. No intake logic lives here.
//!
//! * [`build_client`] builds the real serenity client with the poise
//!   framework; production ([`run`]) and the end-to-end tests use it alike.
//!   [`Bot`] is what every handler shares; [`Bot::blocking`] is the one way
//!   to storage (tokio's blocking pool).
//!
//! Shared by the features (they import these, never each other in a circle):
//! * [`config`]: the `[discord]` section of the configuration file, the token.
//! * [`send`]: notices without pings, a turn's reply, where a person is reached.
//! * [`render`]: outputs as messages (pure, unit-tested against Discord's limits).
//! * [`ids`]: the custom ids on components (conversation + step).
//! * [`i18n`]: content keys for outcomes and statuses; nl/en localizations.
//! * [`perms`]: who may do what (coach and moderator roles, poise checks).
//! * [`errors`]: the one error path (a `UserError`'s sentence, or an error id).
//! * [`guard`]: per-user locks, the shutdown gate, the rate limit.
//! * [`threads`]: which private thread belongs to whom (links in the store).
//! * [`offers`]: offers after the advice (an opt-in question with yes/no
//!   buttons once an intake is done; answers in the store's `offers` table).
//!
//! Features:
//! * [`handler`]: the serenity event handler (READY, messages, components).
//! * [`intake`]: the per-turn path: messages, answer buttons, menus, forms.
//! * [`commands`]: `/intake` and `/intake-panel`, and the list of all commands.
//! * [`handoff`]: the hand-off to a coach: the card, claiming, the relay
//!   between a DM and the coach thread, the reminder loop.
//! * [`coach`]: the coach and moderator commands (`/handoff`, `/handback`,
//!   `/close`, `/transfer`, `/note`, `/reply`, `/queue`).
//! * [`export`]: `/export` for moderators (attachments, split when large).
//! * [`followup`]: the follow-up weeks later: the offer after the advice,
//!   the loop that sends what is due, its buttons, form and "stop".
//! * [`privacy`]: `/mijn-gegevens`: own data, download, deletion.
//! * [`peers`]: peer introductions: opt-in, the match card, both say yes,
//!   the introduction thread (`/kennismaken`).
//! * [`health`]: `/healthz` and `/metrics` (`[health] listen`), with the
//!   counters in [`metrics`].
//! * [`reload`]: `/reload-content` and SIGHUP reload the content.
//! * [`messages`]: the message keys the adapter uses ([`MESSAGE_KEYS`],
//!   required by `llo-intake check`).
//!
//! Reliability rules kept here: interactions are acknowledged before any
//! slow work (3-second deadline); each message and interaction id is handled
//! once (`Store::sighting`, recorded in the turn's own transaction, so a RESUME
//! replay is not answered twice and a turn costs one flush);
//! one turn at a time per user; start-up work runs once even after a second
//! READY; mentions never ping (client-wide default plus per message).

pub(crate) mod backup;
pub(crate) mod coach;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod errors;
pub(crate) mod export;
pub(crate) mod followup;
pub(crate) mod guard;
pub(crate) mod handler;
pub(crate) mod handoff;
pub mod health;
pub(crate) mod i18n;
pub(crate) mod ids;
pub(crate) mod intake;
pub mod memory;
pub(crate) mod messages;
pub(crate) mod metrics;
pub(crate) mod offers;
pub(crate) mod peers;
pub(crate) mod perms;
pub(crate) mod privacy;
pub(crate) mod reload;
pub(crate) mod render;
pub(crate) mod schedule;
pub(crate) mod send;
pub(crate) mod stats;
pub(crate) mod threads;

/// The follow-up's message keys (required by `check` with [`MESSAGE_KEYS`]).
pub use followup::MESSAGE_KEYS as FOLLOW_UP_MESSAGE_KEYS;
pub use messages::MESSAGE_KEYS;

use crate::app::service::Intake;
use crate::content::text::Lang;
use anyhow::Context as _;
pub use config::{DiscordConfig, Mode, Token, TokenError};
// What the integration tests reach besides the entry points.
pub use handoff::CoachThreads;
use serenity::all::{
    Client, ClientBuilder, CreateAllowedMentions, GatewayIntents, HttpBuilder, Settings,
};
use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
pub use threads::Threads;

/// The error type of commands and handlers (internal; never shown to users).
pub type Error = anyhow::Error;
/// The poise context of our commands.
pub type Context<'a> = poise::Context<'a, Arc<Bot>, Error>;

/// Timeout on every REST call: serenity has none, and a hung call would hold
/// a user's turn forever.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the bot reads the time. Production: the system clock; tests move
/// it forward to make waiting deterministic.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// A request for one pass of the reminder loop; answered when it is done.
pub type Tick = tokio::sync::oneshot::Sender<()>;

/// Blocking work that could not finish (see [`Bot::blocking`]).
#[derive(Debug, thiserror::Error)]
#[error("a blocking task failed: {0}")]
pub struct TaskFailed(String);

impl From<TaskFailed> for crate::app::store::StoreError {
    fn from(e: TaskFailed) -> Self {
        crate::app::store::StoreError::Decode(e.to_string())
    }
}

impl From<TaskFailed> for crate::app::service::ActError {
    fn from(e: TaskFailed) -> Self {
        crate::app::service::ActError::Store(e.into())
    }
}

/// What tests may swap in. Production uses [`Hooks::default`].
#[derive(Default)]
pub struct Hooks {
    /// The clock (default: the system clock).
    pub clock: Option<Clock>,
    /// When set, the reminder loop runs one pass per received tick instead
    /// of every `reminder_check_secs`.
    pub reminder_ticks: Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>,
    /// When set, the peer loop runs one pass (timeouts, notices, matching)
    /// per received tick instead of every `[discord.peers] check_secs`.
    pub peer_ticks: Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>,
    /// When set, the backup schedule runs one pass per received tick
    /// instead of every minute.
    pub backup_ticks: Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>,
    /// When set, the follow-up loop runs one pass per received tick instead
    /// of every minute.
    pub follow_up_ticks: Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>,
    /// The HTTP client for Discord's REST API when `api_base_url` is unset
    /// (serenity's own rate limiter on); tests give one for which
    /// `discord.com` is the fake. Default: rustls with the timeout.
    pub rest_client: Option<reqwest::Client>,
}

/// What a production run adds beyond the `[discord]` section.
#[derive(Debug, Clone, Default)]
pub struct Operations {
    /// `[health]`: serve `/healthz` and `/metrics` when `listen` is set.
    pub health: health::HealthConfig,
    /// Where the content came from: enables `/reload-content`.
    pub content: Option<crate::app::reload::Sources>,
    /// Also reload on SIGHUP (a signal reaches the whole process: set it
    /// in the binary, not in a test that runs several bots).
    pub reload_on_hangup: bool,
}

/// Everything the handlers share. One per client.
pub struct Bot {
    pub intake: Intake,
    pub config: DiscordConfig,
    pub locks: guard::UserLocks,
    pub gate: guard::Gate,
    pub limit: guard::RateLimit,
    /// Set on the first READY; start-up work is skipped on later ones.
    pub(crate) started: AtomicBool,
    /// Interactions already taken (a RESUME replay is dropped).
    pub(crate) delivered: handler::Delivered,
    pub threads: threads::Threads,
    /// Which coach thread belongs to which conversation (dm mode relay).
    pub coach_threads: handoff::CoachThreads,
    clock: Clock,
    pub(crate) reminder_ticks: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>>,
    pub(crate) peer_ticks: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>>,
    pub(crate) backup_ticks: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>>,
    /// Counters and gauges for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Whether the gateway is connected (for `/healthz`).
    pub(crate) gateway: health::Gateway,
    /// Where a content reload reads from (`None`: reloads are refused).
    pub(crate) content_sources: Option<crate::app::reload::Sources>,
    pub(crate) follow_up_ticks:
        std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Tick>>>,
    /// Blocking tasks started (see [`memory::spawn_idle_trim`]).
    pub(crate) activity: std::sync::atomic::AtomicU64,
}

impl Bot {
    pub fn new(
        intake: Intake,
        config: DiscordConfig,
    ) -> Result<Bot, crate::app::store::StoreError> {
        Bot::with_hooks(intake, config, Hooks::default())
    }

    pub fn with_hooks(
        intake: Intake,
        config: DiscordConfig,
        hooks: Hooks,
    ) -> Result<Bot, crate::app::store::StoreError> {
        Bot::with_operations(intake, config, hooks, &Operations::default())
    }

    /// [`Bot::with_hooks`] that can also reload its content from `ops.content`.
    pub fn with_operations(
        intake: Intake,
        config: DiscordConfig,
        hooks: Hooks,
        ops: &Operations,
    ) -> Result<Bot, crate::app::store::StoreError> {
        let threads = threads::Threads::open(&intake.store)?;
        let coach_threads = handoff::CoachThreads::open(&intake.store)?;
        Ok(Bot {
            coach_threads,
            clock: hooks.clock.unwrap_or_else(|| Arc::new(chrono::Utc::now)),
            reminder_ticks: std::sync::Mutex::new(hooks.reminder_ticks),
            peer_ticks: std::sync::Mutex::new(hooks.peer_ticks),
            backup_ticks: std::sync::Mutex::new(hooks.backup_ticks),
            follow_up_ticks: std::sync::Mutex::new(hooks.follow_up_ticks),
            limit: guard::RateLimit::new(
                config.rate_limit_events,
                Duration::from_secs(config.rate_limit_window_secs),
            ),
            intake,
            config,
            locks: guard::UserLocks::default(),
            gate: guard::Gate::default(),
            started: AtomicBool::new(false),
            delivered: handler::Delivered::default(),
            threads,
            metrics: metrics::Metrics::new(),
            gateway: health::Gateway::default(),
            content_sources: ops.content.clone(),
            activity: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Runs blocking work (sled through the store, the thread tables, key
    /// files) on tokio's blocking pool, never on an async worker thread. The
    /// one way the adapter touches storage. A task that cannot finish (it
    /// panicked, or the runtime is going down) is logged and becomes `E`.
    pub(crate) async fn blocking<T, E>(
        self: &Arc<Self>,
        f: impl FnOnce(&Bot) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<TaskFailed> + Send + 'static,
    {
        self.activity
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bot = self.clone();
        match tokio::task::spawn_blocking(move || f(&bot)).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(panic = e.is_panic(), "blocking task failed");
                Err(TaskFailed(e.to_string()).into())
            }
        }
    }

    /// A stored conversation by id: `None` when it is gone (erased), or
    /// unreadable (logged).
    pub(crate) async fn conversation(
        self: &Arc<Self>,
        id: &str,
    ) -> Option<crate::domain::conversation::Conversation> {
        let id = id.to_string();
        match self
            .blocking(move |b| b.intake.store.conversation(&id))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a conversation");
                None
            }
        }
    }

    /// The current time (the system clock unless a test set one).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }

    /// A sentence from the content.
    pub fn msg(&self, key: &str, lang: Lang) -> String {
        self.intake.knowledge().msg(key, lang)
    }

    /// The language for a Discord locale ("nl", "en-US", ...), else the default.
    pub fn lang_for(&self, locale: Option<&str>) -> Lang {
        match locale.map(|l| l.to_ascii_lowercase()) {
            Some(l) if l.starts_with("nl") => Lang::Nl,
            Some(l) if l.starts_with("en") => Lang::En,
            _ => self.intake.default_lang,
        }
    }

    /// Component words in `lang`.
    pub fn labels(&self, lang: Lang) -> render::Labels {
        render::Labels {
            type_answer: self.msg("discord_type_answer", lang),
            choose_one: self.msg("discord_choose_one", lang),
            choose_many: self.msg("discord_choose_many", lang),
        }
    }
}

/// The gateway intents the configuration needs. Direct messages need no
/// privileged intent; typed answers in threads need Message Content.
pub fn intents(config: &DiscordConfig) -> GatewayIntents {
    // Coaches' messages in coach threads (dm mode relay) and in intake
    // threads (thread mode transcript) also need Message Content.
    let mut i = GatewayIntents::GUILDS | GatewayIntents::DIRECT_MESSAGES;
    if config.message_content_intent {
        i |= GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    }
    i
}

/// Builds the serenity client (with the poise framework and our handler)
/// exactly as production runs it. With `api_base_url` set, REST calls go to
/// that URL with serenity's rate limiter off (the proxy, or the test fake,
/// owns rate limiting); `gateway_url` replaces the gateway address.
pub async fn build_client(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
) -> anyhow::Result<(Client, Arc<Bot>)> {
    build_client_with(config, token, intake, Hooks::default()).await
}

/// [`build_client`] with test hooks.
pub async fn build_client_with(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
    hooks: Hooks,
) -> anyhow::Result<(Client, Arc<Bot>)> {
    build_client_full(config, token, intake, hooks, &Operations::default()).await
}

/// [`build_client_with`] with the operator's additions (content sources).
pub async fn build_client_full(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
    mut hooks: Hooks,
    ops: &Operations,
) -> anyhow::Result<(Client, Arc<Bot>)> {
    let rest_client = hooks.rest_client.take();
    let mut reqwest = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(HTTP_TIMEOUT);
    let mut http =
        HttpBuilder::new(token.expose()).default_allowed_mentions(CreateAllowedMentions::new());
    if let Some(base) = &config.api_base_url {
        // A configured endpoint is talked to directly, not via a system proxy.
        reqwest = reqwest.no_proxy();
        // serenity only uses the proxy URL when its own rate limiter is off.
        http = http
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let client = match rest_client {
        Some(c) if config.api_base_url.is_none() => c,
        _ => reqwest.build().context("cannot build the HTTP client")?,
    };
    let http = http.client(client).build();
    let bot = Arc::new(Bot::with_operations(intake, config.clone(), hooks, ops)?);
    let commands = commands::all(&bot);
    let setup_bot = bot.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands,
            on_error: |e| Box::pin(commands::on_error(e)),
            allowed_mentions: Some(CreateAllowedMentions::new()),
            ..Default::default()
        })
        // The builder's flag overrides the option's: no owner lookup (an
        // extra REST call at start-up that nothing here needs).
        .initialize_owners(false)
        .setup(move |_ctx, _ready, _framework| Box::pin(async move { Ok(setup_bot) }))
        .build();
    let mut cache = Settings::default();
    cache.cache_users = false;
    let client = ClientBuilder::new_with_http(http, intents(config))
        .event_handler(handler::Handler::new(bot.clone()))
        .framework(handler::Once::new(framework, bot.clone()))
        .cache_settings(cache)
        .await
        .context("cannot set up the Discord client")?;
    if let Some(url) = &config.gateway_url {
        *client.ws_url.lock().await = url.trim_end_matches('/').to_string();
    }
    Ok((client, bot))
}

/// Runs the bot until `shutdown` completes (or the connection fails for
/// good). On shutdown: stop taking events, close the gateway, let the turns
/// in flight finish (up to `shutdown_grace_secs`), flush sled.
pub async fn run(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    run_with(config, token, intake, Hooks::default(), shutdown).await
}

/// [`run`] with test hooks (a clock, reminder ticks).
pub async fn run_with(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
    hooks: Hooks,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    run_full(
        config,
        token,
        intake,
        hooks,
        Operations::default(),
        shutdown,
    )
    .await
}

/// [`run_with`] plus the operator's additions: the health endpoint, content
/// reload (command, and SIGHUP when asked). What `llo-intake run` calls.
pub async fn run_full(
    config: &DiscordConfig,
    token: &Token,
    intake: Intake,
    hooks: Hooks,
    ops: Operations,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (mut client, bot) = build_client_full(config, token, intake, hooks, &ops).await?;
    backup::spawn_schedule(&bot);
    memory::spawn_idle_trim(&bot);
    let manager = client.shard_manager.clone();
    let endpoint = match ops.health.address() {
        Some(addr) => Some(
            health::serve(addr, bot.clone(), manager.clone())
                .await
                .with_context(|| format!("[health] listen: cannot listen on {addr}"))?,
        ),
        None => None,
    };
    let _endpoint = AbortOnDrop(endpoint);
    if ops.reload_on_hangup && ops.content.is_some() {
        reload::spawn_hangup(&bot);
    }
    let mut connection = tokio::spawn(async move { client.start().await });
    let ended = tokio::select! {
        r = &mut connection => Some(r),
        () = shutdown => None,
        () = writable_again(&bot) => None,
    };
    bot.gate.close();
    if let Some(r) = ended {
        flush(&bot).await?;
        return match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow::Error::new(e).context("the Discord connection failed")),
            Err(e) => Err(anyhow::Error::new(e).context("the Discord connection task failed")),
        };
    }
    tracing::info!("shutting down: no new events; finishing turns in flight");
    manager.shutdown_all().await;
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    if !bot.gate.drained(grace).await {
        tracing::warn!(
            inflight = bot.gate.inflight(),
            "turns still running after the grace period"
        );
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
    flush(&bot).await?;
    drop(bot);
    tracing::info!("stopped");
    Ok(())
}

/// How often a bot whose database refused a write looks for space again.
const SPACE_PROBE: Duration = Duration::from_secs(10);

/// Free space that counts as "space again" (sled writes in 512 KiB segments).
const SPACE_MARGIN: u64 = 16 << 20;

/// Resolves once a write to the database failed (every turn now gets
/// `not_saved`, see `Store::writable`) and the disk has room again. The
/// bot then stops as on SIGTERM, and its last flush fails, so it exits with
/// that error and its supervisor (systemd `Restart=on-failure`) starts it
/// again: sled only writes again after a restart, which opens at the last
/// saved turn. Never resolves while writes succeed.
async fn writable_again(bot: &Arc<Bot>) {
    let path = bot.intake.store.path().to_path_buf();
    loop {
        tokio::time::sleep(SPACE_PROBE).await;
        if bot.intake.store.writable().is_ok() {
            continue;
        }
        let dir = path.clone();
        let room = tokio::task::spawn_blocking(move || fs2::available_space(&dir))
            .await
            .ok()
            .and_then(Result::ok);
        if room.is_some_and(|r| r >= SPACE_MARGIN) {
            tracing::warn!("the disk has room again; stopping so that a restart writes again");
            return;
        }
    }
}

/// Stops the health endpoint when the run ends, however it ends.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}

async fn flush(bot: &Arc<Bot>) -> anyhow::Result<()> {
    bot.blocking(|b| b.intake.store.flush())
        .await
        .context("cannot flush the database")
}

#[cfg(test)]
mod tests {
    /// The adapter's files name each other without a circle (shared modules
    /// below features; `handoff`'s parts only use `card`).
    #[test]
    fn discord_modules_import_each_other_without_a_circle() {
        use std::collections::{BTreeMap, BTreeSet};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/discord");
        let mut all = Vec::new();
        rust_files(&root, &mut all);
        let name = |p: &std::path::Path| -> String {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            rel.to_string_lossy().replace("/mod", "")
        };
        let names: BTreeSet<String> = all.iter().map(|p| name(p)).collect();
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in &all {
            let me = name(p);
            if me == "mod" {
                continue;
            }
            let src = std::fs::read_to_string(p).unwrap();
            let code: String = src
                .split("#[cfg(test)]")
                .next()
                .unwrap_or("")
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let parent = me.rsplit_once('/').map(|(d, _)| d.to_string());
            for prefix in ["crate::discord::", "super::"] {
                for (i, _) in code.match_indices(prefix) {
                    let rest = &code[i + prefix.len()..];
                    let word: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let target = match (&parent, prefix) {
                        (Some(d), "super::") if names.contains(&format!("{d}/{word}")) => {
                            format!("{d}/{word}")
                        }
                        _ => word,
                    };
                    if names.contains(&target) && target != me && target != "mod" {
                        deps.entry(me.clone()).or_default().insert(target);
                    }
                }
            }
        }
        fn visit(
            n: &str,
            deps: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if let Some(i) = path.iter().position(|p| p == n) {
                panic!("a circle: {}", path[i..].join(" -> ") + " -> " + n);
            }
            if !done.insert(n.to_string()) {
                return;
            }
            path.push(n.to_string());
            for d in deps.get(n).into_iter().flatten() {
                visit(d, deps, path, done);
            }
            path.pop();
        }
        let mut done = BTreeSet::new();
        for n in deps.keys() {
            visit(n, &deps, &mut Vec::new(), &mut done);
        }
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// Blocking work leaves the async threads through [`super::Bot::blocking`]
    /// only: no other file of the adapter spawns its own blocking task.
    #[test]
    fn blocking_work_goes_through_one_helper() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/discord");
        let mut all = Vec::new();
        rust_files(&root, &mut all);
        for p in all.iter().filter(|p| !p.ends_with("discord/mod.rs")) {
            let src = std::fs::read_to_string(p).unwrap();
            assert!(
                !src.contains("spawn_blocking"),
                "{} spawns blocking work itself; use Bot::blocking",
                p.display()
            );
        }
    }
}
