//! Running the real bot (`llo_intake::discord::run`, the production entry
//! point) against the fake, and walking through conversations.

use super::{Fake, GUILD, TOKEN, WAIT};
use llo_intake::app::service::Intake;
use llo_intake::app::store::{Store, StoreError};
use llo_intake::content::text::Lang;
use llo_intake::discord::{DiscordConfig, Token};
use llo_intake::domain::knowledge::Knowledge;
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The shipped content, loaded once per test binary.
pub fn knowledge() -> Arc<Knowledge> {
    static K: OnceLock<Arc<Knowledge>> = OnceLock::new();
    K.get_or_init(|| Arc::new(Knowledge::load_default().expect("shipped content loads")))
        .clone()
}

/// The Dutch prompt of `step` up to its first placeholder: what a question
/// without components starts with.
pub fn prompt(step: &str) -> String {
    let k = knowledge();
    let s = k
        .content
        .step(step)
        .unwrap_or_else(|| panic!("no step {step}"));
    let p = s.prompt.get(Lang::Nl);
    p.split('{').next().unwrap_or(p).to_string()
}

/// A config pointing at the fake.
pub fn config(fake: &Fake) -> DiscordConfig {
    DiscordConfig {
        api_base_url: Some(fake.api_base()),
        gateway_url: Some(fake.gateway_url()),
        guild_id: Some(GUILD),
        ..DiscordConfig::default()
    }
}

/// The production REST path on the fake: no `api_base_url`, so serenity's
/// own rate limiter runs, and `https://discord.com` is the fake's TLS side
/// ([`Fake::rest_client`]). The gateway is the fake's, as in [`config`].
pub fn production_http(fake: &Fake) -> (DiscordConfig, llo_intake::discord::Hooks) {
    let cfg = DiscordConfig {
        api_base_url: None,
        ..config(fake)
    };
    let hooks = llo_intake::discord::Hooks {
        rest_client: Some(fake.rest_client()),
        ..Default::default()
    };
    (cfg, hooks)
}

/// [`world`] on the production REST path ([`production_http`]).
pub async fn world_rate_limited() -> (Fake, tempfile::TempDir, Running) {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, hooks) = production_http(&fake);
    let bot = Running::start_with(&fake, cfg, dir.path(), hooks).await;
    (fake, dir, bot)
}

/// Opens the database, waiting while a stopped bot's last handles go away.
pub async fn open_store(dir: &Path) -> Store {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match Store::open(dir) {
            Ok(s) => return s,
            Err(StoreError::InUse(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            Err(e) => panic!("cannot open the store: {e}"),
        }
    }
}

/// A bot running on the fake.
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Starts the bot with `config` on the database in `dir`, and waits until
    /// it has done its start-up work.
    pub async fn start(fake: &Fake, config: DiscordConfig, dir: &Path) -> Running {
        Running::start_with(fake, config, dir, llo_intake::discord::Hooks::default()).await
    }

    /// [`Running::start`] with test hooks (a clock, reminder ticks).
    pub async fn start_with(
        fake: &Fake,
        config: DiscordConfig,
        dir: &Path,
        hooks: llo_intake::discord::Hooks,
    ) -> Running {
        let ops = llo_intake::discord::Operations::default();
        Running::start_full(fake, config, dir, hooks, ops, knowledge()).await
    }

    /// [`Running::start_with`] with the operator's additions (health
    /// endpoint, content sources) and its own starting content.
    pub async fn start_full(
        fake: &Fake,
        config: DiscordConfig,
        dir: &Path,
        hooks: llo_intake::discord::Hooks,
        ops: llo_intake::discord::Operations,
        knowledge: Arc<Knowledge>,
    ) -> Running {
        let store = open_store(dir).await;
        Running::start_on(fake, config, store, hooks, ops, knowledge).await
    }

    /// [`Running::start_full`] on a store the test keeps a handle on (to
    /// inject a fault into it, say).
    pub async fn start_on(
        fake: &Fake,
        config: DiscordConfig,
        store: Store,
        hooks: llo_intake::discord::Hooks,
        ops: llo_intake::discord::Operations,
        knowledge: Arc<Knowledge>,
    ) -> Running {
        let intake = Intake::new(knowledge, store, Lang::Nl);
        let (tx, rx) = oneshot::channel();
        let mark = fake.mark();
        let task = tokio::spawn(async move {
            llo_intake::discord::run_full(&config, &Token::new(TOKEN), intake, hooks, ops, async {
                let _ = rx.await;
            })
            .await
        });
        fake.wait_ready(mark).await;
        Running {
            stop: Some(tx),
            task,
        }
    }

    /// Waits until the bot stops by itself; returns the error it stopped with.
    pub async fn ended(mut self) -> anyhow::Error {
        match (&mut self.task).await.expect("the bot task ran") {
            Ok(()) => panic!("the bot stopped without an error"),
            Err(e) => e,
        }
    }

    /// Shuts the bot down as SIGTERM would, and waits until it has stopped.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let task = &mut self.task;
        tokio::time::timeout(WAIT, task)
            .await
            .expect("the bot stops in time")
            .expect("the bot task ran")
            .expect("the bot stopped cleanly");
    }
}

/// Follows the bot's messages in one channel.
pub struct Chat<'a> {
    pub fake: &'a Fake,
    pub channel: u64,
    /// Call index after the last message looked at.
    pub cursor: usize,
}

impl<'a> Chat<'a> {
    pub fn new(fake: &'a Fake, channel: u64) -> Self {
        Chat {
            fake,
            channel,
            cursor: fake.mark(),
        }
    }

    /// Waits for the next bot message in the channel; returns it as stored.
    pub async fn next(&mut self) -> Value {
        let channel = self.channel;
        let (i, call) = self
            .fake
            .wait_call(self.cursor, &format!("a bot message in {channel}"), |c| {
                c.posts_in(channel)
            })
            .await;
        self.cursor = i + 1;
        let id: u64 = call.response["id"].as_str().unwrap().parse().unwrap();
        self.fake.message(id).unwrap()
    }

    /// Waits for the question of `step`: a message whose components answer
    /// it, or whose text starts with its prompt. Earlier messages are skipped.
    pub async fn question(&mut self, step: &str) -> Value {
        let start = prompt(step);
        loop {
            let m = self.next().await;
            if super::step_of(&m).as_deref() == Some(step) {
                return m;
            }
            let content = m["content"].as_str().unwrap_or("");
            if !start.is_empty() && content.contains(start.trim()) {
                return m;
            }
        }
    }
}

/// A fake Discord, a fresh database directory, and the bot running on both
/// with the fake's config adjusted by `tune`.
pub async fn world(tune: impl FnOnce(&mut DiscordConfig)) -> (Fake, tempfile::TempDir, Running) {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake);
    tune(&mut cfg);
    let bot = Running::start(&fake, cfg, dir.path()).await;
    (fake, dir, bot)
}

/// The first conversation in the database in `dir` (the bot must be stopped).
pub async fn first_conversation(dir: &Path) -> llo_intake::domain::conversation::Conversation {
    let store = open_store(dir).await;
    store
        .conversations()
        .unwrap()
        .into_iter()
        .next()
        .expect("a stored conversation")
}

/// `user` takes the intake by DM up to the coach offer: consent, "Ik kan
/// geen goed personeel vinden", bouw, `size` (a headcount as typed),
/// `place`, and `tried` (typed, or skipped with the button when `None`).
/// Returns the chat and the offer question.
pub async fn dm_to_the_offer<'a>(
    fake: &'a Fake,
    user: u64,
    size: &str,
    place: &str,
    tried: Option<&str>,
) -> (Chat<'a>, Value) {
    use super::button;
    let mut chat = Chat::new(fake, Fake::dm_channel(user));
    fake.dm(user, "hoi");
    let consent = chat.question("consent").await;
    fake.click(user, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(user, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    fake.click(user, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(user, "bouw");
    chat.question("size").await;
    fake.dm(user, size);
    chat.question("region").await;
    fake.dm(user, place);
    let asked = chat.question("tried").await;
    match tried {
        Some(t) => fake.dm(user, t),
        None => fake.click(user, &asked, &button(&asked, "skip")),
    };
    let offer = chat.question("handoff_offer").await;
    (chat, offer)
}
