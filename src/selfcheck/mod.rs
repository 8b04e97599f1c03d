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
//! requirement ([`catch::catches`]): a MUST row by a MUST scenario failing, a SHOULD
//! or DE-FACTO row by a MUST or SHOULD scenario failing (a warning counts,
//! since the suite reports it). MAY and IMPL rows catch nothing: their
//! scenarios record, never fail, so every fault must violate at least one
//! stronger row ([`FaultCheckError::Uncatchable`]). A scenario that fails
//! without citing the fault's requirements is collateral: it shows the fault
//! did damage, not that the suite knows what the damage is.
//!
//! Everything runs in this process on one runtime: one server per fault on
//! its own port with the memory store, and the scenarios of every server at
//! once through the runner's execution stage ([`runner::execute_all`]), a
//! bounded number at a time. Scenarios that sleep (waiting for an upload to
//! expire) do not take a slot, so the whole check takes about as long as its
//! slowest scenario or its CPU work, whichever is more. What is the self-check's
//! own stays here: which scenarios run under which fault ([`run`]) and what
//! catches a fault ([`catch`]).

pub mod catch;
pub mod render;

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use upspec_reference_server::{Fault, RunningServer, ServeError, serve};

use crate::assembly::{self, AssemblyError, Inputs, Pin, Versions};
use crate::baseline::Baseline;
use crate::embedded;
use crate::plan;
use crate::protocol;
use crate::report::Reporters;
use crate::runner::{self, Run, Shared, filter::Filter};
use crate::scenario::SpecTree;
use crate::scenario::Suite;
use crate::scenario::catalogue::{self, Catalogue};
use crate::scenario::error::LoadErrors;
use crate::scenario::model::Level;

use self::catch::{clean_run, fault_requirements, judge};

/// Every body is generated from this seed, so a fault run can be replayed
/// byte for byte and `docs/faults.md` is the same on every machine.
pub const SEED: u64 = 0x7570_7370_6563;

/// Scenarios running at once (sleepers aside), over all servers together.
/// Each is a few milliseconds of work; more at once only makes each one
/// slower, and an upload that waits too long between two of its requests
/// would expire (the embedded target expires uploads 1 to 2 s after their last write).
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

    /// Adds what another case of the same fault showed (another version).
    fn merge(&mut self, other: FaultResult) {
        self.caught_by.extend(other.caught_by);
        self.also_failed.extend(other.also_failed);
        self.server_errors.extend(other.server_errors);
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
    run: Run,
    /// The suite as the case's versions read it: the levels its faults count at.
    suite: Arc<Suite>,
}

/// The cases without faults: one at every protocol's newest version, and one per
/// older version of each versioned protocol, so every scenario runs at every
/// version it applies to.
fn clean_pins(suite: &Suite) -> Vec<Option<Pin>> {
    std::iter::once(None)
        .chain(Pin::older_versions(suite).into_iter().map(Some))
        .collect()
}

/// The cases of a fault: each version of its protocol at which one of its
/// requirements exists at a level that can catch it, or the one unpinned case
/// for a protocol without versions.
fn fault_pins(fault: Fault, catalogues: &[Catalogue]) -> Vec<Option<Pin>> {
    let Some(catalogue) = catalogues
        .iter()
        .find(|c| {
            fault
                .requirements()
                .iter()
                .any(|id| c.requirement(id).is_some())
        })
        .filter(|c| !c.versions.is_empty())
    else {
        return vec![None];
    };
    catalogue
        .versions
        .iter()
        .filter(|version| {
            fault.requirements().iter().any(|id| {
                catalogue
                    .requirement(id)
                    .and_then(|row| row.at(version))
                    .is_some_and(|row| catch::catching_level(row.level).is_some())
            })
        })
        .map(|version| {
            Some(Pin {
                protocol: catalogue.protocol.clone(),
                version: version.clone(),
            })
        })
        .collect()
}

/// Runs `suite` against the reference server without faults and once per
/// fault of `options` (per version, for a versioned protocol's faults), and
/// decides which faults were caught.
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

    let clean = clean_pins(suite).into_iter().map(|pin| (None, pin));
    let faulty = options.faults.iter().flat_map(|&fault| {
        fault_pins(fault, catalogues)
            .into_iter()
            .map(move |pin| (Some(fault), pin))
    });
    let mut cases = Vec::new();
    for (index, (fault, pin)) in clean.chain(faulty).enumerate() {
        match start(suite, fault, pin, index).await {
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
    for case in cases.iter_mut() {
        let Some(fault) = case.fault else { continue };
        for planned in &mut case.run.planned {
            let cites = planned
                .scenario
                .requirements
                .iter()
                .any(|id| fault.requirements().contains(&id.as_str()));
            if !cites && planned.skip.is_none() {
                planned.skip = Some("cites none of the fault's requirements".into());
            }
        }
    }
    let (cases, runs): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .map(|case| ((case.fault, case.server, case.suite), case.run))
        .unzip();
    let executed =
        runner::execute_all(runs, &runner_options(options), &Reporters::new(Vec::new())).await;
    let mut clean_records = Vec::new();
    let mut results: Vec<FaultResult> = Vec::new();
    for ((fault, server, case_suite), executed) in cases.into_iter().zip(executed) {
        server.shutdown().await;
        let records = executed.records;
        let Some(fault) = fault else {
            clean_records.extend(records);
            continue;
        };
        let at_version: Vec<(String, Level)> = fault
            .requirements()
            .iter()
            .filter_map(|&id| Some((id.to_owned(), case_suite.requirement(id)?.level)))
            .collect();
        let judged = judge(fault, at_version, &records);
        match results.last_mut().filter(|last| last.fault == fault) {
            Some(last) => last.merge(judged),
            None => results.push(judged),
        }
    }
    for (result, requirements) in results.iter_mut().zip(requirements) {
        result.requirements = requirements;
    }
    Ok(Report {
        seed: SEED,
        scenarios: suite.scenarios.len(),
        clean: clean_run(&clean_records),
        faults: results,
        elapsed: started.elapsed(),
    })
}

/// How the runner's execution stage runs the cases: all at once, sleepers
/// outside the slots, nothing reported while it runs and no run stopped early
/// (a server that stops answering under a fault is for the verdicts to show).
fn runner_options(options: &Options) -> runner::Options {
    runner::Options {
        concurrency: NonZeroUsize::new(options.concurrency).unwrap_or(NonZeroUsize::MIN),
        pauses_outside_slots: true,
        slow_after: Duration::ZERO,
        max_connection_errors: 0,
        strict: false,
    }
}

/// Starts the embedded target's server with `fault`, asks it what it
/// supports, and plans the suite against it.
async fn start(
    suite: &Suite,
    fault: Option<Fault>,
    pin: Option<Pin>,
    index: usize,
) -> Result<Case, SelfCheckError> {
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
        protocols: embedded::protocol_settings(&server, protocol::Settings::default()),
        versions: Versions::Every { pin },
    };
    // The server is thrown away after the run, so what its scenarios leave on it
    // needs no cleanup.
    match assembly::assemble(suite, inputs).await {
        Ok(run) => {
            let planned = run.planned;
            Ok(Case {
                fault,
                server,
                suite: run.suite,
                run: Run {
                    planned,
                    shared: Shared {
                        context: run.context,
                        baseline: Arc::new(Baseline::default()),
                    },
                },
            })
        }
        Err(source) => {
            server.shutdown().await;
            Err(SelfCheckError::Assembly { fault, source })
        }
    }
}
