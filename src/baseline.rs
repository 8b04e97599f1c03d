//! Baselines: a checked-in list of a server's known deviations, so CI fails only
//! on new ones. Each entry names a scenario (`tus::core::patch::offset-mismatch-409`)
//! or a requirement ID (`TUS-CORE-PATCH-415`, covering every scenario that cites
//! it), with the reason. Entries that now pass are reported so the list shrinks.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::ScenarioRecord;
use crate::scenario::model::Scenario;
use crate::verdict::Verdict;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(default)]
    pub known: Vec<KnownDeviation>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDeviation {
    /// A scenario name or a requirement ID.
    pub id: String,
    pub reason: String,
}

#[derive(Debug)]
pub enum BaselineError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    Parse {
        path: PathBuf,
        rendered: String,
    },
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Read { path, error } => {
                write!(f, "cannot read the baseline {}: {error}", path.display())
            }
            BaselineError::Parse { path, rendered } => {
                write!(f, "invalid baseline {}:\n{rendered}", path.display())
            }
            BaselineError::Write { path, error } => {
                write!(f, "cannot write the baseline {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for BaselineError {}

/// What became of one baseline entry in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Some scenario it covers still fails: the deviation is still there.
    StillFailing,
    /// Every scenario it covers ran and passed: remove the entry.
    NowPasses,
    /// It covers no scenario that ran (skipped, filtered out, or a typo).
    Unused,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Read {
            path: path.to_owned(),
            error,
        })?;
        let display = path.display().to_string();
        serde_saphyr::from_str(&text).map_err(|e: serde_saphyr::Error| BaselineError::Parse {
            path: path.to_owned(),
            rendered: e.render_with_options(serde_saphyr::render_options! {
                source_name: Some(display.as_str()),
            }),
        })
    }

    /// The entry that covers `scenario`, if any.
    pub fn covering(&self, scenario: &Scenario) -> Option<&KnownDeviation> {
        let name = scenario.name();
        self.known
            .iter()
            .find(|entry| entry.id == name || scenario.requirements.contains(&entry.id))
    }

    /// Each entry with what became of it in this run.
    pub fn review<'a>(
        &'a self,
        records: &[ScenarioRecord],
    ) -> Vec<(&'a KnownDeviation, EntryStatus)> {
        self.known
            .iter()
            .map(|entry| {
                let covered: Vec<&ScenarioRecord> = records
                    .iter()
                    .filter(|r| {
                        r.verdict != Verdict::Skipped
                            && (r.scenario.name() == entry.id
                                || r.scenario.requirements.contains(&entry.id))
                    })
                    .collect();
                let status = if covered.is_empty() {
                    EntryStatus::Unused
                } else if covered.iter().any(|r| r.verdict == Verdict::Known) {
                    EntryStatus::StillFailing
                } else {
                    EntryStatus::NowPasses
                };
                (entry, status)
            })
            .collect()
    }

    /// A starting baseline: every scenario whose verdict fails the run (or is already known).
    pub fn from_failures(records: &[ScenarioRecord]) -> Self {
        Baseline {
            known: records
                .iter()
                .filter(|r| r.verdict.fails_run() || r.verdict == Verdict::Known)
                .map(|r| KnownDeviation {
                    id: r.scenario.name(),
                    reason: format!("{} (recorded by --write-baseline)", r.scenario.title),
                })
                .collect(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = String::from(
            "# upspec baseline: known deviations of the server under test.\n\
             # Each id is a scenario name or a requirement ID; say why it is known.\n",
        );
        let body = serde_saphyr::to_string(self).map_err(|e| BaselineError::Write {
            path: path.to_owned(),
            error: std::io::Error::other(e.to_string()),
        })?;
        text.push_str(&body);
        std::fs::write(path, text).map_err(|error| BaselineError::Write {
            path: path.to_owned(),
            error,
        })
    }
}
