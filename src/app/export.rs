//! Exports for the network: every conversation's [`Summary`] as CSV (for
//! Excel), JSON lines or Markdown, filtered by date, region, concern and
//! status. Raw transcripts and platform user ids stay out unless asked for.
//!
//! The CLI (`llo-intake export`) and the Discord `/export` command both call
//! [`write`]; only the destination differs.

use crate::app::store::{Exporter, Found, Store, StoreError};
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
    let mut r = store.exporter(opts.transcripts);
    let mut unreadable = 0;
    let mut out = Vec::new();
    for id in store.started_between(opts.filter.since, opts.filter.until)? {
        if let Some(s) = summary_of(&mut r, opts, &id, &mut unreadable)? {
            out.push(s);
        }
    }
    warn_unreadable(unreadable);
    Ok(out)
}

/// One conversation's summary as the export shows it (None when it does
/// not match, went meanwhile or cannot be read; those are counted in
/// `unreadable`).
fn summary_of(
    r: &mut Exporter,
    opts: &Options,
    id: &str,
    unreadable: &mut usize,
) -> Result<Option<Summary>, StoreError> {
    let (c, lines) = match r.read(id)? {
        Found::Read(read) => read,
        Found::Gone => return Ok(None),
        Found::Unreadable => {
            *unreadable += 1;
            return Ok(None);
        }
    };
    if !opts.filter.matches(&c) {
        return Ok(None);
    }
    let s = Summary::load_lines(r.store(), &c, &lines, opts.transcripts)?;
    Ok(Some(if opts.user_ids {
        s
    } else {
        s.without_user_id()
    }))
}

fn warn_unreadable(n: usize) {
    if n > 0 {
        tracing::warn!(
            conversations = n,
            "conversations left out of the export: their data key is damaged"
        );
    }
}

/// Writes the export to `out`; returns how many conversations it holds.
/// `content` gives readable labels in Markdown (ids are used without it).
pub fn write(
    store: &Store,
    opts: &Options,
    content: Option<&Content>,
    out: impl Write,
) -> Result<usize, ExportError> {
    write_in_parts(|| Ok(store.clone()), opts, content, out, usize::MAX)
}

/// Conversations read per opening of the store in [`write_in_parts`] when
/// a caller wants parts.
pub const PART: usize = 10_000;

/// [`write`] over a database that `open` opens (the CLI's export, with a
/// small page cache). One opening: each conversation is one lookup (and
/// its transcript, when read, one range), so sled's page cache bounds what
/// the reading holds; at 100,000 conversations the peak is sled's own
/// opening of the database (README "Performance"). The same output as
/// [`write`].
pub fn write_at(
    open: impl Fn() -> Result<Store, StoreError>,
    opts: &Options,
    content: Option<&Content>,
    out: impl Write,
) -> Result<usize, ExportError> {
    write_in_parts(open, opts, content, out, usize::MAX)
}

/// [`write_at`] that opens the store again every `part` conversations.
///
/// The order comes from the index (the ids by start time, about 40 bytes
/// each, [`Store::started_between`]), so each conversation is read once,
/// summarised and written; of its transcript only what the summary needs
/// ([`Exporter::read`]). Markdown states the count first: it reads the
/// records once more to count the matches.
pub fn write_in_parts(
    open: impl Fn() -> Result<Store, StoreError>,
    opts: &Options,
    content: Option<&Content>,
    mut out: impl Write,
    part: usize,
) -> Result<usize, ExportError> {
    let part = part.max(1);
    let mut parts = Parts::new(open)?;
    let mut ids = parts
        .current()?
        .started_between(opts.filter.since, opts.filter.until)?;
    if opts.format == Format::Markdown {
        let mut keep = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(part) {
            let r = parts.next_part()?.exporter(false);
            for id in chunk {
                if matches!(r.conversation(id)?, Found::Read(c) if opts.filter.matches(&c)) {
                    keep.push(id.clone());
                }
            }
        }
        ids = keep;
        parts.again();
    }
    let mut written = 0;
    let mut unreadable = 0;
    let mut reader: Option<Exporter> = None;
    let each = ids.iter().enumerate().filter_map(|(i, id)| {
        if i % part == 0 {
            reader = None;
            match parts.next_part() {
                Ok(s) => reader = Some(s.exporter(opts.transcripts)),
                Err(e) => return Some(Err(e)),
            }
        }
        let r = reader.as_mut()?;
        let s = summary_of(r, opts, id, &mut unreadable).transpose();
        written += usize::from(matches!(s, Some(Ok(_))));
        s
    });
    write_each(ids.len(), each, opts, content, &mut out)?;
    drop(reader);
    warn_unreadable(unreadable);
    if opts.format == Format::Markdown {
        let store = parts.current()?;
        if let Some(p) = crate::app::peers::markdown_counts(&store, content, opts.lang)? {
            writeln!(out, "{p}")?;
            out.flush()?;
        }
    }
    Ok(written)
}

/// The store of one part at a time ([`write_in_parts`]): the one opened
/// first serves the first part; each later part closes the one before
/// (every clone of it dropped) before opening its own.
struct Parts<F> {
    open: F,
    store: Option<Store>,
    /// Whether the open store served a part already.
    used: bool,
}

impl<F: Fn() -> Result<Store, StoreError>> Parts<F> {
    fn new(open: F) -> Result<Self, StoreError> {
        let store = Some(open()?);
        Ok(Parts {
            open,
            store,
            used: false,
        })
    }

    /// The store open now.
    fn current(&mut self) -> Result<Store, StoreError> {
        match &self.store {
            Some(s) => Ok(s.clone()),
            None => self.reopen(),
        }
    }

    /// The store of the next part (the caller dropped the last part's).
    fn next_part(&mut self) -> Result<Store, StoreError> {
        match (&self.store, self.used) {
            (Some(s), false) => {
                self.used = true;
                Ok(s.clone())
            }
            _ => self.reopen(),
        }
    }

    /// The next part starts a new pass: the open store serves it.
    fn again(&mut self) {
        self.used = false;
    }

    fn reopen(&mut self) -> Result<Store, StoreError> {
        self.store = None;
        let s = (self.open)()?;
        self.store = Some(s.clone());
        Ok(s)
    }
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
