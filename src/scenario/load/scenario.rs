//! Lowering one scenario: its variables, steps and timeouts, the capabilities it
//! `requires` and the requirements it cites, checked against the catalogue covering it.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use crate::scenario::capability::Capability;
use crate::scenario::catalogue;
use crate::scenario::error::{LoadErrorKind, suggest};
use crate::scenario::extension::BUILTIN_VARIABLES;
use crate::scenario::model::*;
use crate::scenario::scalar::Scalar;
use crate::scenario::syntax::*;
use crate::scenario::units;

use super::{FileCtx, Loader, Scope};

impl<'a> Loader<'a> {
    pub(super) fn scenario(
        &self,
        ctx: &'a FileCtx,
        file_vars: &BTreeMap<String, Spanned<Option<Scalar>>>,
        spanned: &'a Spanned<ScenarioSyntax>,
    ) -> Option<Scenario> {
        let syntax = &spanned.value;
        let before = self.errors.borrow().len();
        let id = &syntax.id.value;
        if !is_name(id) {
            self.push(ctx.source().error(
                &syntax.id.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "scenario id `{id}` must be letters, digits, `-`, `_` or `.`"
                )),
            ));
        }
        if let Some(group) = &syntax.group
            && !is_name(&group.value)
        {
            self.push(ctx.source().error(
                &group.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "group `{}` must be letters, digits, `-`, `_` or `.`",
                    group.value
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
            blind: false,
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
            group: syntax.group.as_ref().map(|group| group.value.clone()),
            vars,
            needs_vars: scope.needs.into_iter().collect(),
            steps,
            finally,
        })
    }

    /// The level each cited requirement's failed checks count at: the scenario's
    /// level, weakened to the catalogue's (unknown IDs are reported elsewhere).
    pub(super) fn requirement_levels(
        &self,
        ctx: &FileCtx,
        syntax: &ScenarioSyntax,
    ) -> BTreeMap<String, Level> {
        let catalogue = catalogue::for_module(&self.catalogues, &ctx.file.module);
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
    pub(super) fn requires(&self, ctx: &FileCtx, written: &[Spanned<String>]) -> Vec<Capability> {
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
    pub(super) fn check_requirements(&self, ctx: &FileCtx, requirements: &[Spanned<String>]) {
        let Some(catalogue) = catalogue::for_module(&self.catalogues, &ctx.file.module) else {
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
}

/// Whether `name` is usable as a scenario id or a group name: letters, digits,
/// `-`, `_` and `.`, at least one.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
