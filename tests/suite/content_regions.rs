//! Region resolution on the shipped content: the largest municipalities and
//! every province capital, province aliases, and the postcode prefix table
//! (mixed prefixes are confirmed with the user, never guessed).

use chrono::{TimeZone, Utc};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::Conversation;
use llo_intake::domain::engine::{self, Input, Turn};
use llo_intake::domain::knowledge::Knowledge;
use llo_intake::domain::nlu::matcher::Resolved;
use llo_intake::domain::recommend;
use std::sync::OnceLock;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

fn resolve(text: &str) -> Resolved {
    let c = &k().content;
    let step = c.step("region").expect("a region step");
    k().matchers.resolve(c, step, text, None)
}

/// The 110 largest municipalities (CBS, about 2024; every province capital is
/// among them) and their province.
const MUNICIPALITIES: &[(&str, &str)] = &[
    ("Amsterdam", "noord-holland"),
    ("Rotterdam", "zuid-holland"),
    ("Den Haag", "zuid-holland"),
    ("'s-Gravenhage", "zuid-holland"),
    ("Utrecht", "utrecht"),
    ("Eindhoven", "noord-brabant"),
    ("Groningen", "groningen"),
    ("Tilburg", "noord-brabant"),
    ("Almere", "flevoland"),
    ("Breda", "noord-brabant"),
    ("Nijmegen", "gelderland"),
    ("Apeldoorn", "gelderland"),
    ("Arnhem", "gelderland"),
    ("Haarlem", "noord-holland"),
    ("Haarlemmermeer", "noord-holland"),
    ("Enschede", "overijssel"),
    ("Amersfoort", "utrecht"),
    ("Zaanstad", "noord-holland"),
    ("'s-Hertogenbosch", "noord-brabant"),
    ("Zwolle", "overijssel"),
    ("Leiden", "zuid-holland"),
    ("Zoetermeer", "zuid-holland"),
    ("Leeuwarden", "friesland"),
    ("Ede", "gelderland"),
    ("Maastricht", "limburg"),
    ("Dordrecht", "zuid-holland"),
    ("Westland", "zuid-holland"),
    ("Alphen aan den Rijn", "zuid-holland"),
    ("Alkmaar", "noord-holland"),
    ("Emmen", "drenthe"),
    ("Delft", "zuid-holland"),
    ("Venlo", "limburg"),
    ("Deventer", "overijssel"),
    ("Sittard-Geleen", "limburg"),
    ("Helmond", "noord-brabant"),
    ("Oss", "noord-brabant"),
    ("Amstelveen", "noord-holland"),
    ("Súdwest-Fryslân", "friesland"),
    ("Hilversum", "noord-holland"),
    ("Hengelo", "overijssel"),
    ("Heerlen", "limburg"),
    ("Purmerend", "noord-holland"),
    ("Lansingerland", "zuid-holland"),
    ("Schiedam", "zuid-holland"),
    ("Leidschendam-Voorburg", "zuid-holland"),
    ("Roosendaal", "noord-brabant"),
    ("Almelo", "overijssel"),
    ("Gouda", "zuid-holland"),
    ("Dijk en Waard", "noord-holland"),
    ("Vlaardingen", "zuid-holland"),
    ("Hoorn", "noord-holland"),
    ("Velsen", "noord-holland"),
    ("Assen", "drenthe"),
    ("Bergen op Zoom", "noord-brabant"),
    ("Capelle aan den IJssel", "zuid-holland"),
    ("Veenendaal", "utrecht"),
    ("Katwijk", "zuid-holland"),
    ("Zeist", "utrecht"),
    ("Nieuwegein", "utrecht"),
    ("Roermond", "limburg"),
    ("Gooise Meren", "noord-holland"),
    ("Den Helder", "noord-holland"),
    ("Doetinchem", "gelderland"),
    ("Hoogeveen", "drenthe"),
    ("Terneuzen", "zeeland"),
    ("Oosterhout", "noord-brabant"),
    ("Smallingerland", "friesland"),
    ("Kampen", "overijssel"),
    ("Pijnacker-Nootdorp", "zuid-holland"),
    ("Barneveld", "gelderland"),
    ("Heerenveen", "friesland"),
    ("Waalwijk", "noord-brabant"),
    ("Westerkwartier", "groningen"),
    ("Rijswijk", "zuid-holland"),
    ("Nissewaard", "zuid-holland"),
    ("Midden-Groningen", "groningen"),
    ("Utrechtse Heuvelrug", "utrecht"),
    ("Lelystad", "flevoland"),
    ("Houten", "utrecht"),
    ("Stichtse Vecht", "utrecht"),
    ("Hoeksche Waard", "zuid-holland"),
    ("Goeree-Overflakkee", "zuid-holland"),
    ("Ridderkerk", "zuid-holland"),
    ("Vijfheerenlanden", "utrecht"),
    ("Meierijstad", "noord-brabant"),
    ("Middelburg", "zeeland"),
    ("Harderwijk", "gelderland"),
    ("Zutphen", "gelderland"),
    ("Tiel", "gelderland"),
    ("Weert", "limburg"),
    ("Vlissingen", "zeeland"),
    ("Het Hogeland", "groningen"),
    ("Hardenberg", "overijssel"),
    ("Kerkrade", "limburg"),
    ("Overbetuwe", "gelderland"),
    ("Noordoostpolder", "flevoland"),
    ("Woerden", "utrecht"),
    ("Lingewaard", "gelderland"),
    ("Heusden", "noord-brabant"),
    ("Zwijndrecht", "zuid-holland"),
    ("Wijchen", "gelderland"),
    ("Molenlanden", "zuid-holland"),
    ("Schagen", "noord-holland"),
    ("Oldambt", "groningen"),
    ("Land van Cuijk", "noord-brabant"),
    ("Maashorst", "noord-brabant"),
    ("Altena", "noord-brabant"),
    ("Krimpenerwaard", "zuid-holland"),
    ("Hollands Kroon", "noord-holland"),
    ("Noordwijk", "zuid-holland"),
    ("West Betuwe", "gelderland"),
];

fn one(text: &str, want: &str) -> Result<(), String> {
    match resolve(text) {
        Resolved::One(id) if id == want => Ok(()),
        other => Err(format!("{text:?}: want {want}, got {other:?}")),
    }
}

#[test]
fn the_largest_municipalities_and_every_capital_resolve_to_their_province() {
    assert!(MUNICIPALITIES.len() >= 100);
    let mut errors = Vec::new();
    for (name, province) in MUNICIPALITIES {
        for text in [name.to_string(), format!("we zitten in {name}")] {
            if let Err(e) = one(&text, province) {
                errors.push(e);
            }
        }
    }
    for p in &k().content.provinces {
        assert!(
            MUNICIPALITIES.contains(&(p.capital.as_str(), p.id.as_str())),
            "capital {} of {} not in the list",
            p.capital,
            p.id
        );
    }
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn province_names_and_aliases_resolve() {
    let cases = [
        ("Fryslân", "friesland"),
        ("friesland", "friesland"),
        ("Brabant", "noord-brabant"),
        ("NH", "noord-holland"),
        ("zuid holland", "zuid-holland"),
        ("de Achterhoek", "gelderland"),
        ("Twente", "overijssel"),
        ("Zeeuws-Vlaanderen", "zeeland"),
        ("Parkstad", "limburg"),
        ("Food Valley", "gelderland"),
        ("Drenthe", "drenthe"),
        ("Flevoland", "flevoland"),
    ];
    for (text, want) in cases {
        one(text, want).unwrap();
    }
}

#[test]
fn a_bare_name_of_two_places_is_not_guessed() {
    // Bergen lies in Noord-Holland and in Limburg: the bot asks which one.
    assert_eq!(
        resolve("Bergen"),
        Resolved::Many(vec!["noord-holland".into(), "limburg".into()])
    );
    one("Bergen NH", "noord-holland").unwrap();
    one("Bergen (L)", "limburg").unwrap();
}

/// A name of one province that is a whole word inside a longer name of
/// another ("Bergen" in "Bergen op Zoom") must not make the longer name
/// ambiguous: the longer name wins.
#[test]
fn a_place_name_inside_a_longer_one_does_not_make_it_ambiguous() {
    let c = &k().content;
    let names = |p: &llo_intake::content::Province| -> Vec<String> {
        let mut n = vec![p.name.clone(), p.capital.clone()];
        n.extend(p.aliases.iter().cloned());
        n.extend(p.cities.iter().cloned());
        n.into_iter()
            .map(|x| llo_intake::content::text::fold(&x))
            .collect()
    };
    let all: Vec<(String, Vec<String>)> = c
        .provinces
        .iter()
        .map(|p| (p.id.clone(), names(p)))
        .collect();
    let mut clashes = Vec::new();
    for (a, xs) in &all {
        for x in xs {
            let re = regex::Regex::new(&format!(r"(^|\W){}(\W|$)", regex::escape(x))).unwrap();
            for (b, ys) in &all {
                for y in ys
                    .iter()
                    .filter(|y| a != b && *y != x && y.contains(x.as_str()))
                {
                    if re.is_match(y) && resolve(y) != Resolved::One(b.clone()) {
                        clashes.push(format!(
                            "{y:?} ({b}) contains {x:?} ({a}): {:?}",
                            resolve(y)
                        ));
                    }
                }
            }
        }
    }
    assert!(clashes.is_empty(), "{clashes:#?}");
}

#[test]
fn the_postcode_table_covers_every_prefix_once() {
    let c = &k().content;
    for prefix in 10..=99u32 {
        let rows = c
            .postcodes
            .iter()
            .filter(|r| (r.from..=r.to).contains(&prefix))
            .count();
        assert_eq!(rows, 1, "prefix {prefix} is in {rows} rows");
    }
}

#[test]
fn postcodes_resolve_to_their_province_or_ask_between_the_right_ones() {
    let single = [
        ("1012 AB", "noord-holland"),
        ("3011", "zuid-holland"),
        ("3511 AA", "utrecht"),
        ("4331", "zeeland"),
        ("5038", "noord-brabant"),
        ("5611", "noord-brabant"),
        ("6211", "limburg"),
        ("6511", "gelderland"),
        ("6811", "gelderland"),
        ("7511", "overijssel"),
        ("7811", "drenthe"),
        ("8911", "friesland"),
        ("9401", "drenthe"),
        ("9711", "groningen"),
    ];
    for (text, want) in single {
        match resolve(text) {
            // 65 is mixed (Mook): Nijmegen is asked between gelderland and limburg.
            Resolved::Many(ids) if text == "6511" => {
                assert!(ids.contains(&"gelderland".to_string()), "{ids:?}")
            }
            Resolved::One(id) => assert_eq!(id, want, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let mixed = [
        ("1311", &["flevoland", "noord-holland"][..]),
        ("3811", &["utrecht", "gelderland"][..]),
        ("8051", &["overijssel", "gelderland"][..]),
        ("8232", &["flevoland", "overijssel"][..]),
        ("5301", &["noord-brabant", "gelderland"][..]),
    ];
    for (text, want) in mixed {
        match resolve(text) {
            Resolved::Many(ids) => {
                for w in want {
                    assert!(ids.contains(&w.to_string()), "{text}: {ids:?} lacks {w}");
                }
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn a_mixed_postcode_is_confirmed_in_the_conversation() {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
    let mut t = engine::start(k(), "c1", "u", Lang::Nl, now);
    for a in ["ja", "ik kan geen monteurs vinden", "ja", "bouw", "8"] {
        t = engine::handle(k(), &t.conversation, Input::Text(a.into()), now);
    }
    t = engine::handle(k(), &t.conversation, Input::Text("8000 AB".into()), now);
    let said: String = t.outputs.iter().map(|o| o.text().to_string()).collect();
    assert!(
        said.contains(&k().msg("region_confirm", Lang::Nl)),
        "{said}"
    );
    assert_eq!(t.conversation.answers.region, None);
    t = engine::handle(k(), &t.conversation, Input::Text("Gelderland".into()), now);
    assert_eq!(t.conversation.answers.region.as_deref(), Some("gelderland"));
}

// --- Labour-market regions: the data file ------------------------------------

/// The labour-market region table as written in the content file, read on its
/// own: it is checked for completeness before the engine uses it.
mod amr_table {
    use serde::Deserialize;
    use std::collections::{BTreeMap, BTreeSet};

    #[derive(Deserialize)]
    pub struct File {
        pub region_table: Table,
        pub labour_market_region: Vec<Region>,
        pub municipality: Vec<Municipality>,
        pub contact: Vec<Desk>,
    }
    #[derive(Deserialize)]
    pub struct Table {
        pub source_url: String,
        pub year: i32,
        pub checked: String,
    }
    #[derive(Deserialize)]
    pub struct Region {
        pub code: String,
        pub name: String,
        pub provinces: Vec<String>,
    }
    #[derive(Deserialize)]
    pub struct Municipality {
        pub code: String,
        pub name: String,
        pub province: String,
        pub labour_market_region: String,
    }
    #[derive(Deserialize)]
    pub struct Name {
        pub nl: String,
        pub en: String,
    }
    #[derive(Deserialize)]
    pub struct Desk {
        pub id: String,
        pub names: Name,
        pub url: String,
        pub source_url: String,
        pub checked: String,
        pub labour_market_region: String,
    }

    pub fn load() -> File {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("intents/labour_market_regions.toml");
        let src = std::fs::read_to_string(&path).expect("the region table is shipped");
        toml::from_str(&src).expect("the region table parses")
    }

    pub fn by_name(f: &File) -> BTreeMap<&str, Vec<&Municipality>> {
        let mut m: BTreeMap<&str, Vec<&Municipality>> = BTreeMap::new();
        for x in &f.municipality {
            m.entry(x.name.as_str()).or_default().push(x);
        }
        m
    }

    pub fn codes(f: &File) -> BTreeSet<&str> {
        f.labour_market_region
            .iter()
            .map(|r| r.code.as_str())
            .collect()
    }
}

#[test]
fn every_municipality_is_in_one_of_the_35_regions_and_every_region_has_a_desk() {
    let f = amr_table::load();
    assert!(f.region_table.source_url.starts_with("https://"));
    assert!(f.region_table.year >= 2025, "{}", f.region_table.year);
    assert_eq!(f.region_table.checked.len(), 10);

    let codes = amr_table::codes(&f);
    assert_eq!(codes.len(), 35, "{codes:?}");
    assert_eq!(f.labour_market_region.len(), 35);

    // 342 municipalities in the 2025 and 2026 indeling, each code once.
    let mut seen = std::collections::BTreeSet::new();
    for m in &f.municipality {
        assert!(
            m.code.len() == 6 && m.code.starts_with("GM"),
            "{}: {}",
            m.name,
            m.code
        );
        assert!(seen.insert(m.code.as_str()), "{} twice", m.code);
        assert!(
            codes.contains(m.labour_market_region.as_str()),
            "{} ({}) is in unknown region {}",
            m.name,
            m.code,
            m.labour_market_region
        );
        assert!(
            k().content.province(&m.province).is_some(),
            "{}: unknown province {}",
            m.name,
            m.province
        );
    }
    assert_eq!(f.municipality.len(), 342);

    // Every region has members, and lists exactly the provinces they lie in.
    for r in &f.labour_market_region {
        let provinces: std::collections::BTreeSet<&str> = f
            .municipality
            .iter()
            .filter(|m| m.labour_market_region == r.code)
            .map(|m| m.province.as_str())
            .collect();
        assert!(!provinces.is_empty(), "{} has no municipality", r.name);
        let listed: std::collections::BTreeSet<&str> =
            r.provinces.iter().map(String::as_str).collect();
        assert_eq!(listed, provinces, "{}", r.name);
    }

    // One desk per region, named with the region, with an official https URL,
    // a source and the date it was checked, in both languages.
    for r in &f.labour_market_region {
        let desks: Vec<_> = f
            .contact
            .iter()
            .filter(|c| c.labour_market_region == r.code)
            .collect();
        assert_eq!(desks.len(), 1, "{}: {} desks", r.name, desks.len());
        let d = desks[0];
        assert!(d.url.starts_with("https://"), "{}: {}", d.id, d.url);
        assert!(d.source_url.starts_with("http"), "{}", d.id);
        assert_eq!(d.checked.len(), 10, "{}", d.id);
        assert!(!d.names.nl.is_empty() && !d.names.en.is_empty(), "{}", d.id);
        let short = r.name.split(['/', ' ']).next().unwrap_or(&r.name);
        assert!(
            d.names.nl.contains(short) || d.names.nl.contains(&r.name),
            "{}: {:?} does not name {}",
            d.id,
            d.names.nl,
            r.name
        );
    }
}

#[test]
fn the_region_table_puts_the_border_municipalities_where_cbs_does() {
    let f = amr_table::load();
    let names = amr_table::by_name(&f);
    let region_name = |code: &str| {
        f.labour_market_region
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let cases = [
        ("Nijkerk", "gelderland", "Amersfoort"),
        ("Mook en Middelaar", "limburg", "Rijk van Nijmegen"),
        ("De Ronde Venen", "utrecht", "Groot Amsterdam"),
        ("Hattem", "gelderland", "Regio Zwolle"),
        ("Oldebroek", "gelderland", "Regio Zwolle"),
        ("Meppel", "drenthe", "Regio Zwolle"),
        ("Westerveld", "drenthe", "Regio Zwolle"),
        ("Zeewolde", "flevoland", "Veluwe Stedendriehoek"),
        ("Veenendaal", "utrecht", "FoodValley"),
        ("Rhenen", "utrecht", "FoodValley"),
        ("Renswoude", "utrecht", "FoodValley"),
        ("Assen", "drenthe", "Groningen"),
        ("Aa en Hunze", "drenthe", "Groningen"),
        ("Tynaarlo", "drenthe", "Groningen"),
        ("Noordenveld", "drenthe", "Groningen"),
        ("Vijfheerenlanden", "utrecht", "Gorinchem"),
        ("Apeldoorn", "gelderland", "Veluwe Stedendriehoek"),
        ("Westland", "zuid-holland", "Haaglanden"),
        ("Deventer", "overijssel", "Veluwe Stedendriehoek"),
        ("Eemnes", "utrecht", "Gooi en Vechtstreek"),
        ("Cranendonck", "noord-brabant", "Midden-Limburg"),
    ];
    for (name, province, region) in cases {
        let m = names.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(m.len(), 1, "{name}");
        assert_eq!(m[0].province, province, "{name}");
        assert_eq!(region_name(&m[0].labour_market_region), region, "{name}");
    }
    // Bergen is two municipalities, in two regions.
    assert_eq!(names["Bergen"].len(), 2);
}

// --- Labour-market regions in the conversation ------------------------------

fn at_region_step() -> Conversation {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mut t = engine::start(k(), "c1", "u", Lang::Nl, now);
    for a in ["ja", "ik kan geen monteurs vinden", "ja", "bouw", "8"] {
        t = engine::handle(k(), &t.conversation, Input::Text(a.into()), now);
    }
    assert_eq!(
        t.question().map(|q| q.step.as_str()),
        Some("region"),
        "the script reached the region question"
    );
    t.conversation
}

fn answer(c: &Conversation, text: &str) -> Turn {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 1, 0).unwrap();
    engine::handle(k(), c, Input::Text(text.into()), now)
}

/// (province, municipality name, region name) stored after `text`.
fn placed(text: &str) -> (String, String, String) {
    let t = answer(&at_region_step(), text);
    let a = &t.conversation.answers;
    let c = &k().content;
    let m = a
        .municipality
        .as_deref()
        .and_then(|m| c.municipality(m))
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let r = a
        .labour_market_region
        .as_deref()
        .and_then(|r| c.labour_market_region(r))
        .map(|r| r.name.clone())
        .unwrap_or_default();
    (a.region.clone().unwrap_or_default(), m, r)
}

fn asked(text: &str) -> Vec<String> {
    let t = answer(&at_region_step(), text);
    assert_eq!(t.conversation.answers.region, None, "{text}: not guessed");
    let q = t.question().expect("a question");
    assert_eq!(q.step, "region", "{text}");
    let mut ids: Vec<String> = q.choices.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn border_municipalities_get_the_region_they_belong_to_not_their_provinces() {
    let cases = [
        (
            "we zitten in Nijkerk",
            "gelderland",
            "Nijkerk",
            "Amersfoort",
        ),
        (
            "Mook en Middelaar",
            "limburg",
            "Mook en Middelaar",
            "Rijk van Nijmegen",
        ),
        ("Mijdrecht", "utrecht", "De Ronde Venen", "Groot Amsterdam"),
        (
            "De Ronde Venen",
            "utrecht",
            "De Ronde Venen",
            "Groot Amsterdam",
        ),
        ("Hattem", "gelderland", "Hattem", "Regio Zwolle"),
        ("in Oldebroek", "gelderland", "Oldebroek", "Regio Zwolle"),
        ("Meppel", "drenthe", "Meppel", "Regio Zwolle"),
        ("Havelte", "drenthe", "Westerveld", "Regio Zwolle"),
        ("Zeewolde", "flevoland", "Zeewolde", "Veluwe Stedendriehoek"),
        ("Veenendaal", "utrecht", "Veenendaal", "FoodValley"),
        ("Rhenen", "utrecht", "Rhenen", "FoodValley"),
        ("Renswoude", "utrecht", "Renswoude", "FoodValley"),
        ("Assen", "drenthe", "Assen", "Groningen"),
        ("Gieten", "drenthe", "Aa en Hunze", "Groningen"),
        ("Zuidlaren", "drenthe", "Tynaarlo", "Groningen"),
        ("Roden", "drenthe", "Noordenveld", "Groningen"),
        ("Vianen", "utrecht", "Vijfheerenlanden", "Gorinchem"),
        (
            "Apeldoorn",
            "gelderland",
            "Apeldoorn",
            "Veluwe Stedendriehoek",
        ),
        (
            "een kas in Naaldwijk",
            "zuid-holland",
            "Westland",
            "Haaglanden",
        ),
        ("Leerdam", "utrecht", "Vijfheerenlanden", "Gorinchem"),
    ];
    let mut errors = Vec::new();
    for (text, province, municipality, region) in cases {
        let got = placed(text);
        let want = (province.into(), municipality.into(), region.into());
        if got != want {
            errors.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn frisian_and_former_municipality_names_resolve_to_todays_municipality() {
    let cases = [
        ("It Hearrenfean", "friesland", "Heerenveen", "Friesland"),
        ("Harns", "friesland", "Harlingen", "Friesland"),
        ("Boalsert", "friesland", "Súdwest-Fryslân", "Friesland"),
        ("Opsterlân", "friesland", "Opsterland", "Friesland"),
        ("Smellingerlân", "friesland", "Smallingerland", "Friesland"),
        ("Ljouwert", "friesland", "Leeuwarden", "Friesland"),
        (
            "Beemster",
            "noord-holland",
            "Purmerend",
            "Zaanstreek/Waterland",
        ),
        ("Landerd", "noord-brabant", "Maashorst", "Noordoost-Brabant"),
        (
            "Sint Anthonis",
            "noord-brabant",
            "Land van Cuijk",
            "Noordoost-Brabant",
        ),
        (
            "Grave",
            "noord-brabant",
            "Land van Cuijk",
            "Noordoost-Brabant",
        ),
        ("Westvoorne", "zuid-holland", "Voorne aan Zee", "Rijnmond"),
        ("Rockanje", "zuid-holland", "Voorne aan Zee", "Rijnmond"),
        ("Weesp", "noord-holland", "Amsterdam", "Groot Amsterdam"),
    ];
    let mut errors = Vec::new();
    for (text, province, municipality, region) in cases {
        let got = placed(text);
        let want = (province.into(), municipality.into(), region.into());
        if got != want {
            errors.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn names_of_two_places_are_asked_about_and_the_answer_decides() {
    assert_eq!(asked("Bergen"), ["limburg", "noord-holland"]);
    assert_eq!(asked("Hengelo"), ["gelderland", "overijssel"]);
    assert_eq!(asked("Rijswijk"), ["noord-brabant", "zuid-holland"]);
    // Zeeland: the village in Maashorst or the province.
    assert_eq!(asked("Zeeland"), ["noord-brabant", "zeeland"]);

    let c = &k().content;
    let then = |first: &str, second: &str| {
        let t = answer(&at_region_step(), first);
        let t = answer(&t.conversation, second);
        let a = t.conversation.answers.clone();
        (
            a.region.unwrap_or_default(),
            a.municipality
                .and_then(|m| c.municipality(&m).map(|m| m.name.clone()))
                .unwrap_or_default(),
            a.labour_market_region
                .and_then(|r| c.labour_market_region(&r).map(|r| r.name.clone()))
                .unwrap_or_default(),
        )
    };
    assert_eq!(
        then("Hengelo", "Gelderland"),
        (
            "gelderland".into(),
            "Bronckhorst".into(),
            "Achterhoek".into()
        )
    );
    assert_eq!(
        then("Hengelo", "Overijssel"),
        ("overijssel".into(), "Hengelo".into(), "Twente".into())
    );
    assert_eq!(
        then("Zeeland", "Noord-Brabant"),
        (
            "noord-brabant".into(),
            "Maashorst".into(),
            "Noordoost-Brabant".into()
        )
    );
    // The province Zeeland is one region, so the region is known without a municipality.
    assert_eq!(
        then("Zeeland", "de provincie Zeeland"),
        ("zeeland".into(), String::new(), "Zeeland".into())
    );
    // Naming the province along with the place needs no question.
    assert_eq!(
        placed("Hengelo in Overijssel"),
        ("overijssel".into(), "Hengelo".into(), "Twente".into())
    );
    assert_eq!(
        placed("Bergen NH"),
        (
            "noord-holland".into(),
            "Bergen".into(),
            "Noord-Holland Noord".into()
        )
    );
}

#[test]
fn a_known_region_shows_its_own_desk_and_not_every_desk_of_the_province() {
    let c = &k().content;
    let cases = [
        (
            "Apeldoorn",
            "desk_am06",
            "Veluwe Stedendriehoek",
            "werkcentrum_gelderland",
        ),
        (
            "Naaldwijk",
            "desk_am21",
            "Haaglanden",
            "werkcentrum_zuid_holland",
        ),
        ("Leerdam", "desk_am35", "Gorinchem", "werkcentrum_utrecht"),
        (
            "Nijkerk",
            "desk_am14",
            "Amersfoort",
            "werkcentrum_gelderland",
        ),
        (
            "Mook",
            "desk_am08",
            "Rijk van Nijmegen",
            "werkcentrum_limburg",
        ),
    ];
    for (place, desk, region, province_list) in cases {
        let t = answer(&at_region_step(), place);
        let rec = recommend::recommend(k(), &t.conversation.answers, Lang::Nl, None);
        let ids: Vec<&str> = rec.contacts.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&desk), "{place}: {ids:?}");
        assert!(!ids.contains(&province_list), "{place}: {ids:?}");
        assert!(rec.text.contains(region), "{place}: {}", rec.text);
        // No other region's desk.
        assert!(
            rec.contacts
                .iter()
                .filter_map(|x| c.contact(&x.id))
                .all(|x| x.labour_market_region.is_none()
                    || x.labour_market_region == t.conversation.answers.labour_market_region),
            "{place}: {ids:?}"
        );
        // The English name is the English one.
        let en = recommend::recommend(k(), &t.conversation.answers, Lang::En, None);
        let want = c.contact(desk).unwrap().name_in(Lang::En);
        assert!(en.text.contains(want), "{place}: {}", en.text);
    }
    // A postcode gives only the province: the province's pointer to its regions stays.
    // (3000 has no addresses in the PC4 table, so only its prefix decides.)
    let t = answer(&at_region_step(), "3000 AB");
    assert_eq!(t.conversation.answers.labour_market_region, None);
    let rec = recommend::recommend(k(), &t.conversation.answers, Lang::Nl, None);
    assert!(
        rec.contacts
            .iter()
            .any(|x| x.id == "werkcentrum_zuid_holland"),
        "{:?}",
        rec.contacts
    );
}

/// `check`'s errors for this content on `today`, as "key: message".
fn check_errors(c: &llo_intake::content::Content, today: chrono::NaiveDate) -> Vec<String> {
    use llo_intake::content::{check::check_at, Severity};
    check_at(c, &[], today)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| format!("{}: {}", p.key, p.message))
        .collect()
}

#[test]
fn check_requires_a_region_for_every_municipality_and_a_desk_for_every_region() {
    use llo_intake::content::{check::check_at, Severity};
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let base = k().content.clone();
    let errors = |c: &llo_intake::content::Content| check_errors(c, today);
    assert!(errors(&base).is_empty(), "{:?}", errors(&base));

    let mut c = base.clone();
    c.municipalities[0].labour_market_region = "AM99".into();
    let e = errors(&c);
    assert!(
        e.iter().any(|x| x.contains("has no labour-market region")),
        "{e:?}"
    );

    let mut c = base.clone();
    c.contacts.retain(|x| x.id != "desk_am06");
    let e = errors(&c);
    assert!(
        e.iter()
            .any(|x| x.starts_with("labour_market_region.AM06") && x.contains("no contact")),
        "{e:?}"
    );

    // The table of 2026 is due for a look 12 months on.
    let warned = |day: chrono::NaiveDate| {
        check_at(&base, &[], day)
            .into_iter()
            .any(|p| p.severity == Severity::Warning && p.key == "region_table.year")
    };
    assert!(!warned(today));
    assert!(warned(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
}

#[test]
fn the_export_has_municipality_and_region_as_its_last_columns() {
    use llo_intake::app::summary::{Summary, CSV_COLUMNS};
    let n = CSV_COLUMNS.len();
    // Appended after the older columns, so old spreadsheets keep their
    // positions; only columns added later (the follow-up's) come after.
    let m = CSV_COLUMNS
        .iter()
        .position(|c| *c == "municipality")
        .unwrap();
    assert_eq!(
        &CSV_COLUMNS[m..m + 2],
        ["municipality", "labour_market_region"]
    );
    assert!(CSV_COLUMNS[m + 2..]
        .iter()
        .all(|c| c.starts_with("follow_up_")));
    let t = answer(&at_region_step(), "Apeldoorn");
    let s = Summary::build(&t.conversation, &[], "ref".into(), false);
    let row = s.csv_row();
    assert_eq!(row.len(), n);
    assert_eq!(&row[m..m + 2], ["GM0200", "AM06"]);
}

/// Every region's desk says where its URL comes from and when: a regional
/// site is backed by a source page on that same site; a desk whose own site
/// no source gives points to werkcentrum.nl and says so (`national_finder`),
/// naming its region in the text. `check` refuses a guessed URL.
#[test]
fn every_regional_desk_has_a_sourced_url_or_the_national_finder() {
    let c = &k().content;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    let mut regional = Vec::new();
    for r in &c.labour_market_regions {
        let desk = c
            .contacts
            .iter()
            .find(|x| x.labour_market_region.as_deref() == Some(r.code.as_str()))
            .unwrap_or_else(|| panic!("{}: no desk", r.code));
        assert!(desk.checked.is_some(), "{}", desk.id);
        match desk.url_scope.as_deref() {
            Some("regional") => regional.push(desk.url.as_str()),
            Some("national_finder") => {
                assert_eq!(desk.url, "https://www.werkcentrum.nl", "{}", desk.id);
                let short = r.name.split(['/', ' ']).next().unwrap_or(&r.name);
                for l in Lang::ALL {
                    assert!(desk.about.get(l).contains(short), "{} {l}", desk.id);
                }
            }
            other => panic!("{}: url_scope {other:?}", desk.id),
        }
    }
    // The regional sites the sources give (2026-12-02).
    assert_eq!(regional.len(), 5, "{regional:?}");

    let errors = |c: &llo_intake::content::Content| check_errors(c, today);
    assert!(errors(c).is_empty(), "{:?}", errors(c));
    let at = |c: &llo_intake::content::Content, id: &str| {
        c.contacts.iter().position(|x| x.id == id).expect(id)
    };
    // A regional URL nobody's page shows: refused.
    let mut guessed = c.clone();
    let i = at(&guessed, "desk_am13");
    guessed.contacts[i].url = "https://werkcentrummiddenutrecht.nl".into();
    guessed.contacts[i].url_scope = Some("regional".into());
    let e = errors(&guessed);
    assert!(
        e.iter()
            .any(|x| x.starts_with("contact.desk_am13.source_url") && x.contains("on that site")),
        "{e:?}"
    );
    // The national finder with another URL, and a desk without a date.
    let mut other = c.clone();
    let i = at(&other, "desk_am02");
    other.contacts[i].url = "https://www.example.org".into();
    other.contacts[i].checked = None;
    let e = errors(&other);
    assert!(
        e.iter().any(|x| x.starts_with("contact.desk_am02.url:")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|x| x.starts_with("contact.desk_am02.checked")),
        "{e:?}"
    );
}
