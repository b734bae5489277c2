//! Which private intake thread belongs to which user (thread mode).
//!
//! Kept in sled (tree `discord_threads`) so a message in a thread is still
//! recognised after a restart. Keys: `t/<thread id>` -> user id and
//! `u/<user id>` -> thread id. Ids only, no content. Deleting a user's data
//! must remove both keys ([`Threads::forget_user`]).

use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct Threads {
    tree: sled::Tree,
}

impl Threads {
    pub fn open(store: &Store) -> Result<Threads, StoreError> {
        Ok(Threads {
            tree: store.db().open_tree("discord_threads")?,
        })
    }

    /// Records `thread` as `user`'s intake thread (replacing an older one).
    pub fn set(&self, user: u64, thread: u64) -> Result<(), StoreError> {
        if let Some(old) = self.thread_of(user)? {
            self.tree.remove(format!("t/{old}"))?;
        }
        self.tree
            .insert(format!("t/{thread}"), user.to_string().as_bytes())?;
        self.tree
            .insert(format!("u/{user}"), thread.to_string().as_bytes())?;
        self.tree.flush()?;
        Ok(())
    }

    pub fn owner(&self, thread: u64) -> Result<Option<u64>, StoreError> {
        Ok(self.get(&format!("t/{thread}"))?)
    }

    pub fn thread_of(&self, user: u64) -> Result<Option<u64>, StoreError> {
        Ok(self.get(&format!("u/{user}"))?)
    }

    /// Removes the user's thread record (data deletion).
    pub fn forget_user(&self, user: u64) -> Result<(), StoreError> {
        if let Some(t) = self.thread_of(user)? {
            self.tree.remove(format!("t/{t}"))?;
        }
        self.tree.remove(format!("u/{user}"))?;
        self.tree.flush()?;
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<u64>, sled::Error> {
        Ok(self
            .tree
            .get(key)?
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways_and_replaces_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let t = Threads::open(&store).unwrap();
        t.set(7, 100).unwrap();
        assert_eq!(t.owner(100).unwrap(), Some(7));
        assert_eq!(t.thread_of(7).unwrap(), Some(100));
        t.set(7, 200).unwrap();
        assert_eq!(t.owner(100).unwrap(), None);
        assert_eq!(t.owner(200).unwrap(), Some(7));
        t.forget_user(7).unwrap();
        assert_eq!(t.owner(200).unwrap(), None);
        assert_eq!(t.thread_of(7).unwrap(), None);
    }
}
