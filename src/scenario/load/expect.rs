//! Expectations and preconditions: statuses, header and XML matchers, digests.

use serde_saphyr::{Location, Spanned};

use crate::scenario::error::LoadErrorKind;
use crate::scenario::matcher::{WrittenCheck, check_keys_listed};
use crate::scenario::model::*;
use crate::scenario::scalar::Scalar;
use crate::scenario::syntax::*;

use super::{FileCtx, Loader, Scope};

impl<'a> Loader<'a> {
    pub(super) fn expect(
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
        let continue_answered = syntax.continue_answered.as_ref().and_then(|answered| {
            if !answered.value {
                self.push(ctx.source().error(
                    &answered.referenced,
                    LoadErrorKind::InvalidValue(
                        "write `continue_answered: true`, or leave it out".into(),
                    ),
                ));
                return None;
            }
            Some(ctx.source().span(&answered.referenced))
        });
        let interim = syntax
            .interim
            .iter()
            .filter_map(|interim| self.interim_expect(ctx, interim, scope))
            .collect();
        let headers = self.header_expects(ctx, &syntax.headers, scope);
        let body = syntax
            .body
            .as_ref()
            .and_then(|body| self.body_expect(ctx, body, scope));
        Expect {
            status,
            continue_answered,
            interim,
            headers,
            body,
        }
    }

    fn header_expects(
        &self,
        ctx: &'a FileCtx,
        written: &'a std::collections::BTreeMap<String, Spanned<MatcherSyntax>>,
        scope: &mut Scope,
    ) -> Vec<HeaderExpect> {
        let mut headers = Vec::new();
        for (name, matcher) in written {
            if let Some(matcher_model) = self.header_matcher(ctx, matcher, scope) {
                headers.push(HeaderExpect {
                    name: name.clone(),
                    matcher: matcher_model,
                    span: ctx.source().span(&matcher.referenced),
                });
            }
        }
        headers
    }

    /// One entry of `interim:`; its statuses must be interim ones (1xx).
    fn interim_expect(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<InterimSyntax>,
        scope: &mut Scope,
    ) -> Option<InterimExpect> {
        let syntax = &spanned.value;
        let status = self.interim_status(ctx, &syntax.status);
        let before = syntax
            .before
            .as_ref()
            .map(|before| self.interim_status(ctx, before));
        let headers = self.header_expects(ctx, &syntax.headers, scope);
        let count = syntax.count.as_ref().map_or_else(
            || vec![InterimExpect::AT_LEAST_ONE],
            |count| count.value.0.clone(),
        );
        let before = match before {
            Some(None) => return None,
            Some(Some(code)) => Some(code),
            None => None,
        };
        Some(InterimExpect {
            status: status?,
            count,
            headers,
            before,
            same_as_final: syntax
                .same_as_final
                .iter()
                .map(|name| name.value.clone())
                .collect(),
            span: ctx.source().span(&spanned.referenced),
        })
    }

    /// A status from 100 to 199, as `interim:` entries and captures name them.
    pub(super) fn interim_status(&self, ctx: &FileCtx, value: &Spanned<Scalar>) -> Option<u16> {
        match value.value.0.trim().parse::<u16>() {
            Ok(code) if (100..=199).contains(&code) => Some(code),
            _ => {
                self.push(ctx.source().error(
                    &value.referenced,
                    LoadErrorKind::InvalidValue(format!(
                        "`{}` is not an interim status: write a code from 100 to 199",
                        value.value.0
                    )),
                ));
                None
            }
        }
    }

    pub(super) fn body_expect(
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
        let (xml, xml_presence) = self.path_matchers(ctx, &syntax.xml, scope);
        for (pointer, matcher) in &syntax.json {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                self.push(ctx.source().error(
                    &matcher.referenced,
                    LoadErrorKind::InvalidValue(format!(
                        "`{pointer}` is not a JSON Pointer: write it from the root, `/{pointer}` \
                         (RFC 6901; `\"\"` is the whole document)"
                    )),
                ));
            }
        }
        let (json, json_presence) = self.path_matchers(ctx, &syntax.json, scope);
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
            json,
            json_presence,
            root: syntax.root.as_ref().map(|root| root.value.clone()),
            span: Some(ctx.source().span(&spanned.referenced)),
        })
    }

    /// Paths into a body (XML element paths, JSON Pointers), each with one
    /// value check or a presence check.
    fn path_matchers(
        &self,
        ctx: &'a FileCtx,
        written: &'a std::collections::BTreeMap<String, Spanned<MatcherSyntax>>,
        scope: &mut Scope,
    ) -> PathMatchers {
        let mut checks = Vec::new();
        let mut presence = Vec::new();
        for (path, matcher) in written {
            if let MatcherSyntax::Map(map) = &matcher.value
                && (map.checks.is_empty() || map.if_present.is_some())
            {
                match (map.present, map.absent, map.if_present) {
                    (Some(true), None, None) => presence.push((path.clone(), true)),
                    (None, Some(true), None) => presence.push((path.clone(), false)),
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
                checks.push((path.clone(), matcher));
            }
        }
        (checks, presence)
    }

    pub(super) fn header_matcher(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<MatcherSyntax>,
        scope: &mut Scope,
    ) -> Option<HeaderMatcher> {
        let mut optional = false;
        if let MatcherSyntax::Map(map) = &spanned.value {
            let others = map.checks.len();
            match (map.present, map.absent, map.if_present) {
                (Some(true), None, None) if others == 0 => return Some(HeaderMatcher::Present),
                (None, Some(true), None) if others == 0 => return Some(HeaderMatcher::Absent),
                (None, None, Some(true)) if others > 0 => optional = true,
                (None, None, None) => {}
                _ => {
                    self.push(ctx.source().error(
                        &spanned.referenced,
                        LoadErrorKind::StepShape(
                            "write `present: true` or `absent: true` alone, or `if_present: true` \
                             beside value checks; value checks already imply presence"
                                .into(),
                        ),
                    ));
                    return None;
                }
            }
        }
        let checks = self.value_checks(ctx, spanned, scope)?;
        Some(if optional {
            HeaderMatcher::IfPresent(checks)
        } else {
            HeaderMatcher::Value(checks)
        })
    }

    /// A matcher on a value that is always present (an XML element, a variable): one check.
    pub(super) fn value_matcher(
        &self,
        ctx: &'a FileCtx,
        spanned: &'a Spanned<MatcherSyntax>,
        scope: &mut Scope,
    ) -> Option<ValueMatcher> {
        let one_check = || {
            self.push(ctx.source().error(
                &spanned.referenced,
                LoadErrorKind::StepShape(format!(
                    "give exactly one check here ({})",
                    check_keys_listed()
                )),
            ));
        };
        if let MatcherSyntax::Map(map) = &spanned.value
            && (map.present.is_some()
                || map.absent.is_some()
                || map.if_present.is_some()
                || map.checks.is_empty())
        {
            one_check();
            return None;
        }
        // `sf:` and the checks beside it make one check on the parsed value.
        let mut checks = self.value_checks(ctx, spanned, scope)?;
        if checks.len() != 1 {
            one_check();
            return None;
        }
        checks.pop()
    }

    pub(super) fn value_checks(
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
        let mut sf = None;
        let mut members = None;
        for written in &map.checks {
            let check = match written {
                WrittenCheck::Sf(name) => {
                    sf = self.sf_kind(ctx, name);
                    ok &= sf.is_some();
                    continue;
                }
                WrittenCheck::Members(written) => {
                    let mut lowered = Vec::new();
                    for (key, matcher) in written {
                        match self.header_matcher(ctx, matcher, scope) {
                            Some(matcher) => lowered.push((key.clone(), matcher)),
                            None => ok = false,
                        }
                    }
                    members = Some(lowered);
                    continue;
                }
                other => other,
            };
            let mut template = |item| self.checked_template(ctx, item, scope);
            let check = match check {
                WrittenCheck::Sf(_) | WrittenCheck::Members(_) => continue,
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
        if members.is_some() && ok && sf != Some(SfKind::Dictionary) {
            self.push(ctx.source().error(
                &spanned.referenced,
                LoadErrorKind::StepShape(
                    "`members` checks a structured dictionary: write `sf: dictionary`".into(),
                ),
            ));
            return None;
        }
        if let Some(kind) = sf {
            checks = vec![ValueMatcher::Sf(Box::new(SfMatcher {
                kind,
                then: checks,
                members: members.unwrap_or_default(),
            }))];
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

    /// The type `sf:` names.
    fn sf_kind(&self, ctx: &FileCtx, name: &Spanned<String>) -> Option<SfKind> {
        let found = SfKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name.value.trim());
        if found.is_none() {
            let names: Vec<&str> = SfKind::ALL.iter().map(|kind| kind.name()).collect();
            self.push(ctx.source().error(
                &name.referenced,
                LoadErrorKind::InvalidValue(format!(
                    "`{}` is no structured field type: write one of {}",
                    name.value,
                    names.join(", ")
                )),
            ));
        }
        found
    }
}

/// Checks by path into a body, and the paths whose presence is checked.
type PathMatchers = (Vec<(String, ValueMatcher)>, Vec<(String, bool)>);

/// `201`, `4xx` or `5XX` as a status pattern; `None` outside 100 to 599.
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
