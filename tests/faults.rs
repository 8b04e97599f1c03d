//! The suites prove what they catch: against the reference server without
//! faults every scenario passes, and each deliberate fault of the server is
//! caught by a scenario citing a requirement the fault violates, at that
//! requirement's level (`upspec faults`; the rule is in `upspec::selfcheck`).
//! `docs/faults.md` is the table this produces, and must be current.
//!
//! One check serves every test here: it runs in this process (one server
//! per fault, memory store, scenarios in parallel), in about half a minute.

use std::sync::OnceLock;

use upspec::scenario::SpecTree;
use upspec::scenario::catalogue;
use upspec::selfcheck::{self, Options, Report};
use upspec_reference_server::Fault;

/// Faults whose deviation is a 5xx answer: only they may make the server
/// answer 5xx.
const SERVER_ERROR_FAULTS: &[Fault] = &[
    Fault::UnknownUpload500,
    Fault::ChecksumMismatch500,
    Fault::NoSuchUpload500,
    Fault::MalformedComplete500,
];

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let report = runtime
            .block_on(selfcheck::run_bundled(&Options::default()))
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{}", selfcheck::render::render_text(&report));
        report
    })
}

#[test]
fn every_fault_names_requirements_a_scenario_can_fail_on() {
    let catalogues = catalogue::load_all(&SpecTree::bundled()).unwrap_or_else(|e| panic!("{e}"));
    let problems: Vec<String> = Fault::ALL
        .iter()
        .filter_map(|&f| selfcheck::catch::fault_requirements(f, &catalogues).err())
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_suite_passes_without_faults_and_catches_every_fault() {
    let report = report();
    assert!(
        report.clean.failed.is_empty(),
        "without faults, {} scenarios failed, so a failure under a fault proves nothing:\n{}",
        report.clean.failed.len(),
        report
            .clean
            .failed
            .iter()
            .map(|(name, why)| format!("  {name}: {why}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(report.faults.len(), Fault::ALL.len());
    let missed: Vec<String> = report
        .faults
        .iter()
        .filter(|f| !f.caught())
        .map(|f| {
            format!(
                "  {} (violates {}): no scenario citing them failed at their level; other failures: {}",
                f.fault,
                f.fault.requirements().join(", "),
                if f.also_failed.is_empty() {
                    "none".to_owned()
                } else {
                    f.also_failed.join(", ")
                }
            )
        })
        .collect();
    assert!(
        missed.is_empty(),
        "{} of {} faults missed:\n{}",
        missed.len(),
        report.faults.len(),
        missed.join("\n")
    );
}

#[test]
fn a_fault_breaks_the_server_only_as_far_as_it_says() {
    let unexpected: Vec<String> = report()
        .faults
        .iter()
        .filter(|f| !SERVER_ERROR_FAULTS.contains(&f.fault) && !f.server_errors.is_empty())
        .map(|f| format!("  {}: {}", f.fault, f.server_errors.join(", ")))
        .collect();
    assert!(
        unexpected.is_empty(),
        "faults that made the server answer 5xx:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn docs_faults_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/faults.md");
    let generated = selfcheck::render::render_docs(report());
    if std::env::var_os("UPSPEC_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("writing docs/faults.md");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/faults.md is stale: run `UPSPEC_BLESS=1 cargo test --test faults` \
         (or `upspec faults --write-docs docs/faults.md`) and commit the result"
    );
}
