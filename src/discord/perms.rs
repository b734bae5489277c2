//! Who may do what. The roles are the configured `coach_role` and
//! `moderator_role`; commands declare theirs as poise checks
//! (`#[poise::command(check = "perms::coach_or_moderator")]`), and the
//! card's buttons ask [`is_coach`] and [`is_moderator`]. A refusal is a
//! [`UserError`]: the person reads the content sentence, ephemeral.

use super::errors::UserError;
use super::{Bot, Context, Error};
use serenity::all::RoleId;

fn has_role(roles: &[RoleId], role: Option<u64>) -> bool {
    role.is_some_and(|r| roles.iter().any(|x| x.get() == r))
}

/// Holds the coach role.
pub fn is_coach(bot: &Bot, roles: &[RoleId]) -> bool {
    has_role(roles, bot.config.coach_role)
}

/// Holds the moderator role.
pub fn is_moderator(bot: &Bot, roles: &[RoleId]) -> bool {
    has_role(roles, bot.config.moderator_role)
}

/// The roles of the one who invoked a command (from the interaction).
pub async fn roles(ctx: Context<'_>) -> Vec<RoleId> {
    ctx.author_member()
        .await
        .map(|m| m.roles.clone())
        .unwrap_or_default()
}

/// The coach commands: coaches and moderators. Acknowledges first
/// (ephemeral), because finding the thread's conversation can take a
/// moment. While shutting down it lets the command decline quietly.
pub async fn coach_or_moderator(ctx: Context<'_>) -> Result<bool, Error> {
    let bot = ctx.data();
    if bot.gate.is_closed() {
        return Ok(true);
    }
    ctx.defer_ephemeral().await?;
    let roles = roles(ctx).await;
    if is_coach(bot, &roles) || is_moderator(bot, &roles) {
        Ok(true)
    } else {
        Err(UserError::new("handoff_not_allowed").into())
    }
}

/// `/handoff`: moderators only (after [`coach_or_moderator`], so a coach
/// hears that it takes a moderator).
pub async fn moderator(ctx: Context<'_>) -> Result<bool, Error> {
    let bot = ctx.data();
    if bot.gate.is_closed() || is_moderator(bot, &roles(ctx).await) {
        Ok(true)
    } else {
        Err(UserError::new("handoff_not_moderator").into())
    }
}

/// `/export`: moderators only, refused at once (the refusal is the first
/// response; nothing was deferred).
pub async fn moderator_at_once(ctx: Context<'_>) -> Result<bool, Error> {
    let bot = ctx.data();
    if bot.gate.is_closed() || is_moderator(bot, &roles(ctx).await) {
        Ok(true)
    } else {
        Err(UserError::new("discord_not_allowed").into())
    }
}
