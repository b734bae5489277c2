//! Operations commands: `content export`, the version line with the content
//! hash.

use crate::content::embedded;
use std::io::Write;
use std::path::Path;

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
