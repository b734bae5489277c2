//! Concern detection on any text, in both languages: never panics, and reads
//! no more than the input cap (the same answer for the text and its first
//! `MAX_TEXT_CHARS` characters).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llo_intake::content::text::{bounded, Lang};
use llo_intake_fuzz::knowledge;

// The content loads once, before the first input (not inside the first
// input's time, which made it the "slowest unit").
fuzz_target!(init: { knowledge(); }, |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let k = knowledge();
    let nl = k.classify(&text, Lang::Nl);
    let _ = k.classify(&text, Lang::En);
    assert_eq!(nl, k.classify(bounded(&text), Lang::Nl));
});
