//! The peer pool and its proposals (see [`crate::domain::peers`]).
//!
//! Tree `peers`, keys by prefix (people appear as keyed-hash refs only):
//! * `P` ref -> [`PoolEntry`] sealed with the person's data key: who opted in,
//!   with the packet they agreed to share.
//! * `R` proposal id -> [`Proposal`] (JSON): refs, stage, card; no names.
//! * `S` proposal id, 0, ref -> [`Side`] sealed with that person's key: who
//!   they are, the packet as proposed, the coach's sentence.
//! * `U` ref, proposal id -> (): a person's proposals.
//! * `H` ref, ref -> [`Mark`] (JSON): already introduced, or the first said no
//!   to the second (both orders are written, so either ref finds it).
//! * `N` sequence -> [`Notice`] sealed with the recipient's key: "het komt er
//!   nu niet van" still to send, when the other side was forgotten.
//!
//! Forgetting a person ([`Store::forget_peers`], called by `forget_user` and
//! by the erasure of a last conversation) removes their pool entry, sides,
//! index and history rows, ends their open proposals (the other person gets
//! a notice), removes those proposals and queues their match cards in the
//! store's `cleanup` queue to be blanked.

use super::{from_json, pair_key, to_json, Store, StoreError};
use crate::app::crypto::{self, UserRef};
use crate::content::text::Lang;
use crate::domain::conversation::CardRef;
use crate::domain::peers::{pair, Candidate, History, Packet, Proposal, Stage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) const T_PEERS: &[u8] = b"peers";

/// Bytes in a ref.
const REF_LEN: usize = std::mem::size_of::<UserRef>();

/// Someone in the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolEntry {
    /// The transport's user id.
    pub user: String,
    pub packet: Packet,
    pub lang: Lang,
    pub since: DateTime<Utc>,
}

/// One person's part of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub user: String,
    pub packet: Packet,
    pub lang: Lang,
    /// The coach's sentence for the introduction.
    #[serde(default)]
    pub note: Option<String>,
}

/// A history mark between two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Introduced,
    /// The first ref said no to the second.
    Declined,
}

/// A "het komt er nu niet van" still to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub user: String,
    pub lang: Lang,
}

/// A notice with its queue position (pass to [`Store::peer_notice_sent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNotice {
    pub seq: u64,
    pub notice: Notice,
}

/// Counts for exports: never who.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PeerCounts {
    pub in_pool: usize,
    pub proposals: usize,
    pub open: usize,
    pub introduced: usize,
    pub rejected: usize,
    pub declined: usize,
    pub timed_out: usize,
    pub withdrawn: usize,
}

fn pool_key(r: &UserRef) -> Vec<u8> {
    [b"P", &r[..]].concat()
}

fn proposal_key(id: &str) -> Vec<u8> {
    [b"R", id.as_bytes()].concat()
}

fn side_key(id: &str, r: &UserRef) -> Vec<u8> {
    [b"S", &pair_key(id, r)[..]].concat()
}

fn index_key(r: &UserRef, id: &str) -> Vec<u8> {
    [b"U", &r[..], id.as_bytes()].concat()
}

fn history_key(a: &UserRef, b: &UserRef) -> Vec<u8> {
    [b"H", &a[..], &b[..]].concat()
}

/// The key the domain knows a person by: their ref in hex.
pub fn peer_key(r: &UserRef) -> String {
    crypto::hex(r)
}

fn ref_of(key: &str) -> Option<UserRef> {
    let bytes: Vec<u8> = (0..key.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(key.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    UserRef::try_from(bytes.as_slice()).ok()
}

impl Store {
    /// The key the matcher knows `user` by.
    pub fn peer_key(&self, user: &str) -> String {
        peer_key(&self.uref(user))
    }

    /// Puts `entry.user` in the pool (or updates their packet). Flushed.
    pub fn join_pool(&self, entry: &PoolEntry) -> Result<(), StoreError> {
        let _guard = self.shared();
        let r = self.uref(&entry.user);
        let k = pool_key(&r);
        let sealed = self.keys.seal(&r, &[T_PEERS, &k], &to_json(entry)?)?;
        self.peers.insert(k, sealed)?;
        self.db.flush()?;
        Ok(())
    }

    /// `user`'s pool entry.
    pub fn pool_entry(&self, user: &str) -> Result<Option<PoolEntry>, StoreError> {
        let k = pool_key(&self.uref(user));
        match self.peers.get(&k)? {
            Some(v) => self.open_json(T_PEERS, &k, &v),
            None => Ok(None),
        }
    }

    /// Everyone in the pool (unreadable entries left out).
    pub fn pool(&self) -> Result<Vec<(String, PoolEntry)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.peers.scan_prefix(b"P") {
            let (k, v) = kv?;
            let Ok(r) = UserRef::try_from(&k[1..]) else {
                continue;
            };
            if let Ok(Some(e)) = self.open_json::<PoolEntry>(T_PEERS, &k, &v) {
                out.push((peer_key(&r), e));
            }
        }
        Ok(out)
    }

    /// What earlier proposals rule out, and who is busy now.
    pub fn peer_history(&self) -> Result<History, StoreError> {
        let mut h = History::default();
        for kv in self.peers.scan_prefix(b"H") {
            let (k, v) = kv?;
            if k.len() != 1 + 2 * REF_LEN {
                continue;
            }
            let a = crypto::hex(&k[1..1 + REF_LEN]);
            let b = crypto::hex(&k[1 + REF_LEN..]);
            match from_json::<Mark>(&v)? {
                Mark::Introduced => {
                    h.introduced.insert(pair(&a, &b));
                }
                Mark::Declined => {
                    h.declined.insert((a, b));
                }
            }
        }
        for p in self.proposals()? {
            if p.is_open() {
                h.busy.extend(p.people.iter().cloned());
            }
        }
        Ok(h)
    }

    /// The proposals to make now (see [`crate::domain::peers::matches`]).
    pub fn peer_matches(&self) -> Result<Vec<crate::domain::peers::Match>, StoreError> {
        let pool = self.pool()?;
        let candidates: Vec<Candidate> = pool
            .iter()
            .map(|(k, e)| Candidate {
                key: k,
                packet: &e.packet,
                since: e.since,
            })
            .collect();
        Ok(crate::domain::peers::matches(
            &candidates,
            &self.peer_history()?,
        ))
    }

    /// A fresh proposal id.
    pub fn new_proposal_id(&self) -> Result<String, StoreError> {
        Ok(format!("m{:06}", self.db.generate_id()?))
    }

    /// Stores a new proposal with both sides (sealed each with its own
    /// person's key), in one transaction.
    pub fn create_proposal(&self, p: &Proposal, sides: &[Side; 2]) -> Result<(), StoreError> {
        let _guard = self.shared();
        let mut batch = sled::Batch::default();
        batch.insert(proposal_key(&p.id), to_json(p)?);
        for s in sides {
            let r = self.uref(&s.user);
            let k = side_key(&p.id, &r);
            batch.insert(k.clone(), self.keys.seal(&r, &[T_PEERS, &k], &to_json(s)?)?);
            batch.insert(index_key(&r, &p.id), &[][..]);
        }
        self.peers.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    pub fn proposal(&self, id: &str) -> Result<Option<Proposal>, StoreError> {
        match self.peers.get(proposal_key(id))? {
            Some(v) => from_json(&v).map(Some),
            None => Ok(None),
        }
    }

    /// Every stored proposal.
    pub fn proposals(&self) -> Result<Vec<Proposal>, StoreError> {
        self.peers
            .scan_prefix(b"R")
            .values()
            .map(|v| from_json(&v?))
            .collect()
    }

    /// `user`'s proposals, oldest first.
    pub fn proposals_of(&self, user: &str) -> Result<Vec<Proposal>, StoreError> {
        let r = self.uref(user);
        let p = [b"U", &r[..]].concat();
        let mut out = Vec::new();
        for k in self.peers.scan_prefix(&p).keys() {
            let k = k?;
            if let Some(x) = self.proposal(&String::from_utf8_lossy(&k[p.len()..]))? {
                out.push(x);
            }
        }
        Ok(out)
    }

    /// One person's side of a proposal, by their key.
    pub fn proposal_side(&self, id: &str, key: &str) -> Result<Option<Side>, StoreError> {
        let Some(r) = ref_of(key) else {
            return Ok(None);
        };
        let k = side_key(id, &r);
        match self.peers.get(&k)? {
            Some(v) => self.open_json(T_PEERS, &k, &v),
            None => Ok(None),
        }
    }

    /// Writes a changed proposal; when it just ended with an introduction
    /// or a no, the history remembers it. Flushed.
    pub fn save_proposal(&self, p: &Proposal) -> Result<(), StoreError> {
        let _guard = self.shared();
        let mut batch = sled::Batch::default();
        batch.insert(proposal_key(&p.id), to_json(p)?);
        let refs: Vec<UserRef> = p.people.iter().filter_map(|k| ref_of(k)).collect();
        if let [a, b] = refs[..] {
            if p.stage == Stage::Introduced {
                let v = to_json(&Mark::Introduced)?;
                batch.insert(history_key(&a, &b), v.clone());
                batch.insert(history_key(&b, &a), v);
            }
        }
        if let Some((who, whom)) = p.declined() {
            if let (Some(a), Some(b)) = (ref_of(&who), ref_of(&whom)) {
                batch.insert(history_key(&a, &b), to_json(&Mark::Declined)?);
                // The mirror row only lets a forget find it; it blocks nothing more.
                if self.peers.get(history_key(&b, &a))?.is_none() {
                    batch.insert(history_key(&b, &a), to_json(&Mark::Declined)?);
                }
            }
        }
        self.peers.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Writes the coach's sentence into both sides.
    pub fn set_proposal_note(&self, id: &str, note: Option<&str>) -> Result<(), StoreError> {
        let Some(p) = self.proposal(id)? else {
            return Ok(());
        };
        let _guard = self.shared();
        let mut batch = sled::Batch::default();
        for key in &p.people {
            let Some(r) = ref_of(key) else { continue };
            let k = side_key(id, &r);
            let Some(v) = self.peers.get(&k)? else {
                continue;
            };
            let Some(mut s) = self.open_json::<Side>(T_PEERS, &k, &v)? else {
                continue;
            };
            s.note = note.map(str::to_string);
            batch.insert(
                k.clone(),
                self.keys.seal(&r, &[T_PEERS, &k], &to_json(&s)?)?,
            );
        }
        self.peers.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Takes `user` out of the pool (they withdrew). Their open proposals
    /// end as withdrawn and are returned, so the transport can tell the
    /// other person and redraw the card. Their history stays (so nobody
    /// they said no to is proposed again if they come back).
    pub fn leave_pool(&self, user: &str, now: DateTime<Utc>) -> Result<Vec<Proposal>, StoreError> {
        let r = self.uref(user);
        let key = peer_key(&r);
        self.peers.remove(pool_key(&r))?;
        let mut ended = Vec::new();
        for mut p in self.proposals_of(user)? {
            if p.withdraw(&key, now) {
                self.save_proposal(&p)?;
                ended.push(p);
            }
        }
        self.db.flush()?;
        Ok(ended)
    }

    /// The notices still to send, oldest first.
    pub fn pending_peer_notices(&self) -> Result<Vec<PendingNotice>, StoreError> {
        let mut out = Vec::new();
        for kv in self.peers.scan_prefix(b"N") {
            let (k, v) = kv?;
            let seq = <[u8; 8]>::try_from(&k[1..])
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Decode("a notice key is not a sequence".into()))?;
            match self.open_json::<Notice>(T_PEERS, &k, &v)? {
                Some(notice) => out.push(PendingNotice { seq, notice }),
                // The recipient was forgotten too: nothing to send.
                None => {
                    self.peers.remove(&k)?;
                }
            }
        }
        Ok(out)
    }

    pub fn peer_notice_sent(&self, seq: u64) -> Result<(), StoreError> {
        self.peers.remove([b"N", &seq.to_be_bytes()[..]].concat())?;
        self.db.flush()?;
        Ok(())
    }

    /// Counts for exports and reports.
    pub fn peer_counts(&self) -> Result<PeerCounts, StoreError> {
        use crate::domain::peers::Ended;
        let mut c = PeerCounts {
            in_pool: self.peers.scan_prefix(b"P").count(),
            ..PeerCounts::default()
        };
        for p in self.proposals()? {
            c.proposals += 1;
            match p.stage {
                Stage::Coach | Stage::People => c.open += 1,
                Stage::Introduced => c.introduced += 1,
                Stage::Ended(Ended::Rejected) => c.rejected += 1,
                Stage::Ended(Ended::Declined) => c.declined += 1,
                Stage::Ended(Ended::TimedOut) => c.timed_out += 1,
                Stage::Ended(Ended::Withdrawn) => c.withdrawn += 1,
            }
        }
        Ok(c)
    }

    /// Removes everything about the person `r` from the peer tables; their
    /// proposals go, an open one's other person gets a notice, and every
    /// match card of theirs is queued to be blanked. Call before their key
    /// is destroyed (so the other side can still be read) or after (then
    /// only ids are left to remove, which works the same).
    pub(super) fn forget_peers(&self, r: &UserRef) -> Result<(), StoreError> {
        let key = peer_key(r);
        let mut batch = sled::Batch::default();
        let mut cards: Vec<CardRef> = Vec::new();
        batch.remove(pool_key(r));
        let index = [b"U", &r[..]].concat();
        for k in self.peers.scan_prefix(&index).keys() {
            let k = k?;
            batch.remove(k.to_vec());
            let id = String::from_utf8_lossy(&k[index.len()..]).into_owned();
            let Some(p) = self.proposal(&id)? else {
                continue;
            };
            cards.extend(p.card.clone());
            if let Some(other) = p.other(&key).and_then(ref_of) {
                if p.is_open() {
                    if let Ok(Some(s)) = self.proposal_side(&id, &peer_key(&other)) {
                        let seq = self.db.generate_id()?.to_be_bytes();
                        let nk = [b"N", &seq[..]].concat();
                        let n = Notice {
                            user: s.user,
                            lang: s.lang,
                        };
                        batch.insert(
                            nk.clone(),
                            self.keys.seal(&other, &[T_PEERS, &nk], &to_json(&n)?)?,
                        );
                    }
                }
                batch.remove(index_key(&other, &id));
                batch.remove(side_key(&id, &other));
            }
            batch.remove(side_key(&id, r));
            batch.remove(proposal_key(&id));
        }
        for k in self.peers.scan_prefix([b"H", &r[..]].concat()).keys() {
            let k = k?;
            if let Ok(other) = UserRef::try_from(&k[1 + REF_LEN..]) {
                batch.remove(history_key(&other, r));
            }
            batch.remove(k.to_vec());
        }
        self.peers.apply_batch(batch)?;
        for c in &cards {
            let seq = self.db.generate_id()?.to_be_bytes();
            self.cleanup.insert(&seq[..], to_json(c)?)?;
        }
        Ok(())
    }
}
