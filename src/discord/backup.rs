//! Scheduled backups while the bot runs (`[backup]` in the config): the bot
//! has the database open, so it is the one that can copy it consistently.
//! Every minute (or per test tick) a pass takes a backup when the newest in
//! `[backup] dir` is `interval` old, then deletes expired ones
//! ([`crate::app::backup::scheduled`]). A failed pass is logged and tried
//! again at the next one.

use crate::app::backup;
use crate::discord::Bot;
use std::sync::Arc;

/// How often the schedule looks whether a backup is due.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Starts the schedule (nothing when no `[backup] dir` is configured). It
/// ends when the bot stops.
pub fn spawn_schedule(bot: &Arc<Bot>) {
    if bot.config.backup.dir.is_none() {
        // Test ticks go unanswered: there is nothing to pass.
        drop(
            bot.backup_ticks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        return;
    }
    super::schedule::spawn_every(bot, &bot.backup_ticks, CHECK_EVERY, |bot, _| async move {
        pass(&bot).await
    });
}

/// One pass: a backup when due, then the expiry sweep.
async fn pass(bot: &Arc<Bot>) {
    let r = bot
        .blocking(|b| {
            backup::scheduled(&b.intake.store, &b.config.backup, b.now())
                .map_err(|e| anyhow::anyhow!(e))
        })
        .await;
    match r {
        Ok(Some(_)) => bot.metrics.backup_taken(),
        Ok(None) => {}
        Err(e) => tracing::error!("scheduled backup failed: {e:#}"),
    }
}
