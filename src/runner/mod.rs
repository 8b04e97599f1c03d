//! The execution stage: runs the planned scenarios a bounded number at a time on
//! the async runtime, and tells the reporters as each one ends or runs long.
//!
//! Scenarios start in plan order as slots free up, those that wait on purpose
//! (`waits:`) first, so that their waits overlap the rest of the run; one slot
//! (`--test-threads 1`) therefore runs them one after another in a stable order.
//! The slots are the one place that decides what may run at once: how many
//! ([`DEFAULT_CONCURRENCY`] unless told), and which scenarios must not overlap
//! (those naming the same `group:`), live in [`Slots`] and nowhere else.

pub mod connection;
pub mod filter;
mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::baseline::Baseline;
use crate::engine::outcome::{Failure, FailureKind, Outcome, ScenarioResult};
use crate::engine::{self, RunContext};
use crate::plan::PlannedScenario;
use crate::report::{Event, Reporters, ScenarioRecord};
use crate::scenario::model::Scenario;
use connection::ConnectionWatch;

/// How the stage runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// At most this many scenarios run at once.
    pub concurrency: NonZeroUsize,
    /// A scenario still running after this long (and each further period) is reported slow.
    pub slow_after: Duration,
    /// Stop after this many scenarios in a row got no response; 0 never stops.
    pub max_connection_errors: usize,
    /// SHOULD failures fail the run.
    pub strict: bool,
}

/// What every scenario of the run shares.
#[derive(Clone)]
pub struct Shared {
    pub context: Arc<RunContext>,
    pub baseline: Arc<Baseline>,
}

/// What the stage did.
#[derive(Debug)]
pub struct Executed {
    /// One per planned scenario, in plan order.
    pub records: Vec<ScenarioRecord>,
    /// Set when the run stopped early because the target stopped answering: how
    /// many scenarios in a row got no response.
    pub dead_target: Option<usize>,
}

/// Scenarios running at once unless `--test-threads` says otherwise. A
/// scenario spends its time waiting for the target, not computing, so the
/// default does not follow the core count: 2 cores ran the self-check twice as
/// long as 8 slots did, for no CPU saved. Enough to keep a loopback target
/// busy; few enough that a scenario's requests are not queued so long behind
/// the others' that the target's idle timers (an upload's expiry) run out
/// between two of them.
pub const DEFAULT_CONCURRENCY: NonZeroUsize = NonZeroUsize::new(16).unwrap();

/// Decides when a scenario may start: at most `limit` at once, and never two
/// of one group.
struct Slots {
    limit: usize,
    busy: usize,
    /// The groups with a scenario running.
    groups: BTreeSet<String>,
}

impl Slots {
    fn free(&self) -> bool {
        self.busy < self.limit
    }

    /// Whether `scenario` may start now, slots aside.
    fn admits(&self, scenario: &Scenario) -> bool {
        scenario
            .group
            .as_ref()
            .is_none_or(|group| !self.groups.contains(group))
    }

    fn take(&mut self, scenario: &Scenario) {
        self.busy += 1;
        if let Some(group) = &scenario.group {
            self.groups.insert(group.clone());
        }
    }

    fn give_back(&mut self, scenario: &Scenario) {
        self.busy -= 1;
        if let Some(group) = &scenario.group {
            self.groups.remove(group);
        }
    }
}

/// The planned scenarios in the order they start: those that wait on purpose
/// first, each part in plan order.
fn start_order(planned: Vec<PlannedScenario>) -> Vec<(usize, PlannedScenario)> {
    let (mut first, rest): (Vec<_>, Vec<_>) = planned
        .into_iter()
        .enumerate()
        .partition(|(_, planned)| planned.skip.is_none() && planned.scenario.waits.is_some());
    first.extend(rest);
    first
}

/// Removes and returns the first scenario `slots` lets start (a skipped one
/// always may: it only gets reported).
fn next_startable(
    pending: &mut Vec<(usize, PlannedScenario)>,
    slots: &Slots,
) -> Option<(usize, PlannedScenario)> {
    let at = pending
        .iter()
        .position(|(_, planned)| planned.skip.is_some() || slots.admits(&planned.scenario))?;
    Some(pending.remove(at))
}

/// Runs every planned scenario (skipped ones only reported) and emits
/// [`Event::ScenarioFinished`] for each, [`Event::ScenarioSlow`] for long ones.
pub async fn execute(
    planned: Vec<PlannedScenario>,
    shared: &Shared,
    options: &Options,
    reporters: &Reporters,
) -> Executed {
    let mut records: BTreeMap<usize, ScenarioRecord> = BTreeMap::new();
    let mut running: BTreeMap<usize, PlannedScenario> = BTreeMap::new();
    let mut pending = start_order(planned);
    let mut slots = Slots {
        limit: options.concurrency.get(),
        busy: 0,
        groups: BTreeSet::new(),
    };
    let mut tasks = JoinSet::new();
    let (slow_tx, mut slow_rx) = mpsc::unbounded_channel::<(usize, Duration)>();
    let mut watch = ConnectionWatch::new(options.max_connection_errors);
    let mut dead_target = None;
    let finish = |records: &mut BTreeMap<usize, ScenarioRecord>, index, record: ScenarioRecord| {
        // A reporter that cannot write must not change what the run decides.
        let _ = reporters.emit(&Event::ScenarioFinished(&record));
        records.insert(index, record);
    };
    loop {
        while slots.free() && dead_target.is_none() {
            let Some((index, planned)) = next_startable(&mut pending, &slots) else {
                break;
            };
            match planned.skip {
                Some(reason) => finish(
                    &mut records,
                    index,
                    record::skipped(planned.scenario, reason, options.strict),
                ),
                None => {
                    slots.take(&planned.scenario);
                    tasks.spawn(run_one(
                        index,
                        planned.scenario.clone(),
                        shared.context.clone(),
                        options.slow_after,
                        slow_tx.clone(),
                    ));
                    running.insert(index, planned);
                }
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next() => {
                // Panics are caught inside the task; an error here is a task
                // aborted below, whose scenario is reported as not run.
                let Some(Ok((index, result))) = joined else { continue };
                let Some(planned) = running.remove(&index) else { continue };
                slots.give_back(&planned.scenario);
                let stop = watch.observe(&result);
                finish(
                    &mut records,
                    index,
                    record::ran(planned.scenario, result, options.strict, &shared.baseline),
                );
                if stop && dead_target.is_none() {
                    dead_target = Some(watch.in_a_row());
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    slots.busy = 0;
                    slots.groups.clear();
                    let reason = stopped_reason(watch.in_a_row());
                    for (index, planned) in std::mem::take(&mut running).into_iter().chain(pending.drain(..)) {
                        finish(
                            &mut records,
                            index,
                            record::skipped(
                                planned.scenario,
                                planned.skip.unwrap_or_else(|| reason.clone()),
                                options.strict,
                            ),
                        );
                    }
                }
            }
            Some((index, elapsed)) = slow_rx.recv() => {
                if let Some(planned) = running.get(&index) {
                    let _ = reporters.emit(&Event::ScenarioSlow {
                        scenario: &planned.scenario,
                        elapsed,
                    });
                }
            }
        }
    }
    Executed {
        records: records.into_values().collect(),
        dead_target,
    }
}

/// The skip reason of the scenarios a dead target left unrun.
fn stopped_reason(in_a_row: usize) -> String {
    format!("not run: the target stopped answering ({in_a_row} scenarios in a row got no response)")
}

/// Runs one scenario, reporting every `slow_after` it is still running; a
/// panic becomes an error of the scenario rather than the end of the run.
async fn run_one(
    index: usize,
    scenario: Arc<Scenario>,
    context: Arc<RunContext>,
    slow_after: Duration,
    slow: mpsc::UnboundedSender<(usize, Duration)>,
) -> (usize, ScenarioResult) {
    let started = Instant::now();
    let run = AssertUnwindSafe(engine::run_scenario(&scenario, &context)).catch_unwind();
    tokio::pin!(run);
    let result = loop {
        if slow_after.is_zero() {
            break run.await;
        }
        tokio::select! {
            result = &mut run => break result,
            () = tokio::time::sleep(slow_after) => {
                let _ = slow.send((index, started.elapsed()));
            }
        }
    };
    let result = result.unwrap_or_else(|_| ScenarioResult {
        outcome: Outcome::Errored(Failure {
            step: "scenario".into(),
            span: scenario.span.clone(),
            kind: FailureKind::Evaluation("the scenario's run panicked".into()),
            exchange: None,
            requirements: Vec::new(),
        }),
        transcript: Vec::new(),
        cleanup_problems: Vec::new(),
        duration: started.elapsed(),
    });
    (index, result)
}
