//! Encryption at rest and erasure that is real: what a person types never
//! lands in the database directory as plaintext, and after `forget` nothing
//! of them can be exported or read back, even from sled's old segments.

use crate::privacy_support;

use llo_intake::app::store::Store;
use privacy_support::*;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_typed_marker_is_never_plaintext_on_disk_and_forget_leaves_nothing_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let secret = marker("GEHEIM");
    let user = marker("9");
    let other = marker("8");
    console_intake(
        &db,
        &user,
        &format!("Ik kan geen personeel vinden {secret}"),
    );
    console_intake(&db, &other, "Mijn mensen lopen weg");

    // The marker is stored (the export shows it) but no file holds it as
    // plaintext, nor the user id.
    let before = export_all(&db);
    assert!(before.contains(&secret), "the marker was stored");
    assert!(before.contains(&user));
    assert_eq!(
        files_containing(&db, &secret),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_containing(&db, &user),
        Vec::<std::path::PathBuf>::new()
    );
    // The scan does see what sled writes in plaintext (its own keys).
    assert!(!files_containing(&db, "schema_version").is_empty());

    // sled keeps old segments; simulate the worst case by keeping a copy of
    // every file from before the erasure.
    let old = tmp.path().join("old-segments");
    copy_dir(&db, &old);

    let o = run(
        &["forget", "--db", db.to_str().unwrap(), "--user", &user],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 conversation(s) removed, data key destroyed"),
        "{}",
        stdout(&o)
    );

    assert_eq!(
        files_containing(&db, &secret),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_containing(&db, &user),
        Vec::<std::path::PathBuf>::new()
    );
    let after = export_all(&db);
    assert!(!after.contains(&secret) && !after.contains(&user));
    assert_eq!(after.lines().count(), 1, "the other user is still there");
    assert!(after.contains(&other));

    // Forgetting again finds nothing.
    let o = run(
        &["forget", "--db", db.to_str().unwrap(), "--user", &user],
        "",
    );
    assert!(stdout(&o).contains("nothing was stored"));

    // The old segments still hold the sealed records, but with today's keys
    // (the user's data key destroyed) they cannot be opened.
    std::fs::remove_dir_all(old.join("keys")).unwrap();
    copy_dir(&db.join("keys"), &old.join("keys"));
    let store = Store::open(&old).unwrap();
    let raw = store.raw_records("conversations").unwrap();
    assert_eq!(raw.len(), 2, "the old copy still has both sealed records");
    let readable = store.conversations().unwrap();
    assert_eq!(readable.len(), 1);
    assert_eq!(readable[0].user, other);
    assert!(store.user_conversations(&user).unwrap().len() == 1);
    let id = &store.user_conversations(&user).unwrap()[0];
    assert_eq!(store.conversation(id).unwrap(), None, "shredded");
    assert!(store.transcript(id).unwrap().is_empty(), "shredded");
    // And the retention sweep clears such leftovers.
    assert_eq!(store.sweep_orphans().unwrap(), 1);
    assert!(store.user_conversations(&user).unwrap().is_empty());
}

#[test]
fn the_database_refuses_a_wrong_or_missing_master_key() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    console_intake(&db, "42", "Ik kan geen personeel vinden");
    let key = db.join("master.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 64, "64 hex characters");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The same key from the environment works without the file.
    let moved = tmp.path().join("elsewhere.key");
    std::fs::rename(&key, &moved).unwrap();
    let o = run(&["export", "--db", db.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("there is no master key"),
        "{}",
        stderr(&o)
    );
    let o = cmd()
        .args(["export", "--db", db.to_str().unwrap(), "--format", "jsonl"])
        .env("LLO_INTAKE_MASTER_KEY", text.trim())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);

    // A key file named in the config works too.
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        "[intake]\ndatabase = \"db\"\n[privacy]\nmaster_key_file = \"elsewhere.key\"\n",
    )
    .unwrap();
    let o = run(
        &[
            "export",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // Another key is refused before anything is touched.
    let o = cmd()
        .args(["export", "--db", db.to_str().unwrap()])
        .env("LLO_INTAKE_MASTER_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("does not fit this database"));
    assert!(!stderr(&o).contains(&"11".repeat(32)), "never echo a key");
}
