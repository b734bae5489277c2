//! Shared by the fuzz targets: the shipped content, loaded once per process.

use llo_intake::domain::knowledge::Knowledge;
use std::sync::OnceLock;

/// The shipped content as the bot runs it.
pub fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}
