//! The shipped route catalogue and contacts: every route is complete and
//! sourced, ended schemes are never recommended but are recognised when a
//! user names them, every province has a contact of its own, and a
//! deployment's own contacts show up.

use llo_intake::content::text::Lang;
use llo_intake::content::RouteStatus;
use llo_intake::domain::conversation::Answers;
use llo_intake::domain::knowledge::Knowledge;
use llo_intake::domain::recommend;
use std::sync::OnceLock;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

fn answers(
    concerns: &[String],
    sector: Option<&str>,
    size: Option<&str>,
    region: Option<&str>,
) -> Answers {
    Answers {
        concerns: concerns.to_vec(),
        sector: sector.map(String::from),
        size: size.map(String::from),
        region: region.map(String::from),
        ..Default::default()
    }
}

/// Sentences in a summary: full stops, question and exclamation marks
/// followed by a space or the end.
fn sentences(s: &str) -> usize {
    let t = s.trim();
    t.matches(". ").count()
        + t.matches("? ").count()
        + t.matches("! ").count()
        + usize::from(t.ends_with(['.', '?', '!']))
}

#[test]
fn the_catalogue_has_at_least_18_complete_and_sourced_routes() {
    let routes = &k().content.routes;
    assert!(routes.len() >= 18, "only {} routes", routes.len());
    for r in routes {
        for l in Lang::ALL {
            assert!(!r.title.get(l).is_empty(), "{}: title {l}", r.id);
            let n = sentences(r.summary.get(l));
            assert!(
                (2..=3).contains(&n),
                "{}: summary.{l} has {n} sentences, want 2 or 3: {:?}",
                r.id,
                r.summary.get(l)
            );
        }
        assert!(r.url.starts_with("https://"), "{}", r.id);
        assert!(r.source_url.starts_with("https://"), "{}", r.id);
        assert!(
            chrono::NaiveDate::parse_from_str(&r.checked, "%Y-%m-%d").is_ok(),
            "{}",
            r.id
        );
        assert!(!r.concerns.is_empty(), "{}: no concerns", r.id);
        assert!(!r.regions.is_empty(), "{}: no regions", r.id);
    }
    // Every concern has open routes to offer.
    for c in &k().content.concerns {
        let open = routes
            .iter()
            .filter(|r| r.status == RouteStatus::Open && r.concerns.contains(&c.id))
            .count();
        assert!(open >= 2, "{}: only {open} open routes", c.id);
    }
}

#[test]
fn the_four_ended_schemes_are_marked_ended_with_a_live_successor() {
    let c = &k().content;
    for id in ["stap", "mkbidee_subsidie", "nl_leert_door", "mdieu"] {
        let r = c.route(id).unwrap_or_else(|| panic!("route {id} missing"));
        assert_eq!(r.status, RouteStatus::Ended, "{id}");
        assert!(!r.mentions.is_empty(), "{id}: no mentions");
        let s = r.successor.as_deref().and_then(|s| c.route(s));
        assert!(
            s.is_some_and(|s| s.status != RouteStatus::Ended),
            "{id}: successor must be a live route"
        );
    }
}

/// Every combination of concerns (all 256 subsets), sector, size and region
/// (each also left unanswered): no ended route is ever recommended, not in
/// the top 3 and not as the peer suggestion.
#[test]
fn no_ended_route_is_ever_recommended() {
    let c = &k().content;
    let ended: Vec<&str> = c
        .routes
        .iter()
        .filter(|r| r.status == RouteStatus::Ended)
        .map(|r| r.id.as_str())
        .collect();
    assert!(ended.len() >= 4);
    let ids: Vec<String> = c.concerns.iter().map(|x| x.id.clone()).collect();
    fn opt(v: Vec<&str>) -> Vec<Option<&str>> {
        let mut o: Vec<Option<&str>> = v.into_iter().map(Some).collect();
        o.push(None);
        o
    }
    let sectors = opt(c.sectors.iter().map(|s| s.id.as_str()).collect());
    let sizes = opt(c.sizes.iter().map(|s| s.id.as_str()).collect());
    let regions = opt(c.provinces.iter().map(|p| p.id.as_str()).collect());
    let mut checked = 0usize;
    for mask in 0u32..(1 << ids.len()) {
        let concerns: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, id)| id.clone())
            .collect();
        for sector in &sectors {
            for size in &sizes {
                for region in &regions {
                    let a = answers(&concerns, *sector, *size, *region);
                    let rec = recommend::recommend(k(), &a, Lang::Nl, None);
                    for r in rec.routes.iter().chain(rec.peer.iter()) {
                        assert!(
                            !ended.contains(&r.id.as_str()),
                            "ended route {} recommended for {a:?}",
                            r.id
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn a_user_naming_an_ended_scheme_is_recognised_and_small_talk_is_not() {
    let m = &k().matchers;
    let cases = [
        ("kan ik nog STAP aanvragen?", Some("stap")),
        ("Bestaat dat STAP-budget nog?", Some("stap")),
        (
            "kan ik nog MKB!dee subsidie krijgen",
            Some("mkbidee_subsidie"),
        ),
        (
            "doen jullie ook iets met NL leert door?",
            Some("nl_leert_door"),
        ),
        ("is de MDIEU nog open voor ons?", Some("mdieu")),
        ("wat is de volgende stap?", None),
        ("ik ken het MKB!dee-netwerk al", None),
    ];
    for (text, want) in cases {
        let got = m.mentioned_routes(text);
        match want {
            Some(id) => assert_eq!(got, [id], "{text:?}"),
            None => assert!(got.is_empty(), "{text:?} gave {got:?}"),
        }
    }
}

#[test]
fn every_province_yields_a_contact_of_its_own_for_every_sector() {
    let c = &k().content;
    let concerns = vec!["recruitment".to_string()];
    for p in &c.provinces {
        for sector in c.sectors.iter().map(|s| Some(s.id.as_str())).chain([None]) {
            let a = answers(&concerns, sector, Some("small"), Some(&p.id));
            let contacts = recommend::contacts(k(), &a);
            assert!(
                contacts.iter().any(|x| {
                    x.region == p.id
                        && c.contact(&x.id)
                            .is_some_and(|ct| ct.regions.contains(&p.id) && !ct.is_national())
                }),
                "{} / {sector:?}: no contact of its own: {contacts:?}",
                p.id
            );
            for x in &contacts {
                assert!(x.url.starts_with("https://"), "{}", x.id);
            }
        }
    }
}

#[test]
fn contacts_never_carry_phone_numbers_or_email_addresses() {
    let phone =
        regex::Regex::new(r"(\+31|\b0\d{1,3})[ -]?\d{2,4}[ -]?\d{2,4}[ -]?\d{0,4}\b").unwrap();
    for x in &k().content.contacts {
        for text in [&x.name, &x.url, &x.about.nl, &x.about.en] {
            assert!(!text.contains('@'), "{}: {text}", x.id);
            assert!(!phone.is_match(text), "{}: {text}", x.id);
        }
    }
}

#[test]
fn a_deployment_contact_from_an_extra_directory_shows_up_first_for_its_province() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("coaches.toml"),
        r#"
[[contact]]
id = "coaches_zeeland"
name = "Coaches van het LLO-netwerk Zeeland"
url = "https://example.org/coaches"
regions = ["zeeland"]
about = { nl = "Onze coaches in Zeeland.", en = "Our coaches in Zeeland." }
"#,
    )
    .unwrap();
    let (k2, warnings) =
        Knowledge::load(&[llo_intake::content::default_dir(), tmp.path().to_path_buf()])
            .expect("shipped content plus a deployment directory loads");
    assert!(warnings.is_empty(), "{warnings:?}");
    let concerns = vec!["retention".to_string()];
    let zeeland = recommend::recommend(
        &k2,
        &answers(&concerns, Some("agri"), Some("micro"), Some("zeeland")),
        Lang::Nl,
        None,
    );
    assert_eq!(
        zeeland.contacts[0].id, "coaches_zeeland",
        "{:?}",
        zeeland.contacts
    );
    assert!(zeeland.text.contains("Coaches van het LLO-netwerk Zeeland"));
    // Not in another province.
    let limburg = recommend::contacts(
        &k2,
        &answers(&concerns, None, Some("micro"), Some("limburg")),
    );
    assert!(limburg.iter().all(|x| x.id != "coaches_zeeland"));
}

#[test]
fn sector_networks_come_with_their_region() {
    let concerns = vec!["recruitment".to_string()];
    let gld = recommend::contacts(
        k(),
        &answers(&concerns, Some("agri"), Some("small"), Some("gelderland")),
    );
    assert_eq!(gld[0].id, "greenport_gelderland", "{gld:?}");
    let zh = recommend::recommend(
        k(),
        &answers(&concerns, Some("agri"), Some("small"), Some("zuid-holland")),
        Lang::Nl,
        None,
    );
    assert!(zh.routes.iter().any(|r| r.id == "greenport_west_holland"));
    // An uncertain route says so in its why line, naming the route, in the
    // review's wording ("misschien kun je ... nu niet aanvragen").
    let gwh = zh
        .routes
        .iter()
        .find(|r| r.id == "greenport_west_holland")
        .unwrap();
    let note = llo_intake::content::text::fill(
        &k().msg("rec_uncertain_route", Lang::Nl),
        &[("title", &gwh.title)],
    );
    assert!(
        gwh.uncertain && gwh.why.contains(&note) && note.contains("misschien"),
        "{}",
        gwh.why
    );
}

/// Hand-checked rankings: for each concern a typical profile gets a sensible
/// top 3 (see the README's "Route facts").
#[test]
fn each_concern_gets_fitting_routes_with_a_why_in_the_users_words() {
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "recruitment",
            "techniek",
            "small",
            "gelderland",
            &["techniekpact"],
        ),
        (
            "recruitment",
            "zorg",
            "medium",
            "utrecht",
            &["slim_ontwikkelpaden"],
        ),
        ("retention", "horeca", "micro", "limburg", &["slim"]),
        (
            "upskilling",
            "retail",
            "solo",
            "zeeland",
            &["levenlanglerenkrediet"],
        ),
        (
            "digitalisation",
            "retail",
            "micro",
            "groningen",
            &["digitale_werkplaats"],
        ),
        (
            "aging_workforce",
            "techniek",
            "small",
            "drenthe",
            &["praktijkleren"],
        ),
        (
            "wellbeing",
            "zorg",
            "small",
            "friesland",
            &["ser_duurzame_inzetbaarheid", "oeno_fondsen"],
        ),
        (
            "learning_culture",
            "zorg",
            "small",
            "groningen",
            &["slim", "leerambassadeurs"],
        ),
        (
            "funding",
            "horeca",
            "micro",
            "zuid-holland",
            &["slim", "oeno_fondsen"],
        ),
    ];
    for (concern, sector, size, region, want) in cases {
        let concerns = vec![concern.to_string()];
        let rec = recommend::recommend(
            k(),
            &answers(&concerns, Some(sector), Some(size), Some(region)),
            Lang::Nl,
            None,
        );
        let ids: Vec<&str> = rec.routes.iter().map(|r| r.id.as_str()).collect();
        for w in *want {
            assert!(
                ids.contains(w),
                "{concern}/{sector}/{size}/{region}: {ids:?} lacks {w}"
            );
        }
        let label = k().content.concern(concern).unwrap().label.nl.clone();
        for r in &rec.routes {
            assert!(r.why.contains(&label), "{}: {}", r.id, r.why);
        }
        let desks = rec
            .routes
            .iter()
            .filter(|r| {
                k().content
                    .route(&r.id)
                    .is_some_and(|x| x.kind == llo_intake::content::RouteKind::Desk)
            })
            .count();
        assert!(desks <= 1, "{ids:?}");
    }
}

// --- Eligibility, reasons of their own, the adviser's profiles (issue 10) ---

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// The sentences of a text (split after ". ", "? ", "! ").
pub(crate) fn sentence_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, ch) in chars.iter().enumerate() {
        cur.push(*ch);
        let end =
            matches!(ch, '.' | '?' | '!') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if end {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Every single concern and every pair, with every sector, size and region
/// (each also left unanswered).
fn profiles_without_words() -> Vec<Answers> {
    let c = &k().content;
    let ids: Vec<String> = c.concerns.iter().map(|x| x.id.clone()).collect();
    let mut sets: Vec<Vec<String>> = ids.iter().map(|x| vec![x.clone()]).collect();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            sets.push(vec![a.clone(), b.clone()]);
        }
    }
    fn opt(v: Vec<&str>) -> Vec<Option<&str>> {
        let mut o: Vec<Option<&str>> = v.into_iter().map(Some).collect();
        o.push(None);
        o
    }
    let sectors = opt(c.sectors.iter().map(|s| s.id.as_str()).collect());
    let sizes = opt(c.sizes.iter().map(|s| s.id.as_str()).collect());
    let regions = opt(c.provinces.iter().map(|p| p.id.as_str()).collect());
    let mut out = Vec::new();
    for set in &sets {
        for sector in &sectors {
            for size in &sizes {
                for region in &regions {
                    out.push(answers(set, *sector, *size, *region));
                }
            }
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct AdviserProfiles {
    profile: Vec<AdviserProfile>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct AdviserProfile {
    id: String,
    about: String,
    lang: Lang,
    text: String,
    #[serde(default)]
    tried: Option<String>,
    concerns: Vec<String>,
    sector: String,
    size: String,
    region: String,
    acceptable: Vec<String>,
    unacceptable: Vec<String>,
}

fn adviser_profiles() -> Vec<AdviserProfile> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/adviser_profiles.toml");
    let src = std::fs::read_to_string(&path).expect("tests/data/adviser_profiles.toml");
    let p: AdviserProfiles = toml::from_str(&src).expect("adviser profiles parse");
    p.profile
}

fn profile_answers(p: &AdviserProfile) -> Answers {
    Answers {
        concerns_text: Some(p.text.clone()),
        tried: p.tried.clone(),
        ..answers(&p.concerns, Some(&p.sector), Some(&p.size), Some(&p.region))
    }
}

/// The review's 11 profiles (section 6): the top 3 holds no route the
/// adviser called unacceptable and at least one they would sign.
#[test]
fn the_advisers_eleven_profiles_get_a_top_3_they_would_sign() {
    let profiles = adviser_profiles();
    assert_eq!(profiles.len(), 11);
    let c = &k().content;
    let mut failures = Vec::new();
    for p in &profiles {
        for id in p.acceptable.iter().chain(&p.unacceptable) {
            assert!(c.route(id).is_some(), "{}: unknown route {id}", p.id);
        }
        let rec = recommend::recommend_at(k(), &profile_answers(p), p.lang, None, day());
        let ids: Vec<&str> = rec.routes.iter().map(|r| r.id.as_str()).collect();
        let bad: Vec<&&str> = ids
            .iter()
            .filter(|i| p.unacceptable.iter().any(|u| u == *i))
            .collect();
        let good = ids.iter().any(|i| p.acceptable.iter().any(|a| a == i));
        if !bad.is_empty() || !good || ids.len() < 3 {
            failures.push(format!(
                "{} ({}): {ids:?}; unacceptable {bad:?}, acceptable one: {good}",
                p.id, p.about
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A scheme for individuals (the levenlanglerenkrediet) is never offered as
/// if the employer applies: wherever it is shown, it says it is for the
/// employees, in both languages.
#[test]
fn routes_for_individuals_are_worded_for_your_employees() {
    let c = &k().content;
    let individual: Vec<&str> = c
        .routes
        .iter()
        .filter(|r| r.for_employees())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        individual.contains(&"levenlanglerenkrediet"),
        "{individual:?}"
    );
    let concerns = vec!["upskilling".to_string()];
    let a = answers(&concerns, Some("retail"), Some("solo"), Some("zeeland"));
    for (lang, words) in [
        (Lang::Nl, "voor je medewerkers"),
        (Lang::En, "for your employees"),
    ] {
        let rec = recommend::recommend_at(k(), &a, lang, None, day());
        let llk = rec
            .routes
            .iter()
            .find(|r| r.id == "levenlanglerenkrediet")
            .unwrap_or_else(|| panic!("{:?}", rec.routes));
        assert!(llk.why.contains(words), "{lang}: {}", llk.why);
    }
    let mut shown = 0;
    for a in profiles_without_words().iter().step_by(3) {
        for r in recommend::recommend_at(k(), a, Lang::Nl, None, day()).routes {
            if individual.contains(&r.id.as_str()) {
                shown += 1;
                assert!(r.why.contains("voor je medewerkers"), "{a:?}: {}", r.why);
            }
        }
    }
    assert!(shown > 100, "{shown}");
}

/// The regional desk (Werkcentrum or WSP) is in every top 3, over all single
/// concerns and pairs with every sector, size and region; one the person
/// tried is not.
#[test]
fn the_regional_desk_is_in_every_top_3_unless_it_was_tried() {
    for a in profiles_without_words() {
        let ids: Vec<String> = recommend::rank(k(), &a)
            .iter()
            .map(|r| r.id.clone())
            .collect();
        assert!(ids.len() <= 3);
        let desks = recommend::rank(k(), &a)
            .iter()
            .filter(|r| r.regional_desk)
            .count();
        assert_eq!(desks, 1, "{a:?}: {ids:?}");
    }
    let concerns = vec!["recruitment".to_string()];
    let a = Answers {
        tried: Some("We zijn al bij het Werkcentrum geweest".into()),
        ..answers(&concerns, Some("bouw"), Some("small"), Some("utrecht"))
    };
    let rec = recommend::recommend_at(k(), &a, Lang::Nl, None, day());
    assert!(
        rec.routes.iter().all(|r| r.id != "werkcentrum"),
        "{:?}",
        rec.routes
    );
    assert!(
        rec.intro.contains("Werkcentrum in je regio"),
        "{}",
        rec.intro
    );
}

/// What the person tried is acknowledged in their own words and not offered
/// again as if it were new; "nee" is not acknowledged as something tried.
#[test]
fn what_was_tried_is_acknowledged_and_not_offered_again() {
    let concerns = vec!["recruitment".to_string()];
    let a = Answers {
        tried: Some("vacatures op Indeed en via het UWV".into()),
        ..answers(
            &concerns,
            Some("techniek"),
            Some("small"),
            Some("overijssel"),
        )
    };
    for (lang, said) in [
        (Lang::Nl, "Je schreef dat je al hebt geprobeerd"),
        (Lang::En, "You wrote that you already tried"),
    ] {
        let rec = recommend::recommend_at(k(), &a, lang, None, day());
        assert!(rec.routes.iter().all(|r| r.id != "wsp"), "{:?}", rec.routes);
        assert!(rec.intro.contains(said), "{}", rec.intro);
        assert!(
            rec.intro.contains("\"vacatures op Indeed en via het UWV\""),
            "{}",
            rec.intro
        );
        assert!(rec.intro.contains("(WSP)"), "{}", rec.intro);
        assert!(
            rec.text.starts_with(&rec.intro),
            "the console text shows it too"
        );
        // The Werkcentrum was not tried: it stays.
        assert!(
            rec.routes.iter().any(|r| r.id == "werkcentrum"),
            "{:?}",
            rec.routes
        );
    }
    let retention = vec!["retention".to_string()];
    let slim_tried = Answers {
        tried: Some("SLIM aangevraagd, maar we werden uitgeloot".into()),
        ..answers(&retention, Some("horeca"), Some("micro"), Some("limburg"))
    };
    let rec = recommend::recommend_at(k(), &slim_tried, Lang::Nl, None, day());
    assert!(
        rec.routes.iter().all(|r| r.id != "slim"),
        "{:?}",
        rec.routes
    );
    assert!(rec.intro.contains("SLIM-subsidie"), "{}", rec.intro);
    for nothing in ["nee", "nog niks"] {
        let a = Answers {
            tried: Some(nothing.into()),
            ..answers(&retention, Some("horeca"), Some("micro"), Some("limburg"))
        };
        let rec = recommend::recommend_at(k(), &a, Lang::Nl, None, day());
        assert!(
            !rec.intro.contains("geprobeerd"),
            "{nothing}: {}",
            rec.intro
        );
    }
}

/// No two routes in one answer share a sentence of their "why", with or
/// without the person's own words; and with words, each route quotes them.
#[test]
fn no_two_routes_in_one_answer_share_a_reason() {
    let check = |a: &Answers, lang: Lang| {
        let rec = recommend::recommend_at(k(), a, lang, None, day());
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        for r in rec.routes.iter().chain(rec.peer.iter()) {
            for s in sentence_list(&r.why) {
                if let Some(other) = seen.insert(s.clone(), r.id.clone()) {
                    panic!("{} and {} share {s:?} for {a:?}", other, r.id);
                }
            }
        }
        rec
    };
    for a in profiles_without_words().iter().step_by(7) {
        for lang in Lang::ALL {
            check(a, lang);
        }
    }
    for p in adviser_profiles() {
        let rec = check(&profile_answers(&p), p.lang);
        let quoting = rec.routes.iter().filter(|r| r.why.contains("(\"")).count();
        assert!(
            quoting >= 2,
            "{}: {:?}",
            p.id,
            rec.routes.iter().map(|r| &r.why).collect::<Vec<_>>()
        );
    }
}

/// Each route's reason is its own and quotes a fragment of the person's own
/// words, cleaned: no markdown, links or mentions come back.
#[test]
fn a_reason_quotes_the_persons_words_safely() {
    let concerns = vec!["recruitment".to_string(), "aging_workforce".to_string()];
    let a = Answers {
        concerns_text: Some(
            "**Ik** kan geen monteurs vinden @everyone, zie https://example.org en mijn vakman gaat met pensioen".into(),
        ),
        ..answers(&concerns, Some("techniek"), Some("small"), Some("overijssel"))
    };
    let rec = recommend::recommend_at(k(), &a, Lang::Nl, None, day());
    let p = rec
        .routes
        .iter()
        .find(|r| r.id == "praktijkleren")
        .expect("praktijkleren");
    assert!(
        p.why.contains("(\"mijn vakman gaat met pensioen\")"),
        "{}",
        p.why
    );
    let t = rec
        .routes
        .iter()
        .find(|r| r.id == "techniekpact")
        .expect("techniekpact");
    assert!(
        t.why.contains("(\"ik kan geen monteurs vinden\")"),
        "{}",
        t.why
    );
    for r in &rec.routes {
        for bad in ["**", "@", "https://example.org"] {
            assert!(!r.why.contains(bad), "{}: {}", r.id, r.why);
        }
    }
    assert_eq!(
        recommend::safe_quote("`rm -rf` <@123> **hoi**"),
        Some("rm -rf hoi".into())
    );
}

/// Application windows are dated data: outside a window the route says when
/// the next one is expected, as the source has it; where the source does not
/// say, that it is not open now and where to watch.
#[test]
fn a_route_outside_its_window_says_when_the_next_is_expected() {
    let c = &k().content;
    let p = c.route("praktijkleren").unwrap();
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let closed = recommend::window_note(k(), p, d(2026, 12, 1), Lang::Nl).unwrap();
    assert!(
        closed.contains("niet aanvragen")
            && closed.contains("17 september 2026")
            && closed.contains("medio 2027"),
        "{closed}"
    );
    let open = recommend::window_note(k(), p, d(2026, 7, 1), Lang::Nl).unwrap();
    assert!(
        open.contains("nu aanvragen, tot en met 17 september 2026"),
        "{open}"
    );
    let soon = recommend::window_note(k(), p, d(2026, 3, 1), Lang::En).unwrap();
    assert!(soon.contains("from 2 June 2026"), "{soon}");
    let taal = recommend::window_note(
        k(),
        c.route("tel_mee_met_taal").unwrap(),
        d(2026, 12, 1),
        Lang::Nl,
    )
    .unwrap();
    assert!(
        taal.contains("niet aanvragen") && taal.contains("basisvaardigheden.nl/werk"),
        "{taal}"
    );
    // Every offerable route has its eligibility data.
    for r in c.routes.iter().filter(|r| r.status != RouteStatus::Ended) {
        assert!(
            r.for_whom.is_some() && r.gets.is_some() && r.next_step.is_some() && r.reason.is_some(),
            "{}",
            r.id
        );
    }
}

/// `check` names the file and the key when eligibility data is missing or
/// two routes share a reason.
#[test]
fn check_names_file_and_key_for_eligibility_data() {
    let run = |from: &str, to: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("intents");
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(llo_intake::content::default_dir()).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
        let path = dir.join("routes.toml");
        let src = std::fs::read_to_string(&path).unwrap();
        assert!(
            src.contains(from),
            "routes.toml no longer contains {from:?}"
        );
        std::fs::write(&path, src.replacen(from, to, 1)).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_llo-intake"))
            .args(["check", "--intents"])
            .arg(&dir)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(
        "for_whom = \"employer\"\nmin_costs = 5000",
        "min_costs = 5000",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("routes.toml") && err.contains("route.slim.for_whom"),
        "{err}"
    );
    let (code, err) = run("closes = \"2026-09-17\"", "closes = \"2026-02-30\"");
    assert_ne!(code, 0);
    assert!(
        err.contains("route.praktijkleren.window[2].closes"),
        "{err}"
    );
    let (code, err) = run(
        "Het Leerwerkloket helpt je een leerwerktraject op te zetten rond {about}, zonder kosten.",
        "Het Werkcentrum in je regio denkt gratis met je mee over {about} en kent de regelingen en partijen bij jou in de buurt.",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("route.leerwerkloket.reason.nl") && err.contains("werkcentrum"),
        "{err}"
    );
}

/// An uncertain desk or coach (Leerwerkloket, Ondernemersklankbord) is not
/// something you apply for: its note says it may work differently now, in
/// both languages, and never "apply".
#[test]
fn an_uncertain_desk_or_coach_is_not_something_you_apply_for() {
    use llo_intake::content::RouteKind;
    let mut shown = 0;
    for a in profiles_without_words().iter().step_by(5) {
        for (lang, apply, note) in [
            (
                Lang::Nl,
                "aanvragen",
                "ik weet niet zeker of dit nu nog zo werkt",
            ),
            (Lang::En, "apply", "I am not sure this still works this way"),
        ] {
            let rec = recommend::recommend_at(k(), a, lang, None, day());
            for r in rec.routes.iter().chain(rec.peer.iter()) {
                let route = k().content.route(&r.id).expect("route");
                if !r.uncertain || !matches!(route.kind, RouteKind::Desk | RouteKind::Peer) {
                    continue;
                }
                shown += 1;
                assert!(r.why.contains(note), "{lang} {}: {}", r.id, r.why);
                assert!(!r.why.contains(apply), "{lang} {}: {}", r.id, r.why);
            }
        }
    }
    assert!(shown > 10, "{shown}");
}

/// The routes' cue lists are compiled into sets on the first recommendation
/// and kept with the content. A cue added to a loaded `Knowledge` after that
/// (as a test or a tool may do) still counts: the sets no longer fit, so
/// each route's own cues are matched instead.
#[test]
fn a_cue_added_after_the_first_recommendation_still_counts() {
    let mut k = k().clone();
    let concerns = vec!["recruitment".to_string()];
    let a = Answers {
        concerns_text: Some("De zebrapaden liggen er slecht bij".into()),
        ..answers(&concerns, Some("bouw"), Some("small"), Some("utrecht"))
    };
    let before = recommend::recommend_at(&k, &a, Lang::Nl, None, day());
    let first = before.routes.first().expect("a route").id.clone();
    assert!(
        before.routes.iter().all(|r| !r.why.contains("zebrapaden")),
        "{:?}",
        before.routes
    );
    let i = k
        .content
        .routes
        .iter()
        .position(|r| r.id == first)
        .expect("the route is in the content");
    k.content.routes[i].cues.push("zebrapad".into());
    let after = recommend::recommend_at(&k, &a, Lang::Nl, None, day());
    let route = after
        .routes
        .iter()
        .find(|r| r.id == first)
        .unwrap_or_else(|| panic!("{first} still shown: {:?}", after.routes));
    assert!(route.why.contains("zebrapaden"), "{}", route.why);
}
