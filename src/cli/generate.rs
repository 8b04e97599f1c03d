//! `upspec completions SHELL` and `upspec man`: shell completions and a man page
//! generated from the same clap definitions that parse the command line, so
//! they cannot drift from it.

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Exit};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "upspec", &mut out);
    write_stdout(&out)
}

/// Writes the man page, upspec(1), in roff to stdout.
pub fn man() -> Exit {
    let mut out = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut out) {
        Ok(()) => write_stdout(&out),
        Err(error) => {
            eprintln!("error: cannot render the man page: {error}");
            Exit::Invalid
        }
    }
}

fn write_stdout(bytes: &[u8]) -> Exit {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            eprintln!("error: cannot write to stdout: {error}");
            Exit::Invalid
        }
    }
}
