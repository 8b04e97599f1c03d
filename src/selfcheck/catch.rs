//! What counts as catching a fault: a failed check of a requirement the fault
//! violates, at the level its catalogue gives it; and the clean run's verdict.

use upspec_reference_server::Fault;

use crate::engine::outcome::{Outcome, ScenarioResult};
use crate::scenario::catalogue::Catalogue;
use crate::scenario::model::{Level, Scenario};
use crate::verdict::ScenarioRecord;

use super::{CleanRun, FaultCheckError, FaultResult};

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

/// The requirements a fault violates, with their levels from `catalogues` (the
/// strongest over a versioned protocol's versions).
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
                .find_map(|c| Some((c, c.requirement(id)?)))
                .map(|(catalogue, row)| {
                    // A fault can be caught at the version that holds the row most strictly.
                    let level = row.strongest_in(&catalogue.versions).unwrap_or(row.level);
                    (id.to_owned(), level)
                })
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

/// Whether the scenario met a 5xx answer.
fn server_error(result: &ScenarioResult) -> bool {
    result
        .transcript
        .iter()
        .any(|exchange| exchange.response.as_ref().is_some_and(|r| r.status >= 500))
}

/// The clean run's verdict: every scenario that ran must pass without a 5xx.
pub(super) fn clean_run(records: &[ScenarioRecord]) -> CleanRun {
    let mut clean = CleanRun::default();
    for record in records {
        let name = record.scenario.name();
        match (&record.result, &record.skip_reason) {
            (None, Some(reason)) => clean.skipped.push((name, reason.clone())),
            (None, None) => clean.failed.push((name, "did not run".into())),
            (Some(result), _) => match &result.outcome {
                Outcome::Failed(failure)
                | Outcome::Inconclusive(failure)
                | Outcome::Errored(failure) => clean
                    .failed
                    .push((name, format!("{}: {}", failure.step, failure.kind))),
                Outcome::Passed if server_error(result) => {
                    clean.failed.push((name, "the server answered 5xx".into()));
                }
                Outcome::Passed => clean.passed += 1,
            },
        }
    }
    clean
}

/// What a fault's run shows: which scenarios caught it, which failed otherwise,
/// which met a 5xx answer.
pub(super) fn judge(
    fault: Fault,
    requirements: Vec<(String, Level)>,
    records: &[ScenarioRecord],
) -> FaultResult {
    let mut result = FaultResult {
        fault,
        requirements,
        caught_by: Vec::new(),
        also_failed: Vec::new(),
        server_errors: Vec::new(),
    };
    for record in records {
        let Some(ran) = &record.result else { continue };
        let name = record.scenario.name();
        if server_error(ran) {
            result.server_errors.push(name.clone());
        }
        if matches!(ran.outcome, Outcome::Passed) {
            continue;
        }
        if catches(&record.scenario, &ran.outcome, &result.requirements) {
            result.caught_by.push(name);
        } else {
            result.also_failed.push(name);
        }
    }
    result
}
