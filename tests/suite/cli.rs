//! The built binary, driven through stdin/stdout: the console in --jsonl
//! mode, resuming, content checks, and the database errors an operator sees.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_llo-intake"));
    c.env_remove("LLO_INTAKE_LOG");
    c
}

/// Runs `console --jsonl` with the given answers on stdin.
fn console(db: &Path, user: &str, answers: &[&str], extra: &[&str]) -> (Vec<Value>, Output) {
    let mut child = bin()
        .args(["console", "--jsonl", "--user", user, "--db"])
        .arg(db)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    {
        let mut stdin = child.stdin.take().unwrap();
        for a in answers {
            writeln!(stdin, "{a}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    (lines, out)
}

fn last_question(lines: &[Value]) -> Option<&str> {
    lines
        .last()
        .filter(|v| v["kind"] == "question")
        .and_then(|v| v["step"].as_str())
}

pub(crate) const FULL: &[&str] = &[
    "ja",
    "mn mensen lopen weg en ik kan geen nieuw personeel vinden",
    "ja klopt",
    "we hebben een bouwbedrijf",
    "23",
    "we zitten in Tilburg",
    "vacatures op Indeed gezet",
    "nee",
];

#[test]
fn jsonl_console_holds_a_whole_intake() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, out) = console(&dir.path().join("db"), "anna", FULL, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds: Vec<&str> = lines.iter().map(|v| v["kind"].as_str().unwrap()).collect();
    let steps: Vec<&str> = lines
        .iter()
        .filter(|v| v["kind"] == "question")
        .map(|v| v["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "consent",
            "concerns",
            "confirm",
            "sector",
            "size",
            "region",
            "tried",
            "handoff_offer"
        ]
    );
    assert_eq!(kinds.last(), Some(&"end"));
    let consent = &lines[0];
    assert_eq!(consent["choices"][0]["id"], "yes");
    let confirm = lines.iter().find(|v| v["step"] == "confirm").unwrap();
    assert_eq!(
        confirm["concerns"],
        serde_json::json!(["recruitment", "retention"])
    );
    let rec = lines
        .iter()
        .find(|v| v["kind"] == "recommendations")
        .expect("recommendations");
    assert_eq!(
        rec["profile"],
        serde_json::json!({"sector": "bouw", "size": "small", "region": "noord-brabant"})
    );
    assert_eq!(
        rec["concerns"],
        serde_json::json!(["recruitment", "retention"])
    );
    let routes = rec["routes"].as_array().unwrap();
    assert!(!routes.is_empty() && routes.len() <= 3);
    for r in routes {
        for key in ["id", "title", "url", "why"] {
            assert!(
                r[key].as_str().is_some_and(|s| !s.is_empty()),
                "route has {key}: {r}"
            );
        }
    }
    for c in rec["contacts"].as_array().unwrap() {
        for key in ["id", "name", "url", "region"] {
            assert!(c[key].is_string(), "contact has {key}: {c}");
        }
    }
}

#[test]
fn whenever_the_bot_waits_the_last_line_is_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    for n in 0..FULL.len() - 1 {
        let user = format!("u{n}");
        let (lines, out) = console(&db, &user, &FULL[..n], &[]);
        assert!(out.status.success());
        assert!(
            last_question(&lines).is_some(),
            "after {n} answers: {:?}",
            lines.last()
        );
    }
}

#[test]
fn resume_after_three_answers_continues_at_the_pending_question() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (first, out) = console(&db, "piet", &FULL[..3], &[]);
    assert!(out.status.success(), "EOF ends cleanly");
    assert_eq!(last_question(&first), Some("sector"));
    let (second, out) = console(&db, "piet", &FULL[3..], &[]);
    assert!(out.status.success());
    assert_eq!(second[0]["kind"], "message", "a short welcome back first");
    assert_eq!(
        second[1]["step"], "sector",
        "then the pending question again"
    );
    assert!(second.iter().any(|v| v["kind"] == "recommendations"));
    let rec = second
        .iter()
        .find(|v| v["kind"] == "recommendations")
        .unwrap();
    assert_eq!(
        rec["concerns"],
        serde_json::json!(["recruitment", "retention"]),
        "answers from before the restart are kept"
    );
    // Another user on the same database starts fresh.
    let (other, _) = console(&db, "kees", &[], &[]);
    assert_eq!(other[0]["step"], "consent");
}

#[test]
fn english_console_and_plain_text_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, _) = console(&dir.path().join("db"), "en", &["yes"], &["--lang", "en"]);
    assert_eq!(lines[1]["step"], "concerns");
    assert!(lines[1]["text"].as_str().unwrap().contains("business"));
    let mut child = bin()
        .args(["console", "--db"])
        .arg(dir.path().join("db2"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ja\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1) Ja") && text.contains("> "), "{text}");
}

#[test]
fn odd_input_is_answered_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let long = "personeel ".repeat(400);
    let answers = [
        "ja",
        "",
        long.as_str(),
        "nee",
        "@everyone 😅 **werkdruk** is hoog",
    ];
    let (lines, out) = console(&dir.path().join("db"), "odd", &answers, &[]);
    assert!(out.status.success());
    let too_long = lines
        .iter()
        .any(|v| v["kind"] == "message" && v["step"] == "concerns");
    assert!(too_long, "a 4000-character message is cut with a notice");
    let confirm: Vec<&Value> = lines
        .iter()
        .filter(|v| v["step"] == "confirm" && v["kind"] == "question")
        .collect();
    assert_eq!(confirm.last().unwrap()["step"], "confirm");
    assert_eq!(
        last_question(&lines),
        Some("sector"),
        "picked wellbeing from the text after 'nee'"
    );
}

fn copy_intents(to: &Path) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("intents");
    let dst = to.join("intents");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    dst
}

fn check(dir: &Path) -> (i32, String) {
    let out = bin()
        .args(["check", "--intents"])
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_the_shipped_content() {
    let out = bin().arg("check").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("content ok"));
}

#[test]
fn check_rejects_invalid_toml_with_the_file_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    std::fs::write(dir.join("messages.toml"), "[messages.yes\nnl = 'Ja'\n").unwrap();
    let (code, err) = check(&dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("messages.toml") && err.contains("invalid TOML"),
        "{err}"
    );
}

#[test]
fn check_rejects_an_invalid_regex_with_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    let path = dir.join("concerns.toml");
    let src = std::fs::read_to_string(&path).unwrap().replacen(
        "patterns.nl = [",
        "patterns.nl = [\n  'vaca(ture',",
        1,
    );
    std::fs::write(&path, src).unwrap();
    let (code, err) = check(&dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("concerns.toml") && err.contains("concern.recruitment.patterns.nl"),
        "{err}"
    );
}

#[test]
fn check_rejects_a_dangling_reference_and_a_missing_translation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    let path = dir.join("script.toml");
    let src = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("next = \"size\"", "next = \"grootte\"", 1)
        .replacen("prompt.en = \"What line of business are you in?\"", "", 1);
    std::fs::write(&path, src).unwrap();
    let (code, err) = check(&dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("script.toml: step.sector.next: unknown step \"grootte\""),
        "{err}"
    );
    assert!(err.contains("step.sector.prompt.en"), "{err}");
    assert!(
        err.contains("step.size") && err.contains("unreachable"),
        "{err}"
    );
}

#[test]
fn check_rejects_jargon_in_the_concerns_question() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    let path = dir.join("script.toml");
    let src = std::fs::read_to_string(&path).unwrap().replacen(
        "Vertel eens:",
        "Welke subsidie voor leven lang ontwikkelen zoek je?",
        1,
    );
    std::fs::write(&path, src).unwrap();
    let (code, err) = check(&dir);
    assert_eq!(code, 2);
    assert!(err.contains("step.concerns.prompt.nl"), "{err}");
}

#[test]
fn console_refuses_broken_content_with_exit_code_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    std::fs::write(dir.join("routes.toml"), "[[route]]\nid = 'x'\n").unwrap();
    let out = bin()
        .args(["console", "--db"])
        .arg(tmp.path().join("db"))
        .arg("--intents")
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("routes.toml"));
}

/// Content is checked while an existing database opens, so both orders of
/// failure are covered: no empty database is made for content that is
/// refused, and a conversation in an existing one is still there after.
#[test]
fn broken_content_makes_no_database_and_leaves_an_existing_one_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    std::fs::write(dir.join("routes.toml"), "[[route]]\nid = 'x'\n").unwrap();
    let refused = |db: &Path| {
        let out = bin()
            .args(["console", "--jsonl", "--user", "u1", "--db"])
            .arg(db)
            .arg("--intents")
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains("routes.toml"), "{err}");
        assert!(out.stdout.is_empty(), "nothing was asked: {out:?}");
    };

    let fresh = tmp.path().join("fresh");
    refused(&fresh);
    assert!(!fresh.exists(), "no database was made for refused content");

    let db = tmp.path().join("db");
    let (_, out) = console(&db, "u1", &FULL[..3], &[]);
    assert!(out.status.success(), "{out:?}");
    refused(&db);
    let (lines, out) = console(&db, "u1", &[], &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        last_question(&lines),
        Some("sector"),
        "the conversation resumes where it was: {lines:?}"
    );
}

#[test]
fn a_second_process_on_the_same_database_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let held = llo_intake::app::store::Store::open(&db).expect("first opener");
    let (_, out) = console(&db, "x", &["ja"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in use by another llo-intake process"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    drop(held);
}

#[test]
fn a_damaged_database_is_reported_never_silently_started_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let (_, out) = console(&db, "x", &["ja", "te weinig personeel"], &[]);
    assert!(out.status.success());
    std::fs::write(db.join("db"), vec![0xAB; 4096]).unwrap();
    let (lines, out) = console(&db, "x", &["ja"], &[]);
    assert_eq!(out.status.code(), Some(1), "stdout: {lines:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt or unreadable"), "{err}");
    // A directory that holds something else is not taken over either.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let (_, out) = console(&other, "x", &[], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn classify_reads_stdin_lines_and_eval_reports_macro_f1() {
    let mut child = bin()
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("ik kan geen personeel vinden\nmooi weer vandaag\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["concerns"], serde_json::json!(["recruitment"]));
    assert_eq!(lines[1]["concerns"], serde_json::json!([]));

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.jsonl");
    std::fs::write(
        &file,
        "{\"text\": \"ik kan geen personeel vinden\", \"concerns\": [\"recruitment\"]}\n{\"text\": \"hoi\", \"concerns\": []}\n",
    )
    .unwrap();
    let out = bin().arg("eval").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("macro-F1"),
        "{stdout}"
    );
    assert!(stdout.contains("recruitment"));
}

#[test]
fn usage_errors_exit_2_and_help_works() {
    assert!(bin().arg("--help").output().unwrap().status.success());
    assert_eq!(
        bin().arg("--nonsense").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(
        bin()
            .args(["console", "--lang", "fr"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn purge_with_an_absurd_retention_is_a_usage_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // A real database, so the only thing wrong is the number.
    let (_, out) = console(&dir.path().join("db"), "u", &["ja"], &[]);
    assert!(out.status.success());
    for days in ["4000000000", "0", "36501", "-3"] {
        let out = bin()
            .args(["purge", "--db"])
            .arg(dir.path().join("db"))
            .arg(format!("--retention-days={days}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{days}: {stderr}");
        assert!(
            stderr.contains("--retention-days") && stderr.contains("between 1 and 36500"),
            "{days}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn every_bounded_config_integer_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // The stderr of `purge` with this config, which must exit 2.
    let refused = |text: &str| -> String {
        std::fs::write(&config, text).unwrap();
        let out = bin()
            .args(["purge", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        stderr
    };
    for (section, key, bad, bounds) in [
        (
            "discord",
            "reminder_after_mins",
            "10081",
            "between 0 and 10080",
        ),
        ("discord", "reminder_check_secs", "0", "between 1 and 86400"),
        (
            "discord",
            "dedupe_ttl_secs",
            "9000000000000000000",
            "between 1 and 31536000",
        ),
        ("discord", "rate_limit_events", "0", "between 1 and 10000"),
        (
            "discord",
            "rate_limit_window_secs",
            "86401",
            "between 1 and 86400",
        ),
        (
            "discord",
            "shutdown_grace_secs",
            "3601",
            "between 0 and 3600",
        ),
        ("discord", "guild_id", "0", "Discord id"),
        ("discord", "intake_channel", "0", "Discord id"),
        ("discord", "coach_role", "0", "Discord id"),
        ("discord", "moderator_role", "0", "Discord id"),
        ("discord", "coach_channel", "0", "Discord id"),
        ("discord.coach_channels", "gelderland", "0", "Discord id"),
        (
            "privacy",
            "retention_days",
            "4000000000",
            "between 1 and 36500",
        ),
        ("privacy", "retention_days", "0", "between 1 and 36500"),
    ] {
        let stderr = refused(&format!("[{section}]\n{key} = {bad}\n"));
        assert!(
            stderr.contains(&format!("[{section}] {key} must be")) && stderr.contains(bounds),
            "{key}: {stderr}"
        );
    }
    // A number too large for any integer is refused by the parser, also by name.
    let stderr = refused("[discord]\ndedupe_ttl_secs = 99999999999999999999\n");
    assert!(stderr.contains("dedupe_ttl_secs"), "{stderr}");
}
