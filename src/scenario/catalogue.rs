//! Requirement catalogues and coverage.
//!
//! A catalogue (`requirements.yaml`, anywhere below the scenario root) lists the
//! requirements of one protocol with stable IDs, and the ones deliberately left
//! untested with the reason. It covers the scenarios in its directory: the loader
//! refuses a scenario there that cites an ID the catalogue does not list, and
//! [`coverage`] tells which requirements are checked by which scenarios, which are
//! excluded, and which nobody checks yet. Keeping the list in the repository, in
//! the suite's own words, is what lets "every requirement is covered or excluded"
//! be a test rather than a hope.
//!
//! A MUST or SHOULD rests on a sentence of the spec, so such a row quotes it
//! (`quote`, verbatim, `…` for what is left out): a failure report shows the
//! sentence, and a level nobody can point at cannot hide in the catalogue. A
//! `derived` row argues its requirement in `text` and may quote the definitions it
//! starts from. A MAY row may quote its permission. An IMPL row records behaviour
//! the spec is silent about, so a quote there is refused: a sentence that says
//! MUST or SHOULD would make the row that level.
//!
//! ```yaml
//! protocol: tus
//! requirements:
//!   - { id: TUS-CORE-VER-412, section: "Tus-Resumable", level: MUST, text: "…",
//!       quote: "If the version specified by the Client is not supported by the Server, it MUST respond with the `412 Precondition Failed` status …" }
//! excluded:
//!   - { id: TUS-EXP-FUTURE, reason: "the format cannot compare two dates" }
//! ```
//!
//! A protocol whose text changes between versions (the IETF draft's interop
//! versions) lists them, oldest first, and a row says where it differs: its own
//! `level`, `quote` and `section` hold in every version `by_version` does not
//! name (an entry there may change only some of them), and `only` limits the
//! row to the versions it exists in. A run checks one version, and
//! [`Catalogue::at`] is the catalogue as that version reads.
//!
//! ```yaml
//! protocol: ietf
//! versions: ["8", "9"]
//! requirements:
//!   - { id: RUFH-HEAD-COMPLETE, section: "§4.3", level: MUST, text: "…", quote: "…",
//!       by_version: { "9": { level: IMPL } } }
//!   - { id: RUFH-LIM-ACCEPT-PATCH, only: ["8"], section: "§4.1.4", level: MUST, text: "…", quote: "…" }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::error::{LoadError, LoadErrorKind, LoadErrors, suggest};
use super::model::{Level, Scenario, SourceSpan};
use super::source::Source;
use super::tree::{CatalogueFile, SpecTree};

/// One catalogue file, validated.
#[derive(Clone, Debug)]
pub struct Catalogue {
    /// The file as shown to users (`specs/tus/requirements.yaml`).
    pub file: Arc<str>,
    /// Its directory below the scenario root: it covers scenarios whose module path
    /// starts with these components.
    pub dir: Vec<String>,
    pub protocol: String,
    /// The versions of the protocol the catalogue knows, oldest first; empty for a
    /// protocol whose requirements do not change between versions.
    pub versions: Vec<String>,
    /// In the order written.
    pub requirements: Vec<Requirement>,
    /// Requirements that no scenario checks, on purpose, with the reason.
    pub excluded: Vec<Exclusion>,
}

#[derive(Clone, Debug)]
pub struct Requirement {
    pub id: String,
    /// Where the spec says it (a section name, line references).
    pub section: String,
    pub level: Level,
    /// Argued from the protocol's definitions rather than said in one sentence
    /// (an offset never exceeds the length): reports mark its verdicts "derived".
    pub derived: bool,
    /// One line, in the suite's words.
    pub text: String,
    /// The sentence(s) of the source it rests on, verbatim (`…` for elisions):
    /// present on every MUST and SHOULD row that is not derived, never on IMPL.
    pub quote: Option<String>,
    /// Versions whose text gives the row another level, quote or section.
    pub by_version: BTreeMap<String, VersionRule>,
    /// The versions the row exists in; `None`: every version of the catalogue.
    pub only: Option<Vec<String>>,
    pub span: SourceSpan,
}

/// How one version's text states a requirement, where it differs from the row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRule {
    pub level: Level,
    /// The sentence that version says it in; `None` keeps the row's quote, except
    /// at IMPL, where there is none.
    pub quote: Option<String>,
    pub section: Option<String>,
    /// Whether that version's level is argued rather than said; `None` keeps the row's.
    pub derived: Option<bool>,
}

impl Requirement {
    /// Whether the row exists in `version`.
    pub fn applies_in(&self, version: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|v| v == version))
    }

    /// The row's strongest level over `versions`, among those it exists in
    /// (`None`: none of them); its own level for no versions at all, as in a
    /// catalogue without versions.
    pub fn strongest_in<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a String>,
    ) -> Option<Level> {
        let mut versions = versions.into_iter().peekable();
        if versions.peek().is_none() {
            return Some(self.level);
        }
        versions
            .filter_map(|version| self.at(version))
            .map(|row| row.level)
            .min()
    }

    /// The row as `version` states it; `None` where it does not exist.
    pub fn at(&self, version: &str) -> Option<Requirement> {
        if !self.applies_in(version) {
            return None;
        }
        let mut row = self.clone();
        if let Some(rule) = self.by_version.get(version) {
            row.level = rule.level;
            row.quote = match (&rule.quote, rule.level) {
                (Some(quote), _) => Some(quote.clone()),
                (None, Level::Impl) => None,
                (None, Level::Must | Level::Should | Level::May) => self.quote.clone(),
            };
            if let Some(section) = &rule.section {
                row.section = section.clone();
            }
            if let Some(derived) = rule.derived {
                row.derived = derived;
            }
        }
        row.by_version.clear();
        row.only = None;
        Some(row)
    }
}

#[derive(Clone, Debug)]
pub struct Exclusion {
    pub id: String,
    pub reason: String,
    pub span: SourceSpan,
}

impl Catalogue {
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    pub fn exclusion(&self, id: &str) -> Option<&Exclusion> {
        self.excluded.iter().find(|e| e.id == id)
    }

    /// The catalogue as `version` reads: each row at that version's level, quote
    /// and section, and the rows that do not exist there left out.
    pub fn at(&self, version: &str) -> Catalogue {
        Catalogue {
            versions: Vec::new(),
            requirements: self
                .requirements
                .iter()
                .filter_map(|row| row.at(version))
                .collect(),
            ..self.clone()
        }
    }

    /// The level each of `cited` counts at in a scenario of level `written`: the
    /// scenario's level, weakened to the row's (an ID the catalogue does not list
    /// keeps the scenario's; the loader reports it).
    pub fn levels(&self, written: Level, cited: &[String]) -> BTreeMap<String, Level> {
        cited
            .iter()
            .map(|id| {
                let level = self
                    .requirement(id)
                    .map_or(written, |row| row.level.max(written));
                (id.clone(), level)
            })
            .collect()
    }

    /// Whether a scenario at this module path lies in the catalogue's directory.
    pub fn contains(&self, module: &[String]) -> bool {
        module.len() > self.dir.len() && module.starts_with(&self.dir)
    }
}

/// The catalogue responsible for a scenario: the deepest one whose directory holds it.
pub fn for_module<'a>(catalogues: &'a [Catalogue], module: &[String]) -> Option<&'a Catalogue> {
    catalogues
        .iter()
        .filter(|c| c.contains(module))
        .max_by_key(|c| c.dir.len())
}

/// Reads and validates every catalogue of a tree; all problems are reported together.
pub fn load_all(tree: &SpecTree) -> Result<Vec<Catalogue>, LoadErrors> {
    let files = tree.catalogue_files().map_err(|e| {
        LoadErrors(vec![LoadError::new(
            SourceSpan {
                file: Arc::from("<specs>"),
                line: 1,
                column: 1,
            },
            LoadErrorKind::Io(format!("cannot read the requirement catalogues: {e}")),
        )])
    })?;
    let mut catalogues = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match parse(file) {
            Ok(catalogue) => catalogues.push(catalogue),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        Ok(catalogues)
    } else {
        Err(LoadErrors(errors))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueSyntax {
    protocol: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    versions: Vec<Spanned<String>>,
    requirements: Vec<Spanned<RequirementSyntax>>,
    #[serde(default)]
    excluded: Vec<Spanned<ExclusionSyntax>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementSyntax {
    id: Spanned<String>,
    section: String,
    level: Level,
    #[serde(default)]
    derived: bool,
    text: String,
    #[serde(default)]
    quote: Option<String>,
    #[serde(default)]
    by_version: BTreeMap<String, VersionRuleSyntax>,
    #[serde(default)]
    only: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionRuleSyntax {
    #[serde(default)]
    level: Option<Level>,
    #[serde(default)]
    quote: Option<String>,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    derived: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExclusionSyntax {
    id: Spanned<String>,
    reason: String,
}

/// Records where `id` first appears in `seen`; a second appearance gives the
/// error, pointing back at the first.
fn first_place<'a>(
    ctx: &Source<'_>,
    seen: &mut BTreeMap<&'a str, SourceSpan>,
    id: &'a Spanned<String>,
) -> Option<LoadError> {
    if let Some(at) = seen.get(id.value.as_str()) {
        return Some(ctx.error(
            &id.referenced,
            LoadErrorKind::DuplicateRequirement {
                id: id.value.clone(),
                first: at.clone(),
            },
        ));
    }
    seen.insert(&id.value, ctx.span(&id.referenced));
    None
}

/// Parses and checks one catalogue: IDs well-formed and unique, every exclusion naming
/// a listed requirement once, and a reason for it.
pub fn parse(file: &CatalogueFile) -> Result<Catalogue, Vec<LoadError>> {
    let name: Arc<str> = Arc::from(file.display.as_str());
    let ctx = Source {
        name: &name,
        text: &file.text,
    };
    let syntax: CatalogueSyntax = ctx.parse().map_err(|error| vec![*error])?;
    let _ = syntax.description;
    let mut errors = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    for version in &syntax.versions {
        if !valid_id(&version.value) || versions.contains(&version.value) {
            errors.push(ctx.error(
                &version.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "version `{}` must be letters, digits, `-`, `_` or `.`, and listed once",
                    version.value
                )),
            ));
        }
        versions.push(version.value.clone());
    }
    let mut first: BTreeMap<&str, SourceSpan> = BTreeMap::new();
    let mut requirements = Vec::new();
    for item in &syntax.requirements {
        let id = &item.value.id;
        if !valid_id(&id.value) {
            errors.push(ctx.error(
                &id.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "requirement id `{}` must be letters, digits, `-`, `_` or `.`",
                    id.value
                )),
            ));
            continue;
        }
        if let Some(error) = first_place(&ctx, &mut first, id) {
            errors.push(error);
            continue;
        }
        if item.value.text.trim().is_empty() {
            errors.push(ctx.error(
                &item.referenced,
                LoadErrorKind::InvalidValue(format!("requirement `{}` has no text", id.value)),
            ));
        }
        let row = &item.value;
        let requirement = Requirement {
            id: id.value.clone(),
            section: row.section.clone(),
            level: row.level,
            derived: row.derived,
            text: row.text.clone(),
            quote: row.quote.clone(),
            by_version: row
                .by_version
                .iter()
                .map(|(version, rule)| {
                    let rule = VersionRule {
                        level: rule.level.unwrap_or(row.level),
                        quote: rule.quote.clone(),
                        section: rule.section.clone(),
                        derived: rule.derived,
                    };
                    (version.clone(), rule)
                })
                .collect(),
            only: row
                .only
                .as_ref()
                .map(|only| only.iter().map(|v| v.value.clone()).collect()),
            span: ctx.span(&id.referenced),
        };
        for problem in version_problems(&requirement, &versions) {
            errors.push(ctx.error(&id.referenced, LoadErrorKind::InvalidValue(problem)));
        }
        requirements.push(requirement);
    }
    let mut excluded = Vec::new();
    let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
    for item in &syntax.excluded {
        let id = &item.value.id;
        if !first.contains_key(id.value.as_str()) {
            let suggestion = suggest(&id.value, first.keys().copied());
            errors.push(ctx.error(
                &id.referenced,
                LoadErrorKind::UnknownRequirement {
                    id: id.value.clone(),
                    catalogue: "`requirements:` of this file".into(),
                    suggestion,
                },
            ));
            continue;
        }
        if let Some(error) = first_place(&ctx, &mut seen, id) {
            errors.push(error);
            continue;
        }
        if item.value.reason.trim().is_empty() {
            errors.push(ctx.error(
                &item.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "the exclusion of `{}` needs a reason",
                    id.value
                )),
            ));
        }
        excluded.push(Exclusion {
            id: id.value.clone(),
            reason: item.value.reason.clone(),
            span: ctx.span(&id.referenced),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Catalogue {
        file: ctx.name.clone(),
        dir: file.dir.clone(),
        protocol: syntax.protocol,
        versions,
        requirements,
        excluded,
    })
}

/// What is wrong with a row's versions and, in each version, with its quote for
/// its level: a version the catalogue does not list, or a level without the
/// sentence it rests on.
fn version_problems(row: &Requirement, versions: &[String]) -> Vec<String> {
    let id = &row.id;
    let mut problems = Vec::new();
    let named = row
        .by_version
        .keys()
        .chain(row.only.iter().flatten())
        .filter(|version| !versions.contains(version));
    for version in named {
        problems.push(if versions.is_empty() {
            format!(
                "requirement `{id}` names version `{version}`, but the catalogue lists no \
                 `versions:`"
            )
        } else {
            format!(
                "requirement `{id}` names version `{version}`, which is not one of the \
                 catalogue's `versions:` ({})",
                versions.join(", ")
            )
        });
    }
    if row.only.as_ref().is_some_and(Vec::is_empty) {
        problems.push(format!(
            "requirement `{id}` has an empty `only:`: list the versions it exists in"
        ));
    }
    if !problems.is_empty() {
        return problems;
    }
    let stated = |version: Option<&str>| match version {
        Some(version) => row.at(version),
        None => Some(row.clone()),
    };
    let mut seen = BTreeSet::new();
    for version in std::iter::once(None).chain(versions.iter().map(|v| Some(v.as_str()))) {
        let Some(at) = stated(version) else { continue };
        let problem =
            quote_problem(id, at.level, at.derived, at.quote.as_deref()).map(
                |problem| match version {
                    Some(version) => format!("in version {version}: {problem}"),
                    None => problem,
                },
            );
        if let Some(problem) = problem
            && seen.insert((at.level, at.quote.clone()))
        {
            problems.push(problem);
        }
    }
    problems
}

/// What is wrong with a row's quote for its level, if anything (see the module
/// documentation for the rule).
fn quote_problem(id: &str, level: Level, derived: bool, quote: Option<&str>) -> Option<String> {
    let quote = match quote.map(str::trim) {
        Some("") => return Some(format!("requirement `{id}` has an empty quote")),
        other => other,
    };
    match (level, derived, quote) {
        (Level::Must | Level::Should, false, None) => Some(format!(
            "requirement `{id}` is {level} but quotes no sentence: add `quote:` with the \
             sentence of the spec it rests on, verbatim, or mark it `derived: true` and \
             argue it in `text`"
        )),
        (Level::Impl, _, Some(_)) => Some(format!(
            "requirement `{id}` is IMPL (the spec is silent) but quotes a sentence: a \
             quoted MUST or SHOULD makes it that level, so drop the quote or change the level"
        )),
        (Level::Must | Level::Should, false, Some(_))
        | (Level::Must | Level::Should, true, _)
        | (Level::May, _, _)
        | (Level::Impl, _, None) => None,
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// How one requirement is accounted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Cited by these scenarios (trial names, sorted).
    Covered(Vec<String>),
    Excluded(String),
    /// Neither cited nor excluded: a gap in the suite.
    Uncovered,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub level: Level,
    /// For a versioned catalogue, the level in each version (`None`: the row
    /// does not exist there), oldest first; empty otherwise.
    pub by_version: Vec<(String, Option<Level>)>,
    pub status: Status,
}

impl Row {
    /// The level as a table shows it: `MUST`, or per version where they
    /// differ, `6:MUST 8:SHOULD 9:-`.
    pub fn levels(&self) -> String {
        let first = self.by_version.first().map(|(_, level)| *level);
        if self
            .by_version
            .iter()
            .all(|(_, level)| Some(*level) == first)
        {
            return match first.flatten() {
                Some(level) => level.to_string(),
                None => self.level.to_string(),
            };
        }
        self.by_version
            .iter()
            .map(|(version, level)| match level {
                Some(level) => format!("{version}:{level}"),
                None => format!("{version}:-"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The coverage of one catalogue by a suite.
#[derive(Clone, Debug)]
pub struct Coverage {
    pub protocol: String,
    pub file: Arc<str>,
    /// One per requirement, in catalogue order.
    pub rows: Vec<Row>,
    /// Inconsistencies that make the coverage wrong: a scenario citing an ID the
    /// catalogue does not list, or an excluded requirement that a scenario cites.
    pub problems: Vec<String>,
}

impl Coverage {
    pub fn requirements(&self) -> usize {
        self.rows.len()
    }

    pub fn covered(&self) -> usize {
        self.count(|s| matches!(s, Status::Covered(_)))
    }

    pub fn excluded(&self) -> usize {
        self.count(|s| matches!(s, Status::Excluded(_)))
    }

    pub fn uncovered(&self) -> usize {
        self.count(|s| *s == Status::Uncovered)
    }

    /// Whether every requirement is covered or excluded, consistently.
    pub fn complete(&self) -> bool {
        self.uncovered() == 0 && self.problems.is_empty()
    }

    fn count(&self, matches: impl Fn(&Status) -> bool) -> usize {
        self.rows.iter().filter(|r| matches(&r.status)).count()
    }
}

/// Which of `scenarios` cite each requirement of `catalogue`. Only scenarios the
/// catalogue is responsible for count (see [`for_module`]).
pub fn coverage(
    catalogue: &Catalogue,
    catalogues: &[Catalogue],
    scenarios: &[Arc<Scenario>],
) -> Coverage {
    let mut citations: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for scenario in scenarios {
        let responsible = for_module(catalogues, &scenario.module);
        if !responsible.is_some_and(|c| std::ptr::eq(c, catalogue)) {
            continue;
        }
        for id in &scenario.requirements {
            if catalogue.requirement(id).is_none() {
                problems.push(format!(
                    "{} cites `{id}`, which {} does not list",
                    scenario.name(),
                    catalogue.file
                ));
                continue;
            }
            citations.entry(id).or_default().insert(scenario.name());
        }
    }
    let rows = catalogue
        .requirements
        .iter()
        .map(|requirement| {
            let cited = citations.remove(requirement.id.as_str());
            let status = match (cited, catalogue.exclusion(&requirement.id)) {
                (Some(names), Some(_)) => {
                    problems.push(format!(
                        "`{}` is excluded in {} but cited by {}",
                        requirement.id,
                        catalogue.file,
                        names.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                    Status::Covered(names.into_iter().collect())
                }
                (Some(names), None) => Status::Covered(names.into_iter().collect()),
                (None, Some(exclusion)) => Status::Excluded(exclusion.reason.clone()),
                (None, None) => Status::Uncovered,
            };
            Row {
                id: requirement.id.clone(),
                level: requirement.level,
                by_version: catalogue
                    .versions
                    .iter()
                    .map(|version| {
                        let level = requirement.at(version).map(|row| row.level);
                        (version.clone(), level)
                    })
                    .collect(),
                status,
            }
        })
        .collect();
    Coverage {
        protocol: catalogue.protocol.clone(),
        file: catalogue.file.clone(),
        rows,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assembly::load;

    const CATALOGUE: &str = r#"
protocol: demo
requirements:
  - { id: DEMO-A, section: "1", level: MUST, text: "a",
      quote: "The Server MUST answer." }
  - { id: DEMO-B, section: "2", level: IMPL, derived: true, text: "b" }
  - { id: DEMO-C, section: "3", level: SHOULD, text: "c", quote: "It SHOULD … answer." }
excluded:
  - { id: DEMO-C, reason: "on the client" }
"#;

    fn file(text: &str) -> CatalogueFile {
        CatalogueFile {
            display: "demo/requirements.yaml".into(),
            dir: vec!["demo".into()],
            text: text.into(),
        }
    }

    #[test]
    fn parses_and_reports_mistakes_with_positions() {
        let catalogue = parse(&file(CATALOGUE)).unwrap();
        assert_eq!(catalogue.requirements.len(), 3);
        assert_eq!(catalogue.requirements[1].level, Level::Impl);
        assert!(catalogue.requirements[1].derived && !catalogue.requirements[0].derived);
        assert_eq!(catalogue.requirements[0].span.line, 4);
        assert_eq!(
            catalogue.requirements[0].quote.as_deref(),
            Some("The Server MUST answer.")
        );
        assert_eq!(catalogue.requirements[1].quote, None);
        let broken = CATALOGUE.replace("DEMO-C, reason", "DEMO-D, reason")
            + "  - { id: DEMO-A, reason: x }\n  - { id: DEMO-A, reason: y }\n";
        let errors = parse(&file(&broken)).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{text:?}");
        assert!(
            text[0].contains("unknown requirement `DEMO-D`"),
            "{}",
            text[0]
        );
        assert!(
            text[0].contains("--> demo/requirements.yaml:9:11"),
            "{}",
            text[0]
        );
        assert!(text[1].contains("listed twice"), "{}", text[1]);
        let typo = parse(&file("protocol: x\nrequirement: []\n")).unwrap_err();
        assert!(typo[0].to_string().contains("did you mean `requirements`?"));
    }

    #[test]
    fn quotes_are_required_on_must_and_should_and_refused_on_impl() {
        let unquoted = CATALOGUE.replace(", quote: \"It SHOULD … answer.\"", "");
        let errors = parse(&file(&unquoted)).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{text:?}");
        assert!(
            text[0].contains("`DEMO-C` is SHOULD but quotes no sentence"),
            "{}",
            text[0]
        );
        assert!(
            text[0].contains("--> demo/requirements.yaml:7:11"),
            "{}",
            text[0]
        );
        let empty = CATALOGUE.replace("It SHOULD … answer.", " ");
        let errors = parse(&file(&empty)).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("`DEMO-C` has an empty quote")
        );
        let quoted_impl = CATALOGUE.replace("text: \"b\"", "text: \"b\", quote: \"x\"");
        let errors = parse(&file(&quoted_impl)).unwrap_err();
        let text = errors[0].to_string();
        assert!(text.contains("`DEMO-B` is IMPL"), "{text}");
        assert!(text.contains("--> demo/requirements.yaml:6:11"), "{text}");
        let derived = CATALOGUE.replace("DEMO-C, section", "DEMO-C, derived: true, section");
        let derived = derived.replace(", quote: \"It SHOULD … answer.\"", "");
        assert!(parse(&file(&derived)).is_ok());
    }

    const VERSIONED: &str = r#"
protocol: demo
versions: ["8", "9"]
requirements:
  - { id: DEMO-A, section: "1", level: MUST, text: "a", quote: "It MUST answer.",
      by_version: { "9": { level: IMPL } } }
  - { id: DEMO-B, section: "2", level: SHOULD, text: "b", quote: "It SHOULD answer.",
      by_version: { "9": { level: MUST, quote: "It MUST answer now.", section: "2.1" },
                    "8": { derived: true } } }
  - { id: DEMO-C, only: ["8"], section: "3", level: MUST, text: "c", quote: "Then it MUST.",
      by_version: { "8": { section: "3.8" } } }
"#;

    #[test]
    fn each_version_reads_its_own_level_quote_and_section() {
        let catalogue = parse(&file(VERSIONED)).unwrap();
        assert_eq!(catalogue.versions, ["8", "9"]);
        let eight = catalogue.at("8");
        let nine = catalogue.at("9");
        let row = |c: &Catalogue, id: &str| {
            c.requirement(id)
                .map(|r| (r.level, r.quote.clone(), r.section.clone()))
        };
        assert_eq!(
            row(&eight, "DEMO-A"),
            Some((Level::Must, Some("It MUST answer.".into()), "1".into()))
        );
        assert_eq!(row(&nine, "DEMO-A"), Some((Level::Impl, None, "1".into())));
        assert_eq!(
            row(&eight, "DEMO-B"),
            Some((Level::Should, Some("It SHOULD answer.".into()), "2".into()))
        );
        assert_eq!(
            row(&nine, "DEMO-B"),
            Some((
                Level::Must,
                Some("It MUST answer now.".into()),
                "2.1".into()
            ))
        );
        let row_c = catalogue.requirement("DEMO-C").unwrap();
        assert_eq!(row_c.strongest_in(&catalogue.versions), Some(Level::Must));
        assert_eq!(row_c.strongest_in(&["9".to_owned()]), None);
        let row_a = catalogue.requirement("DEMO-A").unwrap();
        assert_eq!(row_a.strongest_in(&["9".to_owned()]), Some(Level::Impl));
        assert_eq!(row_a.strongest_in(&[]), Some(Level::Must));
        let derived = |c: &Catalogue| c.requirement("DEMO-B").map(|r| r.derived);
        assert_eq!((derived(&eight), derived(&nine)), (Some(true), Some(false)));
        assert_eq!(
            row(&eight, "DEMO-C"),
            Some((Level::Must, Some("Then it MUST.".into()), "3.8".into()))
        );
        assert_eq!(row(&nine, "DEMO-C"), None);
        let cited = ["DEMO-A".to_owned(), "DEMO-B".to_owned()];
        assert_eq!(
            nine.levels(Level::Must, &cited),
            BTreeMap::from([
                ("DEMO-A".into(), Level::Impl),
                ("DEMO-B".into(), Level::Must)
            ])
        );
    }

    #[test]
    fn coverage_shows_the_level_of_each_version_where_they_differ() {
        let catalogue = parse(&file(VERSIONED)).unwrap();
        let rows = coverage(&catalogue, std::slice::from_ref(&catalogue), &[]).rows;
        let levels: Vec<String> = rows.iter().map(Row::levels).collect();
        assert_eq!(
            levels,
            ["8:MUST 9:IMPL", "8:SHOULD 9:MUST", "8:MUST 9:-"],
            "{rows:?}"
        );
        let plain = parse(&file(CATALOGUE)).unwrap();
        let rows = coverage(&plain, std::slice::from_ref(&plain), &[]).rows;
        assert_eq!(rows[0].levels(), "MUST");
    }

    #[test]
    fn versions_must_be_listed_and_each_version_quoted() {
        let unknown = VERSIONED.replace(r#"only: ["8"]"#, r#"only: ["7"]"#);
        let text = parse(&file(&unknown)).unwrap_err()[0].to_string();
        assert!(
            text.contains(
                "names version `7`, which is not one of the catalogue's `versions:` (8, 9)"
            ),
            "{text}"
        );
        let unversioned = VERSIONED.replace("versions: [\"8\", \"9\"]\n", "");
        let text = parse(&file(&unversioned)).unwrap_err()[0].to_string();
        assert!(
            text.contains("the catalogue lists no `versions:`"),
            "{text}"
        );
        let unquoted = VERSIONED.replace(r#"quote: "It SHOULD answer.","#, "");
        let text = parse(&file(&unquoted)).unwrap_err()[0].to_string();
        assert!(
            text.contains("`DEMO-B` is SHOULD but quotes no sentence"),
            "{text}"
        );
        let quoted_impl = VERSIONED.replace("{ level: IMPL }", r#"{ level: IMPL, quote: "x" }"#);
        let text = parse(&file(&quoted_impl)).unwrap_err()[0].to_string();
        assert!(
            text.contains("in version 9: requirement `DEMO-A` is IMPL"),
            "{text}"
        );
    }

    #[test]
    fn scenarios_name_versions_their_catalogue_knows_and_rows_that_exist_there() {
        let scenario = |versions: &str, id: &str| {
            format!(
                "scenarios:\n  - id: s\n    title: t\n    requirements: [{id}]\n    level: MUST\n{versions}    steps: [ {{ request: {{ method: OPTIONS, url: \"{{{{target}}}}\" }} }} ]\n"
            )
        };
        let load_one = |versions: &str, id: &str| {
            load(&SpecTree::in_memory([
                ("demo/requirements.yaml", VERSIONED.to_owned()),
                ("demo/x.yaml", scenario(versions, id)),
            ]))
        };
        let suite = load_one("    versions: [\"8\"]\n", "DEMO-C").unwrap();
        assert_eq!(suite.scenarios[0].versions, Some(vec!["8".to_owned()]));
        assert_eq!(suite.versions("demo"), ["8", "9"]);
        let text = load_one("", "DEMO-C").unwrap_err().0[0].to_string();
        assert!(
            text.contains("`DEMO-C` does not exist in version 9 of demo: limit the scenario with `versions:` to 8"),
            "{text}"
        );
        let text = load_one("    versions: [\"10\"]\n", "DEMO-A")
            .unwrap_err()
            .0[0]
            .to_string();
        assert!(
            text.contains("unknown version `10`: its catalogue lists 8, 9"),
            "{text}"
        );
        assert!(text.contains("--> demo/x.yaml:6:16"), "{text}");
        let nine = load_one("", "DEMO-A")
            .unwrap()
            .at(&BTreeMap::from([("demo".to_owned(), "9".to_owned())]));
        assert_eq!(nine.scenarios[0].level_of("DEMO-A"), Level::Impl);
        assert_eq!(
            nine.requirement("DEMO-A").map(|r| r.level),
            Some(Level::Impl)
        );
        let eight = load_one("", "DEMO-A")
            .unwrap()
            .at(&BTreeMap::from([("demo".to_owned(), "8".to_owned())]));
        assert_eq!(eight.scenarios[0].level_of("DEMO-A"), Level::Must);
    }

    #[test]
    fn coverage_counts_citations_exclusions_and_gaps() {
        let scenarios = r#"
scenarios:
  - id: checks-a
    title: a
    requirements: [DEMO-A]
    level: MUST
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
"#;
        let tree = SpecTree::in_memory([
            ("demo/requirements.yaml", CATALOGUE),
            ("demo/core/a.yaml", scenarios),
        ]);
        let suite = load(&tree).unwrap();
        let catalogues = load_all(&tree).unwrap();
        let coverage = coverage(&catalogues[0], &catalogues, &suite.scenarios);
        assert_eq!(
            coverage.rows[0].status,
            Status::Covered(vec!["demo::core::a::checks-a".into()])
        );
        assert_eq!(coverage.rows[1].status, Status::Uncovered);
        assert_eq!(
            coverage.rows[2].status,
            Status::Excluded("on the client".into())
        );
        assert_eq!(
            (
                coverage.requirements(),
                coverage.covered(),
                coverage.excluded(),
                coverage.uncovered()
            ),
            (3, 1, 1, 1)
        );
        assert!(!coverage.complete());
    }

    #[test]
    fn the_loader_refuses_unknown_ids_under_a_catalogue_only() {
        let citing = |id: &str| {
            format!(
                "scenarios:\n  - id: s\n    title: t\n    requirements: [{id}]\n    level: MUST\n    steps: [ {{ request: {{ method: OPTIONS, url: \"{{{{target}}}}\" }} }} ]\n"
            )
        };
        let tree = SpecTree::in_memory([
            ("demo/requirements.yaml", CATALOGUE.to_owned()),
            ("demo/x.yaml", citing("DEMO-Z")),
            ("other/x.yaml", citing("ANYTHING")),
        ]);
        let errors = load(&tree).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        let text = errors.0[0].to_string();
        assert!(text.contains("unknown requirement `DEMO-Z`"), "{text}");
        assert!(text.contains("--> demo/x.yaml:4:20"), "{text}");
        assert!(text.contains("did you mean `DEMO-A`?"), "{text}");
    }
}
