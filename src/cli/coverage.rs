//! `upspec coverage`: which requirement each scenario checks, which requirements are
//! excluded and why, and which nobody checks. Nothing is sent anywhere.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use super::Exit;
use crate::assembly;
use crate::scenario::SpecTree;
use crate::scenario::catalogue::{self, Coverage, Status};

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Report on this directory's scenarios and catalogues instead of the bundled suites.
    #[arg(long, env = "UPSPEC_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,
}

pub fn coverage(args: CoverageArgs) -> Exit {
    let tree = match &args.specs {
        Some(dir) => SpecTree::directory(dir),
        None => SpecTree::bundled(),
    };
    // Loading checks every citation against its catalogue, so an unknown ID is a
    // load error (exit 2) with its position, like any other mistake in a file.
    let suite = match assembly::load(&tree) {
        Ok(suite) => suite,
        Err(errors) => {
            eprintln!("{errors}");
            return Exit::Invalid;
        }
    };
    let catalogues = &suite.catalogues;
    if catalogues.is_empty() {
        eprintln!("error: no requirement catalogue (requirements.yaml) below the scenario root");
        return Exit::Invalid;
    }
    let reports: Vec<Coverage> = catalogues
        .iter()
        .map(|c| catalogue::coverage(c, catalogues, &suite.scenarios))
        .collect();
    let mut out = io::stdout().lock();
    match reports.iter().try_for_each(|r| print(&mut out, r)) {
        // `upspec coverage | head` closing the pipe early is not an error.
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the report: {error}");
            return Exit::Invalid;
        }
        _ => {}
    }
    if reports.iter().all(Coverage::complete) {
        Exit::Success
    } else {
        Exit::Failures
    }
}

fn print(out: &mut impl Write, coverage: &Coverage) -> io::Result<()> {
    writeln!(out, "{} ({})", coverage.protocol, coverage.file)?;
    let width = coverage.rows.iter().map(|r| r.id.len()).max().unwrap_or(2);
    let levels = coverage
        .rows
        .iter()
        .map(|r| r.levels().len())
        .max()
        .unwrap_or(0)
        .max(8);
    writeln!(out, "  {:<width$}  {:<levels$}  SCENARIOS", "ID", "LEVEL")?;
    for row in &coverage.rows {
        let names: Vec<String> = match &row.status {
            Status::Covered(names) => names.clone(),
            Status::Excluded(_) => vec!["(excluded, see below)".into()],
            Status::Uncovered => vec!["UNCOVERED".into()],
        };
        for (i, name) in names.iter().enumerate() {
            if i == 0 {
                writeln!(
                    out,
                    "  {:<width$}  {:<levels$}  {name}",
                    row.id,
                    row.levels()
                )?;
            } else {
                writeln!(out, "  {:<width$}  {:<levels$}  {name}", "", "")?;
            }
        }
    }
    let excluded: Vec<_> = coverage
        .rows
        .iter()
        .filter_map(|row| match &row.status {
            Status::Excluded(reason) => Some((row, reason)),
            _ => None,
        })
        .collect();
    if !excluded.is_empty() {
        writeln!(out, "\nexcluded:")?;
        for (row, reason) in excluded {
            writeln!(
                out,
                "  {:<width$}  {:<levels$}  {reason}",
                row.id,
                row.levels()
            )?;
        }
    }
    if !coverage.problems.is_empty() {
        writeln!(out, "\nproblems:")?;
        for problem in &coverage.problems {
            writeln!(out, "  {problem}")?;
        }
    }
    writeln!(
        out,
        "\n{}: {} requirements, {} covered, {} excluded, {} uncovered\n",
        coverage.protocol,
        coverage.requirements(),
        coverage.covered(),
        coverage.excluded(),
        coverage.uncovered()
    )
}
