use std::process::ExitCode;

fn main() -> ExitCode {
    upspec::cli::main()
}
