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
use std::time::Duration;

use base64::Engine as _;
use serde_saphyr::{Location, Spanned};

use super::capability::Capability;
use super::error::{LoadError, LoadErrorKind, LoadErrors, suggest};
use super::extension::{BUILTIN_VARIABLES, Extensions};
use super::matcher::{WrittenCheck, check_keys_listed};
use super::model::*;
use super::source::Source;
use super::suite::Suite;
use super::syntax::*;
use super::template::Template;
use super::tree::{SpecFile, SpecTree};
use super::units;

/// The variables `body: {each: LIST, text: …}` defines inside `text`.
const EACH_VARIABLES: [&str; 2] = ["item", "index"];

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
    let (catalogues, catalogue_errors) = match crate::catalogue::load_all(tree) {
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
    catalogues: Vec<crate::catalogue::Catalogue>,
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
    fn push(&self, error: LoadError) {
        self.errors.borrow_mut().push(error);
    }

    fn scenario(
        &self,
        ctx: &'a FileCtx,
        file_vars: &BTreeMap<String, Spanned<Option<Scalar>>>,
        spanned: &'a Spanned<ScenarioSyntax>,
    ) -> Option<Scenario> {
        let syntax = &spanned.value;
        let before = self.errors.borrow().len();
        let id = &syntax.id.value;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            self.push(ctx.source().error(
                &syntax.id.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "scenario id `{id}` must be letters, digits, `-`, `_` or `.`"
                )),
            ));
        }
        let mut vars = BTreeMap::new();
        for (name, value) in file_vars.iter().chain(&syntax.vars) {
            let default = value
                .value
                .as_ref()
                .and_then(|scalar| self.template(ctx, &value.referenced, scalar));
            vars.insert(name.clone(), default);
        }
        let required: BTreeSet<String> = vars
            .iter()
            .filter(|(_, default)| default.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        let cited: BTreeSet<String> = syntax
            .requirements
            .iter()
            .map(|r| r.value.clone())
            .collect();
        let mut scope = Scope {
            defined: BUILTIN_VARIABLES
                .iter()
                .chain(&self.extensions.variables)
                .map(|s| s.to_string())
                .chain(vars.keys().cloned())
                .collect(),
            cited: Some(&cited),
            required: &required,
            needs: BTreeSet::new(),
            names: BTreeSet::new(),
            free: None,
            captured: BTreeSet::new(),
            lists: BTreeSet::new(),
        };
        let steps = self.steps(ctx, &syntax.steps, &mut scope);
        let finally = self.steps(ctx, &syntax.finally, &mut scope);
        let timeout = syntax.timeout.as_ref().and_then(|t| self.duration(ctx, t));
        let waits = syntax.waits.as_ref().and_then(|waits| {
            self.number_template(ctx, waits, &mut scope, "waits", units::parse_duration)
        });
        self.check_requirements(ctx, &syntax.requirements);
        let requires = self.requires(ctx, &syntax.requires);
        if self.errors.borrow().len() > before {
            return None;
        }
        Some(Scenario {
            id: id.clone(),
            module: ctx.file.module.clone(),
            title: syntax.title.clone(),
            requirements: syntax
                .requirements
                .iter()
                .map(|r| r.value.clone())
                .collect(),
            level: syntax.level.value,
            requirement_levels: self.requirement_levels(ctx, syntax),
            requires,
            span: ctx.source().span(&syntax.id.referenced),
            timeout,
            waits,
            vars,
            needs_vars: scope.needs.into_iter().collect(),
            steps,
            finally,
        })
    }

    /// The level each cited requirement's failed checks count at: the scenario's
    /// level, weakened to the catalogue's (unknown IDs are reported elsewhere).
    fn requirement_levels(
        &self,
        ctx: &FileCtx,
        syntax: &ScenarioSyntax,
    ) -> BTreeMap<String, Level> {
        let catalogue = crate::catalogue::for_module(&self.catalogues, &ctx.file.module);
        syntax
            .requirements
            .iter()
            .map(|id| {
                let listed = catalogue.and_then(|c| c.requirement(&id.value));
                let level = listed.map_or(syntax.level.value, |r| r.level.max(syntax.level.value));
                (id.value.clone(), level)
            })
            .collect()
    }

    /// `requires:`: every entry a capability some protocol knows, `!` for one the
    /// target must lack.
    fn requires(&self, ctx: &FileCtx, written: &[Spanned<String>]) -> Vec<Capability> {
        written
            .iter()
            .filter_map(|entry| {
                Capability::parse(&entry.value, &self.extensions.capabilities)
                    .map_err(|unknown| {
                        self.push(ctx.source().error(
                            &entry.referenced,
                            LoadErrorKind::InvalidValue(unknown.to_string()),
                        ))
                    })
                    .ok()
            })
            .collect()
    }

    /// Every cited ID must be listed by the catalogue covering the file, if there is one.
    fn check_requirements(&self, ctx: &FileCtx, requirements: &[Spanned<String>]) {
        let Some(catalogue) = crate::catalogue::for_module(&self.catalogues, &ctx.file.module)
        else {
            return;
        };
        for id in requirements {
            if catalogue.requirement(&id.value).is_some() {
                continue;
            }
            let suggestion = suggest(
                &id.value,
                catalogue.requirements.iter().map(|r| r.id.as_str()),
            );
            self.push(ctx.source().error(
                &id.referenced,
                LoadErrorKind::UnknownRequirement {
                    id: id.value.clone(),
                    catalogue: catalogue.file.to_string(),
                    suggestion,
                },
            ));
        }
    }

    fn steps(
        &self,
        ctx: &'a FileCtx,
        steps: &'a [Spanned<StepSyntax>],
        scope: &mut Scope,
    ) -> Vec<Step> {
        steps
            .iter()
            .filter_map(|step| self.step(ctx, step, scope))
            .collect()
    }

    fn step(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<StepSyntax>,
        scope: &mut Scope,
    ) -> Option<Step> {
        let step = &spanned.value;
        let at = &spanned.referenced;
        let kinds: Vec<&str> = [
            ("request", step.request.is_some()),
            ("use", step.use_.is_some()),
            ("parallel", step.parallel.is_some()),
            ("repeat", step.repeat.is_some()),
            ("delay", step.delay.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect();
        if kinds.len() != 1 {
            let message = if kinds.is_empty() {
                "a step needs one of `request`, `use`, `parallel`, `repeat` or `delay`".to_owned()
            } else {
                format!(
                    "a step is exactly one of `request`, `use`, `parallel`, `repeat` or `delay`, not {}",
                    kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )
            };
            self.push(ctx.source().error(at, LoadErrorKind::StepShape(message)));
            return None;
        }
        let kind = kinds[0];
        let misplaced = [
            ("name", step.name.is_some() && kind != "request"),
            ("expect", step.expect.is_some() && kind != "request"),
            ("assume", step.assume.is_some() && kind != "request"),
            (
                "checks",
                step.checks.is_some() && !matches!(kind, "request" | "use" | "repeat"),
            ),
            ("capture", !step.capture.is_empty() && kind != "request"),
            ("with", !step.with.is_empty() && kind != "use"),
        ];
        for (key, wrong) in misplaced {
            if wrong {
                self.push(ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(format!("`{key}` does not belong to a `{kind}` step")),
                ));
                return None;
            }
        }
        match kind {
            "request" => self.request(ctx, step, scope),
            "use" => self.use_step(ctx, step, scope),
            "parallel" => {
                let branches = step.parallel.as_ref()?;
                let start_defined = scope.defined.clone();
                let mut all_defined = scope.defined.clone();
                let mut lowered = Vec::new();
                for branch in &branches.value {
                    scope.defined = start_defined.clone();
                    lowered.extend(self.step(ctx, branch, scope));
                    all_defined.extend(scope.defined.iter().cloned());
                }
                scope.defined = all_defined;
                Some(Step::Parallel(lowered))
            }
            "repeat" => self.repeat(ctx, step, scope),
            _ => {
                let delay = step.delay.as_ref()?;
                let duration = self.duration(ctx, delay)?;
                Some(Step::Delay {
                    duration,
                    span: ctx.source().span(at),
                })
            }
        }
    }

    fn request(&self, ctx: &'a FileCtx, step: &'a StepSyntax, scope: &mut Scope) -> Option<Step> {
        let request = step.request.as_ref()?;
        let syntax = &request.value;
        let method = &syntax.method;
        if method.value.is_empty() || !method.value.bytes().all(is_token_byte) {
            self.push(ctx.source().error(
                &method.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "`{}` is not an HTTP method token",
                    method.value
                )),
            ));
        }
        let url = self.checked_template(ctx, &syntax.url, scope);
        let headers = self.fields(ctx, &syntax.headers, scope);
        let trailers = self.fields(ctx, &syntax.trailers, scope);
        let body = syntax
            .body
            .as_ref()
            .and_then(|body| self.body(ctx, body, scope));
        let cut = self.body_cut(ctx, syntax, scope);
        let timeout = syntax
            .timeout
            .as_ref()
            .and_then(|t| self.number_template(ctx, t, scope, "timeout", units::parse_duration));
        let options = self.options(ctx, &syntax.options)?;
        let assume = match &step.assume {
            Some(assume) => self.assumption(ctx, assume, scope)?,
            None => Expect::default(),
        };
        let expect = step
            .expect
            .as_ref()
            .map(|e| self.expect(ctx, e, scope))
            .unwrap_or_default();
        let checks = self.checks(ctx, step, scope);
        let mut captures = Vec::new();
        for (var, capture) in &step.capture {
            captures.extend(self.capture(ctx, var, capture, scope));
        }
        for capture in &captures {
            scope.defined.insert(capture.var.clone());
            scope.captured.insert(capture.var.clone());
            if capture.makes_list() {
                scope.lists.insert(capture.var.clone());
            }
        }
        let name = step.name.as_ref().map(|n| n.value.clone());
        if let Some(name) = &name {
            scope.names.insert(name.clone());
        }
        Some(Step::Request(Box::new(RequestStep {
            name,
            method: Template::literal(method.value.clone()),
            url: url?,
            headers,
            body,
            trailers,
            cut,
            timeout,
            options,
            checks,
            assume,
            content_md5: syntax.content_md5,
            expect,
            captures,
            span: ctx.source().span(&request.referenced),
        })))
    }

    /// `checks:` on a step: requirements the scenario cites, or `[]` for set-up. A
    /// sequence serves many scenarios, so its steps may only say `[]`: the `use:`
    /// names what they check.
    fn checks(&self, ctx: &FileCtx, step: &StepSyntax, scope: &Scope) -> Option<Checks> {
        let checks = step.checks.as_ref()?;
        if checks.value.is_empty() {
            return Some(Checks::Nothing);
        }
        let Some(cited) = scope.cited else {
            self.push(
                ctx.source().error(
                    &checks.referenced,
                    LoadErrorKind::StepShape(
                        "a step of a reusable sequence cannot name requirements in `checks`: \
                     the scenario's `use:` says what the sequence checks there"
                            .into(),
                    ),
                ),
            );
            return None;
        };
        for id in &checks.value {
            if !cited.contains(&id.value) {
                self.push(ctx.source().error(
                    &id.referenced,
                    LoadErrorKind::InvalidValue(format!(
                        "`checks` names `{}`, which the scenario does not cite: add it to \
                         `requirements`",
                        id.value
                    )),
                ));
            }
        }
        Some(Checks::Requirements(
            checks.value.iter().map(|id| id.value.clone()).collect(),
        ))
    }

    /// `assume:` reads status, headers and XML elements: preconditions are about
    /// the state a check needs, never about the bytes it compares.
    fn assumption(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<ExpectSyntax>,
        scope: &mut Scope,
    ) -> Option<Expect> {
        let assume = self.expect(ctx, spanned, scope);
        if let Some(body) = &assume.body
            && (body.equals.is_some() || body.contains.is_some() || !body.digests.is_empty())
        {
            self.push(
                ctx.source().error(
                    &spanned.referenced,
                    LoadErrorKind::StepShape(
                        "`assume` checks status, headers, `empty` and `xml`; compare bodies under \
                     `expect`"
                            .into(),
                    ),
                ),
            );
            return None;
        }
        Some(assume)
    }

    /// `abort_after` or `stall_after`: one way for a body to stop short, not both.
    fn body_cut(
        &self,
        ctx: &'a FileCtx,
        syntax: &'a RequestSyntax,
        scope: &mut Scope,
    ) -> Option<BodyCut> {
        let (after, then) = match (&syntax.abort_after, &syntax.stall_after) {
            (None, None) => return None,
            (Some(_), Some(stall)) => {
                self.push(ctx.source().error(
                    &stall.referenced,
                    LoadErrorKind::StepShape(
                        "`stall_after` and `abort_after` do not go together: a body stops short \
                         either by dropping the connection or by stalling with it open"
                            .into(),
                    ),
                ));
                return None;
            }
            (Some(abort), None) => (abort, CutEnd::Abort),
            (None, Some(stall)) => (stall, CutEnd::Stall),
        };
        let after = self.number_template(ctx, after, scope, then.key(), units::parse_size)?;
        Some(BodyCut { after, then })
    }

    /// Header (or trailer) fields: names must be tokens, values templates.
    fn fields(
        &self,
        ctx: &'a FileCtx,
        fields: &'a BTreeMap<String, Spanned<Scalar>>,
        scope: &mut Scope,
    ) -> Vec<(String, Template)> {
        let mut lowered = Vec::new();
        for (name, value) in fields {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                self.push(ctx.source().error(
                    &value.referenced,
                    LoadErrorKind::InvalidValue(format!("`{name}` is not a header name")),
                ));
            }
            if let Some(template) = self.checked_template(ctx, value, scope) {
                lowered.push((name.clone(), template));
            }
        }
        lowered
    }

    fn use_step(&self, ctx: &'a FileCtx, step: &'a StepSyntax, scope: &mut Scope) -> Option<Step> {
        let target = step.use_.as_ref()?;
        let name = target.value.as_str();
        let Some(&(def_ctx, def_syntax)) = self.definitions.get(name) else {
            let suggestion = suggest(name, self.definitions.keys().copied());
            self.push(ctx.source().error(
                &target.referenced,
                LoadErrorKind::UnknownStepSequence {
                    name: name.to_owned(),
                    suggestion,
                },
            ));
            return None;
        };
        let call_site = ctx.source().span(&target.referenced);
        let lowered = self.definition(name, def_ctx, def_syntax, ctx, &target.referenced)?;
        let mut with = BTreeMap::new();
        for (param, value) in &step.with {
            if !lowered.definition.params.contains_key(param) {
                let suggestion =
                    suggest(param, lowered.definition.params.keys().map(String::as_str));
                self.push(ctx.source().error(
                    &value.referenced,
                    LoadErrorKind::UnknownParameter {
                        sequence: name.to_owned(),
                        name: param.clone(),
                        suggestion,
                    },
                ));
                continue;
            }
            if let Some(template) = self.checked_template(ctx, value, scope) {
                with.insert(param.clone(), template);
            }
        }
        for (param, default) in &lowered.definition.params {
            if default.is_none() && !step.with.contains_key(param) {
                self.push(ctx.source().error(
                    &target.referenced,
                    LoadErrorKind::MissingParameter {
                        sequence: name.to_owned(),
                        name: param.clone(),
                    },
                ));
            }
        }
        for free in &lowered.free {
            self.reference(scope, &free.name, |_| {
                free.at
                    .clone()
                    .with_note(format!("read by `use: {name}` at {call_site}"))
            });
        }
        scope.defined.extend(lowered.exports.iter().cloned());
        scope.captured.extend(lowered.exports.iter().cloned());
        scope.lists.extend(lowered.lists.iter().cloned());
        scope.names.extend(lowered.names.iter().cloned());
        Some(Step::Use(UseStep {
            definition: lowered.definition,
            with,
            checks: self.checks(ctx, step, scope),
            span: call_site,
        }))
    }

    /// Lowers a reusable sequence once; later uses share the result.
    fn definition(
        &self,
        name: &str,
        ctx: &'a FileCtx,
        syntax: &'a Spanned<DefinitionSyntax>,
        caller: &FileCtx,
        call: &Location,
    ) -> Option<Lowered> {
        if let Some(state) = self.lowered.borrow().get(name) {
            if state.is_none() {
                self.push(
                    caller
                        .source()
                        .error(call, LoadErrorKind::RecursiveSequence(name.to_owned())),
                );
            }
            return state.clone();
        }
        self.lowered.borrow_mut().insert(name.to_owned(), None);
        let before = self.errors.borrow().len();
        let mut params = BTreeMap::new();
        for (param, default) in &syntax.value.params {
            let default = default
                .value
                .as_ref()
                .and_then(|scalar| self.template(ctx, &default.referenced, scalar));
            params.insert(param.clone(), default);
        }
        let no_required = BTreeSet::new();
        let mut scope = Scope {
            defined: params.keys().cloned().collect(),
            cited: None,
            required: &no_required,
            needs: BTreeSet::new(),
            names: BTreeSet::new(),
            free: Some(Vec::new()),
            captured: BTreeSet::new(),
            lists: BTreeSet::new(),
        };
        let steps = self.steps(ctx, &syntax.value.steps, &mut scope);
        self.check_requirements(ctx, &syntax.value.requirements);
        if self.errors.borrow().len() > before {
            return None;
        }
        let lowered = Lowered {
            definition: Arc::new(StepDefinition {
                name: name.to_owned(),
                params,
                steps,
                role: match syntax.value.role {
                    RoleSyntax::Setup => SequenceRole::Setup,
                    RoleSyntax::Check => SequenceRole::Check,
                },
                rests_on: syntax
                    .value
                    .requirements
                    .iter()
                    .map(|r| r.value.clone())
                    .collect(),
                span: ctx.source().span(&syntax.referenced),
            }),
            free: scope.free.unwrap_or_default(),
            exports: scope.captured,
            lists: scope.lists,
            names: scope.names,
        };
        self.lowered
            .borrow_mut()
            .insert(name.to_owned(), Some(lowered.clone()));
        Some(lowered)
    }

    fn repeat(&self, ctx: &'a FileCtx, step: &'a StepSyntax, scope: &mut Scope) -> Option<Step> {
        let spanned = step.repeat.as_ref()?;
        let syntax = &spanned.value;
        let checks = self.checks(ctx, step, scope);
        let times = self.number_template(ctx, &syntax.times, scope, "times", |s| {
            s.parse::<u64>()
                .map_err(|_| format!("`{s}` is not a whole number"))
        });
        let index_var = syntax.as_.as_ref().map(|v| v.value.clone());
        if let Some(var) = &index_var {
            scope.defined.insert(var.clone());
            scope.captured.insert(var.clone());
        }
        let steps = self.steps(ctx, &syntax.steps, scope);
        let while_ = syntax.while_.as_ref().and_then(|condition| {
            let var = &condition.value.var;
            if scope.lists.contains(&var.value) {
                self.push(ctx.source().error(&var.referenced, list_read(&var.value)));
                return None;
            }
            self.reference(scope, &var.value, |defined| {
                ctx.source().error(
                    &var.referenced,
                    LoadErrorKind::UndefinedVariable {
                        name: var.value.clone(),
                        suggestion: suggest(&var.value, defined.iter().map(String::as_str)),
                    },
                )
            });
            let matcher = self.value_matcher(ctx, &condition.value.is, scope)?;
            Some(Condition {
                var: var.value.clone(),
                matcher,
            })
        });
        Some(Step::Repeat(Box::new(RepeatStep {
            times: times?,
            index_var,
            from: syntax.from.unwrap_or(1),
            while_,
            checks,
            steps,
            span: ctx.source().span(&spanned.referenced),
        })))
    }

    fn body(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<BodySyntax>,
        scope: &mut Scope,
    ) -> Option<BodySource> {
        let at = &spanned.referenced;
        let map = match &spanned.value {
            BodySyntax::Shorthand(text) => {
                return self.template(ctx, at, text).map(|t| {
                    self.check_variables(ctx, at, &t, scope);
                    BodySource::Text(t)
                });
            }
            BodySyntax::Map(map) => map,
        };
        // With `each`, `text` is the template rendered per element, not a body of its own.
        let each = map.each.is_some();
        let given: Vec<&str> = [
            ("text", map.text.is_some() && !each),
            ("base64", map.base64.is_some()),
            ("file", map.file.is_some()),
            ("random", map.random.is_some()),
            ("sent_by", map.sent_by.is_some()),
            ("fill", map.fill.is_some()),
            ("each", each),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect();
        if given.len() != 1 {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape(
                    "a body is exactly one of `text`, `base64`, `file`, `random`, `sent_by`, `fill` or `each`"
                        .into(),
                ),
            ));
            return None;
        }
        let belongs = [
            ("seed", map.seed.is_some(), map.random.is_some(), "random"),
            ("size", map.size.is_some(), map.fill.is_some(), "fill"),
            ("before", map.before.is_some(), each, "each"),
            ("after", map.after.is_some(), each, "each"),
        ];
        for (key, given, allowed, owner) in belongs {
            if given && !allowed {
                self.push(ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(format!("`{key}` only goes with `{owner}`")),
                ));
                return None;
            }
        }
        if let Some(list) = &map.each {
            return self.each_body(ctx, at, map, list, scope);
        }
        if let Some(pattern) = &map.fill {
            if pattern.value.0.is_empty() {
                self.push(ctx.source().error(
                    &pattern.referenced,
                    LoadErrorKind::InvalidValue(
                        "`fill` needs a pattern of at least one byte".into(),
                    ),
                ));
                return None;
            }
            let Some(size) = &map.size else {
                self.push(ctx.source().error(
                    at,
                    LoadErrorKind::StepShape("`fill` needs a `size`, e.g. `size: 5MiB`".into()),
                ));
                return None;
            };
            let size = self.number_template(ctx, size, scope, "size", units::parse_size)?;
            return Some(BodySource::Fill {
                pattern: pattern.value.0.as_bytes().into(),
                size,
            });
        }
        if let Some(text) = &map.text {
            return self
                .checked_template(ctx, text, scope)
                .map(BodySource::Text);
        }
        if let Some(encoded) = &map.base64 {
            return match base64::engine::general_purpose::STANDARD.decode(encoded.value.trim()) {
                Ok(bytes) => Some(BodySource::Bytes(bytes.into())),
                Err(e) => {
                    self.push(ctx.source().error(
                        &encoded.referenced,
                        LoadErrorKind::InvalidValue(format!("invalid base64: {e}")),
                    ));
                    None
                }
            };
        }
        if let Some(file) = &map.file {
            return match self.tree.read_relative(&ctx.file, &file.value) {
                Ok(bytes) => Some(BodySource::Bytes(bytes.into())),
                Err(e) => {
                    self.push(ctx.source().error(
                        &file.referenced,
                        LoadErrorKind::Io(format!("cannot read `{}`: {e}", file.value)),
                    ));
                    None
                }
            };
        }
        if let Some(size) = &map.random {
            let size = self.number_template(ctx, size, scope, "random", units::parse_size)?;
            return Some(BodySource::Random {
                size,
                seed: map.seed,
            });
        }
        let names = map.sent_by.as_ref()?;
        for name in &names.value.0 {
            if !scope.names.contains(name) {
                let suggestion = suggest(name, scope.names.iter().map(String::as_str));
                self.push(ctx.source().error(
                    &names.referenced,
                    LoadErrorKind::UnknownStepName {
                        name: name.clone(),
                        suggestion,
                    },
                ));
                return None;
            }
        }
        Some(BodySource::SentBy(names.value.0.clone()))
    }

    /// `body: {each: LIST, text: …, before: …, after: …}`.
    fn each_body(
        &self,
        ctx: &'a FileCtx,
        at: &Location,
        map: &'a BodyMap,
        list: &'a Spanned<String>,
        scope: &mut Scope,
    ) -> Option<BodySource> {
        let Some(text) = &map.text else {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape(
                    "`each` renders `text` once per element: give the `text`, e.g. `text: \"<Part>{{item}}</Part>\"`"
                        .into(),
                ),
            ));
            return None;
        };
        let name = &list.value;
        if scope.defined.contains(name) && !scope.lists.contains(name) {
            self.push(ctx.source().error(
                &list.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "`{name}` is not a list: collect one with a capture's `append: true` or `all: true`"
                )),
            ));
            return None;
        }
        self.reference(scope, name, |defined| {
            ctx.source().error(
                &list.referenced,
                LoadErrorKind::UndefinedVariable {
                    name: name.clone(),
                    suggestion: suggest(name, defined.iter().map(String::as_str)),
                },
            )
        });
        let before = match &map.before {
            Some(before) => Some(self.checked_template(ctx, before, scope)?),
            None => None,
        };
        let after = match &map.after {
            Some(after) => Some(self.checked_template(ctx, after, scope)?),
            None => None,
        };
        // `item` and `index` exist only inside `text`, and hide any variable of that name.
        let saved_defined = scope.defined.clone();
        let saved_lists = scope.lists.clone();
        for variable in EACH_VARIABLES {
            scope.defined.insert(variable.to_owned());
            scope.lists.remove(variable);
        }
        let item = self.checked_template(ctx, text, scope);
        scope.defined = saved_defined;
        scope.lists = saved_lists;
        Some(BodySource::Each {
            list: name.clone(),
            before,
            item: item?,
            after,
        })
    }

    fn expect(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<ExpectSyntax>,
        scope: &mut Scope,
    ) -> Expect {
        let syntax = &spanned.value;
        let status = syntax.status.as_ref().and_then(|status| {
            let mut allowed = Vec::new();
            for item in &status.value.0 {
                match parse_status(&item.value.0) {
                    Some(pattern) => allowed.push(pattern),
                    None => {
                        let at = if item.referenced == Location::UNKNOWN {
                            &status.referenced
                        } else {
                            &item.referenced
                        };
                        self.push(ctx.source().error(
                            at,
                            LoadErrorKind::InvalidValue(format!(
                                "`{}` is not a status: write a code from 100 to 599, or a class like 4xx",
                                item.value.0
                            )),
                        ));
                        return None;
                    }
                }
            }
            if allowed.is_empty() {
                self.push(ctx.source().error(
                    &status.referenced,
                    LoadErrorKind::InvalidValue("the list of statuses is empty".into()),
                ));
                return None;
            }
            Some(StatusExpect {
                allowed,
                span: ctx.source().span(&status.referenced),
            })
        });
        let mut headers = Vec::new();
        for (name, matcher) in &syntax.headers {
            if let Some(matcher_model) = self.header_matcher(ctx, matcher, scope) {
                headers.push(HeaderExpect {
                    name: name.clone(),
                    matcher: matcher_model,
                    span: ctx.source().span(&matcher.referenced),
                });
            }
        }
        let body = syntax
            .body
            .as_ref()
            .and_then(|body| self.body_expect(ctx, body, scope));
        Expect {
            status,
            headers,
            body,
        }
    }

    fn body_expect(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<BodyExpectSyntax>,
        scope: &mut Scope,
    ) -> Option<BodyExpect> {
        let syntax = &spanned.value;
        let mut digests = Vec::new();
        for (algorithm, value, hex_len) in [
            (DigestAlgorithm::Md5, &syntax.md5, 32),
            (DigestAlgorithm::Sha1, &syntax.sha1, 40),
            (DigestAlgorithm::Sha256, &syntax.sha256, 64),
            (DigestAlgorithm::Sha512, &syntax.sha512, 128),
            (DigestAlgorithm::Crc32, &syntax.crc32, 8),
        ] {
            let Some(value) = value else { continue };
            let hex = value.value.to_ascii_lowercase();
            if hex.len() != hex_len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.push(ctx.source().error(
                    &value.referenced,
                    LoadErrorKind::InvalidValue(format!(
                        "a {} digest is {hex_len} hex digits",
                        algorithm.as_str()
                    )),
                ));
                continue;
            }
            digests.push((algorithm, hex));
        }
        let mut xml = Vec::new();
        let mut xml_presence = Vec::new();
        for (path, matcher) in &syntax.xml {
            if let MatcherSyntax::Map(map) = &matcher.value
                && map.checks.is_empty()
            {
                match (map.present, map.absent) {
                    (Some(true), None) => xml_presence.push((path.clone(), true)),
                    (None, Some(true)) => xml_presence.push((path.clone(), false)),
                    _ => self.push(
                        ctx.source().error(
                            &matcher.referenced,
                            LoadErrorKind::StepShape(
                                "write `present: true` or `absent: true` alone, or one value check"
                                    .into(),
                            ),
                        ),
                    ),
                }
                continue;
            }
            if let Some(matcher) = self.value_matcher(ctx, matcher, scope) {
                xml.push((path.clone(), matcher));
            }
        }
        Some(BodyExpect {
            empty: syntax.empty.unwrap_or(false),
            equals: syntax
                .equals
                .as_ref()
                .and_then(|body| self.body(ctx, body, scope)),
            contains: syntax
                .contains
                .as_ref()
                .and_then(|c| self.checked_template(ctx, c, scope)),
            digests,
            xml,
            xml_presence,
            root: syntax.root.as_ref().map(|root| root.value.clone()),
            span: Some(ctx.source().span(&spanned.referenced)),
        })
    }

    fn header_matcher(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<MatcherSyntax>,
        scope: &mut Scope,
    ) -> Option<HeaderMatcher> {
        if let MatcherSyntax::Map(map) = &spanned.value {
            let others = map.checks.len();
            match (map.present, map.absent) {
                (Some(true), None) if others == 0 => return Some(HeaderMatcher::Present),
                (None, Some(true)) if others == 0 => return Some(HeaderMatcher::Absent),
                (None, None) => {}
                _ => {
                    self.push(ctx.source().error(
                        &spanned.referenced,
                        LoadErrorKind::StepShape(
                            "write `present: true` or `absent: true` alone; value checks already imply presence"
                                .into(),
                        ),
                    ));
                    return None;
                }
            }
        }
        self.value_checks(ctx, spanned, scope)
            .map(HeaderMatcher::Value)
    }

    /// A matcher on a value that is always present (an XML element, a variable): one check.
    fn value_matcher(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<MatcherSyntax>,
        scope: &mut Scope,
    ) -> Option<ValueMatcher> {
        if let MatcherSyntax::Map(map) = &spanned.value
            && (map.present.is_some() || map.absent.is_some() || map.checks.len() != 1)
        {
            self.push(ctx.source().error(
                &spanned.referenced,
                LoadErrorKind::StepShape(format!(
                    "give exactly one check here ({})",
                    check_keys_listed()
                )),
            ));
            return None;
        }
        self.value_checks(ctx, spanned, scope)?.pop()
    }

    fn value_checks(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<MatcherSyntax>,
        scope: &mut Scope,
    ) -> Option<Vec<ValueMatcher>> {
        let map = match &spanned.value {
            MatcherSyntax::Shorthand(value) => {
                let template = self.template(ctx, &spanned.referenced, value)?;
                self.check_variables(ctx, &spanned.referenced, &template, scope);
                return Some(vec![ValueMatcher::Equals(template)]);
            }
            MatcherSyntax::Map(map) => map,
        };
        let mut checks = Vec::new();
        let mut ok = true;
        for written in &map.checks {
            let mut template = |item| self.checked_template(ctx, item, scope);
            let check = match written {
                WrittenCheck::Regex(pattern) => self.regex(ctx, pattern).map(ValueMatcher::Regex),
                WrittenCheck::OneOf(items) => items
                    .iter()
                    .map(&mut template)
                    .collect::<Option<Vec<_>>>()
                    .map(ValueMatcher::OneOf),
                WrittenCheck::Equals(item) => template(item).map(ValueMatcher::Equals),
                WrittenCheck::Contains(item) => template(item).map(ValueMatcher::ContainsToken),
                WrittenCheck::Etag(item) => template(item).map(ValueMatcher::Etag),
                WrittenCheck::Date(order, item) => {
                    template(item).map(|t| ValueMatcher::Date(*order, t))
                }
                WrittenCheck::Compare(comparison, item) => {
                    template(item).map(|t| ValueMatcher::Compare(*comparison, t))
                }
            };
            match check {
                Some(check) => checks.push(check),
                None => ok = false,
            }
        }
        if checks.is_empty() && ok {
            self.push(ctx.source().error(
                &spanned.referenced,
                LoadErrorKind::StepShape("this matcher has no check".into()),
            ));
            return None;
        }
        ok.then_some(checks)
    }

    fn capture(
        &self,
        ctx: &'a FileCtx,
        var: &str,
        spanned: &'a Spanned<CaptureSyntax>,
        scope: &Scope,
    ) -> Option<Capture> {
        let syntax = &spanned.value;
        let at = &spanned.referenced;
        let sources = [
            syntax.header.is_some(),
            syntax.xml.is_some(),
            syntax.body,
            syntax.status,
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape(
                    "a capture takes exactly one of `header`, `xml`, `body: true` or `status: true`"
                        .into(),
                ),
            ));
            return None;
        }
        if syntax.resolve_url && syntax.header.is_none() {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape("`resolve_url` only goes with `header`".into()),
            ));
            return None;
        }
        if syntax.all && syntax.xml.is_none() {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape("`all` only goes with `xml`".into()),
            ));
            return None;
        }
        // A variable is a list or a value for the whole scenario: `each` reads lists,
        // templates read values, and the loader checks both by name.
        let list = syntax.append || syntax.all;
        if list && scope.defined.contains(var) && !scope.lists.contains(var) {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::InvalidValue(format!(
                    "`{var}` already holds a single value; give the list capture a name of its own"
                )),
            ));
            return None;
        }
        if !list && scope.lists.contains(var) {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::InvalidValue(format!(
                    "`{var}` is a list; add `append: true` to add to it, or give this capture another name"
                )),
            ));
            return None;
        }
        let source = if let Some(name) = &syntax.header {
            CaptureSource::Header {
                name: name.clone(),
                resolve_url: syntax.resolve_url,
            }
        } else if let Some(path) = &syntax.xml {
            CaptureSource::Xml(path.clone())
        } else if syntax.body {
            CaptureSource::Body
        } else {
            CaptureSource::Status
        };
        let regex = match &syntax.regex {
            Some(pattern) => Some(self.regex(ctx, pattern)?),
            None => None,
        };
        Some(Capture {
            var: var.to_owned(),
            source,
            regex,
            default: syntax.default.as_ref().map(|value| value.0.clone()),
            append: syntax.append,
            all: syntax.all,
            span: ctx.source().span(at),
        })
    }

    /// The keys of `request:` that are not generic: each is lowered by the protocol
    /// that adds it, and any other is an unknown key.
    fn options(
        &self,
        ctx: &FileCtx,
        written: &[(Spanned<String>, Spanned<OptionSyntax>)],
    ) -> Option<Vec<Arc<dyn ProtocolOption>>> {
        let mut options = Vec::new();
        for (key, value) in written {
            let owner = self
                .extensions
                .options
                .iter()
                .find(|o| o.key() == key.value);
            let Some(owner) = owner else {
                let expected: Vec<&str> = REQUEST_KEYS
                    .iter()
                    .copied()
                    .chain(self.extensions.options.iter().map(|o| o.key()))
                    .collect();
                self.push(ctx.source().error(
                    &key.referenced,
                    LoadErrorKind::UnknownKey {
                        key: key.value.clone(),
                        suggestion: suggest(&key.value, expected.iter().copied()),
                        expected: expected.iter().map(|e| e.to_string()).collect(),
                    },
                ));
                return None;
            };
            match owner.lower(&ctx.source(), value) {
                Ok(option) => options.push(option),
                Err(error) => {
                    self.push(*error);
                    return None;
                }
            }
        }
        Some(options)
    }

    fn regex(&self, ctx: &FileCtx, pattern: &Spanned<String>) -> Option<regex::Regex> {
        match regex::Regex::new(&pattern.value) {
            Ok(regex) => Some(regex),
            Err(e) => {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or_default().trim();
                let last = last.strip_prefix("error: ").unwrap_or(last);
                self.push(ctx.source().error(
                    &pattern.referenced,
                    LoadErrorKind::InvalidValue(format!("invalid regex: {last}")),
                ));
                None
            }
        }
    }

    fn duration(&self, ctx: &FileCtx, value: &Spanned<Scalar>) -> Option<Duration> {
        match units::parse_duration(&value.value.0) {
            Ok(duration) => Some(duration),
            Err(message) => {
                self.push(
                    ctx.source()
                        .error(&value.referenced, LoadErrorKind::InvalidValue(message)),
                );
                None
            }
        }
    }

    /// A template that must evaluate to a number: checked now when it is a literal.
    fn number_template<T>(
        &self,
        ctx: &FileCtx,
        value: &Spanned<Scalar>,
        scope: &mut Scope,
        what: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Template> {
        let template = self.checked_template(ctx, value, scope)?;
        if let Some(literal) = template.as_literal()
            && let Err(message) = parse(&literal)
        {
            self.push(ctx.source().error(
                &value.referenced,
                LoadErrorKind::InvalidValue(format!("`{what}`: {message}")),
            ));
            return None;
        }
        Some(template)
    }

    /// Parses a template and checks that every variable it reads is defined here.
    fn checked_template(
        &self,
        ctx: &FileCtx,
        value: &Spanned<Scalar>,
        scope: &mut Scope,
    ) -> Option<Template> {
        let template = self.template(ctx, &value.referenced, &value.value)?;
        self.check_variables(ctx, &value.referenced, &template, scope);
        Some(template)
    }

    fn template(&self, ctx: &FileCtx, at: &Location, value: &Scalar) -> Option<Template> {
        match Template::parse(&value.0) {
            Ok(template) => Some(template),
            Err(error) => {
                self.push(
                    ctx.source()
                        .error(at, LoadErrorKind::InvalidValue(error.message)),
                );
                None
            }
        }
    }

    fn check_variables(
        &self,
        ctx: &FileCtx,
        at: &Location,
        template: &Template,
        scope: &mut Scope,
    ) {
        for (name, _) in template.variables() {
            if scope.lists.contains(name) {
                let (span, width) = ctx.source().variable_span(at, name);
                self.push(ctx.source().error_at(span, width, list_read(name)));
                continue;
            }
            self.reference(scope, name, |defined| {
                let (span, width) = ctx.source().variable_span(at, name);
                let suggestion = suggest(name, defined.iter().map(String::as_str));
                ctx.source().error_at(
                    span,
                    width,
                    LoadErrorKind::UndefinedVariable {
                        name: name.to_owned(),
                        suggestion,
                    },
                )
            });
        }
    }

    /// Records a read of `name`: fine if defined (noting required variables), free inside
    /// a sequence, an error otherwise.
    fn reference(
        &self,
        scope: &mut Scope,
        name: &str,
        error: impl FnOnce(&BTreeSet<String>) -> LoadError,
    ) {
        if scope.defined.contains(name) {
            if scope.required.contains(name) {
                scope.needs.insert(name.to_owned());
            }
            return;
        }
        let error = error(&scope.defined);
        match &mut scope.free {
            Some(free) => free.push(FreeVariable {
                name: name.to_owned(),
                at: error,
            }),
            None => self.push(error),
        }
    }
}

/// Reading a list variable where a single value is needed.
fn list_read(name: &str) -> LoadErrorKind {
    LoadErrorKind::InvalidValue(format!(
        "`{name}` is a list (captured with `append` or `all`); only `body: {{each: {name}, text: …}}` reads it"
    ))
}

fn parse_status(text: &str) -> Option<StatusPattern> {
    let text = text.trim();
    if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
        let digit: u8 = class.parse().ok()?;
        return (1..=5)
            .contains(&digit)
            .then_some(StatusPattern::Class(digit));
    }
    let code: u16 = text.parse().ok()?;
    (100..=599)
        .contains(&code)
        .then_some(StatusPattern::Code(code))
}

/// RFC 9110 token characters (method and header names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(parse_status("201"), Some(StatusPattern::Code(201)));
        assert_eq!(parse_status("4xx"), Some(StatusPattern::Class(4)));
        assert_eq!(parse_status("6xx"), None);
        assert_eq!(parse_status("99"), None);
        assert_eq!(parse_status("two hundred"), None);
    }
}
