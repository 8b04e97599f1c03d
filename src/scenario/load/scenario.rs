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
        self.check_versions(ctx, syntax);
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
            versions: syntax
                .versions
                .as_ref()
                .map(|versions| versions.iter().map(|v| v.value.clone()).collect()),
            vars,
            needs_vars: scope.needs.into_iter().collect(),
            steps,
            finally,
        })
    }

    /// The level each cited requirement's failed checks count at: the scenario's
    /// level, weakened to the catalogue's (unknown IDs are reported elsewhere). A
    /// versioned catalogue's rows count at their own level here, and at the level
    /// of the version a run checks once it is known (`Suite::at`).
    pub(super) fn requirement_levels(
        &self,
        ctx: &FileCtx,
        syntax: &ScenarioSyntax,
    ) -> BTreeMap<String, Level> {
        let cited: Vec<String> = syntax
            .requirements
            .iter()
            .map(|id| id.value.clone())
            .collect();
        match catalogue::for_module(&self.catalogues, &ctx.file.module) {
            Some(catalogue) => catalogue.levels(syntax.level.value, &cited),
            None => cited
                .into_iter()
                .map(|id| (id, syntax.level.value))
                .collect(),
        }
    }

    /// `versions:` names versions its catalogue lists, and every cited requirement
    /// exists in each version the scenario applies to.
    fn check_versions(&self, ctx: &FileCtx, syntax: &ScenarioSyntax) {
        let catalogue = catalogue::for_module(&self.catalogues, &ctx.file.module);
        let known: &[String] = catalogue.map_or(&[], |c| &c.versions);
        let mut applies: Vec<&str> = known.iter().map(String::as_str).collect();
        if let Some(written) = &syntax.versions {
            if written.is_empty() {
                self.push(
                    ctx.source().error(
                        &syntax.id.referenced,
                        LoadErrorKind::InvalidValue(
                            "`versions:` is empty: list the versions the scenario applies to, \
                         or leave it out for all"
                                .into(),
                        ),
                    ),
                );
            }
            for version in written {
                if !known.contains(&version.value) {
                    let listed = if known.is_empty() {
                        "its catalogue lists no `versions:`".to_owned()
                    } else {
                        format!("its catalogue lists {}", known.join(", "))
                    };
                    self.push(ctx.source().error(
                        &version.referenced,
                        LoadErrorKind::InvalidValue(format!(
                            "unknown version `{}`: {listed}",
                            version.value
                        )),
                    ));
                }
            }
            applies = written.iter().map(|v| v.value.as_str()).collect();
        }
        let Some(catalogue) = catalogue else { return };
        for id in &syntax.requirements {
            let Some(row) = catalogue.requirement(&id.value) else {
                continue;
            };
            let missing: Vec<&str> = applies
                .iter()
                .copied()
                .filter(|version| !row.applies_in(version))
                .collect();
            if !missing.is_empty() {
                self.push(ctx.source().error(
                    &id.referenced,
                    LoadErrorKind::InvalidValue(format!(
                        "`{}` does not exist in version {} of {}: limit the scenario with \
                         `versions:` to {}",
                        id.value,
                        missing.join(", "),
                        catalogue.protocol,
                        row.only.as_deref().unwrap_or_default().join(", ")
                    )),
                ));
            }
        }
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
