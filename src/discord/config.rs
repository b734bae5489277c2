//! The `[discord]` section of the configuration file: it lives with the
//! adapter, and the application's settings know nothing of it (the command
//! line composes the whole file). Integers are bounded when the file is read
//! ([`DiscordConfig::validate`]), so no setting can overflow a timer later.
//! Secrets never appear in `Debug` output or logs.

use crate::app::settings::{relative_to, within};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the Discord conversation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// In direct messages with the bot (needs no privileged intent).
    #[default]
    Dm,
    /// In a private thread per user under the intake channel.
    Thread,
}

/// The `[discord]` section. Holds no secret: the token comes from
/// `DISCORD_TOKEN` or from the file `token_file` names, and is read by
/// [`DiscordConfig::token`] into a [`Token`] that never prints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// `dm` or `thread`.
    #[serde(default)]
    pub mode: Mode,
    /// The server: slash commands are registered there (instantly). Without
    /// it they are registered globally.
    #[serde(default)]
    pub guild_id: Option<u64>,
    /// Thread mode: the text channel private threads are opened under
    /// (default: the channel where `/intake` or the panel was used).
    #[serde(default)]
    pub intake_channel: Option<u64>,
    /// The bot has the privileged Message Content intent (enabled in the
    /// Developer Portal). Thread mode reads typed answers only with it;
    /// without it, free-text questions get a button that opens a text form.
    #[serde(default)]
    pub message_content_intent: bool,
    /// A file holding the bot token (used when `DISCORD_TOKEN` is not set).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Base URL of Discord's REST API, e.g. an HTTP rate-limit proxy
    /// (`http://127.0.0.1:8080`). When set, serenity's own rate limiter is
    /// off: the proxy owns rate limiting. Default: Discord itself.
    #[serde(default)]
    pub api_base_url: Option<String>,
    /// Gateway websocket URL (`wss://...`). Default: what the API says.
    #[serde(default)]
    pub gateway_url: Option<String>,
    /// Per-user rate limit: at most this many messages and clicks ...
    #[serde(default = "default_rate_limit_events")]
    pub rate_limit_events: u32,
    /// ... per this many seconds. Extra input gets one friendly notice.
    #[serde(default = "default_rate_limit_window")]
    pub rate_limit_window_secs: u64,
    /// How long a Discord message or interaction id is remembered, so a
    /// redelivered event (RESUME replay) is never answered twice.
    #[serde(default = "default_dedupe_ttl")]
    pub dedupe_ttl_secs: u64,
    /// On SIGINT/SIGTERM: how long to wait for turns in flight.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// Role of the coaches who take conversations over (hand-off).
    #[serde(default)]
    pub coach_role: Option<u64>,
    /// Role of the moderators (hand-off assignment, exports).
    #[serde(default)]
    pub moderator_role: Option<u64>,
    /// Channel where hand-off cards for coaches are posted.
    #[serde(default)]
    pub coach_channel: Option<u64>,
    /// Per-province coach channels (`[discord.coach_channels] gelderland =
    /// 123`): a card goes to the channel of the person's province, else to
    /// `coach_channel`.
    #[serde(default)]
    pub coach_channels: std::collections::BTreeMap<String, u64>,
    /// When coaches are around (`[discord.support_hours]`). Outside these
    /// hours a person who asks for a coach is told when to expect a reply.
    #[serde(default)]
    pub support_hours: Option<crate::domain::handoff::SupportHours>,
    /// Minutes a hand-off may wait unclaimed before the one reminder pings
    /// the coach role. 0: no reminder.
    #[serde(default = "default_reminder_after")]
    pub reminder_after_mins: u64,
    /// How often (seconds) waiting hand-offs are checked for the reminder.
    #[serde(default = "default_reminder_check")]
    pub reminder_check_secs: u64,
    /// The follow-up weeks after an intake (`[discord.followup]`).
    #[serde(default)]
    pub followup: crate::app::followup::FollowUpConfig,
    /// Peer introductions (`[discord.peers]`, see [`PeersConfig`]).
    #[serde(default)]
    pub peers: PeersConfig,
    /// Scheduled backups: the file's `[backup]` section, put here by the
    /// command line (the run loop takes them, see `discord::backup`).
    #[serde(skip)]
    pub backup: crate::app::backup::BackupConfig,
}

/// `[discord.peers]`: introductions between entrepreneurs, approved by a
/// coach (see `super::peers`). Offered only when switched on and there is
/// a channel for the introduction threads and a coach channel for the cards.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PeersConfig {
    /// Peer matching on (default) or off.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Hours a proposal may wait for the coach, or (once approved) for both
    /// people, before it ends quietly.
    #[serde(default = "default_proposal_timeout")]
    pub proposal_timeout_hours: u64,
    /// The text channel the private introduction threads are opened under
    /// (default: `intake_channel`).
    #[serde(default)]
    pub thread_channel: Option<u64>,
    /// How often (seconds) proposals are checked for their timeout; the
    /// pool is matched daily and whenever someone joins.
    #[serde(default = "default_peer_check")]
    pub check_secs: u64,
}

fn default_true() -> bool {
    true
}

fn default_proposal_timeout() -> u64 {
    72
}

fn default_peer_check() -> u64 {
    3600
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            enabled: true,
            proposal_timeout_hours: default_proposal_timeout(),
            thread_channel: None,
            check_secs: default_peer_check(),
        }
    }
}

/// One month: a proposal nobody decides on for longer is stale.
pub const PROPOSAL_TIMEOUT_HOURS: std::ops::RangeInclusive<u64> = 1..=720;
pub const PEER_CHECK_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;

impl PeersConfig {
    fn validate(&self) -> Result<(), String> {
        let s = "discord.peers";
        within(
            s,
            "proposal_timeout_hours",
            self.proposal_timeout_hours,
            PROPOSAL_TIMEOUT_HOURS,
        )?;
        within(s, "check_secs", self.check_secs, PEER_CHECK_SECS)?;
        if self.thread_channel == Some(0) {
            return Err(
                "[discord.peers] thread_channel must be a Discord id (a number greater than 0)"
                    .into(),
            );
        }
        Ok(())
    }
}

fn default_reminder_after() -> u64 {
    30
}

fn default_reminder_check() -> u64 {
    60
}

fn default_rate_limit_events() -> u32 {
    12
}

fn default_rate_limit_window() -> u64 {
    60
}

fn default_dedupe_ttl() -> u64 {
    7 * 24 * 3600
}

fn default_grace() -> u64 {
    20
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            mode: Mode::Dm,
            guild_id: None,
            intake_channel: None,
            message_content_intent: false,
            token_file: None,
            api_base_url: None,
            gateway_url: None,
            rate_limit_events: default_rate_limit_events(),
            rate_limit_window_secs: default_rate_limit_window(),
            dedupe_ttl_secs: default_dedupe_ttl(),
            shutdown_grace_secs: default_grace(),
            coach_role: None,
            moderator_role: None,
            coach_channel: None,
            coach_channels: Default::default(),
            support_hours: None,
            reminder_after_mins: default_reminder_after(),
            reminder_check_secs: default_reminder_check(),
            peers: PeersConfig::default(),
            backup: Default::default(),
            followup: Default::default(),
        }
    }
}

/// The bot token. `Debug` is redacted and there is no `Display`, so it cannot
/// end up in a log line by accident.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Self {
        Token(s.into())
    }
    /// The secret itself, for the one place that needs it (the HTTP client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// No token could be found; the message says how to provide one.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no Discord bot token: set the DISCORD_TOKEN environment variable, or point `token_file` in the [discord] section of the config at a file that holds it")]
    Missing,
    #[error("cannot read the token file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DiscordConfig {
    /// The token: `env_token` (from `DISCORD_TOKEN`) when set and not empty,
    /// else the contents of `token_file`.
    pub fn token(&self, env_token: Option<String>) -> Result<Token, TokenError> {
        if let Some(t) = env_token.map(|t| t.trim().to_string()) {
            if !t.is_empty() {
                return Ok(Token(t));
            }
        }
        let Some(path) = &self.token_file else {
            return Err(TokenError::Missing);
        };
        let t = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
            path: path.clone(),
            source,
        })?;
        let t = t.trim();
        if t.is_empty() {
            return Err(TokenError::Missing);
        }
        Ok(Token(t.to_string()))
    }
}

/// Bounds of the integer settings, named as in the file.
pub const RATE_LIMIT_EVENTS: std::ops::RangeInclusive<u32> = 1..=10_000;
pub const RATE_LIMIT_WINDOW_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;
pub const DEDUPE_TTL_SECS: std::ops::RangeInclusive<u64> = 1..=31_536_000;
pub const SHUTDOWN_GRACE_SECS: std::ops::RangeInclusive<u64> = 0..=3_600;
/// One week: a hand-off waiting longer than that needs more than a ping.
pub const REMINDER_AFTER_MINS: std::ops::RangeInclusive<u64> = 0..=10_080;
pub const REMINDER_CHECK_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;

/// A Discord id in the file: serenity refuses 0 (it would panic later).
fn discord_id(key: &str, v: Option<u64>) -> Result<(), String> {
    match v {
        Some(0) => Err(format!(
            "[discord] {key} must be a Discord id (a number greater than 0)"
        )),
        _ => Ok(()),
    }
}

impl DiscordConfig {
    /// Checks what serde cannot: every integer within its bounds, Discord
    /// ids not 0, province ids known, support hours usable. The message
    /// names the key.
    pub fn validate(&self) -> Result<(), String> {
        let s = "discord";
        within(
            s,
            "rate_limit_events",
            self.rate_limit_events,
            RATE_LIMIT_EVENTS,
        )?;
        within(
            s,
            "rate_limit_window_secs",
            self.rate_limit_window_secs,
            RATE_LIMIT_WINDOW_SECS,
        )?;
        within(s, "dedupe_ttl_secs", self.dedupe_ttl_secs, DEDUPE_TTL_SECS)?;
        within(
            s,
            "shutdown_grace_secs",
            self.shutdown_grace_secs,
            SHUTDOWN_GRACE_SECS,
        )?;
        within(
            s,
            "reminder_after_mins",
            self.reminder_after_mins,
            REMINDER_AFTER_MINS,
        )?;
        within(
            s,
            "reminder_check_secs",
            self.reminder_check_secs,
            REMINDER_CHECK_SECS,
        )?;
        for (key, v) in [
            ("guild_id", self.guild_id),
            ("intake_channel", self.intake_channel),
            ("coach_role", self.coach_role),
            ("moderator_role", self.moderator_role),
            ("coach_channel", self.coach_channel),
        ] {
            discord_id(key, v)?;
        }
        self.peers.validate()?;
        if let Some(h) = &self.support_hours {
            h.validate().map_err(|e| format!("[discord.{e}]"))?;
        }
        for (province, channel) in &self.coach_channels {
            if !crate::content::check::PROVINCES.contains(&province.as_str()) {
                return Err(format!(
                    "[discord.coach_channels] {province:?} is not a province id ({})",
                    crate::content::check::PROVINCES.join(", ")
                ));
            }
            if *channel == 0 {
                return Err(format!(
                    "[discord.coach_channels] {province} must be a Discord id (a number greater than 0)"
                ));
            }
        }
        Ok(())
    }

    /// Takes relative paths (`token_file`) relative to `base`, the config
    /// file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        self.token_file = self.token_file.as_deref().map(|p| relative_to(base, p));
    }

    /// Where introduction threads open, when peer introductions are on and
    /// possible (a thread channel and a coach channel are configured).
    pub fn peer_threads(&self) -> Option<u64> {
        let p = &self.peers;
        let cards = self.coach_channel.is_some() || !self.coach_channels.is_empty();
        p.thread_channel
            .or(self.intake_channel)
            .filter(|_| p.enabled && cards)
    }

    /// The dedupe lifetime in seconds, as the store takes it.
    pub fn dedupe_ttl(&self) -> i64 {
        i64::try_from(self.dedupe_ttl_secs).unwrap_or(i64::MAX / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_environment_or_a_file_and_never_prints() {
        let d = DiscordConfig::default();
        assert!(matches!(d.token(None), Err(TokenError::Missing)));
        assert!(matches!(
            d.token(Some("  ".into())),
            Err(TokenError::Missing)
        ));
        let t = d.token(Some("secret-token".into())).unwrap();
        assert_eq!(t.expose(), "secret-token");
        assert!(!format!("{t:?}").contains("secret"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "file-token\n").unwrap();
        let d = DiscordConfig {
            token_file: Some(file),
            ..DiscordConfig::default()
        };
        assert_eq!(d.token(None).unwrap().expose(), "file-token");
        assert_eq!(d.token(Some("env".into())).unwrap().expose(), "env");
    }

    #[test]
    fn the_defaults_are_within_their_bounds() {
        DiscordConfig::default().validate().unwrap();
    }
}
