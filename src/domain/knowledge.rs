//! Content plus its compiled matchers: everything the engine needs to know.
//! Built once at start-up and shared read-only.

use crate::content::patterns::Patterns;
use crate::content::text::{Lang, Text};
use crate::content::{Content, ContentError, Loaded, Problem};
use crate::domain::nlu::classify::Classifier;
use crate::domain::nlu::matcher::Matchers;
use crate::domain::places::Places;
use crate::domain::recommend::CueSets;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct Knowledge {
    pub content: Content,
    pub classifier: Classifier,
    pub matchers: Matchers,
    /// Place names to municipalities (and so regions).
    pub places: Places,
    /// The routes' cue lists compiled as sets, on the first recommendation.
    cue_sets: OnceLock<Option<CueSets>>,
}

impl Knowledge {
    /// Loads, validates and compiles the content in `dirs` (later directories
    /// add to and override earlier ones), requiring the domain's message keys.
    /// Returns the warnings too.
    pub fn load(dirs: &[PathBuf]) -> Result<(Knowledge, Vec<Problem>), ContentError> {
        Knowledge::load_requiring(dirs, crate::domain::MESSAGE_KEYS)
    }

    /// Like [`load`](Self::load), requiring the given message keys (the layers
    /// above pass their own as well).
    pub fn load_requiring(
        dirs: &[PathBuf],
        messages: &[&str],
    ) -> Result<(Knowledge, Vec<Problem>), ContentError> {
        let loaded = crate::content::load(dirs, messages)?;
        let warnings = loaded.warnings.clone();
        Ok((Knowledge::from_loaded(loaded), warnings))
    }

    /// The shipped content (tests, benchmarks).
    pub fn load_default() -> Result<Knowledge, ContentError> {
        Knowledge::load(&crate::content::default_sources()).map(|(k, _)| k)
    }

    /// Compiles validated content. Every pattern that does not compile is
    /// reported with its file and key.
    pub fn compile(content: Content) -> Result<Knowledge, ContentError> {
        let patterns = Patterns::compile(&content).map_err(|problems| ContentError { problems })?;
        Ok(Knowledge::build(content, patterns))
    }

    /// Content loaded by [`crate::content::load`], compiled there.
    pub fn from_loaded(loaded: Loaded) -> Knowledge {
        Knowledge::build(loaded.content, loaded.patterns)
    }

    fn build(content: Content, patterns: Patterns) -> Knowledge {
        Knowledge {
            classifier: Classifier::new(&content, patterns.concerns),
            matchers: Matchers::new(patterns.answers),
            places: Places::new(&content).unwrap_or_else(|_| Places::empty()),
            content,
            cue_sets: OnceLock::new(),
        }
    }

    /// A message by key in `lang`. Keys are validated by `check`; a missing
    /// one shows the key rather than panicking.
    pub fn msg(&self, key: &str, lang: Lang) -> String {
        self.content
            .msg(key)
            .map(|t| t.get(lang).to_string())
            .unwrap_or_else(|| format!("[{key}]"))
    }

    pub fn text<'a>(&self, t: &'a Text, lang: Lang) -> &'a str {
        t.get(lang)
    }

    /// The routes' cue sets, built by `build` the first time they are asked
    /// for (`None` when they do not build).
    pub(crate) fn cue_sets(&self, build: impl FnOnce() -> Option<CueSets>) -> Option<&CueSets> {
        self.cue_sets.get_or_init(build).as_ref()
    }

    /// Compiles now what is otherwise compiled on first use, inside a
    /// turn: the routes' cue sets and the place cue and postcode regexes
    /// (the concern patterns and the answer and place names are built at
    /// load). Without it the first intake
    /// after a start or a recompile pays this once, tens of milliseconds
    /// on a few of its turns. The bot calls it on a blocking thread after
    /// READY and after each idle recompile; nothing depends on it.
    pub fn warm(&self) {
        crate::domain::recommend::warm(self);
        self.places.warm();
    }

    /// Concern ids detected in `text`.
    pub fn classify(&self, text: &str, lang: Lang) -> Vec<String> {
        self.classifier.classify(&self.content, text, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::Knowledge;

    #[test]
    fn warming_builds_what_the_first_recommendation_would() {
        let k = Knowledge::load_default().expect("shipped content");
        assert!(k.cue_sets.get().is_none(), "nothing is built before use");
        k.warm();
        assert!(
            k.cue_sets.get().is_some_and(Option::is_some),
            "the routes' cue sets are built and valid"
        );
    }
}
