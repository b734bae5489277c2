//! The `llo-intake` command line. Exit codes: 0 ok, 1 runtime error, 2 usage
//! or content error.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use llo_intake::config::Config;
use llo_intake::content::Severity;
use llo_intake::knowledge::Knowledge;
use llo_intake::service::Intake;
use llo_intake::store::Store;
use llo_intake::text::Lang;
use llo_intake::{console, content, discord, eval};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "llo-intake",
    version,
    about = "Intake bot for regional lifelong-learning networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Hold the intake conversation in this terminal.
    Console {
        /// Database directory (created when missing).
        #[arg(long, default_value = "data")]
        db: PathBuf,
        /// Content directory; repeat to add a deployment's own content.
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
    /// Validate the content files.
    Check {
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
    },
    /// Show the concerns detected in TEXT (or in each line of stdin).
    Classify {
        text: Option<String>,
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
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
        file: PathBuf,
        #[arg(long = "intents")]
        intents: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// List the utterances that were not classified right.
        #[arg(long)]
        errors: bool,
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Run { .. }));
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to stderr; `LLO_INTAKE_LOG` overrides the level (e.g. `debug`).
/// The bot logs its own progress at info; message content is never logged.
fn init_logging(bot: bool) {
    let default = if bot { "warn,llo_intake=info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LLO_INTAKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn dirs(given: Vec<PathBuf>) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![content::default_dir()]
    } else {
        given
    }
}

/// Loads content; problems are a usage error (exit 2). Warnings go to stderr.
fn knowledge(dirs: &[PathBuf]) -> Result<Knowledge, Failure> {
    match Knowledge::load(dirs) {
        Ok((k, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            Ok(k)
        }
        Err(e) => Err(Failure::Usage(anyhow::anyhow!(e))),
    }
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
    let token = config
        .discord
        .token(std::env::var("DISCORD_TOKEN").ok())
        .map_err(|e| Failure::Usage(e.into()))?;
    let k = knowledge(&config.intake.content)?;
    let store = Store::open(&config.intake.database)?;
    let intake = Intake::new(Arc::new(k), store, config.intake.default_language);
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(%info, "panic");
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(discord::run(
        &config.discord,
        &token,
        intake,
        shutdown_signal(),
    ))?;
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
            let k = knowledge(&dirs(intents))?;
            let store = Store::open(&db)?;
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
        Command::Check { intents } => {
            let dirs = dirs(intents);
            let (raw, mut problems) = content::RawContent::read(&dirs);
            let merged = raw.merge();
            problems.extend(content::check::check(&merged));
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            let warnings = problems.len() - errors;
            for p in &problems {
                eprintln!("{p}");
            }
            if errors > 0 {
                return Err(Failure::Usage(anyhow::anyhow!(
                    "content check failed: {errors} error(s), {warnings} warning(s)"
                )));
            }
            println!(
                "content ok: {} concerns, {} steps, {} routes, {} contacts, {} provinces ({warnings} warning(s))",
                merged.concerns.len(),
                merged.steps.len(),
                merged.routes.len(),
                merged.contacts.len(),
                merged.provinces.len()
            );
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
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            println!(
                "{:<18} {:>9} {:>7} {:>7}   tp  fp  fn",
                "concern", "precision", "recall", "f1"
            );
            for c in &report.per_concern {
                println!(
                    "{:<18} {:>9.3} {:>7.3} {:>7.3}  {:>3} {:>3} {:>3}",
                    c.concern, c.precision, c.recall, c.f1, c.tp, c.fp, c.fn_
                );
            }
            println!("items: {}  macro-F1: {:.3}", report.items, report.macro_f1);
            if errors {
                for (t, want, got) in &report.errors {
                    println!("  {t:?}\n      want {want:?} got {got:?}");
                }
            }
            Ok(())
        }
    }
}
