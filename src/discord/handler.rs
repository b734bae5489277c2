//! The serenity event handler: READY (start-up work, once), messages,
//! buttons, menus and forms, each as one unit of in-flight work in its own
//! task, so a panic ends only that event. Slash commands go through poise,
//! behind [`Once`]: no interaction id is answered twice.

use super::errors::Answer;
use super::metrics::ErrorKind;
use super::Bot;
use serenity::all::{
    ConnectionStage, Context, EventHandler, Interaction, Message, Ready, ResumedEvent,
    ShardStageUpdateEvent,
};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, error, info, warn};

/// How often expired dedupe records are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How many interaction ids [`Delivered`] remembers.
const DELIVERED_KEPT: usize = 4096;

/// The interaction ids this process has taken. After a gateway RESUME
/// Discord may replay an interaction it had delivered (same id); answering
/// it again earns 40060, so a replay is dropped before anything is sent. A
/// replay only happens within one session, so memory is enough (the turns
/// themselves are also deduplicated in the store).
#[derive(Default)]
pub struct Delivered(
    std::sync::Mutex<(
        std::collections::HashSet<u64>,
        std::collections::VecDeque<u64>,
    )>,
);

impl Delivered {
    /// Whether `id` is new (and now remembered).
    pub fn first_time(&self, id: u64) -> bool {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *g;
        if !set.insert(id) {
            return false;
        }
        order.push_back(id);
        if order.len() > DELIVERED_KEPT {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

/// poise's framework behind the same replay filter as buttons and forms:
/// a slash command replayed after a RESUME (same interaction id) is
/// dropped before poise answers it a second time.
pub struct Once<F> {
    inner: F,
    bot: Arc<Bot>,
}

impl<F> Once<F> {
    pub fn new(inner: F, bot: Arc<Bot>) -> Self {
        Once { inner, bot }
    }
}

#[serenity::async_trait]
impl<F: serenity::framework::Framework> serenity::framework::Framework for Once<F> {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await
    }

    async fn dispatch(&self, ctx: Context, event: serenity::all::FullEvent) {
        if let serenity::all::FullEvent::InteractionCreate {
            interaction: Interaction::Command(c) | Interaction::Autocomplete(c),
        } = &event
        {
            if !self.bot.delivered.first_time(c.id.get()) {
                debug!("a replayed command ignored");
                return;
            }
        }
        self.inner.dispatch(ctx, event).await
    }
}

/// The serenity event handler. Slash commands go through poise instead.
pub struct Handler {
    bot: Arc<Bot>,
}

impl Handler {
    pub fn new(bot: Arc<Bot>) -> Self {
        Handler { bot }
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        self.bot.gateway.set(true);
        if self.bot.started.swap(true, Ordering::SeqCst) {
            self.bot.metrics.reconnected();
            info!("READY again (re-identified); start-up work already done");
            return;
        }
        info!(
            user = %ready.user.id,
            guilds = ready.guilds.len(),
            "connected to Discord"
        );
        let bot = self.bot.clone();
        guarded(&self.bot, "ready", async move {
            // What the first intake would compile inside its turns.
            let warming = bot.clone();
            tokio::spawn(async move {
                let _ = warming
                    .blocking(|b| {
                        b.intake.knowledge().warm();
                        Ok::<(), super::TaskFailed>(())
                    })
                    .await;
            });
            super::commands::register(&bot, &ctx.http).await;
            spawn_sweeper(&bot);
            super::handoff::spawn_reminders(&bot, ctx.http.clone());
            super::followup::spawn_follow_ups(&bot, ctx.http.clone());
            // Erasures made while the bot was stopped: their cards first.
            super::handoff::clean_up(&bot, &ctx.http).await;
            super::handoff::spawn_clean_up(&bot, ctx.http.clone());
            super::peers::spawn_loop(&bot, ctx.http.clone());
        })
        .await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.bot.gateway.set(true);
        self.bot.metrics.reconnected();
        info!("gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        if event.new != ConnectionStage::Connected {
            self.bot.gateway.set(false);
            info!(stage = ?event.new, "gateway not connected");
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        let bot = self.bot.clone();
        guarded(
            &self.bot,
            "message",
            super::intake::on_message(bot, ctx, msg),
        )
        .await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let bot = self.bot.clone();
        let id = match &interaction {
            Interaction::Component(ci) => Some(ci.id.get()),
            Interaction::Modal(mi) => Some(mi.id.get()),
            _ => None,
        };
        if id.is_some_and(|id| !bot.delivered.first_time(id)) {
            debug!("a replayed interaction ignored");
            return;
        }
        match interaction {
            Interaction::Component(ci) => {
                let lang = bot.lang_for(Some(&ci.locale));
                let answer = Arc::new(Answer::new(ctx.http.clone(), ci.id, &ci.token, lang));
                let a = answer.clone();
                if super::privacy::is_ours(&ci.data.custom_id) {
                    let work = async move { super::privacy::on_component(&bot, &a, &ci).await };
                    answered(&self.bot, "own data", answer, work).await
                } else if let Some(click) = super::offers::parse(&ci.data.custom_id) {
                    // Offers after the advice: each offer's feature answers its clicks.
                    let work = async move {
                        match click.offer.as_str() {
                            crate::domain::peers::OFFER => {
                                super::peers::on_offer(&bot, &a, &ci, click).await
                            }
                            crate::domain::followup::OFFER => {
                                super::followup::on_offer(&bot, &a, &ci, click).await
                            }
                            _ => {
                                a.first(serenity::all::CreateInteractionResponse::Acknowledge)
                                    .await;
                                Ok(())
                            }
                        }
                    };
                    answered(&self.bot, "offer", answer, work).await
                } else if super::peers::is_ours(&ci.data.custom_id) {
                    let work = async move { super::peers::on_component(&bot, &a, &ci).await };
                    answered(&self.bot, "peers", answer, work).await
                } else if super::followup::is_ours(&ci.data.custom_id) {
                    let work = async move { super::followup::on_component(&bot, &a, &ci).await };
                    answered(&self.bot, "follow-up", answer, work).await
                } else {
                    let work = async move { super::intake::on_component(&bot, &a, &ci).await };
                    answered(&self.bot, "component", answer, work).await
                }
            }
            Interaction::Modal(mi) => {
                let lang = bot.lang_for(Some(&mi.locale));
                let answer = Arc::new(Answer::new(ctx.http.clone(), mi.id, &mi.token, lang));
                let a = answer.clone();
                if super::peers::is_ours(&mi.data.custom_id) {
                    let work = async move { super::peers::on_form(&bot, &a, &mi).await };
                    return answered(&self.bot, "peers form", answer, work).await;
                }
                if super::followup::is_ours(&mi.data.custom_id) {
                    let work = async move { super::followup::on_form(&bot, &a, &mi).await };
                    return answered(&self.bot, "follow-up form", answer, work).await;
                }
                let work = async move { super::intake::on_form(&bot, &a, &mi).await };
                answered(&self.bot, "form", answer, work).await
            }
            // Commands are poise's; autocomplete and pings are not used.
            _ => {}
        }
    }
}

/// [`guarded`] for a component or form: an error is answered through the
/// one error path ([`Answer::failed`]), and so is a panic, so the person
/// never sees "The application did not respond".
async fn answered(
    bot: &Arc<Bot>,
    what: &'static str,
    answer: Arc<Answer>,
    work: impl Future<Output = Result<(), super::Error>> + Send + 'static,
) {
    let Some(_pass) = bot.gate.enter() else {
        debug!(what, "shutting down; event ignored");
        return;
    };
    match tokio::spawn(work).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => answer.failed(bot, &e, what).await,
        Err(e) => {
            if e.is_panic() {
                bot.metrics.error(ErrorKind::Panic);
            }
            let detail = if e.is_panic() {
                "panicked"
            } else {
                "cancelled"
            };
            let text = super::errors::internal(bot, answer.lang, what, detail);
            answer.tell(&text).await;
        }
    }
}

/// Runs `work` as one unit of in-flight work: refused once shutdown began,
/// counted until done, and isolated so a panic only ends this event.
async fn guarded(
    bot: &Arc<Bot>,
    what: &'static str,
    work: impl Future<Output = ()> + Send + 'static,
) {
    let Some(_pass) = bot.gate.enter() else {
        debug!(what, "shutting down; event ignored");
        return;
    };
    if let Err(e) = tokio::spawn(work).await {
        if e.is_panic() {
            bot.metrics.error(ErrorKind::Panic);
            error!(what, "an event handler panicked; the bot carries on");
        }
    }
}

/// Drops expired dedupe records now and then. Holds only a weak reference,
/// so it ends with the client.
fn spawn_sweeper(bot: &Arc<Bot>) {
    let weak = Arc::downgrade(bot);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            let Some(bot) = weak.upgrade() else { return };
            if bot.gate.is_closed() {
                return;
            }
            match bot
                .blocking(|b| b.intake.store.sweep_seen(chrono::Utc::now()))
                .await
            {
                Ok(n) => debug!(removed = n, "swept dedupe records"),
                Err(e) => warn!(error = %e, "dedupe sweep failed"),
            }
        }
    });
}
