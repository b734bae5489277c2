//! Content as data: everything the bot says and knows, loaded from `intents/`.
//!
//! A content directory holds any number of `*.toml` files. Every file may
//! contain any of the sections below; lists are concatenated and message maps
//! merged, in directory order, so a deployment can add a directory with its own
//! contacts or override a sentence without touching the shipped files.
//!
//! [`load`] is the one way in, for `llo-intake check` and for the bot alike:
//! it parses (a file that is not valid TOML stops it there, naming the file,
//! line and column), validates ([`check`]) and compiles every pattern exactly
//! as the bot runs it ([`patterns`]). A `Content` value is only handed out
//! after validation, so the engine may rely on every reference resolving.

pub mod check;
pub(crate) mod eligibility;
pub mod embedded;
pub mod patterns;
pub(crate) mod postcodes;
pub(crate) mod regions;
pub mod text;

use crate::content::patterns::Patterns;
use crate::content::text::{PerLang, Text};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use check::{Problem, Severity};

/// The shipped content directory in the source tree, for tests and tools
/// that edit copies of it. The binary uses [`default_sources`] instead.
pub fn default_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("intents")
}

/// The default content list: the content embedded in the binary
/// ([`embedded::EMBEDDED`]).
pub fn default_sources() -> Vec<PathBuf> {
    vec![PathBuf::from(embedded::EMBEDDED)]
}

/// One TOML file as written by a content editor.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentFile {
    /// Free-form sentences the engine uses by key (`welcome_back`, `help`, ...).
    #[serde(default)]
    pub messages: BTreeMap<String, Text>,
    /// Named word lists that concern patterns use as `<name>` (see [`Concern`]),
    /// so a long list of staff words is written once and read as one word.
    #[serde(default)]
    pub words: BTreeMap<String, String>,
    #[serde(default)]
    pub concern: Vec<Concern>,
    #[serde(default)]
    pub intent: Vec<Intent>,
    #[serde(default)]
    pub negation: Option<Negation>,
    #[serde(default)]
    pub script: Option<ScriptSettings>,
    #[serde(default)]
    pub step: Vec<Step>,
    #[serde(default)]
    pub sector: Vec<Sector>,
    #[serde(default)]
    pub size: Vec<Size>,
    /// Spelled-out numbers ("twaalf" = 12), used when a size is typed in words.
    #[serde(default)]
    pub number_words: BTreeMap<String, u32>,
    #[serde(default)]
    pub province: Vec<Province>,
    #[serde(default)]
    pub postcode: Vec<PostcodeRange>,
    #[serde(default)]
    pub route: Vec<Route>,
    #[serde(default)]
    pub contact: Vec<Contact>,
    /// Source and year of the municipality → labour-market region table.
    #[serde(default)]
    pub region_table: Option<regions::RegionTable>,
    #[serde(default)]
    pub labour_market_region: Vec<regions::LabourMarketRegion>,
    #[serde(default)]
    pub municipality: Vec<regions::Municipality>,
    /// Source and year of the PC4 -> municipality table.
    #[serde(default)]
    pub pc4_table: Option<regions::RegionTable>,
    #[serde(default)]
    pub pc4: Vec<postcodes::Pc4Codes>,
}

/// A staff-related worry the classifier can detect. Ids are stable: exports
/// and statistics rely on them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concern {
    pub id: String,
    /// Short name shown in choice lists ("personeel vinden").
    pub label: Text,
    /// How the bot reflects it back ("je lastig aan goede mensen komt").
    pub reflect: Text,
    /// Regexes on folded text, per language. A leading word boundary is added;
    /// `<name>` stands for the word list `name` from a `[words]` table.
    #[serde(default)]
    pub patterns: PerLang,
    /// Concerns this one overrides within the same clause: in "niemand wil
    /// op cursus" the reluctance (learning_culture) is the point, so the
    /// word "cursus" does not also count as a training need (upskilling).
    #[serde(default)]
    pub cancels: Vec<String>,
}

/// A conversation intent that works at any step (or, for yes/no/skip, at the
/// steps that ask for them). Patterns must match the whole message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    pub id: String,
    #[serde(default)]
    pub patterns: PerLang,
}

/// Cues that take back a concern inside the same clause
/// ("personeel vinden lukt wel").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Negation {
    /// Regex that splits a message into clauses (punctuation, "maar", ...).
    pub clause_split: String,
    /// Regex for the start of a clause that continues the previous one
    /// ("daar hebben we geen last van, van vergrijzing"): such a clause is
    /// joined back, so a negation in either covers both.
    #[serde(default)]
    pub join: Option<String>,
    #[serde(default)]
    pub patterns: PerLang,
}

/// Script-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSettings {
    /// The first step of a new conversation.
    pub start: String,
    /// Where "opnieuw"/"restart" goes back to (answers are cleared).
    pub restart_at: String,
}

/// What kind of question a step asks, and so how its answer is understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Ja/nee. Goes to `on_yes` or `on_no`.
    YesNo,
    /// Free text. With `classify`, concerns are detected from it.
    Open,
    /// Reflects detected concerns back; the user accepts or picks.
    ConfirmConcerns,
    /// One option from `source` (sectors, sizes, regions) or inline `options`.
    Choice,
    /// Shows ranked routes and contacts, then continues to `next`.
    Recommendations,
    /// Says something and continues to `next`.
    Message,
    /// Says something and ends the conversation (see `action`).
    End,
}

/// One step of the intake script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    pub prompt: Text,
    /// The answer slot (`consent`, `concerns_text`, `sector`, ...). Defaults to the step id.
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub on_yes: Option<String>,
    #[serde(default)]
    pub on_no: Option<String>,
    /// Where the options of a `choice` step come from: `sectors`, `sizes` or `regions`.
    #[serde(default)]
    pub source: Option<Source>,
    /// Inline options of a `choice` step.
    #[serde(default)]
    pub options: Vec<ChoiceOption>,
    /// Choice id -> next step, overriding `next`.
    #[serde(default)]
    pub branches: BTreeMap<String, String>,
    /// `open` only: detect concerns in the answer.
    #[serde(default)]
    pub classify: bool,
    /// `open` only: the user may skip it.
    #[serde(default)]
    pub optional: bool,
    /// `end` only: `handoff` (ask for a coach) or `decline` (store nothing).
    #[serde(default)]
    pub action: Option<EndAction>,
}

/// Where a `choice` step's options come from (else its inline `options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Sectors,
    Sizes,
    Regions,
}

/// What an `end` step does besides ending the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndAction {
    /// Ask for a coach.
    Handoff,
    /// The person declined: store nothing.
    Decline,
}

impl Step {
    pub fn field(&self) -> &str {
        self.field.as_deref().unwrap_or(&self.id)
    }

    pub fn is_interactive(&self) -> bool {
        matches!(
            self.kind,
            StepKind::YesNo | StepKind::Open | StepKind::ConfirmConcerns | StepKind::Choice
        )
    }
}

/// An inline option of a `choice` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub id: String,
    pub label: Text,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: String,
    pub label: Text,
    /// Words that name the sector, any language. A trailing `*` allows any ending.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A company-size band. A number typed by the user falls in `min..=max`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Size {
    pub id: String,
    pub label: Text,
    pub min: u32,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    pub id: String,
    pub name: String,
    pub capital: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Municipalities and towns that lie in this province.
    #[serde(default)]
    pub cities: Vec<String>,
}

/// First-two-digit postcode prefixes. More than one province means "ask".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostcodeRange {
    pub from: u32,
    pub to: u32,
    pub provinces: Vec<String>,
}

/// What kind of way forward a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    Subsidy,
    /// A regional desk (leerwerkloket, werkgeversservicepunt): at most one is shown.
    Desk,
    Fund,
    Network,
    Loan,
    Info,
    /// Other entrepreneurs: shown apart, after the routes.
    Peer,
}

/// Whether a route can be offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteStatus {
    Open,
    Ended,
    Uncertain,
}

/// A way forward: a subsidy, a regional desk, a sector fund, a peer network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub id: String,
    pub kind: RouteKind,
    pub title: Text,
    pub summary: Text,
    #[serde(default)]
    pub concerns: Vec<String>,
    /// Empty: every sector.
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Empty: every size.
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Province ids, or `national`.
    pub regions: Vec<String>,
    pub url: String,
    pub source_url: String,
    /// ISO date (YYYY-MM-DD) the facts were last checked against the source.
    pub checked: String,
    pub status: RouteStatus,
    #[serde(default)]
    pub windows: Option<Text>,
    #[serde(default)]
    pub successor: Option<String>,
    /// Regexes (folded text) that recognise the user naming this route.
    #[serde(default)]
    pub mentions: Vec<String>,
    // --- Eligibility and advice (see `intents/routes.toml`, header) -------
    /// Who it is for: the employer, the employees (worded "for your
    /// employees"), or both.
    #[serde(default)]
    pub for_whom: Option<Audience>,
    /// Conditions in words (target group, minimum costs), per language.
    #[serde(default)]
    pub conditions: Option<Text>,
    /// Minimum project costs in euros, where the source names one.
    #[serde(default)]
    pub min_costs: Option<u32>,
    /// Dated application windows, oldest first, each from a source.
    #[serde(default)]
    pub window: Vec<Window>,
    /// When the next window is expected, in the source's own precision; or,
    /// when that is unknown, where to watch. Shown when no window is open.
    #[serde(default)]
    pub next_window: Option<Text>,
    /// What the entrepreneur gets, in one sentence.
    #[serde(default)]
    pub gets: Option<Text>,
    /// The next step, in one sentence.
    #[serde(default)]
    pub next_step: Option<Text>,
    /// Why this route, for this person: a sentence of this route's own with
    /// `{words}` (a short fragment of what they said, or the concern).
    #[serde(default)]
    pub reason: Option<Text>,
    /// Regexes (folded text) that recognise the person naming this route in
    /// what they tried ("via het UWV", "werkcentrum").
    #[serde(default)]
    pub known_as: Vec<String>,
    /// Regexes (folded text) on the person's own words that make this route
    /// fit better ("omscholen", "ziekteverzuim").
    #[serde(default)]
    pub cues: Vec<String>,
    /// Regexes (folded text) on the person's own words that make this route
    /// fit worse ("een cursus" for a scheme that pays no courses).
    #[serde(default)]
    pub against: Vec<String>,
    /// Added to the ranking score (an overview page ranks below a scheme).
    #[serde(default)]
    pub weight: i32,
    /// Offered only when a cue matches (a narrow target group).
    #[serde(default)]
    pub needs_cue: bool,
    /// The regional desk (Werkcentrum, WSP): kept in the top 3 unless tried.
    #[serde(default)]
    pub regional_desk: bool,
    /// Sector id -> a sentence for that sector (the sector's own fund by name).
    #[serde(default)]
    pub sector_notes: BTreeMap<String, Text>,
}

/// Who a route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Employer,
    Employee,
    Both,
}

/// One dated application window (ISO dates, both days included).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub opens: String,
    /// Left out when the source names no end date.
    #[serde(default)]
    pub closes: Option<String>,
    /// Where these dates come from.
    pub source_url: String,
}

impl Route {
    pub fn is_national(&self) -> bool {
        self.regions.iter().any(|r| r == "national")
    }
    pub fn is_peer(&self) -> bool {
        self.kind == RouteKind::Peer
    }
    /// For individuals: worded as "for your employees".
    pub fn for_employees(&self) -> bool {
        self.for_whom == Some(Audience::Employee)
    }
}

/// An organisation an entrepreneur can reach. Never a person, phone number or
/// e-mail address: deployments add their own coaches in their own directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub url: String,
    /// Province ids, or `national`.
    pub regions: Vec<String>,
    /// Empty: every sector.
    #[serde(default)]
    pub sectors: Vec<String>,
    pub about: Text,
    /// The name per language, where it differs from `name` ("Leerwerkloket
    /// Twente (learning and work desk)").
    #[serde(default)]
    pub names: Option<Text>,
    /// The labour-market region (`AM06`) whose own desk this is. Shown
    /// instead of the province's desks once the user's region is known.
    #[serde(default)]
    pub labour_market_region: Option<String>,
    /// A province-wide pointer to the regional desks, shown only while the
    /// user's labour-market region is not known.
    #[serde(default)]
    pub province_fallback: bool,
    /// `regional` (the region's own site) or `national_finder` (werkcentrum.nl,
    /// which links each region to its desk).
    #[serde(default)]
    pub url_scope: Option<String>,
    /// `werkcentrum`, `leerwerkloket`, `wsp`, ...
    #[serde(default)]
    pub kind: Option<String>,
    /// Where the URL and the desk were found, and when.
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default)]
    pub checked: Option<String>,
}

impl Contact {
    pub fn is_national(&self) -> bool {
        self.regions.iter().any(|r| r == "national")
    }
    /// The name in `lang`.
    pub fn name_in(&self, lang: crate::content::text::Lang) -> &str {
        match &self.names {
            Some(t) => t.get(lang),
            None => &self.name,
        }
    }
}

/// All content directories merged, with the file each item came from.
#[derive(Debug, Default)]
pub struct RawContent {
    pub files: Vec<(PathBuf, ContentFile)>,
}

/// Merged, validated content. Build with [`Content::load`].
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub messages: BTreeMap<String, Text>,
    pub words: BTreeMap<String, String>,
    pub concerns: Vec<Concern>,
    pub intents: Vec<Intent>,
    pub negation: Negation,
    pub script: Option<ScriptSettings>,
    pub steps: Vec<Step>,
    pub sectors: Vec<Sector>,
    pub sizes: Vec<Size>,
    pub number_words: BTreeMap<String, u32>,
    pub provinces: Vec<Province>,
    pub postcodes: Vec<PostcodeRange>,
    pub routes: Vec<Route>,
    pub contacts: Vec<Contact>,
    pub region_table: Option<regions::RegionTable>,
    pub labour_market_regions: Vec<regions::LabourMarketRegion>,
    pub municipalities: Vec<regions::Municipality>,
    pub pc4_table: Option<regions::RegionTable>,
    pub pc4: Vec<postcodes::Pc4Codes>,
    /// item kind + id -> file, for messages that name the file.
    pub origins: BTreeMap<String, PathBuf>,
}

/// Content that could not be used. Every problem names its file and key.
#[derive(Debug, thiserror::Error)]
#[error("content has {} error(s):\n{}", .problems.iter().filter(|p| p.severity == Severity::Error).count(), render(.problems))]
pub struct ContentError {
    pub problems: Vec<Problem>,
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A TOML error as a problem: the file, the key the error sits at (as far as
/// the text shows it), line and column, and toml's reason.
fn toml_problem(path: &Path, src: &str, e: &toml::de::Error) -> Problem {
    let reason = e.message().trim().replace('\n', " ");
    let Some(span) = e.span() else {
        return Problem::error(path, "", format!("invalid TOML: {reason}"));
    };
    let at = span.start.min(src.len());
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Problem::error(
        path,
        toml_key_at(src, line),
        format!("invalid TOML at line {line}, column {column}: {reason}"),
    )
}

/// The key an error on `line` (1-based) belongs to, in the form `check` uses:
/// `table.id.field` for an item of a `[[table]]` with an `id`, else
/// `table.field`. Empty when the line shows no key.
fn toml_key_at(src: &str, line: usize) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let here = line.saturating_sub(1).min(lines.len().saturating_sub(1));
    let field = lines
        .get(here)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.contains(' '));
    let header_at = (0..=here)
        .rev()
        .find(|&i| lines[i].trim_start().starts_with('['));
    let Some(h) = header_at else {
        return field.unwrap_or_default();
    };
    let table = lines[h]
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_string();
    let end = (h + 1..lines.len())
        .find(|&i| lines[i].trim_start().starts_with('['))
        .unwrap_or(lines.len());
    let id = lines[h + 1..end].iter().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "id").then(|| v.trim().trim_matches(['"', '\'']).to_string())
    });
    let parts: Vec<String> = [Some(table), id, field].into_iter().flatten().collect();
    parts.join(".")
}

impl RawContent {
    /// Reads every `*.toml` file in the given directories (sorted by name);
    /// the entry [`embedded::EMBEDDED`] reads the embedded files instead.
    /// Syntax errors are collected, not fatal, so `check` can report them all.
    pub fn read(dirs: &[PathBuf]) -> (RawContent, Vec<Problem>) {
        let mut raw = RawContent::default();
        let mut problems = Vec::new();
        let mut parse = |path: PathBuf, src: &str, problems: &mut Vec<Problem>| match toml::from_str::<
            ContentFile,
        >(src)
        {
            Ok(file) => raw.files.push((path, file)),
            Err(e) => problems.push(toml_problem(&path, src, &e)),
        };
        for dir in dirs {
            if embedded::is_embedded(dir) {
                for (name, src) in embedded::files() {
                    parse(embedded::origin(name), src, &mut problems);
                }
                continue;
            }
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Problem::error(
                        dir,
                        "",
                        format!("cannot read directory: {e}"),
                    ));
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            if paths.is_empty() {
                problems.push(Problem::error(dir, "", "no .toml files in this directory"));
            }
            for path in paths {
                match std::fs::read_to_string(&path) {
                    Err(e) => problems.push(Problem::error(&path, "", format!("cannot read: {e}"))),
                    Ok(src) => parse(path, &src, &mut problems),
                }
            }
        }
        (raw, problems)
    }

    /// Merges the files into one [`Content`] (not yet validated).
    pub fn merge(self) -> Content {
        let mut c = Content::default();
        for (path, f) in self.files {
            let mut note = |kind: &str, id: &str| {
                c.origins
                    .entry(format!("{kind}.{id}"))
                    .or_insert_with(|| path.clone());
            };
            let ids: [(&str, Vec<&String>); 11] = [
                ("messages", f.messages.keys().collect()),
                ("concern", f.concern.iter().map(|x| &x.id).collect()),
                ("intent", f.intent.iter().map(|x| &x.id).collect()),
                ("step", f.step.iter().map(|x| &x.id).collect()),
                ("sector", f.sector.iter().map(|x| &x.id).collect()),
                ("size", f.size.iter().map(|x| &x.id).collect()),
                ("province", f.province.iter().map(|x| &x.id).collect()),
                ("route", f.route.iter().map(|x| &x.id).collect()),
                ("contact", f.contact.iter().map(|x| &x.id).collect()),
                (
                    "labour_market_region",
                    f.labour_market_region.iter().map(|x| &x.code).collect(),
                ),
                (
                    "municipality",
                    f.municipality.iter().map(|x| &x.code).collect(),
                ),
            ];
            for (kind, list) in ids {
                for id in list {
                    note(kind, id);
                }
            }
            if f.script.is_some() {
                note("script", "");
            }
            if f.negation.is_some() {
                note("negation", "");
            }
            if !f.postcode.is_empty() {
                note("postcode", "");
            }
            if f.region_table.is_some() {
                note("region_table", "");
            }
            if f.pc4_table.is_some() {
                note("pc4_table", "");
            }
            for x in &f.pc4 {
                note("pc4", &x.municipality);
                note("pc4", "");
            }
            for k in f.words.keys() {
                c.origins
                    .entry(format!("words.{k}"))
                    .or_insert_with(|| path.clone());
            }
            c.messages.extend(f.messages);
            c.words.extend(f.words);
            c.concerns.extend(f.concern);
            c.intents.extend(f.intent);
            if let Some(n) = f.negation {
                c.negation = n;
            }
            if f.script.is_some() {
                c.script = f.script;
            }
            c.steps.extend(f.step);
            c.sectors.extend(f.sector);
            c.sizes.extend(f.size);
            c.number_words.extend(f.number_words);
            c.provinces.extend(f.province);
            c.postcodes.extend(f.postcode);
            c.routes.extend(f.route);
            c.contacts.extend(f.contact);
            if f.region_table.is_some() {
                c.region_table = f.region_table;
            }
            c.labour_market_regions.extend(f.labour_market_region);
            c.municipalities.extend(f.municipality);
            if f.pc4_table.is_some() {
                c.pc4_table = f.pc4_table;
            }
            c.pc4.extend(f.pc4);
        }
        c
    }
}

/// Content as the bot runs it: validated, every pattern compiled.
#[derive(Debug)]
pub struct Loaded {
    pub content: Content,
    pub patterns: Patterns,
    pub warnings: Vec<Problem>,
}

/// Reads, validates and compiles the content in `dirs` (later directories add
/// to and override earlier ones): what `check` reports is what the bot runs.
/// `messages` are the message keys the running layers use (see
/// [`check::check`]). A file that cannot be read or parsed stops here, so its
/// absence does not show up as a cascade of missing items.
pub fn load(dirs: &[PathBuf], messages: &[&str]) -> Result<Loaded, ContentError> {
    let (raw, mut problems) = RawContent::read(dirs);
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(ContentError { problems });
    }
    let content = raw.merge();
    problems.extend(check::check(&content, messages));
    let patterns = match Patterns::compile(&content) {
        Ok(p) => Some(p),
        Err(e) => {
            problems.extend(e);
            None
        }
    };
    match patterns {
        Some(patterns) if !problems.iter().any(|p| p.severity == Severity::Error) => Ok(Loaded {
            content,
            patterns,
            warnings: problems,
        }),
        _ => {
            problems
                .sort_by(|a, b| (a.severity, &a.file, &a.key).cmp(&(b.severity, &b.file, &b.key)));
            Err(ContentError { problems })
        }
    }
}

impl Content {
    /// Loads, validates and compiles content (see [`load`]), keeping only the
    /// content. Warnings are returned alongside; errors fail.
    pub fn load(
        dirs: &[PathBuf],
        messages: &[&str],
    ) -> Result<(Content, Vec<Problem>), ContentError> {
        load(dirs, messages).map(|l| (l.content, l.warnings))
    }

    /// Loads the shipped (embedded) content. For tests and benchmarks.
    pub fn load_default() -> Result<Content, ContentError> {
        Content::load(&default_sources(), &[]).map(|(c, _)| c)
    }

    /// The file an item came from (for messages).
    pub fn origin(&self, kind: &str, id: &str) -> &Path {
        self.origins
            .get(&format!("{kind}.{id}"))
            .map(|p| p.as_path())
            .unwrap_or(Path::new("<content>"))
    }

    pub fn msg(&self, key: &str) -> Option<&Text> {
        self.messages.get(key)
    }
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
    pub fn concern(&self, id: &str) -> Option<&Concern> {
        self.concerns.iter().find(|s| s.id == id)
    }
    pub fn sector(&self, id: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.id == id)
    }
    pub fn size(&self, id: &str) -> Option<&Size> {
        self.sizes.iter().find(|s| s.id == id)
    }
    pub fn province(&self, id: &str) -> Option<&Province> {
        self.provinces.iter().find(|s| s.id == id)
    }
    pub fn route(&self, id: &str) -> Option<&Route> {
        self.routes.iter().find(|s| s.id == id)
    }
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|s| s.id == id)
    }
}
