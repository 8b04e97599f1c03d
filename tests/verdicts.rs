//! The verdict model end to end: the `upspec` binary against a small server
//! started here on 127.0.0.1, whose answers each show one rule. A wrong XML root
//! fails exactly the requirement that names the root; a refused set-up step makes
//! its scenario inconclusive; chunked and Content-Length bodies, relative and
//! absolute Locations are read alike; a small advertised Tus-Max-Size sizes the
//! bodies of scenarios that are not about limits.

use std::process::Command;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, options, patch, post};

const LISTING: &str =
    "<ListPartsResponse><Part><PartNumber>1</PartNumber></Part></ListPartsResponse>";

/// The largest body `/sized` takes, and the `Tus-Max-Size` OPTIONS advertises.
const LIMIT: usize = 1000;

const CATALOGUE: &str = r#"
protocol: demo
requirements:
  - { id: R-PARTS, section: "1", level: MUST, text: "A listing names its parts.", quote: "…" }
  - { id: R-ROOT, section: "2", level: MUST, text: "A listing's root element is ListPartsResult.", quote: "…" }
  - { id: R-AFTER, section: "3", level: MUST, text: "What a created upload answers.", quote: "…" }
  - { id: R-LOC, section: "4", level: MUST, text: "A created upload answers at its Location.", quote: "…" }
  - { id: R-SIZE, section: "5", level: MUST, text: "A large body is stored.", quote: "…" }
"#;

const SCENARIOS: &str = r#"
vars:
  tus_chunk_size: 1048576
scenarios:
  - id: listing-read-whatever-the-root
    title: paths read the listing whatever its root is called
    requirements: [R-PARTS]
    level: MUST
    steps:
      - request: { method: GET, url: "{{target}}listing" }
        expect: { status: 200, body: { xml: { ListPartsResult/Part/PartNumber: "1" } } }
  - id: listing-chunked
    title: a chunked listing reads as the Content-Length one does
    requirements: [R-PARTS]
    level: MUST
    steps:
      - request: { method: GET, url: "{{target}}listing-chunked" }
        expect: { status: 200, body: { xml: { ListPartsResult/Part/PartNumber: "1" } } }
  - id: listing-root
    title: the root element is named as the requirement says
    requirements: [R-ROOT]
    level: MUST
    steps:
      - request: { method: GET, url: "{{target}}listing" }
        expect: { status: 200, body: { root: ListPartsResult } }
  - id: refused-setup
    title: a creation refused on the way decides nothing
    requirements: [R-AFTER]
    level: MUST
    steps:
      - request: { method: POST, url: "{{target}}refuse" }
        checks: []
        expect: { status: 201 }
      - request: { method: HEAD, url: "{{target}}uploads/1" }
        expect: { status: 200 }
  - id: relative-location
    title: a relative Location is followed
    requirements: [R-LOC]
    level: MUST
    steps:
      - request: { method: POST, url: "{{target}}create-relative" }
        checks: []
        expect: { status: 201 }
        capture: { upload_url: { header: Location, resolve_url: true } }
      - request: { method: HEAD, url: "{{upload_url}}" }
        expect: { status: 200, headers: { Upload-Offset: "0" } }
  - id: absolute-location
    title: an absolute Location is followed
    requirements: [R-LOC]
    level: MUST
    steps:
      - request: { method: POST, url: "{{target}}create-absolute" }
        checks: []
        expect: { status: 201 }
        capture: { upload_url: { header: Location, resolve_url: true } }
      - request: { method: HEAD, url: "{{upload_url}}" }
        expect: { status: 200, headers: { Upload-Offset: "0" } }
  - id: sized-to-the-limit
    title: a large body fits the advertised maximum
    requirements: [R-SIZE]
    level: MUST
    steps:
      - request:
          method: PATCH
          url: "{{target}}sized"
          body: { random: "{{tus_chunk_size}}" }
        expect: { status: 204 }
"#;

/// Starts the server and returns its base URL.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}/");
    let absolute = format!("{base}uploads/1");
    let app = Router::new()
        .route(
            "/",
            options(|| async {
                (
                    StatusCode::NO_CONTENT,
                    [
                        ("Tus-Version", "1.0.0".to_owned()),
                        ("Tus-Max-Size", LIMIT.to_string()),
                    ],
                )
            }),
        )
        .route("/listing", get(|| async { LISTING }))
        .route(
            "/listing-chunked",
            get(|| async {
                let parts: Vec<Result<Bytes, std::io::Error>> = LISTING
                    .as_bytes()
                    .chunks(7)
                    .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
                    .collect();
                Response::new(Body::from_stream(futures_util::stream::iter(parts)))
            }),
        )
        .route("/refuse", post(|| async { StatusCode::BAD_REQUEST }))
        .route(
            "/create-relative",
            post(|| async { (StatusCode::CREATED, [(header::LOCATION, "uploads/1")]) }),
        )
        .route(
            "/create-absolute",
            post(move || async move { (StatusCode::CREATED, [(header::LOCATION, absolute)]) }),
        )
        .route(
            "/uploads/1",
            head(|| async { (StatusCode::OK, [("Upload-Offset", "0")]) }),
        )
        .route(
            "/sized",
            patch(|_: HeaderMap, body: Bytes| async move {
                match body.len() {
                    0..=LIMIT => StatusCode::NO_CONTENT.into_response(),
                    _ => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[test]
fn each_deviation_fails_once_and_set_up_refusals_decide_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = runtime.block_on(serve());
    let specs = tempfile::tempdir().unwrap();
    let dir = specs.path().join("demo/core");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(specs.path().join("demo/requirements.yaml"), CATALOGUE).unwrap();
    std::fs::write(dir.join("verdicts.yaml"), SCENARIOS).unwrap();
    let report = specs.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_upspec"))
        .args(["run", "--target", &target, "--seed", "1"])
        .arg("--specs")
        .arg(specs.path())
        .arg("--report-json")
        .arg(&report)
        // The passing scenario's request is read below.
        .args(["--transcripts", "all"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let verdict = |id: &str| {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["verdict"].as_str().unwrap().to_owned())
    };
    assert_eq!(verdict("R-ROOT").as_deref(), Some("failed"), "{stdout}");
    assert_eq!(verdict("R-PARTS").as_deref(), Some("met"), "{stdout}");
    assert_eq!(verdict("R-LOC").as_deref(), Some("met"), "{stdout}");
    assert_eq!(verdict("R-SIZE").as_deref(), Some("met"), "{stdout}");
    assert_eq!(
        verdict("R-AFTER").as_deref(),
        Some("inconclusive"),
        "{stdout}"
    );
    assert_eq!(report["totals"]["failed"], 1, "{stdout}");
    assert_eq!(report["totals"]["inconclusive"], 1, "{stdout}");
    let scenario = |name: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == format!("demo::core::verdicts::{name}"))
            .unwrap()
            .clone()
    };
    let sized = scenario("sized-to-the-limit");
    let sent = sized["transcript"][0]["request_body_bytes"]
        .as_u64()
        .unwrap();
    assert_eq!(
        sent,
        (LIMIT / 2) as u64,
        "discovery halves a small Tus-Max-Size"
    );
    let refused = scenario("refused-setup");
    assert_eq!(refused["failure"]["step"], "step 1");
    assert_eq!(refused["transcript"].as_array().unwrap().len(), 1);
}
