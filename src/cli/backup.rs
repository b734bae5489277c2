//! `llo-intake backup` and `llo-intake restore` (the bot stopped: sled lets
//! one process open a database; the running bot takes its own backups).

use super::{load_config, DbArgs, Failure};
use crate::app::backup::{self, BackupError, KeySource};
use crate::app::crypto::MASTER_KEY_ENV;
use crate::app::store::StoreError;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Write the backup into DIR (new or empty). Default: a new directory
    /// named by the time in the config's [backup] dir.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup directory (as `backup` or the bot's schedule wrote it).
    from: PathBuf,
    /// The database directory to restore into: new or empty (default: the
    /// config's [intake] database).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Config file, for the database directory and the master key file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The master key file of the database the backup was taken from (when
    /// LLO_INTAKE_MASTER_KEY is not set); copied to DIR/master.key unless the
    /// config names a master_key_file.
    #[arg(long)]
    key_file: Option<PathBuf>,
}

/// Usage errors (exit 2) for what the operator can put right; the rest exit 1.
fn failure(e: BackupError) -> Failure {
    match e {
        BackupError::NotEmpty(_)
        | BackupError::NotABackup(_)
        | BackupError::WrongKey(_)
        | BackupError::NoKey => Failure::Usage(e.into()),
        e => Failure::Runtime(e.into()),
    }
}

/// `llo-intake backup [--out DIR]`.
pub fn backup(args: BackupArgs) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let (config, store) = match args.db.open() {
        Err(Failure::Runtime(e))
            if matches!(
                e.downcast_ref::<BackupError>(),
                Some(BackupError::Store(StoreError::InUse(_)))
            ) || matches!(e.downcast_ref::<StoreError>(), Some(StoreError::InUse(_))) =>
        {
            return Err(Failure::Runtime(e.context(
                "a running bot takes its own backups on the schedule in [backup]; to back up with this command, stop the bot first",
            )))
        }
        r => r?,
    };
    let now = chrono::Utc::now();
    let taken = match (&args.out, &config.backup.dir) {
        (Some(out), _) => backup::take_into(&store, out, now),
        (None, Some(dir)) => backup::take(&store, dir, now),
        (None, None) => {
            return Err(Failure::Usage(anyhow::anyhow!(
                "say where the backup goes: --out DIR, or [backup] dir in the --config file"
            )))
        }
    }
    .map_err(failure)?;
    let conversations = store.conversations()?.len();
    outln!(
        "backup written to {}: {conversations} conversation(s); {} tree(s), {} record(s), {} data key(s), {} bytes, in {} ms",
        taken.path.display(),
        taken.copied.trees,
        taken.copied.records,
        taken.copied.keys,
        taken.bytes,
        started.elapsed().as_millis()
    );
    outln!("note: {}", backup::key_notice());
    Ok(())
}

/// `llo-intake restore FROM --db DIR`.
pub fn restore(args: RestoreArgs) -> Result<(), Failure> {
    let config = load_config(args.config.clone())?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| config.intake.database.clone());
    let configured = config.privacy.master_key_file.clone();
    let key = if std::env::var(MASTER_KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        KeySource::Env
    } else if let Some(path) = args.key_file.clone() {
        KeySource::File {
            path,
            copy_to_db: configured.is_none(),
        }
    } else if let Some(path) = configured {
        KeySource::File {
            path,
            copy_to_db: false,
        }
    } else {
        return Err(failure(BackupError::NoKey));
    };
    let r = backup::restore(&args.from, &db, &key, chrono::Utc::now()).map_err(failure)?;
    outln!(
        "restored {} into {}: {} conversation(s), the master key fits",
        args.from.display(),
        db.display(),
        r.conversations
    );
    if r.schema < crate::app::store::SCHEMA_VERSION {
        outln!(
            "the backup had schema version {}; the restored database was migrated to {}",
            r.schema,
            crate::app::store::SCHEMA_VERSION
        );
    }
    match (&key, &r.key_copied) {
        (_, Some(p)) => outln!("master key: copied to {} (mode 0600)", p.display()),
        (KeySource::Env, _) => outln!(
            "master key: from {MASTER_KEY_ENV}; the bot needs the same value to read the restored database"
        ),
        (KeySource::File { path, .. }, None) => outln!(
            "master key: {} (as [privacy] master_key_file says)",
            path.display()
        ),
    }
    outln!(
        "start the bot on it with [intake] database = \"{}\" (or --db {})",
        db.display(),
        db.display()
    );
    Ok(())
}
