//! The S3 multipart suite checks itself:
//!
//! - every bundled `s3::` scenario passes against the embedded reference server
//!   (`upspec run` without `--target`: signed, with the features `checksum`,
//!   `copy` and `conditional_write` declared), or is skipped because it needs a
//!   feature that server does not have (tagging, encryption, GetObjectAttributes);
//! - the catalogue has every row of the research note's §1, each cited or excluded;
//! - the known-answer vectors of `fixtures/s3/vectors.yaml` are what their bytes
//!   hash to, and the scenarios carry exactly those values.

#[path = "support/isolated.rs"]
mod isolated;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_json::Value;
use sha1::Sha1;
use sha2::Sha256;
use upspec::assembly::load;
use upspec::scenario::SpecTree;
use upspec::scenario::catalogue::{self, Status};
use upspec::scenario::model::{Level, Scenario};

/// What the embedded target declares (src/cli/embedded.rs) plus `s3` and `s3:sigv4`.
const EMBEDDED: &[&str] = &[
    "s3",
    "s3:sigv4",
    "s3:checksum",
    "s3:copy",
    "s3:conditional_write",
];

/// Features some scenarios need and the reference server does not offer: those
/// scenarios must be skipped against it, and nothing else may be.
const NOT_EMBEDDED: &[&str] = &[
    "s3:tagging",
    "s3:object_attributes",
    "s3:sse_c",
    "s3:sse_s3",
    "s3:sse_kms",
];

fn s3_scenarios() -> Vec<Arc<Scenario>> {
    let suite = load(&SpecTree::bundled()).unwrap_or_else(|e| panic!("{e}"));
    suite
        .scenarios
        .iter()
        .filter(|s| s.module.first().is_some_and(|m| m == "s3"))
        .cloned()
        .collect()
}

// ------------------------------------------------------------------ self-check

#[test]
fn the_s3_suite_passes_against_the_embedded_reference_server_signed() {
    let started = Instant::now();
    let scenarios = s3_scenarios();
    assert!(
        scenarios.len() > 100,
        "only {} S3 scenarios",
        scenarios.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("s3.json");
    let output = isolated::upspec()
        .args(["run", "s3::", "--format", "terse", "--report-json"])
        .arg(&report)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}):\n{text}")),
    )
    .unwrap();
    let mut problems = Vec::new();
    if output.status.code() != Some(0) {
        problems.push(format!("exit code {:?}", output.status.code()));
    }
    assert_eq!(
        report["embedded_target"],
        Value::Bool(true),
        "not the embedded target"
    );
    let capabilities: BTreeSet<&str> = report["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|c| *c == "s3" || c.starts_with("s3:"))
        .collect();
    assert_eq!(
        capabilities,
        EMBEDDED.iter().copied().collect(),
        "the embedded target's S3 capabilities changed: update EMBEDDED and docs/s3-suite.md"
    );
    let records = report["scenarios"].as_array().cloned().unwrap_or_default();
    for scenario in &scenarios {
        let name = scenario.name();
        let Some(record) = records.iter().find(|r| r["name"] == name.as_str()) else {
            problems.push(format!("{name}: not in the report"));
            continue;
        };
        let verdict = record["verdict"].as_str().unwrap_or("?");
        let missing: Vec<&str> = scenario
            .requires
            .iter()
            .map(|r| r.name.as_str())
            .filter(|r| !EMBEDDED.contains(r))
            .collect();
        if let Some(unknown) = missing.iter().find(|r| !NOT_EMBEDDED.contains(r)) {
            problems.push(format!(
                "{name}: requires `{unknown}`, which is neither declared by the embedded target nor a known feature"
            ));
        }
        if missing.is_empty() {
            if verdict != "passed" {
                problems.push(format!(
                    "{name}: {verdict}, expected passed\n{}",
                    record["failure"]["text"].as_str().unwrap_or_default()
                ));
            }
        } else {
            let reason = record["skip_reason"].as_str().unwrap_or_default();
            let expected = format!("target does not support `{}`", missing[0]);
            if verdict != "skipped" || !reason.contains(&expected) {
                problems.push(format!(
                    "{name}: {verdict} ({reason}), expected skipped with `{expected}`"
                ));
            }
        }
    }
    let s3_records = records
        .iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("s3::")))
        .count();
    if s3_records != scenarios.len() {
        problems.push(format!(
            "the report has {s3_records} S3 scenarios, the suite {}",
            scenarios.len()
        ));
    }
    for verdict in ["failed", "warned", "error"] {
        if let Some(count) = report["totals"][verdict].as_u64()
            && count > 0
        {
            problems.push(format!("{count} scenarios {verdict}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}\n\n{text}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "{} S3 scenarios against the embedded reference server in {:.1?}",
        scenarios.len(),
        started.elapsed()
    );
}

// ------------------------------------------------------------------ catalogue

#[test]
fn the_catalogue_has_every_row_cited_or_excluded() {
    let tree = SpecTree::bundled();
    let suite = load(&tree).unwrap_or_else(|e| panic!("{e}"));
    let catalogues = catalogue::load_all(&tree).unwrap_or_else(|e| panic!("{e}"));
    let s3 = catalogues
        .iter()
        .find(|c| c.protocol == "s3-multipart")
        .expect("specs/s3/multipart/requirements.yaml");
    assert_eq!(&*s3.file, "specs/s3/multipart/requirements.yaml");
    // §1 has rows 1-108; row 103 (`S3-MPU-SSE-KMS/S3`) is two IDs here, row 64
    // is two (what every server must meet, S3-MPU-ABORT-UNKNOWN-KEEPS, apart from
    // the answer), row 36 is two (the ETag's consistency, S3-MPU-COMPLETE-ETAG,
    // apart from AWS's formula, S3-MPU-COMPLETE-ETAG-FORMULA), and four rows were
    // added after the note (S3-MPU-AUTH-SIGNED-HEADERS, S3-MPU-DELETE-KEYS,
    // S3-MPU-XML-ROOTS, S3-MPU-ERROR-DETAILS).
    assert_eq!(s3.requirements.len(), 115);
    for requirement in &s3.requirements {
        assert!(requirement.id.starts_with("S3-MPU-"), "{}", requirement.id);
    }
    let coverage = catalogue::coverage(s3, &catalogues, &suite.scenarios);
    let gaps: Vec<String> = coverage
        .rows
        .iter()
        .filter(|r| r.status == Status::Uncovered)
        .map(|r| r.id.clone())
        .chain(coverage.problems.iter().cloned())
        .collect();
    assert!(gaps.is_empty(), "{gaps:?}");
    // An excluded MUST row must not hide a testable one: each names its reason.
    for row in &coverage.rows {
        if let Status::Excluded(reason) = &row.status {
            assert!(reason.len() > 30, "{}: thin reason `{reason}`", row.id);
        }
        if row.level == Level::Must
            && let Status::Covered(names) = &row.status
        {
            assert!(!names.is_empty());
        }
    }
}

// ------------------------------------------------------------------ vectors

const VECTORS: &str = include_str!("../fixtures/s3/vectors.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    digest: String,
    value: String,
    #[serde(default)]
    parts: Vec<PartSpec>,
    #[serde(default)]
    part_md5s: Vec<String>,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct PartSpec {
    #[serde(default)]
    fill: Option<String>,
    #[serde(default)]
    size: Option<usize>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    base64: Option<String>,
}

impl PartSpec {
    fn bytes(&self) -> Vec<u8> {
        match (&self.fill, self.size, &self.text, &self.base64) {
            (Some(fill), Some(size), None, None) => {
                let mut bytes = fill.repeat(size / fill.len().max(1) + 1).into_bytes();
                bytes.truncate(size);
                bytes
            }
            (None, None, Some(text), None) => text.as_bytes().to_vec(),
            (None, None, None, Some(encoded)) => b64().decode(encoded).unwrap(),
            _ => panic!("a part is `fill` with `size`, `text` or `base64`: {self:?}"),
        }
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// A table-driven reflected CRC (CRC32C and CRC64/NVME have no crate in the
/// workspace; crc32fast covers CRC32).
fn reflected_crc(poly: u64, bits: u32, data: &[u8]) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let table: Vec<u64> = (0..256u64)
        .map(|byte| {
            (0..8).fold(byte, |crc, _| {
                if crc & 1 == 1 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                }
            })
        })
        .collect();
    let crc = data.iter().fold(mask, |crc, &byte| {
        table[((crc ^ u64::from(byte)) & 0xff) as usize] ^ (crc >> 8)
    });
    crc ^ mask
}

/// The raw digest of `data` by one algorithm.
fn raw(algorithm: &str, data: &[u8]) -> Vec<u8> {
    match algorithm {
        "md5" => Md5::digest(data).to_vec(),
        "sha1" => Sha1::digest(data).to_vec(),
        "sha256" => Sha256::digest(data).to_vec(),
        "crc32" => crc32fast::hash(data).to_be_bytes().to_vec(),
        "crc32c" => (reflected_crc(0x82F6_3B78, 32, data) as u32)
            .to_be_bytes()
            .to_vec(),
        "crc64nvme" => reflected_crc(0x9A6C_9329_AC4B_C9B5, 64, data)
            .to_be_bytes()
            .to_vec(),
        other => panic!("unknown algorithm `{other}`"),
    }
}

/// Digests of whole parts are shared by many vectors (5 MiB each): compute each once.
#[derive(Default)]
struct Digests(BTreeMap<(String, Vec<PartSpec>), Vec<u8>>);

impl Digests {
    fn of(&mut self, algorithm: &str, parts: &[PartSpec]) -> Vec<u8> {
        self.0
            .entry((algorithm.to_owned(), parts.to_vec()))
            .or_insert_with(|| {
                let data: Vec<u8> = parts.iter().flat_map(PartSpec::bytes).collect();
                raw(algorithm, &data)
            })
            .clone()
    }

    fn compute(&mut self, vector: &Vector) -> String {
        let each = |digests: &mut Self, algorithm: &str| -> Vec<Vec<u8>> {
            vector
                .parts
                .iter()
                .map(|p| digests.of(algorithm, std::slice::from_ref(p)))
                .collect()
        };
        match vector.digest.as_str() {
            "md5" => hex(&self.of("md5", &vector.parts)),
            "content-md5" => b64().encode(self.of("md5", &vector.parts)),
            "etag" => {
                let md5s: Vec<Vec<u8>> = if vector.part_md5s.is_empty() {
                    each(self, "md5")
                } else {
                    vector.part_md5s.iter().map(|h| unhex(h)).collect()
                };
                format!("{}-{}", hex(&Md5::digest(md5s.concat())), md5s.len())
            }
            composite if composite.starts_with("composite-") => {
                let algorithm = &composite["composite-".len()..];
                let raws = each(self, algorithm);
                b64().encode(raw(algorithm, &raws.concat()))
            }
            algorithm => b64().encode(self.of(algorithm, &vector.parts)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn fixture() -> Fixture {
    serde_saphyr::from_str(VECTORS).unwrap_or_else(|e| panic!("fixtures/s3/vectors.yaml: {e}"))
}

#[test]
fn every_vector_is_what_its_bytes_hash_to() {
    let fixture = fixture();
    let mut names = BTreeSet::new();
    let mut digests = Digests::default();
    let mut wrong = Vec::new();
    for vector in &fixture.vectors {
        assert!(names.insert(vector.name.clone()), "{} twice", vector.name);
        let computed = digests.compute(vector);
        if computed != vector.value {
            wrong.push(format!(
                "{}: the fixture says {}, the bytes give {computed}",
                vector.name, vector.value
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Variable names that hold a known answer: digests and ETags of fixed bytes.
fn looks_like_a_vector(name: &str) -> bool {
    [
        "md5_",
        "content_md5_",
        "sha1_",
        "sha256_",
        "crc32_",
        "crc32c_",
        "crc64nvme_",
        "etag_",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

#[test]
fn scenarios_carry_the_fixture_values() {
    let fixture = fixture();
    let values: BTreeMap<&str, &str> = fixture
        .vectors
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    let mut used = BTreeSet::new();
    let mut wrong = BTreeSet::new();
    for scenario in s3_scenarios() {
        for (name, template) in &scenario.vars {
            if !looks_like_a_vector(name) {
                continue;
            }
            let actual = template.as_ref().and_then(|t| t.as_literal());
            match (values.get(name.as_str()), actual) {
                (Some(expected), Some(actual)) if *expected == actual => {
                    used.insert(name.clone());
                }
                (Some(expected), actual) => {
                    wrong.insert(format!(
                        "{}: `{name}` is {actual:?}, the fixture says {expected}",
                        scenario.module.join("/")
                    ));
                }
                (None, _) => {
                    wrong.insert(format!(
                        "{}: `{name}` looks like a known answer but fixtures/s3/vectors.yaml has no such vector",
                        scenario.module.join("/")
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
    // Every vector but the R2 documentation example (whose bytes are unknown) is
    // used by a scenario.
    let unused: Vec<&&str> = values
        .keys()
        .filter(|name| !used.contains(**name) && **name != "etag_r2_docs")
        .collect();
    assert!(unused.is_empty(), "vectors no scenario uses: {unused:?}");
}
