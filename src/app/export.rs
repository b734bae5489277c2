//! Exports for the network: every conversation's [`Summary`] as CSV (for
//! Excel), JSON lines or Markdown, filtered by date, region, concern and
//! status. Raw transcripts and platform user ids stay out unless asked for.
//!
//! The CLI (`llo-intake export`) and the Discord `/export` command both call
//! [`write`]; only the destination differs.

use crate::app::store::{InOrder, Store, StoreError};
use crate::app::summary::{md_text, Summary, CSV_COLUMNS};
use crate::content::text::{fill, is_steering, printable, Lang};
use crate::content::Content;
use crate::domain::conversation::{Conversation, Status};
use chrono::{DateTime, NaiveDate, Utc};
use std::io::Write;

/// The UTF-8 byte order mark: tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An export problem.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the export: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the export: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    Markdown,
}

/// Which conversations go out. Empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Province ids; a conversation matches when its region is one of them.
    pub regions: Vec<String>,
    /// Concern ids; a conversation matches when it has one of them.
    pub concerns: Vec<String>,
    pub statuses: Vec<Status>,
}

impl Filter {
    pub fn matches(&self, c: &Conversation) -> bool {
        let any = |want: &[String], have: &[String]| {
            want.is_empty() || want.iter().any(|w| have.contains(w))
        };
        self.since.is_none_or(|t| c.started_at >= t)
            && self.until.is_none_or(|t| c.started_at < t)
            && any(&self.regions, c.answers.region.as_slice())
            && any(&self.concerns, &c.answers.concerns)
            && (self.statuses.is_empty() || self.statuses.contains(&c.status))
    }
}

/// How to export.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    pub filter: Filter,
    /// Include raw transcripts (without internal notes).
    pub transcripts: bool,
    /// Include platform user ids (otherwise only the pseudonym `user_ref`).
    pub user_ids: bool,
    /// CSV field delimiter (`;` for Dutch Excel).
    pub delimiter: u8,
    /// Start CSV with a UTF-8 byte order mark (Excel needs it for accents).
    pub bom: bool,
    /// Language of the Markdown headings and labels.
    pub lang: Lang,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Csv,
            filter: Filter::default(),
            transcripts: false,
            user_ids: false,
            delimiter: b';',
            bom: true,
            lang: Lang::Nl,
        }
    }
}

/// Parses a date for `--since`/`--until`: `YYYY-MM-DD` (midnight UTC) or
/// RFC 3339. With `end_of_day`, a plain date means the end of that day, so
/// `--until 2025-03-31` includes the 31st.
pub fn parse_date(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date (use YYYY-MM-DD)"))?;
    let d = if end_of_day {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    };
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The summaries an export holds, oldest conversation first.
pub fn summaries(store: &Store, opts: &Options) -> Result<Vec<Summary>, StoreError> {
    let mut out = Vec::new();
    for id in selected(store, opts)? {
        if let Some(s) = summary_of(store, opts, &id)? {
            out.push(s);
        }
    }
    Ok(out)
}

/// Ids of the conversations an export holds, oldest first: one pass that
/// keeps only the start time and id of each match (about 40 bytes), so an
/// export of 100,000 conversations does not hold them all.
fn selected(store: &Store, opts: &Options) -> Result<Vec<String>, StoreError> {
    let mut keys = Vec::new();
    store.each_conversation(|c| {
        if opts.filter.matches(&c) {
            keys.push((c.started_at, c.id));
        }
        Ok(())
    })?;
    keys.sort();
    Ok(keys.into_iter().map(|(_, id)| id).collect())
}

/// One conversation's summary as the export shows it (None when it went
/// meanwhile).
fn summary_of(store: &Store, opts: &Options, id: &str) -> Result<Option<Summary>, StoreError> {
    let Some(c) = store.conversation(id)? else {
        return Ok(None);
    };
    let s = Summary::load(store, &c, opts.transcripts)?;
    Ok(Some(if opts.user_ids {
        s
    } else {
        s.without_user_id()
    }))
}

/// Writes the export to `out`; returns how many conversations it holds.
/// `content` gives readable labels in Markdown (ids are used without it).
pub fn write(
    store: &Store,
    opts: &Options,
    content: Option<&Content>,
    mut out: impl Write,
) -> Result<usize, ExportError> {
    // Streams: the ids first, then one summary at a time.
    let ids = selected(store, opts)?;
    let each = ids
        .iter()
        .filter_map(|id| summary_of(store, opts, id).transpose());
    write_each(ids.len(), each, opts, content, &mut out)?;
    if opts.format == Format::Markdown {
        // Peer introductions as counts, never who (see app::peers).
        if let Some(p) = crate::app::peers::markdown_counts(store, content, opts.lang)? {
            writeln!(out, "{p}")?;
            out.flush()?;
        }
    }
    Ok(ids.len())
}

/// Conversations read per opening of the store in [`write_at`].
pub const PART: usize = 10_000;

/// [`write`] over a database that `open` opens, and opens again every
/// [`PART`] conversations (the CLI's export). sled keeps in memory most of
/// what one opening read, whatever its cache size (see
/// `app::report::tally_at`), so an export of 100,000 conversations reads them
/// in parts: the ids first (each part's matches, about 40 bytes each), then
/// the summaries in order, one at a time. The same output as [`write`].
pub fn write_at(
    open: impl Fn() -> Result<Store, StoreError>,
    opts: &Options,
    content: Option<&Content>,
    out: impl Write,
) -> Result<usize, ExportError> {
    write_in_parts(open, opts, content, out, PART)
}

/// [`write_at`] with parts of `part` conversations.
pub fn write_in_parts(
    open: impl Fn() -> Result<Store, StoreError>,
    opts: &Options,
    content: Option<&Content>,
    mut out: impl Write,
    part: usize,
) -> Result<usize, ExportError> {
    let part = part.max(1);
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let store = open()?;
        let read = store.each_conversation_in(after.as_deref(), part, |c| {
            if opts.filter.matches(&c) {
                keys.push((c.started_at, c.id));
            }
            Ok(())
        })?;
        if !read.more {
            break;
        }
        after = read.last;
    }
    keys.sort();
    let ids: Vec<String> = keys.into_iter().map(|(_, id)| id).collect();
    // One part at a time: its store opened, its summaries read in id order
    // (two long range reads; ids usually start in the order they were
    // made), that store closed before the next part's opens.
    let mut reader: Option<InOrder> = None;
    let each = ids.iter().enumerate().filter_map(|(i, id)| {
        if i % part == 0 {
            reader = None;
            let first = ids[i..(i + part).min(ids.len())].iter().min()?;
            match open() {
                Ok(s) => reader = Some(s.in_order(first)),
                Err(e) => return Some(Err(e)),
            }
        }
        let r = reader.as_mut()?;
        let read = match r.read(id) {
            Ok(read) => read?,
            Err(e) => return Some(Err(e)),
        };
        let (c, lines) = read;
        Some(
            Summary::load_with(r.store(), &c, &lines, opts.transcripts).map(|s| {
                if opts.user_ids {
                    s
                } else {
                    s.without_user_id()
                }
            }),
        )
    });
    write_each(ids.len(), each, opts, content, &mut out)?;
    // The last part's store closes before the next opening.
    drop(reader);
    if opts.format == Format::Markdown {
        let store = open()?;
        if let Some(p) = crate::app::peers::markdown_counts(&store, content, opts.lang)? {
            writeln!(out, "{p}")?;
            out.flush()?;
        }
    }
    Ok(ids.len())
}

/// Writes already loaded summaries (what [`write`] does after loading);
/// `/export` uses it to split a large export into parts that each open on
/// their own (every CSV part has the byte order mark and the header).
pub fn write_summaries(
    all: &[Summary],
    opts: &Options,
    content: Option<&Content>,
    out: impl Write,
) -> Result<(), ExportError> {
    write_each(all.len(), all.iter().cloned().map(Ok), opts, content, out)
}

/// Writes `count` summaries as they come, holding one at a time.
fn write_each(
    count: usize,
    all: impl Iterator<Item = Result<Summary, StoreError>>,
    opts: &Options,
    content: Option<&Content>,
    mut out: impl Write,
) -> Result<(), ExportError> {
    match opts.format {
        Format::Csv => {
            if opts.bom {
                out.write_all(BOM)?;
            }
            let mut w = csv::WriterBuilder::new()
                .delimiter(opts.delimiter)
                .from_writer(&mut out);
            w.write_record(CSV_COLUMNS)?;
            for s in all {
                let s = s?;
                w.write_record(
                    s.csv_row()
                        .iter()
                        .map(|c| defuse(&printable(c)).into_owned()),
                )?;
            }
            w.flush()?;
        }
        Format::Jsonl => {
            for s in all {
                write_json_line(&mut out, &s?)?;
            }
        }
        Format::Markdown => {
            // Headings come from the content; without it, the shipped one.
            let shipped;
            let content = match content {
                Some(c) => Some(c),
                None => {
                    shipped = Content::load_default().ok();
                    shipped.as_ref()
                }
            };
            let m = |key: &str| md_text(content, key, opts.lang);
            let count = count.to_string();
            writeln!(
                out,
                "# {}\n\n{}\n",
                m("md_title"),
                fill(&m("md_intro"), &[("count", &count)])
            )?;
            for s in all {
                writeln!(out, "{}", s?.markdown(content, opts.lang))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes `value` as one line of JSON in which every steering character
/// (ESC, C1 controls, bidi overrides, ...; see [`is_steering`]) is a `\uXXXX`
/// escape: the same data for a program, nothing raw for a terminal.
pub fn write_json_line<T: serde::Serialize + ?Sized>(
    mut out: impl Write,
    value: &T,
) -> Result<(), ExportError> {
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Inert);
    value.serialize(&mut ser)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// serde_json's compact output, with steering characters escaped too
/// (serde_json escapes only C0 controls, quotes and backslashes).
struct Inert;

impl serde_json::ser::Formatter for Inert {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_steering(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Neutralises spreadsheet formulas: a cell starting with `=`, `+`, `-`, `@`
/// or a control character is what Excel would run, and free text comes from
/// users. A leading `'` makes Excel show it as text.
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_formulas() {
        let until = parse_date("2025-03-31", true).unwrap();
        assert_eq!(until.to_rfc3339(), "2025-04-01T00:00:00+00:00");
        assert!(parse_date("31-03-2025", false).is_err());
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("gewoon"), "gewoon");
    }
}
