//! Seeded randomized conversations through the pure engine: hostile text
//! (control and bidi characters, markdown, mentions, 4,000 characters,
//! number words), valid and invalid button ids, resumes and hand-offs. Every
//! case must hold the engine's invariants. The seed of a failing case is in
//! the message, so it can be replayed.
//!
//! `LLO_RANDOM_CASES=1000000 cargo test --release --test suite randomized`
//! runs more inputs (CI runs the default, 10,000).

use chrono::{DateTime, Duration, TimeZone, Utc};
use llo_intake::content::text::Lang;
use llo_intake::domain::conversation::{Conversation, Status};
use llo_intake::domain::engine::{self, Input, Turn};
use llo_intake::domain::knowledge::Knowledge;
use std::sync::OnceLock;

fn k() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::load_default().expect("shipped content loads"))
}

/// xorshift64*: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Words and fragments people (and attackers) send.
const PIECES: &[&str] = &[
    "ja",
    "nee",
    "Ja!",
    "**Ja**",
    "ja\u{200b}",
    "1",
    "2",
    "3",
    "12",
    "0",
    "999999",
    "terug",
    "stop",
    "opnieuw",
    "coach",
    "mens",
    "help",
    "in English please",
    "Nederlands graag",
    "bouw",
    "bakkerij",
    "techniek",
    "zorg",
    "Utrecht",
    "Apeldoorn",
    "3511 AB",
    "38",
    "Bergen",
    "we vinden geen personeel",
    "mensen vertrekken",
    "vergrijzing",
    "niet vergrijzing",
    "klopt, alleen verzuim is niet het probleem",
    "we zijn met z'n twaalfen",
    "twintig",
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<script>alert(1)</script>",
    "| a | b |",
    "# kop",
    "`code`",
    "\u{1b}[31mrood\u{1b}[0m",
    "\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7}",
    "\u{202e}gnirts\u{202c}",
    "\u{0}",
    "\u{7}",
    "\u{85}",
    "🙂",
    "👩‍👩‍👧",
    "é\u{301}",
    "",
    " ",
    "\n\n",
    "-1-1-1-1",
];

fn random_text(rng: &mut Rng) -> String {
    match rng.below(10) {
        // Long: up to 4,000 characters of pieces or of one repeated character.
        0 => {
            let n = 1 + rng.below(4000);
            if rng.below(2) == 0 {
                let c = char::from_u32(rng.below(0x3000) as u32).unwrap_or('x');
                std::iter::repeat_n(c, n).collect()
            } else {
                let mut s = String::new();
                while s.chars().count() < n {
                    let piece = *rng.pick(PIECES);
                    s.push_str(piece);
                    s.push(' ');
                }
                s
            }
        }
        // Arbitrary code points, controls included.
        1 => (0..rng.below(40))
            .filter_map(|_| char::from_u32(rng.below(0x11_0000) as u32))
            .collect(),
        // A few pieces together.
        _ => (0..1 + rng.below(4))
            .map(|_| *rng.pick(PIECES))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn random_input(rng: &mut Rng, last: &Turn) -> Input {
    let choices: Vec<String> = last
        .question()
        .map(|q| q.choices.iter().map(|c| c.id.clone()).collect())
        .unwrap_or_default();
    match rng.below(20) {
        0..=9 => Input::Text(random_text(rng)),
        10..=14 if !choices.is_empty() => Input::Choice(rng.pick(&choices).clone()),
        15 if !choices.is_empty() => Input::Choices(
            (0..1 + rng.below(3))
                .map(|_| rng.pick(&choices).clone())
                .collect(),
        ),
        16 => Input::Choice(random_text(rng)),
        17 => Input::Resume,
        18 => Input::Handback,
        _ => Input::ModeratorHandoff,
    }
}

/// What must hold after every turn.
fn check(turn: &Turn, seed: u64, n: usize) -> Result<(), String> {
    let c: &Conversation = &turn.conversation;
    let at = format!("seed {seed}, input {n}");
    let back: Conversation = serde_json::from_str(
        &serde_json::to_string(c).map_err(|e| format!("{at}: state does not serialise: {e}"))?,
    )
    .map_err(|e| format!("{at}: state does not read back: {e}"))?;
    if &back != c {
        return Err(format!("{at}: state changes through JSON"));
    }
    match c.status {
        Status::Active => {
            let Some(step) = c.step.as_deref() else {
                return Err(format!("{at}: active without a pending step"));
            };
            if k().content.step(step).is_none() {
                return Err(format!("{at}: pending step {step:?} is not in the content"));
            }
            if turn.question().is_none() {
                return Err(format!("{at}: active, but the bot asked nothing"));
            }
        }
        Status::Handoff => {
            if c.handoff.is_none() {
                return Err(format!("{at}: hand-off status without a hand-off"));
            }
        }
        Status::Ended | Status::Stopped | Status::Declined => {
            if c.step.is_some() {
                return Err(format!("{at}: finished with a pending step"));
            }
        }
    }
    if let Some(key) = turn.outputs.iter().find_map(|o| missing_key(o.text())) {
        return Err(format!(
            "{at}: message key {key:?} is missing from the content"
        ));
    }
    Ok(())
}

/// `Knowledge::msg` shows a missing key as `[key]`: find one.
fn missing_key(text: &str) -> Option<String> {
    text.split('[').skip(1).find_map(|rest| {
        let key = rest.split(']').next()?;
        let looks_like_key = key.len() > 2
            && rest.contains(']')
            && key.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_');
        (looks_like_key && k().content.msg(key).is_none()).then(|| key.to_string())
    })
}

fn cases() -> usize {
    std::env::var("LLO_RANDOM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn random_conversations_keep_the_engine_invariants() {
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
    let total = cases();
    let mut done = 0;
    let mut seed = 1u64;
    let mut statuses = std::collections::BTreeMap::new();
    while done < total {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let lang = if rng.below(2) == 0 {
            Lang::Nl
        } else {
            Lang::En
        };
        let mut turn = engine::start(k(), "c1", "u1", lang, t0);
        check(&turn, seed, 0).unwrap();
        for n in 1..=1 + rng.below(24) {
            let input = random_input(&mut rng, &turn);
            let now = t0 + Duration::seconds(n as i64);
            let next = engine::handle(k(), &turn.conversation, input.clone(), now);
            let again = engine::handle(k(), &turn.conversation, input.clone(), now);
            assert_eq!(
                next, again,
                "seed {seed}, input {n}: the engine is not deterministic"
            );
            if let Err(e) = check(&next, seed, n) {
                panic!("{e}\ninput: {input:?}\nbefore: {:?}", turn.conversation);
            }
            turn = next;
            done += 1;
            if turn.conversation.status.is_finished() {
                break;
            }
        }
        *statuses
            .entry(format!("{:?}", turn.conversation.status))
            .or_insert(0usize) += 1;
        seed += 1;
    }
    // The generator reaches every kind of ending, so the invariants were
    // checked on every status and not only on the first question.
    for s in ["Active", "Handoff", "Ended", "Stopped", "Declined"] {
        assert!(
            statuses.get(s).copied().unwrap_or(0) > 0,
            "no conversation ended {s}: {statuses:?}"
        );
    }
}
