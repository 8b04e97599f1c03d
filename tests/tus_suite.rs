//! The tus suite checks itself: every bundled tus scenario passes against the
//! reference server with every extension enabled, and with each extension
//! disabled in turn, that extension's scenarios (and those of the extensions
//! built on it) are skipped with the reason while everything else still passes.
//!
//! Each configuration is one reference server, in this process on its own port,
//! and one `upspec run` process against it; the configurations run in parallel.

#[path = "support/isolated.rs"]
mod isolated;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use upspec::assembly::load;
use upspec::scenario::SpecTree;
use upspec::scenario::model::Scenario;
use upspec_reference_server::{Config, Extension, StoreConfig, TusConfig, serve};

/// The server's Tus-Max-Size, given to the suite as `--var tus_max_size`.
const MAX_SIZE: u64 = 1 << 30;
/// The expiry period of the configuration that checks expiration, given as
/// `--var tus_expiry` (whole seconds). Every upload of that run lives only this
/// long after its last write, so it must stay well above the longest pause any
/// scenario makes between two writes on a loaded machine (a refused 1 MiB body
/// is the longest); 4 s keeps the run under 15 s and has held with two copies of
/// this test running at once on 2 cores, where 2 s did not.
const EXPIRY_SECS: u64 = 4;
/// The idle timeout on stalled bodies of that same configuration, given as
/// `--var tus_idle_timeout`: the stalled-body scenario waits this long. Longer
/// than the expiry on purpose, which a write that slides the expiry must survive.
const IDLE_TIMEOUT_SECS: u64 = 5;

/// One server configuration and what the suite should make of it.
struct Case {
    label: String,
    /// Extensions switched off: the named one and those that build on it.
    disabled: BTreeSet<&'static str>,
    /// Whether the server expires uploads and ends stalled bodies quickly, and the
    /// run is told so. Only the all-extensions case waits for them; the others keep
    /// the defaults (a day, a minute) and skip those scenarios for want of
    /// `tus_expiry` or `tus_idle_timeout`.
    short_timeouts: bool,
}

/// An extension and every extension that depends on it, directly or not.
fn with_dependents(root: Extension) -> BTreeSet<Extension> {
    Extension::ALL
        .into_iter()
        .filter(|&extension| {
            let mut current = Some(extension);
            while let Some(e) = current {
                if e == root {
                    return true;
                }
                current = e.requires();
            }
            false
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let mut cases = vec![Case {
        label: "every extension".into(),
        disabled: BTreeSet::new(),
        short_timeouts: true,
    }];
    for extension in Extension::ALL {
        cases.push(Case {
            label: format!("without {extension}"),
            disabled: with_dependents(extension)
                .into_iter()
                .map(Extension::name)
                .collect(),
            short_timeouts: false,
        });
    }
    cases
}

fn config(case: &Case) -> Config {
    Config {
        store: StoreConfig::Memory,
        tus: TusConfig {
            max_size: Some(MAX_SIZE),
            expiry: Some(Duration::from_secs(if case.short_timeouts {
                EXPIRY_SECS
            } else {
                24 * 60 * 60
            })),
            extensions: Extension::ALL
                .into_iter()
                .filter(|e| !case.disabled.contains(e.name()))
                .collect(),
            ..TusConfig::default()
        },
        idle_timeout: if case.short_timeouts {
            Duration::from_secs(IDLE_TIMEOUT_SECS)
        } else {
            Config::default().idle_timeout
        },
        fsync: false,
        ..Config::default()
    }
}

/// Starts the server, runs the tus suite against it, and returns the JSON report
/// and the process's exit code and output.
fn run_case(case: &Case, report_dir: &Path) -> (Value, Option<i32>, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(serve(config(case))).unwrap();
    let report = report_dir.join(format!("{}.json", case.label.replace(' ', "-")));
    let mut command = isolated::upspec();
    command
        .args(["run", "tus::", "--target", &server.base_url()])
        .args(["--capability", "download", "--format", "terse"])
        .arg(format!("--var=tus_max_size={MAX_SIZE}"))
        .arg("--report-json")
        .arg(&report);
    if case.short_timeouts {
        command.arg(format!("--var=tus_expiry={EXPIRY_SECS}"));
        command.arg(format!("--var=tus_idle_timeout={IDLE_TIMEOUT_SECS}"));
    }
    let output = command.output().unwrap();
    runtime.block_on(server.shutdown());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("{}: no report ({e}):\n{text}", case.label));
    (
        serde_json::from_str(&report).unwrap(),
        output.status.code(),
        text,
    )
}

/// What the run should say about a scenario in this case: `None` for passed, or
/// the text the skip reason must contain.
fn expected_skip(case: &Case, scenario: &Scenario) -> Option<String> {
    let missing: Vec<&String> = scenario
        .requires
        .iter()
        .filter(|r| !r.negated && case.disabled.contains(r.name.as_str()))
        .map(|r| &r.name)
        .collect();
    if let Some(first) = missing.first() {
        return Some(format!("target does not support `{first}`"));
    }
    // `!x`: the scenario checks a target without x, so it skips wherever x is on.
    let present: Vec<&str> = scenario
        .requires
        .iter()
        .filter(|r| r.negated)
        .map(|r| r.name.as_str())
        .filter(|r| !case.disabled.contains(*r))
        .collect();
    if let Some(first) = present.first() {
        return Some(format!("target supports `{first}`"));
    }
    if !case.short_timeouts {
        for var in ["tus_expiry", "tus_idle_timeout"] {
            if scenario.needs_vars.iter().any(|v| v == var) {
                return Some(format!("needs --var {var}="));
            }
        }
    }
    None
}

/// Everything wrong with one case's run, empty if it went as expected.
fn problems(
    case: &Case,
    scenarios: &[Arc<Scenario>],
    run: &(Value, Option<i32>, String),
) -> Vec<String> {
    let (report, code, text) = run;
    let mut problems = Vec::new();
    if *code != Some(0) {
        problems.push(format!("exit code {code:?}:\n{text}"));
    }
    let records = report["scenarios"].as_array().cloned().unwrap_or_default();
    for scenario in scenarios {
        let name = scenario.name();
        let Some(record) = records.iter().find(|r| r["name"] == name.as_str()) else {
            problems.push(format!("{name}: not in the report"));
            continue;
        };
        let verdict = record["verdict"].as_str().unwrap_or("?");
        match expected_skip(case, scenario) {
            None if verdict == "passed" => {}
            None => problems.push(format!(
                "{name}: {verdict}, expected passed\n{}",
                record["failure"]["text"].as_str().unwrap_or_default()
            )),
            Some(reason) => {
                let actual = record["skip_reason"].as_str().unwrap_or_default();
                if verdict != "skipped" || !actual.contains(&reason) {
                    problems.push(format!(
                        "{name}: {verdict} ({actual}), expected skipped with `{reason}…`"
                    ));
                }
            }
        }
        // A scenario in an extension's directory is about that extension: it must
        // be skipped whenever the extension is off.
        if let Some(dir) = scenario.module.get(1)
            && case.disabled.contains(dir.as_str())
            && verdict != "skipped"
        {
            problems.push(format!(
                "{name}: lives under tus/{dir}/ but ran without {dir} (is `{dir}` in its requires?)"
            ));
        }
    }
    if records.len() != scenarios.len() {
        problems.push(format!(
            "the report has {} scenarios, the suite {}",
            records.len(),
            scenarios.len()
        ));
    }
    problems
}

#[test]
fn the_tus_suite_passes_against_the_reference_server_in_every_configuration() {
    let started = Instant::now();
    let suite = load(&SpecTree::bundled()).unwrap_or_else(|e| panic!("{e}"));
    let scenarios: Vec<Arc<Scenario>> = suite
        .scenarios
        .iter()
        .filter(|s| s.module.first().is_some_and(|m| m == "tus"))
        .cloned()
        .collect();
    assert!(
        scenarios.len() > 100,
        "only {} tus scenarios",
        scenarios.len()
    );
    let reports = tempfile::tempdir().unwrap();
    let cases = cases();
    let runs: Vec<(Value, Option<i32>, String)> = thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let dir = reports.path();
                scope.spawn(move || run_case(case, dir))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    for (case, run) in cases.iter().zip(&runs) {
        for problem in problems(case, &scenarios, run) {
            failures.push(format!("[{}] {problem}", case.label));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} configurations × {} tus scenarios in {:.1?}",
        cases.len(),
        scenarios.len(),
        started.elapsed()
    );
}
