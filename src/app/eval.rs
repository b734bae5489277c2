//! Scoring the classifier on a labelled JSONL file: per-concern precision,
//! recall and F1, and the macro-F1 over all concerns.

use crate::content::text::Lang;
use crate::domain::knowledge::Knowledge;
use serde::{Deserialize, Serialize};

/// One labelled utterance. `also` lists labels that are acceptable but not required.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Labelled {
    pub text: String,
    #[serde(default)]
    pub concerns: Vec<String>,
    #[serde(default)]
    pub also: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConcernScore {
    pub concern: String,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The whole report, with the items that went wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub items: usize,
    pub per_concern: Vec<ConcernScore>,
    pub macro_f1: f64,
    /// (text, expected, got) for every item not fully right.
    pub errors: Vec<(String, Vec<String>, Vec<String>)>,
}

/// Parses JSONL; a bad line names its number.
pub fn parse(src: &str) -> Result<Vec<Labelled>, String> {
    src.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores the classifier. Language: Dutch first, English as its fallback.
pub fn evaluate(k: &Knowledge, items: &[Labelled]) -> Report {
    let ids: Vec<String> = k.content.concerns.iter().map(|c| c.id.clone()).collect();
    let mut counts = vec![(0usize, 0usize, 0usize); ids.len()];
    let mut errors = Vec::new();
    for item in items {
        let got = k.classify(&item.text, Lang::Nl);
        let mut wrong = false;
        for (i, id) in ids.iter().enumerate() {
            let want = item.concerns.contains(id);
            let ok_extra = item.also.contains(id);
            let has = got.contains(id);
            match (want, has) {
                (true, true) => counts[i].0 += 1,
                (false, true) if !ok_extra => {
                    counts[i].1 += 1;
                    wrong = true;
                }
                (true, false) => {
                    counts[i].2 += 1;
                    wrong = true;
                }
                _ => {}
            }
        }
        if wrong {
            errors.push((item.text.clone(), item.concerns.clone(), got));
        }
    }
    let per_concern: Vec<ConcernScore> = ids
        .iter()
        .zip(counts)
        .map(|(id, (tp, fp, fn_))| {
            let precision = ratio(tp, tp + fp);
            let recall = ratio(tp, tp + fn_);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ConcernScore {
                concern: id.clone(),
                tp,
                fp,
                fn_,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let macro_f1 = per_concern.iter().map(|c| c.f1).sum::<f64>() / per_concern.len().max(1) as f64;
    Report {
        items: items.len(),
        per_concern,
        macro_f1,
        errors,
    }
}
