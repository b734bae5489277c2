//! The operator's configuration (`config.example.toml` documents every key).
//! Secrets never appear in `Debug` output or logs.

use crate::text::Lang;
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
    /// deployment's own, e.g. its coaches and extra contacts).
    #[serde(default = "default_content")]
    pub content: Vec<PathBuf>,
}

fn default_db() -> PathBuf {
    PathBuf::from("data")
}

fn default_content() -> Vec<PathBuf> {
    vec![crate::content::default_dir()]
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
            .map(|p| relative_to(base, p))
            .collect();
        Ok(c)
    }
}
