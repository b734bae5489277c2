//! Content keys for the domain's values (outcomes, reasons, statuses) and
//! the nl/en localizations Discord shows for commands and options.

use super::Bot;
use crate::content::text::Lang;
use crate::domain::conversation::{HandoffReason, Outcome, Status};
use std::borrow::Cow;

fn outcome_key(o: Outcome) -> &'static str {
    match o {
        Outcome::Resolved => "handoff_outcome_resolved",
        Outcome::Referred => "handoff_outcome_referred",
        Outcome::NoShow => "handoff_outcome_no_show",
        Outcome::Other => "handoff_outcome_other",
    }
}

/// An outcome in words.
pub fn outcome_text(bot: &Bot, o: Outcome, lang: Lang) -> String {
    bot.msg(outcome_key(o), lang)
}

pub fn reason_key(r: HandoffReason) -> &'static str {
    match r {
        HandoffReason::UserRequest => "handoff_reason_user_request",
        HandoffReason::OfferAccepted => "handoff_reason_offer_accepted",
        HandoffReason::Misunderstood => "handoff_reason_misunderstood",
        HandoffReason::Moderator => "handoff_reason_moderator",
        HandoffReason::FollowUp => "handoff_reason_follow_up",
    }
}

/// The message key naming a status (`/mijn-gegevens`, the `/export` filter).
pub fn status_key(s: Status) -> &'static str {
    match s {
        Status::Active => "mydata_status_active",
        Status::Handoff => "mydata_status_handoff",
        Status::Ended => "mydata_status_ended",
        Status::Stopped => "mydata_status_stopped",
        Status::Declined => "mydata_status_declined",
    }
}

/// Discord's localizations of a name or description: Dutch, and English for
/// both English locales.
pub fn locales(nl: String, en: String) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    vec![
        (Cow::Borrowed("nl"), Cow::Owned(nl)),
        (Cow::Borrowed("en-US"), Cow::Owned(en.clone())),
        (Cow::Borrowed("en-GB"), Cow::Owned(en)),
    ]
}
