//! The one reminder per hand-off that waits unclaimed too long.

use super::card::card_channel;
use crate::app::service::HandoffAction;
use crate::content::text::fill;
use crate::discord::render::{truncate, MAX_CONTENT};
use crate::discord::Bot;
use crate::domain::conversation::Conversation;
use crate::domain::handoff as core;
use chrono::Duration;
use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, Http, RoleId};
use std::sync::Arc;
use tracing::{debug, error, warn};

/// Starts the reminder loop: every `reminder_check_secs` (or per test tick)
/// it pings the coach role once for each hand-off waiting longer than
/// `reminder_after_mins`. The "reminded" mark is stored in the
/// conversation, so a restart neither repeats nor forgets a reminder.
pub fn spawn_reminders(bot: &Arc<Bot>, http: Arc<Http>) {
    let every = std::time::Duration::from_secs(bot.config.reminder_check_secs.max(1));
    crate::discord::schedule::spawn_every(bot, &bot.reminder_ticks, every, move |bot, _| {
        let http = http.clone();
        async move { reminder_pass(&bot, &http).await }
    });
}

/// One pass of the reminder loop.
pub async fn reminder_pass(bot: &Arc<Bot>, http: &Http) {
    let (Some(role), after) = (bot.config.coach_role, bot.config.reminder_after_mins) else {
        return;
    };
    if after == 0 {
        return;
    }
    let Some(_pass) = bot.gate.enter() else {
        return;
    };
    let after = Duration::minutes(i64::try_from(after).unwrap_or(i64::MAX / 120_000));
    let now = bot.now();
    let due: Vec<Conversation> = match bot
        .blocking(move |b| b.intake.store.handoff_conversations())
        .await
    {
        Ok(all) => all
            .into_iter()
            .filter(|c| core::reminder_due(c, after, now))
            .collect(),
        Err(e) => {
            warn!(error = %e, "reminder pass cannot read conversations");
            return;
        }
    };
    for c in due {
        let _lock = bot.locks.lock(&c.user).await;
        let Some(conv) = bot.conversation(&c.id).await else {
            continue;
        };
        if !core::reminder_due(&conv, after, now) {
            continue;
        }
        let Some(channel) = conv
            .handoff
            .as_ref()
            .and_then(|h| h.card.as_ref())
            .and_then(|c| c.channel.parse().ok())
            .map(ChannelId::new)
            .or_else(|| card_channel(bot, &conv))
        else {
            continue;
        };
        let waited = conv
            .handoff
            .as_ref()
            .map(|h| (now - h.requested_at).num_minutes())
            .unwrap_or(0);
        let link = conv
            .handoff
            .as_ref()
            .and_then(|h| h.card.as_ref())
            .map(|c| {
                let guild = bot
                    .config
                    .guild_id
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "@me".into());
                format!(
                    "https://discord.com/channels/{guild}/{}/{}",
                    c.channel, c.message
                )
            })
            .unwrap_or_else(|| conv.id.clone());
        let lang = bot.intake.default_lang;
        let text = fill(
            &bot.msg("handoff_reminder", lang),
            &[
                ("role", &format!("<@&{role}>")),
                ("minutes", &waited.to_string()),
                ("card", &link),
            ],
        );
        // The one ping the bot ever sends: the coach role, and nothing else.
        let m = CreateMessage::new()
            .content(truncate(&text, MAX_CONTENT))
            .allowed_mentions(CreateAllowedMentions::new().roles(vec![RoleId::new(role)]));
        if let Err(e) = channel.send_message(http, m).await {
            warn!(error = %e, "cannot send the hand-off reminder");
            continue;
        }
        let id = conv.id.clone();
        if let Err(e) = bot
            .blocking(move |b| b.intake.handoff(&id, HandoffAction::Reminded, now))
            .await
        {
            error!(error = %e, "cannot record the reminder");
        } else {
            debug!(conversation = %conv.id, "hand-off reminder sent");
        }
    }
}
