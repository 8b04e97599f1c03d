//! The IETF draft's suite against the embedded reference server, at every
//! interop version its catalogue lists: discovery finds the newest, a flag
//! checks the others, every scenario that applies to the version passes, the
//! others are skipped for their version, and the report names the version.

#[path = "support/isolated.rs"]
mod isolated;

use serde_json::Value;
use upspec::scenario::{SpecTree, catalogue};

/// Runs `upspec run ietf::` against the embedded server, with `args` added;
/// returns the JSON report, the exit code and what was printed.
fn run(args: &[&str]) -> (Value, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("ietf.json");
    let output = isolated::upspec()
        .args(["run", "ietf::", "--format", "terse", "--report-json"])
        .arg(&report)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = std::fs::read_to_string(&report)
        .map(|json| serde_json::from_str(&json).unwrap())
        .unwrap_or(Value::Null);
    (report, output.status.code(), text)
}

/// The interop versions the bundled catalogue lists, oldest first.
fn versions() -> Vec<String> {
    let catalogues = catalogue::load_all(&SpecTree::bundled()).unwrap();
    let ietf = catalogues
        .iter()
        .find(|c| c.protocol == "ietf")
        .expect("the bundled specs have an ietf catalogue");
    ietf.versions.clone()
}

/// What is wrong with a run of the suite at `version`: a scenario that did
/// not pass although it applies there, or that ran although it does not.
fn problems(report: &Value, version: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if report["versions"]["ietf"] != version {
        problems.push(format!(
            "the report names version {}, not {version}",
            report["versions"]["ietf"]
        ));
    }
    for scenario in report["scenarios"].as_array().into_iter().flatten() {
        let name = scenario["name"].as_str().unwrap_or("?");
        let verdict = scenario["verdict"].as_str().unwrap_or("?");
        let skip = scenario["skip_reason"].as_str().unwrap_or("");
        match verdict {
            "passed" => {}
            "skipped" if skip.contains(&format!("this run checks version {version}")) => {}
            other => problems.push(format!("{name}: {other} {skip}")),
        }
    }
    problems
}

#[test]
fn the_suite_passes_at_every_interop_version_and_discovery_finds_the_newest() {
    let versions = versions();
    assert!(versions.len() >= 3, "versions: {versions:?}");
    let newest = versions.last().unwrap();
    let (report, code, text) = run(&[]);
    let mut found = problems(&report, newest);
    if code != Some(0) {
        found.push(format!("discovered run: exit code {code:?}"));
    }
    assert!(
        text.contains(&format!("ietf: checked at version {newest}")),
        "{text}"
    );
    for version in &versions {
        let (report, code, _) = run(&["--ietf-version", version]);
        if code != Some(0) {
            found.push(format!("version {version}: exit code {code:?}"));
        }
        found.extend(
            problems(&report, version)
                .into_iter()
                .map(|problem| format!("version {version}: {problem}")),
        );
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_version_the_suite_does_not_know_is_refused() {
    let (_, code, text) = run(&["--ietf-version", "99"]);
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains("ietf version 99 is not one the suite checks (it knows 6, 8, 9)"),
        "{text}"
    );
    let (_, code, text) = run(&["--ietf-version", "nine"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("`nine` is not an interop version"), "{text}");
}
