//! Lowering steps: which kind each is, requests with their headers, options,
//! checks and captures, and `repeat`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_saphyr::Spanned;

use crate::scenario::error::{LoadErrorKind, suggest};
use crate::scenario::model::*;
use crate::scenario::scalar::Scalar;
use crate::scenario::syntax::*;
use crate::scenario::template::Template;
use crate::scenario::units;

use super::values::list_read;
use super::{FileCtx, Loader, Scope};

/// What a step is: the one key among these it has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StepKind {
    Request,
    Use,
    Parallel,
    Repeat,
    Delay,
}

impl StepKind {
    fn key(self) -> &'static str {
        match self {
            StepKind::Request => "request",
            StepKind::Use => "use",
            StepKind::Parallel => "parallel",
            StepKind::Repeat => "repeat",
            StepKind::Delay => "delay",
        }
    }
}

impl<'a> Loader<'a> {
    pub(super) fn steps(
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

    pub(super) fn step(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<StepSyntax>,
        scope: &mut Scope,
    ) -> Option<Step> {
        let step = &spanned.value;
        let at = &spanned.referenced;
        let kinds: Vec<StepKind> = [
            (StepKind::Request, step.request.is_some()),
            (StepKind::Use, step.use_.is_some()),
            (StepKind::Parallel, step.parallel.is_some()),
            (StepKind::Repeat, step.repeat.is_some()),
            (StepKind::Delay, step.delay.is_some()),
        ]
        .into_iter()
        .filter_map(|(kind, present)| present.then_some(kind))
        .collect();
        if kinds.len() != 1 {
            let message = if kinds.is_empty() {
                "a step needs one of `request`, `use`, `parallel`, `repeat` or `delay`".to_owned()
            } else {
                format!(
                    "a step is exactly one of `request`, `use`, `parallel`, `repeat` or `delay`, not {}",
                    kinds
                        .iter()
                        .map(|k| format!("`{}`", k.key()))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )
            };
            self.push(ctx.source().error(at, LoadErrorKind::StepShape(message)));
            return None;
        }
        let kind = kinds[0];
        let misplaced = [
            ("name", step.name.is_some() && kind != StepKind::Request),
            ("expect", step.expect.is_some() && kind != StepKind::Request),
            ("assume", step.assume.is_some() && kind != StepKind::Request),
            (
                "checks",
                step.checks.is_some()
                    && !matches!(kind, StepKind::Request | StepKind::Use | StepKind::Repeat),
            ),
            (
                "capture",
                !step.capture.is_empty() && kind != StepKind::Request,
            ),
            ("with", !step.with.is_empty() && kind != StepKind::Use),
        ];
        for (key, wrong) in misplaced {
            if wrong {
                self.push(ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(format!(
                        "`{key}` does not belong to a `{}` step",
                        kind.key()
                    )),
                ));
                return None;
            }
        }
        match kind {
            StepKind::Request => self.request(ctx, step, scope),
            StepKind::Use => self.use_step(ctx, step, scope),
            StepKind::Parallel => {
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
            StepKind::Repeat => self.repeat(ctx, step, scope),
            StepKind::Delay => {
                let delay = step.delay.as_ref()?;
                let duration =
                    self.number_template(ctx, delay, scope, "delay", units::parse_duration)?;
                Some(Step::Delay {
                    duration,
                    span: ctx.source().span(at),
                })
            }
        }
    }

    pub(super) fn request(
        &self,
        ctx: &'a FileCtx,
        step: &'a StepSyntax,
        scope: &mut Scope,
    ) -> Option<Step> {
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
        let continue_timeout = syntax.continue_timeout.as_ref().and_then(|t| {
            self.number_template(ctx, t, scope, "continue_timeout", units::parse_duration)
        });
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
        let sends_expect = syntax
            .headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case("expect"));
        let expect_answered = step
            .expect
            .as_ref()
            .and_then(|e| e.value.continue_answered.as_ref());
        if let Some(answered) = expect_answered
            && !sends_expect
        {
            self.push(
                ctx.source().error(
                    &answered.referenced,
                    LoadErrorKind::StepShape(
                        "`continue_answered` checks a request that sends `Expect: 100-continue`; \
                     add that header"
                            .into(),
                    ),
                ),
            );
        }
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
            continue_timeout,
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
    pub(super) fn checks(&self, ctx: &FileCtx, step: &StepSyntax, scope: &Scope) -> Option<Checks> {
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
    pub(super) fn assumption(
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
    pub(super) fn body_cut(
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
    pub(super) fn fields(
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

    pub(super) fn repeat(
        &self,
        ctx: &'a FileCtx,
        step: &'a StepSyntax,
        scope: &mut Scope,
    ) -> Option<Step> {
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

    pub(super) fn capture(
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
            syntax.json.is_some(),
            syntax.body,
            syntax.status,
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            self.push(
                ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(
                        "a capture takes exactly one of `header`, `xml`, `json`, `body: true` or \
                     `status: true`"
                            .into(),
                    ),
                ),
            );
            return None;
        }
        if let Some(pointer) = &syntax.json
            && !pointer.value.is_empty()
            && !pointer.value.starts_with('/')
        {
            self.push(ctx.source().error(
                &pointer.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "`{}` is not a JSON Pointer: write it from the root, `/{}` (RFC 6901)",
                    pointer.value, pointer.value
                )),
            ));
            return None;
        }
        if syntax.member.is_some() && (syntax.header.is_none() || syntax.resolve_url) {
            self.push(
                ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(
                        "`member` reads a member of a `header` (a structured dictionary), \
                     without `resolve_url`"
                            .into(),
                    ),
                ),
            );
            return None;
        }
        if syntax.resolve_url && syntax.header.is_none() {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape("`resolve_url` only goes with `header`".into()),
            ));
            return None;
        }
        if syntax.interim.is_some() && syntax.header.is_none() {
            self.push(ctx.source().error(
                at,
                LoadErrorKind::StepShape(
                    "`interim` names the interim response a `header` is read from".into(),
                ),
            ));
            return None;
        }
        let interim = match &syntax.interim {
            Some(status) => Some(self.interim_status(ctx, status)?),
            None => None,
        };
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
        let source = if let (Some(name), Some(key)) = (&syntax.header, &syntax.member) {
            if interim.is_some() {
                self.push(ctx.source().error(
                    at,
                    LoadErrorKind::StepShape(
                        "`member` reads the final response's header; drop `interim`".into(),
                    ),
                ));
                return None;
            }
            CaptureSource::Member {
                header: name.clone(),
                key: key.clone(),
            }
        } else if let Some(pointer) = &syntax.json {
            CaptureSource::Json(pointer.value.clone())
        } else if let (Some(name), Some(status)) = (&syntax.header, interim) {
            CaptureSource::InterimHeader {
                status,
                name: name.clone(),
                resolve_url: syntax.resolve_url,
            }
        } else if let Some(name) = &syntax.header {
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
    pub(super) fn options(
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
}

/// RFC 9110 token characters (method and header names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
