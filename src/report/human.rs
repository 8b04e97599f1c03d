//! The terminal reporter: the run header (target, seed, capabilities, protocols
//! the target lacks), one line (or character) per scenario as it ends, SLOW
//! lines for long ones, then every finding with its failure text, the
//! conformance matrix, the summary by level and the result line.
//!
//! Outcomes are named by their verdict word everywhere (`passed`, `warned`,
//! `skipped`, …), so the line of a scenario, its section and the counts agree.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use colored::{ColoredString, Colorize};

use super::document::matrix;
use super::{Event, LackingProtocol, Reporter, RunInfo, RunSummary, failure};
use crate::baseline::{Baseline, EntryStatus};
use crate::scenario::Suite;
use crate::scenario::model::{Level, Scenario};
use crate::verdict::{ScenarioRecord, Verdict};

/// How each scenario shows as it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// One line per scenario, with its verdict, duration and skip reason.
    Lines,
    /// One character per scenario.
    Characters,
    /// Nothing until the run ends (another format owns the progress).
    Silent,
}

/// Terse characters per line, so a long run wraps readably.
const CHARACTERS_PER_LINE: usize = 88;

/// Every verdict, in the order the sections, counts and result line show them.
const VERDICTS: [Verdict; 8] = [
    Verdict::Passed,
    Verdict::Failed,
    Verdict::Errored,
    Verdict::Warned,
    Verdict::Noted,
    Verdict::Known,
    Verdict::Inconclusive,
    Verdict::Skipped,
];

pub struct HumanReporter<W> {
    out: W,
    suite: Arc<Suite>,
    baseline: Arc<Baseline>,
    progress: Progress,
    lacking: Vec<LackingProtocol>,
    filtered_out: usize,
    started: Instant,
    /// Characters on the current terse line.
    column: usize,
}

impl<W: Write + Send> HumanReporter<W> {
    pub fn new(out: W, suite: Arc<Suite>, baseline: Arc<Baseline>, progress: Progress) -> Self {
        HumanReporter {
            out,
            suite,
            baseline,
            progress,
            lacking: Vec::new(),
            filtered_out: 0,
            started: Instant::now(),
            column: 0,
        }
    }

    fn header(&mut self, info: &RunInfo) -> io::Result<()> {
        self.lacking = info.lacking_protocols.clone();
        self.filtered_out = info.filtered_out;
        self.started = Instant::now();
        let target = if info.embedded_target {
            format!("{} (embedded reference server)", info.target)
        } else {
            info.target.clone()
        };
        writeln!(self.out, "upspec {} → {}", info.version, target.bold())?;
        writeln!(
            self.out,
            "seed: {} (replay with --seed {})",
            info.seed, info.seed
        )?;
        let names: Vec<&str> = info.capabilities.names.iter().map(String::as_str).collect();
        writeln!(
            self.out,
            "capabilities: {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )?;
        for (protocol, version) in &info.capabilities.versions {
            let older: Vec<&str> = info
                .also_checked
                .iter()
                .filter(|pin| &pin.protocol == protocol)
                .map(|pin| pin.version.as_str())
                .collect();
            if older.is_empty() {
                writeln!(self.out, "{protocol}: checked at version {version}")?;
            } else {
                writeln!(
                    self.out,
                    "{protocol}: checked at version {version}, and at {} in runs of their own ([{protocol} N] after a scenario's name)",
                    older.join(", ")
                )?;
            }
        }
        if info.strict {
            writeln!(self.out, "strict: SHOULD failures fail the run")?;
        }
        for protocol in &self.lacking {
            writeln!(self.out, "{}", lacking_line(protocol).yellow())?;
        }
        let filtered = if info.filtered_out > 0 {
            format!(" ({} filtered out)", info.filtered_out)
        } else {
            String::new()
        };
        writeln!(
            self.out,
            "\nrunning {} scenario{}{filtered}",
            info.scenarios,
            plural(info.scenarios)
        )
    }

    /// Whether the scenario's line is folded into its protocol's one line.
    fn collapsed(&self, scenario: &Scenario) -> bool {
        self.lacking.iter().any(|p| p.covers(scenario))
    }

    fn scenario_finished(&mut self, record: &ScenarioRecord) -> io::Result<()> {
        if self.collapsed(&record.scenario) {
            return Ok(());
        }
        match self.progress {
            Progress::Silent => Ok(()),
            Progress::Characters => {
                write!(
                    self.out,
                    "{}",
                    colour(record.verdict, character(record.verdict))
                )?;
                self.column += 1;
                if self.column == CHARACTERS_PER_LINE {
                    self.column = 0;
                    writeln!(self.out)?;
                }
                Ok(())
            }
            Progress::Lines => {
                let time = match &record.result {
                    Some(result) => format!("[{:>8}]", seconds(result.duration)),
                    None => " ".repeat(10),
                };
                let reason = match &record.skip_reason {
                    Some(reason) => format!(": {reason}"),
                    None => String::new(),
                };
                writeln!(
                    self.out,
                    "{} {time} [{}] {}{reason}",
                    colour(record.verdict, &format!("{:>12}", record.verdict.as_str())),
                    record.scenario.kind(),
                    record.scenario.name()
                )
            }
        }
    }

    fn scenario_slow(&mut self, scenario: &Scenario, elapsed: Duration) -> io::Result<()> {
        if self.progress == Progress::Silent {
            return Ok(());
        }
        if self.column > 0 {
            self.column = 0;
            writeln!(self.out)?;
        }
        writeln!(
            self.out,
            "{} [>{:>7}] [{}] {}",
            format!("{:>12}", "SLOW").yellow().bold(),
            seconds(elapsed),
            scenario.kind(),
            scenario.name()
        )
    }

    fn footer(&mut self, records: &[ScenarioRecord], summary: &RunSummary) -> io::Result<()> {
        if self.column > 0 {
            self.column = 0;
            writeln!(self.out)?;
        }
        for (verdicts, heading) in [
            (
                &[Verdict::Failed, Verdict::Errored][..],
                "failures (these fail the run)",
            ),
            (
                &[Verdict::Warned],
                "warnings (SHOULD; --strict makes them fail)",
            ),
            (
                &[Verdict::Noted],
                "noted (MAY/IMPL: recorded, never failed)",
            ),
            (
                &[Verdict::Known],
                "known deviations (listed in the baseline)",
            ),
            (
                &[Verdict::Inconclusive],
                "inconclusive (a set-up step or precondition failed: nothing decided)",
            ),
        ] {
            let matching: Vec<&ScenarioRecord> = records
                .iter()
                .filter(|r| verdicts.contains(&r.verdict))
                .collect();
            if matching.is_empty() {
                continue;
            }
            let heading = if verdicts.contains(&Verdict::Failed) {
                heading.red().bold()
            } else {
                heading.yellow().bold()
            };
            writeln!(self.out, "\n{heading}:")?;
            for record in matching {
                writeln!(self.out, "\n---- {} ----", record.scenario.name())?;
                if let Some(result) = &record.result {
                    write!(
                        self.out,
                        "{}",
                        failure::render(&self.suite, &record.scenario, &result.outcome)
                    )?;
                }
            }
        }
        let shown: Vec<ScenarioRecord> = records
            .iter()
            .filter(|r| !self.collapsed(&r.scenario))
            .cloned()
            .collect();
        let rows = matrix(&shown);
        if !rows.is_empty() {
            writeln!(
                self.out,
                "\n{}",
                "conformance by protocol and extension:".bold()
            )?;
            let width = rows.iter().map(|r| r.kind.len()).max().unwrap_or(0);
            for row in rows {
                let must = format!("MUST {}/{}", row.must_met, row.must_total);
                let must = if row.must_met == row.must_total {
                    must.green()
                } else {
                    must.red()
                };
                let should = format!("SHOULD {}/{}", row.should_met, row.should_total);
                let should = if row.should_met == row.should_total {
                    should.green()
                } else {
                    should.yellow()
                };
                let inconclusive = if row.inconclusive > 0 {
                    format!("  inconclusive {}", row.inconclusive)
                        .yellow()
                        .to_string()
                } else {
                    String::new()
                };
                writeln!(
                    self.out,
                    "  {:<width$}  {must}  {should}  skipped {}{inconclusive}",
                    row.kind, row.skipped
                )?;
            }
        }
        let review = self.baseline.review(records);
        if !review.is_empty() {
            writeln!(self.out, "\n{}", "baseline:".bold())?;
            for (entry, status) in review {
                let note = match status {
                    EntryStatus::StillFailing => "still failing as recorded".yellow(),
                    EntryStatus::FailsDifferently => {
                        "fails differently now: a new failure, listed above".red()
                    }
                    EntryStatus::NowPasses => "now passes: remove it from the baseline".green(),
                    EntryStatus::Unused => {
                        "no verdict in this run (skipped, filtered out, inconclusive or renamed)"
                            .yellow()
                    }
                };
                writeln!(self.out, "  {} ({}): {note}", entry.scenario, entry.step)?;
            }
        }
        writeln!(self.out, "\n{}", "summary by level:".bold())?;
        for level in [Level::Must, Level::Should, Level::May, Level::Impl] {
            let parts: Vec<String> = VERDICTS
                .into_iter()
                .filter_map(|verdict| {
                    let n = *summary.counts.get(&(level, verdict))?;
                    Some(colour(verdict, &format!("{n} {verdict}")).to_string())
                })
                .collect();
            if !parts.is_empty() {
                writeln!(self.out, "  {:<7} {}", level.as_str(), parts.join(", "))?;
            }
        }
        let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
        for record in records {
            if record.verdict != Verdict::Skipped {
                continue;
            }
            let reason = match self.lacking.iter().find(|p| p.covers(&record.scenario)) {
                Some(protocol) => lacking_line(protocol),
                None => record.skip_reason.clone().unwrap_or_default(),
            };
            *reasons.entry(reason).or_default() += 1;
        }
        if !reasons.is_empty() {
            writeln!(self.out, "  skipped:")?;
            for (reason, n) in reasons {
                writeln!(self.out, "    {n:>4} × {reason}")?;
            }
        }
        self.result_line(summary)
    }

    /// The last line: the run's outcome and every verdict's count, as one sentence.
    fn result_line(&mut self, summary: &RunSummary) -> io::Result<()> {
        let status = if summary.failed() {
            "FAILED".red().bold()
        } else {
            "ok".green().bold()
        };
        let mut parts: Vec<String> = VERDICTS
            .into_iter()
            .filter_map(|verdict| {
                let n = summary.count(verdict);
                (n > 0 || matches!(verdict, Verdict::Passed | Verdict::Failed))
                    .then(|| format!("{n} {verdict}"))
            })
            .collect();
        if self.filtered_out > 0 {
            parts.push(format!("{} filtered out", self.filtered_out));
        }
        writeln!(
            self.out,
            "\nresult: {status}. {}; finished in {:.2}s",
            parts.join(", "),
            self.started.elapsed().as_secs_f64()
        )
    }
}

/// The one line that stands for every scenario of a protocol the target lacks.
fn lacking_line(protocol: &LackingProtocol) -> String {
    format!(
        "{}: not available on this target, {} scenario{} skipped — pass {} to check it",
        protocol.name,
        protocol.scenarios,
        plural(protocol.scenarios),
        protocol.enabled_by
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `0.004s`, `12.500s`.
fn seconds(duration: Duration) -> String {
    format!("{:.3}s", duration.as_secs_f64())
}

/// The terse character of a verdict.
fn character(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => ".",
        Verdict::Failed => "F",
        Verdict::Errored => "E",
        Verdict::Warned => "w",
        Verdict::Noted => "n",
        Verdict::Known => "k",
        Verdict::Inconclusive => "?",
        Verdict::Skipped => "s",
    }
}

/// Text in the colour of a verdict: green passes, red failures, yellow the rest.
fn colour(verdict: Verdict, text: &str) -> ColoredString {
    match verdict {
        Verdict::Passed => text.green(),
        Verdict::Failed | Verdict::Errored => text.red().bold(),
        Verdict::Warned
        | Verdict::Noted
        | Verdict::Known
        | Verdict::Inconclusive
        | Verdict::Skipped => text.yellow(),
    }
}

impl<W: Write + Send> Reporter for HumanReporter<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::RunStarted(info) => self.header(info),
            Event::ScenarioSlow { scenario, elapsed } => self.scenario_slow(scenario, *elapsed),
            Event::ScenarioFinished(record) => self.scenario_finished(record),
            Event::RunFinished { records, summary } => self.footer(records, summary),
        }?;
        self.out.flush()
    }
}
