//! Offers after the advice: what a person answered when the bot offered
//! something extra once the intake was done (an introduction to a peer, a
//! follow-up later). One sealed record per person and offer; the feature
//! that made the offer keeps its own tables beside it (the peer pool in
//! [`super::peers`]), this one only says yes, no or withdrawn, and when.
//!
//! Tree `offers`: user ref ‖ offer name -> [`OfferAnswer`] (JSON) sealed
//! with the user's data key. Forgetting a user, or erasing their last
//! conversation (the retention sweep), removes their rows
//! ([`Store::forget_offers`]); `/mijn-gegevens` lists them
//! ([`Store::offer_answers`]).

use super::{to_json, Store, StoreError};
use crate::app::crypto::UserRef;
use crate::content::text::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) const T_OFFERS: &[u8] = b"offers";

/// One person's answer to one offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferAnswer {
    /// The offer's name (`peers`, `followup`): the feature that made it.
    pub offer: String,
    /// Yes (and not withdrawn since).
    pub accepted: bool,
    /// When they answered (or withdrew).
    pub at: DateTime<Utc>,
    /// The conversation the offer followed, when it followed one.
    #[serde(default)]
    pub conversation: Option<String>,
    /// The language they were asked in.
    pub lang: Lang,
}

fn offer_key(r: &UserRef, offer: &str) -> Vec<u8> {
    let mut k = r.to_vec();
    k.extend_from_slice(offer.as_bytes());
    k
}

impl Store {
    /// Records `user`'s answer to an offer (replacing an earlier one). Flushed.
    pub fn set_offer_answer(&self, user: &str, answer: &OfferAnswer) -> Result<(), StoreError> {
        let _guard = self.shared();
        let r = self.uref(user);
        let k = offer_key(&r, &answer.offer);
        let sealed = self.keys.seal(&r, &[T_OFFERS, &k], &to_json(answer)?)?;
        self.offers.insert(k, sealed)?;
        self.db.flush()?;
        Ok(())
    }

    /// `user`'s answer to `offer`, if they gave one.
    pub fn offer_answer(&self, user: &str, offer: &str) -> Result<Option<OfferAnswer>, StoreError> {
        let k = offer_key(&self.uref(user), offer);
        match self.offers.get(&k)? {
            Some(v) => self.open_json(T_OFFERS, &k, &v),
            None => Ok(None),
        }
    }

    /// Every offer `user` answered, by offer name.
    pub fn offer_answers(&self, user: &str) -> Result<Vec<OfferAnswer>, StoreError> {
        let r = self.uref(user);
        let mut out = Vec::new();
        for kv in self.offers.scan_prefix(r) {
            let (k, v) = kv?;
            if let Some(a) = self.open_json::<OfferAnswer>(T_OFFERS, &k, &v)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// How many people said yes to `offer` and how many no (for exports:
    /// counts, never who).
    pub fn offer_counts(&self, offer: &str) -> Result<(usize, usize), StoreError> {
        let (mut yes, mut no) = (0, 0);
        for kv in self.offers.iter() {
            let (k, v) = kv?;
            if !k.ends_with(offer.as_bytes()) {
                continue;
            }
            match self.open_json::<OfferAnswer>(T_OFFERS, &k, &v) {
                Ok(Some(a)) if a.offer == offer && a.accepted => yes += 1,
                Ok(Some(a)) if a.offer == offer => no += 1,
                _ => {}
            }
        }
        Ok((yes, no))
    }

    /// Removes every offer answer of the person `r` (caller holds the
    /// exclusive lock, or the person's key is gone already).
    pub(super) fn forget_offers(&self, r: &UserRef) -> Result<(), StoreError> {
        for k in self.offers.scan_prefix(r).keys() {
            self.offers.remove(k?)?;
        }
        Ok(())
    }
}
