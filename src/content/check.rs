//! Validation of merged content. Every problem names the file and the key, so
//! a content editor can fix it without reading Rust. Patterns are checked by
//! compiling them as the bot does (see [`super::patterns`], run by
//! [`super::load`]).

use super::{Content, RouteStatus, Source, StepKind};
use crate::content::text::{fold, Lang, Text};
use chrono::NaiveDate;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong with the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: PathBuf,
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn error(
        file: impl AsRef<Path>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.as_ref().to_path_buf(),
            key: key.into(),
            message: message.into(),
        }
    }
    pub fn warning(
        file: impl AsRef<Path>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, key, message)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.key.is_empty() {
            write!(f, "{sev}: {}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{sev}: {}: {}: {}",
                self.file.display(),
                self.key,
                self.message
            )
        }
    }
}

/// Concern ids other parts (exports, statistics) rely on.
pub const REQUIRED_CONCERNS: &[&str] = &[
    "recruitment",
    "retention",
    "upskilling",
    "digitalisation",
    "aging_workforce",
    "wellbeing",
    "learning_culture",
    "funding",
];

/// Conversation intents the engine uses.
pub const REQUIRED_INTENTS: &[&str] = &[
    "human", "help", "restart", "stop", "back", "yes", "no", "skip",
];

pub const PROVINCES: &[&str] = &[
    "groningen",
    "friesland",
    "drenthe",
    "overijssel",
    "flevoland",
    "gelderland",
    "utrecht",
    "noord-holland",
    "zuid-holland",
    "zeeland",
    "noord-brabant",
    "limburg",
];

/// Words the open concerns question must not use: it asks about the business,
/// not about policy.
const JARGON: &[&str] = &[
    "llo",
    "leven lang",
    "lifelong",
    "beleid",
    "policy",
    "subsid",
    "opleid",
    "scholing",
    "training",
    "cursus",
    "course",
    "ontwikkel",
];

struct Checker<'a> {
    c: &'a Content,
    out: Vec<Problem>,
}

impl Checker<'_> {
    fn file(&self, kind: &str, id: &str) -> PathBuf {
        self.c.origin(kind, id).to_path_buf()
    }
    fn err(&mut self, kind: &str, id: &str, key: String, msg: impl Into<String>) {
        let f = self.file(kind, id);
        self.out.push(Problem::error(f, key, msg));
    }
    fn warn(&mut self, kind: &str, id: &str, key: String, msg: impl Into<String>) {
        let f = self.file(kind, id);
        self.out.push(Problem::warning(f, key, msg));
    }
    fn text(&mut self, kind: &str, id: &str, key: String, t: &Text) {
        for l in t.missing() {
            self.err(
                kind,
                id,
                format!("{key}.{l}"),
                "missing text in this language",
            );
        }
    }
    fn dupes<'b>(&mut self, kind: &str, ids: impl Iterator<Item = &'b String>) {
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id.clone()) {
                self.err(kind, id, format!("{kind}.{id}"), "duplicate id");
            }
        }
    }
    fn https(&mut self, kind: &str, id: &str, key: String, url: &str) {
        if !url.starts_with("https://") || url.len() < 12 || url.contains(' ') {
            self.err(
                kind,
                id,
                key,
                format!("must be an https:// URL, got {url:?}"),
            );
        }
    }
}

/// Validates content. `messages` are the message keys the layers running it
/// use (each layer declares its own `MESSAGE_KEYS`; the command line passes
/// their union). `today` drives the staleness warning for routes.
pub fn check_at(c: &Content, messages: &[&str], today: NaiveDate) -> Vec<Problem> {
    let mut k = Checker { c, out: Vec::new() };

    k.dupes("concern", c.concerns.iter().map(|x| &x.id));
    k.dupes("intent", c.intents.iter().map(|x| &x.id));
    k.dupes("step", c.steps.iter().map(|x| &x.id));
    k.dupes("sector", c.sectors.iter().map(|x| &x.id));
    k.dupes("size", c.sizes.iter().map(|x| &x.id));
    k.dupes("province", c.provinces.iter().map(|x| &x.id));
    k.dupes("route", c.routes.iter().map(|x| &x.id));
    k.dupes("contact", c.contacts.iter().map(|x| &x.id));

    for (key, t) in &c.messages {
        k.text("messages", key, format!("messages.{key}"), t);
    }
    for key in messages {
        if !c.messages.contains_key(*key) {
            k.out.push(Problem::error(
                "intents/",
                format!("messages.{key}"),
                "required message is missing",
            ));
        }
    }

    // Concerns.
    for id in REQUIRED_CONCERNS {
        if c.concern(id).is_none() {
            k.out.push(Problem::error(
                "intents/",
                format!("concern.{id}"),
                "required concern is missing",
            ));
        }
    }
    for x in &c.concerns {
        let id = &x.id;
        k.text("concern", id, format!("concern.{id}.label"), &x.label);
        k.text("concern", id, format!("concern.{id}.reflect"), &x.reflect);
        for l in Lang::ALL {
            if x.patterns.get(l).is_empty() {
                k.err(
                    "concern",
                    id,
                    format!("concern.{id}.patterns.{l}"),
                    "no patterns",
                );
            }
        }
        for other in &x.cancels {
            if c.concern(other).is_none() || other == id {
                k.err(
                    "concern",
                    id,
                    format!("concern.{id}.cancels"),
                    format!("unknown or own concern {other:?}"),
                );
            }
        }
    }
    for name in c.words.keys() {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid {
            k.err(
                "words",
                name,
                format!("words.{name}"),
                "a word-list name uses only a-z, 0-9 and _",
            );
        }
    }

    // Intents.
    for id in REQUIRED_INTENTS {
        if !c.intents.iter().any(|i| i.id == *id) {
            k.out.push(Problem::error(
                "intents/",
                format!("intent.{id}"),
                "required intent is missing",
            ));
        }
    }
    if c.negation.clause_split.is_empty() {
        k.out.push(Problem::error(
            "intents/",
            "negation.clause_split",
            "missing",
        ));
    }

    check_script(&mut k);

    // Sectors, sizes, regions.
    for x in &c.sectors {
        k.text("sector", &x.id, format!("sector.{}.label", x.id), &x.label);
    }
    for x in &c.sizes {
        k.text("size", &x.id, format!("size.{}.label", x.id), &x.label);
        if x.max.is_some_and(|m| m < x.min) {
            k.err(
                "size",
                &x.id,
                format!("size.{}.max", x.id),
                "max is below min",
            );
        }
    }
    for id in PROVINCES {
        if c.province(id).is_none() {
            k.out.push(Problem::error(
                "intents/",
                format!("province.{id}"),
                "province is missing",
            ));
        }
    }
    for (i, r) in c.postcodes.iter().enumerate() {
        if r.from < 10 || r.to > 99 || r.from > r.to {
            k.err(
                "postcode",
                "",
                format!("postcode[{i}]"),
                "prefixes run from 10 to 99, from <= to",
            );
        }
        for p in &r.provinces {
            if c.province(p).is_none() {
                k.err(
                    "postcode",
                    "",
                    format!("postcode[{i}].provinces"),
                    format!("unknown province {p:?}"),
                );
            }
        }
        if r.provinces.is_empty() {
            k.err("postcode", "", format!("postcode[{i}].provinces"), "empty");
        }
    }

    check_routes(&mut k, today);
    k.out.extend(crate::content::regions::check(c, today));
    k.out.extend(crate::content::postcodes::check(c, today));
    k.out.extend(super::eligibility::check_eligibility(c));

    for x in &c.contacts {
        let id = &x.id;
        k.text("contact", id, format!("contact.{id}.about"), &x.about);
        k.https("contact", id, format!("contact.{id}.url"), &x.url);
        // A region's desk is checked by `regions::check_desk`; any other
        // contact that names its provenance names it well. A citation, not
        // a link the bot sends: an http:// source may stay.
        if x.labour_market_region.is_none() {
            if let Some(u) = x.source_url.as_deref() {
                if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(' ') {
                    k.err(
                        "contact",
                        id,
                        format!("contact.{id}.source_url"),
                        format!("must be a web address, got {u:?}"),
                    );
                }
            }
            if let Some(d) = &x.checked {
                if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    k.err(
                        "contact",
                        id,
                        format!("contact.{id}.checked"),
                        format!("not a date (YYYY-MM-DD): {d:?}"),
                    );
                }
            }
            if let Some(scope) = x.url_scope.as_deref() {
                if !matches!(scope, "regional" | "national_finder") {
                    k.err(
                        "contact",
                        id,
                        format!("contact.{id}.url_scope"),
                        format!("{scope:?}: use \"regional\" or \"national_finder\""),
                    );
                }
            }
        }
        if x.kind.as_deref().is_some_and(|t| t.trim().is_empty()) {
            k.err("contact", id, format!("contact.{id}.kind"), "is empty");
        }
        for r in &x.regions {
            if r != "national" && c.province(r).is_none() {
                k.err(
                    "contact",
                    id,
                    format!("contact.{id}.regions"),
                    format!("unknown region {r:?}"),
                );
            }
        }
        for s in &x.sectors {
            if c.sector(s).is_none() {
                k.err(
                    "contact",
                    id,
                    format!("contact.{id}.sectors"),
                    format!("unknown sector {s:?}"),
                );
            }
        }
    }

    // Every province needs a contact of its own that serves every sector, so
    // nobody falls back to national contacts only.
    for p in &c.provinces {
        let own = c
            .contacts
            .iter()
            .any(|x| x.regions.contains(&p.id) && x.sectors.is_empty());
        if !own {
            k.err(
                "province",
                &p.id,
                format!("province.{}", p.id),
                format!(
                    "no contact of its own: add a [[contact]] with regions = [\"{}\"] and no sectors",
                    p.id
                ),
            );
        }
    }

    k.out
        .sort_by(|a, b| (a.severity, &a.file, &a.key).cmp(&(b.severity, &b.file, &b.key)));
    k.out
}

/// Validates content against today's date.
pub fn check(c: &Content, messages: &[&str]) -> Vec<Problem> {
    check_at(c, messages, chrono::Utc::now().date_naive())
}

fn check_script(k: &mut Checker<'_>) {
    let c = k.c;
    let Some(script) = &c.script else {
        k.out.push(Problem::error(
            "intents/",
            "script",
            "missing [script] with start and restart_at",
        ));
        return;
    };
    let exists = |id: &str| c.step(id).is_some();
    if !exists(&script.start) {
        k.err(
            "script",
            "",
            "script.start".into(),
            format!("unknown step {:?}", script.start),
        );
    }
    if !exists(&script.restart_at) {
        k.err(
            "script",
            "",
            "script.restart_at".into(),
            format!("unknown step {:?}", script.restart_at),
        );
    }
    for s in &c.steps {
        let id = &s.id;
        k.text("step", id, format!("step.{id}.prompt"), &s.prompt);
        let mut refs: Vec<(String, &String)> = Vec::new();
        if let Some(n) = &s.next {
            refs.push(("next".into(), n));
        }
        if let Some(n) = &s.on_yes {
            refs.push(("on_yes".into(), n));
        }
        if let Some(n) = &s.on_no {
            refs.push(("on_no".into(), n));
        }
        for (choice, n) in &s.branches {
            refs.push((format!("branches.{choice}"), n));
        }
        for (key, target) in refs {
            if !exists(target) {
                k.err(
                    "step",
                    id,
                    format!("step.{id}.{key}"),
                    format!("unknown step {target:?}"),
                );
            }
        }
        let needs_next = matches!(
            s.kind,
            StepKind::Open
                | StepKind::ConfirmConcerns
                | StepKind::Choice
                | StepKind::Recommendations
                | StepKind::Message
        );
        if needs_next && s.next.is_none() {
            k.err(
                "step",
                id,
                format!("step.{id}.next"),
                "this kind of step needs a next step",
            );
        }
        if s.kind == StepKind::YesNo && (s.on_yes.is_none() || s.on_no.is_none()) {
            k.err(
                "step",
                id,
                format!("step.{id}"),
                "a yes_no step needs on_yes and on_no",
            );
        }
        if s.kind == StepKind::Choice {
            if s.source.is_none() && s.options.is_empty() {
                k.err(
                    "step",
                    id,
                    format!("step.{id}"),
                    "a choice step needs a source or options",
                );
            }
            for o in &s.options {
                k.text(
                    "step",
                    id,
                    format!("step.{id}.options.{}.label", o.id),
                    &o.label,
                );
            }
            for choice in s.branches.keys() {
                let known = s.options.iter().any(|o| &o.id == choice)
                    || match s.source {
                        Some(Source::Sectors) => c.sector(choice).is_some(),
                        Some(Source::Sizes) => c.size(choice).is_some(),
                        Some(Source::Regions) => c.province(choice).is_some(),
                        None => false,
                    };
                if !known {
                    k.err(
                        "step",
                        id,
                        format!("step.{id}.branches.{choice}"),
                        "not one of this step's options",
                    );
                }
            }
        }
        if s.action.is_some() && s.kind != StepKind::End {
            k.err(
                "step",
                id,
                format!("step.{id}.action"),
                "action is handoff or decline, on end steps only",
            );
        }
        if s.kind == StepKind::Open && s.classify {
            for l in Lang::ALL {
                let folded = fold(s.prompt.get(l));
                for w in JARGON {
                    if folded.contains(w) {
                        k.err(
                            "step",
                            id,
                            format!("step.{id}.prompt.{l}"),
                            format!(
                                "the concerns question must ask about the business, not use {w:?}"
                            ),
                        );
                    }
                }
            }
        }
    }
    // Reachability from the start.
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([script.start.clone(), script.restart_at.clone()]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(s) = c.step(&id) {
            for n in [&s.next, &s.on_yes, &s.on_no].into_iter().flatten() {
                queue.push_back(n.clone());
            }
            queue.extend(s.branches.values().cloned());
        }
    }
    for s in &c.steps {
        if !seen.contains(&s.id) {
            k.err(
                "step",
                &s.id,
                format!("step.{}", s.id),
                "unreachable from script.start",
            );
        }
    }
    if !c.steps.iter().any(|s| s.kind == StepKind::End) {
        k.out.push(Problem::error(
            "intents/",
            "step",
            "the script has no end step",
        ));
    }
}

fn check_routes(k: &mut Checker<'_>, today: NaiveDate) {
    let c = k.c;
    for r in &c.routes {
        let id = &r.id;
        k.text("route", id, format!("route.{id}.title"), &r.title);
        k.text("route", id, format!("route.{id}.summary"), &r.summary);
        if let Some(w) = &r.windows {
            k.text("route", id, format!("route.{id}.windows"), w);
        }
        k.https("route", id, format!("route.{id}.url"), &r.url);
        k.https("route", id, format!("route.{id}.source_url"), &r.source_url);
        match NaiveDate::parse_from_str(&r.checked, "%Y-%m-%d") {
            Err(_) => k.err(
                "route",
                id,
                format!("route.{id}.checked"),
                format!("not a date (YYYY-MM-DD): {:?}", r.checked),
            ),
            Ok(d) if (today - d).num_days() > 365 => k.warn(
                "route",
                id,
                format!("route.{id}.checked"),
                format!(
                    "checked {} is more than 12 months ago: verify it against the source",
                    r.checked
                ),
            ),
            Ok(_) => {}
        }
        for x in &r.concerns {
            if c.concern(x).is_none() {
                k.err(
                    "route",
                    id,
                    format!("route.{id}.concerns"),
                    format!("unknown concern {x:?}"),
                );
            }
        }
        for x in &r.sectors {
            if c.sector(x).is_none() {
                k.err(
                    "route",
                    id,
                    format!("route.{id}.sectors"),
                    format!("unknown sector {x:?}"),
                );
            }
        }
        for x in &r.sizes {
            if c.size(x).is_none() {
                k.err(
                    "route",
                    id,
                    format!("route.{id}.sizes"),
                    format!("unknown size {x:?}"),
                );
            }
        }
        if r.regions.is_empty() {
            k.err(
                "route",
                id,
                format!("route.{id}.regions"),
                "empty: use [\"national\"] or province ids",
            );
        }
        for x in &r.regions {
            if x != "national" && c.province(x).is_none() {
                k.err(
                    "route",
                    id,
                    format!("route.{id}.regions"),
                    format!("unknown region {x:?}"),
                );
            }
        }
        // An ended route is never offered; these rules keep it that way.
        if r.status == RouteStatus::Ended && r.mentions.is_empty() {
            k.err(
                "route",
                id,
                format!("route.{id}.mentions"),
                "an ended route needs mentions: it is kept only to answer users who name it",
            );
        }
        if r.status != RouteStatus::Ended && r.successor.is_some() {
            k.err(
                "route",
                id,
                format!("route.{id}.successor"),
                "only an ended route has a successor: if this one was replaced, set status = \"ended\"",
            );
        }
        if let Some(s) = &r.successor {
            match c.route(s) {
                None => k.err(
                    "route",
                    id,
                    format!("route.{id}.successor"),
                    format!("unknown route {s:?}"),
                ),
                Some(succ) if succ.status == RouteStatus::Ended => k.err(
                    "route",
                    id,
                    format!("route.{id}.successor"),
                    format!("successor {s:?} has ended itself: it would be offered as open"),
                ),
                _ => {}
            }
        }
    }
}
