//! `upspec faults`: proves the bundled suites catch every deliberate fault of
//! the reference server (see [`crate::selfcheck`]) and prints the table.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use upspec_reference_server::Fault;

use super::Exit;
use crate::selfcheck::{self, DEFAULT_CONCURRENCY, Options, SelfCheckError};

#[derive(Debug, Args)]
pub struct FaultsArgs {
    /// Check only this fault (repeatable) [default: every fault]; --list names them.
    #[arg(
        long = "fault",
        value_enum,
        value_name = "NAME",
        hide_possible_values = true
    )]
    pub faults: Vec<Fault>,

    /// List every fault with what it does and the requirements it violates, and run nothing.
    #[arg(long)]
    pub list: bool,

    /// How many scenarios run at once, over all servers.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,

    /// Also write the table as Markdown to this file (the repository keeps it in docs/faults.md).
    #[arg(long, value_name = "FILE")]
    pub write_docs: Option<PathBuf>,
}

pub fn faults(args: FaultsArgs) -> Exit {
    if args.list {
        return list();
    }
    let options = Options {
        faults: if args.faults.is_empty() {
            Fault::ALL.to_vec()
        } else {
            args.faults
        },
        concurrency: args.concurrency,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Unreachable;
        }
    };
    println!(
        "upspec faults: the bundled suites against the reference server, without faults and with each of {} faults",
        options.faults.len()
    );
    let report = match runtime.block_on(selfcheck::run_bundled(&options)) {
        Ok(report) => report,
        Err(error @ (SelfCheckError::Suite(_) | SelfCheckError::Fault(_))) => {
            eprintln!("error: {error}");
            return Exit::Invalid;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Unreachable;
        }
    };
    print!("{}", selfcheck::render::render_text(&report));
    if let Some(path) = &args.write_docs {
        if let Err(error) = std::fs::write(path, selfcheck::render::render_docs(&report)) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return Exit::Invalid;
        }
        println!("wrote {}", path.display());
    }
    if report.holds() {
        Exit::Success
    } else {
        Exit::Failures
    }
}

/// `--list`: one fault per line, grouped by the part of the protocol it breaks.
fn list() -> Exit {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let mut scope = "";
    let mut out = String::new();
    for fault in Fault::ALL {
        if fault.scope() != scope {
            scope = fault.scope();
            out.push_str(&format!("{scope}:\n"));
        }
        out.push_str(&format!(
            "  {:width$}  {} ({})\n",
            fault.name(),
            fault.summary(),
            fault.requirements().join(", ")
        ));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Ok(()) => Exit::Success,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            eprintln!("error: cannot write the list: {error}");
            Exit::Invalid
        }
    }
}
