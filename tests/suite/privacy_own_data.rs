//! The seams behind `/mijn-gegevens`: a person's own data (without internal
//! coach notes) and forgetting them, with what the Discord side still has
//! to clean up (coach cards, threads).

use crate::privacy_support;

use llo_intake::app::privacy::{forget, own_data};
use llo_intake::app::store::{Entry, Link, Role, Store};
use llo_intake::discord::CoachThreads;
use llo_intake::discord::Threads;
use llo_intake::domain::conversation::CardRef;
use llo_intake::domain::handoff;
use privacy_support::*;

const ME: &str = "123456789012345678";
const SOMEONE: &str = "876543210987654321";

#[test]
fn own_data_holds_summaries_and_transcripts_but_no_internal_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let first = seed_full(
        &store,
        ME,
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let second = seed(
        &store,
        ME,
        day(5),
        &[
            "Mijn mensen lopen weg",
            "ja",
            "zorg",
            "3",
            "Zwolle",
            "niets",
            "ja",
        ],
    );
    let c = store.conversation(&second).unwrap().unwrap();
    let c = handoff::claim(&c, "coach-jan", day(6)).unwrap();
    store.commit_turn(&c, &[]).unwrap();
    let mut note = Entry::new(day(6), Role::Note, "Lijkt me een lastige klant");
    note.author = Some("coach-jan".into());
    let mut said = Entry::new(day(6), Role::Coach, "Hoi, ik ben Jan van het netwerk.");
    said.author = Some("coach-jan".into());
    store.append(&second, &[note, said]).unwrap();
    seed_full(
        &store,
        SOMEONE,
        day(1),
        "Mijn personeel moet digitaal bijleren",
        "Utrecht",
    );

    let v = own_data(&store, ME).unwrap();
    let text = v.to_string();
    assert_eq!(v["user_id"], ME);
    let convs = v["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    assert_eq!(convs[0]["conversation_id"], first.as_str());
    // A coach's platform id is the coach's data, not theirs: the hand-off
    // shows that it happened and how, not who (issue 9, item 9).
    assert!(convs[1]["handoff"]["coach"].is_null());
    assert!(!convs[1]["handoff"]["events"].as_array().unwrap().is_empty());
    assert!(!text.contains("coach-jan"), "no coach ids: {text}");
    assert_eq!(convs[1]["profile"]["sector"], "zorg");
    assert!(
        text.contains("Hoi, ik ben Jan"),
        "coach messages are theirs to see"
    );
    assert!(text.contains("Mijn mensen lopen weg"), "their own words");
    assert!(
        !text.contains("lastige klant"),
        "internal notes stay internal"
    );
    assert!(convs
        .iter()
        .all(|c| c["internal_notes"] == serde_json::json!([])));
    assert!(convs
        .iter()
        .all(|c| c["transcript"].as_array().unwrap().len() > 3));
    assert!(!text.contains(SOMEONE) && !text.contains("digitaal"));

    // Someone the bot never met gets an empty, well-formed answer.
    let none = own_data(&store, "0").unwrap();
    assert_eq!(none["conversations"], serde_json::json!([]));
}

#[test]
fn forget_removes_everything_and_says_what_discord_must_clean_up() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let id = seed(
        &store,
        ME,
        day(0),
        &[
            "Ik kan geen personeel vinden",
            "ja",
            "bouw",
            "12",
            "Utrecht",
            "niets",
            "ja",
        ],
    );
    let mut c = store.conversation(&id).unwrap().unwrap();
    if let Some(h) = c.handoff.as_mut() {
        h.card = Some(CardRef {
            channel: "900".into(),
            message: "901".into(),
        });
        h.thread = Some("902".into());
    }
    store.commit_turn(&c, &[]).unwrap();
    let threads = Threads::open(&store).unwrap();
    threads.set(ME.parse().unwrap(), 777).unwrap();
    let coach_threads = CoachThreads::open(&store).unwrap();
    store
        .link(&[Link::CoachThread {
            thread: "902".into(),
            conversation: id.clone(),
        }])
        .unwrap();
    let kept = seed_full(&store, SOMEONE, day(1), "Mijn mensen lopen weg", "Utrecht");

    let f = forget(&store, ME).unwrap();
    assert_eq!(f.conversations, std::slice::from_ref(&id));
    assert_eq!(
        f.cards,
        [CardRef {
            channel: "900".into(),
            message: "901".into()
        }]
    );
    assert_eq!(f.threads, ["902", "777"]);
    assert!(f.key_destroyed);

    assert!(store.conversation(&id).unwrap().is_none());
    assert!(store.transcript(&id).unwrap().is_empty());
    assert!(store.user_conversations(ME).unwrap().is_empty());
    assert!(store.active_conversation(ME).unwrap().is_none());
    assert_eq!(threads.thread_of(ME.parse().unwrap()).unwrap(), None);
    assert_eq!(threads.owner(777).unwrap(), None);
    assert_eq!(coach_threads.conversation(902).unwrap(), None);
    assert_eq!(
        own_data(&store, ME).unwrap()["conversations"],
        serde_json::json!([])
    );
    assert!(
        store.conversation(&kept).unwrap().is_some(),
        "others untouched"
    );

    // Coming back later starts afresh, with a new key.
    let again = seed_full(
        &store,
        ME,
        day(2),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    assert!(store.conversation(&again).unwrap().is_some());
    assert_eq!(store.user_conversations(ME).unwrap(), [again]);
}
