//! The classifier gives the same labels and the same `--explain` reasoning
//! as the one recorded in `tests/data/classifier_snapshot.jsonl`, for every
//! labelled text, read in Dutch and in English (the language orders the hits).
//!
//! The snapshot was recorded with `llo-intake classify --explain --json`
//! before the classifier was made faster. When content changes the labels on
//! purpose, re-record it (see the comment in [`record`]) and review the diff.

use llo_intake::content::text::Lang;
use llo_intake::domain::knowledge::Knowledge;
use serde_json::Value;
use std::path::PathBuf;

fn snapshot() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/classifier_snapshot.jsonl")
}

/// To re-record: `LLO_RECORD_SNAPSHOT=1 cargo test --test suite classifier_snapshot`.
fn record(k: &Knowledge, lines: &[Value]) {
    let mut out = String::new();
    for v in lines {
        let lang = if v["lang"] == "en" {
            Lang::En
        } else {
            Lang::Nl
        };
        let text = v["text"].as_str().unwrap_or_default();
        let e = k.classifier.explain(&k.content, text, lang);
        let line = serde_json::json!({"lang": v["lang"], "text": text, "explain": e});
        out.push_str(&serde_json::to_string(&line).unwrap());
        out.push('\n');
    }
    std::fs::write(snapshot(), out).unwrap();
}

#[test]
fn every_labelled_text_keeps_its_labels_and_explanation() {
    let k = Knowledge::load_default().expect("shipped content loads");
    let src = std::fs::read_to_string(snapshot()).expect("snapshot readable");
    let lines: Vec<Value> = src
        .lines()
        .map(|l| serde_json::from_str(l).expect("snapshot line is JSON"))
        .collect();
    assert!(lines.len() >= 2 * 588, "{} lines", lines.len());
    if std::env::var_os("LLO_RECORD_SNAPSHOT").is_some() {
        record(&k, &lines);
        return;
    }
    let mut label_diffs = Vec::new();
    let mut explain_diffs = Vec::new();
    for v in &lines {
        let lang = if v["lang"] == "en" {
            Lang::En
        } else {
            Lang::Nl
        };
        let text = v["text"].as_str().expect("text");
        let e = k.classifier.explain(&k.content, text, lang);
        let got = serde_json::to_value(&e).unwrap();
        let want = &v["explain"];
        if got["concerns"] != want["concerns"] {
            label_diffs.push(format!(
                "{lang} {text:?}: now {} was {}",
                got["concerns"], want["concerns"]
            ));
        } else if &got != want {
            explain_diffs.push(format!("{lang} {text:?}:\n  now {got}\n  was {want}"));
        }
        assert_eq!(k.classify(text, lang), e.concerns, "{text:?}");
    }
    assert!(
        label_diffs.is_empty(),
        "{} texts changed labels:\n{}",
        label_diffs.len(),
        label_diffs.join("\n")
    );
    assert!(
        explain_diffs.is_empty(),
        "{} explanations changed:\n{}",
        explain_diffs.len(),
        explain_diffs.join("\n")
    );
}

/// The rendered `--explain` text of the built binary matches the recorded
/// reasoning for a few texts (the renderer reads only the explanation).
#[test]
fn the_binary_explains_like_the_snapshot() {
    let src = std::fs::read_to_string(snapshot()).expect("snapshot readable");
    for line in src.lines().step_by(97).take(8) {
        let v: Value = serde_json::from_str(line).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_llo-intake"))
            .args(["classify", "--explain", "--json", "--lang"])
            .arg(v["lang"].as_str().unwrap())
            .arg(v["text"].as_str().unwrap())
            .output()
            .unwrap();
        assert!(out.status.success());
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got["explain"], v["explain"], "{}", v["text"]);
    }
}
