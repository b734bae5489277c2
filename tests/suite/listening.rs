//! A conversation that listens: option numbers and markdown, questions at
//! the consent step, the strongest concerns only, partial corrections,
//! sector and size from the open answer, language that follows the person,
//! and the console showing what Discord shows. End to end through the
//! console binary where a user would notice it; the engine where a state
//! detail matters.

use crate::cli::bin;
use crate::engine::{k, pending, play, say, text_of};
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

#[test]
fn a_question_at_consent_is_answered_and_never_taken_as_consent() {
    for (q, key) in [
        ("wat doen jullie met mijn gegevens?", "faq_privacy"),
        ("Wie zijn jullie?", "faq_who"),
        ("is dit gratis?", "faq_cost"),
        ("ja, maar wie kan mijn antwoorden zien?", "faq_privacy"),
        ("ja?? hoe werkt dat dan met de coach?", "faq_unknown"),
    ] {
        let t = play(Lang::Nl, &[q]);
        assert_eq!(pending(&t).as_deref(), Some("consent"), "{q}");
        assert_eq!(t.conversation.answers.consent, None, "{q}");
        let said = text_of(&t);
        let answer = k().msg(key, Lang::Nl).replace("{retention_days}", "");
        let head: String = answer.chars().take(30).collect();
        assert!(said.contains(&head), "{q}: {said}");
        assert_eq!(
            t.question().unwrap().text,
            k().msg("reask_consent", Lang::Nl)
        );
    }
    for (q, key) in [
        ("what do you do with my data?", "faq_privacy"),
        ("who are you?", "faq_who"),
        ("is this free?", "faq_cost"),
    ] {
        let t = play(Lang::En, &[q]);
        assert_eq!(t.conversation.answers.consent, None, "{q}");
        let head: String = k().msg(key, Lang::En).chars().take(30).collect();
        assert!(text_of(&t).contains(&head), "{q}: {}", text_of(&t));
        assert_eq!(
            t.question().unwrap().text,
            k().msg("reask_consent", Lang::En)
        );
    }
}

#[test]
fn after_a_misunderstanding_consent_is_reasked_short_and_in_full_on_request() {
    let full = k().content.step("consent").unwrap().prompt.nl.clone();
    let t = play(Lang::Nl, &["hmm"]);
    let q = t.question().unwrap();
    assert_eq!(q.text, k().msg("reask_consent", Lang::Nl));
    assert!(q.text.split_whitespace().count() < 30, "{}", q.text);
    assert!(!text_of(&t).contains(&full[..40]));
    let t = say(&t.conversation, "lees nog eens");
    assert_eq!(t.question().unwrap().text, full);
    let t = say(&t.conversation, "1");
    assert_eq!(t.conversation.answers.consent, Some(true));
}

#[test]
fn new_sentences_exist_in_both_languages() {
    for key in [
        "reask_consent",
        "faq_privacy",
        "faq_who",
        "faq_cost",
        "faq_unknown",
        "lang_switched",
    ] {
        let t = k()
            .content
            .msg(key)
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!(!t.nl.trim().is_empty() && !t.en.trim().is_empty(), "{key}");
        assert!(
            !format!(" {} ", t.nl.to_lowercase()).contains(" u "),
            "{key}: informal je, not u"
        );
    }
}
