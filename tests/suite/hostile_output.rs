//! Hostile output: what a person types with terminal escapes (ESC/CSI, OSC,
//! BEL, C1 controls), bidi overrides or Markdown/HTML reaches neither the
//! console nor an export raw; `--out` onto an existing file ends at 0600.
//! Everything through the real binary, asserted on bytes.

use crate::privacy_support::{day, run, seed_full, stderr};
use llo_intake::app::store::{Entry, Role, Store};
use std::path::Path;

/// Terminal steering a person can paste: a colour (CSI), a window title and
/// a hyperlink (OSC ... BEL / ST), a C1 CSI, bidi override and isolate, and a
/// carriage return that would overwrite the line.
const HOSTILE: &str = "personeel\u{1b}[31m vinden\u{1b}]0;pwned\u{7} lukt\u{9b}2J niet \u{202e}tnednepa\u{202c} \u{2066}x\u{2069}\r\u{1b}]8;;http://evil\u{1b}\\klik\u{1b}]8;;\u{1b}\\";

/// The raw byte sequences that must never be printed.
fn steering_bytes(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = matches!(c,
            '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if bad {
            found.push(format!("U+{:04X}", c as u32));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `export --format FORMAT ARGS...` of `db`; its stdout.
fn export(db: &Path, format: &str, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["export", "--db", db.to_str().unwrap(), "--format", format];
    all.extend_from_slice(args);
    let o = run(&all, "");
    assert!(o.status.success(), "export {format}: {}", stderr(&o));
    o.stdout
}

const ALL: &[&str] = &["--transcripts", "--user-ids"];

#[test]
fn typed_escapes_and_bidi_overrides_reach_neither_the_console_nor_an_export() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let answers =
        format!("ja\n{HOSTILE}\nja\nbouw\n12\nUtrecht\nniets \u{1b}[2Kgeprobeerd\u{7}\nnee\n");
    let o = run(
        &["console", "--db", db.to_str().unwrap(), "--user", "mallory"],
        &answers,
    );
    assert!(o.status.success(), "console: {}", stderr(&o));
    assert_eq!(
        steering_bytes(&o.stdout),
        Vec::<String>::new(),
        "console output"
    );
    for format in ["csv", "markdown", "jsonl"] {
        let bytes = export(&db, format, ALL);
        assert_eq!(
            steering_bytes(&bytes),
            Vec::<String>::new(),
            "{format} export"
        );
        let text = String::from_utf8_lossy(&bytes);
        // The words themselves are kept, only the steering is gone.
        let kept = "personeel vinden lukt niet tnednepa xklik";
        assert!(text.contains(kept), "{format}: {text}");
        assert!(text.contains("tnednepa"), "{format}: {text}");
    }
}

/// Records stored before input was cleaned (or by any other path) still
/// carry raw controls: every export shows them by code point or escapes them.
#[test]
fn stored_controls_and_markdown_are_made_inert_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        let id = seed_full(&store, "u1", day(0), "we vinden geen personeel", "Utrecht");
        let html = "<img src=x onerror=alert(1)> | kolom | tabel |\n# kop `code` **vet** [link](http://x) &amp;";
        store
            .append(
                &id,
                &[
                    Entry::new(day(0), Role::User, HOSTILE),
                    Entry::new(day(0), Role::User, html),
                ],
            )
            .unwrap();
    }

    let csv = export(&db, "csv", ALL);
    assert_eq!(steering_bytes(&csv), Vec::<String>::new(), "csv");
    let csv = String::from_utf8_lossy(&csv);
    for shown in [
        "[U+001B][31m",
        "[U+0007]",
        "[U+009B]2J",
        "[U+202E]tnednepa",
        "[U+2066]x",
    ] {
        assert!(csv.contains(shown), "csv shows {shown}: {csv}");
    }

    let md = export(&db, "markdown", ALL);
    assert_eq!(steering_bytes(&md), Vec::<String>::new(), "markdown");
    let md = String::from_utf8_lossy(&md);
    assert!(md.contains(r"\[U+001B\]\[31m"), "{md}");
    assert!(md.contains(r"\[U+202E\]tnednepa"), "{md}");
    assert!(!md.contains("<img"), "raw HTML in markdown: {md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    assert!(
        md.contains(r"\| kolom \| tabel \|"),
        "table syntax escaped: {md}"
    );
    assert!(
        md.contains(r"\# kop \`code\` \*\*vet\*\* \[link\](http://x) &amp;amp;"),
        "{md}"
    );
    for line in md.lines() {
        assert!(
            !line.starts_with("# kop") && !line.starts_with('|'),
            "user text makes a heading or table row: {line}"
        );
    }

    let jsonl = export(&db, "jsonl", ALL);
    assert_eq!(steering_bytes(&jsonl), Vec::<String>::new(), "jsonl");
    let jsonl = String::from_utf8_lossy(&jsonl);
    assert!(
        jsonl.contains(r"\u001b[31m") && jsonl.contains(r"\u202etnednepa"),
        "{jsonl}"
    );
    // A program reading the JSON gets the stored text back exactly.
    let found = jsonl.lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["transcript"]
            .as_array()
            .is_some_and(|t| t.iter().any(|e| e["text"] == HOSTILE))
    });
    assert!(found, "jsonl round trip: {jsonl}");
}

#[cfg(unix)]
#[test]
fn out_onto_an_existing_world_readable_file_ends_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db).unwrap();
        seed_full(&store, "u1", day(0), "we vinden geen personeel", "Utrecht");
    }
    let out = tmp.path().join("export.csv");
    std::fs::write(
        &out,
        "oude inhoud die veel langer is dan niets\n".repeat(100),
    )
    .unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    for format in ["csv", "markdown", "jsonl"] {
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        let printed = export(&db, format, &["--out", out.to_str().unwrap()]);
        assert!(printed.is_empty());
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{format}: --out onto a 0644 file");
        let body = std::fs::read_to_string(&out).unwrap();
        assert!(!body.contains("oude inhoud"), "{format}: old content left");
    }
}
