//! Understanding choice answers: by id, number, label or alias, also inside a
//! sentence ("we zitten in Nijmegen" -> gelderland, "12 man" -> small), and
//! conversation intents that must match the whole message ("stop", "terug").
//! Every matcher reads at most the first
//! [`MAX_TEXT_CHARS`](crate::content::text::MAX_TEXT_CHARS) characters.

use crate::content::patterns::{AnswerPatterns, Intents, Named as Opt};
use crate::content::text::{bounded, fold};
use crate::content::{Content, Source, Step};
use regex::Regex;
use std::collections::BTreeMap;

/// What a choice answer resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    One(String),
    /// Several options fit: ask which one (ids in option order).
    Many(Vec<String>),
    None,
}

/// Compiled matchers for every choice source and every intent.
#[derive(Debug, Clone)]
pub struct Matchers {
    sectors: Vec<Opt>,
    sizes: Vec<Opt>,
    regions: Vec<Opt>,
    inline: BTreeMap<String, Vec<Opt>>,
    intents: Intents,
    mentions: Vec<(String, Vec<Regex>)>,
    number: Regex,
    postcode: Regex,
}

impl Matchers {
    /// The matchers over compiled patterns (see
    /// [`crate::content::patterns::Patterns::compile`]).
    pub fn new(p: AnswerPatterns) -> Matchers {
        Matchers {
            sectors: p.sectors,
            sizes: p.sizes,
            regions: p.regions,
            inline: p.inline,
            intents: p.intents,
            mentions: p.mentions,
            number: p.number,
            postcode: p.postcode,
        }
    }

    /// The intent the whole message expresses, among `allowed`. For yes, no
    /// and skip, when the whole message does not match, its first part before
    /// a comma or full stop is tried ("yes, that's right", "nee, dat klopt
    /// niet"). Global intents need the whole message, so "help, ik kan geen
    /// personeel vinden" is an answer, not a call for help.
    pub fn intent(&self, text: &str, allowed: &[&str]) -> Option<String> {
        let folded = fold(bounded(text));
        let find = |s: &str| self.intents.first(s, allowed);
        let short_answers = allowed.iter().all(|a| ["yes", "no", "skip"].contains(a));
        find(&folded).or_else(|| {
            if !short_answers {
                return None;
            }
            let first = folded.split([',', '.', '!', ';']).next().unwrap_or("");
            (first.len() < folded.len() && !first.trim().is_empty())
                .then(|| find(first))
                .flatten()
        })
    }

    /// Routes the user names in `text` ("kan ik nog STAP aanvragen?").
    pub fn mentioned_routes(&self, text: &str) -> Vec<String> {
        let folded = fold(bounded(text));
        self.mentions
            .iter()
            .filter(|(_, res)| res.iter().any(|r| r.is_match(&folded)))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The option ids a choice step offers, in order.
    pub fn option_ids(&self, step: &Step) -> Vec<String> {
        self.opts(step).iter().map(|o| o.id.clone()).collect()
    }

    fn opts(&self, step: &Step) -> &[Opt] {
        match step.source {
            Some(Source::Sectors) => &self.sectors,
            Some(Source::Sizes) => &self.sizes,
            Some(Source::Regions) => &self.regions,
            None => self
                .inline
                .get(&step.id)
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
        }
    }

    /// Resolves a typed answer to a choice step. `narrowed`, when set, limits
    /// the options (after an ambiguous answer or a mixed postcode).
    pub fn resolve(
        &self,
        c: &Content,
        step: &Step,
        text: &str,
        narrowed: Option<&[String]>,
    ) -> Resolved {
        let folded = fold(bounded(text));
        let opts: Vec<&Opt> = self
            .opts(step)
            .iter()
            .filter(|o| narrowed.is_none_or(|n| n.contains(&o.id)))
            .collect();
        if folded.is_empty() || opts.is_empty() {
            return Resolved::None;
        }
        let is_sizes = step.source == Some(Source::Sizes);
        let is_regions = step.source == Some(Source::Regions);
        // An exact id.
        if let Some(o) = opts.iter().find(|o| fold(&o.id) == folded) {
            return Resolved::One(o.id.clone());
        }
        // A headcount for sizes; a postcode for regions; else an option number.
        if is_sizes {
            if let Some(n) = self.headcount(c, &folded, &opts) {
                if let Some(s) = c.sizes.iter().find(|s| {
                    n >= s.min && s.max.is_none_or(|m| n <= m) && opts.iter().any(|o| o.id == s.id)
                }) {
                    return Resolved::One(s.id.clone());
                }
            }
        } else if is_regions {
            if let Some(caps) = self.postcode.captures(&folded) {
                if let Ok(prefix) = caps[1].parse::<u32>() {
                    if let Some(r) = c
                        .postcodes
                        .iter()
                        .find(|r| prefix >= r.from && prefix <= r.to)
                    {
                        let ids: Vec<String> = r
                            .provinces
                            .iter()
                            .filter(|p| opts.iter().any(|o| &&o.id == p))
                            .cloned()
                            .collect();
                        return match ids.len() {
                            0 => Resolved::None,
                            1 => Resolved::One(ids[0].clone()),
                            _ => Resolved::Many(ids),
                        };
                    }
                }
            }
        }
        if !is_sizes {
            if let Ok(n) = folded
                .trim_matches(|c: char| !c.is_ascii_digit())
                .parse::<usize>()
            {
                if folded
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_whitespace() || c == '.')
                {
                    if n >= 1 && n <= opts.len() {
                        return Resolved::One(opts[n - 1].id.clone());
                    }
                    return Resolved::None;
                }
            }
        }
        // Names inside a sentence. A name inside a longer name of another
        // option does not count: "Bergen op Zoom" is not also "Bergen".
        let spans: Vec<(&Opt, Vec<(usize, usize)>)> = opts
            .iter()
            .filter_map(|o| {
                let s = o.names.as_ref()?.find_iter(&folded);
                (!s.is_empty()).then_some((*o, s))
            })
            .collect();
        let inside_longer = |id: &str, (a, b): (usize, usize)| {
            spans.iter().any(|(o, s)| {
                o.id != id
                    && s.iter()
                        .any(|&(x, y)| x <= a && b <= y && (y - x) > (b - a))
            })
        };
        let found: Vec<String> = spans
            .iter()
            .filter(|(o, s)| !s.iter().all(|&span| inside_longer(&o.id, span)))
            .map(|(o, _)| o.id.clone())
            .collect();
        match found.len() {
            0 => Resolved::None,
            1 => Resolved::One(found[0].clone()),
            _ => Resolved::Many(found),
        }
    }

    /// A number of people in the answer: digits first; then, unless a size
    /// is named in words ("alleen ik", "een paar"), the largest number word
    /// ("een stuk of twintig" -> 20).
    fn headcount(&self, c: &Content, folded: &str, opts: &[&Opt]) -> Option<u32> {
        if let Some(m) = self.number.captures(folded) {
            return m[1].parse().ok();
        }
        if opts
            .iter()
            .any(|o| o.names.as_ref().is_some_and(|r| r.is_match(folded)))
        {
            return None;
        }
        folded
            .split(|ch: char| !ch.is_alphanumeric())
            .filter_map(|w| c.number_words.get(w).copied())
            .max()
    }
}
