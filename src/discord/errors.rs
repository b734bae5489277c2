//! One error path for commands, buttons, select menus and forms.
//!
//! * A [`UserError`] is meant for the person: it carries the content key of
//!   the sentence that tells them (a refusal, "that hand-off is closed"), and
//!   they see it, ephemeral.
//! * Every other error is internal: it is logged with a short id, and the
//!   person gets the generic `discord_failed` sentence with that id, so an
//!   operator can find the log line without the person seeing internals.
//!
//! Slash commands reach this through poise's `on_error`
//! (in the commands module); components and forms through
//! [`Answer::failed`], which also answers after a panic, so nobody is left
//! with "The application did not respond".

use super::Bot;
use crate::app::service::ActError;
use crate::content::text::{fill, Lang};
use crate::domain::handoff::HandoffError;
use serenity::all::{
    CreateAllowedMentions, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, Http, InteractionId,
};
use serenity::builder::Builder as _;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;
use tracing::{error, warn};

/// Something to tell the person, from the content (`key`, with `vars`
/// filled in). Not a failure of the bot.
#[derive(Debug, thiserror::Error)]
#[error("shown to the user: {key}")]
pub struct UserError {
    pub key: &'static str,
    pub vars: Vec<(&'static str, String)>,
}

impl UserError {
    pub fn new(key: &'static str) -> Self {
        UserError {
            key,
            vars: Vec::new(),
        }
    }

    pub fn with(key: &'static str, vars: Vec<(&'static str, String)>) -> Self {
        UserError { key, vars }
    }

    /// The sentence in `lang`.
    pub fn text(&self, bot: &Bot, lang: Lang) -> String {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(&bot.msg(self.key, lang), &vars)
    }
}

/// A hand-off action's error: refusals are for the person, store failures
/// are internal.
pub fn act_error(e: ActError) -> super::Error {
    let user = match &e {
        ActError::Handoff(HandoffError::AlreadyClaimed(c)) => UserError::with(
            "handoff_already_claimed",
            vec![("coach", format!("<@{c}>"))],
        ),
        ActError::Handoff(HandoffError::NotHandedOff) | ActError::NotFound => {
            UserError::new("handoff_not_open")
        }
        ActError::Store(_) => return e.into(),
    };
    user.into()
}

/// A short id for one internal error, for the log line and the person's
/// message ("e" and six hex digits; unique enough to find a log line).
pub fn error_id() -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0);
    format!("e{:06x}", (nanos ^ n.wrapping_mul(0x9E37_79B9)) & 0xFF_FFFF)
}

/// What the person is told about `e`: a user error's own sentence, else
/// the generic one with a fresh id (logged with `what` and the error).
pub fn text_for(bot: &Bot, e: &super::Error, lang: Lang, what: &str) -> String {
    if let Some(u) = e.downcast_ref::<UserError>() {
        return u.text(bot, lang);
    }
    internal(bot, lang, what, &format!("{e:#}"))
}

/// Logs an internal failure with a new id; returns the generic sentence.
pub fn internal(bot: &Bot, lang: Lang, what: &str, detail: &str) -> String {
    let id = error_id();
    bot.metrics.error(super::metrics::ErrorKind::Internal);
    error!(error_id = %id, what, error = %detail, "internal error");
    fill(&bot.msg("discord_failed", lang), &[("id", &id)])
}

const NOT_YET: u8 = 0;
const DEFERRED: u8 = 1;
const OTHER: u8 = 2;

/// Answers one component or form interaction and remembers how, so an
/// error can still be answered the right way: as the first response when
/// none went out, by editing a deferred "thinking" response, else as an
/// ephemeral follow-up.
pub struct Answer {
    pub http: Arc<Http>,
    id: InteractionId,
    token: String,
    pub lang: Lang,
    state: AtomicU8,
}

impl Answer {
    pub fn new(http: Arc<Http>, id: InteractionId, token: &str, lang: Lang) -> Self {
        Answer {
            http,
            id,
            token: token.to_string(),
            lang,
            state: AtomicU8::new(NOT_YET),
        }
    }

    /// The first response; returns whether Discord took it. A refusal
    /// (10062 too late, 40060 already answered) is logged, not an error.
    pub async fn first(&self, r: CreateInteractionResponse) -> bool {
        let deferred = matches!(r, CreateInteractionResponse::Defer(_));
        match r.execute(&*self.http, (self.id, &self.token)).await {
            Ok(()) => {
                self.state
                    .store(if deferred { DEFERRED } else { OTHER }, Ordering::SeqCst);
                true
            }
            Err(e) => {
                warn!(error = %e, "interaction response refused");
                false
            }
        }
    }

    /// Replaces the deferred response with `text`.
    pub async fn edit(&self, text: &str) {
        let edit = EditInteractionResponse::new()
            .content(super::render::truncate(text, super::render::MAX_CONTENT))
            .allowed_mentions(CreateAllowedMentions::new());
        if let Err(e) = edit.execute(&*self.http, &self.token).await {
            warn!(error = %e, "cannot edit an interaction response");
        }
    }

    /// Tells the person about `e` (see [`text_for`]).
    pub async fn failed(&self, bot: &Bot, e: &super::Error, what: &str) {
        let text = text_for(bot, e, self.lang, what);
        self.tell(&text).await;
    }

    /// `text` for the person only, whatever was answered before.
    pub async fn tell(&self, text: &str) {
        match self.state.load(Ordering::SeqCst) {
            NOT_YET => {
                self.first(CreateInteractionResponse::Message(
                    CreateInteractionResponseMessage::new()
                        .content(super::render::truncate(text, super::render::MAX_CONTENT))
                        .ephemeral(true)
                        .allowed_mentions(CreateAllowedMentions::new()),
                ))
                .await;
            }
            DEFERRED => self.edit(text).await,
            _ => {
                let f = CreateInteractionResponseFollowup::new()
                    .content(super::render::truncate(text, super::render::MAX_CONTENT))
                    .ephemeral(true)
                    .allowed_mentions(CreateAllowedMentions::new());
                if let Err(e) = f.execute(&*self.http, (None, &self.token)).await {
                    warn!(error = %e, "cannot tell the user about an error");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_ids_are_short_and_differ() {
        let a = error_id();
        let b = error_id();
        assert_eq!(a.len(), 7);
        assert!(a.starts_with('e') && a[1..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
