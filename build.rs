//! Embeds the shipped content: every `intents/*.toml` becomes an entry of
//! `EMBEDDED_FILES` (name, text) in `$OUT_DIR/embedded_content.rs`, included by
//! `src/content/embedded.rs`. The binary then needs no source tree.

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = root.join("intents");
    // A directory: cargo reruns this when any file in it changes or is added.
    println!("cargo:rerun-if-changed=intents");
    println!("cargo:rerun-if-changed=build.rs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("intents/ is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    // A new file, never a write through an old one: a target directory
    // seeded with hard links (`cp -al`) shares the old file's inode with
    // other checkouts, which would then embed this checkout's content.
    let _ = std::fs::remove_file(out.join("embedded_content.rs"));
    let mut f =
        std::fs::File::create(out.join("embedded_content.rs")).expect("OUT_DIR is writable");
    writeln!(f, "pub static EMBEDDED_FILES: &[(&str, &str)] = &[").unwrap();
    for n in &names {
        let path = dir.join(n);
        writeln!(
            f,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}
