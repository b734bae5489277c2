//! Follow-ups as the application runs them: the operator's settings
//! (the transport's `followup` section), saying yes to the offer, "stop", recording the answers,
//! and a coach hand-off reopened from an answer. The rule and the record are
//! [`crate::domain::followup`]; the sealed, indexed table is the store's
//! (`store/followup.rs`). Transports call these under the person's lock.

use crate::app::service::{Intake, Reply};
use crate::app::settings::within;
use crate::app::store::{Entry, Role, StoreError};
use crate::content::text::fill;
use crate::domain::conversation::{HandoffReason, Status};
use crate::domain::engine::Event;
use crate::domain::followup::{self, FollowUp, FollowUpError, Helped};
use crate::domain::handoff;
use crate::domain::output::Output;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::ops::RangeInclusive;

/// The follow-up section of the configuration file (a transport's own:
/// the one that sends follow-ups nests it in its section).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpConfig {
    /// Offer the follow-up at the end of an intake (and send the ones
    /// already agreed). `false` switches the feature off.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Days after the intake the follow-up is due (then moved into daytime,
    /// weekdays 10:00–17:00 in Amsterdam). Between 1 and 365 ([`FOLLOW_UP_DAYS`]),
    /// and less than `[privacy] retention_days`.
    #[serde(default = "default_days")]
    pub follow_up_days: u32,
}

/// The bounds of `follow_up_days`.
pub const FOLLOW_UP_DAYS: RangeInclusive<u32> = 1..=365;

/// Default of `follow_up_days`.
pub const DEFAULT_FOLLOW_UP_DAYS: u32 = 30;

/// Longest note kept from "anything to add", in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

fn default_enabled() -> bool {
    true
}

fn default_days() -> u32 {
    DEFAULT_FOLLOW_UP_DAYS
}

impl Default for FollowUpConfig {
    fn default() -> Self {
        FollowUpConfig {
            enabled: true,
            follow_up_days: DEFAULT_FOLLOW_UP_DAYS,
        }
    }
}

impl FollowUpConfig {
    /// Checks the bounds (the message names `section` and the key). A
    /// follow-up must be due before the conversation it asks about is deleted.
    pub fn validate(&self, section: &str, retention_days: u32) -> Result<(), String> {
        within(
            section,
            "follow_up_days",
            self.follow_up_days,
            FOLLOW_UP_DAYS,
        )?;
        if self.enabled && self.follow_up_days >= retention_days {
            return Err(format!(
                "[{section}] follow_up_days ({}) must be less than [privacy] retention_days ({retention_days}): the conversation would be deleted before the follow-up",
                self.follow_up_days
            ));
        }
        Ok(())
    }
}

/// Why a follow-up action did not happen, for the transport to word.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The conversation or its follow-up is gone (erased, forgotten), or
    /// belongs to someone else.
    #[error("no such follow-up")]
    Gone,
    #[error(transparent)]
    Rule(#[from] FollowUpError),
}

/// What one click on the follow-up message answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Helped(Helped),
    Route(String),
    Note(String),
}

/// The person said yes to the offer at the end of `conversation`: the
/// follow-up is scheduled (sealed, indexed). Saying yes twice keeps the first.
pub fn accept(
    intake: &Intake,
    conversation: &str,
    user: &str,
    days: u32,
    now: DateTime<Utc>,
) -> Result<FollowUp, Refused> {
    let store = &intake.store;
    let conv = store
        .conversation(conversation)?
        .filter(|c| c.user == user)
        .ok_or(Refused::Gone)?;
    if let Some(f) = store.follow_up(conversation)? {
        return Ok(f);
    }
    let f = followup::schedule(&conv, days, now)?;
    if !store.save_follow_up(&f)? {
        return Err(Refused::Gone);
    }
    Ok(f)
}

/// "Stop": every scheduled follow-up of `user` is cancelled. Returns how many.
pub fn stop(intake: &Intake, user: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut n = 0;
    for f in intake.store.follow_ups_of(user)? {
        if let Some(c) = f.cancel(now) {
            if intake.store.save_follow_up(&c)? {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// `user`'s follow-up of `conversation`, or [`Refused::Gone`].
fn mine(intake: &Intake, conversation: &str, user: &str) -> Result<FollowUp, Refused> {
    intake
        .store
        .follow_up(conversation)?
        .filter(|f| f.user == user)
        .ok_or(Refused::Gone)
}

/// Records one part of the answer on the follow-up (sealed, flushed).
pub fn answer(
    intake: &Intake,
    conversation: &str,
    user: &str,
    part: Part,
    now: DateTime<Utc>,
) -> Result<FollowUp, Refused> {
    let f = mine(intake, conversation, user)?;
    let changed = match part {
        Part::Helped(h) => f.helped(h, now)?,
        Part::Route(id) => {
            let conv = intake
                .store
                .conversation(conversation)?
                .ok_or(Refused::Gone)?;
            f.route(&id, &followup::shown(&conv), now)?
        }
        Part::Note(text) => f.note(&text, MAX_NOTE_CHARS, now)?,
    };
    if !intake.store.save_follow_up(&changed)? {
        return Err(Refused::Gone);
    }
    Ok(changed)
}

/// What asking for a coach from the follow-up did.
#[derive(Debug)]
pub enum Reopened {
    /// A hand-off was requested on the followed-up conversation: the
    /// transport posts the card as after any turn that requests one.
    Requested(Box<Reply>),
    /// It is with a coach already (or waiting for one).
    Already,
    /// The person is in another conversation with the bot now: they ask there.
    Busy,
}

/// The person asked for a coach in answer to the follow-up: the answer is
/// recorded, and the ended conversation is handed to a coach again
/// ([`HandoffReason::FollowUp`]), with its answers and advice for the card.
pub fn reopen_for_coach(
    intake: &Intake,
    conversation: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<Reopened, Refused> {
    let f = mine(intake, conversation, user)?;
    let store = &intake.store;
    let mut conv = store.conversation(conversation)?.ok_or(Refused::Gone)?;
    if conv.status == Status::Handoff {
        return Ok(Reopened::Already);
    }
    if let Some(active) = store.active_conversation(user)? {
        if active.id != conv.id {
            return Ok(Reopened::Busy);
        }
    }
    let recorded = f.coach(now)?;
    if !store.save_follow_up(&recorded)? {
        return Err(Refused::Gone);
    }
    let reason = HandoffReason::FollowUp;
    handoff::request(&mut conv, now, reason);
    conv.updated_at = now;
    let k = intake.knowledge();
    let text = k.msg("handoff_requested", conv.lang);
    let system = fill(
        &k.msg("transcript_handoff_requested", conv.lang),
        &[("reason", &k.msg("handoff_reason_follow_up", conv.lang))],
    );
    let entries = [
        Entry::new(now, Role::System, system),
        Entry::new(now, Role::Bot, text.clone()),
    ];
    store.commit_turn(&conv, &entries)?;
    Ok(Reopened::Requested(Box::new(Reply {
        conversation: conv,
        outputs: vec![Output::Message { step: None, text }],
        events: vec![Event::HandoffRequested { reason }],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_bounded_and_before_the_retention_period() {
        let mut c = FollowUpConfig::default();
        assert!(c.validate("x.followup", 180).is_ok());
        c.follow_up_days = 0;
        let e = c.validate("x.followup", 180).unwrap_err();
        assert!(e.contains("[x.followup] follow_up_days"), "{e}");
        c.follow_up_days = 400;
        assert!(c
            .validate("x.followup", 36_500)
            .unwrap_err()
            .contains("follow_up_days"));
        c.follow_up_days = 200;
        let e = c.validate("x.followup", 180).unwrap_err();
        assert!(e.contains("retention_days"), "{e}");
        c.enabled = false;
        assert!(
            c.validate("x.followup", 180).is_ok(),
            "switched off: no conflict"
        );
    }
}
