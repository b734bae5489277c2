//! Durable state in sled: conversations, transcripts, and the indexes over them.
//!
//! Every turn is one transaction across the trees, flushed before the caller
//! shows the reply ("durable before visible"). One process owns a database;
//! a second one gets [`StoreError::InUse`] instead of a panic or an empty start.
//!
//! Trees:
//! * `meta`: `schema_version`.
//! * `conversations`: conversation id -> [`Conversation`] (JSON).
//! * `active`: user id -> id of their one active conversation.
//! * `by_user`: user id, 0, conversation id -> () (all of a user's conversations).
//! * `transcript`: conversation id, 0, sequence (u64 BE) -> [`Entry`] (JSON).
//! * `seen`: transport event id -> expiry (unix seconds), for deduplication.

use crate::engine::{Conversation, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::path::{Path, PathBuf};

/// Bumped when the stored format changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// A store failure, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database in {0} is in use by another llo-intake process; stop that process first, or use another --db directory")]
    InUse(PathBuf),
    #[error("the database in {path} is corrupt or unreadable ({detail}); restore it from a backup, or move the directory aside to start empty")]
    Corrupt { path: PathBuf, detail: String },
    #[error("the database in {path} has schema version {found}; this llo-intake reads version {expected}")]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored record could not be read: {0}")]
    Decode(String),
}

/// Who said something in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Bot,
    Coach,
    /// An internal coach note: never shown to the entrepreneur.
    Note,
    /// A system event (hand-off, hand-back).
    System,
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub role: Role,
    pub text: String,
    /// The coach or moderator who wrote it (coach lines and notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl Entry {
    pub fn new(at: DateTime<Utc>, role: Role, text: impl Into<String>) -> Self {
        Entry {
            at,
            role,
            text: text.into(),
            author: None,
        }
    }
}

/// The sled database with its trees. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    conversations: sled::Tree,
    active: sled::Tree,
    by_user: sled::Tree,
    transcript: sled::Tree,
    seen: sled::Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn pair_key(a: &str, b: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + 1 + b.len());
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b);
    k
}

fn prefix(a: &str) -> Vec<u8> {
    pair_key(a, &[])
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Decode(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Decode(e.to_string()))
}

fn tx_err(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

/// The file that marks a directory as an llo-intake database. It is written
/// before sled creates anything, so a directory with sled files but without
/// this marker, or with the marker but no data, is reported, not reused.
pub const MARKER: &str = "LLO-INTAKE-DATABASE";

/// Creates the directory when needed. Returns true for a new database.
fn prepare_dir(dir: &Path) -> Result<bool, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: dir.to_path_buf(),
        detail,
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| corrupt(format!("cannot create the directory: {e}")))?;
    let marker = dir.join(MARKER);
    if marker.exists() {
        return Ok(false);
    }
    let empty = std::fs::read_dir(dir)
        .map_err(|e| corrupt(format!("cannot read the directory: {e}")))?
        .next()
        .is_none();
    if !empty {
        return Err(corrupt(format!(
            "the directory is not empty but has no {MARKER} file, so it is not an llo-intake database"
        )));
    }
    std::fs::write(
        &marker,
        "This directory is an llo-intake sled database. Do not edit its files.\n",
    )
    .map_err(|e| corrupt(format!("cannot write {MARKER}: {e}")))?;
    Ok(true)
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let fresh = prepare_dir(dir)?;
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(64 << 20)
            .flush_every_ms(Some(500));
        // sled can panic on some corruptions instead of returning an error.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || config.open()));
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
                return Err(StoreError::InUse(dir.to_path_buf()))
            }
            Ok(Err(e)) => {
                return Err(StoreError::Corrupt {
                    path: dir.to_path_buf(),
                    detail: e.to_string(),
                })
            }
            Err(_) => {
                return Err(StoreError::Corrupt {
                    path: dir.to_path_buf(),
                    detail: "sled could not recover it".into(),
                })
            }
        };
        let tree = |name: &str| db.open_tree(name);
        let store = Store {
            path: dir.to_path_buf(),
            meta: tree("meta")?,
            conversations: tree("conversations")?,
            active: tree("active")?,
            by_user: tree("by_user")?,
            transcript: tree("transcript")?,
            seen: tree("seen")?,
            db,
        };
        store.check_schema(fresh)?;
        Ok(store)
    }

    fn check_schema(&self, fresh: bool) -> Result<(), StoreError> {
        match self.meta.get("schema_version")? {
            None => {
                let empty = self.conversations.is_empty() && self.transcript.is_empty();
                if !fresh {
                    // The marker says this database was set up before, yet sled
                    // finds nothing: its files are damaged. Never start empty.
                    return Err(StoreError::Corrupt {
                        path: self.path.clone(),
                        detail: "it was set up before, but its data cannot be found".into(),
                    });
                }
                if !empty {
                    return Err(StoreError::Schema {
                        path: self.path.clone(),
                        found: "none".into(),
                        expected: SCHEMA_VERSION,
                    });
                }
                self.meta
                    .insert("schema_version", SCHEMA_VERSION.to_string().as_bytes())?;
                self.db.flush()?;
                Ok(())
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_string().as_bytes() => Ok(()),
            Some(v) => Err(StoreError::Schema {
                path: self.path.clone(),
                found: String::from_utf8_lossy(&v).into_owned(),
                expected: SCHEMA_VERSION,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying database, for modules that add their own trees.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// A fresh, unique conversation id.
    pub fn new_conversation_id(&self) -> Result<String, StoreError> {
        Ok(format!("c{:06}", self.db.generate_id()?))
    }

    pub fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        self.conversations
            .get(id.as_bytes())?
            .map(|v| from_json(&v))
            .transpose()
    }

    /// The user's active (unfinished) conversation.
    pub fn active_conversation(&self, user: &str) -> Result<Option<Conversation>, StoreError> {
        match self.active.get(user.as_bytes())? {
            None => Ok(None),
            Some(id) => self.conversation(&String::from_utf8_lossy(&id)),
        }
    }

    /// Every conversation, oldest id first.
    pub fn conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        self.conversations
            .iter()
            .map(|kv| from_json(&kv?.1))
            .collect()
    }

    /// Ids of all conversations of a user.
    pub fn user_conversations(&self, user: &str) -> Result<Vec<String>, StoreError> {
        self.by_user
            .scan_prefix(prefix(user))
            .keys()
            .map(|k| {
                let k = k?;
                Ok(String::from_utf8_lossy(&k[user.len() + 1..]).into_owned())
            })
            .collect()
    }

    pub fn transcript(&self, conversation: &str) -> Result<Vec<Entry>, StoreError> {
        self.transcript
            .scan_prefix(prefix(conversation))
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }

    /// Commits a turn: the new state and its transcript lines in one
    /// transaction, then flushes. Only after this returns may the reply be shown.
    /// A declined conversation is erased instead: nothing about the person stays.
    pub fn commit_turn(&self, conv: &Conversation, entries: &[Entry]) -> Result<(), StoreError> {
        if conv.status == Status::Declined {
            return self.erase_conversation(conv);
        }
        let state = to_json(conv)?;
        let mut lines = Vec::with_capacity(entries.len());
        for e in entries {
            let seq = self.db.generate_id()?;
            lines.push((pair_key(&conv.id, &seq.to_be_bytes()), to_json(e)?));
        }
        let finished = conv.status.is_finished();
        (
            &self.conversations,
            &self.active,
            &self.by_user,
            &self.transcript,
        )
            .transaction(|(convs, active, by_user, transcript)| {
                convs.insert(conv.id.as_bytes(), state.clone())?;
                by_user.insert(pair_key(&conv.user, conv.id.as_bytes()), &[][..])?;
                if finished {
                    if active.get(conv.user.as_bytes())?.as_deref() == Some(conv.id.as_bytes()) {
                        active.remove(conv.user.as_bytes())?;
                    }
                } else {
                    active.insert(conv.user.as_bytes(), conv.id.as_bytes())?;
                }
                for (k, v) in &lines {
                    transcript.insert(k.clone(), v.clone())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// Appends transcript lines without changing the state (coach messages,
    /// notes, messages while the bot is quiet). Flushed before returning.
    pub fn append(&self, conversation: &str, entries: &[Entry]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for e in entries {
            let seq = self.db.generate_id()?;
            batch.insert(pair_key(conversation, &seq.to_be_bytes()), to_json(e)?);
        }
        self.transcript.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes one conversation with its transcript and index entries.
    pub fn erase_conversation(&self, conv: &Conversation) -> Result<(), StoreError> {
        let keys: Vec<sled::IVec> = self
            .transcript
            .scan_prefix(prefix(&conv.id))
            .keys()
            .collect::<Result<_, _>>()?;
        (
            &self.conversations,
            &self.active,
            &self.by_user,
            &self.transcript,
        )
            .transaction(|(convs, active, by_user, transcript)| {
                convs.remove(conv.id.as_bytes())?;
                by_user.remove(pair_key(&conv.user, conv.id.as_bytes()))?;
                if active.get(conv.user.as_bytes())?.as_deref() == Some(conv.id.as_bytes()) {
                    active.remove(conv.user.as_bytes())?;
                }
                for k in &keys {
                    transcript.remove(k.clone())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// Records a transport event id; returns false when it was seen before
    /// (a redelivered Discord event). Entries expire after `ttl_secs`.
    pub fn first_sighting(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        let expiry = (now.timestamp() + ttl_secs).to_be_bytes();
        let prev = self.seen.compare_and_swap(
            event_id.as_bytes(),
            None as Option<&[u8]>,
            Some(&expiry[..]),
        )?;
        match prev {
            Ok(()) => {
                self.db.flush()?;
                Ok(true)
            }
            Err(cas) => {
                let expired = cas
                    .current
                    .as_deref()
                    .and_then(|v| <[u8; 8]>::try_from(v).ok())
                    .map(i64::from_be_bytes)
                    .is_some_and(|t| t < now.timestamp());
                if expired {
                    self.seen.insert(event_id.as_bytes(), &expiry[..])?;
                    self.db.flush()?;
                }
                Ok(expired)
            }
        }
    }

    /// Drops expired dedupe records. Returns how many went.
    pub fn sweep_seen(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.seen.iter() {
            let (k, v) = kv?;
            let t = <[u8; 8]>::try_from(v.as_ref())
                .map(i64::from_be_bytes)
                .unwrap_or(0);
            if t < now.timestamp() {
                self.seen.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Flushes everything to disk (shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}
