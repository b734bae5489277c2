//! llo-intake: an intake bot for Dutch regional lifelong-learning (LLO)
//! networks. It asks small-business owners about their staff worries first,
//! reflects them back, and points to routes, regional contacts and peers.
//!
//! # Layout
//!
//! Layers, each importing only those above it in this list (a test greps for
//! it: no `discord` outside `discord/`; no sled, serenity, poise, tokio or
//! clap in `content/` or `domain/`).
//!
//! * [`content`]: everything the bot says and knows, loaded from `intents/`
//!   (TOML): the schema, [`content::text`] (languages, bilingual strings,
//!   folding for matching), [`content::regions`] (municipalities and
//!   labour-market regions), [`content::check`], which validates it and
//!   names file and key, [`content::eligibility`] (who a route is for, its
//!   windows and reasons, checked), and [`content::patterns`], which compiles every
//!   pattern exactly as the bot runs it ([`content::load`] is the one path
//!   for `check` and the bot); [`content::embedded`] is the shipped
//!   `intents/` compiled in by `build.rs` (the default content).
//! * [`domain`]: the pure core. [`domain::conversation`] is the one
//!   conversation state (answers, script position, hand-off) that the engine
//!   and the hand-off transitions change; [`domain::engine`] is the intake state
//!   machine (no I/O, time passed in); [`domain::handoff`] the hand-off to a
//!   coach as transitions, the queue, reminders and support hours;
//!   [`domain::recommend`] ranks routes and picks contacts;
//!   [`domain::peers`] matches people for peer introductions and moves a
//!   proposal (coach approval, both say yes);
//!   [`domain::followup`] the follow-up weeks later (the due-time rule in
//!   Amsterdam daytime, the record's transitions);
//!   [`domain::output`] is the transport-neutral output model;
//!   [`domain::nlu`] detects concerns ([`domain::nlu::classify`]) and reads
//!   answers and intents ([`domain::nlu::matcher`]); [`domain::listen`]
//!   reads raw text first (markdown, option numbers, number words,
//!   headcounts, language); [`domain::places`] turns place names into
//!   municipalities; [`domain::knowledge`]
//!   is content plus its compiled matchers, built once.
//! * [`app`]: the application. [`app::service`] is the one path every
//!   transport takes (engine + store); [`app::store`] is sled, one flushed
//!   transaction per turn, and owns every table with personal data;
//!   [`app::crypto`] encrypts at rest with per-user data keys;
//!   [`app::privacy`] (own data, forgetting, retention), [`app::summary`],
//!   [`app::export`] (CSV, JSON lines, Markdown), [`app::report`] (aggregate
//!   statistics with small counts suppressed: HTML with SVG charts, CSV, and
//!   the `/stats` PNG drawn in-process), [`app::eval`] (scoring the
//!   classifier), [`app::peers`] (own peer data, counts), [`app::backup`] (backups taken by the process that holds
//!   the database, their expiry, restore, and opening with the upgrade path:
//!   backup, then [`app::store::migrate`]), [`app::followup`]
//!   (accepting, stopping and answering follow-ups, a coach reopened from
//!   one; the store's `followups` tree indexes them by due time),
//!   [`app::ops`] (the database check behind `check --config`),
//!   [`app::reload`] (the content the service runs, swapped whole by a
//!   validated reload; conversations on a removed step move on)
//!   and [`app::settings`] (the application's sections of the
//!   configuration file, integers bounded when read).
//! * Transports: [`console`] (text or JSON lines) and [`discord`] (serenity +
//!   poise: events to turns, outputs to messages, slash commands, the
//!   hand-off to coaches, `/export`, `/stats`, `/mijn-gegevens`, offers after the
//!   advice and peer introductions, reliability guards,
//!   the scheduled backups in its run loop, the follow-up DM and its loop;
//!   `discord::schedule` is the one periodic-loop shape they all use);
//!   its `[discord]` section is [`discord::config`]; [`discord::health`]
//!   serves `/healthz` and `/metrics` (`[health] listen`, counters in
//!   [`discord::metrics`]); `discord::reload` is `/reload-content` and SIGHUP.
//! * [`cli`]: the command line (clap), which wires the layers together;
//!   [`cli::config`] composes the whole configuration file from the layers'
//!   sections, `cli::ops` logging and the operator checks, `cli::backup`
//!   the `backup` and `restore` commands.
//!   `main.rs` only calls [`cli::main`].
//!
//! # Visibility
//!
//! A module is `pub` only when the integration tests (`tests/suite/`), the
//! benches or the fuzz targets reach into it; every other module is
//! `pub(crate)`, so the compiler reports what in it has no caller. To find
//! dead code in the `pub` modules too, make every module in this file private
//! with only `pub use cli::main;` left, and run `cargo check --lib`: what it
//! reports is either dead or used by tests alone (the last sweep, 2026-12-02,
//! left only test entry points such as `Store::open` and
//! `discord::run_with`).

pub mod app;
pub mod cli;
pub mod console;
pub mod content;
pub mod discord;
pub mod domain;
