//! Scalars that are templates, sizes, durations or regexes, and the variables
//! they read, checked against what is defined at that point.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use crate::scenario::error::{LoadError, LoadErrorKind, suggest};
use crate::scenario::scalar::Scalar;
use crate::scenario::template::Template;
use crate::scenario::units;

use super::{FileCtx, FreeVariable, Loader, Scope};

impl<'a> Loader<'a> {
    pub(super) fn regex(&self, ctx: &FileCtx, pattern: &Spanned<String>) -> Option<regex::Regex> {
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

    pub(super) fn duration(&self, ctx: &FileCtx, value: &Spanned<Scalar>) -> Option<Duration> {
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
    pub(super) fn number_template<T>(
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
    pub(super) fn checked_template(
        &self,
        ctx: &FileCtx,
        value: &Spanned<Scalar>,
        scope: &mut Scope,
    ) -> Option<Template> {
        let template = self.template(ctx, &value.referenced, &value.value)?;
        self.check_variables(ctx, &value.referenced, &template, scope);
        Some(template)
    }

    pub(super) fn template(
        &self,
        ctx: &FileCtx,
        at: &Location,
        value: &Scalar,
    ) -> Option<Template> {
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

    pub(super) fn check_variables(
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
    pub(super) fn reference(
        &self,
        scope: &mut Scope,
        name: &str,
        error: impl FnOnce(&BTreeSet<String>) -> LoadError,
    ) {
        if scope.blind {
            return;
        }
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
pub(super) fn list_read(name: &str) -> LoadErrorKind {
    LoadErrorKind::InvalidValue(format!(
        "`{name}` is a list (captured with `append` or `all`); only `body: {{each: {name}, text: …}}` reads it"
    ))
}
