//! Turns scenario files into a validated [`Suite`], or into every error they contain.
//!
//! Loading runs in three passes: parse every file (each scenario, sequence and step
//! apart, so that each reports its first mistake: the parser stops there), index the reusable step sequences of all files,
//! then lower each scenario while tracking which variables are defined at each
//! step. That last pass is why an undefined `{{variable}}` is caught before any
//! request is sent, with its `file:line:col`, instead of halfway through a run.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::error::{LoadError, LoadErrorKind, LoadErrors};
use super::extension::Extensions;
use super::model::*;
use super::source::{Source, entries, part};
use super::suite::Suite;
use super::syntax::*;
use super::tree::{SpecFile, SpecTree};

mod body;
mod expect;
mod scenario;
mod sequence;
mod steps;
mod values;

/// Loads every scenario file of `tree`, with what protocols add to the language.
pub fn load(tree: &SpecTree, extensions: &Extensions) -> Result<Suite, LoadErrors> {
    let files = tree.spec_files().map_err(|e| {
        LoadErrors(vec![LoadError::new(
            SourceSpan {
                file: Arc::from("<specs>"),
                line: 1,
                column: 1,
            },
            LoadErrorKind::Io(format!("cannot read the scenario files: {e}")),
        )])
    })?;
    // Requirement catalogues: a scenario may cite only IDs of the catalogue covering it.
    let (catalogues, catalogue_errors) = match super::catalogue::load_all(tree) {
        Ok(catalogues) => (catalogues, Vec::new()),
        Err(errors) => (Vec::new(), errors.0),
    };
    let mut loader = Loader {
        tree,
        extensions,
        errors: RefCell::new(catalogue_errors),
        definitions: BTreeMap::new(),
        unreadable: BTreeSet::new(),
        lowered: RefCell::new(BTreeMap::new()),
        catalogues,
    };
    let parsed: Vec<(FileCtx, FileSyntax)> = files
        .into_iter()
        .filter_map(|file| {
            let ctx = FileCtx::new(file);
            let syntax = read_file(ctx.source(), &mut loader);
            syntax.map(|syntax| (ctx, syntax))
        })
        .collect();
    for (ctx, syntax) in &parsed {
        for (name, definition) in &syntax.steps {
            if let Some((first_ctx, first)) = loader.definitions.get(name.as_str()) {
                let first = first_ctx.source().span(&first.referenced);
                loader.push(ctx.source().error(
                    &definition.referenced,
                    LoadErrorKind::DuplicateStepSequence {
                        name: name.clone(),
                        first,
                    },
                ));
                continue;
            }
            loader.definitions.insert(name.as_str(), (ctx, definition));
        }
    }
    let mut scenarios = Vec::new();
    for (ctx, syntax) in &parsed {
        let mut seen: BTreeMap<&str, SourceSpan> = BTreeMap::new();
        for scenario in &syntax.scenarios {
            let id = scenario.value.id.value.as_str();
            let span = ctx.source().span(&scenario.value.id.referenced);
            if let Some(first) = seen.get(id) {
                loader.push(ctx.source().error(
                    &scenario.value.id.referenced,
                    LoadErrorKind::DuplicateScenario {
                        id: id.to_owned(),
                        first: first.clone(),
                    },
                ));
                continue;
            }
            seen.insert(id, span);
            if let Some(lowered) = loader.scenario(ctx, &syntax.vars, scenario) {
                scenarios.push(Arc::new(lowered));
            }
        }
    }
    let errors = loader.errors.into_inner();
    if errors.is_empty() {
        let sources = parsed
            .iter()
            .map(|(ctx, _)| (ctx.name.clone(), Arc::from(ctx.file.text.as_str())))
            .collect();
        Ok(Suite {
            scenarios,
            sources,
            catalogues: loader.catalogues,
        })
    } else {
        Err(LoadErrors(errors))
    }
}

/// A parsed file with what is needed to point into it.
struct FileCtx {
    file: SpecFile,
    name: Arc<str>,
}

impl FileCtx {
    fn new(file: SpecFile) -> Self {
        let name = Arc::from(file.display.as_str());
        FileCtx { file, name }
    }

    fn source(&self) -> Source<'_> {
        Source {
            name: &self.name,
            text: &self.file.text,
        }
    }
}

struct Loader<'a> {
    tree: &'a SpecTree,
    extensions: &'a Extensions,
    errors: RefCell<Vec<LoadError>>,
    definitions: BTreeMap<&'a str, (&'a FileCtx, &'a Spanned<DefinitionSyntax>)>,
    /// Sequences written with a mistake (reported where it is): a `use` of one is
    /// not an unknown name, and what it would define is unknown.
    unreadable: BTreeSet<String>,
    /// Lowered sequences by name; `None` while one is being lowered (to catch recursion)
    /// or when it had errors.
    lowered: RefCell<BTreeMap<String, Option<Lowered>>>,
    /// The requirement catalogues of the tree (those that parsed).
    catalogues: Vec<super::catalogue::Catalogue>,
}

/// A lowered reusable sequence and what it needs from, and gives to, its caller.
#[derive(Clone)]
struct Lowered {
    definition: Arc<StepDefinition>,
    /// Variables it reads that neither its parameters nor its own captures define.
    free: Vec<FreeVariable>,
    /// Variables its captures (and loop indexes) define for the caller.
    exports: BTreeSet<String>,
    /// Those of them that are lists.
    lists: BTreeSet<String>,
    /// Step names it defines, for `sent_by`.
    names: BTreeSet<String>,
}

#[derive(Clone)]
struct FreeVariable {
    name: String,
    /// The error to report if the caller does not define it either.
    at: LoadError,
}

/// What is defined at a point of a scenario or sequence, and what it needs.
struct Scope<'s> {
    defined: BTreeSet<String>,
    /// The scenario's requirements, which `checks:` may name; `None` in a sequence,
    /// whose callers differ.
    cited: Option<&'s BTreeSet<String>>,
    /// Declared variables without a default (must come from --var).
    required: &'s BTreeSet<String>,
    /// Required variables read so far.
    needs: BTreeSet<String>,
    /// Named request steps so far.
    names: BTreeSet<String>,
    /// In a sequence: unknown variables are free (checked at each use), not errors.
    free: Option<Vec<FreeVariable>>,
    /// Captures so far, for a sequence's exports.
    captured: BTreeSet<String>,
    /// Defined variables that hold lists (from `append` or `all` captures): only
    /// `body: {each: …}` can read them.
    lists: BTreeSet<String>,
    /// After a `use` of an unreadable sequence, which variables are defined is
    /// unknown: reading one is not reported (its cause is, where it is written).
    blind: bool,
}

/// Reads a file. Most files have no mistake and are read in one pass; the parser
/// stops at the first mistake, so a file with one is read again, in parts: its
/// outline, then each scenario and sequence apart, and each of their steps apart,
/// so that every one of them reports its first mistake. Returns what could be
/// read; the names of sequences that could not go to `loader.unreadable`.
fn read_file(source: Source<'_>, loader: &mut Loader<'_>) -> Option<FileSyntax> {
    let first = match source.parse() {
        Ok(syntax) => return Some(syntax),
        Err(error) => error,
    };
    let errors = loader.errors.get_mut();
    let before = errors.len();
    let outline: FileSyntax<Spanned<Deferred>, Spanned<Deferred>> =
        source.parse().map_err(|error| errors.push(*error)).ok()?;
    let (Some(scenarios_at), Some(definitions_at)) = (
        entries(source.text, "scenarios"),
        entries(source.text, "steps"),
    ) else {
        // An alias, which cannot be read apart from its anchor: the whole's mistake.
        errors.push(*first);
        return None;
    };
    let definitions_at: BTreeMap<Option<String>, Range<usize>> =
        definitions_at.into_iter().collect();
    let mut steps = BTreeMap::new();
    for (name, outline) in outline.steps {
        let read = definitions_at
            .get(&Some(name.clone()))
            .and_then(|at| read_definition(source, at, errors));
        match read {
            Some(definition) => {
                steps.insert(
                    name,
                    Spanned::new(definition, outline.referenced, outline.defined),
                );
            }
            None => {
                loader.unreadable.insert(name);
            }
        }
    }
    let errors = loader.errors.get_mut();
    let scenarios = outline
        .scenarios
        .into_iter()
        .zip(scenarios_at)
        .filter_map(|(outline, (_, at))| {
            let scenario = read_scenario(source, &at, errors)?;
            Some(Spanned::new(scenario, outline.referenced, outline.defined))
        })
        .collect();
    if errors.len() == before {
        // No part reported a mistake (none can be read apart): the whole's.
        errors.push(*first);
        return None;
    }
    // In the order they are written, whatever order the parts were read in.
    errors[before..].sort_by_key(|error| (error.span.line, error.span.column));
    Some(FileSyntax {
        vars: outline.vars,
        steps,
        scenarios,
    })
}

/// Reads a scenario apart, and each of its steps apart: a step's mistake is
/// reported even when the scenario's own keys have one.
fn read_scenario(
    source: Source<'_>,
    at: &Range<usize>,
    errors: &mut Vec<LoadError>,
) -> Option<ScenarioSyntax> {
    let text = part(source.text, at);
    let outline = source.parse_part::<ScenarioSyntax<Spanned<Deferred>>>(&text);
    let outline = outline.map_err(|e| errors.push(*e));
    let steps = read_steps(source, &text, entries(&text, "steps")?, errors);
    let finally = read_steps(source, &text, entries(&text, "finally")?, errors);
    let outline = outline.ok()?;
    let steps = placed(&outline.steps, steps?);
    let finally = placed(&outline.finally, finally?);
    Some(outline.with_steps(steps, finally))
}

/// Reads a reusable sequence apart, and each of its steps apart.
fn read_definition(
    source: Source<'_>,
    at: &Range<usize>,
    errors: &mut Vec<LoadError>,
) -> Option<DefinitionSyntax> {
    let text = part(source.text, at);
    let outline = source.parse_part::<DefinitionSyntax<Spanned<Deferred>>>(&text);
    let outline = outline.map_err(|e| errors.push(*e));
    let steps = read_steps(source, &text, entries(&text, "steps")?, errors);
    let outline = outline.ok()?;
    let steps = placed(&outline.steps, steps?);
    Some(outline.with_steps(steps))
}

/// Reads every step at `at` in `text` (a part of `source`) apart; `None` if any
/// has a mistake (each is reported).
fn read_steps(
    source: Source<'_>,
    text: &str,
    at: Vec<(Option<String>, Range<usize>)>,
    errors: &mut Vec<LoadError>,
) -> Option<Vec<StepSyntax>> {
    let read: Vec<Option<StepSyntax>> = at
        .into_iter()
        .map(|(_, at)| {
            let step = source.parse_part(&part(text, &at));
            step.map_err(|e| errors.push(*e)).ok()
        })
        .collect();
    read.into_iter().collect()
}

/// Steps with the places the outline found them at.
fn placed(outline: &[Spanned<Deferred>], steps: Vec<StepSyntax>) -> Vec<Spanned<StepSyntax>> {
    outline
        .iter()
        .zip(steps)
        .map(|(at, step)| Spanned::new(step, at.referenced, at.defined))
        .collect()
}

impl<'a> Loader<'a> {
    pub(super) fn push(&self, error: LoadError) {
        self.errors.borrow_mut().push(error);
    }
}
