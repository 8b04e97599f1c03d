//! Runs the scenarios of every case (one server each) at once, a bounded number
//! at a time; scenarios that sleep on purpose take no slot.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine;
use crate::engine::outcome::{Failure, FailureKind, Outcome};
use crate::scenario::model::{CutEnd, Step};

use super::Case;

/// How one scenario went.
#[derive(Clone, Debug)]
pub(super) struct Ran {
    pub(super) outcome: Outcome,
    /// It met a 5xx answer.
    pub(super) server_error: bool,
}

/// Runs every planned scenario of every case at once, at most `concurrency`
/// of them busy; returns what each case's scenarios did (`None` for a
/// skipped one), in plan order.
pub(super) async fn execute(cases: &[Case], concurrency: usize) -> Vec<Vec<Option<Ran>>> {
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
pub(super) fn sleeps(steps: &[Step]) -> bool {
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
