//! Captures: values taken from a response into scenario variables for later steps.

use url::Url;

use super::expect::{CheckError, Received, joined};
use super::scope::Scope;
use crate::scenario::model::{Capture, CaptureSource};
use crate::wire::{json, sf, xml};

/// Runs a step's captures in order, writing each value to the scenario scope. A capture
/// that finds nothing, and has no `default`, stops the scenario (inconclusive): later
/// steps would otherwise fail on an unset variable, far from the response that lacked it.
pub(crate) fn run(
    captures: &[Capture],
    received: &Received,
    request_url: &Url,
    scope: Scope<'_>,
) -> Result<(), CheckError> {
    for capture in captures {
        if capture.all {
            let values = capture_all(capture, received)?;
            if capture.append {
                scope.append(&capture.var, values);
            } else {
                scope.set_list(&capture.var, values);
            }
            continue;
        }
        let value = match (
            capture_one(capture, received, request_url),
            &capture.default,
        ) {
            (Ok(value), _) => value,
            (Err(CheckError::Mismatch { .. }), Some(default)) => default.clone(),
            (Err(error), _) => return Err(error),
        };
        if capture.append {
            scope.append(&capture.var, [value]);
        } else {
            scope.set(&capture.var, value);
        }
    }
    Ok(())
}

/// `{xml: PATH, all: true}`: every element at the path (possibly none: an empty
/// listing is an answer, not a missing value), each through the regex if any.
fn capture_all(capture: &Capture, received: &Received) -> Result<Vec<String>, CheckError> {
    let CaptureSource::Xml(path) = &capture.source else {
        unreachable!("the loader allows `all` only with `xml`");
    };
    let missing = |expected: String, actual: String| CheckError::Mismatch {
        what: format!("capture {}", capture.var),
        expected,
        actual,
        span: capture.span.clone(),
    };
    let text = received
        .body
        .text("an xml capture")
        .map_err(|error| CheckError::Eval(error, capture.span.clone()))?;
    let values = xml::all_texts(&text, path)
        .map_err(|error| missing(format!("elements at {path}"), error.to_string()))?;
    values
        .into_iter()
        .map(|value| match &capture.regex {
            None => Ok(value),
            Some(regex) => first_group(regex, &value).ok_or_else(|| {
                missing(
                    format!("a match for /{regex}/"),
                    format!("{:?}", excerpt(&value)),
                )
            }),
        })
        .collect()
}

fn capture_one(
    capture: &Capture,
    received: &Received,
    request_url: &Url,
) -> Result<String, CheckError> {
    let missing = |expected: String, actual: String| CheckError::Mismatch {
        what: format!("capture {}", capture.var),
        expected,
        actual,
        span: capture.span.clone(),
    };
    let header = |name: &String, value: Option<String>, resolve_url: bool, of: &str| {
        // A header's `default` stands in for the header itself, so a URL default
        // is resolved like the value it replaces.
        let value = match (value, &capture.default) {
            (Some(value), _) => value,
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(missing(
                    format!("a {name} header{of}"),
                    "no such header".into(),
                ));
            }
        };
        if resolve_url {
            request_url
                .join(&value)
                .map(|url| url.to_string())
                .map_err(|error| {
                    missing(format!("a URL in {name}"), format!("{value:?} ({error})"))
                })
        } else {
            Ok(value)
        }
    };
    let raw = match &capture.source {
        CaptureSource::InterimHeader {
            status,
            name,
            resolve_url,
        } => {
            let first = received.interim.iter().find(|(s, _)| s == status);
            match first {
                Some((_, headers)) => header(
                    name,
                    joined(headers, name),
                    *resolve_url,
                    &format!(" in the first interim {status}"),
                )?,
                None if capture.default.is_some() => header(name, None, *resolve_url, "")?,
                None => {
                    return Err(missing(
                        format!("an interim {status} response with a {name} header"),
                        format!("no interim {status} response"),
                    ));
                }
            }
        }
        CaptureSource::Header { name, resolve_url } => {
            header(name, received.header(name), *resolve_url, "")?
        }
        CaptureSource::Member { header: name, key } => {
            let Some(value) = received.header(name) else {
                return Err(missing(format!("a {name} header"), "no such header".into()));
            };
            match sf::member_value(&value, key) {
                Ok(Some(member)) => member,
                Ok(None) => {
                    return Err(missing(
                        format!("a member {key} in {name}"),
                        format!("no member {key} in {value:?}"),
                    ));
                }
                Err(why) => {
                    return Err(missing(
                        format!("a member {key} in {name}"),
                        format!("{value:?}, {why}"),
                    ));
                }
            }
        }
        CaptureSource::Json(pointer) => {
            let text = received
                .body
                .text("a json capture")
                .map_err(|error| CheckError::Eval(error, capture.span.clone()))?;
            json::parse(&text)
                .and_then(|document| json::value_text(&document, pointer))
                .map_err(|error| missing(format!("a value at {pointer}"), error.to_string()))?
        }
        CaptureSource::Xml(path) => {
            let text = received
                .body
                .text("an xml capture")
                .map_err(|error| CheckError::Eval(error, capture.span.clone()))?;
            xml::element_text(&text, path)
                .map_err(|error| missing(format!("an element at {path}"), error.to_string()))?
        }
        CaptureSource::Body => received
            .body
            .text("a body capture")
            .map_err(|error| CheckError::Eval(error, capture.span.clone()))?
            .into_owned(),
        CaptureSource::Status => received.status.to_string(),
    };
    let Some(regex) = &capture.regex else {
        return Ok(raw);
    };
    first_group(regex, &raw).ok_or_else(|| {
        missing(
            format!("a match for /{regex}/"),
            format!("{:?}", excerpt(&raw)),
        )
    })
}

/// The first group when the regex has one, else the whole match. A first group that
/// took no part in the match found nothing, like no match at all.
fn first_group(regex: &regex::Regex, text: &str) -> Option<String> {
    let group = usize::from(regex.captures_len() > 1);
    regex
        .captures(text)
        .and_then(|found| found.get(group))
        .map(|m| m.as_str().to_owned())
}

/// Long bodies would flood a report; the transcript has the rest.
fn excerpt(text: &str) -> String {
    const LIMIT: usize = 200;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
