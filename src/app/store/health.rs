//! The health check's write probe: proves the database takes a flushed write.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// The `meta` key the probe overwrites (the time of the last probe).
const PROBE_KEY: &[u8] = b"health_probe";

impl Store {
    /// Writes the time into `meta` and flushes it to disk: an error means
    /// the database cannot take writes (disk full, read-only, broken).
    pub fn probe(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let meta = self.db.open_tree("meta")?;
        meta.insert(PROBE_KEY, &now.timestamp().to_be_bytes())?;
        meta.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_probe_writes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::Store::open(dir.path()).unwrap();
        store.probe(chrono::Utc::now()).unwrap();
        let meta = store.db.open_tree("meta").unwrap();
        assert!(meta.get(super::PROBE_KEY).unwrap().is_some());
    }
}
