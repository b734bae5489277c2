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
//!
//! Written in the transaction of the turn (or transcript line) that changes
//! them, removed by the erasure. A database from before the index is
//! indexed once at open (meta `index_version`).

use super::{tx_err, Store, StoreError, Tx};
use crate::app::store::Entry;
use crate::app::summary::last_activity;
use crate::domain::conversation::{Conversation, Status};
use chrono::{DateTime, Utc};
use sled::transaction::TransactionalTree;

/// Bumped when the index layout changes; a database below it is re-indexed.
const INDEX_VERSION: &[u8] = b"1";

fn handoff_key(id: &str) -> Vec<u8> {
    [b"H", id.as_bytes()].concat()
}

fn activity_key(id: &str) -> Vec<u8> {
    [b"A", id.as_bytes()].concat()
}

fn by_time_key(at: i64, id: &str) -> Vec<u8> {
    [&b"B"[..], &at.to_be_bytes(), id.as_bytes()].concat()
}

/// What a turn writes into the index (computed before its transaction).
pub(super) struct IndexUpdate {
    id: String,
    handoff: bool,
    at: i64,
}

impl IndexUpdate {
    /// For a committed conversation state; `lines` are the turn's new
    /// transcript lines (their times count as activity).
    pub(super) fn of(conv: &Conversation, lines: &[Entry]) -> IndexUpdate {
        IndexUpdate {
            id: conv.id.clone(),
            handoff: conv.status == Status::Handoff,
            at: last_activity(conv, lines).timestamp(),
        }
    }

    /// Applies it inside a transaction on the `index` tree.
    pub(super) fn apply(&self, index: &TransactionalTree) -> Tx {
        if self.handoff {
            index.insert(handoff_key(&self.id), &[][..])?;
        } else {
            index.remove(handoff_key(&self.id))?;
        }
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

    /// Builds the index once for a database from before it (every stored
    /// conversation is read once); later opens find `index_version` set.
    pub(super) fn build_index(&self, meta: &sled::Tree) -> Result<(), StoreError> {
        if meta.get("index_version")?.as_deref() == Some(INDEX_VERSION) {
            return Ok(());
        }
        let mut n = 0usize;
        for kv in self.conversations.iter() {
            let (k, _) = kv?;
            let id = String::from_utf8_lossy(&k).into_owned();
            let Ok(Some(conv)) = self.conversation(&id) else {
                continue;
            };
            let lines = self.transcript(&id).unwrap_or_default();
            let u = IndexUpdate::of(&conv, &lines);
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
