//! The command line: `upspec run` (the default job), and the other subcommands.

mod coverage;
mod faults;
mod generate;
mod run;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::num::NonZeroUsize;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::report::document::Transcripts;

/// Exit codes, stable for CI: the README and docs/ci.md list them (tests/docs.rs checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `run`: conformant by the verdict policy; `serve`: stopped cleanly.
    Success = 0,
    /// At least one scenario failed at a level that fails the run.
    Failures = 1,
    /// A scenario file, the config file, the baseline or a flag is malformed.
    Invalid = 2,
    /// The target could not be reached (discovery failed), the run's S3 bucket could
    /// not be created, or the target stopped answering mid-run.
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
    about = "Conformance test harness for upload servers: tus 1.0.0, the IETF resumable-upload draft and the S3 multipart upload API"
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
    /// Print a shell completion script: `upspec completions bash > /etc/bash_completion.d/upspec`.
    Completions(generate::CompletionsArgs),
    /// Print the man page, upspec(1): `upspec man > upspec.1`.
    Man,
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

    /// Run only scenarios whose names contain one of these (or equal one, with --exact).
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,

    /// Match FILTER and --skip against whole scenario names, not parts of them.
    #[arg(long)]
    pub exact: bool,

    /// Leave out scenarios whose names contain this (repeatable).
    #[arg(long = "skip", value_name = "FILTER")]
    pub skips: Vec<String>,

    /// List the scenarios the filters select, without running anything or contacting a target.
    #[arg(long)]
    pub list: bool,

    /// How many scenarios run at once [default: 16, whatever the number of CPUs: scenarios wait on the network].
    #[arg(long, short = 'j', value_name = "N")]
    pub test_threads: Option<NonZeroUsize>,

    /// How the run is shown on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Pretty)]
    pub format: Format,

    /// One character per scenario (the same as `--format terse`).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// When to colour the output.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// What a run in which nothing ran ends with (no scenario matched the filters,
    /// or every one was skipped): `fail` exits 4, `warn` and `pass` exit 0.
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = NoTests::Fail)]
    pub no_tests: NoTests,

    /// Print a SLOW line for a scenario still running after this long (and after
    /// each further period), so a deliberate wait is not mistaken for a hang; 0 prints none.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "5s")]
    pub slow_after: Duration,

    /// Stop the run once this many scenarios in a row ended on a connection-level
    /// error (refused, reset, no response): the target is gone. 0 never stops.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTION_ERRORS)]
    pub max_connection_errors: usize,

    /// Which scenarios the JSON and HTML reports carry the exchanges of.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = Transcripts::Failures)]
    pub transcripts: Transcripts,
}

/// Consecutive connection-level errors that stop a run by default: enough that a
/// scenario probing a dead address on purpose never trips it.
pub const DEFAULT_MAX_CONNECTION_ERRORS: usize = 5;

/// How `upspec run` shows the run on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per scenario, then the findings and a summary.
    Pretty,
    /// One character per scenario, then the findings and a summary.
    Terse,
    /// One JSON object per line on stdout (see docs/ci.md); the human text goes to stderr.
    Json,
    /// `pretty`, plus GitHub Actions annotations for failures.
    Github,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

/// `--no-tests`: what a run in which nothing ran ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NoTests {
    /// Exit 0 silently.
    Pass,
    /// Exit 0 with a warning.
    Warn,
    /// Exit 4 with the reason.
    Fail,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::scenario::units::parse_duration(text)
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(*args).into(),
        Command::Serve(args) => serve::serve(*args).into(),
        Command::Coverage(args) => coverage::coverage(args).into(),
        Command::Faults(args) => faults::faults(args).into(),
        Command::Completions(args) => generate::completions(args).into(),
        Command::Man => generate::man().into(),
    }
}
