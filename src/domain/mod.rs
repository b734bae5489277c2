//! The domain: what an intake conversation is and how it moves, with no I/O,
//! no clock and no transport. Everything here is a pure function of content,
//! state, input and the time passed in.

pub mod conversation;
pub mod engine;
pub mod followup;
pub mod handoff;
pub mod knowledge;
pub(crate) mod listen;
pub mod nlu;
pub mod output;
pub(crate) mod peers;
pub(crate) mod places;
pub mod recommend;

/// The message keys (`[messages]` in the content) the domain says by key;
/// `check` requires them.
pub const MESSAGE_KEYS: &[&str] = &[
    "yes",
    "no",
    "skip",
    "human_choice",
    "welcome_back",
    "not_understood",
    "offer_human",
    "empty_input",
    "ambiguous",
    "help",
    "restarted",
    "stopped",
    "back_none",
    "handoff_requested",
    "handoff_waiting",
    "handed_back",
    "confirm_none",
    "confirm_pick",
    "confirm_done",
    "region_confirm",
    "route_ended",
    "route_ended_no_successor",
    "rec_intro",
    "rec_none",
    "rec_uncertain",
    "why_concern",
    "why_sector",
    "why_size",
    "why_region",
    "why_general",
    "and",
    "contacts_intro",
    "peer_intro",
    "conversation_over",
    "reask_consent",
    "faq_privacy",
    "faq_who",
    "faq_cost",
    "faq_unknown",
    "lang_switched",
    "confirm_corrected",
    "that",
    "propose_check",
    "propose_sector",
    "propose_size",
    "sector_other_kept",
    // Places and postcodes (listening).
    "postcode_mixed",
    "postcode_pick",
    "or",
    "propose_place",
    // The recommender (recommend.rs): around each route's own reason.
    "reason_quote",
    "reason_tried_quote",
    "reason_fallback",
    "for_employees",
    "rec_uncertain_route",
    "rec_uncertain_other",
    "window_open",
    "window_open_no_end",
    "window_upcoming",
    "window_closed",
    "window_watch",
    "next_step",
    "tried_ack",
    "tried_ack_routes",
    "desk_own",
    "desk_next_step",
    "months",
];
