//! Schema migrations: a registry of steps, each taking the database from one
//! [`SCHEMA_VERSION`](super::SCHEMA_VERSION) to the next. They run at start,
//! after an automatic backup ([`crate::app::backup::open`]); a database that
//! no chain of steps reaches is refused ([`StoreError::Schema`]).
//!
//! Adding a step: bump `SCHEMA_VERSION`, append a [`Step`] whose `from` is
//! the old version, say what it changes in `CHANGELOG.md`.

use super::{Store, StoreError, SCHEMA_VERSION};
use chrono::{DateTime, Utc};

/// One migration: from schema `from` to `from + 1`.
pub struct Step {
    pub from: u32,
    /// What it changes, for the log and the changelog.
    pub what: &'static str,
    run: fn(&Store) -> Result<(), StoreError>,
}

/// Every step, oldest first.
pub const STEPS: &[Step] = &[
    Step {
        from: 2,
        what: "meta records the migrations that ran (migrated_to_N: when)",
        run: |_| Ok(()),
    },
    Step {
        from: 3,
        what: "data key files move into sub-directories of keys/ (keys/<first 2 hex>/<file>)",
        run: |store| {
            let moved = store.keys.shard_flat()?;
            tracing::info!(keys = moved, "data key files moved into sub-directories");
            Ok(())
        },
    },
];

/// Whether a database at `from` can be brought to [`SCHEMA_VERSION`].
pub fn reaches_current(from: u32) -> bool {
    from < SCHEMA_VERSION && (from..SCHEMA_VERSION).all(|v| STEPS.iter().any(|s| s.from == v))
}

impl Store {
    /// The schema version written in the database.
    pub fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        Ok(self
            .db
            .open_tree("meta")?
            .get("schema_version")?
            .and_then(|v| String::from_utf8_lossy(&v).parse().ok()))
    }

    /// Runs the steps from the database's version to [`SCHEMA_VERSION`],
    /// each flushed with its new version and the time it ran
    /// (`migrated_to_N`), so a crash between steps resumes at the next one.
    /// Returns what ran. Take a backup first.
    pub fn migrate(&self, now: DateTime<Utc>) -> Result<Vec<&'static Step>, StoreError> {
        let meta = self.db.open_tree("meta")?;
        let mut ran = Vec::new();
        let _guard = self.exclusive();
        loop {
            let v = self.schema_version()?.unwrap_or(SCHEMA_VERSION);
            if v >= SCHEMA_VERSION {
                return Ok(ran);
            }
            let Some(step) = STEPS.iter().find(|s| s.from == v) else {
                return Err(StoreError::Schema {
                    path: self.path.clone(),
                    found: v.to_string(),
                    expected: SCHEMA_VERSION,
                });
            };
            (step.run)(self)?;
            let to = (v + 1).to_string();
            let mut b = sled::Batch::default();
            b.insert(
                format!("migrated_to_{to}").as_bytes(),
                now.to_rfc3339().as_bytes(),
            );
            b.insert("schema_version", to.as_bytes());
            meta.apply_batch(b)?;
            self.db.flush()?;
            tracing::info!(to = v + 1, what = step.what, "database migrated");
            ran.push(step);
        }
    }

    /// Writes `version` as the database's schema version: for tests that
    /// make a database look older.
    #[doc(hidden)]
    pub fn set_schema_version(&self, version: u32) -> Result<(), StoreError> {
        self.db
            .open_tree("meta")?
            .insert("schema_version", version.to_string().as_bytes())?;
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_form_one_chain_to_the_current_version() {
        for (i, s) in STEPS.iter().enumerate() {
            assert!(s.from < SCHEMA_VERSION, "step from {} is ahead", s.from);
            if let Some(next) = STEPS.get(i + 1) {
                assert_eq!(next.from, s.from + 1, "steps are in order, none missing");
            }
        }
        assert_eq!(STEPS.last().map(|s| s.from + 1), Some(SCHEMA_VERSION));
        assert!(reaches_current(2));
        assert!(!reaches_current(1) && !reaches_current(SCHEMA_VERSION));
    }
}
