//! Request bodies and expected bodies as written: text, base64, a fixture file,
//! random or filled bytes, what earlier steps sent, or a list rendered `each`.

use base64::Engine as _;
use serde_saphyr::{Location, Spanned};

use crate::scenario::error::{LoadErrorKind, suggest};
use crate::scenario::model::*;
use crate::scenario::syntax::*;
use crate::scenario::units;

use super::{FileCtx, Loader, Scope};

/// The variables `body: {each: LIST, text: …}` defines inside `text`.
const EACH_VARIABLES: [&str; 2] = ["item", "index"];

impl<'a> Loader<'a> {
    pub(super) fn body(
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
    pub(super) fn each_body(
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
}
