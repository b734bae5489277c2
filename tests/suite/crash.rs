//! kill -9 at random moments while the console binary holds intakes: on
//! first start, while content loads, between and during turns. After every
//! kill the database opens again and the conversation resumes where the last
//! acknowledged turn left it: an answer whose reply was seen is never lost
//! (a turn committed just before the kill, reply unseen, may be one ahead).
//!
//! The same for `forget` and `purge`: killed part-way, the erasure completes
//! when run again, and everyone else's data stays readable.
//!
//! CI runs 20 kills during turns and 10 during erasure; `LLO_CRASH_KILLS=100
//! cargo test --release --test suite crash -- --nocapture` runs more and
//! prints the tallies.

use crate::privacy_support::cmd;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One whole intake's answers (after which the bot offers a coach and ends).
const ANSWERS: &[&str] = &[
    "ja",
    "we vinden geen personeel en mensen vertrekken",
    "ja",
    "bouw",
    "12",
    "Utrecht",
    "niets bijzonders",
];

fn spawn(db: &Path) -> Child {
    cmd()
        .args([
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            "crash",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The steps of the questions in `stdout`'s JSON lines, as they arrive.
fn questions(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if v["kind"] == "question"
                && tx
                    .send(v["step"].as_str().unwrap_or("").to_string())
                    .is_err()
            {
                break;
            }
        }
    });
    rx
}

/// The pending step after 0, 1, 2, ... answers, from a run without kills.
fn reference() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(&dir.path().join("db"));
    let rx = questions(&mut child);
    let mut steps = vec![rx.recv_timeout(Duration::from_secs(60)).unwrap()];
    let mut stdin = child.stdin.take().unwrap();
    for a in ANSWERS {
        writeln!(stdin, "{a}").unwrap();
        steps.push(rx.recv_timeout(Duration::from_secs(60)).unwrap());
    }
    drop(stdin);
    child.wait().unwrap();
    steps
}

/// xorshift64*, seeded: the same kill moments on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[test]
fn kill_9_at_random_moments_loses_no_acknowledged_turn() {
    let kills: usize = std::env::var("LLO_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let steps = reference();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let dir = tempfile::tempdir().unwrap();
    let mut round = 0;
    let mut db = dir.path().join(format!("db{round}"));
    // Answers acknowledged (their reply seen) in the current database.
    let mut acked = 0usize;
    let (mut killed, mut acked_total, mut ahead) = (0, 0, 0);
    while killed < kills {
        let mut child = spawn(&db);
        let rx = questions(&mut child);
        // A quarter of the kills land during start-up (first start included),
        // the rest during turns.
        let early = rng.below(4) == 0;
        let deadline = if early {
            Some(Instant::now() + Duration::from_millis(rng.below(1500)))
        } else {
            None
        };
        let wait = deadline.map_or(Duration::from_secs(60), |d| {
            d.saturating_duration_since(Instant::now())
        });
        let first = rx.recv_timeout(wait);
        let mut stdin = child.stdin.take().unwrap();
        match first {
            // Killed while starting, as planned.
            Err(mpsc::RecvTimeoutError::Timeout) if early => {}
            // It exited on its own (say, it refused the database) or hung.
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "kill {killed}: the console did not start again: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(step) => {
                // Resumed at the last acknowledged step, or one further when
                // a turn committed just before the kill.
                if step == steps[acked] {
                } else if acked + 1 < steps.len() && step == steps[acked + 1] {
                    acked += 1;
                    ahead += 1;
                } else {
                    panic!(
                        "kill {killed}: resumed at {step:?} after {acked} acknowledged answers \
                         (expected {:?}); acknowledged turn lost",
                        steps[acked]
                    );
                }
                let kill_at = Instant::now() + Duration::from_millis(rng.below(150));
                while acked < ANSWERS.len() - 1 {
                    writeln!(stdin, "{}", ANSWERS[acked]).unwrap();
                    let wait = kill_at.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(step) => {
                            assert_eq!(step, steps[acked + 1], "kill {killed}: wrong question");
                            acked += 1;
                            acked_total += 1;
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        killed += 1;
        if acked >= ANSWERS.len() - 1 {
            // This intake is complete up to its last question: next database,
            // so first starts keep getting killed too.
            round += 1;
            db = dir.path().join(format!("db{round}"));
            acked = 0;
        }
        drop(stdin);
    }
    eprintln!(
        "crash test: {killed} kills, {acked_total} acknowledged turns, 0 lost, \
         {ahead} committed-but-unseen turns found on restart, {} databases",
        round + 1
    );
}

/// The user ids in a full export of `db`; the export must work (the
/// database opens, every other user's data decrypts).
fn exported_users(db: &Path, killed: usize) -> Vec<String> {
    let o = crate::privacy_support::run(
        &[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "jsonl",
            "--user-ids",
        ],
        "",
    );
    assert!(
        o.status.success(),
        "kill {killed}: export after the kill failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut users: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["user_id"].as_str().unwrap().to_string()
        })
        .collect();
    users.sort();
    users.dedup();
    users
}

/// How many data keys are on disk.
fn key_files(db: &Path) -> usize {
    llo_intake::app::crypto::key_files(&db.join("keys")).map_or(0, |k| k.len())
}

/// Runs `args` to its end; it must succeed.
fn run_to_end(args: &[&str], killed: usize) {
    let o = crate::privacy_support::run(args, "");
    assert!(
        o.status.success(),
        "kill {killed}: {args:?} after the kill failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// kill -9 during `forget` and `purge` at random moments: afterwards the
/// database opens, everyone else exports normally, the same command run
/// again completes the erasure, the erased users are gone and no data key is
/// left without its records. Half the kills hit `forget`, half `purge`
/// (with old conversations seeded again before each). CI: 10 kills (every
/// kill costs four starts of the binary); `LLO_CRASH_KILLS=100` runs more and
/// prints the tally.
#[test]
fn kill_9_during_forget_and_purge_leaves_an_erasure_that_completes() {
    use crate::privacy_support::{day, seed_full};
    use llo_intake::app::store::Store;
    let kills: usize = std::env::var("LLO_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let dbs = db.to_str().unwrap().to_string();
    let now = chrono::Utc::now();
    let seed = |users: &[String], at: chrono::DateTime<chrono::Utc>| {
        let store = Store::open(&db).unwrap();
        for u in users {
            seed_full(&store, u, at, "we vinden geen personeel", "Utrecht");
        }
    };
    let keep: Vec<String> = (0..3).map(|i| format!("keep{i}")).collect();
    seed(&keep, now);
    let mut rng = Rng(0x5EED_F0E7_0000_0002);
    let (mut killed, mut mid_way, mut seeded_old) = (0usize, 0usize, 0usize);
    let mut forgotten: Vec<String> = Vec::new();
    // A whole run's length, so kills land anywhere in it.
    let t0 = Instant::now();
    run_to_end(&["forget", "--db", &dbs, "--user", "nobody"], 0);
    let span = t0.elapsed().as_millis() as u64 + 50;
    while killed < kills {
        let purge = killed % 2 == 1;
        let (args, gone): (Vec<String>, Vec<String>) = if purge {
            let old: Vec<String> = (0..3).map(|i| format!("old{killed}-{i}")).collect();
            seed(&old, day(0));
            seeded_old += old.len();
            let args = ["purge", "--db", &dbs, "--retention-days", "180"];
            (args.map(String::from).to_vec(), old)
        } else {
            let user = format!("f{killed}");
            seed(std::slice::from_ref(&user), now);
            let args = ["forget", "--db", &dbs, "--user", &user];
            (args.map(String::from).to_vec(), vec![user])
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = cmd()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(span)));
        let ended = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        killed += 1;
        // Right after the kill: everyone not being erased still exports.
        let users = exported_users(&db, killed);
        for u in keep.iter().chain(&forgotten) {
            assert_eq!(
                users.contains(u),
                keep.contains(u),
                "kill {killed}: {u} after {args:?}"
            );
        }
        if !ended && gone.iter().any(|g| !users.contains(g)) {
            mid_way += 1;
        }
        // Run again: the erasure completes.
        run_to_end(&args, killed);
        let users = exported_users(&db, killed);
        for g in &gone {
            assert!(!users.contains(g), "kill {killed}: {g} still exported");
        }
        assert_eq!(users, keep, "kill {killed}: only the kept users remain");
        assert_eq!(
            key_files(&db),
            keep.len(),
            "kill {killed}: a data key without records (or a record without its key)"
        );
        if !purge {
            forgotten.extend(gone);
        }
    }
    eprintln!(
        "crash test (erasure): {killed} kills ({} forget, {} purge over {seeded_old} old \
         conversations), {mid_way} with the erasure part-way, every erasure completed on re-run, \
         {} users kept intact",
        killed.div_ceil(2),
        killed / 2,
        keep.len()
    );
}
