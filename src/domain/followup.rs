//! The follow-up weeks after an intake: "Mag ik over {follow_up_days} dagen
//! vragen hoe het ging?" If the person says yes, one message goes out at the
//! due time, asking whether the advice helped, which route or contact they
//! used and whether they want to add anything (or talk to a coach).
//!
//! Pure: the due-time rule ([`due_time`]: completion plus the configured days,
//! same local clock time, then moved into daytime on a weekday in
//! Europe/Amsterdam) and the record's transitions. No I/O, no clock: the
//! store keeps the record sealed and indexed by due time, the Discord adapter
//! sends.

use crate::content::text::Lang;
use crate::domain::conversation::{Conversation, Status};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The follow-up's name among the offers after the advice.
pub const OFFER: &str = "followup";

/// The time zone the daytime window is in.
pub const TIMEZONE: Tz = chrono_tz::Europe::Amsterdam;

/// The daytime window a follow-up is sent in, local time: from 10:00 ...
pub fn day_start() -> NaiveTime {
    NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default()
}

/// ... until 17:00 (exclusive), Monday to Friday.
pub fn day_end() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A local date and time in [`TIMEZONE`] as a moment. A time in the spring
/// gap (02:00–03:00 on the last Sunday of March) does not exist: it becomes
/// the moment the clocks jump (an hour later on the wall clock).
fn local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match TIMEZONE.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => TIMEZONE
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc()),
    }
}

/// `t` itself when it falls in daytime (a weekday, 10:00–17:00 in
/// Amsterdam), else the next start of daytime: the same morning at 10:00, or
/// the next weekday's.
pub fn into_daytime(t: DateTime<Utc>) -> DateTime<Utc> {
    let here = t.with_timezone(&TIMEZONE);
    let (date, time) = (here.date_naive(), here.time());
    if is_weekday(date) && time >= day_start() && time < day_end() {
        return t;
    }
    if is_weekday(date) && time < day_start() {
        return local(date, day_start());
    }
    let mut d = date + Duration::days(1);
    while !is_weekday(d) {
        d += Duration::days(1);
    }
    local(d, day_start())
}

/// When the follow-up of an intake completed at `completed` is due: `days`
/// calendar days later at the same local clock time (so a change to or from
/// summer time does not shift it by an hour), moved into daytime
/// ([`into_daytime`]).
pub fn due_time(completed: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let here = completed.with_timezone(&TIMEZONE);
    let date = here.date_naive() + Duration::days(i64::from(days));
    into_daytime(local(date, here.time()))
}

/// Whether the advice helped: the four buttons of the follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Helped {
    Yes,
    Somewhat,
    No,
    /// "Nog niet aan toegekomen".
    NotYet,
}

impl Helped {
    pub const ALL: [Helped; 4] = [Helped::Yes, Helped::Somewhat, Helped::No, Helped::NotYet];

    /// The id in custom ids, exports and content keys (`followup_helped_{id}`).
    pub fn id(self) -> &'static str {
        match self {
            Helped::Yes => "yes",
            Helped::Somewhat => "somewhat",
            Helped::No => "no",
            Helped::NotYet => "not_yet",
        }
    }

    pub fn parse(s: &str) -> Option<Helped> {
        Helped::ALL.into_iter().find(|h| h.id() == s)
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for its due time (the only state in the due index).
    Scheduled,
    /// The message went out (or is going out: it is marked before sending,
    /// so it never goes twice).
    Sent,
    /// The person said stop before it went out.
    Cancelled,
    /// Discord would not take the message (DMs closed).
    Undeliverable,
}

/// What the person answered. Every part is optional: they may click one
/// button and leave it there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    #[serde(default)]
    pub helped: Option<Helped>,
    /// A route or contact id out of what they were shown, or `none`.
    #[serde(default)]
    pub route: Option<String>,
    /// Anything they added, in their own words.
    #[serde(default)]
    pub note: Option<String>,
    /// They asked to talk to a coach.
    #[serde(default)]
    pub coach: bool,
    #[serde(default)]
    pub answered_at: Option<DateTime<Utc>>,
}

impl Answer {
    pub fn is_empty(&self) -> bool {
        self.helped.is_none() && self.route.is_none() && self.note.is_none() && !self.coach
    }
}

/// The "which route or contact" answer for none of them.
pub const NO_ROUTE: &str = "none";

/// One follow-up, tied to the conversation it follows up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub conversation: String,
    pub user: String,
    pub lang: Lang,
    /// When the person said yes.
    pub scheduled_at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub state: State,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub answer: Answer,
}

/// Why a follow-up cannot be offered or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowUpError {
    #[error("the conversation has not ended with advice")]
    NotEnded,
    #[error("this follow-up is not waiting to be sent")]
    NotScheduled,
    #[error("this follow-up has not been sent")]
    NotSent,
    #[error("{0:?} is not one of the routes or contacts shown")]
    UnknownRoute(String),
}

/// Whether a follow-up may be offered at the end of `conv`: it ended (not
/// stopped or declined) with consent, after the advice was shown.
pub fn can_offer(conv: &Conversation) -> bool {
    conv.status == Status::Ended
        && conv.answers.consent == Some(true)
        && conv.ended_at.is_some()
        && !(conv.recommended.is_empty() && conv.contacts_shown.is_empty())
}

/// The follow-up the person agreed to at `now`, due `days` after the
/// conversation ended ([`due_time`]).
pub fn schedule(
    conv: &Conversation,
    days: u32,
    now: DateTime<Utc>,
) -> Result<FollowUp, FollowUpError> {
    if !can_offer(conv) {
        return Err(FollowUpError::NotEnded);
    }
    let completed = conv.ended_at.unwrap_or(now);
    Ok(FollowUp {
        conversation: conv.id.clone(),
        user: conv.user.clone(),
        lang: conv.lang,
        scheduled_at: now,
        due: due_time(completed, days),
        state: State::Scheduled,
        sent_at: None,
        cancelled_at: None,
        answer: Answer::default(),
    })
}

/// The routes and contacts the person was shown: what "which route or
/// contact" offers, in the order they were shown.
pub fn shown(conv: &Conversation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in conv.recommended.iter().chain(&conv.contacts_shown) {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

impl FollowUp {
    /// Due at `now`: scheduled and its time has come.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.state == State::Scheduled && self.due <= now
    }

    /// Marks it sent (before sending: a crash then loses one message rather
    /// than sending it twice).
    pub fn sent(&self, now: DateTime<Utc>) -> Result<FollowUp, FollowUpError> {
        if self.state != State::Scheduled {
            return Err(FollowUpError::NotScheduled);
        }
        let mut f = self.clone();
        f.state = State::Sent;
        f.sent_at = Some(now);
        Ok(f)
    }

    /// Discord refused the message.
    pub fn undeliverable(&self) -> FollowUp {
        let mut f = self.clone();
        f.state = State::Undeliverable;
        f
    }

    /// "Stop": a scheduled follow-up will not go out. `None` when there is
    /// nothing left to cancel (already sent or cancelled).
    pub fn cancel(&self, now: DateTime<Utc>) -> Option<FollowUp> {
        if self.state != State::Scheduled {
            return None;
        }
        let mut f = self.clone();
        f.state = State::Cancelled;
        f.cancelled_at = Some(now);
        Some(f)
    }

    fn answering(&self, now: DateTime<Utc>) -> Result<FollowUp, FollowUpError> {
        if self.state != State::Sent {
            return Err(FollowUpError::NotSent);
        }
        let mut f = self.clone();
        f.answer.answered_at = Some(now);
        Ok(f)
    }

    /// Did it help (a later click replaces an earlier one).
    pub fn helped(&self, h: Helped, now: DateTime<Utc>) -> Result<FollowUp, FollowUpError> {
        let mut f = self.answering(now)?;
        f.answer.helped = Some(h);
        Ok(f)
    }

    /// Which route or contact: one of `shown`, or [`NO_ROUTE`].
    pub fn route(
        &self,
        id: &str,
        shown: &[String],
        now: DateTime<Utc>,
    ) -> Result<FollowUp, FollowUpError> {
        if id != NO_ROUTE && !shown.iter().any(|s| s == id) {
            return Err(FollowUpError::UnknownRoute(id.to_string()));
        }
        let mut f = self.answering(now)?;
        f.answer.route = Some(id.to_string());
        Ok(f)
    }

    /// Anything to add, cut to `max_chars`; blank text changes nothing.
    pub fn note(
        &self,
        text: &str,
        max_chars: usize,
        now: DateTime<Utc>,
    ) -> Result<FollowUp, FollowUpError> {
        let mut f = self.answering(now)?;
        let t = text.trim();
        if !t.is_empty() {
            let cut: String = t.chars().take(max_chars).collect();
            f.answer.note = Some(cut.trim_end().to_string());
        }
        Ok(f)
    }

    /// They asked for a coach.
    pub fn coach(&self, now: DateTime<Utc>) -> Result<FollowUp, FollowUpError> {
        let mut f = self.answering(now)?;
        f.answer.coach = true;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn amsterdam(t: DateTime<Utc>) -> String {
        t.with_timezone(&TIMEZONE)
            .format("%a %Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn a_weekday_afternoon_stays_as_it_is() {
        // Tue 2026-11-03 13:15 UTC = 14:15 in Amsterdam (winter, +1); 30 days on is Thu 3 Dec.
        let due = due_time(utc(2026, 11, 3, 13, 15), 30);
        assert_eq!(amsterdam(due), "Thu 2026-12-03 14:15");
    }

    #[test]
    fn an_evening_moves_to_the_next_morning() {
        // Mon 2026-11-02 20:30 local + 30 days = Wed 2 Dec 20:30 -> Thu 10:00.
        let due = due_time(utc(2026, 11, 2, 19, 30), 30);
        assert_eq!(amsterdam(due), "Thu 2026-12-03 10:00");
        // Exactly 17:00 is evening already.
        assert_eq!(
            amsterdam(into_daytime(utc(2026, 12, 2, 16, 0))),
            "Thu 2026-12-03 10:00"
        );
        // Early morning waits for 10:00 the same day.
        assert_eq!(
            amsterdam(into_daytime(utc(2026, 12, 2, 6, 0))),
            "Wed 2026-12-02 10:00"
        );
    }

    #[test]
    fn a_weekend_moves_to_monday_morning() {
        // Thu 2026-10-29 11:00 local + 30 days = Sat 28 Nov -> Mon 30 Nov 10:00.
        let due = due_time(utc(2026, 10, 29, 10, 0), 30);
        assert_eq!(amsterdam(due), "Mon 2026-11-30 10:00");
        // Friday evening -> Monday too.
        assert_eq!(
            amsterdam(into_daytime(utc(2026, 11, 27, 18, 0))),
            "Mon 2026-11-30 10:00"
        );
    }

    #[test]
    fn the_local_clock_time_survives_a_change_of_summer_time() {
        // Into summer time: Tue 2026-03-10 16:30 CET (15:30 UTC) + 30 days =
        // Thu 9 Apr 16:30 CEST (14:30 UTC); counting 30 × 24 h would give
        // 17:30 local, past daytime.
        let due = due_time(utc(2026, 3, 10, 15, 30), 30);
        assert_eq!(amsterdam(due), "Thu 2026-04-09 16:30");
        assert_eq!(due, utc(2026, 4, 9, 14, 30));
        // Out of summer time: Wed 2026-10-07 10:00 CEST (08:00 UTC) + 30 days
        // = Fri 6 Nov 10:00 CET (09:00 UTC), not 09:00 local (before daytime).
        let due = due_time(utc(2026, 10, 7, 8, 0), 30);
        assert_eq!(amsterdam(due), "Fri 2026-11-06 10:00");
        assert_eq!(due, utc(2026, 11, 6, 9, 0));
        // A completion on the night of the change lands in daytime all the same.
        let due = due_time(utc(2026, 2, 28, 1, 30), 29);
        assert_eq!(amsterdam(due), "Mon 2026-03-30 10:00");
    }

    #[test]
    fn the_due_time_is_never_before_the_days_have_passed() {
        let mut t = utc(2026, 1, 1, 0, 0);
        while t < utc(2027, 1, 1, 0, 0) {
            for days in [1, 14, 30] {
                let due = due_time(t, days);
                let local = due.with_timezone(&TIMEZONE);
                assert!(is_weekday(local.date_naive()), "{t} + {days}");
                assert!(
                    local.time() >= day_start() && local.time() < day_end(),
                    "{t} + {days}"
                );
                // Days counted on the calendar: at most an hour short of 24 h each (summer time).
                assert!(due >= t + Duration::days(i64::from(days)) - Duration::hours(1));
                assert!(due <= t + Duration::days(i64::from(days) + 4));
            }
            t += Duration::minutes(97);
        }
    }

    fn ended() -> Conversation {
        let t = utc(2026, 11, 3, 13, 15);
        let mut c = Conversation::new("c1", "u1", Lang::Nl, t);
        c.status = Status::Ended;
        c.ended_at = Some(t);
        c.answers.consent = Some(true);
        c.recommended = vec!["slim".into(), "ondernemersklankbord".into()];
        c.contacts_shown = vec!["werkgeversservicepunt".into()];
        c
    }

    #[test]
    fn a_follow_up_is_offered_only_after_advice_with_consent() {
        let c = ended();
        assert!(can_offer(&c));
        let mut stopped = c.clone();
        stopped.status = Status::Stopped;
        assert!(!can_offer(&stopped));
        let mut nothing = c.clone();
        nothing.recommended.clear();
        nothing.contacts_shown.clear();
        assert!(!can_offer(&nothing));
        assert_eq!(
            schedule(&stopped, 30, c.started_at),
            Err(FollowUpError::NotEnded)
        );
    }

    #[test]
    fn it_goes_out_once_and_takes_answers_only_after() {
        let c = ended();
        let now = utc(2026, 11, 3, 13, 20);
        let f = schedule(&c, 30, now).unwrap();
        assert_eq!(f.due, due_time(c.ended_at.unwrap(), 30));
        assert!(!f.is_due(now));
        assert!(f.is_due(f.due));
        assert_eq!(f.helped(Helped::Yes, now), Err(FollowUpError::NotSent));
        let sent = f.sent(f.due).unwrap();
        assert_eq!(sent.sent(f.due), Err(FollowUpError::NotScheduled));
        assert!(!sent.is_due(f.due), "sent: never due again");
        assert_eq!(sent.cancel(f.due), None, "nothing left to cancel");
        let shown = shown(&c);
        let a = sent
            .helped(Helped::Somewhat, f.due)
            .unwrap()
            .route("slim", &shown, f.due)
            .unwrap()
            .note("  Het loket belde terug.  ", 10, f.due)
            .unwrap()
            .coach(f.due)
            .unwrap();
        assert_eq!(a.answer.helped, Some(Helped::Somewhat));
        assert_eq!(a.answer.route.as_deref(), Some("slim"));
        assert_eq!(a.answer.note.as_deref(), Some("Het loket"));
        assert!(a.answer.coach);
        assert!(matches!(
            sent.route("made-up", &shown, f.due),
            Err(FollowUpError::UnknownRoute(_))
        ));
        assert!(sent.route(NO_ROUTE, &shown, f.due).is_ok());
    }

    #[test]
    fn stop_cancels_a_scheduled_one() {
        let c = ended();
        let f = schedule(&c, 30, c.started_at).unwrap();
        let x = f.cancel(c.started_at).unwrap();
        assert_eq!(x.state, State::Cancelled);
        assert!(!x.is_due(x.due));
        assert_eq!(x.sent(x.due), Err(FollowUpError::NotScheduled));
    }

    #[test]
    fn answer_ids_round_trip() {
        for h in Helped::ALL {
            assert_eq!(Helped::parse(h.id()), Some(h));
            assert_eq!(serde_json::to_value(h).unwrap(), h.id());
        }
    }
}
