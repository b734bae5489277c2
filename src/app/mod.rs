//! The application: the one path every transport takes ([`service`]), the
//! sled store that owns every table with personal data ([`store`], with
//! [`crypto`]), privacy, summaries, exports, evaluation and the operator's
//! settings.

pub mod backup;
pub mod crypto;
pub mod eval;
pub mod export;
pub(crate) mod followup;
pub(crate) mod ops;
pub(crate) mod peers;
pub mod privacy;
pub mod reload;
pub mod report;
pub mod service;
pub(crate) mod settings;
pub mod store;
pub mod summary;

/// The message keys the application layer says by key (the service's
/// answer to an over-long message, the hand-off lines it writes into the
/// transcript with their reasons and outcomes, the Markdown export's
/// headings); `check` requires them.
pub const MESSAGE_KEYS: &[&str] = &[
    "too_long",
    "transcript_handoff_requested",
    "transcript_claimed",
    "transcript_transferred",
    "transcript_handed_back",
    "transcript_closed",
    "handoff_reason_user_request",
    "handoff_reason_offer_accepted",
    "handoff_reason_misunderstood",
    "handoff_reason_moderator",
    "handoff_reason_follow_up",
    "handoff_outcome_resolved",
    "handoff_outcome_referred",
    "handoff_outcome_no_show",
    "handoff_outcome_other",
    // The Markdown export's headings and field names (`summary`, `export`).
    "md_title",
    "md_intro",
    "md_peers",
    "md_conversation",
    "md_user",
    "md_language",
    "md_status",
    "md_started",
    "md_ended",
    "md_last_activity",
    "md_consent",
    "md_yes",
    "md_no",
    "md_concerns",
    "md_concerns_detected",
    "md_in_their_words",
    "md_sector",
    "md_size",
    "md_region",
    "md_tried",
    "md_routes",
    "md_contacts",
    "md_handoff",
    "md_reason",
    "md_requested",
    "md_by",
    "md_notes",
    "md_transcript",
];
