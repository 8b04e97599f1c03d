//! The suite checks itself, the way mutation testing measures a test suite:
//! passing against a correct server proves little, catching every wrong one
//! is the point.
//!
//! The bundled reference server can make deliberate mistakes
//! ([`upspec_reference_server::Fault`]). [`run`] starts it in-process once
//! without any (every scenario must pass there, or "caught" would mean
//! nothing) and once per fault, runs the whole suite against each, and
//! decides for every fault whether the suite caught it.
//!
//! A fault is **caught** only when a scenario that cites one of the
//! requirements it violates fails at the level the catalogue gives that
//! requirement ([`catches`]): a MUST row by a MUST scenario failing, a SHOULD
//! or DE-FACTO row by a MUST or SHOULD scenario failing (a warning counts,
//! since the suite reports it). MAY and IMPL rows catch nothing: their
//! scenarios record, never fail, so every fault must violate at least one
//! stronger row ([`FaultCheckError::Uncatchable`]). A scenario that fails
//! without citing the fault's requirements is collateral: it shows the fault
//! did damage, not that the suite knows what the damage is.
//!
//! Everything runs in this process on one runtime: one server per fault on
//! its own port with the memory store, and the scenarios of every server at
//! once, a bounded number at a time. Scenarios that sleep (waiting for an
//! upload to expire) do not take a slot, so the whole check takes about as
//! long as its slowest scenario or its CPU work, whichever is more.

use std::fmt::{self, Write as _};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use upspec_reference_server::{Fault, RunningServer, ServeError, serve};

use crate::assembly::{self, AssemblyError, Inputs};
use crate::embedded;
use crate::engine::outcome::{Failure, FailureKind, Outcome};
use crate::engine::{self, RunContext};
use crate::plan::{self, PlannedScenario};
use crate::runner::filter::Filter;
use crate::scenario::SpecTree;
use crate::scenario::Suite;
use crate::scenario::catalogue::{self, Catalogue};
use crate::scenario::error::LoadErrors;
use crate::scenario::model::{CutEnd, Level, Scenario, Step};

/// Every body is generated from this seed, so a fault run can be replayed
/// byte for byte and `docs/faults.md` is the same on every machine.
pub const SEED: u64 = 0x7570_7370_6563;

/// Scenarios running at once (sleepers aside), over all servers together.
/// Each is a few milliseconds of work; more at once only makes each one
/// slower, and an upload that waits too long between two of its requests
/// would expire (the embedded target expires uploads after 4 s).
pub const DEFAULT_CONCURRENCY: usize = 16;

const STEP_TIMEOUT: Duration = Duration::from_secs(15);
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
pub struct Options {
    /// The faults to inject, each in its own run.
    pub faults: Vec<Fault>,
    /// At most this many scenarios run at once (see [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            faults: Fault::ALL.to_vec(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// What the check found.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    /// Scenarios in the suite.
    pub scenarios: usize,
    /// The run without faults.
    pub clean: CleanRun,
    /// One per fault, in the order asked for.
    pub faults: Vec<FaultResult>,
    pub elapsed: Duration,
}

/// The run against the correct server.
#[derive(Clone, Debug, Default)]
pub struct CleanRun {
    pub passed: usize,
    /// Scenario name and why it was skipped.
    pub skipped: Vec<(String, String)>,
    /// Scenario name and what went wrong: each one makes the check fail.
    pub failed: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct FaultResult {
    pub fault: Fault,
    /// The requirements it violates, with their catalogue levels.
    pub requirements: Vec<(String, Level)>,
    /// The scenarios that caught it: they cite one of `requirements` and
    /// failed at its level. Empty: the fault was missed.
    pub caught_by: Vec<String>,
    /// Other scenarios that failed (collateral damage, or a citing scenario
    /// too weak to count).
    pub also_failed: Vec<String>,
    /// Scenarios that met a 5xx answer: a fault may cause one only when
    /// that is the fault (`unknown-upload-500`).
    pub server_errors: Vec<String>,
}

impl FaultResult {
    pub fn caught(&self) -> bool {
        !self.caught_by.is_empty()
    }
}

impl Report {
    /// Faults caught, and faults run.
    pub fn kill_rate(&self) -> (usize, usize) {
        let caught = self.faults.iter().filter(|f| f.caught()).count();
        (caught, self.faults.len())
    }

    /// The check holds: the clean run passed and every fault was caught.
    pub fn holds(&self) -> bool {
        self.clean.failed.is_empty() && self.faults.iter().all(FaultResult::caught)
    }
}

/// Why the check could not be made at all.
#[derive(Debug)]
pub enum SelfCheckError {
    /// The bundled scenarios or catalogues do not load.
    Suite(LoadErrors),
    /// A fault's requirement list does not fit the catalogues.
    Fault(FaultCheckError),
    /// A reference server did not start.
    Server {
        fault: Option<Fault>,
        source: ServeError,
    },
    /// A run against a reference server could not be assembled: it did not answer
    /// discovery, or a protocol could not open its part (the run's S3 bucket).
    Assembly {
        fault: Option<Fault>,
        source: AssemblyError,
    },
}

/// A fault that no scenario could ever catch, whatever the suite did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCheckError {
    /// It cites a requirement that no catalogue lists.
    UnknownRequirement { fault: Fault, id: String },
    /// It cites only MAY and IMPL requirements, whose scenarios never fail.
    Uncatchable { fault: Fault },
}

impl fmt::Display for FaultCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownRequirement { fault, id } => write!(
                f,
                "fault {fault} violates {id}, which no requirement catalogue lists"
            ),
            Self::Uncatchable { fault } => write!(
                f,
                "fault {fault} violates only MAY or IMPL requirements, whose scenarios never fail: \
                 name a MUST, SHOULD or DE-FACTO requirement it breaks"
            ),
        }
    }
}

impl fmt::Display for SelfCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = |fault: &Option<Fault>| match fault {
            Some(fault) => format!("with fault {fault}"),
            None => "without faults".to_owned(),
        };
        match self {
            Self::Suite(errors) => write!(f, "{errors}"),
            Self::Fault(error) => write!(f, "{error}"),
            Self::Server { fault, source } => write!(
                f,
                "the reference server {} did not start: {source}",
                case(fault)
            ),
            Self::Assembly { fault, source } => {
                write!(f, "the reference server {}: {source}", case(fault))
            }
        }
    }
}

impl std::error::Error for SelfCheckError {}

/// The level a requirement's failed check must count at to catch a fault: a MUST
/// row's at MUST, a SHOULD row's at SHOULD or MUST; MAY and IMPL rows never
/// fail, so they catch nothing.
pub fn catching_level(level: Level) -> Option<Level> {
    match level {
        Level::Must => Some(Level::Must),
        Level::Should => Some(Level::Should),
        Level::May | Level::Impl => None,
    }
}

/// Whether this scenario's outcome catches a fault violating `requirements`: a
/// check of one of them failed at a level strong enough for it. An inconclusive
/// scenario catches nothing, since no check of what it cites was decided; an
/// error counts for the requirements the scenario cites, since the fault broke
/// the exchange that was to check them.
pub fn catches(scenario: &Scenario, outcome: &Outcome, requirements: &[(String, Level)]) -> bool {
    let failed: &[String] = match outcome {
        Outcome::Passed | Outcome::Inconclusive(_) => return false,
        Outcome::Failed(failure) => &failure.requirements,
        Outcome::Errored(_) => &scenario.requirements,
    };
    requirements.iter().any(|(id, level)| {
        failed.contains(id)
            && catching_level(*level).is_some_and(|needed| scenario.level_of(id) <= needed)
    })
}

/// The requirements a fault violates, with their levels from `catalogues`.
pub fn fault_requirements(
    fault: Fault,
    catalogues: &[Catalogue],
) -> Result<Vec<(String, Level)>, FaultCheckError> {
    let requirements = fault
        .requirements()
        .iter()
        .map(|&id| {
            catalogues
                .iter()
                .find_map(|c| c.requirement(id))
                .map(|r| (id.to_owned(), r.level))
                .ok_or_else(|| FaultCheckError::UnknownRequirement {
                    fault,
                    id: id.to_owned(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if requirements
        .iter()
        .all(|(_, level)| catching_level(*level).is_none())
    {
        return Err(FaultCheckError::Uncatchable { fault });
    }
    Ok(requirements)
}

/// Runs the check with the bundled suites.
pub async fn run_bundled(options: &Options) -> Result<Report, SelfCheckError> {
    let tree = SpecTree::bundled();
    let suite = assembly::load(&tree).map_err(SelfCheckError::Suite)?;
    let catalogues = catalogue::load_all(&tree).map_err(SelfCheckError::Suite)?;
    run(&suite, &catalogues, options).await
}

/// One server and the scenarios planned against it.
struct Case {
    fault: Option<Fault>,
    server: RunningServer,
    context: Arc<RunContext>,
    planned: Vec<PlannedScenario>,
}

/// Runs `suite` against the reference server without faults and once per
/// fault of `options`, and decides which faults were caught.
pub async fn run(
    suite: &Suite,
    catalogues: &[Catalogue],
    options: &Options,
) -> Result<Report, SelfCheckError> {
    let started = Instant::now();
    let requirements = options
        .faults
        .iter()
        .map(|&fault| fault_requirements(fault, catalogues))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SelfCheckError::Fault)?;

    let faults = std::iter::once(None).chain(options.faults.iter().copied().map(Some));
    let mut cases = Vec::new();
    for (index, fault) in faults.enumerate() {
        match start(suite, fault, index).await {
            Ok(case) => cases.push(case),
            Err(error) => {
                for case in cases {
                    case.server.shutdown().await;
                }
                return Err(error);
            }
        }
    }
    // Under a fault, only scenarios citing a requirement it violates can catch it,
    // so only they run: running each protocol's whole suite under every fault
    // made this check take minutes.
    for (case, requirements) in cases.iter_mut().skip(1).zip(&requirements) {
        for planned in &mut case.planned {
            let cites = planned
                .scenario
                .requirements
                .iter()
                .any(|id| requirements.iter().any(|(violated, _)| violated == id));
            if !cites && planned.skip.is_none() {
                planned.skip = Some("cites none of the fault's requirements".into());
            }
        }
    }
    let outcomes = execute(&cases, options.concurrency.max(1)).await;
    let mut runs = cases.into_iter().zip(outcomes);
    let (clean_case, clean_outcomes) = runs.next().expect("the clean run is the first case");
    let clean = clean_run(&clean_case.planned, &clean_outcomes);
    clean_case.server.shutdown().await;
    let mut results = Vec::new();
    for ((case, outcomes), requirements) in runs.zip(requirements) {
        let fault = case.fault.expect("every case after the first has a fault");
        results.push(judge(fault, requirements, &case.planned, &outcomes));
        case.server.shutdown().await;
    }
    Ok(Report {
        seed: SEED,
        scenarios: suite.scenarios.len(),
        clean,
        faults: results,
        elapsed: started.elapsed(),
    })
}

/// Starts the embedded target's server with `fault`, asks it what it
/// supports, and plans the suite against it.
async fn start(suite: &Suite, fault: Option<Fault>, index: usize) -> Result<Case, SelfCheckError> {
    let target = embedded::target();
    let mut config = target.config.clone();
    config.faults.extend(fault);
    let server = serve(config)
        .await
        .map_err(|source| SelfCheckError::Server { fault, source })?;
    // Lowercase hex like `upspec run`'s ids: they end up in bucket names, and the
    // S3 suite's patterns for keys expect that form.
    let inputs = Inputs {
        target: Some(server.base_url()),
        filter: Filter::default(),
        headers: Vec::new(),
        vars: target
            .vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
        seed: SEED,
        run_id: format!("5e1fc4ec{index:08x}"),
        step_timeout: STEP_TIMEOUT,
        scenario_timeout: SCENARIO_TIMEOUT,
        max_wait: plan::DEFAULT_MAX_WAIT,
        discovery: true,
        add_capabilities: target.capabilities.clone(),
        remove_capabilities: Vec::new(),
        protocols: embedded::protocol_settings(&server),
    };
    // The server is thrown away after the run, so what its scenarios leave on it
    // needs no cleanup.
    match assembly::assemble(suite, inputs).await {
        Ok(run) => Ok(Case {
            fault,
            server,
            context: run.context,
            planned: run.planned,
        }),
        Err(source) => {
            server.shutdown().await;
            Err(SelfCheckError::Assembly { fault, source })
        }
    }
}

/// How one scenario went.
#[derive(Clone, Debug)]
struct Ran {
    outcome: Outcome,
    /// It met a 5xx answer.
    server_error: bool,
}

/// Runs every planned scenario of every case at once, at most `concurrency`
/// of them busy; returns what each case's scenarios did (`None` for a
/// skipped one), in plan order.
async fn execute(cases: &[Case], concurrency: usize) -> Vec<Vec<Option<Ran>>> {
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for (case_index, case) in cases.iter().enumerate() {
        for (index, planned) in case.planned.iter().enumerate() {
            if planned.skip.is_some() {
                continue;
            }
            let scenario = planned.scenario.clone();
            let context = case.context.clone();
            let slots = (!sleeps(&scenario.steps)).then(|| slots.clone());
            tasks.spawn(async move {
                let _slot = match slots {
                    Some(slots) => Some(slots.acquire_owned().await),
                    None => None,
                };
                let run = AssertUnwindSafe(engine::run_scenario(&scenario, &context));
                let ran = match run.catch_unwind().await {
                    Ok(result) => Ran {
                        server_error: result.transcript.iter().any(|exchange| {
                            exchange.response.as_ref().is_some_and(|r| r.status >= 500)
                        }),
                        outcome: result.outcome,
                    },
                    Err(_) => Ran {
                        outcome: Outcome::Errored(Failure {
                            step: "scenario".into(),
                            span: scenario.span.clone(),
                            kind: FailureKind::Evaluation("the scenario's run panicked".into()),
                            exchange: None,
                            requirements: Vec::new(),
                        }),
                        server_error: false,
                    },
                };
                (case_index, index, ran)
            });
        }
    }
    let mut outcomes: Vec<Vec<Option<Ran>>> = cases
        .iter()
        .map(|case| vec![None; case.planned.len()])
        .collect();
    while let Some(joined) = tasks.join_next().await {
        // Panics are caught inside the task, so a join error is a cancellation,
        // which nothing here asks for.
        if let Ok((case_index, index, ran)) = joined {
            outcomes[case_index][index] = Some(ran);
        }
    }
    outcomes
}

/// Whether the steps pause on purpose (`delay`, or a body that stalls until the
/// server ends the request), anywhere inside: such a scenario mostly waits, and
/// need not hold a slot while it does.
fn sleeps(steps: &[Step]) -> bool {
    steps.iter().any(|step| match step {
        Step::Delay { .. } => true,
        Step::Request(request) => request
            .cut
            .as_ref()
            .is_some_and(|cut| cut.then == CutEnd::Stall),
        Step::Use(use_step) => sleeps(&use_step.definition.steps),
        Step::Parallel(branches) => sleeps(branches),
        Step::Repeat(repeat) => sleeps(&repeat.steps),
    })
}

fn clean_run(planned: &[PlannedScenario], runs: &[Option<Ran>]) -> CleanRun {
    let mut clean = CleanRun::default();
    for (planned, ran) in planned.iter().zip(runs) {
        let name = planned.scenario.name();
        let outcome = ran.as_ref().map(|r| &r.outcome);
        match (&planned.skip, outcome) {
            (Some(reason), _) => clean.skipped.push((name, reason.clone())),
            (
                None,
                Some(
                    Outcome::Failed(failure)
                    | Outcome::Inconclusive(failure)
                    | Outcome::Errored(failure),
                ),
            ) => clean
                .failed
                .push((name, format!("{}: {}", failure.step, failure.kind))),
            (None, Some(Outcome::Passed)) if ran.as_ref().is_some_and(|r| r.server_error) => {
                clean.failed.push((name, "the server answered 5xx".into()));
            }
            (None, Some(Outcome::Passed)) => clean.passed += 1,
            (None, None) => clean.failed.push((name, "did not finish".into())),
        }
    }
    clean
}

fn judge(
    fault: Fault,
    requirements: Vec<(String, Level)>,
    planned: &[PlannedScenario],
    runs: &[Option<Ran>],
) -> FaultResult {
    let mut result = FaultResult {
        fault,
        requirements,
        caught_by: Vec::new(),
        also_failed: Vec::new(),
        server_errors: Vec::new(),
    };
    for (planned, ran) in planned.iter().zip(runs) {
        let Some(ran) = ran else { continue };
        let name = planned.scenario.name();
        if ran.server_error {
            result.server_errors.push(name.clone());
        }
        if matches!(ran.outcome, Outcome::Passed) {
            continue;
        }
        if catches(&planned.scenario, &ran.outcome, &result.requirements) {
            result.caught_by.push(name);
        } else {
            result.also_failed.push(name);
        }
    }
    result
}

/// The report for a terminal: the clean run, one line per fault, the kill
/// rate.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let clean = &report.clean;
    let _ = writeln!(
        out,
        "without faults: {} passed, {} skipped, {} failed",
        clean.passed,
        clean.skipped.len(),
        clean.failed.len()
    );
    for (name, why) in &clean.failed {
        let _ = writeln!(out, "  FAILED {name}: {why}");
    }
    out.push('\n');
    let width = report
        .faults
        .iter()
        .map(|f| f.fault.name().len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "RESULT  {:width$}  VIOLATES → CAUGHT BY", "FAULT");
    for result in &report.faults {
        let ids: Vec<&str> = result
            .requirements
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        let verdict = if result.caught() { "caught" } else { "MISSED" };
        let by = if result.caught() {
            result.caught_by.join(", ")
        } else if result.also_failed.is_empty() {
            "nothing failed".to_owned()
        } else {
            format!("(other failures: {})", result.also_failed.join(", "))
        };
        let _ = writeln!(
            out,
            "{verdict:6}  {:width$}  {} → {by}",
            result.fault.name(),
            ids.join(", ")
        );
        if !result.server_errors.is_empty() {
            let _ = writeln!(
                out,
                "{:6}  {:width$}  answered 5xx in: {}",
                "",
                "",
                result.server_errors.join(", ")
            );
        }
    }
    let (caught, total) = report.kill_rate();
    let _ = writeln!(
        out,
        "\nkill rate: {caught}/{total} faults caught ({}), {} scenarios per run, seed {}, {:.1}s",
        percent(caught, total),
        report.scenarios,
        report.seed,
        report.elapsed.as_secs_f64()
    );
    out
}

/// `docs/faults.md`: the same table, for users, grouped by protocol part.
/// Nothing in it depends on timing, so it is the same on every run.
pub fn render_docs(report: &Report) -> String {
    let (caught, total) = report.kill_rate();
    let mut out = String::new();
    out.push_str(
        "# Faults the suite is proven to catch\n\n\
         <!-- Generated by `upspec faults --write-docs docs/faults.md`. tests/faults.rs fails\n     \
         when this file is stale; `UPSPEC_BLESS=1 cargo test --test faults` rewrites it. -->\n\n\
         A conformance suite is only as good as the deviations it catches. The reference\n\
         server can make deliberate mistakes, each one a deviation that real servers make\n\
         (`upspec serve --fault NAME`, repeatable, or `faults: [NAME, …]` in its config\n\
         file). `upspec faults` runs the bundled suites against it once without faults,\n\
         where every scenario must pass, and once per fault, and reports which faults\n\
         the suites catch, the way mutation testing measures a test suite.\n\n\
         A fault counts as **caught** only when a scenario citing one of the requirements\n\
         it violates fails at the level the catalogue gives that requirement:\n\n\
         | requirement level | caught when |\n\
         |---|---|\n\
         | MUST | a MUST scenario citing it fails |\n\
         | SHOULD, DE-FACTO | a MUST or SHOULD scenario citing it fails (a SHOULD failure warns, and the warning counts) |\n\
         | MAY, IMPL | never: their scenarios record what the server does and never fail, so every fault violates at least one stronger requirement |\n\n\
         Other scenarios would often fail too (a server that drops `Upload-Offset` from\n\
         HEAD breaks many of them), but that shows damage, not that the suite knows what\n\
         went wrong: they do not count, and do not run under a fault.\n\n",
    );
    let _ = writeln!(
        out,
        "**Kill rate: {caught} of {total} faults caught ({}).** The run without faults has \
         all {} scenarios; a fault's run has the scenarios citing a requirement it violates, \
         the only ones that can catch it. Bodies come from seed {}.\n",
        percent(caught, total),
        report.scenarios,
        report.seed
    );
    let mut scope = "";
    for result in &report.faults {
        if result.fault.scope() != scope {
            scope = result.fault.scope();
            let _ = writeln!(
                out,
                "## {scope}\n\n| Fault | What the server does wrong | Violates | Caught by |\n|---|---|---|---|"
            );
        }
        let requirements: Vec<String> = result
            .requirements
            .iter()
            .map(|(id, level)| format!("{id} ({})", level.as_str()))
            .collect();
        let by = if result.caught() {
            let names: Vec<String> = result.caught_by.iter().map(|n| format!("`{n}`")).collect();
            names.join("<br>")
        } else {
            "**missed**".to_owned()
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {by} |",
            result.fault.name(),
            result.fault.summary(),
            requirements.join("<br>")
        );
        let next = report
            .faults
            .iter()
            .skip_while(|r| r.fault != result.fault)
            .nth(1);
        if next.is_none_or(|n| n.fault.scope() != scope) {
            out.push('\n');
        }
    }
    out.push_str(
        "## Not counted as faults\n\n\
         - A checksum mismatch answered 400 instead of 460: the tus text makes 460 a\n  \
         MAY, so `tus::checksum::upload-checksum::mismatch-460` notes it and never fails.\n",
    );
    out
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "n/a".to_owned();
    }
    // Rounded down, so that 100% means every single one.
    format!("{}%", part * 100 / whole)
}
