//! The integration tests, in one crate so that they link once. Each module
//! is one area; `support` is the fake Discord, `privacy_support` seeds stores.

mod backup;
mod classifier;
mod classifier_snapshot;
mod cli;
mod content_check;
mod content_regions;
mod content_routes;
mod crash;
mod discord_catch_up;
mod discord_export;
mod discord_handoff;
mod discord_intake;
mod discord_peers;
mod engine;
mod export_cli;
mod golden;
mod handoff_core;
mod health;
mod layers;
mod listening;
mod ops;
mod personas;
mod pipes;
mod privacy_consent;
mod privacy_erasure;
mod privacy_own_data;
mod privacy_retention;
mod privacy_support;
mod randomized;
mod reload;
mod report;
mod store_links;
mod store_recovery;
mod support;
mod transcript_lines;
