//! Validation of the route eligibility and advice data (`intents/routes.toml`):
//! every route that can be offered says for whom it is, what you get, the
//! next step and a reason of its own; windows are real dates; patterns
//! compile; sector notes name known sectors. Every problem names the file and
//! the key. Called from [`super::check::check_at`]. The sentences around
//! the reasons are required by the domain (`crate::domain::MESSAGE_KEYS`).

use super::text::Text;
use super::{Content, Problem, RouteStatus};
use chrono::NaiveDate;
use std::collections::BTreeMap;

pub fn check_eligibility(c: &Content) -> Vec<Problem> {
    let mut out = Vec::new();
    // One set of every route pattern compiles in a fraction of the time of
    // each alone; when it compiles (within one pattern's size limit), so
    // does each. Else each is compiled alone to name the ones that fail.
    let sources = c.routes.iter().flat_map(|r| {
        [&r.known_as, &r.cues, &r.against]
            .into_iter()
            .flatten()
            .map(|p| format!(r"\b(?:{p})"))
    });
    let all_compile = regex::RegexSet::new(sources).is_ok();
    if let Some(m) = c.msg("months") {
        for (l, t) in [("nl", &m.nl), ("en", &m.en)] {
            if t.split(',').filter(|x| !x.trim().is_empty()).count() != 12 {
                out.push(Problem::error(
                    c.origin("messages", "months"),
                    format!("messages.months.{l}"),
                    "needs the 12 month names, separated by commas",
                ));
            }
        }
    }
    // Reason sentence -> the route that has it: no two routes may share one.
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    for r in &c.routes {
        let id = &r.id;
        let file = c.origin("route", id);
        let mut err = |key: String, msg: String| out.push(Problem::error(file, key, msg));
        let text = |err: &mut dyn FnMut(String, String), key: &str, t: &Text| {
            for l in t.missing() {
                err(
                    format!("route.{id}.{key}.{l}"),
                    "missing text in this language".into(),
                );
            }
        };
        let offerable = r.status != RouteStatus::Ended;
        if offerable {
            if r.for_whom.is_none() {
                err(
                    format!("route.{id}.for_whom"),
                    "missing: employer, employee or both".into(),
                );
            }
            for (key, t) in [
                ("gets", &r.gets),
                ("next_step", &r.next_step),
                ("reason", &r.reason),
                ("conditions", &r.conditions),
            ] {
                match t {
                    None => err(format!("route.{id}.{key}"), "missing (nl and en)".into()),
                    Some(t) => text(&mut err, key, t),
                }
            }
        }
        // The amount in `min_costs` is the one the conditions say, in each
        // language's own digit grouping (5.000 / 5,000).
        if let (Some(min), Some(t)) = (r.min_costs, &r.conditions) {
            let grouped = |sep: char| {
                let digits = min.to_string();
                let mut g = String::new();
                for (i, ch) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 {
                        g.push(sep);
                    }
                    g.push(ch);
                }
                g
            };
            for (l, text, sep) in [("nl", &t.nl, '.'), ("en", &t.en, ',')] {
                if !text.contains(&grouped(sep)) && !text.contains(&min.to_string()) {
                    err(
                        format!("route.{id}.conditions.{l}"),
                        format!("does not name the minimum costs ({} euros)", grouped(sep)),
                    );
                }
            }
        }
        if let Some(t) = &r.next_window {
            text(&mut err, "next_window", t);
        }
        if let Some(t) = &r.reason {
            for (l, s) in [("nl", &t.nl), ("en", &t.en)] {
                if !s.contains("{about}") {
                    err(
                        format!("route.{id}.reason.{l}"),
                        "needs {about}: where the person's own words (or their concern) go".into(),
                    );
                }
                if let Some(other) = reasons.insert(format!("{l}:{s}"), id.clone()) {
                    err(
                        format!("route.{id}.reason.{l}"),
                        format!("the same reason as route {other:?}: every route needs its own"),
                    );
                }
            }
        }
        for (sector, t) in &r.sector_notes {
            if c.sector(sector).is_none() {
                err(
                    format!("route.{id}.sector_notes.{sector}"),
                    format!("unknown sector {sector:?}"),
                );
            }
            text(&mut err, &format!("sector_notes.{sector}"), t);
        }
        if r.needs_cue && r.cues.is_empty() {
            err(
                format!("route.{id}.cues"),
                "needs_cue is set, so the route needs cues".into(),
            );
        }
        for (field, list) in [
            ("known_as", &r.known_as),
            ("cues", &r.cues),
            ("against", &r.against),
        ]
        .into_iter()
        .filter(|_| !all_compile)
        {
            for (i, p) in list.iter().enumerate() {
                if let Err(e) = regex::Regex::new(&format!(r"\b(?:{p})")) {
                    let why = e.to_string();
                    let why = why.lines().last().unwrap_or("").trim().to_string();
                    err(
                        format!("route.{id}.{field}[{i}]"),
                        format!("invalid pattern: {why}"),
                    );
                }
            }
        }
        let mut last: Option<NaiveDate> = None;
        for (i, w) in r.window.iter().enumerate() {
            let key = format!("route.{id}.window[{i}]");
            let opens = NaiveDate::parse_from_str(&w.opens, "%Y-%m-%d").ok();
            let closes = w
                .closes
                .as_deref()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            if opens.is_none() {
                err(
                    format!("{key}.opens"),
                    format!("not a date (YYYY-MM-DD): {:?}", w.opens),
                );
            }
            match (opens, closes) {
                (_, Some(None)) => err(
                    format!("{key}.closes"),
                    format!("not a date (YYYY-MM-DD): {:?}", w.closes),
                ),
                (Some(o), Some(Some(cl))) if cl < o => {
                    err(format!("{key}.closes"), "closes before it opens".into())
                }
                _ => {}
            }
            if let (Some(o), Some(l)) = (opens, last) {
                if o < l {
                    err(format!("{key}.opens"), "windows go oldest first".into());
                }
            }
            last = opens.or(last);
            if !w.source_url.starts_with("https://") || w.source_url.contains(' ') {
                err(
                    format!("{key}.source_url"),
                    format!("must be an https:// URL, got {:?}", w.source_url),
                );
            }
        }
    }
    out
}
