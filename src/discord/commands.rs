//! Slash commands (poise): `/intake` and `/intake-panel` here; `/export`
//! and `/mijn-gegevens` live in [`super::export`] and [`super::privacy`].
//!
//! Descriptions come from the content (`discord_cmd_*` in nl and en) and are
//! registered with Dutch and English localizations; the default is the
//! deployment's default language. Errors never reach the user as internals:
//! [`on_error`] logs them and answers with a sentence from the content.

use super::errors::{internal, text_for};
use super::ids::CustomId;
use super::intake::{self as handler, interaction_event, Outcome, Start};
use super::{Bot, Context, Error};
use crate::content::text::Lang;
use poise::CreateReply;
use serenity::all::{
    ButtonStyle, Command, CreateActionRow, CreateAllowedMentions, CreateButton, CreateMessage,
    GuildId, Http,
};
use std::borrow::Cow;
use std::sync::Arc;
use tracing::{error, info, warn};

/// Starts your intake (or picks it up where you left it).
#[poise::command(slash_command, rename = "intake")]
pub async fn intake(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    // Acknowledge first: opening a DM or a thread can take a while.
    ctx.defer_ephemeral().await?;
    let lang = bot.lang_for(ctx.locale());
    let outcome = handler::start(
        &bot,
        ctx.http(),
        Start {
            event: interaction_event(ctx.id()),
            user: ctx.author().id,
            lang,
            invoked_in: ctx.channel_id(),
            in_guild: ctx.guild_id().is_some(),
        },
    )
    .await;
    if let Some(text) = handler::outcome_text(&bot, &outcome, lang) {
        ctx.send(CreateReply::default().content(text).ephemeral(true))
            .await?;
    }
    if matches!(outcome, Outcome::Unavailable) {
        warn!("an intake could not be started");
    }
    Ok(())
}

// Discord shows /intake-panel only to members with Manage Server, unless the
// server's admins allow other roles (Server Settings > Integrations). Discord
// enforces that, so the bot does not second-guess it.
/// Posts the start button.
#[poise::command(
    slash_command,
    rename = "intake-panel",
    guild_only,
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn intake_panel(ctx: Context<'_>) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    // The panel speaks the server's language; the person their own.
    let panel_lang = bot.intake.default_lang;
    let panel = CreateMessage::new()
        .content(bot.msg("discord_panel_text", panel_lang))
        .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
            CustomId::Start.encode(),
        )
        .label(super::render::truncate(
            &bot.msg("discord_panel_button", panel_lang),
            super::render::MAX_BUTTON_LABEL,
        ))
        .style(ButtonStyle::Success)])])
        .allowed_mentions(CreateAllowedMentions::new());
    ctx.channel_id().send_message(ctx.http(), panel).await?;
    let lang = bot.lang_for(ctx.locale());
    ctx.send(
        CreateReply::default()
            .content(bot.msg("discord_panel_posted", lang))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// Every command, with descriptions and localizations from the content.
pub fn all(bot: &Bot) -> Vec<poise::Command<Arc<Bot>, Error>> {
    let mut commands = vec![intake(), intake_panel()];
    for c in &mut commands {
        let key = match c.name.as_ref() {
            "intake" => "discord_cmd_intake",
            _ => "discord_cmd_panel",
        };
        localize(c, bot, key);
    }
    for (mut c, key) in super::coach::commands() {
        localize(&mut c, bot, key);
        super::coach::localize_parameters(&mut c, bot);
        commands.push(c);
    }
    let mut export = super::export::export();
    localize(&mut export, bot, "discord_cmd_export");
    super::export::localize(&mut export, bot);
    let mut my_data = super::privacy::my_data();
    localize(&mut my_data, bot, "discord_cmd_mydata");
    super::privacy::localize_name(&mut my_data);
    let mut peers = super::peers::peers_command();
    localize(&mut peers, bot, "discord_cmd_peers");
    super::peers::localize_name(&mut peers);
    let mut stats = super::stats::stats();
    localize(&mut stats, bot, "discord_cmd_stats");
    super::stats::localize(&mut stats, bot);
    let mut reload = super::reload::reload_content();
    localize(&mut reload, bot, "discord_cmd_reload");
    super::reload::localize_name(&mut reload);
    commands.extend([export, my_data, peers, stats, reload]);
    commands
}

fn localize(c: &mut poise::Command<Arc<Bot>, Error>, bot: &Bot, key: &str) {
    let text = |lang| super::render::truncate(&bot.msg(key, lang), 100);
    c.description = Some(Cow::Owned(text(bot.intake.default_lang)));
    c.description_localizations = Cow::Owned(super::i18n::locales(text(Lang::Nl), text(Lang::En)));
}

/// Registers the commands: in the configured guild (visible at once), or
/// globally. Runs once, on the first READY.
pub async fn register(bot: &Bot, http: &Http) {
    let commands = poise::builtins::create_application_commands(&all(bot));
    let result = match bot.config.guild_id {
        Some(g) => GuildId::new(g).set_commands(http, commands).await,
        None => Command::set_global_commands(http, commands).await,
    };
    match result {
        Ok(c) => info!(count = c.len(), "slash commands registered"),
        Err(e) => error!(error = %e, "cannot register the slash commands"),
    }
}

/// The one error path of the slash commands: a [`UserError`] (a refusal
/// from a permission check, a hint) is shown to the person as its content
/// sentence; anything else is logged with a short id and answered with the
/// generic sentence naming it. Always ephemeral.
pub async fn on_error(error: poise::FrameworkError<'_, Arc<Bot>, Error>) {
    use poise::FrameworkError as F;
    let (ctx, text) = match error {
        F::Command { error, ctx, .. }
        | F::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            let bot = ctx.data();
            let lang = bot.lang_for(ctx.locale());
            let what = format!("/{}", ctx.command().name);
            (ctx, text_for(bot, &error, lang, &what))
        }
        F::CommandPanic { ctx, .. } => {
            let bot = ctx.data();
            let lang = bot.lang_for(ctx.locale());
            let what = format!("/{}", ctx.command().name);
            (ctx, internal(bot, lang, &what, "panicked"))
        }
        F::MissingUserPermissions { ctx, .. }
        | F::NotAnOwner { ctx, .. }
        | F::GuildOnly { ctx, .. }
        | F::CommandCheckFailed { ctx, .. } => {
            let bot = ctx.data();
            (
                ctx,
                bot.msg("discord_not_allowed", bot.lang_for(ctx.locale())),
            )
        }
        other => {
            warn!(error = %other, "framework error");
            return;
        }
    };
    let reply = CreateReply::default()
        .content(super::render::truncate(&text, super::render::MAX_CONTENT))
        .ephemeral(true)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = ctx.send(reply).await {
        warn!(error = %e, "cannot tell the user about an error");
    }
}
