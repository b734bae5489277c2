//! A whole conversation through the pure engine (so every matcher: intents,
//! choices, places, numbers, routes): the input is split into messages at
//! newlines; a message starting with `#` is a button id. Never panics; the
//! state always survives a JSON round trip (the store keeps it so); nothing
//! the bot says carries a steering character (ESC, bidi override, ...).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use llo_intake::content::text::{is_steering, Lang};
use llo_intake::domain::conversation::Conversation;
use llo_intake::domain::engine::{self, Input};
use llo_intake_fuzz::knowledge;

// The content loads once, before the first input (not inside the first
// input's time, which made it the "slowest unit").
fuzz_target!(init: { knowledge(); }, |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let k = knowledge();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let lang = if data.first().is_some_and(|b| b % 2 == 0) {
        Lang::Nl
    } else {
        Lang::En
    };
    let mut turn = engine::start(k, "c1", "u1", lang, now);
    for line in text.split('\n').take(64) {
        let input = match line.strip_prefix('#') {
            Some("resume") => Input::Resume,
            Some(ids) if ids.contains(',') => {
                Input::Choices(ids.split(',').map(str::to_string).collect())
            }
            Some(id) => Input::Choice(id.to_string()),
            None => Input::Text(line.to_string()),
        };
        turn = engine::handle(k, &turn.conversation, input, now);
        for o in &turn.outputs {
            assert!(!o.text().chars().any(is_steering), "{:?}", o.text());
        }
        let json = serde_json::to_string(&turn.conversation).expect("state serialises");
        let back: Conversation = serde_json::from_str(&json).expect("state reads back");
        assert_eq!(back, turn.conversation);
    }
});
