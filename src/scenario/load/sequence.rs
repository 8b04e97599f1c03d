//! Reusable step sequences: `use:` with its parameters, and each sequence lowered
//! once, with the variables it reads from and gives to its callers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_saphyr::{Location, Spanned};

use crate::scenario::error::{LoadErrorKind, suggest};
use crate::scenario::model::*;
use crate::scenario::syntax::*;

use super::{FileCtx, Loader, Lowered, Scope};

impl<'a> Loader<'a> {
    pub(super) fn use_step(
        &self,
        ctx: &'a FileCtx,
        step: &'a StepSyntax,
        scope: &mut Scope,
    ) -> Option<Step> {
        let target = step.use_.as_ref()?;
        let name = target.value.as_str();
        let Some(&(def_ctx, def_syntax)) = self.definitions.get(name) else {
            if self.unreadable.contains(name) {
                scope.blind = true;
                return None;
            }
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
    pub(super) fn definition(
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
            blind: false,
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
}
