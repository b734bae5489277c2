//! Reading what people type before it is matched: stripping markdown and
//! invisible characters, option numbers ("1", "2 en 5"), Dutch number words
//! ("vijfentwintig", "met z'n twaalven"), a headcount inside a longer
//! sentence ("een bakkerij met 12 man") and which language a message is in.
//! Pure functions over text; the engine decides what to do with them.

use crate::content::text::{fold, Lang};
use std::collections::BTreeMap;

/// Characters that are invisible in a chat but break whole-message matching.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// The text without zero-width characters and without markdown markup
/// (`**bold**`, `_italic_`, `~~strike~~`, `` `code` ``, `||spoiler||`,
/// `> quote`, `# heading`), so "**Ja**" and "ja\u{200b}" read as "ja".
pub fn clean(raw: &str) -> String {
    let mut lines = Vec::new();
    for line in raw.split('\n') {
        let line = line.trim_start();
        let line = line.trim_start_matches(['>', '#']).trim_start();
        let chars: Vec<char> = line.chars().filter(|c| !invisible(*c)).collect();
        let mut out = String::with_capacity(line.len());
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '*' | '~' | '`' | '|' => continue,
                // "_word_" is emphasis; "snake_case" inside a word stays.
                '_' => {
                    let before = i > 0 && chars[i - 1].is_alphanumeric();
                    let after = chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
                    if !(before && after) {
                        continue;
                    }
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        lines.push(out);
    }
    lines.join("\n").trim().to_string()
}

/// The option numbers in a message that holds nothing else ("2", "1 en 3",
/// "2, 5 & 8", "nummer 2"); `None` when there are other words.
pub fn option_numbers(text: &str) -> Option<Vec<usize>> {
    let folded = fold(text);
    let mut out = Vec::new();
    for w in folded.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() || ["en", "and", "nr", "nummer", "optie", "number", "option"].contains(&w) {
            continue;
        }
        out.push(w.parse::<usize>().ok()?);
    }
    (!out.is_empty()).then_some(out)
}

/// A Dutch or English number word, also compound ("vijfentwintig",
/// "tweeënveertig", "honderdvijftig", "tweehonderd") and the group form
/// ("met z'n vijven", "met z'n twaalfen", "twaalven"), using the number words
/// from content. `None` for anything else.
pub fn number_word(word: &str, words: &BTreeMap<String, u32>) -> Option<u32> {
    let w = fold(word);
    if w.is_empty() || !w.chars().all(|c| c.is_alphabetic()) {
        return None;
    }
    compound(&w, words).or_else(|| group_form(&w, words))
}

/// "vijven" -> 5, "twaalfen"/"twaalven" -> 12, "zessen" -> 6, "tweeen" -> 2.
fn group_form(w: &str, words: &BTreeMap<String, u32>) -> Option<u32> {
    let stem = w.strip_suffix("en")?;
    let mut tries = vec![stem.to_string()];
    if let Some(s) = stem.strip_suffix('v') {
        tries.push(format!("{s}f"));
    }
    let b = stem.as_bytes();
    if b.len() >= 2 && b[b.len() - 1] == b[b.len() - 2] {
        tries.push(stem[..stem.len() - 1].to_string());
    }
    tries.iter().find_map(|t| compound(t, words))
}

fn compound(w: &str, words: &BTreeMap<String, u32>) -> Option<u32> {
    if let Some(n) = words.get(w) {
        return Some(*n);
    }
    for (mult, value) in [("duizend", 1000), ("honderd", 100)] {
        if let Some(i) = w.find(mult) {
            let (head, rest) = (&w[..i], &w[i + mult.len()..]);
            let h = if head.is_empty() {
                1
            } else {
                compound(head, words)?
            };
            let r = if rest.is_empty() {
                0
            } else {
                compound(rest.trim_start_matches("en"), words)?
            };
            return Some(h * value + r);
        }
    }
    // "vijfentwintig", "tweeenveertig": units + "en" + tens.
    for (i, _) in w.match_indices("en") {
        let (units, tens) = (&w[..i], &w[i + 2..]);
        let (Some(u), Some(t)) = (words.get(units), words.get(tens)) else {
            continue;
        };
        if (1..=9).contains(u) && *t >= 20 && t % 10 == 0 && *t < 100 {
            return Some(u + t);
        }
    }
    None
}

/// The text with compound and group number words written as digits
/// ("we zijn met z'n twaalven" -> "we zijn met z'n 12"). Plain number words
/// from content stay, so "een paar" is still a phrase, not "1 paar".
pub fn digits_for_number_words(text: &str, words: &BTreeMap<String, u32>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let folded = fold(word);
        match number_word(word, words) {
            Some(n) if !words.contains_key(&folded) => out.push_str(&n.to_string()),
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Words for the people in a business, after a number ("12 man").
const PEOPLE: &[&str] = &[
    "man",
    "mensen",
    "medewerkers",
    "medewerker",
    "werknemers",
    "personeelsleden",
    "collega",
    "collegas",
    "fte",
    "koppen",
    "krachten",
    "people",
    "staff",
    "employees",
    "workers",
];

/// A headcount named inside a longer answer: a number before a word for
/// people ("een bakkerij met 12 man", "twintig medewerkers") or the group
/// form ("we zijn met z'n vijven"). Other numbers ("over twee jaar") do not
/// count.
pub fn headcount_in(text: &str, words: &BTreeMap<String, u32>) -> Option<u32> {
    let folded = fold(text);
    let tokens: Vec<&str> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let value = |w: &str| -> Option<u32> { w.parse().ok().or_else(|| number_word(w, words)) };
    for (i, w) in tokens.iter().enumerate() {
        let Some(n) = value(w) else { continue };
        let next = tokens.get(i + 1).map(|s| s.trim_matches('\''));
        // "met z'n vijven": the group form after "z'n"/"zn".
        let after_zn = i > 0 && ["z'n", "zn", "ze"].contains(&tokens[i - 1]);
        let extra = ["vaste", "eigen", "fulltime", "parttime"];
        let people = next.is_some_and(|n| PEOPLE.contains(&n))
            || (next.is_some_and(|n| extra.contains(&n))
                && tokens.get(i + 2).is_some_and(|n| PEOPLE.contains(n)));
        if people || (after_zn && group_form(w, words).is_some()) {
            return Some(n);
        }
    }
    None
}

/// Word endings of a kind of business ("kaarsenmakerij", "dierenpraktijk").
const BUSINESS_ENDINGS: &[&str] = &[
    "erij",
    "bedrijf",
    "bedrijven",
    "zaak",
    "winkel",
    "bureau",
    "atelier",
    "studio",
    "salon",
    "kantoor",
    "praktijk",
    "handel",
    "centrum",
    "school",
    "fabriek",
    "company",
    "business",
    "shop",
    "agency",
    "firm",
];
/// How people start describing what they do ("wij maken ...", "we run a ...").
const BUSINESS_STARTS: &[&str] = &[
    "wij zijn",
    "we zijn",
    "ik ben",
    "ik heb",
    "we hebben",
    "wij hebben",
    "ik run",
    "we runnen",
    "wij maken",
    "we maken",
    "we verkopen",
    "wij verkopen",
    "we doen",
    "wij doen",
    "we verhuren",
    "we geven",
    "we are",
    "we run",
    "i run",
    "i own",
    "we make",
    "we sell",
    "we do",
    "i have",
    "we have",
    "een ",
];

/// Whether an answer to "what line of business?" describes one, even if
/// it is not on the list ("wij maken kaarsen", "een dierenpraktijk") rather
/// than being noise ("qwerty", "🚜").
pub fn describes_a_business(text: &str) -> bool {
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let long_enough = words.iter().any(|w| w.chars().count() >= 4);
    long_enough
        && (BUSINESS_STARTS.iter().any(|s| folded.starts_with(s))
            || words.iter().any(|w| {
                BUSINESS_ENDINGS
                    .iter()
                    .any(|e| w.len() > e.len() && w.ends_with(e))
            }))
}

/// Frequent words that only one of the two languages uses.
const EN_WORDS: &[&str] = &[
    "the",
    "and",
    "a",
    "an",
    "are",
    "i",
    "i'm",
    "im",
    "our",
    "my",
    "you",
    "your",
    "to",
    "of",
    "have",
    "has",
    "with",
    "for",
    "not",
    "can't",
    "cant",
    "don't",
    "dont",
    "it",
    "this",
    "that",
    "what",
    "who",
    "do",
    "does",
    "people",
    "staff",
    "find",
    "need",
    "please",
    "hello",
    "hi",
    "there",
    "yes",
    "english",
    "business",
    "company",
    "how",
    "about",
    "they",
    "them",
    "want",
    "would",
    "like",
    "hard",
    "keep",
    "they're",
    "employees",
    "help",
    "work",
];
const NL_WORDS: &[&str] = &[
    "de",
    "het",
    "een",
    "en",
    "zijn",
    "wij",
    "ik",
    "ons",
    "onze",
    "mijn",
    "je",
    "jij",
    "jullie",
    "van",
    "te",
    "met",
    "voor",
    "niet",
    "geen",
    "wat",
    "wie",
    "dat",
    "die",
    "dit",
    "hebben",
    "heb",
    "kan",
    "kunnen",
    "mensen",
    "personeel",
    "ja",
    "nee",
    "hoi",
    "hallo",
    "graag",
    "hoe",
    "bedrijf",
    "moeilijk",
    "lastig",
    "vinden",
    "houden",
    "nederlands",
    "mag",
    "wel",
    "ook",
    "zijn",
    "er",
    "om",
    "bij",
    "maar",
];

/// The language a message is clearly written in, if any: at least two words
/// only one language uses, and more than twice as many as of the other.
/// Short answers ("ok", "ja") say nothing.
pub fn language_of(text: &str) -> Option<Lang> {
    let folded = fold(text);
    let (mut en, mut nl) = (0usize, 0usize);
    for w in folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        en += usize::from(EN_WORDS.contains(&w));
        nl += usize::from(NL_WORDS.contains(&w));
    }
    if en >= 2 && en > 2 * nl {
        Some(Lang::En)
    } else if nl >= 2 && nl > 2 * en {
        Some(Lang::Nl)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> BTreeMap<String, u32> {
        [
            ("een", 1),
            ("twee", 2),
            ("drie", 3),
            ("vijf", 5),
            ("zes", 6),
            ("tien", 10),
            ("elf", 11),
            ("twaalf", 12),
            ("twintig", 20),
            ("veertig", 40),
            ("vijftig", 50),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    #[test]
    fn markdown_and_invisible_characters_go() {
        assert_eq!(clean("**Ja**"), "Ja");
        assert_eq!(clean("ja\u{200b}"), "ja");
        assert_eq!(clean("> _nee_"), "nee");
        assert_eq!(clean("||1||"), "1");
        assert_eq!(clean("snake_case"), "snake_case");
    }

    #[test]
    fn option_numbers_only_when_nothing_else() {
        assert_eq!(option_numbers("1"), Some(vec![1]));
        assert_eq!(option_numbers("2 en 8"), Some(vec![2, 8]));
        assert_eq!(option_numbers("nummer 2."), Some(vec![2]));
        assert_eq!(option_numbers("12 man"), None);
        assert_eq!(option_numbers("ja"), None);
    }

    #[test]
    fn dutch_number_words() {
        let w = words();
        assert_eq!(number_word("vijfentwintig", &w), Some(25));
        assert_eq!(number_word("tweeënveertig", &w), Some(42));
        assert_eq!(number_word("twaalfen", &w), Some(12));
        assert_eq!(number_word("twaalven", &w), Some(12));
        assert_eq!(number_word("vijven", &w), Some(5));
        assert_eq!(number_word("zessen", &w), Some(6));
        assert_eq!(number_word("tweehonderd", &w), Some(200));
        assert_eq!(number_word("honderdvijftig", &w), Some(150));
        assert_eq!(number_word("bakkerij", &w), None);
        assert_eq!(
            digits_for_number_words("we zijn met z'n twaalfen", &w),
            "we zijn met z'n 12"
        );
        assert_eq!(digits_for_number_words("een paar", &w), "een paar");
    }

    #[test]
    fn headcount_needs_people() {
        let w = words();
        assert_eq!(
            headcount_in("wij zijn een bakkerij met 12 man", &w),
            Some(12)
        );
        assert_eq!(headcount_in("we zijn met z'n vijven", &w), Some(5));
        assert_eq!(headcount_in("twintig vaste krachten", &w), Some(20));
        assert_eq!(
            headcount_in("hij gaat over twee jaar met pensioen", &w),
            None
        );
    }

    #[test]
    fn language_needs_clear_evidence() {
        assert_eq!(
            language_of("Hi, we can't find staff for our bakery"),
            Some(Lang::En)
        );
        assert_eq!(language_of("ik kan geen personeel vinden"), Some(Lang::Nl));
        assert_eq!(language_of("ok"), None);
        assert_eq!(language_of("yes"), None);
    }
}
