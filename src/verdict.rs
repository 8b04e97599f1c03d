//! The verdict policy: how an outcome counts, given the scenario's level.
//!
//! MUST failures fail the run; SHOULD failures warn (fail with `--strict`); MAY and
//! IMPL outcomes are recorded and never fail, because there the spec leaves the
//! server free and a harness that failed them would push servers to one reading.

use std::fmt;

use crate::engine::outcome::Outcome;
use crate::scenario::model::Level;

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
    /// A MAY or IMPL scenario that saw a behaviour other than the one it checks for.
    Noted,
    /// A failure that the baseline lists as a known deviation: reported, not failed.
    Known,
    Skipped,
}

impl Verdict {
    /// `baselined`: the baseline lists this scenario (or a requirement it cites).
    pub fn of(level: Level, outcome: &Outcome, strict: bool, baselined: bool) -> Verdict {
        let severity = match outcome {
            Outcome::Passed => return Verdict::Passed,
            Outcome::Failed(_) => Verdict::Failed,
            Outcome::Errored(_) => Verdict::Errored,
        };
        let verdict = match level {
            Level::Must => severity,
            Level::Should if strict => severity,
            Level::Should => Verdict::Warned,
            Level::May | Level::Impl => Verdict::Noted,
        };
        if baselined && verdict.fails_run() {
            Verdict::Known
        } else {
            verdict
        }
    }

    /// Whether this verdict makes the run fail.
    pub fn fails_run(self) -> bool {
        matches!(self, Verdict::Failed | Verdict::Errored)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Errored => "errored",
            Verdict::Warned => "warned",
            Verdict::Noted => "noted",
            Verdict::Known => "known",
            Verdict::Skipped => "skipped",
        }
    }
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

    fn failed() -> Outcome {
        Outcome::Failed(Failure {
            step: "step 1".into(),
            span: SourceSpan {
                file: "x.yaml".into(),
                line: 1,
                column: 1,
            },
            kind: FailureKind::Transport("reset".into()),
            exchange: None,
        })
    }

    #[test]
    fn levels_decide_what_fails_the_run() {
        let of = |level, outcome: &Outcome, strict| Verdict::of(level, outcome, strict, false);
        assert_eq!(of(Level::Must, &failed(), false), Verdict::Failed);
        assert_eq!(of(Level::Should, &failed(), false), Verdict::Warned);
        assert_eq!(of(Level::Should, &failed(), true), Verdict::Failed);
        assert_eq!(of(Level::Impl, &failed(), true), Verdict::Noted);
        assert_eq!(of(Level::May, &failed(), true), Verdict::Noted);
        assert_eq!(of(Level::Must, &Outcome::Passed, false), Verdict::Passed);
        assert!(Verdict::Failed.fails_run() && !Verdict::Warned.fails_run());
    }

    #[test]
    fn the_baseline_turns_only_run_failing_verdicts_into_known() {
        assert_eq!(
            Verdict::of(Level::Must, &failed(), false, true),
            Verdict::Known
        );
        assert_eq!(
            Verdict::of(Level::Should, &failed(), false, true),
            Verdict::Warned
        );
        assert_eq!(
            Verdict::of(Level::Should, &failed(), true, true),
            Verdict::Known
        );
        assert_eq!(
            Verdict::of(Level::Must, &Outcome::Passed, false, true),
            Verdict::Passed
        );
        assert!(!Verdict::Known.fails_run());
    }
}
