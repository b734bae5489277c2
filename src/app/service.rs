//! The one path every transport takes: load the user's conversation, run the
//! engine, commit the turn (state + transcript, flushed), return the outputs.
//!
//! Callers serialise work per user (the Discord adapter holds a per-user lock;
//! the console is single-threaded), so a load-modify-commit here never races.

use crate::app::reload::{Live, Snapshot};
use crate::app::store::{Entry, Link, Role, Sighting, Store, StoreError, TurnExtras};
use crate::content::text::{bounded, fill, without_steering, Lang};
use crate::domain::conversation::{CardRef, Outcome};
use crate::domain::conversation::{Conversation, Status};
use crate::domain::engine::{self, Event, Input};
use crate::domain::handoff::{self, HandoffError};
use crate::domain::knowledge::Knowledge;
use crate::domain::output::Output;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Longest input kept, in characters. Longer input is cut and the user told.
/// The same cap the engine, classifier and matchers apply themselves.
pub const MAX_INPUT_CHARS: usize = crate::content::text::MAX_TEXT_CHARS;

/// What a transport shows after a turn.
#[derive(Debug, Clone)]
pub struct Reply {
    pub conversation: Conversation,
    pub outputs: Vec<Output>,
    pub events: Vec<Event>,
}

/// The intake service: knowledge plus store.
#[derive(Clone, Debug)]
pub struct Intake {
    /// The content, swapped whole by a reload ([`crate::app::reload`]).
    live: Live,
    pub store: Store,
    pub default_lang: Lang,
    /// Filled into `{retention_days}` in what the bot says (the consent text).
    pub retention_days: u32,
    /// CSV settings for exports made by a transport (`/export`); config `[export]`.
    pub export: crate::app::settings::ExportConfig,
}

impl Intake {
    pub fn new(knowledge: Arc<Knowledge>, store: Store, default_lang: Lang) -> Self {
        Intake {
            live: Live::new(knowledge),
            store,
            default_lang,
            retention_days: crate::app::privacy::DEFAULT_RETENTION_DAYS,
            export: crate::app::settings::ExportConfig::default(),
        }
    }

    /// The content now. A turn takes it once and keeps it to the end.
    pub fn knowledge(&self) -> Arc<Knowledge> {
        self.live.get()
    }

    /// The cell a content reload swaps (clones of this service share it).
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// Sets the CSV settings of exports made through this service (config `[export]`).
    pub fn with_export(mut self, export: crate::app::settings::ExportConfig) -> Self {
        self.export = export;
        self
    }

    /// Sets the retention period the bot tells users about (config
    /// `[privacy] retention_days`; the sweep deletes after the same period).
    pub fn with_retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// Fills operator settings into the outputs' text. Content stays data and
    /// the engine stays pure; the values come from configuration here.
    fn fill(&self, outputs: &mut [Output]) {
        let days = self.retention_days.to_string();
        let vars = [("retention_days", days.as_str())];
        for o in outputs {
            match o {
                Output::Message { text, .. } | Output::End { text, .. } => {
                    *text = fill(text, &vars)
                }
                Output::Question(q) => q.text = fill(&q.text, &vars),
                Output::Recommendations(_) => {}
            }
        }
    }

    /// Starts a conversation for `user`, or resumes their active one with a
    /// short welcome back and the pending question.
    pub fn resume_or_start(
        &self,
        user: &str,
        lang: Option<Lang>,
        now: DateTime<Utc>,
    ) -> Result<Reply, StoreError> {
        self.resume_or_start_with(user, lang, now, &TurnExtras::default(), None)
    }

    /// [`Intake::resume_or_start`] recording `extras` in the turn's
    /// transaction; a new conversation gets `new_id` when given (a transport
    /// that names a thread after the conversation before the turn).
    pub fn resume_or_start_with(
        &self,
        user: &str,
        lang: Option<Lang>,
        now: DateTime<Utc>,
        extras: &TurnExtras,
        new_id: Option<String>,
    ) -> Result<Reply, StoreError> {
        match self.store.active_conversation(user)? {
            Some(conv) => self.apply(conv, Input::Resume, None, now, extras),
            None => self.start_with(user, lang, now, extras, new_id),
        }
    }

    /// Starts a fresh conversation (any active one is left as it is).
    pub fn start(
        &self,
        user: &str,
        lang: Option<Lang>,
        now: DateTime<Utc>,
    ) -> Result<Reply, StoreError> {
        self.start_with(user, lang, now, &TurnExtras::default(), None)
    }

    fn start_with(
        &self,
        user: &str,
        lang: Option<Lang>,
        now: DateTime<Utc>,
        extras: &TurnExtras,
        id: Option<String>,
    ) -> Result<Reply, StoreError> {
        let id = match id {
            Some(id) => id,
            None => self.store.new_conversation_id()?,
        };
        let mut turn = engine::start(
            &self.knowledge(),
            &id,
            user,
            lang.unwrap_or(self.default_lang),
            now,
        );
        self.fill(&mut turn.outputs);
        let entries = bot_entries(&turn.outputs, now);
        self.store
            .commit_turn_with(&turn.conversation, &entries, extras)?;
        Ok(Reply {
            conversation: turn.conversation,
            outputs: turn.outputs,
            events: turn.events,
        })
    }

    /// Handles input from `user`: continues their active conversation, or
    /// starts a new one when they have none (the first message only opens it).
    pub fn handle(
        &self,
        user: &str,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<Reply, StoreError> {
        self.handle_with(user, input, now, &TurnExtras::default())
    }

    /// [`Intake::handle`] recording `extras` (the event that caused the
    /// turn) in the turn's own transaction: one flush per turn.
    pub fn handle_with(
        &self,
        user: &str,
        input: Input,
        now: DateTime<Utc>,
        extras: &TurnExtras,
    ) -> Result<Reply, StoreError> {
        match self.store.active_conversation(user)? {
            Some(conv) => {
                let text = user_text(&input);
                self.apply(conv, input, text, now, extras)
            }
            None => self.start_with(user, None, now, extras, None),
        }
    }

    /// Applies an input to a known conversation (hand-back, moderator hand-off).
    pub fn act(
        &self,
        conversation: &str,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<Option<Reply>, StoreError> {
        match self.store.conversation(conversation)? {
            Some(conv) => self
                .apply(conv, input, None, now, &TurnExtras::default())
                .map(Some),
            None => Ok(None),
        }
    }

    fn apply(
        &self,
        conv: Conversation,
        input: Input,
        user_text: Option<String>,
        now: DateTime<Utc>,
        extras: &TurnExtras,
    ) -> Result<Reply, StoreError> {
        let (input, cut) = cap(input);
        let live = self.live.snapshot();
        let k = &live.knowledge;
        let mut turn = match moved_on(&live, &conv, now) {
            Some(t) => t,
            None => engine::handle(k, &conv, input, now),
        };
        self.fill(&mut turn.outputs);
        if cut {
            let text = k.msg("too_long", conv.lang);
            turn.outputs.insert(
                0,
                Output::Message {
                    step: conv.step.clone(),
                    text,
                },
            );
        }
        let mut entries = Vec::new();
        // Nothing the person types is kept before they consent.
        if turn.conversation.answers.consent == Some(true) {
            if let Some(t) = user_text {
                entries.push(Entry::new(now, Role::User, t));
            }
        }
        entries.extend(bot_entries(&turn.outputs, now));
        for e in &turn.events {
            if let Event::HandoffRequested { reason } = e {
                let reason = self.named("handoff_reason", reason, conv.lang);
                entries.push(self.system_line(
                    now,
                    conv.lang,
                    "transcript_handoff_requested",
                    &[("reason", &reason)],
                ));
            }
        }
        self.store
            .commit_turn_with(&turn.conversation, &entries, extras)?;
        Ok(Reply {
            conversation: turn.conversation,
            outputs: turn.outputs,
            events: turn.events,
        })
    }
}

/// A step in a hand-off, applied by [`Intake::handoff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffAction {
    /// A coach claims it (the first claim wins).
    Claim { coach: String },
    /// To another coach, by the current coach or a moderator.
    Transfer { to: String, by: String },
    /// Back to the bot, which re-asks the pending question.
    HandBack { by: String },
    /// Ends the conversation with an outcome.
    Close { outcome: Outcome, by: String },
    /// The one reminder to the coach role went out.
    Reminded,
    /// The coach card was posted here.
    CardPosted(CardRef),
    /// The private thread coach and entrepreneur talk in (thread mode).
    Thread(String),
    /// The coach's relay thread (dm mode): recorded, and linked to the
    /// conversation in the same transaction.
    RelayThread(String),
}

/// Why a hand-off action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Handoff(#[from] HandoffError),
    #[error("no such conversation")]
    NotFound,
}

impl Intake {
    /// Applies a hand-off step to a stored conversation and commits it
    /// (state, a system line for the transcript, and for a hand-back the
    /// bot's re-asked question), flushed. The caller holds the user's lock,
    /// which makes "the first claim wins" atomic.
    pub fn handoff(
        &self,
        conversation: &str,
        action: HandoffAction,
        now: DateTime<Utc>,
    ) -> Result<Reply, ActError> {
        let conv = self
            .store
            .conversation(conversation)?
            .ok_or(ActError::NotFound)?;
        let lang = conv.lang;
        let system =
            |key: &str, vars: &[(&str, &str)]| vec![self.system_line(now, lang, key, vars)];
        let links = match &action {
            HandoffAction::RelayThread(thread) => vec![Link::CoachThread {
                thread: thread.clone(),
                conversation: conv.id.clone(),
            }],
            HandoffAction::CardPosted(card) => vec![Link::Card {
                conversation: conv.id.clone(),
                card: card.clone(),
            }],
            _ => vec![],
        };
        let (conversation, mut outputs, events, entries) = match action {
            HandoffAction::Claim { coach } => {
                let c = handoff::claim(&conv, &coach, now)?;
                (c, vec![], vec![], system("transcript_claimed", &[]))
            }
            HandoffAction::Transfer { to, by } => {
                let c = handoff::transfer(&conv, &to, &by, now)?;
                (c, vec![], vec![], system("transcript_transferred", &[]))
            }
            HandoffAction::HandBack { by } => {
                // Close the hand-off, then let the engine re-ask where it was.
                let c = handoff::hand_back(&conv, &by, now)?;
                let live = self.live.snapshot();
                let mut t = match moved_on(&live, &c, now) {
                    Some(t) => t,
                    None => engine::handle(&live.knowledge, &c, Input::Handback, now),
                };
                self.fill(&mut t.outputs);
                let mut entries = system("transcript_handed_back", &[]);
                entries.extend(bot_entries(&t.outputs, now));
                (t.conversation, t.outputs, t.events, entries)
            }
            HandoffAction::Close { outcome, by } => {
                let c = handoff::close(&conv, outcome, &by, now)?;
                let name = self.named("handoff_outcome", &outcome, lang);
                (
                    c,
                    vec![],
                    vec![],
                    system("transcript_closed", &[("outcome", &name)]),
                )
            }
            HandoffAction::Reminded => (handoff::reminded(&conv, now), vec![], vec![], vec![]),
            HandoffAction::CardPosted(card) => {
                let mut c = conv.clone();
                if let Some(h) = c.handoff.as_mut() {
                    h.card = Some(card);
                }
                (c, vec![], vec![], vec![])
            }
            HandoffAction::Thread(thread) | HandoffAction::RelayThread(thread) => {
                let mut c = conv.clone();
                if let Some(h) = c.handoff.as_mut() {
                    h.thread = Some(thread);
                }
                (c, vec![], vec![], vec![])
            }
        };
        self.fill(&mut outputs);
        self.store
            .commit_turn_linked(&conversation, &entries, &links)?;
        Ok(Reply {
            conversation,
            outputs,
            events,
        })
    }

    /// A system line for the transcript, from content in the conversation's
    /// language. It names no one: who did what is in the hand-off log.
    fn system_line(
        &self,
        now: DateTime<Utc>,
        lang: Lang,
        key: &str,
        vars: &[(&str, &str)],
    ) -> Entry {
        Entry::new(
            now,
            Role::System,
            fill(&self.knowledge().msg(key, lang), vars),
        )
    }

    /// The content text `{prefix}_{value}` for a serde enum value (a reason, an outcome).
    fn named<T: serde::Serialize>(&self, prefix: &str, value: &T, lang: Lang) -> String {
        let id = serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.knowledge().msg(&format!("{prefix}_{id}"), lang)
    }

    /// Adds a line by a coach (relayed to the entrepreneur) or an internal
    /// note (never shown to them, left out of their own-data export).
    pub fn coach_line(
        &self,
        conversation: &str,
        role: Role,
        author: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.coach_line_seen(conversation, role, author, text, now, None)
    }

    /// [`Intake::coach_line`] recording the event that caused it in the
    /// same transaction (one flush).
    pub fn coach_line_seen(
        &self,
        conversation: &str,
        role: Role,
        author: &str,
        text: &str,
        now: DateTime<Utc>,
        seen: Option<&Sighting>,
    ) -> Result<(), StoreError> {
        let mut e = Entry::new(now, role, bounded(&without_steering(text)).to_string());
        e.author = Some(author.to_string());
        self.store.append_seen(conversation, &[e], seen)
    }
}

/// A conversation waiting on a step that a content reload removed: moved on
/// to the step the old script led to (logged), instead of applying the
/// input (which answered a question that is gone). `None` otherwise.
fn moved_on(live: &Snapshot, conv: &Conversation, now: DateTime<Utc>) -> Option<engine::Turn> {
    if conv.status != Status::Active {
        return None;
    }
    let from = conv.step.as_deref()?;
    let to = live.moved_to(from)?;
    tracing::info!(
        conversation = %conv.id,
        from,
        to,
        "the pending step was removed by a content reload; moved on"
    );
    Some(engine::move_to(&live.knowledge, conv, to, now))
}

/// Whether a status means the bot waits for the user.
pub fn waits_for_user(status: Status) -> bool {
    status == Status::Active
}

fn bot_entries(outputs: &[Output], now: DateTime<Utc>) -> Vec<Entry> {
    outputs
        .iter()
        .map(|o| Entry::new(now, Role::Bot, o.text()))
        .collect()
}

fn user_text(input: &Input) -> Option<String> {
    match input {
        Input::Text(t) => Some(bounded(&without_steering(t)).to_string()),
        Input::Choice(id) => Some(format!("[{id}]")),
        Input::Choices(ids) => Some(format!("[{}]", ids.join(", "))),
        _ => None,
    }
}

/// Text input without steering characters (ESC, bidi overrides, ...), cut
/// to [`MAX_INPUT_CHARS`]; `true` when it was cut.
fn cap(input: Input) -> (Input, bool) {
    match input {
        Input::Text(t) => {
            let clean = without_steering(&t);
            let kept = bounded(&clean);
            let cut = kept.len() < clean.len();
            (Input::Text(kept.to_string()), cut)
        }
        other => (other, false),
    }
}
