//! Engine behaviour on the shipped content: every kind of step, corrections,
//! retries, and the commands that work at any step. Pure: no store, no clock.

use chrono::{DateTime, TimeZone, Utc};
use llo_intake::content::text::{fold, Lang};
use llo_intake::domain::conversation::{Conversation, HandoffReason, Status};
use llo_intake::domain::engine::{self, Event, Input, Turn};
use llo_intake::domain::knowledge::Knowledge;
use llo_intake::domain::output::Output;
use std::sync::OnceLock;

pub(crate) fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

fn start(lang: Lang) -> Turn {
    engine::start(k(), "c1", "u1", lang, now())
}

pub(crate) fn say(c: &Conversation, text: &str) -> Turn {
    engine::handle(k(), c, Input::Text(text.into()), now())
}

pub(crate) fn pending(t: &Turn) -> Option<String> {
    t.question().map(|q| q.step.clone())
}

/// Plays answers from the start; returns the last turn.
pub(crate) fn play(lang: Lang, answers: &[&str]) -> Turn {
    let mut t = start(lang);
    for a in answers {
        t = say(&t.conversation, a);
    }
    t
}

pub(crate) fn text_of(t: &Turn) -> String {
    t.outputs
        .iter()
        .map(|o| o.text().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn first_question_is_consent_with_yes_and_no() {
    let t = start(Lang::Nl);
    let q = t.question().expect("asks something");
    assert_eq!(q.step, "consent");
    let ids: Vec<&str> = q.choices.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["yes", "no"]);
    assert_eq!(t.conversation.status, Status::Active);
}

#[test]
fn declining_consent_ends_as_declined_with_general_information() {
    let t = play(Lang::Nl, &["nee"]);
    assert_eq!(t.conversation.status, Status::Declined);
    assert!(matches!(t.outputs.last(), Some(Output::End { .. })));
    assert!(t.question().is_none());
    assert!(
        text_of(&t).contains("https://"),
        "declining still gives somewhere to go"
    );
}

#[test]
fn concerns_question_never_mentions_llo_policy_training_or_subsidies() {
    let step = k().content.step("concerns").expect("concerns step");
    for lang in Lang::ALL {
        let p = fold(step.prompt.get(lang));
        for word in [
            "llo",
            "leven lang",
            "lifelong",
            "beleid",
            "policy",
            "subsid",
            "opleid",
            "training",
            "cursus",
            "scholing",
        ] {
            assert!(
                !p.contains(word),
                "concerns prompt ({lang}) mentions {word:?}: {p}"
            );
        }
    }
    // And the first thing asked after consent is that open question.
    let t = play(Lang::Nl, &["ja"]);
    assert_eq!(pending(&t).as_deref(), Some("concerns"));
    assert!(
        t.question().unwrap().choices.is_empty(),
        "an open question, no options"
    );
}

#[test]
fn open_answer_is_classified_and_reflected_back() {
    let t = play(Lang::Nl, &["ja", "we kunnen geen personeel vinden"]);
    assert_eq!(pending(&t).as_deref(), Some("confirm"));
    assert_eq!(t.conversation.answers.concerns, ["recruitment"]);
    assert_eq!(
        t.conversation.answers.concerns_text.as_deref(),
        Some("we kunnen geen personeel vinden")
    );
    let q = t.question().unwrap();
    let reflect = k()
        .content
        .concern("recruitment")
        .unwrap()
        .reflect
        .nl
        .clone();
    assert!(
        q.text.contains(&reflect),
        "confirm reflects the concern in plain words: {}",
        q.text
    );
    assert!(q.multi);
    assert_eq!(q.concerns, ["recruitment"]);
}

#[test]
fn confirm_no_then_pick_by_button_ids() {
    let t = play(Lang::Nl, &["ja", "we kunnen geen personeel vinden", "nee"]);
    assert_eq!(pending(&t).as_deref(), Some("confirm"));
    assert!(t.conversation.picking);
    let t2 = engine::handle(
        k(),
        &t.conversation,
        Input::Choices(vec![
            "retention".into(),
            "wellbeing".into(),
            "not-a-concern".into(),
        ]),
        now(),
    );
    assert_eq!(t2.conversation.answers.concerns, ["retention", "wellbeing"]);
    assert_eq!(pending(&t2).as_deref(), Some("sector"));
}

#[test]
fn choice_by_id_number_label_alias_and_inside_a_sentence() {
    let base = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja"]).conversation;
    for (answer, want) in [
        ("zorg", "zorg"),
        ("3", "zorg"),
        ("Zorg en welzijn", "zorg"),
        ("we hebben een kinderopvang", "zorg"),
        ("wij zijn een bouwbedrijf", "bouw"),
    ] {
        let t = say(&base, answer);
        assert_eq!(
            t.conversation.answers.sector.as_deref(),
            Some(want),
            "{answer:?}"
        );
        assert_eq!(pending(&t).as_deref(), Some("size"));
    }
}

#[test]
fn sizes_from_numbers_words_and_bands() {
    let base = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja", "bouw"]).conversation;
    for (answer, want) in [
        ("0", "solo"),
        ("alleen ik", "solo"),
        ("3 man", "micro"),
        ("12 man", "small"),
        ("we zijn met 49", "small"),
        ("zo'n 120 medewerkers", "medium"),
        ("250", "large"),
        ("een stuk of twintig", "small"),
        ("vijf", "micro"),
    ] {
        let t = say(&base, answer);
        assert_eq!(
            t.conversation.answers.size.as_deref(),
            Some(want),
            "{answer:?}"
        );
    }
}

#[test]
fn regions_from_city_province_alias_and_postcode() {
    let base = play(
        Lang::Nl,
        &["ja", "geen personeel te vinden", "ja", "bouw", "10"],
    )
    .conversation;
    for (answer, want) in [
        ("we zitten in Nijmegen", "gelderland"),
        ("Fryslân", "friesland"),
        ("friesland", "friesland"),
        ("Brabant", "noord-brabant"),
        ("in Den Bosch", "noord-brabant"),
        ("7511 AB", "overijssel"),
        ("mijn postcode is 1012", "noord-holland"),
    ] {
        let t = say(&base, answer);
        assert_eq!(
            t.conversation.answers.region.as_deref(),
            Some(want),
            "{answer:?}"
        );
    }
}

#[test]
fn mixed_postcode_is_confirmed_not_guessed() {
    let base = play(
        Lang::Nl,
        &["ja", "geen personeel te vinden", "ja", "bouw", "10"],
    )
    .conversation;
    let t = say(&base, "3800");
    assert_eq!(pending(&t).as_deref(), Some("region"));
    assert_eq!(t.conversation.answers.region, None);
    let ids: Vec<&str> = t
        .question()
        .unwrap()
        .choices
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        ids.len() >= 2 && ids.contains(&"utrecht"),
        "asks between the provinces of that prefix: {ids:?}"
    );
    let t2 = say(&t.conversation, "utrecht");
    assert_eq!(t2.conversation.answers.region.as_deref(), Some("utrecht"));
}

#[test]
fn not_understood_twice_offers_a_human() {
    let base = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja"]).conversation;
    let t1 = say(&base, "qwerty");
    assert_eq!(pending(&t1).as_deref(), Some("sector"));
    assert_eq!(t1.conversation.misses, 1);
    assert!(!t1
        .question()
        .unwrap()
        .choices
        .iter()
        .any(|c| c.id == "human"));
    assert!(
        t1.question().unwrap().choices.len() >= 10,
        "re-asked with the options"
    );
    let t2 = say(&t1.conversation, "asdf");
    assert!(
        t2.question()
            .unwrap()
            .choices
            .iter()
            .any(|c| c.id == "human"),
        "second miss offers a person"
    );
    let t3 = engine::handle(k(), &t2.conversation, Input::Choice("human".into()), now());
    assert_eq!(t3.conversation.status, Status::Handoff);
    assert!(t3.events.contains(&Event::HandoffRequested {
        reason: HandoffReason::Misunderstood
    }));
}

#[test]
fn back_reasks_the_previous_question_and_replaces_the_answer() {
    let t = play(
        Lang::Nl,
        &["ja", "geen personeel te vinden", "ja", "horeca", "terug"],
    );
    assert_eq!(pending(&t).as_deref(), Some("sector"));
    let t = say(&t.conversation, "bouw");
    assert_eq!(t.conversation.answers.sector.as_deref(), Some("bouw"));
    assert_eq!(pending(&t).as_deref(), Some("size"));
    // At the first question there is nothing to go back to.
    let t = play(Lang::Nl, &["terug"]);
    assert_eq!(pending(&t).as_deref(), Some("consent"));
    assert!(text_of(&t).contains(&k().msg("back_none", Lang::Nl)));
}

#[test]
fn stop_works_at_every_step() {
    let answers = [
        "ja",
        "geen personeel te vinden",
        "ja",
        "bouw",
        "10",
        "Utrecht",
    ];
    for n in 0..=answers.len() {
        let t = play(Lang::Nl, &answers[..n]);
        let stopped = say(&t.conversation, "stop");
        assert_eq!(
            stopped.conversation.status,
            Status::Stopped,
            "after {n} answers"
        );
        assert!(stopped.question().is_none());
    }
}

#[test]
fn restart_clears_answers_and_asks_the_open_question_again() {
    let t = play(
        Lang::Nl,
        &["ja", "geen personeel te vinden", "ja", "bouw", "opnieuw"],
    );
    assert_eq!(pending(&t).as_deref(), Some("concerns"));
    assert_eq!(t.conversation.answers.sector, None);
    assert!(t.conversation.answers.concerns.is_empty());
    assert_eq!(
        t.conversation.answers.consent,
        Some(true),
        "consent is kept"
    );
    assert!(t.events.contains(&Event::Restarted));
}

#[test]
fn help_explains_and_reasks() {
    let t = play(Lang::En, &["yes", "help"]);
    assert_eq!(pending(&t).as_deref(), Some("concerns"));
    assert!(text_of(&t).contains(&k().msg("help", Lang::En)));
}

#[test]
fn asking_for_a_coach_hands_off_and_the_bot_goes_quiet_until_handback() {
    let t = play(Lang::Nl, &["ja", "geen personeel te vinden", "ja", "coach"]);
    assert_eq!(t.conversation.status, Status::Handoff);
    assert!(t.events.contains(&Event::HandoffRequested {
        reason: HandoffReason::UserRequest
    }));
    let quiet = say(&t.conversation, "hallo?");
    assert!(
        quiet.outputs.is_empty(),
        "no bot reply while a coach has it"
    );
    let back = engine::handle(k(), &quiet.conversation, Input::Handback, now());
    assert_eq!(back.conversation.status, Status::Active);
    assert_eq!(
        pending(&back).as_deref(),
        Some("sector"),
        "resumes at the pending question"
    );
    assert_eq!(
        back.conversation.answers.concerns,
        ["recruitment"],
        "answers kept"
    );
}

#[test]
fn moderator_handoff_and_resume() {
    let t = play(Lang::Nl, &["ja"]);
    let h = engine::handle(k(), &t.conversation, Input::ModeratorHandoff, now());
    assert!(h.events.contains(&Event::HandoffRequested {
        reason: HandoffReason::Moderator
    }));
    let r = engine::handle(k(), &h.conversation, Input::Resume, now());
    assert!(
        r.question().is_none(),
        "while handed off, a returning user hears it is with a coach"
    );
    assert!(text_of(&r).contains(&k().msg("handoff_waiting", Lang::Nl)));
    let r = engine::handle(k(), &t.conversation, Input::Resume, now());
    assert_eq!(pending(&r).as_deref(), Some("concerns"));
    assert!(text_of(&r).contains(&k().msg("welcome_back", Lang::Nl)));
}

#[test]
fn stale_button_changes_nothing() {
    let t = play(Lang::Nl, &["ja"]);
    let again = engine::handle(k(), &t.conversation, Input::Choice("bouw".into()), now());
    assert_eq!(pending(&again).as_deref(), Some("concerns"));
    assert_eq!(again.conversation.answers, t.conversation.answers);
}

#[test]
fn recommendations_show_at_most_three_routes_with_a_why_and_contacts() {
    let t = play(
        Lang::Nl,
        &[
            "ja",
            "mn mensen lopen weg en de werkdruk is hoog",
            "ja",
            "zorg",
            "25",
            "Utrecht",
            "sla over",
        ],
    );
    assert_eq!(pending(&t).as_deref(), Some("handoff_offer"));
    let rec = t
        .outputs
        .iter()
        .find_map(|o| match o {
            Output::Recommendations(r) => Some(r),
            _ => None,
        })
        .expect("recommendations shown");
    assert!(!rec.routes.is_empty() && rec.routes.len() <= 3);
    for r in &rec.routes {
        assert!(!r.why.is_empty() && r.url.starts_with("https://"));
        let route = k().content.route(&r.id).unwrap();
        assert_ne!(route.status, llo_intake::content::RouteStatus::Ended);
    }
    assert!(
        !rec.contacts.is_empty(),
        "contacts for the province or national ones"
    );
    assert!(rec.peer.is_some(), "a peer-learning suggestion");
    assert_eq!(rec.profile.region.as_deref(), Some("utrecht"));
    assert_eq!(t.conversation.recommended.len(), rec.routes.len() + 1);
}

#[test]
fn naming_an_ended_scheme_gets_its_successor() {
    let t = play(
        Lang::Nl,
        &[
            "ja",
            "kan ik nog STAP-budget aanvragen voor een medewerker?",
        ],
    );
    let stap = k().content.route("stap").unwrap();
    let succ = k()
        .content
        .route(stap.successor.as_deref().unwrap())
        .unwrap();
    let said = text_of(&t);
    assert!(said.contains(&stap.title.nl), "{said}");
    assert!(said.contains(&succ.title.nl), "{said}");
}

#[test]
fn the_engine_is_deterministic() {
    let answers = [
        "ja",
        "personeel vinden lukt niet en ze lopen weg",
        "ja",
        "bouw",
        "10",
        "1012",
        "niks",
        "ja",
    ];
    assert_eq!(play(Lang::Nl, &answers), play(Lang::Nl, &answers));
}

#[test]
fn english_conversation_uses_english_content() {
    let t = play(Lang::En, &["yes"]);
    let step = k().content.step("concerns").unwrap();
    assert_eq!(t.question().unwrap().text, step.prompt.en);
}

#[test]
fn empty_and_odd_input_is_handled() {
    let base = play(Lang::Nl, &["ja"]).conversation;
    let t = say(&base, "   ");
    assert_eq!(pending(&t).as_deref(), Some("concerns"));
    assert!(text_of(&t).contains(&k().msg("empty_input", Lang::Nl)));
    let t = say(&base, "@everyone **help** 😅 ik vind geen _personeel_");
    assert_eq!(pending(&t).as_deref(), Some("confirm"));
}

/// The script is data: a network can add a step, a branch and a message
/// without touching Rust.
#[test]
fn added_steps_and_branches_come_from_content() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("intents");
    std::fs::create_dir_all(&dir).unwrap();
    let src = llo_intake::content::default_dir();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    let script = dir.join("script.toml");
    let text = std::fs::read_to_string(&script).unwrap().replacen(
        "source = \"sectors\"\nnext = \"size\"",
        "source = \"sectors\"\nnext = \"size\"\nbranches = { agri = \"seasonal\" }",
        1,
    );
    let extra = r#"
[[step]]
id = "seasonal"
kind = "choice"
field = "seasonal"
next = "seasonal_note"
prompt = { nl = "Werk je met seizoenskrachten?", en = "Do you work with seasonal staff?" }
options = [
  { id = "ja", label = { nl = "Ja, elk jaar", en = "Yes, every year" }, aliases = ["seizoen*"] },
  { id = "nee", label = { nl = "Nee", en = "No" } },
]

[[step]]
id = "seasonal_note"
kind = "message"
next = "size"
prompt = { nl = "Goed om te weten.", en = "Good to know." }
"#;
    std::fs::write(&script, format!("{text}\n{extra}")).unwrap();
    let (k, _) = Knowledge::load(&[dir]).expect("extended content is valid");
    let mut t = engine::start(&k, "c", "u", Lang::Nl, now());
    for a in [
        "ja",
        "geen personeel te vinden",
        "ja",
        "we hebben een kwekerij",
    ] {
        t = engine::handle(&k, &t.conversation, Input::Text(a.into()), now());
    }
    assert_eq!(
        pending(&t).as_deref(),
        Some("seasonal"),
        "agri branches to the added step"
    );
    let t = engine::handle(
        &k,
        &t.conversation,
        Input::Text("ja, in het seizoen".into()),
        now(),
    );
    assert_eq!(
        t.conversation
            .answers
            .extra
            .get("seasonal")
            .map(String::as_str),
        Some("ja")
    );
    assert!(
        t.outputs.iter().any(|o| o.text() == "Goed om te weten."),
        "message step spoke"
    );
    assert_eq!(
        pending(&t).as_deref(),
        Some("size"),
        "and the script carried on"
    );
    // Other sectors skip it.
    let mut t = engine::start(&k, "c", "u", Lang::Nl, now());
    for a in ["ja", "geen personeel te vinden", "ja", "bouw"] {
        t = engine::handle(&k, &t.conversation, Input::Text(a.into()), now());
    }
    assert_eq!(pending(&t).as_deref(), Some("size"));
}

#[test]
fn a_place_inside_a_longer_place_name_does_not_count() {
    let base = play(
        Lang::Nl,
        &["ja", "geen personeel te vinden", "ja", "bouw", "10"],
    )
    .conversation;
    let t = say(&base, "we zitten in Bergen op Zoom");
    assert_eq!(
        t.conversation.answers.region.as_deref(),
        Some("noord-brabant")
    );
    // Plain "Bergen" exists in two provinces: the bot asks, with just those two.
    let t = say(&base, "Bergen");
    assert_eq!(t.conversation.answers.region, None);
    let mut ids: Vec<&str> = t
        .question()
        .unwrap()
        .choices
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["limburg", "noord-holland"]);
    assert_eq!(
        t.outputs.len(),
        1,
        "one short question, not the whole prompt again"
    );
}
