//! Understanding what a person wrote: concerns in free text ([`classify`])
//! and answers to questions and conversation intents ([`matcher`]).

pub mod classify;
pub mod matcher;
