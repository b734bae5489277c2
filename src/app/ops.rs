//! Operator checks around start-up: secret files readable by others, and a
//! look into a database without writing to it (for `llo-intake check`).

use crate::app::crypto::{DEFAULT_KEY_FILE, MASTER_KEY_ENV};
use crate::app::store::Store;
use std::path::{Path, PathBuf};

/// A secret file that other users on the machine can read.
#[derive(Debug, thiserror::Error)]
#[error("the {what} {path} is readable by other users (mode {mode:04o}); make it private with `chmod 600 {path}` (owner: the user llo-intake runs as) and start again")]
pub struct Exposed {
    pub what: &'static str,
    pub path: PathBuf,
    pub mode: u32,
}

/// `Err` when `path` exists and its mode lets group or others read or write
/// it (`mode & 0o077 != 0`). A missing file is not this function's concern.
pub fn private_file(what: &'static str, path: &Path) -> Result<(), Exposed> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(Exposed {
                    what,
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (what, path);
    Ok(())
}

/// The master key file the store will read for `db`: none when the key
/// comes from `LLO_INTAKE_MASTER_KEY`.
pub fn master_key_file(db: &Path, configured: Option<&Path>) -> Option<PathBuf> {
    if std::env::var(MASTER_KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        return None;
    }
    Some(
        configured
            .map(Path::to_path_buf)
            .unwrap_or_else(|| db.join(DEFAULT_KEY_FILE)),
    )
}

/// The master key may not be readable by others: refused (issue: a copy of
/// the key and the database is every person's data).
pub fn refuse_exposed_key(db: &Path, configured: Option<&Path>) -> Result<(), Exposed> {
    match master_key_file(db, configured) {
        Some(f) => private_file("master key file", &f),
        None => Ok(()),
    }
}

/// What `check` found in the database directory.
#[derive(Debug)]
pub enum DbState {
    /// No database yet: the first start creates it (and a master key).
    Absent,
    /// A running llo-intake holds it: key and schema were not checked.
    InUse,
    /// Opened (a copy of it): the master key fits, and the schema version is
    /// this binary's or one it migrates from.
    Fine { conversations: usize, schema: u32 },
    /// It cannot be used as it is: the message says why.
    Broken(String),
}

/// Looks into the database in `db` without writing to it: under a shared
/// lock (a running bot holds an exclusive one) the directory is copied to a
/// temporary directory and the copy is opened, which checks the schema
/// version and the master key. The original is never opened for writing.
pub fn inspect_database(db: &Path, key_file: Option<&Path>) -> DbState {
    let marker = db.join("db");
    if !marker.is_file() {
        return DbState::Absent;
    }
    let lock = match std::fs::File::open(&marker) {
        Ok(f) => f,
        Err(e) => return DbState::Broken(format!("cannot read {}: {e}", marker.display())),
    };
    if fs2::FileExt::try_lock_shared(&lock).is_err() {
        return DbState::InUse;
    }
    let tmp = match tempdir_beside() {
        Ok(t) => t,
        Err(e) => return DbState::Broken(format!("cannot make a temporary copy: {e}")),
    };
    let copy = tmp.join("db");
    let copied = copy_dir(db, &copy);
    let _ = fs2::FileExt::unlock(&lock);
    let state = match copied {
        Err(e) => DbState::Broken(format!("cannot read {}: {e}", db.display())),
        Ok(()) => {
            // The key file as the bot would read it; when there is none, a
            // path inside the copy, so nothing is ever created outside it.
            let key = key_file
                .map(Path::to_path_buf)
                .unwrap_or_else(|| db.join(DEFAULT_KEY_FILE));
            let key = if key.exists() {
                key
            } else {
                copy.join("no-master-key")
            };
            match Store::open_any_version(&copy, Some(&key)) {
                Ok(store) => match (store.conversations(), store.schema_version()) {
                    (Ok(c), Ok(v)) => DbState::Fine {
                        conversations: c.len(),
                        schema: v.unwrap_or(crate::app::store::SCHEMA_VERSION),
                    },
                    (Err(e), _) | (_, Err(e)) => DbState::Broken(e.to_string()),
                },
                Err(e) => DbState::Broken(
                    e.to_string()
                        .replace(
                            &copy.join("no-master-key").display().to_string(),
                            &db.join(DEFAULT_KEY_FILE).display().to_string(),
                        )
                        .replace(&copy.display().to_string(), &db.display().to_string()),
                ),
            }
        }
    };
    let _ = std::fs::remove_dir_all(&tmp);
    state
}

/// A fresh private directory under the system temp directory.
fn tempdir_beside() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for _ in 0..16 {
        let p = base.join(format!("llo-intake-check-{:016x}", rand::random::<u64>()));
        match std::fs::create_dir(&p) {
            Ok(()) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))?;
                }
                return Ok(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary directory name"))
}

pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
