//! Place names to municipalities: "Naaldwijk" is Westland, "Harns" is
//! Harlingen, "Beemster" is Purmerend since 2022. The municipality gives the
//! province and the labour-market region. A name that two municipalities
//! share ("Bergen", "Hengelo", "Rijswijk"), or a village that shares its
//! name with a province ("Zeeland" in Maashorst), is not guessed: the
//! engine asks which province is meant.

use crate::content::patterns::LazyRegex as Regex;
use crate::content::text::fold;
use crate::content::Content;
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

/// Place names, each regex compiled on first use (they are escaped names
/// and fixed patterns, so they cannot fail to compile).
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
    /// PC4 -> the municipalities its addresses lie in.
    pc4: BTreeMap<u16, Vec<String>>,
    /// A four-digit number standing alone, optionally with the two letters.
    pc4_loose: Regex,
    /// A full postcode ("7311 AB") or four digits after "postcode".
    pc4_strict: Regex,
    /// A place name right after a word that introduces a place ("in",
    /// "uit", "based in"), for places named inside a longer answer.
    cued: Option<Regex>,
}

/// Words that introduce a place inside a sentence ("een bakkerij in Ede").
const PLACE_CUES: &[&str] = &[
    "in",
    "uit",
    "te",
    "vanuit",
    "omgeving",
    "regio",
    "buurt van",
    "gevestigd in",
    "based in",
    "located in",
    "from",
    "near",
];

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
            province_word: Regex::new("$^"),
            pc4: BTreeMap::new(),
            pc4_loose: Regex::new("$^"),
            pc4_strict: Regex::new("$^"),
            cued: None,
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
        let (names, cued) = if all.is_empty() {
            (None, None)
        } else {
            let alt = alternation(&all);
            let cues = PLACE_CUES.join("|");
            (
                Some(Regex::new(format!(r"(?:^|\W)({alt})(?:\W|$)"))),
                Some(Regex::new(format!(r"(?:^|\W)(?:{cues})\s+({alt})(?:\W|$)"))),
            )
        };
        let mut provinces = Vec::new();
        for p in &c.provinces {
            let mut n = vec![fold(&p.name), fold(&p.id)];
            n.extend(p.aliases.iter().map(|a| fold(a)));
            let re = Regex::new(format!(r"(?:^|\W)(?:{})(?:\W|$)", alternation(&n)));
            provinces.push((p.id.clone(), re));
        }
        Ok(Places {
            names,
            codes,
            provinces,
            province_word: Regex::new(r"(?:^|\W)(?:provincie|province)(?:\W|$)"),
            pc4: crate::content::postcodes::index(c),
            pc4_loose: Regex::new(r"(?:^|[^\w])([1-9][0-9]{3})(?:\s?[a-z]{2})?(?:[^\w]|$)"),
            pc4_strict: Regex::new(
                r"(?:^|[^\w])(?:([1-9][0-9]{3})\s?[a-z]{2}|(?:postcode|postal code|zip)\s*:?\s*([1-9][0-9]{3}))(?:[^\w]|$)",
            ),
            cued,
        })
    }

    /// The postcode in `text` and the municipalities its addresses lie in
    /// (two for a PC4 on a municipal border). `loose`: any four digits
    /// standing alone count, as in an answer to "where are you?"; else only
    /// a full postcode ("7311 AB") or digits after "postcode". `None` when
    /// there is no postcode or the table does not know it.
    pub fn postcode(&self, text: &str, loose: bool) -> Option<(u16, Vec<String>)> {
        let folded = fold(text);
        let re = if loose {
            &self.pc4_loose
        } else {
            &self.pc4_strict
        };
        let caps = re.get()?.captures(&folded)?;
        let digits = caps.get(1).or_else(|| caps.get(2))?;
        let n: u16 = digits.as_str().parse().ok()?;
        self.pc4.get(&n).map(|m| (n, m.clone()))
    }

    /// The one municipality a longer answer places the business in: a
    /// postcode, or a place name right after "in", "uit", "vanuit", ...
    /// ("een bakkerij in Apeldoorn"). A name shared by municipalities, or
    /// one that is also a province, gives nothing.
    pub fn named_in(&self, c: &Content, text: &str) -> Option<String> {
        if let Some((_, m)) = self.postcode(text, false) {
            return (m.len() == 1).then(|| m[0].clone());
        }
        let folded = fold(text);
        let name = self.cued.as_ref()?.get()?.captures(&folded)?.get(1)?;
        match self.resolve(c, name.as_str()) {
            Place::One(code) => Some(code),
            _ => None,
        }
    }

    /// The municipality (or municipalities) `text` names.
    pub fn resolve(&self, c: &Content, text: &str) -> Place {
        let folded = fold(text);
        let Some(re) = self.names.as_ref().and_then(Regex::get) else {
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
