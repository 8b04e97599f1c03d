//! One place assembles a run, for every command that runs scenarios (`upspec run`
//! and the self-check behind `upspec faults`): the protocols describe the target,
//! the overrides apply, the scenarios are planned, the protocols open their
//! sessions, the built-in variables are set, and the result is the [`RunContext`]
//! the engine executes the planned scenarios in.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::outcome::Secrets;
use crate::engine::session::Sessions;
use crate::engine::{self, RunContext};
use crate::plan::{self, PlannedScenario};
use crate::protocol::{self, Capabilities, DiscoveryError, RunSession, Setup};
use crate::runner::filter::Filter;
use crate::scenario::capability::Capability;
use crate::scenario::error::LoadErrors;
use crate::scenario::model::Scenario;
use crate::scenario::{self, SpecTree, Suite};

/// Loads `tree` with what every protocol adds to the scenario language.
pub fn load(tree: &SpecTree) -> Result<Suite, LoadErrors> {
    scenario::load(tree, &protocol::extensions())
}

/// What a run is assembled from: the resolved settings of the command.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// `--target`: scenarios' `{{target}}`, and what discovery asks.
    pub target: Option<String>,
    /// Which scenarios the run selects by name; the others are not planned at all.
    pub filter: Filter,
    pub headers: Vec<(String, String)>,
    /// The user's variables (`--var`, environment, config file).
    pub vars: BTreeMap<String, String>,
    pub seed: u64,
    pub run_id: String,
    pub step_timeout: Duration,
    pub scenario_timeout: Duration,
    pub max_wait: Duration,
    pub discovery: bool,
    /// `--capability` and `--no-capability`, which win over what was discovered.
    pub add_capabilities: Vec<Capability>,
    pub remove_capabilities: Vec<Capability>,
    pub protocols: protocol::Settings,
    pub versions: Versions,
}

/// Which version of each versioned protocol a run checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Versions {
    /// The one discovered or set; scenarios for other versions are skipped, with
    /// the reason.
    One,
    /// The run is one of a set that checks every version (the embedded run, the
    /// self-check): the newest (`pin: None`), or the older one pinned, with that
    /// protocol's scenarios alone; either way only the scenarios that apply to
    /// the version checked.
    Every { pin: Option<Pin> },
}

/// A run ready to execute.
pub struct Assembled {
    /// The suite as the run reads it: each versioned protocol at the version the
    /// run checks (see [`Suite::at`]); reports quote its requirements.
    pub suite: Arc<Suite>,
    /// What the target offers, as discovered, described and overridden.
    pub capabilities: Capabilities,
    /// Every scenario with its skip reason, if any.
    pub planned: Vec<PlannedScenario>,
    pub context: Arc<RunContext>,
    sessions: Vec<Arc<dyn RunSession>>,
    /// Asks the target during assembly and cleans up after the run; scenarios
    /// have clients of their own.
    client: reqwest::Client,
}

/// Why a run could not be assembled: the target could not be asked, or a
/// protocol could not open its part (S3: the run's bucket).
#[derive(Debug)]
pub enum AssemblyError {
    Discovery(DiscoveryError),
    Session(String),
    /// A version was set (or found) that the protocol's catalogue does not know.
    UnknownVersion {
        protocol: &'static str,
        version: String,
        known: Vec<String>,
    },
}

impl fmt::Display for AssemblyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssemblyError::Discovery(error) => write!(f, "{error}"),
            AssemblyError::Session(reason) => f.write_str(reason),
            AssemblyError::UnknownVersion {
                protocol,
                version,
                known,
            } => write!(
                f,
                "{protocol} version {version} is not one the suite checks (it knows {})",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for AssemblyError {}

/// Discovers, plans and opens a run of `suite` as `inputs` say.
pub async fn assemble(suite: &Suite, inputs: Inputs) -> Result<Assembled, AssemblyError> {
    let client = engine::http_client();
    let setup = Setup {
        client: &client,
        target: inputs.target.as_deref(),
        headers: &inputs.headers,
        timeout: inputs.step_timeout,
        discovery: inputs.discovery,
        settings: &inputs.protocols,
        run_id: &inputs.run_id,
        suite,
    };
    let mut capabilities = Capabilities::default();
    for protocol in protocol::ALL {
        protocol
            .discover(&setup, &mut capabilities)
            .await
            .map_err(AssemblyError::Discovery)?;
    }
    capabilities.settle_assumed();
    capabilities.override_with(&inputs.add_capabilities, &inputs.remove_capabilities);
    let pin = match &inputs.versions {
        Versions::Every { pin } => pin.as_ref(),
        Versions::One => None,
    };
    if let Some(pin) = pin {
        capabilities
            .versions
            .insert(pin.protocol.clone(), pin.version.clone());
    }
    settle_versions(suite, &mut capabilities)?;
    // What discovery settled is a default: a user's variable of the same name wins.
    let mut vars = inputs.vars.clone();
    for (name, value) in &capabilities.variables {
        vars.entry(name.clone()).or_insert_with(|| value.clone());
    }
    let suite = Arc::new(suite.at(&capabilities.versions));
    let mut planned = plan::plan(&suite, &capabilities, &vars, inputs.max_wait);
    planned.retain(|planned| inputs.filter.selects(&planned.scenario.name()));
    if let Versions::Every { pin } = &inputs.versions {
        narrow_to(&mut planned, &suite, &capabilities, pin.as_ref());
    }
    let mut variables = vars;
    if let Some(target) = &inputs.target {
        variables.insert("target".into(), target.clone());
    }
    variables.insert("seed".into(), inputs.seed.to_string());
    variables.insert("run_id".into(), inputs.run_id.clone());
    let running: Vec<&Scenario> = planned
        .iter()
        .filter(|planned| planned.skip.is_none())
        .map(|planned| &*planned.scenario)
        .collect();
    let mut sessions = Vec::new();
    for protocol in protocol::ALL {
        let opened = protocol
            .open(&setup, &running, &mut variables, &mut capabilities)
            .await
            .map_err(AssemblyError::Session)?;
        sessions.extend(opened);
    }
    let context = Arc::new(RunContext {
        variables,
        headers: inputs.headers.clone(),
        seed: inputs.seed,
        step_timeout: inputs.step_timeout,
        scenario_timeout: inputs.scenario_timeout,
        sessions: Sessions(sessions.iter().map(|s| s.clone() as _).collect()),
        size_variables: protocol::ALL
            .iter()
            .flat_map(|protocol| protocol.size_variables())
            .copied()
            .collect(),
        secrets: protocol::ALL
            .iter()
            .fold(Secrets::default(), |mut secrets, protocol| {
                secrets.add(protocol.secret_headers(), protocol.secret_parameters());
                secrets
            }),
    });
    Ok(Assembled {
        suite,
        capabilities,
        planned,
        context,
        sessions,
        client,
    })
}

/// An older version of a versioned protocol, checked in a run of that protocol's
/// scenarios alone: the embedded run and the self-check check every version of
/// the reference server this way, besides the newest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub protocol: String,
    pub version: String,
}

impl Pin {
    /// Every version but the newest of every versioned protocol of `suite`.
    pub fn older_versions(suite: &Suite) -> Vec<Pin> {
        suite
            .catalogues
            .iter()
            .flat_map(|catalogue| {
                let older = catalogue.versions.split_last().map_or(&[][..], |(_, o)| o);
                older.iter().map(|version| Pin {
                    protocol: catalogue.protocol.clone(),
                    version: version.clone(),
                })
            })
            .collect()
    }
}

/// Every versioned protocol the run checks gets a version the suite knows: the one
/// discovered or set, or the newest where `--capability` alone asked for it.
fn settle_versions(suite: &Suite, capabilities: &mut Capabilities) -> Result<(), AssemblyError> {
    for protocol in protocol::names() {
        let known = suite.versions(protocol);
        let Some(newest) = known.last() else {
            continue;
        };
        match capabilities.versions.get(protocol) {
            Some(version) if !known.contains(version) => {
                return Err(AssemblyError::UnknownVersion {
                    protocol,
                    version: version.clone(),
                    known: known.to_vec(),
                });
            }
            Some(_) => {}
            None if capabilities.offers(protocol) => {
                capabilities
                    .versions
                    .insert(protocol.to_owned(), newest.clone());
            }
            None => {}
        }
    }
    Ok(())
}

/// Narrows a run that is one of a set checking every version to what it checks:
/// under `pin`, that protocol's scenarios alone, named with the version
/// (`ietf::creation::empty-creation [ietf 8]`); in any of these runs, only the
/// scenarios that apply to the version their protocol is checked at (the others
/// run in their version's run).
fn narrow_to(
    planned: &mut Vec<PlannedScenario>,
    suite: &Suite,
    capabilities: &Capabilities,
    pin: Option<&Pin>,
) {
    planned.retain_mut(|planned| {
        let protocol = scenario::catalogue::for_module(&suite.catalogues, &planned.scenario.module)
            .map(|catalogue| catalogue.protocol.as_str());
        if pin.is_some_and(|pin| protocol != Some(pin.protocol.as_str())) {
            return false;
        }
        let other_version = match (protocol, &planned.scenario.versions) {
            (Some(protocol), Some(applies)) => capabilities
                .versions
                .get(protocol)
                .is_some_and(|checked| !applies.contains(checked)),
            (None, _) | (_, None) => false,
        };
        if other_version {
            return false;
        }
        if let Some(pin) = pin {
            let id = format!("{} [{} {}]", planned.scenario.id, pin.protocol, pin.version);
            planned.scenario = Arc::new(Scenario {
                id,
                ..(*planned.scenario).clone()
            });
        }
        true
    });
}

impl Assembled {
    /// Removes what the run left on the target, protocol by protocol; returns the
    /// problems met, which are the run's, not the target's verdict.
    pub async fn clean(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for session in &self.sessions {
            problems.extend(session.clean(&self.client, self.context.step_timeout).await);
        }
        problems
    }
}
