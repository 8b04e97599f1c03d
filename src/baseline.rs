//! Baselines: a checked-in list of a server's known deviations, so CI fails only
//! on new ones.
//!
//! An entry pins one observation: the scenario, the requirement its failed check
//! speaks for, the step, the expectation and the value observed (with run-specific
//! parts such as URLs, ids and dates normalised away). A baselined scenario that
//! fails in another way (a header now missing entirely, a status that changed
//! again) no longer matches its entry, so it is a new failure: a deviation that
//! gets worse is never hidden behind the one that was accepted. Entries that now
//! pass are reported, so the list shrinks.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::engine::outcome::{FailureKind, Outcome};
use crate::scenario::model::Scenario;
use crate::verdict::{ScenarioRecord, Verdict};

/// The format written by this version; files without it are the old, scenario-wide
/// format.
const FORMAT_VERSION: u32 = 2;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    #[serde(default)]
    pub known: Vec<KnownDeviation>,
}

/// One accepted observation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDeviation {
    /// The trial name, `tus::core::patch::offset-mismatch-409`.
    pub scenario: String,
    /// The requirements the failed check speaks for (empty for a transport error).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The step, as reports name it (`step 2`, `append [iteration 3]`).
    pub step: String,
    /// What was checked: `status`, `header Upload-Offset`, `xml Error/Code`,
    /// `framing`, `transport`, `timeout`.
    pub expectation: String,
    /// The value observed, normalised (see [`normalise`]).
    pub observed: String,
    pub reason: String,
}

/// The old format pinned whole scenarios or requirement IDs, which hid regressions.
/// Only its shape is recognised, to say how to rewrite it.
#[derive(Deserialize)]
struct ScenarioWideBaseline {
    #[serde(rename = "known")]
    _known: Vec<ScenarioWideEntry>,
}

#[derive(Deserialize)]
struct ScenarioWideEntry {
    #[serde(rename = "id")]
    _id: serde::de::IgnoredAny,
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
    /// A file in the format of upspec 0.1 (entries by `id`).
    ScenarioWide {
        path: PathBuf,
    },
    UnknownVersion {
        path: PathBuf,
        version: u32,
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
            BaselineError::ScenarioWide { path } => write!(
                f,
                "the baseline {} lists whole scenarios or requirements (`id:` entries), a \
                 format that hid new deviations behind known ones; baselines now pin each \
                 observation. Rewrite it from a run against the same server: \
                 `upspec run … --write-baseline {}`, then review the entries and their reasons",
                path.display(),
                path.display()
            ),
            BaselineError::UnknownVersion { path, version } => write!(
                f,
                "the baseline {} has version {version}; this upspec reads version \
                 {FORMAT_VERSION}",
                path.display()
            ),
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
    /// Its scenario failed exactly as the entry says: the deviation is still there.
    StillFailing,
    /// Its scenario failed in another way: a new failure, shown as such.
    FailsDifferently,
    /// Its scenario ran and passed: remove the entry.
    NowPasses,
    /// Its scenario did not run to a decision (skipped, filtered out, inconclusive,
    /// or a typo).
    Unused,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Read {
            path: path.to_owned(),
            error,
        })?;
        if serde_saphyr::from_str::<ScenarioWideBaseline>(&text).is_ok() {
            return Err(BaselineError::ScenarioWide {
                path: path.to_owned(),
            });
        }
        let display = path.display().to_string();
        let baseline: Baseline =
            serde_saphyr::from_str(&text).map_err(|e: serde_saphyr::Error| {
                BaselineError::Parse {
                    path: path.to_owned(),
                    rendered: e.render_with_options(serde_saphyr::render_options! {
                        source_name: Some(display.as_str()),
                    }),
                }
            })?;
        if baseline.version != FORMAT_VERSION {
            return Err(BaselineError::UnknownVersion {
                path: path.to_owned(),
                version: baseline.version,
            });
        }
        Ok(baseline)
    }

    /// The entry that pins exactly this outcome of `scenario`, if any.
    pub fn matching(&self, scenario: &Scenario, outcome: &Outcome) -> Option<&KnownDeviation> {
        let observed = Observation::of(scenario, outcome)?;
        self.known.iter().find(|entry| observed.is(entry))
    }

    /// Each entry with what became of it in this run.
    pub fn review<'a>(
        &'a self,
        records: &[ScenarioRecord],
    ) -> Vec<(&'a KnownDeviation, EntryStatus)> {
        self.known
            .iter()
            .map(|entry| {
                let record = records.iter().find(|r| r.scenario.name() == entry.scenario);
                let status = match record {
                    None => EntryStatus::Unused,
                    Some(record) => {
                        let still = record.result.as_ref().is_some_and(|result| {
                            Observation::of(&record.scenario, &result.outcome)
                                .is_some_and(|observed| observed.is(entry))
                        });
                        match record.verdict {
                            Verdict::Passed => EntryStatus::NowPasses,
                            _ if still => EntryStatus::StillFailing,
                            Verdict::Failed
                            | Verdict::Errored
                            | Verdict::Warned
                            | Verdict::Noted
                            | Verdict::Known => EntryStatus::FailsDifferently,
                            Verdict::Inconclusive | Verdict::Skipped => EntryStatus::Unused,
                        }
                    }
                };
                (entry, status)
            })
            .collect()
    }

    /// A starting baseline: every observation whose verdict fails the run (or is
    /// already known), each with a reason to be reviewed.
    pub fn from_failures(records: &[ScenarioRecord]) -> Self {
        Baseline {
            version: FORMAT_VERSION,
            known: records
                .iter()
                .filter(|r| r.verdict.fails_run() || r.verdict == Verdict::Known)
                .filter_map(|r| {
                    let observed = Observation::of(&r.scenario, &r.result.as_ref()?.outcome)?;
                    Some(observed.entry(format!(
                        "{} (recorded by --write-baseline)",
                        r.scenario.title
                    )))
                })
                .collect(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = String::from(
            "# upspec baseline: known deviations of the server under test, one observation\n\
             # each. A scenario that fails in any other way is a new failure.\n",
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

/// What a failed or errored scenario observed, in the terms a baseline pins.
struct Observation<'a> {
    scenario: String,
    requirements: &'a [String],
    step: &'a str,
    expectation: String,
    observed: String,
}

impl<'a> Observation<'a> {
    /// `None` for outcomes a baseline cannot accept: a pass, or an inconclusive
    /// run, which observed nothing about what it cites.
    fn of(scenario: &Scenario, outcome: &'a Outcome) -> Option<Observation<'a>> {
        let failure = match outcome {
            Outcome::Failed(failure) | Outcome::Errored(failure) => failure,
            Outcome::Passed | Outcome::Inconclusive(_) => return None,
        };
        let (expectation, observed) = match &failure.kind {
            FailureKind::Expectation { what, actual, .. } => (what.clone(), actual.clone()),
            FailureKind::Framing(message) => ("framing".to_owned(), message.clone()),
            FailureKind::Transport(message) => ("transport".to_owned(), message.clone()),
            FailureKind::Timeout(after) => ("timeout".to_owned(), format!("{after:?}")),
            FailureKind::Evaluation(message) => ("evaluation".to_owned(), message.clone()),
            FailureKind::TooLarge { .. } => ("too large".to_owned(), "413".to_owned()),
        };
        Some(Observation {
            scenario: scenario.name(),
            requirements: &failure.requirements,
            step: &failure.step,
            expectation,
            observed: normalise(&observed),
        })
    }

    fn is(&self, entry: &KnownDeviation) -> bool {
        entry.scenario == self.scenario
            && entry.requirements == self.requirements
            && entry.step == self.step
            && entry.expectation == self.expectation
            && entry.observed == self.observed
    }

    fn entry(self, reason: String) -> KnownDeviation {
        KnownDeviation {
            scenario: self.scenario,
            requirements: self.requirements.to_vec(),
            step: self.step.to_owned(),
            expectation: self.expectation,
            observed: self.observed,
            reason,
        }
    }
}

/// What varies from run to run, and its placeholder: URLs (upload URLs carry ids),
/// HTTP-dates and ISO 8601 times, UUIDs and long hex or base64-like ids.
static RUN_SPECIFIC: LazyLock<[(regex::Regex, &'static str); 5]> = LazyLock::new(|| {
    let rule = |pattern: &str, placeholder| {
        (
            regex::Regex::new(pattern).expect("the normalisation patterns are valid"),
            placeholder,
        )
    };
    [
        rule(r"https?://[^\s\x22'<>]+", "<url>"),
        rule(
            r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "<date>",
        ),
        rule(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "<date>",
        ),
        rule(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "<id>",
        ),
        rule(r"[0-9a-fA-F]{16,}|[A-Za-z0-9_\-]{32,}", "<id>"),
    ]
});

/// The observed value without its run-specific parts, so the same deviation
/// matches its entry in every run.
pub fn normalise(observed: &str) -> String {
    RUN_SPECIFIC
        .iter()
        .fold(observed.to_owned(), |text, (pattern, placeholder)| {
            pattern.replace_all(&text, *placeholder).into_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_keeps_the_value_and_drops_what_varies() {
        assert_eq!(normalise("204"), "204");
        assert_eq!(
            normalise("missing (0 bytes) from http://127.0.0.1:4000/files/0a1b2c3d4e5f60718293"),
            "missing (0 bytes) from <url>"
        );
        assert_eq!(
            normalise("\"Sat, 05 Dec 2026 09:00:00 GMT\" is not after \"2026-12-05T09:00:00Z\""),
            "\"<date>\" is not after \"<date>\""
        );
        assert_eq!(
            normalise("upload 3f2504e0-4f89-11d3-9a0c-0305e82c3301 is gone"),
            "upload <id> is gone"
        );
        assert_eq!(
            normalise("ETag \"d41d8cd98f00b204e9800998ecf8427e\""),
            "ETag \"<id>\""
        );
    }
}
