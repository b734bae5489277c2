//! Peer introductions on Discord ("ondernemers leren het liefst van andere
//! ondernemers"): opt-in after the advice or with `/kennismaken`
//! (`/meet-peers`), a match card for coaches, both people asked once, and a
//! private thread when both say yes. The pure rules are in
//! [`crate::domain::peers`], the sealed pool in the store
//! (`app/store/peers.rs`).
//!
//! * [`optin`]: the offer after the advice (through [`super::offers`]), the
//!   form for one line in their own words, `/kennismaken`, withdrawing.
//! * [`card`]: the match card in the coach channel (both packets, Approve,
//!   Approve and join, Reject).
//! * [`flow`]: matching, approval (with the coach's sentence), asking both,
//!   the introduction thread, and the loop that ends proposals whose time ran
//!   out and sends the quiet "het komt er nu niet van".
//!
//! Custom ids: `llo-peer:<what>[:<proposal or conversation>[:<flag>]]`.

pub(crate) mod card;
pub(crate) mod flow;
pub(crate) mod optin;

use super::errors::Answer;
use super::offers::Offer;
use super::{Bot, Error};
use serenity::all::{ComponentInteraction, CreateInteractionResponse, ModalInteraction};
use std::sync::Arc;

pub(crate) use flow::{after_forget, spawn_loop};
pub(crate) use optin::{after_intake, localize_name, own_line, peers_command};

/// The offer after the advice.
pub(crate) const OFFER: Offer = Offer {
    name: crate::domain::peers::OFFER,
    question: "peers_offer",
    consent: "peers_consent",
    yes: "peers_offer_yes",
    no: "peers_offer_no",
    label: "mydata_offer_peers",
};

const PREFIX: &str = "llo-peer:";

/// The text input of the peer forms (the fake Discord fills `answer`).
use super::render::FORM_INPUT;

/// Serialises changes to the pool and proposals (a match, two answers at
/// once): a load-change-save never races. Held for storage work only.
static PEERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) fn is_ours(custom_id: &str) -> bool {
    custom_id.starts_with(PREFIX)
}

fn id(parts: &[&str]) -> String {
    format!("{PREFIX}{}", parts.join(":"))
}

/// Whether peer introductions are offered (switched on, channels set).
pub(crate) fn active(bot: &Bot) -> bool {
    bot.config.peer_threads().is_some()
}

/// A click on one of the offer's buttons.
pub(crate) async fn on_offer(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    click: super::offers::Click,
) -> Result<(), Error> {
    optin::on_offer(bot, answer, ci, click).await
}

/// A click on a peer button (withdraw, the card's, a person's answer).
pub(crate) async fn on_component(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
) -> Result<(), Error> {
    let parts: Vec<&str> = ci.data.custom_id[PREFIX.len()..].split(':').collect();
    match parts.as_slice() {
        ["withdraw"] => optin::withdraw(bot, answer, ci).await,
        [what @ ("ok" | "okjoin" | "reject"), proposal] => {
            flow::on_card(bot, answer, ci, what, proposal).await
        }
        [what @ ("yes" | "no"), proposal] => {
            flow::on_answer(bot, answer, ci, *what == "yes", proposal).await
        }
        _ => {
            answer.first(CreateInteractionResponse::Acknowledge).await;
            Ok(())
        }
    }
}

/// A submitted peer form (their own line, the coach's sentence).
pub(crate) async fn on_form(
    bot: &Arc<Bot>,
    answer: &Answer,
    mi: &ModalInteraction,
) -> Result<(), Error> {
    let parts: Vec<&str> = mi.data.custom_id[PREFIX.len()..].split(':').collect();
    match parts.as_slice() {
        ["line", conversation] => optin::on_line(bot, answer, mi, conversation).await,
        ["note", proposal, join] => flow::on_note(bot, answer, mi, proposal, *join == "1").await,
        _ => {
            answer.first(CreateInteractionResponse::Acknowledge).await;
            Ok(())
        }
    }
}

/// The text of a form's input, trimmed.
fn form_text(mi: &ModalInteraction) -> String {
    super::render::form_text(mi).trim().to_string()
}
