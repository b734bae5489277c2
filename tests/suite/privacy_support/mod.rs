//! Shared helpers for the export and privacy tests: drive the built binary,
//! seed a database through the library with fixed times, scan files.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

pub const BIN: &str = env!("CARGO_BIN_EXE_llo-intake");

/// The binary with a clean key environment (keys come from the db's key file).
pub fn cmd() -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("LLO_INTAKE_MASTER_KEY")
        .env("LLO_INTAKE_LOG", "warn");
    c
}

/// Runs `llo-intake ARGS` with `stdin`; returns its output.
pub fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A whole intake by console, with `words` as the answer to the open question.
pub fn console_intake(db: &Path, user: &str, words: &str) -> Output {
    let answers = format!("ja\n{words}\nja\nbouw\n12\nUtrecht\nniets bijzonders\nnee\n");
    let o = run(
        &[
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            user,
        ],
        &answers,
    );
    assert!(o.status.success(), "console failed: {}", stderr(&o));
    o
}

/// `export --format jsonl --transcripts --user-ids` of the database in `db`.
pub fn export_all(db: &Path) -> String {
    let o = run(
        &[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "jsonl",
            "--transcripts",
            "--user-ids",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files += 1;
                let bytes = std::fs::read(&p).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(p);
                }
            }
        }
    }
    assert!(files > 0, "no files scanned in {}", dir.display());
    hits
}

/// A unique-enough marker for one test run.
pub fn marker(tag: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}{n}")
}

pub fn knowledge() -> Arc<Knowledge> {
    static K: OnceLock<Arc<Knowledge>> = OnceLock::new();
    K.get_or_init(|| Arc::new(Knowledge::load_default().unwrap()))
        .clone()
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

pub fn day(n: i64) -> DateTime<Utc> {
    t0() + Duration::days(n)
}

/// One intake through the service at a fixed time. `answers` after consent.
pub fn seed(store: &Store, user: &str, at: DateTime<Utc>, answers: &[&str]) -> String {
    let intake = Intake::new(knowledge(), store.clone(), Lang::Nl);
    let r = intake.start(user, None, at).unwrap();
    let id = r.conversation.id.clone();
    for a in std::iter::once(&"ja").chain(answers) {
        intake.handle(user, Input::Text(a.to_string()), at).unwrap();
    }
    id
}

/// A finished intake: recruitment, bouw, small, the given region.
pub fn seed_full(
    store: &Store,
    user: &str,
    at: DateTime<Utc>,
    words: &str,
    region: &str,
) -> String {
    seed(
        store,
        user,
        at,
        &[words, "ja", "bouw", "12", region, "niets", "nee"],
    )
}
