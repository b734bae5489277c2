//! The application's sections of the operator's configuration file
//! (`[intake]`, `[privacy]`, `[export]`; `config.example.toml` documents
//! every key). The transports own their sections; the command line composes
//! the whole file. Integers are bounded when the file is read, with a message
//! naming the key.

use crate::content::text::Lang;
use serde::Deserialize;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

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
    /// Between 1 and 36500 ([`RETENTION_DAYS`]).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// The master key file (64 hex characters). Default: `master.key` in the
    /// database directory. `LLO_INTAKE_MASTER_KEY` takes precedence.
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
}

/// The bounds of `retention_days` (config and `purge --retention-days`):
/// at least a day, at most a hundred years.
pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=36_500;

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
    /// sled's page cache of the bot, in MiB ([`CACHE_MIB`]; default
    /// [`DEFAULT_CACHE_MIB`]).
    #[serde(default = "default_cache_mib")]
    pub cache_mib: u32,
    /// Threads that run the bot's async work ([`WORKER_THREADS`]); default:
    /// one per CPU, at most 4. Store work runs on at most
    /// [`BLOCKING_THREADS`] more.
    #[serde(default)]
    pub worker_threads: Option<u32>,
}

/// The bounds of `[intake] cache_mib`.
pub const CACHE_MIB: RangeInclusive<u32> = 1..=1024;
/// sled's page cache when `[intake] cache_mib` is not set: enough for the
/// indexes and the conversations in progress; more is read from disk (and
/// the OS page cache).
pub const DEFAULT_CACHE_MIB: u32 = 16;
/// The bounds of `[intake] worker_threads`.
pub const WORKER_THREADS: RangeInclusive<u32> = 1..=64;
/// Threads for store work (each turn, its transaction and flush) at most:
/// more users at once wait their turn instead of each getting a thread.
/// Each such thread also grows a matching cache in every regex it runs, so
/// the bot's memory under load grows with this number: 4 held 200 users at
/// once at the echo bot's throughput on 2 cores with about 40 MiB less
/// than 16 (measured 2026-12-02 morning); 2 saved another 11 MiB but cut
/// the 200-user throughput to 0.8x (README, Performance).
pub const BLOCKING_THREADS: usize = 4;

fn default_cache_mib() -> u32 {
    DEFAULT_CACHE_MIB
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
            cache_mib: DEFAULT_CACHE_MIB,
            worker_threads: None,
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

/// `Err("[section] key must be between lo and hi")` when `v` is outside `range`.
pub fn within<T: PartialOrd + Display>(
    section: &str,
    key: &str,
    v: T,
    range: RangeInclusive<T>,
) -> Result<(), String> {
    if range.contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "[{section}] {key} must be between {} and {} (it is {v})",
            range.start(),
            range.end()
        ))
    }
}

impl IntakeConfig {
    /// Checks the bounds (the message names the key).
    pub fn validate(&self) -> Result<(), String> {
        within("intake", "cache_mib", self.cache_mib, CACHE_MIB)?;
        match self.worker_threads {
            Some(n) => within("intake", "worker_threads", n, WORKER_THREADS),
            None => Ok(()),
        }
    }

    /// sled's page cache in bytes.
    pub fn cache_bytes(&self) -> u64 {
        u64::from(self.cache_mib) << 20
    }

    /// The worker threads to start: the configured number, else one per CPU
    /// (at most 4).
    pub fn worker_threads(&self) -> usize {
        match self.worker_threads {
            Some(n) => n as usize,
            None => std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        }
    }

    /// Takes relative paths relative to `base`, the config file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        self.database = relative_to(base, &self.database);
        self.content = self
            .content
            .iter()
            .map(|p| match crate::content::embedded::is_embedded(p) {
                true => p.clone(),
                false => relative_to(base, p),
            })
            .collect();
    }
}

impl PrivacyConfig {
    /// Takes relative paths relative to `base`, the config file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        self.master_key_file = self
            .master_key_file
            .as_deref()
            .map(|p| relative_to(base, p));
    }

    /// Checks the bounds (the message names the key).
    pub fn validate(&self) -> Result<(), String> {
        within(
            "privacy",
            "retention_days",
            self.retention_days,
            RETENTION_DAYS,
        )
    }
}

impl ExportConfig {
    /// Checks the delimiter (the message names the section).
    pub fn validate(&self) -> Result<(), String> {
        parse_delimiter(&self.delimiter)
            .map(|_| ())
            .map_err(|message| format!("[export] {message}"))
    }
}
