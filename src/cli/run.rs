//! `upspec run`: load → discover → plan → execute → report, in that order, each
//! stage handing the next only what it needs.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Completion, Failed, Trial};

use super::{Exit, RunArgs};
use crate::assembly::{self, Inputs};
use crate::baseline::Baseline;
use crate::engine::{self, RunContext};
use crate::plan::{self, PlannedScenario};
use crate::protocol;
use crate::report::files::{FileReporter, ReportPaths};
use crate::report::github::GithubReporter;
use crate::report::human::HumanReporter;
use crate::report::{Event, Reporter, Reporters, RunInfo, RunSummary, ScenarioRecord, failure};
use crate::scenario::{SpecTree, Suite};
use crate::settings::{self, ConfigFile, SettingsError};
use crate::verdict::{self, Verdict};

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
    add_capabilities: Vec<String>,
    remove_capabilities: Vec<String>,
    reports: ReportPaths,
    baseline: Arc<Baseline>,
    write_baseline: Option<std::path::PathBuf>,
    github_annotations: bool,
    /// Each protocol's own settings.
    protocols: protocol::Settings,
}

pub fn run(args: RunArgs) -> Exit {
    if let Some(color) = args.test.color {
        match color {
            libtest_mimic::ColorSetting::Always => colored::control::set_override(true),
            libtest_mimic::ColorSetting::Never => colored::control::set_override(false),
            libtest_mimic::ColorSetting::Auto => {}
        }
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
    if args.test.list {
        let trials = suite
            .scenarios
            .iter()
            .map(|s| Trial::test(s.name(), || Ok(())).with_kind(s.kind()))
            .collect();
        // Listing runs nothing, so there is no verdict to draw from it.
        let _listing = libtest_mimic::run(&args.test, trials);
        return Exit::Success;
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
        Some(target) => execute(&args, settings, suite, &runtime, Some(target), false),
        // A run whose protocols' own settings name their targets: nothing to
        // discover at a --target, and no embedded server.
        None if settings.protocols.endpoint().is_some() => {
            execute(&args, settings, suite, &runtime, None, false)
        }
        None => {
            let embedded = crate::embedded::target();
            let mut settings = settings;
            for (name, value) in embedded.vars {
                settings.vars.entry(name.to_owned()).or_insert(value);
            }
            settings
                .add_capabilities
                .extend(embedded.capabilities.iter().map(|c| c.to_string()));
            let server = match runtime.block_on(upspec_reference_server::serve(embedded.config)) {
                Ok(server) => server,
                Err(error) => {
                    eprintln!("error: cannot start the embedded reference server: {error}");
                    return Exit::Unreachable;
                }
            };
            let target = server.base_url();
            settings.protocols = crate::embedded::protocol_settings(&server);
            let exit = execute(&args, settings, suite, &runtime, Some(target), true);
            runtime.block_on(server.shutdown());
            exit
        }
    }
}

/// Assembles the run against `target` and the targets the protocols' settings name
/// (any of which may be absent), runs the trials and reports them.
fn execute(
    args: &RunArgs,
    settings: Settings,
    suite: Arc<Suite>,
    runtime: &tokio::runtime::Runtime,
    target: Option<String>,
    embedded_target: bool,
) -> Exit {
    let inputs = Inputs {
        target: target.clone(),
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
    };
    let run = match runtime.block_on(assembly::assemble(&suite, inputs)) {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Unreachable;
        }
    };
    let mut sinks: Vec<Box<dyn Reporter>> = vec![Box::new(HumanReporter::new(
        io::stdout(),
        suite.clone(),
        settings.baseline.clone(),
    ))];
    if settings.github_annotations {
        sinks.push(Box::new(GithubReporter::new(io::stdout())));
    }
    if settings.reports.any() {
        sinks.push(Box::new(FileReporter::new(
            settings.reports.clone(),
            suite.clone(),
            settings.baseline.clone(),
        )));
    }
    let reporters = Reporters::new(sinks);
    let shown_target = target
        .or_else(|| settings.protocols.endpoint())
        .unwrap_or_default();
    let info = RunInfo {
        target: shown_target,
        embedded_target,
        seed: settings.seed,
        version: env!("CARGO_PKG_VERSION"),
        capabilities: run.capabilities.clone(),
        strict: settings.strict,
    };
    if let Err(error) = reporters.emit(&Event::RunStarted(&info)) {
        eprintln!("error: cannot write the report: {error}");
        return Exit::Invalid;
    }
    let records = Arc::new(Mutex::new(Vec::new()));
    let trials = run
        .planned
        .iter()
        .cloned()
        .map(|planned| {
            trial(
                planned,
                TrialEnv {
                    suite: suite.clone(),
                    context: run.context.clone(),
                    runtime: runtime.handle().clone(),
                    reporters: reporters.clone(),
                    records: records.clone(),
                    strict: settings.strict,
                    baseline: settings.baseline.clone(),
                },
            )
        })
        .collect();
    let conclusion = libtest_mimic::run(&args.test, trials);
    // Cleanup problems are the run's, not the target's verdict: warn, keep the exit code.
    for warning in runtime.block_on(run.clean()) {
        eprintln!("warning: {warning}");
    }
    let mut records = std::mem::take(&mut *records.lock().unwrap_or_else(|p| p.into_inner()));
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
        println!("wrote the baseline {}", path.display());
    }
    // A trial fails exactly when its verdict fails the run; libtest-mimic also counts a
    // trial that panicked, which has no record.
    if summary.failed() || conclusion.has_failed() {
        Exit::Failures
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

/// What every trial shares.
#[derive(Clone)]
struct TrialEnv {
    suite: Arc<Suite>,
    context: Arc<RunContext>,
    runtime: tokio::runtime::Handle,
    reporters: Reporters,
    records: Arc<Mutex<Vec<ScenarioRecord>>>,
    strict: bool,
    baseline: Arc<Baseline>,
}

/// One scenario as a libtest-mimic trial: runs it, applies the verdict policy,
/// tells the reporters, and fails the trial only when the verdict fails the run.
fn trial(planned: PlannedScenario, env: TrialEnv) -> Trial {
    let scenario = planned.scenario;
    let kind = scenario.kind();
    Trial::ignorable_test(scenario.name(), move || {
        let (record, completion) = match planned.skip {
            Some(reason) => (
                ScenarioRecord {
                    requirement_verdicts: verdict::per_requirement(
                        &scenario,
                        Verdict::Skipped,
                        None,
                        env.strict,
                    ),
                    scenario: scenario.clone(),
                    verdict: Verdict::Skipped,
                    skip_reason: Some(reason.clone()),
                    result: None,
                },
                Ok(Completion::ignored_with(reason)),
            ),
            None => {
                let result = env
                    .runtime
                    .block_on(engine::run_scenario(&scenario, &env.context));
                let baselined = env.baseline.matching(&scenario, &result.outcome).is_some();
                let verdict = Verdict::of(&scenario, &result.outcome, env.strict, baselined);
                let completion = if verdict.fails_run() {
                    Err(Failed::from(failure::render(
                        &env.suite,
                        &scenario,
                        &result.outcome,
                    )))
                } else {
                    Ok(Completion::Completed)
                };
                (
                    ScenarioRecord {
                        requirement_verdicts: verdict::per_requirement(
                            &scenario,
                            verdict,
                            Some(&result.outcome),
                            env.strict,
                        ),
                        scenario: scenario.clone(),
                        verdict,
                        skip_reason: None,
                        result: Some(result),
                    },
                    completion,
                )
            }
        };
        // A reporter that cannot write must not turn a verdict into a different one.
        let _ = env.reporters.emit(&Event::ScenarioFinished(&record));
        env.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
        completion
    })
    .with_kind(kind)
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
    let step_timeout = match (args.timeout, &config.timeout) {
        (Some(timeout), _) => timeout,
        (None, Some(text)) => settings::duration("config timeout", text)?,
        (None, None) => DEFAULT_STEP_TIMEOUT,
    };
    let scenario_timeout = match (args.scenario_timeout, &config.scenario_timeout) {
        (Some(timeout), _) => timeout,
        (None, Some(text)) => settings::duration("config scenario_timeout", text)?,
        (None, None) => DEFAULT_SCENARIO_TIMEOUT,
    };
    let tree = match args.specs.as_ref().or(config.specs.as_ref()) {
        Some(dir) => SpecTree::directory(dir),
        None => SpecTree::bundled(),
    };
    let mut add_capabilities = config.capabilities.add.clone();
    add_capabilities.extend(args.add_capabilities.iter().cloned());
    let mut remove_capabilities = config.capabilities.remove.clone();
    remove_capabilities.extend(args.remove_capabilities.iter().cloned());
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
        protocols: protocol::Settings::resolve(
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
