//! `/mijn-gegevens` (`/my-data`): the entrepreneur's own data, ephemeral.
//!
//! Shows a short summary of what is kept, with two buttons: download
//! everything as JSON ([`privacy::own_data`]: no internal coach notes) and
//! delete everything, which first asks for an explicit second click. The
//! deletion is [`privacy::forget`] (conversations, transcripts, hand-off
//! state, indexes, thread record, data key) under the user's lock, after
//! which every coach card of theirs is edited to a placeholder
//! ([`super::handoff::forgotten`]).
//!
//! The buttons act on the clicking user's own data only: their custom ids
//! carry no user or conversation id, so nobody can act on someone else's.

use super::errors::Answer;
use super::guard::over_limit;
use super::{Bot, Context, Error};
use crate::app::privacy;
use crate::app::summary::Summary;
use crate::content::text::{fill, join_list, Lang};
use poise::CreateReply;
use serenity::all::{
    ButtonStyle, ComponentInteraction, CreateActionRow, CreateAllowedMentions, CreateAttachment,
    CreateButton, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse,
};
use std::borrow::Cow;
use std::sync::Arc;
use tracing::{error, info, warn};

const PREFIX: &str = "llo-me:";
const DOWNLOAD: &str = "llo-me:download";
const DELETE: &str = "llo-me:delete";
const CONFIRM: &str = "llo-me:confirm";
const CANCEL: &str = "llo-me:cancel";
/// Conversations shown in the overview; the download has all of them.
const SHOWN: usize = 5;

/// Whether a component belongs to `/mijn-gegevens`.
pub fn is_ours(custom_id: &str) -> bool {
    custom_id.starts_with(PREFIX)
}

/// See what is kept about you, download it or have it deleted.
#[poise::command(slash_command, rename = "mijn-gegevens")]
pub async fn my_data(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let lang = bot.lang_for(ctx.locale());
    let user = ctx.author().id.to_string();
    let uid = user.clone();
    let found = bot
        .blocking(move |b| privacy::own_summaries(&b.intake.store, &uid))
        .await;
    let extra = offer_lines(&bot, &user, lang).await;
    let reply = match found {
        Ok(all) if all.is_empty() => CreateReply::default().content(bot.msg("mydata_none", lang)),
        Ok(all) => CreateReply::default()
            .content(super::render::truncate(
                &[overview(&bot, &all, lang)]
                    .into_iter()
                    .chain(extra)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
                super::render::MAX_CONTENT,
            ))
            .components(vec![CreateActionRow::Buttons(vec![
                button(
                    &bot,
                    DOWNLOAD,
                    "mydata_download_button",
                    lang,
                    ButtonStyle::Primary,
                ),
                button(
                    &bot,
                    DELETE,
                    "mydata_delete_button",
                    lang,
                    ButtonStyle::Danger,
                ),
            ])]),
        Err(e) => {
            error!(error = %e, "cannot read a user's own data");
            CreateReply::default().content(bot.msg("mydata_failed", lang))
        }
    };
    ctx.send(
        reply
            .ephemeral(true)
            .allowed_mentions(CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}

/// Names `/mijn-gegevens` `/my-data` for English-speaking clients.
pub fn localize_name(c: &mut poise::Command<Arc<Bot>, Error>) {
    c.name_localizations = Cow::Owned(vec![
        (Cow::Borrowed("nl"), Cow::Borrowed("mijn-gegevens")),
        (Cow::Borrowed("en-US"), Cow::Borrowed("my-data")),
        (Cow::Borrowed("en-GB"), Cow::Borrowed("my-data")),
    ]);
}

fn button(bot: &Bot, id: &str, key: &str, lang: Lang, style: ButtonStyle) -> CreateButton {
    CreateButton::new(id)
        .label(super::render::truncate(
            &bot.msg(key, lang),
            super::render::MAX_BUTTON_LABEL,
        ))
        .style(style)
}

/// The short, readable overview: the newest conversations first.
pub fn overview(bot: &Bot, all: &[Summary], lang: Lang) -> String {
    let knowledge = bot.intake.knowledge();
    let content = &knowledge.content;
    let empty = bot.msg("mydata_empty_value", lang);
    let list = |v: Vec<String>| {
        if v.is_empty() {
            empty.clone()
        } else {
            join_list(&v, &bot.msg("and", lang))
        }
    };
    let date = |t: chrono::DateTime<chrono::Utc>| t.format("%d-%m-%Y").to_string();
    let mut parts = vec![fill(
        &bot.msg("mydata_intro", lang),
        &[("count", &all.len().to_string())],
    )];
    for s in all.iter().rev().take(SHOWN) {
        let concerns = s
            .concerns
            .iter()
            .map(|id| {
                content
                    .concern(id)
                    .map_or_else(|| id.clone(), |c| c.label.get(lang).to_string())
            })
            .collect();
        let p = &s.profile;
        let profile: Vec<String> = [
            p.sector.as_deref().map(|id| {
                content
                    .sector(id)
                    .map_or(id, |x| x.label.get(lang))
                    .to_string()
            }),
            p.size.as_deref().map(|id| {
                content
                    .size(id)
                    .map_or(id, |x| x.label.get(lang))
                    .to_string()
            }),
            p.region.as_deref().map(|id| {
                content
                    .province(id)
                    .map_or(id, |x| x.name.as_str())
                    .to_string()
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        let routes = s
            .routes_suggested
            .iter()
            .map(|id| {
                content
                    .route(id)
                    .map_or_else(|| id.clone(), |r| r.title.get(lang).to_string())
            })
            .collect();
        let coach = match s.handoff.requested_at {
            Some(t) => fill(&bot.msg("mydata_coach_yes", lang), &[("date", &date(t))]),
            None => bot.msg("mydata_coach_no", lang),
        };
        let mut part = fill(
            &bot.msg("mydata_conversation", lang),
            &[
                ("date", &date(s.started_at)),
                ("status", &bot.msg(super::i18n::status_key(s.status), lang)),
                ("concerns", &list(concerns)),
                ("profile", &list(profile)),
                ("routes", &list(routes)),
                ("coach", &coach),
            ],
        );
        if let Some(line) = super::followup::own_data_line(bot, s.follow_up.as_ref(), lang) {
            part = format!("{part}\n{line}");
        }
        parts.push(part);
    }
    if all.len() > SHOWN {
        parts.push(fill(
            &bot.msg("mydata_more", lang),
            &[("count", &(all.len() - SHOWN).to_string())],
        ));
    }
    super::render::truncate(&parts.join("\n\n"), super::render::MAX_CONTENT)
}

/// What `/mijn-gegevens` calls an offer made after the advice.
fn offer_label(name: &str) -> Option<&'static str> {
    match name {
        crate::domain::peers::OFFER => Some(super::peers::OFFER.label),
        crate::domain::followup::OFFER => Some(super::followup::OFFER.label),
        _ => None,
    }
}

/// The person's answers to the offers after the advice, and the state of
/// their peer introductions: one line each.
async fn offer_lines(bot: &Arc<Bot>, user: &str, lang: Lang) -> Vec<String> {
    let uid = user.to_string();
    let answers = bot
        .blocking(move |b| b.intake.store.offer_answers(&uid))
        .await
        .unwrap_or_default();
    let mut out: Vec<String> = answers
        .iter()
        .filter_map(|a| {
            let label = bot.msg(offer_label(&a.offer)?, lang);
            let answer = bot.msg(if a.accepted { "yes" } else { "no" }, lang);
            Some(fill(
                &bot.msg("mydata_offer", lang),
                &[
                    ("offer", &label),
                    ("answer", &answer),
                    ("date", &a.at.format("%d-%m-%Y").to_string()),
                ],
            ))
        })
        .collect();
    out.extend(super::peers::own_line(bot, user, lang).await);
    out
}

/// A click on one of the `/mijn-gegevens` buttons.
pub async fn on_component(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
) -> Result<(), Error> {
    let lang = answer.lang;
    // Downloads and deletions cost work: the same per-user limit as answers.
    if let Some(refusal) = over_limit(bot, ci.user.id, lang) {
        answer.first(refusal).await;
        return Ok(());
    }
    let update = |text: String, rows: Vec<CreateActionRow>| {
        CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new()
                .content(text)
                .components(rows)
                .allowed_mentions(CreateAllowedMentions::new()),
        )
    };
    match ci.data.custom_id.as_str() {
        DOWNLOAD => download(bot, answer, ci).await,
        DELETE => {
            // Asking costs nothing: the question is the first response.
            let rows = vec![CreateActionRow::Buttons(vec![
                button(
                    bot,
                    CONFIRM,
                    "mydata_confirm_button",
                    lang,
                    ButtonStyle::Danger,
                ),
                button(
                    bot,
                    CANCEL,
                    "mydata_cancel_button",
                    lang,
                    ButtonStyle::Secondary,
                ),
            ])];
            answer
                .first(update(bot.msg("mydata_confirm", lang), rows))
                .await;
        }
        CANCEL => {
            answer
                .first(update(bot.msg("mydata_cancelled", lang), Vec::new()))
                .await;
        }
        CONFIRM => delete(bot, answer, ci).await,
        _ => {
            answer.first(CreateInteractionResponse::Acknowledge).await;
        }
    }
    Ok(())
}

/// Sends the user's own data as a JSON file (a new ephemeral message).
async fn download(bot: &Arc<Bot>, answer: &Answer, ci: &ComponentInteraction) {
    let (http, lang) = (&*answer.http, answer.lang);
    let ack =
        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true));
    if !answer.first(ack).await {
        return;
    }
    let user = ci.user.id.to_string();
    let json = bot
        .blocking(move |b| -> anyhow::Result<Vec<u8>> {
            let data = privacy::own_data(&b.intake.store, &user)?;
            Ok(serde_json::to_vec_pretty(&data)?)
        })
        .await;
    let limit = match ci.attachment_size_limit as usize {
        0 => super::render::UPLOAD_LIMIT,
        n => n.min(super::render::UPLOAD_LIMIT),
    };
    let edit = EditInteractionResponse::new().allowed_mentions(CreateAllowedMentions::new());
    let edit = match json {
        Ok(bytes) if bytes.len() <= limit => edit
            .content(bot.msg("mydata_download_ready", lang))
            .new_attachment(CreateAttachment::bytes(bytes, "mijn-gegevens.json")),
        Ok(_) => edit.content(bot.msg("mydata_too_big", lang)),
        Err(e) => {
            error!(error = %format!("{e:#}"), "cannot read a user's own data");
            edit.content(bot.msg("mydata_failed", lang))
        }
    };
    if let Err(e) = ci.edit_response(http, edit).await {
        warn!(error = %e, "cannot deliver a user's own data");
    }
}

/// The confirmed deletion: forget, then turn their coach cards into placeholders.
async fn delete(bot: &Arc<Bot>, answer: &Answer, ci: &ComponentInteraction) {
    let (http, lang) = (&*answer.http, answer.lang);
    if !answer.first(CreateInteractionResponse::Acknowledge).await {
        return;
    }
    let user = ci.user.id.to_string();
    // No turn of theirs runs while their data goes.
    let lock = bot.locks.lock(&user).await;
    let done = bot
        .blocking(move |b| privacy::forget(&b.intake.store, &user))
        .await;
    drop(lock);
    let text = match done {
        Ok(f) => {
            super::handoff::forgotten(bot, http, &f).await;
            super::peers::after_forget(bot, http).await;
            info!(
                conversations = f.conversations.len(),
                cards = f.cards.len(),
                "own data deleted on request"
            );
            fill(
                &bot.msg("mydata_deleted", lang),
                &[("count", &f.conversations.len().to_string())],
            )
        }
        Err(e) => {
            error!(error = %e, "deletion failed");
            bot.msg("mydata_failed", lang)
        }
    };
    let edit = EditInteractionResponse::new()
        .content(text)
        .components(Vec::new())
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = ci.edit_response(http, edit).await {
        warn!(error = %e, "cannot confirm a deletion");
    }
}
