//! Golden tests of the loader's error output: each malformed file in
//! tests/golden/load-errors/ must produce exactly the text in its `.stderr` twin.
//! Run with `UPSPEC_BLESS=1` to rewrite the golden files after an intended change.

#[path = "support/golden_cases.rs"]
mod golden_cases;

use std::fs;
use std::path::Path;

use upspec::assembly::load;
use upspec::scenario::SpecTree;
use upspec::scenario::model::{Comparison, CutEnd, HeaderMatcher, SfKind, Step, ValueMatcher};

use golden_cases::check_golden_cases;

const GOLDEN: &str = "tests/golden/load-errors";

/// Loads one case. A `<case>.catalogue` file beside it, if any, is added to the tree
/// as its requirement catalogue (`requirements.yaml`, covering the case).
fn render_errors(name: &str, yaml: &str) -> String {
    let mut files = vec![(name.to_string(), yaml.as_bytes().to_vec())];
    let catalogue = Path::new(GOLDEN).join(name).with_extension("catalogue");
    if let Ok(text) = fs::read(&catalogue) {
        files.push(("requirements.yaml".to_string(), text));
    }
    let tree = SpecTree::in_memory(files);
    match load(&tree) {
        Ok(suite) => panic!(
            "{name} loaded without errors: {} scenarios",
            suite.scenarios.len()
        ),
        Err(errors) => format!("{errors}\n"),
    }
}

#[test]
fn every_malformed_file_renders_its_golden_error() {
    check_golden_cases(GOLDEN, 12, |name, case| {
        render_errors(name, &fs::read_to_string(case).unwrap())
    });
}

#[test]
fn errors_from_several_files_are_reported_together() {
    let dir = Path::new(GOLDEN);
    let files = [
        "unknown-key.yaml",
        "undefined-variable.yaml",
        "bad-status.yaml",
    ];
    let tree = SpecTree::in_memory(files.map(|f| (f.to_string(), fs::read(dir.join(f)).unwrap())));
    let errors = load(&tree).unwrap_err();
    assert_eq!(errors.0.len(), 3);
    let text = errors.to_string();
    for file in files {
        assert!(
            text.contains(&format!("--> {file}:")),
            "{file} missing from:\n{text}"
        );
    }
    assert!(text.ends_with("3 errors in 3 scenario files; no request was sent"));
}

#[test]
fn a_valid_file_lowers_every_feature() {
    let yaml = r#"
vars: { max_size: ~, chunk: 5 }
steps:
  tus.create:
    params: { length: ~, metadata: "" }
    steps:
      - name: create
        request:
          method: POST
          url: "{{target}}"
          headers: { Tus-Resumable: 1.0.0, Upload-Length: "{{length}}" }
        expect: { status: 201, headers: { Location: { present: true } } }
        capture:
          upload_url: { header: Location, resolve_url: true }
scenarios:
  - id: everything
    title: one of each
    requirements: [TUS-CORE-PATCH-204]
    level: SHOULD
    requires: [creation]
    timeout: 30s
    steps:
      - use: tus.create
        with: { length: "{{max_size}}" }
      - parallel:
          - name: a
            request: { method: PATCH, url: "{{upload_url}}", body: { random: 5MiB, seed: 7 }, abort_after: 100 }
          - request: { method: PATCH, url: "{{upload_url}}", body: { base64: aGVsbG8= }, timeout: 2s }
          - request: { method: PATCH, url: "{{upload_url}}", body: "0123456789", stall_after: "{{chunk - 1}}", timeout: "{{chunk + 10}}s" }
      - repeat:
          times: 3
          as: part
          while: { var: more, is: "true" }
          steps:
            - request: { method: GET, url: "{{upload_url}}?part={{part}}" }
              capture:
                more: { xml: Result/IsTruncated }
      - delay: 100ms
      - request: { method: GET, url: "{{upload_url}}" }
        expect:
          status: [200, 2xx]
          headers:
            Upload-Offset: { ge: "{{chunk}}", lt: 10 }
            Tus-Extension: { contains: creation }
            X-Absent: { absent: true }
          body: { equals: { sent_by: [create, a] }, sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 }
    finally:
      - request: { method: DELETE, url: "{{upload_url}}" }
"#;
    let suite =
        load(&SpecTree::in_memory([("tus/core/all.yaml", yaml)])).unwrap_or_else(|e| panic!("{e}"));
    let scenario = &suite.scenarios[0];
    assert_eq!(scenario.name(), "tus::core::all::everything");
    assert_eq!(scenario.kind(), "tus-core");
    assert_eq!(scenario.needs_vars, ["max_size"]);
    assert_eq!(scenario.steps.len(), 5);
    assert_eq!(scenario.finally.len(), 1);
    assert_eq!(scenario.span.line, 16);
    let Step::Parallel(branches) = &scenario.steps[1] else {
        panic!("step 2 is the parallel one");
    };
    let request = |index: usize| match &branches[index] {
        Step::Request(request) => request,
        other => panic!("branch {index} is {other:?}"),
    };
    let abort = request(0).cut.as_ref().unwrap();
    assert_eq!(
        (abort.then, abort.after.to_string()),
        (CutEnd::Abort, "100".into())
    );
    assert_eq!(
        request(1).timeout.as_ref().unwrap().as_literal().unwrap(),
        "2s"
    );
    let stall = request(2).cut.as_ref().unwrap();
    assert_eq!(
        (stall.then, stall.after.to_string()),
        (CutEnd::Stall, "{{chunk - 1}}".into())
    );
    assert_eq!(
        request(2).timeout.as_ref().unwrap().to_string(),
        "{{chunk + 10}}s"
    );
}

#[test]
fn interim_structured_field_and_json_checks_lower() {
    let yaml = r#"
scenarios:
  - id: issue-13
    title: one of each new check
    level: MUST
    steps:
      - request:
          method: POST
          url: "{{target}}"
          headers: { Expect: 100-continue }
          body: hello
          continue_timeout: 250ms
        expect:
          status: 201
          continue_answered: true
          interim:
            - status: 104
              headers: { Location: { present: true } }
              before: 100
            - { status: 100, count: 1 }
            - { status: 103, count: { ge: 0, le: 2 } }
          headers:
            Upload-Complete: { sf: boolean, equals: "?1" }
            Upload-Limit: { sf: dictionary, members: { max-size: { sf: integer, ge: 1 }, min-append-size: { absent: true } } }
          body:
            json:
              /type: { equals: "https://iana.org/assignments/http-problem-types#mismatching-upload-offset" }
              /expected-offset: { sf: integer, eq: 5 }
              /detail: { absent: true }
        capture:
          early: { interim: 104, header: Location, resolve_url: true }
          max_size: { header: Upload-Limit, member: max-size }
          expected: { json: /expected-offset }
"#;
    let suite = load(&SpecTree::in_memory([("new.yaml", yaml)])).unwrap_or_else(|e| panic!("{e}"));
    let Step::Request(request) = &suite.scenarios[0].steps[0] else {
        panic!("a request");
    };
    assert_eq!(
        request
            .continue_timeout
            .as_ref()
            .unwrap()
            .as_literal()
            .unwrap(),
        "250ms"
    );
    let expect = &request.expect;
    assert_eq!(expect.continue_answered.as_ref().unwrap().line, 15);
    let interim: Vec<_> = expect
        .interim
        .iter()
        .map(|i| (i.status, i.count.clone(), i.headers.len(), i.before))
        .collect();
    assert_eq!(
        interim,
        [
            (104, vec![(Comparison::Ge, 1)], 1, Some(100)),
            (100, vec![(Comparison::Eq, 1)], 0, None),
            (103, vec![(Comparison::Ge, 0), (Comparison::Le, 2)], 0, None),
        ]
    );
    let sf = |index: usize| match &expect.headers[index].matcher {
        HeaderMatcher::Value(checks) => match checks.as_slice() {
            [ValueMatcher::Sf(sf)] => sf.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    // BTreeMap order: Upload-Complete, Upload-Limit.
    assert_eq!(sf(0).kind, SfKind::Boolean);
    assert!(matches!(sf(0).then.as_slice(), [ValueMatcher::Equals(_)]));
    let limit = sf(1);
    assert_eq!(limit.kind, SfKind::Dictionary);
    let members: Vec<&str> = limit.members.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(members, ["max-size", "min-append-size"]);
    let body = expect.body.as_ref().unwrap();
    let pointers: Vec<&str> = body.json.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(pointers, ["/expected-offset", "/type"]);
    assert!(matches!(body.json[0].1, ValueMatcher::Sf(_)));
    assert_eq!(body.json_presence, [("/detail".to_owned(), false)]);
    let sources: Vec<String> = request
        .captures
        .iter()
        .map(|c| format!("{}={:?}", c.var, c.source))
        .collect();
    assert_eq!(
        sources,
        [
            "early=InterimHeader { status: 104, name: \"Location\", resolve_url: true }",
            "expected=Json(\"/expected-offset\")",
            "max_size=Member { header: \"Upload-Limit\", key: \"max-size\" }",
        ]
    );
}

/// A file with a mistake is read again in parts, so that each part reports its
/// own; an alias cannot be read apart from its anchor, so a file with one reports
/// its first mistake only, as the parser finds it (and loads when it has none).
#[test]
fn a_file_with_aliases_is_read_whole() {
    let yaml = r#"
scenarios:
  - id: first
    title: defines the anchor
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}", headers: &h { Tus-Resumable: 1.0.0 } }
  - id: second
    TITLE: uses it
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}", headers: *h }
        expct: { status: 204 }
"#;
    let tree =
        |yaml: &str| SpecTree::in_memory([("aliases.yaml".to_string(), yaml.as_bytes().to_vec())]);
    let errors = load(&tree(yaml)).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(
        errors.to_string().contains("unknown key `TITLE`"),
        "{errors}"
    );
    let fixed = yaml.replace("TITLE", "title").replace("expct", "expect");
    let suite = load(&tree(&fixed)).unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(suite.scenarios.len(), 2);
}
