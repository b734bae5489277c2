//! What the entrepreneur controls, and how long anything is kept: their own
//! data (access and portability), forgetting them (erasure), and the
//! retention sweep. Transports call these; the Discord `/mijn-gegevens`
//! command and the CLI (`forget`, `purge`) are thin shells over them.

use crate::app::store::{Forgotten, Store, StoreError};
use crate::app::summary::{last_activity, Summary};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::future::Future;

/// Default for `[privacy] retention_days`. The shipped consent text states
/// the configured value (the service fills `{retention_days}`).
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

/// Everything stored about `user`, as they may see it: each conversation's
/// summary with its transcript, without internal coach notes. Structured and
/// machine-readable (AVG art. 15 and 20).
pub fn own_data(store: &Store, user: &str) -> Result<serde_json::Value, StoreError> {
    #[derive(Serialize)]
    struct OwnData {
        user_id: String,
        conversations: Vec<Summary>,
        /// Answers to the offers after the advice (introductions, follow-up).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        offers: Vec<crate::app::store::OfferAnswer>,
        /// Their place in the peer pool and their proposals (nothing about the other person).
        #[serde(skip_serializing_if = "Option::is_none")]
        peers: Option<crate::app::peers::OwnPeers>,
    }
    serde_json::to_value(OwnData {
        user_id: user.to_string(),
        conversations: own_summaries(store, user)?,
        offers: store.offer_answers(user)?,
        peers: crate::app::peers::own_peers(store, user)?,
    })
    .map_err(|e| StoreError::Decode(e.to_string()))
}

/// The summaries in [`own_data`] (transcripts in, internal notes out),
/// oldest first: what `/mijn-gegevens` shows in short.
pub fn own_summaries(store: &Store, user: &str) -> Result<Vec<Summary>, StoreError> {
    let mut conversations = Vec::new();
    for id in store.user_conversations(user)? {
        if let Some(c) = store.conversation(&id)? {
            conversations.push(Summary::load(store, &c, true)?.for_subject());
        }
    }
    conversations.sort_by_key(|s| s.started_at);
    Ok(conversations)
}

/// Forgets `user`: their data key is destroyed (crypto-shredding: no copy of
/// their records can be read again, old sled segments included), then their
/// conversations, transcripts, hand-off records, thread links and index
/// entries are removed, and so are their offer answers and their place in
/// the peer pool (open proposals end; their match cards are queued to be
/// blanked). What is returned (conversation ids, coach cards,
/// threads) lets a transport edit the coach cards to a placeholder and close
/// the threads. Dedupe records hold no user id and cannot be tied to a user;
/// they expire on their own.
pub fn forget(store: &Store, user: &str) -> Result<Forgotten, StoreError> {
    let f = store.forget_user(user)?;
    crate::app::backup::forget_in_backups(store, user);
    // The fact, for accountability; never who or what.
    tracing::info!(
        conversations = f.conversations.len(),
        key_destroyed = f.key_destroyed,
        "erasure request carried out"
    );
    Ok(f)
}

/// What a retention sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Conversations whose last activity was before the cut-off.
    pub conversations: Vec<String>,
    /// Records of already-forgotten users left by an interrupted erasure.
    pub orphans: usize,
    /// Expired dedupe records.
    pub seen: usize,
}

/// Deletes every conversation whose last activity (a turn, a transcript line
/// or a hand-off event) is more than `retention_days` before `now`. A user's
/// data key goes with their last conversation, so purged data is shredded.
pub fn purge(store: &Store, retention_days: u32, now: DateTime<Utc>) -> Result<Purged, StoreError> {
    let cutoff = now - Duration::days(i64::from(retention_days));
    let mut purged = Purged::default();
    // The activity index names the candidates (O(due)); each is checked
    // against its records before it goes.
    for id in store.inactive_since(cutoff)? {
        let Some(c) = store.conversation(&id)? else {
            continue;
        };
        let transcript = store.transcript(&c.id)?;
        if last_activity(&c, &transcript) < cutoff {
            store.erase_conversation(&c)?;
            purged.conversations.push(c.id);
        }
    }
    // Erasures cut short, keys made for nothing, expired dedupe records:
    // what is due, not a pass over everything (see `store::sweep`).
    (purged.orphans, purged.seen) = store.sweep_due(now)?;
    tracing::info!(
        conversations = purged.conversations.len(),
        orphans = purged.orphans,
        seen = purged.seen,
        "retention sweep done"
    );
    Ok(purged)
}

/// How often [`retention_task`] sweeps.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Sweeps at once and then every [`SWEEP_EVERY`] until `shutdown` completes.
/// For the Discord runner: `tokio::spawn(retention_task(store, days,
/// Utc::now, async move { let _ = stop.changed().await; }))`. A failed sweep
/// is logged and retried at the next tick.
pub async fn retention_task<C, S>(store: Store, retention_days: u32, clock: C, shutdown: S)
where
    C: Fn() -> DateTime<Utc> + Send + 'static,
    S: Future<Output = ()>,
{
    sweep_every(store, retention_days, clock, SWEEP_EVERY, shutdown).await
}

/// [`retention_task`] with its period as a parameter.
pub async fn sweep_every<C, S>(
    store: Store,
    retention_days: u32,
    clock: C,
    period: std::time::Duration,
    shutdown: S,
) where
    C: Fn() -> DateTime<Utc> + Send + 'static,
    S: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        let s = store.clone();
        let now = clock();
        // sled and the key files do blocking I/O: keep it off the runtime's workers.
        match tokio::task::spawn_blocking(move || purge(&s, retention_days, now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("retention sweep failed: {e}"),
            Err(e) => tracing::error!("retention sweep panicked: {e}"),
        }
    }
}
