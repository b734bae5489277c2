//! Content reload without a restart: `/reload-content` on the fake Discord
//! (in process), SIGHUP to the `llo-intake run` binary on the fake, and the
//! service moving a conversation on when its pending step was removed.

use crate::health::{free_address, parse_metrics, wait_status};
use crate::support;

use llo_intake::app::reload::Sources;
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::discord::{Hooks, Operations};
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
use llo_intake::domain::output::Output;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::bot::{config, Chat, Running};
use support::{button, Fake, LOBBY, TOKEN, WAIT};

const ANNA: u64 = 7001;
const MODERATOR: u64 = 7100;
const MOD_ROLE: u64 = 520;
/// Appended to the concerns question by the edits below.
const NEW: &str = " Nieuw in deze versie!";

/// A copy of the shipped content to edit.
fn content_copy(to: &Path) -> PathBuf {
    let dir = to.join("content");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(llo_intake::content::default_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let p = dir.join(file);
    let src = std::fs::read_to_string(&p).unwrap();
    assert!(src.contains(from), "{from} not in {file}");
    std::fs::write(&p, src.replacen(from, to, 1)).unwrap();
}

const CONCERNS_NL: &str = "Wat houdt je bezig als het om je mensen gaat?";

/// The concerns question gets [`NEW`] at its end.
fn reword_concerns(dir: &Path) {
    edit(
        dir,
        "script.toml",
        &format!("{CONCERNS_NL}\""),
        &format!("{CONCERNS_NL}{NEW}\""),
    );
}

/// The script without its step 'tried': 'region' goes on to the recommendations.
fn drop_tried(content: &Path) {
    let script = std::fs::read_to_string(content.join("script.toml")).unwrap();
    let start = script.find("[[step]]\nid = \"tried\"").unwrap();
    let end = start + script[start..].find("\n[[step]]").unwrap();
    let without = format!("{}{}", &script[..start], &script[end + 1..]);
    std::fs::write(
        content.join("script.toml"),
        without.replacen("next = \"tried\"", "next = \"recommendations\"", 1),
    )
    .unwrap();
}

fn sources(dir: &Path) -> Sources {
    Sources {
        dirs: vec![dir.to_path_buf()],
        messages: llo_intake::cli::message_keys(),
    }
}

fn load(dir: &Path) -> Arc<Knowledge> {
    let s = sources(dir);
    Arc::new(Knowledge::load_requiring(&s.dirs, &s.messages).unwrap().0)
}

async fn start(fake: &Fake, db: &Path, content: &Path) -> Running {
    let mut cfg = config(fake);
    cfg.moderator_role = Some(MOD_ROLE);
    fake.set_roles(MODERATOR, &[MOD_ROLE]);
    let ops = Operations {
        content: Some(sources(content)),
        ..Operations::default()
    };
    Running::start_full(fake, cfg, db, Hooks::default(), ops, load(content)).await
}

fn text(v: &Value) -> &str {
    v["content"].as_str().unwrap_or("")
}

/// A moderator's `/reload-content`: checks it was acknowledged ephemerally
/// and returns the answer's text.
async fn reload_command(fake: &Fake) -> String {
    let i = fake.slash(MODERATOR, "reload-content", LOBBY, true);
    let token = format!("tok-{i}");
    let (_, ack) = fake
        .wait_call(0, "the acknowledgement", |c| {
            c.path.contains(&format!("/interactions/{i}/"))
        })
        .await;
    assert_eq!(ack.body["type"], 5, "deferred");
    assert_eq!(
        ack.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "only the moderator sees it"
    );
    let (_, call) = fake
        .wait_call(0, "the reload answer", |c| {
            c.path.contains(&token) && c.body["content"].is_string()
        })
        .await;
    text(&call.body).to_string()
}

fn msg(dir: &Path, key: &str) -> String {
    load(dir).msg(key, Lang::Nl)
}

/// The sentence `key` up to its first placeholder.
fn head(dir: &Path, key: &str) -> String {
    msg(dir, key).split('{').next().unwrap().to_string()
}

/// The fake, a temp dir, the content copy in it, and the bot on both.
async fn world() -> (Fake, tempfile::TempDir, PathBuf, Running) {
    let fake = Fake::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let content = content_copy(tmp.path());
    let bot = start(&fake, &tmp.path().join("db"), &content).await;
    (fake, tmp, content, bot)
}

/// Anna says hello; her chat and the consent question.
async fn at_consent(fake: &Fake) -> (Chat<'_>, Value) {
    let mut chat = Chat::new(fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    (chat, consent)
}

/// Anna consents; the text of the concerns question she gets.
async fn concerns_after(fake: &Fake, chat: &mut Chat<'_>, consent: &Value) -> String {
    fake.click(ANNA, consent, &button(consent, "yes"));
    let concerns = chat.question("concerns").await;
    text(&concerns).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_with_an_error_keeps_the_old_content_and_names_file_and_key() {
    let (fake, _tmp, content, bot) = world().await;
    let head = head(&content, "reload_failed");
    let (mut chat, consent) = at_consent(&fake).await;

    // A new sentence and a broken reference in the same edit: nothing of it
    // may take effect.
    reword_concerns(&content);
    edit(
        &content,
        "script.toml",
        "next = \"size\"",
        "next = \"nowhere\"",
    );
    let answer = reload_command(&fake).await;
    assert!(answer.starts_with(&head), "{answer}");
    assert!(answer.contains("script.toml"), "names the file: {answer}");
    assert!(
        answer.contains("step.sector.next"),
        "names the key: {answer}"
    );

    let concerns = concerns_after(&fake, &mut chat, &consent).await;
    assert!(
        concerns.ends_with(CONCERNS_NL),
        "the old content stays: {concerns}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_reload_by_command_takes_effect_for_the_next_turn() {
    let (fake, _tmp, content, bot) = world().await;
    let head = head(&content, "reload_done");
    let (mut chat, consent) = at_consent(&fake).await;

    reword_concerns(&content);
    let answer = reload_command(&fake).await;
    assert!(answer.starts_with(&head), "{answer}");

    let concerns = concerns_after(&fake, &mut chat, &consent).await;
    assert!(
        concerns.ends_with(NEW),
        "the next turn speaks the new content: {concerns}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_is_refused_to_anyone_but_a_moderator() {
    let (fake, _tmp, content, bot) = world().await;
    fake.set_roles(ANNA, &[MOD_ROLE + 1]);
    reword_concerns(&content);
    let i = fake.slash(ANNA, "reload-content", LOBBY, true);
    let (_, call) = fake
        .wait_call(0, "the refusal", |c| {
            c.path.contains(&format!("/interactions/{i}/"))
        })
        .await;
    assert_eq!(
        text(&call.body["data"]),
        msg(&content, "discord_not_allowed")
    );

    let (mut chat, consent) = at_consent(&fake).await;
    let concerns = concerns_after(&fake, &mut chat, &consent).await;
    assert!(concerns.ends_with(CONCERNS_NL), "nothing was reloaded");
    bot.stop().await;
}

/// A conversation waiting on a step that a reload removed moves on to the
/// step the old script led to (through the service, as every transport).
#[test]
fn a_conversation_at_a_removed_step_moves_on_to_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let content = content_copy(tmp.path());
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let intake = Intake::new(load(&content), store, Lang::Nl);
    let now = chrono::Utc::now();
    let step = |input: Input| {
        intake
            .handle("anna", input, now)
            .unwrap()
            .conversation
            .step
            .unwrap_or_default()
    };
    step(Input::Text("hoi".into()));
    for (input, then) in [
        (Input::Choice("yes".into()), "concerns"),
        (
            Input::Text("Ik kan geen goed personeel vinden".into()),
            "confirm",
        ),
        (Input::Choice("yes".into()), "sector"),
        (Input::Text("bouw".into()), "size"),
        (Input::Choice("micro".into()), "region"),
    ] {
        assert_eq!(step(input), then);
    }
    let at = step(Input::Text("Utrecht".into()));
    assert_eq!(at, "tried", "Anna waits at 'tried'");

    // The new script drops 'tried': 'region' goes to the recommendations.
    drop_tried(&content);
    let r = sources(&content).reload(intake.live()).unwrap();
    assert_eq!(r.removed_steps, vec!["tried".to_string()]);

    let reply = intake
        .handle("anna", Input::Text("niets".into()), now)
        .unwrap();
    assert!(
        reply
            .outputs
            .iter()
            .any(|o| matches!(o, Output::Recommendations(_))),
        "moved on to the recommendations: {:?}",
        reply.outputs
    );
    assert_eq!(reply.conversation.step.as_deref(), Some("handoff_offer"));
}

/// Kills the child when the test ends early.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

async fn wait_log(log: &Path, needle: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no '{needle}' in the log:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_content_of_the_running_binary() {
    let fake = Fake::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let content = content_copy(tmp.path());
    let health = free_address();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[intake]\ndatabase = \"db\"\ncontent = [\"content\"]\n\n[discord]\nguild_id = {}\napi_base_url = \"{}\"\ngateway_url = \"{}\"\n\n[health]\nlisten = \"{health}\"\n",
            support::GUILD,
            fake.api_base(),
            fake.gateway_url()
        ),
    )
    .unwrap();
    let log = tmp.path().join("stderr.log");
    let mark = fake.mark();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .args(["run", "--config"])
        .arg(&cfg)
        .env("DISCORD_TOKEN", TOKEN)
        .env_remove("LLO_INTAKE_MASTER_KEY")
        .env_remove("LLO_INTAKE_LOG")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let child = Child(child);
    let pid = child.0.id();
    fake.wait_ready(mark).await;
    assert_eq!(wait_status(health, "/healthz", 200).await, "ok\n");

    let (mut chat, consent) = at_consent(&fake).await;
    reword_concerns(&content);
    signal(pid, "-HUP");
    wait_log(&log, "content reloaded").await;

    let concerns = concerns_after(&fake, &mut chat, &consent).await;
    assert!(
        concerns.ends_with(NEW),
        "the next turn speaks the new content: {concerns}"
    );
    let m = parse_metrics(&wait_status(health, "/metrics", 200).await);
    assert_eq!(m["llo_intake_content_reloads_total"], 1.0);

    // A broken edit on SIGHUP: logged with file and key, the old one stays.
    edit(
        &content,
        "script.toml",
        "next = \"size\"",
        "next = \"nowhere\"",
    );
    signal(pid, "-HUP");
    wait_log(&log, "step.sector.next").await;
    let m = parse_metrics(&wait_status(health, "/metrics", 200).await);
    assert_eq!(m["llo_intake_errors_total{kind=\"reload\"}"], 1.0);

    signal(pid, "-TERM");
    let status = tokio::task::spawn_blocking(move || {
        let mut c = child;
        c.0.wait()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(status.success(), "stopped cleanly: {status}");
}

/// The idle bot's recompile (src/discord/memory.rs) swaps in a fresh
/// compilation of the same content: same steps, same moves of earlier
/// reloads, answers understood as before.
#[test]
fn a_recompile_keeps_the_content_and_the_moves_of_earlier_reloads() {
    let tmp = tempfile::tempdir().unwrap();
    let content = content_copy(tmp.path());
    let live = llo_intake::app::reload::Live::new(load(&content));
    drop_tried(&content);
    sources(&content).reload(&live).unwrap();
    let before = live.snapshot();
    assert_eq!(before.moved_to("tried"), Some("recommendations"));

    assert!(live.recompile().unwrap(), "nothing replaced the content");
    let after = live.snapshot();
    assert!(
        !Arc::ptr_eq(&before.knowledge, &after.knowledge),
        "a fresh compilation"
    );
    assert_eq!(after.moved_to("tried"), Some("recommendations"));
    let ids =
        |k: &Knowledge| -> Vec<String> { k.content.steps.iter().map(|s| s.id.clone()).collect() };
    assert_eq!(ids(&before.knowledge), ids(&after.knowledge));
    let region = after.knowledge.content.step("region").unwrap();
    assert_eq!(
        after.knowledge.matchers.resolve(
            &after.knowledge.content,
            region,
            "we zitten in Utrecht",
            None
        ),
        before.knowledge.matchers.resolve(
            &before.knowledge.content,
            region,
            "we zitten in Utrecht",
            None
        ),
    );
    assert_ne!(
        after.knowledge.matchers.resolve(
            &after.knowledge.content,
            region,
            "we zitten in Utrecht",
            None
        ),
        llo_intake::domain::nlu::matcher::Resolved::None
    );
}
