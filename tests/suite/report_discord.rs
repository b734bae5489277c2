//! `/stats` on the fake Discord: the real serenity + poise client answers a
//! moderator ephemerally with the PNG chart, and refuses anyone else with
//! the content sentence, at once and without a file.

use crate::report::seeded;
use crate::support;

use serde_json::{json, Value};
use support::bot::{config, knowledge, Running};
use support::{Fake, LOBBY};

const MOD_ROLE: u64 = 900;
const MODERATOR: u64 = 7300;
const MEMBER: u64 = 7301;

fn is_ephemeral(body: &Value) -> bool {
    body["flags"].as_u64().is_some_and(|f| f & 64 != 0)
        || body["data"]["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}

fn token(interaction: u64) -> String {
    format!("tok-{interaction}")
}

async fn start(fake: &Fake, db: &std::path::Path) -> Running {
    let mut cfg = config(fake);
    cfg.moderator_role = Some(MOD_ROLE);
    fake.set_roles(MODERATOR, &[MOD_ROLE]);
    fake.set_roles(MEMBER, &[MOD_ROLE + 1]);
    Running::start(fake, cfg, db).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_gets_the_key_figures_as_an_ephemeral_png() {
    let fake = Fake::start().await;
    let (_t, db) = seeded();
    let bot = start(&fake, &db).await;

    let i = fake.slash_options(MODERATOR, "stats", LOBBY, true, json!([]));
    let (_, call) = fake
        .wait_call(0, "the stats upload", |c| {
            c.path.contains(&token(i)) && !c.files.is_empty()
        })
        .await;
    assert_eq!(call.status, 200);
    assert!(is_ephemeral(&call.body), "only the moderator sees it");
    assert_eq!(call.files.len(), 1);
    let (name, bytes) = &call.files[0];
    assert!(
        name.starts_with("llo-stats-") && name.ends_with(".png"),
        "{name}"
    );
    let reader = ::png::Decoder::new(std::io::Cursor::new(bytes.clone()))
        .read_info()
        .unwrap();
    let info = reader.info();
    assert_eq!(
        (info.width, info.height),
        (
            llo_intake::app::report::png::WIDTH,
            llo_intake::app::report::png::HEIGHT
        )
    );
    let text = call.body["content"].as_str().unwrap_or("");
    assert!(text.contains("26 gesprekken"), "{text}");
    assert!(text.contains("3,0 uur"), "median wait: {text}");

    // A region filter: Groningen holds the 19 conversations of AM01 and AM02
    // (the synthetic ones name the province with the region).
    let groningen = knowledge()
        .content
        .provinces
        .iter()
        .position(|p| p.id == "groningen")
        .unwrap();
    let i = fake.slash_options(
        MODERATOR,
        "stats",
        LOBBY,
        true,
        json!([{"name": "region", "type": 4, "value": groningen}]),
    );
    let (_, call) = fake
        .wait_call(0, "the filtered upload", |c| {
            c.path.contains(&token(i)) && !c.files.is_empty()
        })
        .await;
    let text = call.body["content"].as_str().unwrap_or("");
    assert!(text.contains("19 gesprekken"), "{text}");
    bot.stop().await;
    fake.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_else_is_refused_at_once_without_a_file() {
    let fake = Fake::start().await;
    let (_t, db) = seeded();
    let bot = start(&fake, &db).await;

    let refused = fake.slash_options(MEMBER, "stats", LOBBY, true, json!([]));
    let (_, call) = fake
        .wait_call(0, "the refusal", |c| {
            c.path.contains(&format!("/interactions/{refused}/"))
        })
        .await;
    assert_eq!(call.body["type"], 4, "answered at once, not deferred");
    assert!(is_ephemeral(&call.body));
    assert_eq!(
        call.body["data"]["content"].as_str().unwrap_or(""),
        knowledge().msg("discord_not_allowed", llo_intake::content::text::Lang::Nl)
    );
    // A moderator's request after it goes through, so the refused one had
    // its chance to upload anything.
    let ok = fake.slash_options(MODERATOR, "stats", LOBBY, true, json!([]));
    fake.wait_call(0, "the moderator's upload", |c| {
        c.path.contains(&token(ok)) && !c.files.is_empty()
    })
    .await;
    let files: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| !c.files.is_empty())
        .collect();
    assert_eq!(files.len(), 1, "only the moderator got a file");
    assert!(files[0].path.contains(&token(ok)));
    bot.stop().await;
    fake.assert_clean();
}

/// `llo_intake_followups_due` on `/metrics` is what the follow-up loop
/// leaves due after a pass: 53 due and 50 sent per pass leave 3, then 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_ups_due_gauge_follows_the_loop() {
    use crate::health::{free_address, parse_metrics, wait_status};
    use llo_intake::app::store::Store;
    use llo_intake::discord::health::HealthConfig;
    use llo_intake::discord::{Hooks, Operations};
    use llo_intake::domain::conversation::{Conversation, Status};
    use llo_intake::domain::followup::schedule;

    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    {
        let store = Store::open(dir.path()).unwrap();
        let route = knowledge().content.routes[0].id.clone();
        let convs: Vec<Conversation> = (0..53u64)
            .map(|i| {
                let ended = now - chrono::Duration::days(60);
                let mut c = Conversation::new(
                    &format!("fu-{i}"),
                    &(7400 + i).to_string(),
                    llo_intake::content::text::Lang::Nl,
                    ended,
                );
                c.status = Status::Ended;
                c.ended_at = Some(ended);
                c.answers.consent = Some(true);
                c.recommended = vec![route.clone()];
                c
            })
            .collect();
        store.load_conversations(&convs).unwrap();
        for c in &convs {
            assert!(store
                .save_follow_up(&schedule(c, 30, now).unwrap())
                .unwrap());
        }
        assert_eq!(store.follow_ups_due(now).unwrap(), 53);
    }
    let addr = free_address();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        follow_up_ticks: Some(rx),
        ..Hooks::default()
    };
    let ops = Operations {
        health: HealthConfig {
            listen: Some(addr.to_string()),
        },
        ..Operations::default()
    };
    let bot = Running::start_full(&fake, config(&fake), dir.path(), hooks, ops, knowledge()).await;
    let gauge = || async {
        parse_metrics(&wait_status(addr, "/metrics", 200).await)["llo_intake_followups_due"]
    };
    assert_eq!(gauge().await, 0.0, "nothing counted before a pass");
    crate::discord_followup::tick(&tx).await;
    assert_eq!(gauge().await, 3.0, "50 went out, 3 wait for the next pass");
    crate::discord_followup::tick(&tx).await;
    assert_eq!(gauge().await, 0.0);
    bot.stop().await;
}
