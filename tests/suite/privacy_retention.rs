//! Retention: conversations with no activity for `retention_days` are
//! deleted, and with the user's last conversation goes their data key.
//! Time is injected; nothing here waits for the real clock.

use crate::privacy_support;

use chrono::Duration;
use llo_intake::app::privacy::{forget, purge, sweep_every};
use llo_intake::app::store::{Entry, Role, Store};
use privacy_support::*;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

fn key_files(store: &Store) -> usize {
    llo_intake::app::crypto::key_files(&store.path().join("keys"))
        .unwrap()
        .len()
}

#[test]
fn purge_deletes_what_is_past_retention_by_last_activity() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    // Old and quiet: goes.
    let old = seed_full(
        &store,
        "old",
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    // Old start, but a coach wrote on day 150: stays.
    let talked = seed_full(
        &store,
        "talked",
        day(0),
        "Mijn mensen lopen weg",
        "Groningen",
    );
    store
        .append(
            &talked,
            &[Entry::new(day(150), Role::Coach, "Hoe gaat het nu?")],
        )
        .unwrap();
    // Two of one user: the old one goes, the new one and the key stay.
    let both_old = seed_full(
        &store,
        "both",
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let both_new = seed_full(&store, "both", day(100), "Mijn mensen lopen weg", "Utrecht");
    assert_eq!(key_files(&store), 3);

    // Day 179 with 180 days retention: nothing is old enough yet.
    let p = purge(&store, 180, day(179)).unwrap();
    assert!(p.conversations.is_empty());
    assert_eq!(store.conversations().unwrap().len(), 4);

    let p = purge(&store, 180, day(181)).unwrap();
    let mut gone = p.conversations.clone();
    gone.sort();
    let mut want = vec![old.clone(), both_old.clone()];
    want.sort();
    assert_eq!(gone, want);
    assert!(store.conversation(&old).unwrap().is_none());
    assert!(store.transcript(&old).unwrap().is_empty());
    assert!(store.user_conversations("old").unwrap().is_empty());
    assert_eq!(
        store.user_conversations("both").unwrap(),
        std::slice::from_ref(&both_new)
    );
    assert!(store.conversation(&talked).unwrap().is_some());
    assert_eq!(key_files(&store), 2, "the data key of 'old' is destroyed");

    // Much later, everything goes, keys included.
    let p = purge(&store, 180, day(400)).unwrap();
    assert_eq!(p.conversations.len(), 2);
    assert!(store.conversations().unwrap().is_empty());
    assert_eq!(key_files(&store), 0);
}

#[test]
fn purge_on_demand_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        // Seeded in 2025 (day 0 is 2025-03-01); the CLI uses today's date.
        seed_full(
            &store,
            "a",
            day(0),
            "Ik kan geen personeel vinden",
            "Utrecht",
        );
    }
    console_intake(&db, "today", "Mijn mensen lopen weg");
    let config = tmp.path().join("config.toml");
    // A retention longer than the test suite will ever be run after 2025.
    std::fs::write(
        &config,
        "[intake]\ndatabase = \"db\"\n[privacy]\nretention_days = 36500\n",
    )
    .unwrap();
    let o = run(&["purge", "--config", config.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("purged 0 conversation(s)"),
        "{}",
        stdout(&o)
    );

    let o = run(
        &[
            "purge",
            "--db",
            db.to_str().unwrap(),
            "--retention-days",
            "30",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("purged 1 conversation(s) with no activity in 30 days"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &["export", "--db", db.to_str().unwrap(), "--format", "jsonl"],
        "",
    );
    assert_eq!(stdout(&o).lines().count(), 1, "today's conversation stays");
}

/// Polls `done` until it holds or five seconds pass.
async fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_task_sweeps_at_start_and_on_every_tick_until_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let a = seed_full(
        &store,
        "a",
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let b = seed_full(&store, "b", day(20), "Mijn mensen lopen weg", "Utrecht");

    // The injected clock says day 35; the test moves it on.
    let now = Arc::new(AtomicI64::new(day(35).timestamp()));
    let sweeps = Arc::new(AtomicI64::new(0));
    let clock = {
        let (now, sweeps) = (now.clone(), sweeps.clone());
        move || {
            sweeps.fetch_add(1, Ordering::SeqCst);
            chrono::DateTime::from_timestamp(now.load(Ordering::SeqCst), 0).unwrap()
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let period = std::time::Duration::from_millis(50);
    let task = tokio::spawn(sweep_every(store.clone(), 30, clock, period, async move {
        let _ = stopped.await;
    }));

    let gone = |id: &str| store.conversation(id).unwrap().is_none();
    // The first sweep runs at once: a (35 days quiet) goes, b (15 days) stays.
    assert!(wait_for(|| gone(&a)).await);
    let after_first = sweeps.load(Ordering::SeqCst);
    assert!(!gone(&b));

    // Day 51 by the injected clock: b is 31 days quiet; a later tick takes it.
    now.store((day(35) + Duration::days(16)).timestamp(), Ordering::SeqCst);
    assert!(wait_for(|| gone(&b)).await);
    assert!(sweeps.load(Ordering::SeqCst) > after_first);

    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), task)
        .await
        .expect("the task ends on shutdown")
        .unwrap();
    let n = sweeps.load(Ordering::SeqCst);
    tokio::time::sleep(period * 3).await;
    assert_eq!(sweeps.load(Ordering::SeqCst), n, "no sweeps after shutdown");
}

/// Many finished conversations, each with a transcript line, of one user in
/// ten, started `day(start)` onwards (one a day).
fn bulk(store: &Store, n: usize, start: i64) -> Vec<String> {
    use llo_intake::domain::conversation::{Conversation, Status};
    let mut convs = Vec::new();
    for i in 0..n {
        let id = store.new_conversation_id().unwrap();
        let mut c = Conversation::new(
            &id,
            &format!("bulk-{}", i % (n / 10).max(1)),
            llo_intake::content::text::Lang::Nl,
            day(start + i as i64),
        );
        c.answers.consent = Some(true);
        c.status = Status::Ended;
        convs.push(c);
    }
    store.load_conversations(&convs).unwrap();
    convs.into_iter().map(|c| c.id).collect()
}

#[test]
fn a_purge_reads_what_is_due_not_everything_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    // 1,000 conversations started on days 0..1000 (links and a forgotten user too).
    let ids = bulk(&store, 1_000, 0);
    store
        .link(&[llo_intake::app::store::Link::IntakeThread {
            user: "bulk-3".into(),
            thread: "100".into(),
        }])
        .unwrap();
    seed_full(
        &store,
        "gone",
        day(500),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    forget(&store, "gone").unwrap();
    // A new process (the keys this one made are checked by its next sweep).
    drop(store);
    let store = Store::open(&tmp.path().join("db")).unwrap();
    // On day 180 nothing is due yet (the first started on day 0).
    let before = store.records_read();
    let p = purge(&store, 180, day(180)).unwrap();
    assert!(p.conversations.is_empty());
    let read = store.records_read() - before;
    assert!(read <= 5, "a purge with nothing due read {read} records");
    // On day 190, the ten of days 0..10 are due: about ten records each, not 1,000.
    let before = store.records_read();
    let p = purge(&store, 180, day(190)).unwrap();
    assert_eq!(p.conversations, ids[..10]);
    let read = store.records_read() - before;
    assert!(
        read <= 10 * 4 + 5,
        "a purge with 10 due read {read} records"
    );
    assert_eq!(store.conversations().unwrap().len(), 990);
}
