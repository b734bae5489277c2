//! Hand-off transitions on the engine's conversation state, without Discord.

use chrono::{Duration, TimeZone, Utc};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::{Conversation, Status};
use llo_intake::domain::conversation::{EventKind, Outcome};
use llo_intake::domain::engine::{self, Input};
use llo_intake::domain::handoff::{self, HandoffError};
use llo_intake::domain::knowledge::Knowledge;
use std::sync::OnceLock;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().unwrap())
}

fn t(min: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap() + Duration::minutes(min)
}

/// A conversation that asked for a coach at the sector question.
fn handed_off(id: &str, at: i64) -> Conversation {
    let mut c = engine::start(k(), id, &format!("user-{id}"), Lang::Nl, t(at)).conversation;
    for a in ["ja", "ik kan geen personeel vinden", "ja", "coach"] {
        c = engine::handle(k(), &c, Input::Text(a.into()), t(at)).conversation;
    }
    assert_eq!(c.status, Status::Handoff);
    c
}

#[test]
fn request_is_recorded_with_time_and_reason() {
    let c = handed_off("a", 0);
    let h = c.handoff.as_ref().unwrap();
    assert!(h.is_waiting());
    assert_eq!(h.requested_at, t(0));
    assert_eq!(c.handoff_log[0].kind, EventKind::Requested);
    assert_eq!(c.handoff_log[0].detail.as_deref(), Some("user_request"));
}

#[test]
fn first_claim_wins_second_is_told_who_has_it() {
    let c = handed_off("a", 0);
    let won = handoff::claim(&c, "coach-1", t(5)).unwrap();
    assert_eq!(
        handoff::claim(&won, "coach-2", t(5)),
        Err(HandoffError::AlreadyClaimed("coach-1".into()))
    );
    let h = won.handoff.as_ref().unwrap();
    assert_eq!(h.coach.as_deref(), Some("coach-1"));
    assert_eq!(h.claimed_at, Some(t(5)));
    assert!(won
        .handoff_log
        .iter()
        .any(|e| e.kind == EventKind::Claimed && e.by.as_deref() == Some("coach-1")));
}

#[test]
fn the_bot_stays_quiet_while_claimed_and_resumes_on_hand_back() {
    let c = handoff::claim(&handed_off("a", 0), "coach-1", t(5)).unwrap();
    let quiet = engine::handle(k(), &c, Input::Text("ben je daar?".into()), t(6));
    assert!(quiet.outputs.is_empty());
    // The service's composition: close the hand-off, then the engine re-asks.
    let closed = handoff::hand_back(&quiet.conversation, "coach-1", t(30)).unwrap();
    let back = engine::handle(k(), &closed, Input::Handback, t(30));
    assert_eq!(back.conversation.status, Status::Active);
    assert_eq!(
        back.question().map(|q| q.step.as_str()),
        Some("sector"),
        "re-asks the pending question"
    );
    assert_eq!(back.conversation.answers.concerns, ["recruitment"]);
    assert!(back
        .conversation
        .handoff_log
        .iter()
        .any(|e| e.kind == EventKind::HandedBack));
    // Nothing left to hand back or claim.
    assert_eq!(
        handoff::claim(&back.conversation, "coach-2", t(31)),
        Err(HandoffError::NotHandedOff)
    );
}

#[test]
fn transfer_and_close_with_outcome() {
    let c = handoff::claim(&handed_off("a", 0), "coach-1", t(5)).unwrap();
    let moved = handoff::transfer(&c, "coach-2", "coach-1", t(10)).unwrap();
    assert_eq!(
        moved.handoff.as_ref().unwrap().coach.as_deref(),
        Some("coach-2")
    );
    let closed = handoff::close(&moved, Outcome::Referred, "coach-2", t(40)).unwrap();
    assert_eq!(closed.status, Status::Ended);
    assert_eq!(
        closed.handoff.as_ref().unwrap().outcome,
        Some(Outcome::Referred)
    );
    let kinds: Vec<EventKind> = closed.handoff_log.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Requested,
            EventKind::Claimed,
            EventKind::Transferred,
            EventKind::Closed
        ]
    );
    assert_eq!(
        handoff::close(&closed, Outcome::Other, "x", t(41)),
        Err(HandoffError::NotHandedOff)
    );
    assert_eq!("no-show".parse::<Outcome>(), Ok(Outcome::NoShow));
}

#[test]
fn queue_lists_waiting_conversations_oldest_first() {
    let a = handed_off("a", 0);
    let b = handed_off("b", 3);
    let c = handoff::claim(&handed_off("c", 1), "coach-1", t(4)).unwrap();
    let q = handoff::queue(&[b.clone(), c, a.clone()], t(10));
    let ids: Vec<&str> = q.iter().map(|e| e.conversation.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(q[0].position, 1);
    assert_eq!(q[1].waiting, Duration::minutes(7));
    assert_eq!(
        q[0].region.as_deref(),
        None,
        "asked for a coach before the region question"
    );
}

#[test]
fn one_reminder_after_the_configured_wait() {
    let c = handed_off("a", 0);
    let wait = Duration::minutes(15);
    assert!(!handoff::reminder_due(&c, wait, t(14)));
    assert!(handoff::reminder_due(&c, wait, t(15)));
    let sent = handoff::reminded(&c, t(15));
    assert!(!handoff::reminder_due(&sent, wait, t(60)), "only once");
    let claimed = handoff::claim(&c, "coach", t(16)).unwrap();
    assert!(
        !handoff::reminder_due(&claimed, wait, t(60)),
        "not when claimed"
    );
}
