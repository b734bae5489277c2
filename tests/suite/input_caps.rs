//! Input caps in the library: the engine, the classifier and the matchers
//! read at most `MAX_TEXT_CHARS` characters and no steering characters,
//! whoever calls them; a 100 KB message gets a clear reply and the
//! conversation loses nothing. (Speed: `cargo bench --bench intake`.)

use crate::privacy_support::{export_all, run, stderr};
use llo_intake::content::text::{Lang, MAX_TEXT_CHARS};
use llo_intake::domain::engine::{self, Input};
use llo_intake::domain::knowledge::Knowledge;
use std::sync::OnceLock;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 1, 10, 0, 0).unwrap()
}

#[test]
fn a_100_kb_message_gets_a_clear_reply_and_the_conversation_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let head = "we kunnen geen personeel vinden en de werkdruk is hoog. ";
    let long = format!("{head}{}", "-1".repeat(50_000));
    assert!(long.len() > 100_000);
    let answers = format!("ja\n{long}\nja\nbouw\n12\nUtrecht\nvacatures geplaatst\nnee\n");
    let o = run(
        &[
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            "lang",
        ],
        &answers,
    );
    assert!(o.status.success(), "console: {}", stderr(&o));
    let outputs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let too_long = k().msg("too_long", Lang::Nl);
    let at = outputs
        .iter()
        .position(|v| v["text"] == too_long.as_str())
        .expect("the person is told only the first part was read");
    // Right after it, the bot goes on with what it read: the concern.
    assert_eq!(outputs[at + 1]["step"], "confirm", "{:?}", outputs[at + 1]);
    assert_eq!(
        outputs
            .iter()
            .filter(|v| v["text"] == too_long.as_str())
            .count(),
        1
    );

    // Every answer is kept: the first MAX_TEXT_CHARS of the long one, and all
    // the others.
    let export = export_all(&db);
    let s: serde_json::Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    let words = s["concerns_text"].as_str().unwrap();
    assert_eq!(words.chars().count(), MAX_TEXT_CHARS);
    assert!(long.starts_with(words));
    assert_eq!(
        s["concerns"],
        serde_json::json!(["recruitment", "wellbeing"]),
        "{s}"
    );
    assert_eq!(s["profile"]["sector"], "bouw", "{s}");
    assert_eq!(s["profile"]["size"], "small");
    assert_eq!(s["profile"]["region"], "utrecht");
    assert_eq!(s["tried"], "vacatures geplaatst");
    assert_eq!(s["status"], "ended");
}

#[test]
fn the_engine_and_classifier_cap_and_clean_text_themselves() {
    let k = k();
    // The classifier reads the first MAX_TEXT_CHARS characters, not more.
    let head = "ik kan geen personeel vinden ";
    let tail = " en mijn mensen lopen weg";
    let long = format!("{head}{}{tail}", "-1".repeat(100_000));
    assert_eq!(k.classify(&long, Lang::Nl), vec!["recruitment".to_string()]);
    assert!(k
        .classify(tail, Lang::Nl)
        .contains(&"retention".to_string()));

    // The engine, called without the service, strips steering characters:
    // "ja" with an ESC and a bidi override is still yes.
    let t = engine::start(k, "c", "u", Lang::Nl, now());
    let t = engine::handle(
        k,
        &t.conversation,
        Input::Text("\u{1b}[1mja\u{202e}\u{7}".into()),
        now(),
    );
    assert_eq!(t.conversation.answers.consent, Some(true));
    // ... and cuts what it keeps of a 200 KB answer.
    let t = engine::handle(k, &t.conversation, Input::Text(long.clone()), now());
    let kept = t.conversation.answers.concerns_text.unwrap_or_default();
    assert!(kept.chars().count() <= MAX_TEXT_CHARS, "{}", kept.len());
    assert!(kept.starts_with("ik kan geen personeel vinden"));
}
