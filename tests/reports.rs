//! The CI reports of one fixed run (embedded reference server, fixed seed, one
//! thread): golden files for the terminal output, JSON, JUnit and HTML, and each
//! format checked by the tool its users rely on: the JUnit XSD (xmllint), the
//! JSON schema in docs/, and a headless Chromium rendering of the HTML page.
//! Run with `UPSPEC_BLESS=1` to rewrite the golden files after an intended change.

#[path = "support/closed_port.rs"]
mod closed_port;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use regex::Regex;

use closed_port::closed_port;

const GOLDEN: &str = "tests/golden/reports";

struct Run {
    stdout: String,
    exit: Option<i32>,
    json: String,
    junit: String,
    html: String,
    dir: tempfile::TempDir,
}

impl Run {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The one run every test here reads (started once, shared).
fn fixed_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let dead = format!("http://127.0.0.1:{}/", closed_port());
        let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
            .args(["run", "--specs", &format!("{GOLDEN}/specs")])
            .args(["--seed", "1", "--test-threads", "1", "--color", "never"])
            .args(["--var", &format!("dead={dead}")])
            .args(["--baseline", &format!("{GOLDEN}/baseline.yaml")])
            .arg("--report-json")
            .arg(dir.path().join("report.json"))
            .arg("--report-junit")
            .arg(dir.path().join("report.xml"))
            .arg("--report-html")
            .arg(dir.path().join("report.html"))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("UPSPEC_TARGET")
            .output()
            .unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        Run {
            stdout: String::from_utf8(output.stdout).unwrap(),
            exit: output.status.code(),
            json: read("report.json"),
            junit: read("report.xml"),
            html: read("report.html"),
            dir,
        }
    })
}

/// Replaces what differs between runs (ports, times, dates) with fixed text.
fn normalise(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (r"upspec-[0-9a-f]{12}", "upspec-RUNID"),
        (r"finished in [0-9.]+s", "finished in 0.00s"),
        (r"\[ *\d+\.\d{3}s\]", "[  0.000s]"),
        (r"\(\d+ ms\)", "(0 ms)"),
        (r"· \d+ ms", "· 0 ms"),
        (r#""duration_ms": \d+"#, r#""duration_ms": 0"#),
        (r#"time="[0-9.]+""#, r#"time="0""#),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "2000-01-01T00:00:00Z",
        ),
        (
            r"(?i)(date:?\W+)[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT",
            "${1}DATE",
        ),
    ];
    let mut text = text.to_owned();
    for (pattern, replacement) in rules {
        text = Regex::new(pattern)
            .unwrap()
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}

fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(GOLDEN).join(name);
    let actual = normalise(actual);
    if std::env::var_os("UPSPEC_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {} (run with UPSPEC_BLESS=1)", path.display()));
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{name} differs from its golden file from line {}:\n--- actual\n{}\n--- golden\n{}",
            first + 1,
            actual
                .lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            expected
                .lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

#[test]
fn the_run_fails_only_on_the_unbaselined_must_failure_and_the_error() {
    let run = fixed_run();
    assert_eq!(run.exit, Some(1), "{}", run.stdout);
}

#[test]
fn terminal_output_matches_its_golden_file() {
    assert_golden("stdout.txt", &fixed_run().stdout);
}

#[test]
fn json_report_matches_its_golden_file() {
    assert_golden("report.json", &fixed_run().json);
}

#[test]
fn junit_report_matches_its_golden_file() {
    assert_golden("report.xml", &fixed_run().junit);
}

#[test]
fn html_report_matches_its_golden_file() {
    assert_golden("report.html", &fixed_run().html);
}

#[test]
fn json_report_follows_the_documented_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/report-schema.json").unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema itself is valid");
    let report: serde_json::Value = serde_json::from_str(&fixed_run().json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report breaks its schema:\n{}",
        errors.join("\n")
    );
    assert_eq!(report["totals"]["failed"], 1);
    assert_eq!(report["totals"]["errored"], 1);
    assert_eq!(report["totals"]["known"], 1);
    let statuses: Vec<&str> = report["baseline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["still_failing", "unused"]);
    let quote = |id: &str| {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))["quote"]
            .clone()
    };
    assert_eq!(
        quote("DEMO-MUST"),
        "The Server MUST answer `418 I'm a teapot` to `OPTIONS`."
    );
    assert!(quote("DEMO-IMPL").is_null(), "an IMPL row quotes nothing");
}

#[test]
fn json_schema_rejects_a_report_that_breaks_it() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/report-schema.json").unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&fixed_run().json).unwrap();
    report["scenarios"][0]["verdict"] = "probably".into();
    assert!(!validator.is_valid(&report));
}

/// Installs Debian packages the report checks need when their tools are missing
/// (once per test process: dpkg takes one installer at a time), and says loudly
/// what is missing when it cannot.
fn ensure_tool(tool: &str) -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let find = || {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(tool))
            .find(|path| path.is_file())
    };
    if let Some(path) = find() {
        return path;
    }
    let package = match tool {
        "xmllint" => "libxml2-utils",
        "chromium" => "chromium",
        other => panic!("no package known for {other}"),
    };
    eprintln!("!!! {tool} is missing: installing Debian's {package} (needs root and apt)");
    let installed = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}"
        ))
        .status()
        .is_ok_and(|s| s.success());
    find().unwrap_or_else(|| {
        panic!(
            "{tool} is required to check the reports and could not be installed \
             (apt-get succeeded: {installed}); install the Debian package {package}"
        )
    })
}

#[test]
fn junit_report_validates_against_the_junit_xsd() {
    let xmllint = ensure_tool("xmllint");
    let run = fixed_run();
    let output = Command::new(xmllint)
        .args(["--noout", "--schema", "fixtures/junit/junit.xsd"])
        .arg(run.path("report.xml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xmllint rejects the report:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The XSD is not a rubber stamp: a test case without its required name is refused.
    let broken = run.junit.replacen("<testcase name=", "<testcase nom=", 1);
    let broken_path = run.path("broken.xml");
    std::fs::write(&broken_path, broken).unwrap();
    let rejected = Command::new(ensure_tool("xmllint"))
        .args(["--noout", "--schema", "fixtures/junit/junit.xsd"])
        .arg(&broken_path)
        .output()
        .unwrap();
    assert!(!rejected.status.success());
}

#[test]
fn junit_separates_failures_errors_and_skips() {
    let junit = &fixed_run().junit;
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
    assert_eq!(junit.matches("<error ").count(), 1, "{junit}");
    assert!(junit.contains(r#"<skipped message="target does not support `s3:tagging`"/>"#));
    assert!(junit.contains("known deviation (baseline)"));
    assert!(junit.contains(r#"<property name="requirements" value="DEMO-MUST"/>"#));
    assert!(junit.contains(r#"classname="demo.core""#));
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let chromium = ensure_tool("chromium");
    let run = fixed_run();
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", run.path("report.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What a reader sees: the matrix, each requirement's verdict, the failure details.
    assert!(dom.contains("<td>demo-core</td>"), "{dom}");
    // Requirements, not scenarios: DEMO-OPTIONS met, DEMO-MUST and DEMO-KNOWN not;
    // DEMO-IMPL is noted, DEMO-DERIVED inconclusive, DEMO-SKIP skipped.
    assert!(
        dom.contains(
            r#"<td class="failed">1/3</td><td class="warned">0/1</td><td>1</td><td>1</td>"#
        ),
        "{dom}"
    );
    for requirement in [
        "DEMO-OPTIONS",
        "DEMO-MUST",
        "DEMO-SHOULD",
        "DEMO-IMPL",
        "DEMO-SKIP",
    ] {
        assert!(
            dom.contains(&format!("<code>{requirement}</code>")),
            "{requirement}"
        );
    }
    assert!(
        dom.contains(r#"<details id="demo::core::verdicts::must-fails" class="scenario" open="">"#)
    );
    assert!(dom.contains("expected: 418"));
    // The failing case leads: its section comes before the matrix, the totals
    // link to it, and it shows the requirement, its sentence and the exchange.
    let failures = dom
        .find(r#"<h2 id="verdict-failed">"#)
        .expect("a failures section");
    assert!(failures < dom.find("Conformance matrix").unwrap(), "{dom}");
    assert!(dom.contains(r##"<a class="failed" href="#verdict-failed">1 failed</a>"##));
    let block = &dom[failures..dom.find(r#"<h2 id="verdict-errored">"#).unwrap()];
    for shown in [
        "fails: DEMO-MUST (MUST) The server answers 418 to OPTIONS.",
        "step 1",
        "request sent:",
        "response received",
    ] {
        assert!(block.contains(shown), "{shown} in {block}");
    }
    // Reasons are on the summary line, visible without expanding.
    assert!(dom.contains(
        "needs a capability the target lacks <span class=\"why\">— target does not support `s3:tagging`</span></summary>"
    ));
}

#[test]
fn html_report_collapses_a_protocol_the_target_lacks_to_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["run", "s3::multipart::create", "--no-capability", "s3"])
        .args(["--no-tests", "pass", "--report-html"])
        .arg(&html)
        .env("NO_COLOR", "1")
        .env_remove("UPSPEC_TARGET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("s3: not available on this target,")
            && page.contains("pass <code>--s3-endpoint</code> to check it"),
        "{page}"
    );
    assert!(!page.contains("<details id=\"s3::"), "{page}");
}

#[test]
fn json_report_lists_every_catalogue_requirement_with_exclusions_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("tus.json");
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["run", "tus::core::options", "--seed", "1"])
        .arg("--report-json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .env_remove("UPSPEC_TARGET")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let requirements = report["requirements"].as_array().unwrap();
    let catalogue_rows = std::fs::read_to_string("specs/tus/requirements.yaml")
        .unwrap()
        .lines()
        .filter(|line| line.trim_start().starts_with("- { id: ") && line.contains("level:"))
        .count();
    assert_eq!(requirements.len(), catalogue_rows);
    let by_id = |id: &str| {
        requirements
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(by_id("TUS-CORE-OPT-OK")["verdict"], "met");
    assert_eq!(by_id("TUS-CORE-HEAD-NOSTORE")["verdict"], "not_run");
    let excluded = by_id("TUS-META-NONASCII");
    assert_eq!(excluded["verdict"], "excluded");
    assert!(excluded["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/report-schema.json").unwrap()).unwrap();
    assert!(
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&report)
    );
}
