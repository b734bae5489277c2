//! Backups, their expiry, restore, and the upgrade path at start.
//!
//! A backup is a directory `llo-intake-YYYYMMDDTHHMMSSZ` that is itself an
//! llo-intake database (a fresh sled copy of every tree, the `keys/`
//! directory with the wrapped data keys, the marker) plus `BACKUP.txt`
//! saying what it is. It is taken by the process that has the database open
//! ([`Store::copy_into`]): the running bot on its schedule (`[backup]`), or
//! `llo-intake backup` while the bot is stopped.
//!
//! **It does not hold the master key.** Reading it needs the same master key
//! as the database (`LLO_INTAKE_MASTER_KEY` or the key file); keep that key
//! somewhere else than the backups. The data keys in a backup are copies, so
//! forgetting a person also destroys their key file in every backup of the
//! database in `[backup] dir` and the upgrade backups ([`forget_in_backups`]):
//! their records there can no longer be read. For copies of backups moved
//! elsewhere, expiry is the bound: the sweep after every scheduled backup
//! deletes every backup older than `keep × interval`
//! ([`BackupConfig::window_days`], at most [`MAX_WINDOW_DAYS`]); rotate
//! off-site copies on the same window.
//!
//! [`open`] is how the commands open a database: an older schema version is
//! first backed up, then migrated ([`crate::app::store::migrate`]).

use crate::app::crypto::{self, KeyError};
use crate::app::settings::{relative_to, within};
use crate::app::store::{Store, StoreError, MARKER, SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Backups older than this many days can never be configured to be kept.
pub const MAX_WINDOW_DAYS: u64 = 90;
/// Bounds of `[backup] keep`.
pub const KEEP: std::ops::RangeInclusive<u32> = 1..=1000;
/// Bounds of `[backup] interval`, in minutes (15 minutes to 30 days).
pub const INTERVAL_MINS: std::ops::RangeInclusive<u64> = 15..=30 * 24 * 60;
/// What every backup directory's name starts with.
pub const PREFIX: &str = "llo-intake-";
/// The note in every backup.
pub const README: &str = "BACKUP.txt";

/// The `[backup]` section: scheduled backups by the running bot.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// Where backups go. Without it the bot takes none (and an upgrade's
    /// automatic backup goes to `<database>.backups`).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Time between backups: a number and a unit, `m`, `h` or `d`
    /// (`"30m"`, `"6h"`, `"1d"`). 15 minutes to 30 days.
    #[serde(default = "default_interval")]
    pub interval: String,
    /// How many backups are kept. 1 to 1000, and `keep × interval` at most
    /// [`MAX_WINDOW_DAYS`] days.
    #[serde(default = "default_keep")]
    pub keep: u32,
}

fn default_interval() -> String {
    "1d".into()
}

fn default_keep() -> u32 {
    7
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            dir: None,
            interval: default_interval(),
            keep: default_keep(),
        }
    }
}

/// Minutes in `s` ("30m", "6h", "1d"), or why not.
pub fn parse_interval(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let per = match unit.trim() {
        "m" | "min" => 1,
        "h" => 60,
        "d" => 24 * 60,
        _ => 0,
    };
    match num.parse::<u64>() {
        Ok(n) if per > 0 => Ok(n.saturating_mul(per)),
        _ => Err(format!(
            "[backup] interval '{s}' is not a number with a unit m, h or d (e.g. \"6h\", \"1d\")"
        )),
    }
}

impl BackupConfig {
    /// Takes a relative `dir` relative to `base`, the config file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        self.dir = self.dir.as_deref().map(|p| relative_to(base, p));
    }

    /// Checks the bounds (the message names the key).
    pub fn validate(&self) -> Result<(), String> {
        let mins = parse_interval(&self.interval)?;
        within("backup", "interval (minutes)", mins, INTERVAL_MINS)?;
        within("backup", "keep", self.keep, KEEP)?;
        let window = mins * u64::from(self.keep);
        if window > MAX_WINDOW_DAYS * 24 * 60 {
            return Err(format!(
                "[backup] keep × interval must be at most {MAX_WINDOW_DAYS} days (it is {:.1} days): backups hold people who asked to be forgotten until they expire",
                window as f64 / (24.0 * 60.0)
            ));
        }
        Ok(())
    }

    /// The interval (validated: [`BackupConfig::validate`] ran on load).
    pub fn interval(&self) -> chrono::Duration {
        chrono::Duration::minutes(parse_interval(&self.interval).unwrap_or(24 * 60) as i64)
    }

    /// How old a backup may get: `keep × interval`.
    pub fn window(&self) -> chrono::Duration {
        self.interval() * self.keep as i32
    }

    /// [`BackupConfig::window`] in days (the figure the README and `check` state).
    pub fn window_days(&self) -> f64 {
        self.window().num_minutes() as f64 / (24.0 * 60.0)
    }
}

/// A backup problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: a backup is only written into, and restored into, a new or empty directory; nothing was changed")]
    NotEmpty(PathBuf),
    #[error("{0} is not an llo-intake backup (no {MARKER} and sled files in it)")]
    NotABackup(PathBuf),
    #[error("the master key does not fit the backup in {0} (a different LLO_INTAKE_MASTER_KEY or key file than the database it was taken from); nothing was restored")]
    WrongKey(PathBuf),
    #[error("no master key for the backup: backups do not hold it. Set {env}, or give the key file with --key-file (or [privacy] master_key_file in --config); nothing was restored", env = crypto::MASTER_KEY_ENV)]
    NoKey,
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io { what, path, source }
}

/// A backup that was written.
#[derive(Debug, Clone)]
pub struct Taken {
    pub path: PathBuf,
    pub at: DateTime<Utc>,
    pub copied: crate::app::store::backup::Copied,
    /// Bytes on disk.
    pub bytes: u64,
}

static TAKEN: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicI64 = AtomicI64::new(i64::MIN);

/// Backups this process took, and when the last one was (for metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub taken: u64,
    pub last: Option<DateTime<Utc>>,
}

/// [`Stats`] of this process so far.
pub fn stats() -> Stats {
    let last = LAST.load(Ordering::Relaxed);
    Stats {
        taken: TAKEN.load(Ordering::Relaxed),
        last: (last != i64::MIN)
            .then(|| DateTime::from_timestamp(last, 0))
            .flatten(),
    }
}

/// The sentence every backup, and every command that writes or restores
/// one, says about the master key.
pub fn key_notice() -> String {
    format!(
        "this backup does not hold the master key: it can only be read with the same master key as the database ({} or the key file, by default master.key in the database directory). Keep a copy of that key apart from the backups; without it the backup is useless, and with it anyone holding the backup can read it",
        crypto::MASTER_KEY_ENV
    )
}

fn is_empty_dir(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut e) => Ok(e.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io("read", dir)(e)),
    }
}

/// A sibling of `target` to build in, renamed onto `target` when complete.
fn staging(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    target.with_file_name(format!(".{name}.{what}-{:08x}", rand::random::<u32>()))
}

/// Bytes on disk under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes a backup of `store` into `target` (a new or empty directory):
/// built beside it and renamed into place when complete, so a crash never
/// leaves a half backup under a backup's name.
pub fn take_into(store: &Store, target: &Path, now: DateTime<Utc>) -> Result<Taken, BackupError> {
    if !is_empty_dir(target)? {
        return Err(BackupError::NotEmpty(target.to_path_buf()));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    let tmp = staging(target, "partial");
    let result = (|| {
        let copied = store.copy_into(&tmp)?;
        let note = format!(
            "llo-intake backup, taken {} by llo-intake {} (schema version {SCHEMA_VERSION}) from {}.\n\
             {} tree(s), {} record(s), {} data key(s).\n\n\
             Restore it with `llo-intake restore {} --db NEW_DIR` (the bot stopped; NEW_DIR new or empty).\n\
             Note: {}.\n",
            now.to_rfc3339(),
            env!("CARGO_PKG_VERSION"),
            store.path().display(),
            copied.trees,
            copied.records,
            copied.keys,
            target.display(),
            key_notice()
        );
        std::fs::write(tmp.join(README), note).map_err(io("write", &tmp))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700))
                .map_err(io("protect", &tmp))?;
        }
        if target.is_dir() {
            std::fs::remove_dir(target).map_err(io("replace", target))?;
        }
        std::fs::rename(&tmp, target).map_err(io("put in place", target))?;
        if let Some(parent) = target.parent() {
            sync_dir(parent);
        }
        Ok(copied)
    })();
    let copied = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    TAKEN.fetch_add(1, Ordering::Relaxed);
    LAST.store(now.timestamp(), Ordering::Relaxed);
    let bytes = dir_size(target);
    tracing::info!(path = %target.display(), bytes, records = copied.records, "backup taken");
    Ok(Taken {
        path: target.to_path_buf(),
        at: now,
        copied,
        bytes,
    })
}

/// The name of a backup taken at `now`.
pub fn backup_name(now: DateTime<Utc>) -> String {
    format!("{PREFIX}{}", now.format("%Y%m%dT%H%M%SZ"))
}

/// When the backup called `name` was taken (None: not a backup's name).
pub fn taken_at(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.get(..16)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Takes a backup into a new directory in `dir` named by the time.
pub fn take(store: &Store, dir: &Path, now: DateTime<Utc>) -> Result<Taken, BackupError> {
    let base = backup_name(now);
    let mut target = dir.join(&base);
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = dir.join(format!("{base}-{n}"));
    }
    take_into(store, &target, now)
}

/// The backups in `dir`, oldest first.
pub fn list(dir: &Path) -> Result<Vec<(DateTime<Utc>, PathBuf)>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io("read", dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(at) = taken_at(&name).filter(|_| e.path().is_dir()) {
            out.push((at, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Deletes a backup: its data key files are overwritten first (as a
/// destroyed key is), then the directory goes.
fn delete(path: &Path) -> Result<(), BackupError> {
    let keys = path.join(crypto::KEYS_DIR);
    for f in crypto::key_files(&keys).unwrap_or_default() {
        let _ = crypto::shred(&f);
    }
    std::fs::remove_dir_all(path).map_err(io("delete", path))
}

/// The backup directories of each open database (registered by [`open`]),
/// so forgetting someone reaches their copies.
static DIRS: std::sync::Mutex<Vec<(PathBuf, PathBuf)>> = std::sync::Mutex::new(Vec::new());

fn register(db: &Path, backups: &Path) {
    let mut dirs = DIRS.lock().unwrap_or_else(|p| p.into_inner());
    let entry = (db.to_path_buf(), backups.to_path_buf());
    if !dirs.contains(&entry) {
        dirs.push(entry);
    }
}

/// Destroys `user`'s data key in every backup of `store`'s database that
/// this process knows of (`[backup] dir` and the upgrade backups): from then
/// on their records in those backups cannot be read either (a restore drops
/// them). Copies of backups elsewhere keep the key until they expire.
/// Returns in how many backups a key was destroyed; failures are logged.
pub fn forget_in_backups(store: &Store, user: &str) -> usize {
    let name = store.data_key_name(user);
    let dirs: Vec<PathBuf> = DIRS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(db, _)| db == store.path())
        .map(|(_, b)| b.clone())
        .collect();
    let mut n = 0;
    for (_, backup) in dirs.iter().flat_map(|d| list(d).unwrap_or_default()) {
        let keys = backup.join(crypto::KEYS_DIR);
        // Backups taken before the keys directory was sharded hold it flat.
        let shredded = crypto::shred(&crypto::key_file_path(&keys, &name))
            .and_then(|a| Ok(crypto::shred(&keys.join(&name))? || a));
        match shredded {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(backup = %backup.display(), "cannot destroy a data key in a backup: {e}")
            }
        }
    }
    if n > 0 {
        tracing::info!(backups = n, "data key destroyed in backups too");
    }
    n
}

/// The expiry sweep: deletes every backup in `dir` older than
/// `keep × interval`, and all but the newest `keep`; and what an
/// interrupted backup left (`.*.partial-*` older than an hour). Returns how
/// many backups went.
pub fn sweep(dir: &Path, config: &BackupConfig, now: DateTime<Utc>) -> Result<usize, BackupError> {
    let all = list(dir)?;
    let keep = config.keep as usize;
    let surplus = all.len().saturating_sub(keep);
    let mut n = 0;
    for (i, (at, path)) in all.iter().enumerate() {
        if i < surplus || now - *at >= config.window() {
            delete(path)?;
            n += 1;
        }
    }
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|a| a > std::time::Duration::from_secs(3600));
        if name.starts_with('.') && name.contains(".partial-") && old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    if n > 0 {
        tracing::info!(deleted = n, "expired backups deleted");
    }
    Ok(n)
}

/// One pass of the schedule: a backup into `[backup] dir` when the newest
/// there is `interval` old (or there is none), then the expiry sweep.
/// Nothing when no `dir` is configured.
pub fn scheduled(
    store: &Store,
    config: &BackupConfig,
    now: DateTime<Utc>,
) -> Result<Option<Taken>, BackupError> {
    let Some(dir) = &config.dir else {
        return Ok(None);
    };
    let newest = list(dir)?.last().map(|(at, _)| *at);
    let taken = match newest {
        Some(at) if now - at < config.interval() => None,
        _ => Some(take(store, dir, now)?),
    };
    sweep(dir, config, now)?;
    Ok(taken)
}

/// Where the master key for a restore comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `LLO_INTAKE_MASTER_KEY`.
    Env,
    /// A key file; `copy_to_db`: also put it at `<db>/master.key` (where the
    /// restored database looks when no key file is configured).
    File { path: PathBuf, copy_to_db: bool },
}

/// What [`restore`] did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub conversations: usize,
    /// The schema version the backup had (migrated to the current one).
    pub schema: u32,
    /// Where the master key was copied, if it was.
    pub key_copied: Option<PathBuf>,
}

/// Restores the backup in `from` into `to` (new or empty): copied beside
/// `to`, opened with the master key (which must fit: the database's
/// `key_check`), migrated when older, then renamed into place. Nothing is
/// left behind on failure.
pub fn restore(
    from: &Path,
    to: &Path,
    key: &KeySource,
    now: DateTime<Utc>,
) -> Result<Restored, BackupError> {
    if !from.join(MARKER).is_file() || !from.join("db").is_file() {
        return Err(BackupError::NotABackup(from.to_path_buf()));
    }
    if !is_empty_dir(to)? {
        return Err(BackupError::NotEmpty(to.to_path_buf()));
    }
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    let tmp = staging(to, "restoring");
    let result = (|| {
        crate::app::ops::copy_dir(from, &tmp).map_err(io("copy", from))?;
        let _ = std::fs::remove_file(tmp.join(README));
        let key_file = match key {
            KeySource::Env => None,
            KeySource::File { path, .. } => Some(path.as_path()),
        };
        let store = match Store::open_any_version(&tmp, key_file) {
            Ok(s) => s,
            Err(StoreError::Key(KeyError::Mismatch)) => {
                return Err(BackupError::WrongKey(from.to_path_buf()))
            }
            Err(StoreError::Key(KeyError::Missing(_))) => return Err(BackupError::NoKey),
            Err(e) => return Err(e.into()),
        };
        let schema = store.schema_version()?.unwrap_or(SCHEMA_VERSION);
        store.migrate(now)?;
        let conversations = store.conversations()?.len();
        store.flush()?;
        drop(store);
        Ok((schema, conversations))
    })();
    let (schema, conversations) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if to.is_dir() {
        std::fs::remove_dir(to).map_err(io("replace", to))?;
    }
    std::fs::rename(&tmp, to).map_err(io("put in place", to))?;
    let mut key_copied = None;
    if let KeySource::File {
        path,
        copy_to_db: true,
    } = key
    {
        let dest = to.join(crypto::DEFAULT_KEY_FILE);
        let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(io("read", path))?);
        let mut f = crypto::create_private_file(&dest).map_err(io("write", &dest))?;
        std::io::Write::write_all(&mut f, &bytes).map_err(io("write", &dest))?;
        f.sync_all().map_err(io("write", &dest))?;
        key_copied = Some(dest);
    }
    if let Some(parent) = to.parent() {
        sync_dir(parent);
    }
    Ok(Restored {
        conversations,
        schema,
        key_copied,
    })
}

/// Where an upgrade's automatic backup goes without `[backup] dir`.
pub fn upgrade_dir(db: &Path) -> PathBuf {
    let mut name = db
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "data".into());
    name.push(".backups");
    db.with_file_name(name)
}

/// Opens the database for a command or the bot. A database at an older
/// schema version is backed up first (into `backups`, else
/// [`upgrade_dir`]) and then migrated; the backup is logged and kept like
/// any other (the sweep expires it too).
pub fn open(
    db: &Path,
    key_file: Option<&Path>,
    backups: Option<&Path>,
) -> Result<Store, BackupError> {
    open_with_cache(db, key_file, backups, crate::app::store::CACHE_BYTES)
}

/// [`open`] with sled's page cache set to `cache_bytes` (the bot's
/// `[intake] cache_mib`).
pub fn open_with_cache(
    db: &Path,
    key_file: Option<&Path>,
    backups: Option<&Path>,
    cache_bytes: u64,
) -> Result<Store, BackupError> {
    upgrade(
        Store::open_any_version_with_cache(db, key_file, cache_bytes)?,
        db,
        backups,
    )
}

/// The second half of [`open`]: registers the backup directories and, when
/// `store` (opened at any version) is older than this build, backs it up
/// and migrates it. Split off so the console can open the store while it
/// checks the content, and upgrade nothing when the content is refused.
pub fn upgrade(store: Store, db: &Path, backups: Option<&Path>) -> Result<Store, BackupError> {
    register(store.path(), &upgrade_dir(db));
    if let Some(b) = backups {
        register(store.path(), b);
    }
    match store.schema_version()? {
        Some(v) if v < SCHEMA_VERSION => {
            let dir = backups
                .map(Path::to_path_buf)
                .unwrap_or_else(|| upgrade_dir(db));
            let now = Utc::now();
            let taken = take(&store, &dir, now)?;
            tracing::warn!(
                from = v,
                to = SCHEMA_VERSION,
                backup = %taken.path.display(),
                "upgrading the database; a backup of the old version was taken first"
            );
            store.migrate(now)?;
        }
        _ => {}
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_bounds_name_the_key() {
        assert_eq!(parse_interval("30m"), Ok(30));
        assert_eq!(parse_interval("6h"), Ok(360));
        assert_eq!(parse_interval(" 1d "), Ok(1440));
        assert!(parse_interval("1w")
            .unwrap_err()
            .contains("[backup] interval"));
        let c = |interval: &str, keep| BackupConfig {
            dir: None,
            interval: interval.into(),
            keep,
        };
        assert!(c("1d", 7).validate().is_ok());
        assert_eq!(c("1d", 7).window_days(), 7.0);
        assert!(c("5m", 7)
            .validate()
            .unwrap_err()
            .contains("[backup] interval"));
        assert!(c("1d", 0).validate().unwrap_err().contains("[backup] keep"));
        let e = c("1d", 91).validate().unwrap_err();
        assert!(
            e.contains("keep × interval") && e.contains("90 days"),
            "{e}"
        );
    }

    #[test]
    fn names_carry_the_time() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T23:38:55Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(backup_name(t), "llo-intake-20261201T233855Z");
        assert_eq!(taken_at("llo-intake-20261201T233855Z-2"), Some(t));
        assert_eq!(taken_at("llo-intake-x"), None);
        assert_eq!(
            upgrade_dir(Path::new("/data/intake")),
            Path::new("/data/intake.backups")
        );
    }
}
