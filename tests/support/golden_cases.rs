//! Golden cases: every `<case>.yaml` in a directory is rendered and compared with
//! its `<case>.stderr` twin; `UPSPEC_BLESS=1` rewrites the twins instead. One
//! runner for the loader's and the config file's error goldens.

use std::fs;
use std::path::Path;

/// Renders each case of `dir` (at least `at_least` of them) with `render`, which
/// gets the case's file name and path, and fails listing every mismatch.
pub fn check_golden_cases(dir: &str, at_least: usize, render: impl Fn(&str, &Path) -> String) {
    let bless = std::env::var_os("UPSPEC_BLESS").is_some();
    let mut cases: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= at_least,
        "expected at least {at_least} golden cases in {dir}, found {}",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let actual = render(&name, case);
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
