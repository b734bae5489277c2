//! Hand-off events in the transcript are sentences from the content, in the
//! conversation's language, and name nobody: the person's own-data download
//! carries no coach's platform id.

use crate::privacy_support;

use llo_intake::app::privacy::own_data;
use llo_intake::app::service::{HandoffAction, Intake};
use llo_intake::app::store::{Role, Store};
use llo_intake::content::text::{fill, Lang};
use llo_intake::domain::conversation::Outcome;
use privacy_support::*;

const COACH: &str = "734912056118390784";

/// A conversation of `user` that asked for a coach at the sector question,
/// in `lang`, claimed by COACH (who writes once) and closed as resolved.
fn handled(store: &Store, user: &str, lang: Lang) -> String {
    let intake = Intake::new(knowledge(), store.clone(), Lang::Nl);
    let id = intake
        .start(user, Some(lang), day(0))
        .unwrap()
        .conversation
        .id;
    let words: &[&str] = match lang {
        Lang::Nl => &["ja", "Ik kan geen personeel vinden", "ja", "coach"],
        Lang::En => &["yes", "I cannot find staff", "yes", "coach"],
    };
    for w in words {
        intake
            .handle(
                user,
                llo_intake::domain::engine::Input::Text(w.to_string()),
                day(0),
            )
            .unwrap();
    }
    let claim = HandoffAction::Claim {
        coach: COACH.into(),
    };
    intake.handoff(&id, claim, day(0)).unwrap();
    intake
        .coach_line(&id, Role::Coach, COACH, "Hoi, ik help je verder.", day(0))
        .unwrap();
    let close = HandoffAction::Close {
        outcome: Outcome::Resolved,
        by: COACH.into(),
    };
    intake.handoff(&id, close, day(0)).unwrap();
    id
}

fn system_lines(store: &Store, id: &str) -> Vec<String> {
    store
        .transcript(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.role == Role::System)
        .map(|e| e.text)
        .collect()
}

#[test]
fn hand_off_lines_come_from_the_content_in_the_conversations_language() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let k = knowledge();
    for (user, lang) in [("41", Lang::Nl), ("42", Lang::En)] {
        let id = handled(&store, user, lang);
        let reason = k.msg("handoff_reason_user_request", lang);
        let outcome = k.msg("handoff_outcome_resolved", lang);
        assert_eq!(
            system_lines(&store, &id),
            [
                fill(
                    &k.msg("transcript_handoff_requested", lang),
                    &[("reason", &reason)]
                ),
                k.msg("transcript_claimed", lang),
                fill(&k.msg("transcript_closed", lang), &[("outcome", &outcome)]),
            ],
            "{lang:?}"
        );
    }
}

#[test]
fn the_own_data_download_names_no_coach_in_transcript_or_events() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    handled(&store, "43", Lang::Nl);
    let v = own_data(&store, "43").unwrap();
    let c = &v["conversations"][0];
    let transcript = c["transcript"].to_string();
    assert!(
        transcript.contains("Hoi, ik help je verder."),
        "{transcript}"
    );
    assert!(!transcript.contains(COACH), "{transcript}");
    let events = c["handoff"]["events"].to_string();
    assert!(
        events.contains("claimed") && events.contains("resolved"),
        "{events}"
    );
    assert!(!events.contains(COACH), "{events}");
}
