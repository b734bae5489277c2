//! The export at 100,000 stored conversations: a measurement, run by hand
//! (`cargo test --release --test suite export_scale -- --ignored --nocapture`),
//! not a timed test. It prints the export's wall time and peak resident
//! memory, taken by `/usr/bin/time -v` around the release binary.

use chrono::{Duration, TimeZone, Utc};
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::{Conversation, Status};
use std::process::Command;

const N: usize = 100_000;
/// Users (one data key each): conversations share them, so building the
/// database does not write 100,000 key files.
const USERS: usize = 500;

#[test]
#[ignore = "a measurement: builds 100,000 conversations (minutes)"]
fn export_streams_100k() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let store = Store::open(&db).unwrap();
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap();
    let mut batch = Vec::new();
    for i in 0..N {
        let mut c = Conversation::new(
            &format!("c{i:07}"),
            &format!("{}", 100_000_000 + i % USERS),
            Lang::Nl,
            t0 + Duration::minutes(i as i64),
        );
        c.answers.consent = Some(true);
        c.answers.concerns = vec!["recruitment".into(), "retention".into()];
        c.answers.concerns_text = Some("We vinden geen mensen en wie er is, loopt weg.".into());
        c.answers.sector = Some("bouw".into());
        c.answers.region = Some("utrecht".into());
        c.status = Status::Ended;
        batch.push(c);
        if batch.len() == 10_000 {
            store.load_conversations(&batch).unwrap();
            batch.clear();
        }
    }
    drop(store);
    let out = tmp.path().join("out.csv");
    let bin = env!("CARGO_BIN_EXE_llo-intake");
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(["export", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let field = |name: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(name))
            .map(|l| l.trim().to_string())
            .unwrap_or_default()
    };
    let rows = std::fs::read_to_string(&out).unwrap().lines().count();
    println!(
        "export of {N} conversations: {rows} lines; {}; {}",
        field("Elapsed (wall clock)"),
        field("Maximum resident set size")
    );
    assert_eq!(rows, N + 1);
}
