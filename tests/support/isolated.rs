//! The `upspec` binary as a test runs it: nothing from the environment of the
//! machine running the tests (`UPSPEC_*` settings, `AWS_*` credentials and
//! endpoints) may point the run elsewhere or change it.

use std::process::Command;

/// `upspec`, with every `UPSPEC_*` and `AWS_*` variable removed and colours off.
pub fn upspec() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec"));
    command.env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("UPSPEC_") || name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
}
