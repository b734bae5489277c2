//! The console transport: the intake in a terminal, as readable text or as
//! JSON lines for scripts and tests. Same engine, same store as Discord.

use crate::app::service::{waits_for_user, Intake, Reply};
use crate::content::text::{printable, Lang};
use crate::domain::engine::Input;
use crate::domain::output::{Output, Recommendations};
use chrono::{DateTime, Utc};
use std::io::{BufRead, Write};

/// The message keys the console says by key beyond the domain's: only that
/// a turn could not be saved; otherwise it renders the engine's outputs.
pub const MESSAGE_KEYS: &[&str] = &["not_saved"];

/// How outputs are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text with numbered options.
    Text,
    /// One JSON object per output, flushed at once.
    Jsonl,
}

/// Runs the conversation until it ends or input runs out. Nothing steers
/// the terminal: the bot repeats a person's words, so control and bidi
/// characters are shown by code point (text) or escaped (JSON lines). State is committed
/// after every line, so EOF or a kill loses nothing.
pub fn run(
    intake: &Intake,
    user: &str,
    lang: Option<Lang>,
    format: Format,
    input: impl BufRead,
    mut out: impl Write,
    clock: impl Fn() -> DateTime<Utc>,
) -> anyhow::Result<()> {
    let reply = intake.resume_or_start(user, lang, clock())?;
    print(&reply, format, &mut out)?;
    if !waits_for_user(reply.conversation.status) {
        return Ok(());
    }
    let (mut lang, mut step) = (reply.conversation.lang, reply.conversation.step);
    for line in input.lines() {
        let line = line?;
        let reply = match intake.handle(user, Input::Text(line), clock()) {
            Ok(reply) => reply,
            Err(e) if e.is_unsaved() => {
                // Not kept: the person is told so and stays at the same
                // question (the store logged why; the final flush reports it).
                let text = intake.knowledge().msg("not_saved", lang);
                let o = Output::Message {
                    step: step.clone(),
                    text,
                };
                print_outputs(&[o], format, &mut out)?;
                if format == Format::Text {
                    write!(out, "> ")?;
                    out.flush()?;
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        print(&reply, format, &mut out)?;
        (lang, step) = (reply.conversation.lang, reply.conversation.step);
        if !waits_for_user(reply.conversation.status) {
            break;
        }
    }
    Ok(())
}

fn print_outputs(outputs: &[Output], format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    for o in outputs {
        match format {
            Format::Jsonl => crate::app::export::write_json_line(&mut *out, o)?,
            Format::Text => writeln!(out, "{}\n", printable(&render_text(o)))?,
        }
        out.flush()?;
    }
    Ok(())
}

fn print(reply: &Reply, format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    print_outputs(&reply.outputs, format, out)?;
    if format == Format::Text && waits_for_user(reply.conversation.status) {
        write!(out, "> ")?;
        out.flush()?;
    }
    Ok(())
}

/// Plain-text rendering of one output.
pub fn render_text(o: &Output) -> String {
    match o {
        Output::Question(q) => {
            let mut s = q.text.clone();
            for (i, c) in q.choices.iter().enumerate() {
                if q.numbered || q.multi {
                    s.push_str(&format!("\n  {}) {}", i + 1, c.label));
                } else {
                    s.push_str(&format!("\n  - {}", c.label));
                }
            }
            s
        }
        Output::Recommendations(r) => render_recommendations(r),
        other => other.text().to_string(),
    }
}

/// Recommendations laid out as Discord shows them: per route its title, what
/// it is (summary), why it fits this person and where to go next (its link);
/// then the regional contacts and the peer-learning suggestion.
pub fn render_recommendations(r: &Recommendations) -> String {
    let mut s = r.intro.clone();
    for (i, route) in r.routes.iter().enumerate() {
        s.push_str(&format!("\n\n{}. {}", i + 1, route.title));
        for part in [&route.summary, &route.why, &route.url] {
            if !part.trim().is_empty() {
                s.push_str(&format!("\n   {}", part.trim()));
            }
        }
    }
    if !r.contacts.is_empty() {
        s.push_str(&format!("\n\n{}", r.contacts_intro));
        for ct in &r.contacts {
            s.push_str(&format!("\n- {}: {}\n  {}", ct.name, ct.url, ct.about));
        }
    }
    if let Some(p) = &r.peer {
        s.push_str(&format!("\n\n{}\n- {}: {}", r.peer_intro, p.title, p.url));
        for part in [&p.summary, &p.why] {
            if !part.trim().is_empty() {
                s.push_str(&format!("\n  {}", part.trim()));
            }
        }
    }
    s
}
