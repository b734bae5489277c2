//! Erasure done while the bot was not running (CLI `forget`, the retention
//! sweep) is caught up on Discord at the next start: the person's coach
//! cards become the placeholder, as `/mijn-gegevens` deletion does at once.
//! The store queues the cards (ids only) with the erasure; the bot drains
//! the queue on READY, and an item leaves it only once Discord confirmed.

use crate::privacy_support;
use crate::support;

use llo_intake::app::privacy::purge;
use llo_intake::content::text::Lang;
use llo_intake::discord::DiscordConfig;
use serde_json::Value;
use support::bot::{config, knowledge, open_store, Chat, Running};
use support::{button, Fake, COACHES};

const ANNA: u64 = 7101;
const CARLA: u64 = 7103;
const COACH_ROLE: u64 = 800;

fn msg(key: &str) -> String {
    knowledge().msg(key, Lang::Nl)
}

fn hconfig(fake: &Fake) -> DiscordConfig {
    let mut c = config(fake);
    c.coach_role = Some(COACH_ROLE);
    c.coach_channel = Some(COACHES);
    c.message_content_intent = true;
    c
}

/// ANNA consents, names a concern and asks for a coach; CARLA claims the
/// card (dm mode opens her relay thread). Returns the card and the thread.
async fn handed_off(fake: &Fake) -> (Value, u64) {
    let mut chat = Chat::new(fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    let mark = fake.mark();
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "coach");
    let (_, call) = fake
        .wait_call(mark, "a hand-off card", |c| c.posts_in(COACHES))
        .await;
    let card = message_of(fake, &call.response);
    let claim = support::custom_ids(&card)
        .into_iter()
        .find(|id| id.starts_with("llo:claim:"))
        .expect("a claim button");
    let mark = fake.mark();
    fake.click(CARLA, &card, &claim);
    let (_, t) = fake
        .wait_call(mark, "the coach thread", |c| {
            c.is("POST", &format!("/channels/{COACHES}/threads"))
        })
        .await;
    let thread = t.response["id"].as_str().unwrap().parse().unwrap();
    (card, thread)
}

fn message_of(fake: &Fake, response: &Value) -> Value {
    fake.message(response["id"].as_str().unwrap().parse().unwrap())
        .unwrap()
}

/// Starts the bot again and waits until it edited `card`; returns the card now.
async fn restart_and_wait_for_the_edit(
    fake: &Fake,
    cfg: DiscordConfig,
    dir: &std::path::Path,
    card: &Value,
) -> (Running, Value) {
    let mark = fake.mark();
    let bot = Running::start(fake, cfg, dir).await;
    let path = format!(
        "/channels/{COACHES}/messages/{}",
        card["id"].as_str().unwrap()
    );
    fake.wait_call(mark, "the card edited", |c| c.is("PATCH", &path))
        .await;
    (bot, message_of(fake, card))
}

fn assert_placeholder(card: &Value) {
    assert_eq!(card["content"], msg("handoff_card_removed").as_str());
    assert!(card["embeds"].as_array().is_none_or(Vec::is_empty));
    assert!(support::custom_ids(card).is_empty());
}

async fn with_handoff() -> (Fake, tempfile::TempDir, DiscordConfig, Value, u64) {
    let fake = Fake::start().await;
    fake.set_roles(CARLA, &[COACH_ROLE]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = hconfig(&fake);
    let bot = Running::start(&fake, cfg.clone(), dir.path()).await;
    let (card, thread) = handed_off(&fake).await;
    assert_ne!(card["content"], msg("handoff_card_removed").as_str());
    bot.stop().await;
    (fake, dir, cfg, card, thread)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_on_the_cli_while_the_bot_is_stopped_blanks_the_card_at_the_next_start() {
    let (fake, dir, cfg, card, thread) = with_handoff().await;
    // Wait until the stopped bot let go of the database, then use the CLI.
    drop(open_store(dir.path()).await);
    let o = privacy_support::run(
        &[
            "forget",
            "--db",
            dir.path().to_str().unwrap(),
            "--user",
            &ANNA.to_string(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", privacy_support::stderr(&o));

    let (bot, now) = restart_and_wait_for_the_edit(&fake, cfg, dir.path(), &card).await;
    assert_placeholder(&now);
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    assert!(
        store.pending_cards().unwrap().is_empty(),
        "done, so dequeued"
    );
    assert_eq!(
        store
            .coach_thread_conversation(&thread.to_string())
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_sweep_removes_the_discord_links_and_queues_the_card() {
    let (fake, dir, cfg, card, thread) = with_handoff().await;
    let store = open_store(dir.path()).await;
    let id = store
        .coach_thread_conversation(&thread.to_string())
        .unwrap()
        .expect("the relay thread is linked");
    let later = chrono::Utc::now() + chrono::Duration::days(400);
    let p = purge(&store, 180, later).unwrap();
    assert_eq!(p.conversations, [id]);
    assert_eq!(
        store
            .coach_thread_conversation(&thread.to_string())
            .unwrap(),
        None
    );
    let pending = store.pending_cards().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].card.message, card["id"].as_str().unwrap());
    assert_eq!(pending[0].card.channel, COACHES.to_string());
    drop(store);

    let (bot, now) = restart_and_wait_for_the_edit(&fake, cfg, dir.path(), &card).await;
    assert_placeholder(&now);
    bot.stop().await;
    let store = open_store(dir.path()).await;
    assert!(store.pending_cards().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_discord_no_longer_has_leaves_the_queue() {
    use llo_intake::app::service::{HandoffAction, Intake};
    use llo_intake::domain::conversation::{CardRef, HandoffReason};
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let id = privacy_support::seed_full(
        &store,
        "7109",
        privacy_support::day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let mut c = store.conversation(&id).unwrap().unwrap();
    llo_intake::domain::handoff::request(
        &mut c,
        privacy_support::day(0),
        HandoffReason::UserRequest,
    );
    store.commit_turn(&c, &[]).unwrap();
    let gone = CardRef {
        channel: COACHES.to_string(),
        message: "999999".into(),
    };
    Intake::new(knowledge(), store.clone(), Lang::Nl)
        .handoff(
            &id,
            HandoffAction::CardPosted(gone),
            privacy_support::day(0),
        )
        .unwrap();
    llo_intake::app::privacy::forget(&store, "7109").unwrap();
    assert_eq!(store.pending_cards().unwrap().len(), 1);
    drop(store);

    let mark = fake.mark();
    let bot = Running::start(&fake, hconfig(&fake), dir.path()).await;
    let path = format!("/channels/{COACHES}/messages/999999");
    let (_, call) = fake
        .wait_call(mark, "the card edit", |c| c.is("PATCH", &path))
        .await;
    assert_eq!(call.status, 404);
    bot.stop().await;
    let store = open_store(dir.path()).await;
    assert!(store.pending_cards().unwrap().is_empty());
}
