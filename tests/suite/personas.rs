//! The persona suite: profiles of entrepreneurs from every province, a third
//! of them in border municipalities, each run end to end through the console
//! binary (`console --jsonl`). The regional contact must be the desk of the
//! labour-market region CBS puts their place in, and no other region's desk.
//! The top 3 routes hold no route the adviser called unacceptable and at
//! least one they would sign; a regional desk is among them, naming the
//! person's own desk, unless they tried it; every route's reason is its own
//! and quotes their words; what they tried is acknowledged, not re-offered.

use crate::content_routes::sentence_list;
use serde::Deserialize;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

#[derive(Deserialize)]
struct File {
    persona: Vec<Persona>,
}

#[derive(Deserialize)]
struct Persona {
    id: String,
    province: String,
    says: String,
    sector: String,
    size: String,
    place: String,
    municipality: String,
    labour_market_region: String,
    acceptable: Vec<String>,
    unacceptable: Vec<String>,
    /// The answer to "what did you try?" ("sla over" when missing).
    #[serde(default)]
    tried: Option<String>,
    /// Routes that answer names: never in the top 3, named in the intro.
    #[serde(default)]
    tried_routes: Vec<String>,
    /// `en` for a persona who talks English (default Dutch).
    #[serde(default)]
    lang: Option<String>,
}

impl Persona {
    fn en(&self) -> bool {
        self.lang.as_deref() == Some("en")
    }
    /// The expected wording, in the persona's language.
    fn say<'a>(&self, nl: &'a str, en: &'a str) -> &'a str {
        if self.en() {
            en
        } else {
            nl
        }
    }
}

fn personas() -> Vec<Persona> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/personas.toml");
    let src = std::fs::read_to_string(path).expect("tests/data/personas.toml");
    toml::from_str::<File>(&src)
        .expect("personas parse")
        .persona
}

/// The recommendations the console prints for this persona.
fn run(db: &std::path::Path, p: &Persona) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .env_remove("LLO_INTAKE_LOG")
        .args(["console", "--jsonl", "--user", &p.id, "--db"])
        .arg(db)
        .args(["--lang", p.lang.as_deref().unwrap_or("nl")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for a in [
            p.say("ja", "yes"),
            p.says.as_str(),
            p.say("ja", "yes"),
            p.sector.as_str(),
            p.size.as_str(),
            p.place.as_str(),
            p.tried.as_deref().unwrap_or("sla over"),
        ] {
            writeln!(stdin, "{a}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("console ends");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["kind"] == "recommendations")
        .unwrap_or_else(|| panic!("{}: no recommendations in {stdout}", p.id))
}

#[test]
fn personas_get_the_desk_of_their_own_labour_market_region() {
    let ps = personas();
    assert!(ps.len() >= 25, "{} personas", ps.len());
    let provinces: std::collections::BTreeSet<&str> =
        ps.iter().map(|p| p.province.as_str()).collect();
    assert_eq!(provinces.len(), 12, "every province: {provinces:?}");

    let k = llo_intake::domain::knowledge::Knowledge::load_default().expect("content");
    let c = &k.content;
    // At least ten live in a municipality whose region crosses its province border.
    let border = ps
        .iter()
        .filter(|p| {
            c.labour_market_region(&p.labour_market_region)
                .is_some_and(|r| r.provinces.len() > 1 && r.provinces[0] != p.province)
                || c.municipalities.iter().any(|m| {
                    m.name == p.municipality
                        && c.labour_market_region(&m.labour_market_region)
                            .is_some_and(|r| r.provinces.len() > 1)
                })
        })
        .count();
    assert!(border >= 10, "{border} border personas");

    // Each persona is its own console process: run them side by side.
    let tmp = tempfile::tempdir().expect("tmp");
    let recs: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = ps
            .iter()
            .map(|p| {
                let db = tmp.path().join(&p.id);
                s.spawn(move || run(&db, p))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("persona run"))
            .collect()
    });
    let mut errors = Vec::new();
    let mut routes_ok = 0;
    let mut verdicts = Vec::new();
    for (p, rec) in ps.iter().zip(recs) {
        let m = c
            .municipalities
            .iter()
            .find(|m| m.name == p.municipality)
            .unwrap_or_else(|| panic!("{}: no municipality {}", p.id, p.municipality));
        assert_eq!(m.labour_market_region, p.labour_market_region, "{}", p.id);
        let region = c
            .labour_market_region(&p.labour_market_region)
            .expect("region");
        assert_eq!(rec["profile"]["region"], p.province.as_str(), "{}", p.id);
        let contacts = rec["contacts"].as_array().cloned().unwrap_or_default();
        // The region's desk, named with the region (a sector network such as
        // Greenport may come before it).
        let desk = format!("desk_{}", p.labour_market_region.to_lowercase());
        let own = contacts.iter().find(|x| x["id"] == desk.as_str());
        let name = own.and_then(|x| x["name"].as_str()).unwrap_or("");
        let short = region.name.split(['/', ' ']).next().unwrap_or(&region.name);
        if !name.contains(short) {
            errors.push(format!(
                "{}: want {desk} naming {}, got {contacts:?}",
                p.id, region.name
            ));
        }
        let other_desks: Vec<&str> = contacts
            .iter()
            .filter_map(|x| x["id"].as_str())
            .filter(|id| id.starts_with("desk_") && *id != desk)
            .collect();
        if !other_desks.is_empty() {
            errors.push(format!("{}: other regions' desks {other_desks:?}", p.id));
        }
        let province_list = contacts
            .iter()
            .filter_map(|x| x["id"].as_str())
            .any(|id| id.starts_with("werkcentrum_"));
        if province_list {
            errors.push(format!("{}: still the province's list of regions", p.id));
        }
        let routes = rec["routes"].as_array().cloned().unwrap_or_default();
        let top: Vec<String> = routes
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect();
        let bad: Vec<&String> = top.iter().filter(|r| p.unacceptable.contains(r)).collect();
        let good = top.iter().any(|r| p.acceptable.contains(r));
        if bad.is_empty() && good {
            routes_ok += 1;
        } else {
            verdicts.push(format!("{}: top {top:?}, unacceptable {bad:?}", p.id));
        }
        // The regional desk: in the top 3 unless they tried it, and then it
        // names their own region's desk.
        let desks = ["werkcentrum", "leerwerkloket", "wsp"];
        let desk_tried = p.tried_routes.iter().any(|r| desks.contains(&r.as_str()));
        let shown: Vec<&Value> = routes
            .iter()
            .filter(|r| desks.iter().any(|d| r["id"] == *d))
            .collect();
        if shown.is_empty() && !desk_tried {
            errors.push(format!("{}: no regional desk in the top 3: {top:?}", p.id));
        }
        let own_url = own.and_then(|x| x["url"].as_str()).unwrap_or("");
        for d in shown.iter().filter(|d| d["id"] == "werkcentrum") {
            let why = d["why"].as_str().unwrap_or("");
            if !why.contains(&format!(
                "{} {name}:",
                p.say("Bij jou is dat", "For you that is")
            )) {
                errors.push(format!("{}: the desk does not name {name:?}: {why}", p.id));
            }
            // Its site, and with a site of its own no detour via werkcentrum.nl.
            if d["url"] != own_url {
                errors.push(format!(
                    "{}: desk route links {} not {own_url}",
                    p.id, d["url"]
                ));
            }
            let regional = own_url != "https://www.werkcentrum.nl";
            let step = format!("{} {name}", p.say("contact op met", "Contact"));
            if regional && !why.contains(&step) {
                errors.push(format!("{}: next step is not {name}'s site: {why}", p.id));
            }
        }
        // Tried: not offered again, and acknowledged by name.
        let intro = rec["intro"].as_str().unwrap_or("");
        for t in &p.tried_routes {
            if top.contains(t) {
                errors.push(format!("{}: tried {t} offered again: {top:?}", p.id));
            }
            let title = c
                .route(t)
                .map(|r| if p.en() { &r.title.en } else { &r.title.nl })
                .map_or(t.as_str(), String::as_str);
            if !intro.contains(title) {
                errors.push(format!("{}: {title:?} not acknowledged: {intro}", p.id));
            }
        }
        let ack = p.say(
            "Je schreef dat je al hebt geprobeerd",
            "You wrote that you already tried",
        );
        if p.tried.is_some() && !intro.contains(ack) {
            errors.push(format!(
                "{}: what they tried is not acknowledged: {intro}",
                p.id
            ));
        }
        // Reasons of their own: no sentence twice, and they quote the person.
        let mut seen = std::collections::BTreeMap::new();
        for r in routes
            .iter()
            .chain(Some(&rec["peer"]).filter(|x| !x.is_null()))
        {
            let id = r["id"].as_str().unwrap_or("");
            for s in sentence_list(r["why"].as_str().unwrap_or("")) {
                if let Some(other) = seen.insert(s.clone(), id) {
                    errors.push(format!("{}: {other} and {id} share {s:?}", p.id));
                }
            }
        }
        let quoting = routes
            .iter()
            .filter(|r| r["why"].as_str().is_some_and(|w| w.contains("(\"")))
            .count();
        if quoting < 2 {
            errors.push(format!(
                "{}: {quoting} of the routes quote the person's words: {routes:?}",
                p.id
            ));
        }
    }
    eprintln!(
        "personas: {} of {} have a top 3 an adviser accepts",
        routes_ok,
        ps.len()
    );
    assert!(verdicts.is_empty(), "{verdicts:#?}");
    assert!(errors.is_empty(), "{errors:#?}");
}
