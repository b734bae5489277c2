//! Discord's error answers, end to end on the fake with the real serenity
//! client: what a person notices when Discord answers 5xx or 429, when
//! their DMs are closed, when the gateway drops mid-conversation and an
//! event is delivered again. Some tests run the production REST path
//! (no `api_base_url`): serenity's own rate limiter against the fake's
//! `https://discord.com`.

use crate::support;

use llo_intake::content::text::Lang;
use serde_json::Value;
use std::time::Duration;
use support::bot::{first_conversation, knowledge, prompt, world, world_rate_limited, Chat};
use support::{button, Call, Fake, LOBBY};

const ANNA: u64 = 7101;

fn msg(key: &str) -> String {
    knowledge().msg(key, Lang::Nl)
}

fn dm_messages() -> String {
    format!("/channels/{}/messages", Fake::dm_channel(ANNA))
}

/// The bot's calls posting in Anna's DM since `from`, with their status.
fn posts(fake: &Fake, from: usize) -> Vec<Call> {
    fake.calls()[from..]
        .iter()
        .filter(|c| c.is("POST", &dm_messages()))
        .cloned()
        .collect()
}

fn content(m: &Value) -> &str {
    m["content"].as_str().unwrap_or("")
}

/// Waits until the bot has posted `n` messages in Anna's DM (after `from`),
/// and checks that it stays `n` (no reply sent twice).
async fn exactly(fake: &Fake, from: usize, n: usize) {
    let channel = Fake::dm_channel(ANNA);
    fake.wait(from, &format!("{n} bot messages"), |calls| {
        (calls.iter().filter(|c| c.posts_in(channel)).count() >= n).then_some(())
    })
    .await;
    let sent: Vec<String> = fake.calls()[from..]
        .iter()
        .filter(|c| c.posts_in(channel))
        .map(|c| c.body["content"].to_string())
        .collect();
    assert_eq!(sent.len(), n, "bot messages: {sent:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_meets_discord_5xx_is_sent_again_and_the_turn_is_kept() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    // Discord has a bad moment just as the next question goes out.
    fake.fail("POST", &dm_messages(), 2, 502);
    fake.dm(ANNA, "ja");
    let concerns = chat.question("concerns").await;
    assert!(content(&concerns).starts_with(prompt("concerns").trim()));
    let statuses: Vec<u16> = posts(&fake, mark).iter().map(|c| c.status).collect();
    assert_eq!(statuses, [200, 502, 502, 200], "retried after each 502");
    exactly(&fake, mark, 2).await;
    fake.assert_clean();
    bot.stop().await;
    let conv = first_conversation(dir.path()).await;
    assert_eq!(conv.answers.consent, Some(true));
    assert_eq!(conv.step.as_deref(), Some("concerns"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_that_reaches_the_bot_through_a_proxy_is_retried() {
    // With `api_base_url` (a rate-limit proxy) serenity's limiter is off; a
    // 429 the proxy lets through is retried after a pause.
    let (fake, _dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.rate_limit("POST", &dm_messages(), 1, 0.2, false);
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    let statuses: Vec<u16> = posts(&fake, mark).iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200]);
    exactly(&fake, mark, 1).await;
    fake.assert_clean();
    bot.stop().await;
}

/// The time between the 429 and the call after it.
fn waited(calls: &[Call]) -> Duration {
    let limited = calls.iter().position(|c| c.status == 429).expect("a 429");
    let next = calls.get(limited + 1).expect("a call after the 429");
    next.at.duration_since(calls[limited].at)
}

/// On the production REST path, Discord answers the first reply with 429
/// (`retry-after` 0.8 s, on the route or `global`): serenity waits that long
/// and sends it once more; the person gets the question once.
async fn rate_limiter_waits_out_a_429(global: bool) {
    let (fake, _dir, bot) = world_rate_limited().await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.rate_limit("POST", &dm_messages(), 1, 0.8, global);
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    let calls = posts(&fake, mark);
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200]);
    let w = waited(&calls);
    assert!(
        w >= Duration::from_millis(750),
        "waited {w:?}, retry-after 0.8 s"
    );
    exactly(&fake, mark, 1).await;
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenitys_own_rate_limiter_waits_out_a_route_429() {
    rate_limiter_waits_out_a_429(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenitys_own_rate_limiter_waits_out_a_global_429() {
    rate_limiter_waits_out_a_429(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenitys_own_rate_limiter_keeps_to_an_empty_bucket() {
    // Discord's headers say the route's bucket is empty for 1.5 s: the next
    // reply on that route waits for it instead of earning a 429.
    let (fake, _dir, bot) = world_rate_limited().await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.bucket("POST", &dm_messages(), 1.5);
    fake.dm(ANNA, "hoi");
    chat.question("consent").await;
    fake.dm(ANNA, "ja");
    chat.question("concerns").await;
    let calls = posts(&fake, mark);
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [200, 200], "no 429");
    let gap = calls[1].at.duration_since(calls[0].at);
    assert!(gap >= Duration::from_millis(1300), "only {gap:?} apart");
    fake.assert_clean();
    bot.stop().await;
}

/// The text of the answer to `/intake` (poise's reply to the deferred
/// response) after `from`.
async fn intake_answer(fake: &Fake, from: usize) -> String {
    let (_, c) = fake
        .wait_call(from, "the answer to /intake", |c| {
            c.path.starts_with("/webhooks/") && c.body["content"].is_string()
        })
        .await;
    c.body["content"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_whose_dms_are_closed_is_told_where_they_used_intake() {
    let (fake, _dir, bot) = world(|_| {}).await;
    fake.close_dms(ANNA);
    let mark = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    let text = intake_answer(&fake, mark).await;
    assert_eq!(text, msg("discord_dm_closed"));
    // 50007 is an answer, not a passing failure: asked once.
    assert_eq!(posts(&fake, mark).len(), 1);
    assert!(
        fake.bot_messages(LOBBY).is_empty(),
        "nothing public in the channel"
    );
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_failure_on_the_first_dm_is_not_called_closed_dms() {
    let (fake, _dir, bot) = world(|_| {}).await;
    fake.fail("POST", &dm_messages(), 1, 503);
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.slash(ANNA, "intake", LOBBY, true);
    chat.question("consent").await;
    assert_eq!(intake_answer(&fake, mark).await, msg("discord_dm_sent"));
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_command_replayed_after_a_dropped_gateway_is_answered_once() {
    let (fake, _dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    let id = fake.slash(ANNA, "intake", LOBBY, true);
    chat.question("consent").await;
    assert_eq!(intake_answer(&fake, mark).await, msg("discord_dm_sent"));
    // The gateway drops; on RESUME Discord replays the /intake (same
    // interaction id) before the message typed meanwhile.
    fake.drop_connection(1);
    fake.dm(ANNA, "ja");
    chat.question("concerns").await;
    assert_eq!(fake.resumes().len(), 1, "resumed, not re-identified");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let callback = format!("/interactions/{id}/");
    let callbacks = fake.calls()[mark..]
        .iter()
        .filter(|c| c.path.starts_with(&callback))
        .count();
    assert_eq!(callbacks, 1, "one answer to the one /intake");
    exactly(&fake, mark, 2).await;
    // A second callback would have been refused with 40060.
    fake.assert_clean();
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_replayed_after_a_dropped_gateway_is_answered_once() {
    let (fake, dir, bot) = world(|_| {}).await;
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    let mark = fake.mark();
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    // The gateway drops mid-conversation. On RESUME Discord replays the
    // click (same interaction id) and the message typed meanwhile.
    fake.drop_connection(1);
    fake.dm(ANNA, "Ik kan geen goed personeel vinden");
    chat.question("confirm").await;
    assert_eq!(fake.resumes().len(), 1, "resumed, not re-identified");
    exactly(&fake, mark, 3).await;
    // A second callback for the click would have been refused with 40060.
    fake.assert_clean();
    bot.stop().await;
    let conv = first_conversation(dir.path()).await;
    assert_eq!(
        conv.answers.concerns_text.as_deref(),
        Some("Ik kan geen goed personeel vinden")
    );
}
