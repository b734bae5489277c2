//! The layers of `src/lib.rs`'s `# Layout`, enforced: each layer imports only
//! the layers below it, the pure core names no I/O or transport crate, and
//! nothing below the transports names Discord.

use std::path::{Path, PathBuf};

/// Layers, lowest first. Transports (console, discord) share a rank: they
/// must not import each other.
fn rank(module: &str) -> Option<u8> {
    Some(match module {
        "content" => 0,
        "domain" => 1,
        "app" => 2,
        "console" | "discord" => 3,
        "cli" => 4,
        _ => return None,
    })
}

/// Crates a layer must not name.
fn banned_crates(layer: &str) -> &'static [&'static str] {
    match layer {
        "content" | "domain" => &["sled", "serenity", "poise", "tokio", "clap"],
        "app" | "console" => &["serenity", "poise", "clap"],
        "discord" => &["clap"],
        _ => &[],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The layer a source file belongs to (`src/domain/nlu/classify.rs` -> domain).
fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    rank(name).map(|_| name.to_string())
}

/// The code of a line without its comment (good enough for this code base:
/// no `//` inside the string literals of the lower layers' imports).
fn code(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with("//") {
        return "";
    }
    match line.find("//") {
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    }
}

/// Every violation as "file:line: what".
fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let Some(layer) = layer_of(&src, file) else {
            continue;
        };
        let own = rank(&layer).unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        let rel = file.strip_prefix(&src).unwrap().display().to_string();
        for (n, line) in text.lines().enumerate() {
            let c = code(line);
            let at = format!("src/{rel}:{}", n + 1);
            for (i, _) in c.match_indices("crate::") {
                let rest = &c[i + "crate::".len()..];
                let target: String = rest
                    .chars()
                    .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
                    .collect();
                if let Some(r) = rank(&target) {
                    if target != layer && r >= own {
                        found.push(format!("{at}: {layer} imports {target}"));
                    }
                }
            }
            for krate in banned_crates(&layer) {
                let needle = format!("{krate}::");
                let hit = c.match_indices(&needle).any(|(i, _)| {
                    i == 0
                        || !c[..i]
                            .ends_with(|ch: char| ch.is_alphanumeric() || ch == '_' || ch == ':')
                });
                if hit {
                    found.push(format!("{at}: {layer} names the {krate} crate"));
                }
            }
            if own < 3 && c.to_lowercase().contains("discord") {
                found.push(format!("{at}: {layer} names discord"));
            }
        }
    }
    found
}

/// Violations being removed by work in progress: each entry must still occur
/// (so a fix forces its entry out of this list), and nothing else may.
const PENDING: &[&str] = &[];

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let found = violations();
    let unexpected: Vec<&String> = found
        .iter()
        .filter(|v| !PENDING.iter().any(|p| v.contains(p)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "layer violations:\n{}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for p in PENDING {
        assert!(
            found.iter().any(|v| v.contains(p)),
            "{p:?} no longer occurs: remove it from PENDING"
        );
    }
}

#[test]
fn the_check_finds_a_violation() {
    // The scanner itself: a domain line importing app is caught, a comment is not.
    assert_eq!(
        code("use crate::app::store; // x"),
        "use crate::app::store; "
    );
    assert_eq!(code("    // crate::discord"), "");
    assert_eq!(rank("domain"), Some(1));
    assert!(banned_crates("domain").contains(&"sled"));
}
