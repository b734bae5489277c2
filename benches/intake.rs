//! Speed and memory of the intake core, as a plain bench binary (no extra
//! dependencies): `cargo bench --bench intake`.
//!
//! Measures: content load + compile, concern classification per message, the
//! slowest inputs we know (hostile shapes at the length cap, classified and
//! as a whole engine turn at every free-text step), a
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
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts live heap bytes, so the classifier's own memory can be measured.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

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
    if std::env::args().any(|a| a == "worst") {
        // `cargo bench --bench intake -- worst`: only the slowest inputs.
        worst_inputs(&Knowledge::load_default().expect("content"));
        return;
    }
    if std::env::args().any(|a| a == "corpus") {
        // `cargo bench --bench intake -- corpus`: every input of the fuzz
        // corpora (fuzz/corpus/classify, fuzz/corpus/conversation) timed.
        corpus_inputs(&Knowledge::load_default().expect("content"));
        return;
    }
    if std::env::args().any(|a| a == "classify") {
        // `cargo bench --bench intake -- classify`: the classifier's figures
        // against issue 12's targets (load, percentiles, heap), 5 rounds.
        classify_targets();
        return;
    }
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
    classifier(&k);
    worst_inputs(&k);

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

/// Every text of the labelled sets (`tests/data/concerns*.jsonl`).
fn labelled_texts() -> Vec<String> {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut texts = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .expect("tests/data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "jsonl")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("concerns"))
        })
        .collect();
    files.sort();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("labelled set");
        for item in llo_intake::app::eval::parse(&src).expect("labelled set parses") {
            texts.push(item.text);
        }
    }
    texts
}

/// Per-message classification times over `texts` (`passes` passes, each
/// message timed alone), sorted.
fn classify_times(k: &Knowledge, texts: &[String], passes: usize) -> Vec<Duration> {
    classify_passes(k, texts, passes).0
}

/// Like [`classify_times`], and the first pass's times on their own
/// (sorted too): on freshly loaded content that pass is the one that fills
/// the lazy DFA's cache.
fn classify_passes(
    k: &Knowledge,
    texts: &[String],
    passes: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut per: Vec<Duration> = Vec::with_capacity(texts.len() * passes);
    for _ in 0..passes {
        for t in texts {
            let t0 = Instant::now();
            std::hint::black_box(k.classify(t, Lang::Nl));
            per.push(t0.elapsed());
        }
    }
    let mut first = per[..texts.len().min(per.len())].to_vec();
    first.sort();
    per.sort();
    (per, first)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Heap held by a classifier built from `k`'s content (patterns compiled
/// anew), after one pass over `texts` (lazy DFA caches grow on use).
fn classifier_heap(k: &Knowledge, texts: &[String]) -> (usize, usize, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let p = llo_intake::content::patterns::Patterns::compile(&k.content).expect("patterns");
    drop(p.answers);
    let (unfiltered, total) = (p.concerns.prefilter.unfiltered(), p.concerns.patterns.len());
    let c = llo_intake::domain::nlu::classify::Classifier::new(&k.content, p.concerns);
    for t in texts {
        std::hint::black_box(c.classify(&k.content, t, Lang::Nl));
    }
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    drop(c);
    (held, unfiltered, total)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Issue 12 item 3's figures, each the median of 5 rounds: content load +
/// validate + compile, p50 and p99 per message over the labelled texts (10
/// passes a round, each on freshly loaded content, the first pass
/// included), the first pass's p99 on its own (it fills the lazy DFA's
/// cache), the classifier's heap, and the slowest hostile shape.
fn classify_targets() {
    let dir = llo_intake::content::default_dir();
    let texts = labelled_texts();
    let rounds = 5;
    let (mut load, mut p50, mut p99, mut heap) = (vec![], vec![], vec![], vec![]);
    let mut first99 = vec![];
    let mut k = None;
    for r in 0..rounds {
        let t0 = Instant::now();
        let (loaded, _) = Knowledge::load(std::slice::from_ref(&dir)).expect("content");
        load.push(t0.elapsed());
        let (per, first) = classify_passes(&loaded, &texts, 10);
        p50.push(percentile(&per, 0.50));
        p99.push(percentile(&per, 0.99));
        first99.push(percentile(&first, 0.99));
        let (held, _, _) = classifier_heap(&loaded, &texts);
        heap.push(held);
        println!(
            "round {}: load {:.1?}  p50 {:.1?}  p99 {:.1?}  max {:.1?}  first pass p99 {:.1?}  heap {} KiB  (load average {})",
            r + 1,
            load[r],
            p50[r],
            p99[r],
            per[per.len() - 1],
            first99[r],
            held / 1024,
            load_average()
        );
        k = Some(loaded);
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    heap.sort();
    println!(
        "{:<48} {:>9.1?}  (target 150 ms)",
        "median: load + validate + compile content",
        med(&mut load)
    );
    println!(
        "{:<48} {:>9.1?}  (target 20 µs; {} texts x 10)",
        "median: classify p50, labelled texts",
        med(&mut p50),
        texts.len()
    );
    println!(
        "{:<48} {:>9.1?}  (target 100 µs)",
        "median: classify p99, labelled texts",
        med(&mut p99)
    );
    println!(
        "{:<48} {:>9.1?}  (the pass that fills the cache)",
        "median: classify p99, first pass alone",
        med(&mut first99)
    );
    println!(
        "{:<48} {:>9} KiB  (target 5120 KiB)",
        "median: classifier heap (built, after one pass)",
        heap[heap.len() / 2] / 1024
    );
    if let Some(k) = k {
        worst_inputs(&k);
    }
    println!("load average at the end: {}", load_average());
}

/// The classifier over every labelled text (tests/data/*.jsonl): per-message
/// percentiles (10 passes, each message timed alone), and the heap the
/// classifier itself holds once built (counted by the allocator above).
fn classifier(k: &Knowledge) {
    let texts = labelled_texts();
    let per = classify_times(k, &texts, 10);
    println!(
        "{:<48} p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  ({} texts x 10)",
        "classify, labelled texts",
        percentile(&per, 0.50),
        percentile(&per, 0.99),
        per[per.len() - 1],
        texts.len()
    );
    let (held, unfiltered, total) = classifier_heap(k, &texts);
    println!(
        "{:<48} {:>9} of {} patterns",
        "prefilter: patterns without literals (always run)", unfiltered, total
    );
    println!(
        "{:<48} {:>9} KiB",
        "classifier heap (built, after one pass)",
        held / 1024
    );
}

/// Hostile shapes at the input cap (`MAX_TEXT_CHARS`): what made matching
/// slow before the cap (100,000 characters of `-1-1...` took over 30 s),
/// repeated words and clause splitters, number words, one long word,
/// markdown and control characters. Each is classified and handled as a
/// whole engine turn at every step that takes free text; the slowest is
/// printed with its time (median of 5 runs). `cargo bench --bench intake --
/// worst` runs only this part.
fn worst_inputs(k: &Knowledge) {
    use llo_intake::content::text::MAX_TEXT_CHARS;
    let fill = |unit: &str| -> String {
        let mut s = String::new();
        while s.chars().count() + unit.chars().count() <= MAX_TEXT_CHARS {
            s.push_str(unit);
        }
        s
    };
    let shapes: Vec<(&str, String)> = vec![
        ("-1 repeated", fill("-1")),
        ("1 en 2 repeated", fill("1 en 2, ")),
        ("'personeel vinden' repeated", fill("personeel vinden ")),
        ("'geen personeel' repeated", fill("geen personeel niet ")),
        (
            "every concern word repeated",
            fill("personeel vinden houden werkdruk digitaal opleiden verzuim "),
        ),
        ("clause splitters", fill("en maar, omdat ")),
        ("number words", fill("vijfentwintig ")),
        ("'met z'n twaalven' repeated", fill("met z'n twaalven ")),
        ("one long word", "a".repeat(MAX_TEXT_CHARS)),
        ("digits", "9".repeat(MAX_TEXT_CHARS)),
        ("markdown", fill("**_~`|>#")),
        ("places", fill("Nijmegen Utrecht 1234 AB ")),
        ("routes", fill("STAP SLIM NL leert door ")),
        ("controls and bidi", fill("\u{1b}[31m\u{202e}x")),
        ("over the cap (100 KB of -1)", "-1".repeat(50_000)),
    ];
    let now = Utc::now();
    // The engine at each step that reads free text, as a fresh conversation.
    let mut at_step = Vec::new();
    let mut t = engine::start(k, "c", "u", Lang::Nl, now);
    for a in SCRIPT {
        at_step.push(t.conversation.clone());
        t = engine::handle(k, &t.conversation, Input::Text((*a).into()), now);
    }
    let median = |f: &mut dyn FnMut()| {
        let mut v: Vec<Duration> = (0..5)
            .map(|_| {
                let t0 = Instant::now();
                f();
                t0.elapsed()
            })
            .collect();
        v.sort();
        v[v.len() / 2]
    };
    let mut worst = (Duration::ZERO, String::new());
    for (name, text) in &shapes {
        let c = median(&mut || {
            std::hint::black_box(k.classify(text, Lang::Nl));
        });
        let mut turn = (Duration::ZERO, String::new());
        for conv in &at_step {
            let d = median(&mut || {
                std::hint::black_box(engine::handle(k, conv, Input::Text(text.clone()), now));
            });
            if d > turn.0 {
                turn = (d, conv.step.clone().unwrap_or_default());
            }
        }
        println!(
            "{:<48} classify {:>9.1?}  turn {:>9.1?} (at {})",
            format!("worst input: {name}"),
            c,
            turn.0,
            turn.1
        );
        if turn.0.max(c) > worst.0 {
            worst = (turn.0.max(c), name.to_string());
        }
    }
    println!(
        "{:<48} {:>12.1?}  ({})",
        "slowest input (classify or one engine turn)", worst.0, worst.1
    );
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

/// The fuzz targets' work on one input, as `fuzz/fuzz_targets/` do it
/// (without their checks): `classify` both languages; `conversation` every
/// line a turn (at most 64; `#id` a button, `#a,b` a multi-choice,
/// `#resume`). Returns the slowest single turn too.
fn replay(k: &Knowledge, target: &str, data: &[u8]) -> Duration {
    let text = String::from_utf8_lossy(data);
    if target == "classify" {
        let t0 = Instant::now();
        std::hint::black_box((k.classify(&text, Lang::Nl), k.classify(&text, Lang::En)));
        return t0.elapsed();
    }
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 10, 0, 0).unwrap();
    let lang = match data.first() {
        Some(b) if b % 2 == 0 => Lang::Nl,
        _ => Lang::En,
    };
    let mut slowest = Duration::ZERO;
    let mut turn = engine::start(k, "c1", "u1", lang, now);
    for line in text.split('\n').take(64) {
        let input = match line.strip_prefix('#') {
            None => Input::Text(line.to_string()),
            Some("resume") => Input::Resume,
            Some(ids) if ids.contains(',') => {
                Input::Choices(ids.split(',').map(str::to_string).collect())
            }
            Some(id) => Input::Choice(id.to_string()),
        };
        let t0 = Instant::now();
        turn = engine::handle(k, &turn.conversation, input, now);
        slowest = slowest.max(t0.elapsed());
    }
    slowest
}

/// The slowest input of each fuzz corpus, in this (release) build: every
/// file run 3 times, the median kept. For `conversation` the time is of the
/// slowest single engine turn in the file (a file is up to 64 turns).
fn corpus_inputs(k: &Knowledge) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for target in ["classify", "conversation"] {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else {
            println!("{target}: no corpus at fuzz/corpus/{target}");
            continue;
        };
        let mut times: Vec<(Duration, String, usize)> = Vec::new();
        for e in dir.flatten() {
            let Ok(data) = std::fs::read(e.path()) else {
                continue;
            };
            let mut v: Vec<Duration> = (0..3).map(|_| replay(k, target, &data)).collect();
            v.sort();
            times.push((
                v[1],
                e.file_name().to_string_lossy().into_owned(),
                data.len(),
            ));
        }
        times.sort();
        let Some((worst, name, len)) = times.last() else {
            continue;
        };
        let all: Vec<Duration> = times.iter().map(|t| t.0).collect();
        println!(
            "{target}: {} inputs, median {:.1?}, p99 {:.1?}, slowest {worst:.2?} ({name}, {len} bytes)  (load average {})",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            load_average()
        );
    }
}
