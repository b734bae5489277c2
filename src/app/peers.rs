//! Peer introductions in the application: what a person may see of their
//! own place in the pool (for their own-data download), and the counts an
//! export or report may carry (never who). The rules are pure in
//! [`crate::domain::peers`]; the tables are in the store (`store/peers.rs`).

use crate::app::store::{PeerCounts, Store, StoreError};
use crate::content::text::{fill, Lang};
use crate::content::Content;
use crate::domain::peers::{Packet, Stage};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A person's own peer data: what they share, and their proposals without
/// anything about the other person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnPeers {
    /// In the pool, sharing this packet with a match.
    pub shared: Option<Packet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    pub proposals: Vec<OwnProposal>,
}

/// One of their proposals, as they may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnProposal {
    pub id: String,
    pub concern: String,
    pub stage: Stage,
    pub created_at: DateTime<Utc>,
    /// Their own answer.
    pub answer: Option<bool>,
}

/// `user`'s peer data; `None` when they never took part.
pub fn own_peers(store: &Store, user: &str) -> Result<Option<OwnPeers>, StoreError> {
    let entry = store.pool_entry(user)?;
    let key = store.peer_key(user);
    let proposals: Vec<OwnProposal> = store
        .proposals_of(user)?
        .into_iter()
        .map(|p| OwnProposal {
            answer: p.side(&key).and_then(|i| p.answers[i]),
            id: p.id,
            concern: p.concern,
            stage: p.stage,
            created_at: p.created_at,
        })
        .collect();
    if entry.is_none() && proposals.is_empty() {
        return Ok(None);
    }
    Ok(Some(OwnPeers {
        since: entry.as_ref().map(|e| e.since),
        shared: entry.map(|e| e.packet),
        proposals,
    }))
}

/// Counts of the pool and proposals (for exports and reports).
pub fn counts(store: &Store) -> Result<PeerCounts, StoreError> {
    store.peer_counts()
}

/// The Markdown export's paragraph on peer introductions: counts only.
/// `None` when nobody ever took part (the export then looks as before).
pub fn markdown_counts(
    store: &Store,
    content: Option<&Content>,
    lang: Lang,
) -> Result<Option<String>, StoreError> {
    let c = counts(store)?;
    if c.in_pool == 0 && c.proposals == 0 {
        return Ok(None);
    }
    let text = content
        .and_then(|x| x.msg("md_peers"))
        .map_or("md_peers", |t| t.get(lang));
    let n = |v: usize| v.to_string();
    Ok(Some(fill(
        text,
        &[
            ("in_pool", &n(c.in_pool)),
            ("proposals", &n(c.proposals)),
            ("open", &n(c.open)),
            ("introduced", &n(c.introduced)),
            ("rejected", &n(c.rejected)),
            ("declined", &n(c.declined)),
            ("timed_out", &n(c.timed_out)),
            ("withdrawn", &n(c.withdrawn)),
        ],
    )))
}
