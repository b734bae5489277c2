//! Sending to Discord, shared by every feature: notices without pings,
//! a turn's rendered reply, and where the entrepreneur is reached.

use super::config::Mode;
use super::render::{self, truncate, RenderCtx, MAX_CONTENT};
use super::Bot;
use crate::app::service::Reply;
use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, Http, UserId};
use std::sync::Arc;
use tracing::warn;

/// Sends a notice without pings.
pub async fn say(http: &Http, channel: ChannelId, text: &str) -> bool {
    let m = CreateMessage::new()
        .content(truncate(text, MAX_CONTENT))
        .allowed_mentions(CreateAllowedMentions::new());
    match channel.send_message(http, m).await {
        Ok(_) => true,
        Err(e) => {
            warn!(error = %e, channel = %channel, "cannot send a hand-off message");
            false
        }
    }
}

/// Where the entrepreneur talks with the bot: their intake thread (thread
/// mode), else their DM.
pub async fn user_channel(bot: &Arc<Bot>, http: &Http, user: &str) -> Option<ChannelId> {
    let uid = user.parse::<u64>().ok().filter(|u| *u != 0)?;
    if bot.config.mode == Mode::Thread {
        if let Ok(Some(t)) = bot.blocking(move |b| b.threads.thread_of(uid)).await {
            return Some(ChannelId::new(t));
        }
    }
    match UserId::new(uid).create_dm_channel(http).await {
        Ok(c) => Some(c.id),
        Err(e) => {
            warn!(error = %e, "cannot open a DM with the entrepreneur");
            None
        }
    }
}

pub fn mention_user(id: &str) -> String {
    format!("<@{id}>")
}

/// Sends a turn's rendered outputs, in order; stops at the first failure.
/// Returns whether everything went out.
pub async fn send_reply(
    bot: &Bot,
    http: &Http,
    channel: ChannelId,
    reply: &Reply,
    text_by_form: bool,
) -> bool {
    let labels = bot.labels(reply.conversation.lang);
    let ctx = RenderCtx {
        conversation: &reply.conversation.id,
        labels: &labels,
        text_by_form,
    };
    for o in render::render(&reply.outputs, ctx) {
        if let Err(e) = channel.send_message(http, o.into_message()).await {
            warn!(error = %e, channel = %channel, "cannot send a reply");
            return false;
        }
    }
    true
}
