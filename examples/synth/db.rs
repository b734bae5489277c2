//! The synthetic database of `examples/synth` and `benches/scale.rs`.
//!
//! A handful of template conversations are held through the real service
//! (engine, content, hand-off actions) in a scratch database; the generated
//! database holds copies of them under fresh ids, users, threads and times,
//! written through [`Store::load_records`] (the store's bulk path: one
//! transaction and one flush per batch).
//!
//! The mix of `n` conversations (see [`Mix::of`]): hand-offs waiting for a
//! coach and claimed by one (a queue a few coaches keep short: at most 20
//! each), intakes in progress (at most 200), 1% past retention, and the
//! rest finished over the retention period: ended intakes (one in ten after
//! a closed hand-off) and stopped ones. One person in five came back for a
//! second, finished, conversation.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use llo_intake::app::service::{HandoffAction, Intake};
use llo_intake::app::store::{Entry, Link, Record, Store};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::{CardRef, Conversation, Outcome, Status};
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
use std::path::Path;
use std::sync::Arc;

/// How many conversations of each kind a database of `n` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub waiting: usize,
    pub claimed: usize,
    pub active: usize,
    /// Last activity before the retention period: the next purge removes them.
    pub expired: usize,
    /// Finished within the retention period (ended, stopped, closed hand-offs).
    pub finished: usize,
}

impl Mix {
    pub fn of(n: usize) -> Mix {
        let waiting = (n / 50).min(20);
        let claimed = (n / 50).min(20);
        let active = (n / 20).min(200);
        let expired = n / 100;
        Mix {
            waiting,
            claimed,
            active,
            expired,
            finished: n - waiting - claimed - active - expired,
        }
    }
}

/// Answers for the template intakes (three different people); the first
/// also drives the committed turns of `benches/scale.rs`.
pub const SCRIPTS: &[&[&str]] = &[
    &[
        "ja",
        "goede monteurs zijn niet te vinden en de jongens die ik heb willen weg",
        "ja",
        "installatietechniek",
        "we zijn met 12",
        "Nijmegen",
        "vacatures op indeed gezet",
        "nee",
    ],
    &[
        "ja",
        "ik wil mijn medewerkers laten bijscholen in digitale vaardigheden",
        "ja",
        "zorg",
        "40 medewerkers",
        "Groningen",
        "nog niks",
        "nee",
    ],
    &[
        "ja",
        "we moeten verduurzamen maar niemand in het bedrijf weet hoe dat moet",
        "ja",
        "bouw",
        "5",
        "3511 Utrecht",
        "een cursus gevolgd",
        "nee",
    ],
];

#[derive(Clone)]
struct Template {
    conv: Conversation,
    lines: Vec<Entry>,
}

struct Templates {
    finished: Vec<Template>,
    stopped: Template,
    active: Template,
    waiting: Template,
    claimed: Template,
    closed: Template,
}

fn template(intake: &Intake, id: &str) -> anyhow::Result<Template> {
    let conv = intake.store.conversation(id)?.context("template gone")?;
    let lines = intake.store.transcript(id)?;
    Ok(Template { conv, lines })
}

fn talk(
    intake: &Intake,
    user: &str,
    answers: &[&str],
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let r = intake.start(user, None, now)?;
    for (i, a) in answers.iter().enumerate() {
        intake.handle(
            user,
            Input::Text((*a).into()),
            now + Duration::seconds(20 * (i as i64 + 1)),
        )?;
    }
    Ok(r.conversation.id)
}

/// Holds the template conversations through the service in a scratch database.
fn templates(k: Arc<Knowledge>, now: DateTime<Utc>) -> anyhow::Result<Templates> {
    let scratch = tempfile::tempdir()?;
    let store = Store::open(&scratch.path().join("db"))?;
    let intake = Intake::new(k, store, Lang::Nl);
    let mut finished = Vec::new();
    for (i, s) in SCRIPTS.iter().enumerate() {
        let id = talk(&intake, &format!("t{i}"), s, now)?;
        finished.push(template(&intake, &id)?);
    }
    let id = talk(
        &intake,
        "stop",
        &["ja", "mijn mensen lopen weg", "stop"],
        now,
    )?;
    let stopped = template(&intake, &id)?;
    let id = talk(&intake, "active", &["ja", "we vinden geen mensen"], now)?;
    let active = template(&intake, &id)?;
    let coach = |id: &str, step: u32| -> anyhow::Result<()> {
        let t = now + Duration::minutes(i64::from(step) * 10);
        let card = CardRef {
            channel: "1000".into(),
            message: format!("{}", 5_000 + step),
        };
        let actions = [
            HandoffAction::CardPosted(card),
            HandoffAction::Claim {
                coach: "2000".into(),
            },
            HandoffAction::Close {
                outcome: Outcome::Resolved,
                by: "2000".into(),
            },
        ];
        for a in actions.into_iter().take(step as usize) {
            intake
                .handoff(id, a, t)
                .map_err(|e| anyhow::anyhow!("template hand-off: {e}"))?;
        }
        Ok(())
    };
    let handoff = |user: &str, step: u32| -> anyhow::Result<Template> {
        let id = talk(
            &intake,
            user,
            &["ja", "ik wil graag met iemand praten", "coach"],
            now,
        )?;
        coach(&id, step)?;
        template(&intake, &id)
    };
    let waiting = handoff("waiting", 1)?;
    let claimed = handoff("claimed", 2)?;
    let closed = handoff("closed", 3)?;
    for (name, t, want) in [
        ("waiting", &waiting, Status::Handoff),
        ("claimed", &claimed, Status::Handoff),
        ("stopped", &stopped, Status::Stopped),
        ("active", &active, Status::Active),
    ] {
        anyhow::ensure!(
            t.conv.status == want,
            "template {name} is {:?}",
            t.conv.status
        );
    }
    anyhow::ensure!(
        closed.conv.status.is_finished(),
        "template closed is {:?}",
        closed.conv.status
    );
    Ok(Templates {
        finished,
        stopped,
        active,
        waiting,
        claimed,
        closed,
    })
}

/// A copy of `t` as conversation `id` of `user`, started at `start`.
fn copy(t: &Template, id: String, user: String, thread: u64, start: DateTime<Utc>) -> Record {
    let shift = start - t.conv.started_at;
    let at = |d: DateTime<Utc>| d + shift;
    let mut c = t.conv.clone();
    c.id = id;
    c.user = user.clone();
    c.started_at = at(c.started_at);
    c.updated_at = at(c.updated_at);
    c.ended_at = c.ended_at.map(at);
    c.answers.consent_at = c.answers.consent_at.map(at);
    let mut links = vec![Link::IntakeThread {
        user,
        thread: thread.to_string(),
    }];
    if let Some(h) = c.handoff.as_mut() {
        h.requested_at = at(h.requested_at);
        h.claimed_at = h.claimed_at.map(at);
        h.closed_at = h.closed_at.map(at);
        if let Some(card) = h.card.as_mut() {
            card.message = (thread + 1).to_string();
            links.push(Link::Card {
                conversation: c.id.clone(),
                card: card.clone(),
            });
        }
    }
    for e in &mut c.handoff_log {
        e.at = at(e.at);
    }
    let transcript = t
        .lines
        .iter()
        .map(|e| Entry {
            at: at(e.at),
            ..e.clone()
        })
        .collect();
    Record {
        conversation: c,
        transcript,
        links,
    }
}

/// Builds a database of `n` conversations in `db` (new or empty), as seen
/// at `now` with `retention_days`. Prints progress to stderr when `verbose`.
pub fn build(
    db: &Path,
    n: usize,
    now: DateTime<Utc>,
    retention_days: u32,
    verbose: bool,
) -> anyhow::Result<Mix> {
    let k = Arc::new(Knowledge::load_default().map_err(|e| anyhow::anyhow!("content: {e}"))?);
    let t = templates(k, now)?;
    let store = Store::open(db)?;
    anyhow::ensure!(
        store.conversations()?.is_empty(),
        "{} already holds conversations",
        db.display()
    );
    let mix = Mix::of(n);
    let retention = Duration::days(i64::from(retention_days));
    let special = mix.waiting + mix.claimed + mix.active;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_finished_user = None::<String>;
    for i in 0..n {
        let thread = 900_000_000_000 + 2 * i as u64;
        let mut user = (100_000_000_000 + i as u64).to_string();
        // Oldest first: expired, finished over the period, then the open ones.
        let (tpl, start) = if i < mix.expired {
            let back = retention + Duration::days(1 + (i % 60) as i64);
            (&t.finished[i % t.finished.len()], now - back)
        } else if i < n - special {
            let j = i - mix.expired;
            let span = (retention - Duration::days(2)).num_minutes().max(1);
            let start = now - retention
                + Duration::days(1)
                + Duration::minutes(span * j as i64 / mix.finished.max(1) as i64);
            let tpl = match j % 20 {
                0 | 10 => &t.closed,
                5 | 15 | 17 => &t.stopped,
                _ => &t.finished[j % t.finished.len()],
            };
            // One person in five comes back (both conversations finished).
            if j % 5 == 4 {
                if let Some(u) = last_finished_user.take() {
                    user = u;
                }
            } else {
                last_finished_user = Some(user.clone());
            }
            (tpl, start)
        } else {
            let j = i - (n - special);
            let tpl = if j < mix.waiting {
                &t.waiting
            } else if j < mix.waiting + mix.claimed {
                &t.claimed
            } else {
                &t.active
            };
            (tpl, now - Duration::minutes(5 + 3 * (special - j) as i64))
        };
        batch.push(copy(tpl, store.new_conversation_id()?, user, thread, start));
        if batch.len() == BATCH || i + 1 == n {
            store.load_records(&batch)?;
            batch.clear();
            if verbose && (i + 1) % 10_000 == 0 {
                eprintln!("{} conversations", i + 1);
            }
        }
    }
    store.flush()?;
    Ok(mix)
}

/// Conversations per bulk transaction.
const BATCH: usize = 250;
