//! `upspec faults`: proves the bundled suites catch every deliberate fault of
//! the reference server (see [`crate::selfcheck`]) and prints the table.

use std::path::PathBuf;

use clap::Args;
use upspec_reference_server::Fault;

use super::Exit;
use crate::selfcheck::{self, DEFAULT_CONCURRENCY, Options, SelfCheckError};

#[derive(Debug, Args)]
pub struct FaultsArgs {
    /// Check only this fault (repeatable) [default: every fault].
    #[arg(long = "fault", value_enum, value_name = "NAME")]
    pub faults: Vec<Fault>,

    /// How many scenarios run at once, over all servers.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,

    /// Also write the table as Markdown to this file (the repository keeps it in docs/faults.md).
    #[arg(long, value_name = "FILE")]
    pub write_docs: Option<PathBuf>,
}

pub fn faults(args: FaultsArgs) -> Exit {
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
    print!("{}", selfcheck::render_text(&report));
    if let Some(path) = &args.write_docs {
        if let Err(error) = std::fs::write(path, selfcheck::render_docs(&report)) {
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
