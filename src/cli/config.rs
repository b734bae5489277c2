//! The whole configuration file, composed here from the sections each layer
//! owns: `[intake]`, `[privacy]` and `[export]` from [`crate::app::settings`],
//! `[discord]` from [`crate::discord::config`], `[health]` from
//! [`crate::discord::health`]. Unknown keys are refused,
//! relative paths are taken relative to the file, and every section is
//! checked (integer bounds included) before anything runs.

use crate::app::backup::BackupConfig;
use crate::app::settings::{ExportConfig, IntakeConfig, LogConfig, PrivacyConfig};
use crate::discord::DiscordConfig;
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
    #[serde(default)]
    pub backup: BackupConfig,
    #[serde(default)]
    pub health: crate::discord::health::HealthConfig,
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

    /// Parses and checks the text of the file at `path`.
    pub fn parse(src: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let mut c: Config =
            toml::from_str(src).map_err(|e| invalid(e.to_string().trim().to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        c.intake.resolve_paths(base);
        c.privacy.resolve_paths(base);
        c.discord.resolve_paths(base);
        c.discord.validate().map_err(invalid)?;
        c.privacy.validate().map_err(invalid)?;
        c.intake.validate().map_err(invalid)?;
        c.discord
            .followup
            .validate("discord.followup", c.privacy.retention_days)
            .map_err(invalid)?;
        c.export.validate().map_err(invalid)?;
        c.backup.resolve_paths(base);
        c.backup.validate().map_err(invalid)?;
        // The bot takes the scheduled backups in its run loop.
        c.discord.backup = c.backup.clone();
        c.health.validate().map_err(invalid)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::Mode;

    #[test]
    fn the_example_parses_and_documents_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let src = std::fs::read_to_string(&path).unwrap();
        let c = Config::parse(&src, &path).unwrap();
        assert_eq!(c.discord.mode, Mode::Dm);
        assert!(c.discord.api_base_url.is_none() && c.discord.token_file.is_none());
        for key in [
            "default_language",
            "database",
            "content",
            "cache_mib",
            "worker_threads",
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
            "retention_days",
            "master_key_file",
            "delimiter",
            "bom",
            "[backup]",
            "interval",
            "keep",
            "listen",
            "[discord.followup]",
            "follow_up_days",
        ] {
            assert!(
                src.contains(&format!("{key} = ")) || (key.starts_with('[') && src.contains(key)),
                "{key} is not documented"
            );
        }
    }

    #[test]
    fn a_bad_health_address_is_refused_naming_the_key() {
        let path = Path::new("/etc/llo/config.toml");
        let c = Config::parse("[health]\nlisten = \"127.0.0.1:9464\"\n", path).unwrap();
        assert_eq!(c.health.address().map(|a| a.port()), Some(9464));
        let e = Config::parse("[health]\nlisten = \"localhost\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[health] listen"), "{e}");
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
    fn the_page_cache_and_threads_are_bounded_when_loading() {
        let path = Path::new("/etc/llo/config.toml");
        let c = Config::parse("", path).unwrap();
        assert_eq!(c.intake.cache_bytes(), 16 << 20);
        let c = Config::parse("[intake]\ncache_mib = 8\nworker_threads = 3\n", path).unwrap();
        assert_eq!(
            (c.intake.cache_bytes(), c.intake.worker_threads()),
            (8 << 20, 3)
        );
        for bad in ["cache_mib = 0", "cache_mib = 4096", "worker_threads = 0"] {
            let e = Config::parse(&format!("[intake]\n{bad}\n"), path)
                .unwrap_err()
                .to_string();
            let key = bad.split(' ').next().unwrap();
            assert!(e.contains(&format!("[intake] {key}")), "{e}");
        }
    }

    #[test]
    fn follow_up_days_are_bounded_when_loading() {
        let path = Path::new("/etc/llo/config.toml");
        let e = Config::parse("[discord.followup]\nfollow_up_days = 0\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[discord.followup] follow_up_days"), "{e}");
        let late = "[discord.followup]\nfollow_up_days = 60\n[privacy]\nretention_days = 30\n";
        let e = Config::parse(late, path).unwrap_err().to_string();
        assert!(
            e.contains("follow_up_days") && e.contains("retention_days"),
            "{e}"
        );
        let off = Config::parse("[discord.followup]\nenabled = false\n", path).unwrap();
        assert!(!off.discord.followup.enabled);
        assert_eq!(off.discord.followup.follow_up_days, 30);
    }

    #[test]
    fn relative_paths_are_taken_relative_to_the_file() {
        let path = Path::new("/etc/llo/config.toml");
        let src = "[intake]\ndatabase = \"db\"\ncontent = [\"intents\", \"/srv/own\"]\n\
                   [discord]\ntoken_file = \"token\"\n[privacy]\nmaster_key_file = \"keys/master.key\"\n";
        let c = Config::parse(src, path).unwrap();
        assert_eq!(c.intake.database, Path::new("/etc/llo/db"));
        assert_eq!(
            c.intake.content,
            vec![PathBuf::from("/etc/llo/intents"), PathBuf::from("/srv/own")]
        );
        assert_eq!(
            c.discord.token_file.as_deref(),
            Some(Path::new("/etc/llo/token"))
        );
        assert_eq!(
            c.privacy.master_key_file.as_deref(),
            Some(Path::new("/etc/llo/keys/master.key"))
        );
        let e = Config::parse("[intake]\nnot_a_key = 1\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not_a_key"), "{e}");
    }
}
