//! Concern detection: one compiled `RegexSet` per language, multi-label, with
//! clause-level negation ("personeel vinden lukt wel, houden niet").
//!
//! Patterns are folded (see [`crate::text::fold`]) and get a leading word
//! boundary, so they match word starts and are case- and accent-insensitive.

use crate::content::Content;
use crate::text::{fold, Lang};
use regex::{Regex, RegexSet};
use serde::Serialize;

/// Compiled patterns for one language.
#[derive(Debug, Clone)]
struct LangSet {
    set: RegexSet,
    regexes: Vec<Regex>,
    /// For each pattern: (concern index, pattern index within the concern).
    owners: Vec<(usize, usize)>,
    negations: Vec<Regex>,
}

/// The concern classifier built from content.
#[derive(Debug, Clone)]
pub struct Classifier {
    ids: Vec<String>,
    nl: LangSet,
    en: LangSet,
    split: Regex,
}

/// One pattern hit, for `classify --explain`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hit {
    pub concern: String,
    pub lang: Lang,
    /// The pattern as written in the content file.
    pub pattern: String,
    /// Byte span in the folded text.
    pub span: (usize, usize),
    pub matched: String,
    /// The negation cue that cancelled this hit, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negated_by: Option<String>,
}

/// The full reasoning behind a classification.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub folded: String,
    pub clauses: Vec<String>,
    pub hits: Vec<Hit>,
    pub concerns: Vec<String>,
}

/// Why a classifier could not be built (content that bypassed `check`).
#[derive(Debug, thiserror::Error)]
#[error("pattern {pattern:?} does not compile: {source}")]
pub struct PatternError {
    pub pattern: String,
    #[source]
    pub source: regex::Error,
}

/// Compiles a content regex: folded, with a leading word boundary.
pub fn compile_word_pattern(p: &str) -> Result<Regex, PatternError> {
    let src = format!(r"\b(?:{})", fold(p));
    Regex::new(&src).map_err(|source| PatternError {
        pattern: p.to_string(),
        source,
    })
}

fn compile_plain(p: &str) -> Result<Regex, PatternError> {
    Regex::new(&fold(p)).map_err(|source| PatternError {
        pattern: p.to_string(),
        source,
    })
}

impl Classifier {
    pub fn new(content: &Content) -> Result<Classifier, PatternError> {
        let build = |lang: Lang| -> Result<LangSet, PatternError> {
            let mut regexes = Vec::new();
            let mut owners = Vec::new();
            let mut sources = Vec::new();
            for (ci, c) in content.concerns.iter().enumerate() {
                for (pi, p) in c.patterns.get(lang).iter().enumerate() {
                    let re = compile_word_pattern(p)?;
                    sources.push(re.as_str().to_string());
                    regexes.push(re);
                    owners.push((ci, pi));
                }
            }
            let set = RegexSet::new(&sources).map_err(|source| PatternError {
                pattern: "<set>".into(),
                source,
            })?;
            let negations = content
                .negation
                .patterns
                .get(lang)
                .iter()
                .map(|p| compile_word_pattern(p))
                .collect::<Result<_, _>>()?;
            Ok(LangSet {
                set,
                regexes,
                owners,
                negations,
            })
        };
        Ok(Classifier {
            ids: content.concerns.iter().map(|c| c.id.clone()).collect(),
            nl: build(Lang::Nl)?,
            en: build(Lang::En)?,
            split: compile_plain(&content.negation.clause_split)?,
        })
    }

    fn set(&self, lang: Lang) -> &LangSet {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }

    /// Concern ids found in `text`, in content order. Tries `lang` first and
    /// the other language only when the first finds nothing at all.
    pub fn classify(&self, content: &Content, text: &str, lang: Lang) -> Vec<String> {
        self.explain(content, text, lang).concerns
    }

    /// Like [`classify`](Self::classify), with every hit and negation shown.
    pub fn explain(&self, content: &Content, text: &str, lang: Lang) -> Explanation {
        let folded = fold(text);
        let mut clauses = Vec::new();
        let mut start = 0;
        for m in self.split.find_iter(&folded) {
            if m.start() > start {
                clauses.push((start, m.start()));
            }
            start = m.end();
        }
        if start < folded.len() {
            clauses.push((start, folded.len()));
        }
        let mut hits = self.hits(content, &folded, &clauses, lang);
        if hits.is_empty() {
            hits = self.hits(content, &folded, &clauses, lang.other());
        }
        let mut found = vec![false; self.ids.len()];
        for h in &hits {
            if h.negated_by.is_none() {
                if let Some(i) = self.ids.iter().position(|id| id == &h.concern) {
                    found[i] = true;
                }
            }
        }
        Explanation {
            clauses: clauses
                .iter()
                .map(|&(a, b)| folded[a..b].trim().to_string())
                .collect(),
            concerns: self
                .ids
                .iter()
                .zip(found)
                .filter(|(_, f)| *f)
                .map(|(id, _)| id.clone())
                .collect(),
            hits,
            folded,
        }
    }

    fn hits(
        &self,
        content: &Content,
        folded: &str,
        clauses: &[(usize, usize)],
        lang: Lang,
    ) -> Vec<Hit> {
        let ls = self.set(lang);
        let mut hits = Vec::new();
        for &(a, b) in clauses {
            let clause = &folded[a..b];
            let matched = ls.set.matches(clause);
            if !matched.matched_any() {
                continue;
            }
            let negated_by = ls
                .negations
                .iter()
                .chain(self.set(lang.other()).negations.iter())
                .find_map(|re| re.find(clause).map(|m| m.as_str().to_string()));
            for i in matched.iter() {
                let (ci, pi) = ls.owners[i];
                if let Some(m) = ls.regexes[i].find(clause) {
                    let concern = &content.concerns[ci];
                    hits.push(Hit {
                        concern: concern.id.clone(),
                        lang,
                        pattern: concern.patterns.get(lang)[pi].clone(),
                        span: (a + m.start(), a + m.end()),
                        matched: m.as_str().to_string(),
                        negated_by: negated_by.clone(),
                    });
                }
            }
        }
        hits
    }
}
