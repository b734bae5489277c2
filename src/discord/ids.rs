//! The `custom_id`s on buttons, menus and forms.
//!
//! Every answer component carries the conversation id and the step id it
//! asks about, so a click that arrives late (a second click, an old message,
//! a click after a restart) is recognised and ignored without any state in
//! memory. The start button carries nothing, so it works forever.
//!
//! Format: `llo:<kind>:<conversation>:<step>[:<choice>]`, at most 100
//! characters (Discord's limit).

const PREFIX: &str = "llo";

/// A decoded custom id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    /// The panel's start button.
    Start,
    /// A button that answers `step` of `conversation` with `choice`.
    Answer {
        conversation: String,
        step: String,
        choice: String,
    },
    /// A select menu on `step`; the picked values are the answer. `part`
    /// numbers the menus of a list longer than one menu holds.
    Menu {
        conversation: String,
        step: String,
        part: Option<usize>,
    },
    /// The button that opens the text form for `step`.
    Form { conversation: String, step: String },
    /// The submitted text form for `step`.
    FormSubmit { conversation: String, step: String },
    /// A coach claims the hand-off of `conversation` (card button).
    Claim { conversation: String },
    /// A moderator assigns the hand-off to a coach (card button).
    Assign { conversation: String },
    /// The coach picked for the assignment (user select menu).
    AssignTo { conversation: String },
}

impl CustomId {
    pub fn answer(conversation: &str, step: &str, choice: &str) -> Self {
        CustomId::Answer {
            conversation: conversation.into(),
            step: step.into(),
            choice: choice.into(),
        }
    }

    pub fn menu(conversation: &str, step: &str) -> Self {
        CustomId::Menu {
            conversation: conversation.into(),
            step: step.into(),
            part: None,
        }
    }

    pub fn menu_part(conversation: &str, step: &str, part: usize) -> Self {
        CustomId::Menu {
            conversation: conversation.into(),
            step: step.into(),
            part: Some(part),
        }
    }

    pub fn form(conversation: &str, step: &str) -> Self {
        CustomId::Form {
            conversation: conversation.into(),
            step: step.into(),
        }
    }

    pub fn form_submit(conversation: &str, step: &str) -> Self {
        CustomId::FormSubmit {
            conversation: conversation.into(),
            step: step.into(),
        }
    }

    /// The question this component answers: (conversation, step).
    pub fn question(&self) -> Option<(&str, &str)> {
        match self {
            CustomId::Start
            | CustomId::Claim { .. }
            | CustomId::Assign { .. }
            | CustomId::AssignTo { .. } => None,
            CustomId::Answer {
                conversation, step, ..
            }
            | CustomId::Menu {
                conversation, step, ..
            }
            | CustomId::Form { conversation, step }
            | CustomId::FormSubmit { conversation, step } => Some((conversation, step)),
        }
    }

    pub fn encode(&self) -> String {
        match self {
            CustomId::Start => format!("{PREFIX}:start"),
            CustomId::Answer {
                conversation,
                step,
                choice,
            } => format!("{PREFIX}:b:{conversation}:{step}:{choice}"),
            CustomId::Menu {
                conversation,
                step,
                part: None,
            } => format!("{PREFIX}:s:{conversation}:{step}"),
            CustomId::Menu {
                conversation,
                step,
                part: Some(n),
            } => format!("{PREFIX}:s:{conversation}:{step}:{n}"),
            CustomId::Form { conversation, step } => format!("{PREFIX}:t:{conversation}:{step}"),
            CustomId::FormSubmit { conversation, step } => {
                format!("{PREFIX}:f:{conversation}:{step}")
            }
            CustomId::Claim { conversation } => format!("{PREFIX}:claim:{conversation}"),
            CustomId::Assign { conversation } => format!("{PREFIX}:assign:{conversation}"),
            CustomId::AssignTo { conversation } => format!("{PREFIX}:assignto:{conversation}"),
        }
    }

    /// Decodes a custom id; `None` for ids that are not ours (or malformed).
    pub fn parse(s: &str) -> Option<CustomId> {
        let mut parts = s.splitn(5, ':');
        if parts.next()? != PREFIX {
            return None;
        }
        let kind = parts.next()?;
        if kind == "start" {
            return parts.next().is_none().then_some(CustomId::Start);
        }
        if matches!(kind, "claim" | "assign" | "assignto") {
            let conversation = parts.next().filter(|p| !p.is_empty())?.to_string();
            if parts.next().is_some() {
                return None;
            }
            return Some(match kind {
                "claim" => CustomId::Claim { conversation },
                "assign" => CustomId::Assign { conversation },
                _ => CustomId::AssignTo { conversation },
            });
        }
        let conversation = parts.next().filter(|p| !p.is_empty())?.to_string();
        let step = parts.next().filter(|p| !p.is_empty())?.to_string();
        let rest = parts.next();
        match (kind, rest) {
            ("b", Some(choice)) if !choice.is_empty() => Some(CustomId::Answer {
                conversation,
                step,
                choice: choice.to_string(),
            }),
            ("s", None) => Some(CustomId::Menu {
                conversation,
                step,
                part: None,
            }),
            ("s", Some(n)) => Some(CustomId::Menu {
                conversation,
                step,
                part: Some(n.parse().ok()?),
            }),
            ("t", None) => Some(CustomId::Form { conversation, step }),
            ("f", None) => Some(CustomId::FormSubmit { conversation, step }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discord's limit on a custom id.
    const MAX_CUSTOM_ID: usize = 100;

    #[test]
    fn round_trips() {
        for id in [
            CustomId::Start,
            CustomId::answer("c000012", "consent", "yes"),
            CustomId::menu("c000012", "sector"),
            CustomId::menu_part("c000012", "region", 2),
            CustomId::form("c000012", "concerns"),
            CustomId::form_submit("c000012", "tried"),
            CustomId::Claim {
                conversation: "c000012".into(),
            },
            CustomId::Assign {
                conversation: "c000012".into(),
            },
            CustomId::AssignTo {
                conversation: "c000012".into(),
            },
        ] {
            assert_eq!(CustomId::parse(&id.encode()), Some(id.clone()), "{id:?}");
        }
    }

    #[test]
    fn foreign_and_malformed_ids_are_not_ours() {
        for s in [
            "",
            "other:b:c1:s:x",
            "llo",
            "llo:b:c1:s",
            "llo:b::s:x",
            "llo:x:c1:s",
            "llo:s:c1:s:notanumber",
            "llo:start:extra",
            "llo:claim:",
            "llo:claim:c1:extra",
        ] {
            assert_eq!(CustomId::parse(s), None, "{s}");
        }
    }

    #[test]
    fn every_shipped_answer_fits_discords_limit() {
        let k = crate::domain::knowledge::Knowledge::load_default().unwrap();
        // A conversation id far beyond any real count.
        let conv = format!("c{}", u64::MAX);
        let c = &k.content;
        let mut choices: Vec<String> = ["yes", "no", "skip", crate::domain::engine::HUMAN_CHOICE]
            .iter()
            .map(|s| s.to_string())
            .collect();
        choices.extend(c.concerns.iter().map(|x| x.id.clone()));
        choices.extend(c.sectors.iter().map(|x| x.id.clone()));
        choices.extend(c.sizes.iter().map(|x| x.id.clone()));
        choices.extend(c.provinces.iter().map(|x| x.id.clone()));
        for step in &c.steps {
            choices.extend(step.options.iter().map(|o| o.id.clone()));
            for choice in &choices {
                let id = CustomId::answer(&conv, &step.id, choice).encode();
                assert!(id.len() <= MAX_CUSTOM_ID, "{id}");
                assert_eq!(
                    CustomId::parse(&id),
                    Some(CustomId::answer(&conv, &step.id, choice))
                );
            }
        }
    }
}
