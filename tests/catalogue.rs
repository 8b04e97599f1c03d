//! The bundled suites against their requirement catalogues: every catalogued
//! requirement is cited by a scenario or excluded with a reason, no scenario cites
//! an unknown ID (the loader refuses those), and no scenario fails harder than the
//! requirements it checks allow. `upspec coverage` shows the same table. Every
//! MUST and SHOULD row quotes the sentence it rests on, unless it is derived.

use std::process::Command;

use upspec::assembly::load;
use upspec::scenario::SpecTree;
use upspec::scenario::catalogue::{self, Status};
use upspec::scenario::model::Level;
use upspec::scenario::tree::CatalogueFile;

#[test]
fn every_catalogued_requirement_is_covered_or_excluded() {
    let tree = SpecTree::bundled();
    let suite = load(&tree).unwrap_or_else(|e| panic!("{e}"));
    let catalogues = catalogue::load_all(&tree).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        catalogues.iter().any(|c| c.protocol == "tus"),
        "specs/tus/requirements.yaml is missing"
    );
    assert!(
        catalogues.iter().any(|c| c.protocol == "s3-multipart"),
        "specs/s3/multipart/requirements.yaml is missing"
    );
    let mut gaps = Vec::new();
    for catalogue in &catalogues {
        let coverage = catalogue::coverage(catalogue, &catalogues, &suite.scenarios);
        for row in &coverage.rows {
            if row.status == Status::Uncovered {
                gaps.push(format!(
                    "{}: {} ({}) is neither cited nor excluded",
                    catalogue.file, row.id, row.level
                ));
            }
        }
        gaps.extend(coverage.problems.iter().cloned());
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

#[test]
fn every_must_and_should_row_quotes_its_sentence() {
    let tree = SpecTree::bundled();
    let catalogues = catalogue::load_all(&tree).unwrap_or_else(|e| panic!("{e}"));
    let mut unquoted = Vec::new();
    let mut quoted = 0;
    for catalogue in &catalogues {
        for row in &catalogue.requirements {
            let needs_quote = match row.level {
                Level::Must | Level::Should => !row.derived,
                Level::May | Level::Impl => false,
            };
            match row.quote.as_deref().map(str::trim) {
                Some(quote) if !quote.is_empty() => quoted += 1,
                Some(_) | None if needs_quote => {
                    unquoted.push(format!("{}: {} ({})", catalogue.file, row.id, row.level));
                }
                Some(_) | None => {}
            }
            if row.level == Level::Impl {
                assert!(row.quote.is_none(), "{} is IMPL but quotes", row.id);
            }
        }
    }
    assert!(
        unquoted.is_empty(),
        "rows without a quote:\n{}",
        unquoted.join("\n")
    );
    assert!(quoted > 190, "only {quoted} quoted rows");
}

#[test]
fn a_catalogue_row_that_loses_its_quote_is_refused_where_it_stands() {
    let text = std::fs::read_to_string("specs/tus/requirements.yaml").unwrap();
    let quote = "\n      quote: \"The Server MUST prevent the client and/or proxies from caching the response by adding the `Cache-Control: no-store` header to the response.\" }";
    assert!(text.contains(quote), "TUS-CORE-HEAD-NOSTORE's quote moved");
    let file = CatalogueFile {
        display: "specs/tus/requirements.yaml".into(),
        dir: vec!["tus".into()],
        text: text.replace(quote, " }"),
    };
    let errors = catalogue::parse(&file).unwrap_err();
    assert_eq!(errors.len(), 1);
    let message = errors[0].to_string();
    assert!(
        message.contains("`TUS-CORE-HEAD-NOSTORE` is MUST but quotes no sentence"),
        "{message}"
    );
    assert!(
        message.contains("--> specs/tus/requirements.yaml:"),
        "{message}"
    );
}

/// MUST > SHOULD > MAY and IMPL (recorded only).
fn rank(level: Level) -> u8 {
    match level {
        Level::Must => 3,
        Level::Should => 2,
        Level::May | Level::Impl => 1,
    }
}

#[test]
fn scenarios_cite_requirements_and_fail_no_harder_than_they_allow() {
    let tree = SpecTree::bundled();
    let suite = load(&tree).unwrap_or_else(|e| panic!("{e}"));
    let catalogues = catalogue::load_all(&tree).unwrap_or_else(|e| panic!("{e}"));
    let mut wrong = Vec::new();
    for scenario in &suite.scenarios {
        let Some(catalogue) = catalogue::for_module(&catalogues, &scenario.module) else {
            continue;
        };
        if scenario.requirements.is_empty() {
            wrong.push(format!("{} cites no requirement", scenario.name()));
            continue;
        }
        // A versioned row may be stronger in some versions than in others: the
        // scenario may be as strong as the row is in any version it applies to.
        let versions = scenario.versions.as_ref().unwrap_or(&catalogue.versions);
        let strongest = scenario
            .requirements
            .iter()
            .filter_map(|id| catalogue.requirement(id))
            .filter_map(|row| row.strongest_in(versions))
            .map(rank)
            .max()
            .unwrap_or(0);
        if rank(scenario.level) > strongest {
            wrong.push(format!(
                "{} is {} but cites only weaker requirements ({})",
                scenario.name(),
                scenario.level,
                scenario.requirements.join(", ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn upspec_coverage_prints_the_table_and_the_totals() {
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .arg("coverage")
        .env_remove("UPSPEC_SPECS")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("tus (specs/tus/requirements.yaml)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("TUS-CORE-PATCH-409 ")
            && stdout.contains("tus::core::patch::offset-mismatch-409"),
        "{stdout}"
    );
    assert!(stdout.contains("\nexcluded:\n"), "{stdout}");
    assert!(stdout.contains("TUS-CKT-MATCH"), "{stdout}");
    for protocol in ["tus", "ietf", "s3-multipart"] {
        let totals = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{protocol}: ")))
            .unwrap_or_else(|| panic!("no {protocol} totals line:\n{stdout}"));
        assert!(totals.ends_with(", 0 uncovered"), "{totals}");
    }
    assert!(
        stdout.contains("s3-multipart (specs/s3/multipart/requirements.yaml)"),
        "{stdout}"
    );
    // A versioned catalogue shows each version's level where they differ.
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("RUFH-HEAD-COMPLETE") && line.contains("9:IMPL")),
        "{stdout}"
    );
}

#[test]
fn upspec_coverage_fails_on_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("demo")).unwrap();
    std::fs::write(
        dir.path().join("demo/requirements.yaml"),
        "protocol: demo\nrequirements:\n  - { id: DEMO-A, section: s, level: MUST, text: a, quote: q }\n  - { id: DEMO-B, section: s, level: SHOULD, text: b, quote: q }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("demo/a.yaml"),
        "scenarios:\n  - id: a\n    title: a\n    requirements: [DEMO-A]\n    level: MUST\n    steps: [ { request: { method: OPTIONS, url: \"{{target}}\" } } ]\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["coverage", "--specs"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DEMO-B"), "{stdout}");
    assert!(stdout.contains("UNCOVERED"), "{stdout}");
    assert!(
        stdout.contains("demo: 2 requirements, 1 covered, 0 excluded, 1 uncovered"),
        "{stdout}"
    );
}
