//! Giving memory back after a busy spell.
//!
//! Two things keep what a busy spell allocated. glibc gives each thread
//! that allocates while another does an arena of its own, and memory freed
//! there stays mapped: [`limit_arenas`] (first thing in `main`) caps them at
//! [`MALLOC_ARENAS`]. And every regex of the compiled content keeps a
//! matching cache per thread that used it at the same time as another
//! (tens of MiB after a few hundred intakes at once): once the bot has been
//! idle for an [`IDLE_PERIOD`], [`spawn_idle_trim`] compiles the content
//! afresh (the same content; [`crate::app::reload::Live::recompile`]),
//! which frees the old caches, and returns the free pages to the system
//! (`malloc_trim`). The price: the recompile builds the concern patterns'
//! automaton again (on this task, not in a turn), and the first turns
//! after such a spell compile the answer and place names they use again,
//! as after start-up (measured before the concern patterns were built at
//! load: about 40 ms and 15 ms on two turns of the next intake, once; not
//! measured since). Deciding by resident
//! growth instead does not tell those caches from the patterns' own first
//! compilation: one person's first intakes grow the bot by 20-28 MiB
//! (peak RSS through ../shared/bench/latency.py at 1 user).
//! The allocator calls do nothing off glibc.

use super::reload::ReloadError;
use super::Bot;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// glibc malloc arenas at most (the main one included).
pub const MALLOC_ARENAS: i32 = 2;

/// How often the idle task looks; a period with no blocking work (no turn,
/// no store access) counts as idle.
pub const IDLE_PERIOD: Duration = Duration::from_secs(15);

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`]. glibc fixes its limit
/// when a second thread first needs an arena: call before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets one of the allocator's tunables.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

/// Returns free heap pages to the system (glibc's `malloc_trim(0)`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Whether to recompile and trim now: there was blocking work since the
/// last trim (`now != trimmed`) and none during the last period
/// (`now == seen`). Counts are [`Bot`]'s `activity` at each look.
pub fn due(seen: u64, now: u64, trimmed: u64) -> bool {
    now == seen && now != trimmed
}

/// Every [`IDLE_PERIOD`], when [`due`]: recompiles the content and trims.
/// Holds a weak reference, so it ends with the client.
pub(crate) fn spawn_idle_trim(bot: &Arc<Bot>) {
    let weak = Arc::downgrade(bot);
    tokio::spawn(async move {
        let (mut seen, mut trimmed) = (0u64, 0u64);
        loop {
            tokio::time::sleep(IDLE_PERIOD).await;
            let Some(bot) = weak.upgrade() else { return };
            let now = bot.activity.load(Ordering::Relaxed);
            if due(seen, now, trimmed) {
                let t = std::time::Instant::now();
                let done = bot
                    .blocking(|b| {
                        let r = b.intake.live().recompile().map_err(ReloadError::from);
                        trim();
                        r
                    })
                    .await;
                match done {
                    Ok(_) => tracing::debug!(
                        ms = t.elapsed().as_millis() as u64,
                        "idle: content recompiled, memory trimmed"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "idle: the content did not recompile; the compiled one stays")
                    }
                }
                // This task's own blocking call (one count) is not
                // activity; turns that came in meanwhile are.
                trimmed = now + 1;
                seen = bot.activity.load(Ordering::Relaxed);
                continue;
            }
            seen = now;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::due;

    #[test]
    fn trims_once_after_a_busy_spell_ends() {
        // Idle from the start: nothing to give back.
        assert!(!due(0, 0, 0));
        // Busy during the last period: wait.
        assert!(!due(3, 7, 0));
        // Work since the last trim, none in the last period: now.
        assert!(due(7, 7, 0));
        // Trimmed at 7 and idle since: not again.
        assert!(!due(7, 7, 7));
        // Busy again, then idle: again.
        assert!(!due(7, 9, 7));
        assert!(due(9, 9, 7));
    }
}
