//! Turns scenario files into a validated [`Suite`], or into every error they contain.
//!
//! Loading runs in three passes: parse every file (one YAML error per file at most,
//! since the parser stops there), index the reusable step sequences of all files,
//! then lower each scenario while tracking which variables are defined at each
//! step. That last pass is why an undefined `{{variable}}` is caught before any
//! request is sent, with its `file:line:col`, instead of halfway through a run.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::error::{LoadError, LoadErrorKind, LoadErrors};
use super::extension::Extensions;
use super::model::*;
use super::source::Source;
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
        lowered: RefCell::new(BTreeMap::new()),
        catalogues,
    };
    let parsed: Vec<(FileCtx, FileSyntax)> = files
        .into_iter()
        .filter_map(|file| {
            let ctx = FileCtx::new(file);
            match ctx.source().parse::<FileSyntax>() {
                Ok(syntax) => Some((ctx, syntax)),
                Err(error) => {
                    loader.errors.get_mut().push(*error);
                    None
                }
            }
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
}

impl<'a> Loader<'a> {
    pub(super) fn push(&self, error: LoadError) {
        self.errors.borrow_mut().push(error);
    }
}
