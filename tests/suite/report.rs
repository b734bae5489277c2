//! `llo-intake report` end to end: a synthetic database with known content,
//! the HTML and CSV it writes (numbers, suppression, no typed text, XML
//! well-formedness, bars and cells per chart), and the `/stats` PNG.

use crate::privacy_support::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use llo_intake::app::report::{self, png, Cell, Options};
use llo_intake::app::store::{PeerCounts, Store};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::{
    Conversation, EventKind, Handoff, HandoffEvent, Outcome, Status,
};
use std::path::{Path, PathBuf};

/// Words typed in every synthetic conversation: never in a report.
pub const TYPED: &str = "Zeldzaamwoord Pietje Puk uit Apeldoorn";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

const FULL: [&str; 8] = [
    "consent",
    "concerns",
    "confirm",
    "sector",
    "size",
    "region",
    "tried",
    "handoff_offer",
];

fn conv(
    n: &mut u32,
    started: DateTime<Utc>,
    concerns: &[&str],
    region: Option<&str>,
) -> Conversation {
    *n += 1;
    let mut c = Conversation::new(
        &format!("conv-{n:04}"),
        &format!("55500000{n:04}"),
        Lang::Nl,
        started,
    );
    c.answers.consent = Some(true);
    c.answers.concerns = concerns.iter().map(|s| s.to_string()).collect();
    c.answers.concerns_text = Some(format!("{TYPED} {n}"));
    c.answers.tried = Some(format!("{TYPED} geprobeerd"));
    c.answers.labour_market_region = region.map(str::to_string);
    c.answers.region = region.map(|_| "groningen".to_string());
    c
}

/// 26 conversations:
/// * A, January 2025: 10, recruitment, AM01, ended, two routes, one contact;
/// * B, February: 6, recruitment + retention, AM01, handed to a coach in
///   week 6, claimed after 1, 2, 3, 4, 5 and 10 hours, resolved;
/// * C, February: 3, upskilling, AM02, said stop at the sector question;
/// * D, March: 7, retention, region unknown, still open at the region question.
pub fn synthetic() -> Vec<Conversation> {
    let k = knowledge();
    let (r0, r1) = (
        k.content.routes[0].id.clone(),
        k.content.routes[1].id.clone(),
    );
    let contact = k.content.contacts[0].id.clone();
    let mut n = 0;
    let mut all = Vec::new();
    for i in 0..10 {
        let mut c = conv(&mut n, at(2025, 1, 6 + i), &["recruitment"], Some("AM01"));
        c.history = FULL.iter().map(|s| s.to_string()).collect();
        c.status = Status::Ended;
        c.recommended = vec![r0.clone(), r1.clone()];
        c.contacts_shown = vec![contact.clone()];
        all.push(c);
    }
    for (i, hours) in [1, 2, 3, 4, 5, 10].into_iter().enumerate() {
        let start = at(2025, 2, 3) + Duration::minutes(i as i64);
        let mut c = conv(&mut n, start, &["recruitment", "retention"], Some("AM01"));
        c.history = FULL.iter().map(|s| s.to_string()).collect();
        c.status = Status::Handoff;
        c.recommended = vec![r0.clone(), r1.clone()];
        let claimed = start + Duration::hours(hours);
        let closed = claimed + Duration::hours(1);
        let mut h = Handoff::new(
            start,
            llo_intake::domain::conversation::HandoffReason::OfferAccepted,
        );
        h.coach = Some("coach-7777".into());
        h.claimed_at = Some(claimed);
        h.closed_at = Some(closed);
        h.outcome = Some(Outcome::Resolved);
        c.handoff = Some(h);
        let ev = |at, kind| HandoffEvent {
            at,
            kind,
            by: Some("coach-7777".into()),
            detail: Some(TYPED.into()),
        };
        c.handoff_log = vec![
            ev(start, EventKind::Requested),
            ev(claimed, EventKind::Claimed),
            ev(closed, EventKind::Closed),
        ];
        all.push(c);
    }
    for i in 0..3 {
        let mut c = conv(&mut n, at(2025, 2, 10 + i), &["upskilling"], Some("AM02"));
        c.history = vec!["consent".into(), "concerns".into(), "confirm".into()];
        c.step = Some("sector".into());
        c.status = Status::Stopped;
        all.push(c);
    }
    for i in 0..7 {
        let mut c = conv(&mut n, at(2025, 3, 3 + i), &["retention"], None);
        c.answers.region = None;
        c.history = FULL[..5].iter().map(|s| s.to_string()).collect();
        c.step = Some("region".into());
        c.status = Status::Active;
        all.push(c);
    }
    all
}

/// A database holding [`synthetic`].
pub fn seeded() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let store = Store::open(&db).unwrap();
    store.load_conversations(&synthetic()).unwrap();
    drop(store);
    (tmp, db)
}

fn report_cli(db: &Path, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["report", "--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = run(&all, "");
    assert!(o.status.success(), "report {args:?} failed: {}", stderr(&o));
    o.stdout
}

/// The CSV as tables: caption -> rows (header first).
fn csv_tables(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the BOM for Excel");
    let text = std::str::from_utf8(body).unwrap();
    let mut out = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(block.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        out.push((rows[0][0].clone(), rows[1..].to_vec()));
    }
    out
}

/// The report as XML: it must be well-formed (XHTML with a doctype).
fn parse(html: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the HTML is well-formed XML")
}

fn msg(key: &str, lang: Lang) -> String {
    knowledge().content.msg(key).unwrap().get(lang).to_string()
}

fn concern(id: &str) -> String {
    knowledge().content.concern(id).unwrap().label.nl.clone()
}

/// The HTML tables by id: rows of cell texts (header row first).
fn html_tables(doc: &roxmltree::Document) -> Vec<(String, Vec<Vec<String>>)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("table"))
        .map(|t| {
            let id = t
                .attribute("id")
                .unwrap()
                .trim_start_matches("table-")
                .to_string();
            let rows = t
                .descendants()
                .filter(|n| n.has_tag_name("tr"))
                .map(|tr| {
                    tr.children()
                        .filter(|c| c.is_element())
                        .map(|c| c.text().unwrap_or("").to_string())
                        .collect()
                })
                .collect();
            (id, rows)
        })
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label:?} in {rows:?}"))
}

fn cell(rows: &[Vec<String>], label: &str, col: &str) -> String {
    let c = rows[0]
        .iter()
        .position(|h| h == col)
        .unwrap_or_else(|| panic!("no column {col}"));
    row(rows, label)[c].clone()
}

#[test]
fn html_and_csv_hold_the_expected_counts_with_small_cells_suppressed() {
    let (_t, db) = seeded();
    let html = String::from_utf8(report_cli(&db, &[])).unwrap();
    let csv = report_cli(&db, &["--format", "csv"]);
    let doc = parse(&html);
    assert_eq!(doc.root_element().attribute("lang"), Some("nl"));
    let html_t = html_tables(&doc);
    let csv_t = csv_tables(&csv);
    let total = msg("report_total", Lang::Nl);
    let convs = msg("report_conversations", Lang::Nl);
    let (rec, ret, up) = (
        concern("recruitment"),
        concern("retention"),
        concern("upskilling"),
    );

    // Every table is in both, with the same cells.
    assert_eq!(html_t.len(), csv_t.len());
    for ((_, h), (_, c)) in html_t.iter().zip(&csv_t) {
        let norm = |rows: &Vec<Vec<String>>| -> Vec<Vec<String>> {
            rows.iter()
                .map(|r| r.iter().map(|s| s.replace(',', ".")).collect())
                .collect()
        };
        let strip = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
            rows.into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|s| s.trim_end_matches('%').trim_end_matches(" uur").to_string())
                        .collect()
                })
                .collect()
        };
        assert_eq!(strip(norm(h)), strip(norm(c)));
    }

    let by_month = &html_t
        .iter()
        .find(|(id, _)| id == "concerns_by_month")
        .unwrap()
        .1;
    assert_eq!(cell(by_month, "2025-01", &rec), "10");
    assert_eq!(cell(by_month, "2025-01", &convs), "10");
    assert_eq!(cell(by_month, "2025-02", &convs), "9");
    assert_eq!(cell(by_month, "2025-03", &ret), "7");
    assert_eq!(cell(by_month, "2025-02", &up), "<5", "3 conversations");
    assert_eq!(cell(by_month, "2025-01", &ret), "<5", "none");
    // Recruitment's column has one small cell (March) and a total: February's
    // 6 is hidden too, or March could be worked out. The same for retention.
    assert_eq!(cell(by_month, "2025-02", &rec), "x");
    assert_eq!(cell(by_month, "2025-02", &ret), "x");
    assert_eq!(cell(by_month, &total, &rec), "16");
    assert_eq!(cell(by_month, &total, &ret), "13");
    assert_eq!(cell(by_month, &total, &up), "<5");
    assert_eq!(cell(by_month, &total, &convs), "26");
    let csv_month = &csv_t[0].1;
    assert_eq!(csv_t[0].0, msg("report_concerns_month_title", Lang::Nl));
    assert_eq!(cell(csv_month, "2025-01", &rec), "10");
    assert_eq!(cell(csv_month, "2025-02", &rec), "x");
    assert_eq!(cell(csv_month, &total, &convs), "26");

    let share = &csv_t
        .iter()
        .find(|(c, _)| *c == msg("report_concerns_share_table", Lang::Nl))
        .unwrap()
        .1;
    assert_eq!(
        cell(share, "2025-01", &rec),
        "100,0",
        "decimal comma with ';'"
    );
    assert_eq!(cell(share, &total, &rec), "61,5", "16 of 26");

    let regions = &html_t
        .iter()
        .find(|(id, _)| id == "concerns_by_region")
        .unwrap()
        .1;
    let k = knowledge();
    let am01 = k.content.labour_market_region("AM01").unwrap().name.clone();
    let am02 = k.content.labour_market_region("AM02").unwrap().name.clone();
    let unknown = msg("report_region_unknown", Lang::Nl);
    assert_eq!(cell(regions, &am01, &convs), "16");
    assert_eq!(cell(regions, &am01, &rec), "16");
    assert_eq!(cell(regions, &am02, &convs), "<5");
    assert_eq!(cell(regions, &unknown, &convs), "7");
    assert_eq!(
        regions.len(),
        1 + k.content.labour_market_regions.len() + 1 + 1
    );

    let funnel = &html_t.iter().find(|(id, _)| id == "funnel").unwrap().1;
    let reached = msg("report_reached", Lang::Nl);
    let step = |id: &str| msg(&format!("report_step_{id}"), Lang::Nl);
    assert_eq!(cell(funnel, &step("consent"), &reached), "26");
    assert_eq!(cell(funnel, &step("sector"), &reached), "26");
    assert_eq!(cell(funnel, &step("size"), &reached), "23");
    assert_eq!(cell(funnel, &step("tried"), &reached), "16");
    assert_eq!(cell(funnel, &step("recommendations"), &reached), "16");
    assert_eq!(
        cell(funnel, &msg("report_step_finished", Lang::Nl), &reached),
        "16"
    );
    assert_eq!(
        cell(funnel, &step("sector"), &msg("report_stopped", Lang::Nl)),
        "<5"
    );
    assert_eq!(
        cell(funnel, &step("region"), &msg("report_open", Lang::Nl)),
        "7"
    );

    let weeks = &html_t
        .iter()
        .find(|(id, _)| id == "handoff_requests_by_week")
        .unwrap()
        .1;
    assert_eq!(weeks.len(), 3, "header, one week, total: {weeks:?}");
    assert_eq!(row(weeks, "2025-W06")[1], "6");
    let wait = &csv_t
        .iter()
        .find(|(c, _)| *c == msg("report_handoff_wait", Lang::Nl))
        .unwrap()
        .1;
    assert_eq!(
        row(wait, &msg("report_handoff_median", Lang::Nl))[1],
        "3,0",
        "hours"
    );
    assert_eq!(row(wait, &msg("report_handoff_p90", Lang::Nl))[1], "10,0");
    let outcomes = &html_t
        .iter()
        .find(|(id, _)| id == "handoff_outcomes")
        .unwrap()
        .1;
    assert_eq!(
        row(outcomes, &msg("report_outcome_resolved", Lang::Nl))[1],
        "6"
    );
    assert_eq!(
        row(outcomes, &msg("report_outcome_waiting", Lang::Nl))[1],
        "<5"
    );

    let routes = &html_t.iter().find(|(id, _)| id == "routes").unwrap().1;
    assert_eq!(routes.len(), 3, "two routes were shown: {routes:?}");
    assert_eq!(routes[1][1], "16");
    let contacts = &html_t.iter().find(|(id, _)| id == "contacts").unwrap().1;
    assert_eq!(contacts[1][1], "10");

    // No cell anywhere shows a count from 1 to 4.
    for (id, rows) in html_t.iter().chain(&csv_t) {
        for r in rows.iter().skip(1) {
            for c in &r[1..] {
                if let Ok(n) = c.parse::<u64>() {
                    assert!(n >= 5, "{id}: {n} in {r:?}");
                }
            }
        }
    }
}

#[test]
fn no_typed_text_ids_or_exact_dates_reach_the_report() {
    let (_t, db) = seeded();
    // And a few intakes typed through the service, with transcripts.
    {
        let store = Store::open(&db).unwrap();
        for u in 0..5 {
            seed_full(
                &store,
                &format!("4440000{u}"),
                day(u),
                &format!("{TYPED} typte dit"),
                "Utrecht",
            );
        }
    }
    let html = String::from_utf8(report_cli(&db, &[])).unwrap();
    let csv = String::from_utf8(report_cli(&db, &["--format", "csv", "--lang", "en"])).unwrap();
    for out in [&html, &csv] {
        for needle in [
            "Zeldzaamwoord",
            "Pietje",
            "Apeldoorn",
            "typte",
            "conv-0",
            "555000",
            "444000",
            "coach-7777",
            "2025-02-03",
            "10:00",
        ] {
            assert!(!out.contains(needle), "{needle} in the report");
        }
    }
    assert!(csv.contains("Concerns per month"), "English wording");
    assert!(
        html.contains("Wat ondernemers ons vertellen"),
        "Dutch by default"
    );
}

#[test]
fn every_chart_has_one_bar_or_cell_per_shown_value() {
    let (_t, db) = seeded();
    let html = String::from_utf8(report_cli(&db, &["--lang", "en"])).unwrap();
    let doc = parse(&html);
    let count = |svg: &str, class: &str| {
        let s = doc
            .descendants()
            .find(|n| n.has_tag_name("svg") && n.attribute("id") == Some(&format!("svg-{svg}")))
            .unwrap_or_else(|| panic!("no chart {svg}"));
        s.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
            .count()
    };
    let k = knowledge();
    // January recruitment and March retention; February's are hidden.
    assert_eq!(count("concerns_by_month", "bar"), 2);
    assert_eq!(
        count("concerns_by_month", "legend"),
        k.content.concerns.len()
    );
    assert_eq!(
        count("concerns_by_region", "cell"),
        (k.content.labour_market_regions.len() + 1) * k.content.concerns.len()
    );
    assert_eq!(
        count("conversations_by_region", "bar"),
        2,
        "AM01 and unknown"
    );
    let steps = report::funnel_steps(&k.content).len();
    assert_eq!(count("funnel", "bar"), steps + 1, "every step and the end");
    assert_eq!(count("handoff_weeks", "bar"), 1);
    assert_eq!(count("handoff_outcomes", "bar"), 1, "resolved only");
    assert_eq!(count("routes", "bar"), 2);
    assert_eq!(count("contacts", "bar"), 1);
    // No scripts, no external anything.
    for bad in [
        "<script", "http://", "https://", "src=", "@import", "url(http",
    ] {
        let found = html
            .match_indices(bad)
            .filter(|(i, _)| !html[..*i].ends_with("xmlns=\""))
            .count();
        assert_eq!(found, 0, "{bad} in the HTML");
    }
}

#[test]
fn filters_narrow_the_counts() {
    let (_t, db) = seeded();
    let csv = report_cli(
        &db,
        &[
            "--format",
            "csv",
            "--since",
            "2025-02-01",
            "--until",
            "2025-02-28",
            "--region",
            "AM01",
        ],
    );
    let t = csv_tables(&csv);
    let convs = msg("report_conversations", Lang::Nl);
    let total = msg("report_total", Lang::Nl);
    assert_eq!(cell(&t[0].1, &total, &convs), "6", "B only: {:?}", t[0].1);
    let o = run(
        &[
            "report",
            "--db",
            db.to_str().unwrap(),
            "--region",
            "atlantis",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("unknown region"));
}

#[test]
fn the_stats_png_has_its_size_and_is_not_blank() {
    let (_t, db) = seeded();
    let store = Store::open(&db).unwrap();
    let k = knowledge();
    let r = report::build(&store, &k.content, &Options::default()).unwrap();
    assert_eq!(r.key.conversations, Cell::Count(26));
    assert_eq!(r.key.median_wait, Cell::Hours(3.0));
    let text = r.key_text(&k.content);
    assert!(text.contains("26") && text.contains("3,0"), "{text}");
    let bytes = png::stats(&r).unwrap();
    let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (png::WIDTH, png::HEIGHT));
    let px = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let non_white = px
        .chunks(step)
        .filter(|p| p[..3] != [255, 255, 255])
        .count();
    let bar = px.chunks(step).filter(|p| p[..3] == [0, 114, 178]).count();
    let all = (info.width * info.height) as usize;
    assert!(
        non_white * 50 > all,
        "at least 2% drawn: {non_white} of {all}"
    );
    assert!(bar > 1000, "bars drawn: {bar} pixels");
}

#[test]
fn peer_introductions_are_a_section_once_anyone_took_part() {
    let k = knowledge();
    let mut t = report::Tally::default();
    let opts = Options::default();
    let r = report::Report::from_tally(&t, &k.content, &opts, Utc::now());
    assert!(
        r.sections.iter().all(|s| s.id != "peers"),
        "nobody took part"
    );
    t.peers = Some(PeerCounts {
        in_pool: 12,
        proposals: 9,
        open: 2,
        introduced: 7,
        ..PeerCounts::default()
    });
    let r = report::Report::from_tally(&t, &k.content, &opts, Utc::now());
    let table = r.tables().find(|t| t.id == "peers").expect("the section");
    let cells: Vec<Cell> = table.rows.iter().map(|(_, c)| c[0]).collect();
    assert_eq!(cells[0], Cell::Count(12), "in the pool");
    assert_eq!(cells[1], Cell::Count(9), "proposals");
    assert_eq!(cells[2], Cell::Small, "2 still open");
    assert_eq!(cells[3], Cell::Count(7), "introduced");
    assert!(cells[4..].iter().all(|c| *c == Cell::Small));
    let html = report::html::render(&r);
    let doc = parse(&html);
    let svg = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("svg-peers"))
        .unwrap();
    let bars = svg
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .count();
    assert_eq!(bars, 3, "pool, proposals, introduced");
}

#[test]
fn an_empty_database_gives_a_report_that_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    drop(Store::open(&db).unwrap());
    let html = String::from_utf8(report_cli(&db, &["--lang", "en"])).unwrap();
    parse(&html);
    assert!(html.contains(&msg("report_too_few", Lang::En)));
    let csv = report_cli(
        &db,
        &["--format", "csv", "--bom", "false", "--delimiter", ","],
    );
    assert!(!csv.starts_with(b"\xEF\xBB\xBF"), "no BOM when asked");
    assert!(
        String::from_utf8(csv).unwrap().contains("Totaal,"),
        "comma-separated"
    );
}

/// The note every synthetic follow-up answer with a note carries: never in a report.
const NOTE: &str = "Bijzonderwoord Jantje Beton Qwertyplaats";

/// [`synthetic`] and 43 conversations of April 2025 in AM03 that ended with
/// advice and agreed to a follow-up:
/// * 6 still waiting, 3 stopped, 1 undeliverable, 33 sent;
/// * of the sent, 8 unanswered and 25 answered: helped yes 8, a bit 6,
///   no 5, not yet 5, and 1 that only named a route;
/// * routes used: the first route 10, none of these 6, the first contact 3;
/// * 6 wrote a note; 5 (of the "no") were handed to a coach again.
pub fn with_follow_ups() -> (tempfile::TempDir, PathBuf) {
    use llo_intake::domain::conversation::HandoffReason;
    use llo_intake::domain::followup::{schedule, Helped, NO_ROUTE};
    let (tmp, db) = seeded();
    let store = Store::open(&db).unwrap();
    let k = knowledge();
    let route = k.content.routes[0].id.clone();
    let contact = k.content.contacts[0].id.clone();
    let mut n = 1000;
    let mut convs = Vec::new();
    for i in 0..43 {
        let start = at(2025, 4, 1) + Duration::hours(i);
        let mut c = conv(&mut n, start, &["recruitment"], Some("AM03"));
        c.history = FULL.iter().map(|s| s.to_string()).collect();
        c.status = Status::Ended;
        c.ended_at = Some(start + Duration::minutes(10));
        c.recommended = vec![route.clone()];
        c.contacts_shown = vec![contact.clone()];
        convs.push(c);
    }
    let later = at(2025, 5, 6);
    let mut follow = Vec::new();
    for (i, c) in convs.iter_mut().enumerate() {
        let f = schedule(c, 30, c.ended_at.unwrap()).unwrap();
        let shown = llo_intake::domain::followup::shown(c);
        let f = match i {
            0..=5 => f,
            6..=8 => f.cancel(later).unwrap(),
            9 => f.undeliverable(),
            10..=17 => f.sent(later).unwrap(),
            _ => {
                let j = i - 18; // 0..25 answered
                let mut f = f.sent(later).unwrap();
                let helped = match j {
                    0..=7 => Some(Helped::Yes),
                    8..=13 => Some(Helped::Somewhat),
                    14..=18 => Some(Helped::No),
                    19..=23 => Some(Helped::NotYet),
                    _ => None,
                };
                if let Some(h) = helped {
                    f = f.helped(h, later).unwrap();
                }
                let used = match j {
                    0..=8 => Some(route.as_str()),
                    9..=14 => Some(NO_ROUTE),
                    15..=17 => Some(contact.as_str()),
                    24 => Some(route.as_str()),
                    _ => None,
                };
                if let Some(r) = used {
                    f = f.route(r, &shown, later).unwrap();
                }
                if j % 4 == 1 {
                    f = f.note(&format!("{NOTE} {j}"), 1000, later).unwrap();
                }
                if (14..=18).contains(&j) {
                    f = f.coach(later).unwrap();
                    llo_intake::domain::handoff::request(c, later, HandoffReason::FollowUp);
                }
                f
            }
        };
        follow.push(f);
    }
    store.load_conversations(&convs).unwrap();
    for f in &follow {
        assert!(store.save_follow_up(f).unwrap());
    }
    (tmp, db)
}

#[test]
fn the_follow_up_section_counts_sent_answered_helped_and_reopened() {
    let (_t, db) = with_follow_ups();
    let html = String::from_utf8(report_cli(&db, &[])).unwrap();
    let csv = report_cli(&db, &["--format", "csv"]);
    let doc = parse(&html);
    let html_t = html_tables(&doc);
    let csv_t = csv_tables(&csv);
    let get = |tables: &[(String, Vec<Vec<String>>)], key: &str| -> Vec<Vec<String>> {
        tables
            .iter()
            .find(|(id, _)| id == key)
            .unwrap_or_else(|| panic!("no table {key}"))
            .1
            .clone()
    };
    let m = |k: &str| msg(&format!("report_followup_{k}"), Lang::Nl);
    let status = get(&html_t, "followup_status");
    let csv_status = get(&csv_t, &m("chart"));
    assert_eq!(status, csv_status, "the same table in the CSV");
    let want = [
        ("agreed", "43"),
        ("waiting", "6"),
        ("stopped", "<5"),
        ("undeliverable", "<5"),
        ("sent", "33"),
        ("answered", "25"),
        ("unanswered", "8"),
    ];
    for (k, v) in want {
        assert_eq!(row(&status, &m(k))[1], v, "{k}: {status:?}");
    }
    let helped = get(&html_t, "followup_helped");
    assert_eq!(helped, get(&csv_t, &m("helped_chart")));
    let want = [
        ("helped_yes", "8"),
        ("helped_somewhat", "6"),
        // One small cell (1 said nothing about it) in a line with a total:
        // the smallest shown one is hidden too.
        ("helped_no", "x"),
        ("helped_not_yet", "5"),
        ("helped_unsaid", "<5"),
    ];
    for (k, v) in want {
        assert_eq!(row(&helped, &m(k))[1], v, "{k}: {helped:?}");
    }
    assert_eq!(row(&helped, &msg("report_total", Lang::Nl))[1], "25");
    let k = knowledge();
    let used = get(&html_t, "followup_used");
    assert_eq!(used, get(&csv_t, &m("used_chart")));
    assert_eq!(used.len(), 4, "header and three: {used:?}");
    assert_eq!(row(&used, &k.content.routes[0].title.nl)[1], "10");
    assert_eq!(row(&used, &m("used_none"))[1], "6");
    assert_eq!(row(&used, k.content.contacts[0].name_in(Lang::Nl))[1], "<5");
    let more = get(&html_t, "followup_more");
    assert_eq!(row(&more, &m("reopened"))[1], "5");
    assert_eq!(row(&more, &m("notes"))[1], "6");
    assert!(
        html.contains("We stuurden 33 naberichten. Op 25 kwam antwoord."),
        "the reading"
    );
    // Bars: every shown value; the small and hidden ones are not drawn.
    let bars = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(&format!("svg-{id}")))
            .unwrap_or_else(|| panic!("no chart {id}"))
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("bar"))
            .count()
    };
    assert_eq!(bars("followup_status"), 5);
    assert_eq!(bars("followup_helped"), 3);
    assert_eq!(bars("followup_used"), 2);
    for out in [&html, &String::from_utf8_lossy(&csv).into_owned()] {
        for needle in ["Bijzonderwoord", "Jantje", "Qwertyplaats", "conv-1"] {
            assert!(!out.contains(needle), "{needle} in the report");
        }
    }

    // /stats says it in a line.
    let store = Store::open(&db).unwrap();
    let r = report::build(&store, &k.content, &Options::default()).unwrap();
    assert_eq!(r.key.followups, Some((Cell::Count(33), Cell::Count(25))));
    let text = r.key_text(&k.content);
    assert!(
        text.contains("Naberichten: 33 verstuurd, 25 beantwoord."),
        "{text}"
    );
    drop(store);

    // The filters apply: outside April 2025 there are none.
    let csv = report_cli(&db, &["--format", "csv", "--until", "2025-03-31"]);
    assert!(
        csv_tables(&csv).iter().all(|(c, _)| *c != m("chart")),
        "no follow-up section without follow-ups"
    );
}

#[test]
fn reading_in_parts_reopens_the_store_and_counts_the_same() {
    let (_t, db) = with_follow_ups();
    let filter = report::Filter::default();
    let whole = {
        let store = Store::open(&db).unwrap();
        report::tally(&store, &filter).unwrap()
    };
    assert_eq!(whole.conversations, 26 + 43);
    let opens = std::cell::Cell::new(0);
    let open = || {
        opens.set(opens.get() + 1);
        Store::open_with_cache(&db, None, report::CACHE_BYTES)
    };
    let parts = report::tally_in_parts(open, &filter, 10).unwrap();
    assert_eq!(parts, whole, "the same counts, follow-ups included");
    assert_eq!(opens.get(), 7, "69 conversations in parts of 10");
}

/// The report closes and reopens the store between parts; sled lets go of
/// its lock a moment after the last handle goes, so a reopening in the same
/// process waits for it instead of failing "in use" (CI saw that at random).
#[test]
fn a_store_reopened_while_its_last_handle_is_still_going_opens() {
    let (_t, db) = seeded();
    let store = Store::open(&db).unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(store);
    });
    let again = Store::open(&db);
    holder.join().unwrap();
    assert!(again.is_ok(), "reopened: {:?}", again.err());
}
