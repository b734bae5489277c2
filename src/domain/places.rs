//! Place names to municipalities: "Naaldwijk" is Westland, "Harns" is
//! Harlingen, "Beemster" is Purmerend since 2022. The municipality gives the
//! province and the labour-market region. A name that two municipalities
//! share ("Bergen", "Hengelo", "Rijswijk"), or a village that shares its
//! name with a province ("Zeeland" in Maashorst), is not guessed: the
//! engine asks which province is meant.

use crate::content::patterns::{Folded, LazyRegex as Regex};
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

/// Place names. The names, provinces and province word run together as
/// one [`Folded`] set, built with the places; the postcode and cue regexes
/// are compiled on first use (they are escaped names and fixed patterns,
/// so they cannot fail to compile).
#[derive(Debug, Clone)]
pub struct Places {
    /// Every folded name, longest first, as one alternation
    /// `(?:^|\W)(?:names)(?:\W|$)`, and the same without its first part
    /// (where a name starts: see [`Places::resolve`]).
    names: Option<(Folded, Folded)>,
    /// Folded name -> municipality codes.
    codes: BTreeMap<String, Vec<String>>,
    /// Province id -> regex for its own name and aliases (not its towns).
    provinces: Vec<(String, Folded)>,
    /// "provincie Utrecht": the user means the province, not the city.
    province_word: Option<Folded>,
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
            province_word: None,
            pc4: BTreeMap::new(),
            pc4_loose: Regex::new("$^"),
            pc4_strict: Regex::new("$^"),
            cued: None,
        }
    }

    pub fn new(c: &Content) -> Result<Places, String> {
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
        // Compiled together: the province word, each province, then the
        // names (both forms).
        let mut srcs = vec![r"(?:^|\W)(?:provincie|province)(?:\W|$)".to_string()];
        for p in &c.provinces {
            let mut n = vec![fold(&p.name), fold(&p.id)];
            n.extend(p.aliases.iter().map(|a| fold(a)));
            srcs.push(format!(r"(?:^|\W)(?:{})(?:\W|$)", alternation(&n)));
        }
        let cued = if all.is_empty() {
            None
        } else {
            let alt = alternation(&all);
            let cues = PLACE_CUES.join("|");
            srcs.push(format!(r"(?:^|\W)(?:{alt})(?:\W|$)"));
            srcs.push(format!(r"(?:{alt})(?:\W|$)"));
            Some(Regex::new(format!(r"(?:^|\W)(?:{cues})\s+({alt})(?:\W|$)")))
        };
        let mut compiled = Folded::compile(&srcs)?.into_iter();
        let province_word = compiled.next();
        let provinces = c
            .provinces
            .iter()
            .map(|p| p.id.clone())
            .zip(compiled.by_ref())
            .collect();
        let names = match (compiled.next(), compiled.next()) {
            (Some(full), Some(from_name)) => Some((full, from_name)),
            _ => None,
        };
        Ok(Places {
            names,
            codes,
            provinces,
            province_word,
            pc4: crate::content::postcodes::index(c),
            pc4_loose: Regex::new(r"(?:^|[^\w])([1-9][0-9]{3})(?:\s?[a-z]{2})?(?:[^\w]|$)"),
            pc4_strict: Regex::new(
                r"(?:^|[^\w])(?:([1-9][0-9]{3})\s?[a-z]{2}|(?:postcode|postal code|zip)\s*:?\s*([1-9][0-9]{3}))(?:[^\w]|$)",
            ),
            cued,
        })
    }

    /// Compiles the regexes that are otherwise compiled on first use (the
    /// postcode and cue regexes); see [`crate::domain::knowledge::Knowledge::warm`].
    pub fn warm(&self) {
        let _ = (self.pc4_loose.get(), self.pc4_strict.get());
        if let Some(c) = &self.cued {
            let _ = c.get();
        }
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

    /// The names in `folded`, in order, as text spans: what `captures_at`
    /// gives for group 1 of `(?:^|\W)(names)(?:\W|$)`, each search going
    /// on right after the name before, found with searches that need no
    /// capture groups.
    fn spans(
        full: &Folded,
        from_name: &Folded,
        codes: &BTreeMap<String, Vec<String>>,
        folded: &str,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let hay = full.hay(folded);
        let n = hay.bytes().len();
        let mut at = 0;
        while at <= n {
            let Some((s, _)) = full.find_at(&hay, at) else {
                break;
            };
            // The match starts with `^` (preferred, when the rest matches
            // from there) or with one `\W` character.
            let start = if s == 0 && from_name.anchored_end(&hay, 0).is_some() {
                0
            } else {
                s + 1
            };
            let Some(e) = from_name.anchored_end(&hay, start) else {
                break;
            };
            // The name ends the text (`$`) or is followed by one `\W`
            // character. Both can fit only at the very end; then the longer
            // name comes first in the alternation, and wins.
            let (ts, te) = (hay.to_text(start), hay.to_text(e));
            let end = if e == n && codes.contains_key(&folded[ts..te]) {
                e
            } else {
                e - 1
            };
            out.push((ts, hay.to_text(end)));
            // Go on right after the name: the separator may start the next one.
            at = end;
        }
        out
    }

    /// The municipality (or municipalities) `text` names.
    pub fn resolve(&self, c: &Content, text: &str) -> Place {
        let folded = fold(text);
        let Some((full, from_name)) = &self.names else {
            return Place::None;
        };
        if self
            .province_word
            .as_ref()
            .is_some_and(|p| p.is_match(&folded))
        {
            return Place::None;
        }
        let mut found: Vec<String> = Vec::new();
        for (a, b) in Places::spans(full, from_name, &self.codes, &folded) {
            for code in self.codes.get(&folded[a..b]).into_iter().flatten() {
                if !found.contains(code) {
                    found.push(code.clone());
                }
            }
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

#[cfg(test)]
mod tests {
    use super::{alternation, Places};
    use crate::content::text::fold;
    use regex::Regex;

    /// Tricky texts, and every place name alone, in a sentence, at the
    /// end after a comma and next to another name.
    fn texts(names: &[&String]) -> Vec<String> {
        let mut t: Vec<String> = [
            "bergen op zoom",
            "bergen",
            "bergen (nh)",
            "wij zitten in bergen op zoom, niet in bergen",
            "'s-hertogenbosch",
            "in 's-hertogenbosch!",
            "den bosch/'s-hertogenbosch",
            "hengelo in overijssel",
            "zeeland",
            "provincie utrecht",
            "utrecht 😀 amersfoort",
            "😀utrecht😀",
            "naïef in ede, née à apeldoorn",
            "straße ede\u{7}\u{1b}[31mzwolle\u{202e}",
            "ede-wageningen ede_wageningen ede1",
            "7311 ab apeldoorn",
            "postcode: 7311, apeldoorn",
            "日本語 arnhem 中文",
            "ΑΒΓ groningen ١٢",
            "",
            " ",
            "ede.",
            "ede..",
            "ede ede ede",
        ]
        .iter()
        .map(|s| fold(s))
        .collect();
        for (i, n) in names.iter().enumerate() {
            let next = names[(i + 7) % names.len()];
            t.push(n.to_string());
            t.push(format!("we zitten in {n}."));
            t.push(format!("{n}, {next}"));
            t.push(format!("{n}{next}"));
            t.push(format!("({n})😀"));
        }
        t
    }

    /// The names found without capture groups are the spans of group 1
    /// that `captures_at` gave on the regex with one, and the provinces
    /// and province word match where their Unicode regexes match.
    #[test]
    fn the_set_finds_what_the_regexes_found() {
        let c = crate::content::Content::load_default().unwrap();
        let p = Places::new(&c).unwrap();
        let (full, from_name) = p.names.as_ref().unwrap();
        assert!(full.in_set() && from_name.in_set());
        let all: Vec<String> = p.codes.keys().cloned().collect();
        let old = Regex::new(&format!(r"(?:^|\W)({})(?:\W|$)", alternation(&all))).unwrap();
        let keys: Vec<&String> = p.codes.keys().collect();
        let word = p.province_word.as_ref().unwrap();
        let w = Regex::new(word.as_str()).unwrap();
        let provinces: Vec<_> = (p.provinces.iter())
            .map(|(id, f)| (id, f, Regex::new(f.as_str()).unwrap()))
            .collect();
        let mut spans = 0;
        for t in texts(&keys) {
            let mut want = Vec::new();
            let mut at = 0;
            while at <= t.len() {
                let Some(caps) = old.captures_at(&t, at) else {
                    break;
                };
                let g = caps.get(1).unwrap();
                want.push((g.start(), g.end()));
                at = g.end();
            }
            let got = Places::spans(full, from_name, &p.codes, &t);
            assert_eq!(got, want, "{t:?}");
            spans += got.len();
            assert_eq!(word.is_match(&t), w.is_match(&t), "{t:?}");
            for (id, f, r) in &provinces {
                assert_eq!(f.is_match(&t), r.is_match(&t), "{id} {t:?}");
            }
        }
        assert!(spans > 1000, "{spans}");
    }
}
