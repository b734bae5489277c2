//! Concern patterns run over a one-byte-per-character alphabet, so they
//! compile small and every search stays in the lazy DFA.
//!
//! Unicode `\w` and `\b` are what made the patterns large (the `\w` class
//! alone is hundreds of UTF-8 ranges) and slow (a Unicode `\b` makes the DFA
//! give up at the first non-ASCII byte). But folded text is nearly all ASCII,
//! and a pattern can only tell characters apart by the classes and literals
//! it is written with. So each character of a folded text becomes one byte:
//! * printable ASCII other than `A`-`Z` (which folded text never has), and
//!   the newline, stay themselves;
//! * a character a pattern names itself (`€` in a literal, or one a class
//!   takes without taking all of its kind) gets a byte of its own;
//! * every other character becomes the byte of its kind: a word character,
//!   a decimal digit, white space, or anything else (emoji, punctuation).
//!
//! The patterns are rewritten to match those bytes: a class takes the byte
//! of a kind when it takes every character of that kind, and `\b` becomes
//! the ASCII word boundary (word kinds get letters `A`-`Z`, the others
//! control bytes). A pattern therefore matches the bytes exactly where the
//! original matches the text, with spans that map back one to one. A pattern
//! that cannot be rewritten this way (a class such as `\p{Greek}` that splits
//! a kind into more parts than there are spare bytes) runs as a Unicode
//! regex on the text instead.

use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::{hybrid, meta, Anchored, Input, PatternID};
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Literal, Look, Repetition,
};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{Arc, OnceLock};

/// Kinds of the characters that are not kept as themselves.
const WORD: usize = 0;
const DIGIT: usize = 1;
const SPACE: usize = 2;
const OTHER: usize = 3;

/// Byte of each kind: word kinds are ASCII word bytes (letters), the others
/// are not, so the ASCII `\b` sees what the Unicode one saw.
const KIND_CODES: [u8; 4] = [b'A', b'B', 0x0B, 0x01];

/// At most this many characters a single class takes out of a kind become
/// characters of their own; more and the pattern runs as Unicode.
const MAX_SPLIT: u32 = 8;

/// Whether a character stays itself.
fn identity(c: char) -> bool {
    c == '\n' || ((' '..='~').contains(&c) && !c.is_ascii_uppercase())
}

fn class(ranges: &[(char, char)]) -> ClassUnicode {
    ClassUnicode::new(ranges.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)))
}

fn identity_class() -> ClassUnicode {
    class(&[('\n', '\n'), (' ', '@'), ('[', '~')])
}

fn perl(src: &str) -> ClassUnicode {
    match regex_syntax::parse(src).map(|h| h.into_kind()) {
        Ok(HirKind::Class(Class::Unicode(c))) => c,
        _ => ClassUnicode::empty(),
    }
}

fn minus(a: &ClassUnicode, b: &ClassUnicode) -> ClassUnicode {
    let mut c = a.clone();
    c.difference(b);
    c
}

fn and(a: &ClassUnicode, b: &ClassUnicode) -> ClassUnicode {
    let mut c = a.clone();
    c.intersect(b);
    c
}

fn count(c: &ClassUnicode) -> u32 {
    c.ranges()
        .iter()
        .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
        .sum()
}

fn chars(c: &ClassUnicode) -> impl Iterator<Item = char> + '_ {
    c.ranges().iter().flat_map(|r| r.start()..=r.end())
}

fn within(set: &ClassUnicode, c: char) -> bool {
    set.ranges()
        .binary_search_by(|r| {
            if r.end() < c {
                std::cmp::Ordering::Less
            } else if r.start() > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Why a pattern runs as Unicode instead.
#[derive(Debug)]
pub struct Untranslatable;

/// The byte alphabet of one set of patterns.
#[derive(Debug, Clone)]
pub struct Alphabet {
    /// Characters with a byte of their own, sorted.
    specials: Vec<(char, u8)>,
    /// Unicode `\w`, `\d` and `\s` (to find a character's kind) and the
    /// kinds without the specials.
    kinds: Kinds,
}

/// The kinds, each without the characters kept as themselves (and, once
/// known, without the specials).
#[derive(Debug, Clone)]
struct Kinds {
    identity: ClassUnicode,
    word: ClassUnicode,
    digit: ClassUnicode,
    space: ClassUnicode,
    sets: [ClassUnicode; 4],
}

impl Kinds {
    fn new() -> Kinds {
        let identity = identity_class();
        let (word, digit, space) = (perl(r"\w"), perl(r"\d"), perl(r"\s"));
        let all = class(&[('\0', char::MAX)]);
        let sets = [
            minus(&minus(&word, &digit), &identity),
            minus(&digit, &identity),
            minus(&minus(&space, &word), &identity),
            minus(&minus(&minus(&all, &word), &space), &identity),
        ];
        Kinds {
            identity,
            word,
            digit,
            space,
            sets,
        }
    }

    fn remove(&mut self, specials: &ClassUnicode) {
        for s in &mut self.sets {
            s.difference(specials);
        }
    }
}

/// The classes and literal characters of a pattern.
fn parts<'h>(h: &'h Hir, classes: &mut Vec<&'h ClassUnicode>, lits: &mut Vec<char>) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(Literal(b)) => match std::str::from_utf8(b) {
            Ok(s) => {
                lits.extend(s.chars());
                true
            }
            Err(_) => false,
        },
        HirKind::Class(Class::Unicode(c)) => {
            classes.push(c);
            true
        }
        HirKind::Class(Class::Bytes(_)) => false,
        HirKind::Repetition(r) => parts(&r.sub, classes, lits),
        HirKind::Capture(c) => parts(&c.sub, classes, lits),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(|h| parts(h, classes, lits)),
    }
}

impl Alphabet {
    /// The alphabet for `hirs` (Unicode patterns, as parsed), and for each
    /// pattern whether it can run over it.
    pub fn new(hirs: &[&Hir]) -> (Alphabet, Vec<bool>) {
        let mut kinds = Kinds::new();
        let mut specials: BTreeSet<char> = BTreeSet::new();
        let word_codes = 26 - 2;
        let other_codes = 32 - 2;
        let mut ok = Vec::with_capacity(hirs.len());
        for h in hirs {
            let (mut classes, mut lits) = (Vec::new(), Vec::new());
            if !parts(h, &mut classes, &mut lits) {
                ok.push(false);
                continue;
            }
            // The characters this pattern needs bytes of their own for.
            let mut own: BTreeSet<char> = lits.into_iter().filter(|c| !identity(*c)).collect();
            let mut fits = true;
            'grow: loop {
                let own_class = class(&own.iter().map(|&c| (c, c)).collect::<Vec<_>>());
                let mut added = false;
                for c in &classes {
                    for set in &kinds.sets {
                        let set = minus(set, &own_class);
                        let inside = and(&set, c);
                        if inside.ranges().is_empty() {
                            continue;
                        }
                        let outside = minus(&set, c);
                        if outside.ranges().is_empty() {
                            continue;
                        }
                        let split = if count(&inside) <= count(&outside) {
                            inside
                        } else {
                            outside
                        };
                        if count(&split) > MAX_SPLIT {
                            fits = false;
                            break 'grow;
                        }
                        own.extend(chars(&split));
                        added = true;
                    }
                }
                if !added {
                    break;
                }
            }
            let new: Vec<char> = own.difference(&specials).copied().collect();
            let is_word = |c: &&char| within(&kinds.word, **c);
            let words =
                specials.iter().filter(is_word).count() + new.iter().filter(is_word).count();
            let others = specials.len() + new.len() - words;
            if !fits || words > word_codes || others > other_codes {
                ok.push(false);
                continue;
            }
            specials.extend(new.iter().copied());
            kinds.remove(&class(&new.iter().map(|&c| (c, c)).collect::<Vec<_>>()));
            ok.push(true);
        }
        let mut word_free = (b'C'..=b'Z').filter(|b| !KIND_CODES.contains(b));
        let mut other_free = (0u8..=0x1F)
            .chain([0x7F])
            .filter(|b| *b != b'\n' && !KIND_CODES.contains(b));
        let specials = specials
            .into_iter()
            .filter_map(|c| {
                let code = if within(&kinds.word, c) {
                    word_free.next()
                } else {
                    other_free.next()
                };
                code.map(|b| (c, b))
            })
            .collect();
        (Alphabet { specials, kinds }, ok)
    }

    /// The byte of a character.
    pub fn code(&self, c: char) -> u8 {
        if identity(c) {
            return c as u8;
        }
        if let Ok(i) = self.specials.binary_search_by(|(s, _)| s.cmp(&c)) {
            return self.specials[i].1;
        }
        let k = &self.kinds;
        let kind = if within(&k.digit, c) {
            DIGIT
        } else if within(&k.word, c) {
            WORD
        } else if within(&k.space, c) {
            SPACE
        } else {
            OTHER
        };
        KIND_CODES[kind]
    }

    /// `text` in this alphabet.
    pub fn hay<'a>(&self, text: &'a str) -> Hay<'a> {
        if text.bytes().all(|b| identity(b as char)) {
            return Hay {
                text,
                bytes: Cow::Borrowed(text.as_bytes()),
                offsets: None,
            };
        }
        let mut bytes = Vec::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len() + 1);
        for (i, c) in text.char_indices() {
            bytes.push(self.code(c));
            offsets.push(i);
        }
        offsets.push(text.len());
        Hay {
            text,
            bytes: Cow::Owned(bytes),
            offsets: Some(offsets),
        }
    }

    /// `h` (a Unicode pattern, as parsed) over this alphabet.
    pub fn translate(&self, h: &Hir) -> Result<Hir, Untranslatable> {
        Ok(match h.kind() {
            HirKind::Empty => Hir::empty(),
            HirKind::Literal(Literal(b)) => {
                let s = std::str::from_utf8(b).map_err(|_| Untranslatable)?;
                let mut out = Vec::with_capacity(s.len());
                for c in s.chars() {
                    if identity(c) {
                        out.push(c as u8);
                    } else {
                        let i = self
                            .specials
                            .binary_search_by(|(s, _)| s.cmp(&c))
                            .map_err(|_| Untranslatable)?;
                        out.push(self.specials[i].1);
                    }
                }
                Hir::literal(out)
            }
            HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Bytes(self.class(c)?)),
            HirKind::Class(Class::Bytes(_)) => return Err(Untranslatable),
            HirKind::Look(l) => Hir::look(match l {
                Look::Start | Look::End | Look::StartLF | Look::EndLF => *l,
                Look::WordAscii | Look::WordUnicode => Look::WordAscii,
                Look::WordAsciiNegate | Look::WordUnicodeNegate => Look::WordAsciiNegate,
                Look::WordStartAscii | Look::WordStartUnicode => Look::WordStartAscii,
                Look::WordEndAscii | Look::WordEndUnicode => Look::WordEndAscii,
                Look::WordStartHalfAscii | Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
                Look::WordEndHalfAscii | Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
                _ => return Err(Untranslatable),
            }),
            HirKind::Repetition(r) => Hir::repetition(Repetition {
                min: r.min,
                max: r.max,
                greedy: r.greedy,
                sub: Box::new(self.translate(&r.sub)?),
            }),
            HirKind::Capture(c) => Hir::capture(Capture {
                index: c.index,
                name: c.name.clone(),
                sub: Box::new(self.translate(&c.sub)?),
            }),
            HirKind::Concat(v) => Hir::concat(
                v.iter()
                    .map(|h| self.translate(h))
                    .collect::<Result<_, _>>()?,
            ),
            HirKind::Alternation(v) => Hir::alternation(
                v.iter()
                    .map(|h| self.translate(h))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// A Unicode class as the bytes of the characters it takes.
    fn class(&self, c: &ClassUnicode) -> Result<ClassBytes, Untranslatable> {
        let kinds = &self.kinds;
        let mut out: Vec<ClassBytesRange> = and(c, &kinds.identity)
            .ranges()
            .iter()
            .map(|r| ClassBytesRange::new(r.start() as u8, r.end() as u8))
            .collect();
        for &(s, b) in &self.specials {
            if within(c, s) {
                out.push(ClassBytesRange::new(b, b));
            }
        }
        for (kind, set) in kinds.sets.iter().enumerate() {
            if set.ranges().is_empty() || and(set, c).ranges().is_empty() {
                continue;
            }
            if !minus(set, c).ranges().is_empty() {
                return Err(Untranslatable);
            }
            out.push(ClassBytesRange::new(KIND_CODES[kind], KIND_CODES[kind]));
        }
        Ok(ClassBytes::new(out))
    }
}

/// A folded text and its bytes in an [`Alphabet`]: byte `i` is character
/// `i`.
#[derive(Debug)]
pub struct Hay<'a> {
    pub text: &'a str,
    bytes: Cow<'a, [u8]>,
    /// Byte offset in `text` of each character, and of the end (`None`:
    /// all ASCII, the offsets are the indices).
    offsets: Option<Vec<usize>>,
}

impl Hay<'_> {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The offset in the text of position `i` of the bytes.
    pub fn to_text(&self, i: usize) -> usize {
        self.offsets.as_ref().map_or(i, |o| o[i])
    }

    /// The position in the bytes of offset `i` of the text (a char boundary).
    pub fn from_text(&self, i: usize) -> usize {
        self.offsets
            .as_ref()
            .map_or(i, |o| o.binary_search(&i).unwrap_or_else(|x| x))
    }
}

/// A compiled pattern: one of a [`Set`], on its own over the bytes, or
/// (when it could not be rewritten) a Unicode regex over the text.
#[derive(Debug, Clone)]
pub enum Matcher {
    Set(Member),
    Bytes(Lazy),
    Text(regex::Regex),
}

/// The lazy DFA's cache of a [`Set`] is allowed at most this many bytes
/// (per thread that searches it at the same time as another); when full it
/// is cleared and fills again. One pass over the labelled texts learns
/// about 4.8 MiB of states, so it is cleared about twice a pass. Measured
/// (`cargo bench --bench intake -- classify`, load average 3-5): 8 MiB
/// gives p50 12 µs and p99 48-54 µs at 6.8 MiB of heap; 2 MiB p50 16 µs
/// and p99 106-116 µs at 4.1 MiB. Above 2 MiB the transition table's
/// vector may double to 4 MiB, so this is the largest bound that keeps the
/// heap under issue 12's 5 MiB whatever the texts.
pub const SET_CACHE_CAPACITY: usize = 2 << 20;

type CacheFn = Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// Many patterns over the bytes as one lazy DFA, each searched on its own
/// (anchored at a start that pattern can match from: [`Member::find`]).
/// One automaton with one bounded cache instead of a regex per pattern,
/// each with a forward and a reverse automaton and caches of its own:
/// those held about 15 MiB after one pass over the labelled texts, most
/// of it in the caches. Built whole at load (a few milliseconds), so no
/// message pays for a pattern's first use.
pub struct Set {
    dfa: hybrid::dfa::DFA,
    caches: Pool<hybrid::dfa::Cache, CacheFn>,
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Set")
            .field("patterns", &self.dfa.pattern_len())
            .finish()
    }
}

impl Set {
    /// The set of `hirs` (patterns over the bytes, each already checked on
    /// its own against `size_limit`); pattern `i` is [`Set::member`]`(i)`.
    pub fn new(set: &[Hir], size_limit: usize) -> Result<Arc<Set>, String> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(size_limit.saturating_mul(set.len().max(1))))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_many_from_hir(set)
            .map_err(|e| e.to_string())?;
        let dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .starts_for_each_pattern(true)
                    .cache_capacity(SET_CACHE_CAPACITY)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        let for_caches = dfa.clone();
        let create: CacheFn = Box::new(move || for_caches.create_cache());
        Ok(Arc::new(Set {
            dfa,
            caches: Pool::new(create),
        }))
    }

    /// Pattern `i` of `set` (as given to [`Set::new`]).
    pub fn member(set: &Arc<Set>, i: usize, hir: &Hir) -> Member {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        // The bytes a match can start with: all, unless the pattern's
        // prefixes are a finite set of non-empty literals.
        let mut first = [u64::MAX; 4];
        let mut ex = Extractor::new();
        ex.kind(ExtractKind::Prefix)
            .limit_class(256)
            .limit_literal_len(1)
            .limit_total(1000);
        if let Some(lits) = ex.extract(hir).literals() {
            if lits.iter().all(|l| !l.as_bytes().is_empty()) {
                first = [0; 4];
                for l in lits {
                    let b = l.as_bytes()[0];
                    first[usize::from(b >> 6)] |= 1 << (b & 63);
                }
            }
        }
        Member {
            set: set.clone(),
            id: PatternID::new_unchecked(i),
            word_start: hir.properties().look_set_prefix().contains(Look::WordAscii),
            first,
        }
    }
}

/// One pattern of a [`Set`], with what tells where a match of it can start.
#[derive(Debug, Clone)]
pub struct Member {
    set: Arc<Set>,
    id: PatternID,
    /// Every match starts at an (ASCII) word boundary (`\b`).
    word_start: bool,
    /// The bytes a match can start with (a bit per byte).
    first: [u64; 4],
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Member {
    /// The leftmost-first match in `h` (a haystack of its own) starting at
    /// or after `from`, as `find` over the whole of `h` would give it: the
    /// first start from which the pattern matches, anchored there, with the
    /// end leftmost-first gives from that start. Only starts the pattern
    /// can match from are tried (its first bytes, a word boundary).
    fn find_in(&self, h: &[u8], from: usize) -> Option<(usize, usize)> {
        let dfa = &self.set.dfa;
        let mut cache = self.set.caches.get();
        for i in from..=h.len() {
            if let Some(&b) = h.get(i) {
                if self.first[usize::from(b >> 6)] & (1 << (b & 63)) == 0 {
                    continue;
                }
            }
            if self.word_start {
                let before = i > 0 && is_word(h[i - 1]);
                if before == h.get(i).is_some_and(|&b| is_word(b)) {
                    continue;
                }
            }
            let input = Input::new(h)
                .span(i..h.len())
                .anchored(Anchored::Pattern(self.id));
            // Cannot fail: the patterns have no Unicode word boundary (no
            // quit bytes) and the search never gives up on its cache.
            if let Ok(Some(m)) = dfa.try_search_fwd(&mut cache, &input) {
                return Some((i, m.offset()));
            }
        }
        None
    }

    /// The end of the leftmost-first match starting exactly at `i`.
    fn anchored_end(&self, h: &[u8], i: usize) -> Option<usize> {
        let mut cache = self.set.caches.get();
        let input = Input::new(h)
            .span(i..h.len())
            .anchored(Anchored::Pattern(self.id));
        // Cannot fail, as in `find_in`.
        self.set
            .dfa
            .try_search_fwd(&mut cache, &input)
            .ok()
            .flatten()
            .map(|m| m.offset())
    }

    /// Every match in `h`, as `find_iter` gives them (an empty match right
    /// after the previous match is skipped).
    fn find_all_in(&self, h: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let (mut at, mut last) = (0, None);
        while at <= h.len() {
            let Some((s, e)) = self.find_in(h, at) else {
                break;
            };
            if s == e && last == Some(e) {
                at = e + 1;
                continue;
            }
            out.push((s, e));
            last = Some(e);
            at = if s == e { e + 1 } else { e };
        }
        out
    }
}

/// A pattern over the bytes on its own (the clause split and join), checked
/// at load (it parses, rewrites and its automaton fits the size limit) and
/// built on first use (the first message builds both).
#[derive(Debug, Clone)]
pub struct Lazy {
    /// The Unicode source, as parsed at load.
    src: Box<str>,
    alphabet: Arc<Alphabet>,
    re: OnceLock<Option<meta::Regex>>,
}

impl Lazy {
    pub(super) fn new(src: &str, alphabet: Arc<Alphabet>) -> Lazy {
        Lazy {
            src: src.into(),
            alphabet,
            re: OnceLock::new(),
        }
    }

    /// The regex, built now if it was not yet (`None` only if what load
    /// checked no longer builds, which cannot happen).
    fn get(&self) -> Option<&meta::Regex> {
        self.re
            .get_or_init(|| {
                let hir = super::parse(&self.src, "").ok()?;
                let bytes = self.alphabet.translate(&hir).ok()?;
                super::bytes_regex(&bytes).ok()
            })
            .as_ref()
    }
}

impl Matcher {
    /// The leftmost-first match in bytes `a..b` of `hay` (searched as a text
    /// of its own), as positions in the bytes.
    pub fn find(&self, hay: &Hay<'_>, a: usize, b: usize) -> Option<(usize, usize)> {
        match self {
            Matcher::Set(m) => m
                .find_in(&hay.bytes()[a..b], 0)
                .map(|(s, e)| (a + s, a + e)),
            Matcher::Bytes(re) => re
                .get()?
                .find(&hay.bytes()[a..b])
                .map(|m| (a + m.start(), a + m.end())),
            Matcher::Text(re) => {
                let (ta, tb) = (hay.to_text(a), hay.to_text(b));
                re.find(&hay.text[ta..tb])
                    .map(|m| (hay.from_text(ta + m.start()), hay.from_text(ta + m.end())))
            }
        }
    }

    /// Every match in bytes `a..b` of `hay`, as `find_iter` gives them.
    pub fn find_all(&self, hay: &Hay<'_>, a: usize, b: usize) -> Vec<(usize, usize)> {
        match self {
            Matcher::Set(m) => m
                .find_all_in(&hay.bytes()[a..b])
                .into_iter()
                .map(|(s, e)| (a + s, a + e))
                .collect(),
            Matcher::Bytes(re) => re.get().map_or_else(Vec::new, |re| {
                re.find_iter(&hay.bytes()[a..b])
                    .map(|m| (a + m.start(), a + m.end()))
                    .collect()
            }),
            Matcher::Text(re) => {
                let (ta, tb) = (hay.to_text(a), hay.to_text(b));
                re.find_iter(&hay.text[ta..tb])
                    .map(|m| (hay.from_text(ta + m.start()), hay.from_text(ta + m.end())))
                    .collect()
            }
        }
    }

    pub fn is_match(&self, hay: &Hay<'_>, a: usize, b: usize) -> bool {
        match self {
            Matcher::Set(m) => m.find_in(&hay.bytes()[a..b], 0).is_some(),
            Matcher::Bytes(re) => re.get().is_some_and(|re| re.is_match(&hay.bytes()[a..b])),
            Matcher::Text(re) => re.is_match(&hay.text[hay.to_text(a)..hay.to_text(b)]),
        }
    }
}

/// Patterns over folded text compiled together: one [`Alphabet`] for all
/// of them and, for those that can be rewritten over it, one [`Set`] (one
/// lazy DFA, one bounded cache per thread searching at the same time)
/// instead of a regex each with caches of its own. A pattern that cannot be
/// rewritten runs as a Unicode regex on the text. Every search gives what
/// the regex crate gives for the pattern's source on the text.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The source, as given.
    src: Box<str>,
    alphabet: Arc<Alphabet>,
    run: Run,
}

#[derive(Debug, Clone)]
enum Run {
    Set(Member),
    Text(meta::Regex),
}

impl Folded {
    /// `srcs` (regex sources over folded text, Unicode, default flags)
    /// compiled together, in order. An error if one does not parse or is
    /// larger than [`super::SIZE_LIMIT`].
    pub fn compile(srcs: &[String]) -> Result<Vec<Folded>, String> {
        Folded::compile_within(srcs, super::SIZE_LIMIT)
    }

    /// As [`Folded::compile`], each pattern allowed `limit` (and all of
    /// them `limit` each).
    pub fn compile_within(srcs: &[String], limit: usize) -> Result<Vec<Folded>, String> {
        let hirs = srcs
            .iter()
            .map(|s| super::parse(s, s))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&Hir> = hirs.iter().collect();
        let (alphabet, fits) = Alphabet::new(&refs);
        let alphabet = Arc::new(alphabet);
        let mut bytes: Vec<Hir> = Vec::new();
        let mut slot: Vec<Option<usize>> = Vec::with_capacity(hirs.len());
        for (h, fits) in hirs.iter().zip(fits) {
            let t = if fits {
                alphabet.translate(h).ok()
            } else {
                None
            };
            match t {
                Some(t) => {
                    thompson::Compiler::new()
                        .configure(
                            thompson::Config::new()
                                .nfa_size_limit(Some(limit))
                                .which_captures(thompson::WhichCaptures::None),
                        )
                        .build_from_hir(&t)
                        .map_err(|e| e.to_string())?;
                    slot.push(Some(bytes.len()));
                    bytes.push(t);
                }
                None => slot.push(None),
            }
        }
        let set = if bytes.is_empty() {
            None
        } else {
            Some(Set::new(&bytes, limit)?)
        };
        let mut out = Vec::with_capacity(srcs.len());
        for (src, slot) in srcs.iter().zip(slot) {
            let run = match (slot, &set) {
                (Some(i), Some(set)) => Run::Set(Set::member(set, i, &bytes[i])),
                _ => Run::Text(
                    meta::Regex::builder()
                        .configure(meta::Config::new().nfa_size_limit(Some(limit)))
                        .build(src)
                        .map_err(|e| e.to_string())?,
                ),
            };
            out.push(Folded {
                src: src.as_str().into(),
                alphabet: alphabet.clone(),
                run,
            });
        }
        Ok(out)
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether it runs in the set (for tests).
    pub fn in_set(&self) -> bool {
        matches!(self.run, Run::Set(_))
    }

    /// `folded` in this pattern's alphabet.
    pub fn hay<'a>(&self, folded: &'a str) -> Hay<'a> {
        self.alphabet.hay(folded)
    }

    pub fn is_match(&self, folded: &str) -> bool {
        match &self.run {
            Run::Set(_) => self.find_at(&self.hay(folded), 0).is_some(),
            Run::Text(re) => re.is_match(folded),
        }
    }

    /// Whether it matches `hay` (made by [`Folded::hay`] of any pattern
    /// compiled together with this one).
    pub fn is_match_in(&self, hay: &Hay<'_>) -> bool {
        match &self.run {
            Run::Set(_) => self.find_at(hay, 0).is_some(),
            Run::Text(re) => re.is_match(hay.text),
        }
    }

    /// Every match in `folded`, as `find_iter` gives them (offsets in the
    /// text).
    pub fn find_iter(&self, folded: &str) -> Vec<(usize, usize)> {
        match &self.run {
            Run::Set(m) => {
                let hay = self.hay(folded);
                m.find_all_in(hay.bytes())
                    .into_iter()
                    .map(|(s, e)| (hay.to_text(s), hay.to_text(e)))
                    .collect()
            }
            Run::Text(re) => re.find_iter(folded).map(|m| (m.start(), m.end())).collect(),
        }
    }

    /// The leftmost-first match starting at or after position `from` of
    /// `hay` (made by [`Folded::hay`]), the text before it seen as context,
    /// as `find_at` gives it; positions in the bytes.
    pub fn find_at(&self, hay: &Hay<'_>, from: usize) -> Option<(usize, usize)> {
        match &self.run {
            Run::Set(m) => m.find_in(hay.bytes(), from),
            Run::Text(re) => {
                let input = Input::new(hay.text).span(hay.to_text(from)..hay.text.len());
                re.search(&input)
                    .map(|m| (hay.from_text(m.start()), hay.from_text(m.end())))
            }
        }
    }

    /// The end of the leftmost-first match that starts exactly at position
    /// `at` of `hay` (the text before it seen as context).
    pub fn anchored_end(&self, hay: &Hay<'_>, at: usize) -> Option<usize> {
        match &self.run {
            Run::Set(m) => m.anchored_end(hay.bytes(), at),
            Run::Text(re) => {
                let input = Input::new(hay.text)
                    .span(hay.to_text(at)..hay.text.len())
                    .anchored(Anchored::Yes);
                re.search(&input).map(|m| hay.from_text(m.end()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::content::patterns::{concern, word};
    use crate::content::text::fold;

    /// Over texts with emoji, `€`, letters outside ASCII, other scripts'
    /// digits and controls, every shipped concern pattern and negation cue
    /// finds over the bytes exactly what its Unicode regex finds in the text.
    #[test]
    fn the_bytes_match_where_the_unicode_regex_matches() {
        let loaded = crate::content::load(&crate::content::default_sources(), &[]).unwrap();
        let (c, p) = (&loaded.content, &loaded.patterns.concerns);
        let texts = [
            "ik kan geen personeel vinden 😩😩",
            "de cursus kost €500, dat is te duur €",
            "straße: wir finden keine mitarbeiter, ſtaff",
            "we hebben ١٢ mensen extra nodig, ٣ vacatures",
            "日本語のvacature en 中文 werknemers gezocht",
            "x\u{1b}[31m personeelstekort\u{202e} \u{7}",
            "ΑΒΓ vacatures · werkdruk te hoog — burn-out",
            "naïeve werknemers ✓ zoeken «nieuwe» collega’s",
            "ÆØÅ æøå ßẞ ĳ ﬁ monteurs niet te vinden",
            "geen tijd om mensen op te leiden 👍🏽 maar geld is het probleem niet",
        ];
        let mut checked = 0;
        for t in texts {
            let folded = fold(t);
            let hay = p.alphabet.hay(&folded);
            let n = hay.bytes().len();
            let reference = p
                .patterns
                .iter()
                .map(|x| concern(&x.source, &c.words).unwrap())
                .zip(p.patterns.iter().map(|x| &x.re))
                .chain(
                    p.cues
                        .iter()
                        .map(|x| word(&x.source).unwrap())
                        .zip(p.cues.iter().map(|x| &x.re)),
                );
            for (unicode, ours) in reference {
                let want = unicode.find(&folded).map(|m| (m.start(), m.end()));
                let got = ours
                    .find(&hay, 0, n)
                    .map(|(a, b)| (hay.to_text(a), hay.to_text(b)));
                assert_eq!(got, want, "{} on {folded:?}", unicode.as_str());
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
