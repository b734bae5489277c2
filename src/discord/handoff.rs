//! The hand-off to a coach on Discord: the card in the coach channel, the
//! claim (first one wins), taking over, the relay between a DM and the coach
//! thread, and the one reminder. The state changes are the pure ones in
//! [`crate::domain::handoff`], committed through [`Intake::handoff`](crate::app::service::Intake::handoff)
//! under the entrepreneur's lock; this module only talks to Discord.
//!
//! Where coach and entrepreneur talk:
//! * thread mode: the coach is added to the entrepreneur's private intake
//!   thread and they talk there;
//! * dm mode: the bot opens a private thread for the coach in the coach
//!   channel and relays messages both ways. The entrepreneur keeps the DM
//!   they know and never needs access to coach channels; coaches keep their
//!   notes and colleagues out of the entrepreneur's sight.
//!
//! The card shows the person's mention (in the coach channel only, never
//! pinging). [`update_card`] is the one place a card is redrawn, and
//! [`erase_card`] turns it into a placeholder when a person's data is deleted.

use super::config::Mode;
use super::errors::{act_error, Answer, UserError};
use super::ids::CustomId;
use super::perms::{is_coach, is_moderator};
use super::render::{escape_markdown, truncate, MAX_CONTENT};
use super::{Bot, Error};
use crate::app::service::{ActError, HandoffAction, Reply};
use crate::app::store::{Entry, Role, StoreError};
use crate::content::text::{fill, Lang};
use crate::domain::conversation::{CardRef, EventKind, Outcome};
use crate::domain::conversation::{Conversation, HandoffReason, Status};
use crate::domain::handoff as core;
use chrono::{DateTime, Datelike, Duration};
use serenity::all::{
    AutoArchiveDuration, ButtonStyle, ChannelId, ChannelType, ComponentInteraction,
    ComponentInteractionDataKind, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateEmbed, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    CreateSelectMenu, CreateSelectMenuKind, CreateThread, EditMessage, Http, Message, MessageId,
    RoleId, UserId,
};
use std::sync::Arc;
use tracing::{debug, error, info, warn};

/// Transcript lines shown on the card.
const EXCERPT_LINES: usize = 6;
/// Characters per transcript line on the card.
const EXCERPT_LINE_CHARS: usize = 160;
const MAX_FIELD_VALUE: usize = 1024;

/// Which coach thread (dm mode) belongs to which conversation: the
/// Discord-typed view of the store's links ([`crate::app::store::Link::CoachThread`],
/// written with the hand-off step that records the thread). Ids only; the
/// link goes when the conversation is erased.
#[derive(Clone)]
pub struct CoachThreads {
    store: crate::app::store::Store,
}

impl CoachThreads {
    pub fn open(store: &crate::app::store::Store) -> Result<CoachThreads, StoreError> {
        Ok(CoachThreads {
            store: store.clone(),
        })
    }

    pub fn conversation(&self, thread: u64) -> Result<Option<String>, StoreError> {
        self.store.coach_thread_conversation(&thread.to_string())
    }
}

/// The channel for this conversation's card: its province's coach channel,
/// else the general one.
pub fn card_channel(bot: &Bot, conv: &Conversation) -> Option<ChannelId> {
    conv.answers
        .region
        .as_ref()
        .and_then(|r| bot.config.coach_channels.get(r))
        .or(bot.config.coach_channel.as_ref())
        .map(|c| ChannelId::new(*c))
}

fn mention_user(id: &str) -> String {
    format!("<@{id}>")
}

fn outcome_key(o: Outcome) -> &'static str {
    match o {
        Outcome::Resolved => "handoff_outcome_resolved",
        Outcome::Referred => "handoff_outcome_referred",
        Outcome::NoShow => "handoff_outcome_no_show",
        Outcome::Other => "handoff_outcome_other",
    }
}

/// An outcome in words.
pub fn outcome_text(bot: &Bot, o: Outcome, lang: Lang) -> String {
    bot.msg(outcome_key(o), lang)
}

fn reason_key(r: HandoffReason) -> &'static str {
    match r {
        HandoffReason::UserRequest => "handoff_reason_user_request",
        HandoffReason::OfferAccepted => "handoff_reason_offer_accepted",
        HandoffReason::Misunderstood => "handoff_reason_misunderstood",
        HandoffReason::Moderator => "handoff_reason_moderator",
    }
}

/// The card as it should look now: content (status line with the mention),
/// the packet as an embed, and the buttons that still make sense.
pub fn card_view(
    bot: &Bot,
    conv: &Conversation,
    transcript: &[Entry],
) -> (String, CreateEmbed, Vec<CreateActionRow>) {
    let lang = bot.intake.default_lang;
    let k = &bot.intake.knowledge;
    let c = &k.content;
    let unknown = bot.msg("handoff_unknown", lang);
    let user = mention_user(&conv.user);
    let h = conv.handoff.as_ref();
    let last_by = |kind: EventKind| {
        conv.handoff_log
            .iter()
            .rev()
            .find(|e| e.kind == kind)
            .and_then(|e| e.by.clone())
            .map(|b| mention_user(&b))
            .unwrap_or_else(|| unknown.clone())
    };
    let status = match h {
        Some(h) if h.closed_at.is_some() => match h.outcome {
            Some(o) => fill(
                &bot.msg("handoff_card_closed", lang),
                &[
                    ("coach", &last_by(EventKind::Closed)),
                    ("outcome", &outcome_text(bot, o, lang)),
                ],
            ),
            None => fill(
                &bot.msg("handoff_card_handed_back", lang),
                &[("coach", &last_by(EventKind::HandedBack))],
            ),
        },
        Some(h) => match &h.coach {
            Some(coach) => fill(
                &bot.msg("handoff_card_claimed", lang),
                &[("user", &user), ("coach", &mention_user(coach))],
            ),
            None => fill(
                &bot.msg("handoff_card_waiting", lang),
                &[
                    ("user", &user),
                    ("reason", &bot.msg(reason_key(h.reason), lang)),
                ],
            ),
        },
        None => user.clone(),
    };
    let or_unknown = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or(unknown.clone());
    let a = &conv.answers;
    let concerns: Vec<String> = a
        .concerns
        .iter()
        .map(|id| {
            c.concern(id)
                .map(|x| x.label.get(lang).to_string())
                .unwrap_or_else(|| id.clone())
        })
        .collect();
    let routes: Vec<String> = conv
        .recommended
        .iter()
        .map(|id| {
            c.route(id)
                .map(|r| r.title.get(lang).to_string())
                .unwrap_or_else(|| id.clone())
        })
        .collect();
    let consent = match a.consent {
        Some(true) => bot.msg("yes", lang),
        Some(false) => bot.msg("no", lang),
        None => unknown.clone(),
    };
    let since = h
        .map(|h| {
            let t = h.requested_at.timestamp();
            format!("<t:{t}:f> (<t:{t}:R>)")
        })
        .unwrap_or_else(|| unknown.clone());
    let excerpt = excerpt(bot, transcript, lang);
    let field = |key: &str| bot.msg(key, lang);
    let value = |s: String| truncate(&s, MAX_FIELD_VALUE);
    let embed = CreateEmbed::new()
        .title(truncate(
            &fill(&bot.msg("handoff_card_title", lang), &[("id", &conv.id)]),
            256,
        ))
        .field(
            field("handoff_field_concerns"),
            value(or_unknown(Some(concerns.join(", ")))),
            false,
        )
        .field(
            field("handoff_field_sector"),
            value(or_unknown(a.sector.as_ref().map(|s| {
                c.sector(s)
                    .map(|x| x.label.get(lang).to_string())
                    .unwrap_or_else(|| s.clone())
            }))),
            true,
        )
        .field(
            field("handoff_field_size"),
            value(or_unknown(a.size.as_ref().map(|s| {
                c.size(s)
                    .map(|x| x.label.get(lang).to_string())
                    .unwrap_or_else(|| s.clone())
            }))),
            true,
        )
        .field(
            field("handoff_field_region"),
            value(or_unknown(a.region.as_ref().map(|s| {
                c.province(s)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| s.clone())
            }))),
            true,
        )
        .field(
            field("handoff_field_tried"),
            value(or_unknown(a.tried.as_deref().map(escape_markdown))),
            false,
        )
        .field(
            field("handoff_field_routes"),
            value(or_unknown(Some(routes.join(", ")))),
            false,
        )
        .field(
            field("handoff_field_language"),
            conv.lang.code().to_string(),
            true,
        )
        .field(field("handoff_field_consent"), consent, true)
        .field(field("handoff_field_waiting"), since, true)
        .field(
            field("handoff_field_excerpt"),
            value(or_unknown(Some(excerpt))),
            false,
        );
    let open = h.is_some_and(|h| h.closed_at.is_none()) && conv.status == Status::Handoff;
    let waiting = h.is_some_and(|h| h.is_waiting());
    let mut buttons = Vec::new();
    if open && waiting {
        buttons.push(
            CreateButton::new(
                CustomId::Claim {
                    conversation: conv.id.clone(),
                }
                .encode(),
            )
            .label(truncate(&bot.msg("handoff_claim_button", lang), 80))
            .style(ButtonStyle::Success),
        );
    }
    if open {
        buttons.push(
            CreateButton::new(
                CustomId::Assign {
                    conversation: conv.id.clone(),
                }
                .encode(),
            )
            .label(truncate(&bot.msg("handoff_assign_button", lang), 80))
            .style(ButtonStyle::Secondary),
        );
    }
    let rows = if buttons.is_empty() {
        Vec::new()
    } else {
        vec![CreateActionRow::Buttons(buttons)]
    };
    (truncate(&status, MAX_CONTENT), embed, rows)
}

/// The last lines of the conversation the entrepreneur saw or wrote
/// (never internal notes or system lines).
fn excerpt(bot: &Bot, transcript: &[Entry], lang: Lang) -> String {
    let lines: Vec<String> = transcript
        .iter()
        .filter(|e| matches!(e.role, Role::User | Role::Bot | Role::Coach))
        .rev()
        .take(EXCERPT_LINES)
        .map(|e| {
            let text = escape_markdown(&truncate(&e.text.replace('\n', " "), EXCERPT_LINE_CHARS));
            match e.role {
                Role::User => fill(&bot.msg("handoff_relay_user", lang), &[("text", &text)]),
                Role::Coach => fill(
                    &bot.msg("handoff_relay_coach", lang),
                    &[
                        (
                            "coach",
                            &e.author.as_deref().map(mention_user).unwrap_or_default(),
                        ),
                        ("text", &text),
                    ],
                ),
                _ => fill(&bot.msg("handoff_excerpt_bot", lang), &[("text", &text)]),
            }
        })
        .collect();
    let mut out = String::new();
    for l in lines.into_iter().rev() {
        if out.chars().count() + l.chars().count() + 1 > MAX_FIELD_VALUE {
            out.clear();
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&l);
    }
    out
}

async fn transcript_of(bot: &Arc<Bot>, conversation: &str) -> Vec<Entry> {
    let id = conversation.to_string();
    bot.blocking(move |b| b.intake.store.transcript(&id))
        .await
        .unwrap_or_default()
}

/// Posts the card for a new hand-off and records where it is.
async fn post_card(bot: &Arc<Bot>, http: &Http, conv: &Conversation) -> Option<Conversation> {
    let Some(channel) = card_channel(bot, conv) else {
        warn!(
            conversation = %conv.id,
            "hand-off requested but no coach_channel is configured"
        );
        return None;
    };
    let transcript = transcript_of(bot, &conv.id).await;
    let (content, embed, rows) = card_view(bot, conv, &transcript);
    let m = CreateMessage::new()
        .content(content)
        .embed(embed)
        .components(rows)
        .allowed_mentions(CreateAllowedMentions::new());
    let posted = match channel.send_message(http, m).await {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, channel = %channel, "cannot post the hand-off card");
            return None;
        }
    };
    let card = CardRef {
        channel: channel.get().to_string(),
        message: posted.id.get().to_string(),
    };
    let (id, now) = (conv.id.clone(), bot.now());
    match bot
        .blocking(move |b| b.intake.handoff(&id, HandoffAction::CardPosted(card), now))
        .await
    {
        Ok(r) => Some(r.conversation),
        Err(e) => {
            error!(error = %e, "cannot record the hand-off card");
            None
        }
    }
}

fn card_ids(card: &CardRef) -> Option<(ChannelId, MessageId)> {
    Some((
        ChannelId::new(card.channel.parse().ok()?),
        MessageId::new(card.message.parse().ok()?),
    ))
}

/// Redraws a conversation's card to its current state (claimed, handed
/// back, closed). The one place cards change.
pub async fn update_card(bot: &Arc<Bot>, http: &Http, conv: &Conversation) {
    let Some((channel, message)) = conv
        .handoff
        .as_ref()
        .and_then(|h| h.card.as_ref())
        .and_then(card_ids)
    else {
        return;
    };
    let transcript = transcript_of(bot, &conv.id).await;
    let (content, embed, rows) = card_view(bot, conv, &transcript);
    let edit = EditMessage::new()
        .content(content)
        .embed(embed)
        .components(rows)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = channel.edit_message(http, message, edit).await {
        warn!(error = %e, "cannot update the hand-off card");
    }
}

/// Turns a card into a placeholder (the person's data was deleted): no
/// mention, no packet, no buttons. Returns whether the card is blank now:
/// Discord confirmed the edit, or no longer has the message (404).
pub async fn erase_card(bot: &Bot, http: &Http, card: &CardRef) -> bool {
    let Some((channel, message)) = card_ids(card) else {
        return true;
    };
    let edit = EditMessage::new()
        .content(bot.msg("handoff_card_removed", bot.intake.default_lang))
        .embeds(Vec::new())
        .components(Vec::new())
        .allowed_mentions(CreateAllowedMentions::new());
    match channel.edit_message(http, message, edit).await {
        Ok(_) => true,
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)))
            if r.status_code.as_u16() == 404 =>
        {
            true
        }
        Err(e) => {
            warn!(error = %e, "cannot erase the hand-off card; trying again later");
            false
        }
    }
}

/// After a person's data was deleted (`privacy::forget`, which also removed
/// their thread links and queued their cards): the cards become
/// placeholders. Closing or deleting the threads themselves is left to the caller.
pub async fn forgotten(bot: &Arc<Bot>, http: &Http, _f: &crate::app::store::Forgotten) {
    clean_up(bot, http).await;
}

/// Blanks the coach cards the store queued when their conversations were
/// erased (here, by the CLI while the bot was stopped, or by the retention
/// sweep); each leaves the queue once Discord confirmed. Run at start, after
/// an erasure here, and every [`CLEAN_UP_EVERY`].
pub async fn clean_up(bot: &Arc<Bot>, http: &Http) {
    let pending = match bot.blocking(|b| b.intake.store.pending_cards()).await {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "cannot read the cards to blank");
            return;
        }
    };
    for p in pending {
        if erase_card(bot, http, &p.card).await {
            let seq = p.seq;
            if let Err(e) = bot.blocking(move |b| b.intake.store.card_cleared(seq)).await {
                warn!(error = %e, "cannot mark a card as blanked");
            }
        }
    }
}

/// How often [`spawn_clean_up`] looks for cards to blank.
pub const CLEAN_UP_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// [`clean_up`] every [`CLEAN_UP_EVERY`] until shutdown (for the retention
/// sweep running in this process, and cards Discord refused before).
pub fn spawn_clean_up(bot: &Arc<Bot>, http: Arc<Http>) {
    let weak = Arc::downgrade(bot);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLEAN_UP_EVERY);
        tick.tick().await; // the first tick is immediate: start-up did that pass
        loop {
            tick.tick().await;
            let Some(bot) = weak.upgrade() else { return };
            if bot.gate.is_closed() {
                return;
            }
            clean_up(&bot, &http).await;
        }
    });
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

/// A weekday and time in the entrepreneur's language ("maandag 09:00").
fn when_text(bot: &Bot, at: &DateTime<chrono_tz::Tz>, lang: Lang) -> String {
    let days = bot.msg("handoff_days", lang);
    let day = days
        .split(',')
        .nth(at.weekday().num_days_from_monday() as usize)
        .map(str::trim)
        .unwrap_or("");
    format!("{day} {}", at.format("%H:%M")).trim().to_string()
}

/// After a request: the card goes to the coaches, and the entrepreneur
/// hears their place in the queue (and, outside support hours, when to
/// expect a reply). The caller holds the entrepreneur's lock.
pub async fn requested(bot: &Arc<Bot>, http: &Http, conv: &Conversation, channel: ChannelId) {
    let conv = post_card(bot, http, conv).await.unwrap_or(conv.clone());
    let now = bot.now();
    let position = bot
        .blocking(move |b| b.intake.store.conversations())
        .await
        .map(|all| core::queue(&all, now))
        .ok()
        .and_then(|q| q.into_iter().find(|e| e.conversation == conv.id))
        .map(|e| e.position);
    let lang = conv.lang;
    let mut text = String::new();
    if let Some(p) = position {
        text = fill(
            &bot.msg("handoff_queue_position", lang),
            &[("position", &p.to_string())],
        );
    }
    if let Some(next) = bot
        .config
        .support_hours
        .as_ref()
        .and_then(|h| h.next_open(now))
    {
        let line = fill(
            &bot.msg("handoff_outside_hours", lang),
            &[("when", &when_text(bot, &next, lang))],
        );
        text = if text.is_empty() {
            line
        } else {
            format!("{text} {line}")
        };
    }
    if !text.is_empty() {
        say(http, channel, &text).await;
        let id = conv.id.clone();
        let line = Entry::new(now, Role::Bot, text);
        if let Err(e) = bot
            .blocking(move |b| b.intake.store.append(&id, &[line]))
            .await
        {
            warn!(error = %e, "cannot record the queue notice");
        }
    }
}

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
            if let Some(ev) = event {
                if !b.intake.store.first_sighting(&ev, now, ttl)? {
                    return Ok(false);
                }
            }
            b.intake.coach_line(&id, Role::Coach, &author, &line, now)?;
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

/// Loads a conversation by id.
pub async fn load(bot: &Arc<Bot>, conversation: &str) -> Option<Conversation> {
    let id = conversation.to_string();
    bot.blocking(move |b| b.intake.store.conversation(&id))
        .await
        .ok()
        .flatten()
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
    let Some(conv) = load(bot, conversation).await else {
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

/// Starts the reminder loop: every `reminder_check_secs` (or per test tick)
/// it pings the coach role once for each hand-off waiting longer than
/// `reminder_after_mins`. The "reminded" mark is stored in the
/// conversation, so a restart neither repeats nor forgets a reminder.
pub fn spawn_reminders(bot: &Arc<Bot>, http: Arc<Http>) {
    let weak = Arc::downgrade(bot);
    let ticks = bot
        .reminder_ticks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let every = std::time::Duration::from_secs(bot.config.reminder_check_secs.max(1));
    tokio::spawn(async move {
        match ticks {
            Some(mut rx) => {
                while let Some(done) = rx.recv().await {
                    let Some(bot) = weak.upgrade() else { return };
                    reminder_pass(&bot, &http).await;
                    let _ = done.send(());
                }
            }
            None => {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let Some(bot) = weak.upgrade() else { return };
                    if bot.gate.is_closed() {
                        return;
                    }
                    reminder_pass(&bot, &http).await;
                }
            }
        }
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
    let due: Vec<Conversation> = match bot.blocking(move |b| b.intake.store.conversations()).await {
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
        let Some(conv) = load(bot, &c.id).await else {
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
