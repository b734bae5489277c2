//! Content reload without a restart, from Discord and from the process:
//! `/inhoud-herladen` (`/reload-content`, moderators) and SIGHUP both call
//! [`reload`], which reloads from the sources the bot started with,
//! validates exactly as `llo-intake check` does and swaps the content
//! atomically ([`crate::app::reload`]). On errors the old content stays:
//! the moderator sees the problems (ephemeral), SIGHUP logs them, each
//! naming file and key. The next turn runs the new content.

use super::metrics::ErrorKind;
use super::{Bot, Context, Error, TaskFailed};
use crate::app::reload::Reloaded;
use crate::content::text::fill;
use crate::content::{ContentError, Severity};
use poise::CreateReply;
use std::borrow::Cow;
use std::sync::Arc;
use tracing::{error, info, warn};

/// Why a reload did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("this bot was started without content sources to reload from")]
    NoSources,
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Task(#[from] TaskFailed),
}

/// Reloads the content (on the blocking pool: it reads files and compiles
/// every pattern). The one function behind the command and SIGHUP.
pub async fn reload(bot: &Arc<Bot>) -> Result<Reloaded, ReloadError> {
    let Some(sources) = bot.content_sources.clone() else {
        return Err(ReloadError::NoSources);
    };
    let result = bot
        .blocking(move |b| {
            sources
                .reload(b.intake.live())
                .map_err(ReloadError::Content)
        })
        .await;
    match &result {
        Ok(_) => bot.metrics.reloaded(),
        Err(ReloadError::Content(e)) => {
            bot.metrics.error(ErrorKind::Reload);
            for p in e.problems.iter().filter(|p| p.severity == Severity::Error) {
                warn!(file = %p.file.display(), key = %p.key, problem = %p.message, "content reload refused; the old content stays");
            }
        }
        Err(e) => {
            bot.metrics.error(ErrorKind::Reload);
            warn!(error = %e, "content reload failed; the old content stays");
        }
    }
    result
}

/// Reloads the content (moderators). Shows what was loaded, or the problems.
#[poise::command(
    slash_command,
    rename = "reload-content",
    guild_only,
    check = "super::perms::moderator_at_once"
)]
pub async fn reload_content(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let lang = bot.lang_for(ctx.locale());
    let text = match reload(&bot).await {
        Ok(r) => fill(
            &bot.msg("reload_done", lang),
            &[
                ("concerns", &r.concerns.to_string()),
                ("steps", &r.steps.to_string()),
                ("routes", &r.routes.to_string()),
                ("contacts", &r.contacts.to_string()),
                ("warnings", &r.warnings.len().to_string()),
                ("removed", &r.removed_steps.len().to_string()),
            ],
        ),
        Err(ReloadError::Content(e)) => {
            let errors: Vec<String> = e
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| format!("- {p}"))
                .collect();
            let head = fill(
                &bot.msg("reload_failed", lang),
                &[("count", &errors.len().to_string())],
            );
            // The list in a code block (file names and keys read as typed),
            // cut to Discord's message length.
            let room = super::render::MAX_CONTENT.saturating_sub(head.chars().count() + 12);
            let list = super::render::truncate(&errors.join("\n"), room);
            format!("{head}\n```\n{}\n```", list.replace("```", "'''"))
        }
        Err(ReloadError::NoSources) => bot.msg("reload_unavailable", lang),
        Err(e) => return Err(e.into()),
    };
    ctx.send(
        CreateReply::default()
            .content(super::render::truncate(&text, super::render::MAX_CONTENT))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// The command's Dutch and English names.
pub fn localize_name(c: &mut poise::Command<Arc<Bot>, Error>) {
    c.name_localizations = Cow::Owned(vec![
        (Cow::Borrowed("nl"), Cow::Borrowed("inhoud-herladen")),
        (Cow::Borrowed("en-US"), Cow::Borrowed("reload-content")),
        (Cow::Borrowed("en-GB"), Cow::Borrowed("reload-content")),
    ]);
}

/// Reloads on every SIGHUP until the bot stops (unix only). Holds a weak
/// reference, so it ends with the client.
pub(crate) fn spawn_hangup(bot: &Arc<Bot>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "cannot listen for SIGHUP; reload with the command instead");
                return;
            }
        };
        let weak = Arc::downgrade(bot);
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let Some(bot) = weak.upgrade() else { return };
                if bot.gate.is_closed() {
                    return;
                }
                info!("SIGHUP: reloading the content");
                if let Ok(r) = reload(&bot).await {
                    info!(
                        steps = r.steps,
                        warnings = r.warnings.len(),
                        "SIGHUP: the new content is in use"
                    );
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = bot;
}
