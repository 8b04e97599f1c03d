//! The command line: `upspec run` (the default job), and the other subcommands.

mod coverage;
mod faults;
mod run;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Exit codes, stable for CI: see the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `run`: conformant by the verdict policy; `serve`: stopped cleanly.
    Success = 0,
    /// At least one scenario failed at a level that fails the run.
    Failures = 1,
    /// Invalid scenario files, config or usage.
    Invalid = 2,
    /// The target could not be reached, or discovery failed.
    Unreachable = 3,
    /// `run`: no check reached a verdict (every scenario was skipped, inconclusive
    /// or errored), so the run showed nothing about the target.
    NothingDecided = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "upspec",
    version,
    about = "Conformance test harness for upload servers: tus 1.0.0, IETF resumable uploads, S3 multipart"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the scenarios against a target (filters and flags as in `cargo test`);
    /// without --target, against the embedded reference server.
    Run(Box<RunArgs>),
    /// Serve the reference server (tus 1.0.0 with every extension, and S3 with --s3-listen) until Ctrl-C.
    Serve(Box<upspec_reference_server::cli::ServeArgs>),
    /// List each catalogued requirement with the scenarios that check it, and the
    /// excluded ones with their reasons; exit 1 if any is neither.
    Coverage(coverage::CoverageArgs),
    /// Prove the suites catch faults: run them against the reference server without
    /// faults and once per deliberate fault; print which faults each suite catches and the
    /// kill rate; exit 1 if one is missed or the fault-free run fails.
    Faults(faults::FaultsArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The base endpoint under test, e.g. http://127.0.0.1:1080/files/ (scenarios see it as {{target}});
    /// without it, upspec starts its reference server in-process and checks that.
    #[arg(long, env = "UPSPEC_TARGET", value_name = "URL")]
    pub target: Option<String>,

    /// Run the scenarios of this directory instead of the bundled suites.
    #[arg(long, env = "UPSPEC_SPECS", value_name = "DIR")]
    pub specs: Option<PathBuf>,

    /// Read settings from this YAML file (see docs/configuration.md); flags win over it.
    #[arg(long, short = 'c', env = "UPSPEC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Add a header to every request; the value may read variables: -H 'Authorization: Bearer {{token}}'.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Set a scenario variable (also UPSPEC_VAR_<name> in the environment).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Seed for every generated body; printed on each run so a failure replays exactly.
    #[arg(long, env = "UPSPEC_SEED")]
    pub seed: Option<u64>,

    /// Default timeout of one request, e.g. 30s or 500ms.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Default timeout of one scenario's steps, e.g. 5m.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub scenario_timeout: Option<Duration>,

    /// Make SHOULD failures fail the run.
    #[arg(long)]
    pub strict: bool,

    /// The longest a scenario may wait on purpose (for an expiry or an idle timeout);
    /// scenarios that would wait longer are skipped with the reason. Default 60s.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub max_wait: Option<Duration>,

    /// Treat the target as having this capability (e.g. termination), whatever discovery says.
    /// Beyond the protocols' own: `download`, GET on an upload's URL returns the bytes
    /// received so far, for unfinished uploads too (as tusd and the reference server do;
    /// @tus/server serves only completed ones, so leave it off there).
    #[arg(long = "capability", value_name = "NAME")]
    pub add_capabilities: Vec<String>,

    /// Treat the target as lacking this capability: its scenarios are skipped.
    #[arg(long = "no-capability", value_name = "NAME")]
    pub remove_capabilities: Vec<String>,

    /// Do not ask the target what it supports; only --capability counts.
    #[arg(long)]
    pub no_discovery: bool,

    /// Each protocol's own flags.
    #[command(flatten)]
    pub protocols: crate::protocol::Flags,

    /// Write a JUnit XML report (one testcase per scenario).
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,

    /// Write a JSON report (schema: docs/report-schema.json).
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,

    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,

    /// Known deviations (YAML): failures they list do not fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write this run's failures as a starting baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Print GitHub Actions annotations for failures (also when GITHUB_ACTIONS is set,
    /// or with `--format github`).
    #[arg(long)]
    pub github_annotations: bool,

    #[command(flatten)]
    pub test: libtest_mimic::Arguments,
}

/// `--format github` reads like the other formats, but libtest-mimic owns `--format`
/// (pretty, terse, json) and its output stays wanted next to the annotations: so
/// the value becomes `--github-annotations` before parsing.
fn github_format_as_flag(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        if arg == "--format=github" {
            out.push("--github-annotations".to_owned());
        } else if arg == "--format" && args.peek().is_some_and(|next| next == "github") {
            args.next();
            out.push("--github-annotations".to_owned());
        } else {
            out.push(arg);
        }
    }
    out
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::scenario::units::parse_duration(text)
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse_from(github_format_as_flag(std::env::args()));
    match cli.command {
        Command::Run(args) => run::run(*args).into(),
        Command::Serve(args) => serve::serve(*args).into(),
        Command::Coverage(args) => coverage::coverage(args).into(),
        Command::Faults(args) => faults::faults(args).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::github_format_as_flag;

    #[test]
    fn format_github_becomes_the_annotations_flag() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            github_format_as_flag(args(&["upspec", "run", "--format", "github", "x"])),
            args(&["upspec", "run", "--github-annotations", "x"])
        );
        assert_eq!(
            github_format_as_flag(args(&["upspec", "run", "--format=github"])),
            args(&["upspec", "run", "--github-annotations"])
        );
        assert_eq!(
            github_format_as_flag(args(&["upspec", "run", "--format", "terse"])),
            args(&["upspec", "run", "--format", "terse"])
        );
    }
}
