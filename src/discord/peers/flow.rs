//! A proposal's way: matched (card to the coaches), approved with an
//! optional sentence (a form), both people asked once, and only when both
//! say yes a private thread with the two (and the coach when they want)
//! with the introduction and a first question. A coach's rejection says
//! nothing to anyone; a no, a timeout or a withdrawal tells the other person
//! only "het komt er nu niet van".

use super::card::{
    card_view, concern, nearness_text, packet_text, post_card, sides_of, update_card,
};
use super::{form_text, id, FORM_INPUT, PEERS};
use crate::app::store::{Side, StoreError};
use crate::content::text::fill;
use crate::discord::errors::{Answer, UserError};
use crate::discord::perms::{is_coach, is_moderator};
use crate::discord::render::{escape_markdown, truncate, MAX_BUTTON_LABEL, MAX_CONTENT};
use crate::discord::schedule::Trigger;
use crate::discord::send::{mention_user, say, user_channel};
use crate::discord::{Bot, Error};
use crate::domain::peers::{Answered, PeerError, Proposal};
use serenity::all::{
    AutoArchiveDuration, ButtonStyle, ChannelId, ChannelType, ComponentInteraction,
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateModal,
    CreateThread, Http, InputTextStyle, ModalInteraction, RoleId, UserId,
};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// How often the pool is matched besides when someone joins.
const MATCH_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Longest coach sentence, in characters.
const MAX_NOTE_CHARS: usize = 300;

fn timeout(bot: &Bot) -> chrono::Duration {
    chrono::Duration::hours(i64::try_from(bot.config.peers.proposal_timeout_hours).unwrap_or(72))
}

/// A proposal just made, with both sides.
type Made = (Proposal, [Option<Side>; 2]);

/// Matches the pool and posts a card for every new proposal.
pub(crate) async fn run_matching(bot: &Arc<Bot>, http: &Http) {
    let now = bot.now();
    let guard = PEERS.lock().await;
    let made = bot
        .blocking(move |b| -> Result<Vec<Made>, StoreError> {
            let store = &b.intake.store;
            let pool: std::collections::BTreeMap<String, _> = store.pool()?.into_iter().collect();
            let mut out = Vec::new();
            for m in store.peer_matches()? {
                let (Some(a), Some(c)) = (pool.get(&m.a), pool.get(&m.b)) else {
                    continue;
                };
                let p = Proposal::new(store.new_proposal_id()?, &m, now);
                let side = |e: &crate::app::store::PoolEntry| Side {
                    user: e.user.clone(),
                    packet: e.packet.clone(),
                    lang: e.lang,
                    note: None,
                };
                let sides = [side(a), side(c)];
                store.create_proposal(&p, &sides)?;
                let [x, y] = sides;
                out.push((p, [Some(x), Some(y)]));
            }
            Ok(out)
        })
        .await;
    drop(guard);
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            error!(error = %e, "peer matching failed");
            return;
        }
    };
    for (p, sides) in made {
        info!(proposal = %p.id, "peer proposal made");
        if let Some(card) = post_card(bot, http, &p, &sides).await {
            let _guard = PEERS.lock().await;
            let id = p.id.clone();
            let card_copy = Some(card.clone());
            let saved = bot
                .blocking(move |b| -> Result<bool, StoreError> {
                    // Read again: it may have changed (or gone) since it was made.
                    match b.intake.store.proposal(&id)? {
                        Some(mut now) => {
                            now.card = Some(card);
                            b.intake.store.save_proposal(&now)?;
                            Ok(true)
                        }
                        None => Ok(false),
                    }
                })
                .await;
            match saved {
                Ok(true) => {}
                // Forgotten while the card was being posted: blank it now.
                Ok(false) => {
                    if let Some(c) = card_copy {
                        crate::discord::handoff::card::erase_card(bot, http, &c).await;
                    }
                }
                Err(e) => error!(error = %e, "cannot record the match card"),
            }
        }
    }
}

fn member_roles(ci: &ComponentInteraction) -> Vec<RoleId> {
    ci.member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default()
}

fn may_decide(bot: &Bot, roles: &[RoleId]) -> bool {
    is_coach(bot, roles) || is_moderator(bot, roles)
}

/// A proposal changed under the lock: load, `change`, save. `Ok(None)`
/// when it is gone (forgotten).
async fn change(
    bot: &Arc<Bot>,
    proposal: &str,
    change: impl FnOnce(&mut Proposal) -> Result<Answered, PeerError> + Send + 'static,
) -> Result<Option<(Proposal, Result<Answered, PeerError>)>, StoreError> {
    let id = proposal.to_string();
    let _guard = PEERS.lock().await;
    bot.blocking(move |b| {
        let Some(mut p) = b.intake.store.proposal(&id)? else {
            return Ok(None);
        };
        let r = change(&mut p);
        if r.is_ok() {
            b.intake.store.save_proposal(&p)?;
        }
        Ok(Some((p, r)))
    })
    .await
}

/// The card's buttons: Approve (and join) open the form for a sentence;
/// Reject ends the proposal and nobody hears of it.
pub(crate) async fn on_card(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    what: &str,
    proposal: &str,
) -> Result<(), Error> {
    let lang = answer.lang;
    if !may_decide(bot, &member_roles(ci)) {
        return Err(UserError::new("handoff_not_allowed").into());
    }
    if what != "reject" {
        let join = if what == "okjoin" { "1" } else { "0" };
        let form = CreateModal::new(
            id(&["note", proposal, join]),
            truncate(&bot.msg("peers_note_title", lang), 45),
        )
        .components(vec![CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Paragraph,
                truncate(&bot.msg("peers_note_label", lang), 45),
                FORM_INPUT,
            )
            .max_length(MAX_NOTE_CHARS as u16)
            .required(false),
        )]);
        answer.first(CreateInteractionResponse::Modal(form)).await;
        return Ok(());
    }
    let (coach, now) = (ci.user.id.to_string(), bot.now());
    let changed = change(bot, proposal, move |p| {
        p.reject(&coach, now).map(|()| Answered::Ended)
    })
    .await?;
    let Some((p, r)) = changed else {
        return Err(UserError::new("peers_gone").into());
    };
    if r.is_err() {
        return Err(UserError::new("peers_decided").into());
    }
    info!(proposal = %p.id, "peer proposal rejected by a coach");
    let sides = sides_of(bot, &p).await;
    let (content, embeds, rows) = card_view(bot, &p, &sides);
    answer
        .first(CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new()
                .content(content)
                .embeds(embeds)
                .components(rows)
                .allowed_mentions(CreateAllowedMentions::new()),
        ))
        .await;
    Ok(())
}

/// The approval form: approved (with the sentence), then both are asked.
pub(crate) async fn on_note(
    bot: &Arc<Bot>,
    answer: &Answer,
    mi: &ModalInteraction,
    proposal: &str,
    join: bool,
) -> Result<(), Error> {
    let lang = answer.lang;
    let roles = mi
        .member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default();
    if !may_decide(bot, &roles) {
        return Err(UserError::new("handoff_not_allowed").into());
    }
    let ack =
        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true));
    if !answer.first(ack).await {
        return Ok(());
    }
    let note = form_text(mi);
    let (coach, now) = (mi.user.id.to_string(), bot.now());
    let changed = change(bot, proposal, move |p| {
        p.approve(&coach, join, now).map(|()| Answered::Waiting)
    })
    .await?;
    let Some((p, r)) = changed else {
        return Err(UserError::new("peers_gone").into());
    };
    if r.is_err() {
        return Err(UserError::new("peers_decided").into());
    }
    if !note.is_empty() {
        let (id, n) = (p.id.clone(), truncate(&note, MAX_NOTE_CHARS));
        bot.blocking(move |b| b.intake.store.set_proposal_note(&id, Some(&n)))
            .await?;
    }
    info!(proposal = %p.id, "peer proposal approved by a coach");
    update_card(bot, &answer.http, &p).await;
    let sides = sides_of(bot, &p).await;
    if let [Some(a), Some(b)] = &sides {
        ask(bot, &answer.http, &p, a, b).await;
        ask(bot, &answer.http, &p, b, a).await;
    }
    answer.edit(&bot.msg("peers_approved_ok", lang)).await;
    Ok(())
}

/// Asks `me` once whether they want to meet `other`.
async fn ask(bot: &Arc<Bot>, http: &Http, p: &Proposal, me: &Side, other: &Side) {
    let lang = me.lang;
    let mut text = fill(
        &bot.msg("peers_ask", lang),
        &[
            ("name", &escape_markdown(&other.packet.display_name)),
            ("near", &nearness_text(bot, p, &me.packet, lang)),
            ("packet", &packet_text(bot, &other.packet, &p.concern, lang)),
        ],
    );
    if let Some(n) = me.note.as_deref() {
        text.push_str("\n\n");
        text.push_str(&fill(
            &bot.msg("peers_ask_note", lang),
            &[("note", &escape_markdown(n))],
        ));
    }
    text.push_str("\n\n");
    text.push_str(&fill(
        &bot.msg("peers_ask_question", lang),
        &[("name", &escape_markdown(&other.packet.display_name))],
    ));
    let b = |what: &str, key: &str, style| {
        CreateButton::new(id(&[what, &p.id]))
            .label(truncate(&bot.msg(key, lang), MAX_BUTTON_LABEL))
            .style(style)
    };
    let m = CreateMessage::new()
        .content(truncate(&text, MAX_CONTENT))
        .components(vec![CreateActionRow::Buttons(vec![
            b("yes", "peers_ask_yes", ButtonStyle::Success),
            b("no", "peers_ask_no", ButtonStyle::Secondary),
        ])])
        .allowed_mentions(CreateAllowedMentions::new());
    let Some(channel) = user_channel(bot, http, &me.user).await else {
        return;
    };
    if let Err(e) = channel.send_message(http, m).await {
        warn!(error = %e, "cannot ask about an introduction");
    }
}

/// A person's answer: once; two yeses open the thread, a no ends it.
pub(crate) async fn on_answer(
    bot: &Arc<Bot>,
    answer: &Answer,
    ci: &ComponentInteraction,
    yes: bool,
    proposal: &str,
) -> Result<(), Error> {
    let lang = answer.lang;
    let user = ci.user.id.to_string();
    let key = bot.intake.store.peer_key(&user);
    let now = bot.now();
    let k = key.clone();
    let changed = change(bot, proposal, move |p| p.answer(&k, yes, now)).await?;
    let (p, r) = match changed {
        Some((p, r)) => (Some(p), r),
        None => (None, Err(PeerError::NotNow)),
    };
    let text_key = match r {
        Ok(Answered::Waiting) => "peers_yes_waiting",
        Ok(Answered::BothYes) => "peers_yes_both",
        Ok(Answered::Ended) => "peers_no_ok",
        Err(_) => "peers_not_open",
    };
    answer
        .first(crate::discord::offers::answered(&format!(
            "{}\n\n{}",
            ci.message.content,
            bot.msg(text_key, lang)
        )))
        .await;
    let Some(p) = p else { return Ok(()) };
    match r {
        Ok(Answered::BothYes) => introduce(bot, &answer.http, p).await,
        Ok(Answered::Ended) => ended(bot, &answer.http, &p, Some(&key)).await,
        Ok(Answered::Waiting) => update_card(bot, &answer.http, &p).await,
        Err(_) => {}
    }
    Ok(())
}

/// A proposal ended (a no, a timeout, a withdrawal): the card shows it, and
/// whoever was asked and did not say no hears "het komt er nu niet van".
/// `by` is the one who ended it (told already).
pub(crate) async fn ended(bot: &Arc<Bot>, http: &Http, p: &Proposal, by: Option<&str>) {
    update_card(bot, http, p).await;
    if p.approved_at.is_none() {
        return; // Nobody was asked: nobody needs to hear anything.
    }
    let sides = sides_of(bot, p).await;
    for (i, s) in sides.iter().enumerate() {
        let Some(s) = s else { continue };
        if by == Some(p.people[i].as_str()) || p.answers[i] == Some(false) {
            continue;
        }
        if let Some(c) = user_channel(bot, http, &s.user).await {
            say(http, c, &bot.msg("peers_not_now", s.lang)).await;
        }
    }
}

/// Both said yes: the private thread with both (and the coach if they
/// want), the introduction and a first question.
async fn introduce(bot: &Arc<Bot>, http: &Http, mut p: Proposal) {
    let sides = sides_of(bot, &p).await;
    let [Some(a), Some(b)] = &sides else {
        return;
    };
    let Some(parent) = bot.config.peer_threads().map(ChannelId::new) else {
        warn!("both said yes, but no peer thread channel is configured");
        return;
    };
    let lang = a.lang;
    let name = fill(&bot.msg("peers_thread_name", lang), &[("id", &p.id)]);
    let builder = CreateThread::new(truncate(&name, 100))
        .kind(ChannelType::PrivateThread)
        .invitable(false)
        .auto_archive_duration(AutoArchiveDuration::OneWeek);
    let thread = match parent.create_thread(http, builder).await {
        Ok(t) => t.id,
        Err(e) => {
            warn!(error = %e, channel = %parent, "cannot open the introduction thread");
            return;
        }
    };
    let mut members: Vec<&str> = vec![&a.user, &b.user];
    if p.coach_joins {
        members.extend(p.coach.as_deref());
    }
    for m in members {
        if let Some(u) = m.parse::<u64>().ok().filter(|u| *u != 0) {
            if let Err(e) = thread.add_thread_member(http, UserId::new(u)).await {
                warn!(error = %e, "cannot add someone to the introduction thread");
            }
        }
    }
    let mut text = fill(
        &bot.msg("peers_intro", lang),
        &[
            ("a", &mention_user(&a.user)),
            ("b", &mention_user(&b.user)),
            ("concern", &concern(bot, &p.concern, lang)),
            ("near", &nearness_text(bot, &p, &a.packet, lang)),
        ],
    );
    for s in [a, b] {
        text.push_str("\n\n");
        text.push_str(&packet_text(bot, &s.packet, &p.concern, lang));
    }
    if let Some(n) = a.note.as_deref() {
        text.push_str("\n\n");
        text.push_str(&fill(
            &bot.msg("peers_intro_note", lang),
            &[
                (
                    "coach",
                    &p.coach.as_deref().map(mention_user).unwrap_or_default(),
                ),
                ("note", &escape_markdown(n)),
            ],
        ));
    }
    text.push_str("\n\n");
    text.push_str(&bot.msg("peers_first_question", lang));
    say(http, thread, &text).await;
    p.thread = Some(thread.get().to_string());
    let saved = p.clone();
    let _guard = PEERS.lock().await;
    if let Err(e) = bot
        .blocking(move |b| b.intake.store.save_proposal(&saved))
        .await
    {
        error!(error = %e, "cannot record the introduction thread");
    }
    drop(_guard);
    info!(proposal = %p.id, "peers introduced");
    update_card(bot, http, &p).await;
}

/// After a deletion here (`/mijn-gegevens`): the other side of an open
/// proposal hears "het komt er nu niet van". The cards are blanked by the
/// hand-off clean-up (the store queued them).
pub(crate) async fn after_forget(bot: &Arc<Bot>, http: &Http) {
    send_notices(bot, http).await;
}

async fn send_notices(bot: &Arc<Bot>, http: &Http) {
    let pending = match bot
        .blocking(|b| b.intake.store.pending_peer_notices())
        .await
    {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "cannot read the peer notices");
            return;
        }
    };
    for n in pending {
        if let Some(c) = user_channel(bot, http, &n.notice.user).await {
            if say(http, c, &bot.msg("peers_not_now", n.notice.lang)).await {
                let seq = n.seq;
                if let Err(e) = bot
                    .blocking(move |b| b.intake.store.peer_notice_sent(seq))
                    .await
                {
                    warn!(error = %e, "cannot mark a peer notice as sent");
                }
            }
        }
    }
}

/// One pass: proposals whose time ran out end quietly, notices go out, and
/// (when `match_now`) the pool is matched.
pub(crate) async fn pass(bot: &Arc<Bot>, http: &Http, match_now: bool) {
    let (now, timeout) = (bot.now(), timeout(bot));
    let guard = PEERS.lock().await;
    let expired = bot
        .blocking(move |b| -> Result<Vec<Proposal>, StoreError> {
            let mut out = Vec::new();
            for mut p in b.intake.store.proposals()? {
                if p.expire(now, timeout) {
                    b.intake.store.save_proposal(&p)?;
                    out.push(p);
                }
            }
            Ok(out)
        })
        .await;
    drop(guard);
    match expired {
        Ok(list) => {
            for p in list {
                info!(proposal = %p.id, "peer proposal timed out");
                ended(bot, http, &p, None).await;
            }
        }
        Err(e) => warn!(error = %e, "cannot check the peer proposals"),
    }
    send_notices(bot, http).await;
    if match_now {
        run_matching(bot, http).await;
    }
}

/// The peer loop: a pass every `[discord.peers] check_secs` (matching once a
/// day), or one per test tick. Holds a weak reference; ends with the client.
pub(crate) fn spawn_loop(bot: &Arc<Bot>, http: Arc<Http>) {
    if !super::active(bot) {
        return;
    }
    let every = Duration::from_secs(bot.config.peers.check_secs);
    let mut last_match = tokio::time::Instant::now();
    crate::discord::schedule::spawn_every(bot, &bot.peer_ticks, every, move |bot, trigger| {
        // A test tick always matches; the timer matches once a day.
        let match_now = trigger == Trigger::Tick || last_match.elapsed() >= MATCH_EVERY;
        if match_now && trigger == Trigger::Timer {
            last_match = tokio::time::Instant::now();
        }
        let http = http.clone();
        async move { pass(&bot, &http, match_now).await }
    });
}
