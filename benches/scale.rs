//! The figures of issue 12's target 6 at several database sizes, as a plain
//! bench binary: `cargo bench --bench scale` (sizes 1000 and 10000; set
//! `LLO_SCALE_SIZES=1000,10000,100000` for more).
//!
//! Each database is built by the synthetic generator (`examples/synth/db.rs`:
//! waiting and claimed hand-offs, intakes in progress, finished ones, 1% past
//! retention). Then, per size:
//! * export CSV: `llo-intake export --db DB --out FILE` under
//!   `/usr/bin/time -v` (wall time and peak RSS of that process), median of 3;
//! * start-up to the first question: `llo-intake console --db DB --user NEW
//!   --jsonl` from spawn to its first line on stdout, median of 5;
//! * queue and reminder pass: what `/queue` and each reminder pass compute
//!   (the hand-offs read through the index, the queue, the reminders due),
//!   the first run (cold) and the median of 20;
//! * committed turns (after one intake through a scratch store, so no size
//!   pays the names' first compile): 20 new intakes of 9 turns through the service (engine,
//!   transaction, flush): p50 and p99;
//! * purge: once with the expired conversations due, then the median of 5
//!   runs with nothing due.
//!
//! The machine is shared: the load average is printed before and after.

#[path = "../examples/synth/db.rs"]
mod db;

use chrono::{Duration, Utc};
use llo_intake::app::privacy::{self, DEFAULT_RETENTION_DAYS};
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::Input;
use llo_intake::domain::handoff;
use llo_intake::domain::knowledge::Knowledge;
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_llo-intake");

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// Wall seconds and peak RSS (MiB) of `llo-intake export` as CSV.
fn export_once(db: &Path, out: &Path) -> (f64, f64) {
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(BIN)
        .args(["export", "--db"])
        .arg(db)
        .arg("--out")
        .arg(out)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .output()
        .expect("/usr/bin/time");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "export failed: {err}");
    let field = |name: &str| -> String {
        err.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let secs = wall.split(':').fold(0.0, |acc, part| {
        acc * 60.0 + part.parse::<f64>().unwrap_or(0.0)
    });
    let rss: f64 = field("Maximum resident set size (kbytes):")
        .parse()
        .unwrap_or(0.0);
    (secs, rss / 1024.0)
}

/// Milliseconds from spawning the console to its first question.
fn startup_once(db: &Path, user: &str) -> f64 {
    let t = Instant::now();
    let mut child = Command::new(BIN)
        .args(["console", "--jsonl", "--user", user, "--db"])
        .arg(db)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("console");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let took = ms(t.elapsed());
    assert!(!line.trim().is_empty(), "the console printed nothing");
    drop(child.stdin.take());
    child.wait().expect("console exit");
    took
}

struct Figures {
    n: usize,
    build_s: f64,
    export_s: f64,
    export_mib: f64,
    startup_ms: f64,
    queue_cold_ms: f64,
    queue_ms: f64,
    waiting: usize,
    turn_p50_ms: f64,
    turn_p99_ms: f64,
    purged: usize,
    purge_due_ms: f64,
    purge_idle_ms: f64,
}

fn measure(n: usize, k: &Arc<Knowledge>) -> Figures {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dbdir = tmp.path().join("db");
    let now = Utc::now();
    let t = Instant::now();
    let mix = db::build(&dbdir, n, now, DEFAULT_RETENTION_DAYS, false).expect("synthetic database");
    let build_s = t.elapsed().as_secs_f64();
    let out = tmp.path().join("export.csv");
    let exports: Vec<(f64, f64)> = (0..3).map(|_| export_once(&dbdir, &out)).collect();
    let startup_ms = median(
        (0..5)
            .map(|i| startup_once(&dbdir, &format!("start-{i}")))
            .collect(),
    );
    let store = Store::open(&dbdir).expect("open");
    let intake = Intake::new(k.clone(), store.clone(), Lang::Nl);
    let after = Duration::minutes(15);
    let pass = || {
        let t = Instant::now();
        let all = store.handoff_conversations().expect("hand-offs");
        let queue = handoff::queue(&all, now).len();
        let due = all
            .iter()
            .filter(|c| handoff::reminder_due(c, after, now))
            .count();
        std::hint::black_box((queue, due));
        (ms(t.elapsed()), queue)
    };
    let (queue_cold_ms, waiting) = pass();
    let queue_ms = median((0..20).map(|_| pass().0).collect());
    let mut turns = Vec::new();
    for u in 0..20 {
        let user = format!("turn-{u}");
        let t = Instant::now();
        intake.resume_or_start(&user, None, now).expect("start");
        turns.push(ms(t.elapsed()));
        for a in db::SCRIPTS[0] {
            let t = Instant::now();
            intake
                .handle(&user, Input::Text((*a).into()), now)
                .expect("turn");
            turns.push(ms(t.elapsed()));
        }
    }
    let t = Instant::now();
    let purged = privacy::purge(&store, DEFAULT_RETENTION_DAYS, now)
        .expect("purge")
        .conversations
        .len();
    let purge_due_ms = ms(t.elapsed());
    assert_eq!(purged, mix.expired, "the expired conversations went");
    let purge_idle_ms = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let p = privacy::purge(&store, DEFAULT_RETENTION_DAYS, now).expect("purge");
                assert!(p.conversations.is_empty());
                ms(t.elapsed())
            })
            .collect(),
    );
    Figures {
        n,
        build_s,
        export_s: median(exports.iter().map(|e| e.0).collect()),
        export_mib: median(exports.iter().map(|e| e.1).collect()),
        startup_ms,
        queue_cold_ms,
        queue_ms,
        waiting,
        turn_p50_ms: percentile(turns.clone(), 0.5),
        turn_p99_ms: percentile(turns, 0.99),
        purged,
        purge_due_ms,
        purge_idle_ms,
    }
}

/// One intake through a scratch store before any size is measured: the
/// answer and place names compile on first use, and that one-time cost
/// (tens of ms, once per process) would otherwise land in the first size's
/// committed turns only.
fn warm(k: &Arc<Knowledge>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&tmp.path().join("db")).expect("open");
    let intake = Intake::new(k.clone(), store, Lang::Nl);
    let now = Utc::now();
    intake.resume_or_start("warm", None, now).expect("start");
    for a in db::SCRIPTS[0] {
        intake
            .handle("warm", Input::Text((*a).into()), now)
            .expect("turn");
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("LLO_SCALE_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let k = Arc::new(Knowledge::load_default().expect("content"));
    warm(&k);
    println!("load average before: {}", loadavg());
    let mut all = Vec::new();
    for n in sizes {
        let f = measure(n, &k);
        println!(
            "{n:>7} conversations (built in {:.1} s, load {}):",
            f.build_s,
            loadavg()
        );
        println!(
            "  queue and reminder pass ({} waiting)     {:>9.2} ms median of 20 ({:.2} ms cold)  target <= 5 ms",
            f.waiting, f.queue_ms, f.queue_cold_ms
        );
        println!(
            "  purge with nothing due                  {:>9.3} ms median of 5 (with {} due: {:.1} ms)  target <= 50 ms",
            f.purge_idle_ms, f.purged, f.purge_due_ms
        );
        println!(
            "  export CSV                              {:>9.2} s, peak RSS {:.1} MiB, median of 3  target <= 10 s, <= 64 MiB",
            f.export_s, f.export_mib
        );
        println!(
            "  committed turn                          p50 {:.2} ms, p99 {:.2} ms (180 turns)  target p99 <= 10 ms",
            f.turn_p50_ms, f.turn_p99_ms
        );
        println!(
            "  start-up to the first question          {:>9.0} ms median of 5  target <= 300 ms",
            f.startup_ms
        );
        all.push(f);
    }
    println!("load average after: {}", loadavg());
    println!("\n| conversations | queue+reminders | purge, none due | export CSV | export peak RSS | turn p99 | start-up |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for f in &all {
        println!(
            "| {} | {:.2} ms | {:.3} ms | {:.2} s | {:.1} MiB | {:.2} ms | {:.0} ms |",
            f.n, f.queue_ms, f.purge_idle_ms, f.export_s, f.export_mib, f.turn_p99_ms, f.startup_ms
        );
    }
}
