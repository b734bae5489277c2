//! The relay between the entrepreneur and the coach: what a turn set in
//! motion ([`after_turn`]), coaches writing in a coach thread or an intake
//! thread ([`on_guild_message`]), and the coach's words recorded and passed
//! on ([`coach_says`]).

use super::card::requested;
use crate::app::service::{ActError, Reply};
use crate::app::store::Role;
use crate::content::text::fill;
use crate::discord::render::escape_markdown;
use crate::discord::send::{say, user_channel};
use crate::discord::Bot;
use crate::domain::conversation::{Conversation, Status};
use serenity::all::{ChannelId, Http, Message};
use std::sync::Arc;
use tracing::error;

/// Whether `conv` is relayed through a coach thread (dm mode) that a coach
/// holds now; returns that thread.
async fn relay_thread(bot: &Arc<Bot>, conv: &Conversation) -> Option<ChannelId> {
    let h = conv.handoff.as_ref()?;
    if conv.status != Status::Handoff || h.coach.is_none() || h.closed_at.is_some() {
        return None;
    }
    let t = h.thread.as_deref()?.parse::<u64>().ok()?;
    let ours = bot
        .blocking(move |b| b.coach_threads.conversation(t))
        .await
        .ok()
        .flatten()?;
    (ours == conv.id).then(|| ChannelId::new(t))
}

/// After a hand-back or close: the coach thread (dm mode) says that what is
/// typed there no longer reaches the entrepreneur.
pub async fn coach_thread_ended(bot: &Arc<Bot>, http: &Http, conv: &Conversation) {
    let Some(t) = conv
        .handoff
        .as_ref()
        .and_then(|h| h.thread.as_deref())
        .and_then(|t| t.parse::<u64>().ok())
    else {
        return;
    };
    let ours = bot
        .blocking(move |b| b.coach_threads.conversation(t))
        .await
        .ok()
        .flatten();
    if ours.as_deref() == Some(conv.id.as_str()) {
        let text = bot.msg("handoff_thread_ended", bot.intake.default_lang);
        say(http, ChannelId::new(t), &text).await;
    }
}

/// After a turn: hand-off work the turn set in motion (the card, the queue
/// notice) and the relay of the entrepreneur's message to their coach.
/// Runs under the entrepreneur's lock.
pub async fn after_turn(
    bot: &Arc<Bot>,
    http: &Http,
    reply: &Reply,
    channel: ChannelId,
    user_text: Option<&str>,
) {
    for e in &reply.events {
        if let crate::domain::engine::Event::HandoffRequested { .. } = e {
            requested(bot, http, &reply.conversation, channel).await;
        }
    }
    if let (Some(text), Some(thread)) = (user_text, relay_thread(bot, &reply.conversation).await) {
        let lang = bot.intake.default_lang;
        let line = fill(
            &bot.msg("handoff_relay_user", lang),
            &[("text", &escape_markdown(text))],
        );
        say(http, thread, &line).await;
    }
}

/// A guild message that belongs to a hand-off: a coach writing in a coach
/// thread (relayed to the entrepreneur and recorded) or in an intake thread
/// (recorded). Returns whether it was one.
pub async fn on_guild_message(bot: &Arc<Bot>, http: &Http, msg: &Message) -> bool {
    let channel = msg.channel_id.get();
    let conversation = match bot
        .blocking(move |b| b.coach_threads.conversation(channel))
        .await
    {
        Ok(Some(c)) => Some(c),
        _ => None,
    };
    let relayed = conversation.is_some();
    let conversation = match conversation {
        Some(c) => c,
        None => {
            // Thread mode: a coach writing in the entrepreneur's thread.
            let Ok(Some(owner)) = bot.blocking(move |b| b.threads.owner(channel)).await else {
                return false;
            };
            if owner == msg.author.id.get() {
                return false;
            }
            let owner = owner.to_string();
            match bot
                .blocking(move |b| b.intake.store.active_conversation(&owner))
                .await
            {
                Ok(Some(c)) => c.id,
                _ => return true,
            }
        }
    };
    let id = conversation.clone();
    let Ok(Some(conv)) = bot
        .blocking(move |b| b.intake.store.conversation(&id))
        .await
    else {
        return true;
    };
    let author = msg.author.id.to_string();
    let holds = conv.status == Status::Handoff
        && conv
            .handoff
            .as_ref()
            .is_some_and(|h| h.closed_at.is_none() && h.coach.as_deref() == Some(&author));
    if !holds || msg.content.trim().is_empty() {
        return true;
    }
    let name = msg
        .author
        .global_name
        .clone()
        .unwrap_or_else(|| msg.author.name.clone());
    let event = format!("discord:m:{}", msg.id);
    coach_says(
        bot,
        http,
        &conv,
        &author,
        &name,
        &msg.content,
        relayed,
        Some(event),
    )
    .await;
    true
}

/// A coach's words to the entrepreneur: recorded as a coach line and, when
/// relayed (dm mode), sent to the entrepreneur's DM. Under their lock.
#[allow(clippy::too_many_arguments)]
pub async fn coach_says(
    bot: &Arc<Bot>,
    http: &Http,
    conv: &Conversation,
    coach: &str,
    coach_name: &str,
    text: &str,
    relay: bool,
    event: Option<String>,
) -> bool {
    let _lock = bot.locks.lock(&conv.user).await;
    let (id, author, line) = (conv.id.clone(), coach.to_string(), text.to_string());
    let now = bot.now();
    let ttl = bot.config.dedupe_ttl();
    let fresh = bot
        .blocking(move |b| -> Result<_, ActError> {
            let seen = match event {
                Some(ev) => match b.intake.store.sighting(&ev, now, ttl)? {
                    Some(s) => Some(s),
                    None => return Ok(false),
                },
                None => None,
            };
            b.intake
                .coach_line_seen(&id, Role::Coach, &author, &line, now, seen.as_ref())?;
            Ok(true)
        })
        .await;
    match fresh {
        Ok(true) => {}
        Ok(false) => return true,
        Err(e) => {
            error!(error = %e, "cannot record a coach line");
            return false;
        }
    }
    if !relay {
        return true;
    }
    let Some(ch) = user_channel(bot, http, &conv.user).await else {
        return false;
    };
    let out = fill(
        &bot.msg("handoff_relay_coach", conv.lang),
        &[("coach", &escape_markdown(coach_name)), ("text", text)],
    );
    say(http, ch, &out).await
}
