//! One structured summary per conversation: what the network reads (export)
//! and what the entrepreneur gets back (own data). Built purely from stored
//! records; rendered as JSON (serde), Markdown and CSV rows.
//!
//! The CSV column set ([`CSV_COLUMNS`]) is a stable interface: columns are
//! only ever added at the end, never renamed or reordered. README "Export"
//! documents each column.

use crate::app::store::{Entry, Lines, Role, Store, StoreError};
use crate::content::text::{fill, printable, Lang};
use crate::content::Content;
use crate::domain::conversation::{Conversation, HandoffReason, Status};
use crate::domain::conversation::{EventKind, HandoffEvent, Outcome};
use crate::domain::followup::{FollowUp, Helped, State as FollowUpState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Sector, size and region, as content ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub sector: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
    /// CBS municipality code and labour-market region code, when known.
    #[serde(default)]
    pub municipality: Option<String>,
    #[serde(default)]
    pub labour_market_region: Option<String>,
}

/// The hand-off history: why a person was asked for, who took it, how it
/// ended, and every event with its time (for wait and handling times).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub reason: Option<HandoffReason>,
    pub requested_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    /// The coach who has (or last had) the conversation.
    pub coach: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub events: Vec<HandoffEvent>,
}

/// An internal coach note. Never shown to the entrepreneur; left out of
/// their own data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub author: Option<String>,
    pub text: String,
}

/// Everything one conversation amounts to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub conversation_id: String,
    /// The platform user id (Discord). Exports leave it out unless asked.
    pub user_id: Option<String>,
    /// A stable pseudonym (keyed hash) to count returning users.
    pub user_ref: String,
    pub language: Lang,
    pub status: Status,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Last thing that happened: a turn, a transcript line or a hand-off event.
    pub last_activity: DateTime<Utc>,
    pub consent: Option<bool>,
    pub consent_at: Option<DateTime<Utc>>,
    /// Concern ids as confirmed by the user.
    pub concerns: Vec<String>,
    /// Concern ids the classifier found in their own words.
    pub concerns_detected: Vec<String>,
    /// Their answer to the open question, in their own words.
    pub concerns_text: Option<String>,
    pub profile: Profile,
    /// What they already tried, in their own words.
    pub tried: Option<String>,
    /// Answers to steps added in content.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    pub routes_suggested: Vec<String>,
    pub contacts_shown: Vec<String>,
    pub handoff: Handoff,
    /// Internal: for the network's coaches only.
    pub internal_notes: Vec<Note>,
    /// The raw transcript (without internal notes), only when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<Entry>>,
    /// The follow-up weeks later, when the person agreed to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpSummary>,
}

/// A follow-up as exports and own data show it: its state, times and the
/// answer (never the person's id: that is the summary's `user_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpSummary {
    pub state: FollowUpState,
    pub scheduled_at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `yes`, `somewhat`, `no`, `not_yet`.
    pub helped: Option<Helped>,
    /// The route or contact id they used (`none` for none of them).
    pub route: Option<String>,
    /// Anything they added, in their own words.
    pub note: Option<String>,
    /// They asked for a coach in answer.
    pub coach: bool,
    pub answered_at: Option<DateTime<Utc>>,
}

impl FollowUpSummary {
    pub fn of(f: &FollowUp) -> FollowUpSummary {
        FollowUpSummary {
            state: f.state,
            scheduled_at: f.scheduled_at,
            due: f.due,
            sent_at: f.sent_at,
            cancelled_at: f.cancelled_at,
            helped: f.answer.helped,
            route: f.answer.route.clone(),
            note: f.answer.note.clone(),
            coach: f.answer.coach,
            answered_at: f.answer.answered_at,
        }
    }
}

/// The last moment anything happened in a conversation: a turn, a
/// transcript line (coach messages too) or a hand-off event.
pub fn last_activity(conv: &Conversation, transcript: &[Entry]) -> DateTime<Utc> {
    last_activity_at(conv, transcript.iter().map(|e| e.at).max())
}

/// [`last_activity`] with only the time of the last transcript line known
/// (None: there is none).
pub fn last_activity_at(conv: &Conversation, last_line: Option<DateTime<Utc>>) -> DateTime<Utc> {
    last_line
        .into_iter()
        .chain(conv.handoff_log.iter().map(|h| h.at))
        .chain([conv.updated_at, conv.started_at])
        .chain(conv.ended_at)
        .max()
        .unwrap_or(conv.updated_at)
}

impl Summary {
    /// Builds the summary from a conversation (its hand-off state included)
    /// and its transcript. `user_ref` is [`Store::pseudonym`] of the user.
    pub fn build(
        conv: &Conversation,
        transcript: &[Entry],
        user_ref: String,
        with_transcript: bool,
    ) -> Summary {
        let a = &conv.answers;
        let h = conv.handoff.as_ref();
        Summary {
            conversation_id: conv.id.clone(),
            user_id: Some(conv.user.clone()),
            user_ref,
            language: conv.lang,
            status: conv.status,
            started_at: conv.started_at,
            ended_at: conv.ended_at,
            last_activity: last_activity(conv, transcript),
            consent: a.consent,
            consent_at: a.consent_at,
            concerns: a.concerns.clone(),
            concerns_detected: a.detected.clone(),
            concerns_text: a.concerns_text.clone(),
            profile: Profile {
                sector: a.sector.clone(),
                size: a.size.clone(),
                region: a.region.clone(),
                municipality: a.municipality.clone(),
                labour_market_region: a.labour_market_region.clone(),
            },
            tried: a.tried.clone(),
            extra: a.extra.clone(),
            routes_suggested: conv.recommended.clone(),
            contacts_shown: conv.contacts_shown.clone(),
            handoff: Handoff {
                reason: h.map(|h| h.reason),
                requested_at: h.map(|h| h.requested_at),
                claimed_at: h.and_then(|h| h.claimed_at),
                coach: h.and_then(|h| h.coach.clone()),
                closed_at: h.and_then(|h| h.closed_at),
                outcome: h.and_then(|h| h.outcome),
                events: conv.handoff_log.clone(),
            },
            internal_notes: transcript
                .iter()
                .filter(|e| e.role == Role::Note)
                .map(|e| Note {
                    at: e.at,
                    author: e.author.clone(),
                    text: e.text.clone(),
                })
                .collect(),
            transcript: with_transcript.then(|| {
                transcript
                    .iter()
                    .filter(|e| e.role != Role::Note)
                    .cloned()
                    .collect()
            }),
            follow_up: None,
        }
    }

    /// Reads one conversation from the store and summarises it.
    pub fn load(
        store: &Store,
        conv: &Conversation,
        with_transcript: bool,
    ) -> Result<Summary, StoreError> {
        let transcript = store.transcript(&conv.id)?;
        Summary::load_with(store, conv, &transcript, with_transcript)
    }

    /// [`Summary::load`] with the transcript already read.
    pub fn load_with(
        store: &Store,
        conv: &Conversation,
        transcript: &[Entry],
        with_transcript: bool,
    ) -> Result<Summary, StoreError> {
        let mut s = Summary::build(
            conv,
            transcript,
            store.pseudonym(&conv.user),
            with_transcript,
        );
        s.follow_up = store.follow_up(&conv.id)?.as_ref().map(FollowUpSummary::of);
        Ok(s)
    }

    /// [`Summary::load_with`] with what an export read of the transcript
    /// ([`Lines`]): without the lines (a conversation without internal
    /// notes, no transcript asked for), the time of the last one.
    pub fn load_lines(
        store: &Store,
        conv: &Conversation,
        lines: &Lines,
        with_transcript: bool,
    ) -> Result<Summary, StoreError> {
        match lines {
            Lines::All(t) => Summary::load_with(store, conv, t, with_transcript),
            Lines::LastAt(last) => {
                let mut s = Summary::load_with(store, conv, &[], with_transcript)?;
                s.last_activity = last_activity_at(conv, *last);
                Ok(s)
            }
        }
    }

    /// The summary as the entrepreneur may see it: internal notes removed,
    /// and no coach's platform id (those are the coaches' data): not on
    /// transcript lines, not in the hand-off events.
    pub fn for_subject(mut self) -> Summary {
        self.internal_notes.clear();
        self.handoff.coach = None;
        for e in &mut self.handoff.events {
            e.by = None;
            if matches!(e.kind, EventKind::Claimed | EventKind::Transferred) {
                e.detail = None;
            }
        }
        for e in self.transcript.iter_mut().flatten() {
            e.author = None;
        }
        self
    }

    /// Leaves out the platform user id (exports without `--user-ids`).
    pub fn without_user_id(mut self) -> Summary {
        self.user_id = None;
        self
    }
}

/// The CSV header, in order. Stable: new columns only at the end.
pub const CSV_COLUMNS: &[&str] = &[
    "conversation_id",
    "user_ref",
    "user_id",
    "language",
    "status",
    "started_utc",
    "ended_utc",
    "last_activity_utc",
    "consent",
    "consent_utc",
    "concerns",
    "concerns_detected",
    "concerns_text",
    "sector",
    "size",
    "region",
    "tried",
    "routes_suggested",
    "contacts_shown",
    "handoff_reason",
    "handoff_requested_utc",
    "handoff_claimed_utc",
    "handoff_coach",
    "handoff_closed_utc",
    "handoff_outcome",
    "handoff_events",
    "internal_notes",
    "transcript",
    "municipality",
    "labour_market_region",
    "follow_up_state",
    "follow_up_due_utc",
    "follow_up_sent_utc",
    "follow_up_helped",
    "follow_up_route",
    "follow_up_coach",
    "follow_up_note",
];

/// A time as Excel reads it: `2025-03-01 14:05:00` (UTC).
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_default()
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn role(r: Role) -> String {
    snake(&r)
}

impl Summary {
    /// One CSV row, matching [`CSV_COLUMNS`]. Lists are joined with `,`,
    /// multi-line fields (events, notes, transcript) with newlines.
    pub fn csv_row(&self) -> Vec<String> {
        let h = &self.handoff;
        let events = h
            .events
            .iter()
            .map(|e| {
                let mut s = format!("{} {}", time(e.at), snake(&e.kind));
                if let Some(b) = &e.by {
                    let _ = write!(s, " by={b}");
                }
                if let Some(d) = &e.detail {
                    let _ = write!(s, " {d}");
                }
                s
            })
            .collect::<Vec<_>>()
            .join("\n");
        let notes = self
            .internal_notes
            .iter()
            .map(|n| match &n.author {
                Some(a) => format!("{} {a}: {}", time(n.at), n.text),
                None => format!("{} {}", time(n.at), n.text),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let transcript = self
            .transcript
            .as_ref()
            .map(|t| {
                t.iter()
                    .map(|e| format!("{} {}: {}", time(e.at), role(e.role), e.text))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let mut row = vec![
            self.conversation_id.clone(),
            self.user_ref.clone(),
            opt(&self.user_id),
            self.language.code().to_string(),
            snake(&self.status),
            time(self.started_at),
            opt_time(self.ended_at),
            time(self.last_activity),
            match self.consent {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
            opt_time(self.consent_at),
            self.concerns.join(","),
            self.concerns_detected.join(","),
            opt(&self.concerns_text),
            opt(&self.profile.sector),
            opt(&self.profile.size),
            opt(&self.profile.region),
            opt(&self.tried),
            self.routes_suggested.join(","),
            self.contacts_shown.join(","),
            h.reason.map(|r| snake(&r)).unwrap_or_default(),
            opt_time(h.requested_at),
            opt_time(h.claimed_at),
            opt(&h.coach),
            opt_time(h.closed_at),
            h.outcome.map(|o| snake(&o)).unwrap_or_default(),
            events,
            notes,
            transcript,
            opt(&self.profile.municipality),
            opt(&self.profile.labour_market_region),
        ];
        row.extend(self.follow_up_cells());
        row
    }

    /// The follow-up columns (empty without a follow-up).
    fn follow_up_cells(&self) -> Vec<String> {
        let Some(f) = &self.follow_up else {
            return vec![String::new(); 7];
        };
        vec![
            snake(&f.state),
            time(f.due),
            opt_time(f.sent_at),
            f.helped.map(|h| h.id().to_string()).unwrap_or_default(),
            f.route.clone().unwrap_or_default(),
            if f.answered_at.is_some() || f.coach {
                if f.coach { "yes" } else { "no" }.to_string()
            } else {
                String::new()
            },
            f.note.clone().unwrap_or_default(),
        ]
    }

    /// A readable Markdown section. With `content`, ids are shown with
    /// their labels in `lang`.
    pub fn markdown(&self, content: Option<&Content>, lang: Lang) -> String {
        let c = content;
        let label = |id: &str, found: Option<String>| match found {
            Some(l) if l != id => format!("{l} ({id})"),
            _ => id.to_string(),
        };
        let concern = |id: &String| {
            label(
                id,
                c.and_then(|c| c.concern(id))
                    .map(|x| x.label.get(lang).into()),
            )
        };
        let route = |id: &String| {
            label(
                id,
                c.and_then(|c| c.route(id))
                    .map(|x| x.title.get(lang).into()),
            )
        };
        let contact =
            |id: &String| label(id, c.and_then(|c| c.contact(id)).map(|x| x.name.clone()));
        let none = || "-".to_string();
        let list = |v: Vec<String>| if v.is_empty() { none() } else { v.join(", ") };
        let p = &self.profile;
        let sector = p.sector.as_deref().map(|id| {
            label(
                id,
                c.and_then(|c| c.sector(id))
                    .map(|x| x.label.get(lang).into()),
            )
        });
        let size = p.size.as_deref().map(|id| {
            label(
                id,
                c.and_then(|c| c.size(id)).map(|x| x.label.get(lang).into()),
            )
        });
        let region = p
            .region
            .as_deref()
            .map(|id| label(id, c.and_then(|c| c.province(id)).map(|x| x.name.clone())));
        // Headings and field names from the content, in `lang`; without
        // content (tests), the message key stands in.
        let m = |key: &str| md_text(c, key, lang);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## {}\n",
            fill(&m("md_conversation"), &[("id", &self.conversation_id)])
        );
        let mut field = |name: &str, value: String| {
            let _ = writeln!(s, "- **{}:** {value}", m(name));
        };
        field(
            "md_user",
            match &self.user_id {
                Some(u) => format!("{} (ref {})", one_line(u), self.user_ref),
                None => format!("ref {}", self.user_ref),
            },
        );
        field("md_language", self.language.code().into());
        field("md_status", snake(&self.status));
        field("md_started", format!("{} UTC", time(self.started_at)));
        field(
            "md_ended",
            self.ended_at
                .map(|t| format!("{} UTC", time(t)))
                .unwrap_or_else(none),
        );
        field(
            "md_last_activity",
            format!("{} UTC", time(self.last_activity)),
        );
        field(
            "md_consent",
            match (self.consent, self.consent_at) {
                (Some(true), Some(t)) => format!("{}, {} UTC", m("md_yes"), time(t)),
                (Some(true), None) => m("md_yes"),
                (Some(false), _) => m("md_no"),
                (None, _) => none(),
            },
        );
        field(
            "md_concerns",
            list(self.concerns.iter().map(concern).collect()),
        );
        if self.concerns_detected != self.concerns {
            field(
                "md_concerns_detected",
                list(self.concerns_detected.iter().map(concern).collect()),
            );
        }
        field("md_in_their_words", quote(self.concerns_text.as_deref()));
        field("md_sector", sector.unwrap_or_else(none));
        field("md_size", size.unwrap_or_else(none));
        field("md_region", region.unwrap_or_else(none));
        field("md_tried", quote(self.tried.as_deref()));
        for (k, v) in &self.extra {
            let _ = writeln!(s, "- **{}:** {}", one_line(k), quote(Some(v)));
        }
        let mut field = |name: &str, value: String| {
            let _ = writeln!(s, "- **{}:** {value}", m(name));
        };
        field(
            "md_routes",
            list(self.routes_suggested.iter().map(route).collect()),
        );
        field(
            "md_contacts",
            list(self.contacts_shown.iter().map(contact).collect()),
        );
        let h = &self.handoff;
        if h.reason.is_some() || !h.events.is_empty() || h.requested_at.is_some() {
            let _ = writeln!(s, "\n### {}\n", m("md_handoff"));
            if let Some(r) = h.reason {
                let _ = writeln!(s, "- {}: {}", m("md_reason"), snake(&r));
            }
            if h.events.is_empty() {
                if let Some(t) = h.requested_at {
                    let _ = writeln!(s, "- {} UTC {}", time(t), m("md_requested"));
                }
            }
            for e in &h.events {
                let _ = write!(s, "- {} UTC {}", time(e.at), snake(&e.kind));
                if let Some(b) = &e.by {
                    let _ = write!(s, " {} {}", m("md_by"), one_line(b));
                }
                if let Some(d) = &e.detail {
                    let _ = write!(s, ": {}", one_line(d));
                }
                s.push('\n');
            }
        }
        if let Some(f) = &self.follow_up {
            let _ = writeln!(s, "\n### Follow-up\n");
            let _ = writeln!(s, "- {}, due {} UTC", snake(&f.state), time(f.due));
            if let Some(t) = f.sent_at {
                let _ = writeln!(s, "- sent {} UTC", time(t));
            }
            if let Some(h) = f.helped {
                let _ = writeln!(s, "- helped: {}", h.id());
            }
            if let Some(r) = &f.route {
                let _ = writeln!(s, "- route or contact: {}", route(r));
            }
            if f.coach {
                let _ = writeln!(s, "- asked for a coach");
            }
            if f.note.is_some() {
                let _ = writeln!(s, "- added: {}", quote(f.note.as_deref()));
            }
        }
        if !self.internal_notes.is_empty() {
            let _ = writeln!(s, "\n### {}\n", m("md_notes"));
            for n in &self.internal_notes {
                let by = n
                    .author
                    .as_deref()
                    .map(|a| format!(" {}", one_line(a)))
                    .unwrap_or_default();
                let _ = writeln!(s, "- {} UTC{by}: {}", time(n.at), one_line(&n.text));
            }
        }
        if let Some(t) = &self.transcript {
            let _ = writeln!(s, "\n### {}\n", m("md_transcript"));
            for e in t {
                let _ = writeln!(
                    s,
                    "> **{} {}:** {}  ",
                    time(e.at),
                    role(e.role),
                    one_line(&e.text)
                );
            }
        }
        s
    }
}

/// A Markdown heading or field name from `content` in `lang`; the key
/// itself without content.
pub(crate) fn md_text(content: Option<&Content>, key: &str, lang: Lang) -> String {
    content
        .and_then(|c| c.msg(key))
        .map(|t| t.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// Free text as one line of inert Markdown: whitespace collapsed, steering
/// characters shown by code point ([`printable`]), HTML and the characters
/// of Markdown syntax (emphasis, code, links, tables, headings) escaped, so
/// what a person typed reads as text in any renderer and in a terminal.
fn one_line(t: &str) -> String {
    let line = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(line.len() + 8);
    for c in printable(&line).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '~' | '|' | '[' | ']' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn quote(t: Option<&str>) -> String {
    match t {
        Some(t) if !t.trim().is_empty() => format!("\"{}\"", one_line(t)),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::Answers;
    use crate::domain::handoff;

    fn conv() -> Conversation {
        let t = |h| {
            DateTime::parse_from_rfc3339(&format!("2025-03-01T{h}:00:00Z"))
                .unwrap()
                .into()
        };
        let mut c = Conversation {
            id: "c1".into(),
            user: "u1".into(),
            lang: Lang::Nl,
            status: Status::Handoff,
            step: None,
            history: vec![],
            answers: Answers {
                consent: Some(true),
                concerns: vec!["recruitment".into()],
                tried: Some("=1+1".into()),
                ..Answers::default()
            },
            misses: 0,
            narrowed: None,
            place_candidates: Vec::new(),
            picking: false,
            proposed: Default::default(),
            started_at: t("10"),
            updated_at: t("11"),
            ended_at: None,
            recommended: vec!["slim".into()],
            contacts_shown: vec![],
            handoff: None,
            handoff_log: vec![],
        };
        handoff::request(&mut c, t("11"), HandoffReason::UserRequest);
        c
    }

    #[test]
    fn handoff_history_and_notes_that_stay_internal() {
        let c = conv();
        let claimed_at = c.updated_at + chrono::Duration::minutes(30);
        let c = handoff::claim(&c, "coach1", claimed_at).unwrap();
        let closed_at = claimed_at + chrono::Duration::hours(1);
        let c = handoff::close(&c, Outcome::Resolved, "coach1", closed_at).unwrap();
        let note_at = closed_at + chrono::Duration::hours(1);
        let mut note = Entry::new(note_at, Role::Note, "geheime notitie");
        note.author = Some("coach1".into());
        let transcript = vec![Entry::new(c.started_at, Role::User, "hoi"), note];
        let s = Summary::build(&c, &transcript, "ref".into(), true);
        assert_eq!(s.last_activity, note_at);
        assert_eq!(s.handoff.reason, Some(HandoffReason::UserRequest));
        assert_eq!(s.handoff.claimed_at, Some(claimed_at));
        assert_eq!(s.handoff.coach.as_deref(), Some("coach1"));
        assert_eq!(s.handoff.outcome, Some(Outcome::Resolved));
        assert_eq!(s.handoff.events.len(), 3, "requested, claimed, closed");
        assert_eq!(s.internal_notes.len(), 1);
        assert_eq!(
            s.transcript.as_ref().unwrap().len(),
            1,
            "notes are not transcript"
        );
        let row = s.csv_row();
        assert_eq!(row.len(), CSV_COLUMNS.len());
        let cell = |name: &str| &row[CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert!(cell("internal_notes").contains("geheime notitie"));
        assert_eq!(cell("handoff_outcome"), "resolved");
        assert_eq!(cell("handoff_claimed_utc"), "2025-03-01 11:30:00");
        assert_eq!(cell("handoff_events").lines().count(), 3);
        let content = Content::load_default().unwrap();
        let md = s.markdown(Some(&content), Lang::En);
        assert!(md.contains("Internal notes") && md.contains("geheime notitie"));
        assert!(md.contains("### Hand-off") && md.contains("claimed by coach1"));
        let md = s.markdown(Some(&content), Lang::Nl);
        assert!(md.contains("## Gesprek ") && md.contains("Interne notities"));
        assert!(md.contains("claimed door coach1") && !md.contains("Internal"));
        let mine = serde_json::to_string(&s.for_subject()).unwrap();
        assert!(!mine.contains("geheime"));
        assert!(mine.contains("\"outcome\":\"resolved\""));
    }
}
