//! Indexes over the conversations, so the hand-off queue, the reminder pass
//! and the retention sweep read what they need instead of decrypting every
//! stored conversation.
//!
//! One tree, `index`, ids and times only (no personal data, nothing sealed):
//! * `H` conversation id -> (): the conversation is in a hand-off
//!   ([`Status::Handoff`]): the queue, reminders and queue positions read
//!   these (O(hand-offs), not O(stored)).
//! * `A` conversation id -> last activity (unix seconds, i64 BE).
//! * `B` last activity (i64 BE), conversation id -> (): ordered by time, so
//!   the retention sweep reads only the conversations that are due.
//! * `S` start time ([`time_key`]), conversation id -> (): the export's order
//!   (oldest started first), read without opening a record.
//! * `L` conversation id -> [`Digest`]: its start time, the time of its last
//!   transcript line and how many of its lines are internal notes, so an
//!   export without transcripts reads no transcript line of a conversation
//!   without notes.
//!
//! Written in the transaction of the turn (or transcript line) that changes
//! them, removed by the erasure. A database from before the index (or from
//! before its `S` and `L` keys) is indexed once at open (meta `index_version`).

use super::{tx_err, Store, StoreError, Tx};
use crate::app::store::{Entry, Role};
use crate::app::summary::last_activity;
use crate::domain::conversation::{Conversation, Status};
use chrono::{DateTime, Utc};
use sled::transaction::TransactionalTree;

/// Bumped when the index layout changes; a database below it is re-indexed.
/// 2: the `S` and `L` keys.
const INDEX_VERSION: &[u8] = b"2";

fn handoff_key(id: &str) -> Vec<u8> {
    [b"H", id.as_bytes()].concat()
}

fn activity_key(id: &str) -> Vec<u8> {
    [b"A", id.as_bytes()].concat()
}

fn by_time_key(at: i64, id: &str) -> Vec<u8> {
    [&b"B"[..], &at.to_be_bytes(), id.as_bytes()].concat()
}

/// A time as 12 bytes that sort as the times do: seconds with the sign bit
/// flipped (u64 BE), then nanoseconds (u32 BE); exact, sub-seconds included.
pub(super) fn time_key(t: DateTime<Utc>) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&((t.timestamp() as u64) ^ (1 << 63)).to_be_bytes());
    k[8..].copy_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
    k
}

/// The time [`time_key`] wrote.
fn key_time(k: &[u8]) -> Option<DateTime<Utc>> {
    let secs = <[u8; 8]>::try_from(k.get(..8)?).ok()?;
    let nanos = <[u8; 4]>::try_from(k.get(8..12)?).ok()?;
    let secs = (u64::from_be_bytes(secs) ^ (1 << 63)) as i64;
    DateTime::from_timestamp(secs, u32::from_be_bytes(nanos))
}

fn started_key(started: DateTime<Utc>, id: &str) -> Vec<u8> {
    [&b"S"[..], &time_key(started), id.as_bytes()].concat()
}

fn digest_key(id: &str) -> Vec<u8> {
    [b"L", id.as_bytes()].concat()
}

/// What the index knows of a conversation's transcript, beside its start
/// time (the `L` keys): ids, times and a count only, nothing sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub started: DateTime<Utc>,
    /// The latest time of any of its transcript lines (notes too).
    pub last_line: Option<DateTime<Utc>>,
    /// How many of its lines are internal notes ([`Role::Note`]);
    /// `u32::MAX` when not known (its transcript could not be read when
    /// it was indexed).
    pub notes: u32,
}

impl Digest {
    /// 12 bytes start, 1 byte whether a last line follows, 12 bytes its
    /// time, 4 bytes the notes (u32 BE).
    fn encode(&self) -> [u8; 29] {
        let mut v = [0u8; 29];
        v[..12].copy_from_slice(&time_key(self.started));
        if let Some(t) = self.last_line {
            v[12] = 1;
            v[13..25].copy_from_slice(&time_key(t));
        }
        v[25..].copy_from_slice(&self.notes.to_be_bytes());
        v
    }

    fn decode(v: &[u8]) -> Option<Digest> {
        if v.len() != 29 {
            return None;
        }
        let last_line = match v[12] {
            0 => None,
            1 => Some(key_time(&v[13..25])?),
            _ => return None,
        };
        Some(Digest {
            started: key_time(&v[..12])?,
            last_line,
            notes: u32::from_be_bytes(<[u8; 4]>::try_from(&v[25..]).ok()?),
        })
    }

    /// What `lines` add to it.
    fn add(mut self, lines: &NewLines) -> Digest {
        self.last_line = self.last_line.max(lines.last);
        self.notes = self.notes.saturating_add(lines.notes);
        self
    }
}

/// What a batch of new transcript lines changes in a [`Digest`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct NewLines {
    last: Option<DateTime<Utc>>,
    notes: u32,
}

impl NewLines {
    pub(super) fn of(lines: &[Entry]) -> NewLines {
        NewLines {
            last: lines.iter().map(|e| e.at).max(),
            notes: lines.iter().filter(|e| e.role == Role::Note).count() as u32,
        }
    }
}

/// Adds `lines` to the digest of `id` (transcript lines appended outside a
/// turn). A conversation without a digest keeps none: the export then reads
/// its transcript instead.
pub(super) fn add_lines(index: &TransactionalTree, id: &str, lines: &NewLines) -> Tx {
    let k = digest_key(id);
    if let Some(d) = index.get(&k)?.and_then(|v| Digest::decode(&v)) {
        index.insert(k, &d.add(lines).encode()[..])?;
    }
    Ok(())
}

/// What a turn writes into the index (computed before its transaction).
pub(super) struct IndexUpdate {
    id: String,
    handoff: bool,
    at: i64,
    started: DateTime<Utc>,
    lines: NewLines,
}

impl IndexUpdate {
    /// For a committed conversation state; `lines` are the turn's new
    /// transcript lines (their times count as activity).
    pub(super) fn of(conv: &Conversation, lines: &[Entry]) -> IndexUpdate {
        IndexUpdate {
            id: conv.id.clone(),
            handoff: conv.status == Status::Handoff,
            at: last_activity(conv, lines).timestamp(),
            started: conv.started_at,
            lines: NewLines::of(lines),
        }
    }

    /// Applies it inside a transaction on the `index` tree.
    pub(super) fn apply(&self, index: &TransactionalTree) -> Tx {
        if self.handoff {
            index.insert(handoff_key(&self.id), &[][..])?;
        } else {
            index.remove(handoff_key(&self.id))?;
        }
        let k = digest_key(&self.id);
        let old = index.get(&k)?.and_then(|v| Digest::decode(&v));
        let base = match old {
            Some(d) if d.started == self.started => d,
            Some(d) => {
                index.remove(started_key(d.started, &self.id))?;
                Digest {
                    started: self.started,
                    ..d
                }
            }
            None => Digest {
                started: self.started,
                last_line: None,
                notes: 0,
            },
        };
        index.insert(started_key(self.started, &self.id), &[][..])?;
        index.insert(k, &base.add(&self.lines).encode()[..])?;
        touch(index, &self.id, self.at)
    }
}

/// Moves a conversation's activity forward to `at` (never back).
pub(super) fn touch(index: &TransactionalTree, id: &str, at: i64) -> Tx {
    let old = index.get(activity_key(id))?.and_then(|v| be_i64(&v));
    if old.is_some_and(|o| o >= at) {
        return Ok(());
    }
    if let Some(o) = old {
        index.remove(by_time_key(o, id))?;
    }
    index.insert(activity_key(id), &at.to_be_bytes()[..])?;
    index.insert(by_time_key(at, id), &[][..])?;
    Ok(())
}

/// Removes a conversation from the index (inside the erasure's transaction).
pub(super) fn forget(index: &TransactionalTree, id: &str) -> Tx {
    index.remove(handoff_key(id))?;
    if let Some(d) = index
        .remove(digest_key(id))?
        .and_then(|v| Digest::decode(&v))
    {
        index.remove(started_key(d.started, id))?;
    }
    if let Some(o) = index.remove(activity_key(id))?.and_then(|v| be_i64(&v)) {
        index.remove(by_time_key(o, id))?;
    }
    Ok(())
}

fn be_i64(v: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(v).ok().map(i64::from_be_bytes)
}

impl Store {
    /// The conversations in a hand-off (waiting or claimed), read through
    /// the index: what the queue, the reminder pass and a queue position need.
    pub fn handoff_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        let mut out = Vec::new();
        for k in self.index.scan_prefix(b"H").keys() {
            let k = k?;
            let id = String::from_utf8_lossy(&k[1..]).into_owned();
            match self.conversation(&id) {
                Ok(Some(c)) if c.status == Status::Handoff => out.push(c),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(conversation = %id, error = %e, "a hand-off cannot be read");
                }
            }
        }
        Ok(out)
    }

    /// Ids of the conversations whose last activity is before `cutoff`,
    /// oldest first, read through the index (O(due)).
    pub fn inactive_since(&self, cutoff: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let end = by_time_key(cutoff.timestamp(), "");
        let mut out = Vec::new();
        for k in self.index.range(&b"B"[..]..end.as_slice()).keys() {
            let k = k?;
            self.visit(1);
            if k.len() > 9 {
                out.push(String::from_utf8_lossy(&k[9..]).into_owned());
            }
        }
        Ok(out)
    }

    /// Ids of the conversations started at or after `since` and before
    /// `until`, oldest started first (ties by id): the export's order, read
    /// from the `S` keys without opening a record.
    pub fn started_between(
        &self,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let from = match since {
            Some(t) => [&b"S"[..], &time_key(t)].concat(),
            None => b"S".to_vec(),
        };
        let to = match until {
            Some(t) => [&b"S"[..], &time_key(t)].concat(),
            None => b"T".to_vec(),
        };
        let mut out = Vec::new();
        if from >= to {
            return Ok(out);
        }
        for k in self.index.range(from..to).keys() {
            let k = k?;
            self.visit(1);
            if let Some(id) = k.get(13..) {
                out.push(String::from_utf8_lossy(id).into_owned());
            }
        }
        Ok(out)
    }

    /// What the index knows of conversation `id`'s transcript (None when
    /// it has no digest: read its transcript).
    pub fn digest(&self, id: &str) -> Result<Option<Digest>, StoreError> {
        Ok(self
            .index
            .get(digest_key(id))?
            .and_then(|v| Digest::decode(&v)))
    }

    /// Builds the index once for a database from before it (every stored
    /// conversation and its transcript is read once); later opens find
    /// `index_version` set. The `S` and `L` keys are written anew (an older
    /// version may have left some behind).
    pub(super) fn build_index(&self, meta: &sled::Tree) -> Result<(), StoreError> {
        if meta.get("index_version")?.as_deref() == Some(INDEX_VERSION) {
            return Ok(());
        }
        for p in [b"S", b"L"] {
            for k in self.index.scan_prefix(p).keys() {
                self.index.remove(k?)?;
            }
        }
        let mut n = 0usize;
        for kv in self.conversations.iter() {
            let (k, _) = kv?;
            let id = String::from_utf8_lossy(&k).into_owned();
            let Ok(Some(conv)) = self.conversation(&id) else {
                continue;
            };
            let mut u = IndexUpdate::of(&conv, &[]);
            match self.transcript(&id) {
                Ok(lines) => u = IndexUpdate::of(&conv, &lines),
                // Unknown: the export reads this transcript itself.
                Err(_) => u.lines.notes = u32::MAX,
            }
            self.index
                .transaction(|index| -> Tx { u.apply(index) })
                .map_err(tx_err)?;
            n += 1;
        }
        meta.insert("index_version", INDEX_VERSION)?;
        self.db.flush()?;
        if n > 0 {
            tracing::info!(conversations = n, "conversations indexed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::Role;
    use crate::content::text::Lang;
    use crate::domain::conversation::Handoff;
    use crate::domain::conversation::HandoffReason;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    fn conv(id: &str, user: &str, t: i64) -> Conversation {
        let mut c = Conversation::new(id, user, Lang::Nl, at(t));
        c.answers.consent = Some(true);
        c
    }

    #[test]
    fn the_index_follows_turns_lines_and_erasure_and_is_built_for_an_old_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = conv("c1", "7", 0);
        let mut b = conv("c2", "8", 100);
        b.status = Status::Handoff;
        b.handoff = Some(Handoff::new(at(100), HandoffReason::UserRequest));
        store.commit_turn(&a, &[]).unwrap();
        store.commit_turn(&b, &[]).unwrap();
        let ids = |v: Vec<Conversation>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(store.handoff_conversations().unwrap()), ["c2"]);
        assert_eq!(store.inactive_since(at(50)).unwrap(), ["c1"]);
        assert_eq!(store.inactive_since(at(101)).unwrap(), ["c1", "c2"]);
        // A later transcript line moves the activity forward, never back.
        store
            .append("c1", &[Entry::new(at(200), Role::Note, "x")])
            .unwrap();
        store
            .append("c1", &[Entry::new(at(10), Role::Note, "y")])
            .unwrap();
        assert_eq!(store.inactive_since(at(150)).unwrap(), ["c2"]);
        // The hand-off ends: off the hand-off list.
        b.status = Status::Ended;
        store.commit_turn(&b, &[]).unwrap();
        assert!(store.handoff_conversations().unwrap().is_empty());
        // A database from before the index gets it built at open.
        let meta = store.db.open_tree("meta").unwrap();
        meta.remove("index_version").unwrap();
        store.index.clear().unwrap();
        drop((meta, store));
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.inactive_since(at(150)).unwrap(), ["c2"]);
        assert_eq!(store.inactive_since(at(201)).unwrap(), ["c2", "c1"]);
        // Erasure leaves nothing in the index.
        store.forget_user("7").unwrap();
        store.erase_conversation(&b).unwrap();
        assert!(store.index.is_empty(), "{:?}", store.index.iter().count());
    }
}
