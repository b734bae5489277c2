//! One conversation's state: what the person answered, where the script
//! stands, and the hand-off to a coach. The engine and the hand-off
//! transitions both change this one type; the store persists it whole.

use crate::content::text::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The bot is asking questions.
    #[default]
    Active,
    /// Waiting for or talking with a human coach; the bot stays quiet.
    Handoff,
    /// Finished the script.
    Ended,
    /// The user said stop.
    Stopped,
    /// The user declined consent: nothing about them is kept.
    Declined,
}

impl Status {
    /// Whether the conversation is over (a new message starts a new one).
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Ended | Status::Stopped | Status::Declined)
    }
}

/// What the user told the bot. Well-known fields are typed (exports and the
/// recommender use them); fields of steps added in content go to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    pub consent: Option<bool>,
    pub consent_at: Option<DateTime<Utc>>,
    /// The answer to the open question, in the user's words.
    pub concerns_text: Option<String>,
    /// What the classifier found in it.
    #[serde(default)]
    pub detected: Vec<String>,
    /// The concerns as confirmed by the user.
    #[serde(default)]
    pub concerns: Vec<String>,
    pub sector: Option<String>,
    pub size: Option<String>,
    /// Province id (derived from the municipality when one is named).
    pub region: Option<String>,
    /// CBS municipality code (`GM0200`), when the user named a place in it.
    #[serde(default)]
    pub municipality: Option<String>,
    /// Labour-market region code (`AM06`): from the municipality, or from a
    /// province that lies in one region only.
    #[serde(default)]
    pub labour_market_region: Option<String>,
    pub tried: Option<String>,
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

impl Answers {
    pub(crate) fn set_text(&mut self, field: &str, value: Option<String>) {
        match field {
            "concerns_text" => self.concerns_text = value,
            "tried" => self.tried = value,
            "sector" => self.sector = value,
            "size" => self.size = value,
            "region" => {
                if value.is_none() {
                    self.municipality = None;
                    self.labour_market_region = None;
                }
                self.region = value
            }
            other => {
                match value {
                    Some(v) => self.extra.insert(other.to_string(), v),
                    None => self.extra.remove(other),
                };
            }
        }
    }
}

/// Why a human was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The user asked for a person.
    UserRequest,
    /// The user accepted the offer at the end.
    OfferAccepted,
    /// The bot did not understand twice and the user took the offered coach.
    Misunderstood,
    /// A moderator handed the conversation over.
    Moderator,
    /// The person asked for a coach in answer to the follow-up
    /// ([`crate::domain::followup`]), weeks after the intake ended.
    FollowUp,
}

/// One conversation's state. Serialised as JSON into the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub user: String,
    pub lang: Lang,
    #[serde(default)]
    pub status: Status,
    /// The pending step (the question waiting for an answer).
    pub step: Option<String>,
    /// Interactive steps answered, oldest first ("terug" pops it).
    #[serde(default)]
    pub history: Vec<String>,
    #[serde(default)]
    pub answers: Answers,
    /// Answers not understood at the pending step.
    #[serde(default)]
    pub misses: u32,
    /// Options the pending question is narrowed to (ambiguous answer, mixed postcode).
    #[serde(default)]
    pub narrowed: Option<Vec<String>>,
    /// Municipalities an ambiguous place name could be, one per province in
    /// `narrowed`: the province picked next decides.
    #[serde(default)]
    pub place_candidates: Vec<String>,
    /// On the confirm step: the user said "no" and picks from the list.
    #[serde(default)]
    pub picking: bool,
    /// What the open answer already said, to confirm instead of asking from
    /// scratch: answer field (`sector`, `size`) -> option id.
    #[serde(default)]
    pub proposed: BTreeMap<String, String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Route ids shown to the user.
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Contact ids shown to the user.
    #[serde(default)]
    pub contacts_shown: Vec<String>,
    /// The current or last hand-off to a coach.
    #[serde(default)]
    pub handoff: Option<Handoff>,
    /// Every hand-off event, for wait and handling times.
    #[serde(default)]
    pub handoff_log: Vec<HandoffEvent>,
}

impl Conversation {
    /// A new conversation, before its first question.
    pub fn new(id: &str, user: &str, lang: Lang, now: DateTime<Utc>) -> Conversation {
        Conversation {
            id: id.to_string(),
            user: user.to_string(),
            lang,
            status: Status::Active,
            step: None,
            history: Vec::new(),
            answers: Answers::default(),
            misses: 0,
            narrowed: None,
            place_candidates: Vec::new(),
            picking: false,
            proposed: BTreeMap::new(),
            started_at: now,
            updated_at: now,
            ended_at: None,
            recommended: Vec::new(),
            contacts_shown: Vec::new(),
            handoff: None,
            handoff_log: Vec::new(),
        }
    }

    /// Appends a hand-off event to [`Conversation::handoff_log`].
    pub(crate) fn log_handoff(
        &mut self,
        now: DateTime<Utc>,
        kind: EventKind,
        by: Option<&str>,
        detail: Option<String>,
    ) {
        self.handoff_log.push(HandoffEvent {
            at: now,
            kind,
            by: by.map(str::to_string),
            detail,
        });
    }
}

/// How a coach ended a hand-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resolved,
    Referred,
    NoShow,
    Other,
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "resolved" => Ok(Outcome::Resolved),
            "referred" => Ok(Outcome::Referred),
            "no_show" | "noshow" => Ok(Outcome::NoShow),
            "other" => Ok(Outcome::Other),
            o => Err(format!(
                "unknown outcome {o:?} (resolved, referred, no_show, other)"
            )),
        }
    }
}

/// What happened, for reporting wait and handling times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Requested,
    Claimed,
    Transferred,
    HandedBack,
    Closed,
    Reminded,
}

/// One hand-off event with its time and actor (a Discord user id, or none for the bot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The coach it went to (claim, transfer), the reason or the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Where the coach card lives, so it can be updated (claimed, erased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRef {
    pub channel: String,
    pub message: String,
}

/// The current (or last) hand-off of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub requested_at: DateTime<Utc>,
    pub reason: HandoffReason,
    /// The coach who has it now.
    #[serde(default)]
    pub coach: Option<String>,
    #[serde(default)]
    pub claimed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The one reminder to the coach role has been sent.
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub card: Option<CardRef>,
    /// The private thread the coach and entrepreneur talk in.
    #[serde(default)]
    pub thread: Option<String>,
}

impl Handoff {
    pub fn new(now: DateTime<Utc>, reason: HandoffReason) -> Handoff {
        Handoff {
            requested_at: now,
            reason,
            coach: None,
            claimed_at: None,
            closed_at: None,
            outcome: None,
            reminded: false,
            card: None,
            thread: None,
        }
    }

    /// Waiting for a coach to claim it.
    pub fn is_waiting(&self) -> bool {
        self.coach.is_none() && self.closed_at.is_none()
    }
}
