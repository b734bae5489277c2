//! Joining and leaving the peer pool: the offer after the advice, the form
//! for one line in their own words, `/kennismaken` (`/meet-peers`) at any
//! time, and withdrawing. Declining records a no and changes nothing else.

use super::{active, form_text, id, FORM_INPUT, OFFER, PEERS};
use crate::app::service::Reply;
use crate::app::store::{PoolEntry, StoreError};
use crate::content::text::{fill, Lang};
use crate::discord::errors::Answer;
use crate::discord::offers::{self, Click};
use crate::discord::render::{truncate, MAX_BUTTON_LABEL};
use crate::discord::{Bot, Context, Error};
use crate::domain::conversation::Conversation;
use crate::domain::peers::{Packet, Stage, MAX_LINE_CHARS};
use poise::CreateReply;
use serenity::all::{
    ButtonStyle, ChannelId, ComponentInteraction, CreateActionRow, CreateAllowedMentions,
    CreateButton, CreateInputText, CreateInteractionResponse, CreateModal, Http, InputTextStyle,
    Member, ModalInteraction, User,
};
use std::borrow::Cow;
use std::sync::Arc;
use tracing::{error, info};

/// What a match would see of this conversation's person, when it holds
/// enough to match on (a confirmed concern and a place).
pub(crate) fn packet_from(conv: &Conversation, name: &str, line: Option<&str>) -> Option<Packet> {
    let a = &conv.answers;
    let province = a
        .region
        .clone()
        .filter(|p| crate::content::check::PROVINCES.contains(&p.as_str()));
    if a.concerns.is_empty() || (a.labour_market_region.is_none() && province.is_none()) {
        return None;
    }
    Some(Packet {
        display_name: truncate(name, 80),
        sector: a.sector.clone(),
        size: a.size.clone(),
        labour_market_region: a.labour_market_region.clone(),
        province,
        concerns: a.concerns.clone(),
        line: line
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| truncate(&l.replace('\n', " "), MAX_LINE_CHARS)),
    })
}

/// The name a match sees: the server nickname, else the display name, else the user name.
fn display_name(member: Option<&Member>, user: &User) -> String {
    member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone())
}

/// After a turn: offer introductions when it just finished an intake with
/// advice that holds enough to match on.
pub(crate) async fn after_intake(bot: &Arc<Bot>, http: &Http, reply: &Reply, channel: ChannelId) {
    if !active(bot) || !offers::after_advice(reply) {
        return;
    }
    if packet_from(&reply.conversation, "", None).is_none() {
        return;
    }
    offers::ask(bot, http, channel, &OFFER, reply).await;
}

/// The form for one line in their own words (may stay empty).
fn line_form(bot: &Bot, conversation: &str, lang: Lang) -> CreateInteractionResponse {
    CreateInteractionResponse::Modal(
        CreateModal::new(
            id(&["line", conversation]),
            truncate(&bot.msg("peers_line_title", lang), 45),
        )
        .components(vec![CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                truncate(&bot.msg("peers_line_label", lang), 45),
                FORM_INPUT,
            )
            .max_length(MAX_LINE_CHARS as u16)
            .required(false),
        )]),
    )
}

/// Yes opens the form for their line; no records a no.
pub(crate) async fn on_offer(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    click: Click,
) -> Result<(), Error> {
    let lang = answer.lang;
    if !active(bot) {
        answer
            .first(offers::answered(&bot.msg("peers_off", lang)))
            .await;
        return Ok(());
    }
    if click.yes {
        answer
            .first(line_form(bot, &click.conversation, lang))
            .await;
        return Ok(());
    }
    offers::record(
        bot,
        &ci.user.id.to_string(),
        OFFER.name,
        false,
        Some(click.conversation),
        lang,
    )
    .await?;
    answer
        .first(offers::answered(&bot.msg("peers_declined", lang)))
        .await;
    Ok(())
}

/// The person's newest conversation that holds enough to match on, or
/// `conversation` when it does.
fn matchable(b: &Bot, user: &str, conversation: &str) -> Result<Option<Conversation>, StoreError> {
    let store = &b.intake.store;
    let mine = |c: &Conversation| c.user == user && packet_from(c, "", None).is_some();
    if let Some(c) = store.conversation(conversation)?.filter(mine) {
        return Ok(Some(c));
    }
    let mut ids = store.user_conversations(user)?;
    ids.sort();
    for id in ids.iter().rev() {
        if let Some(c) = store.conversation(id)?.filter(mine) {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// The submitted form: they join the pool with their packet, and the pool
/// is matched at once.
pub(crate) async fn on_line(
    bot: &Arc<Bot>,
    answer: &Answer,
    mi: &ModalInteraction,
    conversation: &str,
) -> Result<(), Error> {
    let lang = answer.lang;
    let user = mi.user.id.to_string();
    let name = display_name(mi.member.as_ref(), &mi.user);
    let line = form_text(mi);
    let (uid, conv_id, now) = (user.clone(), conversation.to_string(), bot.now());
    let guard = PEERS.lock().await;
    let joined = bot
        .blocking(move |b| -> Result<Option<Conversation>, StoreError> {
            let Some(conv) = matchable(b, &uid, &conv_id)? else {
                return Ok(None);
            };
            let Some(packet) = packet_from(&conv, &name, Some(&line)) else {
                return Ok(None);
            };
            let since = b.intake.store.pool_entry(&uid)?.map_or(now, |e| e.since);
            b.intake.store.join_pool(&PoolEntry {
                user: uid.clone(),
                packet,
                lang: conv.lang,
                since,
            })?;
            Ok(Some(conv))
        })
        .await?;
    drop(guard);
    let Some(conv) = joined else {
        answer
            .first(offers::answered(&bot.msg("peers_need_intake", lang)))
            .await;
        return Ok(());
    };
    offers::record(bot, &user, OFFER.name, true, Some(conv.id), conv.lang).await?;
    answer
        .first(offers::answered(&bot.msg("peers_joined", lang)))
        .await;
    info!("someone joined the peer pool");
    super::flow::run_matching(bot, &answer.http).await;
    Ok(())
}

/// The withdraw button: out of the pool; an open proposal ends quietly.
pub(crate) async fn withdraw(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
) -> Result<(), Error> {
    let lang = answer.lang;
    let user = ci.user.id.to_string();
    let (uid, now) = (user.clone(), bot.now());
    let guard = PEERS.lock().await;
    let ended = bot
        .blocking(move |b| {
            let key = b.intake.store.peer_key(&uid);
            b.intake
                .store
                .leave_pool(&uid, now)
                .map(|ended| (key, ended))
        })
        .await?;
    drop(guard);
    offers::record(bot, &user, OFFER.name, false, None, lang).await?;
    answer
        .first(offers::answered(&bot.msg("peers_withdrawn", lang)))
        .await;
    let (key, ended) = ended;
    for p in ended {
        super::flow::ended(bot, &answer.http, &p, Some(&key)).await;
    }
    Ok(())
}

/// Meet another entrepreneur from your region who works on the same thing.
#[poise::command(slash_command, rename = "kennismaken")]
pub async fn peers_command(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let lang = bot.lang_for(ctx.locale());
    let user = ctx.author().id.to_string();
    let mut reply = CreateReply::default()
        .ephemeral(true)
        .allowed_mentions(CreateAllowedMentions::new());
    if !active(&bot) {
        ctx.send(reply.content(bot.msg("peers_off", lang))).await?;
        return Ok(());
    }
    let found = bot
        .blocking(move |b| -> Result<_, StoreError> {
            Ok((b.intake.store.pool_entry(&user)?, matchable(b, &user, "")?))
        })
        .await;
    reply = match found {
        Ok((Some(_), _)) => reply
            .content(bot.msg("peers_in_pool", lang))
            .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(id(
                &["withdraw"],
            ))
            .label(truncate(
                &bot.msg("peers_withdraw_button", lang),
                MAX_BUTTON_LABEL,
            ))
            .style(ButtonStyle::Danger)])]),
        Ok((None, Some(conv))) => reply
            .content(offers::text(&bot, &OFFER, lang))
            .components(offers::buttons(&bot, &OFFER, &conv.id, lang)),
        Ok((None, None)) => reply.content(bot.msg("peers_need_intake", lang)),
        Err(e) => {
            error!(error = %e, "cannot read the peer pool");
            reply.content(bot.msg("mydata_failed", lang))
        }
    };
    ctx.send(reply).await?;
    Ok(())
}

/// Names `/kennismaken` `/meet-peers` for English-speaking clients.
pub(crate) fn localize_name(c: &mut poise::Command<Arc<Bot>, Error>) {
    c.name_localizations = Cow::Owned(vec![
        (Cow::Borrowed("nl"), Cow::Borrowed("kennismaken")),
        (Cow::Borrowed("en-US"), Cow::Borrowed("meet-peers")),
        (Cow::Borrowed("en-GB"), Cow::Borrowed("meet-peers")),
    ]);
}

/// The line `/mijn-gegevens` shows about introductions (None: never joined).
pub(crate) async fn own_line(bot: &Arc<Bot>, user: &str, lang: Lang) -> Option<String> {
    let user = user.to_string();
    let (entry, proposals) = bot
        .blocking(move |b| -> Result<_, StoreError> {
            Ok((
                b.intake.store.pool_entry(&user)?,
                b.intake.store.proposals_of(&user)?,
            ))
        })
        .await
        .ok()?;
    let open = proposals.iter().any(|p| p.is_open());
    let introduced = proposals
        .iter()
        .filter(|p| p.stage == Stage::Introduced)
        .count();
    let state = match (&entry, open) {
        (Some(_), true) => bot.msg("mydata_peers_proposed", lang),
        (Some(_), false) => bot.msg("mydata_peers_waiting", lang),
        (None, _) if proposals.is_empty() => return None,
        (None, _) => bot.msg("mydata_peers_out", lang),
    };
    Some(fill(
        &bot.msg("mydata_peers", lang),
        &[("state", &state), ("introduced", &introduced.to_string())],
    ))
}
