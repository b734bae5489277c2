//! Peer introductions end to end on the fake Discord (the real serenity +
//! poise client): the offer after the advice, the match card, the coach's
//! approval with a sentence, both people asked once, and the private thread;
//! and every way it ends without a thread. Time is a test clock; the peer
//! loop runs one pass per tick, so nothing sleeps.

use crate::support;

use llo_intake::content::text::Lang;
use llo_intake::discord::{DiscordConfig, Hooks, Tick};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::bot::{config, dm_to_the_offer, knowledge, open_store, Running};
use support::{button, custom_ids, Call, Fake, COACHES, LOBBY};

const ANNA: u64 = 7101;
const BOB: u64 = 7102;
const CEES: u64 = 7103;
const CARLA: u64 = 7104;
const COACH_ROLE: u64 = 800;

type Ticks = tokio::sync::mpsc::UnboundedSender<Tick>;

fn msg(key: &str) -> String {
    knowledge().msg(key, Lang::Nl)
}

fn content(m: &Value) -> &str {
    m["content"].as_str().unwrap_or("")
}

fn pconfig(fake: &Fake) -> DiscordConfig {
    let mut c = config(fake);
    c.coach_role = Some(COACH_ROLE);
    c.coach_channel = Some(COACHES);
    c.peers.thread_channel = Some(LOBBY);
    c.peers.proposal_timeout_hours = 2;
    c
}

struct World {
    fake: Fake,
    dir: tempfile::TempDir,
    bot: Running,
    /// Minutes the bot's clock is ahead of the real one.
    offset: Arc<AtomicI64>,
    ticks: Ticks,
}

async fn pworld() -> World {
    let fake = Fake::start().await;
    fake.set_roles(CARLA, &[COACH_ROLE]);
    let dir = tempfile::tempdir().unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        clock: Some(Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::minutes(o.load(Ordering::SeqCst))
        })),
        peer_ticks: Some(rx),
        ..Default::default()
    };
    let bot = Running::start_with(&fake, pconfig(&fake), dir.path(), hooks).await;
    World {
        fake,
        dir,
        bot,
        offset,
        ticks: tx,
    }
}

/// One pass of the peer loop; returns when it is done.
async fn tick(ticks: &Ticks) {
    let (done, wait) = tokio::sync::oneshot::channel();
    ticks.send(done).unwrap();
    tokio::time::timeout(support::WAIT, wait)
        .await
        .expect("the peer pass ends")
        .unwrap();
}

/// `user` does the intake (recruitment, in `place`) and says no to a
/// coach; returns the offer that follows the advice.
async fn intake(fake: &Fake, user: u64, place: &str) -> Value {
    let tried = Some("Vacatures op onze site gezet");
    let (mut chat, offer) = dm_to_the_offer(fake, user, "4", place, tried).await;
    fake.click(user, &offer, &button(&offer, "no"));
    loop {
        let m = chat.next().await;
        if offer_id(&m, true).is_some() {
            assert!(content(&m).contains(&msg("peers_offer")), "{m}");
            assert!(content(&m).contains(&msg("peers_consent")), "{m}");
            return m;
        }
    }
}

fn offer_id(m: &Value, yes: bool) -> Option<String> {
    let end = if yes { ":y" } else { ":n" };
    custom_ids(m)
        .into_iter()
        .find(|id| id.starts_with("llo-offer:peers:") && id.ends_with(end))
}

fn with_prefix(m: &Value, prefix: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… on {m}"))
}

/// The callback answering interaction `i`.
async fn callback(fake: &Fake, from: usize, i: u64) -> Call {
    fake.wait_call(from, "the interaction callback", |c| {
        c.path.starts_with(&format!("/interactions/{i}/"))
    })
    .await
    .1
}

/// `user` says yes to the offer and gives their line in the form.
async fn opt_in(fake: &Fake, user: u64, offer: &Value, line: &str) {
    let mark = fake.mark();
    let i = fake.click(user, offer, &offer_id(offer, true).unwrap());
    let form = callback(fake, mark, i).await;
    assert_eq!(form.body["type"], 9, "a form for their own line");
    let form_id = form.body["data"]["custom_id"].as_str().unwrap().to_string();
    let mark = fake.mark();
    let s = fake.submit_form(user, offer, &form_id, line);
    let done = callback(fake, mark, s).await;
    assert_eq!(done.body["type"], 7, "the offer message shows the outcome");
    assert_eq!(content(&done.body["data"]), msg("peers_joined"));
}

/// The next match card in the coach channel after `from`.
async fn card_after(fake: &Fake, from: usize) -> Value {
    let (_, call) = fake
        .wait_call(from, "a match card", |c| {
            c.posts_in(COACHES) && c.body["components"].to_string().contains("llo-peer:ok:")
        })
        .await;
    let id: u64 = call.response["id"].as_str().unwrap().parse().unwrap();
    fake.message(id).unwrap()
}

/// Waits for an edit of `card` (after `from`) to exactly `text`.
async fn card_edit(fake: &Fake, from: usize, card: &Value, text: &str) {
    let path = format!(
        "/channels/{COACHES}/messages/{}",
        card["id"].as_str().unwrap()
    );
    fake.wait_call(from, "the card edit", |c| {
        c.is("PATCH", &path) && content(&c.body) == text
    })
    .await;
}

/// The proposal id on a match card.
fn pid(card: &Value) -> String {
    with_prefix(card, "llo-peer:ok:")["llo-peer:ok:".len()..].to_string()
}

fn now(fake: &Fake, m: &Value) -> Value {
    fake.message(m["id"].as_str().unwrap().parse().unwrap())
        .unwrap()
}

/// Two people opt in (same concern, same region); returns the card.
async fn two_in_the_pool(fake: &Fake) -> Value {
    let a = intake(fake, ANNA, "Arnhem").await;
    opt_in(fake, ANNA, &a, "Ik heb een klein bouwbedrijf").await;
    let b = intake(fake, BOB, "Arnhem").await;
    let mark = fake.mark();
    opt_in(fake, BOB, &b, "").await;
    card_after(fake, mark).await
}

/// CARLA approves the card with `note`; returns the question each person got.
async fn approve(fake: &Fake, card: &Value, note: &str) -> (Value, Value) {
    let mark = fake.mark();
    let i = fake.click(CARLA, card, &with_prefix(card, "llo-peer:ok:"));
    let form = callback(fake, mark, i).await;
    assert_eq!(form.body["type"], 9, "a form for the coach's sentence");
    let form_id = form.body["data"]["custom_id"].as_str().unwrap().to_string();
    let mark = fake.mark();
    fake.submit_form(CARLA, card, &form_id, note);
    let ask = |user: u64| async move {
        let (_, c) = fake
            .wait_call(mark, "the question to a person", |c| {
                c.posts_in(Fake::dm_channel(user))
                    && c.body["components"].to_string().contains("llo-peer:yes:")
            })
            .await;
        fake.message(c.response["id"].as_str().unwrap().parse().unwrap())
            .unwrap()
    };
    (ask(ANNA).await, ask(BOB).await)
}

async fn say(fake: &Fake, user: u64, question: &Value, yes: bool) -> Call {
    let prefix = if yes { "llo-peer:yes:" } else { "llo-peer:no:" };
    let mark = fake.mark();
    let i = fake.click(user, question, &with_prefix(question, prefix));
    callback(fake, mark, i).await
}

fn threads_opened(fake: &Fake) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.is("POST", &format!("/channels/{LOBBY}/threads")))
        .collect()
}

fn said_to(fake: &Fake, from: usize, user: u64, text: &str) -> bool {
    fake.calls()[from..]
        .iter()
        .any(|c| c.posts_in(Fake::dm_channel(user)) && content(&c.body) == text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_opted_in_people_with_the_same_concern_and_region_are_introduced_in_one_thread() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    let text = card["embeds"][0].to_string();
    assert!(
        text.contains("user7101") && text.contains("user7102"),
        "{card}"
    );
    let near = msg("peers_near_region").replace("{region}", "Midden-Gelderland");
    assert_eq!(card["embeds"][0]["description"], near.as_str());
    assert!(
        text.contains("Ik heb een klein bouwbedrijf"),
        "her own line"
    );
    assert!(
        !text.contains("Vacatures op onze site"),
        "nothing they did not agree to share"
    );

    let (qa, qb) = approve(fake, &card, "Jullie zoeken allebei vakmensen.").await;
    assert!(content(&qa).contains("user7102") && content(&qa).contains("wil graag kennismaken"));
    assert!(
        content(&qb).contains("Ik heb een klein bouwbedrijf"),
        "{qb}"
    );
    assert!(content(&qa).contains("Jullie zoeken allebei vakmensen."));
    let approved = now(fake, &card);
    assert!(custom_ids(&approved).is_empty(), "decided: no buttons");

    let ya = say(fake, ANNA, &qa, true).await;
    assert_eq!(ya.body["type"], 7);
    assert!(content(&ya.body["data"]).contains(&msg("peers_yes_waiting")));
    assert!(threads_opened(fake).is_empty(), "not before both said yes");
    let mark = fake.mark();
    say(fake, BOB, &qb, true).await;
    let (_, intro) = fake
        .wait_call(mark, "the introduction", |c| {
            content(&c.body).contains(&msg("peers_first_question"))
        })
        .await;
    let opened = threads_opened(fake);
    assert_eq!(opened.len(), 1, "one thread");
    assert_eq!(opened[0].body["type"], 12, "private");
    let thread: u64 = opened[0].response["id"].as_str().unwrap().parse().unwrap();
    assert!(intro.posts_in(thread));
    let mut members = fake.thread_members(thread);
    members.sort();
    assert_eq!(members, vec![ANNA, BOB], "both, and not the coach");
    let t = content(&intro.body);
    assert!(t.contains(&format!("<@{ANNA}>")) && t.contains(&format!("<@{BOB}>")));
    assert!(t.contains("Jullie zoeken allebei vakmensen."), "{t}");
    let card_path = format!(
        "/channels/{COACHES}/messages/{}",
        card["id"].as_str().unwrap()
    );
    fake.wait_call(0, "the card shows the thread", |c| {
        c.is("PATCH", &card_path) && content(&c.body).contains(&format!("<#{thread}>"))
    })
    .await;
    assert!(
        now(fake, &card)["embeds"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "packets gone"
    );

    // A later pass proposes them to nobody again, each other included.
    let mark = fake.mark();
    tick(&w.ticks).await;
    assert!(fake.calls()[mark..].iter().all(|c| !c.posts_in(COACHES)));
    fake.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    let counts = store.peer_counts().unwrap();
    assert_eq!(
        (counts.proposals, counts.introduced, counts.in_pool),
        (1, 1, 2)
    );
    // The export carries the counts, never who.
    let opts = llo_intake::app::export::Options {
        format: llo_intake::app::export::Format::Markdown,
        ..Default::default()
    };
    let mut out = Vec::new();
    llo_intake::app::export::write(&store, &opts, Some(&knowledge().content), &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    let peers = md
        .split("## Kennismakingen")
        .nth(1)
        .expect("a peers paragraph");
    assert!(
        peers.contains("2 ondernemer(s) doen mee") && peers.contains("1 voorgesteld"),
        "{peers}"
    );
    assert!(
        !peers.contains("user710") && !peers.contains("7101"),
        "{peers}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_by_the_coach_ends_it_with_no_thread_and_nobody_is_told() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    // Someone without the coach role cannot decide.
    let mark = fake.mark();
    let i = fake.click(BOB, &card, &with_prefix(&card, "llo-peer:reject:"));
    let refused = callback(fake, mark, i).await;
    assert_eq!(content(&refused.body["data"]), msg("handoff_not_allowed"));
    let mark = fake.mark();
    let i = fake.click(CARLA, &card, &with_prefix(&card, "llo-peer:reject:"));
    let r = callback(fake, mark, i).await;
    assert_eq!(r.body["type"], 7, "the card changes at once");
    assert!(content(&r.body["data"]).contains(&format!("<@{CARLA}>")));
    tick(&w.ticks).await;
    assert!(threads_opened(fake).is_empty());
    for u in [ANNA, BOB] {
        assert!(
            !fake.calls()[mark..]
                .iter()
                .any(|c| c.posts_in(Fake::dm_channel(u))),
            "nobody hears of a rejection"
        );
    }
    fake.assert_clean();
    w.bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_from_either_person_ends_it_quietly_for_the_other() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    let (qa, qb) = approve(fake, &card, "").await;
    say(fake, ANNA, &qa, true).await;
    let mark = fake.mark();
    let no = say(fake, BOB, &qb, false).await;
    assert!(content(&no.body["data"]).contains(&msg("peers_no_ok")));
    fake.wait_call(mark, "the quiet end for Anna", |c| {
        c.posts_in(Fake::dm_channel(ANNA)) && content(&c.body) == msg("peers_not_now")
    })
    .await;
    // A late click on the old question changes nothing.
    let late = say(fake, ANNA, &qa, true).await;
    assert!(content(&late.body["data"]).contains(&msg("peers_not_open")));
    tick(&w.ticks).await;
    assert!(threads_opened(fake).is_empty());
    let declined = msg("peers_card_declined").replace("{id}", &pid(&card));
    assert_eq!(content(&now(fake, &card)), declined);
    fake.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    assert_eq!(store.peer_counts().unwrap().declined, 1);
    // Bob said no to Anna: they are never proposed to each other again.
    assert!(store.peer_matches().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_nobody_answers_times_out_quietly() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    let (_qa, _qb) = approve(fake, &card, "").await;
    w.offset.store(119, Ordering::SeqCst);
    let mark = fake.mark();
    tick(&w.ticks).await;
    assert!(
        !said_to(fake, mark, ANNA, &msg("peers_not_now")),
        "not before the timeout"
    );
    w.offset.store(121, Ordering::SeqCst);
    tick(&w.ticks).await;
    assert!(said_to(fake, mark, ANNA, &msg("peers_not_now")));
    assert!(said_to(fake, mark, BOB, &msg("peers_not_now")));
    assert!(threads_opened(fake).is_empty());
    fake.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    assert_eq!(store.peer_counts().unwrap().timed_out, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_did_not_opt_in_is_never_proposed() {
    let w = pworld().await;
    let fake = &w.fake;
    let a = intake(fake, ANNA, "Arnhem").await;
    let mark = fake.mark();
    opt_in(fake, ANNA, &a, "").await;
    let b = intake(fake, BOB, "Arnhem").await;
    let i = fake.click(BOB, &b, &offer_id(&b, false).unwrap());
    let no = callback(fake, mark, i).await;
    assert_eq!(content(&no.body["data"]), msg("peers_declined"));
    // Cees never answers the offer.
    intake(fake, CEES, "Arnhem").await;
    tick(&w.ticks).await;
    assert!(
        !fake.calls()[mark..].iter().any(|c| c.posts_in(COACHES)),
        "no card: Anna is alone in the pool"
    );
    fake.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    assert_eq!(store.pool().unwrap().len(), 1);
    let bob = store
        .offer_answer(&BOB.to_string(), "peers")
        .unwrap()
        .unwrap();
    assert!(!bob.accepted);
    assert_eq!(
        store.offer_answer(&CEES.to_string(), "peers").unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_during_a_proposal_removes_it_and_blanks_the_card() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    let (_qa, _qb) = approve(fake, &card, "").await;

    // Bob's own data shows his answer and his place in the pool.
    let i = fake.slash(BOB, "mijn-gegevens", Fake::dm_channel(BOB), false);
    let (_, call) = fake
        .wait_call(0, "the overview", |c| {
            c.path.contains(&format!("tok-{i}")) && c.status == 200 && c.method == "POST"
        })
        .await;
    let overview = call.response;
    let text = content(&overview);
    assert!(text.contains(&msg("mydata_offer_peers")), "{text}");
    assert!(text.contains(&msg("mydata_peers_proposed")), "{text}");

    let mark = fake.mark();
    let del = with_prefix(&overview, "llo-me:delete");
    fake.click(BOB, &overview, &del);
    let (_, ask) = fake
        .wait_call(mark, "the question", |c| c.path.ends_with("/callback"))
        .await;
    assert_eq!(content(&ask.body["data"]), msg("mydata_confirm"));
    let asked = now(fake, &overview);
    let mark = fake.mark();
    fake.click(BOB, &asked, &with_prefix(&asked, "llo-me:confirm"));
    fake.wait_call(mark, "the quiet end for Anna", |c| {
        c.posts_in(Fake::dm_channel(ANNA)) && content(&c.body) == msg("peers_not_now")
    })
    .await;
    card_edit(fake, mark, &card, &msg("handoff_card_removed")).await;
    let blank = now(fake, &card);
    assert!(blank["embeds"].as_array().is_none_or(Vec::is_empty));
    assert!(custom_ids(&blank).is_empty());
    fake.assert_clean();
    w.bot.stop().await;

    let store = open_store(w.dir.path()).await;
    assert!(
        store.proposals().unwrap().is_empty(),
        "the proposal is gone"
    );
    let pool = store.pool().unwrap();
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].1.user, ANNA.to_string(), "only Anna stays");
    assert!(store.offer_answers(&BOB.to_string()).unwrap().is_empty());
    // Nothing readable about Bob is left in the peer table.
    for (k, v) in store.raw_records("peers").unwrap() {
        let raw = String::from_utf8_lossy(&[k, v].concat()).into_owned();
        assert!(
            !raw.contains("user7102") && !raw.contains(&BOB.to_string()),
            "{raw}"
        );
    }
}

/// `user` runs `/kennismaken` in their DM; returns the ephemeral answer.
async fn kennismaken(fake: &Fake, user: u64) -> Value {
    let mark = fake.mark();
    let i = fake.slash(user, "kennismaken", Fake::dm_channel(user), false);
    let (_, call) = fake
        .wait_call(mark, "the answer to /kennismaken", |c| {
            c.path.contains(&format!("tok-{i}")) && c.status == 200 && c.method == "POST"
        })
        .await;
    assert_eq!(call.body["flags"], 64, "ephemeral");
    call.response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_province_is_said_and_withdrawing_with_the_command_ends_it_quietly() {
    let w = pworld().await;
    let fake = &w.fake;
    // Before any intake, the command says what it needs.
    let none = kennismaken(fake, ANNA).await;
    assert_eq!(content(&none), msg("peers_need_intake"));
    let a = intake(fake, ANNA, "Arnhem").await;
    opt_in(fake, ANNA, &a, "").await;
    let b = intake(fake, BOB, "Nijmegen").await;
    let mark = fake.mark();
    opt_in(fake, BOB, &b, "").await;
    let card = card_after(fake, mark).await;
    let near = msg("peers_near_province").replace("{province}", "Gelderland");
    assert_eq!(card["embeds"][0]["description"], near.as_str(), "{card}");

    let shown = kennismaken(fake, ANNA).await;
    assert_eq!(content(&shown), msg("peers_in_pool"));
    let mark = fake.mark();
    let i = fake.click(ANNA, &shown, &with_prefix(&shown, "llo-peer:withdraw"));
    let r = callback(fake, mark, i).await;
    assert_eq!(content(&r.body["data"]), msg("peers_withdrawn"));
    let withdrawn = msg("peers_card_withdrawn").replace("{id}", &pid(&card));
    card_edit(fake, mark, &card, &withdrawn).await;
    assert!(
        !fake.calls()[mark..]
            .iter()
            .any(|c| c.posts_in(Fake::dm_channel(BOB))),
        "Bob was never asked, so he hears nothing"
    );
    // Out of the pool, the command offers it again, with its consent text.
    let again = kennismaken(fake, ANNA).await;
    assert!(content(&again).contains(&msg("peers_consent")));
    assert!(offer_id(&again, true).is_some());
    fake.assert_clean();
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    assert_eq!(store.pool().unwrap().len(), 1, "only Bob");
    let anna = store
        .offer_answer(&ANNA.to_string(), "peers")
        .unwrap()
        .unwrap();
    assert!(!anna.accepted, "withdrawn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_on_the_command_line_queues_the_card_and_the_others_notice() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    approve(fake, &card, "").await;
    w.bot.stop().await;

    let store = open_store(w.dir.path()).await;
    llo_intake::app::privacy::forget(&store, &ANNA.to_string()).unwrap();
    assert!(store.proposals().unwrap().is_empty());
    let queued = store.pending_cards().unwrap();
    assert!(
        queued
            .iter()
            .any(|p| p.card.message == card["id"].as_str().unwrap()),
        "the match card waits to be blanked"
    );
    let notices = store.pending_peer_notices().unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].notice.user, BOB.to_string());
    drop(store);

    // The next start blanks the card; the next pass tells Bob, once.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        peer_ticks: Some(rx),
        ..Default::default()
    };
    let mark = fake.mark();
    let bot = Running::start_with(fake, pconfig(fake), w.dir.path(), hooks).await;
    card_edit(fake, mark, &card, &msg("handoff_card_removed")).await;
    tick(&tx).await;
    tick(&tx).await;
    let told = fake.calls()[mark..]
        .iter()
        .filter(|c| c.posts_in(Fake::dm_channel(BOB)) && content(&c.body) == msg("peers_not_now"))
        .count();
    assert_eq!(told, 1, "once");
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_data_shows_the_packet_without_the_other_and_the_retention_sweep_empties_the_pool() {
    let w = pworld().await;
    let fake = &w.fake;
    let card = two_in_the_pool(fake).await;
    w.bot.stop().await;
    let store = open_store(w.dir.path()).await;
    let mine = llo_intake::app::privacy::own_data(&store, &ANNA.to_string()).unwrap();
    assert_eq!(mine["offers"][0]["offer"], "peers");
    assert_eq!(mine["offers"][0]["accepted"], true);
    assert_eq!(
        mine["peers"]["shared"]["line"],
        "Ik heb een klein bouwbedrijf"
    );
    assert_eq!(mine["peers"]["proposals"][0]["stage"], "coach");
    let raw = mine.to_string();
    assert!(
        !raw.contains("user7102") && !raw.contains(&BOB.to_string()),
        "nothing about Bob: {raw}"
    );

    // Past the retention period, both go, with their proposal and card.
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    llo_intake::app::privacy::purge(&store, 1, later).unwrap();
    assert!(store.pool().unwrap().is_empty());
    assert!(store.proposals().unwrap().is_empty());
    assert!(store.raw_records("offers").unwrap().is_empty());
    assert!(store
        .pending_cards()
        .unwrap()
        .iter()
        .any(|p| p.card.message == card["id"].as_str().unwrap()));
}
