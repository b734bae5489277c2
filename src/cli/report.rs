//! `llo-intake report`: the network's statistics as one HTML file with
//! charts, or the same tables as CSV (see [`crate::app::report`]).

use super::{dirs, message_keys, since_date, until_date, DbArgs, Failure};
use crate::app::report::{self, csv::CsvOptions, Filter, Options};
use crate::app::settings::parse_delimiter;
use crate::content::text::Lang;
use anyhow::Context as _;
use std::io::Write;
use std::path::PathBuf;

/// `--format` of `report`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum ReportFormat {
    Html,
    Csv,
}

#[derive(clap::Args)]
pub(super) struct ReportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// html (one self-contained file with charts) or csv (the same tables, for Excel).
    #[arg(long, value_enum, default_value = "html")]
    format: ReportFormat,
    /// Write to FILE instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Conversations started on or after DATE (YYYY-MM-DD, UTC, or RFC 3339).
    #[arg(long, value_parser = since_date)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Conversations started on or before DATE (the whole day counts).
    #[arg(long, value_parser = until_date)]
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// Only this province id or labour-market region code (AM06); repeat for several.
    #[arg(long = "region")]
    regions: Vec<String>,
    /// Language of the report: nl or en.
    #[arg(long, default_value = "nl")]
    lang: Lang,
    /// How many routes and contacts to list.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    top: u16,
    /// CSV delimiter (default from config [export], else ';').
    #[arg(long)]
    delimiter: Option<String>,
    /// CSV byte order mark: true or false (default from config [export], else true).
    #[arg(long)]
    bom: Option<bool>,
    /// Content directories, for labels and checking region ids.
    #[arg(long = "intents")]
    intents: Vec<PathBuf>,
}

pub(super) fn run(a: ReportArgs) -> Result<(), Failure> {
    // Opened as every command opens it (an older database is backed up and
    // upgraded), then again with a small page cache for each part of the
    // reading (`report::tally_at`).
    let (config, store) = a.db.open()?;
    let path = store.path().to_path_buf();
    drop(store);
    let key_file = config.privacy.master_key_file.clone();
    let open = || {
        crate::app::store::Store::open_with_cache(&path, key_file.as_deref(), report::CACHE_BYTES)
    };
    let delimiter = a.delimiter.unwrap_or(config.export.delimiter);
    let delimiter = parse_delimiter(&delimiter).map_err(|e| Failure::Usage(anyhow::anyhow!(e)))?;
    let content = report::load_content(&dirs(a.intents), &message_keys())
        .map_err(|e| Failure::Usage(e.into()))?;
    if let Some(r) = a
        .regions
        .iter()
        .find(|r| content.province(r).is_none() && content.labour_market_region(r).is_none())
    {
        return Err(Failure::Usage(anyhow::anyhow!(
            "unknown region '{r}' (use a province id such as utrecht, or a labour-market region code such as AM06)"
        )));
    }
    let opts = Options {
        filter: Filter {
            since: a.since,
            until: a.until,
            regions: a.regions,
        },
        lang: a.lang,
        top: a.top as usize,
    };
    let started = std::time::Instant::now();
    let r = report::build_at(open, &content, &opts)?;
    let mut bytes = Vec::new();
    match a.format {
        ReportFormat::Html => bytes.extend_from_slice(report::html::render(&r).as_bytes()),
        ReportFormat::Csv => report::csv::write(
            &r,
            CsvOptions {
                delimiter,
                bom: a.bom.unwrap_or(config.export.bom),
            },
            &mut bytes,
        )?,
    }
    match &a.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "report written to {} in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
