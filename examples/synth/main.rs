//! Builds a synthetic llo-intake database for measurements:
//!
//!     cargo run --release --example synth -- --db DIR --conversations N [--retention-days D]
//!
//! DIR must be new or empty. The mix (hand-offs waiting and claimed, intakes
//! in progress, finished ones, 1% past retention) is described in `db.rs`;
//! `cargo bench --bench scale` measures such databases. The master key is
//! `DIR/master.key` unless `LLO_INTAKE_MASTER_KEY` is set.

mod db;

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut dir = None;
    let mut n = None;
    let mut retention = llo_intake::app::privacy::DEFAULT_RETENTION_DAYS;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--db" => dir = Some(PathBuf::from(value()?)),
            "--conversations" => n = Some(value()?.parse::<usize>()?),
            "--retention-days" => retention = value()?.parse()?,
            _ => anyhow::bail!(
                "usage: synth --db DIR --conversations N [--retention-days D] (unknown argument {a})"
            ),
        }
    }
    let (Some(dir), Some(n)) = (dir, n) else {
        anyhow::bail!("usage: synth --db DIR --conversations N [--retention-days D]");
    };
    let t = std::time::Instant::now();
    let mix = db::build(&dir, n, chrono::Utc::now(), retention, true)?;
    println!(
        "{n} conversations in {} ({:.1} s): {} waiting and {} claimed hand-offs, {} in progress, {} finished, {} past {retention} days of retention",
        dir.display(),
        t.elapsed().as_secs_f64(),
        mix.waiting,
        mix.claimed,
        mix.active,
        mix.finished,
        mix.expired
    );
    Ok(())
}
