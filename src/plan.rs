//! Decides, before anything runs, which scenarios run and why the others are skipped.
//!
//! A skip always carries its reason (the capability the target did not advertise,
//! the variable nobody gave), because a silent skip reads as a pass.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::outcome::humanize;
use crate::protocol::{self, Capabilities, Protocol};
use crate::scenario::Suite;
use crate::scenario::model::Scenario;
use crate::scenario::units;

/// The longest deliberate wait a scenario may make unless `--max-wait` allows more:
/// enough for short expiry and idle timeouts, far below a server's usual day.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

/// A protocol the target does not speak: every scenario of it is skipped for
/// that one reason, so reports show one line for it instead of one per scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LackingProtocol {
    pub name: &'static str,
    /// Its scenarios in the run, all skipped.
    pub scenarios: usize,
    /// The flag that points a run at a target speaking it.
    pub enabled_by: &'static str,
}

impl LackingProtocol {
    /// Whether `scenario` belongs to this protocol.
    pub fn covers(&self, scenario: &Scenario) -> bool {
        protocol_of(scenario).is_some_and(|protocol| protocol.name() == self.name)
    }
}

/// The protocols of the planned scenarios that the target lacks.
pub fn lacking_protocols(
    planned: &[PlannedScenario],
    capabilities: &Capabilities,
) -> Vec<LackingProtocol> {
    let mut lacking: Vec<LackingProtocol> = Vec::new();
    for planned in planned {
        let Some(protocol) = protocol_of(&planned.scenario) else {
            continue;
        };
        let name = protocol.name();
        if capabilities.offers(name) {
            continue;
        }
        match lacking.iter_mut().find(|l| l.name == name) {
            Some(protocol) => protocol.scenarios += 1,
            None => lacking.push(LackingProtocol {
                name,
                scenarios: 1,
                enabled_by: protocol.enabled_by(),
            }),
        }
    }
    lacking
}

/// The protocol a scenario belongs to: the one its top-level spec directory names,
/// so its scenarios need the target to speak it without each file saying so.
fn protocol_of(scenario: &Scenario) -> Option<&'static dyn Protocol> {
    let root = scenario.module.first()?;
    protocol::ALL
        .iter()
        .copied()
        .find(|protocol| protocol.name() == root.as_str())
}

#[derive(Clone, Debug)]
pub struct PlannedScenario {
    pub scenario: Arc<Scenario>,
    pub skip: Option<String>,
}

/// Pairs every scenario with its skip reason, if any.
pub fn plan(
    suite: &Suite,
    capabilities: &Capabilities,
    variables: &BTreeMap<String, String>,
    max_wait: Duration,
) -> Vec<PlannedScenario> {
    suite
        .scenarios
        .iter()
        .map(|scenario| PlannedScenario {
            skip: skip_reason(scenario, capabilities, variables)
                .or_else(|| too_long(scenario, variables, max_wait)),
            scenario: scenario.clone(),
        })
        .collect()
}

/// The skip reason of a scenario whose deliberate wait exceeds `max_wait`.
fn too_long(
    scenario: &Scenario,
    variables: &BTreeMap<String, String>,
    max_wait: Duration,
) -> Option<String> {
    let defaults: BTreeMap<&str, String> = scenario
        .vars
        .iter()
        .filter_map(|(name, default)| Some((name.as_str(), default.as_ref()?.as_literal()?)))
        .collect();
    let lookup = |name: &str| {
        variables
            .get(name)
            .or_else(|| defaults.get(name))
            .map(String::as_str)
    };
    let waits = scenario.waits.as_ref()?.render(lookup).ok()?;
    let waits = units::parse_duration(&waits).ok()?;
    (waits > max_wait).then(|| {
        format!(
            "waits {} on purpose, more than --max-wait {}",
            humanize(waits),
            humanize(max_wait)
        )
    })
}

/// `a`, `b` as "`a`, `b`".
fn backquoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn skip_reason(
    scenario: &Scenario,
    capabilities: &Capabilities,
    variables: &BTreeMap<String, String>,
) -> Option<String> {
    let required = |negated: bool| {
        scenario
            .requires
            .iter()
            .filter(move |capability| capability.negated == negated)
            .map(|capability| capability.name.as_str())
    };
    let protocol = protocol_of(scenario).map(|protocol| protocol.name());
    let missing: Vec<&str> = protocol
        .into_iter()
        .chain(required(false))
        .filter(|name| !capabilities.offers(name))
        .collect();
    if !missing.is_empty() {
        return Some(format!("target does not support {}", backquoted(&missing)));
    }
    if let (Some(protocol), Some(versions)) = (protocol, &scenario.versions)
        && let Some(checked) = capabilities.versions.get(protocol)
        && !versions.contains(checked)
    {
        return Some(format!(
            "applies to {protocol} version {} only; this run checks version {checked}",
            versions.join(", ")
        ));
    }
    let present: Vec<&str> = required(true)
        .filter(|name| capabilities.offers(name))
        .collect();
    if !present.is_empty() {
        return Some(format!(
            "target supports {} (the scenario checks a target without it)",
            backquoted(&present)
        ));
    }
    let unset: Vec<&str> = scenario
        .needs_vars
        .iter()
        .map(String::as_str)
        .filter(|name| !variables.contains_key(*name))
        .collect();
    if !unset.is_empty() {
        return Some(format!(
            "needs {}",
            unset
                .iter()
                .map(|v| format!("--var {v}=…"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assembly::load;
    use crate::scenario::SpecTree;

    fn suite() -> Suite {
        let yaml = r#"
vars: { max_size: ~ }
scenarios:
  - id: core
    title: needs only tus
    level: MUST
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
  - id: ext
    title: needs termination
    level: MUST
    requires: [termination]
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
  - id: without-termination
    title: needs a target that lacks termination
    level: IMPL
    requires: ["!termination"]
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
  - id: sized
    title: needs a configured maximum
    level: MUST
    steps: [ { request: { method: POST, url: "{{target}}", headers: { Upload-Length: "{{max_size}}" } } } ]
  - id: waits-for-expiry
    title: waits as long as the server's expiry
    level: MUST
    vars: { expiry: ~ }
    waits: "{{expiry + 2}}s"
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
"#;
        load(&SpecTree::in_memory([("tus/core/x.yaml", yaml)])).unwrap()
    }

    fn reasons(caps: &[&str], vars: &[(&str, &str)]) -> Vec<Option<String>> {
        let capabilities = Capabilities {
            names: caps.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        };
        let variables = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        plan(&suite(), &capabilities, &variables, DEFAULT_MAX_WAIT)
            .into_iter()
            .map(|p| p.skip)
            .collect()
    }

    #[test]
    fn a_target_without_the_protocol_skips_everything_with_the_reason() {
        let all = reasons(&[], &[("max_size", "10")]);
        assert!(
            all.iter()
                .all(|r| r.as_deref() == Some("target does not support `tus`")
                    || r.as_deref() == Some("target does not support `tus`, `termination`"))
        );
    }

    #[test]
    fn unmet_extensions_and_unset_variables_skip() {
        assert_eq!(
            reasons(&["tus"], &[]),
            [
                None,
                Some("target does not support `termination`".into()),
                None,
                Some("needs --var max_size=…".into()),
                Some("needs --var expiry=…".into())
            ]
        );
        assert_eq!(
            reasons(
                &["tus", "termination"],
                &[("max_size", "10"), ("expiry", "4")]
            ),
            [
                None,
                None,
                Some(
                    "target supports `termination` (the scenario checks a target without it)"
                        .into()
                ),
                None,
                None
            ]
        );
    }

    #[test]
    fn a_scenario_for_other_versions_skips_with_the_reason() {
        let catalogue = r#"
protocol: ietf
versions: ["8", "9"]
requirements:
  - { id: X-A, section: "1", level: IMPL, text: "a" }
"#;
        let scenarios = r#"
scenarios:
  - id: any
    title: every version
    requirements: [X-A]
    level: IMPL
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
  - id: old
    title: version 8 only
    requirements: [X-A]
    level: IMPL
    versions: ["8"]
    steps: [ { request: { method: OPTIONS, url: "{{target}}" } } ]
"#;
        let suite = load(&SpecTree::in_memory([
            ("ietf/requirements.yaml", catalogue),
            ("ietf/x.yaml", scenarios),
        ]))
        .unwrap();
        let skips = |version: &str| {
            let capabilities = Capabilities {
                names: ["ietf".to_owned()].into(),
                versions: [("ietf".to_owned(), version.to_owned())].into(),
                ..Default::default()
            };
            plan(&suite, &capabilities, &BTreeMap::new(), DEFAULT_MAX_WAIT)
                .into_iter()
                .map(|p| p.skip)
                .collect::<Vec<_>>()
        };
        assert_eq!(skips("8"), [None, None]);
        assert_eq!(
            skips("9"),
            [
                None,
                Some("applies to ietf version 8 only; this run checks version 9".into())
            ]
        );
    }

    #[test]
    fn a_wait_longer_than_the_bound_skips_with_the_reason() {
        assert_eq!(
            reasons(&["tus"], &[("max_size", "10"), ("expiry", "86400")])[4],
            Some("waits 86402.0s on purpose, more than --max-wait 60.0s".into())
        );
    }
}
