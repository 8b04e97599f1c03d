//! Telling a dead target from a failing one: a target that stopped answering
//! makes every remaining scenario wait for its timeouts (a silent target took
//! 135 s for `tus::core`), so after a number of scenarios in a row that got no
//! response at all, the run stops and says why.

use crate::engine::outcome::{FailureKind, ScenarioResult};

/// Counts scenarios in a row that ended on a connection-level error.
#[derive(Debug)]
pub struct ConnectionWatch {
    /// Stop after this many in a row; 0 never stops.
    limit: usize,
    in_a_row: usize,
}

impl ConnectionWatch {
    pub fn new(limit: usize) -> Self {
        ConnectionWatch { limit, in_a_row: 0 }
    }

    /// Takes one finished scenario into account; true once the target looks dead.
    pub fn observe(&mut self, result: &ScenarioResult) -> bool {
        if lost_connection(result) {
            self.in_a_row += 1;
        } else {
            self.in_a_row = 0;
        }
        self.limit > 0 && self.in_a_row >= self.limit
    }

    /// How many scenarios in a row got no response.
    pub fn in_a_row(&self) -> usize {
        self.in_a_row
    }
}

/// Whether the scenario stopped on a refused, reset or unanswered request
/// without the target having answered any of its requests.
fn lost_connection(result: &ScenarioResult) -> bool {
    let Some(failure) = result.outcome.failure() else {
        return false;
    };
    let connection_level = match failure.kind {
        FailureKind::Transport(_) | FailureKind::Timeout(_) => true,
        FailureKind::Expectation { .. }
        | FailureKind::Framing(_)
        | FailureKind::TooLarge { .. }
        | FailureKind::Evaluation(_) => false,
    };
    connection_level
        && result
            .transcript
            .iter()
            .all(|exchange| exchange.response.is_none())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ConnectionWatch;
    use crate::engine::outcome::{Failure, FailureKind, Outcome, ScenarioResult};
    use crate::scenario::model::SourceSpan;

    fn result(outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            outcome,
            transcript: Vec::new(),
            cleanup_problems: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    fn refused() -> ScenarioResult {
        result(Outcome::Errored(Failure {
            step: "step 1".into(),
            span: SourceSpan {
                file: "x.yaml".into(),
                line: 1,
                column: 1,
            },
            kind: FailureKind::Transport("connection refused".into()),
            exchange: None,
            requirements: Vec::new(),
        }))
    }

    #[test]
    fn stops_after_the_limit_in_a_row_and_an_answer_resets_the_count() {
        let mut watch = ConnectionWatch::new(3);
        assert!(!watch.observe(&refused()));
        assert!(!watch.observe(&refused()));
        assert!(!watch.observe(&result(Outcome::Passed)));
        assert!(!watch.observe(&refused()));
        assert!(!watch.observe(&refused()));
        assert!(watch.observe(&refused()));
        assert_eq!(watch.in_a_row(), 3);
    }

    #[test]
    fn zero_never_stops() {
        let mut watch = ConnectionWatch::new(0);
        assert!((0..10).all(|_| !watch.observe(&refused())));
    }
}
