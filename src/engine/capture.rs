//! Captures: values taken from a response into scenario variables for later steps.

use http::HeaderMap;
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
        store(capture, capture_one(capture, received, request_url), scope)?;
    }
    Ok(())
}

/// Runs the captures that read interim responses, for an exchange that ended
/// without a final one: a deliberate abort after the server's 104 still leaves
/// the upload's `Location` to resume at. The other captures have nothing to
/// read, and the variables they would set stay unset.
pub(crate) fn run_interim(
    captures: &[Capture],
    interim: &[(u16, HeaderMap)],
    request_url: &Url,
    scope: Scope<'_>,
) -> Result<(), CheckError> {
    for capture in captures {
        if let CaptureSource::InterimHeader {
            status,
            name,
            resolve_url,
        } = &capture.source
        {
            let value =
                interim_header(capture, interim, (*status, name, *resolve_url), request_url)
                    .and_then(|raw| refine(capture, raw));
            store(capture, value, scope)?;
        }
    }
    Ok(())
}

/// Writes a captured value, or the capture's `default` when it found nothing.
fn store(
    capture: &Capture,
    value: Result<String, CheckError>,
    scope: Scope<'_>,
) -> Result<(), CheckError> {
    let value = match (value, &capture.default) {
        (Ok(value), _) => value,
        (Err(CheckError::Mismatch { .. }), Some(default)) => default.clone(),
        (Err(error), _) => return Err(error),
    };
    if capture.append {
        scope.append(&capture.var, [value]);
    } else {
        scope.set(&capture.var, value);
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
    let missing = |expected: String, actual: String| missing(capture, expected, actual);
    let raw = match &capture.source {
        CaptureSource::InterimHeader {
            status,
            name,
            resolve_url,
        } => interim_header(
            capture,
            &received.interim,
            (*status, name, *resolve_url),
            request_url,
        )?,
        CaptureSource::Header { name, resolve_url } => header(
            capture,
            name,
            received.header(name),
            *resolve_url,
            "",
            request_url,
        )?,
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
    refine(capture, raw)
}

/// A capture that found nothing: what it looked for, and what was there.
fn missing(capture: &Capture, expected: String, actual: String) -> CheckError {
    CheckError::Mismatch {
        what: format!("capture {}", capture.var),
        expected,
        actual,
        span: capture.span.clone(),
    }
}

/// A header's value (from the final response, or an interim one: `of` says
/// which), resolved against the request's URL when it is one.
fn header(
    capture: &Capture,
    name: &str,
    value: Option<String>,
    resolve_url: bool,
    of: &str,
    request_url: &Url,
) -> Result<String, CheckError> {
    // A header's `default` stands in for the header itself, so a URL default
    // is resolved like the value it replaces.
    let value = match (value, &capture.default) {
        (Some(value), _) => value,
        (None, Some(default)) => default.clone(),
        (None, None) => {
            return Err(missing(
                capture,
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
                missing(
                    capture,
                    format!("a URL in {name}"),
                    format!("{value:?} ({error})"),
                )
            })
    } else {
        Ok(value)
    }
}

/// `{interim: STATUS, header: NAME}`: the header of the first interim response
/// with that status.
fn interim_header(
    capture: &Capture,
    interim: &[(u16, HeaderMap)],
    (status, name, resolve_url): (u16, &str, bool),
    request_url: &Url,
) -> Result<String, CheckError> {
    match interim.iter().find(|(s, _)| *s == status) {
        Some((_, headers)) => header(
            capture,
            name,
            joined(headers, name),
            resolve_url,
            &format!(" in the first interim {status}"),
            request_url,
        ),
        None if capture.default.is_some() => {
            header(capture, name, None, resolve_url, "", request_url)
        }
        None => Err(missing(
            capture,
            format!("an interim {status} response with a {name} header"),
            format!("no interim {status} response"),
        )),
    }
}

/// The captured text through the capture's regex, if it has one.
fn refine(capture: &Capture, raw: String) -> Result<String, CheckError> {
    let Some(regex) = &capture.regex else {
        return Ok(raw);
    };
    first_group(regex, &raw).ok_or_else(|| {
        missing(
            capture,
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
