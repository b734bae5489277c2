//! Time and peak memory of `llo-intake report` over a large database:
//! `cargo bench --bench report` (N = 100,000 conversations, or
//! `LLO_BENCH_CONVERSATIONS`). The database is built first (in batches,
//! through `Store::load_conversations`, 5 conversations per user, and a
//! follow-up for every 50th that ended); then a fresh child process of this
//! binary opens it and writes the HTML report and the CSV, and prints its
//! own time and peak RSS (`VmHWM`), so the building does not count in the
//! report's memory. Target: peak RSS at most 64 MiB, because the report
//! streams conversations into counts.
//!
//! `LLO_BENCH_DB=DIR` keeps the database there (built when DIR does not
//! exist yet), for measuring `llo-intake report --db DIR` with
//! `/usr/bin/time -v`. Two more children say where memory goes: `--scan`
//! (sled alone: every record of the conversations tree read, nothing
//! opened) and `--open` (every conversation unsealed and decoded, nothing
//! counted).

use chrono::{Duration, TimeZone, Utc};
use llo_intake::app::report::{self, csv::CsvOptions, Options};
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::content::Content;
use llo_intake::domain::conversation::{
    Conversation, EventKind, Handoff, HandoffEvent, HandoffReason, Outcome, Status,
};
use llo_intake::domain::followup::{schedule, Helped};
use std::path::Path;
use std::time::Instant;

const STEPS: [&str; 8] = [
    "consent",
    "concerns",
    "confirm",
    "sector",
    "size",
    "region",
    "tried",
    "handoff_offer",
];

fn synthetic(i: usize, content: &Content) -> Conversation {
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 8, 0, 0).unwrap();
    let started = t0 + Duration::minutes((i as i64 * 7) % (60 * 24 * 365));
    let mut c = Conversation::new(
        &format!("c{i:07}"),
        &format!("u{:07}", i / 5),
        Lang::Nl,
        started,
    );
    let concerns = &content.concerns;
    let regions = &content.labour_market_regions;
    c.answers.consent = Some(true);
    c.answers.concerns = vec![
        concerns[i % concerns.len()].id.clone(),
        concerns[(i / 3) % concerns.len()].id.clone(),
    ];
    c.answers.concerns_text = Some("Ik kan geen personeel vinden en mijn mensen lopen weg".into());
    c.answers.labour_market_region = (i % 11 != 0).then(|| regions[i % regions.len()].code.clone());
    let depth = 3 + i % 5;
    c.history = STEPS[..depth].iter().map(|s| s.to_string()).collect();
    match i % 4 {
        0 => {
            c.status = Status::Stopped;
            c.step = Some(STEPS[depth].to_string());
        }
        1 => c.step = Some(STEPS[depth].to_string()),
        _ => {
            c.history = STEPS.iter().map(|s| s.to_string()).collect();
            c.status = Status::Ended;
            c.recommended = content
                .routes
                .iter()
                .skip(i % 7)
                .take(3)
                .map(|r| r.id.clone())
                .collect();
            c.contacts_shown = vec![content.contacts[i % content.contacts.len()].id.clone()];
            c.ended_at = Some(started + Duration::minutes(15));
        }
    }
    if i % 10 == 2 {
        c.status = Status::Handoff;
        let claimed = started + Duration::minutes((i % 600) as i64);
        let mut h = Handoff::new(started, HandoffReason::OfferAccepted);
        h.coach = Some("coach".into());
        h.claimed_at = Some(claimed);
        h.closed_at = Some(claimed + Duration::hours(1));
        h.outcome = Some(Outcome::Resolved);
        c.handoff = Some(h);
        let ev = |at, kind| HandoffEvent {
            at,
            kind,
            by: None,
            detail: None,
        };
        c.handoff_log = vec![
            ev(started, EventKind::Requested),
            ev(claimed, EventKind::Claimed),
        ];
    }
    c
}

/// A field of /proc/self/status in KiB (`VmHWM`: peak RSS, `VmRSS`: now).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn vm_hwm_kib() -> u64 {
    status_kib("VmHWM:")
}

fn vm_rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A child: sled alone, every record of the conversations tree read.
fn scan(db: &Path) {
    let t = Instant::now();
    let sled = sled::Config::new()
        .path(db)
        .cache_capacity(report::CACHE_BYTES)
        .open()
        .expect("sled");
    let opened = vm_rss_kib();
    let tree = sled.open_tree("conversations").expect("tree");
    let (mut n, mut bytes) = (0usize, 0usize);
    for kv in tree.iter() {
        let (_, v) = kv.expect("record");
        n += 1;
        bytes += v.len();
    }
    println!(
        "scan: {n} records ({} MiB) in {:.2} s; RSS {:.1} MiB after open, {:.1} MiB at the end; peak RSS {:.1} MiB",
        bytes >> 20,
        t.elapsed().as_secs_f64(),
        mib(opened),
        mib(vm_rss_kib()),
        mib(vm_hwm_kib())
    );
}

/// A child: sled alone as `--scan`, but reopened every `LLO_BENCH_CHUNK`
/// records (sled keeps what one open read; see README "Report").
fn scan_chunked(db: &Path) {
    let chunk: usize = std::env::var("LLO_BENCH_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let (mut n, mut opens) = (0usize, 0usize);
    let mut from: Vec<u8> = Vec::new();
    loop {
        let sled = sled::Config::new()
            .path(db)
            .cache_capacity(report::CACHE_BYTES)
            .open()
            .expect("sled");
        opens += 1;
        let tree = sled.open_tree("conversations").expect("tree");
        let mut read = 0;
        let mut last = None;
        for kv in tree.range(from.clone()..) {
            let (k, _) = kv.expect("record");
            if read == 0 && !from.is_empty() && k.as_ref() == from.as_slice() {
                continue;
            }
            read += 1;
            n += 1;
            last = Some(k.to_vec());
            if read == chunk {
                break;
            }
        }
        match last {
            Some(k) if read == chunk => from = k,
            _ => break,
        }
    }
    println!(
        "scan in chunks of {chunk}: {n} records, {opens} opens, in {:.2} s; peak RSS {:.1} MiB",
        t.elapsed().as_secs_f64(),
        mib(vm_hwm_kib())
    );
}

/// A child: every conversation unsealed and decoded, nothing counted.
fn open_all(db: &Path) {
    let t = Instant::now();
    let store = Store::open_with_cache(db, None, report::CACHE_BYTES).expect("open");
    let opened = vm_rss_kib();
    let mut n = 0usize;
    store
        .each_conversation(|_| {
            n += 1;
            Ok(())
        })
        .expect("read");
    println!(
        "open: {n} conversations in {:.2} s; RSS {:.1} MiB after open, {:.1} MiB at the end; peak RSS {:.1} MiB",
        t.elapsed().as_secs_f64(),
        mib(opened),
        mib(vm_rss_kib()),
        mib(vm_hwm_kib())
    );
}

/// The child: open, report, print.
fn measure(db: &Path) {
    // As `llo-intake report` loads it: checked, patterns not compiled.
    let content =
        report::load_content(&llo_intake::content::default_sources(), &[]).expect("content");
    let t = Instant::now();
    let open = || Store::open_with_cache(db, None, report::CACHE_BYTES);
    let r = report::build_at(open, &content, &Options::default()).expect("report");
    let html = report::html::render(&r);
    let mut csv = Vec::new();
    report::csv::write(&r, CsvOptions::default(), &mut csv).expect("csv");
    let secs = t.elapsed().as_secs_f64();
    let key = r.key;
    println!(
        "report: {secs:.2} s for html ({} KiB) and csv ({} KiB); peak RSS {:.1} MiB; {:?}",
        html.len() / 1024,
        csv.len() / 1024,
        vm_hwm_kib() as f64 / 1024.0,
        key.conversations
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    for (flag, child) in [
        ("--measure", measure as fn(&Path)),
        ("--scan", scan),
        ("--scan-chunked", scan_chunked),
        ("--open", open_all),
    ] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            child(Path::new(&args[i + 1]));
            return;
        }
    }
    let n: usize = std::env::var("LLO_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let content = Content::load_default().expect("content");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = std::env::var_os("LLO_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("db"));
    if !db.exists() {
        build(&db, n, &content);
    }
    for flag in ["--scan", "--scan-chunked", "--open", "--measure"] {
        let out = std::process::Command::new(std::env::current_exe().expect("exe"))
            .arg(flag)
            .arg(&db)
            .env_remove("LLO_INTAKE_MASTER_KEY")
            .output()
            .expect("child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Builds `n` synthetic conversations at `db`, with a follow-up for every
/// 50th that ended (answered when its number is even).
fn build(db: &Path, n: usize, content: &Content) {
    let t = Instant::now();
    let store = Store::open(db).expect("open");
    let mut start = 0;
    let mut follow = 0;
    while start < n {
        let end = (start + 5_000).min(n);
        let batch: Vec<Conversation> = (start..end).map(|i| synthetic(i, content)).collect();
        store.load_conversations(&batch).expect("load");
        for c in batch.iter().filter(|c| c.status == Status::Ended) {
            follow += 1;
            if follow % 50 != 0 {
                continue;
            }
            let at = c.ended_at.unwrap_or(c.started_at);
            let mut f = schedule(c, 30, at).expect("ended with advice");
            if follow % 100 == 0 {
                let sent = f.sent(f.due).expect("scheduled");
                f = sent.helped(Helped::Yes, f.due).expect("sent");
            }
            store.save_follow_up(&f).expect("follow-up");
        }
        start = end;
    }
    println!(
        "built {n} conversations in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}
