//! The engine against live servers on 127.0.0.1: every body source, matcher,
//! capture and control-flow construct, each shown to pass and to fail, plus the
//! ways real targets misbehave, and what discovery makes of a target.

mod support;

use std::time::Duration;

use tokio::time::Instant;
use upspec::engine::outcome::{
    ContinueOutcome, Failure, FailureKind, Outcome, ResponseRecord, ScenarioResult,
};
use upspec::engine::{RunContext, run_scenario};
use upspec::scenario::model::{
    BodyExpect, BodySource, CaptureSource, Comparison, Condition, DigestAlgorithm, HeaderMatcher,
    SfKind, SfMatcher, StatusPattern, Step, ValueMatcher,
};

use support::build::{
    code, compare, context, definition, delay, equals, header, repeat, req, scenario, span, t,
    use_step,
};
use support::servers::{self, Misbehaviour, StallEnding, StallEvent};

#[track_caller]
fn assert_passed(result: &ScenarioResult) {
    assert!(
        matches!(result.outcome, Outcome::Passed),
        "expected a pass, got {:#?}",
        result.outcome
    );
}

#[track_caller]
fn failed(result: &ScenarioResult) -> &Failure {
    match &result.outcome {
        Outcome::Failed(failure) => failure,
        other => panic!("expected a failure, got {other:#?}"),
    }
}

/// A set-up step, a precondition or a capture did not get what it needed, or a
/// value could not be computed: the scenario decided nothing.
#[track_caller]
fn inconclusive(result: &ScenarioResult) -> &Failure {
    match &result.outcome {
        Outcome::Inconclusive(failure) => failure,
        other => panic!("expected an inconclusive outcome, got {other:#?}"),
    }
}

#[track_caller]
fn errored(result: &ScenarioResult) -> &Failure {
    match &result.outcome {
        Outcome::Errored(failure) => failure,
        other => panic!("expected an error, got {other:#?}"),
    }
}

/// `what`, `expected` and `actual` of an expectation failure.
#[track_caller]
fn mismatch(failure: &Failure) -> (&str, &str, &str) {
    match &failure.kind {
        FailureKind::Expectation {
            what,
            expected,
            actual,
        } => (what, expected, actual),
        other => panic!("expected an expectation failure, got {other:?}"),
    }
}

#[track_caller]
fn evaluation(failure: &Failure) -> &str {
    match &failure.kind {
        FailureKind::Evaluation(message) => message,
        other => panic!("expected an evaluation failure, got {other:?}"),
    }
}

/// A `/respond` path answering with this status, headers and body.
fn respond(status: u16, headers: &[(&str, &str)], body: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("status", &status.to_string());
    for (name, value) in headers {
        query.append_pair("h", &format!("{name}:{value}"));
    }
    if !body.is_empty() {
        query.append_pair("body", body);
    }
    format!("{{{{target}}}}respond?{}", query.finish())
}

fn with_var(mut ctx: RunContext, name: &str, value: &str) -> RunContext {
    ctx.variables.insert(name.into(), value.into());
    ctx
}

async fn run(steps: Vec<Step>, ctx: &RunContext) -> ScenarioResult {
    run_scenario(&scenario(steps), ctx).await
}

fn body(f: impl FnOnce(&mut BodyExpect)) -> BodyExpect {
    let mut expect = BodyExpect::default();
    f(&mut expect);
    expect
}

fn equals_text(text: &str) -> BodyExpect {
    body(|b| b.equals = Some(BodySource::Text(t(text))))
}

// ---------------------------------------------------------------- body sources

#[tokio::test]
async fn text_bodies_are_rendered_and_compared_byte_for_byte() {
    let server = servers::start().await;
    let ctx = with_var(context(&server.url), "name", "world");
    let echo = |expected: &str| {
        req("PUT", "{{target}}echo")
            .text("hello {{name}}")
            .expect_value("x-received-length", equals("11"))
            .expect_body(equals_text(expected))
            .step()
    };
    assert_passed(&run(vec![echo("hello {{name}}")], &ctx).await);

    let result = run(vec![echo("hello there")], &ctx).await;
    let failure = failed(&result);
    assert_eq!(
        mismatch(failure),
        (
            "body",
            "11 bytes equal to the expected body",
            "11 bytes, first differing at offset 6"
        )
    );
    assert_eq!(failure.span, span(3));
    let exchange = failure
        .exchange
        .as_ref()
        .expect("the failing exchange is attached");
    assert_eq!(exchange.request.body_excerpt, b"hello world");
    assert_eq!(
        exchange.response.as_ref().unwrap().body_excerpt,
        b"hello world"
    );
}

#[tokio::test]
async fn byte_bodies_are_sent_unchanged() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let bytes: &[u8] = &[0, 159, 146, 150, 255];
    let echo = |expected: &[u8]| {
        req("POST", "{{target}}echo")
            .body(BodySource::Bytes(bytes.into()))
            .expect_body(body(|b| {
                b.equals = Some(BodySource::Bytes(expected.into()))
            }))
            .step()
    };
    assert_passed(&run(vec![echo(bytes)], &ctx).await);
    let result = run(vec![echo(&bytes[..4])], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)).2,
        "5 bytes, equal for the first 4 then longer"
    );
}

#[tokio::test]
async fn random_bodies_are_reproducible_from_the_run_seed_or_an_explicit_seed() {
    let server = servers::start().await;
    let upload = |key: &str, seed: Option<u64>| {
        req("PUT", &format!("{{{{target}}}}store/{key}"))
            .body(BodySource::Random {
                size: t("{{size}}"),
                seed,
            })
            .status(&[code(204)])
            .step()
    };
    let stored = async |key: &str, run_seed: u64, explicit: Option<u64>| {
        let mut ctx = with_var(context(&server.url), "size", "100KiB");
        ctx.seed = run_seed;
        let result = run(vec![upload(key, explicit)], &ctx).await;
        assert_passed(&result);
        assert_eq!(result.transcript[0].request.body_len, 100 * 1024);
        server.received.stored(key).unwrap()
    };
    let first = stored("a", 1, None).await;
    assert_eq!(first.len(), 100 * 1024);
    assert_eq!(
        stored("b", 1, None).await,
        first,
        "same run seed, same bytes"
    );
    assert_ne!(
        stored("c", 2, None).await,
        first,
        "another run seed, other bytes"
    );
    assert_eq!(
        stored("d", 1, Some(7)).await,
        stored("e", 2, Some(7)).await,
        "explicit seeds ignore the run seed"
    );
    assert_ne!(stored("f", 1, Some(7)).await, first);

    let ctx = with_var(context(&server.url), "size", "lots");
    let result = run(vec![upload("g", None)], &ctx).await;
    assert!(evaluation(inconclusive(&result)).contains("random body size"));
    assert!(
        result.transcript.is_empty(),
        "nothing is sent when the body cannot be built"
    );
}

#[tokio::test]
async fn sent_by_replays_named_steps_including_every_loop_iteration() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let steps = |check: &[&str]| {
        vec![
            req("PUT", "{{target}}store/k")
                .name("first")
                .text("head-")
                .step(),
            repeat(
                "3",
                None,
                0,
                None,
                vec![
                    req("PATCH", "{{target}}store/k")
                        .name("part")
                        .body(BodySource::Random {
                            size: t("1000"),
                            seed: None,
                        })
                        .step(),
                ],
            ),
            req("GET", "{{target}}store/k")
                .expect_body(body(|b| {
                    b.equals = Some(BodySource::SentBy(
                        check.iter().map(|s| (*s).to_owned()).collect(),
                    ))
                }))
                .step(),
            req("PUT", "{{target}}store/copy")
                .body(BodySource::SentBy(vec!["first".into(), "part".into()]))
                .step(),
        ]
    };
    assert_passed(&run(steps(&["first", "part"]), &ctx).await);
    let stored = server.received.stored("k").unwrap();
    assert_eq!(stored.len(), 5 + 3 * 1000);
    assert_eq!(server.received.stored("copy").unwrap(), stored);
    let iterations: Vec<&[u8]> = stored[5..].chunks(1000).collect();
    assert!(
        iterations[0] != iterations[1],
        "every iteration sends its own bytes"
    );

    let result = run(steps(&["part", "first"]), &ctx).await;
    assert_eq!(
        mismatch(failed(&result)).2,
        "3005 bytes, first differing at offset 0"
    );

    let result = run(steps(&["nobody"]), &ctx).await;
    assert!(evaluation(inconclusive(&result)).contains("`nobody` has not sent"));
}

// ------------------------------------------------------------------ abort_after

/// The next count from the counting server, within a bound so a lost report fails.
async fn received(counted: &mut tokio::sync::mpsc::UnboundedReceiver<u64>) -> u64 {
    let next = tokio::time::timeout(Duration::from_secs(5), counted.recv()).await;
    next.expect("the counting server reports within 5 s")
        .expect("the counting server runs")
}

#[tokio::test]
async fn abort_after_delivers_exactly_n_bytes_then_drops_the_connection() {
    let (target, mut counted) = servers::counting(Duration::ZERO).await;
    let server = servers::start().await;
    let ctx = with_var(context(&target), "echo", &server.url);
    for (abort_after, expected) in [("300KiB", 300 * 1024), ("10", 10)] {
        let steps = vec![
            req("PUT", "{{target}}upload")
                .name("cut")
                .body(BodySource::Random {
                    size: t("1MiB"),
                    seed: None,
                })
                .abort_after(abort_after)
                .step(),
            // What the registry recorded is what was sent: exactly the first N bytes.
            req("PUT", "{{echo}}echo")
                .body(BodySource::SentBy(vec!["cut".into()]))
                .expect_value("x-received-length", equals(&expected.to_string()))
                .step(),
        ];
        let result = run(steps, &ctx).await;
        assert_passed(&result);
        assert_eq!(
            received(&mut counted).await,
            expected,
            "the server saw exactly N bytes"
        );
        let request = &result.transcript[0].request;
        assert_eq!(request.body_len, expected);
        let declared = request
            .headers
            .iter()
            .find(|(name, _)| name == "content-length");
        assert_eq!(
            declared.unwrap().1,
            (1u64 << 20).to_string(),
            "the full length is declared"
        );
    }

    // The whole body sent means no abort: the server answers 204, which is checked.
    let whole = req("PUT", "{{target}}upload")
        .text("0123456789")
        .abort_after("10")
        .status(&[code(204)])
        .step();
    assert_passed(&run(vec![whole], &ctx).await);
    assert_eq!(received(&mut counted).await, 10);

    let beyond = req("PUT", "{{target}}upload")
        .text("0123")
        .abort_after("5")
        .step();
    assert!(evaluation(inconclusive(&run(vec![beyond], &ctx).await)).contains("beyond the end"));

    let refused = with_var(context(&servers::refused().await), "x", "");
    let step = req("PUT", "{{target}}upload")
        .text("0123456789")
        .abort_after("5")
        .step();
    assert!(matches!(
        errored(&run(vec![step], &refused).await).kind,
        FailureKind::Transport(_)
    ));
}

#[tokio::test]
async fn abort_after_waits_for_a_slow_reader_to_take_the_buffered_bytes() {
    // The server reads nothing for 300 ms, so the socket buffers fill, the last
    // allowed bytes sit in hyper's buffer long after sending began, and only a
    // wait measured from the last byte delivers them.
    let (target, mut counted) = servers::counting(Duration::from_millis(300)).await;
    let step = req("PUT", "{{target}}upload")
        .body(BodySource::Random {
            size: t("8MiB"),
            seed: Some(3),
        })
        .abort_after("6MiB")
        .step();
    assert_passed(&run(vec![step], &context(&target)).await);
    assert_eq!(received(&mut counted).await, 6 << 20);
}

#[tokio::test]
async fn a_response_before_the_abort_is_still_checked() {
    let (target, _) = servers::early_answer().await;
    let ctx = context(&target);
    let upload = |status: u16| {
        req("PUT", "{{target}}upload")
            .body(BodySource::Random {
                size: t("4MiB"),
                seed: None,
            })
            .abort_after("2MiB")
            .status(&[code(status)])
            .step()
    };
    assert_passed(&run(vec![upload(413)], &ctx).await);
    // A 413 to a body the step expected taken is the target's configured limit,
    // not a deviation: the scenario is inconclusive, saying which limit to pass.
    let result = run(vec![upload(201)], &ctx).await;
    let refused = inconclusive(&result);
    assert!(
        matches!(refused.kind, FailureKind::TooLarge { sent, .. } if sent > 0),
        "{refused:?}"
    );
    assert!(refused.kind.to_string().contains("--var tus_max_size"));
}

/// A server that answers 413 before reading a body and then leaves the connection
/// hanging must not cost the next request: it goes on a new connection. The body is
/// small enough to be handed over whole before the answer comes.
#[tokio::test]
async fn a_connection_refused_early_is_not_reused() {
    let target = servers::refuses_bodies_early().await;
    let mut ctx = context(&target);
    ctx.step_timeout = Duration::from_secs(5);
    let steps = vec![
        req("PUT", "{{target}}upload")
            .body(BodySource::Random {
                size: t("16KiB"),
                seed: None,
            })
            .status(&[code(413)])
            .step(),
        req("GET", "{{target}}status").status(&[code(200)]).step(),
    ];
    assert_passed(&run(steps, &ctx).await);
}

/// A client seeing an error response while it sends the body stops sending
/// (RFC 9112 §9.5): a server that refuses a large upload early, then reads and
/// discards, is not sent the rest, neither during the scenario nor after it.
#[tokio::test]
async fn an_early_refusal_stops_the_body() {
    let (target, mut received) = servers::early_answer().await;
    let ctx = context(&target);
    let body: u64 = 1024 * 1024 * 1024;
    let steps = vec![
        req("PUT", "{{target}}upload")
            .body(BodySource::Random {
                size: t(&body.to_string()),
                seed: None,
            })
            .status(&[code(413)])
            .step(),
    ];
    assert_passed(&run(steps, &ctx).await);
    let sent = tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .expect("the client closes the refused connection")
        .expect("the server reports what it received");
    assert!(
        sent < body / 4,
        "{sent} of {body} bytes were sent to a server that had refused them"
    );
}

// ---------------------------------------------------------- framing and interim

/// The framing message of a failed scenario, with the response that preceded it.
#[track_caller]
fn framing(result: &ScenarioResult) -> (&str, u16, u64) {
    let failure = failed(result);
    let FailureKind::Framing(message) = &failure.kind else {
        panic!("expected a framing failure, got {failure:?}");
    };
    let response = recorded_response(failure);
    (message, response.status, response.body_len)
}

/// The response a failure recorded as its evidence.
#[track_caller]
fn recorded_response(failure: &Failure) -> &ResponseRecord {
    failure
        .exchange
        .as_ref()
        .and_then(|exchange| exchange.response.as_ref())
        .expect("the failure recorded a response")
}

#[tokio::test]
async fn bytes_after_a_content_length_body_fail_the_exchange_with_evidence() {
    // On a connection kept alive, and on one the server says it closes.
    for answer in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloxtra"[..],
        &b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhelloxtra"[..],
    ] {
        extra_bytes_fail(answer).await;
    }
}

/// A GET answered with `answer` ("hello" and "xtra" after it) fails on the 4 bytes.
async fn extra_bytes_fail(answer: &'static [u8]) {
    let (target, _) = servers::scripted(answer).await;
    let step = req("GET", "{{target}}x")
        .status(&[code(200)])
        .expect_body(equals_text("hello"))
        .step();
    let result = run(vec![step], &context(&target)).await;
    assert_eq!(
        framing(&result),
        (
            "4 bytes after the declared end of the body: \"xtra\"",
            200,
            5
        )
    );
    assert_eq!(
        failed(&result).kind.to_string(),
        "HTTP framing violated: 4 bytes after the declared end of the body: \"xtra\""
    );
}

#[tokio::test]
async fn bytes_after_a_chunked_body_fail_the_exchange() {
    let (target, _) = servers::scripted(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\ngarbage",
    )
    .await;
    let step = req("GET", "{{target}}x").status(&[code(200)]).step();
    let result = run(vec![step], &context(&target)).await;
    assert_eq!(
        framing(&result),
        (
            "7 bytes after the declared end of the body: \"garbage\"",
            200,
            5
        )
    );
}

#[tokio::test]
async fn a_clean_keep_alive_sequence_passes_on_one_connection() {
    let (target, connections) =
        servers::scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    let get = || {
        req("GET", "{{target}}x")
            .status(&[code(200)])
            .expect_body(equals_text("ok"))
            .step()
    };
    let head = req("HEAD", "{{target}}x").status(&[code(200)]).step();
    let result = run(vec![get(), head, get(), get()], &context(&target)).await;
    assert_passed(&result);
    assert_eq!(result.transcript.len(), 4);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn interim_responses_are_recorded_in_order() {
    let (target, _) = servers::scripted(
        b"HTTP/1.1 100 Continue\r\n\r\n\
          HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/1\r\n\r\n\
          HTTP/1.1 201 Created\r\nLocation: /uploads/1\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let step = req("POST", "{{target}}uploads")
        .text("0123")
        .status(&[code(201)])
        .step();
    let result = run(vec![step], &context(&target)).await;
    assert_passed(&result);
    let exchange = &result.transcript[0];
    let statuses: Vec<u16> = exchange.interim.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [100, 104]);
    assert_eq!(exchange.interim_count, 2);
    assert!(exchange.interim[0].headers.is_empty());
    assert_eq!(
        exchange.interim[1].headers,
        [("location".to_owned(), "/uploads/1".to_owned())]
    );
    assert_eq!(exchange.response.as_ref().unwrap().status, 201);
}

#[tokio::test]
async fn an_interim_flood_is_counted_but_not_kept() {
    static FLOOD: std::sync::LazyLock<&'static [u8]> = std::sync::LazyLock::new(|| {
        let mut answer = b"HTTP/1.1 104 Upload Resumption Supported\r\n\r\n".repeat(1000);
        answer.extend_from_slice(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        answer.leak()
    });
    let (target, _) = servers::scripted(&FLOOD).await;
    let mut ctx = context(&target);
    ctx.step_timeout = Duration::from_secs(5);
    let started = Instant::now();
    let result = run(
        vec![req("POST", "{{target}}uploads").status(&[code(201)]).step()],
        &ctx,
    )
    .await;
    assert_passed(&result);
    assert!(started.elapsed() < Duration::from_secs(2));
    let exchange = &result.transcript[0];
    assert_eq!(exchange.interim_count, 1000);
    assert_eq!(exchange.interim.len(), 100, "only the first 100 are kept");
    assert!(exchange.interim.iter().all(|r| r.status == 104));
}

#[tokio::test]
async fn a_104_then_a_closed_connection_is_an_error_that_keeps_the_104() {
    let target = servers::misbehaving(servers::Misbehaviour::InterimThenClose).await;
    let mut ctx = context(&target);
    ctx.step_timeout = Duration::from_secs(5);
    let started = Instant::now();
    let result = run(
        vec![req("POST", "{{target}}uploads").status(&[code(201)]).step()],
        &ctx,
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(2), "no hang");
    let failure = errored(&result);
    let exchange = failure.exchange.as_ref().expect("the exchange is recorded");
    assert!(exchange.response.is_none());
    assert_eq!(exchange.interim.len(), 1);
    assert_eq!(exchange.interim[0].status, 104);
}

// ------------------------------------------------- interim expectations, 100-continue

/// 100, then two 104 with Location, then 201.
const INTERIMS: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
    HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/1\r\n\r\n\
    HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/1\r\nX-N: 2\r\n\r\n\
    HTTP/1.1 201 Created\r\nLocation: /uploads/1\r\nContent-Length: 0\r\n\r\n";

#[tokio::test]
async fn interim_expectations_count_select_by_status_and_check_headers() {
    let (target, _) = servers::scripted(INTERIMS).await;
    let ctx = context(&target);
    let present = HeaderMatcher::Present;
    let location = HeaderMatcher::Value(vec![equals("/uploads/1")]);
    let passing = req("POST", "{{target}}uploads")
        .text("0123")
        .status(&[code(201)])
        .expect_interim(104, &[(Comparison::Ge, 1)], &[("location", location)], None)
        .expect_interim(104, &[(Comparison::Eq, 2)], &[], None)
        .expect_interim(100, &[(Comparison::Eq, 1)], &[], None)
        .expect_interim(103, &[(Comparison::Eq, 0)], &[], None)
        .step();
    assert_passed(&run(vec![passing], &ctx).await);

    let too_few = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(104, &[(Comparison::Ge, 3)], &[], None)
        .step();
    let result = run(vec![too_few], &ctx).await;
    let failure = failed(&result);
    assert_eq!(failure.span, span(30));
    let shown = upspec::report::failure::render_exchange(failure.exchange.as_ref().unwrap());
    assert!(
        shown.contains(
            "  interim responses received:\n    100\n    104\n      location: /uploads/1\n    104\n"
        ),
        "the report shows the interim responses:\n{shown}"
    );
    assert_eq!(
        mismatch(failure),
        (
            "interim 104 count",
            "a number >= 3",
            "2 (interim responses 100, 104, 104)"
        )
    );

    let none_wanted = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(100, &[(Comparison::Eq, 0)], &[], None)
        .step();
    let result = run(vec![none_wanted], &ctx).await;
    assert_eq!(mismatch(failed(&result)).0, "interim 100 count");

    // Checked on each selected response: the first 104 lacks X-N.
    let each = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(104, &[(Comparison::Ge, 1)], &[("x-n", present)], None)
        .step();
    let result = run(vec![each], &ctx).await;
    let failure = failed(&result);
    assert_eq!(failure.span, span(40), "the header expectation's own line");
    assert_eq!(
        mismatch(failure),
        (
            "interim 104 (interim response #2) header x-n",
            "the header",
            "no such header"
        )
    );
}

#[tokio::test]
async fn interim_before_needs_the_other_status_to_come_later() {
    let (target, _) = servers::scripted(INTERIMS).await;
    let ctx = context(&target);
    let in_order = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(100, &[(Comparison::Ge, 1)], &[], Some(104))
        .step();
    assert_passed(&run(vec![in_order], &ctx).await);

    let reversed = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(104, &[(Comparison::Ge, 1)], &[], Some(100))
        .step();
    let result = run(vec![reversed], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)),
        (
            "interim 104 order",
            "every 104 before the first 100",
            "#2 came after the first 100, #1 (interim responses 100, 104, 104)"
        )
    );

    let never = req("POST", "{{target}}uploads")
        .text("0123")
        .expect_interim(104, &[(Comparison::Ge, 1)], &[], Some(103))
        .step();
    let result = run(vec![never], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)).2,
        "no 103 arrived (interim responses 100, 104, 104)"
    );
}

#[tokio::test]
async fn captures_read_the_first_interim_response_of_a_status() {
    let (target, _) = servers::scripted(INTERIMS).await;
    let ctx = context(&target);
    let interim_location = |status| CaptureSource::InterimHeader {
        status,
        name: "Location".into(),
        resolve_url: true,
    };
    let steps = vec![
        req("POST", "{{target}}uploads")
            .text("0123")
            .capture("early", interim_location(104), None)
            .step(),
        req("POST", "{{early}}")
            .text("0123")
            .status(&[code(201)])
            .step(),
    ];
    let result = run(steps, &ctx).await;
    assert_passed(&result);
    assert!(result.transcript[1].request.url.ends_with("/uploads/1"));

    let missing = req("POST", "{{target}}uploads")
        .text("0123")
        .capture("early", interim_location(103), None)
        .step();
    let result = run(vec![missing], &ctx).await;
    let failure = inconclusive(&result);
    assert_eq!(failure.span, span(20));
    assert_eq!(
        mismatch(failure),
        (
            "capture early",
            "an interim 103 response with a Location header",
            "no interim 103 response"
        )
    );
}

/// A 104 naming the upload, then 100 Continue, and no final response: the
/// client sends its body and cuts it, as a creation interrupted on purpose.
const ANNOUNCED_ONLY: &[u8] =
    b"HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/7\r\n\r\n\
    HTTP/1.1 100 Continue\r\n\r\n";

#[tokio::test]
async fn a_deliberately_aborted_request_still_captures_from_its_interim_responses() {
    let (announcing, _) = servers::scripted(ANNOUNCED_ONLY).await;
    let (answering, _) = servers::scripted(INTERIMS).await;
    let ctx = context(&announcing);
    let location = CaptureSource::InterimHeader {
        status: 104,
        name: "Location".into(),
        resolve_url: false,
    };
    let resume = format!("{}{{{{early}}}}", answering.trim_end_matches('/'));
    let steps = vec![
        req("POST", "{{target}}uploads")
            .header("Expect", "100-continue")
            .text("0123456789")
            .abort_after("4")
            .capture("early", location, None)
            .step(),
        req("POST", &resume)
            .text("456789")
            .status(&[code(201)])
            .step(),
    ];
    let result = run(steps, &ctx).await;
    assert_passed(&result);
    assert!(
        result.transcript[1].request.url.ends_with("/uploads/7"),
        "{}",
        result.transcript[1].request.url
    );
}

#[tokio::test]
async fn expect_continue_holds_the_body_until_100_continue() {
    let (target, mut seen) = servers::expect_continue(servers::ContinueAnswer::Continue, 10).await;
    let step = req("POST", "{{target}}")
        .header("Expect", "100-Continue")
        .text("0123456789")
        .status(&[code(204)])
        .continue_answered()
        .expect_interim(100, &[(Comparison::Eq, 1)], &[], None)
        .step();
    let result = run(vec![step], &context(&target)).await;
    assert_passed(&result);
    let seen = seen.recv().await.unwrap();
    assert_eq!(seen.before_answer, 0, "nothing of the body before the 100");
    assert_eq!(seen.after_answer, 10);
    assert_eq!(
        result.transcript[0].expect_continue,
        Some(ContinueOutcome::Continued)
    );
    assert_eq!(result.transcript[0].request.body_len, 10);
}

#[tokio::test]
async fn a_final_answer_to_expect_continue_means_no_body_and_a_new_connection() {
    let (target, mut seen) =
        servers::expect_continue(servers::ContinueAnswer::FinalAtOnce, 10).await;
    let step = |status| {
        req("POST", "{{target}}")
            .header("Expect", "100-continue")
            .text("0123456789")
            .status(&[code(status)])
            .continue_answered()
            .step()
    };
    let result = run(vec![step(201), step(201)], &context(&target)).await;
    assert_passed(&result);
    for _ in 0..2 {
        let seen = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .expect("the client closes the connection")
            .unwrap();
        assert_eq!((seen.before_answer, seen.after_answer), (0, 0));
    }
    let exchange = &result.transcript[0];
    assert_eq!(exchange.expect_continue, Some(ContinueOutcome::Answered));
    assert_eq!(exchange.request.body_len, 0, "the body was never sent");
}

#[tokio::test]
async fn without_an_answer_the_body_goes_after_the_wait_and_the_check_fails() {
    let (target, mut seen) = servers::expect_continue(servers::ContinueAnswer::Silent, 10).await;
    let step = req("POST", "{{target}}")
        .header("Expect", "100-continue")
        .text("0123456789")
        .continue_timeout("400ms")
        .status(&[code(204)])
        .continue_answered()
        .step();
    let result = run(vec![step], &context(&target)).await;
    let failure = failed(&result);
    assert_eq!(failure.span, span(4));
    assert_eq!(
        mismatch(failure),
        (
            "Expect: 100-continue",
            "a 100 (Continue), or a final response, before the body was sent",
            "neither before the wait ran out: the body was sent after it, and a 100 (Continue) \
             came only later"
        )
    );
    let seen = seen.recv().await.unwrap();
    assert_eq!(seen.before_answer, 10);
    assert!(
        seen.waited >= Duration::from_millis(400) && seen.waited < Duration::from_secs(3),
        "the body came after the step's wait: {:?}",
        seen.waited
    );
    assert_eq!(
        result.transcript[0].expect_continue,
        Some(ContinueOutcome::WaitElapsed)
    );
}

#[tokio::test]
async fn continue_answered_without_the_expectation_fails_saying_so() {
    let (target, _) = servers::expect_continue(servers::ContinueAnswer::FinalAtOnce, 10).await;
    let step = req("POST", "{{target}}")
        .text("0123456789")
        .continue_answered()
        .step();
    let result = run(vec![step], &context(&target)).await;
    assert!(
        mismatch(failed(&result))
            .2
            .starts_with("no expectation to answer")
    );
}

// ------------------------------------------------------------------ stall_after

/// The next event from a stall-watching server, within a bound so a lost one fails.
async fn stall_event(events: &mut tokio::sync::mpsc::UnboundedReceiver<StallEvent>) -> StallEvent {
    let next = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
    next.expect("the stall-watching server reports within 5 s")
        .expect("the stall-watching server runs")
}

/// A PATCH of 1 MiB that stalls after 300 KiB, within a step timeout of `{{idle + 1}}s`.
fn stalling(expected_status: u16) -> Step {
    req("PATCH", "{{target}}upload")
        .body(BodySource::Random {
            size: t("1MiB"),
            seed: None,
        })
        .stall_after("300KiB")
        .timeout_template("{{idle + 1}}s")
        .status(&[code(expected_status)])
        .step()
}

#[tokio::test]
async fn a_response_to_a_stalled_body_is_checked_and_the_connection_then_closed() {
    // The server answers while the request body is unfinished and keeps the
    // connection open: the answer still reaches the step.
    let (target, mut events) = servers::stall_watching(StallEnding::Answer).await;
    let ctx = with_var(context(&target), "idle", "4");
    let started = Instant::now();
    let result = run(vec![stalling(408)], &ctx).await;
    assert_passed(&result);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no wait for the timeout"
    );
    assert_eq!(
        stall_event(&mut events).await,
        StallEvent::Stalled(300 * 1024)
    );
    assert_eq!(
        stall_event(&mut events).await,
        StallEvent::ClientClosed,
        "the stalled body ends with the step"
    );
    let exchange = &result.transcript[0];
    assert_eq!(exchange.request.body_len, 300 * 1024);
    let declared = exchange
        .request
        .headers
        .iter()
        .find(|(name, _)| name == "content-length");
    assert_eq!(declared.unwrap().1, (1u64 << 20).to_string());
    let response = exchange.response.as_ref().unwrap();
    assert_eq!(
        (response.status, &response.body_excerpt[..]),
        (408, &b"stalled"[..])
    );

    let result = run(vec![stalling(204)], &ctx).await;
    assert_eq!(mismatch(failed(&result)), ("status", "204", "408"));
}

#[tokio::test]
async fn a_server_that_closes_or_resets_a_stalled_request_ends_it() {
    for ending in [StallEnding::Close, StallEnding::Reset] {
        let (target, mut events) = servers::stall_watching(ending).await;
        let ctx = with_var(context(&target), "idle", "4");
        let started = Instant::now();
        // No answer, so there is nothing to check: the status expectation is moot.
        let result = run(vec![stalling(204)], &ctx).await;
        assert_passed(&result);
        assert!(started.elapsed() < Duration::from_secs(3), "{ending:?}");
        assert_eq!(
            stall_event(&mut events).await,
            StallEvent::Stalled(300 * 1024)
        );
        assert!(result.transcript[0].response.is_none());
    }
}

#[tokio::test]
async fn a_stalled_request_the_server_never_ends_fails_at_the_step_timeout() {
    let (target, mut events) = servers::stall_watching(StallEnding::Never).await;
    let ctx = with_var(context(&target), "idle", "0");
    let started = Instant::now();
    let result = run(vec![stalling(408)], &ctx).await;
    let elapsed = started.elapsed();
    assert!(
        (Duration::from_secs(1)..Duration::from_secs(3)).contains(&elapsed),
        "the templated 1 s timeout bounds the wait: {elapsed:?}"
    );
    let failure = failed(&result);
    assert_eq!(
        mismatch(failure),
        (
            "stalled body",
            "the server ends the request (an answer, or closing the connection) within 1.0s",
            "neither: the body stalled after 307200 bytes, and the connection stayed open \
             with no answer"
        )
    );
    assert_eq!(failure.span, span(1));
    assert!(failure.exchange.as_ref().unwrap().response.is_none());
    assert_eq!(
        stall_event(&mut events).await,
        StallEvent::Stalled(300 * 1024)
    );
    assert_eq!(
        stall_event(&mut events).await,
        StallEvent::ClientClosed,
        "the connection is not left open after the step"
    );

    // The scenario's own bound still wins over the step's: a harness timeout.
    let mut short = ctx.clone();
    short.scenario_timeout = Duration::from_millis(300);
    let result = run(vec![stalling(408)], &short).await;
    assert!(
        matches!(errored(&result).kind, FailureKind::Timeout(d) if d == Duration::from_millis(300))
    );
}

#[tokio::test]
async fn stall_after_the_whole_body_is_no_stall_and_past_it_is_an_error() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let whole = req("PUT", "{{target}}echo")
        .text("0123456789")
        .stall_after("10")
        .expect_value("x-received-length", equals("10"))
        .step();
    assert_passed(&run(vec![whole], &ctx).await);

    let beyond = req("PUT", "{{target}}echo")
        .text("0123")
        .stall_after("5")
        .step();
    assert_eq!(
        evaluation(inconclusive(&run(vec![beyond], &ctx).await)),
        "stall_after 5 is beyond the end of the 4-byte body"
    );

    let bad_timeout = req("GET", "{{target}}echo")
        .timeout_template("{{idle}}s")
        .step();
    let ctx = with_var(ctx, "idle", "soon");
    let result = run(vec![bad_timeout], &ctx).await;
    assert!(evaluation(inconclusive(&result)).starts_with("timeout: `soons` is not a duration"));
    assert!(result.transcript.is_empty());
}

// --------------------------------------------------------------------- captures

#[tokio::test]
async fn header_captures_resolve_relative_locations_against_the_request_url() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let create = |location_header: &str| {
        req("POST", &respond(201, &[(location_header, "store/abc")], ""))
            .status(&[code(201)])
            .capture(
                "upload_url",
                CaptureSource::Header {
                    name: "Location".into(),
                    resolve_url: true,
                },
                None,
            )
            .step()
    };
    let steps = vec![
        create("Location"),
        req("PUT", "{{upload_url}}")
            .text("x")
            .status(&[code(204)])
            .step(),
    ];
    let result = run(steps, &ctx).await;
    assert_passed(&result);
    assert_eq!(
        result.transcript[1].request.url,
        format!("{}store/abc", server.url)
    );
    assert_eq!(server.received.stored("abc").unwrap(), b"x");

    // A capture feeds later steps: finding nothing leaves nothing to check.
    let result = run(vec![create("X-Elsewhere")], &ctx).await;
    let failure = inconclusive(&result);
    assert_eq!(
        mismatch(failure),
        ("capture upload_url", "a Location header", "no such header")
    );
    assert_eq!(failure.span, span(20));
}

#[tokio::test]
async fn xml_body_status_and_regex_captures() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let xml = r#"<R xmlns="urn:x"><Id>abc-123</Id></R>"#;
    let source = |body_regex: &str| {
        req("GET", &respond(200, &[("X-Req", "req-42")], xml))
            .capture("id", CaptureSource::Xml("R/Id".into()), None)
            .capture("prefix", CaptureSource::Body, Some(body_regex))
            .capture("status", CaptureSource::Status, None)
            .capture("number", header("X-Req"), Some(r"^req-(\d+)$"))
            .capture("digits", header("X-Req"), Some(r"\d+"))
            .step()
    };
    let check = req("GET", "{{target}}echo")
        .header(
            "X-Got",
            "{{id}}|{{prefix}}|{{status}}|{{number}}|{{digits}}",
        )
        .expect_value("x-echo-x-got", equals("abc-123|abc|200|42|42"))
        .step();
    assert_passed(&run(vec![source(r"Id>([a-z]+)-"), check], &ctx).await);

    let result = run(vec![source(r"Id>([0-9]+)-")], &ctx).await;
    let failure = inconclusive(&result);
    let (what, expected, _) = mismatch(failure);
    assert_eq!(
        (what, expected),
        ("capture prefix", "a match for /Id>([0-9]+)-/")
    );
    assert_eq!(failure.span, span(21));

    let missing = req("GET", &respond(200, &[], xml))
        .capture("id", CaptureSource::Xml("R/Nope".into()), None)
        .step();
    assert_eq!(
        mismatch(inconclusive(&run(vec![missing], &ctx).await)),
        (
            "capture id",
            "an element at R/Nope",
            "no element at that path"
        )
    );
}

// --------------------------------------------------------------------- matchers

#[tokio::test]
async fn status_as_a_number_a_list_or_a_class() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let cases: [(u16, &[StatusPattern], Option<&str>); 5] = [
        (204, &[code(204)], None),
        (204, &[code(200), code(204)], None),
        (404, &[StatusPattern::Class(4)], None),
        (500, &[StatusPattern::Class(4)], Some("4xx")),
        (
            404,
            &[code(200), code(201), code(204)],
            Some("200, 201 or 204"),
        ),
    ];
    for (status, allowed, failure) in cases {
        let result = run(
            vec![req("GET", &respond(status, &[], "")).status(allowed).step()],
            &ctx,
        )
        .await;
        match failure {
            None => assert_passed(&result),
            Some(expected) => {
                let failure = failed(&result);
                assert_eq!(
                    mismatch(failure),
                    ("status", expected, &*status.to_string())
                );
                assert_eq!(failure.span, span(2));
            }
        }
    }
}

/// Response headers to send, the matcher, and the failure's expected and actual
/// text (`None` for a pass).
type HeaderCase<'a> = (
    &'a [(&'a str, &'a str)],
    HeaderMatcher,
    Option<(&'a str, &'a str)>,
);

#[tokio::test]
async fn header_matchers_pass_and_fail() {
    let server = servers::start().await;
    let ctx = with_var(context(&server.url), "limit", "100");
    let regex = |re: &str| ValueMatcher::Regex(regex::Regex::new(re).unwrap());
    let one_of = |options: &[&str]| ValueMatcher::OneOf(options.iter().map(|o| t(o)).collect());
    let token = |tok: &str| ValueMatcher::ContainsToken(t(tok));
    let value = |matcher| HeaderMatcher::Value(vec![matcher]);
    let cases: Vec<HeaderCase> = vec![
        (&[("X-V", "1.0.0")], value(equals("1.0.0")), None),
        (
            &[("X-V", "1.0.0")],
            value(equals("1.0.1")),
            Some(("\"1.0.1\"", "\"1.0.0\"")),
        ),
        (&[("X-V", "b")], value(one_of(&["a", "b"])), None),
        (
            &[("X-V", "c")],
            value(one_of(&["a", "b"])),
            Some(("one of \"a\" or \"b\"", "\"c\"")),
        ),
        (
            &[("X-V", "bytes=0-99")],
            value(regex(r"^bytes=\d+-\d+$")),
            None,
        ),
        (
            &[("X-V", "bytes=0-")],
            value(regex(r"^bytes=\d+-\d+$")),
            Some(("a match for /^bytes=\\d+-\\d+$/", "\"bytes=0-\"")),
        ),
        (
            &[("X-V", "creation, Termination")],
            value(token("termination")),
            None,
        ),
        (
            &[("X-V", "creation-defer-length")],
            value(token("creation")),
            Some((
                "a list containing \"creation\"",
                "\"creation-defer-length\"",
            )),
        ),
        (&[("X-V", "x")], HeaderMatcher::Present, None),
        (
            &[],
            HeaderMatcher::Present,
            Some(("the header", "no such header")),
        ),
        (&[], HeaderMatcher::Absent, None),
        (
            &[("X-V", "x")],
            HeaderMatcher::Absent,
            Some(("no such header", "\"x\"")),
        ),
        (
            &[("X-V", "70")],
            value(compare(Comparison::Le, "{{limit}}")),
            None,
        ),
        (
            &[("X-V", "70")],
            value(compare(Comparison::Gt, "{{limit}}")),
            Some(("a number > 100", "\"70\"")),
        ),
        (
            &[("X-V", "7O")],
            value(compare(Comparison::Le, "{{limit}}")),
            Some((
                "a number <= 100",
                "\"7O\", which is not a non-negative decimal integer",
            )),
        ),
        (&[("X-V", "1"), ("x-v", "2")], value(equals("1, 2")), None),
        (&[], value(equals("1")), Some(("\"1\"", "no such header"))),
    ];
    for (headers, matcher, failure) in cases {
        let step = req("GET", &respond(200, headers, ""))
            .expect_header("X-V", matcher)
            .step();
        let result = run(vec![step], &ctx).await;
        match failure {
            None => assert_passed(&result),
            Some((expected, actual)) => {
                let failure = failed(&result);
                assert_eq!(
                    mismatch(failure),
                    ("header X-V", expected, actual),
                    "for {headers:?}"
                );
                assert_eq!(failure.span, span(10));
            }
        }
    }
}

#[tokio::test]
async fn checks_run_status_then_headers_then_body() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let step = |status: u16, header: &str| {
        req("GET", &respond(404, &[("X-V", "1")], "body"))
            .status(&[code(status)])
            .expect_value("X-V", equals(header))
            .expect_body(equals_text("other"))
            .step()
    };
    assert_eq!(
        mismatch(failed(&run(vec![step(200, "2")], &ctx).await)).0,
        "status"
    );
    assert_eq!(
        mismatch(failed(&run(vec![step(404, "2")], &ctx).await)).0,
        "header X-V"
    );
    assert_eq!(
        mismatch(failed(&run(vec![step(404, "1")], &ctx).await)).0,
        "body"
    );
}

#[tokio::test]
async fn body_empty_and_contains() {
    let server = servers::start().await;
    let ctx = with_var(context(&server.url), "word", "needle");
    let empty = || body(|b| b.empty = true);
    let contains = || body(|b| b.contains = Some(t("{{word}}")));
    let cases = [
        (respond(204, &[], ""), empty(), None),
        (
            respond(200, &[], "x"),
            empty(),
            Some(("an empty body", "1 byte")),
        ),
        (respond(200, &[], "hay needle hay"), contains(), None),
        (
            respond(200, &[], "hay"),
            contains(),
            Some(("a body containing \"{{word}}\"", "3 bytes without it")),
        ),
    ];
    for (url, expect, failure) in cases {
        let result = run(vec![req("GET", &url).expect_body(expect).step()], &ctx).await;
        match failure {
            None => assert_passed(&result),
            Some((expected, actual)) => {
                assert_eq!(mismatch(failed(&result)), ("body", expected, actual))
            }
        }
    }
}

#[tokio::test]
async fn every_digest_algorithm_passes_and_fails() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let known = [
        (DigestAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
        (
            DigestAlgorithm::Sha1,
            "A9993E364706816ABA3E25717850C26C9CD0D89D",
        ),
        (
            DigestAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            DigestAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        (DigestAlgorithm::Crc32, "352441c2"),
    ];
    for (algorithm, digest) in known {
        let check = |digest: &str| {
            req("PUT", "{{target}}echo")
                .text("abc")
                .expect_body(body(|b| b.digests = vec![(algorithm, digest.to_owned())]))
                .step()
        };
        assert_passed(&run(vec![check(digest)], &ctx).await);
        let result = run(vec![check("00")], &ctx).await;
        let (what, expected, actual) = mismatch(failed(&result));
        assert_eq!(
            (what, expected),
            (&*format!("body {}", algorithm.as_str()), "00")
        );
        assert_eq!(actual, digest.to_ascii_lowercase());
    }
}

const PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#mismatching-upload-offset","title":"offset mismatch","expected-offset":5,"provided-offset":3}"#;

#[tokio::test]
async fn json_pointers_check_and_capture_problem_details() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let url = respond(
        409,
        &[("Content-Type", "application/problem+json")],
        PROBLEM,
    );
    let problem_type = "https://iana.org/assignments/http-problem-types#mismatching-upload-offset";
    let passing = req("PATCH", &url)
        .expect_body(body(|b| {
            b.json = vec![
                ("/type".into(), equals(problem_type)),
                ("/expected-offset".into(), compare(Comparison::Eq, "5")),
            ];
            b.json_presence = vec![("/title".into(), true), ("/detail".into(), false)];
        }))
        .capture(
            "expected",
            CaptureSource::Json("/expected-offset".into()),
            None,
        )
        .step();
    let echo = req("GET", "{{target}}respond?status=200&h=X-Got:{{expected}}")
        .expect_value("X-Got", equals("5"))
        .step();
    assert_passed(&run(vec![passing, echo], &ctx).await);

    let wrong = req("PATCH", &url)
        .expect_body(body(|b| {
            b.json = vec![("/expected-offset".into(), compare(Comparison::Eq, "4"))]
        }))
        .step();
    let result = run(vec![wrong], &ctx).await;
    let failure = failed(&result);
    assert_eq!(failure.span, span(3));
    assert_eq!(
        mismatch(failure),
        ("json /expected-offset", "a number == 4", "\"5\"")
    );

    let missing = req("PATCH", &url)
        .expect_body(body(|b| b.json = vec![("/nope".into(), equals("x"))]))
        .step();
    let result = run(vec![missing], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)),
        ("json /nope", "\"x\"", "no value at that pointer")
    );

    let not_json = req("GET", &respond(200, &[], "<Error/>"))
        .expect_body(body(|b| b.json_presence = vec![("/type".into(), true)]))
        .step();
    let result = run(vec![not_json], &ctx).await;
    let (what, _, actual) = mismatch(failed(&result));
    assert_eq!(what, "json /type");
    assert!(actual.starts_with("a body that is not JSON ("), "{actual}");

    let capture_missing = req("GET", &respond(200, &[], "{}"))
        .capture("x", CaptureSource::Json("/expected-offset".into()), None)
        .step();
    let result = run(vec![capture_missing], &ctx).await;
    assert_eq!(
        mismatch(inconclusive(&result)),
        (
            "capture x",
            "a value at /expected-offset",
            "no value at that pointer"
        )
    );
}

#[tokio::test]
async fn structured_field_headers_and_dictionary_member_captures() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let url = respond(
        204,
        &[
            ("Upload-Complete", "?1"),
            ("Upload-Offset", "5"),
            ("Upload-Limit", "max-size=100, max-age=3600"),
        ],
        "",
    );
    let sf = |kind, then: Vec<ValueMatcher>, members: Vec<(&str, HeaderMatcher)>| {
        HeaderMatcher::Value(vec![ValueMatcher::Sf(Box::new(SfMatcher {
            kind,
            then,
            members: members
                .into_iter()
                .map(|(key, matcher)| (key.to_owned(), matcher))
                .collect(),
        }))])
    };
    let at_least_one = sf(SfKind::Integer, vec![compare(Comparison::Ge, "1")], vec![]);
    let passing = req("HEAD", &url)
        .expect_header(
            "Upload-Complete",
            sf(SfKind::Boolean, vec![equals("?1")], vec![]),
        )
        .expect_header(
            "Upload-Offset",
            sf(SfKind::Integer, vec![compare(Comparison::Eq, "5")], vec![]),
        )
        .expect_header(
            "Upload-Limit",
            sf(
                SfKind::Dictionary,
                vec![],
                vec![
                    ("max-size", at_least_one),
                    ("min-append-size", HeaderMatcher::Absent),
                ],
            ),
        )
        .capture(
            "max_size",
            CaptureSource::Member {
                header: "Upload-Limit".into(),
                key: "max-size".into(),
            },
            None,
        )
        .step();
    let echo = req("GET", "{{target}}respond?status=200&h=X-Got:{{max_size}}")
        .expect_value("X-Got", equals("100"))
        .step();
    assert_passed(&run(vec![passing, echo], &ctx).await);

    let not_a_boolean = req("HEAD", &url)
        .expect_header("Upload-Offset", sf(SfKind::Boolean, vec![], vec![]))
        .step();
    let result = run(vec![not_a_boolean], &ctx).await;
    let failure = failed(&result);
    assert_eq!(failure.span, span(10));
    assert_eq!(
        mismatch(failure),
        (
            "header Upload-Offset",
            "a structured boolean (RFC 9651)",
            "\"5\", an item whose bare item is an integer, not a boolean"
        )
    );

    let no_member = req("HEAD", &url)
        .capture(
            "x",
            CaptureSource::Member {
                header: "Upload-Limit".into(),
                key: "min-append-size".into(),
            },
            None,
        )
        .step();
    let result = run(vec![no_member], &ctx).await;
    assert_eq!(
        mismatch(inconclusive(&result)),
        (
            "capture x",
            "a member min-append-size in Upload-Limit",
            "no member min-append-size in \"max-size=100, max-age=3600\""
        )
    );
}

#[tokio::test]
async fn xml_paths_with_and_without_namespaces() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let plain = respond(404, &[], "<Error><Code>NoSuchUpload</Code></Error>");
    let xml = |url: &str, path: &str, value: &str| {
        req("GET", url)
            .expect_body(body(|b| b.xml = vec![(path.to_owned(), equals(value))]))
            .step()
    };
    assert_passed(
        &run(
            vec![xml(
                "{{target}}pages",
                "ListPartsResult/IsTruncated",
                "true",
            )],
            &ctx,
        )
        .await,
    );
    assert_passed(&run(vec![xml(&plain, "Error/Code", "NoSuchUpload")], &ctx).await);

    let result = run(vec![xml(&plain, "Error/Code", "NoSuchKey")], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)),
        ("xml Error/Code", "\"NoSuchKey\"", "\"NoSuchUpload\"")
    );
    let result = run(vec![xml(&plain, "Error/Message", "x")], &ctx).await;
    assert_eq!(
        mismatch(failed(&result)),
        ("xml Error/Message", "\"x\"", "no element at that path")
    );
    let result = run(vec![xml(&respond(200, &[], "{}"), "Error/Code", "x")], &ctx).await;
    assert!(
        mismatch(failed(&result))
            .2
            .starts_with("a body that is not XML")
    );

    let result = run(
        vec![xml("{{target}}big?size=1100000", "Error/Code", "x")],
        &ctx,
    )
    .await;
    assert!(
        evaluation(inconclusive(&result)).contains("1100000 bytes and at most 1048576 are kept")
    );
}

// ----------------------------------------------------------------- control flow

#[tokio::test]
async fn parallel_branches_run_together_and_all_captures_survive() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let slow_capture = |name: &str| {
        req("GET", "{{target}}slow?ms=400")
            .capture(name, CaptureSource::Body, None)
            .step()
    };
    let steps = vec![
        Step::Parallel(vec![slow_capture("a"), slow_capture("b")]),
        req("GET", "{{target}}echo")
            .header("X-Both", "{{a}}+{{b}}")
            .expect_value("x-echo-x-both", equals("done+done"))
            .step(),
    ];
    let started = Instant::now();
    assert_passed(&run(steps, &ctx).await);
    assert!(
        started.elapsed() < Duration::from_millis(750),
        "branches ran one after the other"
    );

    // The first branch fails last, yet it is the one reported: written order decides.
    let steps = vec![Step::Parallel(vec![
        req("GET", "{{target}}slow?ms=200")
            .status(&[code(500)])
            .step(),
        req("GET", &respond(404, &[], ""))
            .status(&[code(200)])
            .step(),
    ])];
    let result = run(steps, &ctx).await;
    assert_eq!(failed(&result).step, "step 1.1");
    assert_eq!(result.transcript.len(), 2, "both branches finished");
    assert_eq!(
        result.transcript[0].step, "step 1.2",
        "transcript is in completion order"
    );
}

#[tokio::test]
async fn repeat_counts_iterations_and_names_them() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let append = req("PATCH", "{{target}}store/k").text("{{part}},").step();
    let named = req("GET", "{{target}}store/k").name("check").step();
    let result = run(
        vec![repeat(
            "{{times}}",
            Some("part"),
            1,
            None,
            vec![append, named],
        )],
        &with_var(ctx.clone(), "times", "3"),
    )
    .await;
    assert_passed(&result);
    assert_eq!(server.received.stored("k").unwrap(), b"1,2,3,");
    let names: Vec<&str> = result
        .transcript
        .iter()
        .map(|exchange| exchange.step.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "step 1.1 [iteration 1]",
            "check [iteration 1]",
            "step 1.1 [iteration 2]",
            "check [iteration 2]",
            "step 1.1 [iteration 3]",
            "check [iteration 3]",
        ]
    );

    let nested = repeat(
        "2",
        None,
        0,
        None,
        vec![repeat(
            "1",
            None,
            0,
            None,
            vec![req("GET", "{{target}}echo").step()],
        )],
    );
    let result = run(vec![nested], &ctx).await;
    assert_eq!(result.transcript[1].step, "step 1.1.1 [iteration 2.1]");

    // A failing iteration ends the loop.
    let statuses = req("GET", "{{target}}respond?status=20{{i}}")
        .status(&[code(201)])
        .step();
    let result = run(vec![repeat("5", Some("i"), 1, None, vec![statuses])], &ctx).await;
    assert_eq!(failed(&result).step, "step 1.1 [iteration 2]");
    assert_eq!(result.transcript.len(), 2);

    let result = run(vec![repeat("many", None, 0, None, vec![])], &ctx).await;
    assert!(evaluation(inconclusive(&result)).contains("`many` is not a whole number"));
}

#[tokio::test]
async fn repeat_while_follows_pagination_until_the_server_stops_truncating() {
    let pages = |times: &str| {
        let page = req("GET", "{{target}}pages?marker={{marker}}")
            .capture(
                "truncated",
                CaptureSource::Xml("ListPartsResult/IsTruncated".into()),
                None,
            )
            .capture(
                "marker",
                CaptureSource::Xml("ListPartsResult/NextPartNumberMarker".into()),
                None,
            )
            .step();
        let condition = Condition {
            var: "truncated".into(),
            matcher: equals("true"),
        };
        let mut scenario = scenario(vec![repeat(times, None, 0, Some(condition), vec![page])]);
        scenario.vars.insert("marker".into(), Some(t("{{first}}")));
        scenario
    };
    for (times, first, requests) in [("10", "0", 3), ("2", "0", 2), ("10", "1", 2)] {
        let server = servers::start().await;
        let ctx = with_var(context(&server.url), "first", first);
        assert_passed(&run_scenario(&pages(times), &ctx).await);
        assert_eq!(
            server.received.page_requests(),
            requests,
            "times {times}, first marker {first}"
        );
    }

    // A --var of a declared name replaces its default.
    let server = servers::start().await;
    let ctx = with_var(with_var(context(&server.url), "first", "0"), "marker", "2");
    assert_passed(&run_scenario(&pages("10"), &ctx).await);
    assert_eq!(server.received.page_requests(), 1);
}

#[tokio::test]
async fn use_passes_parameters_fills_defaults_and_exports_captures() {
    let server = servers::start().await;
    let ctx = with_var(
        with_var(context(&server.url), "size", "100"),
        "default_kind",
        "plain",
    );
    let create = definition(
        "upload.create",
        &[("length", None), ("kind", Some("{{default_kind}}"))],
        vec![
            // Written out: `respond` would percent-encode the placeholders.
            req(
                "POST",
                "{{target}}respond?status=201&h=Location:store/{{kind}}-{{length}}",
            )
            .capture(
                "upload_url",
                CaptureSource::Header {
                    name: "Location".into(),
                    resolve_url: true,
                },
                None,
            )
            .step(),
        ],
    );
    let put = || {
        req("PUT", "{{upload_url}}")
            .text("x")
            .status(&[code(204)])
            .step()
    };
    let steps = vec![
        use_step(&create, &[("length", "{{size}}")]),
        put(),
        use_step(&create, &[("length", "5"), ("kind", "fancy")]),
        put(),
    ];
    let result = run(steps, &ctx).await;
    assert_passed(&result);
    assert!(server.received.stored("plain-100").is_some());
    assert!(server.received.stored("fancy-5").is_some());
    assert_eq!(result.transcript[0].step, "step 1.1");

    let result = run(vec![use_step(&create, &[])], &ctx).await;
    assert!(
        evaluation(inconclusive(&result)).contains("`upload.create` needs the parameter `length`")
    );
}

#[tokio::test]
async fn finally_always_runs_and_skips_what_was_never_created() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let cleanup = |key: &str| {
        req("PUT", &format!("{{{{target}}}}store/{key}"))
            .text("done")
            .status(&[code(204)])
            .step()
    };

    let mut failing = scenario(vec![
        req("GET", &respond(500, &[], ""))
            .status(&[code(200)])
            .step(),
    ]);
    failing.finally = vec![cleanup("after-failure")];
    let result = run_scenario(&failing, &ctx).await;
    failed(&result);
    assert_eq!(server.received.stored("after-failure").unwrap(), b"done");

    let mut cleanup_fails = scenario(vec![]);
    cleanup_fails.finally = vec![
        req("GET", &respond(204, &[], ""))
            .status(&[code(500)])
            .step(),
        req("DELETE", "{{upload_url}}").step(),
        cleanup("second"),
    ];
    let result = run_scenario(&cleanup_fails, &ctx).await;
    assert_passed(&result);
    assert_eq!(
        result.cleanup_problems.len(),
        1,
        "a missing upload_url is a skip, not a problem"
    );
    assert_eq!(result.cleanup_problems[0].step, "finally 1");
    assert!(
        server.received.stored("second").is_some(),
        "later finally steps still run"
    );
    assert_eq!(result.transcript.len(), 2, "the skipped step sent nothing");
}

#[tokio::test]
async fn unset_variables_fail_the_step_before_sending() {
    let server = servers::start().await;
    let result = run(
        vec![req("GET", "{{target}}{{nope}}").step()],
        &context(&server.url),
    )
    .await;
    let failure = inconclusive(&result);
    assert_eq!(evaluation(failure), "variable `nope` has no value");
    assert!(failure.exchange.is_none() && result.transcript.is_empty());
}

// --------------------------------------------------------------------- timeouts

#[tokio::test]
async fn step_timeouts_bound_the_whole_exchange() {
    let server = servers::start().await;
    let mut ctx = context(&server.url);
    let started = Instant::now();
    let step = req("GET", "{{target}}slow?ms=3000")
        .timeout(Duration::from_millis(200))
        .step();
    let result = run(vec![step], &ctx).await;
    let failure = errored(&result);
    assert!(matches!(failure.kind, FailureKind::Timeout(d) if d == Duration::from_millis(200)));
    assert_eq!(failure.span, span(1));

    ctx.step_timeout = Duration::from_millis(150);
    let result = run(vec![req("GET", "{{target}}slow?ms=3000").step()], &ctx).await;
    assert!(
        matches!(errored(&result).kind, FailureKind::Timeout(d) if d == Duration::from_millis(150))
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn scenario_timeouts_bound_all_steps_but_not_finally() {
    let server = servers::start().await;
    let ctx = context(&server.url);
    let started = Instant::now();
    let mut slow = scenario(vec![repeat(
        "10",
        None,
        0,
        None,
        vec![req("GET", "{{target}}slow?ms=100").step()],
    )]);
    slow.timeout = Some(Duration::from_millis(250));
    slow.finally = vec![req("PUT", "{{target}}store/cleaned").text("x").step()];
    let result = run_scenario(&slow, &ctx).await;
    let failure = errored(&result);
    assert!(matches!(failure.kind, FailureKind::Timeout(d) if d == Duration::from_millis(250)));
    assert_eq!(
        failure.span,
        span(100),
        "points at the scenario, whose timeout it is"
    );
    assert!(server.received.stored("cleaned").is_some());

    let mut ctx = ctx;
    ctx.scenario_timeout = Duration::from_millis(150);
    let result = run(vec![delay(Duration::from_secs(5))], &ctx).await;
    assert_eq!(errored(&result).step, "step 1");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// A delay that reads a variable waits what the variable says, and one that
/// does not render to a duration stops the scenario as inconclusive, at that
/// step, before anything more is sent.
#[tokio::test]
async fn templated_delays_follow_their_variables() {
    let server = servers::start().await;
    let mut ctx = context(&server.url);
    ctx.variables.insert("gap".into(), "300ms".into());
    let waits = |template: &str| Step::Delay {
        duration: t(template),
        span: span(50),
    };
    let started = Instant::now();
    let result = run(vec![waits("{{gap}}")], &ctx).await;
    assert_passed(&result);
    assert!(started.elapsed() >= Duration::from_millis(300));

    ctx.variables.insert("gap".into(), "a while".into());
    let result = run(
        vec![
            waits("{{gap}}"),
            req("PUT", "{{target}}store/after").text("x").step(),
        ],
        &ctx,
    )
    .await;
    let failure = inconclusive(&result);
    assert_eq!(failure.step, "step 1");
    assert!(
        matches!(&failure.kind, FailureKind::Evaluation(message) if message.contains("a while")),
        "{failure:?}"
    );
    assert!(server.received.stored("after").is_none());
}

// --------------------------------------------------------- misbehaving targets

/// Refused, silent, reset or garbage before any response: the exchange itself
/// failed (errored). A response head followed by a body that breaks off is the
/// server breaking HTTP framing: a failure of the check, with the head as evidence.
#[tokio::test]
async fn misbehaving_targets_error_within_the_timeout_and_leave_the_next_scenario_alone() {
    let good = servers::start().await;
    let targets = [
        ("refused", servers::refused().await),
        ("silent", servers::misbehaving(Misbehaviour::Silent).await),
        (
            "hang mid-body",
            servers::misbehaving(Misbehaviour::HangMidBody).await,
        ),
        (
            "reset mid-body",
            servers::misbehaving(Misbehaviour::ResetMidBody).await,
        ),
        ("garbage", servers::misbehaving(Misbehaviour::Garbage).await),
    ];
    let mut ctx = with_var(context(&good.url), "good", &good.url);
    ctx.step_timeout = Duration::from_millis(300);
    for (what, target) in targets {
        let started = Instant::now();
        let ctx = with_var(ctx.clone(), "target", &target);
        let result = run(
            vec![req("GET", "{{target}}x").status(&[code(200)]).step()],
            &ctx,
        )
        .await;
        let failure = match what {
            "reset mid-body" => failed(&result),
            _ => errored(&result),
        };
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what} took {:?}",
            started.elapsed()
        );
        match what {
            "silent" | "hang mid-body" => assert!(
                matches!(failure.kind, FailureKind::Timeout(_)),
                "{what}: {failure:?}"
            ),
            "reset mid-body" => {
                assert!(
                    matches!(&failure.kind, FailureKind::Framing(message)
                        if message.starts_with("the response body broke off after 10 bytes")),
                    "{what}: {failure:?}"
                );
                assert_eq!(
                    failure
                        .exchange
                        .as_ref()
                        .and_then(|e| e.response.as_ref())
                        .map(|r| r.status),
                    Some(200),
                    "the head is the evidence"
                );
            }
            _ => assert!(
                matches!(failure.kind, FailureKind::Transport(_)),
                "{what}: {failure:?}"
            ),
        }
        if what == "hang mid-body" {
            let response = recorded_response(failure);
            assert_eq!(
                (response.status, response.body_len),
                (200, 10),
                "the partial response is recorded"
            );
        }
        let next = req("GET", "{{good}}echo").status(&[code(200)]).step();
        assert_passed(&run(vec![next], &ctx).await);
    }
}

#[tokio::test]
async fn head_responses_do_not_wait_for_a_body() {
    let target = servers::misbehaving(Misbehaviour::HeadersOnly).await;
    let mut ctx = context(&target);
    ctx.step_timeout = Duration::from_millis(300);
    let head = req("HEAD", "{{target}}x")
        .expect_value("content-length", equals("1000"))
        .step();
    let result = run(vec![head], &ctx).await;
    assert_passed(&result);
    assert_eq!(result.transcript[0].response.as_ref().unwrap().body_len, 0);
    let get = req("GET", "{{target}}x").step();
    assert!(matches!(
        errored(&run(vec![get], &ctx).await).kind,
        FailureKind::Timeout(_)
    ));
}

// ------------------------------------------------------------------- transcript

#[tokio::test]
async fn run_headers_merge_with_step_headers_and_secrets_are_masked() {
    let server = servers::start().await;
    let mut ctx = context(&server.url);
    ctx.headers = vec![
        ("Authorization".into(), "Bearer secret".into()),
        ("X-Run".into(), "run".into()),
    ];
    let step = req("PROPFIND", "{{target}}echo")
        .header("x-run", "step")
        .expect_value("x-method", equals("PROPFIND"))
        .expect_value("x-echo-x-run", equals("step"))
        .expect_value("x-echo-authorization", equals("Bearer secret"))
        .step();
    let result = run(vec![step], &ctx).await;
    assert_passed(&result);
    let sent = &result.transcript[0].request.headers;
    assert!(sent.contains(&("authorization".into(), "***".into())));
    assert!(sent.contains(&("x-run".into(), "step".into())));
}

#[tokio::test]
async fn scenarios_can_run_on_spawned_tasks() {
    // The CLI runs scenarios concurrently: the future must be Send.
    let server = servers::start().await;
    let ctx = context(&server.url);
    let scenario = scenario(vec![
        req("GET", "{{target}}echo").status(&[code(200)]).step(),
    ]);
    let result = tokio::spawn(async move { run_scenario(&scenario, &ctx).await })
        .await
        .unwrap();
    assert_passed(&result);
}

/// Discovery: a target given as a tus endpoint is checked as one, whatever its
/// OPTIONS says, so a server that forgets `Tus-Version` fails the scenarios about it
/// instead of having every tus scenario skipped. An answer with no tus field at
/// all only assumes it: a target that says it speaks another protocol (the IETF
/// draft) is that protocol's server.
#[tokio::test]
async fn discovery_takes_the_target_for_tus_even_without_tus_version() {
    let server = servers::start().await;
    let client = upspec::engine::http_client();
    let discover = |query: &str| {
        let target = format!("{}respond?status=204&{query}", server.url);
        let client = client.clone();
        async move {
            upspec::protocol::tus::discover::discover(&client, &target, &[], Duration::from_secs(5))
                .await
                .unwrap()
        }
    };

    // Another tus field says it is a tus server all the same.
    let extensions = discover("h=Tus-Extension:creation,termination").await;
    assert!(extensions.spoken.contains("tus"), "{:?}", extensions.spoken);
    assert_eq!(
        extensions.facts.get("Tus-Version").map(String::as_str),
        Some("nothing (1.0.0 not advertised)")
    );
    let silent = discover("h=X-Other:1").await;
    assert!(!silent.names.contains("tus"), "{:?}", silent.names);
    assert!(silent.assumed.contains("tus"), "{:?}", silent.assumed);
    let mut settled = silent.clone();
    settled.settle_assumed();
    assert!(settled.names.contains("tus"), "{:?}", settled.names);
    let mut other = silent.clone();
    other.spoken.insert("ietf".to_owned());
    other.settle_assumed();
    assert!(!other.names.contains("tus"), "{:?}", other.names);
    assert_eq!(
        silent.facts.get("Tus-Version").map(String::as_str),
        Some("nothing (1.0.0 not advertised)")
    );

    let old = discover("h=Tus-Version:0.2.2").await;
    assert!(old.names.contains("tus") && old.spoken.contains("tus"));
    assert_eq!(
        old.facts.get("Tus-Version").map(String::as_str),
        Some("0.2.2 (1.0.0 not advertised)")
    );

    assert!(!silent.names.contains("max-size"));
    let speaking = discover("h=Tus-Version:1.0.0&h=Tus-Max-Size:1024").await;
    assert!(speaking.names.contains("tus") && speaking.spoken.contains("tus"));
    assert!(speaking.names.contains("max-size"), "{:?}", speaking.names);
    assert_eq!(
        speaking.facts.get("Tus-Version").map(String::as_str),
        Some("1.0.0")
    );
}
