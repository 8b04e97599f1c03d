//! One self-contained HTML page: the totals, each linking to its section; the
//! failures first, open, each with the requirement and its sentence, the step
//! and the exchange; the conformance matrix; every requirement with its
//! verdict; then the other scenarios by verdict, with skip and inconclusive
//! reasons on their summary line so nobody has to expand them. Protocols the
//! target lacks are one line each. No scripts and no fetches, so the page can
//! be archived as a CI artefact and opened anywhere.

use std::fmt::Write as _;

use super::document::{RunReport, ScenarioEntry};
use crate::verdict::Verdict;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#1b1b1b}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}
.passed,.met{color:#17702a}.failed,.errored{color:#b3261e;font-weight:600}
.warned,.noted,.known,.skipped{color:#8a5a00}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:12px}
details summary{cursor:pointer}code{font-size:12px}.why{color:#555}
#totals a{text-decoration:none}
";

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &RunReport) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>upspec conformance report: {target}</title><style>{STYLE}</style></head><body>\n\
         <h1>upspec conformance report</h1>\n\
         <p>Target <code>{target}</code>{embedded} · seed <code>{seed}</code> · upspec {version} · {started} · {ms} ms{strict}</p>\n",
        target = esc(&report.target),
        embedded = if report.embedded_target {
            " (embedded reference server)"
        } else {
            ""
        },
        seed = report.seed,
        version = esc(report.upspec_version),
        started = esc(&report.started_at),
        ms = report.duration_ms,
        strict = if report.strict { " · strict" } else { "" },
    );
    let totals: Vec<String> = report
        .totals
        .iter()
        .map(|(verdict, n)| {
            format!("<a class=\"{verdict}\" href=\"#verdict-{verdict}\">{n} {verdict}</a>")
        })
        .collect();
    let _ = writeln!(page, "<p id=\"totals\">{}</p>", totals.join(" · "));
    if !report.lacking_protocols.is_empty() {
        page.push_str("<ul id=\"lacking\">\n");
        for protocol in &report.lacking_protocols {
            let _ = writeln!(
                page,
                "<li class=\"skipped\">{}: not available on this target, {} scenarios skipped — pass <code>{}</code> to check it</li>",
                esc(protocol.name),
                protocol.scenarios,
                esc(protocol.enabled_by)
            );
        }
        page.push_str("</ul>\n");
    }
    let collapsed = |scenario: &ScenarioEntry| {
        report
            .lacking_protocols
            .iter()
            .any(|p| scenario.name.starts_with(&format!("{}::", p.name)))
    };
    let failing = [Verdict::Failed, Verdict::Errored];
    page.push_str(&verdict_sections(report, &failing, &collapsed));

    page.push_str("<h2>Conformance matrix</h2>\n<table id=\"matrix\"><tr><th>protocol / extension</th><th>MUST met</th><th>SHOULD met</th><th>skipped</th><th>inconclusive</th></tr>\n");
    for row in &report.matrix {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"{}\">{}/{}</td><td class=\"{}\">{}/{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.kind),
            if row.must_met == row.must_total {
                "met"
            } else {
                "failed"
            },
            row.must_met,
            row.must_total,
            if row.should_met == row.should_total {
                "met"
            } else {
                "warned"
            },
            row.should_met,
            row.should_total,
            row.skipped,
            row.inconclusive
        );
    }
    page.push_str("</table>\n");

    page.push_str("<h2>Requirements</h2>\n<table id=\"requirements\"><tr><th>requirement</th><th>level</th><th>verdict</th><th>scenarios</th></tr>\n");
    for requirement in &report.requirements {
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"{v}\">{v}</td><td>{}</td></tr>",
            esc(&requirement.id),
            requirement.level,
            requirement
                .scenarios
                .iter()
                .map(|s| format!("<a href=\"#{0}\">{0}</a>", esc(s)))
                .collect::<Vec<_>>()
                .join("<br>"),
            v = requirement.verdict,
        );
    }
    page.push_str("</table>\n");

    if !report.baseline.is_empty() {
        page.push_str("<h2>Baseline</h2>\n<table id=\"baseline\"><tr><th>entry</th><th>status</th><th>reason</th></tr>\n");
        for entry in &report.baseline {
            let status = serde_json::to_value(&entry.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                page,
                "<tr><td><code>{} ({}, {}: {})</code></td><td>{}</td><td>{}</td></tr>",
                esc(&entry.scenario),
                esc(&entry.step),
                esc(&entry.expectation),
                esc(&entry.observed),
                esc(&status),
                esc(&entry.reason)
            );
        }
        page.push_str("</table>\n");
    }

    page.push_str(&verdict_sections(
        report,
        &[
            Verdict::Warned,
            Verdict::Known,
            Verdict::Inconclusive,
            Verdict::Noted,
            Verdict::Skipped,
            Verdict::Passed,
        ],
        &collapsed,
    ));
    page.push_str("</body></html>\n");
    page
}

/// One section per verdict of `verdicts` that some shown scenario has, each with
/// the id its total links to.
fn verdict_sections(
    report: &RunReport,
    verdicts: &[Verdict],
    collapsed: &dyn Fn(&ScenarioEntry) -> bool,
) -> String {
    let mut out = String::new();
    for verdict in verdicts {
        let scenarios: Vec<&ScenarioEntry> = report
            .scenarios
            .iter()
            .filter(|s| s.verdict == *verdict && !collapsed(s))
            .collect();
        if scenarios.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h2 id=\"verdict-{v}\"><span class=\"{v}\">{v}</span> ({})</h2>",
            scenarios.len(),
            v = verdict.as_str()
        );
        for scenario in scenarios {
            out.push_str(&scenario_block(scenario));
        }
    }
    out
}

fn scenario_block(scenario: &ScenarioEntry) -> String {
    let mut block = String::new();
    let verdict = scenario.verdict.as_str();
    // Why it was skipped or what stopped it, readable without expanding.
    let why = match (&scenario.skip_reason, &scenario.failure) {
        (Some(reason), _) => format!(" <span class=\"why\">— {}</span>", esc(reason)),
        (None, Some(failure)) => format!(
            " <span class=\"why\">— {}: {}</span>",
            esc(&failure.step),
            esc(&failure.message)
        ),
        (None, None) => String::new(),
    };
    let _ = write!(
        block,
        "<details id=\"{name}\" class=\"scenario\"{open}><summary><span class=\"{verdict}\">{verdict}</span> \
         <code>{name}</code> [{level}] {title}{why}</summary>\n<p>{file}:{line} · requirements: {reqs}</p>\n",
        name = esc(&scenario.name),
        open = if matches!(scenario.verdict, Verdict::Failed | Verdict::Errored) {
            " open"
        } else {
            ""
        },
        level = scenario.level,
        title = esc(&scenario.title),
        file = esc(&scenario.file),
        line = scenario.line,
        reqs = esc(&scenario.requirements.join(", ")),
    );
    if let Some(failure) = &scenario.failure {
        let _ = writeln!(block, "<pre class=\"failure\">{}</pre>", esc(&failure.text));
    }
    if !scenario.transcript.is_empty() {
        block.push_str("<pre class=\"transcript\">");
        for exchange in &scenario.transcript {
            let _ = writeln!(
                block,
                "{} {} {} → {} ({} ms)",
                esc(&exchange.step),
                esc(&exchange.method),
                esc(&exchange.url),
                exchange
                    .status
                    .map_or_else(|| "no response".to_owned(), |s| s.to_string()),
                exchange.duration_ms
            );
        }
        block.push_str("</pre>\n");
    }
    block.push_str("</details>\n");
    block
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
