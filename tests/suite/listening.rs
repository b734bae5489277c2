//! A conversation that listens: option numbers and markdown, questions at
//! the consent step, the strongest concerns only, partial corrections,
//! sector and size from the open answer, language that follows the person,
//! and the console showing what Discord shows. End to end through the
//! console binary where a user would notice it; the engine where a state
//! detail matters.

use crate::cli::bin;
use crate::engine::{k, now, pending, play, say, text_of};
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
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
    for key in llo_intake::domain::MESSAGE_KEYS {
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

#[test]
fn at_most_the_three_strongest_concerns_are_reflected() {
    let t = play(
        Lang::Nl,
        &[
            "ja",
            "we kunnen geen personeel vinden, mensen lopen weg, niemand wil leren, \
             de werkdruk is hoog, alles moet digitaal en de kosten zijn te hoog",
        ],
    );
    let a = &t.conversation.answers;
    assert!(
        !a.detected.is_empty() && a.detected.len() <= 3,
        "{:?}",
        a.detected
    );
    let q = t.question().unwrap();
    let reflected = k()
        .content
        .concerns
        .iter()
        .filter(|c| q.text.contains(c.reflect.nl.as_str()))
        .count();
    assert_eq!(reflected, a.detected.len(), "{}", q.text);
}

#[test]
fn a_partial_correction_removes_what_was_denied() {
    let base = play(
        Lang::Nl,
        &[
            "ja",
            "ik kan geen personeel vinden en mijn oudste vakman gaat binnenkort met pensioen",
        ],
    )
    .conversation;
    assert_eq!(base.answers.detected, ["recruitment", "aging_workforce"]);
    for answer in [
        "ja maar geen vergrijzing",
        "klopt, alleen vergrijzing is niet het probleem",
    ] {
        let t = say(&base, answer);
        assert_eq!(pending(&t).as_deref(), Some("confirm"), "{answer}");
        assert_eq!(t.conversation.answers.concerns, ["recruitment"], "{answer}");
        let q = t.question().unwrap();
        assert!(!q.text.contains('\n'), "one line: {}", q.text);
        let t = say(&t.conversation, "ja");
        assert_eq!(pending(&t).as_deref(), Some("sector"));
        assert_eq!(t.conversation.answers.concerns, ["recruitment"]);
    }
    // Saying the concern again is not denying it.
    let t = say(&base, "ja, ik kan echt geen personeel vinden");
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    assert!(t
        .conversation
        .answers
        .concerns
        .contains(&"recruitment".to_string()));
    // Denying everything asks them to pick.
    let t = say(
        &base,
        "nee, personeel vinden en vergrijzing zijn niet het probleem",
    );
    assert!(t.conversation.picking);
}

#[test]
fn sector_synonyms_and_size_bands() {
    let base = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja"]).conversation;
    for (answer, want) in [
        ("bakkerij", "retail"),
        ("slagerij", "retail"),
        ("een drukkerij", "techniek"),
        ("kapper", "overig"),
        ("schoonmaakbedrijf", "zakelijk"),
        ("accountancy", "zakelijk"),
    ] {
        let t = say(&base, answer);
        assert_eq!(
            t.conversation.answers.sector.as_deref(),
            Some(want),
            "{answer}"
        );
    }
    // Kapper is not on the list: "Iets anders", with their word kept.
    let t = say(&base, "kapper");
    assert_eq!(
        t.conversation
            .answers
            .extra
            .get("sector_text")
            .map(String::as_str),
        Some("kapper")
    );
    // Noise is still not understood.
    let t = say(&base, "qwerty");
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    let labels: Vec<String> = k()
        .content
        .sizes
        .iter()
        .map(|s| s.label.nl.clone())
        .collect();
    assert_eq!(
        labels,
        [
            "Alleen ikzelf",
            "1–9 mensen",
            "10–49 mensen",
            "50–249 mensen",
            "250 mensen of meer"
        ]
    );
    let base = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja", "bouw"]).conversation;
    for (answer, want) in [
        ("we zijn met z'n twaalfen", "small"),
        ("we zijn met z'n vijven", "micro"),
        ("vijfentwintig", "small"),
        ("9", "micro"),
        ("10", "small"),
        ("tweehonderd", "medium"),
    ] {
        let t = say(&base, answer);
        assert_eq!(
            t.conversation.answers.size.as_deref(),
            Some(want),
            "{answer}"
        );
    }
}

#[test]
fn an_open_answer_without_sector_or_headcount_proposes_nothing() {
    let t = play(
        Lang::Nl,
        &[
            "ja",
            "mijn beste vakman gaat over twee jaar met pensioen",
            "ja",
        ],
    );
    assert!(t.conversation.proposed.is_empty());
    assert_eq!(
        t.question().unwrap().text,
        k().content.step("sector").unwrap().prompt.nl
    );
    // "nee" to a proposal asks the question from scratch.
    let t = play(
        Lang::Nl,
        &[
            "ja",
            "we hebben een bouwbedrijf en vinden geen timmerlieden",
            "ja",
        ],
    );
    assert_eq!(
        t.conversation.proposed.get("sector").map(String::as_str),
        Some("bouw")
    );
    let t = say(&t.conversation, "nee");
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    assert!(t.question().unwrap().choices.len() >= 10);
}

#[test]
fn a_no_that_names_the_right_place_or_sector_corrects_the_proposal() {
    let open = "we hebben een bouwbedrijf in Utrecht en vinden geen timmerlieden";
    let t = play(Lang::Nl, &["ja", open, "ja"]);
    assert_eq!(
        t.conversation
            .proposed
            .get("municipality")
            .map(String::as_str),
        Some("GM0344"),
        "Utrecht proposed"
    );
    // "Nee, Delft": the place is replaced, the sector kept, and asked again.
    let t = say(&t.conversation, "Nee, Delft");
    let q = t.question().unwrap().text.clone();
    assert!(q.contains("Delft") && q.contains("Bouw"), "{q}");
    assert!(!q.contains("Utrecht"), "{q}");
    let t = say(&t.conversation, "ja");
    assert_eq!(
        t.conversation.answers.municipality.as_deref(),
        Some("GM0503")
    );
    assert_eq!(t.conversation.answers.sector.as_deref(), Some("bouw"));
    assert_eq!(
        pending(&t).as_deref(),
        Some("size"),
        "sector and place are done"
    );
    // "nee: een bakkerij": the sector is replaced, the place kept.
    let t = play(Lang::Nl, &["ja", open, "ja", "nee: een bakkerij", "ja"]);
    assert_eq!(
        t.conversation.answers.municipality.as_deref(),
        Some("GM0344")
    );
    assert_eq!(t.conversation.answers.sector.as_deref(), Some("retail"));
    // In English as well.
    let t = play(
        Lang::En,
        &[
            "yes",
            "we run a construction firm in Utrecht and cannot find carpenters",
            "yes",
            "no, Delft",
            "yes",
        ],
    );
    assert_eq!(
        t.conversation.answers.municipality.as_deref(),
        Some("GM0503")
    );
    // A bare "nee", or a no naming nothing we know, asks from scratch.
    let t = play(
        Lang::Nl,
        &["ja", open, "ja", "nee, dat klopt niet helemaal"],
    );
    assert!(t.conversation.proposed.is_empty());
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    assert!(t.question().unwrap().choices.len() >= 10);
}

/// "Nee, Bergen": a place that fits several municipalities in different
/// provinces. The sector stays proposed, and the region question asks which
/// Bergen rather than starting over.
#[test]
fn a_no_that_names_an_ambiguous_place_asks_which_one() {
    let open = "we hebben een bouwbedrijf in Utrecht en vinden geen timmerlieden";
    let t = play(Lang::Nl, &["ja", open, "ja", "Nee, Bergen"]);
    let q = t.question().unwrap().text.clone();
    assert!(q.contains("Bouw"), "the sector is still proposed: {q}");
    assert!(!q.contains("Utrecht"), "{q}");
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    // "ja" to the sector; the size comes first, then the region asks which
    // Bergen, by province, and the province picked decides.
    let t = say(&t.conversation, "ja");
    assert_eq!(t.conversation.answers.sector.as_deref(), Some("bouw"));
    assert_eq!(pending(&t).as_deref(), Some("size"));
    let t = say(&t.conversation, "12");
    assert_eq!(pending(&t).as_deref(), Some("region"));
    let q = t.question().unwrap();
    let ambiguous = "Ik zie meer dan één mogelijkheid";
    assert!(q.text.contains(ambiguous), "{}", q.text);
    let options: Vec<&str> = q.choices.iter().map(|c| c.label.as_str()).collect();
    assert!(
        options.contains(&"Noord-Holland") && options.contains(&"Limburg"),
        "{options:?}"
    );
    let t = say(&t.conversation, "Limburg");
    assert_eq!(t.conversation.answers.region.as_deref(), Some("limburg"));
    assert!(t.conversation.answers.municipality.is_some());
    assert!(t.conversation.proposed.is_empty());
    // Only the place was proposed: the region question asks at once.
    let open = "ik zit in Utrecht en mijn mensen lopen weg";
    let t = play(Lang::Nl, &["ja", open, "ja", "bouw", "12"]);
    assert_eq!(pending(&t).as_deref(), Some("region"));
    assert!(t.question().unwrap().text.contains("Utrecht"));
    let t = say(&t.conversation, "nee, Bergen");
    let q = t.question().unwrap();
    assert!(q.text.contains(ambiguous), "{}", q.text);
    assert_eq!(q.choices.len(), 2, "{:?}", q.choices);
}

#[test]
fn the_stored_language_follows_the_person() {
    use llo_intake::app::service::Intake;
    use llo_intake::app::store::Store;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let intake = Intake::new(
        Arc::new(Knowledge::load_default().unwrap()),
        store.clone(),
        Lang::Nl,
    );
    let t0 = now();
    let r = intake.resume_or_start("anna", None, t0).unwrap();
    let id = r.conversation.id.clone();
    assert_eq!(r.conversation.lang, Lang::Nl);
    intake
        .handle("anna", Input::Text("in English please".into()), t0)
        .unwrap();
    assert_eq!(store.conversation(&id).unwrap().unwrap().lang, Lang::En);
    intake
        .handle("anna", Input::Text("Nederlands graag".into()), t0)
        .unwrap();
    assert_eq!(store.conversation(&id).unwrap().unwrap().lang, Lang::Nl);
    // English written in the first messages switches too.
    let r = intake
        .handle(
            "anna",
            Input::Text("yes, but we can't find any staff for our shop".into()),
            t0,
        )
        .unwrap();
    assert_eq!(r.conversation.lang, Lang::En);
    assert_eq!(store.conversation(&id).unwrap().unwrap().lang, Lang::En);
}

/// The console up to and including the region answer `place`, then
/// `rest`.
fn console_with_place(place: &str, rest: &[&str]) -> String {
    let mut answers = vec![
        "ja",
        "ik kan geen personeel vinden",
        "ja",
        "bouw",
        "12",
        place,
    ];
    answers.extend_from_slice(rest);
    console_text(&answers)
}

#[test]
fn a_postcode_gives_the_municipality_and_its_own_regional_desk() {
    // 3811 is Amersfoort (Utrecht); its two-digit prefix 38 alone would
    // also be Gelderland, so the four digits are what place it.
    let out = console_with_place("3811", &["sla over"]);
    assert!(
        out.contains("Werkcentrum regio Amersfoort"),
        "the region's own desk: {out}"
    );
    assert!(
        !out.contains("In welke provincie"),
        "no province question: {out}"
    );
    // 7693 lies in Hardenberg and Twenterand: asked, not guessed.
    let out = console_with_place("7693", &["Twenterand", "sla over"]);
    assert!(
        out.contains("In welke gemeente zit je: Hardenberg of Twenterand?"),
        "{out}"
    );
    assert!(out.contains("Twente"), "Twenterand's region: {out}");
}

#[test]
fn english_trade_words_name_their_sector() {
    for (said, want) in [
        ("we run a bakery", "retail"),
        ("a butcher's shop", "retail"),
        ("we're plumbers", "techniek"),
        ("a printing company", "techniek"),
    ] {
        let base = play(Lang::En, &["yes", "we can't find staff", "yes"]).conversation;
        let t = say(&base, said);
        assert_eq!(
            t.conversation.answers.sector.as_deref(),
            Some(want),
            "{said:?}"
        );
    }
}
