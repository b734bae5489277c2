//! A bulk path for large synthetic databases (`examples/synth.rs`,
//! `benches/scale.rs`): whole conversations with their transcripts and links
//! written many at a time, one transaction and one flush per call, and new
//! data key files without a fsync each. What it writes is laid out exactly
//! as the bot's own turns lay it out ([`Store::commit_turn_with`]); the bot
//! never uses it.

use super::{
    apply_links, index, tx_err, user_key, Entry, Link, Store, StoreError, Tx, T_CONVERSATIONS,
    T_TRANSCRIPT,
};
use crate::domain::conversation::Conversation;
use sled::transaction::Transactional;

/// One stored conversation as the bulk loader writes it.
#[derive(Debug, Clone)]
pub struct Record {
    pub conversation: Conversation,
    pub transcript: Vec<Entry>,
    /// Links its turns made (intake thread, coach card, relay thread).
    pub links: Vec<Link>,
}

impl Store {
    /// Writes `records` (conversations new to this store, at most one
    /// unfinished one per user) in one transaction and one flush. For
    /// benches and generators; a crash meanwhile may lose data keys of
    /// committed records, so never on a database that matters.
    #[doc(hidden)]
    pub fn load_records(&self, records: &[Record]) -> Result<(), StoreError> {
        let _guard = self.shared();
        self.keys.defer_sync(true)?;
        let loaded = self.load_records_deferred(records);
        // Keys are synced before the records are flushed.
        let synced = self.keys.defer_sync(false);
        loaded?;
        synced?;
        self.db.flush()?;
        Ok(())
    }

    fn load_records_deferred(&self, records: &[Record]) -> Result<(), StoreError> {
        let mut sealed = Vec::with_capacity(records.len());
        for rec in records {
            let c = &rec.conversation;
            let r = self.uref(&c.user);
            let state =
                self.keys
                    .seal(&r, &[T_CONVERSATIONS, c.id.as_bytes()], &super::to_json(c)?)?;
            let lines = self.seal_lines(&r, T_TRANSCRIPT, &c.id, &rec.transcript)?;
            let links = self.seal_links(&rec.links)?;
            let indexed = index::IndexUpdate::of(c, &rec.transcript);
            sealed.push((r, state, lines, links, indexed));
        }
        (
            &self.conversations,
            &self.active,
            &self.by_user,
            &self.transcript,
            &self.links,
            &self.index,
        )
            .transaction(
                |(convs, active, by_user, transcript, link_tree, index)| -> Tx {
                    for (rec, (r, state, lines, links, indexed)) in records.iter().zip(&sealed) {
                        let id = rec.conversation.id.as_bytes();
                        indexed.apply(index)?;
                        convs.insert(id, state.clone())?;
                        by_user.insert(user_key(r, &rec.conversation.id), &[][..])?;
                        if !rec.conversation.status.is_finished() {
                            active.insert(&r[..], id)?;
                        }
                        for (k, v) in lines {
                            transcript.insert(k.clone(), v.clone())?;
                        }
                        apply_links(link_tree, links)?;
                    }
                    Ok(())
                },
            )
            .map_err(tx_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::Role;
    use crate::content::text::Lang;
    use chrono::{DateTime, Utc};

    #[test]
    fn bulk_loaded_records_read_back_like_committed_turns() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap();
        let mut done = Conversation::new("c1", "7", Lang::Nl, now);
        done.answers.consent = Some(true);
        done.status = crate::domain::conversation::Status::Ended;
        let open = Conversation::new("c2", "8", Lang::Nl, now);
        let records = [
            Record {
                conversation: done,
                transcript: vec![Entry::new(now, Role::User, "ja")],
                links: vec![Link::IntakeThread {
                    user: "7".into(),
                    thread: "100".into(),
                }],
            },
            Record {
                conversation: open,
                transcript: vec![],
                links: vec![],
            },
        ];
        store.load_records(&records).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.transcript("c1").unwrap()[0].text, "ja");
        assert_eq!(store.intake_thread("7").unwrap().as_deref(), Some("100"));
        assert!(store.active_conversation("7").unwrap().is_none());
        assert_eq!(store.active_conversation("8").unwrap().unwrap().id, "c2");
        assert_eq!(store.user_conversations("7").unwrap(), ["c1"]);
        assert_eq!(
            store
                .inactive_since(now + chrono::Duration::seconds(1))
                .unwrap()
                .len(),
            2
        );
    }
}
