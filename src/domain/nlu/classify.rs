//! Concern detection over the patterns of both languages, multi-label, with
//! clause-level negation ("personeel vinden lukt wel, houden niet"). A
//! literal prefilter ([`crate::content::patterns::Prefilter`]) picks the few
//! patterns that can match a clause; only those run.
//!
//! How a message is read:
//! 1. It is folded (see [`crate::content::text::fold`]) and split into clauses by
//!    `negation.clause_split`; a clause that starts with `negation.join`
//!    ("daar ...", "van ...") is joined back to the one before it.
//! 2. In each clause every concern pattern is tried. Patterns get a leading
//!    word boundary, so they match word starts, and `<name>` stands for a
//!    word list from `[words]`.
//! 3. A negation cue in a clause ("is geen probleem", "lukt wel") cancels
//!    every hit in that clause; a concern's `cancels` list cancels hits of
//!    those concerns in the same clause.
//!
//! Both languages' patterns are always tried: people mix Dutch and English,
//! and the patterns of one language rarely fire on the other.

use crate::content::patterns::{
    Alphabet, ConcernPattern as Pattern, ConcernPatterns, Cue, Hay, Matcher, Prefilter,
};
use crate::content::text::{bounded, fold, Lang};
use crate::content::Content;
use serde::Serialize;

/// The concern classifier built from content.
#[derive(Debug, Clone)]
pub struct Classifier {
    ids: Vec<String>,
    /// For each concern: the concerns it cancels within a clause.
    cancels: Vec<Vec<usize>>,
    prefilter: Prefilter,
    patterns: Vec<Pattern>,
    cues: Vec<Cue>,
    /// Which cues can match a clause.
    cue_prefilter: Prefilter,
    split: Matcher,
    join: Option<Matcher>,
    /// What every matcher reads: the folded text, a byte per character.
    alphabet: std::sync::Arc<Alphabet>,
}

/// Why a hit does not count.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Cancel {
    /// A negation cue from `[negation]` in the same clause.
    Negation {
        /// The words of the message that carry the cue.
        cue: String,
        /// The cue pattern as written in the content file.
        pattern: String,
        lang: Lang,
        index: usize,
    },
    /// A hit of a concern whose `cancels` lists this one, in the same clause.
    Concern {
        concern: String,
        /// The words of the message that matched that concern.
        matched: String,
        pattern: String,
    },
}

/// One pattern hit, for `classify --explain`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hit {
    pub concern: String,
    pub lang: Lang,
    /// The pattern as written in the content file.
    pub pattern: String,
    /// Its position in `patterns.<lang>` of the concern (0-based).
    pub index: usize,
    /// The clause it was found in (index into [`Explanation::clauses`]).
    pub clause: usize,
    /// Byte span in the folded text.
    pub span: (usize, usize),
    pub matched: String,
    /// Why this hit does not count, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancel>,
}

/// The full reasoning behind a classification.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub folded: String,
    pub clauses: Vec<String>,
    pub hits: Vec<Hit>,
    pub concerns: Vec<String>,
}

impl Classifier {
    /// The classifier over compiled patterns (see
    /// [`crate::content::patterns::Patterns::compile`]).
    pub fn new(content: &Content, compiled: ConcernPatterns) -> Classifier {
        let ids: Vec<String> = content.concerns.iter().map(|c| c.id.clone()).collect();
        let cancels = content
            .concerns
            .iter()
            .map(|c| {
                c.cancels
                    .iter()
                    .filter_map(|id| ids.iter().position(|x| x == id))
                    .collect()
            })
            .collect();
        Classifier {
            ids,
            cancels,
            prefilter: compiled.prefilter,
            patterns: compiled.patterns,
            cues: compiled.cues,
            cue_prefilter: compiled.cue_prefilter,
            split: compiled.split,
            join: compiled.join,
            alphabet: compiled.alphabet,
        }
    }

    /// Concern ids found in `text`, in content order. `lang` (the user's
    /// language) only orders the explanation; both languages are tried.
    pub fn classify(&self, content: &Content, text: &str, lang: Lang) -> Vec<String> {
        self.explain(content, text, lang).concerns
    }

    /// The clauses of a folded text, as ranges of its bytes, trimmed.
    fn clauses(&self, hay: &Hay<'_>) -> Vec<(usize, usize)> {
        let bytes = hay.bytes();
        let mut raw = Vec::new();
        let mut start = 0;
        for (a, b) in self.split.find_all(hay, 0, bytes.len()) {
            raw.push((start, a));
            start = b;
        }
        raw.push((start, bytes.len()));
        let mut clauses: Vec<(usize, usize)> = Vec::new();
        for (mut a, mut b) in raw {
            // Folded text has no white space but the plain space.
            while a < b && bytes[a] == b' ' {
                a += 1;
            }
            while a < b && bytes[b - 1] == b' ' {
                b -= 1;
            }
            if a >= b {
                continue;
            }
            let continues = self.join.as_ref().is_some_and(|j| j.is_match(hay, a, b));
            match clauses.last_mut() {
                Some(prev) if continues => prev.1 = b,
                _ => clauses.push((a, b)),
            }
        }
        clauses
    }

    /// Like [`classify`](Self::classify), with every hit and cancellation shown.
    /// Only the first [`MAX_TEXT_CHARS`](crate::content::text::MAX_TEXT_CHARS)
    /// characters are read.
    pub fn explain(&self, content: &Content, text: &str, lang: Lang) -> Explanation {
        let folded = fold(bounded(text));
        let hay = self.alphabet.hay(&folded);
        let clauses = self.clauses(&hay);
        let mut hits = Vec::new();
        for (ci, &(a, b)) in clauses.iter().enumerate() {
            hits.extend(self.clause_hits(content, &hay, ci, a, b, lang));
        }
        let mut found = vec![false; self.ids.len()];
        for h in hits.iter().filter(|h| h.cancelled.is_none()) {
            if let Some(i) = self.ids.iter().position(|id| id == &h.concern) {
                found[i] = true;
            }
        }
        let clauses = clauses
            .iter()
            .map(|&(a, b)| folded[hay.to_text(a)..hay.to_text(b)].to_string())
            .collect();
        drop(hay);
        Explanation {
            clauses,
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

    fn clause_hits(
        &self,
        content: &Content,
        hay: &Hay<'_>,
        clause_index: usize,
        a: usize,
        b: usize,
        lang: Lang,
    ) -> Vec<Hit> {
        // Only the patterns whose literals occur here can match.
        let mut found: Vec<(usize, (usize, usize))> = self
            .prefilter
            .candidates(&hay.bytes()[a..b])
            .into_iter()
            .filter_map(|i| self.patterns[i].re.find(hay, a, b).map(|m| (i, m)))
            .collect();
        if found.is_empty() {
            return Vec::new();
        }
        let text = |(s, e): (usize, usize)| &hay.text[hay.to_text(s)..hay.to_text(e)];
        // The user's language first, so its cue is the one shown; only the
        // cues whose literals occur here can match.
        let maybe = self.cue_prefilter.candidates(&hay.bytes()[a..b]);
        let cues = || maybe.iter().map(|&i| &self.cues[i]);
        let negation = cues()
            .filter(|c| c.lang == lang)
            .chain(cues().filter(|c| c.lang != lang))
            .find_map(|c| {
                c.re.find(hay, a, b).map(|m| Cancel::Negation {
                    cue: text(m).to_string(),
                    pattern: c.source.clone(),
                    lang: c.lang,
                    index: c.index,
                })
            });
        // The user's language first; within it, content order.
        found.sort_by_key(|&(i, _)| (self.patterns[i].lang != lang, i));
        let mut hits: Vec<(usize, Hit)> = Vec::new();
        for (i, m) in found {
            let p = &self.patterns[i];
            hits.push((
                p.concern,
                Hit {
                    concern: content.concerns[p.concern].id.clone(),
                    lang: p.lang,
                    pattern: p.source.clone(),
                    index: p.index,
                    clause: clause_index,
                    span: (hay.to_text(m.0), hay.to_text(m.1)),
                    matched: text(m).to_string(),
                    cancelled: negation.clone(),
                },
            ));
        }
        // A concern that overrides another in this clause cancels its hits.
        let overriding: Vec<(usize, String, String)> = hits
            .iter()
            .filter(|(_, h)| h.cancelled.is_none())
            .map(|(c, h)| (*c, h.matched.clone(), h.pattern.clone()))
            .collect();
        for (c, h) in hits.iter_mut() {
            if h.cancelled.is_some() {
                continue;
            }
            if let Some((by, m, p)) = overriding
                .iter()
                .find(|(by, _, _)| self.cancels[*by].contains(c))
            {
                h.cancelled = Some(Cancel::Concern {
                    concern: self.ids[*by].clone(),
                    matched: m.clone(),
                    pattern: p.clone(),
                });
            }
        }
        hits.into_iter().map(|(_, h)| h).collect()
    }
}

impl Explanation {
    /// The explanation as plain text for a content editor: per clause, what
    /// matched, with which pattern, and what cancelled it.
    pub fn render(&self, content: &Content, lang: Lang) -> String {
        let mut out = String::new();
        out.push_str(&format!("text (folded): \"{}\"\n", self.folded));
        let label = |id: &str| {
            content
                .concern(id)
                .map(|c| format!("{id} ({})", c.label.get(lang)))
                .unwrap_or_else(|| id.to_string())
        };
        for (ci, clause) in self.clauses.iter().enumerate() {
            out.push_str(&format!("\nclause {}: \"{clause}\"\n", ci + 1));
            let hits: Vec<&Hit> = self.hits.iter().filter(|h| h.clause == ci).collect();
            if hits.is_empty() {
                out.push_str("  no concern pattern matches here\n");
            }
            for h in hits {
                out.push_str(&format!(
                    "  {}: \"{}\" matched by pattern '{}' (concern.{}.patterns.{}[{}])\n",
                    label(&h.concern),
                    h.matched,
                    h.pattern,
                    h.concern,
                    h.lang,
                    h.index
                ));
                match &h.cancelled {
                    None => {}
                    Some(Cancel::Negation {
                        cue,
                        pattern,
                        lang,
                        index,
                    }) => out.push_str(&format!(
                        "    cancelled: negation cue \"{cue}\" (pattern '{pattern}', negation.patterns.{lang}[{index}])\n"
                    )),
                    Some(Cancel::Concern {
                        concern,
                        matched,
                        pattern,
                    }) => out.push_str(&format!(
                        "    cancelled: {concern} overrides it in this clause (\"{matched}\", pattern '{pattern}'; see concern.{concern}.cancels)\n"
                    )),
                }
            }
        }
        let found: Vec<String> = self.concerns.iter().map(|c| label(c)).collect();
        let missing: Vec<&str> = content
            .concerns
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| !self.concerns.iter().any(|c| c == id))
            .collect();
        out.push_str(&format!(
            "\nresult: {}\n",
            if found.is_empty() {
                "no concern".to_string()
            } else {
                found.join(", ")
            }
        ));
        if !missing.is_empty() {
            out.push_str(&format!("not found: {}\n", missing.join(", ")));
        }
        out
    }
}
