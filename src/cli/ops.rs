//! Operations commands: `content export`, the version line with the content
//! hash, logging set-up, the token lookup with its file checks, and
//! `check --config` (what the bot will do, before it goes live).

use super::Failure;
use crate::app::ops::{inspect_database, master_key_file, private_file, DbState};
use crate::app::settings::LogFormat;
use crate::cli::config::Config;
use crate::content::embedded;
use crate::discord::{Token, TokenError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--version`: the crate version and a short hash of the embedded content.
pub fn version() -> String {
    format!(
        "{} (content {})",
        env!("CARGO_PKG_VERSION"),
        embedded::hash()
    )
}

/// `llo-intake content export DIR`: the embedded content as files to edit.
pub fn content_export(dir: &Path, force: bool) -> anyhow::Result<()> {
    let written = embedded::export(dir, force)?;
    for p in &written {
        outln!("{}", p.display());
    }
    errln!(
        "wrote {} file(s); load them with --intents {} (or [intake] content) instead of, or after, \"embedded\"",
        written.len(),
        dir.display()
    );
    Ok(())
}

/// `--log-format`; the config's [`LogFormat`] knows nothing of clap.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

/// Logs go to stderr, as text or JSON lines. The level comes from
/// `LLO_INTAKE_LOG`, else `RUST_LOG` (e.g. `debug`, `warn,llo_intake=info`),
/// else warn (and info for llo-intake itself when `bot`). The bot logs its
/// own progress at info; message content is never logged.
pub fn init_logging(bot: bool, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let default = if bot { "warn,llo_intake=info" } else { "warn" };
    let filter = EnvFilter::try_from_env("LLO_INTAKE_LOG")
        .or_else(|_| EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| EnvFilter::new(default));
    // A log line that cannot be written (stderr a file on a full disk) is
    // dropped: tracing's fallback `eprintln!` would panic in whichever
    // thread logged, and in sled's I/O thread that leaves a flush waiting
    // forever (the `full_disk` tests).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

/// The systemd credential that holds the token (`LoadCredential=discord-token:...`).
pub const CREDENTIAL: &str = "discord-token";

/// Where the token was found (never the token itself).
pub enum TokenSource {
    Env,
    File(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env => f.write_str("the DISCORD_TOKEN environment variable"),
            TokenSource::File(p) => write!(f, "the file {}", p.display()),
        }
    }
}

/// The bot token: `DISCORD_TOKEN`, else the config's `token_file`, else the
/// systemd credential `$CREDENTIALS_DIRECTORY/discord-token`. A token file
/// that others can read is used, with a loud warning (returned, for the log
/// or for `check`).
pub fn token(config: &Config) -> Result<(Token, TokenSource, Option<String>), TokenError> {
    let env = std::env::var("DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let mut discord = config.discord.clone();
    if env.is_none() && discord.token_file.is_none() {
        if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
            discord.token_file = Some(PathBuf::from(dir).join(CREDENTIAL));
        }
    }
    let from_env = env.is_some();
    let token = discord.token(env)?;
    if from_env {
        return Ok((token, TokenSource::Env, None));
    }
    let file = discord.token_file.unwrap_or_default();
    let warning = private_file("token file", &file).err().map(|e| {
        format!("{e}: anyone who can read it can act as the bot on your server; it is used anyway")
    });
    Ok((token, TokenSource::File(file), warning))
}

/// What a deployment should hear before it goes live: unset hand-off settings.
pub fn plan_warnings(config: &Config) -> Vec<String> {
    let d = &config.discord;
    let mut w = Vec::new();
    if d.coach_channel.is_none() && d.coach_channels.is_empty() {
        w.push(
            "[discord] coach_channel is not set: hand-off cards have no channel to go to"
                .to_string(),
        );
    }
    if d.coach_role.is_none() {
        w.push("[discord] coach_role is not set: nobody can claim a hand-off and the reminder pings no one".to_string());
    }
    if d.moderator_role.is_none() {
        w.push("[discord] moderator_role is not set: nobody can use /export, /handoff or the Assign button".to_string());
    }
    w
}

/// Start-up checks for `run`: refuses a master key file that others can
/// read; warns loudly about such a token file and about unset hand-off
/// settings. Returns the token.
pub fn preflight(config: &Config) -> Result<Token, Failure> {
    crate::app::ops::refuse_exposed_key(
        &config.intake.database,
        config.privacy.master_key_file.as_deref(),
    )?;
    let (token, source, warning) = token(config).map_err(|e| Failure::Usage(e.into()))?;
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    tracing::info!("Discord token from {source}");
    for w in plan_warnings(config) {
        tracing::warn!("{w}");
    }
    Ok(token)
}

/// The `backups` line of `check --config`.
fn backups(config: &Config) -> String {
    let b = &config.backup;
    match &b.dir {
        Some(dir) => format!(
            "every {} into {}, {} kept; older than {} days deleted, so a forgotten person is gone from every backup within {} days (backups do not hold the master key)",
            b.interval,
            dir.display(),
            b.keep,
            b.window_days(),
            b.window_days()
        ),
        None => format!(
            "none scheduled (no [backup] dir); `llo-intake backup --out DIR` while the bot is stopped; an upgrade backs up into {} first",
            crate::app::backup::upgrade_dir(&config.intake.database).display()
        ),
    }
}

fn id(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "not set".into())
}

/// `llo-intake check --config FILE`: the config, the content it names (or
/// `intents`), the database (read-only), the token (never printed), the
/// secret files' modes; then what the bot will do. Any problem exits 2.
pub fn check_config(path: &Path, intents: Vec<PathBuf>) -> Result<(), Failure> {
    let config = Config::load(path).map_err(|e| Failure::Usage(e.into()))?;
    let content = if intents.is_empty() {
        config.intake.content.clone()
    } else {
        intents
    };
    let mut problems: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let summary = match super::check_content(&content) {
        Ok(s) => s,
        Err(e) => {
            problems.push(e.to_string());
            String::new()
        }
    };
    let db = &config.intake.database;
    let key_file = master_key_file(db, config.privacy.master_key_file.as_deref());
    if let Some(f) = &key_file {
        if let Err(e) = private_file("master key file", f) {
            problems.push(e.to_string());
        }
    }
    let database = match inspect_database(db, config.privacy.master_key_file.as_deref()) {
        DbState::Absent => format!(
            "{}: no database yet; the first start creates it{}",
            db.display(),
            match &key_file {
                Some(f) if !f.exists() => format!(" and a new master key in {}", f.display()),
                _ => String::new(),
            }
        ),
        DbState::InUse => {
            warnings.push(format!(
                "{}: in use by a running llo-intake; its schema and key were not checked",
                db.display()
            ));
            format!("{}: in use by a running llo-intake", db.display())
        }
        DbState::Fine {
            conversations,
            schema,
        } => format!(
            "{}: schema version {schema}{}, master key fits, {conversations} conversation(s)",
            db.display(),
            match crate::app::store::SCHEMA_VERSION {
                v if v > schema =>
                    format!(" (the next start backs it up, then migrates it to {v})"),
                _ => String::new(),
            }
        ),
        DbState::Broken(e) => {
            problems.push(e);
            format!("{}: cannot be used", db.display())
        }
    };
    let token = match token(&config) {
        Ok((_, source, warning)) => {
            warnings.extend(warning);
            format!("provided, from {source}")
        }
        Err(e) => {
            problems.push(e.to_string());
            "missing".into()
        }
    };
    warnings.extend(plan_warnings(&config));

    let d = &config.discord;
    let mut out = std::io::stdout().lock();
    let key = match &key_file {
        Some(f) => f.display().to_string(),
        None => format!("from {}", crate::app::crypto::MASTER_KEY_ENV),
    };
    let channels = if d.coach_channels.is_empty() {
        String::new()
    } else {
        let per: Vec<String> = d
            .coach_channels
            .iter()
            .map(|(p, c)| format!("{p} {c}"))
            .collect();
        format!(" (per province: {})", per.join(", "))
    };
    let hours = match &d.support_hours {
        Some(h) => format!("{} {}-{} {}", h.days.join(","), h.open, h.close, h.timezone),
        None => "not set (never says coaches are away)".into(),
    };
    let sources: Vec<String> = content.iter().map(|p| p.display().to_string()).collect();
    writeln!(out, "config {}:", path.display())?;
    writeln!(
        out,
        "  mode:            {:?} (message content intent: {})",
        d.mode, d.message_content_intent
    )?;
    writeln!(
        out,
        "  server:          {}",
        match d.guild_id {
            Some(g) => format!("{g} (commands registered there)"),
            None => "not set (commands registered globally)".into(),
        }
    )?;
    writeln!(out, "  intake channel:  {}", id(d.intake_channel))?;
    writeln!(out, "  coach role:      {}", id(d.coach_role))?;
    writeln!(out, "  moderator role:  {}", id(d.moderator_role))?;
    writeln!(out, "  coach channel:   {}{channels}", id(d.coach_channel))?;
    writeln!(out, "  support hours:   {hours}")?;
    writeln!(
        out,
        "  reminder:        after {} min (checked every {} s)",
        d.reminder_after_mins, d.reminder_check_secs
    )?;
    writeln!(
        out,
        "  retention:       {} days (the daily sweep deletes older conversations)",
        config.privacy.retention_days
    )?;
    writeln!(
        out,
        "  content:         {} (embedded content {})",
        sources.join(", "),
        embedded::hash()
    )?;
    if !summary.is_empty() {
        writeln!(out, "                   {summary}")?;
    }
    writeln!(out, "  database:        {database}")?;
    writeln!(out, "  master key:      {key}")?;
    writeln!(out, "  token:           {token}")?;
    writeln!(out, "  log format:      {:?}", config.log.format)?;
    writeln!(
        out,
        "  health endpoint: {}",
        match config.health.address() {
            Some(a) => format!("http://{a}/healthz and http://{a}/metrics"),
            None => "off ([health] listen not set)".into(),
        }
    )?;
    writeln!(
        out,
        "  content reload:  SIGHUP or /reload-content (moderators), from the sources above"
    )?;
    writeln!(out, "  backups:         {}", backups(&config))?;
    drop(out);
    for w in &warnings {
        errln!("warning: {w}");
    }
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        errln!("error: {p}");
    }
    Err(Failure::Usage(anyhow::anyhow!(
        "check found {} problem(s)",
        problems.len()
    )))
}

/// GETs `/healthz` from `addr` (3 s to connect, 5 s to answer): the body
/// when the answer is 200, else an error carrying the status and reasons.
pub(super) fn healthcheck(addr: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let sock: SocketAddr = addr
        .parse()
        .map_err(|_| anyhow::anyhow!("--addr {addr}: not an address with a port"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(3))
        .map_err(|e| anyhow::anyhow!("no health endpoint at {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.take(16 * 1024).read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default();
    let body = body.trim().to_string();
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(body)
    } else {
        Err(anyhow::anyhow!(
            "unhealthy ({}): {}",
            status.trim(),
            if body.is_empty() {
                "no reason given"
            } else {
                &body
            }
        ))
    }
}
