//! `upspec run`: load → discover → plan → execute → report, in that order, each
//! stage handing the next only what it needs.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use std::io::Write;

use super::{ColorChoice, Exit, Format, NoTests, RunArgs};
use crate::assembly::{self, Inputs, Pin, Versions};
use crate::baseline::Baseline;
use crate::plan;
use crate::protocol;
use crate::report::files::{FileReporter, ReportPaths};
use crate::report::github::GithubReporter;
use crate::report::human::{HumanReporter, Progress};
use crate::report::json_lines::JsonLinesReporter;
use crate::report::{Event, Reporter, Reporters, RunInfo, RunSummary};
use crate::runner::{self, filter::Filter};
use crate::scenario::capability::{Capability, KnownCapabilities};
use crate::scenario::{SpecTree, Suite};
use crate::settings::{self, ConfigFile, SettingsError};
use crate::verdict::Verdict;
use upspec_reference_server::StoreConfig;

const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_SCENARIO_TIMEOUT: Duration = Duration::from_secs(300);

/// Everything a run needs, resolved from flags, environment and config file.
struct Settings {
    target: Option<String>,
    tree: SpecTree,
    headers: Vec<(String, String)>,
    vars: BTreeMap<String, String>,
    seed: u64,
    step_timeout: Duration,
    scenario_timeout: Duration,
    strict: bool,
    max_wait: Duration,
    discovery: bool,
    add_capabilities: Vec<Capability>,
    remove_capabilities: Vec<Capability>,
    reports: ReportPaths,
    baseline: Arc<Baseline>,
    write_baseline: Option<std::path::PathBuf>,
    github_annotations: bool,
    /// Each protocol's own settings.
    protocols: protocol::Settings,
}

pub fn run(args: RunArgs) -> Exit {
    match args.color {
        ColorChoice::Always => colored::control::set_override(true),
        ColorChoice::Never => colored::control::set_override(false),
        ColorChoice::Auto => {}
    }
    let settings = match resolve(&args) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Invalid;
        }
    };
    let suite = match assembly::load(&settings.tree) {
        Ok(suite) => Arc::new(suite),
        Err(errors) => {
            eprintln!("{errors}");
            return Exit::Invalid;
        }
    };
    let filter = Filter {
        patterns: args.filters.clone(),
        skips: args.skips.clone(),
        exact: args.exact,
    };
    let selected = suite
        .scenarios
        .iter()
        .filter(|s| filter.selects(&s.name()))
        .count();
    if args.list {
        // Listing runs nothing, so there is no verdict to draw from it.
        return match list(&suite, &filter, args.format) {
            Ok(()) => Exit::Success,
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
            Err(error) => {
                eprintln!("error: cannot write the listing: {error}");
                Exit::Invalid
            }
        };
    }
    if selected == 0 {
        return nothing_ran(
            args.no_tests,
            &format!("no scenario matches the filters {}", filter.describe()),
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Unreachable;
        }
    };
    match settings.target.clone() {
        Some(target) => execute(
            &args,
            &filter,
            settings,
            suite,
            &runtime,
            Some(target),
            false,
        ),
        // A run whose protocols' own settings name their targets: nothing to
        // discover at a --target, and no embedded server.
        None if settings.protocols.endpoint().is_some() => {
            execute(&args, &filter, settings, suite, &runtime, None, false)
        }
        None => {
            let embedded = crate::embedded::target();
            let mut settings = settings;
            for (name, value) in embedded.vars {
                settings.vars.entry(name.to_owned()).or_insert(value);
            }
            settings.add_capabilities.extend(embedded.capabilities);
            // Every upload of the run stays until the run ends (S3 objects until the
            // bucket goes): held in memory they peaked at 230 MB. The scratch store
            // keeps large ones in anonymous temporary files instead.
            let config = upspec_reference_server::Config {
                store: StoreConfig::Scratch,
                ..embedded.config
            };
            let server = match runtime.block_on(upspec_reference_server::serve(config)) {
                Ok(server) => server,
                Err(error) => {
                    eprintln!("error: cannot start the embedded reference server: {error}");
                    return Exit::Unreachable;
                }
            };
            let target = server.base_url();
            settings.protocols = crate::embedded::protocol_settings(&server, settings.protocols);
            let exit = execute(
                &args,
                &filter,
                settings,
                suite,
                &runtime,
                Some(target),
                true,
            );
            runtime.block_on(server.shutdown());
            exit
        }
    }
}

/// Assembles the run against `target` and the targets the protocols' settings name
/// (any of which may be absent), runs the trials and reports them.
fn execute(
    args: &RunArgs,
    filter: &Filter,
    settings: Settings,
    suite: Arc<Suite>,
    runtime: &tokio::runtime::Runtime,
    target: Option<String>,
    embedded_target: bool,
) -> Exit {
    // The embedded server speaks every version of every versioned protocol, so
    // unless the user chose one, each is checked, the older ones in runs of their
    // own beside the main one.
    let every_version = embedded_target && !settings.protocols.sets_a_version();
    let versions = |pin| {
        if every_version {
            Versions::Every { pin }
        } else {
            Versions::One
        }
    };
    let inputs = Inputs {
        target: target.clone(),
        filter: filter.clone(),
        headers: settings.headers.clone(),
        vars: settings.vars.clone(),
        seed: settings.seed,
        run_id: format!("{:016x}", random_u64()),
        step_timeout: settings.step_timeout,
        scenario_timeout: settings.scenario_timeout,
        max_wait: settings.max_wait,
        discovery: settings.discovery,
        add_capabilities: settings.add_capabilities.clone(),
        remove_capabilities: settings.remove_capabilities.clone(),
        protocols: settings.protocols.clone(),
        versions: versions(None),
    };
    let pins = if every_version {
        Pin::older_versions(&suite)
    } else {
        Vec::new()
    };
    let mut runs = Vec::new();
    for pin in std::iter::once(None).chain(pins.iter().cloned().map(Some)) {
        let inputs = Inputs {
            versions: versions(pin),
            ..inputs.clone()
        };
        match runtime.block_on(assembly::assemble(&suite, inputs)) {
            Ok(run) => runs.push(run),
            Err(error) => {
                eprintln!("error: {error}");
                return Exit::Unreachable;
            }
        }
    }
    let run = &runs[0];
    let reporters = reporters(args, &settings, &run.suite);
    let shown_target = target
        .or_else(|| settings.protocols.endpoint())
        .unwrap_or_default();
    let info = RunInfo {
        target: shown_target,
        embedded_target,
        seed: settings.seed,
        version: env!("CARGO_PKG_VERSION"),
        lacking_protocols: plan::lacking_protocols(&run.planned, &run.capabilities),
        also_checked: pins,
        capabilities: run.capabilities.clone(),
        strict: settings.strict,
        scenarios: runs.iter().map(|run| run.planned.len()).sum(),
        filtered_out: suite
            .scenarios
            .iter()
            .filter(|scenario| !filter.selects(&scenario.name()))
            .count(),
    };
    if let Err(error) = reporters.emit(&Event::RunStarted(&info)) {
        eprintln!("error: cannot write the report: {error}");
        return Exit::Invalid;
    }
    let options = runner::Options {
        concurrency: args.test_threads.unwrap_or(runner::DEFAULT_CONCURRENCY),
        pauses_outside_slots: false,
        slow_after: args.slow_after,
        max_connection_errors: args.max_connection_errors,
        strict: settings.strict,
    };
    let planned = runs
        .iter()
        .map(|run| runner::Run {
            planned: run.planned.clone(),
            shared: runner::Shared {
                context: run.context.clone(),
                baseline: settings.baseline.clone(),
            },
        })
        .collect();
    let executed = runtime.block_on(runner::execute_all(planned, &options, &reporters));
    // Cleanup problems are the run's, not the target's verdict: warn, keep the exit code.
    for run in &runs {
        for warning in runtime.block_on(run.clean()) {
            eprintln!("warning: {warning}");
        }
    }
    let dead_target = executed.iter().find_map(|executed| executed.dead_target);
    let mut records: Vec<_> = executed
        .into_iter()
        .flat_map(|executed| executed.records)
        .collect();
    records.sort_by_key(|r| r.scenario.name());
    let summary = RunSummary::of(&records);
    if let Err(error) = reporters.emit(&Event::RunFinished {
        records: &records,
        summary: &summary,
    }) {
        eprintln!("error: cannot write the report: {error}");
        return Exit::Invalid;
    }
    if let Some(path) = &settings.write_baseline {
        if let Err(error) = Baseline::from_failures(&records).write(path) {
            eprintln!("error: {error}");
            return Exit::Invalid;
        }
        eprintln!("wrote the baseline {}", path.display());
    }
    if let Some(in_a_row) = dead_target {
        eprintln!(
            "error: stopped: {in_a_row} scenarios in a row got no response from the target, \
             so it is down or not listening; the rest were not run \
             (--max-connection-errors 0 runs them all anyway)"
        );
        return Exit::Unreachable;
    }
    if summary.failed() {
        Exit::Failures
    } else if summary.count(Verdict::Skipped) == records.len() {
        nothing_ran(
            args.no_tests,
            "every scenario was skipped (see the reasons above), so nothing ran",
        )
    } else if !summary.decided_anything() {
        eprintln!(
            "error: no check reached a verdict: every scenario was skipped or inconclusive \
             (see the reasons above), so this run shows nothing about the target"
        );
        Exit::NothingDecided
    } else {
        Exit::Success
    }
}

/// The reporters of a run: the terminal (or JSON lines) on stdout, annotations
/// and report files as asked.
fn reporters(args: &RunArgs, settings: &Settings, suite: &Arc<Suite>) -> Reporters {
    let human = |out: Box<dyn Write + Send>, progress| -> Box<dyn Reporter> {
        Box::new(HumanReporter::new(
            out,
            suite.clone(),
            settings.baseline.clone(),
            progress,
        ))
    };
    let progress = match (args.format, args.quiet) {
        (Format::Terse, _) | (Format::Pretty | Format::Github, true) => Progress::Characters,
        (Format::Pretty | Format::Github, false) => Progress::Lines,
        (Format::Json, _) => Progress::Silent,
    };
    let json = args.format == Format::Json;
    let mut sinks: Vec<Box<dyn Reporter>> = if json {
        vec![
            Box::new(JsonLinesReporter::new(io::stdout())),
            human(Box::new(io::stderr()), progress),
        ]
    } else {
        vec![human(Box::new(io::stdout()), progress)]
    };
    if settings.github_annotations || args.format == Format::Github {
        // GitHub reads workflow commands from stderr too, which keeps stdout JSON.
        let out: Box<dyn Write + Send> = if json {
            Box::new(io::stderr())
        } else {
            Box::new(io::stdout())
        };
        sinks.push(Box::new(GithubReporter::new(out)));
    }
    if settings.reports.any() {
        sinks.push(Box::new(FileReporter::new(
            settings.reports.clone(),
            suite.clone(),
            settings.baseline.clone(),
        )));
    }
    Reporters::new(sinks)
}

/// How a run in which nothing ran ends, by `--no-tests`.
fn nothing_ran(policy: NoTests, why: &str) -> Exit {
    match policy {
        NoTests::Pass => Exit::Success,
        NoTests::Warn => {
            eprintln!("warning: {why}");
            Exit::Success
        }
        NoTests::Fail => {
            eprintln!("error: {why} (--no-tests=pass or warn accepts that)");
            Exit::NothingDecided
        }
    }
}

/// `--list`: the selected scenarios, one per line (`[kind] name`), or one JSON
/// object per line with `--format json`.
fn list(suite: &Suite, filter: &Filter, format: Format) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for scenario in suite.scenarios.iter().filter(|s| filter.selects(&s.name())) {
        match format {
            Format::Json => {
                let line = serde_json::json!({
                    "name": scenario.name(),
                    "kind": scenario.kind(),
                    "level": scenario.level.as_str(),
                    "title": scenario.title,
                    "file": scenario.span.file.to_string(),
                    "line": scenario.span.line,
                });
                writeln!(out, "{line}")?;
            }
            Format::Pretty | Format::Terse | Format::Github => {
                writeln!(out, "[{}] {}", scenario.kind(), scenario.name())?;
            }
        }
    }
    out.flush()
}

/// The capabilities the config file names under `in_config` and the flags under
/// `flag`, in that order, each a name some protocol knows, without `!`: the flag
/// itself says whether the target has it.
fn capabilities(
    in_config: &str,
    config: &[String],
    flag: &str,
    flags: &[String],
    known: &[KnownCapabilities],
) -> Result<Vec<Capability>, SettingsError> {
    let config = config.iter().map(|written| (in_config, written));
    let flags = flags.iter().map(|written| (flag, written));
    config
        .chain(flags)
        .map(|(origin, written)| {
            let invalid = |message: String| SettingsError::Invalid {
                origin: origin.to_owned(),
                message,
            };
            let capability = Capability::parse(written, known)
                .map_err(|unknown| invalid(unknown.to_string()))?;
            if capability.negated {
                return Err(invalid(format!(
                    "`{written}`: name the capability without `!` (--capability and \
                     --no-capability say whether the target has it)"
                )));
            }
            Ok(capability)
        })
        .collect()
}

fn resolve(args: &RunArgs) -> Result<Settings, SettingsError> {
    let config = match &args.config {
        Some(path) => ConfigFile::read(path)?,
        None => ConfigFile::default(),
    };
    let mut vars: BTreeMap<String, String> = config
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    vars.extend(settings::vars_from_env(std::env::vars()));
    for text in &args.vars {
        let (name, value) = settings::parse_var(text)?;
        vars.insert(name, value);
    }
    let mut headers: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    for text in &args.headers {
        let (name, value) = settings::parse_header(text)?;
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        headers.push((name, value));
    }
    let headers = settings::render_headers(&headers, &vars)?;
    let step_timeout = args
        .timeout
        .or(config.timeout)
        .unwrap_or(DEFAULT_STEP_TIMEOUT);
    let scenario_timeout = args
        .scenario_timeout
        .or(config.scenario_timeout)
        .unwrap_or(DEFAULT_SCENARIO_TIMEOUT);
    let tree = match args.specs.as_ref().or(config.specs.as_ref()) {
        Some(dir) => SpecTree::directory(dir),
        None => SpecTree::bundled(),
    };
    let known = protocol::extensions().capabilities;
    let add_capabilities = capabilities(
        "config capabilities.add",
        &config.capabilities.add,
        "--capability",
        &args.add_capabilities,
        &known,
    )?;
    let remove_capabilities = capabilities(
        "config capabilities.remove",
        &config.capabilities.remove,
        "--no-capability",
        &args.remove_capabilities,
        &known,
    )?;
    Ok(Settings {
        target: args.target.clone().or(config.target.clone()),
        tree,
        headers,
        vars,
        seed: args.seed.or(config.seed).unwrap_or_else(random_u64),
        step_timeout,
        scenario_timeout,
        strict: args.strict || config.strict.unwrap_or(false),
        max_wait: args.max_wait.unwrap_or(plan::DEFAULT_MAX_WAIT),
        discovery: !args.no_discovery && config.discovery.unwrap_or(true),
        add_capabilities,
        remove_capabilities,
        reports: ReportPaths {
            json: args.report_json.clone(),
            junit: args.report_junit.clone(),
            html: args.report_html.clone(),
            transcripts: args.transcripts,
        },
        baseline: Arc::new(match &args.baseline {
            Some(path) => Baseline::read(path).map_err(|e| SettingsError::Invalid {
                origin: "--baseline".into(),
                message: e.to_string(),
            })?,
            None => Baseline::default(),
        }),
        write_baseline: args.write_baseline.clone(),
        github_annotations: args.github_annotations
            || std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
        protocols: settings::protocol_settings(
            &args.protocols,
            |name| std::env::var(name).ok(),
            &config,
        )?,
    })
}

/// A random number from the standard library's per-process hasher keys: enough for a
/// seed or a run id, without a dependency.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}
