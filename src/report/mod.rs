//! Reporters are fed events by the run, one after another, and render them: the
//! human output here, and machine-readable reports beside it. None of them runs
//! anything or decides a verdict; they only show what happened.

pub mod document;
pub mod failure;
pub mod files;
pub mod github;
pub mod html;
pub mod human;
pub mod json_lines;
pub mod junit;

use crate::assembly::Pin;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::plan::LackingProtocol;
use crate::protocol::Capabilities;
use crate::scenario::model::{Level, Scenario};
use crate::verdict::{ScenarioRecord, Verdict};

/// What a reporter is told about the run before any scenario runs.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub target: String,
    /// Whether the target is the embedded reference server.
    pub embedded_target: bool,
    pub seed: u64,
    pub version: &'static str,
    pub capabilities: Capabilities,
    pub strict: bool,
    /// Scenarios the run selected (run or skipped).
    pub scenarios: usize,
    /// Scenarios the name filters left out.
    pub filtered_out: usize,
    /// Protocols the target lacks, whose scenarios are all skipped: shown as one
    /// line each rather than one per scenario.
    pub lacking_protocols: Vec<LackingProtocol>,
    /// Older versions of versioned protocols checked in runs of their own beside
    /// the main one (the embedded target checks every version); their scenarios
    /// are named with the version, `… [ietf 8]`.
    pub also_checked: Vec<Pin>,
}

/// Counts by level and verdict, in a stable order.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub counts: BTreeMap<(Level, Verdict), usize>,
}

impl RunSummary {
    pub fn of(records: &[ScenarioRecord]) -> Self {
        let mut counts = BTreeMap::new();
        for record in records {
            *counts
                .entry((record.scenario.level, record.verdict))
                .or_insert(0) += 1;
        }
        RunSummary { counts }
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.counts
            .iter()
            .filter(|((_, v), _)| *v == verdict)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn failed(&self) -> bool {
        self.counts
            .iter()
            .any(|((_, verdict), n)| verdict.fails_run() && *n > 0)
    }

    /// Whether any check reached a verdict on the target. A run where none did
    /// (everything skipped, inconclusive or errored) showed nothing about it.
    pub fn decided_anything(&self) -> bool {
        self.counts
            .iter()
            .any(|((_, verdict), n)| verdict.decided() && *n > 0)
    }
}

pub enum Event<'a> {
    RunStarted(&'a RunInfo),
    /// A scenario is still running after another period of `--slow-after`.
    ScenarioSlow {
        scenario: &'a Scenario,
        elapsed: Duration,
    },
    ScenarioFinished(&'a ScenarioRecord),
    RunFinished {
        records: &'a [ScenarioRecord],
        summary: &'a RunSummary,
    },
}

pub trait Reporter: Send {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()>;
}

/// Fans events out to every reporter; shared by the trial threads.
#[derive(Clone, Default)]
pub struct Reporters(Arc<Mutex<Vec<Box<dyn Reporter>>>>);

impl Reporters {
    pub fn new(reporters: Vec<Box<dyn Reporter>>) -> Self {
        Reporters(Arc::new(Mutex::new(reporters)))
    }

    pub fn emit(&self, event: &Event<'_>) -> io::Result<()> {
        let mut reporters = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for reporter in reporters.iter_mut() {
            reporter.on_event(event)?;
        }
        Ok(())
    }
}
