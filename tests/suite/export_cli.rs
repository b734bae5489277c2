//! `llo-intake export` from the command line: the three formats, the
//! filters, the Excel options, and a clear refusal while another process
//! holds the database.

use crate::privacy_support;

use llo_intake::app::store::{Entry, Role, Store};
use llo_intake::domain::conversation::Outcome;
use llo_intake::domain::handoff;
use privacy_support::*;
use std::path::Path;

const ANNA: &str = "111111111111111111";
const BOB: &str = "222222222222222222";
const CARO: &str = "333333333333333333";

/// Three conversations: Anna (day 0, recruitment, utrecht, handed to a coach
/// with an internal note), Bob (day 10, retention, groningen), Caro (day 20,
/// recruitment, stopped before the region question).
fn seeded() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let store = Store::open(&db).unwrap();
    let a = seed(
        &store,
        ANNA,
        day(0),
        &[
            "Ik kan geen personeel vinden",
            "ja",
            "bouw",
            "12",
            "Utrecht",
            "niets",
            "ja",
        ],
    );
    let c = store.conversation(&a).unwrap().unwrap();
    let c = handoff::claim(&c, "coach-jan", day(1)).unwrap();
    store.commit_turn(&c, &[]).unwrap();
    let mut note = Entry::new(day(1), Role::Note, "Belt liever dan te chatten");
    note.author = Some("coach-jan".into());
    store.append(&a, &[note]).unwrap();
    let c = handoff::close(&c, Outcome::Resolved, "coach-jan", day(2)).unwrap();
    store.commit_turn(&c, &[]).unwrap();
    seed_full(&store, BOB, day(10), "Mijn mensen lopen weg", "Groningen");
    seed(
        &store,
        CARO,
        day(20),
        &["Ik kan geen personeel vinden", "ja", "stop"],
    );
    drop(store);
    (tmp, db)
}

fn export(db: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["export", "--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = run(&all, "");
    assert!(o.status.success(), "export {args:?} failed: {}", stderr(&o));
    o
}

/// CSV records (BOM stripped) with the given delimiter.
fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<csv::StringRecord> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap())
        .collect()
}

fn col(header: &csv::StringRecord, name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[test]
fn csv_opens_in_dutch_excel_and_keeps_transcripts_and_user_ids_out_by_default() {
    let (_tmp, db) = seeded();
    let o = export(&db, &["--format", "csv"]);
    assert!(o.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    let rows = csv_rows(&o.stdout, b';');
    let header = &rows[0];
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        llo_intake::app::summary::CSV_COLUMNS.to_vec()
    );
    assert_eq!(rows.len(), 4, "header + three conversations");
    for r in &rows[1..] {
        assert_eq!(r.len(), header.len());
        assert_eq!(&r[col(header, "user_id")], "", "no platform ids by default");
        assert_eq!(
            &r[col(header, "transcript")],
            "",
            "no transcript by default"
        );
        assert_eq!(r[col(header, "user_ref")].len(), 16);
    }
    let text = stdout(&o);
    for id in [ANNA, BOB, CARO] {
        assert!(!text.contains(id));
    }
    let anna = &rows[1];
    assert_eq!(&anna[col(header, "concerns")], "recruitment");
    assert_eq!(&anna[col(header, "sector")], "bouw");
    assert_eq!(&anna[col(header, "size")], "small");
    assert_eq!(&anna[col(header, "region")], "utrecht");
    assert_eq!(&anna[col(header, "status")], "ended");
    assert_eq!(&anna[col(header, "consent")], "yes");
    assert_eq!(&anna[col(header, "started_utc")], "2025-03-01 09:00:00");
    assert_eq!(
        &anna[col(header, "last_activity_utc")],
        "2025-03-03 09:00:00"
    );
    assert_eq!(&anna[col(header, "handoff_coach")], "coach-jan");
    assert_eq!(&anna[col(header, "handoff_outcome")], "resolved");
    assert!(anna[col(header, "internal_notes")].contains("Belt liever dan te chatten"));
    assert!(!anna[col(header, "routes_suggested")].is_empty());
    assert_eq!(&rows[3][col(header, "status")], "stopped");

    // Explicit options put transcripts and ids in.
    let o = export(&db, &["--format", "csv", "--transcripts", "--user-ids"]);
    let rows = csv_rows(&o.stdout, b';');
    let anna = &rows[1];
    assert_eq!(&anna[col(&rows[0], "user_id")], ANNA);
    let t = &anna[col(&rows[0], "transcript")];
    assert!(t.contains("user: Ik kan geen personeel vinden"), "{t}");
    assert!(!t.contains("Belt liever"), "notes are not transcript lines");
}

#[test]
fn jsonl_and_markdown() {
    let (_tmp, db) = seeded();
    let o = export(&db, &["--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.get("transcript").is_none()));
    assert!(lines.iter().all(|l| l["user_id"].is_null()));
    assert_eq!(lines[0]["profile"]["region"], "utrecht");
    assert_eq!(lines[0]["handoff"]["events"].as_array().unwrap().len(), 3);
    assert_eq!(lines[0]["handoff"]["reason"], "offer_accepted");
    assert_eq!(
        lines[0]["internal_notes"][0]["text"],
        "Belt liever dan te chatten"
    );
    assert_eq!(lines[1]["concerns"][0], "retention");

    let o = export(&db, &["--format", "jsonl", "--transcripts"]);
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    let t = first["transcript"].as_array().unwrap();
    assert!(t.iter().any(|e| e["role"] == "user"));
    assert!(t.iter().all(|e| e["role"] != "note"));

    // Headings in the export's language (issue 9, item 9): Dutch by default.
    let o = export(&db, &["--format", "markdown"]);
    let md = stdout(&o);
    assert_eq!(md.matches("## Gesprek ").count(), 3);
    assert!(md.contains("Vertrouwelijk") && md.contains("Interne notities"));
    assert!(!md.contains("Confidential") && !md.contains("md_"), "{md}");
    let o = export(&db, &["--format", "markdown", "--lang", "en"]);
    let md = stdout(&o);
    assert_eq!(md.matches("## Conversation ").count(), 3);
    assert!(md.contains("Confidential"));
    assert!(md.contains("(recruitment)"), "labels with ids: {md}");
    assert!(md.contains("Utrecht (utrecht)"));
    assert!(md.contains("Internal notes"));
    assert!(!md.contains("### Transcript"));
}

#[test]
fn filters_by_date_region_concern_and_status() {
    let (_tmp, db) = seeded();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--format", "jsonl"];
        all.extend_from_slice(args);
        stdout(&export(&db, &all))
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["concerns"][0].as_str().unwrap().to_string()
                    + "@"
                    + &v["started_at"].as_str().unwrap()[..10]
            })
            .collect()
    };
    // Dates are whole days, both ends included.
    assert_eq!(
        ids(&["--since", "2025-03-11", "--until", "2025-03-21"]),
        ["retention@2025-03-11", "recruitment@2025-03-21"]
    );
    assert_eq!(ids(&["--until", "2025-03-01"]), ["recruitment@2025-03-01"]);
    assert_eq!(ids(&["--since", "2025-03-22"]), Vec::<String>::new());
    assert_eq!(ids(&["--region", "groningen"]), ["retention@2025-03-11"]);
    assert_eq!(
        ids(&["--region", "groningen", "--region", "utrecht"]).len(),
        2
    );
    assert_eq!(
        ids(&["--concern", "recruitment"]),
        ["recruitment@2025-03-01", "recruitment@2025-03-21"]
    );
    assert_eq!(ids(&["--status", "stopped"]), ["recruitment@2025-03-21"]);
    assert_eq!(
        ids(&["--concern", "recruitment", "--status", "ended"]),
        ["recruitment@2025-03-01"]
    );

    // A typo is a usage error, not an empty file.
    let o = run(
        &["export", "--db", db.to_str().unwrap(), "--region", "utrect"],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown region 'utrect'"));
    let o = run(
        &[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--since",
            "1-3-2025",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn excel_options_from_flags_and_config_and_formulas_defused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let store = Store::open(&db).unwrap();
    seed(
        &store,
        ANNA,
        day(0),
        &[
            "Ik kan geen personeel vinden, ó ja",
            "ja",
            "bouw",
            "12",
            "Utrecht",
            "=HYPERLINK(\"http://x\";\"klik\")",
            "nee",
        ],
    );
    drop(store);

    let default = export(&db, &["--format", "csv"]);
    assert!(default.stdout.starts_with(b"\xEF\xBB\xBF"));
    let rows = csv_rows(&default.stdout, b';');
    let tried = &rows[1][col(&rows[0], "tried")];
    assert!(tried.starts_with("'="), "formula neutralised: {tried}");
    assert!(rows[1][col(&rows[0], "concerns_text")].contains("ó ja"));

    let plain = export(
        &db,
        &["--format", "csv", "--delimiter", ",", "--bom", "false"],
    );
    assert!(plain.stdout.starts_with(b"conversation_id,user_ref,"));
    assert_eq!(csv_rows(&plain.stdout, b',')[1].len(), rows[1].len());

    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        "[intake]\ndatabase = \"db\"\n\n[export]\ndelimiter = \",\"\nbom = false\n",
    )
    .unwrap();
    let o = run(
        &[
            "export",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "csv",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, plain.stdout, "config gives the same as the flags");

    // Written to a file: owner-only, since it holds personal data.
    let out = tmp.path().join("export.csv");
    let o = export(&db, &["--format", "csv", "--out", out.to_str().unwrap()]);
    assert!(stderr(&o).contains("exported 1 conversation(s)"));
    assert_eq!(std::fs::read(&out).unwrap(), default.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_database_held_by_the_bot_is_named_as_such() {
    let (_tmp, db) = seeded();
    // sled's background flusher can keep the dropped store's file lock for a
    // moment; reopening in the same process has to wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let held = loop {
        match Store::open(&db) {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("cannot reopen the seeded database: {e}"),
        }
    };
    for args in [
        vec!["export", "--db", db.to_str().unwrap(), "--format", "csv"],
        vec!["forget", "--db", db.to_str().unwrap(), "--user", ANNA],
        vec!["purge", "--db", db.to_str().unwrap()],
    ] {
        let o = run(&args, "");
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains("in use by another llo-intake process"),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty());
    }
    drop(held);
    export(&db, &["--format", "csv"]);
}

#[test]
fn no_database_is_not_created_by_an_export() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("nothing-here");
    let o = run(&["export", "--db", db.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("there is no llo-intake database"));
    assert!(!db.exists());
}

#[test]
fn an_export_read_in_parts_is_the_export_read_at_once() {
    use llo_intake::app::export::{self, Format, Options};
    let (_tmp, db) = seeded();
    let store = Store::open(&db).unwrap();
    // More conversations, one started before the others (its id is the
    // newest), one of a forgotten user, and a transcript line added later.
    for i in 0..12 {
        seed_full(
            &store,
            &format!("p{i}"),
            day(30 + i),
            "Mijn mensen lopen weg",
            "Utrecht",
        );
    }
    let early = seed_full(
        &store,
        "early",
        day(-5),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    seed_full(
        &store,
        "gone",
        day(40),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    llo_intake::app::privacy::forget(&store, "gone").unwrap();
    store
        .append(&early, &[Entry::new(day(60), Role::Coach, "Hoe gaat het?")])
        .unwrap();
    let all = |opts: &Options| {
        let mut out = Vec::new();
        export::write(&store, opts, None, &mut out).unwrap();
        out
    };
    let formats = [Format::Csv, Format::Jsonl, Format::Markdown];
    let mut want = Vec::new();
    for (format, transcripts) in formats.iter().flat_map(|f| [(*f, false), (*f, true)]) {
        let opts = Options {
            format,
            transcripts,
            ..Options::default()
        };
        want.push((opts.clone(), all(&opts)));
    }
    drop(store);
    for (opts, want) in want {
        for part in [1, 4, 100] {
            let mut out = Vec::new();
            let n =
                export::write_in_parts(|| Store::open(&db), &opts, None, &mut out, part).unwrap();
            assert_eq!(n, 16);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want),
                "{:?} transcripts {} in parts of {part}",
                opts.format,
                opts.transcripts
            );
        }
    }
}

#[test]
fn a_coach_note_and_a_later_line_reach_the_export_without_transcripts() {
    let (_tmp, db) = seeded();
    let row_of = |o: &std::process::Output, n: usize| {
        let rows = csv_rows(&o.stdout, b';');
        (rows[0].clone(), rows[n].clone())
    };
    let before = export(&db, &["--format", "csv"]);
    let (header, bob) = row_of(&before, 2);
    assert_eq!(&bob[col(&header, "internal_notes")], "");
    let bob_id = bob[col(&header, "conversation_id")].to_string();
    // A note and a coach's line, later than anything before, appended
    // to a conversation that had no note.
    let store = Store::open(&db).unwrap();
    let at = day(15) + chrono::Duration::milliseconds(250);
    let mut note = Entry::new(at, Role::Note, "Terugbellen in mei");
    note.author = Some("coach-jan".into());
    store.append(&bob_id, &[note]).unwrap();
    store
        .append(&bob_id, &[Entry::new(day(16), Role::Coach, "Gelukt?")])
        .unwrap();
    drop(store);
    let after = export(&db, &["--format", "csv"]);
    let (header, bob) = row_of(&after, 2);
    assert_eq!(&bob[col(&header, "conversation_id")], bob_id);
    assert_eq!(
        &bob[col(&header, "internal_notes")],
        "2025-03-16 09:00:00 coach-jan: Terugbellen in mei"
    );
    assert_eq!(
        &bob[col(&header, "last_activity_utc")],
        "2025-03-17 09:00:00"
    );
    // JSON keeps the sub-second time of the note.
    let o = export(&db, &["--format", "jsonl"]);
    let bob: serde_json::Value = serde_json::from_str(stdout(&o).lines().nth(1).unwrap()).unwrap();
    assert_eq!(bob["internal_notes"][0]["at"], "2025-03-16T09:00:00.250Z");
    assert_eq!(bob["last_activity"], "2025-03-17T09:00:00Z");
}
