//! The hand-off to a coach on Discord: the card in the coach channel, the
//! claim (first one wins), taking over, the relay between a DM and the coach
//! thread, and the one reminder. The state changes are the pure ones in
//! [`crate::domain::handoff`], committed through [`Intake::handoff`](crate::app::service::Intake::handoff)
//! under the entrepreneur's lock; this module only talks to Discord.
//!
//! Where coach and entrepreneur talk:
//! * thread mode: the coach is added to the entrepreneur's private intake
//!   thread and they talk there;
//! * dm mode: the bot opens a private thread for the coach in the coach
//!   channel and relays messages both ways. The entrepreneur keeps the DM
//!   they know and never needs access to coach channels; coaches keep their
//!   notes and colleagues out of the entrepreneur's sight.
//!
//! The card shows the person's mention (in the coach channel only, never
//! pinging). [`card::update_card`] is the one place a card is redrawn, and
//! [`card::erase_card`] turns it into a placeholder when a person's data is deleted.
//!
//! * [`card`]: the card, posting, redrawing, blanking.
//! * [`claim`]: the card's buttons, claiming, taking over.
//! * [`relay`]: after a turn, coach messages, the coach's words.
//! * [`reminders`]: the reminder loop.

use crate::app::store::StoreError;

pub(crate) mod card;
pub(crate) mod claim;
pub(crate) mod relay;
pub(crate) mod reminders;

pub(crate) use card::{clean_up, forgotten, requested, spawn_clean_up, update_card};
pub(crate) use claim::{claim_for, on_card_component};
pub(crate) use relay::{after_turn, coach_says, coach_thread_ended, on_guild_message};
pub(crate) use reminders::spawn_reminders;

/// Which coach thread (dm mode) belongs to which conversation: the
/// Discord-typed view of the store's links ([`crate::app::store::Link::CoachThread`],
/// written with the hand-off step that records the thread). Ids only; the
/// link goes when the conversation is erased.
#[derive(Clone)]
pub struct CoachThreads {
    store: crate::app::store::Store,
}

impl CoachThreads {
    pub fn open(store: &crate::app::store::Store) -> Result<CoachThreads, StoreError> {
        Ok(CoachThreads {
            store: store.clone(),
        })
    }

    pub fn conversation(&self, thread: u64) -> Result<Option<String>, StoreError> {
        self.store.coach_thread_conversation(&thread.to_string())
    }
}
