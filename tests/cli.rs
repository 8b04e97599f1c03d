//! The `upspec` command line as a user meets it: filters, listing, exit codes and
//! seed replay, against the embedded reference server (no --target) or a port
//! nothing listens on.

#[path = "support/closed_port.rs"]
mod closed_port;

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

use closed_port::closed_port;

const PASSING: &str = r#"
scenarios:
  - id: options-answers
    title: OPTIONS answers with Tus-Version
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect:
          status: [200, 204]
          headers: { Tus-Version: { contains: 1.0.0 } }
  - id: head-missing-404
    title: HEAD on an unknown upload is 404
    level: SHOULD
    steps:
      - request: { method: HEAD, url: "{{target}}nope", headers: { Tus-Resumable: 1.0.0 } }
        expect: { status: 404 }
"#;

const MUST_FAILS: &str = r#"
scenarios:
  - id: wrong-on-purpose
    title: expects a status the server never sends here
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect: { status: 418 }
"#;

const SHOULD_FAILS: &str = r#"
scenarios:
  - id: should-on-purpose
    title: a SHOULD that fails
    level: SHOULD
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect: { status: 418 }
"#;

/// A scenario whose failure report shows the random body it sent.
const RANDOM_BODY: &str = r#"
scenarios:
  - id: shows-its-body
    title: fails on purpose to print the seeded body it sent
    level: MUST
    steps:
      - request:
          method: POST
          url: "{{target}}"
          headers: { Tus-Resumable: 1.0.0, Upload-Length: 24 }
          body: { random: 24 }
        expect: { status: 418 }
"#;

fn specs(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn upspec(specs: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upspec"))
        .arg("run")
        .arg("--specs")
        .arg(specs)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("UPSPEC_TARGET")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn list_names_every_scenario_with_its_kind_without_contacting_a_target() {
    let dir = specs(&[
        ("tus/core/basics.yaml", PASSING),
        ("other/x.yaml", MUST_FAILS),
    ]);
    let unreachable = format!("http://127.0.0.1:{}/files/", closed_port());
    let output = upspec(dir.path(), &["--target", &unreachable, "--list"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listing = stdout(&output);
    let mut lines: Vec<&str> = listing.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "[other] other::x::wrong-on-purpose",
            "[tus-core] tus::core::basics::head-missing-404",
            "[tus-core] tus::core::basics::options-answers",
        ],
        "{listing}"
    );
    let filtered = upspec(dir.path(), &["--list", "basics", "--skip", "head"]);
    assert_eq!(
        stdout(&filtered),
        "[tus-core] tus::core::basics::options-answers\n"
    );
}

#[test]
fn a_conformant_run_exits_0_and_summarises_by_level() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let output = upspec(dir.path(), &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(out.contains("(embedded reference server)"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("tus::core::basics::options-answers"))
        .unwrap_or_else(|| panic!("no line for the scenario in:\n{out}"));
    assert!(
        line.trim_start().starts_with("passed [") && line.contains("] [tus-core] "),
        "{line}"
    );
    assert!(out.contains("MUST    1 passed"), "{out}");
    assert!(out.contains("SHOULD  1 passed"), "{out}");
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.starts_with("result: ok. 2 passed, 0 failed; finished in ")),
        "{out}"
    );
}

#[test]
fn a_must_failure_exits_1_and_shows_where_and_what() {
    let dir = specs(&[("tus/core/fails.yaml", MUST_FAILS)]);
    let output = upspec(dir.path(), &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("expectation failed: status in step 1 [MUST]"),
        "{out}"
    );
    assert!(out.contains("tus/core/fails.yaml:8:"), "{out}");
    assert!(out.contains("expected: 418"), "{out}");
    assert!(out.contains("OPTIONS http://127.0.0.1:"), "{out}");
}

#[test]
fn a_should_failure_warns_and_strict_makes_it_fail() {
    let dir = specs(&[("tus/core/should.yaml", SHOULD_FAILS)]);
    let lenient = upspec(dir.path(), &[]);
    let out = stdout(&lenient);
    assert_eq!(lenient.status.code(), Some(0), "{out}");
    assert!(out.contains("warnings (SHOULD"), "{out}");
    assert!(out.contains("SHOULD  1 warned"), "{out}");
    // A warning is a warning in every place, never counted as a pass.
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("warned [")),
        "{out}"
    );
    assert!(
        out.contains("result: ok. 0 passed, 0 failed, 1 warned; finished in "),
        "{out}"
    );
    let strict = upspec(dir.path(), &["--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    assert!(stdout(&strict).contains("SHOULD  1 failed"));
}

#[test]
fn filters_exact_and_skip_select_scenarios_as_in_cargo_test() {
    let dir = specs(&[
        ("tus/core/basics.yaml", PASSING),
        ("tus/core/fails.yaml", MUST_FAILS),
    ]);
    let filtered = upspec(dir.path(), &["basics"]);
    assert_eq!(filtered.status.code(), Some(0), "{}", stdout(&filtered));
    assert!(
        stdout(&filtered).contains("2 passed, 0 failed, 1 filtered out"),
        "{}",
        stdout(&filtered)
    );

    let exact = upspec(
        dir.path(),
        &["--exact", "tus::core::basics::options-answers"],
    );
    assert!(stdout(&exact).contains("1 passed, 0 failed, 2 filtered out"));

    let skipped = upspec(dir.path(), &["--skip", "fails"]);
    assert_eq!(skipped.status.code(), Some(0));
    assert!(stdout(&skipped).contains("1 filtered out"));

    let several = upspec(dir.path(), &["options-answers", "fails"]);
    assert_eq!(several.status.code(), Some(1));
    assert!(stdout(&several).contains("1 passed, 1 failed, 1 filtered out"));
}

#[test]
fn unmet_capabilities_are_skipped_with_the_reason() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let output = upspec(dir.path(), &["--no-capability", "creation", "basics"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let requiring = specs(&[(
        "tus/core/x.yaml",
        "scenarios:\n  - id: needs-it\n    title: t\n    level: MUST\n    requires: [creation]\n    \
         steps: [ { request: { method: OPTIONS, url: \"{{target}}\" } } ]\n  - id: plain\n    title: t\n    \
         level: MUST\n    steps: [ { request: { method: OPTIONS, url: \"{{target}}\" } } ]\n",
    )]);
    let output = upspec(requiring.path(), &["--no-capability", "creation"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("skipped ")
            && l.ends_with("tus::core::x::needs-it: target does not support `creation`")),
        "{out}"
    );
    assert!(!out.contains("ignored"), "{out}");
}

#[test]
fn a_protocol_the_target_lacks_collapses_to_one_line_and_nothing_ran_exits_4() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let output = upspec(dir.path(), &["--no-capability", "tus"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(4), "{out}");
    let line = "tus: not available on this target, 2 scenarios skipped — pass --target to check it";
    // Once in the header, once among the skip reasons; no line per scenario.
    assert_eq!(out.matches(line).count(), 2, "{out}");
    assert!(!out.contains("basics::options-answers"), "{out}");
    assert!(
        stderr(&output).contains("every scenario was skipped"),
        "{}",
        stderr(&output)
    );
    let warned = upspec(
        dir.path(),
        &["--no-capability", "tus", "--no-tests", "warn"],
    );
    assert_eq!(warned.status.code(), Some(0));
    assert!(stderr(&warned).contains("warning: every scenario was skipped"));
}

#[test]
fn a_filter_that_matches_nothing_exits_4_unless_no_tests_says_otherwise() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let unreachable = format!("http://127.0.0.1:{}/files/", closed_port());
    let output = upspec(dir.path(), &["--target", &unreachable, "no-such-scenario"]);
    assert_eq!(output.status.code(), Some(4), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("no scenario matches the filters `no-such-scenario`"),
        "{}",
        stderr(&output)
    );
    let warned = upspec(dir.path(), &["no-such-scenario", "--no-tests=warn"]);
    assert_eq!(warned.status.code(), Some(0));
    assert!(stderr(&warned).starts_with("warning: no scenario matches"));
    let passed = upspec(dir.path(), &["no-such-scenario", "--no-tests=pass"]);
    assert_eq!(passed.status.code(), Some(0));
    assert_eq!(stderr(&passed), "");
}

#[test]
fn a_run_that_decided_nothing_exits_4() {
    let inconclusive = r#"
scenarios:
  - id: blocked
    title: a set-up step that never gets what it needs
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect: { status: 418 }
        checks: []
"#;
    let dir = specs(&[("tus/core/blocked.yaml", inconclusive)]);
    let output = upspec(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(4), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("no check reached a verdict"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_scenarios_exit_2_before_any_request() {
    let dir = specs(&[("tus/core/bad.yaml", "scenarios:\n  - id: x\n    titel: y\n")]);
    let unreachable = format!("http://127.0.0.1:{}/files/", closed_port());
    let output = upspec(dir.path(), &["--target", &unreachable]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("bad.yaml:3:5"), "{err}");
    assert!(err.contains("did you mean `title`?"), "{err}");
    assert!(err.contains("no request was sent"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let output = upspec(dir.path(), &["--var", "no-equals-sign"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("write a variable as name=value"));
}

#[test]
fn an_unreachable_target_exits_3() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let target = format!("http://127.0.0.1:{}/files/", closed_port());
    let output = upspec(dir.path(), &["--target", &target, "--timeout", "2s"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("cannot reach the target"),
        "{}",
        stderr(&output)
    );
}

/// The body excerpt of the failure report: the bytes the run sent.
fn sent_body(output: &Output) -> String {
    let out = stdout(output);
    out.lines()
        .find(|line| line.trim_start().starts_with("(24 bytes)"))
        .unwrap_or_else(|| panic!("no body line in:\n{out}"))
        .trim()
        .to_owned()
}

#[test]
fn the_seed_is_printed_and_replays_the_same_bytes() {
    let dir = specs(&[("tus/core/random.yaml", RANDOM_BODY)]);
    let first = upspec(dir.path(), &["--seed", "42"]);
    assert!(stdout(&first).contains("seed: 42 (replay with --seed 42)"));
    let again = upspec(dir.path(), &["--seed", "42"]);
    let other = upspec(dir.path(), &["--seed", "43"]);
    assert_eq!(sent_body(&first), sent_body(&again));
    assert_ne!(sent_body(&first), sent_body(&other));

    let unseeded = upspec(dir.path(), &[]);
    let printed = stdout(&unseeded)
        .lines()
        .find_map(|l| {
            l.strip_prefix("seed: ")
                .map(|s| s.split(' ').next().unwrap().to_owned())
        })
        .expect("every run prints its seed");
    let replay = upspec(dir.path(), &["--seed", &printed]);
    assert_eq!(sent_body(&unseeded), sent_body(&replay));
}

#[test]
fn serve_help_offers_the_reference_server_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = stdout(&output);
    assert!(
        help.contains("--listen") && help.contains("--extensions"),
        "{help}"
    );
}

#[test]
fn github_actions_get_annotations_on_the_failing_yaml_line() {
    let dir = specs(&[("tus/core/fails.yaml", MUST_FAILS)]);
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["run", "--specs"])
        .arg(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = stdout(&output);
    let annotation = out
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation in:\n{out}"));
    assert!(
        annotation.contains("fails.yaml,line=8,col="),
        "{annotation}"
    );
    assert!(annotation.contains("title=tus%3A%3Acore%3A%3Afails%3A%3Awrong-on-purpose [MUST]"));
    assert!(
        annotation.contains("::step 1: status: expected 418"),
        "{annotation}"
    );
}

/// The same scenario as MUST_FAILS, now failing another way (a header missing too).
const MUST_FAILS_DIFFERENTLY: &str = r#"
scenarios:
  - id: wrong-on-purpose
    title: expects a status the server never sends here
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
        expect: { headers: { X-Never-Sent: { present: true } } }
"#;

#[test]
fn a_baseline_pins_the_observation_so_a_new_way_of_failing_fails_the_run() {
    let dir = specs(&[
        ("tus/core/basics.yaml", PASSING),
        ("tus/core/fails.yaml", MUST_FAILS),
    ]);
    let elsewhere = tempfile::tempdir().unwrap();
    let baseline = elsewhere.path().join("baseline.yaml");
    let written = upspec(
        dir.path(),
        &["--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(written.status.code(), Some(1));
    let text = std::fs::read_to_string(&baseline).unwrap();
    for pinned in [
        "version: 2",
        "scenario: tus::core::fails::wrong-on-purpose",
        "step: step 1",
        "expectation: status",
        "observed: \"204\"",
    ] {
        assert!(text.contains(pinned), "{pinned} in\n{text}");
    }

    let gated = upspec(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(gated.status.code(), Some(0), "{}", stdout(&gated));
    assert!(
        stdout(&gated)
            .contains("tus::core::fails::wrong-on-purpose (step 1): still failing as recorded"),
        "{}",
        stdout(&gated)
    );

    std::fs::write(
        dir.path().join("tus/core/fails.yaml"),
        MUST_FAILS_DIFFERENTLY,
    )
    .unwrap();
    let regressed = upspec(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(regressed.status.code(), Some(1), "{}", stdout(&regressed));
    assert!(
        stdout(&regressed).contains("fails differently now: a new failure"),
        "{}",
        stdout(&regressed)
    );

    let now_passing = MUST_FAILS.replace("status: 418", "status: [200, 204]");
    std::fs::write(dir.path().join("tus/core/fails.yaml"), now_passing).unwrap();
    let fixed = upspec(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert!(
        stdout(&fixed).contains("(step 1): now passes: remove it from the baseline"),
        "{}",
        stdout(&fixed)
    );
}

#[test]
fn an_old_scenario_wide_baseline_is_refused_with_how_to_rewrite_it() {
    let dir = specs(&[("tus/core/basics.yaml", PASSING)]);
    let elsewhere = tempfile::tempdir().unwrap();
    let baseline = elsewhere.path().join("baseline.yaml");
    std::fs::write(
        &baseline,
        "known:\n  - id: tus::core::basics::options-answers\n    reason: fixed since\n",
    )
    .unwrap();
    let output = upspec(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--write-baseline"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn templates_add_to_numbers_so_limits_are_probed_at_their_edge() {
    let edge = r#"
vars: { tus_max_size: ~ }
scenarios:
  - id: max-plus-one-refused
    title: one byte over the maximum is refused, the maximum itself accepted
    level: MUST
    steps:
      - request:
          method: POST
          url: "{{target}}"
          headers: { Tus-Resumable: 1.0.0, Upload-Length: "{{tus_max_size + 1}}" }
        expect: { status: 413 }
      - request:
          method: POST
          url: "{{target}}"
          headers: { Tus-Resumable: 1.0.0, Upload-Length: "{{tus_max_size}}" }
        expect: { status: 201 }
  - id: not-a-number
    title: adding to a word is an evaluation error naming the variable
    level: MUST
    vars: { word: abc }
    steps:
      - request: { method: OPTIONS, url: "{{target}}", headers: { X-N: "{{word - 1}}" } }
"#;
    let dir = specs(&[("tus/core/edge.yaml", edge)]);
    let output = upspec(dir.path(), &["--test-threads", "1"]);
    let out = stdout(&output);
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("passed [") && l.ends_with("max-plus-one-refused")),
        "{out}"
    );
    assert!(
        out.contains("variable `word` is \"abc\", not a whole number"),
        "{out}"
    );
}

/// Scenarios outside any protocol directory, so they run against any URL.
fn numbered_options(count: usize) -> String {
    let mut yaml = String::from("scenarios:\n");
    for n in 0..count {
        yaml.push_str(&format!(
            "  - id: s{n}\n    title: OPTIONS {n}\n    level: MUST\n    \
             steps: [ {{ request: {{ method: OPTIONS, url: \"{{{{target}}}}\" }} }} ]\n"
        ));
    }
    yaml
}

#[test]
fn a_dead_target_stops_the_run_after_consecutive_connection_errors() {
    let dir = specs(&[("other/many.yaml", &numbered_options(8))]);
    let dead = format!("http://127.0.0.1:{}/", closed_port());
    let base = ["--target", &dead, "--no-discovery", "--test-threads", "1"];
    let stopped = upspec(
        dir.path(),
        &[&base[..], &["--max-connection-errors", "3"]].concat(),
    );
    let out = stdout(&stopped);
    assert_eq!(stopped.status.code(), Some(3), "{out}");
    assert!(
        stderr(&stopped).contains("stopped: 3 scenarios in a row got no response"),
        "{}",
        stderr(&stopped)
    );
    assert!(out.contains("3 errored, 5 skipped"), "{out}");
    assert!(
        out.contains("5 × not run: the target stopped answering"),
        "{out}"
    );
    let all = upspec(
        dir.path(),
        &[&base[..], &["--max-connection-errors", "0"]].concat(),
    );
    assert_eq!(all.status.code(), Some(1));
    assert!(stdout(&all).contains("8 errored"), "{}", stdout(&all));
}

#[test]
fn a_scenario_running_past_the_threshold_prints_a_slow_line() {
    let slow = "scenarios:\n  - id: waits\n    title: waits a while\n    level: MUST\n    \
                steps:\n      - delay: 1200ms\n      - request: { method: OPTIONS, url: \"{{target}}\" }\n";
    let dir = specs(&[("other/slow.yaml", slow)]);
    let output = upspec(dir.path(), &["--slow-after", "500ms"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let slow_lines: Vec<&str> = out.lines().filter(|l| l.contains("SLOW")).collect();
    assert_eq!(slow_lines.len(), 2, "{out}");
    assert!(
        slow_lines[0].trim_start().starts_with("SLOW [> 0.5")
            && slow_lines[0].ends_with("other::slow::waits"),
        "{out}"
    );
}

#[test]
fn format_json_writes_only_json_lines_to_stdout() {
    let dir = specs(&[
        ("tus/core/basics.yaml", PASSING),
        ("tus/core/fails.yaml", MUST_FAILS),
    ]);
    let elsewhere = tempfile::tempdir().unwrap();
    let baseline = elsewhere.path().join("baseline.yaml");
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["run", "--format", "json", "--specs"])
        .arg(dir.path())
        .arg("--write-baseline")
        .arg(&baseline)
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .env_remove("UPSPEC_TARGET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.first().unwrap()["event"], "started");
    assert_eq!(lines.first().unwrap()["scenarios"], 3);
    let finished: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["type"] == "scenario" && l["event"] == "finished")
        .collect();
    assert_eq!(finished.len(), 3);
    let failed = finished
        .iter()
        .find(|l| l["verdict"] == "failed")
        .expect("the failure is an event");
    assert_eq!(failed["name"], "tus::core::fails::wrong-on-purpose");
    assert_eq!(failed["failure"]["line"], 8);
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["totals"]["failed"], 1);
    // The human text, the annotation and the baseline note went to stderr.
    let err = stderr(&output);
    assert!(err.contains("seed: "), "{err}");
    assert!(err.contains("::error file="), "{err}");
    assert!(err.contains("wrote the baseline"), "{err}");
}

#[test]
fn json_reports_carry_transcripts_of_passing_scenarios_only_when_asked() {
    let dir = specs(&[
        ("tus/core/basics.yaml", PASSING),
        ("tus/core/should.yaml", SHOULD_FAILS),
    ]);
    let elsewhere = tempfile::tempdir().unwrap();
    let transcripts = |extra: &[&str]| {
        let json = elsewhere.path().join("report.json");
        let output = upspec(
            dir.path(),
            &[&["--report-json", json.to_str().unwrap()][..], extra].concat(),
        );
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let verdict = s["verdict"].as_str().unwrap().to_owned();
                (verdict, s["transcript"].as_array().unwrap().len())
            })
            .collect::<Vec<_>>()
    };
    let default = transcripts(&[]);
    assert!(
        default.iter().all(|(v, n)| (v == "passed") == (*n == 0)),
        "{default:?}"
    );
    let all = transcripts(&["--transcripts", "all"]);
    assert!(all.iter().all(|(_, n)| *n == 1), "{all:?}");
}
