//! `/export` for moderators: the same summaries, columns and Excel settings
//! as `llo-intake export` (both call [`export::write_summaries`]), delivered
//! as an ephemeral attachment, so only the moderator who asked sees the
//! personal data and it does not stay in a channel's history.
//!
//! An export larger than Discord's upload limit is split into parts on
//! conversation boundaries (each CSV part with its own byte order mark and
//! header), one part per message, and the message says so. No zip: a
//! split CSV still opens in Excel with a double click.

use super::i18n::status_key;
use super::render::UPLOAD_LIMIT;
use super::{Bot, Context, Error};
use crate::app::export::{self, ExportError, Filter, Format, Options};
use crate::app::summary::Summary;
use crate::content::text::{fill, Lang};
use crate::domain::conversation::Status;
use poise::CreateReply;
use serenity::all::{CommandOptionType, CreateAllowedMentions, CreateAttachment};
use std::borrow::Cow;
use std::sync::Arc;
use tracing::{error, info};

/// At most this many parts; a larger export is refused with a hint to
/// filter or to use the CLI (ten messages of 10 MiB is already a lot to
/// download by hand).
pub const MAX_PARTS: usize = 10;

/// The file format, as the moderator picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum ExportFormat {
    #[name = "csv"]
    Csv,
    #[name = "jsonl"]
    Jsonl,
    #[name = "markdown"]
    Markdown,
}

impl ExportFormat {
    fn format(self) -> Format {
        match self {
            ExportFormat::Csv => Format::Csv,
            ExportFormat::Jsonl => Format::Jsonl,
            ExportFormat::Markdown => Format::Markdown,
        }
    }
}

fn extension(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
        Format::Markdown => "md",
    }
}

/// The statuses offered as a filter, in the order of their choices.
pub const STATUSES: [Status; 5] = [
    Status::Active,
    Status::Handoff,
    Status::Ended,
    Status::Stopped,
    Status::Declined,
];

/// Discord allows this many choices per option.
const MAX_CHOICES: usize = 25;

/// Exports conversation summaries (moderators).
// The role check needs no I/O: its refusal is the first response.
#[poise::command(
    slash_command,
    rename = "export",
    guild_only,
    check = "super::perms::moderator_at_once"
)]
#[allow(clippy::too_many_arguments)]
pub async fn export(
    ctx: Context<'_>,
    format: Option<ExportFormat>,
    since: Option<String>,
    until: Option<String>,
    // Region, concern and status are indexes into choices filled in from
    // the content at registration ([`localize`]).
    region: Option<u32>,
    concern: Option<u32>,
    status: Option<u32>,
    include_transcripts: Option<bool>,
) -> Result<(), Error> {
    let bot = ctx.data().clone();
    let Some(_pass) = bot.gate.enter() else {
        return Ok(());
    };
    let lang = bot.lang_for(ctx.locale());
    ctx.defer_ephemeral().await?;
    let date = |s: &Option<String>, end| match s {
        None => Ok(None),
        Some(v) => export::parse_date(v, end)
            .map(Some)
            .map_err(|_| fill(&bot.msg("export_bad_date", lang), &[("value", v)])),
    };
    let (since, until) = match (date(&since, false), date(&until, true)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(text), _) | (_, Err(text)) => return say(ctx, text, None).await,
    };
    let knowledge = bot.intake.knowledge();
    let content = &knowledge.content;
    let pick = |i: Option<u32>, ids: Vec<String>| -> Vec<String> {
        i.and_then(|i| ids.get(i as usize).cloned())
            .into_iter()
            .collect()
    };
    let format = format.unwrap_or(ExportFormat::Csv).format();
    let opts = Options {
        format,
        filter: Filter {
            since,
            until,
            regions: pick(
                region,
                content.provinces.iter().map(|p| p.id.clone()).collect(),
            ),
            concerns: pick(
                concern,
                content.concerns.iter().map(|c| c.id.clone()).collect(),
            ),
            statuses: status
                .and_then(|i| STATUSES.get(i as usize).copied())
                .into_iter()
                .collect(),
        },
        transcripts: include_transcripts.unwrap_or(false),
        user_ids: false,
        delimiter: crate::app::settings::parse_delimiter(&bot.intake.export.delimiter)
            .unwrap_or(b';'),
        bom: bot.intake.export.bom,
        lang,
    };
    let limit = match ctx {
        poise::Context::Application(a) => match a.interaction.attachment_size_limit as usize {
            0 => UPLOAD_LIMIT,
            n => n.min(UPLOAD_LIMIT),
        },
        poise::Context::Prefix(_) => UPLOAD_LIMIT,
    };
    let built = bot
        .blocking(move |b| -> anyhow::Result<_> {
            let all = export::summaries(&b.intake.store, &opts)?;
            let parts = split(&all, limit, |chunk, out| {
                export::write_summaries(chunk, &opts, Some(&b.intake.knowledge().content), out)
            })?;
            Ok((all.len(), parts))
        })
        .await;
    let (count, parts) = match built {
        Ok((count, Some(parts))) if parts.len() <= MAX_PARTS => (count, parts),
        Ok(_) => return say(ctx, bot.msg("export_too_big", lang), None).await,
        Err(e) => {
            error!(error = %format!("{e:#}"), "export failed");
            return say(ctx, bot.msg("export_failed", lang), None).await;
        }
    };
    // The fact, for accountability; never what.
    info!(
        conversations = count,
        parts = parts.len(),
        transcripts = include_transcripts.unwrap_or(false),
        "export delivered on Discord"
    );
    let total = parts.len();
    let stem = format!("llo-export-{}", chrono::Utc::now().format("%Y-%m-%d"));
    for (i, bytes) in parts.into_iter().enumerate() {
        let n = (i + 1).to_string();
        let t = total.to_string();
        let mut text = if i == 0 {
            let mut text = fill(
                &bot.msg("export_done", lang),
                &[("count", &count.to_string()), ("format", extension(format))],
            );
            if total > 1 {
                text.push_str("\n\n");
                text.push_str(&fill(&bot.msg("export_split", lang), &[("parts", &t)]));
            }
            text
        } else {
            String::new()
        };
        let name = if total > 1 {
            if i > 0 {
                text = fill(
                    &bot.msg("export_part", lang),
                    &[("part", &n), ("parts", &t)],
                );
            }
            format!("{stem}-part{n}of{t}.{}", extension(format))
        } else {
            format!("{stem}.{}", extension(format))
        };
        say(ctx, text, Some(CreateAttachment::bytes(bytes, name))).await?;
    }
    Ok(())
}

/// Renders `all` in parts of at most `limit` bytes each, split between
/// conversations; `None` when one conversation alone is over the limit.
/// `render` writes a complete file (header included) for a slice.
pub fn split(
    all: &[Summary],
    limit: usize,
    render: impl Fn(&[Summary], &mut Vec<u8>) -> Result<(), ExportError>,
) -> Result<Option<Vec<Vec<u8>>>, ExportError> {
    let bytes = |chunk: &[Summary]| -> Result<Vec<u8>, ExportError> {
        let mut out = Vec::new();
        render(chunk, &mut out)?;
        Ok(out)
    };
    let whole = bytes(all)?;
    if whole.len() <= limit {
        return Ok(Some(vec![whole]));
    }
    drop(whole);
    // Pack greedily by each conversation's own size; a part that still
    // comes out too large (headers differ a little) is halved.
    let head = bytes(&[])?.len();
    let mut chunks: Vec<&[Summary]> = Vec::new();
    let (mut start, mut size) = (0, head);
    for (i, s) in all.iter().enumerate() {
        let own = bytes(std::slice::from_ref(s))?.len().saturating_sub(head);
        if i > start && size + own > limit {
            chunks.push(&all[start..i]);
            (start, size) = (i, head);
        }
        size += own;
    }
    chunks.push(&all[start..]);
    let mut parts = Vec::new();
    while let Some(chunk) = chunks.pop() {
        let b = bytes(chunk)?;
        if b.len() <= limit {
            parts.push(b);
        } else if chunk.len() > 1 {
            let (a, z) = chunk.split_at(chunk.len() / 2);
            chunks.push(z);
            chunks.push(a);
        } else {
            return Ok(None);
        }
    }
    parts.reverse();
    Ok(Some(parts))
}

/// An ephemeral answer, with a file or without.
pub(crate) async fn say(
    ctx: Context<'_>,
    text: String,
    file: Option<CreateAttachment>,
) -> Result<(), Error> {
    let mut reply = CreateReply::default()
        .content(super::render::truncate(&text, super::render::MAX_CONTENT))
        .ephemeral(true)
        .allowed_mentions(CreateAllowedMentions::new());
    if let Some(f) = file {
        reply = reply.attachment(f);
    }
    ctx.send(reply).await?;
    Ok(())
}

/// Describes the options in nl and en, and fills the region, concern and
/// status choices from the content (ids by index; labels per language).
pub fn localize(c: &mut poise::Command<Arc<Bot>, Error>, bot: &Bot) {
    let knowledge = bot.intake.knowledge();
    let content = &knowledge.content;
    let text = |key: &str, lang| super::render::truncate(&bot.msg(key, lang), 100);
    let locales =
        |nl: String, en: String| -> Cow<'static, [(Cow<'static, str>, Cow<'static, str>)]> {
            Cow::Owned(super::i18n::locales(nl, en))
        };
    let choice = |nl: String, en: String, default: Lang| poise::CommandParameterChoice {
        name: Cow::Owned(truncate_choice(if default == Lang::Nl { &nl } else { &en })),
        localizations: locales(truncate_choice(&nl), truncate_choice(&en)),
        __non_exhaustive: (),
    };
    let default = bot.intake.default_lang;
    for p in &mut c.parameters {
        let key = format!("export_param_{}", p.name);
        p.description = Some(Cow::Owned(text(&key, default)));
        p.description_localizations = locales(text(&key, Lang::Nl), text(&key, Lang::En));
        let choices: Vec<poise::CommandParameterChoice> = match p.name.as_ref() {
            "region" => content
                .provinces
                .iter()
                .map(|x| choice(x.name.clone(), x.name.clone(), default))
                .collect(),
            "concern" => content
                .concerns
                .iter()
                .map(|x| choice(x.label.nl.clone(), x.label.en.clone(), default))
                .collect(),
            "status" => STATUSES
                .iter()
                .map(|s| {
                    let k = status_key(*s);
                    choice(bot.msg(k, Lang::Nl), bot.msg(k, Lang::En), default)
                })
                .collect(),
            _ => continue,
        };
        if choices.len() > MAX_CHOICES {
            tracing::warn!(
                option = %p.name,
                count = choices.len(),
                "more choices than Discord allows; the filter offers the first 25"
            );
        }
        p.choices = Cow::Owned(choices.into_iter().take(MAX_CHOICES).collect());
        // A plain integer: Discord refuses min/max values next to choices.
        p.type_setter = Some(|b| b.kind(CommandOptionType::Integer));
    }
}

/// Discord's limit on a choice name.
fn truncate_choice(s: &str) -> String {
    super::render::truncate(s, 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::store::Store;
    use crate::domain::knowledge::Knowledge;

    fn summaries(n: usize) -> (tempfile::TempDir, Vec<Summary>) {
        let k = Arc::new(Knowledge::load_default().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let intake = crate::app::service::Intake::new(k, store.clone(), Lang::Nl);
        let at = chrono::Utc::now();
        for i in 0..n {
            let user = format!("{}", 9000 + i);
            intake.start(&user, None, at).unwrap();
            for a in ["ja", "Ik kan geen personeel vinden, écht lastig"] {
                intake
                    .handle(&user, crate::domain::engine::Input::Text(a.into()), at)
                    .unwrap();
            }
        }
        let all = export::summaries(&store, &Options::default()).unwrap();
        (dir, all)
    }

    fn csv(chunk: &[Summary], out: &mut Vec<u8>) -> Result<(), ExportError> {
        export::write_summaries(chunk, &Options::default(), None, out)
    }

    #[test]
    fn a_small_export_is_one_part_and_a_large_one_splits_between_rows() {
        let (_d, all) = summaries(9);
        let whole = split(&all, UPLOAD_LIMIT, csv).unwrap().unwrap();
        assert_eq!(whole.len(), 1);
        let total = whole[0].len();
        let mut head = Vec::new();
        csv(&[], &mut head).unwrap();
        // Room for the header and about three of the nine rows.
        let limit = head.len() + (total - head.len()) / 3 + 1;
        let parts = split(&all, limit, csv).unwrap().unwrap();
        assert!((3..=4).contains(&parts.len()), "{}", parts.len());
        let header = whole[0].split(|b| *b == b'\n').next().unwrap().to_vec();
        let mut rows = 0;
        for p in &parts {
            assert!(p.len() <= limit);
            assert!(p.starts_with(export::BOM) && p.starts_with(&header));
            rows += csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(&p[export::BOM.len()..])
                .records()
                .count();
        }
        assert_eq!(rows, all.len(), "every conversation in exactly one part");
        assert_eq!(
            split(&all, 10, csv).unwrap(),
            None,
            "one row over the limit"
        );
    }
}
