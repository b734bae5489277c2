//! Every regex in the content, compiled exactly as the bot runs it. `check`
//! and the runtime (classifier, matchers) both build from here, so content
//! that passes `check` is content the bot can run.
//!
//! How each kind of pattern is wrapped (all on folded text, see
//! [`fold`]):
//! * concern patterns: word lists (`<name>`) expanded, then `\b(?:…)`;
//!   each compiled on its own (at most [`SIZE_LIMIT`]), with a [`Prefilter`]
//!   over the literals every match must start with, so a message runs only
//!   the few patterns that can match it;
//! * negation cues and route mentions: `\b(?:…)`;
//! * `negation.join`: `\b(?:^(?:…))`; `negation.clause_split`: as written;
//! * intents: the whole message, `^\W*(?:…)\W*$`;
//! * names of options (sectors, sizes, provinces, inline options): escaped,
//!   longest first, as whole words (`*` at the end allows any ending).
//!
//! Every error is a [`Problem`] naming the file and the key.

use crate::content::text::{fold, Lang, Text};
use crate::content::{Content, Problem};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::collections::BTreeMap;

/// Compiled-size budget for one pattern (the regex crate's default).
pub const SIZE_LIMIT: usize = 10 << 20;

/// Replaces every `<name>` whose name is a key of `words` by `(?:list)`.
/// Names are lower-case letters, digits and `_`; `(?P<x>` groups are left
/// alone. An unknown name is an error, so a typo cannot silently match nothing.
/// Word lists may use other word lists, up to a few levels deep.
pub fn expand_words(pattern: &str, words: &BTreeMap<String, String>) -> Result<String, String> {
    expand_at(pattern, words, 0)
}

fn expand_at(
    pattern: &str,
    words: &BTreeMap<String, String>,
    depth: usize,
) -> Result<String, String> {
    if depth > 4 {
        return Err("word lists nest too deep (does one use itself?)".into());
    }
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        let named_group = before.ends_with("(?P") || before.ends_with("(?");
        let close = from[1..]
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .map(|i| i + 1);
        match close {
            Some(end) if !named_group && end > 1 && from[end..].starts_with('>') => {
                let name = &from[1..end];
                let list = words
                    .get(name)
                    .ok_or_else(|| format!("unknown word list <{name}> (see [words])"))?;
                out.push_str("(?:");
                out.push_str(&expand_at(list, words, depth + 1)?);
                out.push(')');
                rest = &from[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The regex crate's reason, without the echo of the pattern.
fn reason(e: &regex::Error) -> String {
    e.to_string()
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string()
}

fn build(src: &str, written: &str) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex {written:?}: {}", reason(&e)))
}

/// A pattern that matches at word starts: folded, `\b(?:…)`.
pub fn word(p: &str) -> Result<Regex, String> {
    build(&format!(r"\b(?:{})", fold(p)), p)
}

/// A concern pattern: word lists expanded, then as [`word`].
pub fn concern(p: &str, words: &BTreeMap<String, String>) -> Result<Regex, String> {
    let expanded = expand_words(p, words)?;
    build(&format!(r"\b(?:{})", fold(&expanded)), p)
}

/// A pattern that must match the whole message: `^\W*(?:…)\W*$`.
pub fn whole_message(p: &str) -> Result<Regex, String> {
    build(&format!(r"^\W*(?:{})\W*$", fold(p)), p)
}

/// A pattern used as written (folded).
pub fn plain(p: &str) -> Result<Regex, String> {
    build(&fold(p), p)
}

/// A regex that finds any of `names` as whole words. `*` at the end of a name
/// allows any ending ("installat*"). `None` when there are no names.
pub fn names(names: &[String]) -> Result<Option<Regex>, String> {
    let mut folded: Vec<String> = names
        .iter()
        .map(|n| fold(n))
        .filter(|n| !n.is_empty())
        .collect();
    // Longest first, so the alternation prefers "bergen op zoom" over "bergen".
    folded.sort_by_key(|n| std::cmp::Reverse(n.len()));
    folded.dedup();
    let alts: Vec<String> = folded
        .into_iter()
        .map(|n| match n.strip_suffix('*') {
            Some(stem) => format!(r"{}\w*", regex::escape(stem)),
            None => regex::escape(&n),
        })
        .collect();
    if alts.is_empty() {
        return Ok(None);
    }
    let src = format!(r"(?:^|\W)(?:{})(?:\W|$)", alts.join("|"));
    Regex::new(&src)
        .map(Some)
        .map_err(|e| format!("these names do not compile: {}", reason(&e)))
}

/// One compiled concern pattern.
#[derive(Debug, Clone)]
pub struct ConcernPattern {
    /// Index into [`Content::concerns`].
    pub concern: usize,
    pub lang: Lang,
    /// Index within the concern's list for this language (for editors).
    pub index: usize,
    /// As written in the content file.
    pub source: String,
    pub re: Regex,
}

/// One compiled negation cue.
#[derive(Debug, Clone)]
pub struct Cue {
    pub lang: Lang,
    pub index: usize,
    pub source: String,
    pub re: Regex,
}

/// What the concern classifier runs.
#[derive(Debug, Clone)]
pub struct ConcernPatterns {
    /// Both languages, Dutch first; within a language, content order.
    pub patterns: Vec<ConcernPattern>,
    /// Which of [`patterns`](Self::patterns) can match a text.
    pub prefilter: Prefilter,
    pub cues: Vec<Cue>,
    pub split: Regex,
    pub join: Option<Regex>,
}

/// An option of a choice with the regex that finds its names in a sentence.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: String,
    pub names: Option<Regex>,
}

/// What the answer and intent matchers run.
#[derive(Debug, Clone)]
pub struct AnswerPatterns {
    pub sectors: Vec<Named>,
    pub sizes: Vec<Named>,
    pub regions: Vec<Named>,
    /// Step id -> its inline options.
    pub inline: BTreeMap<String, Vec<Named>>,
    /// Intent id -> its whole-message patterns, both languages.
    pub intents: Vec<(String, Vec<Regex>)>,
    /// Route id -> its mentions (routes without mentions are left out).
    pub mentions: Vec<(String, Vec<Regex>)>,
    /// A number of people ("12 man").
    pub number: Regex,
    /// A Dutch postcode; group 1 is its two-digit prefix.
    pub postcode: Regex,
}

/// Every pattern of the content, compiled.
#[derive(Debug, Clone)]
pub struct Patterns {
    pub concerns: ConcernPatterns,
    pub answers: AnswerPatterns,
}

/// Collects problems while compiling; each names the file and key.
struct Compiler<'a> {
    c: &'a Content,
    problems: Vec<Problem>,
}

impl Compiler<'_> {
    fn take<T>(&mut self, kind: &str, id: &str, key: String, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(msg) => {
                self.problems
                    .push(Problem::error(self.c.origin(kind, id), key, msg));
                None
            }
        }
    }
}

fn labels(t: &Text) -> Vec<String> {
    vec![t.nl.clone(), t.en.clone()]
}

impl Patterns {
    /// Compiles every pattern of `c`. Every pattern that does not compile is
    /// reported, each naming its file and key.
    pub fn compile(c: &Content) -> Result<Patterns, Vec<Problem>> {
        let mut k = Compiler {
            c,
            problems: Vec::new(),
        };
        let concerns = concern_patterns(&mut k);
        let answers = answer_patterns(&mut k);
        for (name, list) in &c.words {
            let r = expand_words(list, &c.words).and_then(|e| plain(&e).map(|_| ()));
            k.take("words", name, format!("words.{name}"), r);
        }
        match (concerns, answers) {
            (Some(concerns), Some(answers)) if k.problems.is_empty() => {
                Ok(Patterns { concerns, answers })
            }
            _ => Err(k.problems),
        }
    }
}

fn concern_patterns(k: &mut Compiler<'_>) -> Option<ConcernPatterns> {
    let c = k.c;
    let before = k.problems.len();
    let mut patterns = Vec::new();
    for lang in Lang::ALL {
        for (ci, x) in c.concerns.iter().enumerate() {
            for (index, p) in x.patterns.get(lang).iter().enumerate() {
                let key = format!("concern.{}.patterns.{lang}[{index}]", x.id);
                if let Some(re) = k.take("concern", &x.id, key, concern(p, &c.words)) {
                    patterns.push(ConcernPattern {
                        concern: ci,
                        lang,
                        index,
                        source: p.clone(),
                        re,
                    });
                }
            }
        }
    }
    let mut cues = Vec::new();
    for lang in Lang::ALL {
        for (index, p) in c.negation.patterns.get(lang).iter().enumerate() {
            let key = format!("negation.patterns.{lang}[{index}]");
            if let Some(re) = k.take("negation", "", key, word(p)) {
                cues.push(Cue {
                    lang,
                    index,
                    source: p.clone(),
                    re,
                });
            }
        }
    }
    let split = k.take(
        "negation",
        "",
        "negation.clause_split".into(),
        plain(&c.negation.clause_split),
    );
    let join = match c.negation.join.as_deref() {
        Some(j) if !j.trim().is_empty() => {
            let re = word(&format!("^(?:{j})"));
            k.take("negation", "", "negation.join".into(), re).map(Some)
        }
        _ => Some(None),
    };
    if k.problems.len() > before {
        return None;
    }
    let res: Vec<&Regex> = patterns.iter().map(|p| &p.re).collect();
    let prefilter = k.take("concern", "", "concern".into(), Prefilter::new(&res))?;
    Some(ConcernPatterns {
        patterns,
        prefilter,
        cues,
        split: split?,
        join: join?,
    })
}

fn answer_patterns(k: &mut Compiler<'_>) -> Option<AnswerPatterns> {
    let c = k.c;
    let before = k.problems.len();
    let named = |k: &mut Compiler<'_>, kind: &str, id: &str, key: String, n: &[String]| Named {
        id: id.to_string(),
        names: k.take(kind, id, key, names(n)).flatten(),
    };
    let mut sectors = Vec::new();
    for s in &c.sectors {
        let mut n = labels(&s.label);
        n.push(s.id.clone());
        n.extend(s.aliases.iter().cloned());
        sectors.push(named(k, "sector", &s.id, format!("sector.{}", s.id), &n));
    }
    let mut sizes = Vec::new();
    for s in &c.sizes {
        let mut n = labels(&s.label);
        n.extend(s.aliases.iter().cloned());
        sizes.push(named(k, "size", &s.id, format!("size.{}", s.id), &n));
    }
    let mut regions = Vec::new();
    for p in &c.provinces {
        let mut n = vec![p.id.clone(), p.name.clone(), p.capital.clone()];
        n.extend(p.aliases.iter().cloned());
        n.extend(p.cities.iter().cloned());
        regions.push(named(
            k,
            "province",
            &p.id,
            format!("province.{}", p.id),
            &n,
        ));
    }
    let mut inline = BTreeMap::new();
    for step in &c.steps {
        if step.options.is_empty() {
            continue;
        }
        let mut opts = Vec::new();
        for o in &step.options {
            let mut n = labels(&o.label);
            n.push(o.id.clone());
            n.extend(o.aliases.iter().cloned());
            let key = format!("step.{}.options.{}", step.id, o.id);
            let mut opt = named(k, "step", &step.id, key, &n);
            opt.id = o.id.clone();
            opts.push(opt);
        }
        inline.insert(step.id.clone(), opts);
    }
    let mut intents = Vec::new();
    for i in &c.intents {
        let mut res = Vec::new();
        for l in Lang::ALL {
            for (index, p) in i.patterns.get(l).iter().enumerate() {
                let key = format!("intent.{}.patterns.{l}[{index}]", i.id);
                res.extend(k.take("intent", &i.id, key, whole_message(p)));
            }
        }
        intents.push((i.id.clone(), res));
    }
    let mut mentions = Vec::new();
    for r in &c.routes {
        let mut res = Vec::new();
        for (index, p) in r.mentions.iter().enumerate() {
            let key = format!("route.{}.mentions[{index}]", r.id);
            res.extend(k.take("route", &r.id, key, word(p)));
        }
        if !res.is_empty() {
            mentions.push((r.id.clone(), res));
        }
    }
    let number = k.take("", "", "number".into(), plain(r"\b(\d{1,6})\b"));
    let postcode = k.take(
        "",
        "",
        "postcode".into(),
        plain(r"\b([1-9]\d)\d{2} ?(?:[a-z]{2})?\b"),
    );
    if k.problems.len() > before {
        return None;
    }
    Some(AnswerPatterns {
        sectors,
        sizes,
        regions,
        inline,
        intents,
        mentions,
        number: number?,
        postcode: postcode?,
    })
}

/// Chooses the patterns that can match a text, by the literals each match of
/// a pattern must start with (extracted from the compiled pattern with
/// regex-syntax). One Aho-Corasick pass over the text finds them all; a
/// pattern without such a finite set of literals (one starting with `\w+`,
/// say) is always a candidate. Exact: a pattern that matches is always
/// among the candidates, so running only those gives what running every
/// pattern gives.
#[derive(Debug, Clone)]
pub struct Prefilter {
    literals: AhoCorasick,
    /// For each literal: the patterns it starts.
    starts: Vec<Vec<usize>>,
    /// Patterns without literals: always candidates.
    always: Vec<usize>,
    patterns: usize,
}

impl Prefilter {
    /// The prefilter over `res` (pattern `i` is `res[i]`).
    pub fn new(res: &[&Regex]) -> Result<Prefilter, String> {
        let mut extractor = Extractor::new();
        extractor
            .kind(ExtractKind::Prefix)
            .limit_class(16)
            .limit_repeat(4)
            .limit_literal_len(8)
            .limit_total(2000);
        let mut index: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut starts: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, re) in res.iter().enumerate() {
            let hir = regex_syntax::Parser::new()
                .parse(re.as_str())
                .map_err(|e| format!("cannot read pattern {}: {e}", re.as_str()))?;
            let seq = extractor.extract(&hir);
            let usable = seq
                .literals()
                .filter(|l| !l.is_empty() && l.iter().all(|x| !x.as_bytes().is_empty()));
            let Some(found) = usable else {
                always.push(i);
                continue;
            };
            for l in found {
                let id = *index.entry(l.as_bytes().to_vec()).or_insert_with(|| {
                    lits.push(l.as_bytes().to_vec());
                    starts.push(Vec::new());
                    lits.len() - 1
                });
                if starts[id].last() != Some(&i) {
                    starts[id].push(i);
                }
            }
        }
        let literals = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&lits)
            .map_err(|e| format!("the concern patterns' prefilter does not build: {e}"))?;
        Ok(Prefilter {
            literals,
            starts,
            always,
            patterns: res.len(),
        })
    }

    /// The patterns that can match `text`, ascending.
    pub fn candidates(&self, text: &str) -> Vec<usize> {
        let mut seen = vec![false; self.patterns];
        for &i in &self.always {
            seen[i] = true;
        }
        for m in self.literals.find_overlapping_iter(text) {
            for &i in &self.starts[m.pattern().as_usize()] {
                seen[i] = true;
            }
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| i)
            .collect()
    }

    /// How many patterns are always candidates (for the bench).
    pub fn unfiltered(&self) -> usize {
        self.always.len()
    }
}
