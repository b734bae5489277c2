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

/// A copy of `config.example.toml` in `dir`, with `edit` applied
/// (old, new) pairs; each `old` must occur.
fn example_config(dir: &Path, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    for (old, new) in edits {
        assert!(src.contains(old), "{old}");
        src = src.replacen(old, new, 1);
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, src).unwrap();
    path
}

fn check_config(dir: &Path, config: &Path, token: Option<&str>) -> (i32, String, String) {
    let mut c = bin_in(dir);
    c.args(["check", "--config"]).arg(config);
    if let Some(t) = token {
        c.env("DISCORD_TOKEN", t);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

const SECRET: &str = "secret-token-never-printed";

#[test]
fn check_config_accepts_the_example_and_says_what_the_bot_will_do() {
    let tmp = tempfile::tempdir().unwrap();
    // The example exactly as shipped, read where it lies.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let (code, out, err) = check_config(tmp.path(), &example, Some(SECRET));
    assert_eq!(code, 0, "{out}{err}");
    for want in [
        "mode:            Dm",
        "coach role:      not set",
        "retention:       180 days",
        "content ok:",
        "token:           provided, from the DISCORD_TOKEN environment variable",
        "health endpoint:",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(err.contains("coach_role is not set"), "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
}

#[test]
fn check_config_exits_2_naming_each_broken_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("mode = \"dm\"", "mode = \"dms\"", "mode"),
        (
            "retention_days = 180",
            "retention_days = -1",
            "retention_days",
        ),
        (
            "rate_limit_events = 12",
            "rate_limit_events = \"12\"",
            "rate_limit_events",
        ),
        ("delimiter = \";\"", "delimiter = \";;\"", "delimiter"),
        ("format = \"text\"", "format = \"xml\"", "format"),
        ("close = \"17:00\"", "close = \"08:00\"", "close"),
        (
            "# gelderland = 123456789012345678",
            "gelderlandd = 1",
            "gelderlandd",
        ),
        (
            "default_language = \"nl\"",
            "default_langauge = \"nl\"",
            "default_langauge",
        ),
        (
            "content = [\"embedded\"]",
            "content = [\"embedded\", \"missing-dir\"]",
            "missing-dir",
        ),
        (
            "# token_file = \"/run/secrets/discord_token\"",
            "token_file = \"no-such-token\"",
            "no-such-token",
        ),
    ];
    for (old, new, name) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let config = example_config(tmp.path(), &[(old, new)]);
        // token_file is only read when DISCORD_TOKEN is not set.
        let token = (!name.contains("token")).then_some(SECRET);
        let (code, out, err) = check_config(tmp.path(), &config, token);
        assert_eq!(code, 2, "{new}: {out}{err}");
        assert!(err.contains(name), "{new}: the error names {name}: {err}");
    }
    // No token at all.
    let tmp = tempfile::tempdir().unwrap();
    let config = example_config(tmp.path(), &[]);
    let (code, _, err) = check_config(tmp.path(), &config, None);
    assert_eq!(code, 2);
    assert!(
        err.contains("DISCORD_TOKEN") && err.contains("token_file"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn check_config_opens_the_database_read_only_and_checks_key_and_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let config = example_config(tmp.path(), &[]);
    // A database with one conversation, made by the console.
    let out = bin_in(tmp.path())
        .args(["console", "--jsonl", "--db", "data"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let snapshot = |dir: &Path| {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let data = tmp.path().join("data");
    let before = snapshot(&data);
    let (code, out, err) = check_config(tmp.path(), &config, Some(SECRET));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("master key fits, 1 conversation(s)"), "{out}");
    assert_eq!(snapshot(&data), before, "check wrote to the database");

    // Another master key: named as the problem, exit 2.
    let wrong = "11".repeat(32);
    let o = bin_in(tmp.path())
        .args(["check", "--config"])
        .arg(&config)
        .env("DISCORD_TOKEN", SECRET)
        .env("LLO_INTAKE_MASTER_KEY", &wrong)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("master key"),
        "{o:?}"
    );

    // A master key file others can read: refused by check and by the console.
    chmod(&data.join("master.key"), 0o644);
    let (code, _, err) = check_config(tmp.path(), &config, Some(SECRET));
    assert_eq!(code, 2);
    assert!(
        err.contains("readable by other users") && err.contains("chmod 600"),
        "{err}"
    );
    let o = bin_in(tmp.path())
        .args(["console", "--jsonl", "--db", "data"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("master.key is readable by other users"));
    chmod(&data.join("master.key"), 0o600);

    // While the console holds the database, check says so and does not fail.
    let mut held = bin_in(tmp.path())
        .args(["console", "--jsonl", "--db", "data"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(held.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    let (code, out, err) = check_config(tmp.path(), &config, Some(SECRET));
    drop(held.stdin.take());
    held.wait().unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("in use by a running llo-intake"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_token_comes_from_the_systemd_credential_and_a_readable_token_file_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let config = example_config(tmp.path(), &[]);
    let creds = tmp.path().join("creds");
    let (o, e) = check_with_credential(Path::new(BIN), tmp.path(), &config, &creds);
    assert!(o.contains("creds/discord-token"), "{o}");
    assert!(!e.contains("readable by other users"), "{e}");

    // A token file others can read: used, with a loud warning.
    let token = tmp.path().join("token");
    std::fs::write(&token, SECRET).unwrap();
    chmod(&token, 0o644);
    let config = example_config(
        tmp.path(),
        &[(
            "# token_file = \"/run/secrets/discord_token\"",
            "token_file = \"token\"",
        )],
    );
    let (code, out, err) = check_config(tmp.path(), &config, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("token file") && err.contains("readable by other users"),
        "{err}"
    );
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
}

#[test]
fn logs_are_json_lines_with_log_format_json_and_rust_log_is_honoured() {
    // A first console start logs one warning: a new master key was created.
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = bin_in(tmp.path());
        c.args(args).args(["console", "--jsonl", "--db", "data"]);
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.stdin(Stdio::null()).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let json = run(&[], &["--log-format", "json"]);
    let line = json
        .lines()
        .find(|l| l.contains("master key"))
        .expect(&json);
    let v: Value = serde_json::from_str(line).expect(line);
    assert_eq!(v["level"], "WARN");
    assert!(v["fields"]["message"]
        .as_str()
        .unwrap()
        .contains("back it up"));
    let text = run(&[], &[]);
    assert!(text.contains("WARN") && serde_json::from_str::<Value>(text.trim()).is_err());
    assert!(!run(&[("RUST_LOG", "error")], &[]).contains("master key"));
    // LLO_INTAKE_LOG wins over RUST_LOG.
    assert!(run(&[("RUST_LOG", "error"), ("LLO_INTAKE_LOG", "warn")], &[]).contains("master key"));
}

/// Puts the token where a systemd credential (or the container's secret)
/// lies, runs `check --config` in `cwd` with that `CREDENTIALS_DIRECTORY`,
/// and asserts exit 0 with the token never printed. Returns stdout, stderr.
#[cfg(unix)]
fn check_with_credential(
    program: &Path,
    cwd: &Path,
    config: &Path,
    creds: &Path,
) -> (String, String) {
    std::fs::create_dir_all(creds).unwrap();
    std::fs::write(creds.join("discord-token"), format!("{SECRET}\n")).unwrap();
    chmod(&creds.join("discord-token"), 0o400);
    let out = run_in(program, cwd)
        .args(["check", "--config"])
        .arg(config)
        .env("CREDENTIALS_DIRECTORY", creds)
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(!o.contains(SECRET) && !e.contains(SECRET));
    (o, e)
}

/// `config` with every absolute path under `prefix` moved into `root`.
fn rooted_config(root: &Path, config: &str, prefix: &str) -> std::path::PathBuf {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(config)).unwrap();
    assert!(src.contains(prefix), "{config} uses {prefix}");
    let rooted = src.replace(
        &format!("\"{prefix}"),
        &format!("\"{}{prefix}", root.display()),
    );
    let path = root.join("etc/llo-intake/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, rooted).unwrap();
    path
}

fn recipe(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// No container engine runs here: this takes the Containerfile's steps by
/// hand (binary and config copied into an empty root, the token as the
/// secret `/run/secrets/discord-token`, the database on `/data`) and runs
/// what the image runs, with `check` for `run`.
#[cfg(unix)]
#[test]
fn the_container_recipe_steps_check_out() {
    let file = recipe("Containerfile");
    for line in [
        "COPY --from=build /src/target/release/llo-intake /usr/local/bin/llo-intake",
        "COPY deploy/config.container.toml /etc/llo-intake/config.toml",
        "ENV CREDENTIALS_DIRECTORY=/run/secrets",
        "USER llo",
        "VOLUME [\"/data\"]",
        "CMD [\"run\", \"--config\", \"/etc/llo-intake/config.toml\"]",
    ] {
        assert!(file.lines().any(|l| l == line), "Containerfile: {line}");
    }
    let compose = recipe("deploy/compose.yaml");
    assert!(compose.contains("- discord-token") && compose.contains("llo-data:/data"));

    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let bin = root.join("usr/local/bin/llo-intake");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(BIN, &bin).unwrap();
    let config = rooted_config(root, "deploy/config.container.toml", "/data");
    std::fs::create_dir_all(root.join("data")).unwrap();
    let secrets = root.join("run/secrets");
    let (o, _) = check_with_credential(&bin, &root.join("data"), &config, &secrets);
    assert!(
        o.contains("run/secrets/discord-token") && o.contains("/data/intake"),
        "{o}"
    );
}

/// The systemd unit's settings, and its ExecStart run (as `check`) in the
/// environment the unit gives it: the credential in $CREDENTIALS_DIRECTORY,
/// the database in the StateDirectory.
#[cfg(unix)]
#[test]
fn the_systemd_unit_steps_check_out() {
    let unit = recipe("deploy/llo-intake.service");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=llo-intake",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "LoadCredential=discord-token:/etc/llo-intake/discord-token",
    ] {
        assert!(unit.lines().any(|l| l == line), "unit: {line}");
    }
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(
        args,
        [
            "/usr/local/bin/llo-intake",
            "run",
            "--config",
            "/etc/llo-intake/config.toml"
        ]
    );

    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let config = rooted_config(root, "deploy/config.systemd.toml", "/var/lib/llo-intake");
    let state = root.join("var/lib/llo-intake");
    std::fs::create_dir_all(&state).unwrap();
    let creds = root.join("run/credentials/llo-intake.service");
    let (o, _) = check_with_credential(Path::new(BIN), &state, &config, &creds);
    assert!(o.contains("llo-intake.service/discord-token"), "{o}");
}

#[test]
fn every_command_and_option_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let builtin = matches!(a.get_id().as_str(), "help" | "version");
            if !builtin && a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!("{path} {}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(name.clone());
            }
            walk(sub, &name, missing);
        }
    }
    let cmd = llo_intake::cli::command();
    let mut missing = Vec::new();
    walk(&cmd, "llo-intake", &mut missing);
    assert!(cmd.get_subcommands().count() >= 9);
    assert!(missing.is_empty(), "without help text: {missing:#?}");
}

/// Answers one HTTP request on a fresh loopback port with `response`;
/// returns the address.
fn one_answer(response: &'static str) -> String {
    use std::io::Read;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(response.as_bytes());
        }
    });
    addr
}

#[test]
fn healthcheck_exits_0_on_200_and_1_with_the_reasons_otherwise() {
    let addr = one_answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
    let o = Command::new(BIN)
        .args(["healthcheck", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "ok");

    let addr = one_answer(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 22\r\n\r\ngateway: disconnected\n",
    );
    let o = Command::new(BIN)
        .args(["healthcheck", "--addr", &addr])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("503") && err.contains("gateway: disconnected"),
        "{err}"
    );

    // Nothing listening: a clear message, not a hang.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let o = Command::new(BIN)
        .args(["healthcheck", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no health endpoint"));
}
