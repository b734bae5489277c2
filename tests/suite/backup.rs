//! Backups, restore, expiry and the upgrade path: the bot's schedule on the
//! fake Discord, and `backup` / `restore` / an upgrading start through the
//! built binary.

use crate::cli::{bin, FULL};
use crate::support;
use llo_intake::app::store::{Store, SCHEMA_VERSION};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::bot::{config, Chat, Running};
use support::{button, Fake};

const ANNA: u64 = 7101;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A console intake by `user` into `db`.
fn intake(db: &Path, user: &str) {
    let mut child = bin()
        .args(["console", "--jsonl", "--user", user, "--db"])
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for a in FULL {
            writeln!(stdin, "{a}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// Everything `export` can say about a database: JSON lines with
/// transcripts and user ids.
fn export(db: &Path) -> String {
    let out = bin()
        .args([
            "export",
            "--format",
            "jsonl",
            "--transcripts",
            "--user-ids",
            "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn restore(from: &Path, to: &Path, key: &Path) -> Output {
    bin()
        .arg("restore")
        .arg(from)
        .arg("--db")
        .arg(to)
        .arg("--key-file")
        .arg(key)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .output()
        .unwrap()
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    llo_intake::app::backup::list(dir)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_bot_runs_restores_to_the_same_export_and_old_ones_expire() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let backup_dir = out.path().join("backups");
    let mut cfg = config(&fake);
    cfg.backup.dir = Some(backup_dir.clone());
    cfg.backup.interval = "1d".into();
    cfg.backup.keep = 2;
    let days = Arc::new(AtomicI64::new(0));
    let d = days.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = llo_intake::discord::Hooks {
        clock: Some(Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::days(d.load(Ordering::SeqCst))
        })),
        backup_ticks: Some(rx),
        ..Default::default()
    };
    let tick = || async {
        let (done, wait) = tokio::sync::oneshot::channel();
        tx.send(done).unwrap();
        tokio::time::timeout(support::WAIT, wait)
            .await
            .expect("a backup pass in time")
            .unwrap();
    };
    let bot = Running::start_with(&fake, cfg, dir.path(), hooks).await;

    // A conversation, consented and under way.
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    chat.question("confirm").await;

    tick().await;
    let first = backups(&backup_dir);
    assert_eq!(first.len(), 1, "the first pass takes a backup");
    let notice = std::fs::read_to_string(first[0].join("BACKUP.txt")).unwrap();
    assert!(notice.contains("does not hold the master key"), "{notice}");
    assert!(!first[0].join("master.key").exists());
    // Restored while the bot still runs: the backup is a database of its own.
    let restored = out.path().join("restored");
    let o = restore(&first[0], &restored, &dir.path().join("master.key"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 conversation(s)"), "{}", text(&o));

    tick().await;
    assert_eq!(
        backups(&backup_dir).len(),
        1,
        "none due again within the interval"
    );
    days.store(1, Ordering::SeqCst);
    tick().await;
    assert_eq!(backups(&backup_dir).len(), 2, "due after a day");
    days.store(2, Ordering::SeqCst);
    tick().await;
    let now = backups(&backup_dir);
    assert_eq!(now.len(), 2, "keep = 2");
    assert!(
        !now.contains(&first[0]) && !first[0].exists(),
        "the backup of two days ago (keep × interval) is deleted"
    );
    let stats = llo_intake::app::backup::stats();
    assert!(stats.taken >= 3 && stats.last.is_some(), "{stats:?}");
    bot.stop().await;

    let original = export(dir.path());
    assert!(original.contains(&ANNA.to_string()), "{original}");
    assert_eq!(export(&restored), original);
}

#[test]
fn backup_and_restore_through_the_binary_keep_everything_and_refuse_what_they_must() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    intake(&db, "anna");
    intake(&db, "bob");
    let b = tmp.path().join("b1");
    let o = bin()
        .args(["backup", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("2 conversation(s)"), "{said}");
    assert!(said.contains("does not hold the master key"), "{said}");
    assert!(!b.join("master.key").exists());

    // Without a key: exit 2, nothing restored.
    let r = tmp.path().join("r");
    let o = bin()
        .arg("restore")
        .arg(&b)
        .arg("--db")
        .arg(&r)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no master key"), "{}", text(&o));
    assert!(!r.exists());

    // The wrong key: exit 2, said so, nothing restored.
    let wrong = tmp.path().join("wrong.key");
    std::fs::write(&wrong, "22".repeat(32)).unwrap();
    let o = restore(&b, &r, &wrong);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("master key does not fit"), "{}", text(&o));
    assert!(!r.exists(), "nothing is left after a failed restore");

    // The right key, into a new directory: the same export, and the key in place.
    let o = restore(&b, &r, &db.join("master.key"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("copied to"), "{}", text(&o));
    assert_eq!(export(&r), export(&db));

    // Onto a directory that is not empty: exit 2, the directory untouched.
    let o = restore(&b, &db, &db.join("master.key"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
    // A backup is not written over anything either.
    let o = bin()
        .args(["backup", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&r)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // The restored database goes on: a new person gets a new conversation,
    // no id is handed out twice.
    intake(&r, "carla");
    let store = Store::open(&r).unwrap();
    let mut ids: Vec<String> = store
        .conversations()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[test]
fn backup_says_so_when_the_bot_holds_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let held = Store::open(&db).unwrap();
    let o = bin()
        .args(["backup", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(tmp.path().join("b"))
        .output()
        .unwrap();
    drop(held);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("a running bot takes its own backups"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_older_database_is_backed_up_then_migrated_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("intake");
    intake(&db, "anna");
    let before = export(&db);
    {
        let store = Store::open(&db).unwrap();
        store.set_schema_version(SCHEMA_VERSION - 1).unwrap();
    }
    // An older binary's database is refused by a plain open...
    assert!(Store::open(&db).is_err());
    // ...and a command backs it up, then migrates it.
    assert_eq!(export(&db), before);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    drop(store);
    let kept = backups(&tmp.path().join("intake.backups"));
    assert_eq!(kept.len(), 1, "one automatic backup before the migration");
    let old = Store::open_any_version(&kept[0], Some(&db.join("master.key"))).unwrap();
    assert_eq!(old.schema_version().unwrap(), Some(SCHEMA_VERSION - 1));
    drop(old);
    // The backup restores (and is migrated on the way).
    let r = tmp.path().join("r");
    let o = restore(&kept[0], &r, &db.join("master.key"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("migrated"), "{}", text(&o));
    assert_eq!(export(&r), before);
}

#[test]
fn check_config_prints_the_backup_settings_and_bounds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    let config = tmp.path().join("config.toml");
    let check = |src: &str| {
        std::fs::write(&config, src).unwrap();
        bin()
            .current_dir(tmp.path())
            .args(["check", "--config"])
            .arg(&config)
            .env("DISCORD_TOKEN", "t")
            .output()
            .unwrap()
    };
    let o = check(&example.replacen("# dir = \"/var/backups/llo-intake\"", "dir = \"bk\"", 1));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "backups:         every 1d into {}, 7 kept",
            tmp.path().join("bk").display()
        )) && out.contains("within 7 days"),
        "{out}"
    );
    for (old, new, name) in [
        (
            "interval = \"1d\"",
            "interval = \"1w\"",
            "[backup] interval",
        ),
        (
            "interval = \"1d\"",
            "interval = \"5m\"",
            "[backup] interval",
        ),
        ("keep = 7", "keep = 0", "[backup] keep"),
        ("keep = 7", "keep = 100", "keep × interval"),
    ] {
        let o = check(&example.replacen(old, new, 1));
        assert_eq!(o.status.code(), Some(2), "{new}: {}", text(&o));
        assert!(text(&o).contains(name), "{new}: {}", text(&o));
    }
}

#[test]
fn forgetting_someone_destroys_their_key_in_the_backups_too() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        "[intake]\ndatabase = \"db\"\n[backup]\ndir = \"backups\"\n",
    )
    .unwrap();
    let db = tmp.path().join("db");
    intake(&db, "anna");
    intake(&db, "bob");
    let o = bin()
        .args(["backup", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let kept = backups(&tmp.path().join("backups"));
    assert_eq!(kept.len(), 1);
    let name = Store::open(&db).unwrap().data_key_name("anna");
    let key = llo_intake::app::crypto::key_file_path(&kept[0].join("keys"), &name);
    assert!(key.is_file());

    let o = bin()
        .args(["forget", "--user", "anna", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!key.exists(), "her key in the backup is gone");
    // Restored, the backup holds bob only.
    let r = tmp.path().join("r");
    let o = restore(&kept[0], &r, &db.join("master.key"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(": 1 conversation(s)"), "{}", text(&o));
    let restored = export(&r);
    assert!(
        restored.contains("\"bob\"") && !restored.contains("\"anna\""),
        "{restored}"
    );
}
