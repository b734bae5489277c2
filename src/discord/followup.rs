//! The follow-up on Discord ([`crate::domain::followup`]): the offer after
//! the advice, the one DM at the due time, its buttons, the note form, "stop".
//!
//! * Offer: after a turn that ended an intake with advice, the bot asks
//!   "Mag ik over {follow_up_days} dagen vragen hoe het ging?" with two
//!   buttons. Yes schedules it ([`followup::accept`]: sealed, indexed by due time).
//! * Sending: [`spawn_follow_ups`] wakes every minute (or per test tick),
//!   takes what is due from the store's index and sends each one DM. A
//!   follow-up is marked sent before it is sent ([`Store::claim_follow_up`](crate::app::store::Store::claim_follow_up)),
//!   so after a crash or restart it never goes twice.
//! * The DM: did it help (four buttons), which route or contact (a select
//!   of what they were shown), "Iets toevoegen" (a form), "Ik wil een coach
//!   spreken" (reopens a hand-off: the card goes to the coaches as after any
//!   request) and "Stop met vragen". Every answer is kept on the sealed
//!   follow-up record of the conversation.
//! * "stop" typed in the DM, when no intake is running, cancels what is scheduled.
//!
//! Custom ids carry the conversation: `llofu:<kind>:<conversation>[:<value>]`;
//! every click is checked against the clicking user, so nobody answers
//! someone else's follow-up. Clicks are acknowledged first (3 seconds).

use super::errors::Answer;
use super::guard::over_limit;
use super::offers::{self, Click, Offer};
use super::render::{
    form_text, truncate, FORM_INPUT as NOTE_INPUT, MAX_BUTTON_LABEL, MAX_CONTENT, MAX_OPTIONS,
    MAX_OPTION_LABEL,
};
use super::send::say;
use super::Bot;
use crate::app::followup::{self as app, Part, Refused, Reopened};
use crate::app::service::Reply;
use crate::app::store::{Entry, Role, StoreError};
use crate::content::text::{fill, join_list, Lang};
use crate::domain::conversation::Conversation;
use crate::domain::followup::{self as core, FollowUp, Helped};
use serenity::all::{
    ActionRow, ActionRowComponent, ButtonKind, ButtonStyle, ChannelId, ComponentInteraction,
    ComponentInteractionDataKind, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateInputText, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    CreateModal, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, Http,
    InputTextStyle, Message, ModalInteraction, UserId,
};
use std::sync::Arc;
use tracing::{debug, error, info, warn};

const PREFIX: &str = "llofu:";
/// At most this many follow-ups are sent per pass; the rest wait a minute.
const BATCH: usize = 50;
/// How often the loop looks for due follow-ups.
const EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The message keys this feature says (required by `check`).
pub const MESSAGE_KEYS: &[&str] = &[
    "followup_offer",
    "followup_offer_consent",
    "followup_offer_label",
    "followup_offer_yes",
    "followup_offer_no",
    "followup_scheduled",
    "followup_declined",
    "followup_ask",
    "followup_ask_general",
    "followup_helped_yes",
    "followup_helped_somewhat",
    "followup_helped_no",
    "followup_helped_not_yet",
    "followup_route_placeholder",
    "followup_route_none",
    "followup_note_button",
    "followup_note_title",
    "followup_note_label",
    "followup_coach_button",
    "followup_stop_button",
    "followup_thanks",
    "followup_thanks_not_yet",
    "followup_stopped",
    "followup_nothing_to_stop",
    "followup_gone",
    "followup_coach_busy",
    "followup_coach_already",
    "followup_state_none",
    "followup_state_scheduled",
    "followup_state_sent",
    "followup_state_cancelled",
    "followup_state_undeliverable",
    "mydata_follow_up",
    "transcript_follow_up_sent",
];

/// Whether a component or form belongs to the follow-up.
pub fn is_ours(custom_id: &str) -> bool {
    custom_id.starts_with(PREFIX)
}

/// A decoded follow-up custom id.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Id {
    Helped {
        conversation: String,
        helped: Helped,
    },
    Route {
        conversation: String,
    },
    Note {
        conversation: String,
    },
    NoteSubmit {
        conversation: String,
    },
    Coach {
        conversation: String,
    },
    Stop {
        conversation: String,
    },
}

impl Id {
    fn encode(&self) -> String {
        match self {
            Id::Helped {
                conversation,
                helped,
            } => format!("{PREFIX}h:{conversation}:{}", helped.id()),
            Id::Route { conversation } => format!("{PREFIX}r:{conversation}"),
            Id::Note { conversation } => format!("{PREFIX}n:{conversation}"),
            Id::NoteSubmit { conversation } => format!("{PREFIX}m:{conversation}"),
            Id::Coach { conversation } => format!("{PREFIX}c:{conversation}"),
            Id::Stop { conversation } => format!("{PREFIX}x:{conversation}"),
        }
    }

    fn parse(s: &str) -> Option<Id> {
        let rest = s.strip_prefix(PREFIX)?;
        let mut parts = rest.splitn(3, ':');
        let kind = parts.next()?;
        let conversation = parts.next().filter(|c| !c.is_empty())?.to_string();
        let value = parts.next();
        Some(match (kind, value) {
            ("h", Some(v)) => Id::Helped {
                conversation,
                helped: Helped::parse(v)?,
            },
            ("r", None) => Id::Route { conversation },
            ("n", None) => Id::Note { conversation },
            ("m", None) => Id::NoteSubmit { conversation },
            ("c", None) => Id::Coach { conversation },
            ("x", None) => Id::Stop { conversation },
            _ => return None,
        })
    }
}

/// The dedupe key of an interaction (as the intake's).
fn interaction_event(id: impl std::fmt::Display) -> String {
    format!("discord:i:{id}")
}

fn button(bot: &Bot, id: Id, key: &str, lang: Lang, style: ButtonStyle) -> CreateButton {
    CreateButton::new(id.encode())
        .label(truncate(&bot.msg(key, lang), MAX_BUTTON_LABEL))
        .style(style)
}

/// A local date for the person (`03-12-2026`).
fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&core::TIMEZONE)
        .format("%d-%m-%Y")
        .to_string()
}

// ----- the offer -----

/// The follow-up as an offer after the advice ([`offers`]): its buttons
/// carry `llo-offer:followup:<conversation>:<y|n>`, `/mijn-gegevens` lists
/// the answer.
pub(crate) const OFFER: Offer = Offer {
    name: core::OFFER,
    question: "followup_offer",
    consent: "followup_offer_consent",
    yes: "followup_offer_yes",
    no: "followup_offer_no",
    label: "followup_offer_label",
};

/// After a turn: when it ended an intake with advice (and follow-ups are
/// on), the offer. Runs after the reply was sent, under the person's lock.
pub(crate) async fn after_turn(bot: &Arc<Bot>, http: &Http, reply: &Reply, channel: ChannelId) {
    let cfg = &bot.config.followup;
    // Asked after every intake that ends with advice (not once per person,
    // as `offers::ask` does): each conversation has its own follow-up.
    if !cfg.enabled || !offers::after_advice(reply) || !core::can_offer(&reply.conversation) {
        return;
    }
    let conv = &reply.conversation;
    let lang = conv.lang;
    let text = fill(
        &offers::text(bot, &OFFER, lang),
        &[("follow_up_days", &cfg.follow_up_days.to_string())],
    );
    let m = CreateMessage::new()
        .content(truncate(&text, MAX_CONTENT))
        .components(offers::buttons(bot, &OFFER, &conv.id, lang))
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = channel.send_message(http, m).await {
        warn!(error = %e, "cannot send the follow-up offer");
        return;
    }
    let (cid, line) = (conv.id.clone(), Entry::new(bot.now(), Role::Bot, text));
    if let Err(e) = bot
        .blocking(move |b| b.intake.store.append(&cid, &[line]))
        .await
    {
        warn!(error = %e, "cannot record the follow-up offer");
    }
}

// ----- sending -----

/// Starts the loop that sends due follow-ups: every minute, or one pass per
/// test tick ([`super::Hooks::follow_up_ticks`]). Due times are in the
/// store, so a restart picks up exactly what is still due.
pub(crate) fn spawn_follow_ups(bot: &Arc<Bot>, http: Arc<Http>) {
    super::schedule::spawn_every(bot, &bot.follow_up_ticks, EVERY, move |bot, _| {
        let http = http.clone();
        async move {
            pass(&bot, &http).await;
        }
    });
}

/// One pass: every follow-up due now (from the index), one DM each, then
/// the `followups_due` gauge set to what is still due (more than a pass
/// sends, or agreed while the feature is off). Returns how many went out.
pub async fn pass(bot: &Arc<Bot>, http: &Http) -> usize {
    let Some(_pass) = bot.gate.enter() else {
        return 0;
    };
    let sent = send_due(bot, http).await;
    let now = bot.now();
    match bot
        .blocking(move |b| b.intake.store.follow_ups_due(now))
        .await
    {
        Ok(n) => bot.metrics.set_followups_due(n),
        Err(e) => warn!(error = %e, "cannot count the follow-ups due"),
    }
    sent
}

/// Sends up to [`BATCH`] due follow-ups; how many went out.
async fn send_due(bot: &Arc<Bot>, http: &Http) -> usize {
    if !bot.config.followup.enabled {
        return 0;
    }
    let now = bot.now();
    let due = match bot
        .blocking(move |b| b.intake.store.due_follow_ups(now, BATCH))
        .await
    {
        Ok(d) => d,
        Err(e) => {
            warn!(error = %e, "follow-up pass cannot read the due index");
            return 0;
        }
    };
    let mut sent = 0;
    for id in due {
        if send_one(bot, http, &id, now).await {
            sent += 1;
        }
    }
    if sent > 0 {
        info!(sent, "follow-ups sent");
    }
    sent
}

/// Claims one follow-up (marked sent, out of the index) and sends its DM.
async fn send_one(
    bot: &Arc<Bot>,
    http: &Http,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let cid = id.to_string();
    let claimed = bot
        .blocking(move |b| b.intake.store.claim_follow_up(&cid, now))
        .await;
    let f = match claimed {
        Ok(Some(f)) => f,
        Ok(None) => return false,
        Err(e) => {
            warn!(error = %e, "cannot claim a follow-up");
            return false;
        }
    };
    let _lock = bot.locks.lock(&f.user).await;
    let Some(conv) = bot.conversation(&f.conversation).await else {
        return false;
    };
    let (text, rows) = ask(bot, &conv, &f);
    let delivered = match f.user.parse::<u64>().ok().filter(|u| *u != 0) {
        Some(u) => match UserId::new(u).create_dm_channel(http).await {
            Ok(dm) => {
                let m = CreateMessage::new()
                    .content(truncate(&text, MAX_CONTENT))
                    .components(rows);
                dm.id.send_message(http, m).await.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        },
        None => Err("not a Discord user id".to_string()),
    };
    match delivered {
        Ok(_) => {
            let lang = conv.lang;
            let lines = vec![
                Entry::new(
                    now,
                    Role::System,
                    bot.msg("transcript_follow_up_sent", lang),
                ),
                Entry::new(now, Role::Bot, text),
            ];
            let cid = conv.id.clone();
            if let Err(e) = bot
                .blocking(move |b| b.intake.store.append(&cid, &lines))
                .await
            {
                warn!(error = %e, "cannot record the follow-up in the transcript");
            }
            debug!(conversation = %conv.id, "follow-up sent");
            true
        }
        Err(e) => {
            warn!(error = %e, "cannot send a follow-up; marked undeliverable");
            let failed = f.undeliverable();
            if let Err(e) = bot
                .blocking(move |b| b.intake.store.save_follow_up(&failed))
                .await
            {
                error!(error = %e, "cannot record an undeliverable follow-up");
            }
            false
        }
    }
}

/// The follow-up DM: its text and components.
fn ask(bot: &Bot, conv: &Conversation, f: &FollowUp) -> (String, Vec<CreateActionRow>) {
    let lang = f.lang;
    let knowledge = bot.intake.knowledge();
    let content = &knowledge.content;
    let concerns: Vec<String> = conv
        .answers
        .concerns
        .iter()
        .filter_map(|id| content.concern(id).map(|c| c.label.get(lang).to_string()))
        .collect();
    let text = if concerns.is_empty() {
        bot.msg("followup_ask_general", lang)
    } else {
        fill(
            &bot.msg("followup_ask", lang),
            &[("concerns", &join_list(&concerns, &bot.msg("and", lang)))],
        )
    };
    let c = conv.id.clone();
    let helped = Helped::ALL
        .iter()
        .map(|h| {
            button(
                bot,
                Id::Helped {
                    conversation: c.clone(),
                    helped: *h,
                },
                &format!("followup_helped_{}", h.id()),
                lang,
                ButtonStyle::Primary,
            )
        })
        .collect();
    let mut options: Vec<CreateSelectMenuOption> = core::shown(conv)
        .into_iter()
        .map(|id| {
            let label = content
                .route(&id)
                .map(|r| r.title.get(lang).to_string())
                .or_else(|| content.contact(&id).map(|x| x.name.clone()))
                .unwrap_or_else(|| id.clone());
            CreateSelectMenuOption::new(truncate(&label, MAX_OPTION_LABEL), id)
        })
        .take(MAX_OPTIONS - 1)
        .collect();
    options.push(CreateSelectMenuOption::new(
        truncate(&bot.msg("followup_route_none", lang), MAX_OPTION_LABEL),
        core::NO_ROUTE,
    ));
    let route = CreateSelectMenu::new(
        Id::Route {
            conversation: c.clone(),
        }
        .encode(),
        CreateSelectMenuKind::String { options },
    )
    .placeholder(truncate(
        &bot.msg("followup_route_placeholder", lang),
        super::render::MAX_PLACEHOLDER,
    ));
    let more = vec![
        button(
            bot,
            Id::Note {
                conversation: c.clone(),
            },
            "followup_note_button",
            lang,
            ButtonStyle::Secondary,
        ),
        button(
            bot,
            Id::Coach {
                conversation: c.clone(),
            },
            "followup_coach_button",
            lang,
            ButtonStyle::Secondary,
        ),
        button(
            bot,
            Id::Stop { conversation: c },
            "followup_stop_button",
            lang,
            ButtonStyle::Danger,
        ),
    ];
    let rows = vec![
        CreateActionRow::Buttons(helped),
        CreateActionRow::SelectMenu(route),
        CreateActionRow::Buttons(more),
    ];
    (text, rows)
}

// ----- clicks and the form -----

/// The components of a follow-up message after a click: the clicked part
/// is marked answered (a helped button: its whole row; the menu: the pick
/// shown; another button: that one), the rest stays usable. Stop disables all.
fn marked(rows: &[ActionRow], clicked: &str, picked: &[String], all: bool) -> Vec<CreateActionRow> {
    let helped_row = |row: &ActionRow| {
        row.components.iter().any(|c| {
            matches!(c, ActionRowComponent::Button(b)
                if matches!(&b.data, ButtonKind::NonLink { custom_id, .. } if custom_id == clicked))
        }) && clicked.starts_with(&format!("{PREFIX}h:"))
    };
    rows.iter()
        .filter_map(|row| {
            let whole = all || helped_row(row);
            let mut buttons = Vec::new();
            let mut menu = None;
            for c in &row.components {
                match c {
                    ActionRowComponent::Button(b) => {
                        let mut b2 = b.clone();
                        let mut off = whole;
                        if let ButtonKind::NonLink { custom_id, style } = &mut b2.data {
                            if custom_id == clicked {
                                *style = ButtonStyle::Success;
                                off = true;
                            }
                        }
                        buttons.push(CreateButton::from(b2).disabled(off || b.disabled));
                    }
                    ActionRowComponent::SelectMenu(s) => {
                        let id = s.custom_id.clone().unwrap_or_default();
                        let is_it = id == clicked;
                        let options = s
                            .options
                            .iter()
                            .map(|o| {
                                let on = if is_it {
                                    picked.contains(&o.value)
                                } else {
                                    o.default
                                };
                                CreateSelectMenuOption::new(o.label.clone(), o.value.clone())
                                    .default_selection(on)
                            })
                            .collect();
                        let mut m =
                            CreateSelectMenu::new(id, CreateSelectMenuKind::String { options })
                                .disabled(all || is_it || s.disabled);
                        if let Some(p) = &s.placeholder {
                            m = m.placeholder(p.clone());
                        }
                        menu = Some(m);
                    }
                    _ => {}
                }
            }
            match menu {
                Some(m) => Some(CreateActionRow::SelectMenu(m)),
                None if !buttons.is_empty() => Some(CreateActionRow::Buttons(buttons)),
                None => None,
            }
        })
        .collect()
}

/// A click on a follow-up component.
pub(crate) async fn on_component(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
) -> Result<(), super::Error> {
    let Some(id) = Id::parse(&ci.data.custom_id) else {
        answer.first(CreateInteractionResponse::Acknowledge).await;
        return Ok(());
    };
    if let Some(refusal) = over_limit(bot, ci.user.id, answer.lang) {
        answer.first(refusal).await;
        return Ok(());
    }
    if let Id::Note { conversation } = &id {
        // A form can only be the first response.
        let lang = answer.lang;
        let form = CreateModal::new(
            Id::NoteSubmit {
                conversation: conversation.clone(),
            }
            .encode(),
            truncate(&bot.msg("followup_note_title", lang), 45),
        )
        .components(vec![CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Paragraph,
                truncate(&bot.msg("followup_note_label", lang), 45),
                NOTE_INPUT,
            )
            .max_length(app::MAX_NOTE_CHARS as u16)
            .required(false),
        )]);
        answer.first(CreateInteractionResponse::Modal(form)).await;
        return Ok(());
    }
    let picked = match &ci.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.clone(),
        _ => Vec::new(),
    };
    let all = matches!(id, Id::Stop { .. });
    let rows = marked(&ci.message.components, &ci.data.custom_id, &picked, all);
    let ack = CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new().components(rows),
    );
    if !answer.first(ack).await {
        return Ok(());
    }
    let (user, channel, event) = (ci.user.id, ci.channel_id, interaction_event(ci.id));
    match id {
        Id::Helped {
            conversation,
            helped,
        } => {
            let part = Part::Helped(helped);
            record(bot, answer, user, channel, event, &conversation, part).await
        }
        Id::Route { conversation } => match picked.first() {
            Some(v) => {
                let part = Part::Route(v.clone());
                record(bot, answer, user, channel, event, &conversation, part).await
            }
            None => Ok(()),
        },
        Id::Coach { conversation } => coach(bot, answer, user, channel, event, &conversation).await,
        Id::Stop { .. } => stop(bot, answer, user, channel, event).await,
        Id::Note { .. } | Id::NoteSubmit { .. } => Ok(()),
    }
}

/// Runs `work` under the person's lock, once per interaction id.
async fn once<T: Send + 'static>(
    bot: &Arc<Bot>,
    user: UserId,
    event: String,
    work: impl FnOnce(&Bot, chrono::DateTime<chrono::Utc>) -> Result<T, Refused> + Send + 'static,
) -> Result<Option<T>, Refused> {
    let _lock = bot.locks.lock(&user.to_string()).await;
    let now = bot.now();
    let ttl = bot.config.dedupe_ttl();
    bot.blocking(move |b| -> Result<Option<T>, Refused> {
        let Some(seen) = b.intake.store.sighting(&event, now, ttl)? else {
            return Ok(None);
        };
        let done = work(b, now)?;
        b.intake.store.record_sighting(&seen)?;
        Ok(Some(done))
    })
    .await
}

impl From<super::TaskFailed> for Refused {
    fn from(e: super::TaskFailed) -> Self {
        Refused::Store(e.into())
    }
}

/// Tells the person why nothing happened, or hands an error to the one error path.
async fn refused(bot: &Bot, answer: &Answer, e: Refused) -> Result<(), super::Error> {
    match e {
        Refused::Gone | Refused::Rule(_) => {
            answer.tell(&bot.msg("followup_gone", answer.lang)).await;
            Ok(())
        }
        Refused::Store(e) => Err(e.into()),
    }
}

/// A click on the offer's yes or no: yes schedules the follow-up; the
/// offer message then says when (or that it will not come), without buttons.
pub(crate) async fn on_offer(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    click: Click,
) -> Result<(), super::Error> {
    let user = ci.user.id;
    let (cid, uid) = (click.conversation.clone(), user.to_string());
    let days = bot.config.followup.follow_up_days;
    let enabled = bot.config.followup.enabled;
    let yes = click.yes;
    let r = once(bot, user, interaction_event(ci.id), move |b, now| {
        let conv = b
            .intake
            .store
            .conversation(&cid)?
            .filter(|c| c.user == uid)
            .ok_or(Refused::Gone)?;
        if !yes || !enabled {
            return Ok((conv.lang, None));
        }
        app::accept(&b.intake, &cid, &uid, days, now).map(|f| (conv.lang, Some(f)))
    })
    .await;
    let (lang, text) = match r {
        Ok(None) => {
            answer.first(CreateInteractionResponse::Acknowledge).await;
            return Ok(());
        }
        Ok(Some((lang, Some(f)))) => (
            lang,
            fill(
                &bot.msg("followup_scheduled", lang),
                &[("date", &date(f.due))],
            ),
        ),
        Ok(Some((lang, None))) => (lang, bot.msg("followup_declined", lang)),
        Err(e) => return refused(bot, answer, e).await,
    };
    let accepted = yes && enabled;
    let conv = Some(click.conversation);
    offers::record(bot, &user.to_string(), OFFER.name, accepted, conv, lang).await?;
    answer.first(offers::answered(&text)).await;
    Ok(())
}

async fn record(
    bot: &Arc<Bot>,
    answer: &Answer,
    user: UserId,
    channel: ChannelId,
    event: String,
    conversation: &str,
    part: Part,
) -> Result<(), super::Error> {
    let (cid, uid) = (conversation.to_string(), user.to_string());
    let r = once(bot, user, event, move |b, now| {
        app::answer(&b.intake, &cid, &uid, part, now)
    })
    .await;
    let f = match r {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(()),
        Err(e) => return refused(bot, answer, e).await,
    };
    let key = if f.answer.helped == Some(Helped::NotYet) && f.answer.route.is_none() {
        "followup_thanks_not_yet"
    } else {
        "followup_thanks"
    };
    say(&answer.http, channel, &bot.msg(key, f.lang)).await;
    Ok(())
}

async fn coach(
    bot: &Arc<Bot>,
    answer: &Answer,
    user: UserId,
    channel: ChannelId,
    event: String,
    conversation: &str,
) -> Result<(), super::Error> {
    let (cid, uid) = (conversation.to_string(), user.to_string());
    // The card is posted under the person's lock, as after any turn.
    let _lock = bot.locks.lock(&user.to_string()).await;
    let now = bot.now();
    let ttl = bot.config.dedupe_ttl();
    let r = bot
        .blocking(move |b| -> Result<Option<(Lang, Reopened)>, Refused> {
            let Some(seen) = b.intake.store.sighting(&event, now, ttl)? else {
                return Ok(None);
            };
            let lang = b
                .intake
                .store
                .follow_up(&cid)?
                .map_or(b.intake.default_lang, |f| f.lang);
            let r = app::reopen_for_coach(&b.intake, &cid, &uid, now)?;
            b.intake.store.record_sighting(&seen)?;
            Ok(Some((lang, r)))
        })
        .await;
    match r {
        Ok(None) => {}
        Ok(Some((_, Reopened::Requested(reply)))) => {
            for o in &reply.outputs {
                say(&answer.http, channel, o.text()).await;
            }
            super::handoff::after_turn(bot, &answer.http, &reply, channel, None).await;
        }
        Ok(Some((lang, Reopened::Already))) => {
            say(
                &answer.http,
                channel,
                &bot.msg("followup_coach_already", lang),
            )
            .await;
        }
        Ok(Some((lang, Reopened::Busy))) => {
            say(&answer.http, channel, &bot.msg("followup_coach_busy", lang)).await;
        }
        Err(e) => return refused(bot, answer, e).await,
    }
    Ok(())
}

async fn stop(
    bot: &Arc<Bot>,
    answer: &Answer,
    user: UserId,
    channel: ChannelId,
    event: String,
) -> Result<(), super::Error> {
    let uid = user.to_string();
    let r = once(bot, user, event, move |b, now| {
        app::stop(&b.intake, &uid, now).map_err(Refused::from)
    })
    .await;
    match r {
        Ok(Some(_)) => {
            say(
                &answer.http,
                channel,
                &bot.msg("followup_stopped", answer.lang),
            )
            .await
        }
        Ok(None) => true,
        Err(e) => return refused(bot, answer, e).await,
    };
    Ok(())
}

/// The note form was submitted.
pub(crate) async fn on_form(
    bot: &Arc<Bot>,
    answer: &Answer,
    mi: &ModalInteraction,
) -> Result<(), super::Error> {
    let Some(Id::NoteSubmit { conversation }) = Id::parse(&mi.data.custom_id) else {
        answer.first(CreateInteractionResponse::Acknowledge).await;
        return Ok(());
    };
    if let Some(refusal) = over_limit(bot, mi.user.id, answer.lang) {
        answer.first(refusal).await;
        return Ok(());
    }
    let ack = match &mi.message {
        Some(m) => {
            let opener = Id::Note {
                conversation: conversation.clone(),
            }
            .encode();
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(marked(
                    &m.components,
                    &opener,
                    &[],
                    false,
                )),
            )
        }
        None => CreateInteractionResponse::Acknowledge,
    };
    if !answer.first(ack).await {
        return Ok(());
    }
    let text = form_text(mi);
    record(
        bot,
        answer,
        mi.user.id,
        mi.channel_id,
        interaction_event(mi.id),
        &conversation,
        Part::Note(text),
    )
    .await
}

// ----- "stop" typed -----

/// Whether a typed message says stop.
fn says_stop(text: &str) -> bool {
    let t: String = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation())
        .to_lowercase();
    matches!(t.as_str(), "stop" | "stoppen" | "stop maar" | "stop asking")
}

/// A DM "stop" while no intake is running: cancels what is scheduled and
/// says so. Returns whether the message was this (so no turn follows).
pub(crate) async fn on_stop_message(bot: &Arc<Bot>, http: &Http, msg: &Message) -> bool {
    if msg.guild_id.is_some() || !says_stop(&msg.content) {
        return false;
    }
    let user = msg.author.id.to_string();
    let _lock = bot.locks.lock(&user).await;
    let now = bot.now();
    let ttl = bot.config.dedupe_ttl();
    let event = format!("discord:m:{}", msg.id);
    let r = bot
        .blocking(move |b| -> Result<Option<(Lang, usize)>, StoreError> {
            let store = &b.intake.store;
            if store.active_conversation(&user)?.is_some() {
                return Ok(None); // "stop" is for the intake.
            }
            let mine = store.follow_ups_of(&user)?;
            let Some(lang) = mine.last().map(|f| f.lang) else {
                return Ok(None);
            };
            let Some(seen) = store.sighting(&event, now, ttl)? else {
                return Ok(Some((lang, usize::MAX)));
            };
            let n = app::stop(&b.intake, &user, now)?;
            store.record_sighting(&seen)?;
            Ok(Some((lang, n)))
        })
        .await;
    let (lang, n) = match r {
        Ok(Some(x)) => x,
        Ok(None) => return false,
        Err(e) => {
            error!(error = %e, "cannot stop follow-ups");
            return false;
        }
    };
    if n == usize::MAX {
        return true; // A redelivered message: answered before.
    }
    let key = if n > 0 {
        "followup_stopped"
    } else {
        "followup_nothing_to_stop"
    };
    say(http, msg.channel_id, &bot.msg(key, lang)).await;
    true
}

// ----- own data -----

/// The follow-up line of a conversation in `/mijn-gegevens`.
pub(crate) fn own_data_line(
    bot: &Bot,
    f: Option<&crate::app::summary::FollowUpSummary>,
    lang: Lang,
) -> Option<String> {
    use crate::domain::followup::State;
    let f = f?;
    let state = match f.state {
        State::Scheduled => fill(
            &bot.msg("followup_state_scheduled", lang),
            &[("date", &date(f.due))],
        ),
        State::Sent => fill(
            &bot.msg("followup_state_sent", lang),
            &[("date", &date(f.sent_at.unwrap_or(f.due)))],
        ),
        State::Cancelled => bot.msg("followup_state_cancelled", lang),
        State::Undeliverable => bot.msg("followup_state_undeliverable", lang),
    };
    Some(fill(
        &bot.msg("mydata_follow_up", lang),
        &[("state", &state)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_foreign_ones_are_not_ours() {
        let c = "c000123".to_string();
        for id in [
            Id::Helped {
                conversation: c.clone(),
                helped: Helped::NotYet,
            },
            Id::Route {
                conversation: c.clone(),
            },
            Id::Note {
                conversation: c.clone(),
            },
            Id::NoteSubmit {
                conversation: c.clone(),
            },
            Id::Coach {
                conversation: c.clone(),
            },
            Id::Stop { conversation: c },
        ] {
            let s = id.encode();
            assert!(is_ours(&s) && s.len() <= 100, "{s}");
            assert_eq!(Id::parse(&s), Some(id));
            assert_eq!(super::super::ids::CustomId::parse(&s), None, "{s}");
        }
        for s in [
            "llofu:",
            "llofu:h:c1:maybe",
            "llofu:o:c1:yes",
            "llofu:r::",
            "llo:b:c1:s:x",
        ] {
            assert_eq!(Id::parse(s), None, "{s}");
        }
    }

    #[test]
    fn stop_is_recognised_and_nothing_else() {
        for s in ["stop", "Stop!", " STOP ", "stoppen", "stop maar"] {
            assert!(says_stop(s), "{s}");
        }
        for s in ["stop met roken", "ik wil niet stoppen met de cursus", "hoi"] {
            assert!(!says_stop(s), "{s}");
        }
    }
}
