//! Sending to Discord, shared by every feature: notices without pings,
//! a turn's rendered reply, and where the entrepreneur is reached.
//!
//! Discord's passing failures (5xx, a 429 that reaches us, a refused
//! connection) are retried here with a short backoff, so a turn that was
//! committed is not left without its reply. With serenity's own rate limiter
//! on (no `api_base_url`), serenity itself waits out 429s (route and global,
//! by `retry-after`) before they reach this module. Behind a proxy a 429
//! gets the fixed [`BACKOFF`]: serenity's error keeps neither the
//! `Retry-After` header nor the JSON `retry_after` (see README, Discord).

use super::config::Mode;
use super::render::{self, truncate, RenderCtx, MAX_CONTENT};
use super::Bot;
use crate::app::service::Reply;
use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, Http, Message, UserId};
use serenity::http::{HttpError, StatusCode};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// Discord's "Cannot send messages to this user": their DMs are closed to
/// the bot (privacy settings, or no server in common).
pub const DM_CLOSED: isize = 50007;

/// The waits before each retry of a passing failure: about 4 s in all.
const BACKOFF: [Duration; 4] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_millis(1000),
    Duration::from_millis(2000),
];

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Delivered,
    /// Refused with 50007: the person does not take DMs from the bot.
    DmClosed,
    /// Refused or failing after the retries (logged).
    Failed,
}

/// Whether `e` is worth retrying: Discord's server errors, a rate limit
/// that was not waited out, or a connection that was never made (the
/// request did not go out, so a retry cannot duplicate it).
pub fn passing(e: &serenity::Error) -> bool {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            r.status_code.is_server_error() || r.status_code == StatusCode::TOO_MANY_REQUESTS
        }
        serenity::Error::Http(HttpError::Request(r)) => r.is_connect(),
        _ => false,
    }
}

/// Whether Discord refused because the person's DMs are closed.
pub fn dm_closed(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.error.code == DM_CLOSED)
}

/// Runs `call`, retrying passing failures ([`passing`]) with backoff.
pub async fn retrying<T, F, Fut>(what: &'static str, mut call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut waits = BACKOFF.iter();
    loop {
        match call().await {
            Err(e) if passing(&e) => match waits.next() {
                Some(wait) => {
                    warn!(error = %e, what, retry_in_ms = wait.as_millis() as u64, "Discord failed; retrying");
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// Posts `message` in `channel`, retrying passing failures.
pub async fn post(
    http: &Http,
    channel: ChannelId,
    message: CreateMessage,
) -> serenity::Result<Message> {
    retrying("send a message", || {
        channel.send_message(http, message.clone())
    })
    .await
}

/// Sends a notice without pings.
pub async fn say(http: &Http, channel: ChannelId, text: &str) -> bool {
    let m = CreateMessage::new()
        .content(truncate(text, MAX_CONTENT))
        .allowed_mentions(CreateAllowedMentions::new());
    match post(http, channel, m).await {
        Ok(_) => true,
        Err(e) => {
            warn!(error = %e, channel = %channel, "cannot send a hand-off message");
            false
        }
    }
}

/// Opens (or finds) the DM channel with `user`, retrying passing failures.
pub async fn dm_channel(http: &Http, user: UserId) -> serenity::Result<ChannelId> {
    retrying("open a DM", || user.create_dm_channel(http))
        .await
        .map(|c| c.id)
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
    match dm_channel(http, UserId::new(uid)).await {
        Ok(c) => Some(c),
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
    deliver(bot, http, channel, reply, text_by_form).await == Sent::Delivered
}

/// [`send_reply`], saying why it did not go out.
pub async fn deliver(
    bot: &Bot,
    http: &Http,
    channel: ChannelId,
    reply: &Reply,
    text_by_form: bool,
) -> Sent {
    let labels = bot.labels(reply.conversation.lang);
    let ctx = RenderCtx {
        conversation: &reply.conversation.id,
        labels: &labels,
        text_by_form,
    };
    for o in render::render(&reply.outputs, ctx) {
        if let Err(e) = post(http, channel, o.into_message()).await {
            warn!(error = %e, channel = %channel, "cannot send a reply");
            return if dm_closed(&e) {
                Sent::DmClosed
            } else {
                Sent::Failed
            };
        }
    }
    Sent::Delivered
}
