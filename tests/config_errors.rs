//! Golden tests of config-file errors: `upspec run --config <case>.yaml` for each
//! file in tests/golden/config-errors/ must exit 2 and print exactly its `.stderr`
//! twin, located and drawn as scenario-file errors are (`-->`, caret, did-you-mean).
//! Run with `UPSPEC_BLESS=1` to rewrite the golden files after an intended change.

#[path = "support/golden_cases.rs"]
mod golden_cases;

use std::path::Path;
use std::process::Command;

use golden_cases::check_golden_cases;

const GOLDEN: &str = "tests/golden/config-errors";

#[test]
fn every_malformed_config_file_renders_its_golden_error() {
    check_golden_cases(GOLDEN, 5, |name, _| {
        // Run from the golden directory so the file's shown name is just its own.
        let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
            .current_dir(Path::new(GOLDEN))
            .args(["run", "--color", "never", "--config", name])
            .env_remove("UPSPEC_TARGET")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}: exit status");
        assert!(output.stdout.is_empty(), "{name}: stdout is not empty");
        String::from_utf8(output.stderr).unwrap()
    });
}
