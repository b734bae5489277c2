//! What a crash, a full disk or a damaged file leaves behind never takes
//! more than its own share: a broken data key affects only its user, a first
//! start that failed is simply done again, lost keys are refused instead of
//! replaced, and an unfinished sled snapshot does not stop the next start.

use crate::privacy_support;

use llo_intake::app::crypto::key_files;
use llo_intake::app::store::Store;
use privacy_support::*;
use std::path::{Path, PathBuf};

/// The data key file of `user` in the database in `db`.
fn key_file(db: &Path, user: &str) -> PathBuf {
    let store = Store::open(db).unwrap();
    let prefix = store.pseudonym(user);
    drop(store);
    key_files(&db.join("keys"))
        .unwrap()
        .into_iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .unwrap_or_else(|| panic!("no key file for {user}"))
}

fn two_users(db: &Path) {
    console_intake(db, "41", "Ik kan geen personeel vinden");
    console_intake(db, "42", "Mijn mensen lopen weg");
}

/// A broken key of user 41 must leave 42 untouched, and forgetting 41 completes.
fn only_its_own_user(db: &Path, key: &Path) {
    let out = export_all(db);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"42\""), "{out}");
    let o = run(&["purge", "--db", db.to_str().unwrap()], "");
    assert!(o.status.success(), "purge: {}", stderr(&o));
    let o = run(
        &["forget", "--db", db.to_str().unwrap(), "--user", "41"],
        "",
    );
    assert!(o.status.success(), "forget: {}", stderr(&o));
    assert!(!key.exists(), "the broken key is gone");
    let store = Store::open(db).unwrap();
    assert!(store.user_conversations("41").unwrap().is_empty());
    assert_eq!(store.user_conversations("42").unwrap().len(), 1);
}

#[test]
fn a_key_zeroed_by_a_killed_forget_affects_only_its_own_user() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    two_users(&db);
    let key = key_file(&db, "41");
    // What a kill between overwriting and unlinking leaves.
    let len = std::fs::metadata(&key).unwrap().len() as usize;
    std::fs::write(&key, vec![0u8; len]).unwrap();
    only_its_own_user(&db, &key);
}

#[test]
fn a_damaged_key_affects_only_its_own_user() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    two_users(&db);
    let key = key_file(&db, "41");
    std::fs::write(&key, vec![0x5Au8; 80]).unwrap();
    only_its_own_user(&db, &key);
}

#[test]
fn keys_that_protect_nothing_are_swept_at_start_and_by_purge() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "41", "Ik kan geen personeel vinden");
    let keys = || key_files(&db.join("keys")).unwrap().len();
    assert_eq!(keys(), 1);
    // A key without records: what a crash between removing a user's last
    // records and destroying their key leaves.
    let store = Store::open(&db).unwrap();
    store.seal("ghost", &[b"test"], b"x").unwrap();
    assert_eq!(keys(), 2);
    drop(store);
    let store = Store::open(&db).unwrap();
    assert_eq!(keys(), 1, "swept at start");
    store.seal("ghost", &[b"test"], b"x").unwrap();
    assert_eq!(keys(), 2);
    llo_intake::app::privacy::purge(&store, 180, chrono::Utc::now()).unwrap();
    assert_eq!(keys(), 1, "swept by purge");
    assert_eq!(store.user_conversations("41").unwrap().len(), 1);
}

#[test]
fn a_first_start_with_a_malformed_master_key_is_simply_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let o = cmd()
        .args([
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            "5",
        ])
        .env("LLO_INTAKE_MASTER_KEY", "not-a-key")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("master key is not valid"),
        "{}",
        stderr(&o)
    );
    console_intake(&db, "5", "Ik kan geen personeel vinden");
}

#[test]
fn a_first_start_cut_short_before_its_last_step_is_done_again() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    drop(Store::open(&db).unwrap());
    // Everything but the marker, which a first start writes last.
    std::fs::remove_file(db.join(llo_intake::app::store::MARKER)).unwrap();
    console_intake(&db, "5", "Ik kan geen personeel vinden");
    assert!(db.join(llo_intake::app::store::MARKER).exists());
}

#[test]
fn data_without_its_keys_directory_is_refused_and_no_keys_are_made() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "41", "Ik kan geen personeel vinden");
    std::fs::remove_dir_all(db.join("keys")).unwrap();
    let o = run(
        &[
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            "42",
        ],
        "ja\n",
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("keys directory is missing"), "{err}");
    assert!(!db.join("keys").exists(), "no new keys over existing data");
    let o = run(&["export", "--db", db.to_str().unwrap()], "");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("keys directory is missing"));
}

#[test]
fn an_unfinished_snapshot_left_by_a_full_disk_does_not_stop_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "41", "Ik kan geen personeel vinden");
    std::fs::write(db.join("snap.00000000000011B1.generating"), b"").unwrap();
    console_intake(&db, "42", "Mijn mensen lopen weg");
    assert_eq!(export_all(&db).lines().count(), 2);
}

#[test]
fn a_damaged_database_is_named_without_sled_internals_or_advice_to_move_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "41", "Ik kan geen personeel vinden");
    std::fs::write(db.join("db"), vec![0xAB; 4096]).unwrap();
    let o = run(&["console", "--db", db.to_str().unwrap(), "--jsonl"], "");
    assert!(!o.status.success());
    let err = stderr(&o);
    let message = err.lines().find(|l| l.starts_with("error")).unwrap_or(&err);
    assert!(message.contains("corrupt or unreadable"), "{err}");
    for bad in ["aside", "offset", "backtrace", "Read corrupted"] {
        assert!(!message.contains(bad), "{bad:?} in {message}");
    }
}

#[test]
fn keys_without_their_database_are_never_taken_for_a_first_start() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "41", "Ik kan geen personeel vinden");
    // Only the keys survived (say, copied without the database files).
    let lost = tmp.path().join("lost");
    std::fs::create_dir_all(lost.join("keys")).unwrap();
    let key = key_file(&db, "41");
    let kept = lost.join("keys").join(key.file_name().unwrap());
    std::fs::copy(&key, &kept).unwrap();
    std::fs::copy(db.join("master.key"), lost.join("master.key")).unwrap();
    let o = run(&["console", "--db", lost.to_str().unwrap(), "--jsonl"], "");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not an llo-intake database"),
        "{}",
        stderr(&o)
    );
    assert!(kept.exists(), "the key is left alone");
}
