//! Writes that did not reach the disk: a full disk, a file size limit or an
//! I/O error while sled flushes.
//!
//! sled applies a transaction in memory and writes it out at the flush. When
//! that write fails, its memory is ahead of the disk and sled refuses every
//! later write until the process restarts (its error is sticky). A turn
//! that went on from that memory would answer the question after the one
//! the person sees, and nothing of it would be kept. So the first failed
//! flush latches the store: every later turn is refused with the same
//! error before it reads anything, the transports tell the person their
//! words were not kept (content `not_saved`), and the conversation on disk
//! stays at the last saved turn. A restart, once there is space again,
//! reopens it there; nothing acknowledged is lost.

use super::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

const OPEN: u8 = 0;
const FULL: u8 = 1;
const FAILED: u8 = 2;

/// sled's database with a flush that latches on failure. Derefs to
/// [`sled::Db`] for everything else.
#[derive(Clone)]
pub(super) struct Db {
    db: sled::Db,
    path: PathBuf,
    state: Arc<AtomicU8>,
    /// Test seam: the next flush fails as a full disk would.
    fail_next: Arc<AtomicBool>,
}

impl std::ops::Deref for Db {
    type Target = sled::Db;
    fn deref(&self) -> &sled::Db {
        &self.db
    }
}

impl Db {
    pub(super) fn new(db: sled::Db, path: &Path) -> Db {
        Db {
            db,
            path: path.to_path_buf(),
            state: Arc::new(AtomicU8::new(OPEN)),
            fail_next: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Flushes; the first failure latches the store (see the module docs).
    pub(super) fn flush(&self) -> Result<usize, StoreError> {
        self.writable()?;
        let result = if self.fail_next.swap(false, Ordering::SeqCst) {
            Err(sled::Error::Io(std::io::Error::from_raw_os_error(ENOSPC)))
        } else {
            self.db.flush()
        };
        result.map_err(|e| {
            let full = matches!(&e, sled::Error::Io(io) if is_no_space(io));
            self.state
                .store(if full { FULL } else { FAILED }, Ordering::SeqCst);
            tracing::error!(error = %e, "a write to the database failed; turns are refused until llo-intake restarts");
            self.latched()
        })
    }

    /// Ok while every flush so far reached the disk.
    pub(super) fn writable(&self) -> Result<(), StoreError> {
        match self.state.load(Ordering::SeqCst) {
            OPEN => Ok(()),
            _ => Err(self.latched()),
        }
    }

    fn latched(&self) -> StoreError {
        match self.state.load(Ordering::SeqCst) {
            FULL => StoreError::NoSpace(self.path.clone()),
            _ => StoreError::WriteFailed(self.path.clone()),
        }
    }
}

const ENOSPC: i32 = 28;
const EFBIG: i32 = 27;
const EDQUOT: i32 = 122;

/// A write refused for lack of space: a full disk, a quota, a file size limit.
pub(super) fn is_no_space(e: &std::io::Error) -> bool {
    if matches!(e.raw_os_error(), Some(ENOSPC | EFBIG | EDQUOT)) {
        return true;
    }
    // sled wraps the OS error in one of its own, keeping only its text.
    let text = e.to_string();
    text.contains("No space left on device")
        || text.contains("File too large")
        || text.contains("Disk quota exceeded")
}

impl Store {
    /// Ok while every write so far reached the disk; after a failed one,
    /// the error every turn gets until the process restarts (see
    /// [`crate::app::store`]'s `durable` module). Transports check it before
    /// a turn, so nothing is taken from memory that the disk does not have.
    pub fn writable(&self) -> Result<(), StoreError> {
        self.db.writable()
    }

    /// Test seam: the next flush fails as on a full disk, after sled has
    /// applied the turn in memory (what a real full disk does).
    #[doc(hidden)]
    pub fn fail_next_flush(&self) {
        self.db.fail_next.store(true, Ordering::SeqCst);
    }
}

impl StoreError {
    /// Whether this error means a turn was not saved (the person is told
    /// to try again later: content `not_saved`).
    pub fn is_unsaved(&self) -> bool {
        match self {
            StoreError::NoSpace(_) | StoreError::WriteFailed(_) => true,
            StoreError::Sled(sled::Error::Io(_)) => true,
            // A new person's data key that could not be written.
            StoreError::Key(crate::app::crypto::KeyError::Io { source, .. }) => is_no_space(source),
            _ => false,
        }
    }
}
