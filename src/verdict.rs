//! The verdict policy: how an outcome counts, given the levels of the requirements
//! it speaks for.
//!
//! Verdicts belong to requirements. A failed check fails the requirements it checks,
//! each at its own level (the scenario's, weakened to the catalogue's): MUST
//! failures fail the run; SHOULD failures warn (fail with `--strict`); MAY and IMPL
//! outcomes are recorded and never fail, because there the spec leaves the server
//! free and a harness that failed them would push servers to one reading. A
//! scenario stopped by a set-up step is inconclusive: it decided nothing.

use std::fmt;
use std::sync::Arc;

use crate::engine::outcome::{Outcome, ScenarioResult};
use crate::scenario::model::{Level, Scenario};

/// One scenario's end: its verdict and, unless it was skipped, what it did.
#[derive(Clone, Debug)]
pub struct ScenarioRecord {
    pub scenario: Arc<Scenario>,
    pub verdict: Verdict,
    /// The verdict of each requirement the scenario cites (see [`per_requirement`]).
    pub requirement_verdicts: Vec<(String, Verdict)>,
    pub skip_reason: Option<String>,
    pub result: Option<ScenarioResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    /// A conformance failure that fails the run.
    Failed,
    /// A transport or target problem (refused, reset, timeout) in a scenario whose
    /// level makes it count: fails the run, reported apart from conformance failures.
    Errored,
    /// A SHOULD failure without `--strict`.
    Warned,
    /// A MAY or IMPL check that saw a behaviour other than the one it looks for.
    Noted,
    /// A failure that the baseline lists, observed the same way: reported, not failed.
    Known,
    /// A set-up step or a precondition failed: nothing the scenario cites was
    /// decided. Never fails the run on its own; a run where nothing was decided does.
    Inconclusive,
    Skipped,
}

impl Verdict {
    /// The scenario's verdict. A failure counts at the strongest level among the
    /// requirements its check speaks for; `baselined`: the baseline lists this very
    /// observation.
    pub fn of(scenario: &Scenario, outcome: &Outcome, strict: bool, baselined: bool) -> Verdict {
        let (severity, level) = match outcome {
            Outcome::Passed => return Verdict::Passed,
            Outcome::Inconclusive(_) => return Verdict::Inconclusive,
            Outcome::Failed(failure) => (
                Verdict::Failed,
                scenario.strongest_level(&failure.requirements),
            ),
            // An error stops every check the scenario would have made, so it
            // counts at the strongest level of what the scenario cites, as the
            // version checked reads it.
            Outcome::Errored(_) => (
                Verdict::Errored,
                scenario.strongest_level(&scenario.requirements),
            ),
        };
        let verdict = Verdict::at(level, severity, strict);
        if baselined && verdict.fails_run() {
            Verdict::Known
        } else {
            verdict
        }
    }

    /// How a failure (or error) at `level` counts.
    fn at(level: Level, severity: Verdict, strict: bool) -> Verdict {
        match level {
            Level::Must => severity,
            Level::Should if strict => severity,
            Level::Should => Verdict::Warned,
            Level::May | Level::Impl => Verdict::Noted,
        }
    }

    /// Whether this verdict makes the run fail.
    pub fn fails_run(self) -> bool {
        matches!(self, Verdict::Failed | Verdict::Errored)
    }

    /// Whether a check reached a verdict on the target: something was decided.
    pub fn decided(self) -> bool {
        match self {
            Verdict::Passed
            | Verdict::Failed
            | Verdict::Warned
            | Verdict::Noted
            | Verdict::Known => true,
            Verdict::Errored | Verdict::Inconclusive | Verdict::Skipped => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Errored => "errored",
            Verdict::Warned => "warned",
            Verdict::Noted => "noted",
            Verdict::Known => "known",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Skipped => "skipped",
        }
    }
}

/// The verdict of each requirement the scenario cites, in citing order: a failure
/// belongs to the requirements its check speaks for, each at its own level; the
/// others were not decided by this scenario (it stopped first).
pub fn per_requirement(
    scenario: &Scenario,
    verdict: Verdict,
    outcome: Option<&Outcome>,
    strict: bool,
) -> Vec<(String, Verdict)> {
    scenario
        .requirements
        .iter()
        .map(|id| {
            let own = match outcome {
                Some(Outcome::Failed(failure)) if failure.requirements.contains(id) => {
                    if verdict == Verdict::Known {
                        Verdict::Known
                    } else {
                        Verdict::at(scenario.level_of(id), Verdict::Failed, strict)
                    }
                }
                Some(Outcome::Failed(_)) => Verdict::Inconclusive,
                _ => verdict,
            };
            (id.clone(), own)
        })
        .collect()
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::{Failure, FailureKind};
    use crate::scenario::model::SourceSpan;
    use std::collections::BTreeMap;

    fn scenario(level: Level, requirements: &[(&str, Level)]) -> Scenario {
        Scenario {
            id: "s".into(),
            module: vec!["m".into()],
            title: "t".into(),
            requirements: requirements.iter().map(|(id, _)| id.to_string()).collect(),
            level,
            requirement_levels: requirements
                .iter()
                .map(|(id, level)| (id.to_string(), *level))
                .collect::<BTreeMap<_, _>>(),
            requires: Vec::new(),
            span: SourceSpan {
                file: "x.yaml".into(),
                line: 1,
                column: 1,
            },
            timeout: None,
            waits: None,
            group: None,
            versions: None,
            vars: BTreeMap::new(),
            needs_vars: Vec::new(),
            steps: Vec::new(),
            finally: Vec::new(),
        }
    }

    fn failure(requirements: &[&str]) -> Failure {
        Failure {
            step: "step 1".into(),
            span: SourceSpan {
                file: "x.yaml".into(),
                line: 1,
                column: 1,
            },
            kind: FailureKind::Transport("reset".into()),
            exchange: None,
            requirements: requirements.iter().map(|id| id.to_string()).collect(),
        }
    }

    #[test]
    fn levels_decide_what_fails_the_run() {
        let failed = |level| {
            let scenario = scenario(level, &[("R", level)]);
            move |strict| Verdict::of(&scenario, &Outcome::Failed(failure(&["R"])), strict, false)
        };
        assert_eq!(failed(Level::Must)(false), Verdict::Failed);
        assert_eq!(failed(Level::Should)(false), Verdict::Warned);
        assert_eq!(failed(Level::Should)(true), Verdict::Failed);
        assert_eq!(failed(Level::Impl)(true), Verdict::Noted);
        assert_eq!(failed(Level::May)(true), Verdict::Noted);
        let must = scenario(Level::Must, &[("R", Level::Must)]);
        assert_eq!(
            Verdict::of(&must, &Outcome::Passed, false, false),
            Verdict::Passed
        );
        assert!(Verdict::Failed.fails_run() && !Verdict::Warned.fails_run());
    }

    #[test]
    fn a_failure_counts_at_the_level_of_the_requirement_it_checks() {
        let mixed = scenario(Level::Must, &[("A", Level::Must), ("B", Level::Impl)]);
        let of = |ids: &[&str]| Verdict::of(&mixed, &Outcome::Failed(failure(ids)), false, false);
        assert_eq!(of(&["B"]), Verdict::Noted);
        assert_eq!(of(&["A"]), Verdict::Failed);
        assert_eq!(of(&["A", "B"]), Verdict::Failed);
        let outcome = Outcome::Failed(failure(&["B"]));
        assert_eq!(
            per_requirement(&mixed, Verdict::Noted, Some(&outcome), false),
            vec![
                ("A".to_owned(), Verdict::Inconclusive),
                ("B".to_owned(), Verdict::Noted)
            ]
        );
    }

    #[test]
    fn an_inconclusive_scenario_decides_nothing_and_fails_nothing() {
        let must = scenario(Level::Must, &[("A", Level::Must)]);
        let outcome = Outcome::Inconclusive(failure(&["A"]));
        let verdict = Verdict::of(&must, &outcome, true, false);
        assert_eq!(verdict, Verdict::Inconclusive);
        assert!(!verdict.fails_run() && !verdict.decided());
        assert_eq!(
            per_requirement(&must, verdict, Some(&outcome), true),
            vec![("A".to_owned(), Verdict::Inconclusive)]
        );
    }

    #[test]
    fn the_baseline_turns_only_run_failing_verdicts_into_known() {
        let of = |level, strict| {
            let scenario = scenario(level, &[("R", level)]);
            Verdict::of(&scenario, &Outcome::Failed(failure(&["R"])), strict, true)
        };
        assert_eq!(of(Level::Must, false), Verdict::Known);
        assert_eq!(of(Level::Should, false), Verdict::Warned);
        assert_eq!(of(Level::Should, true), Verdict::Known);
        let must = scenario(Level::Must, &[("R", Level::Must)]);
        assert_eq!(
            Verdict::of(&must, &Outcome::Passed, false, true),
            Verdict::Passed
        );
        assert!(!Verdict::Known.fails_run());
    }
}
