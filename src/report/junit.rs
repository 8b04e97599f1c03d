//! JUnit XML (via quick-junit): one `<testcase>` per scenario, grouped in one
//! `<testsuite>` per protocol and extension. A conformance failure is a
//! `<failure>`; a target or transport problem is an `<error>`, so CI dashboards
//! can tell "the server is wrong" from "the server was not there".

use std::io;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::document::{RunReport, ScenarioEntry};
use crate::verdict::Verdict;

pub fn render(report: &RunReport) -> io::Result<String> {
    let mut junit = Report::new("upspec");
    if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
        junit.set_timestamp(started);
    }
    junit.set_time(std::time::Duration::from_millis(report.duration_ms));
    for row in &report.matrix {
        let mut suite = TestSuite::new(row.kind.as_str());
        suite.add_property(Property::new("target", report.target.as_str()));
        suite.add_property(Property::new("seed", report.seed.to_string()));
        for (protocol, version) in &report.versions {
            suite.add_property(Property::new(
                format!("{protocol}-version"),
                version.as_str(),
            ));
        }
        for scenario in report.scenarios.iter().filter(|s| s.kind == row.kind) {
            suite.add_test_case(test_case(scenario));
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().map_err(io::Error::other)
}

fn test_case(scenario: &ScenarioEntry) -> TestCase {
    let failure_text = scenario.failure.as_ref().map(|f| f.text.as_str());
    let message = scenario.failure.as_ref().map(|f| f.message.as_str());
    let status = match scenario.verdict {
        Verdict::Failed | Verdict::Errored => {
            let kind = if scenario.verdict == Verdict::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            if let Some(failure) = &scenario.failure {
                status.set_type(failure.kind);
            }
            status.set_message(message.unwrap_or("failed"));
            status.set_description(failure_text.unwrap_or_default());
            status
        }
        Verdict::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(scenario.skip_reason.as_deref().unwrap_or("skipped"));
            status
        }
        Verdict::Known => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "known deviation (baseline): {}",
                message.unwrap_or("failed")
            ));
            status
        }
        // JUnit has no "inconclusive"; a skip with the reason is what CI dashboards
        // show as "did not decide", and it keeps the gate green as the verdict does.
        Verdict::Inconclusive => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "inconclusive: {}",
                message.unwrap_or("a set-up step failed")
            ));
            status
        }
        Verdict::Passed | Verdict::Warned | Verdict::Noted => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(scenario.name.as_str(), status);
    case.set_classname(scenario.kind.replacen('-', ".", 1));
    case.set_time(std::time::Duration::from_millis(scenario.duration_ms));
    case.add_property(Property::new("level", scenario.level));
    case.add_property(Property::new("verdict", scenario.verdict.as_str()));
    case.add_property(Property::new(
        "requirements",
        scenario.requirements.join(","),
    ));
    case.add_property(Property::new(
        "file",
        format!("{}:{}", scenario.file, scenario.line),
    ));
    if matches!(
        scenario.verdict,
        Verdict::Failed
            | Verdict::Errored
            | Verdict::Warned
            | Verdict::Noted
            | Verdict::Known
            | Verdict::Inconclusive
    ) {
        let mut out = String::new();
        if let Some(text) = failure_text {
            out.push_str(text);
        }
        for exchange in &scenario.transcript {
            out.push_str(&format!(
                "{} {} {} -> {}\n",
                exchange.step,
                exchange.method,
                exchange.url,
                exchange
                    .status
                    .map_or_else(|| "no response".to_owned(), |s| s.to_string())
            ));
        }
        case.set_system_out(out);
    }
    case
}
