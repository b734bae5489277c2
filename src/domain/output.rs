//! The transport-neutral output model. The engine produces these; the console
//! prints them (as text or JSON lines) and the Discord adapter renders them as
//! messages, buttons, select menus and embeds.

use serde::{Deserialize, Serialize};

/// One option the user can pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// Something the bot says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    /// A statement; the bot does not wait after it.
    Message { step: Option<String>, text: String },
    /// The bot waits for an answer to this.
    Question(Question),
    /// Routes, contacts and a peer-learning suggestion.
    Recommendations(Box<Recommendations>),
    /// The conversation is over.
    End { step: Option<String>, text: String },
}

impl Output {
    /// The plain text of this output, as stored in the transcript.
    pub fn text(&self) -> &str {
        match self {
            Output::Message { text, .. } | Output::End { text, .. } => text,
            Output::Question(q) => &q.text,
            Output::Recommendations(r) => &r.text,
        }
    }
}

/// A question, with its options when it has any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub step: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Several choices may be picked at once (the concern list).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multi: bool,
    /// Typed text is understood (besides the choices).
    pub free_text: bool,
    /// A typed number means "option n" (false where a number means a headcount).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub numbered: bool,
    /// On the confirm step: the concerns detected so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concerns: Vec<String>,
}

/// The profile recommendations were made for, as ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub sector: Option<String>,
    pub size: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRec {
    pub id: String,
    pub title: String,
    pub url: String,
    /// One line built from the user's own answers.
    pub why: String,
    pub summary: String,
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRec {
    pub id: String,
    pub name: String,
    pub url: String,
    /// The province id, or `national`.
    pub region: String,
    pub about: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendations {
    pub step: Option<String>,
    /// The whole recommendation as plain text (console, transcript).
    pub text: String,
    pub concerns: Vec<String>,
    pub profile: Profile,
    pub routes: Vec<RouteRec>,
    pub contacts: Vec<ContactRec>,
    pub peer: Option<RouteRec>,
    /// Headings for transports that lay the parts out themselves.
    pub intro: String,
    pub contacts_intro: String,
    pub peer_intro: String,
}
