//! The intake on Discord: events to turns.
//!
//! Every path has the same shape: acknowledge first (interactions must be
//! answered within 3 seconds), then under the user's lock: drop a duplicate
//! event id, drop a click on a question that is no longer pending, run the
//! turn through the service (committed and flushed), and only then send the
//! rendered reply. A turn that fails tells the user in a sentence from the
//! content; the bot carries on.

use super::config::Mode;
use super::errors::Answer;
use super::guard::over_limit;
use super::guard::Verdict;
use super::ids::CustomId;
use super::render::{self, form_text, FORM_INPUT};
use super::send::{deliver, dm_channel, dm_closed, say, send_reply, Sent};
use super::Bot;
use crate::app::service::{Reply, MAX_INPUT_CHARS};
use crate::app::store::{Link, Sighting, StoreError, TurnExtras};
use crate::content::text::{fill, Lang};
use crate::domain::engine::Input;
use serenity::all::{
    AutoArchiveDuration, ChannelId, ChannelType, ComponentInteraction,
    ComponentInteractionDataKind, Context, CreateActionRow, CreateAllowedMentions, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateModal, CreateThread,
    EditInteractionResponse, Http, InputTextStyle, Mentionable, Message, ModalInteraction, UserId,
};
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, error, info, warn};

/// One turn to run.
struct TurnReq {
    /// The Discord message or interaction id, for deduplication.
    event: String,
    user: UserId,
    /// Where the reply goes.
    channel: ChannelId,
    input: Input,
    /// For clicks and forms: the (conversation, step) the component asked.
    expect: Option<(String, String)>,
    /// Typed messages do not reach the bot in this channel.
    text_by_form: bool,
}

fn message_event(id: impl std::fmt::Display) -> String {
    format!("discord:m:{id}")
}

pub(crate) fn interaction_event(id: impl std::fmt::Display) -> String {
    format!("discord:i:{id}")
}

pub(crate) async fn on_message(bot: Arc<Bot>, ctx: Context, msg: Message) {
    if msg.author.bot {
        return;
    }
    let in_dm = msg.guild_id.is_none();
    if !in_dm && super::handoff::on_guild_message(&bot, &ctx.http, &msg).await {
        return;
    }
    if in_dm && super::followup::on_stop_message(&bot, &ctx.http, &msg).await {
        return;
    }
    if !in_dm {
        // Only the owner's messages in their own intake thread are answers.
        if bot.config.mode != Mode::Thread || !bot.config.message_content_intent {
            return;
        }
        let channel = msg.channel_id.get();
        match bot.blocking(move |b| b.threads.owner(channel)).await {
            Ok(Some(owner)) if owner == msg.author.id.get() => {}
            Ok(_) => return,
            Err(e) => {
                error!(error = %e, "cannot read the thread index");
                return;
            }
        }
    }
    let user = msg.author.id;
    match bot.limit.check(&user.to_string(), Instant::now()) {
        Verdict::Allow => {}
        Verdict::Notice => {
            let lang = user_lang(&bot, user).await;
            say(
                &ctx.http,
                msg.channel_id,
                &bot.msg("discord_rate_limited", lang),
            )
            .await;
            return;
        }
        Verdict::Drop => return,
    }
    turn(
        &bot,
        &ctx.http,
        TurnReq {
            event: message_event(msg.id),
            user,
            channel: msg.channel_id,
            input: Input::Text(msg.content),
            expect: None,
            text_by_form: false,
        },
    )
    .await;
}

pub(crate) async fn on_component(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
) -> Result<(), super::Error> {
    let Some(id) = CustomId::parse(&ci.data.custom_id) else {
        return Ok(()); // Not ours (another feature's component).
    };
    let http = &*answer.http;
    let lang = answer.lang;
    if let Some(refusal) = over_limit(bot, ci.user.id, lang) {
        answer.first(refusal).await;
        return Ok(());
    }
    match id {
        CustomId::Start => {
            let ack = CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(true),
            );
            if !answer.first(ack).await {
                return Ok(());
            }
            let outcome = start(
                bot,
                http,
                Start {
                    event: interaction_event(ci.id),
                    user: ci.user.id,
                    lang,
                    invoked_in: ci.channel_id,
                    in_guild: ci.guild_id.is_some(),
                },
            )
            .await;
            let text = outcome_text(bot, &outcome, lang);
            if let Some(text) = text {
                // serenity does not apply the client-wide default to this builder.
                let edit = EditInteractionResponse::new()
                    .content(text)
                    .allowed_mentions(CreateAllowedMentions::new());
                if let Err(e) = ci.edit_response(http, edit).await {
                    warn!(error = %e, "cannot edit the start response");
                }
            }
        }
        CustomId::Form { conversation, step } => {
            // A form can only be the first response: no work before it.
            let form = CreateModal::new(
                CustomId::form_submit(&conversation, &step).encode(),
                render::truncate(&bot.msg("discord_answer_title", lang), 45),
            )
            .components(vec![CreateActionRow::InputText(
                CreateInputText::new(
                    InputTextStyle::Paragraph,
                    render::truncate(&bot.msg("discord_answer_label", lang), 45),
                    FORM_INPUT,
                )
                .max_length(MAX_INPUT_CHARS as u16)
                .required(true),
            )]);
            answer.first(CreateInteractionResponse::Modal(form)).await;
        }
        CustomId::Answer { .. } | CustomId::Menu { .. } => {
            let picked = match &ci.data.kind {
                ComponentInteractionDataKind::StringSelect { values } => values.clone(),
                _ => Vec::new(),
            };
            let input = match &id {
                CustomId::Answer { choice, .. } => Input::Choice(choice.clone()),
                _ if picked.len() == 1 => Input::Choice(picked[0].clone()),
                _ => Input::Choices(picked.clone()),
            };
            // The acknowledgement disables the question's components. Only a
            // click on the pending question is marked as the answer (a quick
            // read; the turn below re-checks under the user's lock), so a
            // click on an answered question leaves it exactly as it was.
            let fresh = is_pending(bot, ci.user.id, &id).await;
            let rows = render::disable_components(
                &ci.message.components,
                fresh.then_some(ci.data.custom_id.as_str()),
                if fresh { &picked } else { &[] },
            );
            let ack = CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(rows),
            );
            if !answer.first(ack).await {
                return Ok(());
            }
            let (conversation, step) = id
                .question()
                .map(|(c, s)| (c.to_string(), s.to_string()))
                .unwrap_or_default();
            turn(
                bot,
                http,
                TurnReq {
                    event: interaction_event(ci.id),
                    user: ci.user.id,
                    channel: ci.channel_id,
                    input,
                    expect: Some((conversation, step)),
                    text_by_form: text_by_form(bot, ci.guild_id.is_some()),
                },
            )
            .await;
        }
        CustomId::Claim { .. } | CustomId::Assign { .. } | CustomId::AssignTo { .. } => {
            return super::handoff::on_card_component(bot, answer, ci, id).await;
        }
        CustomId::FormSubmit { .. } => {
            // Only forms submit this; a button with it is not ours.
            answer.first(CreateInteractionResponse::Acknowledge).await;
        }
    }
    Ok(())
}

pub(crate) async fn on_form(
    bot: &Arc<Bot>,
    answer: &Answer,
    mi: &ModalInteraction,
) -> Result<(), super::Error> {
    let Some(CustomId::FormSubmit { conversation, step }) = CustomId::parse(&mi.data.custom_id)
    else {
        return Ok(());
    };
    let http = &*answer.http;
    let lang = answer.lang;
    if let Some(refusal) = over_limit(bot, mi.user.id, lang) {
        answer.first(refusal).await;
        return Ok(());
    }
    let ack = match &mi.message {
        Some(m) => {
            let opener = CustomId::form(&conversation, &step).encode();
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(render::disable_components(
                    &m.components,
                    Some(&opener),
                    &[],
                )),
            )
        }
        None => CreateInteractionResponse::Acknowledge,
    };
    if !answer.first(ack).await {
        return Ok(());
    }
    let text = form_text(mi);
    turn(
        bot,
        http,
        TurnReq {
            event: interaction_event(mi.id),
            user: mi.user.id,
            channel: mi.channel_id,
            input: Input::Text(text),
            expect: Some((conversation, step)),
            text_by_form: text_by_form(bot, mi.guild_id.is_some()),
        },
    )
    .await;
    Ok(())
}

/// Whether the component's question is the user's pending one.
async fn is_pending(bot: &Arc<Bot>, user: UserId, id: &CustomId) -> bool {
    let Some((conversation, step)) = id.question() else {
        return false;
    };
    let (conversation, step) = (conversation.to_string(), step.to_string());
    bot.blocking(move |b| b.intake.store.active_conversation(&user.to_string()))
        .await
        .is_ok_and(|c| c.is_some_and(|c| c.id == conversation && c.step.as_deref() == Some(&step)))
}

fn text_by_form(bot: &Bot, in_guild: bool) -> bool {
    in_guild && !bot.config.message_content_intent
}

/// The language of the user's active conversation, else the default.
async fn user_lang(bot: &Arc<Bot>, user: UserId) -> Lang {
    bot.blocking(move |b| b.intake.store.active_conversation(&user.to_string()))
        .await
        .ok()
        .flatten()
        .map_or(bot.intake.default_lang, |c| c.lang)
}

/// The per-turn path: lock, dedupe, staleness, service, then send.
async fn turn(bot: &Arc<Bot>, http: &Http, req: TurnReq) {
    let began = Instant::now();
    let user = req.user.to_string();
    let _lock = bot.locks.lock(&user).await;
    let ttl = bot.config.dedupe_ttl();
    let (event, input, expect) = (req.event, req.input, req.expect);
    let typed = match &input {
        Input::Text(t) => Some(t.chars().take(MAX_INPUT_CHARS).collect::<String>()),
        _ => None,
    };
    let uid = user.clone();
    let now = bot.now();
    let result = bot
        .blocking(move |b| -> Result<Option<Reply>, StoreError> {
            let intake = &b.intake;
            let Some(seen) = intake.store.sighting(&event, now, ttl)? else {
                debug!(event, "duplicate event ignored");
                return Ok(None);
            };
            if let Some((conversation, step)) = &expect {
                let pending = intake.store.active_conversation(&uid)?;
                let fresh = pending.is_some_and(|c| {
                    &c.id == conversation && c.step.as_deref() == Some(step.as_str())
                });
                if !fresh {
                    debug!(event, "click on a question that is no longer pending");
                    return Ok(None);
                }
            }
            let extras = TurnExtras {
                seen: Some(seen),
                ..TurnExtras::default()
            };
            intake.handle_with(&uid, input, now, &extras).map(Some)
        })
        .await;
    match result {
        Ok(Some(reply)) => {
            send_reply(bot, http, req.channel, &reply, req.text_by_form).await;
            bot.metrics.turn(began.elapsed());
            after_turn(bot, http, &reply, req.channel, typed.as_deref()).await;
        }
        Ok(None) => {}
        Err(e) => {
            bot.metrics.error(super::metrics::ErrorKind::Turn);
            error!(error = %e, "turn failed");
            let lang = user_lang(bot, req.user).await;
            // Not kept (a full disk): the conversation stays at the last
            // saved question ([`crate::app::store::Store::writable`]).
            let key = if e.is_unsaved() {
                "not_saved"
            } else {
                "discord_error"
            };
            say(http, req.channel, &bot.msg(key, lang)).await;
        }
    }
}

/// What a turn set in motion beyond the reply: the hand-off (the coach
/// card on `HandoffRequested`, the relay to a coach). Runs after the reply
/// was sent, still under the user's lock.
pub(crate) async fn after_turn(
    bot: &Arc<Bot>,
    http: &Http,
    reply: &Reply,
    channel: ChannelId,
    typed: Option<&str>,
) {
    for e in &reply.events {
        info!(conversation = %reply.conversation.id, event = ?e, "conversation event");
    }
    super::handoff::after_turn(bot, http, reply, channel, typed).await;
    // Offers after the advice (see `offers`), each feature its own.
    super::peers::after_intake(bot, http, reply, channel).await;
    super::followup::after_turn(bot, http, reply, channel).await;
}

/// A request to start (or resume) an intake from `/intake` or the panel.
pub(crate) struct Start {
    pub event: String,
    pub user: UserId,
    pub lang: Lang,
    pub invoked_in: ChannelId,
    pub in_guild: bool,
}

/// Where the conversation went.
pub(crate) enum Outcome {
    Dm,
    Thread(ChannelId),
    DmClosed,
    Unavailable,
    /// A redelivered start: already handled.
    Duplicate,
}

/// The ephemeral answer to the person who started.
pub(crate) fn outcome_text(bot: &Bot, outcome: &Outcome, lang: Lang) -> Option<String> {
    Some(match outcome {
        Outcome::Dm => bot.msg("discord_dm_sent", lang),
        Outcome::Thread(t) => fill(
            &bot.msg("discord_thread_ready", lang),
            &[("thread", &t.mention().to_string())],
        ),
        Outcome::DmClosed => bot.msg("discord_dm_closed", lang),
        Outcome::Unavailable => bot.msg("discord_unavailable", lang),
        Outcome::Duplicate => return None,
    })
}

/// Starts or resumes the user's intake in a DM or their private thread
/// (the caller has acknowledged the interaction already). The event is
/// recorded with the turn (one flush); in thread mode a new thread is opened
/// before the turn, so its link is written in the turn's own transaction. Counted as a turn.
pub(crate) async fn start(bot: &Arc<Bot>, http: &Http, s: Start) -> Outcome {
    let began = Instant::now();
    let outcome = start_turn(bot, http, s).await;
    match outcome {
        Outcome::Duplicate => {}
        Outcome::Unavailable => bot.metrics.error(super::metrics::ErrorKind::Turn),
        _ => bot.metrics.turn(began.elapsed()),
    }
    outcome
}

async fn start_turn(bot: &Arc<Bot>, http: &Http, s: Start) -> Outcome {
    let user = s.user.to_string();
    let _lock = bot.locks.lock(&user).await;
    let ttl = bot.config.dedupe_ttl();
    let thread_mode = bot.config.mode != Mode::Dm && s.in_guild;
    let (event, lang, uid, owner) = (s.event.clone(), s.lang, user.clone(), s.user.get());
    let now = bot.now();
    // Is the event new; the person's thread; the conversation the turn runs in.
    type Before = Option<(Sighting, Option<u64>, String, Lang)>;
    let before = bot
        .blocking(move |b| -> Result<Before, StoreError> {
            let Some(seen) = b.intake.store.sighting(&event, now, ttl)? else {
                return Ok(None);
            };
            if !thread_mode {
                return Ok(Some((seen, None, String::new(), lang)));
            }
            let (id, lang) = match b.intake.store.active_conversation(&uid)? {
                Some(c) => (c.id, c.lang),
                None => (b.intake.store.new_conversation_id()?, lang),
            };
            Ok(Some((seen, b.threads.thread_of(owner)?, id, lang)))
        })
        .await;
    let (seen, thread, id, conv_lang) = match before {
        Ok(Some(x)) => x,
        Ok(None) => return Outcome::Duplicate,
        Err(e) => {
            error!(error = %e, "cannot start a conversation");
            return Outcome::Unavailable;
        }
    };
    let run = |links: Vec<Link>, id: Option<String>| {
        let extras = TurnExtras {
            links,
            seen: Some(seen.clone()),
        };
        let uid = user.clone();
        bot.blocking(move |b| {
            b.intake
                .resume_or_start_with(&uid, Some(lang), now, &extras, id)
        })
    };
    if !thread_mode {
        let reply = match run(Vec::new(), None).await {
            Ok(r) => r,
            Err(e) => {
                error!(error = %e, "cannot start a conversation");
                return Outcome::Unavailable;
            }
        };
        let dm = match dm_channel(http, s.user).await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "cannot open a DM");
                return if dm_closed(&e) {
                    Outcome::DmClosed
                } else {
                    Outcome::Unavailable
                };
            }
        };
        // Only Discord's 50007 means closed DMs; anything else that outlasted
        // the retries is "not now".
        return match deliver(bot, http, dm, &reply, false).await {
            Sent::Delivered => Outcome::Dm,
            Sent::DmClosed => Outcome::DmClosed,
            Sent::Failed => Outcome::Unavailable,
        };
    }
    // Thread mode: the user's thread if it still takes messages, else a new one.
    let form = text_by_form(bot, true);
    if let Some(t) = thread {
        let reply = match run(Vec::new(), None).await {
            Ok(r) => r,
            Err(e) => {
                error!(error = %e, "cannot start a conversation");
                return Outcome::Unavailable;
            }
        };
        let thread = ChannelId::new(t);
        if send_reply(bot, http, thread, &reply, form).await {
            return Outcome::Thread(thread);
        }
        // The old thread is gone: a new one, linked on its own (the turn is
        // already committed).
        let Some(thread) = open_thread(bot, http, &s, &reply.conversation.id, conv_lang).await
        else {
            return Outcome::Unavailable;
        };
        let t = thread.get();
        if let Err(e) = bot.blocking(move |b| b.threads.set(owner, t)).await {
            error!(error = %e, "cannot record the thread");
        }
        return if send_reply(bot, http, thread, &reply, form).await {
            Outcome::Thread(thread)
        } else {
            Outcome::Unavailable
        };
    }
    let Some(thread) = open_thread(bot, http, &s, &id, conv_lang).await else {
        return Outcome::Unavailable;
    };
    let link = Link::IntakeThread {
        user: user.clone(),
        thread: thread.get().to_string(),
    };
    let reply = match run(vec![link], Some(id)).await {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "cannot start a conversation");
            return Outcome::Unavailable;
        }
    };
    if send_reply(bot, http, thread, &reply, form).await {
        Outcome::Thread(thread)
    } else {
        Outcome::Unavailable
    }
}

/// Opens the private intake thread for conversation `id` and adds the
/// person to it; None (logged) when Discord refuses.
async fn open_thread(
    bot: &Arc<Bot>,
    http: &Http,
    s: &Start,
    id: &str,
    lang: Lang,
) -> Option<ChannelId> {
    let parent = bot
        .config
        .intake_channel
        .map(ChannelId::new)
        .unwrap_or(s.invoked_in);
    let name = fill(&bot.msg("discord_thread_name", lang), &[("id", id)]);
    let builder = CreateThread::new(render::truncate(&name, 100))
        .kind(ChannelType::PrivateThread)
        .invitable(false)
        .auto_archive_duration(AutoArchiveDuration::OneWeek);
    let thread = match parent.create_thread(http, builder).await {
        Ok(t) => t.id,
        Err(e) => {
            warn!(error = %e, channel = %parent, "cannot create a private thread");
            return None;
        }
    };
    if let Err(e) = thread.add_thread_member(http, s.user).await {
        warn!(error = %e, "cannot add the user to their thread");
        return None;
    }
    Some(thread)
}
