//! The intake engine: a pure state machine over the script in `intents/`.
//!
//! `(knowledge, conversation, input, now) -> Turn { conversation, outputs, events }`.
//! No I/O, no clock reads, no Discord types: the same input on the same state
//! always gives the same turn. Transports feed it [`Input`]s and render the
//! [`Output`]s; the store persists the new state.

use crate::content::text::{
    bounded, fill, is_steering, join_list, without_steering, Lang, MAX_TEXT_CHARS,
};
use crate::content::{EndAction, Source, Step, StepKind};
use crate::domain::conversation::{Answers, Conversation, HandoffReason, Status};
use crate::domain::handoff;
use crate::domain::knowledge::Knowledge;
use crate::domain::listen;
use crate::domain::nlu::matcher::Resolved;
use crate::domain::output::{Choice, Output, Question};
use crate::domain::places::Place;
use crate::domain::recommend;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What reaches the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Typed text.
    Text(String),
    /// A button or menu option (its id).
    Choice(String),
    /// Several options at once (multi-select).
    Choices(Vec<String>),
    /// The user came back (console restart, new DM after a restart): re-ask.
    Resume,
    /// A coach hands the conversation back: the bot resumes where it was.
    Handback,
    /// A moderator hands the conversation to a coach.
    ModeratorHandoff,
}

/// Things that happened in a turn, for the transport and the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    HandoffRequested { reason: HandoffReason },
    HandedBack,
    Restarted,
    Finished { status: Status },
}

/// The result of one engine call.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub conversation: Conversation,
    pub outputs: Vec<Output>,
    pub events: Vec<Event>,
}

impl Turn {
    /// The question the bot now waits on, if any.
    pub fn question(&self) -> Option<&Question> {
        self.outputs.iter().rev().find_map(|o| match o {
            Output::Question(q) => Some(q),
            _ => None,
        })
    }
}

/// The sector for everything the list does not name.
const OTHER_SECTOR: &str = "overig";
/// Where the user's own words for an "Iets anders" sector are kept.
pub const SECTOR_WORDS: &str = "sector_text";
/// Sector aliases that in an open answer usually mean something else
/// ("ik maak me zorg", "nieuwe techniek", "de productie"): not proposed.
const NOT_A_SECTOR_HERE: &[&str] = &[
    "zorg",
    "it",
    "care",
    "tech",
    "techniek",
    "technisch",
    "technische",
    "advies",
    "anders",
    "overig",
    "other",
    "handel",
    "bureau",
    "kas",
    "bar",
    "keuken",
    "productie",
    "industrie",
    "sport",
    "shop",
    "store",
    "delivery",
    "cv",
    "magazijn",
    "bediening",
    "marketing",
];

/// Where a proposal keeps the municipality a place in the open answer names
/// (beside the province under the region step's field).
const PROPOSED_MUNICIPALITY: &str = "municipality";

/// Where a proposal keeps a place name from a "nee, ..." that fits several
/// municipalities in different provinces ("nee, Bergen"): the region step
/// asks which one when it comes (see [`Engine::enter`]).
const PROPOSED_PLACE_WORDS: &str = "place_words";

/// Words that deny what their clause names ("geen vergrijzing").
const NEGATIONS: &[&str] = &[
    "geen", "niet", "nee", "not", "no", "isn't", "isnt", "aren't", "arent", "without", "zonder",
];

/// While fewer questions than this are answered, a message written in the
/// other language switches the conversation to it.
const FIRST_MESSAGES: usize = 2;

/// Intents that work at any step.
const GLOBAL: &[&str] = &["stop", "restart", "human", "help", "back"];
/// The choice id offered after repeated misunderstanding.
pub const HUMAN_CHOICE: &str = "human";
/// Guard against content cycles of non-interactive steps.
const MAX_CHAIN: usize = 64;
/// At most this many concerns are reflected back as "vooral".
pub const MAX_REFLECTED: usize = 3;

struct Run<'k> {
    k: &'k Knowledge,
    conv: Conversation,
    outputs: Vec<Output>,
    events: Vec<Event>,
    now: DateTime<Utc>,
}

/// Starts a new conversation and asks its first question.
pub fn start(k: &Knowledge, id: &str, user: &str, lang: Lang, now: DateTime<Utc>) -> Turn {
    let conv = Conversation::new(id, user, lang, now);
    let mut run = Run::new(k, conv, now);
    let first = k
        .content
        .script
        .as_ref()
        .map(|s| s.start.clone())
        .unwrap_or_default();
    run.enter(&first);
    run.finish()
}

/// Handles one input on a conversation. Text is read without steering
/// characters and at most [`MAX_TEXT_CHARS`] long, whoever calls.
pub fn handle(k: &Knowledge, conv: &Conversation, input: Input, now: DateTime<Utc>) -> Turn {
    let input = match input {
        Input::Text(t) if t.len() > MAX_TEXT_CHARS || t.chars().any(is_steering) => {
            Input::Text(bounded(&without_steering(&t)).to_string())
        }
        other => other,
    };
    let mut run = Run::new(k, conv.clone(), now);
    run.input(input);
    run.finish()
}

/// Moves `conv` on to `step` as if it had just been reached (messages said,
/// the question asked): for a conversation whose pending step a content
/// reload removed. No input is applied.
pub fn move_to(k: &Knowledge, conv: &Conversation, step: &str, now: DateTime<Utc>) -> Turn {
    let mut run = Run::new(k, conv.clone(), now);
    run.enter(step);
    run.finish()
}

impl<'k> Run<'k> {
    fn new(k: &'k Knowledge, mut conv: Conversation, now: DateTime<Utc>) -> Self {
        conv.updated_at = now;
        Run {
            k,
            conv,
            outputs: Vec::new(),
            events: Vec::new(),
            now,
        }
    }

    fn finish(self) -> Turn {
        Turn {
            conversation: self.conv,
            outputs: self.outputs,
            events: self.events,
        }
    }

    fn lang(&self) -> Lang {
        self.conv.lang
    }

    fn msg(&self, key: &str) -> String {
        self.k.msg(key, self.lang())
    }

    fn say(&mut self, text: String) {
        self.outputs.push(Output::Message {
            step: self.conv.step.clone(),
            text,
        });
    }

    fn pending(&self) -> Option<&'k Step> {
        self.conv
            .step
            .as_deref()
            .and_then(|s| self.k.content.step(s))
    }

    fn input(&mut self, input: Input) {
        match self.conv.status {
            Status::Handoff => return self.while_handed_off(input),
            s if s.is_finished() => {
                let text = self.msg("conversation_over");
                self.outputs.push(Output::End { step: None, text });
                return;
            }
            _ => {}
        }
        let Some(step) = self.pending() else {
            let text = self.msg("conversation_over");
            self.outputs.push(Output::End { step: None, text });
            return;
        };
        match input {
            Input::Resume => {
                self.say(self.msg("welcome_back"));
                self.ask(step);
            }
            Input::Handback => self.ask(step),
            Input::ModeratorHandoff => self.handoff(HandoffReason::Moderator),
            Input::Text(t) => self.text(step, &t),
            Input::Choice(id) => self.choice(step, &[id]),
            Input::Choices(ids) => self.choice(step, &ids),
        }
    }

    /// The bot is quiet while a coach has the conversation; it only speaks to
    /// welcome the user back or when the coach hands back.
    fn while_handed_off(&mut self, input: Input) {
        match input {
            Input::Resume => self.say(self.msg("handoff_waiting")),
            Input::Handback => {
                self.conv.status = Status::Active;
                self.events.push(Event::HandedBack);
                self.say(self.msg("handed_back"));
                match self.pending() {
                    Some(step) => self.ask(step),
                    None => self.end_over(),
                }
            }
            _ => {}
        }
    }

    fn end_over(&mut self) {
        self.conv.status = Status::Ended;
        self.conv.ended_at = Some(self.now);
        self.events.push(Event::Finished {
            status: Status::Ended,
        });
        let text = self.msg("conversation_over");
        self.outputs.push(Output::End { step: None, text });
    }

    fn handoff(&mut self, reason: HandoffReason) {
        handoff::request(&mut self.conv, self.now, reason);
        self.events.push(Event::HandoffRequested { reason });
        self.say(self.msg("handoff_requested"));
    }

    fn text(&mut self, step: &'k Step, raw: &str) {
        let cleaned = listen::clean(raw);
        let t = cleaned.as_str();
        if t.is_empty() {
            self.say(self.msg("empty_input"));
            return self.reask(step);
        }
        if let Some(intent) = self.k.matchers.intent(t, GLOBAL) {
            return self.global(step, &intent);
        }
        // "in English please", "Nederlands graag": the whole question again
        // in that language.
        if let Some(l) = self.k.matchers.intent(t, &["lang_en", "lang_nl"]) {
            self.switch_lang(if l == "lang_en" { Lang::En } else { Lang::Nl });
            return self.ask(step);
        }
        // Written in the other language in the first messages: follow it.
        if self.conv.history.len() < FIRST_MESSAGES {
            if let Some(l) = listen::language_of(t).filter(|l| *l != self.lang()) {
                self.switch_lang(l);
                let consent = step.kind == StepKind::YesNo && step.field() == "consent";
                if consent && self.k.matchers.intent(t, &["yes", "no"]).is_none() {
                    let faq = self
                        .k
                        .matchers
                        .intent(t, &["ask_privacy", "ask_who", "ask_cost"])
                        .is_some();
                    // Not a question we answer: they could not read the
                    // consent text, so it comes in full.
                    if !(faq && self.question_asked(step, t)) {
                        self.ask(step);
                    }
                    return;
                }
            }
        }
        // "1" at "1) Ja 2) Nee": a number picks the option shown with it.
        if let Some(numbers) = listen::option_numbers(t) {
            let q = self.question(step);
            if q.numbered || q.multi {
                let ids: Option<Vec<String>> = numbers
                    .iter()
                    .map(|&n| {
                        n.checked_sub(1)
                            .and_then(|i| q.choices.get(i))
                            .map(|c| c.id.clone())
                    })
                    .collect();
                if let Some(ids) = ids {
                    return self.numbered(step, q.multi, ids);
                }
            }
        }
        if self.question_asked(step, t) {
            return;
        }
        let noted = self.note_ended_routes(t);
        match step.kind {
            StepKind::YesNo => match self.k.matchers.intent(t, &["yes", "no"]) {
                Some(i) => self.yes_no(step, i == "yes"),
                None => self.miss(step, noted),
            },
            StepKind::Open => {
                if step.optional && self.k.matchers.intent(t, &["skip"]).is_some() {
                    self.conv.answers.set_text(step.field(), None);
                } else {
                    self.conv
                        .answers
                        .set_text(step.field(), Some(t.to_string()));
                    if step.classify {
                        // The strongest three, kept in content order.
                        let strongest: Vec<String> = self
                            .by_strength(t)
                            .into_iter()
                            .take(MAX_REFLECTED)
                            .collect();
                        let found: Vec<String> = self
                            .k
                            .content
                            .concerns
                            .iter()
                            .filter(|c| strongest.contains(&c.id))
                            .map(|c| c.id.clone())
                            .collect();
                        self.conv.answers.detected = found.clone();
                        self.conv.answers.concerns = found;
                        self.propose_from(t);
                    }
                }
                self.advance(step, None);
            }
            StepKind::ConfirmConcerns => self.confirm_text(step, t, noted),
            StepKind::Choice => {
                if self.conv.proposed.contains_key(step.field()) {
                    if let Some(rest) = self.no_and_then(t) {
                        return self.proposal(step, false, Some(rest));
                    }
                    if let Some(i) = self.k.matchers.intent(t, &["yes", "no"]) {
                        return self.proposal(step, i == "yes", None);
                    }
                    // They name something else: that is the answer.
                    self.conv.proposed.remove(step.field());
                    if step.source == Some(Source::Regions) {
                        self.conv.proposed.remove(PROPOSED_MUNICIPALITY);
                    }
                }
                if step.source == Some(Source::Regions) && self.place(step, t) {
                    return;
                }
                let narrowed = self.conv.narrowed.clone();
                // "met z'n twaalven", "vijfentwintig": as digits for sizes.
                let t = if step.field() == "size" {
                    listen::digits_for_number_words(t, &self.k.content.number_words)
                } else {
                    t.to_string()
                };
                let t = t.as_str();
                match self
                    .k
                    .matchers
                    .resolve(&self.k.content, step, t, narrowed.as_deref())
                {
                    Resolved::One(id) if step.source == Some(Source::Regions) => {
                        self.province_chosen(step, id)
                    }
                    Resolved::One(id) if id == OTHER_SECTOR && step.field() == "sector" => {
                        self.other_sector(step, t)
                    }
                    Resolved::None
                        if step.field() == "sector" && listen::describes_a_business(t) =>
                    {
                        self.other_sector(step, t)
                    }
                    Resolved::One(id) => self.chosen(step, id),
                    Resolved::Many(ids) => {
                        let key = if step.source == Some(Source::Regions)
                            && t.chars().any(|c| c.is_ascii_digit())
                        {
                            "region_confirm"
                        } else {
                            "ambiguous"
                        };
                        // Ask the short confirmation question itself, with the
                        // narrowed options, rather than the whole prompt again.
                        self.conv.narrowed = Some(ids);
                        self.ask(step);
                        if let Some(Output::Question(q)) = self.outputs.last_mut() {
                            q.text = self.k.msg(key, self.conv.lang);
                        }
                    }
                    Resolved::None => self.miss(step, noted),
                }
            }
            _ => self.ask(step),
        }
    }

    /// A question instead of an answer ("wat doen jullie met mijn gegevens?",
    /// "wie zijn jullie?", "is dit gratis?"): answered from content, then a
    /// short re-ask. At the consent step any question counts (a question is
    /// never consent) and "lees nog eens" gives the full text again; at other
    /// steps only messages with a question mark, and never at open questions,
    /// where a question can be the answer. Returns whether it was one.
    fn question_asked(&mut self, step: &'k Step, t: &str) -> bool {
        let consent = step.kind == StepKind::YesNo && step.field() == "consent";
        let asks = t.contains('?');
        if !(consent || (asks && step.kind != StepKind::Open)) {
            return false;
        }
        let faqs: &[&str] = if consent {
            &["ask_privacy", "ask_who", "ask_cost", "consent_text"]
        } else {
            &["ask_privacy", "ask_who", "ask_cost"]
        };
        match self.k.matchers.intent(t, faqs) {
            Some(id) if id == "consent_text" => self.ask(step),
            Some(id) => {
                let key = format!("faq_{}", id.trim_start_matches("ask_"));
                self.say(self.msg(&key));
                self.reask(step);
            }
            None if consent && asks => {
                self.say(self.msg("faq_unknown"));
                self.reask(step);
            }
            None => return false,
        }
        true
    }

    /// The pending question again, short where content has a short form
    /// (`reask_<step>`, e.g. the consent question without its 90 words).
    fn reask(&mut self, step: &Step) {
        let key = format!("reask_{}", step.id);
        let mut q = self.question(step);
        if let Some(short) = self.k.content.msg(&key) {
            q.text = short.get(self.lang()).to_string();
        }
        self.outputs.push(Output::Question(q));
    }

    /// Continues in `lang`, and says so in that language.
    fn switch_lang(&mut self, lang: Lang) {
        if self.conv.lang != lang {
            self.conv.lang = lang;
            self.say(self.msg("lang_switched"));
        }
    }

    /// Option numbers, as the ids of the options shown with them.
    fn numbered(&mut self, step: &'k Step, multi: bool, mut ids: Vec<String>) {
        if multi && ids.len() > 1 {
            // "1 en 4" on the concern list: the concerns, not "Ja".
            ids.retain(|i| i != "yes" && i != "no");
        }
        if ids.is_empty() || (!multi && ids.len() > 1) {
            return self.miss(step, false);
        }
        self.choice(step, &ids)
    }

    fn choice(&mut self, step: &'k Step, ids: &[String]) {
        if ids.iter().any(|i| i == HUMAN_CHOICE) {
            let reason = if self.conv.misses >= 2 {
                HandoffReason::Misunderstood
            } else {
                HandoffReason::UserRequest
            };
            return self.handoff(reason);
        }
        let first = ids.first().map(String::as_str).unwrap_or("");
        if step.kind == StepKind::Choice
            && self.conv.proposed.contains_key(step.field())
            && (first == "yes" || first == "no")
        {
            return self.proposal(step, first == "yes", None);
        }
        match step.kind {
            StepKind::YesNo if first == "yes" || first == "no" => self.yes_no(step, first == "yes"),
            StepKind::Open if step.optional && first == "skip" => {
                self.conv.answers.set_text(step.field(), None);
                self.advance(step, None);
            }
            StepKind::ConfirmConcerns => {
                if first == "yes" && !self.conv.answers.detected.is_empty() && !self.conv.picking {
                    return self.advance(step, None);
                }
                if first == "no" {
                    self.conv.picking = true;
                    return self.ask(step);
                }
                let picked: Vec<String> = self
                    .k
                    .content
                    .concerns
                    .iter()
                    .filter(|c| ids.contains(&c.id))
                    .map(|c| c.id.clone())
                    .collect();
                if picked.is_empty() {
                    return self.ask(step);
                }
                self.conv.answers.concerns = picked;
                self.advance(step, None);
            }
            StepKind::Choice
                if self.municipality_choice()
                    && self.conv.narrowed.iter().flatten().any(|m| m == first) =>
            {
                self.municipality_chosen(step, first);
            }
            StepKind::Choice => {
                let allowed = self.k.matchers.option_ids(step);
                let ok = allowed.iter().any(|a| a == first)
                    && self
                        .conv
                        .narrowed
                        .as_ref()
                        .is_none_or(|n| n.iter().any(|x| x == first));
                if ok && step.source == Some(Source::Regions) {
                    self.province_chosen(step, first.to_string());
                } else if ok {
                    self.chosen(step, first.to_string());
                } else {
                    self.ask(step);
                }
            }
            // A stale or foreign button: ask the pending question again.
            _ => self.ask(step),
        }
    }

    fn global(&mut self, step: &'k Step, intent: &str) {
        match intent {
            "stop" => {
                self.conv.status = Status::Stopped;
                self.conv.step = None;
                self.conv.ended_at = Some(self.now);
                self.events.push(Event::Finished {
                    status: Status::Stopped,
                });
                let text = self.msg("stopped");
                self.outputs.push(Output::End { step: None, text });
            }
            "restart" => {
                let consent = (self.conv.answers.consent, self.conv.answers.consent_at);
                self.conv.answers = Answers {
                    consent: consent.0,
                    consent_at: consent.1,
                    ..Answers::default()
                };
                self.conv.history.clear();
                self.conv.proposed.clear();
                self.conv.recommended.clear();
                self.conv.contacts_shown.clear();
                self.events.push(Event::Restarted);
                self.say(self.msg("restarted"));
                let to = self
                    .k
                    .content
                    .script
                    .as_ref()
                    .map(|s| s.restart_at.clone())
                    .unwrap_or_default();
                self.enter(&to);
            }
            "human" => self.handoff(HandoffReason::UserRequest),
            "help" => {
                self.say(self.msg("help"));
                self.ask(step);
            }
            "back" => match self.conv.history.pop() {
                Some(prev) => {
                    self.conv.proposed.clear();
                    self.enter(&prev)
                }
                None => {
                    self.say(self.msg("back_none"));
                    self.ask(step);
                }
            },
            _ => self.ask(step),
        }
    }

    /// Tells the user when they name a scheme that has ended, and what replaced it.
    fn note_ended_routes(&mut self, text: &str) -> bool {
        let mut noted = false;
        for id in self.k.matchers.mentioned_routes(text) {
            let Some(r) = self.k.content.route(&id) else {
                continue;
            };
            if r.status != crate::content::RouteStatus::Ended {
                continue;
            }
            let lang = self.lang();
            let succ = r.successor.as_deref().and_then(|s| self.k.content.route(s));
            let text = match succ {
                Some(s) => fill(
                    &self.msg("route_ended"),
                    &[
                        ("title", r.title.get(lang)),
                        ("successor", s.title.get(lang)),
                        ("url", &s.url),
                    ],
                ),
                None => fill(
                    &self.msg("route_ended_no_successor"),
                    &[("title", r.title.get(lang))],
                ),
            };
            self.say(text);
            noted = true;
        }
        noted
    }

    fn yes_no(&mut self, step: &'k Step, yes: bool) {
        if step.field() == "consent" {
            self.conv.answers.consent = Some(yes);
            self.conv.answers.consent_at = Some(self.now);
        } else {
            self.conv.answers.set_text(
                step.field(),
                Some(if yes { "yes" } else { "no" }.to_string()),
            );
        }
        let next = if yes { &step.on_yes } else { &step.on_no };
        self.advance(step, next.clone());
    }

    fn confirm_text(&mut self, step: &'k Step, t: &str, noted: bool) {
        let has_detected = !self.conv.answers.detected.is_empty() && !self.conv.picking;
        // "klopt, alleen X is niet het probleem", "ja maar geen vergrijzing":
        // drop what was denied and confirm the rest in one line.
        if has_detected {
            let denied = self.denied(t);
            let detected = self.conv.answers.detected.clone();
            if detected.iter().any(|d| denied.contains(d)) {
                let keep: Vec<String> = detected
                    .into_iter()
                    .filter(|d| !denied.contains(d))
                    .collect();
                self.conv.answers.detected = keep.clone();
                self.conv.answers.concerns = keep.clone();
                if keep.is_empty() {
                    self.conv.picking = true;
                    return self.ask(step);
                }
                let mut q = self.question(step);
                q.text = fill(
                    &self.msg("confirm_corrected"),
                    &[("concerns", &self.reflected(&keep))],
                );
                self.outputs.push(Output::Question(q));
                return;
            }
        }
        match self.k.matchers.intent(t, &["yes", "no"]).as_deref() {
            Some("yes") if has_detected => return self.advance(step, None),
            Some("no") => {
                self.conv.picking = true;
                return self.ask(step);
            }
            _ => {}
        }
        // Names from the list, or a new description. Numbers that are not
        // on the list are not understood (numbers on it were read before).
        if listen::option_numbers(t).is_some() {
            return self.miss(step, noted);
        }
        let all = &self.k.content.concerns;
        let mut picked: Vec<String> = Vec::new();
        let folded = crate::content::text::fold(t);
        for c in all {
            let label = crate::content::text::fold(c.label.get(self.lang()));
            if folded.contains(&label) || folded == c.id {
                picked.push(c.id.clone());
            }
        }
        picked.extend(self.k.classify(t, self.lang()));
        let picked: Vec<String> = all
            .iter()
            .filter(|c| picked.contains(&c.id))
            .map(|c| c.id.clone())
            .collect();
        if picked.is_empty() {
            return self.miss(step, noted);
        }
        self.conv.answers.concerns = picked;
        self.advance(step, None);
    }

    /// A place name at the region step: a municipality gives the province,
    /// the municipality and its labour-market region. A name that fits
    /// several is asked about by province; the province picked next decides.
    /// `false`: no place name, so the province matcher takes it.
    fn place(&mut self, step: &'k Step, t: &str) -> bool {
        if !self.conv.place_candidates.is_empty() {
            // The answer to "which one?": handled by the province matcher.
            return false;
        }
        let choosing = self.municipality_choice();
        // "4062": the municipality its addresses lie in; on a border, ask.
        if let Some((pc4, ms)) = self.k.places.postcode(t, true) {
            if ms.len() == 1 {
                return self.municipality_chosen(step, &ms[0]);
            }
            self.conv.narrowed = Some(ms);
            let text = self.postcode_mixed_text(Some(pc4));
            self.ask(step);
            if let Some(Output::Question(q)) = self.outputs.last_mut() {
                q.text = text;
            }
            return true;
        }
        match self.k.places.resolve(&self.k.content, t) {
            Place::One(code) => self.municipality_chosen(step, &code),
            // Another answer to "which municipality?" than the ones asked
            // about is not understood.
            _ if choosing => false,
            Place::Many {
                municipalities,
                provinces,
            } if provinces.len() > 1 => {
                self.conv.place_candidates = municipalities;
                self.conv.narrowed = Some(provinces);
                self.ask(step);
                if let Some(Output::Question(q)) = self.outputs.last_mut() {
                    q.text = self.k.msg("ambiguous", self.conv.lang);
                }
                true
            }
            _ => false,
        }
    }

    /// Whether the region question is narrowed to municipalities (a
    /// postcode on a municipal border).
    fn municipality_choice(&self) -> bool {
        self.conv.narrowed.as_ref().is_some_and(|n| {
            !n.is_empty() && n.iter().all(|m| self.k.content.municipality(m).is_some())
        })
    }

    /// "Postcode 4062 ligt op een gemeentegrens. In welke gemeente zit je:
    /// Tiel of West Betuwe?" (without the first sentence on a re-ask).
    fn postcode_mixed_text(&self, pc4: Option<u16>) -> String {
        let names: Vec<String> = self
            .conv
            .narrowed
            .iter()
            .flatten()
            .filter_map(|m| self.k.content.municipality(m))
            .map(|m| m.name.clone())
            .collect();
        let pick = fill(
            &self.msg("postcode_pick"),
            &[("places", &join_list(&names, &self.msg("or")))],
        );
        match pc4 {
            Some(n) => {
                let mixed = fill(&self.msg("postcode_mixed"), &[("postcode", &n.to_string())]);
                format!("{mixed} {pick}")
            }
            None => pick,
        }
    }

    /// The municipality is known: it gives the province and the region.
    fn municipality_chosen(&mut self, step: &'k Step, code: &str) -> bool {
        let Some(m) = self.k.content.municipality(code) else {
            return false;
        };
        let province = m.province.clone();
        self.conv.answers.labour_market_region = Some(m.labour_market_region.clone());
        self.conv.answers.municipality = Some(code.to_string());
        self.chosen(step, province);
        true
    }

    /// A province at the region step (named, from a postcode, or picked after
    /// an ambiguous place name): the municipality asked about in that
    /// province, else the region when the whole province lies in one.
    fn province_chosen(&mut self, step: &'k Step, province: String) {
        let c = &self.k.content;
        let code = self
            .conv
            .place_candidates
            .iter()
            .find(|m| c.municipality(m).is_some_and(|m| m.province == province))
            .cloned();
        let region = match &code {
            Some(m) => c.municipality(m).map(|m| m.labour_market_region.clone()),
            None => c.sole_region_of_province(&province).map(str::to_string),
        };
        self.conv.answers.municipality = code;
        self.conv.answers.labour_market_region = region;
        self.chosen(step, province);
    }

    /// The concerns found in `text`, strongest first. There is no score in
    /// the classifier, so strength is the number of its patterns that match
    /// and count (not cancelled); ties go to the earliest mention.
    fn by_strength(&self, text: &str) -> Vec<String> {
        let e = self
            .k
            .classifier
            .explain(&self.k.content, text, self.lang());
        let mut ranked: Vec<(usize, usize, String)> = e
            .concerns
            .iter()
            .map(|c| {
                let hits = e
                    .hits
                    .iter()
                    .filter(|h| &h.concern == c && h.cancelled.is_none());
                let (n, first) = hits.fold((0, usize::MAX), |(n, f), h| (n + 1, f.min(h.span.0)));
                (n, first, c.clone())
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.into_iter().map(|(_, _, c)| c).collect()
    }

    /// Concerns the user says are not the problem: a hit the classifier
    /// cancels by negation ("X is niet het probleem"), a hit right after a
    /// negation ("geen vergrijzing"), or its label in a clause with a
    /// negation where the classifier sees no concern of its own ("alleen
    /// personeel vinden niet"). "ik kan echt geen personeel vinden" denies
    /// nothing: there "geen" is part of the concern.
    fn denied(&self, text: &str) -> Vec<String> {
        let lang = self.lang();
        let e = self.k.classifier.explain(&self.k.content, text, lang);
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        let negator = |w: &str| NEGATIONS.contains(&w);
        let mut out: Vec<String> = Vec::new();
        let push = |id: &str, out: &mut Vec<String>| {
            if !out.iter().any(|x| x == id) {
                out.push(id.to_string());
            }
        };
        for h in &e.hits {
            let by_negation = matches!(
                h.cancelled,
                Some(crate::domain::nlu::classify::Cancel::Negation { .. })
            );
            let before = e.folded.get(..h.span.0).unwrap_or("");
            let right_after = words(before).last().is_some_and(|w| negator(w));
            if by_negation || (h.cancelled.is_none() && right_after) {
                push(&h.concern, &mut out);
            }
        }
        for (ci, clause) in e.clauses.iter().enumerate() {
            if !words(clause).iter().any(|w| negator(w)) {
                continue;
            }
            for c in &self.k.content.concerns {
                let seen = e
                    .hits
                    .iter()
                    .any(|h| h.clause == ci && h.concern == c.id && h.cancelled.is_none());
                let label = crate::content::text::fold(c.label.get(lang));
                let head = label.split(" (").next().unwrap_or(&label);
                if !seen && clause.contains(head) {
                    push(&c.id, &mut out);
                }
            }
        }
        out
    }

    /// The reflect sentences of `ids`, strongest first, joined as
    /// "A, dat B en dat C".
    fn reflected(&self, ids: &[String]) -> String {
        let lang = self.lang();
        let text = self.conv.answers.concerns_text.clone().unwrap_or_default();
        let mut order: Vec<String> = self
            .by_strength(&text)
            .into_iter()
            .filter(|c| ids.contains(c))
            .collect();
        order.extend(
            ids.iter()
                .filter(|c| !order.contains(c))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let that = self.msg("that");
        let parts: Vec<String> = order
            .iter()
            .filter_map(|d| self.k.content.concern(d))
            .enumerate()
            .map(|(i, d)| {
                let r = d.reflect.get(lang);
                if i == 0 {
                    r.to_string()
                } else {
                    format!("{that} {r}")
                }
            })
            .collect();
        join_list(&parts, &self.msg("and"))
    }

    /// Sector and size the open answer already names ("wij zijn een
    /// bakkerij met 12 man"), to confirm in one question later. A sector
    /// word that also means something else ("zorg", "it", "techniek") does
    /// not count here; "Iets anders" is never proposed.
    fn propose_from(&mut self, t: &str) {
        self.conv.proposed = self.proposals_in(t);
    }

    /// "Nee, Delft": a no, then what is right instead (after the first
    /// comma, semicolon or colon).
    fn no_and_then<'t>(&self, t: &'t str) -> Option<&'t str> {
        let (head, rest) = t.split_once([',', ';', ':'])?;
        let rest = rest.trim();
        let no = self.k.matchers.intent(head, &["no"]).is_some();
        (no && !rest.is_empty()).then_some(rest)
    }

    /// What a "nee, ..." to a proposal names instead: as in an open answer,
    /// and a place on its own ("Delft") too.
    fn correction(&self, t: &str) -> BTreeMap<String, String> {
        let mut found = self.proposals_in(t);
        if found.contains_key(PROPOSED_MUNICIPALITY) {
            return found;
        }
        let c = &self.k.content;
        let Some(step) = self.region_step() else {
            return found;
        };
        match self.k.places.resolve(c, t) {
            Place::One(code) => {
                if let Some(m) = c.municipality(&code) {
                    found.insert(step.field().to_string(), m.province.clone());
                    found.insert(PROPOSED_MUNICIPALITY.to_string(), code);
                }
            }
            Place::Many { provinces, .. } if provinces.len() > 1 => {
                found.insert(PROPOSED_PLACE_WORDS.to_string(), t.to_string());
            }
            _ => {}
        }
        found
    }

    /// The step that asks where the business is (places and postcodes).
    fn region_step(&self) -> Option<&'k Step> {
        self.k
            .content
            .steps
            .iter()
            .find(|s| s.kind == StepKind::Choice && s.source == Some(Source::Regions))
    }

    /// What [`Engine::propose_from`] would propose for `t`: field -> id
    /// (and the municipality beside the province).
    fn proposals_in(&self, t: &str) -> BTreeMap<String, String> {
        let mut proposed = BTreeMap::new();
        let c = &self.k.content;
        let folded = crate::content::text::fold(t);
        let plain: String = folded
            .split(' ')
            .map(|w| {
                let bare = w.trim_matches(|ch: char| !ch.is_alphanumeric());
                if NOT_A_SECTOR_HERE.contains(&bare) {
                    "_"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        for s in c.steps.iter().filter(|s| s.kind == StepKind::Choice) {
            let found = match s.field() {
                "sector" => match self.k.matchers.resolve(c, s, &plain, None) {
                    Resolved::One(id) if id != OTHER_SECTOR => Some(id),
                    _ => None,
                },
                "size" => listen::headcount_in(t, &c.number_words).and_then(|n| {
                    match self.k.matchers.resolve(c, s, &n.to_string(), None) {
                        Resolved::One(id) => Some(id),
                        _ => None,
                    }
                }),
                // "een bakkerij in Apeldoorn", "7311 AB": the province,
                // with the municipality kept beside it.
                _ if s.source == Some(Source::Regions) => {
                    self.k.places.named_in(c, t).and_then(|code| {
                        let m = c.municipality(&code)?;
                        proposed.insert(PROPOSED_MUNICIPALITY.to_string(), code.clone());
                        Some(m.province.clone())
                    })
                }
                _ => None,
            };
            if let Some(id) = found {
                proposed.insert(s.field().to_string(), id);
            }
        }
        proposed
    }

    /// The answer to a proposal: yes takes every proposed answer and skips
    /// their questions; no asks this question from scratch, unless it names
    /// what is right instead ("nee, Delft"): then that replaces what it
    /// corrects and the proposal is checked again.
    fn proposal(&mut self, step: &'k Step, yes: bool, said: Option<&str>) {
        if !yes {
            let correction = said.map(|t| self.correction(t)).unwrap_or_default();
            if correction.is_empty() {
                self.conv.proposed.clear();
                return self.ask(step);
            }
            // Another place replaces the proposed one; a place that fits
            // several ("nee, Bergen") leaves the region to its own step.
            let region = self.region_step();
            let p = &mut self.conv.proposed;
            if correction.contains_key(PROPOSED_MUNICIPALITY)
                || correction.contains_key(PROPOSED_PLACE_WORDS)
            {
                p.remove(PROPOSED_MUNICIPALITY);
                p.remove(PROPOSED_PLACE_WORDS);
            }
            if correction.contains_key(PROPOSED_PLACE_WORDS) {
                if let Some(region) = region {
                    p.remove(region.field());
                }
            }
            p.extend(correction);
            // Nothing proposed for this step any more (the place was its
            // proposal): its own question, which asks about the place.
            if !self.conv.proposed.contains_key(step.field()) {
                return self.enter(&step.id);
            }
            return self.ask(step);
        }
        let accepted = std::mem::take(&mut self.conv.proposed);
        for (field, id) in &accepted {
            if field == PROPOSED_PLACE_WORDS {
                // Kept for the region step.
                self.conv.proposed.insert(field.clone(), id.clone());
            } else if field != PROPOSED_MUNICIPALITY {
                self.conv.answers.set_text(field, Some(id.clone()));
            }
        }
        if let Some(m) = accepted
            .get(PROPOSED_MUNICIPALITY)
            .and_then(|code| self.k.content.municipality(code))
        {
            self.conv.answers.municipality = Some(m.code.clone());
            self.conv.answers.labour_market_region = Some(m.labour_market_region.clone());
        }
        let branch = |s: &Step| {
            accepted
                .get(s.field())
                .and_then(|id| s.branches.get(id))
                .cloned()
                .or_else(|| s.next.clone())
                .unwrap_or_default()
        };
        self.conv.history.push(step.id.clone());
        let mut next = branch(step);
        // Later questions the proposal already answered are skipped.
        while let Some(s) = self.k.content.step(&next) {
            if s.kind != StepKind::Choice || !accepted.contains_key(s.field()) {
                break;
            }
            self.conv.history.push(s.id.clone());
            next = branch(s);
        }
        self.enter(&next);
    }

    /// "Iets anders": their own words are kept (and shown to the coach),
    /// and the bot says so.
    fn other_sector(&mut self, step: &'k Step, t: &str) {
        let folded = crate::content::text::fold(t);
        let generic = listen::option_numbers(t).is_some()
            || [
                "iets anders",
                "anders",
                "overig",
                "overige",
                "other",
                "something else",
            ]
            .contains(&folded.as_str());
        if generic {
            self.conv.answers.set_text(SECTOR_WORDS, None);
        } else {
            self.conv
                .answers
                .set_text(SECTOR_WORDS, Some(t.to_string()));
            let text = fill(&self.msg("sector_other_kept"), &[("words", t)]);
            self.say(text);
        }
        self.chosen(step, OTHER_SECTOR.to_string());
    }

    fn chosen(&mut self, step: &'k Step, id: String) {
        let next = step.branches.get(&id).cloned();
        self.conv.answers.set_text(step.field(), Some(id));
        self.advance(step, next);
    }

    fn miss(&mut self, step: &'k Step, noted: bool) {
        if noted {
            // The user asked about an ended scheme; that was answered, so just re-ask.
            return self.ask(step);
        }
        self.conv.misses += 1;
        let key = if self.conv.misses >= 2 {
            "offer_human"
        } else {
            "not_understood"
        };
        self.say(self.msg(key));
        self.reask(step);
    }

    /// Records the step as answered and moves on.
    fn advance(&mut self, step: &'k Step, next: Option<String>) {
        self.conv.history.push(step.id.clone());
        let next = next.or_else(|| step.next.clone()).unwrap_or_default();
        self.enter(&next);
    }

    /// Enters a step: non-interactive steps run and chain on; an interactive
    /// one becomes the pending question.
    fn enter(&mut self, id: &str) {
        let mut id = id.to_string();
        for _ in 0..MAX_CHAIN {
            let Some(step) = self.k.content.step(&id) else {
                return self.end_over();
            };
            self.conv.step = Some(step.id.clone());
            self.conv.misses = 0;
            self.conv.narrowed = None;
            self.conv.place_candidates.clear();
            self.conv.picking = false;
            let lang = self.lang();
            match step.kind {
                StepKind::Message => {
                    self.say(step.prompt.get(lang).to_string());
                    id = step.next.clone().unwrap_or_default();
                }
                StepKind::Recommendations => {
                    let mut rec = recommend::recommend_at(
                        self.k,
                        &self.conv.answers,
                        lang,
                        Some(step.id.clone()),
                        self.now.date_naive(),
                    );
                    let prompt = step.prompt.get(lang);
                    if !prompt.is_empty() {
                        rec.text = format!("{prompt}\n\n{}", rec.text);
                        rec.intro = format!("{prompt}\n\n{}", rec.intro);
                    }
                    self.conv.recommended = rec.routes.iter().map(|r| r.id.clone()).collect();
                    if let Some(p) = &rec.peer {
                        self.conv.recommended.push(p.id.clone());
                    }
                    self.conv.contacts_shown = rec.contacts.iter().map(|c| c.id.clone()).collect();
                    self.outputs.push(Output::Recommendations(Box::new(rec)));
                    id = step.next.clone().unwrap_or_default();
                }
                StepKind::End => {
                    self.conv.step = None;
                    let text = step.prompt.get(lang).to_string();
                    match step.action {
                        Some(EndAction::Handoff) => {
                            self.say(text);
                            handoff::request(
                                &mut self.conv,
                                self.now,
                                HandoffReason::OfferAccepted,
                            );
                            self.events.push(Event::HandoffRequested {
                                reason: HandoffReason::OfferAccepted,
                            });
                        }
                        action => {
                            let status = if action == Some(EndAction::Decline) {
                                Status::Declined
                            } else {
                                Status::Ended
                            };
                            self.conv.status = status;
                            self.conv.ended_at = Some(self.now);
                            self.events.push(Event::Finished { status });
                            self.outputs.push(Output::End {
                                step: Some(step.id.clone()),
                                text,
                            });
                        }
                    }
                    return;
                }
                _ => {
                    // "nee, Bergen" to the proposal: which Bergen, now.
                    if step.source == Some(Source::Regions) {
                        if let Some(words) = self.conv.proposed.remove(PROPOSED_PLACE_WORDS) {
                            if self.place(step, &words) {
                                return;
                            }
                        }
                    }
                    return self.ask(step);
                }
            }
        }
        self.end_over();
    }

    /// Emits the question for `step` in its current state.
    fn ask(&mut self, step: &Step) {
        let q = self.question(step);
        self.outputs.push(Output::Question(q));
    }

    /// "Even checken, klopt dit? Branche: Bouw en infra. Grootte: 10–49
    /// mensen." for the proposals at this step and the ones after it.
    fn proposal_text(&self, step: &Step) -> String {
        let c = &self.k.content;
        let lang = self.lang();
        let p = &self.conv.proposed;
        let mut parts = vec![self.msg("propose_check")];
        if step.field() == "sector" {
            if let Some(s) = p.get("sector").and_then(|id| c.sector(id)) {
                parts.push(fill(
                    &self.msg("propose_sector"),
                    &[("sector", s.label.get(lang))],
                ));
            }
        }
        if let Some(s) = p.get("size").and_then(|id| c.size(id)) {
            parts.push(fill(
                &self.msg("propose_size"),
                &[("size", s.label.get(lang))],
            ));
        }
        if let Some(m) = p
            .get(PROPOSED_MUNICIPALITY)
            .and_then(|code| c.municipality(code))
        {
            parts.push(fill(&self.msg("propose_place"), &[("place", &m.name)]));
        }
        parts.join(" ")
    }

    /// The question for `step` in its current state, with its options.
    fn question(&self, step: &Step) -> Question {
        let lang = self.lang();
        let c = &self.k.content;
        let mut q = Question {
            step: step.id.clone(),
            text: step.prompt.get(lang).to_string(),
            choices: Vec::new(),
            multi: false,
            free_text: true,
            numbered: true,
            concerns: Vec::new(),
        };
        let yes = Choice {
            id: "yes".into(),
            label: self.msg("yes"),
        };
        let no = Choice {
            id: "no".into(),
            label: self.msg("no"),
        };
        match step.kind {
            StepKind::YesNo => q.choices = vec![yes, no],
            StepKind::Open => {
                q.numbered = false;
                if step.optional {
                    q.choices.push(Choice {
                        id: "skip".into(),
                        label: self.msg("skip"),
                    });
                }
            }
            StepKind::ConfirmConcerns => {
                let detected = &self.conv.answers.detected;
                q.multi = true;
                q.concerns = self.conv.answers.concerns.clone();
                if detected.is_empty() {
                    q.text = self.msg("confirm_none");
                } else if self.conv.picking {
                    q.text = self.msg("confirm_pick");
                } else {
                    q.text = fill(
                        step.prompt.get(lang),
                        &[("concerns", &self.reflected(detected))],
                    );
                    q.choices.push(yes);
                    q.choices.push(no);
                }
                q.choices.extend(c.concerns.iter().map(|x| Choice {
                    id: x.id.clone(),
                    label: x.label.get(lang).to_string(),
                }));
            }
            StepKind::Choice if self.conv.proposed.contains_key(step.field()) => {
                q.text = self.proposal_text(step);
                q.choices = vec![yes, no];
            }
            StepKind::Choice if self.municipality_choice() => {
                q.text = self.postcode_mixed_text(None);
                for m in self.conv.narrowed.iter().flatten() {
                    if let Some(x) = c.municipality(m) {
                        q.choices.push(Choice {
                            id: x.code.clone(),
                            label: x.name.clone(),
                        });
                    }
                }
            }
            StepKind::Choice => {
                let ids = self.k.matchers.option_ids(step);
                q.numbered = step.source != Some(Source::Sizes);
                for id in ids {
                    if self
                        .conv
                        .narrowed
                        .as_ref()
                        .is_some_and(|n| !n.contains(&id))
                    {
                        continue;
                    }
                    let label = match step.source {
                        Some(Source::Sectors) => {
                            c.sector(&id).map(|s| s.label.get(lang).to_string())
                        }
                        Some(Source::Sizes) => c.size(&id).map(|s| s.label.get(lang).to_string()),
                        Some(Source::Regions) => c.province(&id).map(|p| p.name.clone()),
                        None => step
                            .options
                            .iter()
                            .find(|o| o.id == id)
                            .map(|o| o.label.get(lang).to_string()),
                    };
                    q.choices.push(Choice {
                        label: label.unwrap_or_else(|| id.clone()),
                        id,
                    });
                }
            }
            _ => {}
        }
        if self.conv.misses >= 2 {
            q.choices.push(Choice {
                id: HUMAN_CHOICE.into(),
                label: self.msg("human_choice"),
            });
        }
        q
    }
}
