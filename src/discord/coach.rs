//! The coach and moderator commands. Every one checks roles first and
//! answers others with a polite refusal; every answer is ephemeral, so in
//! thread mode (where the entrepreneur is in the same thread) nothing a
//! coach does here is shown to them, least of all a `/note`.
//!
//! * `/handoff user [note]` (moderators): hands someone's conversation to the coaches.
//! * `/handback` (the coach who has it, or a moderator): the bot resumes.
//! * `/close outcome [note]`: ends the conversation with an outcome.
//! * `/transfer coach`: to another coach.
//! * `/note text`: an internal note (never shown to the entrepreneur, not in
//!   their own-data export).
//! * `/reply text`: the coach's words to the entrepreneur (relay without
//!   the Message Content intent).
//! * `/queue`: who waits, how long, where.
//!
//! The conversation is the one of the thread the command is used in: the
//! coach thread (dm mode) or the entrepreneur's intake thread (thread mode).

use super::errors::{act_error, UserError};
use super::handoff::{claim_for, coach_says, requested, update_card};
use super::i18n::outcome_text;
use super::perms::{self, is_coach, is_moderator};
use super::send::{say, user_channel};
use super::{Bot, Context, Error};
use crate::app::service::{ActError, HandoffAction};
use crate::app::store::Role;
use crate::content::text::{fill, Lang};
use crate::domain::conversation::Outcome;
use crate::domain::conversation::{Conversation, Status};
use crate::domain::engine::{Event, Input};
use crate::domain::handoff as core;
use poise::CreateReply;
use serenity::all::{ChannelId, CreateAllowedMentions, RoleId, User};
use std::sync::Arc;

/// How a hand-off ended (the values are the ids the exports use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum OutcomeChoice {
    #[name = "resolved"]
    Resolved,
    #[name = "referred"]
    Referred,
    #[name = "no_show"]
    NoShow,
    #[name = "other"]
    Other,
}

impl From<OutcomeChoice> for Outcome {
    fn from(o: OutcomeChoice) -> Outcome {
        match o {
            OutcomeChoice::Resolved => Outcome::Resolved,
            OutcomeChoice::Referred => Outcome::Referred,
            OutcomeChoice::NoShow => Outcome::NoShow,
            OutcomeChoice::Other => Outcome::Other,
        }
    }
}

async fn answer(ctx: Context<'_>, text: String) -> Result<(), Error> {
    ctx.send(
        CreateReply::default()
            .content(super::render::truncate(&text, super::render::MAX_CONTENT))
            .ephemeral(true)
            .allowed_mentions(CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}

/// How the coach is named to the entrepreneur: their server nickname, else
/// their Discord name.
async fn author_name(ctx: Context<'_>) -> String {
    match ctx.author_member().await {
        Some(m) => m.display_name().to_string(),
        None => ctx.author().display_name().to_string(),
    }
}

/// The conversation of the thread this command runs in: the coach
/// thread's (dm mode), or the intake thread owner's current or last one.
async fn here(bot: &Arc<Bot>, channel: ChannelId) -> Option<Conversation> {
    let channel = channel.get();
    if let Ok(Some(id)) = bot
        .blocking(move |b| b.coach_threads.conversation(channel))
        .await
    {
        return bot.conversation(&id).await;
    }
    let owner = bot
        .blocking(move |b| b.threads.owner(channel))
        .await
        .ok()
        .flatten()?
        .to_string();
    let id = bot
        .blocking(move |b| -> Result<_, ActError> {
            if let Some(c) = b.intake.store.active_conversation(&owner)? {
                return Ok(Some(c.id));
            }
            Ok(b.intake.store.user_conversations(&owner)?.into_iter().max())
        })
        .await
        .ok()
        .flatten()?;
    bot.conversation(&id).await
}

/// The common opening of the coach commands (after their permission
/// check, which acknowledged the interaction): the bot, the author's
/// language and roles.
async fn open(ctx: Context<'_>) -> (Arc<Bot>, Lang, Vec<RoleId>) {
    let bot = ctx.data().clone();
    let lang = bot.lang_for(ctx.locale());
    (bot, lang, perms::roles(ctx).await)
}

/// The conversation of the thread this command runs in, else the refusal.
async fn conversation_here(ctx: Context<'_>, bot: &Arc<Bot>) -> Result<Conversation, Error> {
    match here(bot, ctx.channel_id()).await {
        Some(c) => Ok(c),
        None => Err(UserError::new("handoff_not_here").into()),
    }
}

/// Whether the author may act on the hand-off: the coach who has it, any
/// coach while nobody has it, or a moderator. `Err` holds the refusal.
fn may_act(bot: &Bot, roles: &[RoleId], me: &str, conv: &Conversation) -> Result<(), Error> {
    if is_moderator(bot, roles) {
        return Ok(());
    }
    match conv.handoff.as_ref().and_then(|h| h.coach.as_deref()) {
        Some(c) if c != me => {
            Err(UserError::with("handoff_not_yours", vec![("coach", format!("<@{c}>"))]).into())
        }
        _ => Ok(()),
    }
}

async fn in_intake_thread(bot: &Arc<Bot>, ch: ChannelId) -> bool {
    let ch = ch.get();
    bot.blocking(move |b| b.threads.owner(ch))
        .await
        .is_ok_and(|o| o.is_some())
}

/// Hand the conversation back to the bot: it asks the open question again.
#[poise::command(
    slash_command,
    guild_only,
    rename = "handback",
    check = "perms::coach_or_moderator"
)]
pub async fn handback(ctx: Context<'_>) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, roles) = open(ctx).await;
    let conv = conversation_here(ctx, &bot).await?;
    let me = ctx.author().id.to_string();
    may_act(&bot, &roles, &me, &conv)?;
    let http = ctx.http();
    let _lock = bot.locks.lock(&conv.user).await;
    let (id, now, by) = (conv.id.clone(), bot.now(), me.clone());
    let result = bot
        .blocking(move |b| b.intake.handoff(&id, HandoffAction::HandBack { by }, now))
        .await;
    let reply = match result {
        Ok(r) => r,
        Err(e) => return Err(act_error(e)),
    };
    if let Some(ch) = user_channel(&bot, http, &reply.conversation.user).await {
        let form = in_intake_thread(&bot, ch).await && !bot.config.message_content_intent;
        super::send::send_reply(&bot, http, ch, &reply, form).await;
    }
    update_card(&bot, http, &reply.conversation).await;
    super::handoff::coach_thread_ended(&bot, http, &reply.conversation).await;
    answer(ctx, bot.msg("handoff_done_handback", lang)).await
}

/// Close the conversation with an outcome.
#[poise::command(
    slash_command,
    guild_only,
    rename = "close",
    check = "perms::coach_or_moderator"
)]
pub async fn close(
    ctx: Context<'_>,
    outcome: OutcomeChoice,
    note: Option<String>,
) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, roles) = open(ctx).await;
    let conv = conversation_here(ctx, &bot).await?;
    let me = ctx.author().id.to_string();
    may_act(&bot, &roles, &me, &conv)?;
    let http = ctx.http();
    let outcome = Outcome::from(outcome);
    let _lock = bot.locks.lock(&conv.user).await;
    let (id, now, by) = (conv.id.clone(), bot.now(), me.clone());
    let result = bot
        .blocking(move |b| -> Result<_, ActError> {
            if let Some(n) = note.as_deref().filter(|n| !n.trim().is_empty()) {
                b.intake.coach_line(&id, Role::Note, &by, n, now)?;
            }
            b.intake
                .handoff(&id, HandoffAction::Close { outcome, by }, now)
        })
        .await;
    let reply = match result {
        Ok(r) => r,
        Err(e) => return Err(act_error(e)),
    };
    let conv = reply.conversation;
    if let Some(ch) = user_channel(&bot, http, &conv.user).await {
        let text = bot.msg("handoff_closed_user", conv.lang);
        say(http, ch, &text).await;
        let (id, line) = (
            conv.id.clone(),
            crate::app::store::Entry::new(now, Role::Bot, text),
        );
        let _ = bot
            .blocking(move |b| b.intake.store.append(&id, &[line]))
            .await;
    }
    // Closed before consent: nothing about the person was kept, so the card
    // keeps nothing either.
    let kept = bot.conversation(&conv.id).await.is_some();
    match conv.handoff.as_ref().and_then(|h| h.card.as_ref()) {
        // The erasure queued the card: blank it now.
        Some(_) if !kept => super::handoff::clean_up(&bot, http).await,
        _ => update_card(&bot, http, &conv).await,
    }
    super::handoff::coach_thread_ended(&bot, http, &conv).await;
    answer(
        ctx,
        fill(
            &bot.msg("handoff_done_close", lang),
            &[("outcome", &outcome_text(&bot, outcome, lang))],
        ),
    )
    .await
}

/// Transfer the conversation to another coach.
#[poise::command(
    slash_command,
    guild_only,
    rename = "transfer",
    check = "perms::coach_or_moderator"
)]
pub async fn transfer(ctx: Context<'_>, coach: User) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, roles) = open(ctx).await;
    let conv = conversation_here(ctx, &bot).await?;
    let me = ctx.author().id.to_string();
    may_act(&bot, &roles, &me, &conv)?;
    let member = match ctx {
        poise::Context::Application(a) => {
            a.interaction.data.resolved.members.get(&coach.id).cloned()
        }
        poise::Context::Prefix(_) => None,
    };
    let target_roles = member.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
    if !is_coach(&bot, &target_roles) {
        return Err(UserError::with(
            "handoff_target_not_coach",
            vec![("coach", format!("<@{}>", coach.id))],
        )
        .into());
    }
    let name = member
        .and_then(|m| m.nick)
        .unwrap_or_else(|| coach.display_name().to_string());
    let text = claim_for(
        &bot,
        ctx.http(),
        &conv.id,
        coach.id,
        &name,
        Some(ctx.author().id),
        lang,
    )
    .await?;
    answer(ctx, text).await
}

/// An internal note on the conversation: stored, never shown to the entrepreneur.
#[poise::command(
    slash_command,
    guild_only,
    rename = "note",
    check = "perms::coach_or_moderator"
)]
pub async fn note(ctx: Context<'_>, text: String) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, _) = open(ctx).await;
    let conv = conversation_here(ctx, &bot).await?;
    let (id, now, by) = (conv.id.clone(), bot.now(), ctx.author().id.to_string());
    let _lock = bot.locks.lock(&conv.user).await;
    match bot
        .blocking(move |b| b.intake.coach_line(&id, Role::Note, &by, &text, now))
        .await
    {
        Ok(()) => answer(ctx, bot.msg("handoff_done_note", lang)).await,
        Err(e) => Err(e.into()),
    }
}

/// The coach's words to the entrepreneur, passed on by the bot.
#[poise::command(
    slash_command,
    guild_only,
    rename = "reply",
    check = "perms::coach_or_moderator"
)]
pub async fn reply(ctx: Context<'_>, text: String) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, _) = open(ctx).await;
    let conv = conversation_here(ctx, &bot).await?;
    let me = ctx.author().id.to_string();
    let holds = conv.status == Status::Handoff
        && conv
            .handoff
            .as_ref()
            .is_some_and(|h| h.closed_at.is_none() && h.coach.as_deref() == Some(me.as_str()));
    if !holds {
        return Err(match conv.handoff.as_ref().and_then(|h| h.coach.clone()) {
            Some(c) if c != me && conv.status == Status::Handoff => {
                UserError::with("handoff_not_yours", vec![("coach", format!("<@{c}>"))])
            }
            _ => UserError::new("handoff_not_open"),
        }
        .into());
    }
    let name = author_name(ctx).await;
    if coach_says(&bot, ctx.http(), &conv, &me, &name, &text, true, None).await {
        answer(ctx, bot.msg("handoff_done_reply", lang)).await
    } else {
        Err(anyhow::anyhow!(
            "the coach's reply could not be recorded or passed on"
        ))
    }
}

/// Who is waiting for a coach: position, wait time, region.
#[poise::command(
    slash_command,
    guild_only,
    rename = "queue",
    check = "perms::coach_or_moderator"
)]
pub async fn queue(ctx: Context<'_>) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, _) = open(ctx).await;
    let now = bot.now();
    let entries = match bot
        .blocking(move |b| b.intake.store.handoff_conversations())
        .await
    {
        Ok(all) => core::queue(&all, now),
        Err(e) => return Err(e.into()),
    };
    if entries.is_empty() {
        return answer(ctx, bot.msg("handoff_queue_empty", lang)).await;
    }
    let k = bot.intake.knowledge();
    let unknown = bot.msg("handoff_unknown", lang);
    let lines: Vec<String> = entries
        .iter()
        .map(|e| {
            let region = e
                .region
                .as_deref()
                .map(|r| {
                    k.content
                        .province(r)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| r.to_string())
                })
                .unwrap_or_else(|| unknown.clone());
            fill(
                &bot.msg("handoff_queue_line", lang),
                &[
                    ("position", &e.position.to_string()),
                    ("user", &format!("<@{}>", e.user)),
                    ("minutes", &e.waiting.num_minutes().to_string()),
                    ("region", &region),
                    ("id", &e.conversation),
                ],
            )
        })
        .collect();
    answer(ctx, lines.join("\n")).await
}

/// Hand someone's conversation to the coaches (moderators).
#[poise::command(
    slash_command,
    guild_only,
    rename = "handoff",
    check = "perms::coach_or_moderator",
    check = "perms::moderator"
)]
pub async fn handoff(ctx: Context<'_>, user: User, note: Option<String>) -> Result<(), Error> {
    let Some(_pass) = ctx.data().gate.enter() else {
        return Ok(());
    };
    let (bot, lang, _) = open(ctx).await;
    let http = ctx.http();
    let uid = user.id.to_string();
    let _lock = bot.locks.lock(&uid).await;
    let (now, by) = (bot.now(), ctx.author().id.to_string());
    let who = uid.clone();
    let result = bot
        .blocking(move |b| -> Result<_, ActError> {
            let Some(conv) = b.intake.store.active_conversation(&who)? else {
                return Ok(None);
            };
            let reply = b
                .intake
                .act(&conv.id, Input::ModeratorHandoff, now)?
                .ok_or(ActError::NotFound)?;
            if let Some(n) = note.as_deref().filter(|n| !n.trim().is_empty()) {
                b.intake.coach_line(&conv.id, Role::Note, &by, n, now)?;
            }
            Ok(Some(reply))
        })
        .await;
    let reply = match result {
        Ok(Some(r)) => r,
        Ok(None) => return answer(ctx, bot.msg("handoff_no_conversation", lang)).await,
        Err(e) => return Err(act_error(e)),
    };
    let requested_now = reply
        .events
        .iter()
        .any(|e| matches!(e, Event::HandoffRequested { .. }));
    if requested_now {
        if let Some(ch) = user_channel(&bot, http, &uid).await {
            super::send::send_reply(&bot, http, ch, &reply, false).await;
            requested(&bot, http, &reply.conversation, ch).await;
        }
    }
    if reply.conversation.status == Status::Handoff {
        answer(ctx, bot.msg("handoff_done_handoff", lang)).await
    } else {
        answer(ctx, bot.msg("handoff_not_open", lang)).await
    }
}

/// The coach commands, in registration order, with their content keys.
pub fn commands() -> Vec<(poise::Command<Arc<Bot>, Error>, &'static str)> {
    vec![
        (handoff(), "discord_cmd_handoff"),
        (handback(), "discord_cmd_handback"),
        (close(), "discord_cmd_close"),
        (transfer(), "discord_cmd_transfer"),
        (note(), "discord_cmd_note"),
        (reply(), "discord_cmd_reply"),
        (queue(), "discord_cmd_queue"),
    ]
}

/// Parameter descriptions and outcome names from the content, nl and en.
pub fn localize_parameters(c: &mut poise::Command<Arc<Bot>, Error>, bot: &Bot) {
    use std::borrow::Cow;
    let t = |key: &str, lang| super::render::truncate(&bot.msg(key, lang), 100);
    let locales = |key: &str| super::i18n::locales(t(key, Lang::Nl), t(key, Lang::En));
    for p in &mut c.parameters {
        let key = format!("discord_param_{}", p.name);
        p.description = Some(Cow::Owned(t(&key, bot.intake.default_lang)));
        p.description_localizations = Cow::Owned(locales(&key));
        for choice in p.choices.to_mut().iter_mut() {
            let outcome: Option<Outcome> = choice.name.parse().ok();
            if let Some(o) = outcome {
                choice.localizations = Cow::Owned(
                    locales("")
                        .into_iter()
                        .map(|(l, _)| {
                            let lang = if l.starts_with("nl") {
                                Lang::Nl
                            } else {
                                Lang::En
                            };
                            (l, Cow::Owned(outcome_text(bot, o, lang)))
                        })
                        .collect(),
                );
            }
        }
    }
}
