//! Place names to municipalities: "Naaldwijk" is Westland, "Harns" is
//! Harlingen, "Beemster" is Purmerend since 2022. The municipality gives the
//! province and the labour-market region. A name that two municipalities
//! share ("Bergen", "Hengelo", "Rijswijk"), or a village that shares its
//! name with a province ("Zeeland" in Maashorst), is not guessed: the
//! engine asks which province is meant.

use crate::content::text::fold;
use crate::content::Content;
use regex::Regex;
use std::collections::BTreeMap;

/// What a typed place name comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// One municipality (CBS code).
    One(String),
    /// Several fit. `provinces` (in content order) are the ones to ask
    /// between; `municipalities` the candidates, at most one per province.
    Many {
        municipalities: Vec<String>,
        provinces: Vec<String>,
    },
    None,
}

/// Compiled place names.
#[derive(Debug, Clone)]
pub struct Places {
    /// Every folded name, longest first, as one alternation.
    names: Option<Regex>,
    /// Folded name -> municipality codes.
    codes: BTreeMap<String, Vec<String>>,
    /// Province id -> regex for its own name and aliases (not its towns).
    provinces: Vec<(String, Regex)>,
    /// "provincie Utrecht": the user means the province, not the city.
    province_word: Regex,
}

fn alternation(names: &[String]) -> String {
    let mut v: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
    v.sort_by_key(|n| std::cmp::Reverse(n.len()));
    v.dedup();
    v.iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

impl Places {
    /// No place names: everything falls through to the province matcher.
    pub fn empty() -> Places {
        Places {
            names: None,
            codes: BTreeMap::new(),
            provinces: Vec::new(),
            province_word: Regex::new("$^").unwrap_or_else(|_| unreachable!()),
        }
    }

    pub fn new(c: &Content) -> Result<Places, regex::Error> {
        let mut codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &c.municipalities {
            for n in m.names() {
                let f = fold(n);
                let list = codes.entry(f).or_default();
                if !list.contains(&m.code) {
                    list.push(m.code.clone());
                }
            }
        }
        let all: Vec<String> = codes.keys().cloned().collect();
        let names = if all.is_empty() {
            None
        } else {
            Some(Regex::new(&format!(
                r"(?:^|\W)({})(?:\W|$)",
                alternation(&all)
            ))?)
        };
        let mut provinces = Vec::new();
        for p in &c.provinces {
            let mut n = vec![fold(&p.name), fold(&p.id)];
            n.extend(p.aliases.iter().map(|a| fold(a)));
            let re = Regex::new(&format!(r"(?:^|\W)(?:{})(?:\W|$)", alternation(&n)))?;
            provinces.push((p.id.clone(), re));
        }
        Ok(Places {
            names,
            codes,
            provinces,
            province_word: Regex::new(r"(?:^|\W)(?:provincie|province)(?:\W|$)")?,
        })
    }

    /// The municipality (or municipalities) `text` names.
    pub fn resolve(&self, c: &Content, text: &str) -> Place {
        let folded = fold(text);
        let Some(re) = &self.names else {
            return Place::None;
        };
        if self.province_word.is_match(&folded) {
            return Place::None;
        }
        let mut found: Vec<String> = Vec::new();
        let mut at = 0;
        while at <= folded.len() {
            let Some(caps) = re.captures_at(&folded, at) else {
                break;
            };
            let Some(g) = caps.get(1) else { break };
            for code in self.codes.get(g.as_str()).into_iter().flatten() {
                if !found.contains(code) {
                    found.push(code.clone());
                }
            }
            // Go on right after the name: the separator may start the next one.
            at = g.end();
        }
        if found.is_empty() {
            return Place::None;
        }
        let province_of = |code: &String| {
            c.municipality(code)
                .map(|m| m.province.clone())
                .unwrap_or_default()
        };
        let named: Vec<&str> = self
            .provinces
            .iter()
            .filter(|(_, r)| r.is_match(&folded))
            .map(|(id, _)| id.as_str())
            .collect();
        // "Hengelo in Overijssel": a province named as well narrows the choice.
        let within: Vec<String> = found
            .iter()
            .filter(|m| named.contains(&province_of(m).as_str()))
            .cloned()
            .collect();
        if !within.is_empty() {
            found = within;
        }
        if found.len() == 1 {
            let p = province_of(&found[0]);
            // "Zeeland": a village in Maashorst and a province. Named alone,
            // both are possible.
            let other: Vec<&str> = named.iter().copied().filter(|n| *n != p).collect();
            if other.is_empty() {
                return Place::One(found.remove(0));
            }
        }
        let mut provinces: Vec<String> = Vec::new();
        let mut municipalities: Vec<String> = Vec::new();
        for p in &c.provinces {
            let here: Vec<&String> = found.iter().filter(|m| province_of(m) == p.id).collect();
            if here.len() == 1 {
                municipalities.push(here[0].clone());
            }
            if !here.is_empty() || named.contains(&p.id.as_str()) {
                provinces.push(p.id.clone());
            }
        }
        Place::Many {
            municipalities,
            provinces,
        }
    }
}
