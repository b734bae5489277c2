//! The operator's configuration (`config.example.toml` documents every key).
//! Secrets never appear in `Debug` output or logs.

use crate::content::text::Lang;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A configuration problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub intake: IntakeConfig,
    #[serde(default)]
    pub discord: DiscordConfig,
    #[serde(default)]
    pub privacy: PrivacyConfig,
    #[serde(default)]
    pub export: ExportConfig,
    #[serde(default)]
    pub log: LogConfig,
}

/// The `[log]` section: how log lines on stderr look.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (for people) or `json` (one object per line, for collectors).
    /// `--log-format` overrides it.
    #[serde(default)]
    pub format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What is kept, for how long, and under which key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Conversations with no activity for this many days are deleted (and
    /// crypto-shredded) by the daily sweep and `llo-intake purge`. The
    /// consent text tells users this number.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// The master key file (64 hex characters). Default: `master.key` in the
    /// database directory. `LLO_INTAKE_MASTER_KEY` takes precedence.
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
}

fn default_retention_days() -> u32 {
    crate::app::privacy::DEFAULT_RETENTION_DAYS
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            retention_days: default_retention_days(),
            master_key_file: None,
        }
    }
}

/// CSV export settings. The defaults open correctly in Dutch Excel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// One ASCII character; `;` for Dutch (and most European) Excel.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Start CSV files with a UTF-8 byte order mark, so Excel reads accents right.
    #[serde(default = "default_true")]
    pub bom: bool,
}

fn default_delimiter() -> String {
    ";".into()
}

fn default_true() -> bool {
    true
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            delimiter: default_delimiter(),
            bom: true,
        }
    }
}

/// Checks a CSV delimiter: one ASCII character that is not a quote or a line break.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(*b),
        _ => Err(format!(
            "delimiter '{s}' must be one ASCII character other than a quote or line break (e.g. ';' or ',')"
        )),
    }
}

/// Settings every transport shares.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    /// Language of new conversations.
    #[serde(default)]
    pub default_language: Lang,
    /// The sled database directory.
    #[serde(default = "default_db")]
    pub database: PathBuf,
    /// Content directories, merged in order (the shipped one first, then the
    /// deployment's own, e.g. its coaches and extra contacts). `"embedded"`
    /// names the content compiled into the binary (the default).
    #[serde(default = "default_content")]
    pub content: Vec<PathBuf>,
}

fn default_db() -> PathBuf {
    PathBuf::from("data")
}

fn default_content() -> Vec<PathBuf> {
    crate::content::default_sources()
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            default_language: Lang::Nl,
            database: default_db(),
            content: default_content(),
        }
    }
}

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

/// Resolves `p` against the config file's directory when it is relative.
pub fn relative_to(base: &Path, p: &Path) -> PathBuf {
    if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    }
}

impl Config {
    /// Reads a config file. Relative paths in it are taken relative to the file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let src = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&src, path)
    }

    pub fn parse(src: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut c: Config = toml::from_str(src).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        c.intake.database = relative_to(base, &c.intake.database);
        c.intake.content = c
            .intake
            .content
            .iter()
            .map(|p| match crate::content::embedded::is_embedded(p) {
                true => p.clone(),
                false => relative_to(base, p),
            })
            .collect();
        c.discord.token_file = c.discord.token_file.map(|p| relative_to(base, &p));
        c.privacy.master_key_file = c
            .privacy
            .master_key_file
            .as_deref()
            .map(|p| relative_to(base, p));
        if let Some(h) = &c.discord.support_hours {
            h.validate().map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("[discord.{e}]"),
            })?;
        }
        for province in c.discord.coach_channels.keys() {
            if !crate::content::check::PROVINCES.contains(&province.as_str()) {
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: format!(
                        "[discord.coach_channels] {province:?} is not a province id ({})",
                        crate::content::check::PROVINCES.join(", ")
                    ),
                });
            }
        }
        parse_delimiter(&c.export.delimiter).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message: format!("[export] {message}"),
        })?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_and_documents_every_discord_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let src = std::fs::read_to_string(&path).unwrap();
        let c = Config::parse(&src, &path).unwrap();
        assert_eq!(c.discord.mode, Mode::Dm);
        assert!(c.discord.api_base_url.is_none() && c.discord.token_file.is_none());
        for key in [
            "mode",
            "guild_id",
            "intake_channel",
            "message_content_intent",
            "token_file",
            "api_base_url",
            "gateway_url",
            "rate_limit_events",
            "rate_limit_window_secs",
            "dedupe_ttl_secs",
            "shutdown_grace_secs",
            "coach_role",
            "moderator_role",
            "coach_channel",
            "reminder_after_mins",
            "reminder_check_secs",
            "[discord.coach_channels]",
            "[discord.support_hours]",
        ] {
            assert!(
                src.contains(&format!("{key} = ")) || (key.starts_with('[') && src.contains(key)),
                "{key} is not documented"
            );
        }
    }

    #[test]
    fn hand_off_settings_are_checked_when_loading() {
        let path = Path::new("/etc/llo/config.toml");
        let ok = "[discord]\ncoach_channel = 1\n[discord.coach_channels]\ngelderland = 2\n\
                  [discord.support_hours]\ndays = [\"ma\", \"di\"]\nopen = \"09:00\"\nclose = \"17:00\"\n";
        let c = Config::parse(ok, path).unwrap();
        assert_eq!(c.discord.coach_channels.get("gelderland"), Some(&2));
        assert_eq!(c.discord.reminder_after_mins, 30);
        let hours = c.discord.support_hours.unwrap();
        assert_eq!(hours.timezone, "Europe/Amsterdam");
        let bad_province = "[discord.coach_channels]\ngelderlandd = 2\n";
        let e = Config::parse(bad_province, path).unwrap_err().to_string();
        assert!(
            e.contains("gelderlandd") && e.contains("noord-brabant"),
            "{e}"
        );
        let bad_hours =
            "[discord.support_hours]\ndays = [\"mon\"]\nopen = \"17:00\"\nclose = \"09:00\"\n";
        let e = Config::parse(bad_hours, path).unwrap_err().to_string();
        assert!(
            e.contains("support_hours") && e.contains("close must be after open"),
            "{e}"
        );
    }

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
}
