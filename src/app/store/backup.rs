//! A consistent copy of the open database, for backups taken while the bot
//! runs (see [`crate::app::backup`], which names, sweeps and restores them).
//!
//! sled allows one process per database, and copying its files while it runs
//! is undefined. So the running process copies: every tree, record by record,
//! into a fresh sled database, and the `keys/` directory beside it, under the
//! store's exclusive lock (no turn commits and no key is made or destroyed
//! meanwhile, so trees and keys agree). The master key is never copied.

use super::{crypto, io_error, write_marker, Store, StoreError};
use std::path::Path;

/// What [`Store::copy_into`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    /// sled trees (every tree, the features' own included).
    pub trees: usize,
    /// Records over all trees.
    pub records: usize,
    /// Data key files copied from `keys/`.
    pub keys: usize,
}

/// Records per sled batch while copying.
const BATCH: usize = 10_000;

impl Store {
    /// The name of `user`'s data key file in `keys/` (here and in every
    /// backup of this database; its place is [`crypto::key_file_path`]): so
    /// forgetting can destroy its copies.
    pub fn data_key_name(&self, user: &str) -> String {
        crypto::hex(&self.uref(user))
    }

    /// Copies the database into `target` (a new or empty directory), which
    /// becomes a database of its own: sled files, `keys/`, the marker. Not
    /// the master key: the copy opens with the same one. The copy's id
    /// generator starts above every id in use here, so a restored database
    /// never hands out an id twice.
    pub fn copy_into(&self, target: &Path) -> Result<Copied, StoreError> {
        let io = |what: &str, path: &Path, e: std::io::Error| io_error(path, what, &e);
        std::fs::create_dir_all(target)
            .map_err(|e| io("cannot create the directory", target, e))?;
        let mut copied = Copied::default();
        let floor;
        {
            let _guard = self.exclusive();
            self.db.flush()?;
            floor = self.db.generate_id()?;
            let copy = sled::Config::new().path(target).open()?;
            for name in self.db.tree_names() {
                let from = self.db.open_tree(&name)?;
                let to = copy.open_tree(&name)?;
                let mut batch = sled::Batch::default();
                let mut pending = 0;
                for kv in from.iter() {
                    let (k, v) = kv?;
                    batch.insert(k, v);
                    pending += 1;
                    copied.records += 1;
                    if pending == BATCH {
                        to.apply_batch(std::mem::take(&mut batch))?;
                        pending = 0;
                    }
                }
                to.apply_batch(batch)?;
                copied.trees += 1;
            }
            copy.flush()?;
            copied.keys = copy_keys(
                &self.path.join(crypto::KEYS_DIR),
                &target.join(crypto::KEYS_DIR),
            )?;
        }
        raise_ids(target, floor)?;
        write_marker(target)?;
        Ok(copied)
    }
}

/// Copies the data key files (mode 0600, in 0700 directories), each to the
/// same place under `to` (a database not yet migrated to the sharded layout
/// is copied as it is, so its backup opens with the version it came from);
/// skips what a crash left half-written (`*.tmp`) or already zeroed (a
/// destroyed key).
fn copy_keys(from: &Path, to: &Path) -> Result<usize, StoreError> {
    let io = |path: &Path, e: std::io::Error| io_error(path, "cannot copy the data keys", &e);
    let private_dir = |dir: &Path| -> Result<(), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io(dir, e))?;
        }
        Ok(())
    };
    private_dir(to)?;
    let mut n = 0;
    let mut shards = std::collections::BTreeSet::new();
    for file in crypto::key_files(from).map_err(|e| io(from, e))? {
        let bytes = std::fs::read(&file).map_err(|err| io(&file, err))?;
        if bytes.iter().all(|b| *b == 0) {
            continue;
        }
        let Ok(rel) = file.strip_prefix(from) else {
            continue;
        };
        let path = to.join(rel);
        if let Some(shard) = path.parent().filter(|p| *p != to) {
            if shards.insert(shard.to_path_buf()) {
                private_dir(shard)?;
            }
        }
        let mut f = crypto::create_private_file(&path).map_err(|e| io(&path, e))?;
        std::io::Write::write_all(&mut f, &bytes).map_err(|e| io(&path, e))?;
        f.sync_all().map_err(|e| io(&path, e))?;
        n += 1;
    }
    for dir in shards.iter().map(|s| s.as_path()).chain([to]) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
    }
    Ok(n)
}

/// sled's default id persist interval (the store opens with it).
const SLED_IDGEN_INTERVAL: u64 = 1_000_000;

/// Makes the fresh database in `dir` hand out ids above `floor` once it is
/// opened again. sled persists its id counter and, when it reopens a
/// database, adds twice its persist interval to it: reopening once with an
/// interval above half the floor, and drawing one id, persists a counter
/// above the floor. sled expects a persisted counter to be a multiple of the
/// interval it is opened with later, so the interval is a multiple of its
/// default.
fn raise_ids(dir: &Path, floor: u64) -> Result<(), StoreError> {
    let interval = (floor / (2 * SLED_IDGEN_INTERVAL) + 1) * SLED_IDGEN_INTERVAL;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let db = loop {
        // The first handle may take a moment to let go of its lock.
        match sled::Config::new()
            .path(dir)
            .idgen_persist_interval(interval)
            .open()
        {
            Ok(db) => break db,
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => return Err(e.into()),
        }
    };
    let next = db.generate_id()?;
    db.flush()?;
    if next <= floor {
        return Err(StoreError::Decode(format!(
            "the copy's id generator could not be raised above {floor}"
        )));
    }
    Ok(())
}
