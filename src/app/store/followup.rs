//! The `followups` tree: each follow-up sealed with its person's data key,
//! and indexed by due time so "what is due now" is a range scan over what is
//! due, never a scan of everything.
//!
//! Keys (ids and times only, no personal data in plaintext):
//! * `R` conversation id -> sealed [`FollowUp`] (JSON).
//! * `D` due (unix seconds, u64 BE), conversation id -> (): the due index.
//!   Only scheduled follow-ups are in it.
//! * `Q` conversation id -> due (u64 BE): the index entry of a scheduled
//!   follow-up, so a change or an erasure finds it without unsealing (a
//!   forgotten person's record cannot be opened any more).
//! * `U` user ref, conversation id -> (): a person's follow-ups ("stop",
//!   own data).
//!
//! Fire once: [`Store::claim_follow_up`] moves a due record to sent and takes
//! it out of the index in one transaction, before anything is sent.
//! Erasure ([`Store::erase`]) removes all four with the conversation.

use super::{to_json, tx_err, Sighting, Store, StoreError, Tx};
use crate::app::crypto::UserRef;
use crate::domain::followup::{FollowUp, State};
use chrono::{DateTime, Utc};
use sled::transaction::ConflictableTransactionError;

pub(super) const T_FOLLOWUPS: &str = "followups";

fn record_key(conversation: &str) -> Vec<u8> {
    [b"R", conversation.as_bytes()].concat()
}

fn secs(t: DateTime<Utc>) -> [u8; 8] {
    u64::try_from(t.timestamp()).unwrap_or(0).to_be_bytes()
}

fn due_key(due: &[u8], conversation: &str) -> Vec<u8> {
    [b"D", due, conversation.as_bytes()].concat()
}

fn scheduled_key(conversation: &str) -> Vec<u8> {
    [b"Q", conversation.as_bytes()].concat()
}

fn person_key(r: &UserRef, conversation: &str) -> Vec<u8> {
    [b"U", &r[..], conversation.as_bytes()].concat()
}

/// The end of the due range up to and including `now`.
fn due_until(now: DateTime<Utc>) -> Vec<u8> {
    let next = u64::try_from(now.timestamp())
        .unwrap_or(0)
        .saturating_add(1);
    [b"D", &next.to_be_bytes()[..]].concat()
}

impl Store {
    /// Writes a follow-up (new or changed) with its index entries, in one
    /// transaction, flushed. A scheduled one is in the due index at its due
    /// time; any other state is not. Returns false (and writes nothing) when
    /// its conversation is no longer stored.
    pub fn save_follow_up(&self, f: &FollowUp) -> Result<bool, StoreError> {
        let _guard = self.shared();
        if self.owner_of(&f.conversation)?.is_none() {
            return Ok(false);
        }
        let r = self.uref(&f.user);
        let key = record_key(&f.conversation);
        let sealed = self
            .keys
            .seal(&r, &[T_FOLLOWUPS.as_bytes(), &key], &to_json(f)?)?;
        let due = (f.state == State::Scheduled).then(|| secs(f.due));
        self.put(&r, f, &key, &sealed, due, None)?;
        Ok(true)
    }

    /// Writes the record; moves its index entry to `due` (none: out of the
    /// index). With `expect`, only when the record is still in the index at
    /// that time (else Ok(false): someone changed it first).
    fn put(
        &self,
        r: &UserRef,
        f: &FollowUp,
        key: &[u8],
        sealed: &[u8],
        due: Option<[u8; 8]>,
        expect: Option<[u8; 8]>,
    ) -> Result<bool, StoreError> {
        let conv = f.conversation.as_str();
        let done = self
            .followups
            .transaction(
                |t| -> Result<bool, ConflictableTransactionError<StoreError>> {
                    let old = t.get(scheduled_key(conv))?;
                    if let Some(want) = expect {
                        if old.as_deref() != Some(&want[..]) {
                            return Ok(false);
                        }
                    }
                    if let Some(old) = &old {
                        t.remove(due_key(old, conv))?;
                        t.remove(scheduled_key(conv))?;
                    }
                    if let Some(d) = due {
                        t.insert(due_key(&d, conv), &[][..])?;
                        t.insert(scheduled_key(conv), &d[..])?;
                    }
                    t.insert(key, sealed)?;
                    t.insert(person_key(r, conv), &[][..])?;
                    Ok(true)
                },
            )
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(done)
    }

    /// The follow-up of a conversation (None: none, or its person was forgotten).
    pub fn follow_up(&self, conversation: &str) -> Result<Option<FollowUp>, StoreError> {
        let key = record_key(conversation);
        match self.followups.get(&key)? {
            Some(v) => self.open_json(T_FOLLOWUPS.as_bytes(), &key, &v),
            None => Ok(None),
        }
    }

    /// Every follow-up of `user`, oldest conversation first.
    pub fn follow_ups_of(&self, user: &str) -> Result<Vec<FollowUp>, StoreError> {
        let r = self.uref(user);
        let p = [b"U", &r[..]].concat();
        let mut out = Vec::new();
        for k in self.followups.scan_prefix(&p).keys() {
            let k = k?;
            let conv = String::from_utf8_lossy(&k[p.len()..]).into_owned();
            out.extend(self.follow_up(&conv)?);
        }
        Ok(out)
    }

    /// Conversation ids of the follow-ups due at `now` (at most `limit`),
    /// earliest first: a range scan of the due index, O(due).
    pub fn due_follow_ups(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.followups
            .range(b"D".to_vec()..due_until(now))
            .keys()
            .take(limit)
            .map(|k| {
                let k = k?;
                Ok(String::from_utf8_lossy(&k[9..]).into_owned())
            })
            .collect()
    }

    /// How many follow-ups are due at `now` and not yet sent (for a gauge):
    /// counted from the index, O(due).
    pub fn follow_ups_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut n = 0;
        for k in self.followups.range(b"D".to_vec()..due_until(now)).keys() {
            k?;
            n += 1;
        }
        Ok(n)
    }

    /// The earliest due time in the index (the next follow-up to send).
    pub fn next_follow_up_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(k) = self.followups.scan_prefix(b"D").keys().next() else {
            return Ok(None);
        };
        let k = k?;
        let secs = <[u8; 8]>::try_from(k.get(1..9).unwrap_or_default())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Decode("a due key without its time".into()))?;
        Ok(DateTime::from_timestamp(
            i64::try_from(secs).unwrap_or(i64::MAX),
            0,
        ))
    }

    /// Fire once: when the follow-up of `conversation` is due at `now`, it
    /// is marked sent and leaves the due index in one transaction (flushed),
    /// and returned for sending. None when it is not due, no longer
    /// scheduled (stopped, or claimed by an earlier pass), or gone. A due
    /// entry whose record is gone or unreadable (forgotten) is dropped.
    pub fn claim_follow_up(
        &self,
        conversation: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        let _guard = self.shared();
        let f = match self.follow_up(conversation) {
            Ok(Some(f)) => f,
            Ok(None) | Err(StoreError::Decode(_)) => {
                self.drop_stale_due(conversation)?;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if !f.is_due(now) {
            return Ok(None);
        }
        let Ok(sent) = f.sent(now) else {
            return Ok(None);
        };
        let r = self.uref(&sent.user);
        let key = record_key(conversation);
        let sealed = self
            .keys
            .seal(&r, &[T_FOLLOWUPS.as_bytes(), &key], &to_json(&sent)?)?;
        let claimed = self.put(&r, &sent, &key, &sealed, None, Some(secs(f.due)))?;
        Ok(claimed.then_some(sent))
    }

    /// Records a transport event on its own (flushed): for follow-up clicks,
    /// whose every change is idempotent (the same answer again, yes to an
    /// offer already taken, stop when stopped), so recording the event after
    /// the change costs a second flush but never a wrong state.
    pub fn record_sighting(&self, s: &Sighting) -> Result<(), StoreError> {
        s.record_now(&self.seen)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes the index entries of a follow-up that can no longer be read.
    fn drop_stale_due(&self, conversation: &str) -> Result<(), StoreError> {
        if let Some(d) = self.followups.get(scheduled_key(conversation))? {
            self.followups.remove(due_key(&d, conversation))?;
            self.followups.remove(scheduled_key(conversation))?;
            self.db.flush()?;
        }
        Ok(())
    }

    /// Removes a conversation's follow-up and its index entries (part of
    /// [`Store::erase`]; the caller holds the exclusive lock). By key only:
    /// nothing needs unsealing, so it works after the key was destroyed.
    pub(super) fn erase_follow_up(
        &self,
        conversation: &str,
        r: &UserRef,
    ) -> Result<(), StoreError> {
        let due = self.followups.get(scheduled_key(conversation))?;
        self.followups
            .transaction(|t| -> Tx {
                if let Some(d) = &due {
                    t.remove(due_key(d, conversation))?;
                }
                t.remove(scheduled_key(conversation))?;
                t.remove(record_key(conversation))?;
                t.remove(person_key(r, conversation))?;
                Ok(())
            })
            .map_err(tx_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::text::Lang;
    use crate::domain::conversation::{Conversation, Status};
    use crate::domain::followup::{schedule, Helped};
    use chrono::{Duration, TimeZone};

    fn ended(store: &Store, id: &str, user: &str, at: DateTime<Utc>) -> Conversation {
        let mut c = Conversation::new(id, user, Lang::Nl, at);
        c.status = Status::Ended;
        c.ended_at = Some(at);
        c.answers.consent = Some(true);
        c.recommended = vec!["slim".into()];
        store.commit_turn(&c, &[]).unwrap();
        c
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 3, 13, 15, 0).unwrap()
    }

    #[test]
    fn due_follow_ups_come_from_the_index_once_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = ended(&store, "c1", "7001", at());
        let b = ended(&store, "c2", "7002", at() - Duration::days(1));
        let fa = schedule(&a, 30, at()).unwrap();
        let fb = schedule(&b, 30, at()).unwrap();
        assert!(store.save_follow_up(&fa).unwrap());
        assert!(store.save_follow_up(&fb).unwrap());
        assert_eq!(store.next_follow_up_due().unwrap(), Some(fb.due));
        assert!(store
            .due_follow_ups(fb.due - Duration::seconds(1), 10)
            .unwrap()
            .is_empty());
        assert_eq!(store.due_follow_ups(fb.due, 10).unwrap(), vec!["c2"]);
        assert_eq!(store.follow_ups_due(fa.due).unwrap(), 2);
        assert_eq!(store.due_follow_ups(fa.due, 10).unwrap(), vec!["c2", "c1"]);
        // Fire once: the first claim wins, and the entry leaves the index.
        let sent = store.claim_follow_up("c2", fa.due).unwrap().unwrap();
        assert_eq!(sent.state, State::Sent);
        assert_eq!(store.claim_follow_up("c2", fa.due).unwrap(), None);
        assert_eq!(store.due_follow_ups(fa.due, 10).unwrap(), vec!["c1"]);
        // Not due yet: not claimed.
        assert_eq!(
            store
                .claim_follow_up("c1", fa.due - Duration::hours(1))
                .unwrap(),
            None
        );
        // An answer is kept on the record, out of the index.
        let answered = sent.helped(Helped::Yes, fa.due).unwrap();
        assert!(store.save_follow_up(&answered).unwrap());
        assert_eq!(store.follow_up("c2").unwrap(), Some(answered));
        assert_eq!(store.follow_ups_due(fa.due).unwrap(), 1);
        // Stop: cancelled, out of the index, never claimed.
        let stopped = fa.cancel(at()).unwrap();
        assert!(store.save_follow_up(&stopped).unwrap());
        assert_eq!(store.claim_follow_up("c1", fa.due).unwrap(), None);
        assert_eq!(store.next_follow_up_due().unwrap(), None);
        assert_eq!(store.follow_ups_of("7001").unwrap(), vec![stopped]);
    }

    #[test]
    fn records_are_sealed_and_go_with_the_person() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = ended(&store, "c1", "7001", at());
        let mut f = schedule(&c, 30, at()).unwrap();
        f.answer.note = Some("geheim antwoord".into());
        store.save_follow_up(&f).unwrap();
        let raw = store.raw_records(T_FOLLOWUPS).unwrap();
        assert_eq!(
            raw.len(),
            4,
            "record, due entry, its back-reference, the person's entry"
        );
        for (k, v) in &raw {
            for needle in [&b"7001"[..], b"geheim"] {
                assert!(!k.windows(needle.len()).any(|w| w == needle));
                assert!(!v.windows(needle.len()).any(|w| w == needle));
            }
        }
        store.forget_user("7001").unwrap();
        assert!(store.raw_records(T_FOLLOWUPS).unwrap().is_empty());
        assert_eq!(store.next_follow_up_due().unwrap(), None);
        // A follow-up for a conversation that is gone is not written.
        assert!(!store.save_follow_up(&f).unwrap());
        assert!(store.raw_records(T_FOLLOWUPS).unwrap().is_empty());
    }

    #[test]
    fn erasing_one_conversation_takes_its_follow_up_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = ended(&store, "c1", "7001", at());
        let b = ended(&store, "c2", "7001", at());
        store
            .save_follow_up(&schedule(&a, 30, at()).unwrap())
            .unwrap();
        store
            .save_follow_up(&schedule(&b, 14, at()).unwrap())
            .unwrap();
        store.erase_conversation(&b).unwrap();
        let left = store.follow_ups_of("7001").unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].conversation, "c1");
        assert_eq!(store.next_follow_up_due().unwrap(), Some(left[0].due));
    }
}
