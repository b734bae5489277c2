//! `/stats` for moderators: the report's key figures as one PNG chart and a
//! few lines of text, ephemeral. The same counts, filters and suppression
//! as `llo-intake report` (both call [`report::build`]); the picture is
//! drawn in-process by [`report::png`] with an embedded font.
//!
//! Refusals and failures take the adapter's one path: the moderator check
//! ([`super::perms::moderator_at_once`]) and [`super::commands::on_error`].

use super::export::say;
use super::{Bot, Context, Error};
use crate::app::export::parse_date;
use crate::app::report::{self, Filter, Options};
use crate::content::text::{fill, Lang};
use serenity::all::{CommandOptionType, CreateAttachment};
use std::borrow::Cow;
use std::sync::Arc;
use tracing::info;

/// Key figures of the network as a chart (moderators).
#[poise::command(
    slash_command,
    rename = "stats",
    guild_only,
    check = "super::perms::moderator_at_once"
)]
pub async fn stats(
    ctx: Context<'_>,
    since: Option<String>,
    until: Option<String>,
    // An index into the provinces, filled in at registration ([`localize`]).
    region: Option<u32>,
) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    let lang = bot.lang_for(ctx.locale());
    ctx.defer_ephemeral().await?;
    let date = |s: &Option<String>, end| match s {
        None => Ok(None),
        Some(v) => parse_date(v, end)
            .map(Some)
            .map_err(|_| fill(&bot.msg("export_bad_date", lang), &[("value", v)])),
    };
    let (since, until) = match (date(&since, false), date(&until, true)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(text), _) | (_, Err(text)) => return say(ctx, text, None).await,
    };
    let regions = region
        .and_then(|i| {
            let k = bot.intake.knowledge();
            k.content.provinces.get(i as usize).map(|p| p.id.clone())
        })
        .into_iter()
        .collect();
    let opts = Options {
        filter: Filter {
            since,
            until,
            regions,
        },
        lang,
        top: 10,
    };
    let (text, png, week) = bot
        .blocking(move |b| -> anyhow::Result<_> {
            let content = &b.intake.knowledge().content;
            let r = report::build(&b.intake.store, content, &opts)?;
            let png = report::png::stats(&r)?;
            Ok((r.key_text(content), png, r.week.clone()))
        })
        .await?;
    info!(bytes = png.len(), "stats delivered on Discord");
    let file = CreateAttachment::bytes(png, format!("llo-stats-{week}.png"));
    say(ctx, text, Some(file)).await
}

/// Describes the options in nl and en; the region choices are the provinces.
pub fn localize(c: &mut poise::Command<Arc<Bot>, Error>, bot: &Bot) {
    let content = &bot.intake.knowledge().content;
    let text = |key: &str, lang| super::render::truncate(&bot.msg(key, lang), 100);
    let default = bot.intake.default_lang;
    for p in &mut c.parameters {
        let key = format!("stats_param_{}", p.name);
        p.description = Some(Cow::Owned(text(&key, default)));
        p.description_localizations = Cow::Owned(super::i18n::locales(
            text(&key, Lang::Nl),
            text(&key, Lang::En),
        ));
        if p.name == "region" {
            p.choices = Cow::Owned(
                content
                    .provinces
                    .iter()
                    .take(25)
                    .map(|x| poise::CommandParameterChoice {
                        name: Cow::Owned(super::render::truncate(&x.name, 100)),
                        localizations: Cow::Owned(Vec::new()),
                        __non_exhaustive: (),
                    })
                    .collect(),
            );
            p.type_setter = Some(|b| b.kind(CommandOptionType::Integer));
        }
    }
}
