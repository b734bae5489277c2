//! Every regex in the content, compiled exactly as the bot runs it. `check`
//! and the runtime (classifier, matchers) both build from here, so content
//! that passes `check` is content the bot can run.
//!
//! How each kind of pattern is wrapped (all on folded text, see
//! [`fold`]):
//! * concern patterns: word lists (`<name>`) expanded, then `\b(?:…)`;
//!   each checked on its own (at most [`SIZE_LIMIT`]) and run, with the
//!   negation cues, as one [`Set`] built at load, with a [`Prefilter`]
//!   over the literals every match must start with, so a message runs only
//!   the few patterns (and cues) that can match it;
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
use regex::{Regex, RegexBuilder, RegexSetBuilder};
use regex_automata::meta;
use regex_automata::nfa::thompson;
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

mod bytewise;
pub use bytewise::{Alphabet, Folded, Hay, Lazy, Matcher, Member, Set, SET_CACHE_CAPACITY};

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
    build(&word_source(p), p)
}

fn word_source(p: &str) -> String {
    format!(r"\b(?:{})", fold(p))
}

/// A concern pattern: word lists expanded, then as [`word`].
pub fn concern(p: &str, words: &BTreeMap<String, String>) -> Result<Regex, String> {
    build(&concern_source(p, words)?, p)
}

fn concern_source(p: &str, words: &BTreeMap<String, String>) -> Result<String, String> {
    Ok(word_source(&expand_words(p, words)?))
}

/// `src` parsed as the regex crate parses it (Unicode, default flags).
fn parse(src: &str, written: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .nest_limit(250)
        .build()
        .parse(src)
        .map_err(|e| {
            let e = regex::Error::Syntax(e.to_string());
            format!("invalid regex {written:?}: {}", reason(&e))
        })
}

/// How a pattern over the bytes is built: only what `find` needs (no
/// capture groups, no one-pass or backtracking engines beside the lazy DFA
/// and its fallback).
fn bytes_config() -> meta::Config {
    meta::Config::new()
        .nfa_size_limit(Some(SIZE_LIMIT))
        .which_captures(thompson::WhichCaptures::Implicit)
        .onepass(false)
        .backtrack(false)
}

/// A pattern over the bytes, built.
fn bytes_regex(bytes: &Hir) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .configure(bytes_config())
        .build_from_hir(bytes)
        .map_err(|e| e.to_string())
}

/// A parsed pattern compiled for the classifier: over `alphabet` when it
/// `fits`, else as a Unicode regex of `src`. Over the bytes it is checked
/// now (its automata, forward and reverse, fit the size limit) and built
/// on first use ([`Lazy`]); a concern pattern or cue is then moved into
/// the [`Set`] (see `concern_patterns`).
fn matcher(
    alphabet: &Arc<Alphabet>,
    fits: bool,
    hir: &Hir,
    src: &str,
    written: &str,
) -> Result<(Matcher, Option<Hir>), String> {
    if fits {
        if let Ok(bytes) = alphabet.translate(hir) {
            // As the lazy DFA's two automata are built (a reverse one has
            // no capture groups).
            for (reverse, captures) in [
                (false, thompson::WhichCaptures::Implicit),
                (true, thompson::WhichCaptures::None),
            ] {
                thompson::Compiler::new()
                    .configure(
                        thompson::Config::new()
                            .nfa_size_limit(Some(SIZE_LIMIT))
                            .which_captures(captures)
                            .reverse(reverse),
                    )
                    .build_from_hir(&bytes)
                    .map_err(|e| format!("invalid regex {written:?}: {e}"))?;
            }
            return Ok((
                Matcher::Bytes(Lazy::new(src, alphabet.clone())),
                Some(bytes),
            ));
        }
    }
    Ok((Matcher::Text(build(src, written)?), None))
}

/// A pattern that must match the whole message: `^\W*(?:…)\W*$`.
pub fn whole_message(p: &str) -> Result<Regex, String> {
    build(&format!(r"^\W*(?:{})\W*$", fold(p)), p)
}

/// A pattern used as written (folded).
pub fn plain(p: &str) -> Result<Regex, String> {
    build(&fold(p), p)
}

/// A regex compiled on first use, from a source known to compile (see
/// where one is made). Start-up then builds none of the regexes a
/// conversation may never need; should a first compile fail all the same,
/// it matches nothing.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    src: String,
    re: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// A regex of `src`, compiled when first used. Only for sources that
    /// cannot fail to compile (escaped names, fixed patterns).
    pub fn new(src: impl Into<String>) -> LazyRegex {
        LazyRegex {
            src: src.into(),
            re: OnceLock::new(),
        }
    }

    /// The compiled regex (compiled now if it was not yet).
    pub fn get(&self) -> Option<&Regex> {
        self.re
            .get_or_init(|| {
                RegexBuilder::new(&self.src)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.get().is_some_and(|r| r.is_match(text))
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }
}

/// A list of names compiles on first use when its regex is at most this
/// long with at most [`LAZY_STEMS`] names ending in `*`: escaped names
/// cannot be a syntax error, and a regex that small stays far below
/// [`SIZE_LIMIT`] (a test compiles one at these bounds). A larger list is
/// compiled at once, so one too large for the limit is still refused at
/// load, naming its key.
pub const LAZY_NAMES_LEN: usize = 16 << 10;
/// See [`LAZY_NAMES_LEN`].
pub const LAZY_STEMS: usize = 64;

/// A regex that finds any of `names` as whole words. `*` at the end of a name
/// allows any ending ("installat*"). `None` when there are no names.
pub fn names(names: &[String]) -> Result<Option<LazyRegex>, String> {
    let mut folded: Vec<String> = names
        .iter()
        .map(|n| fold(n))
        .filter(|n| !n.is_empty())
        .collect();
    // Longest first, so the alternation prefers "bergen op zoom" over "bergen".
    folded.sort_by_key(|n| std::cmp::Reverse(n.len()));
    folded.dedup();
    let stems = folded.iter().filter(|n| n.ends_with('*')).count();
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
    let lazy = LazyRegex::new(src);
    if lazy.src.len() > LAZY_NAMES_LEN || stems > LAZY_STEMS {
        let re = Regex::new(&lazy.src)
            .map_err(|e| format!("these names do not compile: {}", reason(&e)))?;
        let _ = lazy.re.set(Some(re));
    }
    Ok(Some(lazy))
}

/// The whole-message patterns of every intent, as one set: each intent's
/// patterns are one alternative of `^\W*(?:…)\W*$`, so the set answers
/// for every intent at once.
#[derive(Debug, Clone)]
pub struct Intents {
    /// Intent ids, in content order.
    ids: Vec<String>,
    /// One `^\W*(?:…)\W*$` per intent with patterns that parse alone, all
    /// run together ([`Folded`]; a `RegexSet` of them was checked at load).
    set: Vec<Folded>,
    /// For each pattern of the set, its intent (index into `ids`).
    owner: Vec<usize>,
    /// Patterns that are not a regex on their own (they only parse inside
    /// the wrapper, such as `a)|(b`): compiled alone, as written.
    alone: Vec<(usize, Regex)>,
}

impl Intents {
    /// The first intent (in content order) among `allowed` whose patterns
    /// match the whole of `folded`.
    pub fn first(&self, folded: &str, allowed: &[&str]) -> Option<String> {
        let mut matched = vec![false; self.ids.len()];
        if let Some(first) = self.set.first() {
            let hay = first.hay(folded);
            for (i, re) in self.set.iter().enumerate() {
                if re.is_match_in(&hay) {
                    matched[self.owner[i]] = true;
                }
            }
        }
        for (i, re) in &self.alone {
            if !matched[*i] && re.is_match(folded) {
                matched[*i] = true;
            }
        }
        self.ids
            .iter()
            .zip(matched)
            .find(|(id, m)| *m && allowed.contains(&id.as_str()))
            .map(|(id, _)| id.clone())
    }
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
    pub re: Matcher,
}

/// One compiled negation cue.
#[derive(Debug, Clone)]
pub struct Cue {
    pub lang: Lang,
    pub index: usize,
    pub source: String,
    pub re: Matcher,
}

/// What the concern classifier runs. Every matcher reads a folded text in
/// [`alphabet`](Self::alphabet) (see [`Alphabet::hay`]).
#[derive(Debug, Clone)]
pub struct ConcernPatterns {
    /// Both languages, Dutch first; within a language, content order.
    pub patterns: Vec<ConcernPattern>,
    /// Which of [`patterns`](Self::patterns) can match a text.
    pub prefilter: Prefilter,
    pub cues: Vec<Cue>,
    /// Which of [`cues`](Self::cues) can match a text.
    pub cue_prefilter: Prefilter,
    pub split: Matcher,
    pub join: Option<Matcher>,
    pub alphabet: Arc<Alphabet>,
}

/// An option of a choice with the regex that finds its names in a sentence
/// (the source [`names`] gives; all options' run together as one
/// [`Folded`] set).
#[derive(Debug, Clone)]
pub struct Named {
    pub id: String,
    pub names: Option<Folded>,
}

/// What the answer and intent matchers run.
#[derive(Debug, Clone)]
pub struct AnswerPatterns {
    pub sectors: Vec<Named>,
    pub sizes: Vec<Named>,
    pub regions: Vec<Named>,
    /// Step id -> its inline options.
    pub inline: BTreeMap<String, Vec<Named>>,
    /// Every intent's whole-message patterns, both languages.
    pub intents: Intents,
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
            // Parsed, not compiled: a list runs only inside the concern
            // patterns that use it, and those are compiled.
            let r = expand_words(list, &c.words).and_then(|e| parse(&fold(&e), &e).map(|_| ()));
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

/// One classifier pattern before compiling: its source as the regex crate
/// would compile it, and that parsed.
struct Parsed {
    key: String,
    written: String,
    src: String,
    hir: Hir,
}

fn concern_patterns(k: &mut Compiler<'_>) -> Option<ConcernPatterns> {
    let c = k.c;
    let before = k.problems.len();
    let parsed = |k: &mut Compiler<'_>,
                  kind: &str,
                  id: &str,
                  key: String,
                  p: &str,
                  src: Result<String, String>| {
        let r = src.and_then(|src| {
            parse(&src, p).map(|hir| Parsed {
                key: key.clone(),
                written: p.to_string(),
                src,
                hir,
            })
        });
        k.take(kind, id, key, r)
    };
    // Concern patterns, then cues, then the split and join patterns.
    let mut all: Vec<(&str, String, Parsed)> = Vec::new();
    let mut meta: Vec<(usize, Lang, usize)> = Vec::new();
    for lang in Lang::ALL {
        for (ci, x) in c.concerns.iter().enumerate() {
            for (index, p) in x.patterns.get(lang).iter().enumerate() {
                let key = format!("concern.{}.patterns.{lang}[{index}]", x.id);
                let src = concern_source(p, &c.words);
                if let Some(q) = parsed(k, "concern", &x.id, key, p, src) {
                    all.push(("concern", x.id.clone(), q));
                    meta.push((ci, lang, index));
                }
            }
        }
    }
    let concerns = all.len();
    for lang in Lang::ALL {
        for (index, p) in c.negation.patterns.get(lang).iter().enumerate() {
            let key = format!("negation.patterns.{lang}[{index}]");
            if let Some(q) = parsed(k, "negation", "", key, p, Ok(word_source(p))) {
                all.push(("negation", String::new(), q));
                meta.push((0, lang, index));
            }
        }
    }
    let cues = all.len();
    let split = &c.negation.clause_split;
    let key = "negation.clause_split".to_string();
    if let Some(q) = parsed(k, "negation", "", key, split, Ok(fold(split))) {
        all.push(("negation", String::new(), q));
    }
    let join = c.negation.join.as_deref().filter(|j| !j.trim().is_empty());
    if let Some(j) = join {
        let src = word_source(&format!("^(?:{j})"));
        let key = "negation.join".to_string();
        let written = format!("^(?:{j})");
        if let Some(q) = parsed(k, "negation", "", key, &written, Ok(src)) {
            all.push(("negation", String::new(), q));
        }
    }
    if k.problems.len() > before {
        return None;
    }
    let hirs: Vec<&Hir> = all.iter().map(|(_, _, q)| &q.hir).collect();
    let (alphabet, fits) = Alphabet::new(&hirs);
    let alphabet = Arc::new(alphabet);
    let mut compiled = Vec::with_capacity(all.len());
    for ((kind, id, q), fits) in all.iter().zip(fits) {
        let r = matcher(&alphabet, fits, &q.hir, &q.src, &q.written);
        compiled.extend(k.take(kind, id, q.key.clone(), r));
    }
    if k.problems.len() > before {
        return None;
    }
    // The concern patterns and cues over the bytes run as one set, built
    // now; the split and join patterns stay on their own.
    let members: Vec<usize> = (0..cues).filter(|&i| compiled[i].1.is_some()).collect();
    let hirs: Vec<Hir> = members
        .iter()
        .filter_map(|&i| compiled[i].1.clone())
        .collect();
    let set = k.take("concern", "", "concern".into(), Set::new(&hirs, SIZE_LIMIT))?;
    for (at, (&i, hir)) in members.iter().zip(&hirs).enumerate() {
        compiled[i].0 = Matcher::Set(Set::member(&set, at, hir));
    }
    let mut compiled = compiled.into_iter();
    let mut bytes = Vec::with_capacity(concerns);
    let mut patterns = Vec::with_capacity(concerns);
    for (q, &(concern, lang, index)) in all[..concerns].iter().map(|(_, _, q)| q).zip(&meta) {
        let (re, hir) = compiled.next()?;
        bytes.push(hir);
        patterns.push(ConcernPattern {
            concern,
            lang,
            index,
            source: q.written.clone(),
            re,
        });
    }
    let mut cue_bytes = Vec::with_capacity(cues - concerns);
    let mut cue_list = Vec::with_capacity(cues - concerns);
    for (q, &(_, lang, index)) in all[concerns..cues]
        .iter()
        .map(|(_, _, q)| q)
        .zip(&meta[concerns..])
    {
        let (re, hir) = compiled.next()?;
        cue_bytes.push(hir);
        cue_list.push(Cue {
            lang,
            index,
            source: q.written.clone(),
            re,
        });
    }
    let split = compiled.next()?.0;
    let join = compiled.next().map(|(re, _)| re);
    let prefilter = k.take("concern", "", "concern".into(), Prefilter::new(&bytes))?;
    let cue_prefilter = k.take(
        "negation",
        "",
        "negation.patterns".into(),
        Prefilter::new(&cue_bytes),
    )?;
    Some(ConcernPatterns {
        patterns,
        prefilter,
        cues: cue_list,
        cue_prefilter,
        split,
        join,
        alphabet,
    })
}

fn answer_patterns(k: &mut Compiler<'_>) -> Option<AnswerPatterns> {
    let c = k.c;
    let before = k.problems.len();
    // Each option's names regex, checked on its own now; all of them are
    // compiled together at the end (`sources` in order of appearance).
    let mut sources: Vec<String> = Vec::new();
    let mut named = |k: &mut Compiler<'_>, kind: &str, id: &str, key: String, n: &[String]| {
        let src = k.take(kind, id, key, names(n)).flatten();
        let at = src.map(|re| {
            sources.push(re.as_str().to_string());
            sources.len() - 1
        });
        (id.to_string(), at)
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
            let (_, at) = named(k, "step", &step.id, key, &n);
            opts.push((o.id.clone(), at));
        }
        inline.insert(step.id.clone(), opts);
    }
    let compiled = k.take("", "", "names".into(), Folded::compile(&sources));
    let compiled = compiled.unwrap_or_default();
    let finish = |list: Vec<(String, Option<usize>)>| -> Vec<Named> {
        list.into_iter()
            .map(|(id, at)| Named {
                id,
                names: at.and_then(|i| compiled.get(i).cloned()),
            })
            .collect()
    };
    let sectors = finish(sectors);
    let sizes = finish(sizes);
    let regions = finish(regions);
    let inline = inline
        .into_iter()
        .map(|(step, opts)| (step, finish(opts)))
        .collect();
    let intents = intent_set(k);
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
        intents: intents?,
        mentions,
        number: number?,
        postcode: postcode?,
    })
}

/// Every intent's patterns as one [`Intents`] set. Each pattern is checked
/// on its own first (a problem names its key); the set allows what the
/// patterns compiled one by one were allowed together.
fn intent_set(k: &mut Compiler<'_>) -> Option<Intents> {
    let c = k.c;
    let before = k.problems.len();
    let (mut ids, mut sources, mut owner, mut alone) = (vec![], vec![], vec![], vec![]);
    let mut count = 0;
    for i in &c.intents {
        let at = ids.len();
        ids.push(i.id.clone());
        let mut alts = Vec::new();
        for l in Lang::ALL {
            for (index, p) in i.patterns.get(l).iter().enumerate() {
                let key = format!("intent.{}.patterns.{l}[{index}]", i.id);
                let folded = fold(p);
                let whole = format!(r"^\W*(?:{folded})\W*$");
                if k.take("intent", &i.id, key.clone(), parse(&whole, p))
                    .is_none()
                {
                    continue;
                }
                count += 1;
                if parse(&folded, p).is_ok() {
                    alts.push(format!("(?:{folded})"));
                } else if let Some(re) = k.take("intent", &i.id, key, whole_message(p)) {
                    alone.push((at, re));
                }
            }
        }
        if !alts.is_empty() {
            sources.push(format!(r"^\W*(?:{})\W*$", alts.join("|")));
            owner.push(at);
        }
    }
    if k.problems.len() > before {
        return None;
    }
    let set = RegexSetBuilder::new(&sources)
        .size_limit(SIZE_LIMIT.saturating_mul(count.max(1)))
        .build()
        .map_err(|e| {
            format!(
                "the intents' patterns do not compile together: {}",
                reason(&e)
            )
        });
    k.take("intent", "", "intent".into(), set)?;
    // Checked as the `RegexSet` it was; run as one lazy DFA over the bytes.
    let limit = SIZE_LIMIT.saturating_mul(count.max(1));
    let set = Folded::compile_within(&sources, limit)
        .map_err(|e| format!("the intents' patterns do not compile together: {e}"));
    let set = k.take("intent", "", "intent".into(), set)?;
    Some(Intents {
        ids,
        set,
        owner,
        alone,
    })
}

/// Chooses the patterns that can match a text, by literals every match of a
/// pattern must contain (extracted from the pattern over the byte alphabet
/// with regex-syntax: the leading literals of the pattern, or of any part
/// every match must go through, whichever are longest). One Aho-Corasick
/// pass over the text finds them all; a pattern without such a finite set
/// of literals is always a candidate. Exact: a pattern that matches is
/// always among the candidates, so running only those gives what running
/// every pattern gives.
#[derive(Debug, Clone)]
pub struct Prefilter {
    literals: AhoCorasick,
    /// For each literal: the patterns that need it.
    needs: Vec<Vec<u32>>,
    /// Patterns without literals: always candidates.
    always: Vec<u32>,
    patterns: usize,
}

type Lits = Vec<Vec<u8>>;

fn extractor() -> Extractor {
    let mut e = Extractor::new();
    e.kind(ExtractKind::Prefix)
        .limit_class(16)
        .limit_repeat(4)
        .limit_literal_len(8)
        .limit_total(2000);
    e
}

/// A finite set of non-empty literals, if `seq` is one.
fn usable(seq: Seq) -> Option<Lits> {
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The more selective of two literal sets: longest shortest literal, then
/// fewest literals.
fn better(a: Option<Lits>, b: Option<Lits>) -> Option<Lits> {
    let score = |l: &Lits| {
        (
            l.iter().map(Vec::len).min().unwrap_or(0),
            std::cmp::Reverse(l.len()),
        )
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Literals one of which every match of `h` contains.
fn required(h: &Hir, ex: &Extractor) -> Option<Lits> {
    let mut best = usable(ex.extract(h));
    match h.kind() {
        HirKind::Capture(c) => best = better(best, required(&c.sub, ex)),
        HirKind::Repetition(r) if r.min >= 1 => best = better(best, required(&r.sub, ex)),
        HirKind::Concat(v) => {
            for i in 0..v.len() {
                if i > 0 {
                    best = better(best, tail(v, i, ex));
                }
                best = better(best, required(&v[i], ex));
            }
        }
        HirKind::Alternation(v) => {
            let all: Option<Vec<Lits>> = v.iter().map(|b| required(b, ex)).collect();
            best = better(best, all.map(|x| x.concat()));
        }
        _ => {}
    }
    best
}

/// The literals of `v[i..]` as one concat, as the extractor gives them,
/// without cloning the whole tail for every `i`: the extractor reads a
/// concat's parts in order and stops at the first point where all its
/// literals are inexact, so a few parts give the same answer as all.
fn tail(v: &[Hir], i: usize, ex: &Extractor) -> Option<Lits> {
    let mut parts = 4;
    loop {
        let j = (i + parts).min(v.len());
        let seq = ex.extract(&Hir::concat(v[i..j].to_vec()));
        if j == v.len() || (j - i >= 2 && seq.is_inexact()) {
            return usable(seq);
        }
        parts *= 2;
    }
}

impl Prefilter {
    /// The prefilter over patterns over the byte alphabet (pattern `i` is
    /// `hirs[i]`; `None`, a pattern run as Unicode, is always a candidate).
    pub fn new(hirs: &[Option<Hir>]) -> Result<Prefilter, String> {
        let ex = extractor();
        let mut index: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut needs: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        for (i, hir) in hirs.iter().enumerate() {
            let i = i as u32;
            let Some(found) = hir.as_ref().and_then(|h| required(h, &ex)) else {
                always.push(i);
                continue;
            };
            for l in found {
                let id = *index.entry(l.clone()).or_insert_with(|| {
                    lits.push(l);
                    needs.push(Vec::new());
                    lits.len() - 1
                });
                if needs[id].last() != Some(&i) {
                    needs[id].push(i);
                }
            }
        }
        let literals = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&lits)
            .map_err(|e| format!("the patterns' prefilter does not build: {e}"))?;
        Ok(Prefilter {
            literals,
            needs,
            always,
            patterns: hirs.len(),
        })
    }

    /// The patterns that can match `text` (bytes in the classifier's
    /// alphabet), ascending.
    pub fn candidates(&self, text: &[u8]) -> Vec<usize> {
        let mut seen = vec![false; self.patterns];
        for &i in &self.always {
            seen[i as usize] = true;
        }
        for m in self.literals.find_overlapping_iter(text) {
            for &i in &self.needs[m.pattern().as_usize()] {
                seen[i as usize] = true;
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

#[cfg(test)]
mod tests {
    use super::{names, LAZY_NAMES_LEN, LAZY_STEMS};

    /// A list of names at the bounds under which it is compiled only on
    /// first use (so not checked at load) still compiles within the limit.
    #[test]
    fn names_at_the_lazy_bounds_compile() {
        let mut list: Vec<String> = (0..LAZY_STEMS).map(|i| format!("日本{i}*")).collect();
        let mut i = 0;
        loop {
            let more = format!("plaats日本語{i}");
            let mut longer = list.clone();
            longer.push(more);
            let src = names(&longer).unwrap().unwrap();
            if src.as_str().len() > LAZY_NAMES_LEN {
                break;
            }
            list = longer;
            i += 1;
        }
        let lazy = names(&list).unwrap().unwrap();
        assert!(lazy.as_str().len() <= LAZY_NAMES_LEN && i > 100, "{i}");
        assert!(
            lazy.get().is_some(),
            "does not compile within the size limit"
        );
    }
}

#[cfg(test)]
mod answer_tests {
    use crate::content::text::fold;
    use regex::Regex;

    /// Every shipped option's names, run in the set, find what their
    /// Unicode regexes find (`find_iter` spans, `is_match`), on tricky
    /// texts and on each option's own names in sentences.
    #[test]
    fn option_names_in_the_set_find_what_the_regexes_find() {
        let loaded = crate::content::load(&crate::content::default_sources(), &[]).unwrap();
        let a = &loaded.patterns.answers;
        let c = &loaded.content;
        let mut names: Vec<&super::Named> = a.sectors.iter().chain(&a.sizes).collect();
        names.extend(&a.regions);
        names.extend(a.inline.values().flatten());
        let mut texts: Vec<String> = [
            "bergen op zoom",
            "bergen",
            "'s-hertogenbosch en den bosch",
            "installatietechniek, installateur*",
            "bouw😀 en techniek🏗️",
            "naïeve zorg, café horeca",
            "straße\u{7}\u{1b}[31mretail\u{202e}",
            "日本語 ict 中文",
            "ΑΒΓ 12 man ١٢",
            "1-9 mensen, 10-49",
            "ja",
            "nee, nooit",
            "",
            "_bouw_ bouw1 bouw-",
        ]
        .iter()
        .map(|s| fold(s))
        .collect();
        let words: Vec<String> = c
            .sectors
            .iter()
            .flat_map(|s| s.aliases.iter().chain([&s.label.nl, &s.label.en]))
            .chain(
                c.provinces
                    .iter()
                    .flat_map(|p| p.cities.iter().chain(&p.aliases)),
            )
            .chain(
                c.steps
                    .iter()
                    .flat_map(|s| s.options.iter())
                    .flat_map(|o| o.aliases.iter().chain([&o.label.nl, &o.label.en])),
            )
            .map(|w| fold(w))
            .collect();
        for (i, w) in words.iter().enumerate() {
            let stem = w.trim_end_matches('*');
            let next = &words[(i + 5) % words.len()];
            texts.push(stem.to_string());
            texts.push(format!("wij doen {stem}en, {next}."));
            texts.push(format!("({stem})😀{next}"));
            texts.push(format!("{stem}{next}"));
        }
        let mut checked = 0;
        for n in &names {
            let Some(f) = &n.names else { continue };
            assert!(f.in_set(), "{}", n.id);
            let re = Regex::new(f.as_str()).unwrap();
            for t in &texts {
                let want: Vec<(usize, usize)> =
                    re.find_iter(t).map(|m| (m.start(), m.end())).collect();
                assert_eq!(f.find_iter(t), want, "{} on {t:?}", n.id);
                assert_eq!(f.is_match(t), re.is_match(t), "{} on {t:?}", n.id);
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    /// The intents' patterns, run together over the bytes, match where the
    /// `RegexSet` of their sources matches.
    #[test]
    fn intents_in_the_set_match_what_the_regex_set_matches() {
        let loaded = crate::content::load(&crate::content::default_sources(), &[]).unwrap();
        let i = &loaded.patterns.answers.intents;
        let old = regex::RegexSet::new(i.set.iter().map(|f| f.as_str())).unwrap();
        let mut texts: Vec<String> = [
            "",
            " ",
            "?",
            "??!",
            "😀",
            "👍",
            "👍👍",
            "ja 👍",
            "nee 👎",
            "ja!!",
            "ja, klopt",
            "jaaaa",
            "oké",
            "okee",
            "ok?",
            "é",
            "straße",
            "日本語",
            "stop\u{7}",
            "\u{1b}[31mstop",
            "stop\u{202e}",
            "_stop_",
            "stop1",
            "(stop)",
            "«stop»",
            "ik wil met een mens praten",
            "kan ik een coach spreken?",
            "i'd rather talk to a human",
            "humans",
            "menselijk spreken",
            "naïef",
            "ΑΒΓ nee",
            "١٢",
        ]
        .iter()
        .map(|s| fold(s))
        .collect();
        for x in &loaded.content.intents {
            for l in crate::content::text::Lang::ALL {
                for p in x.patterns.get(l) {
                    let w: String = fold(p)
                        .chars()
                        .filter(|c| !"()?|*+\\[]".contains(*c))
                        .collect();
                    texts.push(w.clone());
                    texts.push(format!("{w}!"));
                    texts.push(format!("😀 {w} 😀"));
                    texts.push(format!("...{w}..."));
                    texts.push(format!("{w}, ja"));
                    texts.push(format!("{w}{w}"));
                }
            }
        }
        let mut hits = 0;
        for t in &texts {
            let want = old.matches(t);
            let hay = i.set[0].hay(t);
            for (k, f) in i.set.iter().enumerate() {
                assert!(f.in_set(), "{}", f.as_str());
                assert_eq!(
                    f.is_match_in(&hay),
                    want.matched(k),
                    "{} on {t:?}",
                    f.as_str()
                );
                hits += usize::from(want.matched(k));
            }
        }
        assert!(hits > 100, "{hits}");
    }
}
