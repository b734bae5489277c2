//! What the statistics report reads: every conversation, one at a time, so
//! a report over 100,000 conversations never holds them all
//! ([`Store::each_conversation`]), and a bulk loader for benches and tests
//! that build large synthetic databases ([`Store::load_conversations`]).

use super::{from_json, tx_err, user_key, Store, StoreError, Tx, T_CONVERSATIONS};
use crate::app::crypto::KeyError;
use crate::domain::conversation::Conversation;
use sled::transaction::Transactional;

/// What [`Store::each_conversation_in`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadPart {
    /// Records read (readable or not).
    pub records: usize,
    /// Left out for a damaged key or record.
    pub unreadable: usize,
    /// The id of the last record read: where the next part starts after.
    pub last: Option<String>,
    /// The limit stopped it before the end.
    pub more: bool,
}

impl Store {
    /// Calls `f` with every readable conversation, oldest id first, reading
    /// one record at a time. Like [`Store::conversations`], conversations of
    /// forgotten users and those whose data key is damaged are left out;
    /// returns how many were left out for a damaged key.
    pub fn each_conversation(
        &self,
        f: impl FnMut(Conversation) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        Ok(self.each_conversation_in(None, usize::MAX, f)?.unreadable)
    }

    /// [`Store::each_conversation`] for at most `limit` records, starting
    /// after the id `after`: a long read in parts. sled keeps much of what
    /// one opening of the database has read (its cache bounds little in one
    /// pass), so a reader of everything reopens the store between parts
    /// (see `app::report::tally_at`).
    pub fn each_conversation_in(
        &self,
        after: Option<&str>,
        limit: usize,
        mut f: impl FnMut(Conversation) -> Result<(), StoreError>,
    ) -> Result<ReadPart, StoreError> {
        let mut part = ReadPart::default();
        let from = after.map(|a| a.as_bytes().to_vec()).unwrap_or_default();
        for kv in self.conversations.range(from.clone()..) {
            let (k, v) = kv?;
            if after.is_some() && k.as_ref() == from.as_slice() {
                continue;
            }
            if part.records == limit {
                part.more = true;
                break;
            }
            part.records += 1;
            part.last = Some(String::from_utf8_lossy(&k).into_owned());
            let plain = match self.keys.open(&[T_CONVERSATIONS, &k], &v) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => match StoreError::from(e) {
                    StoreError::Key(KeyError::Damaged(_)) | StoreError::Decode(_) => {
                        part.unreadable += 1;
                        continue;
                    }
                    e => return Err(e),
                },
            };
            match from_json::<Conversation>(&plain) {
                Ok(c) => f(c)?,
                Err(_) => part.unreadable += 1,
            }
        }
        if part.unreadable > 0 {
            tracing::warn!(
                conversations = part.unreadable,
                "conversations left out of the report: their data key is damaged"
            );
        }
        Ok(part)
    }

    /// Writes conversations (no transcript) and their index entries in one
    /// transaction and one flush: for benches and tests that need many conversations fast.
    /// The bot writes through [`Store::commit_turn`] instead.
    #[doc(hidden)]
    pub fn load_conversations(&self, convs: &[Conversation]) -> Result<(), StoreError> {
        let _guard = self.shared();
        let mut sealed = Vec::with_capacity(convs.len());
        for c in convs {
            let r = self.uref(&c.user);
            let v = self
                .keys
                .seal(&r, &[T_CONVERSATIONS, c.id.as_bytes()], &super::to_json(c)?)?;
            let indexed = super::index::IndexUpdate::of(c, &[]);
            sealed.push((c.id.as_bytes().to_vec(), user_key(&r, &c.id), v, indexed));
        }
        (&self.conversations, &self.by_user, &self.index)
            .transaction(|(t, by_user, index)| -> Tx {
                for (id, uk, v, indexed) in &sealed {
                    t.insert(id.clone(), v.clone())?;
                    by_user.insert(uk.clone(), &[][..])?;
                    indexed.apply(index)?;
                }
                Ok(())
            })
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }
}
