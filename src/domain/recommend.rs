//! Ranking routes and picking contacts for a profile. Pure and deterministic:
//! the same answers on the same day give the same recommendations, in the
//! same order.
//!
//! What a route is for, and for whom, is data (`intents/routes.toml`):
//! eligibility (sizes, sectors, regions, a narrow target group behind
//! `needs_cue`), dated application windows, and a reason sentence of the
//! route's own. The ranking:
//! - each shared concern counts 10 for the route's first concern, 9 for its
//!   second and so on (at least 5); a cue in the person's own words adds 8,
//!   an `against` cue takes 8 off;
//! - a route for individuals (`for_whom = "employee"`) takes 6 off for an
//!   employer with staff whose words do not ask for it (a diploma, a study);
//! - a regional desk (Werkcentrum, WSP) is always among the top 3 unless the
//!   person already tried it; at most one desk is shown;
//! - what the person says they tried is left out and acknowledged instead;
//! - a regional desk route names the desk of the person's own labour-market
//!   region ("Bij jou is dat Werkcentrum Rijnmond") and links its site.

use crate::content::text::{capitalise, fill, fold, join_list, Lang};
use crate::content::{Contact, Route, RouteKind, RouteStatus, Window};
use crate::domain::conversation::Answers;
use crate::domain::knowledge::Knowledge;
use crate::domain::output::{ContactRec, Profile, Recommendations, RouteRec};
use chrono::{Datelike, NaiveDate, Utc};
use regex::{Regex, RegexSet};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// How many routes to show.
pub const TOP: usize = 3;
/// How many contacts to show.
pub const MAX_CONTACTS: usize = 3;
/// The longest fragment of the person's words a reason quotes.
const QUOTE_WORDS: usize = 8;
const QUOTE_CHARS: usize = 60;

/// Whether a route may be offered to this profile at all. Ended schemes never
/// are; neither are routes for a narrow target group (`needs_cue`) unless the
/// person's words name it.
pub fn eligible(route: &Route, a: &Answers) -> bool {
    eligible_said(route, a, &Said::words(a))
}

/// [`eligible`] with the person's words already split and matched.
fn eligible_said(route: &Route, a: &Answers, said: &Said) -> bool {
    if route.status == RouteStatus::Ended {
        return false;
    }
    let region_ok =
        route.is_national() || a.region.as_ref().is_some_and(|r| route.regions.contains(r));
    let sector_ok =
        route.sectors.is_empty() || a.sector.as_ref().is_some_and(|s| route.sectors.contains(s));
    let size_ok = route.sizes.is_empty() || a.size.as_ref().is_none_or(|s| route.sizes.contains(s));
    let cue_ok = !route.needs_cue || said.cued(route);
    region_ok && sector_ok && size_ok && cue_ok
}

/// The score of an eligible route from the answers alone (no own words):
/// concern fit weighs most, then fit on sector, region and size.
pub fn score(route: &Route, a: &Answers) -> i32 {
    let mut s: i32 = a
        .concerns
        .iter()
        .filter_map(|c| route.concerns.iter().position(|x| x == c))
        .map(|pos| (10 - pos as i32).max(5))
        .sum();
    // A route for a few sectors fits better than one for (nearly) all.
    if !route.sectors.is_empty() && route.sectors.len() <= 4 {
        s += 3;
    }
    if !route.is_national() {
        s += 2;
    }
    if !route.sizes.is_empty() && route.sizes.len() <= 2 {
        s += 1;
    }
    if route.status == RouteStatus::Uncertain {
        s -= 2;
    }
    s + route.weight
}

/// The person's own words, folded for matching, with the clauses they are
/// made of (to quote the one that fits a route), and what every route's cue
/// lists match in them. Built once per recommendation (the ranking asks about
/// every route several times): the text is split and folded once, and each
/// distinct clause goes once through the compiled cue sets ([`CueSets`]).
struct Said<'k> {
    /// Clauses of the open answer: (as written, folded).
    open: Vec<(String, String)>,
    /// Clauses of the "tried" answer.
    tried: Vec<(String, String)>,
    /// The whole "tried" answer, as written, when it says anything.
    tried_text: Option<String>,
    /// What the cues of the content's routes match (absent for a route of
    /// other content: then its patterns are matched on asking).
    hits: Option<Hits<'k>>,
    /// The concerns the classifier finds in a clause of the open answer, by
    /// the clause as written, each clause classified at most once.
    found: RefCell<HashMap<String, Vec<String>>>,
}

/// Per route of the content (by its index): where its cue lists match.
struct Hits<'k> {
    routes: &'k [Route],
    /// The first clause of the open answer with a cue of the route.
    open_cue: Vec<Option<usize>>,
    /// The first clause of the "tried" answer with a cue of the route.
    tried_cue: Vec<Option<usize>>,
    /// An `against` cue of the route in the open answer.
    against: Vec<bool>,
    /// The route named (`known_as`) in the "tried" answer.
    named: Vec<bool>,
}

impl<'k> Said<'k> {
    /// The person's words, matched against every route of `k`.
    fn new(k: &'k Knowledge, a: &Answers) -> Said<'k> {
        let mut said = Said::words(a);
        said.hits = Some(Hits::new(k, &said.open, &said.tried));
        said
    }

    /// The person's words, split and folded only.
    fn words(a: &Answers) -> Said<'k> {
        Said {
            open: clauses(a.concerns_text.as_deref()),
            tried: clauses(a.tried.as_deref()),
            tried_text: a
                .tried
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            hits: None,
            found: RefCell::default(),
        }
    }

    /// The precomputed matches and the index of `r` among them.
    fn at(&self, r: &Route) -> Option<(&Hits<'k>, usize)> {
        let h = self.hits.as_ref()?;
        h.routes
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .map(|i| (h, i))
    }

    /// The first clause of the open answer with a cue of this route.
    fn open_cue(&self, r: &Route) -> Option<&(String, String)> {
        match self.at(r) {
            Some((h, i)) => h.open_cue[i].map(|c| &self.open[c]),
            None => self.open.iter().find(|(_, f)| matches_any(&r.cues, f)),
        }
    }

    /// The first clause of what they tried with a cue of this route.
    fn tried_cue(&self, r: &Route) -> Option<&(String, String)> {
        match self.at(r) {
            Some((h, i)) => h.tried_cue[i].map(|c| &self.tried[c]),
            None => self.tried.iter().find(|(_, f)| matches_any(&r.cues, f)),
        }
    }

    /// A cue of this route in the open answer or in what they tried.
    fn cued(&self, r: &Route) -> bool {
        self.open_cue(r).is_some() || self.tried_cue(r).is_some()
    }

    /// An `against` cue of this route in the open answer.
    fn against(&self, r: &Route) -> bool {
        match self.at(r) {
            Some((h, i)) => h.against[i],
            None => self.open.iter().any(|(_, f)| matches_any(&r.against, f)),
        }
    }

    /// They name this route in what they tried.
    fn tried(&self, r: &Route) -> bool {
        match self.at(r) {
            Some((h, i)) => h.named[i],
            None => self.tried.iter().any(|(_, f)| matches_any(&r.known_as, f)),
        }
    }

    /// The concerns the classifier finds in this clause (as written).
    fn found(&self, k: &Knowledge, clause: &str, lang: Lang) -> Vec<String> {
        if let Some(f) = self.found.borrow().get(clause) {
            return f.clone();
        }
        let f = k.classify(clause, lang);
        self.found
            .borrow_mut()
            .insert(clause.to_string(), f.clone());
        f
    }
}

impl<'k> Hits<'k> {
    /// Every distinct clause once through each cue set.
    fn new(k: &'k Knowledge, open: &[(String, String)], tried: &[(String, String)]) -> Hits<'k> {
        let routes = k.content.routes.as_slice();
        let n = routes.len();
        let sets = k
            .cue_sets(|| CueSets::new(routes))
            .filter(|s| s.fits(routes));
        let matching = |pick: fn(&CueSets) -> &RegexSet,
                        list: fn(&Route) -> &[String],
                        folded: &str|
         -> Vec<usize> {
            match sets {
                Some(s) => pick(s).matches(folded).into_iter().collect(),
                None => (0..n)
                    .filter(|&i| matches_any(list(&routes[i]), folded))
                    .collect(),
            }
        };
        // Each distinct clause once: a repeated one matches as its first
        // occurrence did. The first clause with a cue (to quote), and any
        // clause with the answer's other list (`against` in the open answer,
        // `known_as` in what they tried).
        type Pick = fn(&CueSets) -> &RegexSet;
        type List = fn(&Route) -> &[String];
        let pass = |clauses: &[(String, String)], other: (Pick, List)| {
            let mut first: Vec<Option<usize>> = vec![None; n];
            let mut any = vec![false; n];
            let mut seen: HashSet<&str> = HashSet::new();
            for (c, (_, f)) in clauses.iter().enumerate() {
                if !seen.insert(f) {
                    continue;
                }
                for i in matching(|s| &s.cues, |r| &r.cues, f) {
                    first[i].get_or_insert(c);
                }
                for i in matching(other.0, other.1, f) {
                    any[i] = true;
                }
            }
            (first, any)
        };
        let (open_cue, against) = pass(open, (|s| &s.against, |r| &r.against));
        let (tried_cue, named) = pass(tried, (|s| &s.known_as, |r| &r.known_as));
        Hits {
            routes,
            open_cue,
            tried_cue,
            against,
            named,
        }
    }
}

/// Every route's cue lists compiled into three sets, built once per content
/// (on the first recommendation): pattern `i` of each set is route `i`'s
/// list as one regex ([`cue_source`]), so one pass over a clause tells every
/// route it matches, the same answer as the route's own regex.
#[derive(Debug, Clone)]
pub struct CueSets {
    /// The lists they were built from, per route: content changed since
    /// (a test editing a loaded `Knowledge`) is matched route by route.
    lists: Vec<[Vec<String>; 3]>,
    cues: RegexSet,
    against: RegexSet,
    known_as: RegexSet,
}

impl CueSets {
    /// `None` when a set does not build (then each route's own regex runs).
    pub fn new(routes: &[Route]) -> Option<CueSets> {
        let set = |list: fn(&Route) -> &[String]| {
            RegexSet::new(routes.iter().map(|r| match list(r) {
                [] => NOTHING.to_string(),
                patterns => cue_source(patterns),
            }))
            .ok()
        };
        Some(CueSets {
            lists: routes.iter().map(CueSets::lists).collect(),
            cues: set(|r| &r.cues)?,
            against: set(|r| &r.against)?,
            known_as: set(|r| &r.known_as)?,
        })
    }

    fn lists(r: &Route) -> [Vec<String>; 3] {
        [r.cues.clone(), r.against.clone(), r.known_as.clone()]
    }

    /// Built from these routes' lists as they are now.
    fn fits(&self, routes: &[Route]) -> bool {
        self.lists.len() == routes.len()
            && self
                .lists
                .iter()
                .zip(routes)
                .all(|(l, r)| l[0] == r.cues && l[1] == r.against && l[2] == r.known_as)
    }
}

/// A regex that matches nothing.
const NOTHING: &str = r"[^\s\S]";

/// Splits text into clauses at punctuation and joining words; keeps only
/// clauses with words in them.
fn clauses(text: Option<&str>) -> Vec<(String, String)> {
    let Some(text) = text else {
        return Vec::new();
    };
    // Split at sentence marks, commas and the words that join two thoughts,
    // so a quoted fragment is one thing the person said.
    let joins = compiled(JOINS);
    text.split(['.', ';', '!', '?', '\n', ','])
        .flat_map(|c| match &joins {
            Some(re) => re.split(c).map(str::to_string).collect::<Vec<_>>(),
            None => vec![c.to_string()],
        })
        .map(|c| c.trim().to_string())
        .filter(|c| c.chars().any(char::is_alphanumeric))
        .map(|c| {
            let f = fold(&c);
            (c, f)
        })
        .collect()
}

/// Whether any pattern (a regex on folded text, matched from a word start)
/// matches. Patterns are validated by `check`; an invalid one never matches.
fn matches_any(patterns: &[String], folded: &str) -> bool {
    !patterns.is_empty() && compiled(&cue_source(patterns)).is_some_and(|re| re.is_match(folded))
}

/// The words that join two thoughts in one sentence (see [`clauses`]).
const JOINS: &str = r"(?i)\b(en|maar|want|omdat|and|but|because)\b";

/// Builds now what the first recommendation of a process (or of newly
/// compiled content) would otherwise build inside a turn: the routes' cue
/// sets and the regexes behind them. See [`Knowledge::warm`].
pub(crate) fn warm(k: &Knowledge) {
    let routes = k.content.routes.as_slice();
    let _ = k.cue_sets(|| CueSets::new(routes));
    let _ = compiled(JOINS);
}

/// One regex for a list of cue patterns: each from a word start, the valid
/// ones only.
fn cue_source(patterns: &[String]) -> String {
    let alts: Vec<String> = patterns
        .iter()
        .map(|p| format!(r"\b(?:{p})"))
        .filter(|p| compiled(p).is_some())
        .collect();
    if alts.is_empty() {
        return NOTHING.to_string();
    }
    alts.join("|")
}

/// `pattern` compiled once per process (`None` when it does not compile),
/// shared: a clone of a `Regex` starts with empty search caches, and
/// rebuilding those on every match cost more than the match. The ranking
/// matches every route's cues against every clause.
fn compiled(pattern: &str) -> Option<std::sync::Arc<Regex>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, PoisonError};
    type Cache = Mutex<HashMap<String, Option<Arc<Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return re.clone();
    }
    let re = Regex::new(pattern).ok().map(Arc::new);
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(pattern.to_string(), re.clone());
    re
}

/// A fragment of the person's words that is safe to show back: no markdown,
/// mentions, links or quotes; at most [`QUOTE_WORDS`] words.
pub fn safe_quote(text: &str) -> Option<String> {
    let no_links: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.starts_with("www.") && !w.contains('@'))
        .collect();
    let cleaned: String = no_links
        .join(" ")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " '-+%€&/".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i == QUOTE_WORDS || out.chars().count() + w.chars().count() + 1 > QUOTE_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    let out = out.trim_matches(['-', '\'', ' ']).to_string();
    // "Ik kan geen..." reads as part of the sentence: "ik kan geen...". Not
    // for "I" or a name written in capitals ("UWV").
    let mut chars = out.chars();
    let out = match (chars.next(), chars.next()) {
        (Some(f), Some(s)) if f.is_uppercase() && s.is_lowercase() => {
            f.to_lowercase().collect::<String>() + &out[f.len_utf8()..]
        }
        _ => out,
    };
    Some(out).filter(|s| !s.is_empty())
}

/// What the reason sentence is about, for this route: a fragment of the
/// person's own words that fits it, else the concern they picked.
fn about(k: &Knowledge, route: &Route, a: &Answers, said: &Said, lang: Lang) -> String {
    let c = &k.content;
    let shared: Vec<&String> = a
        .concerns
        .iter()
        .filter(|x| route.concerns.contains(x))
        .collect();
    // 1. A clause of the open answer with this route's cue; 2. one in which
    // the classifier finds a concern this route shares; 3. a clause of what
    // they tried with a cue.
    let open_cue = said.open_cue(route);
    let open_concern = || {
        said.open.iter().find(|(orig, _)| {
            let found = said.found(k, orig, lang);
            shared.iter().any(|s| found.contains(s))
        })
    };
    let quoted = open_cue
        .or_else(open_concern)
        .and_then(|(orig, _)| safe_quote(orig))
        .map(|q| fill(&k.msg("reason_quote", lang), &[("quote", &q)]))
        .or_else(|| {
            said.tried_cue(route)
                .and_then(|(orig, _)| safe_quote(orig))
                .map(|q| fill(&k.msg("reason_tried_quote", lang), &[("quote", &q)]))
        });
    if let Some(q) = quoted {
        return q;
    }
    let labels: Vec<String> = shared
        .iter()
        .filter_map(|x| c.concern(x))
        .map(|x| x.label.get(lang).to_string())
        .collect();
    if !labels.is_empty() {
        return join_list(&labels, &k.msg("and", lang));
    }
    a.concerns
        .first()
        .and_then(|x| c.concern(x))
        .map(|x| x.label.get(lang).to_string())
        .unwrap_or_else(|| k.msg("reason_fallback", lang))
}

fn parse(d: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()
}

/// "2 juni 2026" / "2 June 2026", month names from content.
fn date_words(k: &Knowledge, d: NaiveDate, lang: Lang) -> String {
    let months = k.msg("months", lang);
    let name = months
        .split(',')
        .nth(d.month0() as usize)
        .map(str::trim)
        .unwrap_or("");
    format!("{} {name} {}", d.day(), d.year())
}

/// Where the route's application windows stand today, in words: open now,
/// opening soon, or closed with when the next one is expected (or, where the
/// source does not say, that it is not open now and where to watch).
pub fn window_note(k: &Knowledge, r: &Route, today: NaiveDate, lang: Lang) -> Option<String> {
    let title = r.title.get(lang);
    let next = r.next_window.as_ref().map(|t| t.get(lang).to_string());
    let windows: Vec<(NaiveDate, Option<NaiveDate>, &Window)> = r
        .window
        .iter()
        .filter_map(|w| Some((parse(&w.opens)?, w.closes.as_deref().and_then(parse), w)))
        .collect();
    if windows.is_empty() {
        return next;
    }
    if let Some((o, c, _)) = windows
        .iter()
        .find(|(o, c, _)| *o <= today && c.is_none_or(|c| today <= c))
    {
        return Some(match c {
            Some(c) => fill(
                &k.msg("window_open", lang),
                &[("title", title), ("closes", &date_words(k, *c, lang))],
            ),
            None => fill(
                &k.msg("window_open_no_end", lang),
                &[("title", title), ("opens", &date_words(k, *o, lang))],
            ),
        });
    }
    if let Some((o, _, _)) = windows
        .iter()
        .filter(|(o, _, _)| *o > today)
        .min_by_key(|(o, _, _)| *o)
    {
        return Some(fill(
            &k.msg("window_upcoming", lang),
            &[("title", title), ("opens", &date_words(k, *o, lang))],
        ));
    }
    // All past: the last one, then when the next is expected or where to look.
    let (o, c, _) = windows.iter().max_by_key(|(o, _, _)| *o)?;
    let closes = c.map(|c| date_words(k, c, lang)).unwrap_or_default();
    let closed = fill(
        &k.msg("window_closed", lang),
        &[
            ("title", title),
            ("opens", &date_words(k, *o, lang)),
            ("closes", &closes),
        ],
    );
    let after = next.unwrap_or_else(|| {
        fill(
            &k.msg("window_watch", lang),
            &[("title", title), ("url", &r.url)],
        )
    });
    Some(format!("{closed} {after}"))
}

/// The "why" of one route for this person: for whom (when it is for the
/// employees), its own reason tied to their words, the desk of their own
/// region (for a regional desk), the sector's note, the application window,
/// a note when it is uncertain, and the next step.
fn why(
    k: &Knowledge,
    route: &Route,
    a: &Answers,
    said: &Said,
    desk: Option<&Contact>,
    today: NaiveDate,
    lang: Lang,
) -> String {
    let title = route.title.get(lang);
    let mut parts: Vec<String> = Vec::new();
    if route.for_employees() {
        parts.push(fill(&k.msg("for_employees", lang), &[("title", title)]));
    }
    let about = about(k, route, a, said, lang);
    match &route.reason {
        Some(t) => parts.push(capitalise(&fill(t.get(lang), &[("about", &about)]))),
        None => parts.push(k.msg("why_general", lang)),
    }
    if let Some(d) = desk {
        parts.push(fill(&k.msg("desk_own", lang), &[("desk", d.name_in(lang))]));
    }
    if let Some(note) = a.sector.as_ref().and_then(|s| route.sector_notes.get(s)) {
        parts.push(note.get(lang).to_string());
    }
    if let Some(w) = window_note(k, route, today, lang) {
        parts.push(w);
    }
    if route.status == RouteStatus::Uncertain {
        // Nobody "applies for" a desk or a coach: their note says the
        // route may work differently now.
        let key = match route.kind {
            RouteKind::Desk | RouteKind::Peer => "rec_uncertain_other",
            _ => "rec_uncertain_route",
        };
        parts.push(fill(&k.msg(key, lang), &[("title", title)]));
    }
    // A desk with a site of its own: go there, not to the national finder.
    let own_site = desk.filter(|d| d.url_scope.as_deref() == Some("regional"));
    if let Some(d) = own_site {
        let step = fill(&k.msg("desk_next_step", lang), &[("desk", d.name_in(lang))]);
        parts.push(fill(&k.msg("next_step", lang), &[("step", &step)]));
    } else if let Some(step) = &route.next_step {
        parts.push(fill(&k.msg("next_step", lang), &[("step", step.get(lang))]));
    }
    parts.join(" ")
}

/// The desk of the person's own labour-market region that a regional desk
/// route stands for: the Werkcentrum route takes whichever desk the region
/// has (one door for every question); the Leerwerkloket and WSP routes only
/// a desk of their own kind.
fn own_desk<'a>(k: &'a Knowledge, r: &Route, a: &Answers) -> Option<&'a Contact> {
    if !r.regional_desk {
        return None;
    }
    let amr = a.labour_market_region.as_deref()?;
    k.content
        .contacts
        .iter()
        .filter(|x| x.labour_market_region.as_deref() == Some(amr))
        .find(|x| {
            let kind = x.kind.as_deref().unwrap_or("");
            match r.id.as_str() {
                "werkcentrum" => true,
                "leerwerkloket" => kind.contains("leerwerkloket"),
                "wsp" => kind == "wsp",
                _ => false,
            }
        })
}

fn rec(
    k: &Knowledge,
    r: &Route,
    a: &Answers,
    said: &Said,
    today: NaiveDate,
    lang: Lang,
) -> RouteRec {
    // A regional desk names the person's own ("Bij jou is dat Werkcentrum
    // Rijnmond: ...") and links that desk's site.
    let desk = own_desk(k, r, a);
    let url = desk.map_or_else(|| r.url.clone(), |d| d.url.clone());
    RouteRec {
        id: r.id.clone(),
        title: r.title.get(lang).to_string(),
        url,
        why: why(k, r, a, said, desk, today, lang),
        summary: r.summary.get(lang).to_string(),
        uncertain: r.status == RouteStatus::Uncertain,
    }
}

/// What a route for individuals (the levenlanglerenkrediet) loses when an
/// employer with staff did not ask for it: they asked what they can do, and
/// a loan their employees take out themselves is not the first answer.
pub const FOR_EMPLOYEES_UNASKED: i32 = 6;

/// The full score with the person's own words.
fn score_said(r: &Route, a: &Answers, said: &Said) -> i32 {
    let mut s = score(r, a);
    let cued = said.cued(r);
    if cued {
        s += 8;
    }
    if said.against(r) {
        s -= 8;
    }
    let has_staff = a.size.as_deref().is_some_and(|x| x != "solo");
    if r.for_employees() && has_staff && !cued {
        s -= FOR_EMPLOYEES_UNASKED;
    }
    s
}

/// Routes the person says they already tried (offerable ones only).
pub fn tried<'a>(k: &'a Knowledge, a: &Answers) -> Vec<&'a Route> {
    tried_said(k, &Said::new(k, a))
}

/// [`tried`] with the person's words already split and matched.
fn tried_said<'a>(k: &'a Knowledge, said: &Said) -> Vec<&'a Route> {
    if said.tried.is_empty() {
        return Vec::new();
    }
    k.content
        .routes
        .iter()
        .filter(|r| r.status != RouteStatus::Ended && said.tried(r))
        .collect()
}

/// Routes that replaced an ended scheme the person named ("kan ik nog STAP
/// aanvragen?"): the bot said it ended and pointed there, so they rank up.
fn successors_named(k: &Knowledge, a: &Answers) -> Vec<String> {
    [a.concerns_text.as_deref(), a.tried.as_deref()]
        .into_iter()
        .flatten()
        .flat_map(|t| k.matchers.mentioned_routes(t))
        .filter_map(|id| k.content.route(&id).and_then(|r| r.successor.clone()))
        .collect()
}

/// A route's main concerns (its first three) that the person has.
fn main_concerns<'a>(r: &'a Route, a: &Answers) -> impl Iterator<Item = &'a String> {
    let mine = a.concerns.clone();
    r.concerns.iter().take(3).filter(move |c| mine.contains(c))
}

/// The ranked routes (at most [`TOP`]) for these answers.
pub fn rank<'a>(k: &'a Knowledge, a: &Answers) -> Vec<&'a Route> {
    rank_said(k, a, &Said::new(k, a))
}

/// [`rank`] with the person's words already split and matched.
fn rank_said<'a>(k: &'a Knowledge, a: &Answers, said: &Said) -> Vec<&'a Route> {
    let done = tried_said(k, said);
    let successors = successors_named(k, a);
    let mut scored: Vec<(i32, usize, &Route)> = k
        .content
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_peer() && eligible_said(r, a, said))
        .filter(|(_, r)| !done.iter().any(|d| d.id == r.id))
        .filter(|(_, r)| {
            r.concerns.iter().any(|c| a.concerns.contains(c)) || r.regional_desk || said.cued(r)
        })
        .map(|(i, r)| {
            let bonus = if successors.contains(&r.id) { 8 } else { 0 };
            (score_said(r, a, said) + bonus, i, r)
        })
        .collect();
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    // At most one desk: the best one.
    let best_desk = scored
        .iter()
        .find(|(_, _, r)| r.kind == RouteKind::Desk)
        .map(|(_, _, r)| r.id.clone());
    scored.retain(|(_, _, r)| r.kind != RouteKind::Desk || Some(&r.id) == best_desk.as_ref());
    // Greedy: a route that covers one of the person's concerns no route
    // above it covers yet gets 6 more, so two concerns both get an answer.
    let mut out: Vec<&Route> = Vec::new();
    let mut covered: Vec<String> = Vec::new();
    while out.len() < TOP && !scored.is_empty() {
        let pick = scored
            .iter()
            .enumerate()
            .max_by(|(_, x), (_, y)| {
                let gain = |r: &Route| {
                    if main_concerns(r, a).any(|c| !covered.contains(c)) {
                        6
                    } else {
                        0
                    }
                };
                (x.0 + gain(x.2))
                    .cmp(&(y.0 + gain(y.2)))
                    .then(y.1.cmp(&x.1))
            })
            .map(|(i, _)| i);
        let Some(i) = pick else { break };
        let (_, _, r) = scored.remove(i);
        // A desk answers everything a little; it covers nothing on its own.
        if !r.regional_desk {
            covered.extend(main_concerns(r, a).cloned());
        }
        out.push(r);
    }
    // The regional desk is always among them, unless the person tried it:
    // the desk that fits best, tried or not, decides ("via het UWV" does not
    // rule out the Werkcentrum; "bij het Werkcentrum geweest" does).
    let first_choice = k
        .content
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.regional_desk && eligible_said(r, a, said))
        .map(|(i, r)| (score_said(r, a, said), i, r))
        .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)))
        .map(|(_, _, r)| r);
    let desk_tried = first_choice.is_some_and(|d| done.iter().any(|t| t.id == d.id));
    if !desk_tried {
        if let Some(desk) = best_desk.and_then(|id| k.content.route(&id)) {
            if desk.regional_desk && !out.iter().any(|r| r.id == desk.id) {
                out.truncate(TOP - 1);
                out.push(desk);
            }
        }
    }
    out
}

/// Contacts for the user's labour-market region and province (sector-specific
/// ones first); national ones where there are none. Once the region is known
/// its own desk replaces the province-wide pointers to every region's desk.
pub fn contacts(k: &Knowledge, a: &Answers) -> Vec<ContactRec> {
    let c = &k.content;
    let sector_ok =
        |s: &Vec<String>| s.is_empty() || a.sector.as_ref().is_some_and(|x| s.contains(x));
    let amr = a.labour_market_region.as_deref();
    let has_desk = amr.is_some_and(|r| {
        c.contacts
            .iter()
            .any(|x| x.labour_market_region.as_deref() == Some(r))
    });
    let mut own: Vec<_> = c
        .contacts
        .iter()
        .filter(|x| {
            let desk = amr.is_some() && x.labour_market_region.as_deref() == amr;
            let province = a.region.as_ref().is_some_and(|r| x.regions.contains(r))
                && !(has_desk && x.province_fallback);
            (desk || province) && sector_ok(&x.sectors)
        })
        .collect();
    // A later content directory (a deployment's own coaches) comes first,
    // then sector-specific contacts, then the rest in file order.
    let mut dirs: Vec<&std::path::Path> = Vec::new();
    for x in &c.contacts {
        if let Some(d) = c.origin("contact", &x.id).parent() {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    let rank = |id: &str| {
        let d = c.origin("contact", id).parent();
        std::cmp::Reverse(dirs.iter().position(|x| Some(*x) == d))
    };
    own.sort_by_key(|x| {
        (
            rank(&x.id),
            x.sectors.is_empty(),
            x.labour_market_region.is_none(),
        )
    });
    if own.is_empty() {
        own = c
            .contacts
            .iter()
            .filter(|x| x.is_national() && sector_ok(&x.sectors))
            .collect();
    }
    own.into_iter()
        .take(MAX_CONTACTS)
        .map(|x| ContactRec {
            id: x.id.clone(),
            name: x.name.clone(),
            url: x.url.clone(),
            region: if x.is_national() {
                "national".to_string()
            } else {
                a.region.clone().unwrap_or_default()
            },
            about: x.about.get(Lang::Nl).to_string(),
        })
        .collect()
}

/// The acknowledgement of what the person tried, or nothing when they tried
/// nothing (or said so).
fn tried_ack(k: &Knowledge, said: &Said, lang: Lang) -> Option<String> {
    let text = said.tried_text.as_deref()?;
    // "nee", "sla over": nothing tried. A question, or an ended scheme named
    // (the engine answered that already), is not something they tried.
    if k.matchers.intent(text, &["no", "skip"]).is_some()
        || text.contains('?')
        || !k.matchers.mentioned_routes(text).is_empty()
    {
        return None;
    }
    let quote = safe_quote(text)?;
    let done = tried_said(k, said);
    if done.is_empty() {
        return Some(fill(&k.msg("tried_ack", lang), &[("quote", &quote)]));
    }
    let titles: Vec<String> = done.iter().map(|r| r.title.get(lang).to_string()).collect();
    Some(fill(
        &k.msg("tried_ack_routes", lang),
        &[
            ("quote", &quote),
            ("titles", &join_list(&titles, &k.msg("and", lang))),
        ],
    ))
}

/// Builds the whole recommendation output for these answers, as of today's
/// date (application windows depend on it). See [`recommend_at`].
pub fn recommend(k: &Knowledge, a: &Answers, lang: Lang, step: Option<String>) -> Recommendations {
    recommend_at(k, a, lang, step, Utc::now().date_naive())
}

/// Builds the whole recommendation output for these answers on `today`.
pub fn recommend_at(
    k: &Knowledge,
    a: &Answers,
    lang: Lang,
    step: Option<String>,
    today: NaiveDate,
) -> Recommendations {
    let said = Said::new(k, a);
    let routes: Vec<RouteRec> = rank_said(k, a, &said)
        .into_iter()
        .map(|r| rec(k, r, a, &said, today, lang))
        .collect();
    let mut contacts = contacts(k, a);
    for ct in &mut contacts {
        if let Some(x) = k.content.contact(&ct.id) {
            ct.name = x.name_in(lang).to_string();
            ct.about = x.about.get(lang).to_string();
        }
    }
    let done = tried_said(k, &said);
    let mut peers: Vec<&crate::content::Route> = k
        .content
        .routes
        .iter()
        .filter(|r| r.is_peer() && eligible_said(r, a, &said) && !done.iter().any(|d| d.id == r.id))
        .collect();
    peers.sort_by_key(|r| -score_said(r, a, &said));
    let peer = peers.first().map(|r| rec(k, r, a, &said, today, lang));

    let mut intro = if routes.is_empty() {
        k.msg("rec_none", lang)
    } else {
        k.msg("rec_intro", lang)
    };
    if let Some(ack) = tried_ack(k, &said, lang) {
        intro = format!("{ack}\n\n{intro}");
    }
    let contacts_intro = k.msg("contacts_intro", lang);
    let peer_intro = k.msg("peer_intro", lang);
    let mut text = intro.clone();
    for (i, r) in routes.iter().enumerate() {
        text.push_str(&format!(
            "\n\n{}. {}\n   {}\n   {}\n   {}",
            i + 1,
            r.title,
            r.summary,
            r.why,
            r.url
        ));
    }
    if !contacts.is_empty() {
        text.push_str(&format!("\n\n{contacts_intro}"));
        for ct in &contacts {
            text.push_str(&format!("\n- {}: {}\n  {}", ct.name, ct.url, ct.about));
        }
    }
    if let Some(p) = &peer {
        text.push_str(&format!("\n\n{peer_intro}\n- {}: {}", p.title, p.url));
    }
    Recommendations {
        step,
        text,
        concerns: a.concerns.clone(),
        profile: Profile {
            sector: a.sector.clone(),
            size: a.size.clone(),
            region: a.region.clone(),
        },
        routes,
        contacts,
        peer,
        intro,
        contacts_intro,
        peer_intro,
    }
}
