//! Writes the machine-readable reports (JSON, JUnit, HTML) when the run ends.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::document::{RunReport, Transcripts};
use super::{Event, Reporter, RunInfo, html, junit};
use crate::baseline::Baseline;
use crate::scenario::Suite;

/// Which files to write.
#[derive(Clone, Debug)]
pub struct ReportPaths {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
    /// Which scenarios' exchanges the JSON and HTML reports carry.
    pub transcripts: Transcripts,
}

impl ReportPaths {
    pub fn any(&self) -> bool {
        self.json.is_some() || self.junit.is_some() || self.html.is_some()
    }
}

pub struct FileReporter {
    paths: ReportPaths,
    suite: Arc<Suite>,
    baseline: Arc<Baseline>,
    started: Option<(RunInfo, chrono::DateTime<chrono::Utc>, Instant)>,
}

impl FileReporter {
    pub fn new(paths: ReportPaths, suite: Arc<Suite>, baseline: Arc<Baseline>) -> Self {
        FileReporter {
            paths,
            suite,
            baseline,
            started: None,
        }
    }
}

/// Names the file in a write error, which io::Error alone does not.
fn write_file(path: &PathBuf, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

impl Reporter for FileReporter {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::RunStarted(info) => {
                self.started = Some(((*info).clone(), chrono::Utc::now(), Instant::now()));
                Ok(())
            }
            Event::ScenarioSlow { .. } | Event::ScenarioFinished(_) => Ok(()),
            Event::RunFinished { records, .. } => {
                let Some((info, started_at, clock)) = &self.started else {
                    return Ok(());
                };
                let report = RunReport::build(
                    info,
                    &self.suite,
                    records,
                    &self.baseline,
                    *started_at,
                    clock.elapsed(),
                    self.paths.transcripts,
                );
                if let Some(path) = &self.paths.json {
                    let json = serde_json::to_vec_pretty(&report).map_err(io::Error::other)?;
                    write_file(path, &json)?;
                }
                if let Some(path) = &self.paths.junit {
                    write_file(path, junit::render(&report)?.as_bytes())?;
                }
                if let Some(path) = &self.paths.html {
                    write_file(path, html::render(&report).as_bytes())?;
                }
                Ok(())
            }
        }
    }
}
