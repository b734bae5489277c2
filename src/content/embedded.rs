//! The shipped content, compiled into the binary (see `build.rs`), so a
//! binary copied alone onto a server holds its intakes without the source
//! tree. In a content list (`--intents`, config `[intake] content`) the
//! name [`EMBEDDED`] stands for it; directories after it extend or override it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_content.rs"));

/// How a content list names the embedded content. A directory that happens
/// to have this name is written `./embedded`.
pub const EMBEDDED: &str = "embedded";

/// The files compiled in: (file name, TOML text), sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    EMBEDDED_FILES
}

/// Whether an entry of a content list means the embedded content.
pub fn is_embedded(p: &Path) -> bool {
    p.as_os_str() == EMBEDDED
}

/// The name problems and origins carry for an embedded file:
/// `intents/<file>.toml (embedded)`.
pub fn origin(name: &str) -> PathBuf {
    PathBuf::from(format!("intents/{name} (embedded)"))
}

/// A short hash over the embedded files (names and text): which content a
/// binary ships, as `--version` shows it.
pub fn hash() -> String {
    let mut h = Sha256::new();
    for (name, text) in files() {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the embedded files into `dir` (created when missing), to edit and
/// then load with `--intents DIR`. Refuses to overwrite an existing file
/// unless `force`. Returns the paths written.
pub fn export(dir: &Path, force: bool) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    if !force {
        if let Some((name, _)) = files().iter().find(|(n, _)| dir.join(n).exists()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists (use --force to overwrite)",
                    dir.join(name).display()
                ),
            ));
        }
    }
    let mut written = Vec::new();
    for (name, text) in files() {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_are_the_shipped_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let names: Vec<&str> = files().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, on_disk);
        for (n, text) in files() {
            assert_eq!(*text, std::fs::read_to_string(dir.join(n)).unwrap(), "{n}");
        }
        assert_eq!(hash().len(), 12);
    }
}
