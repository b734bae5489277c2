//! Claiming: the card's buttons (Claim, Assign and the coach picker), the
//! claim under the entrepreneur's lock (first one wins), and taking over:
//! the coach gets into the conversation (the intake thread, or a private
//! relay thread in dm mode).

use super::card::{card_channel, card_view, transcript_of, update_card};
use crate::app::service::HandoffAction;
use crate::app::store::{Entry, Role};
use crate::content::text::{fill, Lang};
use crate::discord::config::Mode;
use crate::discord::errors::{act_error, Answer, UserError};
use crate::discord::ids::CustomId;
use crate::discord::perms::{is_coach, is_moderator};
use crate::discord::render::{escape_markdown, truncate, MAX_CONTENT};
use crate::discord::send::{mention_user, say, user_channel};
use crate::discord::{Bot, Error};
use crate::domain::conversation::Conversation;
use serenity::all::{
    AutoArchiveDuration, ChannelId, ChannelType, ComponentInteraction,
    ComponentInteractionDataKind, CreateActionRow, CreateAllowedMentions,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu,
    CreateSelectMenuKind, CreateThread, Http, RoleId, UserId,
};
use std::sync::Arc;
use tracing::{error, info, warn};

/// After a claim or transfer: the coach gets into the conversation (thread
/// mode: the entrepreneur's thread; dm mode: the relay thread), the
/// entrepreneur hears who takes over, and the card shows who has it.
/// Returns where the coach talks. The caller holds the entrepreneur's lock.
pub async fn take_over(
    bot: &Arc<Bot>,
    http: &Http,
    conv: &Conversation,
    coach: UserId,
    coach_name: &str,
) -> Option<ChannelId> {
    let mut conv = conv.clone();
    let uid = conv.user.parse::<u64>().ok().filter(|u| *u != 0);
    let intake_thread = match (bot.config.mode, uid) {
        (Mode::Thread, Some(u)) => bot
            .blocking(move |b| b.threads.thread_of(u))
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    let existing = conv
        .handoff
        .as_ref()
        .and_then(|h| h.thread.as_deref())
        .and_then(|t| t.parse::<u64>().ok());
    let place = match intake_thread.or(existing) {
        Some(t) => {
            let t = ChannelId::new(t);
            if let Err(e) = t.add_thread_member(http, coach).await {
                warn!(error = %e, "cannot add the coach to the thread");
            }
            if existing.is_none() {
                conv = record_thread(bot, &conv, t).await.unwrap_or(conv);
            }
            Some(t)
        }
        None => open_coach_thread(bot, http, &conv, coach, coach_name)
            .await
            .map(|(t, c)| {
                conv = c;
                t
            }),
    };
    if let Some(ch) = user_channel(bot, http, &conv.user).await {
        let text = fill(
            &bot.msg("handoff_taken_over", conv.lang),
            &[("coach", &escape_markdown(coach_name))],
        );
        say(http, ch, &text).await;
        let (id, line) = (conv.id.clone(), Entry::new(bot.now(), Role::Bot, text));
        if let Err(e) = bot
            .blocking(move |b| b.intake.store.append(&id, &[line]))
            .await
        {
            warn!(error = %e, "cannot record the take-over notice");
        }
    }
    update_card(bot, http, &conv).await;
    place
}

async fn record_thread(bot: &Arc<Bot>, conv: &Conversation, t: ChannelId) -> Option<Conversation> {
    record(bot, conv, HandoffAction::Thread(t.get().to_string())).await
}

async fn record_relay_thread(
    bot: &Arc<Bot>,
    conv: &Conversation,
    t: ChannelId,
) -> Option<Conversation> {
    record(bot, conv, HandoffAction::RelayThread(t.get().to_string())).await
}

async fn record(
    bot: &Arc<Bot>,
    conv: &Conversation,
    action: HandoffAction,
) -> Option<Conversation> {
    let (id, now) = (conv.id.clone(), bot.now());
    match bot
        .blocking(move |b| b.intake.handoff(&id, action, now))
        .await
    {
        Ok(r) => Some(r.conversation),
        Err(e) => {
            error!(error = %e, "cannot record the hand-off thread");
            None
        }
    }
}

/// dm mode: a private thread in the coach space for the coach, where the
/// bot relays the entrepreneur's DM messages and the coach's replies.
async fn open_coach_thread(
    bot: &Arc<Bot>,
    http: &Http,
    conv: &Conversation,
    coach: UserId,
    coach_name: &str,
) -> Option<(ChannelId, Conversation)> {
    let parent = card_channel(bot, conv)?;
    let lang = bot.intake.default_lang;
    let name = fill(&bot.msg("handoff_thread_name", lang), &[("id", &conv.id)]);
    let builder = CreateThread::new(truncate(&name, 100))
        .kind(ChannelType::PrivateThread)
        .invitable(false)
        .auto_archive_duration(AutoArchiveDuration::OneWeek);
    let thread = match parent.create_thread(http, builder).await {
        Ok(t) => t.id,
        Err(e) => {
            warn!(error = %e, "cannot open the coach thread");
            return None;
        }
    };
    if let Err(e) = thread.add_thread_member(http, coach).await {
        warn!(error = %e, "cannot add the coach to the coach thread");
    }
    // The relay link is written with the hand-off step, in one transaction.
    let conv = record_relay_thread(bot, conv, thread)
        .await
        .unwrap_or(conv.clone());
    let transcript = transcript_of(bot, &conv.id).await;
    let (_, embed, _) = card_view(bot, &conv, &transcript);
    let intro = fill(
        &bot.msg("handoff_thread_intro", lang),
        &[("coach", &escape_markdown(coach_name)), ("id", &conv.id)],
    );
    let m = CreateMessage::new()
        .content(truncate(&intro, MAX_CONTENT))
        .embed(embed)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = thread.send_message(http, m).await {
        warn!(error = %e, "cannot post the coach thread intro");
    }
    Some((thread, conv))
}

fn member_roles(ci: &ComponentInteraction) -> Vec<RoleId> {
    ci.member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default()
}

fn display_name(ci: &ComponentInteraction) -> String {
    ci.member
        .as_ref()
        .map(|m| m.display_name().to_string())
        .unwrap_or_else(|| ci.user.display_name().to_string())
}

/// Claim (or assign) under the entrepreneur's lock, then take over. Returns
/// the text for the one who acted; a refusal is a [`UserError`], and a
/// claim that leaves the coach nowhere to talk (Discord refused the coach
/// thread) is an internal error.
pub async fn claim_for(
    bot: &Arc<Bot>,
    http: &Http,
    conversation: &str,
    coach: UserId,
    coach_name: &str,
    by: Option<UserId>,
    lang: Lang,
) -> Result<String, Error> {
    let Some(conv) = bot.conversation(conversation).await else {
        return Err(UserError::new("handoff_not_open").into());
    };
    let _lock = bot.locks.lock(&conv.user).await;
    let (id, now) = (conv.id.clone(), bot.now());
    let action = match by {
        None => HandoffAction::Claim {
            coach: coach.to_string(),
        },
        Some(by) => HandoffAction::Transfer {
            to: coach.to_string(),
            by: by.to_string(),
        },
    };
    let reply = bot
        .blocking(move |b| b.intake.handoff(&id, action, now))
        .await
        .map_err(act_error)?;
    info!(conversation = %reply.conversation.id, "hand-off claimed");
    let place = take_over(bot, http, &reply.conversation, coach, coach_name).await;
    Ok(match (by, place) {
        (None, Some(t)) => fill(
            &bot.msg("handoff_claimed_you", lang),
            &[("thread", &format!("<#{t}>"))],
        ),
        (None, None) => {
            return Err(anyhow::anyhow!(
                "claimed, but there is no thread for the coach to talk in"
            ))
        }
        (Some(_), _) => fill(
            &bot.msg("handoff_done_transfer", lang),
            &[("coach", &mention_user(&coach.to_string()))],
        ),
    })
}

/// The card's buttons: Claim (coaches), Assign (moderators) and the coach
/// picker Assign opens.
pub async fn on_card_component(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    id: CustomId,
) -> Result<(), Error> {
    let http = &*answer.http;
    let lang = answer.lang;
    let roles = member_roles(ci);
    let defer = || {
        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
    };
    match id {
        CustomId::Claim { conversation } => {
            if !is_coach(bot, &roles) {
                return Err(UserError::new("handoff_not_coach").into());
            }
            if !answer.first(defer()).await {
                return Ok(());
            }
            let name = display_name(ci);
            let text = claim_for(bot, http, &conversation, ci.user.id, &name, None, lang).await?;
            answer.edit(&text).await;
        }
        CustomId::Assign { conversation } => {
            if !is_moderator(bot, &roles) {
                return Err(UserError::new("handoff_not_moderator").into());
            }
            let picker = CreateSelectMenu::new(
                CustomId::AssignTo { conversation }.encode(),
                CreateSelectMenuKind::User {
                    default_users: None,
                },
            )
            .placeholder(truncate(&bot.msg("handoff_assign_pick", lang), 150));
            let r = CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .content(bot.msg("handoff_assign_pick", lang))
                    .components(vec![CreateActionRow::SelectMenu(picker)])
                    .ephemeral(true)
                    .allowed_mentions(CreateAllowedMentions::new()),
            );
            answer.first(r).await;
        }
        CustomId::AssignTo { conversation } => {
            if !is_moderator(bot, &roles) {
                return Err(UserError::new("handoff_not_moderator").into());
            }
            let Some(target) = (match &ci.data.kind {
                ComponentInteractionDataKind::UserSelect { values } => values.first().copied(),
                _ => None,
            }) else {
                answer.first(CreateInteractionResponse::Acknowledge).await;
                return Ok(());
            };
            let member = ci.data.resolved.members.get(&target);
            let target_roles = member.map(|m| m.roles.clone()).unwrap_or_default();
            if !is_coach(bot, &target_roles) {
                return Err(UserError::with(
                    "handoff_target_not_coach",
                    vec![("coach", mention_user(&target.to_string()))],
                )
                .into());
            }
            if !answer.first(defer()).await {
                return Ok(());
            }
            let name = member
                .and_then(|m| m.nick.clone())
                .or_else(|| {
                    ci.data
                        .resolved
                        .users
                        .get(&target)
                        .map(|u| u.display_name().to_string())
                })
                .unwrap_or_else(|| target.to_string());
            let text = claim_for(
                bot,
                http,
                &conversation,
                target,
                &name,
                Some(ci.user.id),
                lang,
            )
            .await?;
            answer.edit(&text).await;
        }
        _ => {}
    }
    Ok(())
}
