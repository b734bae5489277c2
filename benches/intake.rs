//! Speed and memory of the intake core, as a plain bench binary (no extra
//! dependencies): `cargo bench --bench intake`.
//!
//! Measures: content load + compile, concern classification per message, a
//! whole scripted conversation through the pure engine, and one committed
//! (transaction + flush) turn through the service on a real sled database,
//! and the hand-off: a claim, and the queue (what `/queue`, the queue notice
//! and each reminder pass compute) over many stored conversations.

use chrono::Utc;
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::{self, Input};
use llo_intake::domain::knowledge::Knowledge;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn time<T>(label: &str, n: u32, mut f: impl FnMut() -> T) {
    // Warm up once.
    std::hint::black_box(f());
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    let per = start.elapsed() / n;
    println!("{label:<48} {:>12.1?} per run  ({n} runs)", per);
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

const SCRIPT: &[&str] = &[
    "ja",
    "mn mensen lopen weg en ik kan geen nieuw personeel vinden, de werkdruk is hoog",
    "ja",
    "installatiebedrijf",
    "12 man",
    "we zitten in Nijmegen",
    "vacatures geplaatst",
    "nee",
];

fn main() {
    let dir = llo_intake::content::default_dir();
    time("load + validate + compile content", 10, || {
        Knowledge::load(std::slice::from_ref(&dir)).is_ok()
    });
    let k = Arc::new(Knowledge::load_default().expect("content"));

    let texts = [
        "Ik kan geen goede monteurs vinden, al maanden staat de vacature open.",
        "personeel vinden lukt wel, houden niet",
        "We need to automate our warehouse and nobody understands the new software",
        "mooi weer vandaag",
    ];
    let mut i = 0;
    time("classify one message", 20_000, || {
        i += 1;
        k.classify(texts[i % texts.len()], Lang::Nl)
    });

    let now = Utc::now();
    time("whole conversation, pure engine (8 answers)", 2_000, || {
        let mut t = engine::start(&k, "c", "u", Lang::Nl, now);
        for a in SCRIPT {
            t = engine::handle(&k, &t.conversation, Input::Text((*a).into()), now);
        }
        t.conversation.status
    });

    let tmp = std::env::temp_dir().join(format!("llo-bench-{}", std::process::id()));
    let store = Store::open(&tmp).expect("store");
    let intake = Intake::new(k.clone(), store, Lang::Nl);
    let mut n = 0u32;
    let turns = 200;
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    for _ in 0..turns / SCRIPT.len() as u32 {
        n += 1;
        let user = format!("bench-{n}");
        intake.resume_or_start(&user, None, now).expect("start");
        for a in SCRIPT {
            let t0 = Instant::now();
            intake
                .handle(&user, Input::Text((*a).into()), now)
                .expect("turn");
            worst = worst.max(t0.elapsed());
        }
    }
    let done = n * SCRIPT.len() as u32;
    println!(
        "{:<48} {:>12.1?} per turn  ({done} turns, worst {worst:.1?})",
        "committed turn (sled transaction + flush)",
        start.elapsed() / done
    );
    if let Some(kib) = rss_kib() {
        println!("{:<48} {:>9} KiB", "resident memory at the end", kib);
    }
    handoff(&intake, now);
    drop(intake);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Hand-off costs on a database with 1000 more conversations, 200 of them
/// waiting for a coach.
fn handoff(intake: &Intake, now: chrono::DateTime<Utc>) {
    use llo_intake::app::service::HandoffAction;
    let mut waiting = Vec::new();
    for n in 0..1000 {
        let user = format!("queue-{n}");
        let r = intake.start(&user, None, now).expect("start");
        intake
            .handle(&user, Input::Text("ja".into()), now)
            .expect("consent");
        if n % 5 == 0 {
            intake
                .handle(&user, Input::Text("coach".into()), now)
                .expect("hand-off");
            waiting.push(r.conversation.id);
        }
    }
    let total = intake.store.conversations().expect("list").len();
    time(
        &format!(
            "queue over {total} conversations ({} waiting)",
            waiting.len()
        ),
        20,
        || {
            let all = intake.store.conversations().expect("list");
            llo_intake::domain::handoff::queue(&all, now).len()
        },
    );
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    for id in &waiting {
        let t0 = Instant::now();
        intake
            .handoff(
                id,
                HandoffAction::Claim {
                    coach: "coach-1".into(),
                },
                now,
            )
            .expect("claim");
        worst = worst.max(t0.elapsed());
    }
    println!(
        "{:<48} {:>12.1?} per claim  ({} claims, worst {worst:.1?})",
        "claim (load + first-wins check + commit + flush)",
        start.elapsed() / waiting.len() as u32,
        waiting.len()
    );
}
