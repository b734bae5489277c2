//! The `llo-intake` command line: parsing (clap), the commands, and exit
//! codes (0 ok, 1 runtime error, 2 usage or content error). The only layer
//! that names clap; `main.rs` just calls [`main`].

use crate::app::service::Intake;
use crate::app::settings::{parse_delimiter, RETENTION_DAYS};
use crate::app::store::Store;
use crate::app::{eval, export, privacy};
use crate::content::text::Lang;
use crate::content::Severity;
use crate::domain::conversation::Status;
use crate::domain::knowledge::Knowledge;
use crate::{console, content, discord};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) mod config;
use config::Config;

/// `println!` that returns the write error instead of panicking, so a closed
/// pipe (`llo-intake eval --json | head`) ends the command quietly.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

/// `eprintln!` that never panics: a message to a closed stderr is dropped.
macro_rules! errln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod backup;
mod ops;
mod report;

#[derive(Parser)]
#[command(
    name = "llo-intake",
    version,
    about = "Intake bot for regional lifelong-learning networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines on stderr as text or json (default: the config's [log] format, else text).
    #[arg(long, global = true, value_enum)]
    log_format: Option<ops::LogFormatArg>,
}

#[derive(Subcommand)]
enum Command {
    /// Hold the intake conversation in this terminal.
    Console {
        /// Database directory (created when missing).
        #[arg(long, default_value = "data")]
        db: PathBuf,
        /// Content: "embedded" (the default: the content in the binary) or a
        /// directory; repeat to merge several in order.
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Who is talking (each user has their own conversation).
        #[arg(long, default_value = "local")]
        user: String,
        /// Language of a new conversation: nl or en.
        #[arg(long, default_value = "nl")]
        lang: Lang,
        /// Print every bot output as one JSON object per line.
        #[arg(long)]
        jsonl: bool,
    },
    /// Connect to Discord and hold intakes there (see README, "Discord setup").
    /// The token comes from DISCORD_TOKEN or the config's `token_file`.
    Run {
        /// Config file (default: ./config.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate the content files; with --config also the config, database,
    /// token and secret-file modes, and show what the bot will do.
    Check {
        /// Content: "embedded" (the default: the content in the binary) or a
        /// directory; repeat to merge several in order.
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Config file to validate (content: its `[intake] content` unless --intents).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Ask a running bot's health endpoint (`[health] listen`): exit 0 when
    /// it answers 200, else print the reasons and exit 1. For a container's
    /// HEALTHCHECK, which has no HTTP client of its own.
    Healthcheck {
        /// Address of the health endpoint (the config's `[health] listen`).
        #[arg(long, default_value = "127.0.0.1:9464")]
        addr: String,
    },
    /// Show the concerns detected in TEXT (or in each line of stdin).
    Classify {
        /// The text to classify (default: each line of stdin).
        text: Option<String>,
        /// Content: "embedded" (the default: the content in the binary) or a
        /// directory; repeat to merge several in order.
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Language of the text: nl or en.
        #[arg(long, default_value = "nl")]
        lang: Lang,
        /// Show which pattern matched which words, and what cancelled it.
        #[arg(long)]
        explain: bool,
        /// With --explain: print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Score the classifier on a labelled JSONL file.
    Eval {
        /// JSON lines, one {"text": ..., "concerns": [...]} per line (tests/data/*.jsonl).
        file: PathBuf,
        /// Content: "embedded" (the default: the content in the binary) or a
        /// directory; repeat to merge several in order.
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// List the utterances that were not classified right.
        #[arg(long)]
        errors: bool,
    },
    /// Export conversation summaries (the bot must be stopped: one process per database).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write to FILE (created with mode 0600) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Conversations started on or after DATE (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long, value_parser = since_date)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Conversations started on or before DATE (the whole day counts).
        #[arg(long, value_parser = until_date)]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Only this province id; repeat for several.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Only conversations with this concern id; repeat for several.
        #[arg(long = "concern")]
        concerns: Vec<String>,
        /// Only this status (active, handoff, ended, stopped); repeat for several.
        #[arg(long = "status", value_parser = status)]
        statuses: Vec<Status>,
        /// Include the raw transcripts (left out by default).
        #[arg(long)]
        transcripts: bool,
        /// Include platform user ids (by default only a pseudonym, user_ref).
        #[arg(long)]
        user_ids: bool,
        /// CSV delimiter (default from config [export], else ';').
        #[arg(long)]
        delimiter: Option<String>,
        /// CSV byte order mark: true or false (default from config [export], else true).
        #[arg(long)]
        bom: Option<bool>,
        /// Content directories, for readable labels in Markdown and checking filter ids.
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Language of the Markdown headings and labels: nl or en.
        #[arg(long, default_value = "nl")]
        lang: Lang,
    },
    /// Statistics for the network: one HTML file with charts, or the same tables as CSV.
    /// Counts only; small counts suppressed (see README, "Report").
    Report(report::ReportArgs),
    /// Delete everything stored about one user and destroy their data key.
    Forget {
        #[command(flatten)]
        db: DbArgs,
        /// The user's platform id (as in `console --user` or their Discord id).
        #[arg(long)]
        user: String,
    },
    /// Work with the content compiled into the binary.
    Content {
        #[command(subcommand)]
        action: ContentCommand,
    },
    /// Delete conversations past the retention period (the bot does this daily).
    Purge {
        #[command(flatten)]
        db: DbArgs,
        /// Overrides config [privacy] retention_days (1 to 36500).
        #[arg(long, value_parser = retention_days)]
        retention_days: Option<u32>,
    },
    /// Back up the database while the bot is stopped (the running bot takes
    /// its own backups, see [backup] in the config). Not the master key.
    Backup(backup::BackupArgs),
    /// Restore a backup into a new or empty database directory (bot stopped).
    Restore(backup::RestoreArgs),
}

#[derive(Subcommand)]
enum ContentCommand {
    /// Write the embedded content files into DIR, to edit and load with --intents.
    Export {
        /// Target directory (created when missing).
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
}

/// `--format` of `export`; the core's [`export::Format`] knows nothing of clap.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Jsonl,
    Markdown,
}

impl From<ExportFormat> for export::Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Csv => export::Format::Csv,
            ExportFormat::Jsonl => export::Format::Jsonl,
            ExportFormat::Markdown => export::Format::Markdown,
        }
    }
}

/// Where the database is: `--db`, else the config's `[intake] database`.
#[derive(clap::Args)]
struct DbArgs {
    /// Database directory (default: from --config, else ./data).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Config file, for the database, key file, retention and export settings.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl DbArgs {
    /// Loads the config (or defaults) and opens an existing database.
    fn open(&self) -> Result<(Config, Store), Failure> {
        let config = match &self.config {
            Some(p) => Config::load(p).map_err(|e| Failure::Usage(e.into()))?,
            None => Config::default(),
        };
        let db = self
            .db
            .clone()
            .unwrap_or_else(|| config.intake.database.clone());
        if !db.join("db").is_file() {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "there is no llo-intake database in {}",
                db.display()
            )));
        }
        crate::app::ops::refuse_exposed_key(&db, config.privacy.master_key_file.as_deref())?;
        let store = crate::app::backup::open(
            &db,
            config.privacy.master_key_file.as_deref(),
            config.backup.dir.as_deref(),
        )?;
        Ok((config, store))
    }
}

fn since_date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    export::parse_date(s, false)
}

fn until_date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    export::parse_date(s, true)
}

/// `--retention-days`: a number of days within [`RETENTION_DAYS`].
fn retention_days(s: &str) -> Result<u32, String> {
    let (lo, hi) = (RETENTION_DAYS.start(), RETENTION_DAYS.end());
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|d| RETENTION_DAYS.contains(d))
        .ok_or_else(|| format!("'{s}' is not a number of days between {lo} and {hi}"))
}

fn status(s: &str) -> Result<Status, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase()))
        .map_err(|_| format!("unknown status '{s}' (use active, handoff, ended or stopped)"))
}

/// A failure that maps to an exit code.
enum Failure {
    Usage(anyhow::Error),
    Runtime(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Runtime(e.into())
    }
}

/// Parses the command line, runs the command and maps the outcome to an
/// exit code (0 ok, 1 runtime error, 2 usage or content error).
pub fn main() -> ExitCode {
    let cli = parse_args();
    ops::init_logging(matches!(cli.command, Command::Run { .. }), log_format(&cli));
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): what they wanted is written.
        Err(Failure::Runtime(e) | Failure::Usage(e)) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            errln!("error: {}", once(&e));
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            errln!("error: {}", once(&e));
            ExitCode::from(1)
        }
    }
}

/// `e` with its causes, each said once: an error whose text already holds
/// its cause (`cannot write the export: No space left on device`) is not
/// followed by that cause again.
fn once(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether `e` is, at its root, a write to a closed pipe.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The clap command tree (for tests that walk every command and option).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The command line, with `--version` naming the content hash as well.
fn parse_args() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    // Built once per process; clap wants a `'static` version string.
    let version: &'static str = Box::leak(ops::version().into_boxed_str());
    let matches = Cli::command().version(version).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Validates content the way the bot loads it (parse, validate, compile);
/// every problem goes to stderr. `Ok` is the summary line.
fn check_content(dirs: &[PathBuf]) -> anyhow::Result<String> {
    let (loaded, problems) = match content::load(dirs, &message_keys()) {
        Ok(l) => {
            let w = l.warnings.clone();
            (Some(l), w)
        }
        Err(e) => (None, e.problems),
    };
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    for p in &problems {
        errln!("{p}");
    }
    let Some(loaded) = loaded.filter(|_| errors == 0) else {
        anyhow::bail!("content check failed: {errors} error(s), {warnings} warning(s)");
    };
    let merged = &loaded.content;
    Ok(format!(
        "content ok: {} concerns, {} steps, {} routes, {} contacts, {} provinces ({warnings} warning(s))",
        merged.concerns.len(),
        merged.steps.len(),
        merged.routes.len(),
        merged.contacts.len(),
        merged.provinces.len()
    ))
}

/// The log format: `--log-format`, else `[log] format` of the config the
/// command reads (`run`, `check --config`), else text.
fn log_format(cli: &Cli) -> crate::app::settings::LogFormat {
    if let Some(f) = cli.log_format {
        return f.into();
    }
    let config = match &cli.command {
        Command::Run { config } => load_config(config.clone()).ok(),
        Command::Check {
            config: Some(p), ..
        } => Config::load(p).ok(),
        _ => None,
    };
    config.map(|c| c.log.format).unwrap_or_default()
}

fn dirs(given: Vec<PathBuf>) -> Vec<PathBuf> {
    if given.is_empty() {
        content::default_sources()
    } else {
        given
    }
}

/// The message keys every layer says by key: `check` and every command
/// require them all, so content that passes `check` runs in every transport.
pub fn message_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = [
        crate::domain::MESSAGE_KEYS,
        crate::app::MESSAGE_KEYS,
        crate::app::report::MESSAGE_KEYS,
        console::MESSAGE_KEYS,
        discord::MESSAGE_KEYS,
        discord::FOLLOW_UP_MESSAGE_KEYS,
    ]
    .concat();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Loads content; problems are a usage error (exit 2). Warnings go to stderr.
fn knowledge(dirs: &[PathBuf]) -> Result<Knowledge, Failure> {
    match Knowledge::load_requiring(dirs, &message_keys()) {
        Ok((k, warnings)) => {
            for w in warnings {
                errln!("{w}");
            }
            Ok(k)
        }
        Err(e) => Err(Failure::Usage(anyhow::anyhow!(e))),
    }
}

/// The console's content and store. An existing database is opened on
/// this thread while the content is checked and compiled on another (the
/// two are most of the start-up; at 100,000 stored conversations sled's
/// open alone takes over 100 ms); it is upgraded only once the content
/// passed. A new database is made only after the content passed, so
/// broken content leaves no empty database behind.
fn console_parts(dirs: &[PathBuf], db: &Path) -> Result<(Knowledge, Store), Failure> {
    let existing = db.join("conf").exists() || db.join("db").exists();
    if !existing {
        let k = knowledge(dirs)?;
        crate::app::ops::refuse_exposed_key(db, None)?;
        return Ok((k, crate::app::backup::open(db, None, None)?));
    }
    std::thread::scope(|s| {
        let content = s.spawn(|| knowledge(dirs));
        let opened = crate::app::ops::refuse_exposed_key(db, None)
            .map_err(Failure::from)
            .and_then(|()| {
                Store::open_any_version_with_cache(db, None, crate::app::store::CACHE_BYTES)
                    .map_err(Failure::from)
            });
        let k = content
            .join()
            .map_err(|_| Failure::Runtime(anyhow::anyhow!("loading the content failed")))??;
        let store = crate::app::backup::upgrade(opened?, db, None)?;
        Ok((k, store))
    })
}

/// The config file: the given one, else ./config.toml when present, else
/// the defaults.
fn load_config(path: Option<PathBuf>) -> Result<Config, Failure> {
    let path = match path {
        Some(p) => p,
        None if std::path::Path::new("config.toml").exists() => PathBuf::from("config.toml"),
        None => return Ok(Config::default()),
    };
    Config::load(&path).map_err(|e| Failure::Usage(e.into()))
}

/// `llo-intake run`: the Discord bot until SIGINT or SIGTERM.
fn run_bot(config: Option<PathBuf>) -> Result<(), Failure> {
    let config = load_config(config)?;
    let token = ops::preflight(&config)?;
    let k = knowledge(&config.intake.content)?;
    let store = crate::app::backup::open_with_cache(
        &config.intake.database,
        config.privacy.master_key_file.as_deref(),
        config.backup.dir.as_deref(),
        config.intake.cache_bytes(),
    )?;
    let days = config.privacy.retention_days;
    let intake = Intake::new(Arc::new(k), store.clone(), config.intake.default_language)
        .with_retention_days(days)
        .with_export(config.export.clone());
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(%info, "panic");
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.intake.worker_threads())
        .max_blocking_threads(crate::app::settings::BLOCKING_THREADS)
        .enable_all()
        .build()?;
    // The consent text promises deletion after `days`: sweep daily.
    let retention = runtime.spawn(privacy::retention_task(
        store,
        days,
        chrono::Utc::now,
        std::future::pending(),
    ));
    // The same sources as now, read again by a reload (SIGHUP, /reload-content).
    let ops = discord::Operations {
        health: config.health.clone(),
        content: Some(crate::app::reload::Sources {
            dirs: config.intake.content.clone(),
            messages: message_keys(),
        }),
        reload_on_hangup: true,
    };
    let result = runtime.block_on(discord::run_full(
        &config.discord,
        &token,
        intake,
        discord::Hooks::default(),
        ops,
        shutdown_signal(),
    ));
    retention.abort();
    result?;
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run { config } => run_bot(config),
        Command::Console {
            db,
            intents,
            user,
            lang,
            jsonl,
        } => {
            let (k, store) = console_parts(&dirs(intents), &db)?;
            let intake = Intake::new(Arc::new(k), store, lang);
            let format = if jsonl {
                console::Format::Jsonl
            } else {
                console::Format::Text
            };
            let stdin = std::io::stdin();
            console::run(
                &intake,
                &user,
                Some(lang),
                format,
                stdin.lock(),
                std::io::stdout(),
                chrono::Utc::now,
            )?;
            intake.store.flush()?;
            Ok(())
        }
        Command::Check {
            config: Some(config),
            intents,
        } => ops::check_config(&config, intents),
        Command::Healthcheck { addr } => {
            let body = ops::healthcheck(&addr)?;
            outln!("{body}");
            Ok(())
        }
        Command::Check {
            config: None,
            intents,
        } => {
            let summary = check_content(&dirs(intents)).map_err(Failure::Usage)?;
            outln!("{summary}");
            Ok(())
        }
        Command::Classify {
            text,
            intents,
            lang,
            explain,
            json,
        } => {
            let k = knowledge(&dirs(intents))?;
            let mut out = std::io::stdout().lock();
            let mut one = |t: &str, single: bool| -> Result<(), Failure> {
                if explain {
                    let e = k.classifier.explain(&k.content, t, lang);
                    if json {
                        let v = serde_json::json!({"text": t, "explain": e});
                        if single {
                            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
                        } else {
                            writeln!(out, "{v}")?;
                        }
                    } else {
                        writeln!(out, "{}", e.render(&k.content, lang))?;
                    }
                } else if single {
                    writeln!(out, "{}", serde_json::json!(k.classify(t, lang)))?;
                } else {
                    let v = serde_json::json!({"text": t, "concerns": k.classify(t, lang)});
                    writeln!(out, "{v}")?;
                }
                out.flush()?;
                Ok(())
            };
            match text {
                Some(t) => one(&t, true)?,
                None => {
                    for line in std::io::stdin().lock().lines() {
                        one(&line?, false)?;
                    }
                }
            }
            Ok(())
        }
        Command::Eval {
            file,
            intents,
            json,
            errors,
        } => {
            let k = knowledge(&dirs(intents))?;
            let src = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let items = eval::parse(&src)
                .map_err(|e| Failure::Usage(anyhow::anyhow!("{}: {e}", file.display())))?;
            let report = eval::evaluate(&k, &items);
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            outln!(
                "{:<18} {:>9} {:>7} {:>7}   tp  fp  fn",
                "concern",
                "precision",
                "recall",
                "f1"
            );
            for c in &report.per_concern {
                outln!(
                    "{:<18} {:>9.3} {:>7.3} {:>7.3}  {:>3} {:>3} {:>3}",
                    c.concern,
                    c.precision,
                    c.recall,
                    c.f1,
                    c.tp,
                    c.fp,
                    c.fn_
                );
            }
            outln!("items: {}  macro-F1: {:.3}", report.items, report.macro_f1);
            if errors {
                for (t, want, got) in &report.errors {
                    outln!("  {t:?}\n      want {want:?} got {got:?}");
                }
            }
            Ok(())
        }
        Command::Export {
            db,
            format,
            out,
            since,
            until,
            regions,
            concerns,
            statuses,
            transcripts,
            user_ids,
            delimiter,
            bom,
            intents,
            lang,
        } => {
            // Opened as every command opens it (an older database is backed
            // up and upgraded), then once more with a small page cache for
            // the reading (`export::write_at`).
            let (config, store) = db.open()?;
            let path = store.path().to_path_buf();
            drop(store);
            let key_file = config.privacy.master_key_file.clone();
            let open = || {
                crate::app::store::Store::open_with_cache(
                    &path,
                    key_file.as_deref(),
                    crate::app::report::CACHE_BYTES,
                )
            };
            let delimiter = delimiter.unwrap_or(config.export.delimiter);
            let delimiter =
                parse_delimiter(&delimiter).map_err(|e| Failure::Usage(anyhow::anyhow!(e)))?;
            // Ids and texts only: the patterns are not compiled (the
            // classifier's memory would be most of the export's).
            let k = crate::app::report::load_content(&dirs(intents), &message_keys())
                .map_err(|e| Failure::Usage(e.into()))?;
            let unknown = |kind: &str, ids: &[String], known: Vec<&str>| -> Result<(), Failure> {
                match ids.iter().find(|i| !known.contains(&i.as_str())) {
                    Some(i) => Err(Failure::Usage(anyhow::anyhow!(
                        "unknown {kind} '{i}' (known: {})",
                        known.join(", ")
                    ))),
                    None => Ok(()),
                }
            };
            unknown(
                "region",
                &regions,
                k.provinces.iter().map(|p| p.id.as_str()).collect(),
            )?;
            unknown(
                "concern",
                &concerns,
                k.concerns.iter().map(|c| c.id.as_str()).collect(),
            )?;
            let opts = export::Options {
                format: format.into(),
                filter: export::Filter {
                    since,
                    until,
                    regions,
                    concerns,
                    statuses,
                },
                transcripts,
                user_ids,
                delimiter,
                bom: bom.unwrap_or(config.export.bom),
                lang,
            };
            let n = match &out {
                Some(path) => {
                    let file = crate::app::crypto::create_private_file(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let n =
                        export::write_at(open, &opts, Some(&k), std::io::BufWriter::new(&file))?;
                    file.sync_all()?;
                    n
                }
                None => export::write_at(open, &opts, Some(&k), std::io::stdout().lock())?,
            };
            match &out {
                Some(p) => errln!("exported {n} conversation(s) to {}", p.display()),
                None => errln!("exported {n} conversation(s)"),
            }
            Ok(())
        }
        Command::Report(args) => report::run(args),
        Command::Forget { db, user } => {
            let (_, store) = db.open()?;
            let f = privacy::forget(&store, &user)?;
            if f.conversations.is_empty() && !f.key_destroyed {
                outln!("nothing was stored for this user");
            } else {
                outln!(
                    "forgotten: {} conversation(s) removed, data key destroyed",
                    f.conversations.len()
                );
            }
            Ok(())
        }
        Command::Content {
            action: ContentCommand::Export { dir, force },
        } => ops::content_export(&dir, force).map_err(Failure::Usage),
        Command::Purge { db, retention_days } => {
            let (config, store) = db.open()?;
            let days = retention_days.unwrap_or(config.privacy.retention_days);
            let p = privacy::purge(&store, days, chrono::Utc::now())?;
            outln!(
                "purged {} conversation(s) with no activity in {days} days; {} orphaned record set(s), {} expired dedupe record(s)",
                p.conversations.len(),
                p.orphans,
                p.seen
            );
            Ok(())
        }
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
    }
}
