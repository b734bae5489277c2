//! Small concurrency guards around the handlers.
//!
//! serenity runs every event in its own task, so two quick messages from one
//! person can be handled at the same time, and a shutdown can arrive while
//! turns are in flight. These types keep that orderly:
//! * [`UserLocks`]: one turn at a time per user.
//! * [`Gate`]: stop taking events on shutdown, then wait for the turns in flight.
//! * [`RateLimit`]: a per-user budget of events per window.

use super::Bot;
use crate::content::text::Lang;
use serenity::all::{CreateInteractionResponse, CreateInteractionResponseMessage, UserId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedMutexGuard};

/// One async mutex per user (keyed by the Discord user id as a string, the
/// same id the store keys conversations by, so code acting on a conversation,
/// such as a coach's claim, locks `conversation.user`). Entries are dropped
/// when nobody holds them.
#[derive(Default)]
pub struct UserLocks {
    map: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a user's lock; releasing it also tidies the map.
pub struct UserGuard<'a> {
    locks: &'a UserLocks,
    user: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl UserLocks {
    /// Waits until no other turn of `user` runs, then holds their lock.
    pub async fn lock(&self, user: &str) -> UserGuard<'_> {
        let m = {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(user.to_string()).or_default().clone()
        };
        let guard = m.lock_owned().await;
        UserGuard {
            locks: self,
            user: user.to_string(),
            guard: Some(guard),
        }
    }

    /// How many users have an entry (for tests of the tidying).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for UserGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self
            .locks
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map itself still refers to it: nobody holds or waits.
        if map
            .get(&self.user)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            map.remove(&self.user);
        }
    }
}

/// Counts turns in flight and refuses new ones once closed.
#[derive(Default)]
pub struct Gate {
    closed: AtomicBool,
    inflight: AtomicUsize,
    idle: Notify,
}

/// A turn in flight; dropping it (also by a panic) lets shutdown go on.
pub struct Pass<'a>(&'a Gate);

impl Gate {
    /// A pass for one unit of work, or `None` when shutting down.
    pub fn enter(&self) -> Option<Pass<'_>> {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.leave();
            return None;
        }
        Some(Pass(self))
    }

    fn leave(&self) {
        if self.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub fn inflight(&self) -> usize {
        self.inflight.load(Ordering::SeqCst)
    }

    /// Waits until no work is in flight, at most `limit`. Returns whether it
    /// drained.
    pub async fn drained(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.inflight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// At most `events` per user per `window`. Over budget, the first refused
/// event says so (one notice per window); the rest are dropped quietly.
pub struct RateLimit {
    events: u32,
    window: Duration,
    map: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    start: Instant,
    count: u32,
    noticed: bool,
}

/// What to do with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Refuse, and tell the user (first refusal in this window).
    Notice,
    /// Refuse quietly.
    Drop,
}

impl RateLimit {
    pub fn new(events: u32, window: Duration) -> Self {
        RateLimit {
            events: events.max(1),
            window,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, user: &str, now: Instant) -> Verdict {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, b| now.duration_since(b.start) < window);
        }
        let b = map.entry(user.to_string()).or_insert(Bucket {
            start: now,
            count: 0,
            noticed: false,
        });
        if now.duration_since(b.start) >= self.window {
            *b = Bucket {
                start: now,
                count: 0,
                noticed: false,
            };
        }
        if b.count < self.events {
            b.count += 1;
            Verdict::Allow
        } else if !b.noticed {
            b.noticed = true;
            Verdict::Notice
        } else {
            Verdict::Drop
        }
    }
}

/// The response to an interaction over the user's rate limit, or `None`
/// when it may go ahead. Refused input leaves the components usable; the
/// first refusal in a window says why (ephemeral), later ones are silent.
pub fn over_limit(bot: &Bot, user: UserId, lang: Lang) -> Option<CreateInteractionResponse> {
    match bot.limit.check(&user.to_string(), Instant::now()) {
        Verdict::Allow => None,
        Verdict::Notice => Some(CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(bot.msg("discord_rate_limited", lang))
                .ephemeral(true),
        )),
        Verdict::Drop => Some(CreateInteractionResponse::Acknowledge),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn user_lock_serialises_and_tidies() {
        let locks = Arc::new(UserLocks::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let g = locks.lock("u").await;
        let (l2, o2) = (locks.clone(), order.clone());
        let t = tokio::spawn(async move {
            let _g = l2.lock("u").await;
            o2.lock().unwrap().push(2);
        });
        tokio::task::yield_now().await;
        order.lock().unwrap().push(1);
        drop(g);
        t.await.unwrap();
        assert_eq!(*order.lock().unwrap(), vec![1, 2]);
        assert!(locks.is_empty());
        let _other = locks.lock("v").await;
        assert_eq!(locks.len(), 1);
    }

    #[tokio::test]
    async fn gate_refuses_after_close_and_waits_for_passes() {
        let gate = Arc::new(Gate::default());
        let pass = gate.enter().unwrap();
        gate.close();
        assert!(gate.enter().is_none());
        assert!(!gate.drained(Duration::from_millis(10)).await);
        let g2 = gate.clone();
        let waiter = tokio::spawn(async move { g2.drained(Duration::from_secs(20)).await });
        drop(pass);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn rate_limit_notices_once_per_window() {
        let rl = RateLimit::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(rl.check("u", t0), Verdict::Allow);
        assert_eq!(rl.check("u", t0), Verdict::Allow);
        assert_eq!(rl.check("u", t0), Verdict::Notice);
        assert_eq!(rl.check("u", t0), Verdict::Drop);
        assert_eq!(rl.check("other", t0), Verdict::Allow);
        let later = t0 + Duration::from_secs(61);
        assert_eq!(rl.check("u", later), Verdict::Allow);
    }
}
