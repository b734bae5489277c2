//! Content plus its compiled matchers: everything the engine needs to know.
//! Built once at start-up and shared read-only.

use crate::content::text::{Lang, Text};
use crate::content::{Content, ContentError, Problem};
use crate::domain::nlu::classify::Classifier;
use crate::domain::nlu::matcher::Matchers;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Knowledge {
    pub content: Content,
    pub classifier: Classifier,
    pub matchers: Matchers,
}

impl Knowledge {
    /// Loads, validates and compiles the content in `dirs` (later directories
    /// add to and override earlier ones). Returns the warnings too.
    pub fn load(dirs: &[PathBuf]) -> Result<(Knowledge, Vec<Problem>), ContentError> {
        let (content, warnings) = Content::load(dirs)?;
        Ok((Knowledge::compile(content)?, warnings))
    }

    /// The shipped content (tests, benchmarks).
    pub fn load_default() -> Result<Knowledge, ContentError> {
        Knowledge::load(&crate::content::default_sources()).map(|(k, _)| k)
    }

    /// Compiles validated content.
    pub fn compile(content: Content) -> Result<Knowledge, ContentError> {
        let wrap = |e: crate::domain::nlu::classify::PatternError| ContentError {
            problems: vec![Problem::error("intents/", "", e.to_string())],
        };
        let classifier = Classifier::new(&content).map_err(wrap)?;
        let matchers = Matchers::new(&content).map_err(wrap)?;
        Ok(Knowledge {
            content,
            classifier,
            matchers,
        })
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

    /// Concern ids detected in `text`.
    pub fn classify(&self, text: &str, lang: Lang) -> Vec<String> {
        self.classifier.classify(&self.content, text, lang)
    }
}
