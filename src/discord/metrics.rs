//! The bot's metrics, served as Prometheus (OpenMetrics) text on
//! `/metrics` by [`super::health`], through the `prometheus-client` crate.
//!
//! Counted where it happens: turns and their latency in the per-turn path
//! ([`super::intake`]), errors by kind on the error paths, gateway
//! reconnects in the event handler. Read from the store at scrape time, at
//! most every [`QUEUE_EVERY`] (a scan of the conversations): hand-offs
//! waiting and the oldest wait. Backups taken and follow-ups due are set by
//! those features through [`Metrics::backup_taken`] and
//! [`Metrics::set_followups_due`].

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The hand-off gauges are read from the store at most this often.
pub const QUEUE_EVERY: Duration = Duration::from_secs(15);

/// The kinds of error counted (`llo_intake_errors_total{kind=...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A turn could not be run or stored.
    Turn,
    /// A command, button or form failed (the person got an error id).
    Internal,
    /// An event handler panicked.
    Panic,
    /// A content reload was refused (the old content stayed).
    Reload,
}

impl ErrorKind {
    fn label(self) -> &'static str {
        match self {
            ErrorKind::Turn => "turn",
            ErrorKind::Internal => "internal",
            ErrorKind::Panic => "panic",
            ErrorKind::Reload => "reload",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// Every metric of one bot.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    turns: Counter,
    errors: Family<KindLabel, Counter>,
    latency: Histogram,
    reconnects: Counter,
    reloads: Counter,
    handoffs_waiting: Gauge,
    oldest_wait: Gauge,
    followups_due: Gauge,
    backups_taken: Counter,
    /// When the hand-off gauges were last read from the store.
    queue_read: Mutex<Option<Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("llo_intake");
        let turns = Counter::default();
        let errors = Family::<KindLabel, Counter>::default();
        // 5 ms .. ~41 s: a turn is a store commit plus one or two REST calls.
        let latency = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        let reconnects = Counter::default();
        let reloads = Counter::default();
        let handoffs_waiting = Gauge::default();
        let oldest_wait = Gauge::default();
        let followups_due = Gauge::default();
        let backups_taken = Counter::default();
        registry.register(
            "turns",
            "Turns taken (messages, clicks, starts)",
            turns.clone(),
        );
        registry.register("errors", "Errors, by kind", errors.clone());
        registry.register(
            "turn_latency_seconds",
            "Time from an event to the reply sent",
            latency.clone(),
        );
        registry.register(
            "gateway_reconnects",
            "Gateway sessions resumed or re-identified",
            reconnects.clone(),
        );
        registry.register(
            "content_reloads",
            "Content reloads that took effect",
            reloads.clone(),
        );
        registry.register(
            "handoffs_waiting",
            "Hand-offs waiting for a coach",
            handoffs_waiting.clone(),
        );
        registry.register(
            "handoff_oldest_wait_seconds",
            "How long the longest-waiting hand-off has waited",
            oldest_wait.clone(),
        );
        registry.register(
            "followups_due",
            "Follow-ups due and not yet sent",
            followups_due.clone(),
        );
        registry.register("backups_taken", "Backups taken", backups_taken.clone());
        Metrics {
            registry,
            turns,
            errors,
            latency,
            reconnects,
            reloads,
            handoffs_waiting,
            oldest_wait,
            followups_due,
            backups_taken,
            queue_read: Mutex::new(None),
        }
    }

    /// One turn, with the time it took.
    pub fn turn(&self, took: Duration) {
        self.turns.inc();
        self.latency.observe(took.as_secs_f64());
    }

    pub fn error(&self, kind: ErrorKind) {
        self.errors
            .get_or_create(&KindLabel { kind: kind.label() })
            .inc();
    }

    pub fn reconnected(&self) {
        self.reconnects.inc();
    }

    pub fn reloaded(&self) {
        self.reloads.inc();
    }

    /// For the backup task: one backup written.
    pub fn backup_taken(&self) {
        self.backups_taken.inc();
    }

    /// For the follow-up task: how many follow-ups are due now.
    pub fn set_followups_due(&self, n: usize) {
        self.followups_due.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Whether the hand-off gauges are due to be read again (and marks them
    /// read now when they are).
    pub(crate) fn queue_due(&self, now: Instant) -> bool {
        let mut last = self.queue_read.lock().unwrap_or_else(|e| e.into_inner());
        match *last {
            Some(t) if now.duration_since(t) < QUEUE_EVERY => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    /// The hand-off gauges: how many wait, and the longest wait.
    pub(crate) fn set_queue(&self, waiting: usize, oldest: chrono::Duration) {
        self.handoffs_waiting
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        self.oldest_wait.set(oldest.num_seconds().max(0));
    }

    /// Everything, as OpenMetrics text (which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::warn!("cannot encode the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_every_metric() {
        let m = Metrics::new();
        m.turn(Duration::from_millis(20));
        m.error(ErrorKind::Turn);
        let text = m.encode();
        for name in [
            "llo_intake_turns_total 1",
            "llo_intake_errors_total{kind=\"turn\"} 1",
            "llo_intake_turn_latency_seconds_count 1",
            "llo_intake_gateway_reconnects_total 0",
            "llo_intake_handoffs_waiting 0",
            "llo_intake_handoff_oldest_wait_seconds 0",
            "llo_intake_followups_due 0",
            "llo_intake_backups_taken_total 0",
        ] {
            assert!(text.contains(name), "{name} missing in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn the_store_is_read_at_most_every_interval() {
        let m = Metrics::new();
        let t = Instant::now();
        assert!(m.queue_due(t));
        assert!(!m.queue_due(t + Duration::from_secs(1)));
        assert!(m.queue_due(t + QUEUE_EVERY));
    }
}
