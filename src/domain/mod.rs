//! The domain: what an intake conversation is and how it moves, with no I/O,
//! no clock and no transport. Everything here is a pure function of content,
//! state, input and the time passed in.

pub mod conversation;
pub mod engine;
pub mod handoff;
pub mod knowledge;
pub mod nlu;
pub mod output;
pub mod recommend;
