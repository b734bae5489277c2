//! The data keys live in sub-directories of `keys/` (`keys/3f/3f…`); a
//! database of schema version 3, with every key file directly in `keys/`,
//! is backed up as it is and then moved over at its next start (migration
//! to version 4). A kill midway can leave some files moved and some not
//! (each move is one rename, and both places are read): the next start
//! finishes, and every conversation still reads.

use crate::privacy_support;

use llo_intake::app::crypto::{key_file_path, key_files};
use llo_intake::app::store::{Store, SCHEMA_VERSION};
use privacy_support::*;
use std::path::Path;

/// Moves every key file but the first `keep` back to where the flat layout
/// had it, and removes the emptied sub-directories.
fn flatten(keys: &Path, keep: usize) {
    for f in key_files(keys).unwrap().into_iter().skip(keep) {
        let name = f.file_name().unwrap().to_owned();
        std::fs::rename(&f, keys.join(&name)).unwrap();
        let _ = std::fs::remove_dir(f.parent().unwrap());
    }
}

/// Key files directly in `keys` (the flat layout).
fn flat_files(keys: &Path) -> usize {
    std::fs::read_dir(keys)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .count()
}

fn users_in(export: &str) -> Vec<String> {
    let mut users: Vec<String> = export
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| v["user_id"].as_str().unwrap_or_default().to_string())
        .collect();
    users.sort();
    users
}

#[test]
fn a_flat_keys_directory_is_moved_into_shards_and_an_interrupted_move_is_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let keys = db.join("keys");
    for user in ["41", "42", "43"] {
        console_intake(&db, user, "Ik kan geen personeel vinden");
    }
    let sharded = key_files(&keys).unwrap();
    assert_eq!(sharded.len(), 3, "one key file per person");
    for f in &sharded {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert_eq!(f, &key_file_path(&keys, name));
        assert_ne!(f.parent().unwrap(), keys, "not directly in keys/");
    }
    // A version 3 database whose move a kill cut short: one moved, two not.
    Store::open(&db).unwrap().set_schema_version(3).unwrap();
    flatten(&keys, 1);
    assert_eq!(flat_files(&keys), 2);

    let export = export_all(&db);
    assert_eq!(
        users_in(&export),
        ["41", "42", "43"],
        "every conversation reads"
    );
    let after = key_files(&keys).unwrap();
    assert_eq!(after.len(), 3, "no key lost: {after:?}");
    assert_eq!(flat_files(&keys), 0, "all moved: {after:?}");
    let store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    drop(store);
    // The automatic backup before the move holds the keys as they were.
    let kept = llo_intake::app::backup::list(&tmp.path().join("db.backups")).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(flat_files(&kept[0].1.join("keys")), 2);
    // Forgetting still shreds the key.
    let o = run(
        &["forget", "--db", db.to_str().unwrap(), "--user", "42"],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(users_in(&export_all(&db)), ["41", "43"]);
    assert_eq!(key_files(&keys).unwrap().len(), 2);
}
