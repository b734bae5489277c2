//! Encryption at rest, and erasure that is real (crypto-shredding).
//!
//! sled is log-structured: a removed value can live on in old segments. So
//! nothing personal goes into sled in plaintext. Each user gets a random
//! 32-byte *data key*; their records are sealed with XChaCha20-Poly1305
//! (RustCrypto `chacha20poly1305`, random 192-bit nonces). Data keys are
//! wrapped by the *master key* and kept as one small file per user in
//! `<db>/keys/`, outside sled, so destroying a key (overwrite, fsync, unlink)
//! makes every copy of that user's records unreadable, old sled segments and
//! backups included. The files sit in 256 sub-directories named by the first
//! two hex characters of the file name (`keys/3f/3f…`), so no directory holds
//! more than a few hundred at 100,000 users; a database from before (all files
//! directly in `keys/`) is moved over by a schema migration
//! ([`Keyring::shard_flat`]); until then both places are read.
//!
//! User ids and event ids that sled needs as keys are replaced by a keyed hash
//! (HMAC-SHA256 under a key derived from the master key): stable, but useless
//! to someone who has the files and not the master key.
//!
//! The master key comes from `LLO_INTAKE_MASTER_KEY` (64 hex characters, or
//! base64 of 32 bytes) or from a key file (the same text), created with mode
//! 0600 on first run. Keys are never logged; their `Debug` output is redacted.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The environment variable that holds the master key.
pub const MASTER_KEY_ENV: &str = "LLO_INTAKE_MASTER_KEY";
/// The key file's name inside the database directory when none is configured.
pub const DEFAULT_KEY_FILE: &str = "master.key";
/// The directory (inside the database directory) with the wrapped data keys.
pub const KEYS_DIR: &str = "keys";

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Envelope format version (first byte of every sealed record).
const ENVELOPE_V1: u8 = 1;
/// A pseudonymous reference to a user: HMAC-SHA256 of their id.
pub type UserRef = [u8; KEY_LEN];

/// A key problem, worded for the operator. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the master key is not valid: {0} (expected 64 hex characters, or base64 of 32 bytes)"
    )]
    Format(&'static str),
    #[error("cannot read or write key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("this database is encrypted, but there is no master key: set {MASTER_KEY_ENV}, or put the key file back at {0}")]
    Missing(PathBuf),
    #[error("the master key does not fit this database (wrong {MASTER_KEY_ENV} or key file?); nothing was changed")]
    Mismatch,
    #[error("a stored data key is damaged ({0})")]
    Damaged(String),
}

/// The master key. Wraps the data keys and derives the index key.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> MasterKey {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut k[..]);
        MasterKey(k)
    }

    /// Parses 64 hex characters or base64 (standard alphabet, padding
    /// optional) of exactly 32 bytes. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<MasterKey, KeyError> {
        let t = text.trim();
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        if t.len() == 2 * KEY_LEN && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            for (i, pair) in t.as_bytes().chunks(2).enumerate() {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                k[i] = hex(pair[0]) << 4 | hex(pair[1]);
            }
            return Ok(MasterKey(k));
        }
        use base64::Engine as _;
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t))
                .map_err(|_| KeyError::Format("neither hex nor base64"))?,
        );
        if decoded.len() != KEY_LEN {
            return Err(KeyError::Format("it does not hold 32 bytes"));
        }
        k.copy_from_slice(&decoded);
        Ok(MasterKey(k))
    }

    /// The key as 64 lower-case hex characters (the key file's content).
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(2 * KEY_LEN));
        for b in self.0.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// A sub-key for one purpose: HMAC-SHA256(master, label).
    fn derive(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]> {
        hmac(&self.0[..], &[label.as_bytes()])
    }

    /// The value kept in the database to recognise this key (not the key).
    pub fn check_value(&self) -> Vec<u8> {
        self.derive("llo-intake/key-check/v1").to_vec()
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    for p in parts {
        mac.update(p);
    }
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Where the master key came from (for the operator's log; never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Env,
    File(PathBuf),
    /// A new key file was written on this run.
    Created(PathBuf),
}

/// Finds the master key: `LLO_INTAKE_MASTER_KEY` first, then `file`. When
/// neither exists and `may_create` (a new, empty database), a random key is
/// written to `file` with mode 0600.
pub fn load_master_key(file: &Path, may_create: bool) -> Result<(MasterKey, KeyOrigin), KeyError> {
    if let Ok(v) = std::env::var(MASTER_KEY_ENV) {
        if !v.trim().is_empty() {
            return Ok((MasterKey::parse(&v)?, KeyOrigin::Env));
        }
    }
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            Ok((
                MasterKey::parse(&text)?,
                KeyOrigin::File(file.to_path_buf()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !may_create {
                return Err(KeyError::Missing(file.to_path_buf()));
            }
            let key = MasterKey::generate();
            let mut text = key.to_hex();
            text.push('\n');
            write_private(file, text.as_bytes()).map_err(|source| KeyError::Io {
                path: file.to_path_buf(),
                source,
            })?;
            Ok((key, KeyOrigin::Created(file.to_path_buf())))
        }
        Err(source) => Err(KeyError::Io {
            path: file.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of
/// the directory), readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = private_options().open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// [`write_private`] without the fsyncs (see [`Keyring::defer_sync`]).
fn write_unsynced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    private_options().open(path)?.write_all(bytes)
}

fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Creates `path` for writing with mode 0600 (exports hold personal data).
/// A file that was already there is truncated and set to 0600 too, before
/// anything is written to it.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let f = private_options().open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// How many unwrapped data keys a process keeps at most (32 bytes each, plus
/// the map): a long-running bot that met 100,000 people does not hold all
/// their keys; a key read again costs one small file read.
pub const KEY_CACHE: usize = 4096;

/// How many locks the key files of different users are spread over.
const KEY_STRIPES: usize = 32;

/// Adds a key to the cache, first making room when it is full (an arbitrary
/// entry goes; dropped keys are zeroed).
fn remember(
    cache: &mut HashMap<UserRef, Zeroizing<[u8; KEY_LEN]>>,
    r: UserRef,
    key: Zeroizing<[u8; KEY_LEN]>,
) {
    if cache.len() >= KEY_CACHE && !cache.contains_key(&r) {
        if let Some(old) = cache.keys().next().copied() {
            cache.remove(&old);
        }
    }
    cache.insert(r, key);
}

/// The per-user data keys, wrapped by the master key, one file per user.
pub struct Keyring {
    dir: PathBuf,
    wrap: Zeroizing<[u8; KEY_LEN]>,
    index: Zeroizing<[u8; KEY_LEN]>,
    /// Unwrapped keys this process has used (dropped, zeroed, on destroy),
    /// at most [`KEY_CACHE`] of them.
    cache: Mutex<HashMap<UserRef, Zeroizing<[u8; KEY_LEN]>>>,
    /// Key file work (read, create, destroy) for one user at a time, in
    /// [`KEY_STRIPES`] stripes of users: a new person's key file and its
    /// fsyncs (milliseconds) hold only their stripe, not every other turn's
    /// seal and open. Taken before `cache`, never while holding it.
    files: [Mutex<()>; KEY_STRIPES],
    /// New key files are written without their fsyncs until
    /// [`Keyring::defer_sync`] ends it (bulk loading of synthetic databases).
    deferred: AtomicBool,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("dir", &self.dir).finish()
    }
}

/// A sealed record could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("a sealed record is damaged or was moved ({0})")]
    Damaged(&'static str),
}

impl Keyring {
    /// The keyring in `db_dir/keys`, under `master`.
    pub fn new(db_dir: &Path, master: &MasterKey) -> Result<Keyring, KeyError> {
        let dir = db_dir.join(KEYS_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| KeyError::Io {
            path: dir.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Keyring {
            dir,
            wrap: master.derive("llo-intake/wrap/v1"),
            index: master.derive("llo-intake/index/v1"),
            cache: Mutex::new(HashMap::new()),
            files: std::array::from_fn(|_| Mutex::new(())),
            deferred: AtomicBool::new(false),
        })
    }

    /// The keyed hash that stands in for `user` in sled keys.
    pub fn user_ref(&self, user: &str) -> UserRef {
        *hmac(&self.index[..], &[b"user\0", user.as_bytes()])
    }

    /// The keyed hash that stands in for a transport event id.
    pub fn event_ref(&self, event: &str) -> UserRef {
        *hmac(&self.index[..], &[b"event\0", event.as_bytes()])
    }

    fn path(&self, r: &UserRef) -> PathBuf {
        key_file_path(&self.dir, &hex(r))
    }

    /// Where the layout before sharding kept the key file.
    fn flat_path(&self, r: &UserRef) -> PathBuf {
        self.dir.join(hex(r))
    }

    /// Moves the key files of the layout before sharding into their
    /// sub-directories (the schema migration to version 4). Each move is one
    /// rename and both places are read, so a kill midway loses nothing and
    /// running it again finishes the move. Returns how many moved.
    pub(crate) fn shard_flat(&self) -> Result<usize, KeyError> {
        // Every stripe: no key is read between its two places while it moves.
        let _files: Vec<_> = (0..KEY_STRIPES).map(|i| self.stripe_at(i)).collect();
        shard_flat_keys(&self.dir).map_err(|source| KeyError::Io {
            path: self.dir.clone(),
            source,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserRef, Zeroizing<[u8; KEY_LEN]>>> {
        // A panic while holding the lock leaves the map consistent (inserts
        // and removes are single operations), so a poisoned lock is usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lock of `r`'s key file (see `files`).
    fn stripe(&self, r: &UserRef) -> std::sync::MutexGuard<'_, ()> {
        self.stripe_at(r[0] as usize % KEY_STRIPES)
    }

    fn stripe_at(&self, i: usize) -> std::sync::MutexGuard<'_, ()> {
        self.files[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, r: &UserRef) -> Option<Zeroizing<[u8; KEY_LEN]>> {
        self.lock().get(r).cloned()
    }

    /// The user's data key, or `None` when they have none (never had one, or
    /// it was destroyed).
    fn key(&self, r: &UserRef) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, KeyError> {
        if let Some(k) = self.cached(r) {
            return Ok(Some(k));
        }
        let _file = self.stripe(r);
        self.load(r)
    }

    /// The key from the cache, else from its file (remembered). The caller
    /// holds `r`'s stripe.
    fn load(&self, r: &UserRef) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, KeyError> {
        if let Some(k) = self.cached(r) {
            return Ok(Some(k));
        }
        let read = |path: PathBuf| match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyError::Io { path, source }),
        };
        let bytes = match read(self.path(r))? {
            Some(b) => b,
            // Not moved into its sub-directory yet (see `shard_flat`).
            None => match read(self.flat_path(r))? {
                Some(b) => b,
                None => return Ok(None),
            },
        };
        if bytes.iter().all(|b| *b == 0) {
            // Overwritten but not yet unlinked: a destroy that a crash cut
            // short. The key is gone; the sweeps finish the job.
            return Ok(None);
        }
        let key = self.unwrap_key(r, &bytes)?;
        remember(&mut self.lock(), *r, key.clone());
        Ok(Some(key))
    }

    /// The user's data key, created (and written durably) when missing.
    fn key_or_create(&self, r: &UserRef) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        if let Some(k) = self.key(r)? {
            return Ok(k);
        }
        // Held across the write so two threads cannot create two keys.
        let _file = self.stripe(r);
        if let Some(k) = self.load(r)? {
            return Ok(k);
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let wrapped = self.wrap_key(r, &key)?;
        let path = self.path(r);
        shard_dir(&self.dir, &path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let written = if self.deferred.load(Ordering::Relaxed) {
            write_unsynced(&path, &wrapped)
        } else {
            // Durably noted before the key exists (see `made`).
            self.note_made(r)
                .and_then(|()| write_private(&path, &wrapped))
        };
        written.map_err(|source| KeyError::Io { path, source })?;
        remember(&mut self.lock(), *r, key.clone());
        Ok(key)
    }

    /// Notes in `keys/new/` (an empty file named like the key file, synced)
    /// that `r`'s key is about to be made.
    fn note_made(&self, r: &UserRef) -> std::io::Result<()> {
        let dir = self.dir.join(NEW_DIR);
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)?;
            sync_dir(&self.dir)?;
        }
        private_options().open(dir.join(hex(r)))?;
        sync_dir(&dir)
    }

    /// The users whose key was made since the sweeps last looked (see
    /// [`NEW_DIR`]): what a sweep checks for keys that protect nothing,
    /// instead of every key file.
    pub(crate) fn made(&self) -> Result<Vec<UserRef>, KeyError> {
        let dir = self.dir.join(NEW_DIR);
        let io = |source| KeyError::Io {
            path: dir.clone(),
            source,
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut out = Vec::new();
        for e in entries {
            if let Some(r) = e.map_err(io)?.file_name().to_str().and_then(unhex) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// A sweep has checked `r`'s new key (it has records, or it was
    /// destroyed). Not synced: a note that comes back is checked again.
    pub(crate) fn made_checked(&self, r: &UserRef) -> Result<(), KeyError> {
        let path = self.dir.join(NEW_DIR).join(hex(r));
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(KeyError::Io { path, source }),
        }
    }

    /// While `on`, new key files are written without fsync (a bulk loader
    /// writing thousands of them); turning it off syncs the key directory.
    /// Not for the bot: a crash while deferred can lose keys whose records
    /// were already committed.
    pub(crate) fn defer_sync(&self, on: bool) -> Result<(), KeyError> {
        self.deferred.store(on, Ordering::Relaxed);
        if on {
            return Ok(());
        }
        let io = |source| KeyError::Io {
            path: self.dir.clone(),
            source,
        };
        for e in std::fs::read_dir(&self.dir).map_err(io)? {
            let e = e.map_err(io)?;
            if e.file_type().map_err(io)?.is_dir() {
                sync_dir(&e.path()).map_err(io)?;
            }
        }
        sync_dir(&self.dir).map_err(io)
    }

    /// Whether the user has a data key.
    pub fn has_key(&self, r: &UserRef) -> Result<bool, KeyError> {
        Ok(self.key(r)?.is_some())
    }

    /// Destroys the user's data key: overwritten with zeros, flushed, unlinked.
    /// Everything sealed with it is unreadable from then on, wherever a copy
    /// lives. Returns whether there was a key.
    pub fn destroy(&self, r: &UserRef) -> Result<bool, KeyError> {
        let _file = self.stripe(r);
        self.lock().remove(r);
        let mut had = false;
        for path in [self.path(r), self.flat_path(r)] {
            let io = |source| KeyError::Io {
                path: path.clone(),
                source,
            };
            if shred(&path).map_err(io)? {
                sync_dir(path.parent().unwrap_or(&self.dir)).map_err(io)?;
                had = true;
            }
        }
        Ok(had)
    }

    /// The users that have a data key (for sweeping orphaned keys).
    pub fn users(&self) -> Result<Vec<UserRef>, KeyError> {
        let io = |source| KeyError::Io {
            path: self.dir.clone(),
            source,
        };
        Ok(key_files(&self.dir)
            .map_err(io)?
            .iter()
            .filter_map(|p| p.file_name()?.to_str().and_then(unhex))
            .collect())
    }

    fn wrap_key(&self, r: &UserRef, key: &[u8; KEY_LEN]) -> Result<Vec<u8>, KeyError> {
        seal_with(&self.wrap, r, &[b"data-key\0", r], key).ok_or(KeyError::Damaged(
            "the data key could not be wrapped".into(),
        ))
    }

    fn unwrap_key(&self, r: &UserRef, bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        let plain = open_with(&self.wrap, &[b"data-key\0", r], bytes)
            .map(Zeroizing::new)
            .ok_or(KeyError::Damaged(format!(
                "key file {} does not open under this master key",
                hex(r)
            )))?;
        if plain.len() != KEY_LEN {
            return Err(KeyError::Damaged(format!(
                "key file {} has a bad size",
                hex(r)
            )));
        }
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(&plain);
        Ok(k)
    }

    /// Seals `plain` for `user`. `context` binds the record to where it is
    /// stored (tree and key), so a sealed value cannot be moved elsewhere.
    pub fn seal(&self, r: &UserRef, context: &[&[u8]], plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = self.key_or_create(r)?;
        seal_with(&key, r, context, plain)
            .ok_or(KeyError::Damaged("a record could not be sealed".into()))
    }

    /// Opens a sealed record. `Ok(None)`: its user's key was destroyed, so
    /// the record is gone for good (crypto-shredded).
    pub fn open(&self, context: &[&[u8]], sealed: &[u8]) -> Result<Option<Vec<u8>>, SealError> {
        let r = owner(sealed).ok_or(SealError::Damaged("too short"))?;
        let Some(key) = self.key(&r)? else {
            return Ok(None);
        };
        open_with(&key, context, sealed)
            .map(Some)
            .ok_or(SealError::Damaged("authentication failed"))
    }
}

/// The user a sealed record belongs to (stored in its header).
pub fn owner(sealed: &[u8]) -> Option<UserRef> {
    if sealed.len() < 1 + KEY_LEN + NONCE_LEN + TAG_LEN || sealed[0] != ENVELOPE_V1 {
        return None;
    }
    let mut r = [0u8; KEY_LEN];
    r.copy_from_slice(&sealed[1..1 + KEY_LEN]);
    Some(r)
}

/// Envelope: version (1) | user ref (32) | nonce (24) | ciphertext + tag.
/// The header is authenticated as associated data, with `context`.
fn seal_with(key: &[u8; KEY_LEN], r: &UserRef, context: &[&[u8]], plain: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(1 + KEY_LEN + NONCE_LEN + plain.len() + TAG_LEN);
    out.push(ENVELOPE_V1);
    out.extend_from_slice(r);
    out.extend_from_slice(&nonce);
    let aad = aad(&out, context);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .ok()?;
    out.extend_from_slice(&ct);
    Some(out)
}

fn open_with(key: &[u8; KEY_LEN], context: &[&[u8]], sealed: &[u8]) -> Option<Vec<u8>> {
    let head = 1 + KEY_LEN + NONCE_LEN;
    if sealed.len() < head + TAG_LEN || sealed[0] != ENVELOPE_V1 {
        return None;
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
    let nonce = XNonce::from_slice(&sealed[1 + KEY_LEN..head]);
    let aad = aad(&sealed[..head], context);
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: &sealed[head..],
                aad: &aad,
            },
        )
        .ok()
}

/// Header plus length-prefixed context parts (unambiguous concatenation).
fn aad(header: &[u8], context: &[&[u8]]) -> Vec<u8> {
    let mut a = header.to_vec();
    for c in context {
        a.extend_from_slice(&(c.len() as u64).to_be_bytes());
        a.extend_from_slice(c);
    }
    a
}

/// Overwrites a key file with zeros, flushes it, unlinks it (how a data key
/// is destroyed, here and in backups). Returns whether there was one.
pub fn shred(path: &Path) -> std::io::Result<bool> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(&vec![0u8; len as usize])?;
        f.sync_all()?;
    }
    std::fs::remove_file(path)?;
    Ok(true)
}

/// Where the data key file `name` (the [`hex`] of its user ref) lives in the
/// keys directory `keys_dir`: in the sub-directory named by its first two
/// characters.
pub fn key_file_path(keys_dir: &Path, name: &str) -> PathBuf {
    let shard = name.get(..SHARD_CHARS).unwrap_or(name);
    keys_dir.join(shard).join(name)
}

/// The sub-directory of `keys/` that notes the keys made since the sweeps
/// last looked: an empty file per key, named like it, written and synced
/// before the key file. A key made for a turn that never committed (a kill
/// in between, a full disk) is found there by the next start or retention
/// sweep, which do not list every key file.
pub const NEW_DIR: &str = "new";

/// Characters of a key file's name that name its sub-directory (256 of them).
const SHARD_CHARS: usize = 2;

fn is_shard(name: &str) -> bool {
    name.len() == SHARD_CHARS && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every data key file in `keys_dir`: in its sub-directory, or directly in
/// `keys_dir` (the layout before sharding, until [`Keyring::shard_flat`]
/// moved it).
/// What a crash left half-written (`*.tmp`) is not a key file. A missing
/// directory holds none.
pub fn key_files(keys_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(keys_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    let is_key = |e: &std::fs::DirEntry| -> std::io::Result<bool> {
        Ok(e.file_name().to_str().and_then(unhex).is_some() && e.file_type()?.is_file())
    };
    for e in entries {
        let e = e?;
        if is_key(&e)? {
            out.push(e.path());
        } else if e.file_name().to_str().is_some_and(is_shard) && e.file_type()?.is_dir() {
            for f in std::fs::read_dir(e.path())? {
                let f = f?;
                if is_key(&f)? {
                    out.push(f.path());
                }
            }
        }
    }
    Ok(out)
}

/// Creates the sub-directory that `file` goes in (mode 0700) when missing,
/// durably (the keys directory is synced after).
fn shard_dir(keys_dir: &Path, file: &Path) -> std::io::Result<()> {
    let Some(shard) = file.parent() else {
        return Ok(());
    };
    if shard.is_dir() {
        return Ok(());
    }
    match std::fs::create_dir(shard) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(shard, std::fs::Permissions::from_mode(0o700))?;
    }
    sync_dir(keys_dir)
}

/// Moves the key files of the flat layout (directly in `keys_dir`) into
/// their sub-directories. Each move is one rename, so a file is always in
/// one of its two places: a kill midway loses no key, and the next start
/// moves the rest. A flat file whose sharded copy already exists is an old
/// copy: it is overwritten with zeros and removed. Returns how many moved.
fn shard_flat_keys(keys_dir: &Path) -> std::io::Result<usize> {
    let mut moved = 0;
    let mut shards = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(keys_dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if unhex(name).is_none() || !e.file_type()?.is_file() {
            continue;
        }
        let to = key_file_path(keys_dir, name);
        if to.exists() {
            shred(&e.path())?;
            continue;
        }
        shard_dir(keys_dir, &to)?;
        std::fs::rename(e.path(), &to)?;
        if let Some(s) = to.parent() {
            shards.insert(s.to_path_buf());
        }
        moved += 1;
    }
    for s in &shards {
        sync_dir(s)?;
    }
    sync_dir(keys_dir)?;
    Ok(moved)
}

/// Lower-case hex of a user ref (key file names, export pseudonyms).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<UserRef> {
    if s.len() != 2 * KEY_LEN {
        return None;
    }
    let mut r = [0u8; KEY_LEN];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        r[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_parses_hex_and_base64_and_rejects_the_rest() {
        let hex_key = "00".repeat(31) + "ff";
        assert_eq!(MasterKey::parse(&hex_key).unwrap().0[31], 0xff);
        let b64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP8=";
        assert_eq!(MasterKey::parse(b64).unwrap().0[31], 0xff);
        assert!(MasterKey::parse("abc").is_err());
        assert!(MasterKey::parse(&"0".repeat(62)).is_err());
        let k = MasterKey::generate();
        assert_eq!(MasterKey::parse(&k.to_hex()).unwrap().0, k.0);
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn the_key_cache_stays_bounded_and_evicted_keys_still_open_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::new(dir.path(), &MasterKey::generate()).unwrap();
        let first = ring.user_ref("0");
        let sealed = ring.seal(&first, &[b"t", b"k"], b"eerste").unwrap();
        for i in 1..(KEY_CACHE + 50) {
            let r = ring.user_ref(&i.to_string());
            ring.seal(&r, &[b"t", b"k"], b"x").unwrap();
        }
        assert_eq!(ring.lock().len(), KEY_CACHE);
        let opened = ring.open(&[b"t", b"k"], &sealed).unwrap();
        assert_eq!(opened.as_deref(), Some(&b"eerste"[..]));
    }

    #[test]
    fn a_key_file_being_written_holds_up_only_its_own_users() {
        let dir = tempfile::tempdir().unwrap();
        let ring = std::sync::Arc::new(Keyring::new(dir.path(), &MasterKey::generate()).unwrap());
        let known = ring.user_ref("known");
        let sealed = ring.seal(&known, &[b"t", b"k"], b"al bekend").unwrap();
        // A new person in another stripe, whose key file is being written.
        let new = (0..)
            .map(|i: u32| ring.user_ref(&format!("new{i}")))
            .find(|r| r[0] as usize % KEY_STRIPES != known[0] as usize % KEY_STRIPES)
            .unwrap();
        let writing = ring.stripe(&new);
        let (tx, rx) = std::sync::mpsc::channel();
        let r2 = ring.clone();
        std::thread::spawn(move || {
            // A known person's record opens; another new person gets a key.
            let opened = r2.open(&[b"t", b"k"], &sealed).map(|o| o.is_some());
            let other = (0..)
                .map(|i: u32| r2.user_ref(&format!("other{i}")))
                .find(|r| r[0] as usize % KEY_STRIPES != new[0] as usize % KEY_STRIPES)
                .unwrap();
            let created = r2.seal(&other, &[b"t", b"k"], b"x").is_ok();
            let _ = tx.send((opened.unwrap_or(false), created));
        });
        // Not a timing target: only "not blocked behind the other stripe".
        let got = rx.recv_timeout(std::time::Duration::from_secs(30));
        drop(writing);
        assert_eq!(got.ok(), Some((true, true)));
    }

    #[test]
    fn racing_first_seals_of_one_person_make_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = std::sync::Arc::new(Keyring::new(dir.path(), &MasterKey::generate()).unwrap());
        let r = ring.user_ref("samen");
        let sealed: Vec<Vec<u8>> = (0..8)
            .map(|i| {
                let ring = ring.clone();
                std::thread::spawn(move || ring.seal(&r, &[b"t", b"k"], &[i]).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        // Forget the cache: every record opens with the one key on disk.
        ring.lock().clear();
        for (i, s) in sealed.iter().enumerate() {
            assert_eq!(ring.open(&[b"t", b"k"], s).unwrap(), Some(vec![i as u8]));
        }
    }

    #[test]
    fn sealed_records_are_bound_to_their_place_and_die_with_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::new(dir.path(), &MasterKey::generate()).unwrap();
        let r = ring.user_ref("42");
        let sealed = ring.seal(&r, &[b"t", b"k1"], b"geheim").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"geheim"));
        assert_eq!(
            ring.open(&[b"t", b"k1"], &sealed).unwrap().unwrap(),
            b"geheim"
        );
        // Moved to another key: refused.
        assert!(ring.open(&[b"t", b"k2"], &sealed).is_err());
        assert!(ring.destroy(&r).unwrap());
        assert_eq!(ring.open(&[b"t", b"k1"], &sealed).unwrap(), None);
        assert!(!ring.destroy(&r).unwrap());
    }
}
