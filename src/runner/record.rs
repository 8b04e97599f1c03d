//! A finished scenario as the reporters see it: its outcome weighed by the
//! verdict policy and the baseline.

use std::sync::Arc;

use crate::baseline::Baseline;
use crate::engine::outcome::ScenarioResult;
use crate::scenario::model::Scenario;
use crate::verdict::{self, ScenarioRecord, Verdict};

/// The record of a scenario that did not run, with the reason.
pub fn skipped(scenario: Arc<Scenario>, reason: String, strict: bool) -> ScenarioRecord {
    ScenarioRecord {
        requirement_verdicts: verdict::per_requirement(&scenario, Verdict::Skipped, None, strict),
        scenario,
        verdict: Verdict::Skipped,
        skip_reason: Some(reason),
        result: None,
    }
}

/// The record of a scenario that ran.
pub fn ran(
    scenario: Arc<Scenario>,
    result: ScenarioResult,
    strict: bool,
    baseline: &Baseline,
) -> ScenarioRecord {
    let baselined = baseline.matching(&scenario, &result.outcome).is_some();
    let verdict = Verdict::of(&scenario, &result.outcome, strict, baselined);
    ScenarioRecord {
        requirement_verdicts: verdict::per_requirement(
            &scenario,
            verdict,
            Some(&result.outcome),
            strict,
        ),
        scenario,
        verdict,
        skip_reason: None,
        result: Some(result),
    }
}
