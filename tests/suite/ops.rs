//! Operations: the binary on its own (embedded content), `content export`,
//! `--version`.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_llo-intake");

/// The built binary, run in `cwd`, with no log or token settings from the
/// environment.
fn run_in(program: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(cwd)
        .env_remove("LLO_INTAKE_LOG")
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .env_remove("CREDENTIALS_DIRECTORY");
    c
}

fn bin_in(cwd: &Path) -> Command {
    run_in(Path::new(BIN), cwd)
}

#[test]
fn a_binary_copied_alone_into_an_empty_directory_holds_a_console_intake() {
    let tmp = tempfile::tempdir().unwrap();
    let alone = tmp.path().join("llo-intake");
    std::fs::copy(BIN, &alone).unwrap();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    let mut child = run_in(&alone, tmp.path())
        .args(["console", "--jsonl", "--user", "anna"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for a in crate::cli::FULL {
            writeln!(stdin, "{a}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<&str> = lines
        .iter()
        .filter(|v| v["kind"] == "question")
        .map(|v| v["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"consent"));
    assert!(steps.contains(&"region"), "{steps:?}");
    assert!(lines.iter().any(|v| v["kind"] == "recommendations"));
    assert_eq!(lines.last().unwrap()["kind"], "end");
    // The database went where the default says: ./data next to the binary.
    assert!(tmp.path().join("data").join("db").is_file());
}

#[test]
fn content_export_writes_the_embedded_files_which_load_as_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin_in(tmp.path())
        .args(["content", "export", "mine"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    for e in std::fs::read_dir(&shipped).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("mine").join(&name)).unwrap(),
            std::fs::read_to_string(e.path()).unwrap(),
            "{name:?}"
        );
    }
    let check = bin_in(tmp.path())
        .args(["check", "--intents", "mine"])
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    // A second export does not overwrite edits unless asked to.
    let again = bin_in(tmp.path())
        .args(["content", "export", "mine"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = bin_in(tmp.path())
        .args(["content", "export", "--force", "mine"])
        .output()
        .unwrap();
    assert!(forced.status.success(), "{forced:?}");
}

#[test]
fn a_directory_after_the_embedded_content_extends_it_and_problems_name_the_embedded_file() {
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    std::fs::create_dir(&local).unwrap();
    std::fs::write(
        local.join("coaches.toml"),
        r#"[[contact]]
id = "our_desk"
name = "Ons Leerwerkloket"
url = "https://www.leerwerkloket.nl"
regions = ["national"]
about = { nl = "Ons eigen loket.", en = "Our own desk." }
"#,
    )
    .unwrap();
    let ok = bin_in(tmp.path())
        .args(["check", "--intents", "embedded", "--intents", "local"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    // 22 shipped contacts + 1 of our own.
    let shipped = bin_in(tmp.path()).arg("check").output().unwrap();
    let count = |o: &std::process::Output| {
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        let n = s
            .split(" contacts")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        n.parse::<usize>().unwrap_or_else(|_| panic!("{s}"))
    };
    assert_eq!(count(&ok), count(&shipped) + 1);

    // A route id the shipped content already has: the error names both sides,
    // the embedded one as intents/routes.toml (embedded).
    std::fs::write(
        local.join("routes.toml"),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("intents/routes.toml"))
            .unwrap(),
    )
    .unwrap();
    let dup = bin_in(tmp.path())
        .args(["check", "--intents", "embedded", "--intents", "local"])
        .output()
        .unwrap();
    assert_eq!(dup.status.code(), Some(2), "{dup:?}");
    let err = String::from_utf8_lossy(&dup.stderr);
    assert!(
        err.contains("intents/routes.toml (embedded): route.werkcentrum: duplicate id"),
        "{err}"
    );
}

#[test]
fn version_shows_the_version_and_the_content_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin_in(tmp.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let hash = llo_intake::content::embedded::hash();
    assert_eq!(
        s.trim(),
        format!("llo-intake {} (content {hash})", env!("CARGO_PKG_VERSION"))
    );
    assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()));
}
