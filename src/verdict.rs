//! The verdict policy: how an outcome counts, given the scenario's level.
//!
//! MUST failures fail the run; SHOULD failures warn (fail with `--strict`); MAY and
//! IMPL outcomes are recorded and never fail, because there the spec leaves the
//! server free and a harness that failed them would push servers to one reading.

use std::fmt;

use crate::engine::outcome::Outcome;
use crate::scenario::model::Level;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    Skipped,
}

impl Verdict {
    pub fn of(level: Level, outcome: &Outcome, strict: bool) -> Verdict {
        let severity = match outcome {
            Outcome::Passed => return Verdict::Passed,
            Outcome::Failed(_) => Verdict::Failed,
            Outcome::Errored(_) => Verdict::Errored,
        };
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

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Errored => "errored",
            Verdict::Warned => "warned",
            Verdict::Noted => "noted",
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
        assert_eq!(Verdict::of(Level::Must, &failed(), false), Verdict::Failed);
        assert_eq!(
            Verdict::of(Level::Should, &failed(), false),
            Verdict::Warned
        );
        assert_eq!(Verdict::of(Level::Should, &failed(), true), Verdict::Failed);
        assert_eq!(Verdict::of(Level::Impl, &failed(), true), Verdict::Noted);
        assert_eq!(Verdict::of(Level::May, &failed(), true), Verdict::Noted);
        assert_eq!(
            Verdict::of(Level::Must, &Outcome::Passed, false),
            Verdict::Passed
        );
        assert!(Verdict::Failed.fails_run() && !Verdict::Warned.fails_run());
    }
}
