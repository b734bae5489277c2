//! The card in the coach channel: what it shows ([`card_view`]), posting
//! it with the queue notice ([`requested`]), redrawing it ([`update_card`],
//! the one place a card changes) and blanking it when the person's data is
//! deleted ([`erase_card`]).

use crate::app::service::HandoffAction;
use crate::app::store::{Entry, Role};
use crate::content::text::{fill, Lang};
use crate::discord::i18n::{outcome_text, reason_key};
use crate::discord::ids::CustomId;
use crate::discord::render::{escape_markdown, truncate, MAX_CONTENT};
use crate::discord::send::{mention_user, say};
use crate::discord::Bot;
use crate::domain::conversation::{CardRef, Conversation, EventKind, Status};
use crate::domain::handoff as core;
use chrono::{DateTime, Datelike};
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateMessage, EditMessage, Http, MessageId,
};
use std::sync::Arc;
use tracing::{error, warn};

/// Transcript lines shown on the card.
const EXCERPT_LINES: usize = 6;

/// Characters per transcript line on the card.
const EXCERPT_LINE_CHARS: usize = 160;

const MAX_FIELD_VALUE: usize = 1024;

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

/// The card as it should look now: content (status line with the mention),
/// the packet as an embed, and the buttons that still make sense.
pub fn card_view(
    bot: &Bot,
    conv: &Conversation,
    transcript: &[Entry],
) -> (String, CreateEmbed, Vec<CreateActionRow>) {
    let lang = bot.intake.default_lang;
    let k = bot.intake.knowledge();
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

pub(crate) async fn transcript_of(bot: &Arc<Bot>, conversation: &str) -> Vec<Entry> {
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
            if let Err(e) = bot
                .blocking(move |b| b.intake.store.card_cleared(seq))
                .await
            {
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
        .blocking(move |b| b.intake.store.handoff_conversations())
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
