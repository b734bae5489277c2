//! Time and peak memory of `llo-intake report` over a large database:
//! `cargo bench --bench report` (N = 100,000 conversations, or
//! `LLO_BENCH_CONVERSATIONS`). The database is built first (in batches,
//! through `Store::load_conversations`, 5 conversations per user); then a
//! fresh child process of this binary opens it and writes the HTML report
//! and the CSV, and prints its own time and peak RSS (`VmHWM`), so the
//! building does not count in the report's memory. Target: peak RSS at
//! most 64 MiB, because the report streams conversations into counts.

use chrono::{Duration, TimeZone, Utc};
use llo_intake::app::report::{self, csv::CsvOptions, Options};
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::content::Content;
use llo_intake::domain::conversation::{
    Conversation, EventKind, Handoff, HandoffEvent, HandoffReason, Outcome, Status,
};
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

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// The child: open, report, print.
fn measure(db: &Path) {
    // As `llo-intake report` loads it: checked, patterns not compiled.
    let content =
        report::load_content(&llo_intake::content::default_sources(), &[]).expect("content");
    let t = Instant::now();
    let store = Store::open_with_cache(db, None, report::CACHE_BYTES).expect("open");
    let r = report::build(&store, &content, &Options::default()).expect("report");
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
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(&args[i + 1]));
        return;
    }
    let n: usize = std::env::var("LLO_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let content = Content::load_default().expect("content");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let t = Instant::now();
    {
        let store = Store::open(&db).expect("open");
        let mut start = 0;
        while start < n {
            let end = (start + 5_000).min(n);
            let batch: Vec<Conversation> = (start..end).map(|i| synthetic(i, &content)).collect();
            store.load_conversations(&batch).expect("load");
            start = end;
        }
    }
    println!(
        "built {n} conversations in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--measure")
        .arg(&db)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .output()
        .expect("child");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}
