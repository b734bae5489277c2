//! Consent: the question says what is kept, for how long and how to delete
//! it; declining (or stopping at the question) keeps nothing about the person.

use crate::privacy_support;

use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::Input;
use privacy_support::*;
use std::path::Path;

/// Every trail a person could leave in the store's trees and key files.
fn assert_nothing_kept(db: &Path, user: &str) {
    assert_eq!(files_containing(db, user), Vec::<std::path::PathBuf>::new());
    let keys = llo_intake::app::crypto::key_files(&db.join("keys")).unwrap();
    assert!(keys.is_empty(), "no data key left: {keys:?}");
    let store = Store::open(db).unwrap();
    for tree in ["conversations", "active", "by_user", "transcript"] {
        let t = store.raw_records(tree).unwrap();
        assert!(t.is_empty(), "tree {tree} holds {} record(s)", t.len());
    }
    assert!(store.conversations().unwrap().is_empty());
    assert!(store.user_conversations(user).unwrap().is_empty());
    assert!(store.active_conversation(user).unwrap().is_none());
}

#[test]
fn declining_consent_stores_nothing_about_the_person() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let user = marker("7");
    let o = run(
        &[
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            &user,
        ],
        "nee\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Ik heb niets van je bewaard"), "{out}");
    assert_nothing_kept(&db, &user);
}

#[test]
fn stopping_at_the_consent_question_stores_nothing_either() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let user = marker("6");
    let o = run(
        &[
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            &user,
        ],
        "stop\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_nothing_kept(&db, &user);
}

#[test]
fn declining_later_keeps_an_earlier_consented_conversation() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let first = seed_full(
        &store,
        "55",
        day(0),
        "Ik kan geen personeel vinden",
        "Utrecht",
    );
    let intake = Intake::new(knowledge(), store.clone(), Lang::Nl);
    intake.start("55", None, day(1)).unwrap();
    intake
        .handle("55", Input::Text("nee".into()), day(1))
        .unwrap();
    assert_eq!(
        store.user_conversations("55").unwrap(),
        std::slice::from_ref(&first)
    );
    assert!(store.conversation(&first).unwrap().is_some(), "key kept");
}

#[test]
fn the_consent_question_states_retention_from_config_and_how_to_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let ask = |intake: &Intake, user: &str, lang| {
        let r = intake.start(user, Some(lang), day(0)).unwrap();
        r.outputs.last().unwrap().text().to_string()
    };
    let default = Intake::new(knowledge(), store.clone(), Lang::Nl);
    let nl = ask(&default, "a", Lang::Nl);
    assert!(nl.contains("180 dagen"), "{nl}");
    assert!(nl.contains("/mijn-gegevens"));
    assert!(nl.contains("Zeg je nee, dan bewaar ik niets"));
    assert!(!nl.contains('{'), "no unfilled placeholder: {nl}");
    let short = Intake::new(knowledge(), store.clone(), Lang::Nl).with_retention_days(30);
    assert!(ask(&short, "b", Lang::Nl).contains("30 dagen"));
    let en = ask(&short, "c", Lang::En);
    assert!(
        en.contains("30 days") && en.contains("/mijn-gegevens"),
        "{en}"
    );
    // The stored transcript holds the filled text too.
    let id = store.user_conversations("b").unwrap()[0].clone();
    assert!(store.transcript(&id).unwrap()[0].text.contains("30 dagen"));

    // Stopping later says how long what was told is kept.
    short.handle("b", Input::Text("ja".into()), day(0)).unwrap();
    let r = short
        .handle("b", Input::Text("stop".into()), day(0))
        .unwrap();
    let said = r.outputs.last().unwrap().text();
    assert!(
        said.contains("30 dagen") && said.contains("/mijn-gegevens"),
        "{said}"
    );
}
