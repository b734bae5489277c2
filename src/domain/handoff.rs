//! Hand-off to a human coach, as pure state transitions on a conversation:
//! request, claim (first one wins), transfer, hand back, close, plus the queue,
//! reminders and support hours. No I/O: the Discord adapter persists the new
//! conversation with the store and renders the card and messages.
//!
//! Atomicity: callers hold the per-conversation lock while they load, apply
//! and commit, and the store has one writer process, so "the first claim
//! wins" holds even when two coaches click at the same moment.

use crate::domain::conversation::{
    Conversation, EventKind, Handoff, HandoffReason, Outcome, Status,
};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Why a hand-off action was refused. The adapter turns these into polite,
/// ephemeral messages from content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("this conversation is not waiting for or with a coach")]
    NotHandedOff,
    #[error("already claimed by {0}")]
    AlreadyClaimed(String),
}

/// Hands the conversation to a coach: the bot goes quiet and the request
/// waits in the queue (the engine calls this when it hands off).
pub fn request(conv: &mut Conversation, now: DateTime<Utc>, reason: HandoffReason) {
    conv.status = Status::Handoff;
    conv.handoff = Some(Handoff::new(now, reason));
    let detail = serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    conv.log_handoff(now, EventKind::Requested, None, detail);
}

fn open_handoff(conv: &mut Conversation) -> Result<&mut Handoff, HandoffError> {
    if conv.status != Status::Handoff {
        return Err(HandoffError::NotHandedOff);
    }
    match conv.handoff.as_mut() {
        Some(h) if h.closed_at.is_none() => Ok(h),
        _ => Err(HandoffError::NotHandedOff),
    }
}

/// A coach claims a waiting conversation. The first claim wins; a second one
/// gets [`HandoffError::AlreadyClaimed`] with the coach who has it.
pub fn claim(
    conv: &Conversation,
    coach: &str,
    now: DateTime<Utc>,
) -> Result<Conversation, HandoffError> {
    let mut c = conv.clone();
    let h = open_handoff(&mut c)?;
    if let Some(holder) = &h.coach {
        return Err(HandoffError::AlreadyClaimed(holder.clone()));
    }
    h.coach = Some(coach.to_string());
    h.claimed_at = Some(now);
    c.updated_at = now;
    c.log_handoff(
        now,
        EventKind::Claimed,
        Some(coach),
        Some(coach.to_string()),
    );
    Ok(c)
}

/// Moves a claimed (or waiting) conversation to another coach. `by` may be
/// the current coach or a moderator (the adapter checks roles).
pub fn transfer(
    conv: &Conversation,
    to: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Conversation, HandoffError> {
    let mut c = conv.clone();
    let h = open_handoff(&mut c)?;
    h.coach = Some(to.to_string());
    h.claimed_at.get_or_insert(now);
    c.updated_at = now;
    c.log_handoff(now, EventKind::Transferred, Some(by), Some(to.to_string()));
    Ok(c)
}

/// The coach hands the conversation back: the hand-off is closed and the
/// conversation is the bot's again. The caller then lets the engine re-ask
/// (`engine::handle(k, &c, Input::Handback, now)`), answers kept.
pub fn hand_back(
    conv: &Conversation,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Conversation, HandoffError> {
    let mut c = conv.clone();
    let h = open_handoff(&mut c)?;
    h.closed_at = Some(now);
    c.updated_at = now;
    c.log_handoff(now, EventKind::HandedBack, Some(by), None);
    Ok(c)
}

/// The coach closes the conversation with an outcome. The conversation ends.
pub fn close(
    conv: &Conversation,
    outcome: Outcome,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Conversation, HandoffError> {
    let mut c = conv.clone();
    let h = open_handoff(&mut c)?;
    h.closed_at = Some(now);
    h.outcome = Some(outcome);
    c.status = Status::Ended;
    c.ended_at = Some(now);
    c.updated_at = now;
    let detail = serde_json::to_value(outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    c.log_handoff(now, EventKind::Closed, Some(by), detail);
    Ok(c)
}

/// Marks the one reminder as sent.
pub fn reminded(conv: &Conversation, now: DateTime<Utc>) -> Conversation {
    let mut c = conv.clone();
    if let Some(h) = c.handoff.as_mut() {
        h.reminded = true;
    }
    c.log_handoff(now, EventKind::Reminded, None, None);
    c
}

/// Whether the one reminder for this conversation is due now.
pub fn reminder_due(conv: &Conversation, after: Duration, now: DateTime<Utc>) -> bool {
    conv.status == Status::Handoff
        && conv
            .handoff
            .as_ref()
            .is_some_and(|h| h.is_waiting() && !h.reminded && now - h.requested_at >= after)
}

/// One line of `/queue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    pub position: usize,
    pub conversation: String,
    pub user: String,
    pub waiting: Duration,
    pub region: Option<String>,
    pub reason: HandoffReason,
}

/// Waiting conversations, longest wait first, with their position.
pub fn queue(conversations: &[Conversation], now: DateTime<Utc>) -> Vec<QueueEntry> {
    let mut waiting: Vec<(&Conversation, &Handoff)> = conversations
        .iter()
        .filter(|c| c.status == Status::Handoff)
        .filter_map(|c| {
            c.handoff
                .as_ref()
                .filter(|h| h.is_waiting())
                .map(|h| (c, h))
        })
        .collect();
    waiting.sort_by(|a, b| (a.1.requested_at, &a.0.id).cmp(&(b.1.requested_at, &b.0.id)));
    waiting
        .into_iter()
        .enumerate()
        .map(|(i, (c, h))| QueueEntry {
            position: i + 1,
            conversation: c.id.clone(),
            user: c.user.clone(),
            waiting: now - h.requested_at,
            region: c.answers.region.clone(),
            reason: h.reason,
        })
        .collect()
}

/// When coaches are around. Times are local to `timezone` (an IANA name such
/// as "Europe/Amsterdam", so summer time is handled).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportHours {
    /// Days with support, e.g. ["mon", "tue", "wed", "thu", "fri"].
    pub days: Vec<String>,
    /// Opening time, "09:00".
    pub open: String,
    /// Closing time, "17:00".
    pub close: String,
    #[serde(default = "default_tz")]
    pub timezone: String,
}

fn default_tz() -> String {
    "Europe/Amsterdam".into()
}

/// A support-hours setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("support_hours: {0}")]
pub struct HoursError(pub String);

fn weekday(s: &str) -> Option<Weekday> {
    match s.trim().to_ascii_lowercase().get(..2)? {
        "mo" | "ma" => Some(Weekday::Mon),
        "tu" | "di" => Some(Weekday::Tue),
        "we" | "wo" => Some(Weekday::Wed),
        "th" | "do" => Some(Weekday::Thu),
        "fr" | "vr" => Some(Weekday::Fri),
        "sa" | "za" => Some(Weekday::Sat),
        "su" | "zo" => Some(Weekday::Sun),
        _ => None,
    }
}

impl SupportHours {
    /// Checks the setting once at start-up.
    pub fn validate(&self) -> Result<(), HoursError> {
        self.parts().map(|_| ())
    }

    fn parts(&self) -> Result<(Vec<Weekday>, NaiveTime, NaiveTime, chrono_tz::Tz), HoursError> {
        let days = self
            .days
            .iter()
            .map(|d| weekday(d).ok_or_else(|| HoursError(format!("unknown day {d:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let t = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| HoursError(format!("time {s:?} is not HH:MM")))
        };
        let (open, close) = (t(&self.open)?, t(&self.close)?);
        if close <= open {
            return Err(HoursError("close must be after open".into()));
        }
        let tz: chrono_tz::Tz = self
            .timezone
            .parse()
            .map_err(|_| HoursError(format!("unknown timezone {:?}", self.timezone)))?;
        Ok((days, open, close, tz))
    }

    /// Whether `now` is inside support hours.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let Ok((days, open, close, tz)) = self.parts() else {
            return true;
        };
        let local = now.with_timezone(&tz);
        days.contains(&local.weekday()) && local.time() >= open && local.time() < close
    }

    /// The next opening moment after `now` (local time, for the message), or
    /// None when open now or the setting is unusable.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<chrono::DateTime<chrono_tz::Tz>> {
        let (days, open, _, tz) = self.parts().ok()?;
        if self.is_open(now) {
            return None;
        }
        let local = now.with_timezone(&tz);
        (0..8).find_map(|d| {
            let date = local.date_naive() + Duration::days(d);
            if !days.contains(&date.weekday()) {
                return None;
            }
            let at = tz.from_local_datetime(&date.and_time(open)).earliest()?;
            (at > local).then_some(at)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours() -> SupportHours {
        SupportHours {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            open: "09:00".into(),
            close: "17:00".into(),
            timezone: "Europe/Amsterdam".into(),
        }
    }

    #[test]
    fn support_hours_follow_local_time_and_summer_time() {
        let h = hours();
        // Thursday 26 Nov 2026, 08:30 UTC = 09:30 in Amsterdam (winter, +1).
        assert!(h.is_open(Utc.with_ymd_and_hms(2026, 11, 26, 8, 30, 0).unwrap()));
        // 07:30 UTC in July = 09:30 in Amsterdam (summer, +2).
        assert!(h.is_open(Utc.with_ymd_and_hms(2026, 7, 2, 7, 30, 0).unwrap()));
        // Friday 17:30 local: next open is Monday 09:00 local.
        let fri = Utc.with_ymd_and_hms(2026, 11, 27, 16, 30, 0).unwrap();
        assert!(!h.is_open(fri));
        let next = h.next_open(fri).unwrap();
        assert_eq!(next.weekday(), Weekday::Mon);
        assert_eq!(next.format("%H:%M").to_string(), "09:00");
    }

    #[test]
    fn bad_hours_are_reported() {
        let mut h = hours();
        h.timezone = "Mars/Olympus".into();
        assert!(h.validate().is_err());
        let mut h = hours();
        h.close = "08:00".into();
        assert!(h.validate().is_err());
        let mut h = hours();
        h.days.push("funday".into());
        assert!(h.validate().is_err());
    }
}
