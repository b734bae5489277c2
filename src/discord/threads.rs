//! Which private intake thread belongs to which user (thread mode).
//!
//! Kept in sled (tree `discord_threads`) so a message in a thread is still
//! recognised after a restart. No raw user id is stored: `u/<pseudonym>` ->
//! thread id, and `t/<thread id>` -> the user id sealed with that user's data
//! key. Forgetting a user destroys the key, so even an old copy of the tree
//! no longer says whose thread it was ([`Threads::forget_user`] also removes
//! both records).

use crate::app::store::{Store, StoreError};

const TREE: &str = "discord_threads";

#[derive(Clone)]
pub struct Threads {
    store: Store,
    tree: sled::Tree,
}

impl Threads {
    pub fn open(store: &Store) -> Result<Threads, StoreError> {
        Ok(Threads {
            store: store.clone(),
            tree: store.db().open_tree(TREE)?,
        })
    }

    fn user_key(&self, user: u64) -> String {
        format!("u/{}", self.store.pseudonym(&user.to_string()))
    }

    /// Records `thread` as `user`'s intake thread (replacing an older one).
    pub fn set(&self, user: u64, thread: u64) -> Result<(), StoreError> {
        if let Some(old) = self.thread_of(user)? {
            self.tree.remove(format!("t/{old}"))?;
        }
        let tkey = format!("t/{thread}");
        let id = user.to_string();
        let sealed = self
            .store
            .seal(&id, &[TREE.as_bytes(), tkey.as_bytes()], id.as_bytes())?;
        self.tree.insert(tkey, sealed)?;
        self.tree
            .insert(self.user_key(user), thread.to_string().as_bytes())?;
        self.tree.flush()?;
        Ok(())
    }

    /// The user whose intake thread this is (None when unknown or forgotten).
    pub fn owner(&self, thread: u64) -> Result<Option<u64>, StoreError> {
        let tkey = format!("t/{thread}");
        let Some(sealed) = self.tree.get(&tkey)? else {
            return Ok(None);
        };
        let plain = self
            .store
            .unseal(&[TREE.as_bytes(), tkey.as_bytes()], &sealed)?;
        Ok(plain.and_then(|p| std::str::from_utf8(&p).ok()?.parse().ok()))
    }

    pub fn thread_of(&self, user: u64) -> Result<Option<u64>, StoreError> {
        Ok(self
            .tree
            .get(self.user_key(user))?
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()))
    }

    /// Removes the user's thread record (data deletion).
    pub fn forget_user(&self, user: u64) -> Result<(), StoreError> {
        if let Some(t) = self.thread_of(user)? {
            self.tree.remove(format!("t/{t}"))?;
        }
        self.tree.remove(self.user_key(user))?;
        self.tree.flush()?;
        Ok(())
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

    #[test]
    fn no_raw_user_id_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let t = Threads::open(&store).unwrap();
        let user = 734_912_056_118_390_784u64;
        t.set(user, 100).unwrap();
        assert_eq!(t.owner(100).unwrap(), Some(user));
        let raw = user.to_string();
        for kv in store.db().open_tree(TREE).unwrap().iter() {
            let (k, v) = kv.unwrap();
            for bytes in [&k[..], &v[..]] {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(&raw),
                    "raw user id stored"
                );
            }
        }
    }
}
