//! The terminal reporter. libtest-mimic prints one line per scenario and the MUST
//! failures; this adds what it cannot show: the run header (target, seed,
//! capabilities), the SHOULD warnings and IMPL notes that pass as `ok` there,
//! and a summary by level.

use std::io::{self, Write};
use std::sync::Arc;

use colored::Colorize;

use super::document::matrix;
use super::{Event, Reporter, RunInfo, RunSummary, ScenarioRecord, failure};
use crate::baseline::{Baseline, EntryStatus};
use crate::scenario::Suite;
use crate::scenario::model::Level;
use crate::verdict::Verdict;

pub struct HumanReporter<W> {
    out: W,
    suite: Arc<Suite>,
    baseline: Arc<Baseline>,
}

impl<W: Write + Send> HumanReporter<W> {
    pub fn new(out: W, suite: Arc<Suite>, baseline: Arc<Baseline>) -> Self {
        HumanReporter {
            out,
            suite,
            baseline,
        }
    }

    fn header(&mut self, info: &RunInfo) -> io::Result<()> {
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
        if info.strict {
            writeln!(self.out, "strict: SHOULD failures fail the run")?;
        }
        writeln!(self.out)
    }

    fn footer(&mut self, records: &[ScenarioRecord], summary: &RunSummary) -> io::Result<()> {
        for (verdict, heading) in [
            (
                Verdict::Warned,
                "warnings (SHOULD; --strict makes them fail)",
            ),
            (Verdict::Noted, "noted (MAY/IMPL: recorded, never failed)"),
            (Verdict::Known, "known deviations (listed in the baseline)"),
            (
                Verdict::Inconclusive,
                "inconclusive (a set-up step or precondition failed: nothing decided)",
            ),
        ] {
            let matching: Vec<&ScenarioRecord> =
                records.iter().filter(|r| r.verdict == verdict).collect();
            if matching.is_empty() {
                continue;
            }
            writeln!(self.out, "\n{}:", heading.yellow().bold())?;
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
        let rows = matrix(records);
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
            let parts: Vec<String> = [
                Verdict::Passed,
                Verdict::Failed,
                Verdict::Errored,
                Verdict::Warned,
                Verdict::Noted,
                Verdict::Known,
                Verdict::Inconclusive,
                Verdict::Skipped,
            ]
            .into_iter()
            .filter_map(|verdict| {
                let n = *summary.counts.get(&(level, verdict))?;
                let text = format!("{n} {verdict}");
                Some(match verdict {
                    Verdict::Passed => text.green().to_string(),
                    Verdict::Failed | Verdict::Errored => text.red().to_string(),
                    Verdict::Warned
                    | Verdict::Noted
                    | Verdict::Known
                    | Verdict::Inconclusive
                    | Verdict::Skipped => text.yellow().to_string(),
                })
            })
            .collect();
            if !parts.is_empty() {
                writeln!(self.out, "  {:<7} {}", level.as_str(), parts.join(", "))?;
            }
        }
        let skipped: Vec<&ScenarioRecord> = records
            .iter()
            .filter(|r| r.verdict == Verdict::Skipped)
            .collect();
        if !skipped.is_empty() {
            let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
            for record in &skipped {
                *reasons
                    .entry(record.skip_reason.as_deref().unwrap_or("filtered"))
                    .or_default() += 1;
            }
            writeln!(self.out, "  skipped:")?;
            for (reason, n) in reasons {
                writeln!(self.out, "    {n:>4} × {reason}")?;
            }
        }
        Ok(())
    }
}

impl<W: Write + Send> Reporter for HumanReporter<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::RunStarted(info) => self.header(info),
            Event::ScenarioFinished(_) => Ok(()),
            Event::RunFinished { records, summary } => self.footer(records, summary),
        }?;
        self.out.flush()
    }
}
