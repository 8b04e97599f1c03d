//! The help text of every command, as golden files: a flag added, renamed or
//! leaked from a dependency shows up in review. Run with `UPSPEC_BLESS=1` to
//! rewrite them after an intended change.

#[path = "support/isolated.rs"]
mod isolated;

use std::path::Path;
use std::process::Command;

const GOLDEN: &str = "tests/golden/help";

/// The `--help` output of `upspec ARGS`, with no environment variable shown as set.
fn help(args: &[&str]) -> String {
    let output = isolated::upspec()
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(GOLDEN).join(name);
    if std::env::var_os("UPSPEC_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {} (run with UPSPEC_BLESS=1)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (UPSPEC_BLESS=1 rewrites it)",
        path.display()
    );
}

#[test]
fn every_command_has_its_golden_help() {
    for (args, file) in [
        (&[][..], "upspec.txt"),
        (&["run"], "run.txt"),
        (&["serve"], "serve.txt"),
        (&["coverage"], "coverage.txt"),
        (&["faults"], "faults.txt"),
    ] {
        assert_golden(file, &help(args));
    }
}

#[test]
fn run_help_shows_only_our_flags_and_every_format() {
    let text = help(&["run"]);
    assert!(
        text.contains("Usage: upspec run [OPTIONS] [FILTER]..."),
        "{text}"
    );
    for leaked in [
        "--bench",
        "-Z",
        "--logfile",
        "--nocapture",
        "--include-ignored",
        "--show-output",
        "ignored",
        "Usefull",
        "benchmark",
    ] {
        assert!(!text.contains(leaked), "{leaked} in\n{text}");
    }
    for format in ["pretty", "terse", "json", "github"] {
        assert!(
            text.contains(&format!("- {format}:")),
            "{format} in\n{text}"
        );
    }
    for flag in [
        "--no-tests",
        "--slow-after",
        "--max-connection-errors",
        "--transcripts",
    ] {
        assert!(text.contains(flag), "{flag} in\n{text}");
    }
}

#[test]
fn serve_and_faults_help_point_to_the_fault_list_instead_of_inlining_it() {
    for command in ["serve", "faults"] {
        let text = help(&[command]);
        assert!(!text.contains("head-cacheable"), "{command}:\n{text}");
        assert!(text.contains("--list"), "{command}:\n{text}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["faults", "--list"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let list = String::from_utf8(output.stdout).unwrap();
    assert!(
        list.lines()
            .any(|l| l.trim_start().starts_with("head-cacheable ")
                && l.contains("TUS-CORE-HEAD-NOSTORE")),
        "{list}"
    );
}

fn upspec_stdout(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn completions_are_generated_for_each_shell_from_the_flags() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = upspec_stdout(&["completions", shell]);
        for word in ["test-threads", "no-tests", "serve", "faults"] {
            assert!(script.contains(word), "{word} in the {shell} script");
        }
    }
    // The bash script is valid bash.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upspec.bash");
    std::fs::write(&path, upspec_stdout(&["completions", "bash"])).unwrap();
    let checked = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(checked.success());
}

#[test]
fn the_man_page_is_generated_from_the_flags() {
    let page = upspec_stdout(&["man"]);
    assert!(page.contains(".TH upspec 1"), "{page}");
    for command in ["run", "serve", "coverage", "faults", "completions"] {
        assert!(page.contains(command), "{command} in\n{page}");
    }
}
