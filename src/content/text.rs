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

    /// The other language, used as a fallback when nothing matches in the first.
    pub fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
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
