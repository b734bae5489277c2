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
    // An uncertain route says so in its why line (the review's wording,
    // "misschien kun je dit nu niet aanvragen", from content).
    let gwh = zh
        .routes
        .iter()
        .find(|r| r.id == "greenport_west_holland")
        .unwrap();
    assert!(
        gwh.uncertain && gwh.why.contains(&k().msg("rec_uncertain", Lang::Nl)),
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
