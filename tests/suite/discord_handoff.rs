//! The hand-off to a coach, end to end on the fake Discord with the real
//! serenity + poise client (`llo_intake::discord::run_with`). Waits are on
//! the recorded REST log; the reminder test moves a test clock and asks the
//! reminder loop for single passes, so nothing sleeps.

use crate::support;

use llo_intake::app::store::Role;
use llo_intake::content::text::Lang;
use llo_intake::discord::{DiscordConfig, Mode};
use llo_intake::domain::conversation::Status;
use llo_intake::domain::conversation::{EventKind, Outcome};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::bot::{config, knowledge, open_store, Chat, Running};
use support::{button, step_of, Call, Fake, Opt, APP_ID, COACHES, COACHES_GELDERLAND, LOBBY};

const ANNA: u64 = 7001;
const BOB: u64 = 7002;
const CARLA: u64 = 7003;
const DIRK: u64 = 7004;
const MO: u64 = 7005;
const COACH_ROLE: u64 = 800;
const MOD_ROLE: u64 = 801;

fn msg(key: &str) -> String {
    knowledge().msg(key, Lang::Nl)
}

fn content(m: &Value) -> &str {
    m["content"].as_str().unwrap_or("")
}

fn hconfig(fake: &Fake) -> DiscordConfig {
    let mut c = config(fake);
    c.coach_role = Some(COACH_ROLE);
    c.moderator_role = Some(MOD_ROLE);
    c.coach_channel = Some(COACHES);
    c.message_content_intent = true;
    c
}

async fn hworld(tune: impl FnOnce(&mut DiscordConfig)) -> (Fake, tempfile::TempDir, Running) {
    let fake = Fake::start().await;
    fake.set_roles(CARLA, &[COACH_ROLE]);
    fake.set_roles(DIRK, &[COACH_ROLE]);
    fake.set_roles(MO, &[MOD_ROLE]);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = hconfig(&fake);
    tune(&mut cfg);
    let bot = Running::start(&fake, cfg, dir.path()).await;
    (fake, dir, bot)
}

/// ANNA answers up to the size question and then types "coach".
async fn ask_for_coach_at_size(fake: &Fake, chat: &mut Chat<'_>) {
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "bouw");
    chat.question("size").await;
    fake.dm(ANNA, "coach");
}

/// The first card posted in `channel` after call `from`.
async fn card_in(fake: &Fake, from: usize, channel: u64) -> Value {
    let (_, call) = fake
        .wait_call(from, "a hand-off card", |c| c.posts_in(channel))
        .await;
    let id: u64 = call.response["id"].as_str().unwrap().parse().unwrap();
    fake.message(id).unwrap()
}

fn claim_id(card: &Value) -> String {
    support::custom_ids(card)
        .into_iter()
        .find(|id| id.starts_with("llo:claim:"))
        .unwrap_or_else(|| panic!("no claim button on {card}"))
}

fn is_answer_to(c: &Call, interaction: u64) -> bool {
    c.path
        .starts_with(&format!("/webhooks/{APP_ID}/tok-{interaction}"))
        && matches!(c.method.as_str(), "POST" | "PATCH")
}

/// The (deferred, then edited or followed-up) answer to an interaction.
async fn answer_to(fake: &Fake, from: usize, interaction: u64) -> Call {
    fake.wait_call(from, "the answer to an interaction", |c| {
        is_answer_to(c, interaction)
    })
    .await
    .1
}

/// A coach claims the card; returns the text they were answered with.
async fn claim(fake: &Fake, coach: u64, card: &Value) -> String {
    let mark = fake.mark();
    let i = fake.click(coach, card, &claim_id(card));
    answer_to(fake, mark, i).await.body["content"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A slash command; returns its ephemeral answer (checked to be ephemeral).
async fn command(fake: &Fake, user: u64, name: &str, channel: u64, opts: &[(&str, Opt)]) -> String {
    let mark = fake.mark();
    let i = fake.slash_with(user, name, channel, opts);
    let (_, ack) = fake
        .wait_call(mark, "the command's acknowledgement", |c| {
            c.path.starts_with(&format!("/interactions/{i}/"))
        })
        .await;
    assert_eq!(ack.body["data"]["flags"], 64, "deferred ephemerally");
    let a = answer_to(fake, mark, i).await;
    if a.method == "POST" {
        assert_eq!(a.body["flags"], 64, "an ephemeral answer: {}", a.body);
    }
    a.body["content"].as_str().unwrap_or("").to_string()
}

/// The private coach thread opened under `parent` after `from`.
async fn coach_thread(fake: &Fake, from: usize, parent: u64) -> u64 {
    let (_, t) = fake
        .wait_call(from, "a coach thread", |c| {
            c.is("POST", &format!("/channels/{parent}/threads"))
        })
        .await;
    assert_eq!(t.body["type"], 12, "private");
    t.response["id"].as_str().unwrap().parse().unwrap()
}

fn posts_since(fake: &Fake, from: usize, channel: u64) -> Vec<Call> {
    fake.calls()[from..]
        .iter()
        .filter(|c| c.posts_in(channel))
        .cloned()
        .collect()
}

fn card_now(fake: &Fake, card: &Value) -> Value {
    fake.message(card["id"].as_str().unwrap().parse().unwrap())
        .unwrap()
}

fn field<'a>(card: &'a Value, name_key: &str) -> &'a str {
    let name = msg(name_key);
    card["embeds"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name.as_str())
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name} on {card}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_posts_a_card_with_the_packet_in_the_provinces_channel() {
    let (fake, dir, bot) = hworld(|c| {
        c.coach_channels
            .insert("gelderland".into(), COACHES_GELDERLAND);
    })
    .await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "bouw");
    chat.question("size").await;
    fake.dm(ANNA, "4");
    chat.question("region").await;
    fake.dm(ANNA, "Gelderland");
    chat.question("tried").await;
    fake.dm(ANNA, "Vacatures op onze site gezet");
    let offer = chat.question("handoff_offer").await;
    let mark = fake.mark();
    fake.click(ANNA, &offer, &button(&offer, "yes"));

    let card = card_in(&fake, mark, COACHES_GELDERLAND).await;
    assert!(
        posts_since(&fake, mark, COACHES).is_empty(),
        "province channel only"
    );
    let k = knowledge();
    assert!(content(&card).contains(&format!("<@{ANNA}>")), "{card}");
    assert!(content(&card).contains(&msg("handoff_reason_offer_accepted")));
    let recruitment = k.content.concern("recruitment").unwrap().label.nl.clone();
    assert_eq!(field(&card, "handoff_field_concerns"), recruitment);
    assert_eq!(
        field(&card, "handoff_field_sector"),
        k.content.sector("bouw").unwrap().label.nl
    );
    assert_eq!(
        field(&card, "handoff_field_size"),
        k.content.size("micro").unwrap().label.nl
    );
    assert_eq!(field(&card, "handoff_field_region"), "Gelderland");
    assert!(field(&card, "handoff_field_tried").contains("Vacatures op onze site gezet"));
    assert_eq!(field(&card, "handoff_field_language"), "nl");
    assert_eq!(field(&card, "handoff_field_consent"), msg("yes"));
    assert!(field(&card, "handoff_field_waiting").starts_with("<t:"));
    assert!(field(&card, "handoff_field_excerpt").contains("Vacatures op onze site gezet"));
    let buttons = support::custom_ids(&card);
    assert!(buttons.iter().any(|b| b.starts_with("llo:claim:")));
    assert!(buttons.iter().any(|b| b.starts_with("llo:assign:")));
    // The entrepreneur hears their place in the queue.
    let (_, told) = fake
        .wait_call(mark, "the queue notice", |c| {
            c.posts_in(Fake::dm_channel(ANNA))
                && c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("nummer 1"))
        })
        .await;
    assert!(!told.body["content"].as_str().unwrap().contains('<'));
    fake.assert_clean();
    bot.stop().await;

    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    let routes = field(&card, "handoff_field_routes");
    assert!(!conv.recommended.is_empty());
    let first = k.content.route(&conv.recommended[0]).unwrap();
    assert!(routes.contains(&first.title.nl), "{routes}");
    let card_ref = conv.handoff.as_ref().unwrap().card.as_ref().unwrap();
    assert_eq!(card_ref.channel, COACHES_GELDERLAND.to_string());
    assert_eq!(card_ref.message, card["id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_claims_give_exactly_one_winner() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let claims = fake.mark();
    let a = fake.click(CARLA, &card, &claim_id(&card));
    let b = fake.click(DIRK, &card, &claim_id(&card));
    let ta = answer_to(&fake, claims, a).await.body["content"]
        .as_str()
        .unwrap()
        .to_string();
    let tb = answer_to(&fake, claims, b).await.body["content"]
        .as_str()
        .unwrap()
        .to_string();
    let won = msg("handoff_claimed_you");
    let won = won.split('{').next().unwrap();
    let (winner, loser_text) = match (ta.starts_with(won), tb.starts_with(won)) {
        (true, false) => (CARLA, tb),
        (false, true) => (DIRK, ta),
        other => panic!("exactly one winner expected: {other:?}\n{ta}\n{tb}"),
    };
    assert_eq!(
        loser_text,
        msg("handoff_already_claimed").replace("{coach}", &format!("<@{winner}>"))
    );
    // The card shows who has it and no longer offers a claim.
    let now = card_now(&fake, &card);
    assert!(content(&now).contains(&format!("<@{winner}>")), "{now}");
    assert!(!support::custom_ids(&now)
        .iter()
        .any(|b| b.starts_with("llo:claim:")));
    // The entrepreneur heard once that a coach takes over.
    let taken = msg("handoff_taken_over");
    let taken = taken.split("{coach}").nth(1).unwrap();
    let told = posts_since(&fake, claims, Fake::dm_channel(ANNA))
        .into_iter()
        .filter(|c| c.body["content"].as_str().unwrap_or("").contains(taken))
        .count();
    assert_eq!(told, 1);
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    let h = conv.handoff.as_ref().unwrap();
    assert_eq!(h.coach, Some(winner.to_string()));
    let claimed = conv
        .handoff_log
        .iter()
        .filter(|e| e.kind == EventKind::Claimed)
        .count();
    assert_eq!(claimed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_thread_mode_the_coach_is_added_to_the_private_thread() {
    let (fake, _dir, bot) = hworld(|c| c.mode = Mode::Thread).await;
    let mark = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    let (_, created) = fake
        .wait_call(mark, "the intake thread", |c| c.path.ends_with("/threads"))
        .await;
    let thread: u64 = created.response["id"].as_str().unwrap().parse().unwrap();
    let mut chat = Chat::new(&fake, thread);
    chat.cursor = mark;
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    let asked = fake.mark();
    fake.say_in(ANNA, thread, "Ik wil met een mens praten, coach graag");
    let card = card_in(&fake, asked, COACHES).await;
    assert_eq!(fake.thread_members(thread), vec![ANNA]);
    let text = claim(&fake, CARLA, &card).await;
    assert!(text.contains(&format!("<#{thread}>")), "{text}");
    assert_eq!(fake.thread_members(thread), vec![ANNA, CARLA]);
    // No extra thread for the coach: they talk in the entrepreneur's thread.
    let threads = fake
        .calls()
        .iter()
        .filter(|c| c.path.ends_with("/threads"))
        .count();
    assert_eq!(threads, 1);
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_claimed_the_bot_is_quiet_and_the_transcript_keeps_both_sides() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let claimed = fake.mark();
    claim(&fake, CARLA, &card).await;
    let thread = coach_thread(&fake, claimed, COACHES).await;
    assert_eq!(fake.thread_members(thread), vec![CARLA]);

    // The entrepreneur writes: the coach gets it in the coach thread, the
    // bot says nothing in the DM.
    let quiet = fake.mark();
    fake.dm(ANNA, "Hallo, ik zoek hulp met BBL-leerlingen");
    let (_, relayed) = fake
        .wait_call(quiet, "the relay to the coach", |c| c.posts_in(thread))
        .await;
    assert!(relayed.body["content"]
        .as_str()
        .unwrap()
        .contains("BBL\\-leerlingen"));
    assert!(
        posts_since(&fake, quiet, dm).is_empty(),
        "the bot stays quiet"
    );
    // The coach answers in the thread; the entrepreneur gets it in the DM.
    let back = fake.mark();
    fake.say_in(CARLA, thread, "Hoi Anna, ik bel je morgen");
    let (_, to_anna) = fake
        .wait_call(back, "the relay to the entrepreneur", |c| c.posts_in(dm))
        .await;
    assert!(to_anna.body["content"]
        .as_str()
        .unwrap()
        .contains("Hoi Anna, ik bel je morgen"));
    // Someone else in the coach thread is not relayed.
    let other = fake.mark();
    fake.say_in(DIRK, thread, "Ik kijk even mee");
    fake.dm(ANNA, "Top, dank je");
    fake.wait_call(other, "the second relay", |c| c.posts_in(thread))
        .await;
    assert!(posts_since(&fake, other, dm).is_empty());
    fake.assert_clean();
    bot.stop().await;

    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    let t = store.transcript(&conv.id).unwrap();
    let has = |role: Role, text: &str| t.iter().any(|e| e.role == role && e.text.contains(text));
    assert!(has(Role::User, "BBL-leerlingen"));
    assert!(has(Role::User, "Top, dank je"));
    assert!(has(Role::Coach, "ik bel je morgen"));
    assert!(!t.iter().any(|e| e.text.contains("Ik kijk even mee")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_back_makes_the_bot_ask_the_pending_question_again() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let claimed = fake.mark();
    claim(&fake, CARLA, &card).await;
    let thread = coach_thread(&fake, claimed, COACHES).await;
    // Another coach may not hand it back.
    let refused = command(&fake, DIRK, "handback", thread, &[]).await;
    assert!(refused.contains(&format!("<@{CARLA}>")), "{refused}");
    chat.cursor = fake.mark();
    let done = command(&fake, CARLA, "handback", thread, &[]).await;
    assert_eq!(done, msg("handoff_done_handback"));
    let size = chat.question("size").await;
    assert!(content(&size).starts_with(&msg("handed_back")), "{size}");
    // The coach thread says that typing there no longer reaches her.
    let ended = fake.bot_messages(thread);
    assert_eq!(
        content(ended.last().unwrap()),
        msg("handoff_thread_ended"),
        "{ended:?}"
    );
    assert_eq!(step_of(&size).as_deref(), Some("size"));
    // The bot talks again: the answer moves the intake on.
    fake.click(ANNA, &size, &button(&size, "micro"));
    chat.question("region").await;
    let now = card_now(&fake, &card);
    assert!(content(&now).contains(&format!("<@{CARLA}>")));
    assert!(
        support::custom_ids(&now).is_empty(),
        "a handed-back card has no buttons"
    );
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.status, Status::Active);
    assert_eq!(conv.answers.sector.as_deref(), Some("bouw"), "answers kept");
    assert_eq!(conv.answers.size.as_deref(), Some("micro"));
    let kinds: Vec<EventKind> = conv.handoff_log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Requested,
            EventKind::Claimed,
            EventKind::HandedBack
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_with_an_outcome_ends_the_conversation_and_updates_the_card() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let claimed = fake.mark();
    claim(&fake, CARLA, &card).await;
    let thread = coach_thread(&fake, claimed, COACHES).await;
    let closing = fake.mark();
    let done = command(
        &fake,
        CARLA,
        "close",
        thread,
        &[
            ("outcome", Opt::Int(1)), /* referred: poise sends a choice as its index */
        ],
    )
    .await;
    assert_eq!(
        done,
        msg("handoff_done_close").replace("{outcome}", &msg("handoff_outcome_referred"))
    );
    let told = posts_since(&fake, closing, dm);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].body["content"], msg("handoff_closed_user"));
    let now = card_now(&fake, &card);
    assert!(
        content(&now).contains(&msg("handoff_outcome_referred")),
        "{now}"
    );
    assert!(support::custom_ids(&now).is_empty());
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.status, Status::Ended);
    let h = conv.handoff.as_ref().unwrap();
    assert_eq!(h.outcome, Some(Outcome::Referred));
    assert!(h.closed_at.is_some() && h.claimed_at.is_some());
    let kinds: Vec<EventKind> = conv.handoff_log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Requested, EventKind::Claimed, EventKind::Closed]
    );
    assert!(store
        .active_conversation(&ANNA.to_string())
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_note_never_reaches_the_entrepreneur() {
    const SECRET: &str = "GEHEIM-7731 twijfelt over loonkosten";
    // Thread mode: the coach works in the entrepreneur's own thread.
    let (fake, dir, bot) = hworld(|c| c.mode = Mode::Thread).await;
    let mark = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    let (_, created) = fake
        .wait_call(mark, "the intake thread", |c| c.path.ends_with("/threads"))
        .await;
    let thread: u64 = created.response["id"].as_str().unwrap().parse().unwrap();
    let mut chat = Chat::new(&fake, thread);
    chat.cursor = mark;
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    let asked = fake.mark();
    fake.say_in(ANNA, thread, "coach");
    let card = card_in(&fake, asked, COACHES).await;
    claim(&fake, CARLA, &card).await;
    let noted = command(
        &fake,
        CARLA,
        "note",
        thread,
        &[("text", Opt::Str(SECRET.into()))],
    )
    .await;
    assert_eq!(noted, msg("handoff_done_note"));
    let closed = command(
        &fake,
        CARLA,
        "close",
        thread,
        &[
            ("outcome", Opt::Int(0)),
            ("note", Opt::Str(format!("{SECRET} (slot)"))),
        ],
    )
    .await;
    assert!(!closed.contains("GEHEIM"));
    // Not one REST call the bot made carries the note: no message, no edit,
    // no card, no answer.
    let leaks: Vec<Call> = fake
        .calls()
        .into_iter()
        .filter(|c| c.body.to_string().contains("GEHEIM"))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    let notes: Vec<_> = store
        .transcript(&conv.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.role == Role::Note)
        .collect();
    assert_eq!(notes.len(), 2, "both notes are kept for the coaches");
    assert_eq!(notes[0].author.as_deref(), Some(CARLA.to_string().as_str()));
    let own = llo_intake::app::privacy::own_data(&store, &ANNA.to_string()).unwrap();
    assert!(!own.to_string().contains("GEHEIM"), "{own}");
    assert!(
        own.to_string().contains("coach"),
        "the export has the conversation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_coaches_claim_and_only_moderators_hand_off() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let before = card_now(&fake, &card);
    for who in [BOB, MO] {
        let m = fake.mark();
        let i = fake.click(who, &card, &claim_id(&card));
        let (_, r) = fake
            .wait_call(m, "the refusal", |c| {
                c.path.starts_with(&format!("/interactions/{i}/"))
            })
            .await;
        assert_eq!(r.body["type"], 4);
        assert_eq!(r.body["data"]["flags"], 64, "ephemeral");
        assert_eq!(r.body["data"]["content"], msg("handoff_not_coach"));
    }
    assert_eq!(card_now(&fake, &card), before, "the card is unchanged");
    // Coach and moderator commands refuse others politely.
    for (who, name, opts, key) in [
        (BOB, "queue", vec![], "handoff_not_allowed"),
        (BOB, "handback", vec![], "handoff_not_allowed"),
        (
            CARLA,
            "handoff",
            vec![("user", Opt::User(ANNA))],
            "handoff_not_moderator",
        ),
    ] {
        let text = command(&fake, who, name, COACHES, &opts).await;
        assert_eq!(text, msg(key), "{name}");
    }
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert!(conv.handoff.as_ref().unwrap().coach.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_claimed_keeps_it_claimed() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let claimed = fake.mark();
    claim(&fake, CARLA, &card).await;
    let thread = coach_thread(&fake, claimed, COACHES).await;
    bot.stop().await;

    let bot = Running::start(&fake, hconfig(&fake), dir.path()).await;
    // A second coach clicking the old card is told who has it.
    let late = claim(&fake, DIRK, &card).await;
    assert_eq!(
        late,
        msg("handoff_already_claimed").replace("{coach}", &format!("<@{CARLA}>"))
    );
    // The bot stays quiet and the relay still works.
    let quiet = fake.mark();
    fake.dm(ANNA, "Ben je er nog?");
    fake.wait_call(quiet, "the relay after the restart", |c| c.posts_in(thread))
        .await;
    assert!(posts_since(&fake, quiet, dm).is_empty());
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.status, Status::Handoff);
    assert_eq!(
        conv.handoff.as_ref().unwrap().coach,
        Some(CARLA.to_string())
    );
}

type Ticks = tokio::sync::mpsc::UnboundedSender<llo_intake::discord::Tick>;

/// Runs one pass of the reminder loop and waits until it is done.
async fn tick(ticks: &Ticks) {
    let (done, wait) = tokio::sync::oneshot::channel();
    ticks.send(done).unwrap();
    tokio::time::timeout(support::WAIT, wait)
        .await
        .expect("the reminder pass ends")
        .unwrap();
}

fn hooks(offset: &Arc<AtomicI64>) -> (llo_intake::discord::Hooks, Ticks) {
    let o = offset.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = llo_intake::discord::Hooks {
        clock: Some(Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::minutes(o.load(Ordering::SeqCst))
        })),
        reminder_ticks: Some(rx),
        ..Default::default()
    };
    (hooks, tx)
}

fn reminders(fake: &Fake) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| {
            c.posts_in(COACHES)
                && c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains(&format!("<@&{COACH_ROLE}>")))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_pings_the_coach_role_once_after_the_wait_even_across_a_restart() {
    let fake = Fake::start().await;
    fake.allow_role_ping(COACH_ROLE);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = hconfig(&fake);
    cfg.reminder_after_mins = 10;
    let offset = Arc::new(AtomicI64::new(0));
    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, cfg.clone(), dir.path(), h).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    card_in(&fake, mark, COACHES).await;

    offset.store(9, Ordering::SeqCst);
    tick(&ticks).await;
    assert!(reminders(&fake).is_empty(), "not before the wait");
    offset.store(10, Ordering::SeqCst);
    tick(&ticks).await;
    let sent = reminders(&fake);
    assert_eq!(sent.len(), 1);
    let am = &sent[0].body["allowed_mentions"];
    assert_eq!(am["parse"], serde_json::json!([]), "no @everyone, no users");
    assert_eq!(am["roles"], serde_json::json!([COACH_ROLE.to_string()]));
    offset.store(30, Ordering::SeqCst);
    tick(&ticks).await;
    assert_eq!(reminders(&fake).len(), 1, "once");
    bot.stop().await;

    let (h, ticks) = hooks(&offset);
    let bot = Running::start_with(&fake, cfg, dir.path(), h).await;
    tick(&ticks).await;
    assert_eq!(reminders(&fake).len(), 1, "still once after a restart");
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert!(conv.handoff.as_ref().unwrap().reminded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_hands_off_the_queue_shows_it_and_a_transfer_moves_it() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    let mark = fake.mark();
    let done = command(
        &fake,
        MO,
        "handoff",
        COACHES,
        &[
            ("user", Opt::User(ANNA)),
            ("note", Opt::Str("Belde eerder met de balie".into())),
        ],
    )
    .await;
    assert_eq!(done, msg("handoff_done_handoff"));
    let card = card_in(&fake, mark, COACHES).await;
    assert!(content(&card).contains(&msg("handoff_reason_moderator")));
    let told = posts_since(&fake, mark, dm);
    assert!(told
        .iter()
        .any(|c| c.body["content"] == msg("handoff_requested")));
    let queue = command(&fake, CARLA, "queue", COACHES, &[]).await;
    assert!(queue.starts_with(&format!("1. <@{ANNA}>")), "{queue}");
    // A transfer to someone without the coach role is refused.
    claim(&fake, CARLA, &card).await;
    let no = command(
        &fake,
        CARLA,
        "transfer",
        COACHES,
        &[("coach", Opt::User(BOB))],
    )
    .await;
    assert_eq!(no, msg("handoff_not_here"));
    let claimed_thread = coach_thread(&fake, mark, COACHES).await;
    let no = command(
        &fake,
        CARLA,
        "transfer",
        claimed_thread,
        &[("coach", Opt::User(BOB))],
    )
    .await;
    assert_eq!(
        no,
        msg("handoff_target_not_coach").replace("{coach}", &format!("<@{BOB}>"))
    );
    let moved = command(
        &fake,
        CARLA,
        "transfer",
        claimed_thread,
        &[("coach", Opt::User(DIRK))],
    )
    .await;
    assert_eq!(
        moved,
        msg("handoff_done_transfer").replace("{coach}", &format!("<@{DIRK}>"))
    );
    assert_eq!(fake.thread_members(claimed_thread), vec![CARLA, DIRK]);
    assert!(content(&card_now(&fake, &card)).contains(&format!("<@{DIRK}>")));
    let empty = command(&fake, DIRK, "queue", COACHES, &[]).await;
    assert_eq!(empty, msg("handoff_queue_empty"));
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.handoff.as_ref().unwrap().coach, Some(DIRK.to_string()));
    let kinds: Vec<EventKind> = conv.handoff_log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Requested,
            EventKind::Claimed,
            EventKind::Transferred
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_two_misunderstandings_the_person_picks_a_coach_and_hears_when_outside_hours() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = hconfig(&fake);
    cfg.support_hours = Some(llo_intake::domain::handoff::SupportHours {
        days: ["mon", "tue", "wed", "thu", "fri"]
            .map(String::from)
            .to_vec(),
        open: "09:00".into(),
        close: "17:00".into(),
        timezone: "Europe/Amsterdam".into(),
    });
    // Saturday 28 November 2026, 12:00 UTC: closed until Monday 09:00.
    let saturday =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 28, 12, 0, 0).unwrap();
    let h = llo_intake::discord::Hooks {
        clock: Some(Arc::new(move || saturday)),
        reminder_ticks: None,
        ..Default::default()
    };
    let bot = Running::start_with(&fake, cfg, dir.path(), h).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "qwerty");
    chat.question("sector").await;
    fake.dm(ANNA, "asdfgh");
    let offered = chat.question("sector").await;
    assert!(content(&offered).starts_with(&msg("offer_human")));
    let mark = fake.mark();
    fake.click(ANNA, &offered, &button(&offered, "human"));
    let card = card_in(&fake, mark, COACHES).await;
    assert!(content(&card).contains(&msg("handoff_reason_misunderstood")));
    let (_, told) = fake
        .wait_call(mark, "the queue notice", |c| {
            c.posts_in(dm)
                && c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("nummer 1"))
        })
        .await;
    let expected = format!(
        "{} {}",
        msg("handoff_queue_position").replace("{position}", "1"),
        msg("handoff_outside_hours").replace("{when}", "maandag 09:00")
    );
    assert_eq!(told.body["content"], expected.as_str());
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_assigns_a_waiting_conversation_to_a_coach() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let assign = support::custom_ids(&card)
        .into_iter()
        .find(|id| id.starts_with("llo:assign:"))
        .unwrap();
    // A coach is not a moderator.
    let m = fake.mark();
    let i = fake.click(CARLA, &card, &assign);
    let (_, r) = fake
        .wait_call(m, "the refusal", |c| {
            c.path.starts_with(&format!("/interactions/{i}/"))
        })
        .await;
    assert_eq!(r.body["data"]["content"], msg("handoff_not_moderator"));
    assert_eq!(r.body["data"]["flags"], 64);
    // The moderator gets a coach picker; someone without the coach role is refused.
    let pick = |who: u64| {
        let fake = &fake;
        let card = &card;
        let assign = &assign;
        async move {
            let m = fake.mark();
            let i = fake.click(MO, card, assign);
            fake.wait_call(m, "the picker", |c| {
                c.path.starts_with(&format!("/interactions/{i}/"))
            })
            .await;
            let picker = fake.response_message(i).expect("a picker");
            let id = support::custom_ids(&picker)[0].clone();
            let m = fake.mark();
            let j = fake.select_users(MO, &picker, &id, &[who]);
            let (_, r) = fake
                .wait_call(m, "the answer to the pick", |c| {
                    c.path.starts_with(&format!("/interactions/{j}/"))
                })
                .await;
            (m, j, r)
        }
    };
    let (_, _, r) = pick(BOB).await;
    assert_eq!(
        r.body["data"]["content"],
        msg("handoff_target_not_coach").replace("{coach}", &format!("<@{BOB}>"))
    );
    let (m, j, _) = pick(DIRK).await;
    let done = answer_to(&fake, m, j).await;
    assert_eq!(
        done.body["content"],
        msg("handoff_done_transfer").replace("{coach}", &format!("<@{DIRK}>"))
    );
    let thread = coach_thread(&fake, m, COACHES).await;
    assert_eq!(fake.thread_members(thread), vec![DIRK]);
    assert!(content(&card_now(&fake, &card)).contains(&format!("<@{DIRK}>")));
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.handoff.as_ref().unwrap().coach, Some(DIRK.to_string()));
    let last = conv.handoff_log.last().unwrap();
    assert_eq!(last.kind, EventKind::Transferred);
    assert_eq!(last.by, Some(MO.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_hand_off_asked_before_consent_keeps_nothing_not_even_the_card() {
    let (fake, dir, bot) = hworld(|_| {}).await;
    let dm = Fake::dm_channel(ANNA);
    let mut chat = Chat::new(&fake, dm);
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    let mark = fake.mark();
    fake.dm(ANNA, "ik wil een coach");
    let card = card_in(&fake, mark, COACHES).await;
    assert_eq!(
        field(&card, "handoff_field_consent"),
        msg("handoff_unknown")
    );
    let claimed = fake.mark();
    claim(&fake, CARLA, &card).await;
    let thread = coach_thread(&fake, claimed, COACHES).await;
    let done = command(&fake, CARLA, "close", thread, &[("outcome", Opt::Int(2))]).await;
    assert_eq!(
        done,
        msg("handoff_done_close").replace("{outcome}", &msg("handoff_outcome_no_show"))
    );
    let now = card_now(&fake, &card);
    assert_eq!(content(&now), msg("handoff_card_removed"));
    assert!(now["embeds"].as_array().is_none_or(Vec::is_empty));
    assert!(support::custom_ids(&now).is_empty());
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    assert!(store.conversations().unwrap().is_empty());
}

/// Every coach command declares its permission (coaches and moderators):
/// someone with neither role hears the content sentence, ephemeral, and a
/// coach using the moderators' `/handoff` hears that it takes a moderator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_coach_command_refuses_others_with_the_content_sentence() {
    let (fake, _dir, bot) = hworld(|_| {}).await;
    for (name, opts) in [
        ("queue", vec![]),
        ("handback", vec![]),
        ("close", vec![("outcome", Opt::Int(0))]),
        ("transfer", vec![("coach", Opt::User(CARLA))]),
        ("note", vec![("text", Opt::Str("geheim".into()))]),
        ("reply", vec![("text", Opt::Str("hallo".into()))]),
        ("handoff", vec![("user", Opt::User(ANNA))]),
    ] {
        let text = command(&fake, BOB, name, COACHES, &opts).await;
        assert_eq!(text, msg("handoff_not_allowed"), "/{name}");
    }
    let text = command(
        &fake,
        CARLA,
        "handoff",
        COACHES,
        &[("user", Opt::User(ANNA))],
    )
    .await;
    assert_eq!(text, msg("handoff_not_moderator"));
    fake.assert_clean();
    bot.stop().await;
}

/// A failure behind a button is answered, never left to "The application
/// did not respond": here Discord refuses to open the coach thread (the bot
/// lacks the permission in the coach channel), and the coach hears the
/// generic sentence with an error id, not a wrong "transferred".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_behind_the_claim_button_gets_the_generic_sentence_with_an_id() {
    let (fake, _dir, bot) = hworld(|_| {}).await;
    fake.forbid("POST", &format!("/channels/{COACHES}/threads"));
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    ask_for_coach_at_size(&fake, &mut chat).await;
    let card = card_in(&fake, mark, COACHES).await;
    let text = claim(&fake, CARLA, &card).await;
    let generic = msg("discord_failed");
    let (head, tail) = generic
        .split_once("{id}")
        .expect("the sentence names the id");
    assert!(
        text.starts_with(head) && text.ends_with(tail) && text.len() > generic.len() - 4,
        "{text}"
    );
    let id = &text[head.len()..text.len() - tail.len()];
    assert!(
        id.starts_with('e') && id.len() == 7 && id[1..].chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    bot.stop().await;
}
