//! llo-intake: an intake bot for Dutch regional lifelong-learning (LLO)
//! networks. It asks small-business owners about their staff worries first,
//! reflects them back, and points to routes, regional contacts and peers.
//!
//! # Layout
//! * [`text`]: languages, bilingual strings, text folding for matching.
//! * [`content`]: everything the bot says and knows, loaded from `intents/`
//!   (TOML), and [`content::check`], which validates it with file and key.
//! * [`classify`]: concern detection (one `RegexSet` over both languages,
//!   word lists, clause-level negation) and `--explain` for content editors.
//! * [`matcher`]: choice answers (id, number, label, alias, postcode) and
//!   conversation intents (stop, terug, coach, ...).
//! * [`knowledge`]: content plus compiled matchers, built once.
//! * [`engine`]: the pure intake state machine. No I/O, time passed in.
//! * [`handoff`]: hand-off to a coach as pure transitions (claim, transfer,
//!   hand back, close), the queue, reminders and support hours.
//! * [`recommend`]: ranking routes and picking contacts.
//! * [`output`]: the transport-neutral output model.
//! * [`store`]: sled persistence; one flushed transaction per turn.
//! * [`crypto`]: encryption at rest with per-user data keys (crypto-shredding).
//! * [`service`]: the one path every transport takes (engine + store).
//! * [`console`]: the terminal transport (text or JSON lines).
//! * [`eval`]: scoring the classifier on labelled data.
//! * [`summary`]: one structured summary per conversation (JSON, Markdown, CSV row).
//! * [`export`]: the network's exports (CSV for Excel, JSON lines, Markdown), filtered.
//! * [`privacy`]: own data, forgetting a user, and the retention sweep.
//! * [`config`]: the operator's configuration file.
//! * [`discord`]: the Discord transport (serenity + poise): events to turns,
//!   outputs to messages, slash commands (the hand-off's, `/export` and
//!   `/mijn-gegevens` among them), and the reliability guards; the hand-off
//!   to coaches (card, claim, relay, coach commands, reminder) is in
//!   `discord::handoff` and `discord::coach`.

pub mod classify;
pub mod config;
pub mod console;
pub mod content;
pub mod crypto;
pub mod discord;
pub mod engine;
pub mod eval;
pub mod export;
pub mod handoff;
pub mod knowledge;
pub mod matcher;
pub mod output;
pub mod privacy;
pub mod recommend;
pub mod service;
pub mod store;
pub mod summary;
pub mod text;
