//! `/export` and `/mijn-gegevens` end to end on the fake Discord: the real
//! serenity + poise client (`llo_intake::discord::run`) with the uploads
//! parsed from their multipart bodies. The database is seeded through the
//! library before the bot starts and read again after it stopped.

use crate::privacy_support;
use crate::support;

use llo_intake::app::export::{self, Options};
use llo_intake::app::privacy;
use llo_intake::app::store::{Entry, Role, Store};
use llo_intake::discord::Threads;
use llo_intake::domain::conversation::CardRef;
use privacy_support::{day, seed, seed_full};
use serde_json::{json, Value};
use support::bot::{config, knowledge, open_store, Chat, Running};
use support::{button, custom_ids, Call, Fake, COACHES, LOBBY};

const MOD_ROLE: u64 = 900;
const MODERATOR: u64 = 7100;
const MEMBER: u64 = 7101;
const ANNA: u64 = 7201;
const BEN: u64 = 7202;

fn msg(key: &str) -> String {
    knowledge().msg(key, llo_intake::content::text::Lang::Nl)
}

fn content(v: &Value) -> &str {
    v["content"].as_str().unwrap_or("")
}

fn is_ephemeral(body: &Value) -> bool {
    body["flags"].as_u64().is_some_and(|f| f & 64 != 0)
        || body["data"]["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}

/// Anna's and Ben's finished intakes; Anna's words hold `marker`.
fn seed_two(dir: &std::path::Path, marker: &str) {
    let store = Store::open(dir).unwrap();
    seed_full(
        &store,
        &ANNA.to_string(),
        day(0),
        &format!("Ik kan geen personeel vinden {marker}"),
        "Utrecht",
    );
    seed_full(
        &store,
        &BEN.to_string(),
        day(1),
        "Mijn mensen moeten digitaal bijleren",
        "Zwolle",
    );
}

async fn start(fake: &Fake, dir: &std::path::Path) -> Running {
    let mut cfg = config(fake);
    cfg.moderator_role = Some(MOD_ROLE);
    fake.set_roles(MODERATOR, &[MOD_ROLE]);
    Running::start(fake, cfg, dir).await
}

/// The calls after `from` that uploaded files for interaction `token`.
fn uploads(fake: &Fake, token: &str) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path.contains(token) && !c.files.is_empty())
        .collect()
}

fn token(interaction: u64) -> String {
    format!("tok-{interaction}")
}

/// What `llo-intake export` writes with the same options (bot stopped).
async fn cli_export(dir: &std::path::Path, opts: &Options) -> Vec<u8> {
    let store = open_store(dir).await;
    let mut out = Vec::new();
    export::write(&store, opts, Some(&knowledge().content), &mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_gets_the_csv_the_cli_writes_as_an_ephemeral_attachment() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    seed_two(dir.path(), "markeer");
    let bot = start(&fake, dir.path()).await;

    let i = fake.slash_options(MODERATOR, "export", LOBBY, true, json!([]));
    let (_, call) = fake
        .wait_call(0, "the export upload", |c| {
            c.path.contains(&token(i)) && !c.files.is_empty()
        })
        .await;
    assert_eq!(call.status, 200);
    assert!(is_ephemeral(&call.body), "only the moderator sees it");
    assert_eq!(call.files.len(), 1);
    let (name, csv) = &call.files[0];
    assert!(
        name.starts_with("llo-export-") && name.ends_with(".csv"),
        "{name}"
    );
    assert!(csv.starts_with(export::BOM), "Excel needs the BOM");
    let text = String::from_utf8_lossy(&csv[export::BOM.len()..]).into_owned();
    let header = text.lines().next().unwrap();
    assert_eq!(header, llo_intake::app::summary::CSV_COLUMNS.join(";"));
    assert!(text.contains("markeer"), "Anna's words are in the export");
    assert!(
        !text.contains(&ANNA.to_string()),
        "no Discord ids without asking"
    );
    assert!(
        content(&call.body).contains("2 gesprek"),
        "{}",
        content(&call.body)
    );
    assert_eq!(uploads(&fake, &token(i)).len(), 1, "one file, no split");
    bot.stop().await;
    fake.assert_clean();

    let cli = cli_export(dir.path(), &Options::default()).await;
    assert_eq!(
        csv, &cli,
        "the same bytes as `llo-intake export --format csv`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_transcripts_are_options_and_jsonl_is_a_format() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    seed_two(dir.path(), "filterwoord");
    let bot = start(&fake, dir.path()).await;
    let k = knowledge();
    let utrecht = k
        .content
        .provinces
        .iter()
        .position(|p| p.id == "utrecht")
        .unwrap();

    // Without transcripts (the default), then with.
    let mut files = Vec::new();
    for with in [false, true] {
        let i = fake.slash_options(
            MODERATOR,
            "export",
            LOBBY,
            true,
            json!([
                {"name": "format", "type": 4, "value": 1},
                {"name": "region", "type": 4, "value": utrecht},
                {"name": "since", "type": 3, "value": "2025-03-01"},
                {"name": "include_transcripts", "type": 5, "value": with},
            ]),
        );
        let (_, call) = fake
            .wait_call(0, "the jsonl upload", |c| {
                c.path.contains(&token(i)) && !c.files.is_empty()
            })
            .await;
        assert!(call.files[0].0.ends_with(".jsonl"));
        files.push(String::from_utf8(call.files[0].1.clone()).unwrap());
    }
    for (file, with) in files.iter().zip([false, true]) {
        let lines: Vec<Value> = file
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "only Utrecht: {file}");
        assert_eq!(lines[0]["profile"]["region"], "utrecht");
        assert_eq!(lines[0]["user_id"], Value::Null);
        assert_eq!(
            lines[0].get("transcript").is_some(),
            with,
            "transcripts only when asked: {file}"
        );
    }
    assert!(files[1].contains("filterwoord"));

    // A date that is not one: a friendly sentence, no file.
    let i = fake.slash_options(
        MODERATOR,
        "export",
        LOBBY,
        true,
        json!([{"name": "until", "type": 3, "value": "gisteren"}]),
    );
    let (_, call) = fake
        .wait_call(0, "the date refusal", |c| {
            c.path.contains(&token(i)) && c.method == "POST" && c.path.starts_with("/webhooks")
        })
        .await;
    assert!(content(&call.body).contains("'gisteren'"), "{}", call.body);
    assert!(uploads(&fake, &token(i)).is_empty());
    bot.stop().await;
    fake.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_without_the_moderator_role_is_refused_and_gets_no_file() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    seed_two(dir.path(), "geheim");
    let bot = start(&fake, dir.path()).await;
    fake.set_roles(MEMBER, &[MOD_ROLE + 1]);

    let refused = fake.slash_options(MEMBER, "export", LOBBY, true, json!([]));
    let (_, call) = fake
        .wait_call(0, "the refusal", |c| {
            c.path.contains(&format!("/interactions/{refused}/"))
        })
        .await;
    assert_eq!(call.body["type"], 4, "answered at once, not deferred");
    assert!(is_ephemeral(&call.body));
    assert_eq!(content(&call.body["data"]), msg("discord_not_allowed"));
    // A moderator's export after it goes through, so the refused one had
    // its chance to upload anything.
    let ok = fake.slash_options(MODERATOR, "export", LOBBY, true, json!([]));
    fake.wait_call(0, "the moderator's upload", |c| {
        c.path.contains(&token(ok)) && !c.files.is_empty()
    })
    .await;
    assert!(uploads(&fake, &token(refused)).is_empty());
    let all: Vec<Call> = fake
        .calls()
        .into_iter()
        .filter(|c| !c.files.is_empty())
        .collect();
    assert_eq!(all.len(), 1, "only the moderator got a file");
    bot.stop().await;
    fake.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_over_the_upload_limit_comes_in_parts_that_each_open() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for n in 0..8u64 {
            seed_full(
                &store,
                &(8000 + n).to_string(),
                day(n as i64),
                &format!("Ik kan geen personeel vinden, gesprek {n}"),
                "Utrecht",
            );
        }
    }
    let bot = start(&fake, dir.path()).await;
    // A few conversations fit in one upload, not eight.
    fake.set_attachment_limit(1800);
    let i = fake.slash_options(MODERATOR, "export", LOBBY, true, json!([]));
    let (_, first) = fake
        .wait_call(0, "the first part", |c| {
            c.path.contains(&token(i)) && !c.files.is_empty()
        })
        .await;
    // The file name counts the parts: "...-part1of3.csv".
    let parts: usize = first.files[0]
        .0
        .rsplit("of")
        .next()
        .and_then(|t| t.trim_end_matches(".csv").parse().ok())
        .unwrap_or_else(|| panic!("not a part: {}", first.files[0].0));
    assert!(parts >= 2, "{parts} parts");
    assert!(
        content(&first.body).contains(&msg("export_split").replace("{parts}", &parts.to_string())),
        "the message says it was split: {}",
        content(&first.body)
    );
    let calls = fake
        .wait(0, "every part", |calls| {
            let up: Vec<Call> = calls
                .iter()
                .filter(|c| c.path.contains(&token(i)) && !c.files.is_empty())
                .cloned()
                .collect();
            (up.len() == parts).then_some(up)
        })
        .await;
    let mut rows = Vec::new();
    for (n, c) in calls.iter().enumerate() {
        let (name, bytes) = &c.files[0];
        assert!(bytes.len() <= 1800, "{name}: {} bytes", bytes.len());
        assert!(name.contains(&format!("part{}of", n + 1)), "{name}");
        assert!(bytes.starts_with(export::BOM));
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&bytes[export::BOM.len()..]);
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            llo_intake::app::summary::CSV_COLUMNS
        );
        rows.extend(r.records().map(|x| x.unwrap()[0].to_string()));
    }
    bot.stop().await;
    fake.assert_clean();
    let mut expected: Vec<String> = {
        let store = open_store(dir.path()).await;
        store
            .conversations()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    expected.sort();
    rows.sort();
    assert_eq!(rows, expected, "every conversation once, none twice");
}

/// Anna in hand-off with a coach card in the coaches' channel, an internal
/// note and a coach line; Ben finished. Returns Anna's card message id.
fn seed_anna_with_card(fake: &Fake, dir: &std::path::Path) -> u64 {
    let card = fake.seed_message(COACHES, "Hand-off: Anna, Utrecht, personeel vinden");
    let store = Store::open(dir).unwrap();
    let anna = ANNA.to_string();
    let id = seed(
        &store,
        &anna,
        day(0),
        &[
            "Ik kan geen personeel vinden annawoord",
            "ja",
            "bouw",
            "12",
            "Utrecht",
            "niets",
            "ja",
        ],
    );
    let mut c = store.conversation(&id).unwrap().unwrap();
    let h = c.handoff.as_mut().expect("asked for a coach");
    h.card = Some(CardRef {
        channel: COACHES.to_string(),
        message: card.to_string(),
    });
    store.commit_turn(&c, &[]).unwrap();
    let mut note = Entry::new(day(1), Role::Note, "interne notitie over Anna");
    note.author = Some("coach-jan".into());
    let said = Entry::new(day(1), Role::Coach, "Hoi Anna, ik ben Jan.");
    store.append(&id, &[note, said]).unwrap();
    Threads::open(&store).unwrap().set(ANNA, 555).unwrap();
    seed_full(
        &store,
        &BEN.to_string(),
        day(1),
        "Mijn mensen lopen weg",
        "Zwolle",
    );
    card
}

/// Runs `/mijn-gegevens` in Anna's DM; returns the ephemeral overview.
async fn my_data(fake: &Fake) -> Value {
    let i = fake.slash(ANNA, "mijn-gegevens", Fake::dm_channel(ANNA), false);
    let (_, call) = fake
        .wait_call(0, "the overview", |c| {
            c.method == "POST" && c.path.contains(&token(i)) && c.status == 200
        })
        .await;
    assert!(is_ephemeral(&call.body));
    call.response
}

fn button_id(m: &Value, suffix: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|id| id.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} button on {m}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_data_shows_a_summary_and_downloads_json_without_internal_notes() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    seed_anna_with_card(&fake, dir.path());
    let bot = start(&fake, dir.path()).await;

    let overview = my_data(&fake).await;
    let text = content(&overview);
    assert!(
        text.starts_with(&msg("mydata_intro").replace("{count}", "1")),
        "{text}"
    );
    let k = knowledge();
    let label = &k.content.concern("recruitment").unwrap().label.nl;
    assert!(text.contains(label.as_str()), "{label} in {text}");
    assert!(text.contains("Utrecht"), "{text}");
    assert!(!text.contains("interne notitie"));

    let mark = fake.mark();
    let click = fake.click(ANNA, &overview, &button_id(&overview, ":download"));
    let (_, call) = fake
        .wait_call(mark, "the download", |c| {
            c.path.contains(&token(click)) && !c.files.is_empty()
        })
        .await;
    assert_eq!(call.method, "PATCH", "fills in the deferred response");
    let (name, bytes) = &call.files[0];
    assert!(name.ends_with(".json"));
    let v: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(v["user_id"], ANNA.to_string());
    let convs = v["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "only Anna's");
    let raw = String::from_utf8_lossy(bytes);
    assert!(raw.contains("annawoord") && raw.contains("Hoi Anna, ik ben Jan."));
    assert!(
        !raw.contains("interne notitie"),
        "internal notes stay internal"
    );
    assert!(!raw.contains("lopen weg"), "nothing of Ben");
    assert_eq!(content(&call.body), msg("mydata_download_ready"));
    bot.stop().await;
    fake.assert_clean();

    let store = open_store(dir.path()).await;
    assert_eq!(v, privacy::own_data(&store, &ANNA.to_string()).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_asks_first_then_removes_everything_and_blanks_the_coach_card() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let card = seed_anna_with_card(&fake, dir.path());
    let bot = start(&fake, dir.path()).await;

    // Delete, then change one's mind: nothing happens.
    let overview = my_data(&fake).await;
    let mark = fake.mark();
    fake.click(ANNA, &overview, &button_id(&overview, ":delete"));
    let (_, ask) = fake
        .wait_call(mark, "the question", |c| c.path.ends_with("/callback"))
        .await;
    assert_eq!(ask.body["type"], 7, "the overview turns into the question");
    assert_eq!(content(&ask.body["data"]), msg("mydata_confirm"));
    let asked = fake
        .message(overview["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    let mark = fake.mark();
    fake.click(ANNA, &asked, &button_id(&asked, ":cancel"));
    let (_, cancel) = fake
        .wait_call(mark, "the cancel", |c| c.path.ends_with("/callback"))
        .await;
    assert_eq!(content(&cancel.body["data"]), msg("mydata_cancelled"));
    assert!(
        !fake
            .calls()
            .iter()
            .any(|c| c.method == "PATCH" && c.path.starts_with("/channels")),
        "the card is untouched"
    );

    // Now for real: delete, confirm.
    let overview = my_data(&fake).await;
    let mark = fake.mark();
    fake.click(ANNA, &overview, &button_id(&overview, ":delete"));
    fake.wait_call(mark, "the question", |c| c.path.ends_with("/callback"))
        .await;
    let asked = fake
        .message(overview["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    let mark = fake.mark();
    let confirm = fake.click(ANNA, &asked, &button_id(&asked, ":confirm"));
    let (_, edited) = fake
        .wait_call(mark, "the card edit", |c| {
            c.is("PATCH", &format!("/channels/{COACHES}/messages/{card}"))
        })
        .await;
    assert_eq!(edited.status, 200);
    let (_, done) = fake
        .wait_call(mark, "the confirmation", |c| {
            c.method == "PATCH" && c.path.contains(&token(confirm))
        })
        .await;
    let done_text = content(&done.body);
    assert_eq!(done_text, msg("mydata_deleted").replace("{count}", "1"));
    assert!(
        done_text.contains("kan ik niet wissen"),
        "honest about the messages the bot cannot delete"
    );
    let after = fake
        .message(overview["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(content(&after), done_text, "the question became the answer");
    assert!(custom_ids(&after).is_empty(), "no buttons left");
    let card_now = fake.message(card).unwrap();
    assert_eq!(content(&card_now), msg("handoff_card_removed"));
    assert!(card_now["embeds"].as_array().is_none_or(Vec::is_empty));
    assert!(custom_ids(&card_now).is_empty());
    bot.stop().await;
    fake.assert_clean();

    let store = open_store(dir.path()).await;
    let anna = ANNA.to_string();
    assert!(store.user_conversations(&anna).unwrap().is_empty());
    assert_eq!(
        privacy::own_data(&store, &anna).unwrap()["conversations"],
        json!([])
    );
    assert_eq!(
        Threads::open(&store).unwrap().thread_of(ANNA).unwrap(),
        None
    );
    assert_eq!(Threads::open(&store).unwrap().owner(555).unwrap(), None);
    let opts = Options {
        transcripts: true,
        user_ids: true,
        ..Options::default()
    };
    let mut out = Vec::new();
    export::write(&store, &opts, None, &mut out).unwrap();
    let all = String::from_utf8_lossy(&out);
    assert!(all.contains("lopen weg"), "Ben stays");
    for gone in ["annawoord", "Hoi Anna", "interne notitie", &anna] {
        assert!(!all.contains(gone), "{gone} is still exported");
    }
    assert_eq!(store.conversations().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_are_registered_in_dutch_and_english_with_filters_from_the_content() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = start(&fake, dir.path()).await;
    let (_, put) = fake
        .wait_call(0, "the registration", |c| {
            c.method == "PUT" && c.path.ends_with("/commands")
        })
        .await;
    bot.stop().await;
    fake.assert_clean();
    let cmds = put.body.as_array().unwrap();
    let cmd = |name: &str| {
        cmds.iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no /{name} in {}", put.body))
    };
    let en = |key: &str| knowledge().msg(key, llo_intake::content::text::Lang::En);
    let mine = cmd("mijn-gegevens");
    assert_eq!(mine["name_localizations"]["en-US"], "my-data");
    assert_eq!(mine["name_localizations"]["nl"], "mijn-gegevens");
    assert_eq!(mine["description"], msg("discord_cmd_mydata"));
    assert_eq!(
        mine["description_localizations"]["en-US"],
        en("discord_cmd_mydata")
    );
    let export = cmd("export");
    assert_eq!(
        export["description_localizations"]["nl"],
        msg("discord_cmd_export")
    );
    assert_eq!(export["contexts"], json!([0]), "guild only");
    let options = export["options"].as_array().unwrap();
    let names: Vec<&str> = options
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "format",
            "since",
            "until",
            "region",
            "concern",
            "status",
            "include_transcripts"
        ]
    );
    for o in options {
        let key = format!("export_param_{}", o["name"].as_str().unwrap());
        assert_eq!(o["description_localizations"]["nl"], msg(&key));
        assert_eq!(o["description_localizations"]["en-GB"], en(&key));
        assert_ne!(o["required"], true, "every option is optional");
    }
    let k = knowledge();
    let choices = |name: &str| -> Vec<Value> {
        options.iter().find(|o| o["name"] == name).unwrap()["choices"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let regions = choices("region");
    assert_eq!(regions.len(), k.content.provinces.len());
    assert_eq!(regions[0]["name"], k.content.provinces[0].name.as_str());
    let concerns = choices("concern");
    assert_eq!(concerns.len(), k.content.concerns.len());
    assert_eq!(
        concerns[0]["name_localizations"]["en-US"],
        k.content.concerns[0].label.en.as_str()
    );
    assert_eq!(choices("status").len(), 5);
    assert_eq!(choices("format").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_during_a_live_hand_off_blanks_the_card_the_bot_posted_and_starts_afresh() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&fake);
    cfg.coach_channel = Some(COACHES);
    cfg.coach_role = Some(MOD_ROLE + 1);
    let bot = Running::start(&fake, cfg, dir.path()).await;

    // Anna asks for a coach halfway; the bot posts her card.
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    let mark = fake.mark();
    fake.dm(ANNA, "Ik kan geen goed personeel vinden, echt niemand");
    let confirm = chat.question("confirm").await;
    fake.click(ANNA, &confirm, &button(&confirm, "yes"));
    chat.question("sector").await;
    fake.dm(ANNA, "coach");
    let (_, posted) = fake
        .wait_call(mark, "the coach card", |c| c.posts_in(COACHES))
        .await;
    let card: u64 = posted.response["id"].as_str().unwrap().parse().unwrap();
    assert_ne!(
        content(&fake.message(card).unwrap()),
        msg("handoff_card_removed")
    );

    let overview = my_data(&fake).await;
    let mark = fake.mark();
    fake.click(ANNA, &overview, &button_id(&overview, ":delete"));
    fake.wait_call(mark, "the question", |c| c.path.ends_with("/callback"))
        .await;
    let asked = fake
        .message(overview["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    let mark = fake.mark();
    fake.click(ANNA, &asked, &button_id(&asked, ":confirm"));
    fake.wait_call(mark, "the card edit", |c| {
        c.is("PATCH", &format!("/channels/{COACHES}/messages/{card}"))
    })
    .await;
    let now = fake.message(card).unwrap();
    assert_eq!(content(&now), msg("handoff_card_removed"));
    assert!(!now.to_string().contains("personeel vinden, echt niemand"));
    assert!(
        custom_ids(&now).is_empty(),
        "no claim button on a blank card"
    );

    // Nothing of the old conversation is left to resume: a new message
    // starts over at the consent question.
    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hallo weer");
    chat.question("consent").await;
    bot.stop().await;
    fake.assert_clean();
    let store = open_store(dir.path()).await;
    let convs = store.conversations().unwrap();
    assert_eq!(convs.len(), 1, "only the new one");
    assert_eq!(convs[0].step.as_deref(), Some("consent"));
    assert!(convs[0].handoff.is_none());
}
