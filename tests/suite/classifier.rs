//! The concern classifier on the shipped content: scores on the labelled
//! sets, a typical and an informal phrasing per concern, negation, and the
//! `classify --explain` output a content editor reads.
//!
//! Run with `cargo test --test classifier -- --nocapture` to see the scores.
//! The held-out set (`tests/data/concerns_heldout.jsonl`) is never used for
//! tuning: its floor below was measured once, after tuning had finished.

use llo_intake::app::eval::{self, Report};
use llo_intake::content::text::Lang;
use llo_intake::domain::knowledge::Knowledge;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The tuning-set bar from the issue.
const TUNING_FLOOR: f64 = 0.90;
/// Bar for `concerns_more.jsonl`: informal chat Dutch about learning
/// reluctance, upskilling, people leaving and not finding people, written
/// to widen the patterns beyond the tuning set.
const MORE_FLOOR: f64 = 0.90;
/// Held-out macro-F1 floor: measured once, after tuning had finished
/// (0.752 on 2026-11-26; 0.794 after the patterns were widened with
/// `concerns_more.jsonl`, measured once on 2026-11-26 after they were
/// frozen), rounded down, so a regression shows. Not a target: never tune
/// on the held-out set to raise it.
const HELDOUT_FLOOR: f64 = 0.79;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn labelled(name: &str) -> Vec<eval::Labelled> {
    let src = std::fs::read_to_string(data(name)).expect("labelled set readable");
    eval::parse(&src).expect("labelled set parses")
}

fn show(name: &str, r: &Report) {
    eprintln!("{name}: {} items, macro-F1 {:.3}", r.items, r.macro_f1);
    for c in &r.per_concern {
        eprintln!(
            "  {:<18} P {:.3}  R {:.3}  F1 {:.3}  (tp {} fp {} fn {})",
            c.concern, c.precision, c.recall, c.f1, c.tp, c.fp, c.fn_
        );
    }
}

fn classify(text: &str) -> Vec<String> {
    k().classify(text, Lang::Nl)
}

/// Scores one labelled file, prints the table, and checks its size and floor.
fn score(file: &str, min_items: usize, floor: f64) {
    let items = labelled(file);
    assert!(items.len() >= min_items, "{file} has {} items", items.len());
    let r = eval::evaluate(k(), &items);
    show(file, &r);
    assert!(
        r.macro_f1 >= floor,
        "{file}: macro-F1 {:.3} < {floor}",
        r.macro_f1
    );
}

#[test]
fn tuning_set_reaches_macro_f1_0_90() {
    score("concerns.jsonl", 250, TUNING_FLOOR);
}

#[test]
fn informal_set_reaches_macro_f1_0_90() {
    score("concerns_more.jsonl", 80, MORE_FLOOR);
}

#[test]
fn heldout_set_is_scored_separately_and_stays_above_its_floor() {
    score("concerns_heldout.jsonl", 60, HELDOUT_FLOOR);
}

/// Every no-concern item of `file` (at least `min` of them) gets no concern.
fn small_talk_stays_clean(file: &str, min: usize) {
    let items = labelled(file);
    let small_talk: Vec<_> = items.iter().filter(|i| i.concerns.is_empty()).collect();
    assert!(
        small_talk.len() >= min,
        "{file}: only {} no-concern items",
        small_talk.len()
    );
    let wrong: Vec<(String, Vec<String>)> = small_talk
        .iter()
        .map(|i| (i.text.clone(), classify(&i.text)))
        .filter(|(_, got)| !got.is_empty())
        .collect();
    assert!(
        wrong.is_empty(),
        "{file}: concerns found in small talk: {wrong:?}"
    );
}

#[test]
fn small_talk_in_the_tuning_set_reports_no_concern() {
    small_talk_stays_clean("concerns.jsonl", 20);
}

#[test]
fn small_talk_and_denials_in_the_informal_set_report_no_concern() {
    small_talk_stays_clean("concerns_more.jsonl", 20);
}

/// (concern, typical phrasing, informal phrasing). Written for this test,
/// not taken from the labelled sets.
const PHRASINGS: &[(&str, &str, &str)] = &[
    (
        "recruitment",
        "We kunnen geen geschikte medewerkers vinden voor onze vacatures.",
        "krijg gwn geen monteurs binnen, niemand reageert",
    ),
    (
        "retention",
        "Goede medewerkers vertrekken na een paar jaar naar een andere werkgever.",
        "mn beste mensen lopen steeds weg naar de concurrent",
    ),
    (
        "upskilling",
        "Mijn medewerkers moeten bijgeschoold worden in de nieuwe regelgeving.",
        "de jongens moeten ff hun vca halen",
    ),
    (
        "digitalisation",
        "We willen ons bedrijf digitaliseren en de administratie automatiseren.",
        "alles gaat via apps tegenwoordig en wij doen nog alles op papier",
    ),
    (
        "aging_workforce",
        "Veel van onze ervaren medewerkers gaan de komende jaren met pensioen.",
        "de ouwe garde stopt er binnenkort mee, wie neemt het over",
    ),
    (
        "wellbeing",
        "Het ziekteverzuim is hoog en de werkdruk neemt nog steeds toe.",
        "iedereen zit op z'n tandvlees hier",
    ),
    (
        "learning_culture",
        "Mijn medewerkers hebben weinig zin om te leren.",
        "cursus? daar hebben m'n jongens echt geen zin in",
    ),
    (
        "funding",
        "Welke subsidies zijn er voor het opleiden van personeel?",
        "wie gaat dat betalen dan, ik ben maar een klein bedrijfje",
    ),
];

/// The same in English.
const PHRASINGS_EN: &[(&str, &str, &str)] = &[
    (
        "recruitment",
        "We are struggling to find qualified staff.",
        "cant find any drivers, zero applicants",
    ),
    (
        "retention",
        "Our employees keep leaving for competitors.",
        "ppl just dont stick around anymore",
    ),
    (
        "upskilling",
        "My team needs training in the new regulations.",
        "the guys need to renew their forklift certificates",
    ),
    (
        "digitalisation",
        "We want to automate our administration.",
        "should we do something with AI?",
    ),
    (
        "aging_workforce",
        "Several senior staff will retire in the next few years.",
        "half the crew is over 55 tbh",
    ),
    (
        "wellbeing",
        "Sick leave is high and the workload keeps rising.",
        "everyone is exhausted, two off sick",
    ),
    (
        "learning_culture",
        "My staff don't want to learn new things.",
        "no time for training, always busy",
    ),
    (
        "funding",
        "Are there subsidies for training our staff?",
        "who pays for all that? money's tight",
    ),
];

#[test]
fn every_concern_matches_a_typical_and_an_informal_phrasing() {
    let mut failures = Vec::new();
    for (concern, typical, informal) in PHRASINGS.iter().chain(PHRASINGS_EN) {
        for text in [typical, informal] {
            let got = classify(text);
            if !got.iter().any(|c| c == concern) {
                failures.push(format!("{concern}: {text:?} gave {got:?}"));
            }
        }
    }
    let ids: Vec<&str> = PHRASINGS.iter().map(|p| p.0).collect();
    for c in &k().content.concerns {
        assert!(ids.contains(&c.id.as_str()), "no phrasings for {}", c.id);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_denied_concern_is_dropped_and_the_raised_one_kept() {
    let cases: &[(&str, &[&str])] = &[
        ("personeel vinden lukt wel, houden niet", &["retention"]),
        (
            "geld is het probleem niet, ik heb geen tijd om mensen op te leiden",
            &["learning_culture"],
        ),
        ("personeel vinden is geen probleem", &[]),
        (
            "werving gaat prima, maar het verzuim is hoog",
            &["wellbeing"],
        ),
        (
            "vergrijzing speelt bij ons niet, digitalisering wel",
            &["digitalisation"],
        ),
        ("daar hebben we geen last van, van vergrijzing", &[]),
        (
            "de werkdruk valt mee, maar ik kan geen chauffeurs krijgen",
            &["recruitment"],
        ),
        (
            "Recruitment is not a problem, but people keep leaving.",
            &["retention"],
        ),
        // Without a cue nothing is dropped.
        (
            "de werkdruk is hoog en ik kan geen chauffeurs krijgen",
            &["recruitment", "wellbeing"],
        ),
    ];
    for (text, want) in cases {
        let got = classify(text);
        assert_eq!(&got, want, "{text:?}");
    }
}

#[test]
fn reluctance_to_learn_is_not_also_a_training_need() {
    // learning_culture cancels upskilling in the same clause ...
    assert_eq!(
        classify("als ik een training aanbied schrijft niemand zich in"),
        ["learning_culture"]
    );
    // ... but not in another clause.
    let got =
        classify("ze moeten leren werken met het nieuwe systeem, maar ze zien het niet zitten");
    assert!(
        got.contains(&"upskilling".to_string()) && got.contains(&"learning_culture".to_string()),
        "{got:?}"
    );
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_llo-intake"))
}

#[test]
fn explain_shows_pattern_span_and_cancelling_cue_for_an_editor() {
    let out = bin()
        .args([
            "classify",
            "--explain",
            "Geld is het probleem niet, ik heb geen tijd om mensen op te leiden",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The folded clauses, the matched words, the pattern and where it lives.
    assert!(
        text.contains("clause 1: \"geld is het probleem niet\""),
        "{text}"
    );
    assert!(
        text.contains("funding (kosten of subsidie): \"geld\""),
        "{text}"
    );
    assert!(text.contains("concern.funding.patterns.nl["), "{text}");
    // Why not: the cue that cancelled it, with its pattern and key.
    assert!(
        text.contains("cancelled: negation cue \"is het probleem niet\""),
        "{text}"
    );
    assert!(text.contains("negation.patterns.nl["), "{text}");
    // Why not, too: upskilling was overridden by learning_culture.
    assert!(text.contains("learning_culture overrides it"), "{text}");
    assert!(text.contains("result: learning_culture"), "{text}");
    assert!(text.contains("not found: recruitment"), "{text}");
}

#[test]
fn explain_json_names_every_hit_with_its_span() {
    let input = "personeel vinden lukt wel, houden niet";
    let out = bin()
        .args(["classify", "--explain", "--json", input])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["explain"];
    assert_eq!(e["concerns"], serde_json::json!(["retention"]));
    let hits = e["hits"].as_array().unwrap();
    let kept: Vec<_> = hits
        .iter()
        .filter(|h| h.get("cancelled").is_none())
        .collect();
    assert_eq!(kept.len(), 1, "{hits:?}");
    let h = kept[0];
    assert_eq!(h["concern"], "retention");
    let (a, b) = (
        h["span"][0].as_u64().unwrap() as usize,
        h["span"][1].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &e["folded"].as_str().unwrap()[a..b],
        h["matched"].as_str().unwrap()
    );
    assert!(input[a..].starts_with("houden"), "{h}");
}
