//! Golden conversations: `tests/conversations/*.toml` play a whole intake
//! through the service (engine + sled store) and check, turn by turn, the
//! pending step, the concerns, the profile and the recommended routes.
//!
//! File format:
//! ```toml
//! description = "what this conversation shows"
//! lang = "nl"               # optional, default nl
//! [[turn]]
//! say = "ja"                # what the user types
//! step = "concerns"         # the question the bot then waits on ("none" when it waits on nothing)
//! status = "active"         # optional: active, handoff, ended, stopped, declined
//! concerns = ["retention"]  # optional: the confirmed/detected concerns after this turn
//! sector = "bouw"           # optional: sector/size/region after this turn
//! municipality = "GM0200"   # optional: CBS code; labour_market_region = "AM06" likewise
//! routes = ["slim"]         # optional: route ids that must be among those recommended in this turn
//! says = ["STAP"]           # optional: fragments that must appear in the bot's outputs this turn
//! ```

use chrono::{TimeZone, Utc};
use llo_intake::app::service::Intake;
use llo_intake::app::store::Store;
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::Status;
use llo_intake::domain::engine::Input;
use llo_intake::domain::knowledge::Knowledge;
use llo_intake::domain::output::Output;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    description: String,
    #[serde(default)]
    lang: Option<Lang>,
    turn: Vec<Turn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    say: String,
    step: String,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    concerns: Option<Vec<String>>,
    #[serde(default)]
    sector: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    municipality: Option<String>,
    #[serde(default)]
    labour_market_region: Option<String>,
    #[serde(default)]
    routes: Vec<String>,
    #[serde(default)]
    says: Vec<String>,
}

fn run(path: &PathBuf, k: &Arc<Knowledge>) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let golden: Golden = toml::from_str(&src).map_err(|e| format!("bad golden file: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(dir.path()).map_err(|e| e.to_string())?;
    let intake = Intake::new(k.clone(), store, golden.lang.unwrap_or(Lang::Nl));
    let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
    intake
        .resume_or_start("golden", golden.lang, t0)
        .map_err(|e| e.to_string())?;
    for (i, t) in golden.turn.iter().enumerate() {
        let now = t0 + chrono::Duration::seconds(30 * (i as i64 + 1));
        let reply = intake
            .handle("golden", Input::Text(t.say.clone()), now)
            .map_err(|e| e.to_string())?;
        let ctx = format!("turn {} ({:?})", i + 1, t.say);
        let all_text: String = reply
            .outputs
            .iter()
            .map(|o| o.text().to_string() + "\n")
            .collect();
        let pending = reply
            .outputs
            .iter()
            .rev()
            .find_map(|o| match o {
                Output::Question(q) => Some(q.step.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "none".into());
        if pending != t.step {
            return Err(format!(
                "{ctx}: expected step {:?}, bot waits on {pending:?}; it said:\n{all_text}",
                t.step
            ));
        }
        let conv = &reply.conversation;
        if let Some(s) = t.status {
            if conv.status != s {
                return Err(format!(
                    "{ctx}: expected status {s:?}, got {:?}",
                    conv.status
                ));
            }
        }
        if let Some(c) = &t.concerns {
            if &conv.answers.concerns != c {
                return Err(format!(
                    "{ctx}: expected concerns {c:?}, got {:?}",
                    conv.answers.concerns
                ));
            }
        }
        for (want, got, what) in [
            (&t.sector, &conv.answers.sector, "sector"),
            (&t.size, &conv.answers.size, "size"),
            (&t.region, &conv.answers.region, "region"),
            (&t.municipality, &conv.answers.municipality, "municipality"),
            (
                &t.labour_market_region,
                &conv.answers.labour_market_region,
                "labour_market_region",
            ),
        ] {
            if want.is_some() && want != got {
                return Err(format!("{ctx}: expected {what} {want:?}, got {got:?}"));
            }
        }
        if !t.routes.is_empty() {
            let shown: Vec<String> = reply
                .outputs
                .iter()
                .find_map(|o| match o {
                    Output::Recommendations(r) => {
                        Some(r.routes.iter().map(|r| r.id.clone()).collect())
                    }
                    _ => None,
                })
                .ok_or_else(|| format!("{ctx}: expected recommendations, got none"))?;
            for r in &t.routes {
                if !shown.contains(r) {
                    return Err(format!("{ctx}: expected route {r:?} among {shown:?}"));
                }
            }
        }
        for s in &t.says {
            if !all_text.contains(s.as_str()) {
                return Err(format!(
                    "{ctx}: expected the bot to say {s:?}; it said:\n{all_text}"
                ));
            }
        }
    }
    let _ = golden.description;
    Ok(())
}

#[test]
fn golden_conversations() {
    let k = Arc::new(Knowledge::load_default().expect("shipped content loads"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conversations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conversations exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "at least 8 golden conversations, found {}",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| run(f, &k).err().map(|e| format!("{}: {e}", f.display())))
        .collect();
    assert!(
        failures.is_empty(),
        "golden conversations failed:\n\n{}",
        failures.join("\n\n")
    );
}
