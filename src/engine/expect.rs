//! Checking a response against a step's `expect`: status, then headers in the order
//! written, then the body. The first check that fails is the one reported, with the
//! span of the expectation that made it.

use http::HeaderMap;

use super::outcome::ContinueOutcome;
use super::response::{BodyPlan, BodySummary, Equality};
use super::scope::{EvalError, Scope};
use crate::scenario::model::{
    BodyExpect, DateOrder, Expect, HeaderExpect, HeaderMatcher, InterimExpect, SfMatcher,
    SourceSpan, StatusExpect, StatusPattern, ValueMatcher,
};
use crate::wire::json::{self, JsonLookupError};
use crate::wire::sf;
use crate::wire::xml::{self, XmlLookupError};

/// A response as the checks and captures see it.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: BodySummary,
    /// The interim (1xx) responses before it, in order (the first 100 of them).
    pub(crate) interim: Vec<(u16, HeaderMap)>,
    /// How the request's `Expect: 100-continue` was settled, when it had one.
    pub(crate) expect_continue: Option<ContinueOutcome>,
}

impl Received {
    /// All values of a header joined with `, `, which HTTP defines as equivalent
    /// to the separate fields.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        joined(&self.headers, name)
    }
}

/// All values of a header in `headers` joined with `, `.
pub(crate) fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    Some(
        values
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Why a check did not pass, and where it is written.
#[derive(Debug)]
pub(crate) enum CheckError {
    Mismatch {
        what: String,
        expected: String,
        actual: String,
        span: SourceSpan,
    },
    Eval(EvalError, SourceSpan),
}

/// Why a value did not match; the caller knows what the value was and where the matcher is.
#[derive(Debug)]
pub(crate) enum MatchError {
    Mismatch { expected: String, actual: String },
    Eval(EvalError),
}

impl MatchError {
    pub(crate) fn at(self, what: String, span: &SourceSpan) -> CheckError {
        match self {
            MatchError::Mismatch { expected, actual } => CheckError::Mismatch {
                what,
                expected,
                actual,
                span: span.clone(),
            },
            MatchError::Eval(error) => CheckError::Eval(error, span.clone()),
        }
    }
}

impl From<EvalError> for MatchError {
    fn from(error: EvalError) -> Self {
        MatchError::Eval(error)
    }
}

/// What the body checks need computed while the body streams. Resolved before the
/// request is sent, because the comparison happens as the response arrives.
pub(crate) fn body_plan(
    expect: &Expect,
    scope: Scope<'_>,
    resolve_equals: impl FnOnce(
        &crate::scenario::model::BodySource,
    ) -> Result<super::body::Payload, EvalError>,
) -> Result<BodyPlan, EvalError> {
    let Some(body) = &expect.body else {
        return Ok(BodyPlan::default());
    };
    Ok(BodyPlan {
        digests: body
            .digests
            .iter()
            .map(|(algorithm, _)| *algorithm)
            .collect(),
        equals: body.equals.as_ref().map(resolve_equals).transpose()?,
        contains: body
            .contains
            .as_ref()
            .map(|needle| scope.render(needle).map(String::into_bytes))
            .transpose()?,
    })
}

pub(crate) fn check(
    expect: &Expect,
    received: &Received,
    scope: Scope<'_>,
    step_span: &SourceSpan,
) -> Result<(), CheckError> {
    if let Some(status) = &expect.status {
        check_status(status, received.status)?;
    }
    if let Some(span) = &expect.continue_answered {
        check_continue_answered(received, span)?;
    }
    for interim in &expect.interim {
        check_interim(interim, &received.interim, &received.headers, scope)?;
    }
    for header in &expect.headers {
        check_header(header, &received.headers, "", scope)?;
    }
    if let Some(body) = &expect.body {
        check_body(
            body,
            &received.body,
            scope,
            body.span.as_ref().unwrap_or(step_span),
        )?;
    }
    Ok(())
}

fn check_status(expect: &StatusExpect, status: u16) -> Result<(), CheckError> {
    if expect.allows(status) {
        return Ok(());
    }
    let described: Vec<String> = expect
        .allowed
        .iter()
        .map(|pattern| match pattern {
            StatusPattern::Code(code) => code.to_string(),
            StatusPattern::Class(class) => format!("{class}xx"),
        })
        .collect();
    Err(CheckError::Mismatch {
        what: "status".into(),
        expected: one_of(&described),
        actual: status.to_string(),
        span: expect.span.clone(),
    })
}

/// `continue_answered: true`: a 100 (Continue) or a final response came before
/// the client's wait for one ran out.
fn check_continue_answered(received: &Received, span: &SourceSpan) -> Result<(), CheckError> {
    let late = received.interim.iter().any(|(status, _)| *status == 100);
    let actual = match received.expect_continue {
        Some(ContinueOutcome::Continued | ContinueOutcome::Answered) => return Ok(()),
        Some(ContinueOutcome::WaitElapsed) if late => {
            "neither before the wait ran out: the body was sent after it, and a 100 (Continue) \
             came only later"
        }
        Some(ContinueOutcome::WaitElapsed) => {
            "neither before the wait ran out: the body was sent after it without a 100 (Continue)"
        }
        None => "no expectation to answer: the request sent no body with `Expect: 100-continue`",
    };
    Err(CheckError::Mismatch {
        what: "Expect: 100-continue".into(),
        expected: "a 100 (Continue), or a final response, before the body was sent".into(),
        actual: actual.into(),
        span: span.clone(),
    })
}

/// One `interim:` entry: the interim responses with its status, counted, each
/// with its headers, each before the first interim response with `before`.
fn check_interim(
    expect: &InterimExpect,
    interim: &[(u16, HeaderMap)],
    final_headers: &HeaderMap,
    scope: Scope<'_>,
) -> Result<(), CheckError> {
    let status = expect.status;
    let arrived: Vec<String> = interim.iter().map(|(s, _)| s.to_string()).collect();
    let arrived = if arrived.is_empty() {
        "no interim response".to_owned()
    } else {
        format!("interim responses {}", arrived.join(", "))
    };
    let mismatch = |what: String, expected: String, actual: String| CheckError::Mismatch {
        what,
        expected,
        actual,
        span: expect.span.clone(),
    };
    let selected: Vec<(usize, &HeaderMap)> = interim
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s == status)
        .map(|(index, (_, headers))| (index, headers))
        .collect();
    let count = selected.len() as u64;
    if let Some((comparison, bound)) = expect
        .count
        .iter()
        .find(|(comparison, bound)| !comparison.holds(u128::from(count), u128::from(*bound)))
    {
        return Err(mismatch(
            format!("interim {status} count"),
            format!("a number {} {bound}", comparison.as_str()),
            format!("{count} ({arrived})"),
        ));
    }
    for (index, headers) in &selected {
        let what = format!("interim {status} (interim response #{}) ", index + 1);
        for header in &expect.headers {
            check_header(header, headers, &what, scope)?;
        }
        for name in &expect.same_as_final {
            let (early, last) = (joined(headers, name), joined(final_headers, name));
            if early != last || early.is_none() {
                let shown = |value: Option<String>| {
                    value.map_or_else(|| "no such header".to_owned(), |value| format!("{value:?}"))
                };
                return Err(mismatch(
                    format!("{what}header {name}"),
                    format!("the final response's {name}, {}", shown(last)),
                    shown(early),
                ));
            }
        }
    }
    if let Some(before) = expect.before {
        let first = interim.iter().position(|(s, _)| *s == before);
        for (index, _) in &selected {
            let in_order = first.is_some_and(|first| *index < first);
            if !in_order {
                let actual = match first {
                    None => format!("no {before} arrived ({arrived})"),
                    Some(first) => format!(
                        "#{} came after the first {before}, #{} ({arrived})",
                        index + 1,
                        first + 1
                    ),
                };
                return Err(mismatch(
                    format!("interim {status} order"),
                    format!("every {status} before the first {before}"),
                    actual,
                ));
            }
        }
    }
    Ok(())
}

/// A header expectation on `headers`; `prefix` names the response when it is
/// not the final one.
fn check_header(
    expect: &HeaderExpect,
    headers: &HeaderMap,
    prefix: &str,
    scope: Scope<'_>,
) -> Result<(), CheckError> {
    let what = format!("{prefix}header {}", expect.name);
    let value = joined(headers, &expect.name);
    let mismatch = |expected: &str, actual: String| CheckError::Mismatch {
        what: what.clone(),
        expected: expected.into(),
        actual,
        span: expect.span.clone(),
    };
    match (&expect.matcher, value) {
        (HeaderMatcher::Absent, None) => Ok(()),
        (HeaderMatcher::Absent, Some(value)) => {
            Err(mismatch("no such header", format!("{value:?}")))
        }
        (HeaderMatcher::Present, Some(_)) => Ok(()),
        (HeaderMatcher::Present, None) => Err(mismatch("the header", "no such header".into())),
        (HeaderMatcher::IfPresent(_), None) => Ok(()),
        (HeaderMatcher::Value(matchers), None) => {
            let expected = matchers
                .iter()
                .map(|matcher| describe(matcher, scope))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| CheckError::Eval(error, expect.span.clone()))?;
            Err(mismatch(&expected.join(" and "), "no such header".into()))
        }
        (HeaderMatcher::Value(matchers) | HeaderMatcher::IfPresent(matchers), Some(value)) => {
            matchers
                .iter()
                .try_for_each(|matcher| match_value(matcher, &value, scope))
                .map_err(|error| error.at(what.clone(), &expect.span))
        }
    }
}

fn check_body(
    expect: &BodyExpect,
    body: &BodySummary,
    scope: Scope<'_>,
    span: &SourceSpan,
) -> Result<(), CheckError> {
    let mismatch = |what: &str, expected: String, actual: String| CheckError::Mismatch {
        what: what.into(),
        expected,
        actual,
        span: span.clone(),
    };
    if expect.empty && body.len != 0 {
        return Err(mismatch("body", "an empty body".into(), bytes(body.len)));
    }
    if let Some(Equality {
        expected_len,
        actual_len,
        first_difference: Some(at),
    }) = body.equals
    {
        let actual = if at == actual_len {
            format!("{}, equal up to where it ends", bytes(actual_len))
        } else if at == expected_len {
            format!(
                "{}, equal for the first {expected_len} then longer",
                bytes(actual_len)
            )
        } else {
            format!("{}, first differing at offset {at}", bytes(actual_len))
        };
        return Err(mismatch(
            "body",
            format!("{} equal to the expected body", bytes(expected_len)),
            actual,
        ));
    }
    if let (Some(needle), Some(false)) = (&expect.contains, body.contains) {
        return Err(mismatch(
            "body",
            format!("a body containing {:?}", needle.to_string()),
            format!("{} without it", bytes(body.len)),
        ));
    }
    for ((algorithm, expected), (_, actual)) in expect.digests.iter().zip(&body.digests) {
        if !expected.eq_ignore_ascii_case(actual) {
            return Err(mismatch(
                &format!("body {}", algorithm.as_str()),
                expected.to_ascii_lowercase(),
                actual.clone(),
            ));
        }
    }
    if !expect.json.is_empty() || !expect.json_presence.is_empty() {
        let text = body
            .text("a json check")
            .map_err(|error| CheckError::Eval(error, span.clone()))?;
        let document = json::parse(&text);
        let lookup = |pointer: &str| {
            document
                .as_ref()
                .map_err(|error| JsonLookupError::NotJson(not_json(error)))
                .and_then(|document| json::value_text(document, pointer))
        };
        let paths = BodyPaths {
            kind: "json",
            found: "a value at that pointer",
            not_found: "no value at that pointer",
        };
        paths.check(
            &expect.json_presence,
            &expect.json,
            scope,
            span,
            |pointer| {
                lookup(pointer).map_err(|error| match error {
                    JsonLookupError::Missing => Miss::Nothing,
                    error @ JsonLookupError::NotJson(_) => Miss::Unreadable(error.to_string()),
                })
            },
        )?;
    }
    if !expect.xml.is_empty() || !expect.xml_presence.is_empty() || expect.root.is_some() {
        let text = body
            .text("an xml check")
            .map_err(|error| CheckError::Eval(error, span.clone()))?;
        if let Some(expected) = &expect.root {
            let actual = match xml::root_name(&text) {
                Ok(name) => name,
                Err(error) => error.to_string(),
            };
            if &actual != expected {
                return Err(mismatch(
                    "xml root element",
                    format!("{expected:?}"),
                    format!("{actual:?}"),
                ));
            }
        }
        let paths = BodyPaths {
            kind: "xml",
            found: "an element at that path",
            not_found: "no element at that path",
        };
        paths.check(&expect.xml_presence, &expect.xml, scope, span, |path| {
            xml::element_text(&text, path).map_err(|error| match error {
                XmlLookupError::Missing => Miss::Nothing,
                error @ XmlLookupError::NotXml(_) => Miss::Unreadable(error.to_string()),
            })
        })?;
    }
    Ok(())
}

/// What a path into a body found instead of a value.
enum Miss {
    /// Nothing is at the path.
    Nothing,
    /// The body is not of the format the path reads (the reason, as reported).
    Unreadable(String),
}

/// The paths into a body of one format (JSON Pointers, XML element paths):
/// how a report names them, and what a path finds.
struct BodyPaths {
    kind: &'static str,
    found: &'static str,
    not_found: &'static str,
}

impl BodyPaths {
    /// Checks that each path of `presence` finds something or nothing, as
    /// written, then each value of `matchers`; `lookup` reads a path.
    fn check(
        &self,
        presence: &[(String, bool)],
        matchers: &[(String, ValueMatcher)],
        scope: Scope<'_>,
        span: &SourceSpan,
        lookup: impl Fn(&str) -> Result<String, Miss>,
    ) -> Result<(), CheckError> {
        let mismatch = |what: String, expected: String, actual: String| CheckError::Mismatch {
            what,
            expected,
            actual,
            span: span.clone(),
        };
        for (path, present) in presence {
            let what = format!("{} {path}", self.kind);
            let expected = if *present { self.found } else { self.not_found };
            match lookup(path) {
                Ok(value) if !present => {
                    return Err(mismatch(what, expected.into(), format!("one, {value:?}")));
                }
                Err(Miss::Nothing) if *present => {
                    return Err(mismatch(what, expected.into(), "none".into()));
                }
                Err(Miss::Unreadable(why)) => return Err(mismatch(what, expected.into(), why)),
                // As expected: something where something should be, nothing where nothing should.
                Ok(_) | Err(Miss::Nothing) => {}
            }
        }
        for (path, matcher) in matchers {
            let what = format!("{} {path}", self.kind);
            match lookup(path) {
                Ok(value) => {
                    match_value(matcher, &value, scope).map_err(|error| error.at(what, span))?
                }
                Err(miss) => {
                    let expected = describe(matcher, scope)
                        .map_err(|error| CheckError::Eval(error, span.clone()))?;
                    let actual = match miss {
                        Miss::Nothing => self.not_found.to_owned(),
                        Miss::Unreadable(why) => why,
                    };
                    return Err(mismatch(what, expected, actual));
                }
            }
        }
        Ok(())
    }
}

/// The reason a body is not JSON, from the error that said so.
fn not_json(error: &JsonLookupError) -> String {
    match error {
        JsonLookupError::NotJson(reason) => reason.clone(),
        JsonLookupError::Missing => "no value".into(),
    }
}

fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

fn one_of(items: &[String]) -> String {
    match items {
        [] => "nothing".into(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The matcher as an expectation reads in a report, with its templates rendered.
pub(crate) fn describe(matcher: &ValueMatcher, scope: Scope<'_>) -> Result<String, EvalError> {
    Ok(match matcher {
        ValueMatcher::Equals(expected) => format!("{:?}", scope.render(expected)?),
        ValueMatcher::OneOf(options) => {
            let rendered = options
                .iter()
                .map(|option| scope.render(option).map(|value| format!("{value:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            format!("one of {}", one_of(&rendered))
        }
        ValueMatcher::Regex(regex) => format!("a match for /{regex}/"),
        ValueMatcher::ContainsToken(token) => {
            format!("a list containing {:?}", scope.render(token)?)
        }
        ValueMatcher::Compare(comparison, expected) => {
            format!(
                "a number {} {}",
                comparison.as_str(),
                scope.render(expected)?
            )
        }
        ValueMatcher::Etag(expected) => {
            format!(
                "the entity tag {:?} (quotes ignored)",
                scope.render(expected)?
            )
        }
        ValueMatcher::Date(order, expected) => {
            format!(
                "an HTTP-date {} {:?}",
                order.as_str(),
                scope.render(expected)?
            )
        }
        ValueMatcher::Sf(sf) => {
            let mut described = format!("a structured {} (RFC 9651)", sf.kind.name());
            for check in &sf.then {
                described.push_str(&format!(", {}", describe(check, scope)?));
            }
            for (key, member) in &sf.members {
                described.push_str(&format!(", {}", describe_member(key, member, scope)?));
            }
            described
        }
    })
}

/// A dictionary member's expectation as a report reads it.
fn describe_member(
    key: &str,
    matcher: &HeaderMatcher,
    scope: Scope<'_>,
) -> Result<String, EvalError> {
    Ok(match matcher {
        HeaderMatcher::Present => format!("a member {key}"),
        HeaderMatcher::Absent => format!("no member {key}"),
        HeaderMatcher::Value(checks) | HeaderMatcher::IfPresent(checks) => {
            let described = checks
                .iter()
                .map(|check| describe(check, scope))
                .collect::<Result<Vec<_>, _>>()?;
            format!("member {key}: {}", described.join(" and "))
        }
    })
}

/// `sf:` with the checks on what it parsed: the canonical value, then the members.
fn match_structured(sf: &SfMatcher, actual: &str, scope: Scope<'_>) -> Result<(), MatchError> {
    let kind = sf.kind.name();
    let parsed = sf::parse(sf.kind, actual).map_err(|why| MatchError::Mismatch {
        expected: format!("a structured {kind} (RFC 9651)"),
        actual: format!("{actual:?}, {why}"),
    })?;
    let canonical = sf::canonical(sf.kind, &parsed);
    for check in &sf.then {
        match_value(check, &canonical, scope).map_err(|error| match error {
            MatchError::Mismatch { expected, actual } => MatchError::Mismatch {
                expected: format!("a structured {kind}, {expected}"),
                actual,
            },
            eval @ MatchError::Eval(_) => eval,
        })?;
    }
    let sf::Parsed::Dictionary(dictionary) = &parsed else {
        // The loader allows `members` only with `sf: dictionary`.
        return Ok(());
    };
    for (key, matcher) in &sf.members {
        let value = sf::member(dictionary, key);
        let mismatch = |actual: String| -> Result<(), MatchError> {
            Err(MatchError::Mismatch {
                expected: describe_member(key, matcher, scope)?,
                actual,
            })
        };
        match (matcher, value) {
            (HeaderMatcher::Absent | HeaderMatcher::IfPresent(_), None)
            | (HeaderMatcher::Present, Some(_)) => {}
            (HeaderMatcher::Absent, Some(value)) => mismatch(format!("{key}={value}"))?,
            (HeaderMatcher::Present | HeaderMatcher::Value(_), None) => {
                mismatch(format!("no member {key} in {actual:?}"))?
            }
            (HeaderMatcher::Value(checks) | HeaderMatcher::IfPresent(checks), Some(value)) => {
                for check in checks {
                    match_value(check, &value, scope).map_err(|error| match error {
                        MatchError::Mismatch { expected, actual } => MatchError::Mismatch {
                            expected: format!("member {key}: {expected}"),
                            actual: format!("{key}: {actual}"),
                        },
                        eval @ MatchError::Eval(_) => eval,
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// An entity tag without its `W/` prefix and surrounding double quotes: S3 sends
/// `"…"` in headers, some servers drop the quotes in XML, and scenarios capture
/// either form.
pub(crate) fn bare_etag(value: &str) -> &str {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

/// Checks one string value: a header, an XML element's text, or a variable in a `while`.
pub(crate) fn match_value(
    matcher: &ValueMatcher,
    actual: &str,
    scope: Scope<'_>,
) -> Result<(), MatchError> {
    let holds = match matcher {
        ValueMatcher::Equals(expected) => scope.render(expected)? == actual,
        ValueMatcher::OneOf(options) => {
            let mut holds = false;
            for option in options {
                holds |= scope.render(option)? == actual;
            }
            holds
        }
        ValueMatcher::Regex(regex) => regex.is_match(actual),
        ValueMatcher::Etag(expected) => bare_etag(&scope.render(expected)?) == bare_etag(actual),
        ValueMatcher::ContainsToken(token) => {
            let token = scope.render(token)?;
            actual
                .split(',')
                .any(|item| item.trim().eq_ignore_ascii_case(token.trim()))
        }
        ValueMatcher::Compare(comparison, expected) => {
            let rendered = scope.render(expected)?;
            let bound: u128 = rendered.trim().parse().map_err(|_| {
                EvalError::Invalid(format!(
                    "`{rendered}` (the right side of `{}`) is not a non-negative decimal integer",
                    comparison.as_str()
                ))
            })?;
            // Strict digits only: `+5`, ` 5` or `5.0` from a server is a conformance bug,
            // not something to parse generously.
            if actual.is_empty() || !actual.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(MatchError::Mismatch {
                    expected: describe(matcher, scope)?,
                    actual: format!("{actual:?}, which is not a non-negative decimal integer"),
                });
            }
            match actual.parse::<u128>() {
                Ok(value) => comparison.holds(value, bound),
                Err(_) => {
                    return Err(MatchError::Mismatch {
                        expected: describe(matcher, scope)?,
                        actual: format!("{actual:?}, which is too large to compare"),
                    });
                }
            }
        }
        ValueMatcher::Sf(sf) => return match_structured(sf, actual, scope),
        ValueMatcher::Date(order, expected) => {
            let rendered = scope.render(expected)?;
            let bound = httpdate::parse_http_date(rendered.trim()).map_err(|_| {
                EvalError::Invalid(format!(
                    "`{rendered}` (the right side of `{}`) is not an HTTP-date",
                    order.as_str()
                ))
            })?;
            let Ok(value) = httpdate::parse_http_date(actual.trim()) else {
                return Err(MatchError::Mismatch {
                    expected: describe(matcher, scope)?,
                    actual: format!("{actual:?}, which is not an HTTP-date"),
                });
            };
            match order {
                DateOrder::After => value > bound,
                DateOrder::Before => value < bound,
            }
        }
    };
    if holds {
        Ok(())
    } else {
        Err(MatchError::Mismatch {
            expected: describe(matcher, scope)?,
            actual: format!("{actual:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::scope::ScenarioVars;
    use crate::scenario::model::{Comparison, SfKind};
    use crate::scenario::template::Template;

    fn t(source: &str) -> Template {
        Template::parse(source).unwrap()
    }

    fn matches(matcher: ValueMatcher, actual: &str) -> Result<(), MatchError> {
        let globals = BTreeMap::from([("limit".to_owned(), "100".to_owned())]);
        let vars = ScenarioVars::default();
        match_value(&matcher, actual, Scope::new(&vars, &globals))
    }

    fn mismatch(result: Result<(), MatchError>) -> (String, String) {
        match result {
            Err(MatchError::Mismatch { expected, actual }) => (expected, actual),
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn value_matchers() {
        assert!(matches(ValueMatcher::Equals(t("1.0.0")), "1.0.0").is_ok());
        assert_eq!(
            mismatch(matches(ValueMatcher::Equals(t("1.0.0")), "1.0.1")),
            ("\"1.0.0\"".into(), "\"1.0.1\"".into())
        );
        let one_of = ValueMatcher::OneOf(vec![t("a"), t("b")]);
        assert!(matches(one_of.clone(), "b").is_ok());
        assert_eq!(mismatch(matches(one_of, "c")).0, "one of \"a\" or \"b\"");
        assert!(
            matches(
                ValueMatcher::Regex(regex::Regex::new("^[0-9a-f]+$").unwrap()),
                "beef"
            )
            .is_ok()
        );
        assert!(
            matches(
                ValueMatcher::Regex(regex::Regex::new("^[0-9a-f]+$").unwrap()),
                "beer"
            )
            .is_err()
        );
        let token = ValueMatcher::ContainsToken(t("Creation"));
        assert!(matches(token.clone(), "termination, creation ,expiration").is_ok());
        assert!(matches(token, "creation-with-upload").is_err());
    }

    #[test]
    fn comparisons_need_strict_decimal_integers() {
        let le = |actual| {
            matches(
                ValueMatcher::Compare(Comparison::Le, t("{{limit}}")),
                actual,
            )
        };
        assert!(le("100").is_ok());
        assert_eq!(
            mismatch(le("101")),
            ("a number <= 100".into(), "\"101\"".into())
        );
        assert!(
            mismatch(le("+5"))
                .1
                .contains("not a non-negative decimal integer")
        );
        assert!(
            mismatch(le(""))
                .1
                .contains("not a non-negative decimal integer")
        );
        assert!(
            mismatch(le("999999999999999999999999999999999999999999"))
                .1
                .contains("too large")
        );
        let bad_bound = matches(ValueMatcher::Compare(Comparison::Eq, t("ten")), "10");
        assert!(matches!(
            bad_bound,
            Err(MatchError::Eval(EvalError::Invalid(_)))
        ));
    }

    #[test]
    fn etags_compare_without_quotes_or_weakness() {
        let etag = |expected: &str, actual: &str| matches(ValueMatcher::Etag(t(expected)), actual);
        assert!(etag("\"abc\"", "abc").is_ok());
        assert!(etag("abc", "\"abc\"").is_ok());
        assert!(etag("W/\"abc\"", "\"abc\"").is_ok());
        assert!(etag("\"abc-2\"", " \"abc-2\" ").is_ok());
        let (expected, actual) = mismatch(etag("\"abc\"", "\"abd\""));
        assert_eq!(expected, "the entity tag \"\\\"abc\\\"\" (quotes ignored)");
        assert_eq!(actual, "\"\\\"abd\\\"\"");
        assert!(
            etag("\"abc", "abc").is_err(),
            "an unbalanced quote is part of the value"
        );
    }

    #[test]
    fn dates_compare_in_any_http_date_form() {
        let after = |bound: &str, actual: &str| {
            matches(ValueMatcher::Date(DateOrder::After, t(bound)), actual)
        };
        let before = |bound: &str, actual: &str| {
            matches(ValueMatcher::Date(DateOrder::Before, t(bound)), actual)
        };
        let date = "Sun, 22 Nov 2026 04:00:00 GMT";
        assert!(after(date, "Sun, 22 Nov 2026 04:00:01 GMT").is_ok());
        assert!(after(date, "Sunday, 22-Nov-26 04:00:01 GMT").is_ok());
        assert!(after(date, "Sun Nov 22 04:00:01 2026").is_ok());
        assert!(before(date, "Sun, 22 Nov 2026 03:59:59 GMT").is_ok());
        let (expected, actual) = mismatch(after(date, date));
        assert_eq!(expected, format!("an HTTP-date after {date:?}"));
        assert_eq!(actual, format!("{date:?}"));
        let (_, actual) = mismatch(before(date, "2026-11-22T03:00:00Z"));
        assert_eq!(
            actual,
            "\"2026-11-22T03:00:00Z\", which is not an HTTP-date"
        );
        assert!(matches!(
            after("tomorrow", date),
            Err(MatchError::Eval(EvalError::Invalid(_)))
        ));
    }

    fn sf(
        kind: SfKind,
        then: Vec<ValueMatcher>,
        members: Vec<(&str, HeaderMatcher)>,
    ) -> ValueMatcher {
        ValueMatcher::Sf(Box::new(SfMatcher {
            kind,
            then,
            members: members
                .into_iter()
                .map(|(key, matcher)| (key.to_owned(), matcher))
                .collect(),
        }))
    }

    #[test]
    fn structured_fields_check_the_type_then_the_parsed_value() {
        let offset = sf(
            SfKind::Integer,
            vec![ValueMatcher::Compare(Comparison::Eq, t("5"))],
            vec![],
        );
        assert!(matches(offset.clone(), "5").is_ok());
        assert!(
            matches(offset.clone(), "5;x=1").is_ok(),
            "parameters dropped"
        );
        assert_eq!(
            mismatch(matches(offset.clone(), "6")),
            ("a structured integer, a number == 5".into(), "\"6\"".into())
        );
        assert_eq!(
            mismatch(matches(offset, "5.0")),
            (
                "a structured integer (RFC 9651)".into(),
                "\"5.0\", an item whose bare item is a decimal, not an integer".into()
            )
        );
        let complete = sf(SfKind::Boolean, vec![ValueMatcher::Equals(t("?1"))], vec![]);
        assert!(matches(complete.clone(), "?1").is_ok());
        assert!(mismatch(matches(complete.clone(), "?0")).1.contains("?0"));
        assert!(
            mismatch(matches(complete, "true"))
                .1
                .contains("a token, not a boolean")
        );
    }

    #[test]
    fn dictionary_members_are_checked_on_their_bare_items() {
        let limit = sf(
            SfKind::Dictionary,
            vec![],
            vec![
                (
                    "max-size",
                    HeaderMatcher::Value(vec![sf(
                        SfKind::Integer,
                        vec![ValueMatcher::Compare(Comparison::Ge, t("1"))],
                        vec![],
                    )]),
                ),
                ("min-append-size", HeaderMatcher::Absent),
            ],
        );
        assert!(matches(limit.clone(), "max-size=100").is_ok());
        assert!(matches(limit.clone(), "max-size=100;p, max-age=3600").is_ok());
        // RFC 9651: a member whose value is not an integer fails `sf: integer`.
        assert_eq!(
            mismatch(matches(limit.clone(), "max-size=1.5")),
            (
                "member max-size: a structured integer (RFC 9651)".into(),
                "max-size: \"1.5\", an item whose bare item is a decimal, not an integer".into()
            )
        );
        assert_eq!(
            mismatch(matches(limit.clone(), "max-size=0")).0,
            "member max-size: a structured integer, a number >= 1"
        );
        assert_eq!(
            mismatch(matches(limit.clone(), "max-size=1, min-append-size=5")).1,
            "min-append-size=5"
        );
        assert_eq!(
            mismatch(matches(limit.clone(), "max-age=1")).1,
            "no member max-size in \"max-age=1\""
        );
        assert!(
            mismatch(matches(limit, "max-size=="))
                .1
                .contains("not a structured dictionary")
        );
    }

    #[test]
    fn if_present_checks_a_value_only_when_there_is_one() {
        let offset = HeaderExpect {
            name: "Upload-Offset".into(),
            matcher: HeaderMatcher::IfPresent(vec![sf(SfKind::Integer, vec![], vec![])]),
            span: SourceSpan {
                file: "x.yaml".into(),
                line: 1,
                column: 1,
            },
        };
        let globals = BTreeMap::new();
        let vars = ScenarioVars::default();
        let check = |value: Option<&'static str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert("upload-offset", http::HeaderValue::from_static(value));
            }
            check_header(&offset, &headers, "", Scope::new(&vars, &globals))
        };
        assert!(check(None).is_ok());
        assert!(check(Some("5")).is_ok());
        assert!(check(Some("\"5\"")).is_err());
        let member = sf(
            SfKind::Dictionary,
            vec![],
            vec![(
                "max-size",
                HeaderMatcher::IfPresent(vec![sf(SfKind::Integer, vec![], vec![])]),
            )],
        );
        assert!(matches(member.clone(), "min-size=0").is_ok());
        assert!(matches(member.clone(), "max-size=10").is_ok());
        assert!(matches(member, "max-size=?1").is_err());
    }

    #[test]
    fn unset_variables_in_expectations_are_evaluation_errors() {
        let result = matches(ValueMatcher::Equals(t("{{nope}}")), "x");
        assert!(matches!(result, Err(MatchError::Eval(EvalError::Unset(_)))));
    }
}
