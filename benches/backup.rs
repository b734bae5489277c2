//! Backup and restore of a database with many finished conversations, as a
//! plain bench binary: `cargo bench --bench backup [-- N]` (default 1000).
//!
//! Prints: the time to take a backup of the open store (the time turns
//! wait: the copy holds the store's exclusive lock), its size on disk next to
//! the database's, and the time to restore it (copy, open with the key,
//! count).

use chrono::Utc;
use llo_intake::app::backup;
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
use std::sync::Arc;
use std::time::Instant;

const SCRIPT: &[&str] = &[
    "ja",
    "mn mensen lopen weg en ik kan geen nieuw personeel vinden, de werkdruk is hoog",
    "ja",
    "installatiebedrijf",
    "12 man",
    "we zitten in Nijmegen",
    "vacatures geplaatst",
    "nee",
];

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let k = Arc::new(Knowledge::load_default().expect("content"));
    let tmp = std::env::temp_dir().join(format!("llo-bench-backup-{}", std::process::id()));
    let db = tmp.join("db");
    let store = Store::open(&db).expect("store");
    let intake = Intake::new(k, store.clone(), Lang::Nl);
    let now = Utc::now();
    let seeded = Instant::now();
    for i in 0..n {
        let user = format!("bench-{i}");
        intake.resume_or_start(&user, None, now).expect("start");
        for a in SCRIPT {
            intake
                .handle(&user, Input::Text((*a).into()), now)
                .expect("turn");
        }
    }
    println!(
        "{n} conversations of {} answers stored in {:.1?}",
        SCRIPT.len(),
        seeded.elapsed()
    );
    let t0 = Instant::now();
    let taken = backup::take(&store, &tmp.join("backups"), now).expect("backup");
    let took = t0.elapsed();
    store.flush().expect("flush");
    println!(
        "{:<40} {took:>10.1?}  ({} records, {} data keys)",
        "backup of the open store", taken.copied.records, taken.copied.keys
    );
    println!(
        "{:<40} {:>10} bytes (the database: {} bytes)",
        "backup size on disk",
        taken.bytes,
        backup::dir_size(&db)
    );
    let key = backup::KeySource::File {
        path: db.join("master.key"),
        copy_to_db: false,
    };
    let t0 = Instant::now();
    let r = backup::restore(&taken.path, &tmp.join("restored"), &key, now).expect("restore");
    println!(
        "{:<40} {:>10.1?}  ({} conversations)",
        "restore (copy, key check, count)",
        t0.elapsed(),
        r.conversations
    );
    drop(intake);
    drop(store);
    let _ = std::fs::remove_dir_all(&tmp);
}
