//! The text of a failure: where it is written, what was expected and seen, and the
//! exchange behind it. One renderer serves the terminal, JUnit and JSON reports, so
//! a CI log says exactly what a developer's terminal says.

use std::fmt::Write as _;

use crate::engine::outcome::{Exchange, FailureKind, Outcome};
use crate::scenario::Suite;
use crate::scenario::model::Scenario;

/// How much of a body to show.
const EXCERPT: usize = 512;

/// Renders why `scenario` stopped short (`outcome` is not a pass) as plain text
/// (no colour: it also goes into files). A failure names the requirements its
/// check fails, each with its level, its summary and the sentence of the spec it
/// rests on (quoted, with where it stands); an inconclusive outcome names what
/// blocked it.
pub fn render(suite: &Suite, scenario: &Scenario, outcome: &Outcome) -> String {
    let Some(failure) = outcome.failure() else {
        return String::new();
    };
    let mut out = String::new();
    let what = match &failure.kind {
        FailureKind::Expectation { what, .. } => format!("expectation failed: {what}"),
        FailureKind::Transport(_) => "transport error".to_owned(),
        FailureKind::Framing(_) => "HTTP framing violated".to_owned(),
        FailureKind::TooLarge { .. } => "body refused as too large".to_owned(),
        FailureKind::Timeout(_) => "timeout".to_owned(),
        FailureKind::Evaluation(_) => "could not evaluate the step".to_owned(),
    };
    let (title, label) = match outcome {
        Outcome::Inconclusive(_) => (format!("inconclusive ({what})"), "blocked by"),
        Outcome::Passed | Outcome::Failed(_) | Outcome::Errored(_) => (what, "fails"),
    };
    let level = scenario.strongest_level(&failure.requirements);
    match outcome {
        // Nothing was decided, so no level is at stake.
        Outcome::Inconclusive(_) => {
            let _ = writeln!(out, "{title} in {}", failure.step);
        }
        Outcome::Passed | Outcome::Failed(_) | Outcome::Errored(_) => {
            let _ = writeln!(out, "{title} in {} [{level}]", failure.step);
        }
    }
    let _ = writeln!(out, "  scenario: {}", scenario.title);
    match outcome {
        Outcome::Failed(_) | Outcome::Inconclusive(_) => {
            for id in &failure.requirements {
                let _ = write!(out, "  {label}: {id} ({})", scenario.level_of(id));
                let Some(requirement) = suite.requirement(id) else {
                    out.push('\n');
                    continue;
                };
                let derived = if requirement.derived {
                    " [derived]"
                } else {
                    ""
                };
                let _ = writeln!(out, "{derived} {}", requirement.text);
                if let Some(quote) = &requirement.quote {
                    let _ = writeln!(out, "    \"{quote}\" — {}", requirement.section);
                }
            }
        }
        Outcome::Passed | Outcome::Errored(_) => {
            if !scenario.requirements.is_empty() {
                let _ = writeln!(out, "  requirements: {}", scenario.requirements.join(", "));
            }
        }
    }
    let line_number = failure.span.line.to_string();
    let gutter = " ".repeat(line_number.len());
    let _ = writeln!(out, "  {gutter}--> {}", failure.span);
    if let Some(line) = suite.line(&failure.span) {
        let indent = " ".repeat(failure.span.column.saturating_sub(1) as usize);
        let _ = writeln!(out, "  {gutter} |");
        let _ = writeln!(out, "  {line_number} | {line}");
        let _ = writeln!(out, "  {gutter} | {indent}^");
    }
    match &failure.kind {
        FailureKind::Expectation {
            expected, actual, ..
        } => {
            let _ = writeln!(out, "  expected: {expected}");
            let _ = writeln!(out, "  actual:   {actual}");
        }
        other => {
            let _ = writeln!(out, "  {other}");
        }
    }
    if let Some(exchange) = &failure.exchange {
        out.push_str(&render_exchange(exchange));
    }
    out
}

/// The request and response of one exchange, indented for inclusion in a failure.
pub fn render_exchange(exchange: &Exchange) -> String {
    let mut out = String::new();
    let request = &exchange.request;
    let _ = writeln!(out, "  request sent:");
    let _ = writeln!(out, "    {} {}", request.method, request.url);
    for (name, value) in &request.headers {
        let _ = writeln!(out, "    {name}: {value}");
    }
    let _ = writeln!(
        out,
        "    {}",
        body_line(request.body_len, &request.body_excerpt)
    );
    for (name, value) in &request.trailers {
        let _ = writeln!(out, "    {name}: {value} (trailer)");
    }
    if !exchange.interim.is_empty() {
        let _ = writeln!(out, "  interim responses received:");
        for interim in &exchange.interim {
            let _ = writeln!(out, "    {}", interim.status);
            for (name, value) in &interim.headers {
                let _ = writeln!(out, "      {name}: {value}");
            }
        }
        let unkept = exchange.interim_count - exchange.interim.len() as u64;
        if unkept > 0 {
            let _ = writeln!(out, "    … and {unkept} more");
        }
    }
    match &exchange.response {
        Some(response) => {
            let _ = writeln!(
                out,
                "  response received ({} ms):",
                exchange.duration.as_millis()
            );
            let _ = writeln!(out, "    {}", response.status);
            for (name, value) in &response.headers {
                let _ = writeln!(out, "    {name}: {value}");
            }
            let _ = writeln!(
                out,
                "    {}",
                body_line(response.body_len, &response.body_excerpt)
            );
        }
        None => {
            let _ = writeln!(out, "  no response received");
        }
    }
    out
}

/// `(12 bytes) "hello world!"`, with bytes that are not printable text escaped.
fn body_line(len: u64, excerpt: &[u8]) -> String {
    if len == 0 {
        return "(empty body)".to_owned();
    }
    let shown = &excerpt[..excerpt.len().min(EXCERPT)];
    let text: String = shown.escape_ascii().to_string();
    let more = if (shown.len() as u64) < len {
        "…"
    } else {
        ""
    };
    format!("({len} bytes) \"{text}\"{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_escaped_and_cut() {
        assert_eq!(body_line(0, b""), "(empty body)");
        assert_eq!(body_line(3, b"a\x00b"), "(3 bytes) \"a\\x00b\"");
        assert_eq!(body_line(1000, b"abc"), "(1000 bytes) \"abc\"…");
    }
}
