//! Which private intake thread belongs to which user (thread mode): the
//! Discord-typed view of the store's links ([`Link::IntakeThread`]).
//!
//! The store keeps them with the person's other data, so a message in a
//! thread is still recognised after a restart, and erasure, forgetting and
//! the retention sweep remove them with the conversations. No raw user id is
//! stored; the owner is sealed with the user's data key.

use crate::app::store::{Link, Store, StoreError};

#[derive(Clone)]
pub struct Threads {
    store: Store,
}

/// Trees in which versions before the store owned the links kept them.
const LEGACY_THREADS: &str = "discord_threads";
const LEGACY_COACH_THREADS: &str = "discord_coach_threads";

impl Threads {
    /// Also takes over the links an older version kept in trees of its own.
    pub fn open(store: &Store) -> Result<Threads, StoreError> {
        let n = store.import_links(LEGACY_THREADS, LEGACY_COACH_THREADS)?;
        if n > 0 {
            tracing::info!(links = n, "thread links moved into the store");
        }
        Ok(Threads {
            store: store.clone(),
        })
    }

    /// Records `thread` as `user`'s intake thread (replacing an older one).
    pub fn set(&self, user: u64, thread: u64) -> Result<(), StoreError> {
        self.store.link(&[Link::IntakeThread {
            user: user.to_string(),
            thread: thread.to_string(),
        }])
    }

    /// The user whose intake thread this is (None when unknown or forgotten).
    pub fn owner(&self, thread: u64) -> Result<Option<u64>, StoreError> {
        Ok(self
            .store
            .thread_owner(&thread.to_string())?
            .and_then(|u| u.parse().ok()))
    }

    pub fn thread_of(&self, user: u64) -> Result<Option<u64>, StoreError> {
        Ok(self
            .store
            .intake_thread(&user.to_string())?
            .and_then(|t| t.parse().ok()))
    }
}
