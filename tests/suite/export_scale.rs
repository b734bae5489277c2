//! The export at 100,000 stored conversations: a measurement, run by hand
//! (`cargo test --release --test suite export_scale -- --ignored --nocapture`),
//! not a timed test. It prints the export's wall time and peak resident
//! memory, taken by `/usr/bin/time -v` around the release binary. The
//! database is the synthetic generator's (`examples/synth/db.rs`), as in
//! `cargo bench --bench scale`.

/// The synthetic database of `examples/synth` (and `benches/scale.rs`).
#[path = "../../examples/synth/db.rs"]
#[allow(dead_code)]
mod db;

use std::process::Command;

const N: usize = 100_000;

#[test]
#[ignore = "a measurement: builds 100,000 conversations (minutes)"]
fn export_streams_100k() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    db::build(&db, N, chrono::Utc::now(), 180, false).unwrap();
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
