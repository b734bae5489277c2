//! The store owns the links between transport places (threads) and people or
//! conversations: written with the turn that makes them, sealed where they
//! name a person, and removed by erasure, forgetting and the retention sweep.

use crate::privacy_support;

use llo_intake::app::privacy::{forget, purge};
use llo_intake::app::service::{HandoffAction, Intake};
use llo_intake::app::store::{Link, Store};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::HandoffReason;
use llo_intake::domain::engine::Input;
use llo_intake::domain::handoff;
use privacy_support::*;

fn intake_link(user: &str, thread: &str) -> Link {
    Link::IntakeThread {
        user: user.into(),
        thread: thread.into(),
    }
}

/// A finished intake of `user` on day 0, handed to a coach with relay thread `thread`.
fn relayed(store: &Store, user: &str, thread: &str) -> String {
    let id = seed_full(
        store,
        user,
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let mut c = store.conversation(&id).unwrap().unwrap();
    handoff::request(&mut c, day(0), HandoffReason::UserRequest);
    store.commit_turn(&c, &[]).unwrap();
    let intake = Intake::new(knowledge(), store.clone(), Lang::Nl);
    intake
        .handoff(&id, HandoffAction::RelayThread(thread.into()), day(0))
        .unwrap();
    id
}

#[test]
fn intake_thread_links_map_both_ways_replace_and_go_with_forget() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    seed_full(
        &store,
        "7",
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    store.link(&[intake_link("7", "100")]).unwrap();
    assert_eq!(store.thread_owner("100").unwrap().as_deref(), Some("7"));
    assert_eq!(store.intake_thread("7").unwrap().as_deref(), Some("100"));
    store.link(&[intake_link("7", "200")]).unwrap();
    assert_eq!(store.thread_owner("100").unwrap(), None);
    assert_eq!(store.thread_owner("200").unwrap().as_deref(), Some("7"));
    let f = forget(&store, "7").unwrap();
    assert_eq!(f.threads, vec!["200".to_string()]);
    assert_eq!(store.thread_owner("200").unwrap(), None);
    assert_eq!(store.intake_thread("7").unwrap(), None);
    assert!(store.raw_records("links").unwrap().is_empty());
}

#[test]
fn links_store_no_raw_user_id() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let user = "734912056118390784";
    seed_full(
        &store,
        user,
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    store.link(&[intake_link(user, "100")]).unwrap();
    assert_eq!(store.thread_owner("100").unwrap().as_deref(), Some(user));
    let raw = store.raw_records("links").unwrap();
    assert_eq!(raw.len(), 2);
    for (k, v) in raw {
        for bytes in [&k[..], &v[..]] {
            assert!(
                !String::from_utf8_lossy(bytes).contains(user),
                "raw user id stored"
            );
        }
    }
}

#[test]
fn a_relay_thread_is_linked_by_its_handoff_step_and_forgotten_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let id = relayed(&store, "8", "300");
    assert_eq!(
        store.coach_thread_conversation("300").unwrap().as_deref(),
        Some(id.as_str())
    );
    let c = store.conversation(&id).unwrap().unwrap();
    assert_eq!(c.handoff.unwrap().thread.as_deref(), Some("300"));
    let f = forget(&store, "8").unwrap();
    assert_eq!(f.threads, vec!["300".to_string()]);
    assert_eq!(store.coach_thread_conversation("300").unwrap(), None);
    assert!(store.raw_records("links").unwrap().is_empty());
}

#[test]
fn the_retention_sweep_removes_the_links_of_swept_conversations() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    relayed(&store, "old", "300");
    store.link(&[intake_link("old", "100")]).unwrap();
    let kept = seed_full(&store, "new", day(100), "Mijn mensen lopen weg", "Utrecht");
    store.link(&[intake_link("new", "101")]).unwrap();
    let p = purge(&store, 180, day(200)).unwrap();
    assert_eq!(p.conversations.len(), 1);
    assert_eq!(store.coach_thread_conversation("300").unwrap(), None);
    assert_eq!(store.thread_owner("100").unwrap(), None);
    assert_eq!(store.intake_thread("old").unwrap(), None);
    // The other person keeps theirs.
    assert!(store.conversation(&kept).unwrap().is_some());
    assert_eq!(store.thread_owner("101").unwrap().as_deref(), Some("new"));
    assert_eq!(store.raw_records("links").unwrap().len(), 2);
}

#[test]
fn declining_in_a_thread_takes_the_thread_link_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let intake = Intake::new(knowledge(), store.clone(), Lang::Nl);
    intake.start("9", None, day(0)).unwrap();
    store.link(&[intake_link("9", "100")]).unwrap();
    intake
        .handle("9", Input::Text("nee".into()), day(0))
        .unwrap();
    assert!(store.user_conversations("9").unwrap().is_empty());
    assert_eq!(store.intake_thread("9").unwrap(), None);
    assert!(store.raw_records("links").unwrap().is_empty());
}
