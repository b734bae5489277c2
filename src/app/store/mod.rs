//! Durable state in sled: conversations, transcripts, and the indexes over them.
//!
//! Every turn is one transaction across the trees, flushed before the caller
//! shows the reply ("durable before visible"). One process owns a database;
//! a second one gets [`StoreError::InUse`] instead of a panic or an empty start.
//!
//! Nothing personal is stored in plaintext (see [`crate::app::crypto`]): records
//! are sealed with their user's data key, and user and event ids that serve
//! as sled keys are replaced by a keyed hash ("ref", 32 bytes).
//!
//! Trees:
//! * `meta`: `schema_version`, `key_check` (recognises the master key).
//! * `conversations`: conversation id -> sealed [`Conversation`] (JSON).
//! * `active`: user ref -> id of their one active conversation.
//! * `by_user`: user ref, conversation id -> () (all of a user's conversations).
//! * `transcript`: conversation id, 0, sequence (u64 BE) -> sealed [`Entry`] (JSON).
//! * `seen`: event ref -> expiry (unix seconds), for deduplication, written in
//!   the transaction of the turn the event caused ([`Store::sighting`]). Holds
//!   no user id and no content; it cannot be tied to a user, and expires.
//!   Each has a second key, `E` expiry (i64 BE), event ref, so the expired
//!   ones are found by a range ([`Store::sweep_seen`]).
//! * `links`: where a transport talks with a person (see [`Link`]), ids only:
//!   `P` user ref -> their intake thread; `T` thread -> the owner's user id,
//!   sealed with the owner's data key; `C` coach thread -> conversation id;
//!   `X` conversation id, 0, coach thread -> () (a conversation's coach
//!   threads, so erasing it finds them); `K` conversation id, 0 -> its coach
//!   card ([`CardRef`] JSON), so erasing it finds the card even when the
//!   conversation can no longer be read.
//! * `index`: hand-offs, last activity, start times and what the export
//!   needs of each transcript (its last line's time, how many notes), ids,
//!   times and counts only (see the `index` module): the queue, the
//!   retention sweep and the export read it.
//! * `cleanup`: sequence (u64 BE) -> a [`CardRef`] (JSON) a transport still has
//!   to blank: written in the same transaction as the erasure, removed once
//!   the transport confirmed ([`Store::pending_cards`], [`Store::card_cleared`]).
//!   Ids only, no personal data; so a card is blanked even when the bot was
//!   not running when the data went (CLI `forget`, the retention sweep).
//! * `offers` ([`offers`]): a person's answers to the offers made after the
//!   advice (peer introductions, follow-up), sealed.
//! * `peers` ([`peers`]): the peer pool, proposals and their history.
//! * `followups`: follow-ups after an intake, sealed, with their due-time
//!   index (see [`followup`]).
//! * `journal`: erasures begun and not yet complete, user refs only (see
//!   [`sweep`]): the sweeps finish what they name instead of reading everything.
//!
//! Every table with personal data lives here (features add their trees in child
//! modules of this one, e.g. `store/peers.rs`, so they reach the private
//! trees and the same transactions), so erasure ([`Store::erase_conversation`],
//! [`Store::forget_user`], the retention sweep) removes all of it in one place.

mod export;
mod followup;
mod offers;
mod peers;
mod report;
mod sweep;
mod synth;

pub use export::{Exporter, Found, Lines};
pub use offers::OfferAnswer;
pub use peers::{Mark, Notice, PeerCounts, PendingNotice, PoolEntry, Side};
pub use report::ReadPart;
pub use synth::Record;
mod index;
pub use index::Digest;

use crate::app::crypto::{self, KeyError, Keyring, SealError, UserRef};
use crate::domain::conversation::CardRef;
use crate::domain::conversation::{Conversation, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

mod durable;
mod health;

/// Bumped when the stored format changes; each bump gets a step in
/// [`migrate::STEPS`].
/// 2: records sealed per user, user and event ids replaced by keyed hashes.
/// 3: meta records the migrations that ran.
/// 4: data key files in sub-directories of `keys/` (see [`crypto`]).
pub const SCHEMA_VERSION: u32 = 4;

pub(crate) mod backup;
pub(crate) mod migrate;

/// sled's page cache for most commands (the bot's is `[intake] cache_mib`).
pub const CACHE_BYTES: u64 = (crate::app::settings::DEFAULT_CACHE_MIB as u64) << 20;

/// A store failure, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database in {0} is in use by another llo-intake process; stop that process first, or use another --db directory")]
    InUse(PathBuf),
    #[error("the database in {path} is corrupt or unreadable ({detail}); nothing was changed. Stop here and restore the directory from a backup if you have one; do not delete or move it while you do")]
    Corrupt { path: PathBuf, detail: String },
    #[error("permission denied on {0}: the user llo-intake runs as needs to read and write the database directory and everything in it")]
    Permission(PathBuf),
    #[error("{0} is not empty and is not an llo-intake database (no {MARKER} file); point --db (or [intake] database) at an empty or new directory")]
    NotOurs(PathBuf),
    #[error("the database in {0} holds data, but its {keys} directory is missing: without it nothing can be read. Put {keys}/ back from the backup it was saved with; nothing was changed", keys = crypto::KEYS_DIR)]
    KeysMissing(PathBuf),
    #[error("the database in {path} has schema version {found}; this llo-intake reads version {expected}")]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("the database in {0} cannot be written: the disk is full or a file size limit was reached. Nothing that was saved is lost; free some space and start llo-intake again")]
    NoSpace(PathBuf),
    #[error("a write to the database in {0} failed; nothing after the last saved turn is taken in until llo-intake restarts (see the log for the cause)")]
    WriteFailed(PathBuf),
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored record could not be read: {0}")]
    Decode(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<SealError> for StoreError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Key(k) => StoreError::Key(k),
            SealError::Damaged(d) => StoreError::Decode(d.to_string()),
        }
    }
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

/// What [`Store::forget_user`] removed, and what the Discord side still has
/// to clean up (coach cards to edit to a placeholder, coach threads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    pub conversations: Vec<String>,
    /// Coach cards of the forgotten conversations.
    pub cards: Vec<CardRef>,
    /// Private coach threads of the forgotten conversations.
    pub threads: Vec<String>,
    /// Whether the user had a data key (now destroyed).
    pub key_destroyed: bool,
}

/// A link between a transport's place (a thread, by its id) and a person or
/// a conversation. Written with a turn ([`Store::commit_turn_linked`]) or on
/// its own ([`Store::link`]); removed with the conversations it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// `thread` is `user`'s private intake thread (an older one is unlinked).
    /// Belongs to the person: it goes with their last conversation.
    IntakeThread { user: String, thread: String },
    /// `thread` is the coach's relay thread of `conversation`. Goes with
    /// that conversation.
    CoachThread {
        thread: String,
        conversation: String,
    },
    /// `card` is the coach card of `conversation` (ids only). When the
    /// conversation goes, the card is queued to be blanked.
    Card { conversation: String, card: CardRef },
}

/// A coach card a transport still has to turn into a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCard {
    /// Pass to [`Store::card_cleared`] once done.
    pub seq: u64,
    pub card: CardRef,
}

/// A transport event seen for the first time ([`Store::sighting`]), to be
/// recorded with the turn it causes. Holds only the event's keyed hash.
#[derive(Debug, Clone)]
pub struct Sighting {
    key: UserRef,
    expiry: [u8; 8],
}

/// What a transport records with a turn, in the turn's one transaction.
#[derive(Debug, Clone, Default)]
pub struct TurnExtras {
    /// Links the turn makes (say, the intake thread it is answered in).
    pub links: Vec<Link>,
    /// The event that caused the turn (deduplication of redeliveries).
    pub seen: Option<Sighting>,
}

/// The sled database with its trees. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    /// sled's database; its flush latches on failure ([`durable`]).
    db: durable::Db,
    conversations: sled::Tree,
    active: sled::Tree,
    by_user: sled::Tree,
    transcript: sled::Tree,
    seen: sled::Tree,
    links: sled::Tree,
    cleanup: sled::Tree,
    offers: sled::Tree,
    peers: sled::Tree,
    /// Hand-offs and last activity ([`index`]).
    index: sled::Tree,
    followups: sled::Tree,
    /// Erasures begun and not yet complete ([`sweep`]).
    journal: sled::Tree,
    /// Records read by scans and sweeps ([`Store::records_read`]).
    reads: Arc<std::sync::atomic::AtomicU64>,
    keys: Arc<Keyring>,
    /// Sealing-and-committing takes it shared; destroying a key takes it
    /// exclusive, so a key is never destroyed between a seal and its commit.
    lifecycle: Arc<RwLock<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const T_CONVERSATIONS: &[u8] = b"conversations";
const T_TRANSCRIPT: &[u8] = b"transcript";
const T_LINKS: &[u8] = b"links";

/// `links` keys (see the module notes).
fn person_key(r: &UserRef) -> Vec<u8> {
    let mut k = b"P".to_vec();
    k.extend_from_slice(r);
    k
}

fn owner_key(thread: &str) -> Vec<u8> {
    [b"T", thread.as_bytes()].concat()
}

fn coach_key(thread: &str) -> Vec<u8> {
    [b"C", thread.as_bytes()].concat()
}

fn coach_index_key(conversation: &str, thread: &str) -> Vec<u8> {
    [b"X", &pair_key(conversation, thread.as_bytes())[..]].concat()
}

fn card_key(conversation: &str) -> Vec<u8> {
    [b"K", &prefix(conversation)[..]].concat()
}

fn coach_index_prefix(conversation: &str) -> Vec<u8> {
    [b"X", &prefix(conversation)[..]].concat()
}

fn utf8(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
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

fn user_key(r: &UserRef, conversation: &str) -> Vec<u8> {
    let mut k = r.to_vec();
    k.extend_from_slice(conversation.as_bytes());
    k
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
/// last on a first start, once everything else is in place, so a first start
/// that fails or is killed is simply done again by the next one; a directory
/// with the marker but no data is reported, not reused.
pub const MARKER: &str = "LLO-INTAKE-DATABASE";

/// What a first start creates before it writes the marker: sled's files,
/// the key directory and the master key file.
fn first_start_leftover(name: &str) -> bool {
    matches!(
        name,
        "conf" | "db" | "blobs" | crypto::KEYS_DIR | crypto::DEFAULT_KEY_FILE
    ) || name.starts_with("snap.")
        || name == format!("{}.tmp", crypto::DEFAULT_KEY_FILE)
}

/// An I/O error on `path`, named for the operator: a permission problem as
/// such, anything else as unreadable (the detail without sled internals).
fn io_error(path: &Path, what: &str, e: &std::io::Error) -> StoreError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return StoreError::Permission(path.to_path_buf());
    }
    StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("{what}: {e}"),
    }
}

/// Creates the directory when needed, and clears what an interrupted sled
/// snapshot left (a `snap.*.generating` file, often 0 bytes after a full
/// disk, which would stop sled from opening intact data). Returns true for
/// a new database: no marker yet, and nothing in it but what an earlier,
/// unfinished first start may have left.
/// How long [`Store::open`] waits for a lock that may be its own process's,
/// just released (see `open_cached`), before it reports [`StoreError::InUse`].
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(20);

fn is_lock_error(e: &std::io::Error) -> bool {
    e.to_string().contains("could not acquire lock")
}

fn prepare_dir(dir: &Path) -> Result<bool, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create the directory", &e))?;
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_error(dir, "cannot read the directory", &e))? {
        let e = e.map_err(|e| io_error(dir, "cannot read the directory", &e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            // sled writes a snapshot there and renames it when complete: this one never was.
            std::fs::remove_file(e.path())
                .map_err(|err| io_error(&e.path(), "cannot remove an unfinished snapshot", &err))?;
            tracing::warn!(file = %name, "removed an unfinished sled snapshot (left by a full disk or a crash)");
            continue;
        }
        names.push(name);
    }
    if names.iter().any(|n| n == MARKER) {
        return Ok(false);
    }
    // A first start makes no data key before the marker: keys without the
    // marker belong to a database that is not here, and are left alone.
    let keys_dir = dir.join(crypto::KEYS_DIR);
    let holds_keys = keys_dir.is_dir()
        && std::fs::read_dir(&keys_dir)
            .map_err(|e| io_error(&keys_dir, "cannot read the directory", &e))?
            .next()
            .is_some();
    if holds_keys || !names.iter().all(|n| first_start_leftover(n)) {
        return Err(StoreError::NotOurs(dir.to_path_buf()));
    }
    Ok(true)
}

/// Puts the marker in place, durably: the last step of a first start.
fn write_marker(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(MARKER);
    let tmp = dir.join(format!("{MARKER}.tmp"));
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(b"This directory is an llo-intake sled database. Do not edit its files.\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| io_error(&path, "cannot write the marker file", &e))
}

type Tx = Result<(), ConflictableTransactionError<StoreError>>;
type KeyValue = (Vec<u8>, Vec<u8>);

/// A [`Link`] ready for its transaction (the owner already sealed).
enum SealedLink {
    Intake {
        person: Vec<u8>,
        thread: String,
        owner: Vec<u8>,
    },
    Coach {
        thread: String,
        conversation: String,
    },
    Card {
        key: Vec<u8>,
        card: Vec<u8>,
    },
}

fn apply_links(t: &sled::transaction::TransactionalTree, links: &[SealedLink]) -> Tx {
    for l in links {
        match l {
            SealedLink::Intake {
                person,
                thread,
                owner,
            } => {
                if let Some(old) = t.get(person)? {
                    t.remove(owner_key(&utf8(&old)))?;
                }
                t.insert(owner_key(thread), owner.clone())?;
                t.insert(person.clone(), thread.as_bytes())?;
            }
            SealedLink::Coach {
                thread,
                conversation,
            } => {
                t.insert(coach_key(thread), conversation.as_bytes())?;
                t.insert(coach_index_key(conversation, thread), &[][..])?;
            }
            SealedLink::Card { key, card } => {
                t.insert(key.clone(), card.clone())?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Opens (or creates) the database in `dir`, with the master key from
    /// `LLO_INTAKE_MASTER_KEY` or the key file `dir/master.key`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_key_file(dir, None)
    }

    /// Opens (or creates) the database in `dir`. The master key comes from
    /// `LLO_INTAKE_MASTER_KEY`, else from `key_file` (default
    /// `dir/master.key`), which is created (mode 0600) for a new database.
    pub fn open_with_key_file(dir: &Path, key_file: Option<&Path>) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, key_file, CACHE_BYTES)
    }

    /// [`Store::open_with_key_file`] with sled's page cache set to
    /// `cache_bytes` (the bot's is [`CACHE_BYTES`]): a one-pass reader such
    /// as the report needs little and keeps its memory small.
    pub fn open_with_cache(
        dir: &Path,
        key_file: Option<&Path>,
        cache_bytes: u64,
    ) -> Result<Store, StoreError> {
        let store = Store::open_cached(dir, key_file, cache_bytes)?;
        match store.schema_version()? {
            Some(SCHEMA_VERSION) => Ok(store),
            found => Err(StoreError::Schema {
                path: dir.to_path_buf(),
                found: found
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into()),
                expected: SCHEMA_VERSION,
            }),
        }
    }

    /// [`Store::open_with_key_file`] that also opens a database at an older
    /// schema version that [`migrate::STEPS`] can bring up to date (see
    /// [`Store::schema_version`], [`Store::migrate`]).
    pub fn open_any_version(dir: &Path, key_file: Option<&Path>) -> Result<Store, StoreError> {
        Store::open_cached(dir, key_file, CACHE_BYTES)
    }

    /// [`Store::open_any_version`] with sled's page cache set to `cache_bytes`.
    pub fn open_any_version_with_cache(
        dir: &Path,
        key_file: Option<&Path>,
        cache_bytes: u64,
    ) -> Result<Store, StoreError> {
        Store::open_cached(dir, key_file, cache_bytes)
    }

    fn open_cached(
        dir: &Path,
        key_file: Option<&Path>,
        cache_bytes: u64,
    ) -> Result<Store, StoreError> {
        let new_dir = prepare_dir(dir)?;
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(500));
        // sled can panic on some corruptions instead of returning an error.
        let open_once = || {
            let config = config.clone();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || config.open()))
        };
        let mut opened = open_once();
        // sled lets go of its lock a moment after the last handle is dropped
        // (its background threads finish first), so a store closed and
        // reopened in one process (the report reads in parts) can find its
        // own lock still held: wait a little before calling it in use.
        let mut waited = std::time::Duration::ZERO;
        while waited < LOCK_WAIT
            && matches!(&opened, Ok(Err(sled::Error::Io(e))) if is_lock_error(e))
        {
            std::thread::sleep(LOCK_POLL);
            waited += LOCK_POLL;
            opened = open_once();
        }
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(sled::Error::Io(e))) if is_lock_error(&e) => {
                return Err(StoreError::InUse(dir.to_path_buf()))
            }
            Ok(Err(sled::Error::Io(e))) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(StoreError::Permission(dir.to_path_buf()))
            }
            Ok(Err(sled::Error::Io(e))) if durable::is_no_space(&e) => {
                return Err(StoreError::NoSpace(dir.to_path_buf()))
            }
            Ok(Err(e)) => {
                // sled's own words are for the log, not the operator's message.
                tracing::warn!(error = %e, "sled could not open the database");
                return Err(StoreError::Corrupt {
                    path: dir.to_path_buf(),
                    detail: "its files cannot be read back".into(),
                });
            }
            Err(_) => {
                return Err(StoreError::Corrupt {
                    path: dir.to_path_buf(),
                    detail: "its files cannot be read back".into(),
                })
            }
        };
        let tree = |name: &str| db.open_tree(name);
        let (meta, conversations, active, by_user, transcript, seen, links, cleanup, index) = (
            tree("meta")?,
            tree("conversations")?,
            tree("active")?,
            tree("by_user")?,
            tree("transcript")?,
            tree("seen")?,
            tree("links")?,
            tree("cleanup")?,
            tree("index")?,
        );
        let (offers, peers) = (tree("offers")?, tree("peers")?);
        let empty = [&conversations, &active, &by_user, &transcript]
            .iter()
            .all(|t| t.is_empty());
        if new_dir {
            // Without the marker only an unfinished first start is taken up:
            // no data, and no trees but ours.
            let ours = [
                "meta",
                "conversations",
                "active",
                "by_user",
                "transcript",
                "seen",
                "links",
                "cleanup",
                "offers",
                "peers",
                "index",
                followup::T_FOLLOWUPS,
                sweep::T_JOURNAL,
            ];
            let foreign = db.tree_names().iter().any(|n| {
                n.as_ref() != b"__sled__default" && !ours.iter().any(|o| o.as_bytes() == n.as_ref())
            });
            if !empty || foreign || !db.is_empty() {
                return Err(StoreError::NotOurs(dir.to_path_buf()));
            }
        }
        let schema = meta.get("schema_version")?;
        match &schema {
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_string().as_bytes() => {}
            Some(v)
                if String::from_utf8_lossy(v)
                    .parse()
                    .is_ok_and(migrate::reaches_current) => {}
            None if !new_dir => {
                // The marker says this database was set up before, yet sled
                // finds nothing: its files are damaged. Never start empty.
                return Err(StoreError::Corrupt {
                    path: dir.to_path_buf(),
                    detail: "it was set up before, but its data cannot be found".into(),
                });
            }
            None if empty => {}
            found => {
                return Err(StoreError::Schema {
                    path: dir.to_path_buf(),
                    found: found
                        .as_ref()
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                        .unwrap_or_else(|| "none".into()),
                    expected: SCHEMA_VERSION,
                })
            }
        }
        let default_file = dir.join(crypto::DEFAULT_KEY_FILE);
        let key_file = key_file.unwrap_or(&default_file);
        let check = meta.get("key_check")?;
        let fresh = check.is_none() && schema.is_none() && empty;
        if !empty && !dir.join(crypto::KEYS_DIR).is_dir() {
            // Never make new keys over data sealed with lost ones.
            return Err(StoreError::KeysMissing(dir.to_path_buf()));
        }
        let (master, origin) = crypto::load_master_key(key_file, fresh)?;
        match &check {
            Some(c) if c.as_ref() != master.check_value().as_slice() => {
                return Err(KeyError::Mismatch.into())
            }
            Some(_) => {}
            None if fresh => {
                let mut b = sled::Batch::default();
                b.insert("schema_version", SCHEMA_VERSION.to_string().as_bytes());
                b.insert("key_check", master.check_value());
                meta.apply_batch(b)?;
                db.flush()?;
            }
            None => return Err(KeyError::Missing(key_file.to_path_buf()).into()),
        }
        if let crypto::KeyOrigin::Created(p) = &origin {
            tracing::warn!(
                "created a new master key in {}: back it up, the database cannot be read without it",
                p.display()
            );
        }
        let keys = Keyring::new(dir, &master)?;
        let followups = db.open_tree(followup::T_FOLLOWUPS)?;
        let journal = db.open_tree(sweep::T_JOURNAL)?;
        if new_dir {
            write_marker(dir)?;
        }
        let store = Store {
            path: dir.to_path_buf(),
            db: durable::Db::new(db, dir),
            conversations,
            active,
            by_user,
            transcript,
            seen,
            links,
            cleanup,
            offers,
            peers,
            index,
            followups,
            journal,
            reads: Arc::default(),
            keys: Arc::new(keys),
            lifecycle: Arc::new(RwLock::new(())),
        };
        store.build_index(&meta)?;
        if store.schema_version()? == Some(SCHEMA_VERSION) {
            store.sweep_upgrade(&meta)?;
        }
        // Erasures cut short and keys made for nothing (see `sweep`).
        store.sweep_journal()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw (sealed) records of one tree, read-only: for audits and tests
    /// that check what is on disk. A tree that does not exist has none.
    pub fn raw_records(&self, tree: &str) -> Result<Vec<KeyValue>, StoreError> {
        if !self.db.tree_names().iter().any(|n| n == tree.as_bytes()) {
            return Ok(Vec::new());
        }
        self.db
            .open_tree(tree)?
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    /// A fresh, unique conversation id.
    pub fn new_conversation_id(&self) -> Result<String, StoreError> {
        Ok(format!("c{:06}", self.db.generate_id()?))
    }

    fn shared(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        // The lock guards no data, so a poisoned one is still good.
        self.lifecycle.read().unwrap_or_else(|p| p.into_inner())
    }

    fn exclusive(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.lifecycle.write().unwrap_or_else(|p| p.into_inner())
    }

    fn uref(&self, user: &str) -> UserRef {
        self.keys.user_ref(user)
    }

    /// A stable pseudonym for `user` (16 hex characters of their keyed hash):
    /// lets an export count returning users without naming them.
    pub fn pseudonym(&self, user: &str) -> String {
        crypto::hex(&self.uref(user)[..8])
    }

    /// Seals `plain` with `user`'s data key (created when missing), bound to
    /// `context` (say the tree name and record key). For modules that add
    /// trees with personal data.
    pub fn seal(&self, user: &str, context: &[&[u8]], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        Ok(self.keys.seal(&self.uref(user), context, plain)?)
    }

    /// Opens what [`Store::seal`] sealed; `None` when the user was forgotten.
    pub fn unseal(&self, context: &[&[u8]], sealed: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.keys.open(context, sealed)?)
    }

    fn open_json<T: for<'de> Deserialize<'de>>(
        &self,
        tree: &[u8],
        key: &[u8],
        sealed: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match self.keys.open(&[tree, key], sealed)? {
            Some(plain) => from_json(&plain).map(Some),
            None => Ok(None),
        }
    }

    pub fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        self.visit(1);
        match self.conversations.get(id.as_bytes())? {
            Some(v) => self.open_json(T_CONVERSATIONS, id.as_bytes(), &v),
            None => Ok(None),
        }
    }

    /// The user's active (unfinished) conversation.
    pub fn active_conversation(&self, user: &str) -> Result<Option<Conversation>, StoreError> {
        match self.active.get(self.uref(user))? {
            None => Ok(None),
            Some(id) => self.conversation(&String::from_utf8_lossy(&id)),
        }
    }

    /// Every conversation, oldest id first. Conversations of forgotten users
    /// (whose records may still linger) are left out, and so are those whose
    /// data key is damaged: one user's broken key never stops the others'
    /// export, sweep or erasure (a warning says how many were left out).
    pub fn conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        let mut out = Vec::new();
        let mut unreadable = 0;
        for kv in self.conversations.iter() {
            let (k, v) = kv?;
            match self.open_json(T_CONVERSATIONS, &k, &v) {
                Ok(Some(c)) => out.push(c),
                Ok(None) => {}
                Err(StoreError::Key(KeyError::Damaged(_)) | StoreError::Decode(_)) => {
                    unreadable += 1
                }
                Err(e) => return Err(e),
            }
        }
        if unreadable > 0 {
            tracing::warn!(
                conversations = unreadable,
                "conversations left out: their data key is damaged (forget those users to remove them)"
            );
        }
        Ok(out)
    }

    /// Ids of all conversations of a user.
    pub fn user_conversations(&self, user: &str) -> Result<Vec<String>, StoreError> {
        self.ids_of(&self.uref(user))
    }

    fn ids_of(&self, r: &UserRef) -> Result<Vec<String>, StoreError> {
        self.by_user
            .scan_prefix(r)
            .keys()
            .map(|k| {
                let k = k?;
                Ok(String::from_utf8_lossy(&k[r.len()..]).into_owned())
            })
            .collect()
    }

    fn lines<T: for<'de> Deserialize<'de>>(
        &self,
        tree: &sled::Tree,
        name: &[u8],
        conversation: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for kv in tree.scan_prefix(prefix(conversation)) {
            let (k, v) = kv?;
            self.visit(1);
            if let Some(e) = self.open_json(name, &k, &v)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    pub fn transcript(&self, conversation: &str) -> Result<Vec<Entry>, StoreError> {
        self.lines(&self.transcript, T_TRANSCRIPT, conversation)
    }

    /// Seals lines for a per-conversation tree, each under a fresh sequence key.
    fn seal_lines<T: Serialize>(
        &self,
        r: &UserRef,
        tree: &[u8],
        conversation: &str,
        items: &[T],
    ) -> Result<Vec<KeyValue>, StoreError> {
        let mut lines = Vec::with_capacity(items.len());
        for item in items {
            let seq = self.db.generate_id()?;
            let k = pair_key(conversation, &seq.to_be_bytes());
            let v = self.keys.seal(r, &[tree, &k], &to_json(item)?)?;
            lines.push((k, v));
        }
        Ok(lines)
    }

    /// Commits a turn: the new state and its transcript lines in one
    /// transaction, then flushes. Only after this returns may the reply be shown.
    /// A conversation that ends without consent (declined, or stopped at the
    /// consent question) is erased instead: nothing about the person stays.
    pub fn commit_turn(&self, conv: &Conversation, entries: &[Entry]) -> Result<(), StoreError> {
        self.commit_turn_linked(conv, entries, &[])
    }

    /// [`Store::commit_turn`] with link changes made by the same turn, all in
    /// the one transaction and flush.
    pub fn commit_turn_linked(
        &self,
        conv: &Conversation,
        entries: &[Entry],
        links: &[Link],
    ) -> Result<(), StoreError> {
        self.commit_turn_with(
            conv,
            entries,
            &TurnExtras {
                links: links.to_vec(),
                seen: None,
            },
        )
    }

    /// [`Store::commit_turn`] with what the turn's transport records with it
    /// (the event that caused it, for deduplication; links), all in the one
    /// transaction and the one flush.
    pub fn commit_turn_with(
        &self,
        conv: &Conversation,
        entries: &[Entry],
        extras: &TurnExtras,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let no_consent = conv.status.is_finished() && conv.answers.consent != Some(true);
        if conv.status == Status::Declined || no_consent {
            // The erasure flushes; the event is recorded first so a
            // redelivery is not taken for a new start.
            if let Some(s) = &extras.seen {
                s.record_now(&self.seen)?;
            }
            return self.erase_conversation(conv);
        }
        let _guard = self.shared();
        let r = self.uref(&conv.user);
        let state = self
            .keys
            .seal(&r, &[T_CONVERSATIONS, conv.id.as_bytes()], &to_json(conv)?)?;
        let lines = self.seal_lines(&r, T_TRANSCRIPT, &conv.id, entries)?;
        let links = self.seal_links(&extras.links)?;
        let finished = conv.status.is_finished();
        let indexed = index::IndexUpdate::of(conv, entries);
        (
            &self.conversations,
            &self.active,
            &self.by_user,
            &self.transcript,
            &self.links,
            &self.seen,
            &self.index,
        )
            .transaction(
                |(convs, active, by_user, transcript, link_tree, seen, index)| -> Tx {
                    indexed.apply(index)?;
                    if let Some(s) = &extras.seen {
                        s.record(seen)?;
                    }
                    convs.insert(conv.id.as_bytes(), state.clone())?;
                    by_user.insert(user_key(&r, &conv.id), &[][..])?;
                    if finished {
                        if active.get(r)?.as_deref() == Some(conv.id.as_bytes()) {
                            active.remove(&r[..])?;
                        }
                    } else {
                        active.insert(&r[..], conv.id.as_bytes())?;
                    }
                    for (k, v) in &lines {
                        transcript.insert(k.clone(), v.clone())?;
                    }
                    apply_links(link_tree, &links)?;
                    Ok(())
                },
            )
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// Seals what a link stores about a person, before its transaction.
    fn seal_links(&self, links: &[Link]) -> Result<Vec<SealedLink>, StoreError> {
        links
            .iter()
            .map(|l| match l {
                Link::IntakeThread { user, thread } => {
                    let r = self.uref(user);
                    let k = owner_key(thread);
                    let owner = self.keys.seal(&r, &[T_LINKS, &k], user.as_bytes())?;
                    Ok(SealedLink::Intake {
                        person: person_key(&r),
                        thread: thread.clone(),
                        owner,
                    })
                }
                Link::CoachThread {
                    thread,
                    conversation,
                } => Ok(SealedLink::Coach {
                    thread: thread.clone(),
                    conversation: conversation.clone(),
                }),
                Link::Card { conversation, card } => Ok(SealedLink::Card {
                    key: card_key(conversation),
                    card: to_json(card)?,
                }),
            })
            .collect()
    }

    /// Writes links on their own (one transaction, flushed): for a link made
    /// outside a turn, such as the intake thread opened after the first reply.
    pub fn link(&self, links: &[Link]) -> Result<(), StoreError> {
        let _guard = self.shared();
        let sealed = self.seal_links(links)?;
        self.links
            .transaction(|t| -> Tx { apply_links(t, &sealed) })
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// The person whose intake thread `thread` is (None when unknown, or
    /// when they were forgotten).
    pub fn thread_owner(&self, thread: &str) -> Result<Option<String>, StoreError> {
        let k = owner_key(thread);
        let Some(sealed) = self.links.get(&k)? else {
            return Ok(None);
        };
        Ok(self.keys.open(&[T_LINKS, &k], &sealed)?.map(|p| utf8(&p)))
    }

    /// `user`'s intake thread.
    pub fn intake_thread(&self, user: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .links
            .get(person_key(&self.uref(user)))?
            .map(|v| utf8(&v)))
    }

    /// The conversation whose coach relay thread `thread` is.
    pub fn coach_thread_conversation(&self, thread: &str) -> Result<Option<String>, StoreError> {
        Ok(self.links.get(coach_key(thread))?.map(|v| utf8(&v)))
    }

    /// The `links` keys that belong to the person `r` (their intake thread both ways).
    fn person_links(&self, r: &UserRef) -> Result<Vec<Vec<u8>>, StoreError> {
        let person = person_key(r);
        let mut out = Vec::new();
        if let Some(t) = self.links.get(&person)? {
            out.push(owner_key(&utf8(&t)));
        }
        out.push(person);
        Ok(out)
    }

    /// The `links` keys that belong to a conversation (its coach threads, both ways).
    fn conversation_links(&self, id: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let p = coach_index_prefix(id);
        let mut out = Vec::new();
        for k in self.links.scan_prefix(&p).keys() {
            let k = k?;
            let thread = utf8(&k[p.len()..]);
            if self.links.get(coach_key(&thread))?.as_deref() == Some(id.as_bytes()) {
                out.push(coach_key(&thread));
            }
            out.push(k.to_vec());
        }
        out.push(card_key(id));
        Ok(out)
    }

    /// The coach cards still to blank, oldest first.
    pub fn pending_cards(&self) -> Result<Vec<PendingCard>, StoreError> {
        self.cleanup
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                let seq = <[u8; 8]>::try_from(k.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::Decode("a clean-up key is not a sequence".into()))?;
                Ok(PendingCard {
                    seq,
                    card: from_json(&v)?,
                })
            })
            .collect()
    }

    /// The transport blanked the card (or it no longer exists there).
    pub fn card_cleared(&self, seq: u64) -> Result<(), StoreError> {
        self.cleanup.remove(seq.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// The owner of a stored conversation, read from its record's header.
    fn owner_of(&self, conversation: &str) -> Result<Option<UserRef>, StoreError> {
        Ok(self
            .conversations
            .get(conversation.as_bytes())?
            .and_then(|v| crypto::owner(&v)))
    }

    /// Appends transcript lines without changing the state (coach messages,
    /// notes, messages while the bot is quiet). Flushed before returning.
    /// Lines for a conversation that no longer exists (erased, forgotten)
    /// are dropped: there is nobody to keep them for.
    pub fn append(&self, conversation: &str, entries: &[Entry]) -> Result<(), StoreError> {
        self.append_lines(&self.transcript, T_TRANSCRIPT, conversation, entries, None)
    }

    /// [`Store::append`] recording the event that caused it in the same
    /// transaction and flush (a coach's relayed message).
    pub fn append_seen(
        &self,
        conversation: &str,
        entries: &[Entry],
        seen: Option<&Sighting>,
    ) -> Result<(), StoreError> {
        self.append_lines(&self.transcript, T_TRANSCRIPT, conversation, entries, seen)
    }

    fn append_lines(
        &self,
        tree: &sled::Tree,
        name: &[u8],
        conversation: &str,
        items: &[Entry],
        seen: Option<&Sighting>,
    ) -> Result<(), StoreError> {
        let _guard = self.shared();
        let Some(r) = self.owner_of(conversation)? else {
            tracing::warn!(
                conversation,
                "lines for a conversation that is not stored were dropped"
            );
            if let Some(s) = seen {
                s.record_now(&self.seen)?;
                self.db.flush()?;
            }
            return Ok(());
        };
        let lines = self.seal_lines(&r, name, conversation, items)?;
        let latest = items.iter().map(|e| e.at.timestamp()).max();
        let digest = index::NewLines::of(items);
        (tree, &self.seen, &self.index)
            .transaction(|(tree, seen_tree, index_tree)| -> Tx {
                if let Some(at) = latest {
                    index::touch(index_tree, conversation, at)?;
                }
                if name == T_TRANSCRIPT {
                    index::add_lines(index_tree, conversation, &digest)?;
                }
                for (k, v) in &lines {
                    tree.insert(k.clone(), v.clone())?;
                }
                if let Some(s) = seen {
                    s.record(seen_tree)?;
                }
                Ok(())
            })
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes one conversation (its hand-off state is part of it) with its
    /// transcript and index entries. When it was the user's last one, their data key is
    /// destroyed too, so no copy of anything about them can be read again.
    pub fn erase_conversation(&self, conv: &Conversation) -> Result<(), StoreError> {
        let _guard = self.exclusive();
        let r = self.uref(&conv.user);
        let card = conv.handoff.as_ref().and_then(|h| h.card.clone());
        self.erase(&conv.id, &r, card.as_slice())?;
        if self.ids_of(&r)?.is_empty() {
            self.forget_features(&r)?;
            self.keys.destroy(&r)?;
            // The erasure journalled itself (see `erase`): complete now.
            self.journal.remove(sweep::erased_key(&r))?;
        }
        Ok(())
    }

    /// Removes a conversation's records and links, and when it is the
    /// person's last one their own links too (caller holds the exclusive
    /// lock). The one place records are removed. Its coach card (`cards`
    /// as read from the record, and the one its link names) is queued to be
    /// blanked, in the same transaction.
    fn erase(&self, id: &str, r: &UserRef, cards: &[CardRef]) -> Result<(), StoreError> {
        let keys = |t: &sled::Tree| -> Result<Vec<sled::IVec>, sled::Error> {
            t.scan_prefix(prefix(id)).keys().collect()
        };
        let lines = keys(&self.transcript)?;
        let mut cards = cards.to_vec();
        if let Some(v) = self.links.get(card_key(id))? {
            let linked: CardRef = from_json(&v)?;
            if !cards.contains(&linked) {
                cards.push(linked);
            }
        }
        let mut queue = Vec::with_capacity(cards.len());
        for c in &cards {
            queue.push((self.db.generate_id()?.to_be_bytes(), to_json(c)?));
        }
        self.erase_follow_up(id, r)?;
        let mut links = self.conversation_links(id)?;
        // The person's own links go with their last conversation.
        let last = self.ids_of(r)?.iter().all(|c| c == id);
        if last {
            links.extend(self.person_links(r)?);
        }
        (
            &self.conversations,
            &self.active,
            &self.by_user,
            &self.transcript,
            &self.links,
            &self.cleanup,
            &self.index,
            &self.journal,
        )
            .transaction(
                |(convs, active, by_user, transcript, link_tree, cleanup, index_tree, journal)| -> Tx {
                    if last {
                        // Their key and feature records still go: a sweep finishes a cut-short erasure.
                        journal.insert(sweep::erased_key(r), &[][..])?;
                    }
                    index::forget(index_tree, id)?;
                    convs.remove(id.as_bytes())?;
                    for k in &links {
                        link_tree.remove(k.clone())?;
                    }
                    for (k, v) in &queue {
                        cleanup.insert(&k[..], v.clone())?;
                    }
                    by_user.remove(user_key(r, id))?;
                    if active.get(r)?.as_deref() == Some(id.as_bytes()) {
                        active.remove(&r[..])?;
                    }
                    for k in &lines {
                        transcript.remove(k.clone())?;
                    }
                    Ok(())
                },
            )
            .map_err(tx_err)?;
        self.db.flush()?;
        Ok(())
    }

    /// What the features' tables hold about the person `r` (offer answers,
    /// the peer pool and proposals) goes with them: on forgetting, and with
    /// their last conversation.
    fn forget_features(&self, r: &UserRef) -> Result<(), StoreError> {
        self.forget_offers(r)?;
        self.forget_peers(r)?;
        self.db.flush()?;
        Ok(())
    }

    /// Forgets a user: destroys their data key first (from that moment every
    /// copy of their records is unreadable, old sled segments and backups
    /// included), then removes their conversations (with their hand-off
    /// state), transcripts and index entries. Unknown users are fine.
    pub fn forget_user(&self, user: &str) -> Result<Forgotten, StoreError> {
        let _guard = self.exclusive();
        let r = self.uref(user);
        let conversations = self.ids_of(&r)?;
        // Read what the Discord side must clean up while it can still be read.
        let mut cards = Vec::new();
        let mut threads = Vec::new();
        let mut card_of = Vec::new();
        for id in &conversations {
            // A damaged key must not stop the erasure: its records cannot be
            // read, so only the card link (ids, unsealed) says what to blank.
            let h = match self.conversation(id) {
                Ok(c) => c.and_then(|c| c.handoff),
                Err(StoreError::Key(KeyError::Damaged(_)) | StoreError::Decode(_)) => None,
                Err(e) => return Err(e),
            };
            card_of.push(h.as_ref().and_then(|h| h.card.clone()));
            if let Some(h) = h {
                cards.extend(h.card);
                threads.extend(h.thread);
            }
        }
        if let Some(t) = self.links.get(person_key(&r))? {
            let t = utf8(&t);
            if !threads.contains(&t) {
                threads.push(t);
            }
        }
        // Journalled first: a forget cut short is finished by the next sweep.
        self.journal_forget(&r)?;
        self.forget_features(&r)?;
        let key_destroyed = self.keys.destroy(&r)?;
        for (id, card) in conversations.iter().zip(&card_of) {
            self.erase(id, &r, card.as_slice())?;
        }
        // An active pointer or links without a by_user entry cannot happen
        // (erase takes them with the last conversation), but cost nothing to clear.
        self.active.remove(r)?;
        for k in self.person_links(&r)? {
            self.links.remove(k)?;
        }
        self.db.flush()?;
        self.journal_done(&r)?;
        Ok(Forgotten {
            conversations,
            cards,
            threads,
            key_destroyed,
        })
    }

    /// Removes the records of conversations whose user's key is gone (left by
    /// a crash between destroying a key and removing the records). Returns
    /// how many conversations went.
    pub fn sweep_orphans(&self) -> Result<usize, StoreError> {
        let _guard = self.exclusive();
        let mut orphans = Vec::new();
        for kv in self.conversations.iter() {
            let (k, v) = kv?;
            self.visit(1);
            let Some(r) = crypto::owner(&v) else {
                continue;
            };
            // A damaged key still counts as a key: only forgetting its user removes those records.
            if matches!(self.keys.has_key(&r), Ok(false)) {
                orphans.push((String::from_utf8_lossy(&k).into_owned(), r));
            }
        }
        for (id, r) in &orphans {
            self.erase(id, r, &[])?;
        }
        self.sweep_orphan_links()?;
        drop(_guard);
        self.sweep_orphan_keys()?;
        Ok(orphans.len())
    }

    /// Destroys data keys that protect nothing any more (their user has no
    /// conversation; links of such a user go with the next sweep): left by a crash between removing a user's
    /// last records and destroying their key. Run at every start and by
    /// every retention sweep. Returns how many went.
    pub fn sweep_orphan_keys(&self) -> Result<usize, StoreError> {
        let _guard = self.exclusive();
        let mut n = 0;
        for r in self.keys.users()? {
            self.visit(1);
            if self.by_user.scan_prefix(r).next().is_none() && self.keys.destroy(&r)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Links left without their records: an intake thread whose person's
    /// key is gone, a coach thread or card whose conversation is gone (the
    /// card is queued to be blanked).
    fn sweep_orphan_links(&self) -> Result<(), StoreError> {
        let mut gone = Vec::new();
        for kv in self.links.iter() {
            let (k, v) = kv?;
            self.visit(1);
            let dead = match k.first() {
                Some(b'P') => match UserRef::try_from(&k[1..]) {
                    Ok(r) => matches!(self.keys.has_key(&r), Ok(false)),
                    Err(_) => false,
                },
                Some(b'T') => match crypto::owner(&v) {
                    Some(r) => matches!(self.keys.has_key(&r), Ok(false)),
                    None => true,
                },
                Some(b'C') => !self.conversations.contains_key(&v)?,
                Some(b'K') => {
                    let id = &k[1..k.len().saturating_sub(1)];
                    let gone = !self.conversations.contains_key(id)?;
                    if gone {
                        // Queued before the link goes: a crash between keeps the card.
                        let seq = self.db.generate_id()?.to_be_bytes();
                        self.cleanup.insert(seq, v.clone())?;
                    }
                    gone
                }
                _ => false,
            };
            if !dead {
                continue;
            }
            gone.push(k.to_vec());
            match k[0] {
                b'P' => gone.push(owner_key(&utf8(&v))),
                b'C' => gone.push(coach_index_key(&utf8(&v), &utf8(&k[1..]))),
                _ => {}
            }
        }
        for k in gone {
            self.links.remove(k)?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// Takes over links kept by an older version in trees of their own
    /// (`intake_tree`: `t/<thread>` -> owner's id sealed in that tree;
    /// `coach_tree`: thread -> conversation id), then drops those trees.
    /// Links that no longer open (forgotten owners) are left behind.
    pub fn import_links(&self, intake_tree: &str, coach_tree: &str) -> Result<usize, StoreError> {
        let names = self.db.tree_names();
        let has = |n: &str| names.iter().any(|x| x == n.as_bytes());
        if !has(intake_tree) && !has(coach_tree) {
            return Ok(0);
        }
        let mut links = Vec::new();
        if has(intake_tree) {
            for kv in self.db.open_tree(intake_tree)?.iter() {
                let (k, v) = kv?;
                let Some(thread) = k.strip_prefix(b"t/") else {
                    continue;
                };
                if let Ok(Some(user)) = self.keys.open(&[intake_tree.as_bytes(), &k], &v) {
                    links.push(Link::IntakeThread {
                        user: utf8(&user),
                        thread: utf8(thread),
                    });
                }
            }
        }
        if has(coach_tree) {
            for kv in self.db.open_tree(coach_tree)?.iter() {
                let (k, v) = kv?;
                links.push(Link::CoachThread {
                    thread: utf8(&k),
                    conversation: utf8(&v),
                });
            }
        }
        self.link(&links)?;
        for n in [intake_tree, coach_tree] {
            if has(n) {
                self.db.drop_tree(n)?;
            }
        }
        self.db.flush()?;
        Ok(links.len())
    }

    /// Whether a transport event is new (not seen, or its record expired),
    /// without recording it: the returned [`Sighting`] goes into the turn's
    /// own transaction ([`TurnExtras::seen`], [`Store::append_seen`]), so a
    /// turn costs one flush. None for a redelivered event. The caller holds
    /// the person's lock, so the same event cannot be checked twice at once.
    pub fn sighting(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<Option<Sighting>, StoreError> {
        let key = self.keys.event_ref(event_id);
        let seen_until = self
            .seen
            .get(key)?
            .as_deref()
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .map(i64::from_be_bytes);
        Ok(match seen_until {
            Some(t) if t >= now.timestamp() => None,
            _ => Some(Sighting {
                key,
                expiry: now.timestamp().saturating_add(ttl_secs).to_be_bytes(),
            }),
        })
    }

    /// Flushes everything to disk (shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_kept_by_an_older_version_are_taken_over_and_their_trees_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let old = store.db.open_tree("old_threads").unwrap();
        let sealed = store.seal("7", &[b"old_threads", b"t/100"], b"7").unwrap();
        old.insert("t/100", sealed).unwrap();
        old.insert("u/whatever", &b"100"[..]).unwrap();
        let coach = store.db.open_tree("old_coach").unwrap();
        coach.insert("300", &b"c000001"[..]).unwrap();
        assert_eq!(store.import_links("old_threads", "old_coach").unwrap(), 2);
        assert_eq!(store.thread_owner("100").unwrap().as_deref(), Some("7"));
        assert_eq!(store.intake_thread("7").unwrap().as_deref(), Some("100"));
        assert_eq!(
            store.coach_thread_conversation("300").unwrap().as_deref(),
            Some("c000001")
        );
        assert!(store.raw_records("old_threads").unwrap().is_empty());
        assert!(!store.db.tree_names().iter().any(|n| n == b"old_coach"));
        // A second start finds nothing more to take over.
        assert_eq!(store.import_links("old_threads", "old_coach").unwrap(), 0);
    }

    #[test]
    fn an_event_counts_as_seen_once_its_turn_is_committed_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let seen = store.sighting("msg-1", now, 60).unwrap().unwrap();
        // Only looking does not record it.
        assert!(store.sighting("msg-1", now, 60).unwrap().is_some());
        let conv = Conversation::new("c000001", "7", crate::content::text::Lang::Nl, now);
        let extras = TurnExtras {
            links: vec![Link::IntakeThread {
                user: "7".into(),
                thread: "100".into(),
            }],
            seen: Some(seen),
        };
        store.commit_turn_with(&conv, &[], &extras).unwrap();
        assert!(store.sighting("msg-1", now, 60).unwrap().is_none());
        assert_eq!(store.intake_thread("7").unwrap().as_deref(), Some("100"));
        // It is new again once its record expired, and other events are new.
        let later = now + chrono::Duration::seconds(61);
        assert!(store.sighting("msg-1", later, 60).unwrap().is_some());
        assert!(store.sighting("msg-2", now, 60).unwrap().is_some());
        // A coach line records its event with it.
        let s = store.sighting("msg-3", now, 60).unwrap();
        store
            .append_seen(
                "c000001",
                &[Entry::new(now, Role::Coach, "hoi")],
                s.as_ref(),
            )
            .unwrap();
        assert!(store.sighting("msg-3", now, 60).unwrap().is_none());
        assert_eq!(store.transcript("c000001").unwrap().len(), 1);
    }
}

#[cfg(test)]
mod open_tests {
    use super::*;

    #[test]
    fn a_permission_problem_is_named_as_such_and_advises_nothing_about_data() {
        let e = io_error(
            Path::new("/srv/llo"),
            "cannot read the directory",
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        let text = e.to_string();
        assert!(text.starts_with("permission denied on /srv/llo"), "{text}");
        assert!(
            !text.contains("backup") && !text.contains("corrupt"),
            "{text}"
        );
    }
}
