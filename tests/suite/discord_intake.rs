//! End to end on a fake Discord: the real serenity + poise client, built and
//! run by `llo_intake::discord::run` (what `llo-intake run` uses), talks to
//! the loopback fake in `support/`. Assertions are on step ids carried in
//! custom ids, on structure, and on strings from the shipped content.

use crate::support;

use llo_intake::discord::Mode;
use llo_intake::domain::conversation::Status;
use serde_json::Value;
use support::bot::{
    config, first_conversation, knowledge, open_store, prompt, world, Chat, Running,
};
use support::{all_disabled, button, menu, step_of, Fake, LOBBY};

const ANNA: u64 = 7001;

fn content(m: &Value) -> &str {
    m["content"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_intake_by_dm_with_messages_and_buttons() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));

    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    assert!(content(&consent).starts_with(&prompt("consent")));
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    let concerns = chat.question("concerns").await;
    assert!(
        concerns["components"].as_array().is_none_or(Vec::is_empty),
        "an open question in a DM is answered by typing"
    );
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    let k = knowledge();
    let reflect = k.content.concern("recruitment").unwrap().reflect.nl.clone();
    assert!(
        content(&confirm).contains(&reflect),
        "{}",
        content(&confirm)
    );
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    let sector = chat.question("sector").await;
    assert!(
        menu(&sector).starts_with("llo:s:"),
        "ten sectors are a menu"
    );
    fake.dm(ANNA, "bouw");
    let size = chat.question("size").await;
    fake.click(ANNA, &size, &button(&size, "micro"));
    let region = chat.question("region").await;
    fake.dm(ANNA, "Utrecht");
    let tried = chat.question("tried").await;
    fake.click(ANNA, &tried, &button(&tried, "skip"));
    let offer = chat.question("handoff_offer").await;
    fake.click(ANNA, &offer, &button(&offer, "no"));
    let end = chat.next().await;
    let end_text = k.content.step("end").unwrap().prompt.nl.clone();
    assert_eq!(content(&end), end_text);

    // Recommendations came as embeds with links.
    let msgs = fake.bot_messages(Fake::dm_channel(ANNA));
    let embeds: Vec<&Value> = msgs
        .iter()
        .flat_map(|m| m["embeds"].as_array().into_iter().flatten())
        .collect();
    assert!(!embeds.is_empty(), "recommendations are embeds");
    assert!(embeds
        .iter()
        .any(|e| e["url"].as_str().is_some_and(|u| u.starts_with("https://"))));
    // Every answered question has its buttons disabled.
    for q in [&consent, &confirm, &size, &tried, &offer] {
        let id: u64 = q["id"].as_str().unwrap().parse().unwrap();
        assert!(
            all_disabled(&fake.message(id).unwrap()),
            "{}",
            step_of(q).unwrap()
        );
    }
    let _ = region;
    fake.assert_clean();
    bot.stop().await;

    let conv = first_conversation(dir.path()).await;
    assert_eq!(conv.status, Status::Ended);
    assert_eq!(conv.answers.sector.as_deref(), Some("bouw"));
    assert_eq!(conv.answers.size.as_deref(), Some("micro"));
    assert_eq!(conv.answers.region.as_deref(), Some("utrecht"));
    assert_eq!(conv.answers.concerns, vec!["recruitment".to_string()]);
    let _ = (Mode::Dm, LOBBY);
}

/// Waits until the bot has posted `n` messages in `channel`, then checks
/// that it is exactly `n`.
async fn exactly(fake: &Fake, channel: u64, n: usize) -> Vec<Value> {
    let from = 0;
    fake.wait(from, &format!("{n} bot messages in {channel}"), |calls| {
        (calls.iter().filter(|c| c.posts_in(channel)).count() >= n).then_some(())
    })
    .await;
    let msgs = fake.bot_messages(channel);
    assert_eq!(
        msgs.len(),
        n,
        "bot messages: {:#?}",
        msgs.iter()
            .map(|m| content(m).to_string())
            .collect::<Vec<_>>()
    );
    msgs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_intake_by_slash_command_in_a_private_thread() {
    let (fake, dir, bot) = world(|cfg| {
        cfg.mode = Mode::Thread;
    })
    .await;

    let mark = fake.mark();
    let slash = fake.slash(ANNA, "intake", LOBBY, true);
    let (_, ack) = fake
        .wait_call(mark, "the /intake acknowledgement", |c| {
            c.path.starts_with(&format!("/interactions/{slash}/")) && c.status == 204
        })
        .await;
    assert_eq!(ack.body["type"], 5, "deferred first");
    assert_eq!(ack.body["data"]["flags"], 64, "ephemeral");
    let (_, created) = fake
        .wait_call(mark, "a private thread", |c| {
            c.is("POST", &format!("/channels/{LOBBY}/threads"))
        })
        .await;
    assert_eq!(created.body["type"], 12);
    let thread: u64 = created.response["id"].as_str().unwrap().parse().unwrap();
    let (_, told) = fake
        .wait_call(mark, "the ephemeral answer", |c| {
            c.method == "POST" && c.path.starts_with("/webhooks/")
        })
        .await;
    assert!(told.body["content"]
        .as_str()
        .unwrap()
        .contains(&format!("<#{thread}>")));
    assert_eq!(told.body["flags"], 64);
    assert_eq!(fake.thread_members(thread), vec![ANNA]);

    let mut chat = Chat::new(&fake, thread);
    chat.cursor = mark;
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    // No Message Content intent: the open question offers a form.
    let concerns = chat.question("concerns").await;
    let form_button = support::custom_ids(&concerns)
        .into_iter()
        .find(|id| id.starts_with("llo:t:"))
        .expect("a type-your-answer button");
    let m = fake.mark();
    let opened = fake.click(ANNA, &concerns, &form_button);
    let (_, modal) = fake
        .wait_call(m, "the form", |c| {
            c.path.starts_with(&format!("/interactions/{opened}/"))
        })
        .await;
    assert_eq!(modal.body["type"], 9, "the form is the first response");
    let submit_id = modal.body["data"]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    fake.submit_form(
        ANNA,
        &concerns,
        &submit_id,
        "Mijn mensen vertrekken en nieuwe vind ik niet",
    );
    let confirm = chat.question("confirm").await;
    fake.select(
        ANNA,
        &confirm,
        &menu(&confirm),
        &["recruitment", "retention"],
    );
    let sector = chat.question("sector").await;
    fake.select(ANNA, &sector, &menu(&sector), &["zorg"]);
    let size = chat.question("size").await;
    fake.click(ANNA, &size, &button(&size, "small"));
    let region = chat.question("region").await;
    fake.select(ANNA, &region, &menu(&region), &["gelderland"]);
    let tried = chat.question("tried").await;
    fake.click(ANNA, &tried, &button(&tried, "skip"));
    let offer = chat.question("handoff_offer").await;
    fake.click(ANNA, &offer, &button(&offer, "no"));
    let end = chat.next().await;
    assert_eq!(
        content(&end),
        knowledge().content.step("end").unwrap().prompt.nl
    );
    // The picked options stay visible on the disabled menus.
    let sector_now = fake
        .message(sector["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    assert!(all_disabled(&sector_now));
    let picked: Vec<&str> = sector_now["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["default"] == true)
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(picked, ["zorg"]);
    fake.assert_clean();
    bot.stop().await;

    let conv = first_conversation(dir.path()).await;
    assert_eq!(conv.status, Status::Ended);
    assert_eq!(conv.answers.concerns, ["recruitment", "retention"]);
    assert_eq!(conv.answers.sector.as_deref(), Some("zorg"));
    assert_eq!(conv.answers.size.as_deref(), Some("small"));
    assert_eq!(conv.answers.region.as_deref(), Some("gelderland"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_message_create_is_answered_once() {
    let (fake, _dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let hoi = fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    // Discord delivers the same message again (same id, new sequence number).
    fake.dm_again(ANNA, hoi, "hoi");
    fake.redeliver_last();
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    // A second handling of "hoi" would have said "not understood" and re-asked.
    exactly(&fake, Fake::dm_channel(ANNA), 2).await;
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_replay_is_answered_once_and_missed_events_arrive() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    fake.dm(ANNA, "ja");
    chat.question("concerns").await;
    // The connection drops; Discord replays the last event the bot already
    // saw ("ja") and the one it missed while away.
    fake.drop_connection(1);
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    chat.question("confirm").await;
    assert_eq!(fake.resumes().len(), 1, "resumed, not re-identified");
    assert_eq!(fake.identifies(), 1);
    // "ja" handled twice would have become the concerns answer.
    exactly(&fake, Fake::dm_channel(ANNA), 3).await;
    fake.assert_clean();
    bot.stop().await;
    let conv = first_conversation(dir.path()).await;
    assert_eq!(
        conv.answers.concerns_text.as_deref(),
        Some("Ik kan geen goed personeel vinden")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_in_user_text_pings_nobody() {
    let (fake, _dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.dm(ANNA, "@everyone @here <@&123> hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "@everyone kom helpen, ik vind geen personeel <@&123>");
    chat.question("confirm").await;
    let replies: Vec<_> = fake.calls()[mark..]
        .iter()
        .filter(|c| c.posts_in(Fake::dm_channel(ANNA)))
        .cloned()
        .collect();
    assert_eq!(replies.len(), 3);
    for r in &replies {
        let am = &r.body["allowed_mentions"];
        assert_eq!(am["parse"], serde_json::json!([]), "{}", r.body);
        assert!(am["users"].as_array().is_none_or(Vec::is_empty));
        assert!(am["roles"].as_array().is_none_or(Vec::is_empty));
        assert!(!r.body["content"].as_str().unwrap().contains("@everyone"));
    }
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_click_on_an_answered_question_changes_nothing() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    let consent_id: u64 = consent["id"].as_str().unwrap().parse().unwrap();
    let after_first = fake.message(consent_id).unwrap();
    assert!(all_disabled(&after_first));
    // A client that had not refreshed yet clicks "no" on the old question:
    // that must not decline (and erase) the conversation.
    fake.click(ANNA, &consent, &button(&consent, "no"));
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    chat.question("confirm").await;
    exactly(&fake, Fake::dm_channel(ANNA), 3).await;
    assert_eq!(fake.message(consent_id).unwrap(), after_first);
    fake.assert_clean();
    bot.stop().await;
    let store = open_store(dir.path()).await;
    let conv = store
        .active_conversation(&ANNA.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(conv.answers.consent, Some(true));
    assert_eq!(conv.step.as_deref(), Some("confirm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_pending_question_still_works() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    bot.stop().await;

    let bot = Running::start(&fake, config(&fake), dir.path()).await;
    assert_eq!(fake.identifies(), 2, "a new process identifies anew");
    // The buttons of the question asked before the restart still answer it.
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    let sector = chat.question("sector").await;
    // And typing goes on from there.
    fake.dm(ANNA, "bouw");
    chat.question("size").await;
    assert_eq!(step_of(&sector).as_deref(), Some("sector"));
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_button_starts_an_intake_after_a_restart() {
    const MOD: u64 = 7999;
    let (fake, dir, bot) = world(|_| {}).await;
    let mark = fake.mark();
    fake.slash(MOD, "intake-panel", LOBBY, true);
    let mut lobby = Chat::new(&fake, LOBBY);
    lobby.cursor = mark;
    let panel = lobby.next().await;
    assert_eq!(support::custom_ids(&panel), ["llo:start"]);
    assert_eq!(
        content(&panel),
        knowledge().msg("discord_panel_text", llo_intake::content::text::Lang::Nl)
    );
    fake.wait_call(mark, "the moderator's confirmation", |c| {
        c.method == "POST" && c.path.starts_with("/webhooks/")
    })
    .await;
    bot.stop().await;

    let bot = Running::start(&fake, config(&fake), dir.path()).await;
    let mark = fake.mark();
    let mut dm = Chat::new(&fake, Fake::dm_channel(ANNA));
    let click = fake.click(ANNA, &panel, "llo:start");
    let (_, ack) = fake
        .wait_call(mark, "the start acknowledgement", |c| {
            c.path.starts_with(&format!("/interactions/{click}/"))
        })
        .await;
    assert_eq!(ack.body["type"], 5);
    assert_eq!(ack.body["data"]["flags"], 64);
    let consent = dm.question("consent").await;
    assert_eq!(step_of(&consent).as_deref(), Some("consent"));
    let (_, told) = fake
        .wait_call(mark, "the ephemeral answer", |c| {
            c.method == "PATCH" && c.path.ends_with("/messages/@original")
        })
        .await;
    assert_eq!(
        told.body["content"],
        knowledge().msg("discord_dm_sent", llo_intake::content::text::Lang::Nl)
    );
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_work_runs_once_even_after_a_second_ready() {
    let (fake, _dir, bot) = world(|_| {}).await;
    fake.ready_again();
    // A round trip after the second READY.
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    let registrations = fake
        .calls()
        .iter()
        .filter(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .count();
    assert_eq!(registrations, 1);
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_binary_completes_an_intake_by_dm_and_stops_on_sigterm() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    let intents = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    std::fs::write(
        &config_path,
        format!(
            "[intake]\ndatabase = \"db\"\ncontent = [{:?}]\n\n[discord]\nmode = \"dm\"\nguild_id = {}\napi_base_url = {:?}\ngateway_url = {:?}\n",
            intents.display().to_string(),
            support::GUILD,
            fake.api_base(),
            fake.gateway_url()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let mark = fake.mark();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llo-intake"))
        .args(["run", "--config"])
        .arg(&config_path)
        .env("DISCORD_TOKEN", support::TOKEN)
        .env("LLO_INTAKE_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    fake.wait_ready(mark).await;

    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    let confirm = chat.question("confirm").await;
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "bouw");
    chat.question("size").await;
    fake.dm(ANNA, "4");
    chat.question("region").await;
    fake.dm(ANNA, "3512");
    chat.question("tried").await;
    fake.dm(ANNA, "Vacatures op onze site gezet");
    let offer = chat.question("handoff_offer").await;
    fake.click(ANNA, &offer, &button(&offer, "no"));
    let end = chat.next().await;
    assert_eq!(
        content(&end),
        knowledge().content.step("end").unwrap().prompt.nl
    );
    fake.assert_clean();

    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(support::WAIT, child.wait())
        .await
        .expect("the bot exits after SIGTERM")
        .unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(status.success(), "exit {status:?}; stderr:\n{stderr}");
    // The log was on (so the checks below mean something) and shows the
    // graceful shutdown.
    assert!(stderr.contains("connected to Discord"), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(
        !stderr.contains(support::TOKEN),
        "the token must never be logged"
    );
    assert!(
        !stderr.contains("personeel vinden"),
        "no message content in the log"
    );

    let store = open_store(&dir.path().join("db")).await;
    let conv = &store.conversations().unwrap()[0];
    assert_eq!(conv.status, Status::Ended);
    assert_eq!(conv.answers.region.as_deref(), Some("utrecht"));
    assert_eq!(
        conv.answers.tried.as_deref(),
        Some("Vacatures op onze site gezet")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactions_are_acknowledged_before_slow_work() {
    const BOB: u64 = 7002;
    let (fake, _dir, bot) = world(|_| {}).await;
    let mut bob = Chat::new(&fake, Fake::dm_channel(BOB));
    fake.dm(BOB, "hoi");
    let consent = bob.question("consent").await;
    // From now on opening a DM, and sending to Bob, take longer than
    // Discord's 3 s: /intake must defer first, a click must update first.
    let slow = support::DEADLINE + std::time::Duration::from_millis(300);
    fake.slow_down("POST", "/users/@me/channels", slow);
    fake.slow_down(
        "POST",
        &format!("/channels/{}/", Fake::dm_channel(BOB)),
        slow,
    );
    let mut anna = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    let slash = fake.slash(ANNA, "intake", LOBBY, true);
    let click = fake.click(BOB, &consent, &button(&consent, "yes"));
    for id in [slash, click] {
        let (_, ack) = fake
            .wait_call(mark, "an acknowledgement", |c| {
                c.path.starts_with(&format!("/interactions/{id}/"))
            })
            .await;
        assert_eq!(ack.status, 204, "acknowledged in time: {ack:?}");
    }
    // And the slow work still gets done.
    anna.question("consent").await;
    bob.question("concerns").await;
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_mode_with_message_content_reads_the_owners_messages_only() {
    const BOB: u64 = 7002;
    let (fake, _dir, bot) = world(|cfg| {
        cfg.mode = Mode::Thread;
        cfg.message_content_intent = true;
    })
    .await;
    let mark = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    let (_, created) = fake
        .wait_call(mark, "a private thread", |c| c.path.ends_with("/threads"))
        .await;
    let thread: u64 = created.response["id"].as_str().unwrap().parse().unwrap();
    let mut chat = Chat::new(&fake, thread);
    chat.cursor = mark;
    chat.question("consent").await;
    // Someone else writing in the thread is not an answer.
    fake.say_in(BOB, thread, "ja");
    fake.say_in(ANNA, LOBBY, "ja");
    fake.say_in(ANNA, thread, "ja");
    let concerns = chat.question("concerns").await;
    assert!(
        support::custom_ids(&concerns).is_empty(),
        "typed answers arrive, so no form button"
    );
    fake.say_in(ANNA, thread, "Ik kan geen goed personeel vinden");
    chat.question("confirm").await;
    // /intake again: the same thread, picking up where it was.
    let again = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    let confirm = chat.question("confirm").await;
    assert!(content(&confirm)
        .starts_with(&knowledge().msg("welcome_back", llo_intake::content::text::Lang::Nl)));
    assert!(
        !fake.calls()[again..]
            .iter()
            .any(|c| c.path.ends_with("/threads")),
        "no second thread"
    );
    exactly(&fake, thread, 4).await;
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_messages_get_one_friendly_notice() {
    let (fake, _dir, bot) = world(|cfg| {
        cfg.rate_limit_events = 2;
        cfg.rate_limit_window_secs = 3600;
    })
    .await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    fake.dm(ANNA, "ja");
    chat.question("concerns").await;
    fake.dm(ANNA, "een");
    let notice = chat.next().await;
    assert_eq!(
        content(&notice),
        knowledge().msg("discord_rate_limited", llo_intake::content::text::Lang::Nl)
    );
    fake.dm(ANNA, "twee");
    fake.dm(ANNA, "drie");
    // Another person is not affected, and serves as a barrier.
    const BOB: u64 = 7002;
    let mut bob = Chat::new(&fake, Fake::dm_channel(BOB));
    fake.dm(BOB, "hoi");
    bob.question("consent").await;
    exactly(&fake, Fake::dm_channel(ANNA), 3).await;
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_ends_the_run_with_an_error() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let intake = llo_intake::app::service::Intake::new(
        knowledge(),
        store,
        llo_intake::content::text::Lang::Nl,
    );
    let (cfg, token) = (
        config(&fake),
        llo_intake::discord::Token::new("not-the-token"),
    );
    let run = llo_intake::discord::run(&cfg, &token, intake, std::future::pending());
    let result = tokio::time::timeout(support::WAIT, run)
        .await
        .expect("the run ends by itself");
    let err = format!("{:#}", result.expect_err("a rejected token is an error"));
    assert!(err.contains("Discord connection failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_answer_is_cut_and_the_person_told() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    fake.dm(ANNA, "ja");
    chat.question("concerns").await;
    let long = format!("Ik kan geen goed personeel vinden. {}", "bla ".repeat(490));
    assert!(long.chars().count() > llo_intake::app::service::MAX_INPUT_CHARS);
    fake.dm(ANNA, &long);
    let reply = chat.next().await;
    let too_long = knowledge().msg("too_long", llo_intake::content::text::Lang::Nl);
    assert!(
        content(&reply).starts_with(&too_long),
        "{}",
        content(&reply)
    );
    assert_eq!(step_of(&reply).as_deref(), Some("confirm"));
    fake.assert_clean();
    bot.stop().await;
    let conv = first_conversation(dir.path()).await;
    let kept = conv.answers.concerns_text.as_deref().unwrap();
    assert!(kept.chars().count() <= llo_intake::app::service::MAX_INPUT_CHARS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_turn_in_flight() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    // Sending the reply now takes a while, and the bot is told to stop
    // as soon as the click is acknowledged.
    fake.slow_down(
        "POST",
        &format!("/channels/{}/", Fake::dm_channel(ANNA)),
        std::time::Duration::from_millis(1500),
    );
    let mark = fake.mark();
    let click = fake.click(ANNA, &consent, &button(&consent, "yes"));
    fake.wait_call(mark, "the acknowledgement", |c| {
        c.path.starts_with(&format!("/interactions/{click}/"))
    })
    .await;
    bot.stop().await;
    // The stop waited for the reply of the turn in flight.
    let sent = fake.calls()[mark..]
        .iter()
        .filter(|c| c.posts_in(Fake::dm_channel(ANNA)))
        .count();
    assert_eq!(sent, 1, "the next question went out before the bot stopped");
    let conv = first_conversation(dir.path()).await;
    assert_eq!(conv.step.as_deref(), Some("concerns"));
    fake.assert_clean();
}
