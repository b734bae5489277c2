//! The application: the one path every transport takes ([`service`]), the
//! sled store that owns every table with personal data ([`store`], with
//! [`crypto`]), privacy, summaries, exports, evaluation and the operator's
//! settings.

pub mod crypto;
pub mod eval;
pub mod export;
pub mod privacy;
pub mod service;
pub mod settings;
pub mod store;
pub mod summary;

/// The message keys the application layer says by key (the service's
/// answer to an over-long message); `check` requires them.
pub const MESSAGE_KEYS: &[&str] = &["too_long"];
