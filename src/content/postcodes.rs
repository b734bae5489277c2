//! Postcodes (PC4, the four digits) to municipalities, from CBS's
//! postcode-huisnummer table. The data lives in `intents/postcodes.toml`:
//! one `[[pc4]]` entry per municipality with its codes as runs
//! ("1011-1019 1021"). A PC4 under two municipalities is mixed: the bot asks.

use crate::content::check::Problem;
use crate::content::regions::RegionTable;
use crate::content::Content;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The PC4 codes of one municipality.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pc4Codes {
    /// CBS code, `GM0363`.
    pub municipality: String,
    /// Codes and runs of codes, separated by spaces: "1011-1019 1021".
    pub pc4: String,
}

/// The runs in `text` ("1011-1019 1021" -> [(1011, 1019), (1021, 1021)]).
pub fn runs(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let code = |s: &str| -> Result<u16, String> {
        s.parse::<u16>()
            .ok()
            .filter(|n| (1000..=9999).contains(n))
            .ok_or_else(|| format!("{s:?} is not a four-digit postcode"))
    };
    text.split_whitespace()
        .map(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b) = (code(a)?, code(b)?);
            if a > b {
                return Err(format!("{part:?}: the run goes backwards"));
            }
            Ok((a, b))
        })
        .collect()
}

/// Every PC4 -> the municipalities its addresses lie in (content order).
/// Invalid runs are left out (`check` reports them).
pub fn index(c: &Content) -> BTreeMap<u16, Vec<String>> {
    let mut out: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for e in &c.pc4 {
        for (a, b) in runs(&e.pc4).unwrap_or_default() {
            for n in a..=b {
                let list = out.entry(n).or_default();
                if !list.contains(&e.municipality) {
                    list.push(e.municipality.clone());
                }
            }
        }
    }
    out
}

/// `check` rules: a dated source, known municipalities, valid runs, and a
/// warning once the table is more than two editions behind (CBS publishes
/// the postcode-huisnummer table of 1 August every year, some months later).
pub fn check(c: &Content, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    if c.pc4.is_empty() {
        return out;
    }
    let file = |kind: &str, id: &str| c.origin(kind, id).to_path_buf();
    match &c.pc4_table {
        None => out.push(Problem::error(
            file("pc4", ""),
            "pc4_table",
            "postcodes are listed but [pc4_table] (source, source_url, year, checked) is missing",
        )),
        Some(t) => out.extend(table(t, file("pc4_table", ""), today)),
    }
    for e in &c.pc4 {
        let key = format!("pc4.{}", e.municipality);
        if c.municipality(&e.municipality).is_none() {
            out.push(Problem::error(
                file("pc4", &e.municipality),
                key.clone(),
                format!(
                    "unknown municipality {:?}: not in the region table",
                    e.municipality
                ),
            ));
        }
        if let Err(why) = runs(&e.pc4) {
            out.push(Problem::error(
                file("pc4", &e.municipality),
                format!("{key}.pc4"),
                why,
            ));
        }
    }
    out
}

fn table(t: &RegionTable, file: std::path::PathBuf, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    if !t.source_url.starts_with("https://") {
        out.push(Problem::error(
            &file,
            "pc4_table.source_url",
            format!("must be an https:// URL, got {:?}", t.source_url),
        ));
    }
    if NaiveDate::parse_from_str(&t.checked, "%Y-%m-%d").is_err() {
        out.push(Problem::error(
            &file,
            "pc4_table.checked",
            format!("not a date (YYYY-MM-DD): {:?}", t.checked),
        ));
    }
    if NaiveDate::from_ymd_opt(t.year + 3, 1, 1).is_some_and(|due| today >= due) {
        out.push(Problem::warning(
            &file,
            "pc4_table.year",
            format!(
                "the postcode table is of {}, two editions behind: compare it with CBS's latest \"Buurt, wijk en gemeente voor postcode huisnummer\"",
                t.year
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_read_codes_and_ranges() {
        assert_eq!(runs("1011-1013 1021"), Ok(vec![(1011, 1013), (1021, 1021)]));
        assert!(runs("0999").is_err());
        assert!(runs("1020-1011").is_err());
        assert!(runs("12a4").is_err());
    }
}
