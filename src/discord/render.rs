//! Engine outputs as Discord messages: text, buttons, select menus, embeds.
//!
//! Pure: no I/O and no Discord connection, so every limit Discord enforces
//! (2000 characters, 5 buttons a row, 25 options a menu, 100-character
//! custom ids, embed sizes) is checked here by unit tests, not by Discord.
//! One user turn becomes as few messages as the limits allow, because
//! Discord rate-limits sends per channel.

use super::ids::CustomId;
use crate::domain::output::{Output, Question, Recommendations, RouteRec};
use serenity::all::{
    ActionRow, ActionRowComponent, ButtonKind, ButtonStyle, CreateActionRow, CreateAllowedMentions,
    CreateButton, CreateEmbed, CreateMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption,
};

/// Longest message content Discord accepts, in characters.
pub const MAX_CONTENT: usize = 2000;
/// Discord's upload limit per file for bots (an unboosted server). A lower
/// limit in the interaction (`attachment_size_limit`) wins.
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// Buttons in one action row.
pub const MAX_BUTTONS: usize = 5;
/// Action rows in one message.
pub const MAX_ROWS: usize = 5;
/// Options in one select menu.
pub const MAX_OPTIONS: usize = 25;
/// Button label length.
pub const MAX_BUTTON_LABEL: usize = 80;
/// Select option label and value length.
pub const MAX_OPTION_LABEL: usize = 100;
/// Select menu placeholder length.
pub const MAX_PLACEHOLDER: usize = 150;
/// Embeds in one message.
pub const MAX_EMBEDS: usize = 10;
/// All embed text in one message.
pub const MAX_EMBED_TOTAL: usize = 6000;
const MAX_EMBED_TITLE: usize = 256;
const MAX_EMBED_DESCRIPTION: usize = 4096;
const MAX_FIELD_NAME: usize = 256;
const MAX_FIELD_VALUE: usize = 1024;
const MAX_FIELDS: usize = 25;

/// Choice ids that are actions rather than items of a list: they stay
/// buttons even when the other options go into a select menu.
pub const ACTION_CHOICES: &[&str] = &["yes", "no", "skip", crate::domain::engine::HUMAN_CHOICE];

/// Words on components, in the conversation's language (from the content).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// The button that opens a text form (thread mode without Message Content).
    pub type_answer: String,
    /// Placeholder of a single-choice menu.
    pub choose_one: String,
    /// Placeholder of a multi-choice menu.
    pub choose_many: String,
}

/// What rendering needs besides the outputs.
#[derive(Debug, Clone, Copy)]
pub struct RenderCtx<'a> {
    /// The conversation the outputs belong to; goes into every custom id so a
    /// click on an old question is recognised as stale.
    pub conversation: &'a str,
    pub labels: &'a Labels,
    /// Typed messages do not reach the bot here (a thread without the Message
    /// Content intent): free-text questions get a button that opens a form.
    pub text_by_form: bool,
}

/// One message to send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub content: String,
    pub embeds: Vec<CreateEmbed>,
    pub components: Vec<CreateActionRow>,
}

impl Outgoing {
    /// The serenity builder, with mentions suppressed explicitly (on top of
    /// the client-wide default): echoed text never pings anyone.
    pub fn into_message(self) -> CreateMessage {
        let mut m = CreateMessage::new().allowed_mentions(CreateAllowedMentions::new());
        if !self.content.is_empty() {
            m = m.content(self.content);
        }
        if !self.embeds.is_empty() {
            m = m.embeds(self.embeds);
        }
        if !self.components.is_empty() {
            m = m.components(self.components);
        }
        m
    }
}

/// The custom id of the one text input in each of the bot's forms.
pub(crate) const FORM_INPUT: &str = "answer";

/// What was typed into a form's input (empty when there is none).
pub(crate) fn form_text(mi: &serenity::all::ModalInteraction) -> String {
    mi.data
        .components
        .iter()
        .flat_map(|r| &r.components)
        .find_map(|c| match c {
            ActionRowComponent::InputText(t) if t.custom_id == FORM_INPUT => t.value.clone(),
            _ => None,
        })
        .unwrap_or_default()
}

/// Renders one turn's outputs. Statements and the question are joined into
/// one message where they fit; recommendations get their own message with
/// embeds; the question's components go on the last message.
pub fn render(outputs: &[Output], ctx: RenderCtx<'_>) -> Vec<Outgoing> {
    let mut out = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut Vec<Outgoing>| {
        for chunk in split(text, MAX_CONTENT) {
            out.push(Outgoing {
                content: chunk,
                ..Outgoing::default()
            });
        }
        text.clear();
    };
    for o in outputs {
        match o {
            Output::Message { text: t, .. } | Output::End { text: t, .. } => {
                push_para(&mut text, t)
            }
            Output::Recommendations(r) => {
                flush(&mut text, &mut out);
                out.extend(recommendations(r));
            }
            Output::Question(q) => {
                push_para(&mut text, &q.text);
                let components = question_components(q, ctx);
                let before = out.len();
                flush(&mut text, &mut out);
                if out.len() == before {
                    out.push(Outgoing::default());
                }
                if let Some(last) = out.last_mut() {
                    last.components = components;
                }
            }
        }
    }
    flush(&mut text, &mut out);
    out
}

fn push_para(text: &mut String, t: &str) {
    if t.trim().is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(t);
}

/// Buttons for up to five options; a select menu for longer lists (several
/// menus of 25 if needed). Action choices (yes, no, skip, a person) stay
/// buttons next to a menu. A multi-choice list is one menu with
/// `max_values` set.
pub fn question_components(q: &Question, ctx: RenderCtx<'_>) -> Vec<CreateActionRow> {
    let conv = ctx.conversation;
    let step = q.step.as_str();
    let button = |id: &str, label: &str| {
        let style = if id == "skip" || id == crate::domain::engine::HUMAN_CHOICE {
            ButtonStyle::Secondary
        } else {
            ButtonStyle::Primary
        };
        CreateButton::new(CustomId::answer(conv, step, id).encode())
            .label(truncate(label, MAX_BUTTON_LABEL))
            .style(style)
    };
    let (actions, items): (Vec<_>, Vec<_>) = if q.choices.len() <= MAX_BUTTONS && !q.multi {
        (q.choices.iter().collect(), Vec::new())
    } else {
        q.choices
            .iter()
            .partition(|c| ACTION_CHOICES.contains(&c.id.as_str()))
    };
    let mut buttons: Vec<CreateButton> = actions.iter().map(|c| button(&c.id, &c.label)).collect();
    if ctx.text_by_form && q.free_text && items.is_empty() {
        let is_action_only = q
            .choices
            .iter()
            .all(|c| ACTION_CHOICES.contains(&c.id.as_str()) && c.id != "yes" && c.id != "no");
        if is_action_only {
            buttons.insert(
                0,
                CreateButton::new(CustomId::form(conv, step).encode())
                    .label(truncate(&ctx.labels.type_answer, MAX_BUTTON_LABEL))
                    .style(ButtonStyle::Primary),
            );
        }
    }
    let mut rows = Vec::new();
    let menus: Vec<&[&crate::domain::output::Choice]> = items.chunks(MAX_OPTIONS).collect();
    let menu_count = menus.len();
    for (i, chunk) in menus.into_iter().enumerate() {
        let options = chunk
            .iter()
            .map(|c| {
                CreateSelectMenuOption::new(
                    truncate(&c.label, MAX_OPTION_LABEL),
                    truncate(&c.id, MAX_OPTION_LABEL),
                )
                .default_selection(q.multi && q.concerns.contains(&c.id))
            })
            .collect::<Vec<_>>();
        let n = options.len();
        let placeholder = if q.multi {
            &ctx.labels.choose_many
        } else {
            &ctx.labels.choose_one
        };
        let id = if menu_count == 1 {
            CustomId::menu(conv, step)
        } else {
            CustomId::menu_part(conv, step, i)
        };
        let mut menu = CreateSelectMenu::new(id.encode(), CreateSelectMenuKind::String { options })
            .placeholder(truncate(placeholder, MAX_PLACEHOLDER));
        if q.multi {
            menu = menu.min_values(1).max_values(n.min(MAX_OPTIONS) as u8);
        }
        rows.push(CreateActionRow::SelectMenu(menu));
    }
    let row_budget = MAX_ROWS.saturating_sub(rows.len());
    let button_rows: Vec<CreateActionRow> = buttons
        .chunks(MAX_BUTTONS)
        .take(row_budget)
        .map(|b| CreateActionRow::Buttons(b.to_vec()))
        .collect();
    // Buttons (yes / no) first: they answer the question as asked.
    button_rows.into_iter().chain(rows).take(MAX_ROWS).collect()
}

/// The routes, contacts and peer suggestion as embeds with links, after the
/// intro text. Split over several messages when Discord's embed limits need it.
pub fn recommendations(r: &Recommendations) -> Vec<Outgoing> {
    let mut embeds: Vec<(usize, CreateEmbed)> = Vec::new();
    for route in &r.routes {
        embeds.push(route_embed(route, None));
    }
    if !r.contacts.is_empty() {
        let title = truncate(&r.contacts_intro, MAX_EMBED_TITLE);
        let mut size = title.chars().count();
        let mut e = CreateEmbed::new().title(title);
        for c in r.contacts.iter().take(MAX_FIELDS) {
            let name = truncate(&c.name, MAX_FIELD_NAME);
            let value = truncate(&format!("{}\n{}", c.about, c.url), MAX_FIELD_VALUE);
            size += name.chars().count() + value.chars().count();
            e = e.field(name, value, false);
        }
        embeds.push((size, e));
    }
    if let Some(p) = &r.peer {
        embeds.push(route_embed(p, Some(&r.peer_intro)));
    }
    let mut out = Vec::new();
    let mut current = Outgoing::default();
    let mut chunks = split(&r.intro, MAX_CONTENT);
    let last_intro = chunks.pop().unwrap_or_default();
    for c in chunks {
        out.push(Outgoing {
            content: c,
            ..Outgoing::default()
        });
    }
    current.content = last_intro;
    let mut total = 0;
    for (size, e) in embeds {
        if current.embeds.len() == MAX_EMBEDS || total + size > MAX_EMBED_TOTAL {
            out.push(std::mem::take(&mut current));
            total = 0;
        }
        total += size;
        current.embeds.push(e);
    }
    if !current.content.is_empty() || !current.embeds.is_empty() {
        out.push(current);
    }
    out
}

/// One route as an embed; returns its text size for the 6000 budget.
fn route_embed(route: &RouteRec, intro: Option<&str>) -> (usize, CreateEmbed) {
    let title = truncate(&route.title, MAX_EMBED_TITLE);
    let mut description = String::new();
    if let Some(i) = intro {
        push_para(&mut description, i);
    }
    push_para(&mut description, &route.summary);
    push_para(&mut description, &route.why);
    let description = truncate(&description, MAX_EMBED_DESCRIPTION);
    let size = title.chars().count() + description.chars().count();
    let mut e = CreateEmbed::new().title(title).description(description);
    if route.url.starts_with("https://") || route.url.starts_with("http://") {
        e = e.url(route.url.clone());
    }
    (size, e)
}

/// Splits `text` into pieces of at most `max` characters, preferring
/// paragraph breaks, then line breaks, then spaces; a word longer than
/// `max` is cut. Pieces are trimmed; none is empty.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.chars().count() <= max {
            out.push(rest.to_string());
            break;
        }
        // Byte offset just past the `max`-th character.
        let limit = rest
            .char_indices()
            .nth(max)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let window = &rest[..limit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(limit);
        let piece = rest[..cut].trim();
        if !piece.is_empty() {
            out.push(piece.to_string());
        }
        rest = rest[cut..].trim_start();
    }
    out
}

/// Cuts to `max` characters, ending in "…" when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Escapes Discord markdown (and mention / link syntax) so user text quoted
/// back shows as typed: `**x**` stays literal and `@everyone` cannot render
/// as a mention even where mentions are allowed.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '-' | '[' | ']' | '(' | ')' | '<'
            | ':' => {
                out.push('\\');
                out.push(ch);
            }
            '@' => {
                // A zero-width space breaks `@everyone`, `@here` and `<@id>`.
                out.push('@');
                out.push('\u{200B}');
            }
            _ => out.push(ch),
        }
    }
    out
}

/// The components of an answered message, all disabled: the clicked button
/// is marked, picked menu options stay shown. A second click then has
/// nothing to press, and a stale one changes nothing that was not already so.
pub fn disable_components(
    rows: &[ActionRow],
    clicked: Option<&str>,
    picked: &[String],
) -> Vec<CreateActionRow> {
    rows.iter()
        .filter_map(|row| {
            let mut buttons = Vec::new();
            let mut menu = None;
            for c in &row.components {
                match c {
                    ActionRowComponent::Button(b) => {
                        let mut b2 = b.clone();
                        if let ButtonKind::NonLink { custom_id, style } = &mut b2.data {
                            if clicked == Some(custom_id.as_str()) {
                                *style = ButtonStyle::Success;
                            }
                        }
                        buttons.push(CreateButton::from(b2).disabled(true));
                    }
                    ActionRowComponent::SelectMenu(s) => {
                        let options = s
                            .options
                            .iter()
                            .map(|o| {
                                let chosen =
                                    if picked.is_empty() || clicked != s.custom_id.as_deref() {
                                        o.default
                                    } else {
                                        picked.contains(&o.value)
                                    };
                                CreateSelectMenuOption::new(o.label.clone(), o.value.clone())
                                    .default_selection(chosen)
                            })
                            .collect();
                        let mut m = CreateSelectMenu::new(
                            s.custom_id.clone().unwrap_or_default(),
                            CreateSelectMenuKind::String { options },
                        )
                        .disabled(true);
                        if let Some(p) = &s.placeholder {
                            m = m.placeholder(p.clone());
                        }
                        if let Some(n) = s.min_values {
                            m = m.min_values(n);
                        }
                        if let Some(n) = s.max_values {
                            m = m.max_values(n);
                        }
                        menu = Some(m);
                    }
                    ActionRowComponent::InputText(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::output::Choice;
    use serde_json::Value;

    fn labels() -> Labels {
        Labels {
            type_answer: "Type".into(),
            choose_one: "Pick".into(),
            choose_many: "Pick some".into(),
        }
    }

    fn q(ids: &[&str], multi: bool) -> Question {
        Question {
            step: "s".into(),
            text: "Question?".into(),
            choices: ids
                .iter()
                .map(|i| Choice {
                    id: i.to_string(),
                    label: format!("label {i}"),
                })
                .collect(),
            multi,
            free_text: true,
            numbered: true,
            concerns: Vec::new(),
        }
    }

    fn json(rows: &[CreateActionRow]) -> Vec<Value> {
        rows.iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }

    fn ctx<'a>(l: &'a Labels, form: bool) -> RenderCtx<'a> {
        RenderCtx {
            conversation: "c000001",
            labels: l,
            text_by_form: form,
        }
    }

    #[test]
    fn split_keeps_every_piece_under_the_limit_and_loses_no_words() {
        let para = "woord ".repeat(500);
        let text = format!("{para}\n\n{}\n\n{}", "x".repeat(4500), "kort");
        let pieces = split(&text, MAX_CONTENT);
        assert!(pieces.len() >= 4);
        for p in &pieces {
            assert!(p.chars().count() <= MAX_CONTENT, "{}", p.chars().count());
            assert!(!p.is_empty());
        }
        let joined: String = pieces.concat();
        let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(strip(&joined), strip(&text));
        assert!(pieces.last().unwrap().ends_with("kort"));
    }

    #[test]
    fn split_counts_characters_not_bytes() {
        let text = "é".repeat(2000);
        assert_eq!(split(&text, MAX_CONTENT), vec![text.clone()]);
        assert_eq!(split(&"é".repeat(2001), MAX_CONTENT).len(), 2);
    }

    #[test]
    fn five_options_are_buttons_six_are_a_menu() {
        let l = labels();
        let five = json(&question_components(
            &q(&["a", "b", "c", "d", "e"], false),
            ctx(&l, false),
        ));
        assert_eq!(five.len(), 1);
        assert_eq!(five[0]["components"].as_array().unwrap().len(), 5);
        assert_eq!(five[0]["components"][0]["type"], 2);
        assert_eq!(
            five[0]["components"][0]["custom_id"], "llo:b:c000001:s:a",
            "custom ids carry conversation, step and choice"
        );
        let six = json(&question_components(
            &q(&["a", "b", "c", "d", "e", "f"], false),
            ctx(&l, false),
        ));
        assert_eq!(six.len(), 1);
        let menu = &six[0]["components"][0];
        assert_eq!(menu["type"], 3);
        assert_eq!(menu["options"].as_array().unwrap().len(), 6);
        assert_eq!(menu["custom_id"], "llo:s:c000001:s");
    }

    #[test]
    fn multi_choice_is_one_menu_with_actions_as_buttons() {
        let l = labels();
        let rows = json(&question_components(
            &q(&["yes", "no", "a", "b", "c"], true),
            ctx(&l, false),
        ));
        assert_eq!(rows.len(), 2);
        let ids: Vec<&str> = rows[0]["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["custom_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["llo:b:c000001:s:yes", "llo:b:c000001:s:no"]);
        assert_eq!(rows[1]["components"][0]["max_values"], 3);
        assert_eq!(rows[1]["components"][0]["min_values"], 1);
    }

    #[test]
    fn more_than_25_options_become_several_menus_within_five_rows() {
        let l = labels();
        let ids: Vec<String> = (0..60).map(|i| format!("o{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let rows = json(&question_components(&q(&refs, false), ctx(&l, false)));
        assert_eq!(rows.len(), 3);
        for r in &rows {
            assert!(r["components"][0]["options"].as_array().unwrap().len() <= MAX_OPTIONS);
        }
    }

    #[test]
    fn form_button_only_where_typing_is_the_answer() {
        let l = labels();
        let open = json(&question_components(&q(&["skip"], false), ctx(&l, true)));
        let first = open[0]["components"][0]["custom_id"].as_str().unwrap();
        assert_eq!(first, "llo:t:c000001:s");
        let no_form = json(&question_components(&q(&["skip"], false), ctx(&l, false)));
        assert_eq!(no_form[0]["components"].as_array().unwrap().len(), 1);
        let yes_no = json(&question_components(
            &q(&["yes", "no"], false),
            ctx(&l, true),
        ));
        assert_eq!(yes_no[0]["components"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn statements_and_question_share_one_message_with_components_last() {
        let l = labels();
        let outputs = vec![
            Output::Message {
                step: None,
                text: "Hallo.".into(),
            },
            Output::Question(q(&["yes", "no"], false)),
        ];
        let out = render(&outputs, ctx(&l, false));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].content, "Hallo.\n\nQuestion?");
        assert_eq!(out[0].components.len(), 1);
    }

    #[test]
    fn long_question_text_puts_components_on_the_last_piece() {
        let l = labels();
        let mut question = q(&["yes", "no"], false);
        question.text = "lang ".repeat(900);
        let out = render(&[Output::Question(question)], ctx(&l, false));
        assert_eq!(out.len(), 3);
        assert!(out[..2].iter().all(|o| o.components.is_empty()));
        assert_eq!(out[2].components.len(), 1);
    }

    #[test]
    fn escape_markdown_neutralises_formatting_and_mentions() {
        let e = escape_markdown("**vet** @everyone <@&12> _x_ `c`");
        assert!(!e.contains("@everyone"));
        assert!(!e.contains("**"));
        assert!(e.contains("\\*\\*vet\\*\\*"));
        assert!(!e.contains("<@&"));
    }

    #[test]
    fn disabled_components_mark_the_click_and_disable_everything() {
        let rows: Vec<ActionRow> = serde_json::from_value(serde_json::json!([
            {"type": 1, "components": [
                {"type": 2, "style": 1, "custom_id": "llo:b:c1:s:yes", "label": "Ja"},
                {"type": 2, "style": 1, "custom_id": "llo:b:c1:s:no", "label": "Nee"}
            ]},
            {"type": 1, "components": [
                {"type": 3, "custom_id": "llo:s:c1:s", "options": [
                    {"label": "A", "value": "a"}, {"label": "B", "value": "b"}
                ]}
            ]}
        ]))
        .unwrap();
        let out = json(&disable_components(&rows, Some("llo:b:c1:s:yes"), &[]));
        assert_eq!(out[0]["components"][0]["style"], 3);
        assert_eq!(out[0]["components"][1]["style"], 1);
        assert!(out
            .iter()
            .flat_map(|r| r["components"].as_array().unwrap())
            .all(|c| c["disabled"] == true));
        let picked = json(&disable_components(
            &rows,
            Some("llo:s:c1:s"),
            &["b".to_string()],
        ));
        assert_eq!(picked[1]["components"][0]["options"][1]["default"], true);
        assert_eq!(picked[1]["components"][0]["options"][0]["default"], false);
    }

    #[test]
    fn recommendations_respect_embed_limits() {
        let route = RouteRec {
            id: "r".into(),
            title: "T".repeat(300),
            url: "https://example.org".into(),
            why: "w".repeat(3000),
            summary: "s".repeat(3000),
            uncertain: false,
        };
        let r = Recommendations {
            step: None,
            text: String::new(),
            concerns: vec![],
            profile: Default::default(),
            routes: vec![route.clone(), route.clone(), route],
            contacts: vec![],
            peer: None,
            intro: "Intro".into(),
            contacts_intro: "Contacts".into(),
            peer_intro: "Peers".into(),
        };
        let out = recommendations(&r);
        assert!(
            out.len() >= 2,
            "three 4096-character embeds cannot share a message"
        );
        assert_eq!(out[0].content, "Intro");
        for o in &out {
            let v: Vec<Value> = o
                .embeds
                .iter()
                .map(|e| serde_json::to_value(e).unwrap())
                .collect();
            let total: usize = v
                .iter()
                .map(|e| {
                    e["title"].as_str().unwrap_or("").chars().count()
                        + e["description"].as_str().unwrap_or("").chars().count()
                })
                .sum();
            assert!(total <= MAX_EMBED_TOTAL);
            for e in &v {
                assert!(e["title"].as_str().unwrap().chars().count() <= 256);
                assert!(e["description"].as_str().unwrap().chars().count() <= 4096);
            }
        }
    }
}
