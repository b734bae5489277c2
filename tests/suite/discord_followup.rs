//! The follow-up weeks after an intake, end to end on the fake Discord with
//! the real client: the offer after the advice, the one DM at the due time
//! (a test clock moved on, the loop asked for single passes), fire once
//! across restarts, the answers, a coach reopened, "stop", the export.

use crate::support;

use llo_intake::app::export::{self, Options};
use llo_intake::app::summary::CSV_COLUMNS;
use llo_intake::content::text::Lang;
use llo_intake::discord::{DiscordConfig, Hooks, Tick};
use llo_intake::domain::conversation::{HandoffReason, Status};
use llo_intake::domain::followup::{Helped, State};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::bot::{config, dm_to_the_offer, knowledge, open_store, Chat, Running};
use support::{button, custom_ids, Fake, COACHES};

const ANNA: u64 = 7301;
const BEN: u64 = 7302;
const COACH_ROLE: u64 = 800;
const DAY: i64 = 24 * 60;
/// The follow-up offer's buttons (the shared offers after the advice).
const OFFER: &str = "llo-offer:followup:";

fn msg(key: &str) -> String {
    knowledge().msg(key, Lang::Nl)
}

fn content(m: &Value) -> &str {
    m["content"].as_str().unwrap_or("")
}

fn fconfig(fake: &Fake) -> DiscordConfig {
    let mut c = config(fake);
    c.coach_role = Some(COACH_ROLE);
    c.coach_channel = Some(COACHES);
    c.followup.follow_up_days = 30;
    c
}

pub type Ticks = tokio::sync::mpsc::UnboundedSender<Tick>;

/// A clock `offset` minutes ahead of now, and follow-up passes on request.
fn hooks(offset: &Arc<AtomicI64>) -> (Hooks, Ticks) {
    let o = offset.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        clock: Some(Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::minutes(o.load(Ordering::SeqCst))
        })),
        follow_up_ticks: Some(rx),
        ..Hooks::default()
    };
    (hooks, tx)
}

/// One pass of the follow-up loop, waited for.
pub async fn tick(ticks: &Ticks) {
    let (done, wait) = tokio::sync::oneshot::channel();
    ticks.send(done).unwrap();
    tokio::time::timeout(support::WAIT, wait)
        .await
        .expect("the follow-up pass ends")
        .unwrap();
}

fn id_with(m: &Value, prefix: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} component on {m}"))
}

/// `user` walks an intake to the end by DM (no coach); returns the chat
/// after the closing message.
async fn to_the_end(fake: &Fake, user: u64) -> Chat<'_> {
    let (mut chat, offer) = dm_to_the_offer(fake, user, "2", "Utrecht", None).await;
    fake.click(user, &offer, &button(&offer, "no"));
    let end = knowledge().content.step("end").unwrap().prompt.nl.clone();
    while content(&chat.next().await) != end {}
    chat
}

/// `user` walks an intake to the end; returns the follow-up offer (one of
/// the offers after the advice).
async fn to_the_offer(fake: &Fake, user: u64) -> Value {
    let mut chat = to_the_end(fake, user).await;
    loop {
        // Other offers after the advice (peers) may come first.
        let m = chat.next().await;
        if custom_ids(&m).iter().any(|id| id.starts_with(OFFER)) {
            return m;
        }
    }
}

/// Waits for a bot message in `user`'s DM after `mark` whose text is `text`.
async fn said(fake: &Fake, user: u64, mark: usize, text: &str) {
    let ch = Fake::dm_channel(user);
    fake.wait_call(mark, text, |c| {
        c.posts_in(ch) && c.body["content"].as_str() == Some(text)
    })
    .await;
}

/// The yes button of the follow-up offer.
fn yes(offer: &Value) -> String {
    custom_ids(offer)
        .into_iter()
        .find(|id| id.starts_with(OFFER) && id.ends_with(":y"))
        .unwrap_or_else(|| panic!("no yes on {offer}"))
}

/// Waits until the offer message turned into "Afgesproken. Rond ... ".
async fn agreed(fake: &Fake, mark: usize) {
    fake.wait_call(mark, "the follow-up agreed", |c| {
        c.path.ends_with("/callback")
            && c.body["data"]["content"]
                .as_str()
                .is_some_and(|t| t.starts_with("Afgesproken. Rond "))
    })
    .await;
}

/// The follow-up DMs the bot sent `user` (messages with the helped buttons).
fn follow_ups(fake: &Fake, user: u64) -> Vec<Value> {
    fake.bot_messages(Fake::dm_channel(user))
        .into_iter()
        .filter(|m| custom_ids(m).iter().any(|id| id.starts_with("llofu:h:")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_fires_once_after_a_restart_records_the_answer_and_a_coach_answer_starts_a_hand_off(
) {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = fconfig(&fake);
    let offset = Arc::new(AtomicI64::new(0));
    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, cfg.clone(), dir.path(), h).await;

    let offer = to_the_offer(&fake, ANNA).await;
    assert!(
        content(&offer).starts_with("Mag ik over 30 dagen vragen hoe het ging?"),
        "{}",
        content(&offer)
    );
    let mark = fake.mark();
    fake.click(ANNA, &offer, &yes(&offer));
    agreed(&fake, mark).await;
    tick(&ticks).await;
    assert!(follow_ups(&fake, ANNA).is_empty(), "not before it is due");
    bot.stop().await;

    // Stored, sealed and indexed: it survives the restart.
    let store = open_store(dir.path()).await;
    let conv = store.conversations().unwrap().remove(0);
    let f = store.follow_up(&conv.id).unwrap().expect("scheduled");
    assert_eq!(f.state, State::Scheduled);
    assert!(
        f.due >= conv.ended_at.unwrap() + chrono::Duration::days(30) - chrono::Duration::hours(1)
    );
    drop(store);

    // 29 days on: still not due. 35 days on (after a restart): sent once.
    offset.store(29 * DAY, Ordering::SeqCst);
    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, cfg.clone(), dir.path(), h).await;
    tick(&ticks).await;
    assert!(follow_ups(&fake, ANNA).is_empty());
    offset.store(35 * DAY, Ordering::SeqCst);
    tick(&ticks).await;
    tick(&ticks).await;
    let sent = follow_ups(&fake, ANNA);
    assert_eq!(sent.len(), 1, "one DM, however many passes");
    bot.stop().await;
    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, cfg.clone(), dir.path(), h).await;
    tick(&ticks).await;
    assert_eq!(
        follow_ups(&fake, ANNA).len(),
        1,
        "not again after a restart"
    );

    let ask = &sent[0];
    let text = content(ask);
    assert!(text.contains("personeel vinden"), "{text}");
    let labels: Vec<String> = ask["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        labels,
        ["Ja", "Een beetje", "Nee", "Nog niet aan toegekomen"],
        "the four answers"
    );
    // The menu offers what she was shown, and "none of these".
    let options: Vec<String> = ask["components"][1]["components"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap().to_string())
        .collect();
    assert!(options.contains(&conv.recommended[0]), "{options:?}");
    assert_eq!(options.last().map(String::as_str), Some("none"));

    // Did it help: a bit. Which route: the first shown. Anything to add.
    let mark = fake.mark();
    fake.click(
        ANNA,
        ask,
        &id_with(ask, "llofu:h:").replace(":yes", ":somewhat"),
    );
    said(&fake, ANNA, mark, &msg("followup_thanks")).await;
    let mark = fake.mark();
    fake.select(
        ANNA,
        ask,
        &id_with(ask, "llofu:r:"),
        &[&conv.recommended[0]],
    );
    said(&fake, ANNA, mark, &msg("followup_thanks")).await;
    let mark = fake.mark();
    let form = id_with(ask, "llofu:n:").replace("llofu:n:", "llofu:m:");
    fake.submit_form(ANNA, ask, &form, "Het loket belde binnen een week terug.");
    said(&fake, ANNA, mark, &msg("followup_thanks")).await;

    // A coach: the hand-off starts again, with a card for the coaches.
    let mark = fake.mark();
    fake.click(ANNA, ask, &id_with(ask, "llofu:c:"));
    fake.wait_call(mark, "a hand-off card", |c| c.posts_in(COACHES))
        .await;
    said(&fake, ANNA, mark, &msg("handoff_requested")).await;
    fake.assert_clean();
    bot.stop().await;

    let store = open_store(dir.path()).await;
    let f = store.follow_up(&conv.id).unwrap().unwrap();
    assert_eq!(f.state, State::Sent);
    assert_eq!(f.answer.helped, Some(Helped::Somewhat));
    assert_eq!(
        f.answer.route.as_deref(),
        Some(conv.recommended[0].as_str())
    );
    assert_eq!(
        f.answer.note.as_deref(),
        Some("Het loket belde binnen een week terug.")
    );
    assert!(f.answer.coach);
    let c = store.conversation(&conv.id).unwrap().unwrap();
    assert_eq!(c.status, Status::Handoff);
    assert_eq!(c.handoff.unwrap().reason, HandoffReason::FollowUp);

    // The export carries the outcome: category, route, coach.
    let mut out = Vec::new();
    let opts = Options {
        bom: false,
        ..Options::default()
    };
    export::write(&store, &opts, None, &mut out).unwrap();
    let csv = String::from_utf8(out).unwrap();
    let mut rows = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, CSV_COLUMNS);
    let row = rows.records().next().unwrap().unwrap();
    let cell = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(cell("follow_up_state"), "sent");
    assert_eq!(cell("follow_up_helped"), "somewhat");
    assert_eq!(cell("follow_up_route"), conv.recommended[0]);
    assert_eq!(cell("follow_up_coach"), "yes");
    assert_eq!(cell("handoff_reason"), "follow_up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_cancels_the_follow_up_and_nothing_is_sent() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, fconfig(&fake), dir.path(), h).await;
    let offer = to_the_offer(&fake, BEN).await;
    let mark = fake.mark();
    fake.click(BEN, &offer, &yes(&offer));
    agreed(&fake, mark).await;
    let mark = fake.mark();
    fake.dm(BEN, "stop");
    said(&fake, BEN, mark, &msg("followup_stopped")).await;
    offset.store(40 * DAY, Ordering::SeqCst);
    tick(&ticks).await;
    assert!(follow_ups(&fake, BEN).is_empty(), "stopped: never sent");
    // "stop" again: nothing left to stop, and no new intake either.
    let mark = fake.mark();
    fake.dm(BEN, "stop");
    said(&fake, BEN, mark, &msg("followup_nothing_to_stop")).await;
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = store.conversations().unwrap().remove(0);
    let f = store.follow_up(&conv.id).unwrap().unwrap();
    assert_eq!(f.state, State::Cancelled);
    assert_eq!(store.next_follow_up_due().unwrap(), None);
    assert_eq!(store.conversations().unwrap().len(), 1, "no intake started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_off_there_is_no_offer() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = fconfig(&fake);
    cfg.followup.enabled = false;
    let bot = Running::start(&fake, cfg, dir.path()).await;
    let mut chat = to_the_end(&fake, ANNA).await;
    // The next message starts a new intake: what came before is all there is.
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    bot.stop().await;
    assert!(fake
        .bot_messages(Fake::dm_channel(ANNA))
        .iter()
        .all(|m| !custom_ids(m)
            .iter()
            .any(|id| id.starts_with("llofu:") || id.starts_with(OFFER))));
}
