//! The match card in the coach channel: both packets (only what each person
//! agreed to share), how near they are, and Approve, Approve and join, and
//! Reject while it waits for a coach. Once a proposal is over the card keeps
//! only its status line: the packets go. When a person's data is deleted the
//! card is blanked through the store's `cleanup` queue, like a hand-off card.

use super::id;
use crate::app::store::Side;
use crate::content::text::{fill, Lang};
use crate::discord::render::{escape_markdown, truncate, MAX_BUTTON_LABEL, MAX_CONTENT};
use crate::discord::send::mention_user;
use crate::discord::Bot;
use crate::domain::conversation::CardRef;
use crate::domain::peers::{Ended, Nearness, Packet, Proposal, Stage};
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateMessage, EditMessage, Http, MessageId,
};
use std::sync::Arc;
use tracing::warn;

const MAX_FIELD_VALUE: usize = 1024;

/// The coach channel for a proposal: the first person's province channel,
/// else the general one.
pub(crate) fn card_channel(bot: &Bot, first: &Packet) -> Option<ChannelId> {
    first
        .province
        .as_ref()
        .and_then(|r| bot.config.coach_channels.get(r))
        .or(bot.config.coach_channel.as_ref())
        .map(|c| ChannelId::new(*c))
}

fn label(bot: &Bot, lang: Lang, v: Option<&str>, f: impl Fn(&str) -> Option<String>) -> String {
    v.map(|id| f(id).unwrap_or_else(|| id.to_string()))
        .unwrap_or_else(|| bot.msg("handoff_unknown", lang))
}

/// The place a packet names: its labour-market region, else its province.
pub(crate) fn place(bot: &Bot, p: &Packet, lang: Lang) -> String {
    let c = &bot.intake.knowledge().content;
    match &p.labour_market_region {
        Some(r) => label(bot, lang, Some(r), |id| {
            c.labour_market_region(id).map(|x| x.name.clone())
        }),
        None => province(bot, p, lang),
    }
}

fn province(bot: &Bot, p: &Packet, lang: Lang) -> String {
    let c = &bot.intake.knowledge().content;
    label(bot, lang, p.province.as_deref(), |id| {
        c.province(id).map(|x| x.name.clone())
    })
}

pub(crate) fn concern(bot: &Bot, id: &str, lang: Lang) -> String {
    bot.intake
        .knowledge()
        .content
        .concern(id)
        .map_or_else(|| id.to_string(), |c| c.label.get(lang).to_string())
}

/// One packet as text: exactly what the person agreed to share.
pub(crate) fn packet_text(bot: &Bot, p: &Packet, concern_id: &str, lang: Lang) -> String {
    let c = &bot.intake.knowledge().content;
    let mut text = fill(
        &bot.msg("peers_packet", lang),
        &[
            ("name", &escape_markdown(&p.display_name)),
            (
                "sector",
                &label(bot, lang, p.sector.as_deref(), |id| {
                    c.sector(id).map(|x| x.label.get(lang).to_string())
                }),
            ),
            (
                "size",
                &label(bot, lang, p.size.as_deref(), |id| {
                    c.size(id).map(|x| x.label.get(lang).to_string())
                }),
            ),
            ("region", &place(bot, p, lang)),
            ("concern", &concern(bot, concern_id, lang)),
        ],
    );
    if let Some(l) = &p.line {
        text.push('\n');
        text.push_str(&fill(
            &bot.msg("peers_packet_line", lang),
            &[("line", &escape_markdown(l))],
        ));
    }
    text
}

/// How near the two are, in a sentence (the province is said when the
/// region differs).
pub(crate) fn nearness_text(bot: &Bot, p: &Proposal, first: &Packet, lang: Lang) -> String {
    match p.nearness {
        Nearness::Region => fill(
            &bot.msg("peers_near_region", lang),
            &[("region", &place(bot, first, lang))],
        ),
        Nearness::Province => fill(
            &bot.msg("peers_near_province", lang),
            &[("province", &province(bot, first, lang))],
        ),
    }
}

fn ended_key(e: Ended) -> &'static str {
    match e {
        Ended::Rejected => "peers_card_rejected",
        Ended::Declined => "peers_card_declined",
        Ended::TimedOut => "peers_card_timed_out",
        Ended::Withdrawn => "peers_card_withdrawn",
    }
}

/// The card as it should look now.
pub(crate) fn card_view(
    bot: &Bot,
    p: &Proposal,
    sides: &[Option<Side>; 2],
) -> (String, Vec<CreateEmbed>, Vec<CreateActionRow>) {
    let lang = bot.intake.default_lang;
    let coach = p.coach.as_deref().map(mention_user).unwrap_or_default();
    let status = match p.stage {
        Stage::Coach => bot.msg("peers_card_waiting", lang),
        Stage::People => fill(&bot.msg("peers_card_approved", lang), &[("coach", &coach)]),
        Stage::Introduced => match &p.thread {
            Some(t) => fill(
                &bot.msg("peers_card_introduced", lang),
                &[("thread", &format!("<#{t}>"))],
            ),
            None => bot.msg("peers_card_introducing", lang),
        },
        Stage::Ended(e) => fill(&bot.msg(ended_key(e), lang), &[("coach", &coach)]),
    };
    let status = fill(&status, &[("id", &p.id)]);
    let mut embeds = Vec::new();
    if let (true, [Some(a), Some(b)]) = (p.is_open(), sides) {
        let mut e = CreateEmbed::new()
            .title(truncate(
                &fill(&bot.msg("peers_card_title", lang), &[("id", &p.id)]),
                256,
            ))
            .description(truncate(
                &nearness_text(bot, p, &a.packet, lang),
                MAX_FIELD_VALUE,
            ));
        for s in [a, b] {
            e = e.field(
                truncate(&s.packet.display_name, 256),
                truncate(
                    &packet_text(bot, &s.packet, &p.concern, lang),
                    MAX_FIELD_VALUE,
                ),
                true,
            );
        }
        if let Some(n) = a.note.as_deref() {
            e = e.field(
                bot.msg("peers_card_note", lang),
                truncate(&escape_markdown(n), MAX_FIELD_VALUE),
                false,
            );
        }
        embeds.push(e);
    }
    let mut rows = Vec::new();
    if p.stage == Stage::Coach {
        let b = |what: &str, key: &str, style| {
            CreateButton::new(id(&[what, &p.id]))
                .label(truncate(&bot.msg(key, lang), MAX_BUTTON_LABEL))
                .style(style)
        };
        rows.push(CreateActionRow::Buttons(vec![
            b("ok", "peers_approve_button", ButtonStyle::Success),
            b("okjoin", "peers_approve_join_button", ButtonStyle::Primary),
            b("reject", "peers_reject_button", ButtonStyle::Danger),
        ]));
    }
    (truncate(&status, MAX_CONTENT), embeds, rows)
}

fn card_ids(card: &CardRef) -> Option<(ChannelId, MessageId)> {
    Some((
        ChannelId::new(card.channel.parse().ok()?),
        MessageId::new(card.message.parse().ok()?),
    ))
}

/// Posts the card of a new proposal; returns where it is.
pub(crate) async fn post_card(
    bot: &Arc<Bot>,
    http: &Http,
    p: &Proposal,
    sides: &[Option<Side>; 2],
) -> Option<CardRef> {
    let first = sides[0].as_ref()?;
    let Some(channel) = card_channel(bot, &first.packet) else {
        warn!(proposal = %p.id, "a peer proposal but no coach_channel is configured");
        return None;
    };
    let (content, embeds, rows) = card_view(bot, p, sides);
    let m = CreateMessage::new()
        .content(content)
        .embeds(embeds)
        .components(rows)
        .allowed_mentions(CreateAllowedMentions::new());
    match channel.send_message(http, m).await {
        Ok(m) => Some(CardRef {
            channel: channel.get().to_string(),
            message: m.id.get().to_string(),
        }),
        Err(e) => {
            warn!(error = %e, channel = %channel, "cannot post the match card");
            None
        }
    }
}

/// Both sides of a proposal, as far as they can still be read.
pub(crate) async fn sides_of(bot: &Arc<Bot>, p: &Proposal) -> [Option<Side>; 2] {
    let (id, keys) = (p.id.clone(), p.people.clone());
    bot.blocking(move |b| -> Result<_, crate::app::store::StoreError> {
        let s = &b.intake.store;
        Ok([
            s.proposal_side(&id, &keys[0])?,
            s.proposal_side(&id, &keys[1])?,
        ])
    })
    .await
    .unwrap_or_else(|e| {
        warn!(error = %e, "cannot read a proposal's sides");
        [None, None]
    })
}

/// One card edit at a time, each drawn from the stored state: two changes
/// close together (two answers) never leave the older one on the card.
static CARD_EDITS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Redraws a proposal's card to its current (stored) state.
pub(crate) async fn update_card(bot: &Arc<Bot>, http: &Http, p: &Proposal) {
    let _guard = CARD_EDITS.lock().await;
    let id = p.id.clone();
    let p = match bot.blocking(move |b| b.intake.store.proposal(&id)).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return, // Gone (forgotten): the clean-up blanks its card.
        Err(e) => {
            warn!(error = %e, "cannot read a proposal");
            return;
        }
    };
    let p = &p;
    let Some((channel, message)) = p.card.as_ref().and_then(card_ids) else {
        return;
    };
    let sides = sides_of(bot, p).await;
    let (content, embeds, rows) = card_view(bot, p, &sides);
    let edit = EditMessage::new()
        .content(content)
        .embeds(embeds)
        .components(rows)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = channel.edit_message(http, message, edit).await {
        warn!(error = %e, "cannot update the match card");
    }
}
