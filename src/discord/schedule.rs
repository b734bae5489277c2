//! The bot's periodic loops (hand-off reminders, peer matching, follow-ups,
//! backups) share one shape: a pass per timer tick while the bot runs, or
//! one pass per test tick when a test handed in a tick channel
//! ([`super::Hooks`]). Each loop holds a weak reference to the bot and ends
//! when the bot is gone or shutting down.

use super::{Bot, Tick};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// What started a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// A test tick: the pass does all it would do.
    Tick,
    /// The timer.
    Timer,
}

/// Takes the test ticks from `ticks` (if a test set them) and starts the
/// loop that runs `pass` every `every`, or once per test tick.
pub(crate) fn spawn_every<F, Fut>(
    bot: &Arc<Bot>,
    ticks: &Mutex<Option<UnboundedReceiver<Tick>>>,
    every: Duration,
    mut pass: F,
) where
    F: FnMut(Arc<Bot>, Trigger) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let ticks = ticks.lock().unwrap_or_else(PoisonError::into_inner).take();
    let weak = Arc::downgrade(bot);
    tokio::spawn(async move {
        if let Some(mut rx) = ticks {
            while let Some(done) = rx.recv().await {
                let Some(bot) = weak.upgrade() else { return };
                pass(bot, Trigger::Tick).await;
                let _ = done.send(());
            }
            return;
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(bot) = weak.upgrade() else { return };
            if bot.gate.is_closed() {
                return;
            }
            pass(bot, Trigger::Timer).await;
        }
    });
}
