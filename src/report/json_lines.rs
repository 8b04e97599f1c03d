//! `--format json`: the run as JSON lines on stdout, one object per event, for
//! tools that follow a run as it happens. Nothing else goes to stdout then (the
//! human text goes to stderr), so `upspec run --format json | jq` always parses.
//!
//! Every line has `type` (`run` or `scenario`) and `event`: `started` and
//! `finished` for the run, `slow` and `finished` for a scenario.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Event, Reporter};

pub struct JsonLinesReporter<W> {
    out: W,
}

impl<W: Write + Send> JsonLinesReporter<W> {
    pub fn new(out: W) -> Self {
        JsonLinesReporter { out }
    }
}

fn line(event: &Event<'_>) -> Value {
    match event {
        Event::RunStarted(info) => json!({
            "type": "run",
            "event": "started",
            "upspec_version": info.version,
            "target": info.target,
            "embedded_target": info.embedded_target,
            "seed": info.seed,
            "strict": info.strict,
            "capabilities": info.capabilities.names,
            "versions": info.capabilities.versions,
            "scenarios": info.scenarios,
            "filtered_out": info.filtered_out,
        }),
        Event::ScenarioSlow { scenario, elapsed } => json!({
            "type": "scenario",
            "event": "slow",
            "name": scenario.name(),
            "elapsed_ms": elapsed.as_millis() as u64,
        }),
        Event::ScenarioFinished(record) => {
            let failure = record
                .result
                .as_ref()
                .and_then(|r| r.outcome.failure())
                .map(|f| {
                    json!({
                        "step": f.step,
                        "file": f.span.file.to_string(),
                        "line": f.span.line,
                        "column": f.span.column,
                        "message": f.kind.to_string(),
                    })
                });
            json!({
                "type": "scenario",
                "event": "finished",
                "name": record.scenario.name(),
                "kind": record.scenario.kind(),
                "level": record.scenario.level.as_str(),
                "verdict": record.verdict,
                "duration_ms": record.result.as_ref().map_or(0, |r| r.duration.as_millis() as u64),
                "skip_reason": record.skip_reason,
                "failure": failure,
            })
        }
        Event::RunFinished { summary, .. } => {
            let totals: serde_json::Map<String, Value> = summary
                .counts
                .iter()
                .fold(
                    std::collections::BTreeMap::<&str, usize>::new(),
                    |mut totals, ((_, verdict), n)| {
                        *totals.entry(verdict.as_str()).or_default() += n;
                        totals
                    },
                )
                .into_iter()
                .map(|(verdict, n)| (verdict.to_owned(), n.into()))
                .collect();
            json!({
                "type": "run",
                "event": "finished",
                "failed": summary.failed(),
                "totals": totals,
            })
        }
    }
}

impl<W: Write + Send> Reporter for JsonLinesReporter<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &line(event)).map_err(io::Error::other)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}
