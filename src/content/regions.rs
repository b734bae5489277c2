//! Labour-market regions (arbeidsmarktregio's): every municipality of the
//! current CBS indeling with its region, and the table's source and year.
//!
//! The data lives in `intents/labour_market_regions.toml`. A place name
//! resolves to a municipality (by its name, a village in it, its Frisian
//! name or a municipality merged into it); the municipality gives the
//! province and the region. See [`crate::domain::nlu::matcher`].

use serde::Deserialize;

/// Where the municipality → region table comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionTable {
    /// The publication, e.g. "CBS StatLine 86247NED, Gebieden in Nederland 2026".
    pub source: String,
    pub source_url: String,
    /// A copy of the table the content was read from, if not the source itself.
    #[serde(default)]
    pub via_url: Option<String>,
    /// The indeling year (1 January). `check` warns once it is a year old.
    pub year: i32,
    /// ISO date the table was last compared with the source.
    pub checked: String,
}

/// One of the 35 arbeidsmarktregio's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabourMarketRegion {
    /// CBS code, `AM01` .. `AM38`.
    pub code: String,
    /// CBS name of the region.
    pub name: String,
    /// Older or informal names ("Stedendriehoek en Noordwest Veluwe").
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Province ids the region's municipalities lie in (checked).
    #[serde(default)]
    pub provinces: Vec<String>,
}

/// A municipality merged into another one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Former {
    pub name: String,
    /// The year the merger took effect (1 January).
    pub until: i32,
}

/// A municipality of the current indeling.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// CBS code, `GM0200`.
    pub code: String,
    /// The name people use ("Bergen", "Den Haag" is an alias of "'s-Gravenhage").
    pub name: String,
    /// CBS's name where it differs ("Bergen (NH.)").
    #[serde(default)]
    pub cbs_name: Option<String>,
    /// Province id.
    pub province: String,
    /// Region code (`AM06`).
    pub labour_market_region: String,
    /// Villages and kernen, Frisian names, other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub former: Vec<Former>,
}

impl Municipality {
    /// Every name this municipality is known by.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(self.cbs_name.as_deref())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(self.former.iter().map(|f| f.name.as_str()))
    }
}

use crate::content::check::Problem;
use crate::content::Content;
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};

impl Content {
    pub fn municipality(&self, code: &str) -> Option<&Municipality> {
        self.municipalities.iter().find(|m| m.code == code)
    }
    pub fn labour_market_region(&self, code: &str) -> Option<&LabourMarketRegion> {
        self.labour_market_regions.iter().find(|r| r.code == code)
    }
    /// The labour-market region when a whole province lies in one (Fryslân,
    /// Zeeland); `None` where the province is split.
    pub fn sole_region_of_province(&self, province: &str) -> Option<&str> {
        let mut codes = self
            .municipalities
            .iter()
            .filter(|m| m.province == province)
            .map(|m| m.labour_market_region.as_str());
        let first = codes.next()?;
        codes.all(|c| c == first).then_some(first)
    }
}

/// `check` rules for the region table: every municipality has a known region
/// and province, every region has members and a desk of its own, codes are
/// unique, and the table is flagged once it is a year past its source year.
pub fn check(c: &Content, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    let file = |kind: &str, id: &str| c.origin(kind, id).to_path_buf();
    if c.municipalities.is_empty() && c.labour_market_regions.is_empty() {
        // Content without a region table (an older deployment directory
        // alone) keeps working at province level.
        return out;
    }
    match &c.region_table {
        None => out.push(Problem::error(
            file("region_table", ""),
            "region_table",
            "municipalities are listed but [region_table] (source, source_url, year, checked) is missing",
        )),
        Some(t) => {
            if !t.source_url.starts_with("https://") {
                out.push(Problem::error(
                    file("region_table", ""),
                    "region_table.source_url",
                    format!("must be an https:// URL, got {:?}", t.source_url),
                ));
            }
            if t.source.trim().is_empty() {
                out.push(Problem::error(
                    file("region_table", ""),
                    "region_table.source",
                    "names no publication",
                ));
            }
            if let Some(v) = t.via_url.as_deref().filter(|v| !v.starts_with("https://")) {
                out.push(Problem::error(
                    file("region_table", ""),
                    "region_table.via_url",
                    format!("must be an https:// URL, got {v:?}"),
                ));
            }
            if NaiveDate::parse_from_str(&t.checked, "%Y-%m-%d").is_err() {
                out.push(Problem::error(
                    file("region_table", ""),
                    "region_table.checked",
                    format!("not a date (YYYY-MM-DD): {:?}", t.checked),
                ));
            }
            // The indeling holds from 1 January of its year; CBS publishes a
            // new one every year, so a table 12 months past that is due.
            if let Some(start) = NaiveDate::from_ymd_opt(t.year, 1, 1) {
                let due = start.with_year(t.year + 1).unwrap_or(start);
                if today >= due {
                    out.push(Problem::warning(
                        file("region_table", ""),
                        "region_table.year",
                        format!(
                            "the municipality and region table is of {}, more than 12 months old: compare it with this year's CBS \"Gebieden in Nederland\"",
                            t.year
                        ),
                    ));
                }
            }
        }
    }
    let mut regions = BTreeSet::new();
    for r in &c.labour_market_regions {
        if r.aliases.iter().any(|a| a.trim().is_empty()) {
            out.push(Problem::error(
                file("labour_market_region", &r.code),
                format!("labour_market_region.{}.aliases", r.code),
                "an empty alias",
            ));
        }
        if !regions.insert(r.code.as_str()) {
            out.push(Problem::error(
                file("labour_market_region", &r.code),
                format!("labour_market_region.{}", r.code),
                "duplicate code",
            ));
        }
    }
    let mut codes = BTreeSet::new();
    let mut members: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in &c.municipalities {
        let key = format!("municipality.{}", m.code);
        let year = c.region_table.as_ref().map_or(i32::MAX, |t| t.year);
        for f in m.former.iter().filter(|f| f.until > year) {
            out.push(Problem::error(
                file("municipality", &m.code),
                format!("{key}.former"),
                format!(
                    "{} merged into {} in {}, after the table's year {year}",
                    f.name, m.name, f.until
                ),
            ));
        }
        if !codes.insert(m.code.as_str()) {
            out.push(Problem::error(
                file("municipality", &m.code),
                key.clone(),
                "duplicate code",
            ));
        }
        if c.province(&m.province).is_none() {
            out.push(Problem::error(
                file("municipality", &m.code),
                format!("{key}.province"),
                format!("{}: unknown province {:?}", m.name, m.province),
            ));
        }
        if regions.contains(m.labour_market_region.as_str()) {
            members
                .entry(m.labour_market_region.as_str())
                .or_default()
                .insert(m.province.as_str());
        } else {
            out.push(Problem::error(
                file("municipality", &m.code),
                format!("{key}.labour_market_region"),
                format!(
                    "{} has no labour-market region: {:?} is not in the table",
                    m.name, m.labour_market_region
                ),
            ));
        }
    }
    for r in &c.labour_market_regions {
        let key = format!("labour_market_region.{}", r.code);
        let Some(provinces) = members.get(r.code.as_str()) else {
            out.push(Problem::error(
                file("labour_market_region", &r.code),
                key,
                format!("{} has no municipality", r.name),
            ));
            continue;
        };
        let listed: BTreeSet<&str> = r.provinces.iter().map(String::as_str).collect();
        if &listed != provinces {
            out.push(Problem::error(
                file("labour_market_region", &r.code),
                format!("{key}.provinces"),
                format!("{}: its municipalities lie in {provinces:?}", r.name),
            ));
        }
        let desks = c
            .contacts
            .iter()
            .filter(|x| x.labour_market_region.as_deref() == Some(r.code.as_str()))
            .count();
        if desks == 0 {
            out.push(Problem::error(
                file("labour_market_region", &r.code),
                key,
                format!(
                    "{} has no contact of its own: add a [[contact]] with labour_market_region = \"{}\"",
                    r.name, r.code
                ),
            ));
        }
    }
    for x in &c.contacts {
        if let Some(r) = &x.labour_market_region {
            if !regions.contains(r.as_str()) {
                out.push(Problem::error(
                    file("contact", &x.id),
                    format!("contact.{}.labour_market_region", x.id),
                    format!("unknown labour-market region {r:?}"),
                ));
            }
            out.extend(check_desk(c, x));
        }
        if let Some(n) = &x.names {
            for l in n.missing() {
                out.push(Problem::error(
                    file("contact", &x.id),
                    format!("contact.{}.names.{l}", x.id),
                    "missing text in this language",
                ));
            }
        }
    }
    out
}

/// The national site that links every region to its desk: a region's desk
/// whose own site no source gives points here (`url_scope = "national_finder"`).
pub const NATIONAL_FINDER: &str = "https://www.werkcentrum.nl";

/// The host of an http(s) URL, without "www.".
fn host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let h = rest.split(['/', '?', '#']).next()?;
    Some(h.strip_prefix("www.").unwrap_or(h)).filter(|h| h.contains('.'))
}

/// A region's own desk names where its URL was found, and when: a regional
/// site is backed by a source page on that site (so no URL is guessed); a
/// desk without one points to [`NATIONAL_FINDER`] and says so.
fn check_desk(c: &Content, x: &crate::content::Contact) -> Vec<Problem> {
    let mut out = Vec::new();
    let file = c.origin("contact", &x.id).to_path_buf();
    let mut err = |key: &str, msg: String| {
        out.push(Problem::error(
            file.clone(),
            format!("contact.{}.{key}", x.id),
            msg,
        ))
    };
    let source = x.source_url.as_deref().unwrap_or("");
    if host(source).is_none() {
        err(
            "source_url",
            format!("a region's desk needs the page its URL was found on, got {source:?}"),
        );
    }
    match x.checked.as_deref() {
        Some(d) if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {}
        other => err(
            "checked",
            format!("a region's desk needs the date it was checked (YYYY-MM-DD), got {other:?}"),
        ),
    }
    match x.url_scope.as_deref() {
        Some("regional") => {
            if host(&x.url).is_none() || host(&x.url) != host(source) {
                err(
                    "source_url",
                    format!(
                        "a regional site needs a source page on that site ({}), got {source:?}; without one use url = \"{NATIONAL_FINDER}\" and url_scope = \"national_finder\"",
                        x.url
                    ),
                );
            }
        }
        Some("national_finder") => {
            if x.url.trim_end_matches('/') != NATIONAL_FINDER {
                err(
                    "url",
                    format!("url_scope is national_finder, so the url is {NATIONAL_FINDER}, got {:?}", x.url),
                );
            }
        }
        other => err(
            "url_scope",
            format!("regional (the region's own site) or national_finder (werkcentrum.nl), got {other:?}"),
        ),
    }
    out
}
