//! `llo-intake check` guards the content: each rule is broken once in a copy
//! of the shipped content, and the binary must name the file and the key.
//!
//! The rules for ended routes (see the header of intents/routes.toml): an
//! ended route is never offered, so `check` refuses content in which one
//! could slip through: an ended route without `mentions`, an ended route as
//! another route's `successor`, and a live route that has a `successor`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_intents(to: &Path) -> PathBuf {
    let dir = to.join("intents");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(llo_intake::content::default_dir()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

/// Copies the shipped content, replaces `from` by `to` once in `file`, and
/// runs `check` on it: (exit code, stderr).
fn check_with(file: &str, from: &str, to: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_intents(tmp.path());
    let path = dir.join(file);
    let src = std::fs::read_to_string(&path).unwrap();
    assert!(src.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(&path, src.replacen(from, to, 1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .arg("check")
        .arg("--intents")
        .arg(&dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_error(code: i32, err: &str, file: &str, key: &str) {
    assert_eq!(code, 2, "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:") && l.contains(key))
        .unwrap_or_else(|| panic!("no error for {key}: {err}"));
    assert!(line.contains(file), "{line}");
}

#[test]
fn the_shipped_content_passes_without_warnings() {
    let out = Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(0 warning(s))"), "{stdout}");
}

#[test]
fn an_ended_route_without_mentions_is_an_error() {
    let (code, err) = check_with(
        "routes.toml",
        "mentions = [\n  'mdieu',\n  'maatwerkregeling duurzame inzetbaarheid',\n]",
        "",
    );
    assert_error(code, &err, "routes.toml", "route.mdieu.mentions");
}

#[test]
fn a_live_route_with_a_successor_is_an_error() {
    let (code, err) = check_with(
        "routes.toml",
        "id = \"slim\"\n",
        "id = \"slim\"\nsuccessor = \"leerwerkloket\"\n",
    );
    assert_error(code, &err, "routes.toml", "route.slim.successor");
    assert!(err.contains("set status"), "{err}");
}

#[test]
fn an_ended_route_as_successor_is_an_error() {
    let (code, err) = check_with(
        "routes.toml",
        "successor = \"oeno_fondsen\"",
        "successor = \"stap\"",
    );
    assert_error(code, &err, "routes.toml", "route.mdieu.successor");
}

#[test]
fn a_province_without_a_contact_of_its_own_is_an_error() {
    let (code, err) = check_with(
        "contacts.toml",
        "regions = [\"zeeland\"]",
        "regions = [\"national\"]",
    );
    assert_error(code, &err, "regions.toml", "province.zeeland");
    // A sector-only contact does not count: every sector needs one.
    let (code, err) = check_with(
        "contacts.toml",
        "regions = [\"zeeland\"]",
        "regions = [\"zeeland\"]\nsectors = [\"agri\"]",
    );
    assert_error(code, &err, "regions.toml", "province.zeeland");
}

#[test]
fn a_route_checked_more_than_12_months_ago_is_a_warning() {
    let (code, err) = check_with(
        "routes.toml",
        "checked = \"2026-11-26\"",
        "checked = \"2024-01-01\"",
    );
    assert_eq!(code, 0, "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("warning:") && l.contains("route.werkcentrum.checked"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("routes.toml") && line.contains("12 months"),
        "{line}"
    );
}

#[test]
fn an_unknown_word_list_in_a_pattern_is_an_error() {
    let (code, err) = check_with("concerns.toml", "'onderbezet',", "'<stafff> onderbezet',");
    assert_error(
        code,
        &err,
        "concerns.toml",
        "concern.recruitment.patterns.nl[",
    );
    assert!(err.contains("<stafff>"), "{err}");
}

#[test]
fn cancelling_an_unknown_concern_is_an_error() {
    let (code, err) = check_with(
        "concerns.toml",
        "cancels = [\"upskilling\"]",
        "cancels = [\"upskiling\"]",
    );
    assert_error(
        code,
        &err,
        "concerns.toml",
        "concern.learning_culture.cancels",
    );
}

/// A deployment's extra content directory holding `file` with `body`;
/// runs the binary with the shipped content and that directory:
/// (exit code, stderr).
fn run_with_extra(args: &[&str], file: &str, body: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let extra = tmp.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join(file), body).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .args(args)
        .arg("--intents")
        .arg(llo_intake::content::default_dir())
        .arg("--intents")
        .arg(&extra)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `bedankt(?x)#` compiles on its own, but not as the bot wraps an intent
/// (`^\W*(?:…)\W*$`: the `#` comments out the closing parenthesis). `check`
/// compiles it as the bot does, so both refuse it and name file and key.
const WRAPPED_BREAKS: &str =
    "[[intent]]\nid = \"thanks\"\npatterns.nl = ['dank je', 'bedankt(?x)#']\n";

#[test]
fn check_refuses_an_intent_pattern_that_only_breaks_when_wrapped() {
    let (code, err) = run_with_extra(&["check"], "thanks.toml", WRAPPED_BREAKS);
    assert_error(
        code,
        &err,
        "extra/thanks.toml",
        "intent.thanks.patterns.nl[1]",
    );
    assert!(err.contains("bedankt(?x)#"), "{err}");
}

#[test]
fn console_names_file_and_key_of_a_pattern_that_does_not_compile() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let (code, err) = run_with_extra(
        &["console", "--jsonl", "--db", db.to_str().unwrap()],
        "thanks.toml",
        WRAPPED_BREAKS,
    );
    assert_eq!(code, 2, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("intent.thanks.patterns.nl[1]"))
        .unwrap_or_else(|| panic!("no line names the key: {err}"));
    assert!(line.contains("extra/thanks.toml"), "{line}");
}

#[test]
fn a_concern_pattern_broken_by_its_word_list_names_file_and_key() {
    // The word list alone is fine as a regex; expanded into `(?:…)` inside
    // the concern pattern its `(?x)#` comments out the closing parenthesis.
    let body = "[words]\nbroken = 'werk(?x)#'\n\n[[concern]]\nid = \"extra\"\nlabel = { nl = \"x\", en = \"x\" }\nreflect = { nl = \"x\", en = \"x\" }\npatterns.nl = ['<broken>']\npatterns.en = ['fine']\n";
    let (code, err) = run_with_extra(&["check"], "more.toml", body);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("error:")
            && l.contains("extra/more.toml")
            && l.contains("concern.extra.patterns.nl[0]")),
        "{err}"
    );
}

#[test]
fn one_broken_toml_file_is_reported_once_with_line_and_column() {
    let (code, err) = check_with(
        "messages.toml",
        "\n[messages.",
        "\n[messages.oops\n[messages.",
    );
    assert_eq!(code, 2, "{err}");
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error:") && !l.contains("content check failed"))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("messages.toml"), "{}", errors[0]);
    assert!(
        errors[0].contains("line ") && errors[0].contains("column "),
        "{}",
        errors[0]
    );
    assert!(!err.contains("required message is missing"), "{err}");
}

#[test]
fn a_missing_discord_message_is_still_reported() {
    // The Discord adapter declares its keys (src/discord/messages.rs); the
    // command line passes them to `check` with every other layer's.
    let (code, err) = check_with(
        "messages.toml",
        "[messages.discord_panel_button]",
        "[messages.discord_panel_button_old]",
    );
    assert_error(code, &err, "intents/", "messages.discord_panel_button:");
    assert!(err.contains("required message is missing"), "{err}");
}

#[test]
fn a_missing_domain_message_is_reported() {
    let (code, err) = check_with(
        "messages.toml",
        "[messages.welcome_back]",
        "[messages.welcome_back_old]",
    );
    assert_error(code, &err, "intents/", "messages.welcome_back:");
}

#[test]
fn an_unknown_step_source_fails_at_load_naming_file_and_key() {
    let (code, err) = check_with("script.toml", "source = \"sectors\"", "source = \"sector\"");
    assert_error(code, &err, "script.toml", "step.sector.source");
    assert!(err.contains("sectors") && err.contains("line "), "{err}");
}

#[test]
fn an_unknown_end_action_fails_at_load_naming_file_and_key() {
    let (code, err) = check_with("script.toml", "action = \"decline\"", "action = \"refuse\"");
    assert_error(code, &err, "script.toml", "step.declined.action");
}

#[test]
fn an_unknown_route_kind_fails_at_load_naming_file_and_key() {
    let (code, err) = check_with("routes.toml", "kind = \"peer\"", "kind = \"peers\"");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:") && l.contains(".kind"))
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(code, 2, "{err}");
    assert!(
        line.contains("routes.toml") && line.contains("route."),
        "{line}"
    );
    assert!(line.contains("unknown variant"), "{line}");
}

#[test]
fn minimum_costs_the_conditions_do_not_name_are_an_error() {
    let (code, err) = check_with("routes.toml", "min_costs = 5000", "min_costs = 4000");
    assert_error(code, &err, "routes.toml", "conditions.nl");
    assert!(err.contains("4.000 euros"), "{err}");
    let en = err
        .lines()
        .any(|l| l.contains("conditions.en") && l.contains("4,000"));
    assert!(en, "{err}");
}

#[test]
fn an_unknown_url_scope_of_a_regional_desk_is_an_error() {
    let (code, err) = check_with(
        "labour_market_regions.toml",
        "\nurl_scope = \"national_finder\"",
        "\nurl_scope = \"somewhere\"",
    );
    assert_error(code, &err, "labour_market_regions.toml", ".url_scope");
}
