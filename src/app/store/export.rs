//! What the export reads of each conversation, in the export's order (the
//! index's `S` keys, [`Store::started_between`]): the record by its id, and
//! of its transcript only what the summary needs. Without transcripts, a
//! conversation whose index digest shows no internal notes has no line
//! read at all: the digest gives the time of its last line. The lines that
//! are read come from one long range read while the ids ascend, instead of
//! a prefix scan per conversation (each of which makes sled copy a page).

use super::{from_json, prefix, Entry, Store, StoreError, T_CONVERSATIONS, T_TRANSCRIPT};
use crate::app::crypto::KeyError;
use crate::domain::conversation::Conversation;
use chrono::{DateTime, Utc};

/// Lines skipped (other conversations') before a reader seeks instead.
const SKIP: usize = 64;

/// One conversation as an [`Exporter`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<T> {
    /// Not stored (erased meanwhile), or its user was forgotten.
    Gone,
    /// Its record does not open (a damaged data key) or does not decode:
    /// left out, as [`Store::each_conversation`] leaves it out.
    Unreadable,
    /// Read.
    Read(T),
}

/// What was read of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lines {
    /// Every line, as [`Store::transcript`] gives them.
    All(Vec<Entry>),
    /// No line was read: it has no internal notes, and this is the time of
    /// its last line (None: it has none).
    LastAt(Option<DateTime<Utc>>),
}

/// Reads conversations for an export (see [`Store::exporter`]).
pub struct Exporter {
    store: Store,
    transcripts: bool,
    lines: Option<std::iter::Peekable<sled::Iter>>,
    last: Option<Vec<u8>>,
}

impl Store {
    /// A reader of conversations for an export; with `transcripts`, every
    /// transcript is read.
    pub fn exporter(&self, transcripts: bool) -> Exporter {
        Exporter {
            store: self.clone(),
            transcripts,
            lines: None,
            last: None,
        }
    }
}

impl Exporter {
    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Conversation `id` (its record only).
    pub fn conversation(&self, id: &str) -> Result<Found<Conversation>, StoreError> {
        let s = &self.store;
        s.visit(1);
        let Some(v) = s.conversations.get(id.as_bytes())? else {
            return Ok(Found::Gone);
        };
        let plain = match s.keys.open(&[T_CONVERSATIONS, id.as_bytes()], &v) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(Found::Gone),
            Err(e) => match StoreError::from(e) {
                StoreError::Key(KeyError::Damaged(_)) | StoreError::Decode(_) => {
                    return Ok(Found::Unreadable)
                }
                e => return Err(e),
            },
        };
        Ok(match from_json::<Conversation>(&plain) {
            Ok(c) => Found::Read(c),
            Err(_) => Found::Unreadable,
        })
    }

    /// Conversation `id` with its transcript, or (no transcripts asked for,
    /// and no notes in it) the time of its last line. Any order of ids is
    /// right; ascending ones are read fastest.
    pub fn read(&mut self, id: &str) -> Result<Found<(Conversation, Lines)>, StoreError> {
        let conv = match self.conversation(id)? {
            Found::Read(c) => c,
            Found::Gone => return Ok(Found::Gone),
            Found::Unreadable => return Ok(Found::Unreadable),
        };
        if !self.transcripts {
            if let Some(d) = self.store.digest(id)? {
                if d.notes == 0 {
                    return Ok(Found::Read((conv, Lines::LastAt(d.last_line))));
                }
            }
        }
        let lines = self.transcript(id)?;
        Ok(Found::Read((conv, Lines::All(lines))))
    }

    /// What [`Store::transcript`] gives, read on from the previous
    /// conversation's lines when the ids ascend.
    fn transcript(&mut self, id: &str) -> Result<Vec<Entry>, StoreError> {
        let s = &self.store;
        let p = prefix(id);
        if self.last.as_ref().is_none_or(|l| *l >= p) {
            self.lines = None;
        }
        self.last = Some(p.clone());
        let mut skipped = 0;
        let mut out = Vec::new();
        loop {
            let lines = self
                .lines
                .get_or_insert_with(|| s.transcript.range(p.clone()..).peekable());
            let Some(kv) = lines.peek() else { break };
            let k = match kv {
                Ok((k, _)) => k,
                Err(_) => {
                    let e = lines.next().and_then(Result::err);
                    self.lines = None;
                    return Err(e.map(StoreError::from).unwrap_or_else(|| {
                        StoreError::Decode("the transcript could not be read".into())
                    }));
                }
            };
            if k.as_ref() < p.as_slice() {
                skipped += 1;
                if skipped > SKIP {
                    // Far behind: seek instead of reading past the rest.
                    self.lines = None;
                    skipped = 0;
                } else {
                    lines.next();
                }
                continue;
            }
            if !k.starts_with(&p) {
                break;
            }
            if let Some(Ok((k, v))) = lines.next() {
                s.visit(1);
                if let Some(e) = s.open_json(T_TRANSCRIPT, &k, &v)? {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::Role;
    use crate::content::text::Lang;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    #[test]
    fn reading_for_the_export_gives_what_the_lookups_give() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for (id, user, n) in [
            ("c1", "7", 2),
            ("c10", "8", 0),
            ("c2", "9", 3),
            ("c3", "7", 1),
        ] {
            let mut c = Conversation::new(id, user, Lang::Nl, at(0));
            c.answers.consent = Some(true);
            let lines: Vec<Entry> = (0..n)
                .map(|i| Entry::new(at(i), Role::User, format!("{id} {i}")))
                .collect();
            store.commit_turn(&c, &lines).unwrap();
        }
        store
            .append("c3", &[Entry::new(at(-5), Role::Note, "notitie")])
            .unwrap();
        store.forget_user("9").unwrap();
        let full = |id: &str| match store.conversation(id).unwrap() {
            Some(c) => Found::Read((c, Lines::All(store.transcript(id).unwrap()))),
            None => Found::Gone,
        };
        let mut r = store.exporter(true);
        for id in ["c1", "c10", "c2", "c3", "c4", "c1", "c3"] {
            assert_eq!(r.read(id).unwrap(), full(id), "{id}");
        }
        // Without transcripts: the last line's time instead of the lines,
        // except where there are notes.
        let mut r = store.exporter(false);
        let last = |id: &str, t: Option<i64>| match store.conversation(id).unwrap() {
            Some(c) => Found::Read((c, Lines::LastAt(t.map(at)))),
            None => Found::Gone,
        };
        assert_eq!(r.read("c1").unwrap(), last("c1", Some(1)));
        assert_eq!(r.read("c10").unwrap(), last("c10", None));
        assert_eq!(r.read("c3").unwrap(), full("c3"), "a note: read in full");
        assert_eq!(r.read("c2").unwrap(), Found::Gone);
    }

    /// The export as it was made before the index digest: every
    /// conversation with its whole transcript, sorted by start.
    fn the_old_way(store: &Store, opts: &crate::app::export::Options) -> Vec<u8> {
        use crate::app::summary::Summary;
        let mut convs: Vec<Conversation> = store
            .conversations()
            .unwrap()
            .into_iter()
            .filter(|c| opts.filter.matches(c))
            .collect();
        convs.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
        let all: Vec<Summary> = convs
            .iter()
            .map(|c| {
                Summary::load(store, c, opts.transcripts)
                    .unwrap()
                    .without_user_id()
            })
            .collect();
        let mut out = Vec::new();
        crate::app::export::write_summaries(&all, opts, None, &mut out).unwrap();
        if opts.format == crate::app::export::Format::Markdown {
            if let Some(p) = crate::app::peers::markdown_counts(store, None, opts.lang).unwrap() {
                out.extend_from_slice(format!("{p}\n").as_bytes());
            }
        }
        out
    }

    fn every_export(store: &Store, why: &str) {
        use crate::app::export::{write, Format, Options};
        for format in [Format::Csv, Format::Jsonl, Format::Markdown] {
            for transcripts in [false, true] {
                let opts = Options {
                    format,
                    transcripts,
                    ..Options::default()
                };
                let mut got = Vec::new();
                write(store, &opts, None, &mut got).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&the_old_way(store, &opts)),
                    "{why}: {format:?}, transcripts {transcripts}"
                );
            }
        }
    }

    #[test]
    fn the_export_through_the_digest_is_the_export_of_the_whole_transcripts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Sub-second times; a start that sorts before the ids' order; a
        // line later than every turn; notes with and without an author.
        let t = |s: i64, n: u32| DateTime::from_timestamp(1_750_000_000 + s, n).unwrap();
        for (i, id) in ["c9", "c10", "c2", "c30"].iter().enumerate() {
            let mut c = Conversation::new(id, &format!("u{i}"), Lang::Nl, t(100 - i as i64, 7));
            c.answers.consent = Some(true);
            c.updated_at = t(200, 1);
            let lines = [
                Entry::new(t(150, 5), Role::User, format!("{id} hoi")),
                Entry::new(t(151, 9), Role::Bot, "welkom"),
            ];
            store.commit_turn(&c, &lines).unwrap();
        }
        store
            .append(
                "c10",
                &[Entry::new(t(900, 123_456_789), Role::Coach, "later")],
            )
            .unwrap();
        let mut note = Entry::new(t(300, 3), Role::Note, "belt liever");
        note.author = Some("coach-1".into());
        store.append("c2", &[note]).unwrap();
        assert_eq!(store.digest("c2").unwrap().map(|d| d.notes), Some(1));
        assert_eq!(
            store.digest("c10").unwrap().and_then(|d| d.last_line),
            Some(t(900, 123_456_789))
        );
        every_export(&store, "as written");
        // A note appended to a conversation that had none, and an earlier line.
        store
            .append("c9", &[Entry::new(t(1000, 1), Role::Note, "nog een")])
            .unwrap();
        store
            .append("c30", &[Entry::new(t(1, 0), Role::Coach, "eerder")])
            .unwrap();
        every_export(&store, "after a note");
        assert!(the_old_way(&store, &Default::default())
            .windows(7)
            .any(|w| w == b"nog een"));
        // A database from before the digest (index version 1, no S and L
        // keys) gets it at open, with the same export.
        let want: Vec<u8> = the_old_way(&store, &Default::default());
        let meta = store.db.open_tree("meta").unwrap();
        meta.insert("index_version", "1").unwrap();
        for p in [b"S", b"L"] {
            for k in store.index.scan_prefix(p).keys() {
                store.index.remove(k.unwrap()).unwrap();
            }
        }
        assert!(store.started_between(None, None).unwrap().is_empty());
        drop((meta, store));
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.started_between(None, None).unwrap().len(), 4);
        every_export(&store, "after the re-index");
        let mut got = Vec::new();
        crate::app::export::write(&store, &Default::default(), None, &mut got).unwrap();
        assert_eq!(got, want);
        // Erasure takes the digest and the start key with it.
        store.forget_user("u2").unwrap();
        assert_eq!(store.digest("c2").unwrap(), None);
        assert_eq!(store.started_between(None, None).unwrap().len(), 3);
        every_export(&store, "after an erasure");
    }
}
