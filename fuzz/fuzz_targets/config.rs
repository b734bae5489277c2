//! Any text as the operator's config file: parsing gives a config or an
//! error naming the problem, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llo_intake::cli::config::Config;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Config::parse(&text, Path::new("/etc/llo-intake/config.toml"));
});
