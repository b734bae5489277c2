//! Languages, bilingual strings, and the text folding every matcher shares.
//!
//! Matching is done on *folded* text: lower case, accents stripped, whitespace
//! collapsed. Patterns in `intents/` are folded the same way before they are
//! compiled, so "Fryslân", "fryslan" and "FRYSLAN" all meet in the middle.

use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The two languages every user-facing sentence exists in. Dutch comes first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nl" | "nederlands" | "dutch" => Ok(Lang::Nl),
            "en" | "engels" | "english" => Ok(Lang::En),
            other => Err(format!("unknown language '{other}' (use nl or en)")),
        }
    }
}

/// A user-facing sentence in Dutch and English. Both are required; `check`
/// reports a missing one with its file and key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub nl: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        let s = match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        };
        if s.is_empty() {
            // Content validation prevents this; falling back beats showing nothing.
            if self.nl.is_empty() {
                &self.en
            } else {
                &self.nl
            }
        } else {
            s
        }
    }

    /// The languages this text lacks.
    pub fn missing(&self) -> Vec<Lang> {
        Lang::ALL
            .into_iter()
            .filter(|l| match l {
                Lang::Nl => self.nl.trim().is_empty(),
                Lang::En => self.en.trim().is_empty(),
            })
            .collect()
    }
}

/// Per-language pattern lists (regexes or aliases).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLang {
    #[serde(default)]
    pub nl: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

impl PerLang {
    pub fn get(&self, lang: Lang) -> &[String] {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// Folds text for matching: NFD, combining marks dropped, lower case, curly
/// quotes straightened, whitespace collapsed. Length in chars can shrink, so
/// spans reported by the classifier refer to the folded text.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in input.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '´' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}'..='\u{2015}' => '-',
            c => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
        last_space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Longest text anything reads, in characters: what the service keeps of a
/// message, and what the classifier and the matchers look at. Longer input is
/// cut here (the service tells the person), so no text makes a match slow.
pub const MAX_TEXT_CHARS: usize = 1500;

/// At most [`MAX_TEXT_CHARS`] characters of `text`, without copying.
pub fn bounded(text: &str) -> &str {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Characters that steer a terminal or reorder what it shows: C0 controls
/// other than newline and tab (ESC, BEL, carriage return, ...), DEL, C1
/// controls (CSI, OSC, ...), the bidi embeddings, overrides, isolates and
/// marks, and the line and paragraph separators.
pub fn is_steering(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{B}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
            | '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// The text without steering characters ([`is_steering`]) and without the
/// terminal sequences they start: what is kept of what a person types.
/// `ESC [ ... m` (CSI, also as C1 `U+009B`) goes up to its final byte,
/// `ESC ] ...` (OSC, also `U+009D`) and the other string sequences up to
/// BEL or the string terminator, and `ESC` with one more character as a pair.
pub fn without_steering(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_steering) {
        return text.into();
    }
    #[derive(PartialEq)]
    enum In {
        Text,
        Esc,
        Csi,
        Str,
        StrEsc,
    }
    let mut state = In::Text;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        state = match (state, c) {
            (In::Text, '\u{1B}') => In::Esc,
            (In::Text, '\u{9B}') | (In::Esc, '[') => In::Csi,
            (In::Text, '\u{90}' | '\u{98}' | '\u{9D}' | '\u{9E}' | '\u{9F}') => In::Str,
            (In::Esc, ']' | 'P' | 'X' | '^' | '_') => In::Str,
            (In::Esc, _) => In::Text,
            (In::Csi, '\u{40}'..='\u{7E}') => In::Text,
            (In::Csi, '\u{20}'..='\u{3F}') => In::Csi,
            // A broken CSI ends at anything else, which is read as text.
            (In::Csi, c) | (In::Text, c) => {
                if !is_steering(c) {
                    out.push(c);
                }
                In::Text
            }
            (In::Str | In::StrEsc, '\u{7}' | '\u{9C}') => In::Text,
            (In::Str | In::StrEsc, '\u{1B}') => In::StrEsc,
            (In::StrEsc, '\\') => In::Text,
            (In::Str | In::StrEsc, '\n') => {
                // A string never spans lines: what follows is text again.
                out.push('\n');
                In::Text
            }
            (In::Str | In::StrEsc, _) => In::Str,
        };
    }
    out.into()
}

/// The text safe to print on a terminal: every steering character
/// ([`is_steering`]) shown by its code point (`[U+001B]`), so an export
/// still says what was there, but nothing steers the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_steering) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_steering(c) {
            out.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Fills `{name}` placeholders. Unknown placeholders are left as they are so a
/// content editor sees them instead of silently losing words.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Joins items as a natural list: "a", "a en b", "a, b en c".
pub fn join_list(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// Upper-cases the first character.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steering_characters_are_shown_or_dropped() {
        let hostile = "a\u{1b}[31mb\u{7}\u{9b}c\u{202e}d\u{2066}\r\ne\tf";
        assert_eq!(
            printable(hostile),
            "a[U+001B][31mb[U+0007][U+009B]c[U+202E]d[U+2066][U+000D]\ne\tf"
        );
        // `U+009B c` is a whole CSI sequence (c is its final byte).
        assert_eq!(without_steering(hostile), "abd\ne\tf");
        let osc = "ti\u{1b}]0;titel\u{7}tel \u{1b}]8;;http://x\u{1b}\\klik\u{1b}]8;;\u{1b}\\ \u{9b}2Jklaar\u{1b}c";
        assert_eq!(without_steering(osc), "titel klik klaar");
        assert_eq!(without_steering("\u{1b}[1mja\u{202e}\u{7}"), "ja");
        assert!(matches!(printable("gewoon"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(bounded(&"é".repeat(2000)).chars().count(), MAX_TEXT_CHARS);
        assert_eq!(bounded("kort"), "kort");
    }

    #[test]
    fn fold_strips_accents_case_and_space() {
        assert_eq!(fold("  Fryslân  ÉÉN\tTwee "), "fryslan een twee");
        assert_eq!(fold("’s-Hertogenbosch"), "'s-hertogenbosch");
    }

    #[test]
    fn join_and_fill() {
        let items = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(join_list(&items, "en"), "a, b en c");
        assert_eq!(
            fill("hoi {naam}, {x}", &[("naam", "Piet")]),
            "hoi Piet, {x}"
        );
    }
}
