//! The finished run as one document: what the JSON report serialises and what
//! the JUnit and HTML reports render. Built once, so every format tells the same
//! story (docs/report-schema.json describes it).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{RunInfo, failure};
use crate::baseline::{Baseline, EntryStatus};
use crate::engine::outcome::{Exchange, FailureKind};
use crate::scenario::Suite;
use crate::scenario::model::Level;
use crate::verdict::{ScenarioRecord, Verdict};

/// Bumped when a field changes meaning or disappears (adding fields keeps it).
pub const SCHEMA_VERSION: u32 = 2;

/// Which scenarios a report carries the exchanges of: every exchange of an
/// all-pass run made its JSON report megabytes that nobody reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Transcripts {
    /// Every scenario's exchanges.
    All,
    /// Only the exchanges of scenarios that did not pass.
    Failures,
}

impl Transcripts {
    fn keeps(self, verdict: Verdict) -> bool {
        match self {
            Transcripts::All => true,
            Transcripts::Failures => verdict != Verdict::Passed,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub upspec_version: &'static str,
    pub target: String,
    pub embedded_target: bool,
    pub seed: u64,
    pub strict: bool,
    /// RFC 3339.
    pub started_at: String,
    pub duration_ms: u64,
    pub capabilities: Vec<String>,
    /// The version of each versioned protocol the run checked (the IETF draft's
    /// interop version).
    pub versions: BTreeMap<String, String>,
    /// Protocols the target does not speak, whose scenarios were all skipped.
    pub lacking_protocols: Vec<LackingProtocolEntry>,
    /// What discovery read (e.g. `Tus-Extension`).
    pub discovery: BTreeMap<String, String>,
    pub totals: BTreeMap<&'static str, usize>,
    /// Per protocol and extension: MUST and SHOULD met out of run.
    pub matrix: Vec<MatrixRow>,
    pub scenarios: Vec<ScenarioEntry>,
    pub requirements: Vec<RequirementEntry>,
    pub baseline: Vec<BaselineEntry>,
}

#[derive(Debug, Serialize)]
pub struct LackingProtocolEntry {
    pub name: &'static str,
    pub scenarios: usize,
    /// The flag that points a run at a target speaking it.
    pub enabled_by: &'static str,
}

#[derive(Debug, Serialize)]
pub struct MatrixRow {
    /// `tus-core`, `tus-creation`, …
    pub kind: String,
    pub must_met: usize,
    pub must_total: usize,
    pub should_met: usize,
    pub should_total: usize,
    pub skipped: usize,
    /// Scenarios that decided nothing (a set-up step failed); not in the totals.
    pub inconclusive: usize,
}

#[derive(Debug, Serialize)]
pub struct ScenarioEntry {
    pub name: String,
    pub kind: String,
    pub title: String,
    pub file: String,
    pub line: u32,
    pub level: &'static str,
    pub requirements: Vec<String>,
    pub verdict: Verdict,
    /// The verdict of each cited requirement: a failure belongs to the ones its
    /// check speaks for.
    pub requirement_verdicts: Vec<RequirementVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureEntry>,
    pub transcript: Vec<ExchangeEntry>,
    pub cleanup_problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RequirementVerdict {
    pub id: String,
    pub verdict: Verdict,
}

#[derive(Debug, Serialize)]
pub struct FailureEntry {
    /// `expectation`, `framing`, `too_large`, `transport`, `timeout` or `evaluation`.
    pub kind: &'static str,
    /// For a failure, the requirements the failed check speaks for; for an
    /// inconclusive scenario, those the failed set-up step rests on.
    pub requirements: Vec<String>,
    pub step: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// One line: what failed.
    pub message: String,
    /// The full text, as the terminal shows it.
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct ExchangeEntry {
    pub step: String,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body_bytes: u64,
    pub duration_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct RequirementEntry {
    pub id: String,
    /// The catalogue's level; without a catalogue, the strongest level of the citing scenarios.
    pub level: &'static str,
    /// `met`, `failed`, `warned`, `noted`, `known`, `inconclusive`, `skipped`,
    /// `excluded` or `not_run`.
    pub verdict: &'static str,
    /// Argued from the protocol's definitions rather than one sentence.
    pub derived: bool,
    pub scenarios: Vec<String>,
    /// The catalogue's one-line statement of the requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The sentence(s) of the spec it rests on, verbatim; null where the catalogue
    /// quotes none (IMPL rows, some derived and MAY rows, IDs outside a catalogue).
    pub quote: Option<String>,
    /// Why the catalogue excludes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BaselineEntry {
    pub scenario: String,
    pub step: String,
    pub expectation: String,
    pub observed: String,
    pub reason: String,
    pub status: EntryStatus,
}

impl RunReport {
    pub fn build(
        info: &RunInfo,
        suite: &Suite,
        records: &[ScenarioRecord],
        baseline: &Baseline,
        started_at: chrono::DateTime<chrono::Utc>,
        duration: std::time::Duration,
        transcripts: Transcripts,
    ) -> Self {
        let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
        for record in records {
            *totals.entry(record.verdict.as_str()).or_default() += 1;
        }
        RunReport {
            schema_version: SCHEMA_VERSION,
            upspec_version: info.version,
            target: info.target.clone(),
            embedded_target: info.embedded_target,
            seed: info.seed,
            strict: info.strict,
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: duration.as_millis() as u64,
            capabilities: info.capabilities.names.iter().cloned().collect(),
            versions: info.capabilities.versions.clone(),
            lacking_protocols: info
                .lacking_protocols
                .iter()
                .map(|p| LackingProtocolEntry {
                    name: p.name,
                    scenarios: p.scenarios,
                    enabled_by: p.enabled_by,
                })
                .collect(),
            discovery: info.capabilities.facts.clone(),
            totals,
            matrix: matrix(records),
            scenarios: records
                .iter()
                .map(|r| scenario_entry(suite, r, transcripts))
                .collect(),
            requirements: requirements(suite, records),
            baseline: baseline
                .review(records)
                .into_iter()
                .map(|(entry, status)| BaselineEntry {
                    scenario: entry.scenario.clone(),
                    step: entry.step.clone(),
                    expectation: entry.expectation.clone(),
                    observed: entry.observed.clone(),
                    reason: entry.reason.clone(),
                    status,
                })
                .collect(),
        }
    }
}

/// MUST and SHOULD requirements met out of those decided, per protocol and
/// extension (the human summary uses it too). A requirement counts once per kind,
/// at the strongest level a scenario checks it at, with the worst verdict its
/// checks reached; a scenario citing none counts as a requirement of its own.
pub fn matrix(records: &[ScenarioRecord]) -> Vec<MatrixRow> {
    let mut units: BTreeMap<(String, String), (Level, Vec<Verdict>)> = BTreeMap::new();
    for record in records {
        let kind = record.scenario.kind();
        let own = [(record.scenario.name(), record.verdict)];
        let verdicts: Vec<(String, Verdict)> = if record.requirement_verdicts.is_empty() {
            own.to_vec()
        } else {
            record.requirement_verdicts.clone()
        };
        for (id, verdict) in verdicts {
            let level = record.scenario.level_of(&id);
            let unit = units
                .entry((kind.clone(), id))
                .or_insert((level, Vec::new()));
            unit.0 = unit.0.min(level);
            unit.1.push(verdict);
        }
    }
    let mut rows: BTreeMap<String, MatrixRow> = BTreeMap::new();
    for ((kind, _), (level, verdicts)) in units {
        let row = rows.entry(kind.clone()).or_insert_with(|| MatrixRow {
            kind,
            must_met: 0,
            must_total: 0,
            should_met: 0,
            should_total: 0,
            skipped: 0,
            inconclusive: 0,
        });
        let (met, total) = match worst(&verdicts) {
            Verdict::Skipped => {
                row.skipped += 1;
                continue;
            }
            Verdict::Inconclusive => {
                row.inconclusive += 1;
                continue;
            }
            Verdict::Passed => (1, 1),
            Verdict::Failed
            | Verdict::Errored
            | Verdict::Warned
            | Verdict::Noted
            | Verdict::Known => (0, 1),
        };
        match level {
            Level::Must => {
                row.must_total += total;
                row.must_met += met;
            }
            Level::Should => {
                row.should_total += total;
                row.should_met += met;
            }
            Level::May | Level::Impl => {}
        }
    }
    rows.into_values().collect()
}

/// The verdict that speaks for several checks of one requirement: a failure
/// outweighs everything, and any decided check outweighs checks that decided nothing.
fn worst(verdicts: &[Verdict]) -> Verdict {
    [
        Verdict::Failed,
        Verdict::Errored,
        Verdict::Known,
        Verdict::Warned,
        Verdict::Noted,
        Verdict::Passed,
        Verdict::Inconclusive,
    ]
    .into_iter()
    .find(|v| verdicts.contains(v))
    .unwrap_or(Verdict::Skipped)
}

/// One entry per requirement of every catalogue the run touched (excluded rows with
/// their reason, rows no scenario of the run checked as `not_run`), then the IDs cited
/// outside any catalogue (a user's own scenarios).
fn requirements(suite: &Suite, records: &[ScenarioRecord]) -> Vec<RequirementEntry> {
    let mut citing: BTreeMap<&str, Vec<(&ScenarioRecord, Verdict)>> = BTreeMap::new();
    for record in records {
        for (id, verdict) in &record.requirement_verdicts {
            citing.entry(id).or_default().push((record, *verdict));
        }
    }
    let mut entries = Vec::new();
    for catalogue in &suite.catalogues {
        if !records
            .iter()
            .any(|r| catalogue.contains(&r.scenario.module))
        {
            continue;
        }
        for requirement in &catalogue.requirements {
            let cited = citing.remove(requirement.id.as_str()).unwrap_or_default();
            let exclusion = catalogue.exclusion(&requirement.id);
            let verdict = match (exclusion, cited.is_empty()) {
                (Some(_), _) => "excluded",
                (None, true) => "not_run",
                (None, false) => aggregate(&cited),
            };
            entries.push(RequirementEntry {
                id: requirement.id.clone(),
                level: requirement.level.as_str(),
                verdict,
                derived: requirement.derived,
                scenarios: cited.iter().map(|(r, _)| r.scenario.name()).collect(),
                text: Some(requirement.text.clone()),
                quote: requirement.quote.clone(),
                reason: exclusion.map(|e| e.reason.clone()),
            });
        }
    }
    for (id, cited) in citing {
        let level = cited
            .iter()
            .map(|(r, _)| r.scenario.level)
            .min()
            .unwrap_or(Level::Impl);
        entries.push(RequirementEntry {
            id: id.to_owned(),
            level: level.as_str(),
            verdict: aggregate(&cited),
            derived: false,
            scenarios: cited.iter().map(|(r, _)| r.scenario.name()).collect(),
            text: None,
            quote: None,
            reason: None,
        });
    }
    entries
}

/// A requirement's verdict from its verdicts in the scenarios citing it: the worst
/// one counts, and a single decided check outweighs scenarios that decided nothing.
fn aggregate(citing: &[(&ScenarioRecord, Verdict)]) -> &'static str {
    let verdicts: Vec<Verdict> = citing.iter().map(|(_, verdict)| *verdict).collect();
    match worst(&verdicts) {
        Verdict::Failed | Verdict::Errored => "failed",
        Verdict::Known => "known",
        Verdict::Warned => "warned",
        Verdict::Noted => "noted",
        Verdict::Passed => "met",
        Verdict::Inconclusive => "inconclusive",
        Verdict::Skipped => "skipped",
    }
}

fn scenario_entry(
    suite: &Suite,
    record: &ScenarioRecord,
    transcripts: Transcripts,
) -> ScenarioEntry {
    let scenario = &record.scenario;
    let result = record.result.as_ref();
    let failure = result.and_then(|r| {
        let f = r.outcome.failure()?;
        Some(FailureEntry {
            kind: match f.kind {
                FailureKind::Expectation { .. } => "expectation",
                FailureKind::Framing(_) => "framing",
                FailureKind::TooLarge { .. } => "too_large",
                FailureKind::Transport(_) => "transport",
                FailureKind::Timeout(_) => "timeout",
                FailureKind::Evaluation(_) => "evaluation",
            },
            requirements: f.requirements.clone(),
            step: f.step.clone(),
            file: f.span.file.to_string(),
            line: f.span.line,
            column: f.span.column,
            message: f.kind.to_string(),
            text: failure::render(suite, scenario, &r.outcome),
        })
    });
    ScenarioEntry {
        name: scenario.name(),
        kind: scenario.kind(),
        title: scenario.title.clone(),
        file: scenario.span.file.to_string(),
        line: scenario.span.line,
        level: scenario.level.as_str(),
        requirements: scenario.requirements.clone(),
        verdict: record.verdict,
        requirement_verdicts: record
            .requirement_verdicts
            .iter()
            .map(|(id, verdict)| RequirementVerdict {
                id: id.clone(),
                verdict: *verdict,
            })
            .collect(),
        skip_reason: record.skip_reason.clone(),
        duration_ms: result.map_or(0, |r| r.duration.as_millis() as u64),
        failure,
        transcript: result
            .filter(|_| transcripts.keeps(record.verdict))
            .map(|r| r.transcript.iter().map(exchange_entry).collect())
            .unwrap_or_default(),
        cleanup_problems: result
            .map(|r| {
                r.cleanup_problems
                    .iter()
                    .map(|f| format!("{}: {}", f.step, f.kind))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn exchange_entry(exchange: &Exchange) -> ExchangeEntry {
    let response = exchange.response.as_ref();
    ExchangeEntry {
        step: exchange.step.clone(),
        method: exchange.request.method.clone(),
        url: exchange.request.url.clone(),
        request_headers: exchange.request.headers.clone(),
        request_body_bytes: exchange.request.body_len,
        status: response.map(|r| r.status),
        response_headers: response.map(|r| r.headers.clone()).unwrap_or_default(),
        response_body_bytes: response.map_or(0, |r| r.body_len),
        duration_ms: exchange.duration.as_millis() as u64,
    }
}
