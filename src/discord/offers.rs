//! Offers after the advice: the one way a feature asks a separate, opt-in
//! question once an intake is done (a peer introduction, a follow-up).
//!
//! How a feature uses it:
//! 1. Describe the offer as an [`Offer`] (its name and four content keys:
//!    the question, its own consent text, the yes and no labels).
//! 2. In [`super::intake::after_turn`], call [`ask`] when [`after_advice`]
//!    says the turn just finished an intake with recommendations. It asks
//!    once per person and offer (not again once they answered), in the
//!    channel of the turn, with a yes and a no button.
//! 3. The buttons carry `llo-offer:<name>:<conversation>:<y|n>` ([`Click`]);
//!    the event handler sends a click on offer `name` to that feature. The
//!    feature records the answer with [`record`] (the store's sealed `offers`
//!    table, [`crate::app::store::OfferAnswer`]) and answers the click, for
//!    example with [`answered`] (the offer message then shows the outcome
//!    and loses its buttons), or with a form first.
//!
//! Declining records a no and changes nothing else. `/mijn-gegevens` lists
//! every answer ([`super::privacy`]), and forgetting a person removes them
//! (`Store::forget_user`). A slash command of the feature may show the same
//! offer again at any time ([`message`]).

use super::render::{truncate, MAX_BUTTON_LABEL, MAX_CONTENT};
use super::Bot;
use crate::app::service::Reply;
use crate::app::store::{OfferAnswer, StoreError};
use crate::content::text::Lang;
use crate::domain::conversation::{HandoffReason, Status};
use crate::domain::engine::Event;
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, Http,
};
use std::sync::Arc;
use tracing::warn;

const PREFIX: &str = "llo-offer:";

/// An offer made after the advice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offer {
    /// Its name in custom ids and the `offers` table (`peers`, `followup`).
    pub name: &'static str,
    /// The question.
    pub question: &'static str,
    /// Its own consent text: what is shared or kept, and how to withdraw.
    pub consent: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    /// What `/mijn-gegevens` calls it.
    pub label: &'static str,
}

/// A click on an offer's button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Click {
    pub offer: String,
    /// The conversation the offer followed (may be empty: offered by command).
    pub conversation: String,
    pub yes: bool,
}

pub(crate) fn custom_id(offer: &str, conversation: &str, yes: bool) -> String {
    format!(
        "{PREFIX}{offer}:{conversation}:{}",
        if yes { "y" } else { "n" }
    )
}

pub(crate) fn parse(custom_id: &str) -> Option<Click> {
    let rest = custom_id.strip_prefix(PREFIX)?;
    let mut parts = rest.split(':');
    let (offer, conversation, answer) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || offer.is_empty() {
        return None;
    }
    let yes = match answer {
        "y" => true,
        "n" => false,
        _ => return None,
    };
    Some(Click {
        offer: offer.to_string(),
        conversation: conversation.to_string(),
        yes,
    })
}

/// The turn just finished an intake that showed recommendations (it ended,
/// or ended with a request for a coach).
pub(crate) fn after_advice(reply: &Reply) -> bool {
    !reply.conversation.recommended.is_empty()
        && reply.events.iter().any(|e| {
            matches!(
                e,
                Event::Finished {
                    status: Status::Ended
                } | Event::HandoffRequested {
                    reason: HandoffReason::OfferAccepted
                }
            )
        })
}

/// The text of an offer: the question, then its consent text.
pub(crate) fn text(bot: &Bot, offer: &Offer, lang: Lang) -> String {
    truncate(
        &format!(
            "{}\n\n{}",
            bot.msg(offer.question, lang),
            bot.msg(offer.consent, lang)
        ),
        MAX_CONTENT,
    )
}

/// The yes and no buttons of an offer.
pub(crate) fn buttons(
    bot: &Bot,
    offer: &Offer,
    conversation: &str,
    lang: Lang,
) -> Vec<CreateActionRow> {
    let b = |yes: bool, key: &str, style| {
        CreateButton::new(custom_id(offer.name, conversation, yes))
            .label(truncate(&bot.msg(key, lang), MAX_BUTTON_LABEL))
            .style(style)
    };
    vec![CreateActionRow::Buttons(vec![
        b(true, offer.yes, ButtonStyle::Success),
        b(false, offer.no, ButtonStyle::Secondary),
    ])]
}

/// The offer as a message.
pub(crate) fn message(bot: &Bot, offer: &Offer, conversation: &str, lang: Lang) -> CreateMessage {
    CreateMessage::new()
        .content(text(bot, offer, lang))
        .components(buttons(bot, offer, conversation, lang))
        .allowed_mentions(CreateAllowedMentions::new())
}

/// Asks `offer` in `channel` after `reply`'s intake, unless this person
/// answered it before. Returns whether it was asked.
pub(crate) async fn ask(
    bot: &Arc<Bot>,
    http: &Http,
    channel: ChannelId,
    offer: &Offer,
    reply: &Reply,
) -> bool {
    let (user, name) = (reply.conversation.user.clone(), offer.name);
    match bot
        .blocking(move |b| b.intake.store.offer_answer(&user, name))
        .await
    {
        Ok(None) => {}
        Ok(Some(_)) => return false,
        Err(e) => {
            warn!(error = %e, offer = name, "cannot read an offer answer");
            return false;
        }
    }
    let conv = &reply.conversation;
    let m = message(bot, offer, &conv.id, conv.lang);
    match channel.send_message(http, m).await {
        Ok(_) => true,
        Err(e) => {
            warn!(error = %e, offer = name, "cannot send an offer");
            false
        }
    }
}

/// Records `user`'s answer to `offer` (yes, or no/withdrawn).
pub(crate) async fn record(
    bot: &Arc<Bot>,
    user: &str,
    offer: &str,
    accepted: bool,
    conversation: Option<String>,
    lang: Lang,
) -> Result<(), StoreError> {
    let answer = OfferAnswer {
        offer: offer.to_string(),
        accepted,
        at: bot.now(),
        conversation: conversation.filter(|c| !c.is_empty()),
        lang,
    };
    let user = user.to_string();
    bot.blocking(move |b| b.intake.store.set_offer_answer(&user, &answer))
        .await
}

/// The response that turns the offer message into `text`, without buttons.
pub(crate) fn answered(text: &str) -> CreateInteractionResponse {
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new()
            .content(truncate(text, MAX_CONTENT))
            .components(Vec::new())
            .allowed_mentions(CreateAllowedMentions::new()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offer_click_round_trips_and_fits_discords_limit() {
        let id = custom_id("peers", "c000123", true);
        assert!(id.len() <= 100 && id.starts_with(PREFIX));
        assert_eq!(
            parse(&id),
            Some(Click {
                offer: "peers".into(),
                conversation: "c000123".into(),
                yes: true,
            })
        );
        assert!(!parse(&custom_id("followup", "", false)).unwrap().yes);
        assert_eq!(parse("llo-offer:peers:c1:maybe"), None);
        assert_eq!(parse("llo:b:c1:step:yes"), None);
    }
}
