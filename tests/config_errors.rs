//! Golden tests of config-file errors: `upspec run --config <case>.yaml` for each
//! file in tests/golden/config-errors/ must exit 2 and print exactly its `.stderr`
//! twin, located and drawn as scenario-file errors are (`-->`, caret, did-you-mean).
//! Run with `UPSPEC_BLESS=1` to rewrite the golden files after an intended change.

use std::fs;
use std::path::Path;
use std::process::Command;

const GOLDEN: &str = "tests/golden/config-errors";

#[test]
fn every_malformed_config_file_renders_its_golden_error() {
    let bless = std::env::var_os("UPSPEC_BLESS").is_some();
    let mut cases: Vec<_> = fs::read_dir(GOLDEN)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 5,
        "expected at least 5 cases, found {}",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        // Run from the golden directory so the file's shown name is just its own.
        let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
            .current_dir(Path::new(GOLDEN))
            .args(["run", "--color", "never", "--config", &name])
            .env_remove("UPSPEC_TARGET")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}: exit status");
        assert!(output.stdout.is_empty(), "{name}: stdout is not empty");
        let actual = String::from_utf8(output.stderr).unwrap();
        let golden = case.with_extension("stderr");
        if bless {
            fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {} (run with UPSPEC_BLESS=1)", golden.display()));
        if actual != expected {
            mismatches.push(format!("--- {}\n{actual}", golden.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "output differs from golden files:\n{}",
        mismatches.join("\n")
    );
}
