//! Sweeps that cost what is due, not what is stored: the retention sweep
//! ([`crate::app::privacy::purge`]) runs daily over a database of 100,000
//! conversations, and every start sweeps too, so both read only what an
//! erasure cut short, the data keys made since they last looked, and the
//! dedupe records that expired.
//!
//! Where an orphan can come from, and what finds it (at every start and by
//! every retention sweep, [`Store::sweep_journal`]):
//! * A forget cut short (after its key was destroyed, before its records
//!   went): `journal` holds `F` user ref, written and flushed before the key
//!   is destroyed, removed once everything went. The sweep finishes the
//!   forget.
//! * An erasure of a person's last conversation cut short (records gone,
//!   key and feature records not yet): `journal` holds `E` user ref, written
//!   in the erasure's own transaction, removed once the key went. The sweep
//!   destroys the key.
//! * A key made for a turn that never committed (a kill in between, a full
//!   disk): every new key is noted in `keys/new/` before it is written
//!   ([`crate::app::crypto::NEW_DIR`]); the sweep checks each noted key,
//!   destroys those that protect nothing, and removes the notes.
//! * Anything else (a database from before the journal, records restored
//!   from an old copy): the full sweep ([`Store::sweep_orphans`], with
//!   [`Store::sweep_orphan_keys`]), run once on the first start with this
//!   journal (meta `sweep_version`) and on request.
//!
//! The journal holds user refs (keyed hashes, as `by_user` does) and nothing
//! else. Dedupe records get a second, expiry-ordered key in `seen`
//! (`E` expiry (i64 BE), event ref), so expired ones are found by a range.

use super::{Sighting, Store, StoreError, Tx};
use crate::app::crypto::UserRef;
use chrono::{DateTime, Utc};
use sled::transaction::TransactionalTree;
use std::sync::atomic::Ordering;

/// The journal's tree name.
pub(super) const T_JOURNAL: &str = "journal";

/// Bumped when what the journal covers changes: a database below it gets one
/// full sweep at open.
/// 2: keys made are noted in `keys/new/` (the start sweep no longer lists every key).
const SWEEP_VERSION: &[u8] = b"2";

fn forget_key(r: &UserRef) -> Vec<u8> {
    [&b"F"[..], r].concat()
}

pub(super) fn erased_key(r: &UserRef) -> Vec<u8> {
    [&b"E"[..], r].concat()
}

/// The expiry-ordered key of a dedupe record (41 bytes; event refs are 32).
fn expiry_key(expiry: &[u8; 8], event: &[u8]) -> Vec<u8> {
    [&b"E"[..], expiry, event].concat()
}

const EXPIRY_KEY_LEN: usize = 1 + 8 + 32;

impl Sighting {
    /// Records the event inside a transaction on `seen`: its record and its
    /// expiry-ordered key.
    pub(super) fn record(&self, seen: &TransactionalTree) -> Tx {
        seen.insert(&self.key[..], &self.expiry[..])?;
        seen.insert(expiry_key(&self.expiry, &self.key), &[][..])?;
        Ok(())
    }

    /// [`Sighting::record`] outside a transaction (one atomic batch).
    pub(super) fn record_now(&self, seen: &sled::Tree) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        b.insert(&self.key[..], &self.expiry[..]);
        b.insert(expiry_key(&self.expiry, &self.key), &[][..]);
        seen.apply_batch(b)?;
        Ok(())
    }
}

impl Store {
    /// Counts `n` records read by a scan or sweep (see [`Store::records_read`]).
    pub(super) fn visit(&self, n: u64) {
        self.reads.fetch_add(n, Ordering::Relaxed);
    }

    /// How many records this handle's scans and sweeps have read so far
    /// (conversation and transcript records, index, link, journal and dedupe
    /// entries, key files): lets a test check what a pass costs without
    /// timing it.
    #[doc(hidden)]
    pub fn records_read(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Journals a forget before its key is destroyed (flushed).
    pub(super) fn journal_forget(&self, r: &UserRef) -> Result<(), StoreError> {
        self.journal.insert(forget_key(r), &[][..])?;
        self.db.flush()?;
        Ok(())
    }

    /// The erasure of `r` is complete: their journal entries go. Not
    /// flushed: a lost removal only makes the next sweep check `r` again.
    pub(super) fn journal_done(&self, r: &UserRef) -> Result<(), StoreError> {
        self.journal.remove(forget_key(r))?;
        self.journal.remove(erased_key(r))?;
        Ok(())
    }

    /// What every retention sweep sweeps: erasures the journal says were cut
    /// short, keys this process made that protect nothing, expired dedupe
    /// records. Costs what is due (see the module notes). Returns how many
    /// conversations of forgotten users went, and how many dedupe records.
    pub fn sweep_due(&self, now: DateTime<Utc>) -> Result<(usize, usize), StoreError> {
        let orphans = self.sweep_journal()?;
        let seen = self.sweep_seen(now)?;
        Ok((orphans, seen))
    }

    /// Finishes the erasures the journal says were cut short (at every start
    /// and by every retention sweep). Returns how many conversations went.
    pub(super) fn sweep_journal(&self) -> Result<usize, StoreError> {
        let mut orphans = 0;
        let begun: Vec<sled::IVec> = self.journal.iter().keys().collect::<Result<_, _>>()?;
        self.visit(begun.len() as u64);
        for k in begun {
            let Ok(r) = UserRef::try_from(&k[1..]) else {
                self.journal.remove(k)?;
                continue;
            };
            match k.first() {
                Some(b'F') => orphans += self.finish_forget(&r)?,
                _ => self.finish_erasure(&r)?,
            }
        }
        if orphans > 0 {
            tracing::info!(
                conversations = orphans,
                "finished an erasure that was cut short"
            );
        }
        let made = self.keys.made()?;
        self.visit(made.len() as u64);
        for r in made {
            self.finish_erasure(&r)?;
            self.keys.made_checked(&r)?;
        }
        self.db.flush()?;
        Ok(orphans)
    }

    /// Completes a forget of the person `r` whose key may be gone already:
    /// what [`Store::forget_user`] does after reading the cards. Returns how
    /// many conversations went.
    fn finish_forget(&self, r: &UserRef) -> Result<usize, StoreError> {
        let _guard = self.exclusive();
        self.forget_features(r)?;
        self.keys.destroy(r)?;
        let ids = self.ids_of(r)?;
        self.visit(ids.len() as u64);
        for id in &ids {
            self.erase(id, r, &[])?;
        }
        self.active.remove(r)?;
        for k in self.person_links(r)? {
            self.links.remove(k)?;
        }
        self.db.flush()?;
        self.journal_done(r)?;
        Ok(ids.len())
    }

    /// When the person `r` has no conversation (left), what is theirs besides
    /// goes: feature records, links, their data key. Idempotent.
    fn finish_erasure(&self, r: &UserRef) -> Result<(), StoreError> {
        let _guard = self.exclusive();
        self.visit(1);
        if self.by_user.scan_prefix(r).next().is_none() {
            self.forget_features(r)?;
            for k in self.person_links(r)? {
                self.links.remove(k)?;
            }
            self.active.remove(r)?;
            self.db.flush()?;
            self.keys.destroy(r)?;
        }
        self.journal.remove(erased_key(r))?;
        Ok(())
    }

    /// Drops expired dedupe records, read through their expiry-ordered keys
    /// (O(expired)). Returns how many went.
    pub fn sweep_seen(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let end = expiry_key(&now.timestamp().to_be_bytes(), &[]);
        let mut n = 0;
        for k in self.seen.range(&b"E"[..]..end.as_slice()).keys() {
            let k = k?;
            self.visit(1);
            if k.len() != EXPIRY_KEY_LEN {
                continue;
            }
            let event = &k[9..];
            let until = self
                .seen
                .get(event)?
                .as_deref()
                .and_then(|v| <[u8; 8]>::try_from(v).ok())
                .map(i64::from_be_bytes);
            // Seen again since (a later expiry): that one keeps it.
            if until.is_some_and(|t| t < now.timestamp()) {
                self.seen.remove(event)?;
                n += 1;
            }
            self.seen.remove(k)?;
        }
        Ok(n)
    }

    /// Once for a database from before the journal: the full sweep, and an
    /// expiry-ordered key for each dedupe record.
    pub(super) fn sweep_upgrade(&self, meta: &sled::Tree) -> Result<(), StoreError> {
        if meta.get("sweep_version")?.as_deref() == Some(SWEEP_VERSION) {
            return Ok(());
        }
        let mut b = sled::Batch::default();
        for kv in self.seen.iter() {
            let (k, v) = kv?;
            if let (32, Ok(expiry)) = (k.len(), <[u8; 8]>::try_from(v.as_ref())) {
                b.insert(expiry_key(&expiry, &k), &[][..]);
            }
        }
        self.seen.apply_batch(b)?;
        let swept = self.sweep_orphans()?;
        if swept > 0 {
            tracing::info!(
                conversations = swept,
                "removed records of forgotten users left by an interrupted erasure"
            );
        }
        meta.insert("sweep_version", SWEEP_VERSION)?;
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::{Entry, Role};
    use crate::content::text::Lang;
    use crate::domain::conversation::Conversation;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    fn stored(store: &Store, id: &str, user: &str) -> Conversation {
        let mut c = Conversation::new(id, user, Lang::Nl, at(0));
        c.answers.consent = Some(true);
        store
            .commit_turn(&c, &[Entry::new(at(0), Role::User, "geheim")])
            .unwrap();
        c
    }

    fn keys(store: &Store) -> usize {
        store.keys.users().unwrap().len()
    }

    #[test]
    fn a_forget_cut_short_after_its_key_went_is_finished_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        stored(&store, "c1", "7");
        stored(&store, "c2", "8");
        // What a kill right after the key was destroyed leaves.
        let r = store.uref("7");
        store.journal_forget(&r).unwrap();
        store.keys.destroy(&r).unwrap();
        assert_eq!(store.user_conversations("7").unwrap(), ["c1"]);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(store.user_conversations("7").unwrap().is_empty());
        assert!(store.raw_records("transcript").unwrap().len() == 1);
        assert_eq!(store.user_conversations("8").unwrap(), ["c2"]);
        assert!(store.journal.is_empty());
    }

    #[test]
    fn a_forget_cut_short_is_finished_by_the_next_retention_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        stored(&store, "c1", "7");
        let r = store.uref("7");
        store.journal_forget(&r).unwrap();
        store.keys.destroy(&r).unwrap();
        let (orphans, _) = store.sweep_due(at(0)).unwrap();
        assert_eq!(orphans, 1);
        assert!(store.user_conversations("7").unwrap().is_empty());
        assert!(store.raw_records("conversations").unwrap().is_empty());
        assert!(store.journal.is_empty());
    }

    #[test]
    fn a_last_erasure_cut_short_before_its_key_went_is_finished_by_the_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        stored(&store, "c1", "7");
        stored(&store, "c2", "8");
        let r = store.uref("7");
        // What a kill between the erasure's transaction and destroying the key leaves.
        {
            let _guard = store.exclusive();
            store.erase("c1", &r, &[]).unwrap();
        }
        assert_eq!(keys(&store), 2);
        assert!(!store.journal.is_empty(), "the erasure journalled itself");
        // A fresh handle (a restarted process) knows of no keys it made.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(keys(&store), 1, "swept at start");
        // And by a retention sweep, in the same process.
        {
            let _guard = store.exclusive();
            store.erase("c2", &store.uref("8"), &[]).unwrap();
        }
        assert_eq!(keys(&store), 1);
        store.sweep_due(at(0)).unwrap();
        assert_eq!(keys(&store), 0);
        assert!(store.journal.is_empty());
    }

    #[test]
    fn expired_dedupe_records_are_found_by_their_expiry_and_only_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..200 {
            let s = store
                .sighting(&format!("m{i}"), at(i), 60)
                .unwrap()
                .unwrap();
            s.record_now(&store.seen).unwrap();
        }
        // Seen again later: the newer record keeps it.
        let again = store.sighting("m0", at(100), 60).unwrap().unwrap();
        again.record_now(&store.seen).unwrap();
        let before = store.records_read();
        // Expired before at(70): m0..m9 (m0 seen again, kept).
        assert_eq!(store.sweep_seen(at(70)).unwrap(), 9);
        assert!(store.records_read() - before <= 10);
        assert!(store.sighting("m0", at(70), 60).unwrap().is_none());
        assert!(store.sighting("m1", at(70), 60).unwrap().is_some());
        assert!(store.sighting("m50", at(70), 60).unwrap().is_none());
        assert_eq!(store.sweep_seen(at(1000)).unwrap(), 191);
        assert!(store.seen.is_empty());
    }
}
