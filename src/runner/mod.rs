//! The execution stage: runs the planned scenarios a bounded number at a time on
//! the async runtime, and tells the reporters as each one ends or runs long.
//!
//! It runs the scenarios of one run (`upspec run`) or of several at once, each
//! against its own target (the self-check: one reference server per fault).
//! Scenarios start in plan order, run after run, as slots free up, those that
//! wait on purpose (`waits:`, a `delay`, a stalled body) first, so that their
//! waits overlap the rest; one slot (`--test-threads 1`) therefore runs them one
//! after another in a stable order. The slots are the one place that decides
//! what may run at once: how many ([`DEFAULT_CONCURRENCY`] unless told), and
//! which scenarios must not overlap (those naming the same `group:`), live in
//! [`Slots`] and nowhere else.

pub mod connection;
pub mod filter;
mod record;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::baseline::Baseline;
use crate::engine::outcome::{Failure, FailureKind, Outcome, ScenarioResult};
use crate::engine::{self, RunContext};
use crate::plan::PlannedScenario;
use crate::report::{Event, Reporters};
use crate::scenario::model::{CutEnd, Scenario, Step};
use crate::verdict::ScenarioRecord;
use connection::ConnectionWatch;

/// How the stage runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// At most this many scenarios run at once, over all runs.
    pub concurrency: NonZeroUsize,
    /// Scenarios that pause on purpose (see [`pauses`]) start first and hold no
    /// slot: they mostly wait. `upspec run` keeps them in the slots, so that one
    /// slot means one scenario at a time.
    pub pauses_outside_slots: bool,
    /// A scenario still running after this long (and each further period) is
    /// reported slow; zero never reports.
    pub slow_after: Duration,
    /// Stop a run after this many of its scenarios in a row got no response; 0
    /// never stops.
    pub max_connection_errors: usize,
    /// SHOULD failures fail the run.
    pub strict: bool,
}

/// What every scenario of one run shares.
#[derive(Clone)]
pub struct Shared {
    pub context: Arc<RunContext>,
    pub baseline: Arc<Baseline>,
}

/// One run's planned scenarios and what they share.
pub struct Run {
    pub planned: Vec<PlannedScenario>,
    pub shared: Shared,
}

/// What the stage did with one run.
#[derive(Debug)]
pub struct Executed {
    /// One per planned scenario, in plan order.
    pub records: Vec<ScenarioRecord>,
    /// Set when the run stopped early because its target stopped answering: how
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

/// Decides when a scenario may start: at most `limit` at once (scenarios that
/// pause aside when [`Options::pauses_outside_slots`] says so), and never two
/// of one group.
struct Slots {
    limit: usize,
    busy: usize,
    pauses_outside: bool,
    /// The groups with a scenario running.
    groups: BTreeSet<String>,
}

impl Slots {
    fn free(&self) -> bool {
        self.busy < self.limit
    }

    /// Whether `scenario` holds a slot while it runs.
    fn held_by(&self, scenario: &Scenario) -> bool {
        !(self.pauses_outside && pauses(&scenario.steps))
    }

    /// Whether `scenario` may start now, slots aside.
    fn admits(&self, scenario: &Scenario) -> bool {
        scenario
            .group
            .as_ref()
            .is_none_or(|group| !self.groups.contains(group))
    }

    /// Starts `scenario`; returns whether it holds a slot.
    fn take(&mut self, scenario: &Scenario) -> bool {
        let holds_slot = self.held_by(scenario);
        self.busy += usize::from(holds_slot);
        if let Some(group) = &scenario.group {
            self.groups.insert(group.clone());
        }
        holds_slot
    }

    fn give_back(&mut self, scenario: &Scenario, holds_slot: bool) {
        self.busy -= usize::from(holds_slot);
        if let Some(group) = &scenario.group {
            self.groups.remove(group);
        }
    }
}

/// Whether `scenario` waits on purpose and so starts first: it declares
/// `waits:`, or pauses in its steps.
fn waits_on_purpose(scenario: &Scenario) -> bool {
    scenario.waits.is_some() || pauses(&scenario.steps)
}

/// Removes and returns the first scenario `slots` lets start (a skipped one
/// always may: it only gets reported).
fn next_startable(pending: &mut VecDeque<Pending>, slots: &Slots) -> Option<Pending> {
    let at = pending
        .iter()
        .position(|p| p.planned.skip.is_some() || slots.admits(&p.planned.scenario))?;
    pending.remove(at)
}

/// Whether the steps pause on purpose (`delay`, or a body that stalls until the
/// server ends the request), anywhere inside: such a scenario mostly waits.
fn pauses(steps: &[Step]) -> bool {
    steps.iter().any(|step| match step {
        Step::Delay { .. } => true,
        Step::Request(request) => request
            .cut
            .as_ref()
            .is_some_and(|cut| cut.then == CutEnd::Stall),
        Step::Use(use_step) => pauses(&use_step.definition.steps),
        Step::Parallel(branches) => pauses(branches),
        Step::Repeat(repeat) => pauses(&repeat.steps),
    })
}

/// A scenario's place: its run, and its index in that run's plan.
type Key = (usize, usize);

/// A scenario waiting for a slot.
struct Pending {
    key: Key,
    planned: PlannedScenario,
}

/// A scenario started and not yet finished.
struct Running {
    planned: PlannedScenario,
    holds_slot: bool,
    abort: AbortHandle,
}

/// Runs one run's planned scenarios; see [`execute_all`].
pub async fn execute(run: Run, options: &Options, reporters: &Reporters) -> Executed {
    let mut executed = execute_all(vec![run], options, reporters).await;
    executed.remove(0)
}

/// Runs every planned scenario of every run (skipped ones only reported) and
/// emits [`Event::ScenarioFinished`] for each, [`Event::ScenarioSlow`] for long
/// ones; returns what each run did, in the order of `runs`.
pub async fn execute_all(
    runs: Vec<Run>,
    options: &Options,
    reporters: &Reporters,
) -> Vec<Executed> {
    let mut slots = Slots {
        limit: options.concurrency.get(),
        busy: 0,
        pauses_outside: options.pauses_outside_slots,
        groups: BTreeSet::new(),
    };
    let mut records: Vec<BTreeMap<usize, ScenarioRecord>> =
        runs.iter().map(|_| BTreeMap::new()).collect();
    let mut watches: Vec<ConnectionWatch> = runs
        .iter()
        .map(|_| ConnectionWatch::new(options.max_connection_errors))
        .collect();
    let mut dead_targets: Vec<Option<usize>> = vec![None; runs.len()];
    let mut shared = Vec::with_capacity(runs.len());
    let mut pending = VecDeque::new();
    for (run_index, run) in runs.into_iter().enumerate() {
        shared.push(run.shared);
        pending.extend(
            run.planned
                .into_iter()
                .enumerate()
                .map(|(index, planned)| Pending {
                    key: (run_index, index),
                    planned,
                }),
        );
    }
    // Scenarios that hold no slot first, then those that wait on purpose; the
    // sort is stable, so each part keeps plan order.
    pending.make_contiguous().sort_by_key(|p| {
        let scenario = &p.planned.scenario;
        let waits = p.planned.skip.is_none() && waits_on_purpose(scenario);
        (slots.held_by(scenario), !waits)
    });
    let mut running: BTreeMap<Key, Running> = BTreeMap::new();
    let mut tasks = JoinSet::new();
    let (slow_tx, mut slow_rx) = mpsc::unbounded_channel::<(Key, Duration)>();
    let finish = |records: &mut [BTreeMap<usize, ScenarioRecord>],
                  (run, index): Key,
                  record: ScenarioRecord| {
        // A reporter that cannot write must not change what the run decides.
        let _ = reporters.emit(&Event::ScenarioFinished(&record));
        records[run].insert(index, record);
    };
    loop {
        while slots.free() {
            let Some(Pending { key, planned }) = next_startable(&mut pending, &slots) else {
                break;
            };
            match planned.skip {
                Some(reason) => finish(
                    &mut records,
                    key,
                    record::skipped(planned.scenario, reason, options.strict),
                ),
                None => {
                    let holds_slot = slots.take(&planned.scenario);
                    let abort = tasks.spawn(run_one(
                        key,
                        planned.scenario.clone(),
                        shared[key.0].context.clone(),
                        options.slow_after,
                        slow_tx.clone(),
                    ));
                    running.insert(
                        key,
                        Running {
                            planned,
                            holds_slot,
                            abort,
                        },
                    );
                }
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next() => {
                // Panics are caught inside the task; an error here is a task
                // aborted below, whose slot was given back then.
                let Some(Ok((key, result))) = joined else { continue };
                let Some(Running { planned, holds_slot, .. }) = running.remove(&key) else { continue };
                slots.give_back(&planned.scenario, holds_slot);
                let (run, _) = key;
                let stop = watches[run].observe(&result);
                finish(
                    &mut records,
                    key,
                    record::ran(planned.scenario, result, options.strict, &shared[run].baseline),
                );
                if stop && dead_targets[run].is_none() {
                    let in_a_row = watches[run].in_a_row();
                    dead_targets[run] = Some(in_a_row);
                    let reason = stopped_reason(in_a_row);
                    let left = stop_run(run, &mut running, &mut pending, &mut slots);
                    for (key, planned) in left {
                        finish(
                            &mut records,
                            key,
                            record::skipped(
                                planned.scenario,
                                planned.skip.unwrap_or_else(|| reason.clone()),
                                options.strict,
                            ),
                        );
                    }
                }
            }
            Some((key, elapsed)) = slow_rx.recv() => {
                if let Some(started) = running.get(&key) {
                    let _ = reporters.emit(&Event::ScenarioSlow {
                        scenario: &started.planned.scenario,
                        elapsed,
                    });
                }
            }
        }
    }
    // Scenarios of a dead target were aborted: wait until they are gone, so
    // that nothing of theirs overlaps what the caller does next (cleanup).
    tasks.shutdown().await;
    records
        .into_iter()
        .zip(dead_targets)
        .map(|(records, dead_target)| Executed {
            records: records.into_values().collect(),
            dead_target,
        })
        .collect()
}

/// Takes run `run`'s scenarios out of the stage: aborts those running, giving
/// back their slots, and drops those waiting; returns both, in plan order.
fn stop_run(
    run: usize,
    running: &mut BTreeMap<Key, Running>,
    pending: &mut VecDeque<Pending>,
    slots: &mut Slots,
) -> Vec<(Key, PlannedScenario)> {
    let (theirs, others): (BTreeMap<Key, Running>, _) = std::mem::take(running)
        .into_iter()
        .partition(|&((r, _), _)| r == run);
    *running = others;
    let (unstarted, others): (VecDeque<Pending>, _) = std::mem::take(pending)
        .into_iter()
        .partition(|p| p.key.0 == run);
    *pending = others;
    let mut left = Vec::new();
    for (key, started) in theirs {
        started.abort.abort();
        slots.give_back(&started.planned.scenario, started.holds_slot);
        left.push((key, started.planned));
    }
    left.extend(unstarted.into_iter().map(|p| (p.key, p.planned)));
    left
}

/// The skip reason of the scenarios a dead target left unrun.
fn stopped_reason(in_a_row: usize) -> String {
    format!("not run: the target stopped answering ({in_a_row} scenarios in a row got no response)")
}

/// Runs one scenario, reporting every `slow_after` it is still running; a
/// panic becomes an error of the scenario rather than the end of the run.
async fn run_one(
    key: Key,
    scenario: Arc<Scenario>,
    context: Arc<RunContext>,
    slow_after: Duration,
    slow: mpsc::UnboundedSender<(Key, Duration)>,
) -> (Key, ScenarioResult) {
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
                let _ = slow.send((key, started.elapsed()));
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
    (key, result)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::num::NonZeroUsize;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{Executed, Options, Run, Shared, execute_all};
    use crate::assembly::load;
    use crate::baseline::Baseline;
    use crate::engine::RunContext;
    use crate::engine::outcome::Outcome;
    use crate::plan::PlannedScenario;
    use crate::report::Reporters;
    use crate::scenario::SpecTree;

    /// `count` scenarios doing `step` each, planned to run against `target`.
    fn run(target: &str, count: usize, step: &str) -> Run {
        let scenarios: String = (0..count)
            .map(|i| format!("  - {{ id: s{i}, title: s, level: MUST, steps: [ {step} ] }}\n"))
            .collect();
        let yaml = format!("scenarios:\n{scenarios}");
        let suite = load(&SpecTree::in_memory([("runner/x.yaml", yaml.as_str())]))
            .expect("the test scenarios load");
        let variables = BTreeMap::from([("target".to_owned(), target.to_owned())]);
        let context = RunContext::bare(
            variables,
            1,
            Duration::from_secs(5),
            Duration::from_secs(10),
        );
        Run {
            planned: suite
                .scenarios
                .iter()
                .map(|scenario| PlannedScenario {
                    scenario: scenario.clone(),
                    skip: None,
                })
                .collect(),
            shared: Shared {
                context: Arc::new(context),
                baseline: Arc::new(Baseline::default()),
            },
        }
    }

    fn options(concurrency: usize, pauses_outside_slots: bool, max_errors: usize) -> Options {
        Options {
            concurrency: NonZeroUsize::new(concurrency).expect("a test's slots are not zero"),
            pauses_outside_slots,
            slow_after: Duration::ZERO,
            max_connection_errors: max_errors,
            strict: false,
        }
    }

    /// A URL on 127.0.0.1 where nothing listens.
    /// Bound and never listened on, and held for the test process, so no
    /// other listener can be given the port while the test expects refusals.
    fn closed_port() -> String {
        static SOCKET: std::sync::OnceLock<socket2::Socket> = std::sync::OnceLock::new();
        let socket = SOCKET.get_or_init(|| {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("a TCP socket");
            let address: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
            socket.bind(&address.into()).expect("bind a free port");
            socket
        });
        let address = socket.local_addr().expect("a bound port has an address");
        format!("http://{}/", address.as_socket().expect("an IP address"))
    }

    fn passed(executed: &Executed) -> usize {
        executed
            .records
            .iter()
            .filter(|r| matches!(r.result.as_ref().map(|r| &r.outcome), Some(Outcome::Passed)))
            .count()
    }

    #[tokio::test]
    async fn a_dead_target_stops_its_own_run_only() {
        let dead = closed_port();
        let get = r#"{ request: { method: GET, url: "{{target}}" } }"#;
        let runs = vec![run(&dead, 4, get), run(&dead, 3, "{ delay: 1ms }")];
        let executed = execute_all(runs, &options(1, false, 2), &Reporters::new(Vec::new())).await;
        assert_eq!(executed[0].dead_target, Some(2));
        let skipped: Vec<_> = executed[0]
            .records
            .iter()
            .map(|r| r.skip_reason.is_some())
            .collect();
        assert_eq!(skipped, [false, false, true, true]);
        assert_eq!(executed[1].dead_target, None);
        assert_eq!(passed(&executed[1]), 3);
    }

    #[tokio::test]
    async fn pausing_scenarios_hold_no_slot_only_when_asked() {
        let pausing = || run("", 3, "{ delay: 200ms }");
        let reporters = Reporters::new(Vec::new());
        let started = Instant::now();
        let executed = execute_all(vec![pausing()], &options(1, true, 0), &reporters).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(passed(&executed[0]), 3);
        let started = Instant::now();
        execute_all(vec![pausing()], &options(1, false, 0), &reporters).await;
        assert!(started.elapsed() >= Duration::from_millis(600));
    }
}
