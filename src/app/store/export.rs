//! What the export reads when it goes through the conversations in the
//! order they are stored: each conversation with its transcript from two
//! long range reads ([`Store::in_order`]) instead of a lookup and a prefix
//! scan per conversation (each of which makes sled copy a whole page).

use super::{prefix, Entry, Store, StoreError, T_CONVERSATIONS, T_TRANSCRIPT};
use crate::domain::conversation::Conversation;

/// A reader of conversations and their transcripts in ascending id order
/// (see [`Store::in_order`]).
pub struct InOrder {
    store: Store,
    convs: sled::Iter,
    lines: std::iter::Peekable<sled::Iter>,
    last: Option<String>,
}

impl Store {
    /// Reads conversations from `first` on, in ascending id order, each with
    /// its transcript: what [`Store::conversation`] and
    /// [`Store::transcript`] return, read sequentially.
    pub fn in_order(&self, first: &str) -> InOrder {
        InOrder {
            store: self.clone(),
            convs: self.conversations.range(first.as_bytes()..),
            lines: self.transcript.range(prefix(first)..).peekable(),
            last: None,
        }
    }
}

impl InOrder {
    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The conversation `id` and its transcript, as [`Store::conversation`]
    /// and [`Store::transcript`] give them (None when it is not stored or
    /// its user was forgotten). Ids must come in ascending (byte) order;
    /// one out of order is read by those lookups instead.
    pub fn read(&mut self, id: &str) -> Result<Option<(Conversation, Vec<Entry>)>, StoreError> {
        let s = &self.store;
        if self
            .last
            .as_deref()
            .is_some_and(|l| l.as_bytes() >= id.as_bytes())
        {
            return Ok(match s.conversation(id)? {
                Some(c) => Some((c, s.transcript(id)?)),
                None => None,
            });
        }
        self.last = Some(id.to_string());
        let mut found = None;
        for kv in self.convs.by_ref() {
            let (k, v) = kv?;
            match k.as_ref().cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => {
                    found = Some(v);
                    break;
                }
                std::cmp::Ordering::Greater => {
                    // Not stored; the next id starts its search from here.
                    self.convs = s.conversations.range(k.as_ref()..);
                    break;
                }
            }
        }
        s.visit(1);
        let conv: Option<Conversation> = match found {
            Some(v) => s.open_json(T_CONVERSATIONS, id.as_bytes(), &v)?,
            None => None,
        };
        let p = prefix(id);
        let mut lines = Vec::new();
        while let Some(kv) = self.lines.peek() {
            let k = match kv {
                Ok((k, _)) => k,
                Err(_) => {
                    let e = self.lines.next().and_then(Result::err);
                    return Err(e.map(StoreError::from).unwrap_or_else(|| {
                        StoreError::Decode("the transcript could not be read".into())
                    }));
                }
            };
            if k.as_ref() < p.as_slice() {
                self.lines.next();
                continue;
            }
            if !k.starts_with(&p) {
                break;
            }
            if let Some(Ok((k, v))) = self.lines.next() {
                s.visit(1);
                if conv.is_some() {
                    if let Some(e) = s.open_json(T_TRANSCRIPT, &k, &v)? {
                        lines.push(e);
                    }
                }
            }
        }
        Ok(conv.map(|c| (c, lines)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::Role;
    use crate::content::text::Lang;
    use chrono::DateTime;

    #[test]
    fn reading_in_order_gives_what_the_lookups_give() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        for (id, user, n) in [
            ("c1", "7", 2),
            ("c10", "8", 0),
            ("c2", "9", 3),
            ("c3", "7", 1),
        ] {
            let mut c = Conversation::new(id, user, Lang::Nl, at);
            c.answers.consent = Some(true);
            let lines: Vec<Entry> = (0..n)
                .map(|i| Entry::new(at, Role::User, format!("{id} {i}")))
                .collect();
            store.commit_turn(&c, &lines).unwrap();
        }
        store.forget_user("9").unwrap();
        let mut r = store.in_order("c1");
        for id in ["c1", "c10", "c2", "c3", "c4"] {
            let want = store
                .conversation(id)
                .unwrap()
                .map(|c| (c, store.transcript(id).unwrap()));
            assert_eq!(r.read(id).unwrap(), want, "{id}");
        }
        // Out of order: still right.
        assert_eq!(r.read("c1").unwrap().unwrap().1.len(), 2);
        // Skipping some (a filter left them out).
        let mut r = store.in_order("c10");
        assert_eq!(r.read("c3").unwrap().unwrap().1[0].text, "c3 0");
    }
}
