//! The network's picture: aggregate statistics over the stored
//! conversations, as one self-contained HTML file with inline SVG charts
//! ([`html`]), the same tables as CSV for Excel ([`csv`]) and the key
//! figures as a PNG for `/stats` ([`png`]).
//!
//! Privacy: only counts leave this module, never free text, ids or a date
//! finer than a week; every count passes [`table`]'s suppression rule (a
//! cell from fewer than 5 conversations is "<5", and cannot be worked out
//! from a total). Conversations are read one at a time
//! ([`Store::each_conversation_in`]) into a [`Tally`], so a report over
//! 100,000 conversations holds counts, not conversations; `llo-intake
//! report` reopens the store every [`PART`] of them ([`tally_at`]), so it
//! does not hold sled's pages of all of them either.
//!
//! A report is a list of [`Section`]s of [`Block`]s (tables, charts,
//! figures): a new section (follow-up answers, peer introductions) is one
//! more function that adds its counts to the [`Tally`] and returns a
//! [`Section`]; the HTML, CSV and PNG writers need no change.

pub mod csv;
pub mod html;
pub mod png;
pub(crate) mod table;

use crate::app::store::{PeerCounts, Store, StoreError};
use crate::content::text::{fill, Lang};
use crate::content::{Content, StepKind};
use crate::domain::conversation::{Conversation, EventKind, HandoffReason, Outcome, Status};
use crate::domain::followup::{FollowUp, Helped, State};
use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeMap;
pub use table::{Cell, Counts, Grid, MIN_COUNT};

/// The message keys the report says by key; `check` requires them.
pub const MESSAGE_KEYS: &[&str] = &[
    "report_title",
    "report_intro",
    "report_period",
    "report_period_all",
    "report_region_filter",
    "report_rule",
    "report_small",
    "report_hidden",
    "report_total",
    "report_none",
    "report_too_few",
    "report_made",
    "report_concern",
    "report_month",
    "report_week",
    "report_region",
    "report_region_unknown",
    "report_conversations",
    "report_count",
    "report_share",
    "report_step",
    "report_reached",
    "report_stopped",
    "report_open",
    "report_step_finished",
    "report_concerns_month_title",
    "report_concerns_month_chart",
    "report_concerns_share_table",
    "report_concerns_month_reading",
    "report_concerns_total",
    "report_regions_title",
    "report_regions_heat",
    "report_regions_bars",
    "report_regions_reading",
    "report_funnel_title",
    "report_funnel_chart",
    "report_funnel_reading",
    "report_handoff_title",
    "report_handoff_weeks_chart",
    "report_handoff_wait",
    "report_handoff_median",
    "report_handoff_p90",
    "report_handoff_outcomes",
    "report_handoff_reading",
    "report_outcome_resolved",
    "report_outcome_referred",
    "report_outcome_no_show",
    "report_outcome_other",
    "report_outcome_in_progress",
    "report_outcome_waiting",
    "report_routes_title",
    "report_routes_chart",
    "report_contacts_chart",
    "report_routes_reading",
    "report_hours",
    "report_peers_title",
    "report_peers_chart",
    "report_peers_reading",
    "report_peer_in_pool",
    "report_peer_proposals",
    "report_peer_open",
    "report_peer_introduced",
    "report_peer_rejected",
    "report_peer_declined",
    "report_peer_timed_out",
    "report_peer_withdrawn",
    "report_followup_title",
    "report_followup_chart",
    "report_followup_reading",
    "report_followup_agreed",
    "report_followup_waiting",
    "report_followup_stopped",
    "report_followup_undeliverable",
    "report_followup_sent",
    "report_followup_answered",
    "report_followup_unanswered",
    "report_followup_helped_chart",
    "report_followup_helped_yes",
    "report_followup_helped_somewhat",
    "report_followup_helped_no",
    "report_followup_helped_not_yet",
    "report_followup_helped_unsaid",
    "report_followup_used_chart",
    "report_followup_used_none",
    "report_followup_more",
    "report_followup_reopened",
    "report_followup_notes",
    "stats_text",
    "stats_text_few",
    "stats_text_followup",
];

/// sled's page cache while a report reads the store (see
/// [`Store::open_with_cache`]): it reads each record once.
pub const CACHE_BYTES: u64 = 4 << 20;

/// A report problem.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the report: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("cannot draw the chart: {0}")]
    Png(String),
}

/// Which conversations count. Empty `regions` means all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Province ids or labour-market region codes (`AM06`).
    pub regions: Vec<String>,
}

impl Filter {
    pub fn matches(&self, c: &Conversation) -> bool {
        let a = &c.answers;
        self.since.is_none_or(|t| c.started_at >= t)
            && self.until.is_none_or(|t| c.started_at < t)
            && (self.regions.is_empty()
                || self.regions.iter().any(|r| {
                    a.region.as_deref() == Some(r.as_str())
                        || a.labour_market_region.as_deref() == Some(r.as_str())
                }))
    }
}

/// Counts per concern id.
pub type ByConcern = BTreeMap<String, u64>;

/// Everything the report counts, filled one conversation at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub conversations: u64,
    /// `YYYY-MM` -> conversations started, and per confirmed concern.
    pub months: BTreeMap<String, (u64, ByConcern)>,
    /// Labour-market region code ("" when unknown) -> conversations, per concern.
    pub regions: BTreeMap<String, (u64, ByConcern)>,
    /// Step id -> conversations that reached it.
    pub reached: BTreeMap<String, u64>,
    /// Step id -> conversations that said stop there.
    pub stopped: BTreeMap<String, u64>,
    /// Step id -> unfinished conversations waiting there.
    pub open: BTreeMap<String, u64>,
    /// Conversations that were shown routes.
    pub routes_shown: u64,
    /// Conversations that reached the end of the script.
    pub finished: u64,
    /// ISO week (`2025-W09`) -> hand-off requests.
    pub weeks: BTreeMap<String, u64>,
    /// Minutes from a request to its claim.
    pub waits: Vec<u32>,
    /// Conversations with a hand-off, by how it stands or ended.
    pub outcomes: BTreeMap<&'static str, u64>,
    pub routes: BTreeMap<String, u64>,
    pub contacts: BTreeMap<String, u64>,
    /// The peer pool and proposals (all time: proposals carry no period
    /// or region the filter could use). `None`: nobody ever took part.
    pub peers: Option<PeerCounts>,
    /// The follow-ups of the counted conversations.
    pub followups: FollowUpCounts,
}

/// The follow-ups of the counted conversations, by where they stand and
/// what the answers said (no note text: only whether there was one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpCounts {
    /// Agreed, not due yet.
    pub waiting: u64,
    /// "Stop" before it went out.
    pub stopped: u64,
    /// Discord would not take the message.
    pub undeliverable: u64,
    /// Sent, nothing answered.
    pub unanswered: u64,
    /// Sent and answered, by "did it help" ([`Helped::ALL`] order).
    pub helped: [u64; 4],
    /// Sent and answered without saying whether it helped.
    pub unsaid: u64,
    /// The route or contact id they said they used (or `none`).
    pub used: BTreeMap<String, u64>,
    /// Answers with something in their own words.
    pub notes: u64,
    /// Conversations handed to a coach again from the follow-up.
    pub reopened: u64,
}

impl FollowUpCounts {
    /// Counts one follow-up (its state and the kind of answer, never the note).
    pub fn add(&mut self, f: &FollowUp) {
        match f.state {
            State::Scheduled => self.waiting += 1,
            State::Cancelled => self.stopped += 1,
            State::Undeliverable => self.undeliverable += 1,
            State::Sent if f.answer.is_empty() => self.unanswered += 1,
            State::Sent => {
                let a = &f.answer;
                match a
                    .helped
                    .and_then(|h| Helped::ALL.iter().position(|&x| x == h))
                {
                    Some(i) => self.helped[i] += 1,
                    None => self.unsaid += 1,
                }
                if let Some(r) = &a.route {
                    *self.used.entry(r.clone()).or_default() += 1;
                }
                if a.note.is_some() {
                    self.notes += 1;
                }
            }
        }
    }

    pub fn answered(&self) -> u64 {
        self.helped.iter().sum::<u64>() + self.unsaid
    }

    pub fn sent(&self) -> u64 {
        self.answered() + self.unanswered
    }

    /// Everyone who said yes to a follow-up.
    pub fn agreed(&self) -> u64 {
        self.waiting + self.stopped + self.undeliverable + self.sent()
    }
}

/// The outcome keys, in the order shown.
pub const OUTCOMES: [&str; 6] = [
    "resolved",
    "referred",
    "no_show",
    "other",
    "in_progress",
    "waiting",
];

fn month(t: DateTime<Utc>) -> String {
    t.format("%Y-%m").to_string()
}

fn week(t: DateTime<Utc>) -> String {
    let w = t.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

impl Tally {
    /// Counts one conversation. Reads no free text: only ids, statuses,
    /// steps and times (which leave as months and weeks).
    pub fn add(&mut self, c: &Conversation) {
        self.conversations += 1;
        let a = &c.answers;
        let m = self.months.entry(month(c.started_at)).or_default();
        m.0 += 1;
        let region = a.labour_market_region.clone().unwrap_or_default();
        let r = self.regions.entry(region).or_default();
        r.0 += 1;
        let mut concerns: Vec<&String> = a.concerns.iter().collect();
        concerns.sort();
        concerns.dedup();
        for id in concerns {
            *m.1.entry(id.clone()).or_default() += 1;
            *r.1.entry(id.clone()).or_default() += 1;
        }
        let mut steps: Vec<&String> = c.history.iter().chain(c.step.as_ref()).collect();
        steps.sort();
        steps.dedup();
        for s in steps {
            *self.reached.entry(s.clone()).or_default() += 1;
        }
        if let Some(s) = &c.step {
            match c.status {
                Status::Stopped => *self.stopped.entry(s.clone()).or_default() += 1,
                Status::Active => *self.open.entry(s.clone()).or_default() += 1,
                _ => {}
            }
        }
        if !c.recommended.is_empty() {
            self.routes_shown += 1;
        }
        if matches!(c.status, Status::Ended | Status::Handoff) {
            self.finished += 1;
        }
        for id in dedup(&c.recommended) {
            *self.routes.entry(id.clone()).or_default() += 1;
        }
        for id in dedup(&c.contacts_shown) {
            *self.contacts.entry(id.clone()).or_default() += 1;
        }
        self.add_handoff(c);
        let reopened = c
            .handoff_log
            .iter()
            .any(|e| e.kind == EventKind::Requested && e.detail.as_deref() == Some("follow_up"))
            || c.handoff
                .as_ref()
                .is_some_and(|h| h.reason == HandoffReason::FollowUp);
        if reopened {
            self.followups.reopened += 1;
        }
    }

    fn add_handoff(&mut self, c: &Conversation) {
        let Some(h) = &c.handoff else { return };
        let mut requested = None;
        let mut any = false;
        for e in &c.handoff_log {
            match e.kind {
                EventKind::Requested => {
                    any = true;
                    *self.weeks.entry(week(e.at)).or_default() += 1;
                    requested = Some(e.at);
                }
                EventKind::Claimed => {
                    if let Some(t) = requested.take() {
                        self.waits.push(minutes(t, e.at));
                    }
                }
                _ => {}
            }
        }
        if !any {
            *self.weeks.entry(week(h.requested_at)).or_default() += 1;
            if let Some(t) = h.claimed_at {
                self.waits.push(minutes(h.requested_at, t));
            }
        }
        let key = match (h.closed_at, h.outcome, &h.coach) {
            (Some(_), Some(Outcome::Resolved), _) => "resolved",
            (Some(_), Some(Outcome::Referred), _) => "referred",
            (Some(_), Some(Outcome::NoShow), _) => "no_show",
            (Some(_), _, _) => "other",
            (None, _, Some(_)) => "in_progress",
            (None, _, None) => "waiting",
        };
        *self.outcomes.entry(key).or_default() += 1;
    }
}

fn dedup(ids: &[String]) -> Vec<&String> {
    let mut v: Vec<&String> = ids.iter().collect();
    v.sort();
    v.dedup();
    v
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    (to - from).num_minutes().clamp(0, u32::MAX as i64) as u32
}

impl Tally {
    /// Counts a stored conversation when the filter takes it, with its
    /// follow-up (only an intake that ended can have one).
    fn count(
        &mut self,
        store: &Store,
        filter: &Filter,
        c: &Conversation,
    ) -> Result<(), StoreError> {
        if !filter.matches(c) {
            return Ok(());
        }
        self.add(c);
        if c.ended_at.is_some() {
            match store.follow_up(&c.id) {
                Ok(Some(f)) => self.followups.add(&f),
                Ok(None) | Err(StoreError::Decode(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn add_peers(&mut self, store: &Store) -> Result<(), StoreError> {
        let peers = crate::app::peers::counts(store)?;
        self.peers = (peers != PeerCounts::default()).then_some(peers);
        Ok(())
    }
}

/// Reads every matching conversation into a [`Tally`], one at a time, in
/// one pass over an open store (the bot's, for `/stats`).
pub fn tally(store: &Store, filter: &Filter) -> Result<Tally, StoreError> {
    let mut t = Tally::default();
    store.each_conversation(|c| t.count(store, filter, &c))?;
    t.add_peers(store)?;
    Ok(t)
}

/// Conversations read per opening of the store in [`tally_at`].
pub const PART: usize = 10_000;

/// [`tally`] over a database that `open` opens, and opens again every
/// [`PART`] conversations. sled keeps in memory most of what one opening
/// has read, whatever its cache size (its cache evicts per shard, and one
/// pass touches too little of each shard to evict), so a report over
/// 100,000 conversations reads them in parts, holding one part's pages at
/// a time (README "Report", memory and time).
pub fn tally_at(
    open: impl Fn() -> Result<Store, StoreError>,
    filter: &Filter,
) -> Result<Tally, StoreError> {
    tally_in_parts(open, filter, PART)
}

/// [`tally_at`] with parts of `part` conversations.
pub fn tally_in_parts(
    open: impl Fn() -> Result<Store, StoreError>,
    filter: &Filter,
    part: usize,
) -> Result<Tally, StoreError> {
    let mut t = Tally::default();
    let mut after: Option<String> = None;
    loop {
        let store = open()?;
        let part = store.each_conversation_in(after.as_deref(), part.max(1), |c| {
            t.count(&store, filter, &c)
        })?;
        if !part.more {
            t.add_peers(&store)?;
            return Ok(t);
        }
        after = part.last;
    }
}

/// A table as the report shows it: a header row and labelled rows of
/// (already suppressed) cells. The CSV writes exactly these.
#[derive(Debug, Clone)]
pub struct Table {
    /// A stable name (CSV section, HTML id).
    pub id: &'static str,
    pub caption: String,
    /// The header: the label column's title, then one per cell column.
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<Cell>)>,
}

/// A chart. Every drawn bar or cell is one SVG `rect` of class `bar` or
/// `cell`; suppressed values are not drawn as bars (their label says "<5").
#[derive(Debug, Clone)]
pub enum Chart {
    /// Columns per category (months), stacked by series (concerns).
    Stacked {
        id: &'static str,
        title: String,
        categories: Vec<String>,
        series: Vec<String>,
        /// `[category][series]`.
        values: Vec<Vec<Cell>>,
    },
    /// Horizontal bars, in the given order.
    Bars {
        id: &'static str,
        title: String,
        labels: Vec<String>,
        values: Vec<Cell>,
    },
    /// A heat table: one cell per row and column, shaded by count.
    Heat {
        id: &'static str,
        title: String,
        rows: Vec<String>,
        cols: Vec<String>,
        values: Vec<Vec<Cell>>,
    },
}

impl Chart {
    pub fn id(&self) -> &'static str {
        match self {
            Chart::Stacked { id, .. } | Chart::Bars { id, .. } | Chart::Heat { id, .. } => id,
        }
    }
}

/// One part of a section.
#[derive(Debug, Clone)]
pub enum Block {
    Chart(Chart),
    Table(Table),
    /// Key figures: label and value.
    Figures(Vec<(String, Cell)>),
}

/// One section: a title, a short reading and its blocks.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub reading: String,
    pub blocks: Vec<Block>,
}

/// A whole report, worded in one language.
#[derive(Debug, Clone)]
pub struct Report {
    pub lang: Lang,
    pub title: String,
    /// Period, filter, totals and the suppression rule, one line each.
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
    /// The words for "<5" and "x".
    pub small: String,
    pub hidden: String,
    /// The unit after hours ("uur", "hours").
    pub hours: String,
    /// The title of the concerns panel in `/stats`.
    pub concerns_total: String,
    /// The ISO week it was made (`2026-W49`).
    pub week: String,
    pub key: KeyFigures,
}

/// The figures `/stats` writes out, suppressed like every cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyFigures {
    pub conversations: Cell,
    pub handoffs: Cell,
    pub median_wait: Cell,
    pub p90_wait: Cell,
    /// Follow-ups sent and answered, once anyone agreed to one.
    pub followups: Option<(Cell, Cell)>,
}

/// What to build a report of.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub filter: Filter,
    pub lang: Lang,
    /// How many routes and contacts to show.
    pub top: usize,
}

/// Loads content for a report: read, merged and checked like the bot's
/// (every problem named), but without compiling the concern patterns,
/// which a report never runs and which would cost more memory than the
/// whole report (see README "Report", performance).
pub fn load_content(
    dirs: &[std::path::PathBuf],
    messages: &[&str],
) -> Result<Content, crate::content::ContentError> {
    use crate::content::{ContentError, RawContent, Severity};
    let (raw, mut problems) = RawContent::read(dirs);
    if !problems.iter().any(|p| p.severity == Severity::Error) {
        let content = raw.merge();
        problems.extend(crate::content::check::check(&content, messages));
        if !problems.iter().any(|p| p.severity == Severity::Error) {
            return Ok(content);
        }
    }
    Err(ContentError { problems })
}

/// Reads the store and builds the report.
pub fn build(store: &Store, content: &Content, opts: &Options) -> Result<Report, StoreError> {
    let t = tally(store, &opts.filter)?;
    Ok(Report::from_tally(&t, content, opts, Utc::now()))
}

/// Builds the report from the database `open` opens, in parts ([`tally_at`]).
pub fn build_at(
    open: impl Fn() -> Result<Store, StoreError>,
    content: &Content,
    opts: &Options,
) -> Result<Report, StoreError> {
    let t = tally_at(open, &opts.filter)?;
    Ok(Report::from_tally(&t, content, opts, Utc::now()))
}

struct Words<'a> {
    content: &'a Content,
    lang: Lang,
}

impl Words<'_> {
    fn msg(&self, key: &str) -> String {
        self.content
            .msg(key)
            .map(|t| t.get(self.lang).to_string())
            .unwrap_or_else(|| key.to_string())
    }
    fn fill(&self, key: &str, vars: &[(&str, &str)]) -> String {
        fill(&self.msg(key), vars)
    }
    fn concern(&self, id: &str) -> String {
        self.content
            .concern(id)
            .map(|c| c.label.get(self.lang).to_string())
            .unwrap_or_else(|| id.to_string())
    }
    fn region(&self, code: &str) -> String {
        if code.is_empty() {
            return self.msg("report_region_unknown");
        }
        self.content
            .labour_market_region(code)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
    fn route(&self, id: &str) -> String {
        self.content
            .route(id)
            .map(|r| r.title.get(self.lang).to_string())
            .unwrap_or_else(|| id.to_string())
    }
    fn contact(&self, id: &str) -> String {
        self.content
            .contact(id)
            .map(|c| c.name_in(self.lang).to_string())
            .unwrap_or_else(|| id.to_string())
    }
    fn step(&self, id: &str) -> String {
        let key = format!("report_step_{id}");
        match self.content.msg(&key) {
            Some(t) => t.get(self.lang).to_string(),
            None => id.to_string(),
        }
    }
    fn percent(&self, p: f64) -> String {
        format!("{p:.0}%")
    }
}

/// Every month from the first to the last key (`YYYY-MM`), gaps included.
fn month_range<V>(m: &BTreeMap<String, V>) -> Vec<String> {
    let parse = |s: &str| {
        let (y, mo) = s.split_once('-')?;
        Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?))
    };
    let (Some(first), Some(last)) = (
        m.keys().next().and_then(|k| parse(k)),
        m.keys().next_back().and_then(|k| parse(k)),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut y, mut mo) = first;
    while (y, mo) <= last && out.len() < 1200 {
        out.push(format!("{y:04}-{mo:02}"));
        (y, mo) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
    }
    out
}

/// Every ISO week from the first to the last key (`YYYY-Www`), gaps included.
fn week_range<V>(m: &BTreeMap<String, V>) -> Vec<String> {
    let parse = |s: &str| {
        let (y, w) = s.split_once("-W")?;
        chrono::NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)
    };
    let (Some(mut d), Some(last)) = (
        m.keys().next().and_then(|k| parse(k)),
        m.keys().next_back().and_then(|k| parse(k)),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while d <= last && out.len() < 2000 {
        let w = d.iso_week();
        out.push(format!("{}-W{:02}", w.year(), w.week()));
        d += chrono::Duration::weeks(1);
    }
    out
}

/// A suppressed grid as table rows, with a totals column and row.
fn grid_rows(labels: &[String], g: &Grid, total_label: &str) -> Vec<(String, Vec<Cell>)> {
    let mut rows: Vec<(String, Vec<Cell>)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut cells = g.cells[i].clone();
            if let Some(t) = &g.row_totals {
                cells.push(t[i]);
            }
            (l.clone(), cells)
        })
        .collect();
    if let Some(ct) = &g.col_totals {
        let mut cells = ct.clone();
        if let Some(t) = g.total {
            cells.push(t);
        }
        rows.push((total_label.to_string(), cells));
    }
    rows
}

/// Rows (months, regions) by concerns, with row totals (conversations),
/// column totals (per concern) and the grand total.
fn concern_counts(
    keys: &[String],
    by: &BTreeMap<String, (u64, ByConcern)>,
    ids: &[String],
    total: u64,
) -> Counts {
    let empty = (0, ByConcern::new());
    let row = |k: &String| by.get(k).unwrap_or(&empty);
    Counts {
        cells: keys
            .iter()
            .map(|k| {
                ids.iter()
                    .map(|id| *row(k).1.get(id).unwrap_or(&0))
                    .collect()
            })
            .collect(),
        row_totals: Some(keys.iter().map(|k| row(k).0).collect()),
        col_totals: Some(
            ids.iter()
                .map(|id| by.values().map(|(_, c)| c.get(id).unwrap_or(&0)).sum())
                .collect(),
        ),
        total: Some(total),
    }
}

/// The concerns in content order, then any unknown ids counted.
fn concern_ids(content: &Content, t: &Tally) -> Vec<String> {
    let mut ids: Vec<String> = content.concerns.iter().map(|c| c.id.clone()).collect();
    for (_, by) in t.months.values() {
        for id in by.keys() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    ids
}

/// The largest shown count in a list of (label, cell), for the readings.
fn top_shown(items: &[(String, Cell)]) -> Option<(&str, u64)> {
    items
        .iter()
        .filter_map(|(l, c)| c.count().map(|n| (l.as_str(), n)))
        .max_by_key(|(_, n)| *n)
}

impl Report {
    /// Words and suppresses a tally. `now` only gives the week it was made.
    pub fn from_tally(t: &Tally, content: &Content, opts: &Options, now: DateTime<Utc>) -> Report {
        let w = Words {
            content,
            lang: opts.lang,
        };
        let mut intro = Vec::new();
        let period = match (opts.filter.since, opts.filter.until) {
            (None, None) => w.msg("report_period_all"),
            (s, u) => {
                let dash = "…".to_string();
                w.fill(
                    "report_period",
                    &[
                        ("from", &s.map(week).unwrap_or_else(|| dash.clone())),
                        (
                            "to",
                            &u.map(|u| week(u - chrono::Duration::seconds(1)))
                                .unwrap_or(dash),
                        ),
                    ],
                )
            }
        };
        intro.push(period);
        if !opts.filter.regions.is_empty() {
            let names: Vec<String> = opts
                .filter
                .regions
                .iter()
                .map(|r| {
                    content
                        .province(r)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| w.region(r))
                })
                .collect();
            intro.push(w.fill("report_region_filter", &[("regions", &names.join(", "))]));
        }
        let total = Counts::column(vec![t.conversations], None).suppress().cells[0][0];
        intro.push(w.fill(
            "report_intro",
            &[("count", &show(total, &w.msg("report_small"), "x"))],
        ));
        intro.push(w.msg("report_rule"));
        intro.push(w.fill("report_made", &[("week", &week(now))]));
        let top = if opts.top == 0 { 10 } else { opts.top };
        let mut waits = t.waits.clone();
        let (median_wait, p90_wait) = match table::median_p90(&mut waits) {
            Some((m, p)) => (Cell::Hours(m as f64 / 60.0), Cell::Hours(p as f64 / 60.0)),
            None => (Cell::Small, Cell::Small),
        };
        let handoffs: u64 = t.outcomes.values().sum();
        let fu = followup_cells(&t.followups);
        let key = KeyFigures {
            conversations: total,
            handoffs: Counts::column(vec![handoffs], None).suppress().cells[0][0],
            median_wait,
            p90_wait,
            followups: (t.followups.agreed() > 0).then(|| (fu[FU_SENT], fu[FU_ANSWERED])),
        };
        let sections = vec![
            concerns_by_month(t, content, &w),
            concerns_by_region(t, content, &w),
            funnel(t, content, &w),
            handoff(t, &w, &key),
            routes(t, &w, top),
        ];
        let sections = sections
            .into_iter()
            .chain(followups(t, &w, &fu, top))
            .chain(peers(t, &w))
            .collect();
        Report {
            lang: opts.lang,
            title: w.msg("report_title"),
            intro,
            sections,
            small: w.msg("report_small"),
            hidden: w.msg("report_hidden"),
            hours: w.msg("report_hours"),
            concerns_total: w.msg("report_concerns_total"),
            week: week(now),
            key,
        }
    }

    /// The few lines `/stats` writes under its chart.
    pub fn key_text(&self, content: &Content) -> String {
        let w = Words {
            content,
            lang: self.lang,
        };
        let k = self.key;
        let h = |c: Cell| match c {
            Cell::Hours(x) => hours(x, self.lang),
            c => self.text(c),
        };
        let key = match k.median_wait {
            Cell::Hours(_) => "stats_text",
            _ => "stats_text_few",
        };
        let mut text = w.fill(
            key,
            &[
                ("count", &self.text(k.conversations)),
                ("handoffs", &self.text(k.handoffs)),
                ("median", &h(k.median_wait)),
                ("p90", &h(k.p90_wait)),
            ],
        );
        if let Some((sent, answered)) = k.followups {
            text.push('\n');
            text.push_str(&w.fill(
                "stats_text_followup",
                &[
                    ("sent", &self.text(sent)),
                    ("answered", &self.text(answered)),
                ],
            ));
        }
        text
    }

    /// Every chart in the report, in order.
    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Chart(c) => Some(c),
                _ => None,
            })
        })
    }

    /// Every table in the report, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
        })
    }

    /// A cell as text: the count, "<5", "x", a share or hours.
    pub fn text(&self, c: Cell) -> String {
        match c {
            Cell::Hours(h) => format!("{} {}", hours(h, self.lang), self.hours),
            Cell::Percent(p) => format!("{}%", hours(p, self.lang)),
            c => show(c, &self.small, &self.hidden),
        }
    }
}

/// One decimal, with a decimal comma in Dutch.
fn hours(h: f64, lang: Lang) -> String {
    let s = format!("{h:.1}");
    match lang {
        Lang::Nl => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A cell as text, with the words for small and hidden cells.
pub fn show(c: Cell, small: &str, hidden: &str) -> String {
    match c {
        Cell::Count(n) => n.to_string(),
        Cell::Small => small.to_string(),
        Cell::Hidden => hidden.to_string(),
        Cell::Percent(p) => format!("{p:.1}%"),
        Cell::Hours(h) => format!("{h:.1}"),
        Cell::Empty => String::new(),
    }
}

fn concerns_by_month(t: &Tally, content: &Content, w: &Words) -> Section {
    let months = month_range(&t.months);
    let ids = concern_ids(content, t);
    let counts = concern_counts(&months, &t.months, &ids, t.conversations);
    let g = counts.suppress();
    let labels: Vec<String> = ids.iter().map(|id| w.concern(id)).collect();
    let mut head = vec![w.msg("report_month")];
    head.extend(labels.iter().cloned());
    head.push(w.msg("report_conversations"));
    let counts_table = Table {
        id: "concerns_by_month",
        caption: w.msg("report_concerns_month_title"),
        head: head.clone(),
        rows: grid_rows(&months, &g, &w.msg("report_total")),
    };
    // Shares: of the month's conversations, where both are shown.
    let share = |c: Cell, of: Cell| match (c, of) {
        (Cell::Count(n), Cell::Count(d)) if d > 0 => Cell::Percent(100.0 * n as f64 / d as f64),
        (c, _) if c.is_suppressed() => c,
        _ => Cell::Empty,
    };
    let rt = g.row_totals.clone().unwrap_or_default();
    let mut share_rows: Vec<(String, Vec<Cell>)> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                m.clone(),
                g.cells[i].iter().map(|&c| share(c, rt[i])).collect(),
            )
        })
        .collect();
    let grand = g.total.unwrap_or(Cell::Empty);
    let ct = g.col_totals.clone().unwrap_or_default();
    share_rows.push((
        w.msg("report_total"),
        ct.iter().map(|&c| share(c, grand)).collect(),
    ));
    let mut share_head = vec![w.msg("report_month")];
    share_head.extend(labels.iter().cloned());
    let share_table = Table {
        id: "concerns_share_by_month",
        caption: w.msg("report_concerns_share_table"),
        head: share_head,
        rows: share_rows,
    };
    let totals: Vec<(String, Cell)> = labels.iter().cloned().zip(ct.iter().copied()).collect();
    let reading = match (top_shown(&totals), grand) {
        (Some((label, n)), Cell::Count(all)) if all > 0 => w.fill(
            "report_concerns_month_reading",
            &[
                ("concern", label),
                ("share", &w.percent(100.0 * n as f64 / all as f64)),
            ],
        ),
        _ => w.msg("report_too_few"),
    };
    Section {
        id: "concerns",
        title: w.msg("report_concerns_month_title"),
        reading,
        blocks: vec![
            Block::Chart(Chart::Stacked {
                id: "concerns_by_month",
                title: w.msg("report_concerns_month_chart"),
                categories: months.clone(),
                series: labels,
                values: g.cells.clone(),
            }),
            Block::Table(counts_table),
            Block::Table(share_table),
        ],
    }
}

fn concerns_by_region(t: &Tally, content: &Content, w: &Words) -> Section {
    let mut codes: Vec<String> = content
        .labour_market_regions
        .iter()
        .map(|r| r.code.clone())
        .collect();
    for k in t.regions.keys() {
        if !k.is_empty() && !codes.contains(k) {
            codes.push(k.clone());
        }
    }
    codes.push(String::new());
    let ids = concern_ids(content, t);
    let counts = concern_counts(&codes, &t.regions, &ids, t.conversations);
    let g = counts.suppress();
    let names: Vec<String> = codes.iter().map(|c| w.region(c)).collect();
    let labels: Vec<String> = ids.iter().map(|id| w.concern(id)).collect();
    let mut head = vec![w.msg("report_region")];
    head.extend(labels.iter().cloned());
    head.push(w.msg("report_conversations"));
    let table = Table {
        id: "concerns_by_region",
        caption: w.msg("report_regions_heat"),
        head,
        rows: grid_rows(&names, &g, &w.msg("report_total")),
    };
    // Ordered bars: conversations per region, most first; suppressed last.
    let rt = g.row_totals.clone().unwrap_or_default();
    let mut order: Vec<usize> = (0..codes.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(rt[i].count().unwrap_or(0)), i));
    let bars: Vec<(String, Cell)> = order.iter().map(|&i| (names[i].clone(), rt[i])).collect();
    let reading = match top_shown(&bars) {
        Some((region, n)) => w.fill(
            "report_regions_reading",
            &[("region", region), ("count", &n.to_string())],
        ),
        None => w.msg("report_too_few"),
    };
    Section {
        id: "regions",
        title: w.msg("report_regions_title"),
        reading,
        blocks: vec![
            Block::Chart(Chart::Heat {
                id: "concerns_by_region",
                title: w.msg("report_regions_heat"),
                rows: names.clone(),
                cols: labels,
                values: g.cells.clone(),
            }),
            Block::Chart(Chart::Bars {
                id: "conversations_by_region",
                title: w.msg("report_regions_bars"),
                labels: bars.iter().map(|(l, _)| l.clone()).collect(),
                values: bars.iter().map(|(_, c)| *c).collect(),
            }),
            Block::Table(table),
        ],
    }
}

/// The funnel's steps: the interactive steps and the routes, in script
/// order (`end` steps and the declined branch are not stages).
pub fn funnel_steps(content: &Content) -> Vec<(String, StepKind)> {
    content
        .steps
        .iter()
        .filter(|s| s.is_interactive() || s.kind == StepKind::Recommendations)
        .map(|s| (s.id.clone(), s.kind))
        .collect()
}

fn funnel(t: &Tally, content: &Content, w: &Words) -> Section {
    let steps = funnel_steps(content);
    let mut labels: Vec<String> = steps.iter().map(|(id, _)| w.step(id)).collect();
    let get = |m: &BTreeMap<String, u64>, id: &str| *m.get(id).unwrap_or(&0);
    let mut reached: Vec<u64> = steps
        .iter()
        .map(|(id, kind)| match kind {
            StepKind::Recommendations => t.routes_shown.max(get(&t.reached, id)),
            _ => get(&t.reached, id),
        })
        .collect();
    reached.push(t.finished);
    labels.push(w.msg("report_step_finished"));
    let reached_g = Counts::column(reached, None).suppress();
    let mut stopped: Vec<u64> = steps.iter().map(|(id, _)| get(&t.stopped, id)).collect();
    let mut open: Vec<u64> = steps.iter().map(|(id, _)| get(&t.open, id)).collect();
    stopped.push(0);
    open.push(0);
    let stopped_total: u64 = t.stopped.values().sum();
    let open_total: u64 = t.open.values().sum();
    let stopped_g = Counts::column(stopped, Some(stopped_total)).suppress();
    let open_g = Counts::column(open, Some(open_total)).suppress();
    let mut rows: Vec<(String, Vec<Cell>)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                l.clone(),
                vec![
                    reached_g.cells[i][0],
                    stopped_g.cells[i][0],
                    open_g.cells[i][0],
                ],
            )
        })
        .collect();
    rows.push((
        w.msg("report_total"),
        vec![
            Cell::Empty,
            stopped_g.col_totals.as_ref().map_or(Cell::Empty, |c| c[0]),
            open_g.col_totals.as_ref().map_or(Cell::Empty, |c| c[0]),
        ],
    ));
    let table = Table {
        id: "funnel",
        caption: w.msg("report_funnel_title"),
        head: vec![
            w.msg("report_step"),
            w.msg("report_reached"),
            w.msg("report_stopped"),
            w.msg("report_open"),
        ],
        rows,
    };
    let values: Vec<Cell> = reached_g.cells.iter().map(|c| c[0]).collect();
    let started = values.first().copied().unwrap_or(Cell::Empty);
    let routes_at = steps
        .iter()
        .position(|(_, k)| *k == StepKind::Recommendations);
    let stops: Vec<(String, Cell)> = labels
        .iter()
        .cloned()
        .zip(
            stopped_g
                .cells
                .iter()
                .zip(&open_g.cells)
                .map(|(s, o)| match (s[0], o[0]) {
                    (Cell::Count(a), Cell::Count(b)) => Cell::Count(a + b),
                    (Cell::Count(a), _) | (_, Cell::Count(a)) => Cell::Count(a),
                    _ => Cell::Small,
                }),
        )
        .collect();
    let step = top_shown(&stops)
        .map(|(l, _)| l.to_string())
        .unwrap_or_else(|| w.msg("report_none"));
    let reading = match (started, routes_at.map(|i| values[i])) {
        (Cell::Count(all), Some(Cell::Count(r))) => w.fill(
            "report_funnel_reading",
            &[
                ("routes", &r.to_string()),
                ("started", &all.to_string()),
                ("step", &step),
            ],
        ),
        _ => w.msg("report_too_few"),
    };
    Section {
        id: "funnel",
        title: w.msg("report_funnel_title"),
        reading,
        blocks: vec![
            Block::Chart(Chart::Bars {
                id: "funnel",
                title: w.msg("report_funnel_chart"),
                labels,
                values,
            }),
            Block::Table(table),
        ],
    }
}

fn handoff(t: &Tally, w: &Words, key: &KeyFigures) -> Section {
    let weeks = week_range(&t.weeks);
    let per_week: Vec<u64> = weeks
        .iter()
        .map(|k| *t.weeks.get(k).unwrap_or(&0))
        .collect();
    let requests: u64 = per_week.iter().sum();
    let wg = Counts::column(per_week, Some(requests)).suppress();
    let week_cells: Vec<Cell> = wg.cells.iter().map(|c| c[0]).collect();
    let mut week_rows: Vec<(String, Vec<Cell>)> = weeks
        .iter()
        .cloned()
        .zip(week_cells.iter().map(|&c| vec![c]))
        .collect();
    week_rows.push((
        w.msg("report_total"),
        vec![wg.col_totals.as_ref().map_or(Cell::Empty, |c| c[0])],
    ));
    let (median, p90) = (key.median_wait, key.p90_wait);
    let outcome_counts: Vec<u64> = OUTCOMES
        .iter()
        .map(|k| *t.outcomes.get(k).unwrap_or(&0))
        .collect();
    let handoffs: u64 = outcome_counts.iter().sum();
    let og = Counts::column(outcome_counts, Some(handoffs)).suppress();
    let outcome_labels: Vec<String> = OUTCOMES
        .iter()
        .map(|k| w.msg(&format!("report_outcome_{k}")))
        .collect();
    let outcome_cells: Vec<Cell> = og.cells.iter().map(|c| c[0]).collect();
    let mut outcome_rows: Vec<(String, Vec<Cell>)> = outcome_labels
        .iter()
        .cloned()
        .zip(outcome_cells.iter().map(|&c| vec![c]))
        .collect();
    outcome_rows.push((
        w.msg("report_total"),
        vec![og.col_totals.as_ref().map_or(Cell::Empty, |c| c[0])],
    ));
    let h = |c: Cell| match c {
        Cell::Hours(x) => hours(x, w.lang),
        _ => String::new(),
    };
    let reading = match (median, p90) {
        (Cell::Hours(_), Cell::Hours(_)) => w.fill(
            "report_handoff_reading",
            &[("median", &h(median)), ("p90", &h(p90))],
        ),
        _ => w.msg("report_too_few"),
    };
    Section {
        id: "handoff",
        title: w.msg("report_handoff_title"),
        reading,
        blocks: vec![
            Block::Figures(vec![
                (w.msg("report_handoff_median"), median),
                (w.msg("report_handoff_p90"), p90),
            ]),
            Block::Chart(Chart::Bars {
                id: "handoff_weeks",
                title: w.msg("report_handoff_weeks_chart"),
                labels: weeks.clone(),
                values: week_cells,
            }),
            Block::Table(Table {
                id: "handoff_requests_by_week",
                caption: w.msg("report_handoff_weeks_chart"),
                head: vec![w.msg("report_week"), w.msg("report_count")],
                rows: week_rows,
            }),
            Block::Chart(Chart::Bars {
                id: "handoff_outcomes",
                title: w.msg("report_handoff_outcomes"),
                labels: outcome_labels,
                values: outcome_cells,
            }),
            Block::Table(Table {
                id: "handoff_outcomes",
                caption: w.msg("report_handoff_outcomes"),
                head: vec![w.msg("report_handoff_outcomes"), w.msg("report_count")],
                rows: outcome_rows,
            }),
            Block::Table(Table {
                id: "handoff_wait",
                caption: w.msg("report_handoff_wait"),
                head: vec![w.msg("report_handoff_wait"), w.msg("report_hours")],
                rows: vec![
                    (w.msg("report_handoff_median"), vec![median]),
                    (w.msg("report_handoff_p90"), vec![p90]),
                ],
            }),
        ],
    }
}

/// The `top` most shown ids, most first (ties by id); no total (a
/// conversation is shown several).
fn most(
    m: &BTreeMap<String, u64>,
    top: usize,
    label: impl Fn(&str) -> String,
) -> Vec<(String, Cell)> {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by_key(|&(id, n)| (std::cmp::Reverse(*n), id.clone()));
    let shown: Vec<(String, u64)> = v
        .into_iter()
        .take(top)
        .map(|(id, n)| (label(id), *n))
        .collect();
    let g = Counts::column(shown.iter().map(|(_, n)| *n).collect(), None).suppress();
    shown
        .into_iter()
        .zip(g.cells)
        .map(|((l, _), c)| (l, c[0]))
        .collect()
}

fn routes(t: &Tally, w: &Words, top: usize) -> Section {
    let routes = most(&t.routes, top, |id| w.route(id));
    let contacts = most(&t.contacts, top, |id| w.contact(id));
    let reading = match top_shown(&routes) {
        Some((route, n)) => w.fill(
            "report_routes_reading",
            &[("route", route), ("count", &n.to_string())],
        ),
        None => w.msg("report_too_few"),
    };
    let table = |id, caption: String, items: &[(String, Cell)], head: String| Table {
        id,
        caption,
        head: vec![head, w.msg("report_conversations")],
        rows: items.iter().map(|(l, c)| (l.clone(), vec![*c])).collect(),
    };
    let bars = |id, title: String, items: &[(String, Cell)]| Chart::Bars {
        id,
        title,
        labels: items.iter().map(|(l, _)| l.clone()).collect(),
        values: items.iter().map(|(_, c)| *c).collect(),
    };
    Section {
        id: "routes",
        title: w.msg("report_routes_title"),
        reading,
        blocks: vec![
            Block::Chart(bars("routes", w.msg("report_routes_chart"), &routes)),
            Block::Table(table(
                "routes",
                w.msg("report_routes_chart"),
                &routes,
                w.msg("report_routes_chart"),
            )),
            Block::Chart(bars("contacts", w.msg("report_contacts_chart"), &contacts)),
            Block::Table(table(
                "contacts",
                w.msg("report_contacts_chart"),
                &contacts,
                w.msg("report_contacts_chart"),
            )),
        ],
    }
}

/// Peer introductions: how many are in the pool, and how the proposals
/// stand. The stages add up to the proposals, so they are one line with a
/// total; the pool is a count of its own.
fn peers(t: &Tally, w: &Words) -> Option<Section> {
    let p = t.peers?;
    let stages = [
        ("open", p.open),
        ("introduced", p.introduced),
        ("rejected", p.rejected),
        ("declined", p.declined),
        ("timed_out", p.timed_out),
        ("withdrawn", p.withdrawn),
    ];
    let g = Counts::column(
        stages.iter().map(|(_, n)| *n as u64).collect(),
        Some(p.proposals as u64),
    )
    .suppress();
    let pool = Counts::column(vec![p.in_pool as u64], None)
        .suppress()
        .cells[0][0];
    let proposals = g.col_totals.as_ref().map_or(Cell::Empty, |c| c[0]);
    let mut items: Vec<(String, Cell)> = vec![
        (w.msg("report_peer_in_pool"), pool),
        (w.msg("report_peer_proposals"), proposals),
    ];
    items.extend(
        stages
            .iter()
            .zip(&g.cells)
            .map(|((k, _), c)| (w.msg(&format!("report_peer_{k}")), c[0])),
    );
    let introduced = g.cells[1][0];
    let reading = match (proposals, introduced) {
        (Cell::Count(all), Cell::Count(n)) => w.fill(
            "report_peers_reading",
            &[
                ("proposals", &all.to_string()),
                ("introduced", &n.to_string()),
            ],
        ),
        _ => w.msg("report_too_few"),
    };
    Some(Section {
        id: "peers",
        title: w.msg("report_peers_title"),
        reading,
        blocks: vec![
            Block::Chart(Chart::Bars {
                id: "peers",
                title: w.msg("report_peers_chart"),
                labels: items.iter().map(|(l, _)| l.clone()).collect(),
                values: items.iter().map(|(_, c)| *c).collect(),
            }),
            Block::Table(Table {
                id: "peers",
                caption: w.msg("report_peers_chart"),
                head: vec![w.msg("report_peers_title"), w.msg("report_count")],
                rows: items.into_iter().map(|(l, c)| (l, vec![c])).collect(),
            }),
        ],
    })
}

// The follow-up figures, one list suppressed as nested lines:
// agreed = waiting + stopped + undeliverable + sent; sent = answered +
// unanswered; answered = the four "did it help" answers + unsaid.
const FU_AGREED: usize = 0;
const FU_SENT: usize = 4;
const FU_ANSWERED: usize = 5;
/// The first "did it help" cell ([`Helped::ALL`] order, then unsaid).
const FU_HELPED: usize = 7;

/// The follow-up figures as suppressed cells, indexed by the `FU_` constants.
fn followup_cells(f: &FollowUpCounts) -> Vec<Cell> {
    let mut values = vec![
        f.agreed(),
        f.waiting,
        f.stopped,
        f.undeliverable,
        f.sent(),
        f.answered(),
        f.unanswered,
    ];
    values.extend(f.helped);
    values.push(f.unsaid);
    let lines = vec![
        (vec![1, 2, 3, FU_SENT], FU_AGREED),
        (vec![FU_ANSWERED, 6], FU_SENT),
        ((FU_HELPED..FU_HELPED + 5).collect(), FU_ANSWERED),
    ];
    table::suppress_lines(&values, &lines)
}

/// Follow-ups of the counted conversations: how many were agreed, sent and
/// answered, whether the advice helped, which route or contact was used,
/// and how many were handed to a coach again. Shown once anyone agreed to
/// one (or was handed to a coach from one).
fn followups(t: &Tally, w: &Words, cells: &[Cell], top: usize) -> Option<Section> {
    let f = &t.followups;
    if f.agreed() == 0 && f.reopened == 0 {
        return None;
    }
    let status: Vec<(String, Cell)> = [
        "agreed",
        "waiting",
        "stopped",
        "undeliverable",
        "sent",
        "answered",
        "unanswered",
    ]
    .iter()
    .zip(cells)
    .map(|(k, c)| (w.msg(&format!("report_followup_{k}")), *c))
    .collect();
    let mut helped: Vec<(String, Cell)> = Helped::ALL
        .iter()
        .map(|h| h.id())
        .chain(["unsaid"])
        .zip(&cells[FU_HELPED..FU_HELPED + 5])
        .map(|(k, c)| (w.msg(&format!("report_followup_helped_{k}")), *c))
        .collect();
    let helped_bars = helped.clone();
    helped.push((w.msg("report_total"), cells[FU_ANSWERED]));
    let used = most(&f.used, top, |id| {
        if id == crate::domain::followup::NO_ROUTE {
            w.msg("report_followup_used_none")
        } else if w.content.route(id).is_some() {
            w.route(id)
        } else {
            w.contact(id)
        }
    });
    let single = |n: u64| Counts::column(vec![n], None).suppress().cells[0][0];
    let more = vec![
        (w.msg("report_followup_reopened"), single(f.reopened)),
        (w.msg("report_followup_notes"), single(f.notes)),
    ];
    let reading = match (cells[FU_SENT], cells[FU_ANSWERED]) {
        (Cell::Count(sent), Cell::Count(answered)) => w.fill(
            "report_followup_reading",
            &[
                ("sent", &sent.to_string()),
                ("answered", &answered.to_string()),
            ],
        ),
        _ => w.msg("report_too_few"),
    };
    let bars = |id, title: String, items: &[(String, Cell)]| {
        Block::Chart(Chart::Bars {
            id,
            title,
            labels: items.iter().map(|(l, _)| l.clone()).collect(),
            values: items.iter().map(|(_, c)| *c).collect(),
        })
    };
    let table = |id, caption: String, head: String, items: Vec<(String, Cell)>| {
        Block::Table(Table {
            id,
            caption,
            head: vec![head, w.msg("report_count")],
            rows: items.into_iter().map(|(l, c)| (l, vec![c])).collect(),
        })
    };
    Some(Section {
        id: "followup",
        title: w.msg("report_followup_title"),
        reading,
        blocks: vec![
            bars("followup_status", w.msg("report_followup_chart"), &status),
            table(
                "followup_status",
                w.msg("report_followup_chart"),
                w.msg("report_followup_title"),
                status,
            ),
            bars(
                "followup_helped",
                w.msg("report_followup_helped_chart"),
                &helped_bars,
            ),
            table(
                "followup_helped",
                w.msg("report_followup_helped_chart"),
                w.msg("report_followup_helped_chart"),
                helped,
            ),
            bars("followup_used", w.msg("report_followup_used_chart"), &used),
            table(
                "followup_used",
                w.msg("report_followup_used_chart"),
                w.msg("report_followup_used_chart"),
                used,
            ),
            table(
                "followup_more",
                w.msg("report_followup_more"),
                w.msg("report_followup_more"),
                more,
            ),
        ],
    })
}
