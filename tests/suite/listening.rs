//! A conversation that listens: option numbers and markdown, questions at
//! the consent step, the strongest concerns only, partial corrections,
//! sector and size from the open answer, language that follows the person,
//! and the console showing what Discord shows. End to end through the
//! console binary where a user would notice it; the engine where a state
//! detail matters.

use crate::cli::bin;
use crate::engine::{k, pending, play, say};
use llo_intake::content::text::Lang;
use llo_intake::domain::output::Output;
use std::io::Write;
use std::process::Stdio;

/// The console in plain-text mode, fed `answers`; what it printed.
fn console_text(answers: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["console", "--db"])
        .arg(dir.path().join("db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    {
        let mut stdin = child.stdin.take().unwrap();
        for a in answers {
            writeln!(stdin, "{a}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn numbers_pick_the_option_shown_with_them_at_yes_no() {
    // "1) Ja 2) Nee" at consent, typed as a number.
    let t = play(Lang::Nl, &["1"]);
    assert_eq!(pending(&t).as_deref(), Some("concerns"));
    assert_eq!(t.conversation.answers.consent, Some(true));
    let t = play(Lang::Nl, &["2"]);
    assert_eq!(t.conversation.answers.consent, Some(false));
    // A number that is not on the list is not understood.
    let t = play(Lang::Nl, &["7"]);
    assert_eq!(pending(&t).as_deref(), Some("consent"));
    assert_eq!(t.conversation.answers.consent, None);
}

#[test]
fn numbers_at_the_confirm_step_follow_the_list_as_shown() {
    // Concerns detected: the list reads 1) Ja 2) Nee 3) first concern ...
    let base = play(Lang::Nl, &["ja", "we kunnen geen personeel vinden"]).conversation;
    let t = say(&base, "1");
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    assert_eq!(t.conversation.answers.concerns, ["recruitment"]);
    let t = say(&base, "2");
    assert_eq!(pending(&t).as_deref(), Some("confirm"));
    assert!(t.conversation.picking);
    // "4" is the second concern in the list (after Ja and Nee).
    let t = say(&base, "4");
    assert_eq!(
        t.conversation.answers.concerns,
        [k().content.concerns[1].id.clone()]
    );
}

#[test]
fn markdown_and_zero_width_characters_are_stripped() {
    for answer in ["**Ja**", "ja\u{200b}", "_ja_", "`1`"] {
        let t = play(Lang::Nl, &[answer]);
        assert_eq!(pending(&t).as_deref(), Some("concerns"), "{answer:?}");
    }
    let t = play(
        Lang::Nl,
        &["ja", "we kunnen geen personeel vinden", "**klopt**"],
    );
    assert_eq!(pending(&t).as_deref(), Some("sector"));
}

#[test]
fn console_shows_summary_why_and_link_per_route_like_discord() {
    let answers = [
        "ja",
        "ik kan geen monteurs vinden",
        "ja",
        "techniek",
        "12",
        "Zwolle",
        "nee",
    ];
    let out = console_text(&answers);
    let t = play(Lang::Nl, &answers);
    let rec = t
        .outputs
        .iter()
        .find_map(|o| match o {
            Output::Recommendations(r) => Some(r.clone()),
            _ => None,
        })
        .expect("recommendations");
    assert!(!rec.routes.is_empty());
    for r in &rec.routes {
        assert!(out.contains(&r.title), "title of {}: {out}", r.id);
        assert!(out.contains(r.summary.trim()), "summary of {}: {out}", r.id);
        assert!(out.contains(r.why.trim()), "why of {}: {out}", r.id);
        assert!(out.contains(&r.url), "link of {}: {out}", r.id);
    }
}
