//! One HTTP exchange: build the request from a step, send it, read the response
//! under a deadline, and record both sides for the transcript.

use base64::Engine as _;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use http::header::{
    CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue, TRAILER, TRANSFER_ENCODING,
};
use http_body_util::{BodyExt as _, Empty};
use tokio::time::Instant;
use url::Url;

use super::body::{BodyEncoding, Cut, Payload, Upload, UploadProgress, WithTrailers};
use super::expect::Received;
use super::outcome::{
    ContinueOutcome, Exchange, InterimRecord, RequestRecord, ResponseRecord, Secrets,
};
use super::response::{BodyPlan, EXCERPT_CAP, Inspector};
use super::scope::{EvalError, Scope};
use super::transport::{
    BodyError, ContinueGate, DEFAULT_CONTINUE_WAIT, InterimLog, RequestBody, Trailing, Transport,
    TransportError, expects_continue,
};
use crate::scenario::model::{DigestAlgorithm, RequestStep};
use crate::scenario::template::Template;
use crate::scenario::units;

/// A request with every template rendered, ready to send (and to send again).
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Payload>,
    /// Sent after the body, which then goes chunked; usually empty.
    pub(crate) trailers: HeaderMap,
    /// Where the body stops short (`abort_after`, `stall_after`), when it does.
    pub(crate) cut: Option<Cut>,
    /// The step's own bound on the exchange, when it sets one.
    pub(crate) timeout: Option<Duration>,
    /// How long a body is held for a `100 (Continue)` when the request carries
    /// `Expect: 100-continue`.
    pub(crate) continue_wait: Duration,
    /// Set when a session frames the body as it is sent (a signed chunk coding):
    /// `body` is then the payload.
    pub(crate) encoding: Option<Arc<dyn BodyEncoding>>,
}

impl Prepared {
    /// Payload bytes among the first `sent` body bytes: what a server received of the
    /// payload, for `sent_by`.
    pub(crate) fn payload_sent(&self, sent: u64) -> Option<Payload> {
        let body = self.body.as_ref()?;
        let decoded = match &self.encoding {
            Some(encoding) => encoding.decoded_within(sent, body.len()),
            None => sent,
        };
        Some(body.truncated(decoded))
    }

    /// The first `limit` bytes of the body as sent (encoded, when a session frames it).
    fn sent_prefix(&self, limit: usize) -> Vec<u8> {
        match (&self.body, &self.encoding) {
            (Some(body), Some(encoding)) => {
                let mut out = vec![0; limit];
                let n = encoding.reader(body).read(&mut out);
                out.truncate(n);
                out
            }
            (Some(body), None) => body.prefix(limit),
            (None, _) => Vec::new(),
        }
    }
}

/// Renders a step's request. `body` is the step's body already resolved (it needs the
/// sent-body registry and the step's random seed, which the runner owns).
pub(crate) fn prepare(
    step: &RequestStep,
    run_headers: &[(String, String)],
    scope: Scope<'_>,
    body: Option<Payload>,
) -> Result<Prepared, EvalError> {
    let method_text = scope.render(&step.method)?;
    let method = Method::from_bytes(method_text.as_bytes())
        .map_err(|_| EvalError::Invalid(format!("`{method_text}` is not an HTTP method")))?;
    let url_text = scope.render(&step.url)?;
    let url = Url::parse(&url_text)
        .map_err(|error| EvalError::Invalid(format!("`{url_text}` is not a URL: {error}")))?;

    let mut headers = HeaderMap::new();
    let step_sets = |name: &str| {
        step.headers
            .iter()
            .any(|(own, _)| own.eq_ignore_ascii_case(name))
    };
    for (name, value) in run_headers.iter().filter(|(name, _)| !step_sets(name)) {
        append(&mut headers, name, value.clone())?;
    }
    for (name, value) in &step.headers {
        append(&mut headers, name, scope.render(value)?)?;
    }
    let mut trailers = HeaderMap::new();
    for (name, value) in &step.trailers {
        append(&mut trailers, name, scope.render(value)?)?;
    }
    // Trailers travel only in a chunked body, and only once announced (hyper drops
    // the fields `Trailer` does not name): announce them unless the step does.
    if !trailers.is_empty() && !headers.contains_key(TRAILER) {
        let names: Vec<&str> = step
            .trailers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        append(&mut headers, TRAILER.as_str(), names.join(", "))?;
    }

    let cut = step
        .cut
        .as_ref()
        .map(|cut| {
            let key = cut.then.key();
            let after = rendered(scope, &cut.after, key, units::parse_size)?;
            Ok::<_, EvalError>(Cut {
                after,
                then: cut.then,
            })
        })
        .transpose()?;
    let timeout = step
        .timeout
        .as_ref()
        .map(|template| rendered(scope, template, "timeout", units::parse_duration))
        .transpose()?;
    let continue_wait = step
        .continue_timeout
        .as_ref()
        .map(|template| rendered(scope, template, "continue_timeout", units::parse_duration))
        .transpose()?
        .unwrap_or(DEFAULT_CONTINUE_WAIT);
    let declared = body.as_ref().map(Payload::len);
    if let Some(cut) = &cut
        && cut.after > declared.unwrap_or(0)
    {
        return Err(EvalError::Invalid(format!(
            "{} {} is beyond the end of the {}-byte body",
            cut.then.key(),
            cut.after,
            declared.unwrap_or(0)
        )));
    }
    // The length is always declared, even when the body is cut short (that is the
    // point of an abort or a stall), and even when empty for methods that carry content, because
    // some servers answer 411 to a POST without it. A step that sets its own
    // Content-Length or Transfer-Encoding is testing framing and is left alone, and
    // a body with trailers goes chunked.
    if step.content_md5 {
        let digest = match &body {
            Some(body) => body.digest(DigestAlgorithm::Md5),
            None => Payload::default().digest(DigestAlgorithm::Md5),
        };
        let value = base64::engine::general_purpose::STANDARD.encode(digest);
        let value = HeaderValue::from_str(&value).expect("base64 is a valid header value");
        headers.insert(HeaderName::from_static("content-md5"), value);
    }
    let carries_content = matches!(method, Method::POST | Method::PUT | Method::PATCH);
    if !headers.contains_key(CONTENT_LENGTH)
        && !headers.contains_key(TRANSFER_ENCODING)
        && trailers.is_empty()
        && (declared.is_some() || carries_content)
    {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(declared.unwrap_or(0)));
    }
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        trailers,
        cut,
        timeout,
        continue_wait,
        encoding: None,
    })
}

/// Renders a template that must read as a size or a duration.
fn rendered<T>(
    scope: Scope<'_>,
    template: &Template,
    key: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, EvalError> {
    let text = scope.render(template)?;
    parse(&text).map_err(|message| EvalError::Invalid(format!("{key}: {message}")))
}

fn append(headers: &mut HeaderMap, name: &str, value: String) -> Result<(), EvalError> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| EvalError::Invalid(format!("`{name}` is not a valid header name")))?;
    let header_value = HeaderValue::from_str(&value).map_err(|_| {
        EvalError::Invalid(format!(
            "the value of header {name}, {value:?}, is not a valid header value"
        ))
    })?;
    headers.append(header_name, header_value);
    Ok(())
}

/// Why an exchange did not complete.
#[derive(Debug)]
pub(crate) enum Interrupted {
    /// Nothing usable arrived: refused, reset or garbage before a response head.
    Transport(String),
    /// A response head arrived, then its body broke HTTP framing (it ended before
    /// its `Content-Length`, its chunked coding was malformed, or more bytes came
    /// after its declared end): the server's deviation, with the head as evidence.
    Framing(String),
    Timeout,
    /// The body stalled as the step asked, and the server neither answered nor
    /// closed the connection before the deadline.
    Unended,
}

/// What sending one request produced.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub(crate) exchange: Exchange,
    /// The complete response; `None` when the exchange was interrupted, or when the
    /// step's deliberate abort ended it before a response arrived.
    pub(crate) received: Option<Received>,
    /// The interim responses of an exchange without a complete response (in
    /// `received` otherwise): a deliberate abort may follow a 104 worth capturing.
    pub(crate) unanswered_interim: Vec<(u16, HeaderMap)>,
    pub(crate) interrupted: Option<Interrupted>,
    /// Body bytes handed to the connection.
    pub(crate) sent: u64,
}

/// Sends the request and reads the whole response before `deadline`.
pub(crate) async fn perform(
    transport: &Transport,
    prepared: &Prepared,
    plan: BodyPlan,
    deadline: Instant,
    step: &str,
    secrets: &Secrets,
) -> Attempt {
    let started = Instant::now();
    let progress = UploadProgress::default();
    // Trailers need a body to follow, if only an empty one.
    let empty = Payload::bytes(&b""[..]);
    let payload = match &prepared.body {
        None if !prepared.trailers.is_empty() => Some(&empty),
        body => body.as_ref(),
    };
    let mut stall_hold = None;
    let mut body: RequestBody = Empty::new().map_err(|never| match never {}).boxed_unsync();
    if let Some(payload) = payload {
        let mut upload = match &prepared.encoding {
            Some(encoding) => Upload::from_source(
                encoding.reader(payload),
                encoding.encoded_len(),
                prepared.cut,
                progress.clone(),
            ),
            None => Upload::new(payload, prepared.cut, progress.clone()),
        };
        stall_hold = upload.stall_hold();
        body = if prepared.trailers.is_empty() {
            upload.map_err(BodyError::from).boxed_unsync()
        } else {
            WithTrailers::new(upload, prepared.trailers.clone())
                .map_err(BodyError::from)
                .boxed_unsync()
        };
    }
    // A body waits for its 100 (Continue) when the request asks for one; an
    // empty one has nothing to hold (hyper's server ignores the expectation then).
    let gate = (payload.is_some_and(|payload| payload.len() > 0)
        && expects_continue(&prepared.headers))
    .then(ContinueGate::default);
    if let Some(gate) = &gate {
        body = gate.hold(body, prepared.continue_wait);
    }
    let mut request = http::Request::new(body);
    *request.method_mut() = prepared.method.clone();
    *request.headers_mut() = prepared.headers.clone();
    let interim = InterimLog::default();
    interim.attach(&mut request, gate.clone());
    let mut state = Transfer {
        head: None,
        inspector: Inspector::new(plan),
    };
    let result = tokio::time::timeout_at(
        deadline,
        transfer(
            transport,
            &prepared.url,
            request,
            &mut state,
            &progress,
            gate.as_ref(),
        ),
    )
    .await;
    let interrupted = match result {
        Ok(Ok(())) => None,
        Ok(Err(TransferError::Trailing(Trailing(bytes)))) => {
            Some(Interrupted::Framing(trailing(&bytes)))
        }
        // The step asked for a broken connection, or stalled its body and the server
        // ended the request by closing the connection: whatever the transport says then
        // is the expected result, and a response that arrived before it still counts.
        // So does a body withdrawn after an early error response, or withheld
        // after a final response to `Expect: 100-continue`.
        Ok(Err(_))
            if progress.aborted()
                || progress.stalled()
                || progress.withdrawn()
                || withheld(gate.as_ref()) =>
        {
            None
        }
        Ok(Err(TransferError::Body(error))) => Some(Interrupted::Framing(format!(
            "the response body broke off after {} bytes: {}",
            state.inspector.len(),
            describe_error(&error)
        ))),
        Ok(Err(TransferError::Request(error))) => {
            Some(Interrupted::Transport(describe_error(&error)))
        }
        Err(_) if progress.stalled() && state.head.is_none() => Some(Interrupted::Unended),
        Err(_) => Some(Interrupted::Timeout),
    };
    let interims = interim.take();
    // The exchange is over, whichever way it ended: a body still stalling ends now,
    // so a server that never ends the request keeps neither it nor the connection.
    drop(stall_hold);
    let sent = progress.sent();
    let response = state.head.as_ref().map(|(status, headers)| ResponseRecord {
        status: *status,
        headers: masked(headers, secrets),
        body_len: state.inspector.len(),
        body_excerpt: state.inspector.excerpt(),
    });
    let exchange = Exchange {
        step: step.to_owned(),
        request: RequestRecord {
            method: prepared.method.to_string(),
            url: masked_url(&prepared.url, secrets),
            headers: masked(&prepared.headers, secrets),
            body_len: sent,
            trailers: masked(&prepared.trailers, secrets),
            body_excerpt: prepared
                .sent_prefix(EXCERPT_CAP.min(usize::try_from(sent).unwrap_or(usize::MAX))),
        },
        response,
        interim: interims
            .kept
            .iter()
            .map(|(status, headers)| InterimRecord {
                status: status.as_u16(),
                headers: masked(headers, secrets),
            })
            .collect(),
        interim_count: interims.count,
        expect_continue: gate.as_ref().and_then(ContinueGate::outcome),
        duration: started.elapsed(),
    };
    let interim: Vec<(u16, HeaderMap)> = interims
        .kept
        .into_iter()
        .map(|(status, headers)| (status.as_u16(), headers))
        .collect();
    let (received, unanswered_interim) = match (&interrupted, state.head) {
        (None, Some((status, headers))) => {
            let received = Received {
                status,
                headers,
                body: state.inspector.finish(),
                interim,
                expect_continue: exchange.expect_continue,
            };
            (Some(received), Vec::new())
        }
        _ => (None, interim),
    };
    Attempt {
        exchange,
        received,
        unanswered_interim,
        interrupted,
        sent,
    }
}

/// What arrived so far; kept outside the timed future so a timeout still shows the
/// response head and the body bytes that did arrive.
struct Transfer {
    head: Option<(u16, HeaderMap)>,
    inspector: Inspector,
}

/// How an exchange failed, by when.
enum TransferError {
    /// Before a response head: refused, reset, not HTTP.
    Request(TransportError),
    /// While the response body was read.
    Body(hyper::Error),
    /// After the response body's declared end, more bytes came.
    Trailing(Trailing),
}

async fn transfer(
    transport: &Transport,
    url: &Url,
    request: http::Request<RequestBody>,
    state: &mut Transfer,
    progress: &UploadProgress,
    gate: Option<&ContinueGate>,
) -> Result<(), TransferError> {
    // A HEAD response has no body whatever its Content-Length says: hyper knows.
    let mut response = transport
        .send(url, request)
        .await
        .map_err(TransferError::Request)?;
    if let Some(gate) = gate {
        gate.answered();
    }
    let status = response.head.status;
    state.head = Some((status.as_u16(), response.head.headers.clone()));
    if status.is_client_error() || status.is_server_error() {
        progress.withdraw();
    }
    while let Some(chunk) = response.chunk().await.map_err(TransferError::Body)? {
        state.inspector.feed(&chunk);
    }
    response.finish().await.map_err(TransferError::Trailing)
}

/// Whether a final response came before the 100 (Continue) a held body waited for.
fn withheld(gate: Option<&ContinueGate>) -> bool {
    gate.and_then(ContinueGate::outcome) == Some(ContinueOutcome::Answered)
}

/// Bytes shown of what a server sent past a response's end.
const TRAILING_SHOWN: usize = 64;

/// The evidence of bytes after a response's end: how many, and the first of them.
fn trailing(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(TRAILING_SHOWN)];
    let more = if bytes.len() > shown.len() { "…" } else { "" };
    format!(
        "{} bytes after the declared end of the body: \"{}\"{more}",
        bytes.len(),
        shown.escape_ascii()
    )
}

/// The transport's own message is short ("no response", "error reading a body");
/// the cause (refused, reset, invalid HTTP) is down the source chain.
fn describe_error(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The URL with the values of secret query parameters masked: a presigned URL is
/// a credential until it expires.
fn masked_url(url: &Url, secrets: &Secrets) -> String {
    let Some(query) = url.query() else {
        return url.to_string();
    };
    let mut shown = url.clone();
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secrets.is_secret_parameter(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    shown.set_query(Some(&masked.join("&")));
    shown.to_string()
}

fn masked(headers: &HeaderMap, secrets: &Secrets) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if secrets.is_secret_header(name.as_str()) {
                "***".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::scope::ScenarioVars;
    use crate::scenario::model::{BodyCut, CutEnd, Expect, SourceSpan};
    use crate::scenario::template::Template;

    fn step(method: &str, headers: &[(&str, &str)], abort_after: Option<&str>) -> RequestStep {
        RequestStep {
            name: None,
            method: Template::literal(method),
            url: Template::parse("{{target}}files").unwrap(),
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Template::parse(value).unwrap()))
                .collect(),
            body: None,
            trailers: Vec::new(),
            cut: abort_after.map(|after| BodyCut {
                after: Template::literal(after),
                then: CutEnd::Abort,
            }),
            timeout: None,
            continue_timeout: None,
            options: Vec::new(),
            checks: None,
            assume: Expect::default(),
            content_md5: false,
            expect: Expect::default(),
            captures: Vec::new(),
            span: SourceSpan {
                file: "t.yaml".into(),
                line: 1,
                column: 1,
            },
        }
    }

    fn prepare_with(step: &RequestStep, body: Option<Payload>) -> Result<Prepared, EvalError> {
        let globals = BTreeMap::from([("target".to_owned(), "http://127.0.0.1:9/".to_owned())]);
        let vars = ScenarioVars::default();
        let run_headers = [
            ("Authorization".to_owned(), "Bearer run".to_owned()),
            ("X-Run".to_owned(), "1".to_owned()),
        ];
        prepare(step, &run_headers, Scope::new(&vars, &globals), body)
    }

    #[test]
    fn step_headers_replace_run_headers_of_the_same_name() {
        let prepared = prepare_with(
            &step("PATCH", &[("authorization", "Bearer step")], None),
            None,
        )
        .unwrap();
        assert_eq!(prepared.headers.get_all("authorization").iter().count(), 1);
        assert_eq!(prepared.headers["authorization"], "Bearer step");
        assert_eq!(prepared.headers["x-run"], "1");
        assert_eq!(prepared.headers["content-length"], "0");
        assert_eq!(prepared.url.as_str(), "http://127.0.0.1:9/files");
        let masked = masked(&prepared.headers, &Secrets::default());
        assert!(masked.contains(&("authorization".into(), "***".into())));
    }

    #[test]
    fn content_length_declares_the_full_body_even_when_aborting() {
        let prepared = prepare_with(
            &step("PUT", &[], Some("3")),
            Some(Payload::bytes(&b"0123456789"[..])),
        )
        .unwrap();
        assert_eq!(prepared.headers["content-length"], "10");
        assert_eq!(
            prepared.cut,
            Some(Cut {
                after: 3,
                then: CutEnd::Abort
            })
        );
        let get = prepare_with(&step("GET", &[], None), None).unwrap();
        assert!(!get.headers.contains_key(CONTENT_LENGTH));
        let framed = prepare_with(
            &step("POST", &[("Transfer-Encoding", "chunked")], None),
            None,
        )
        .unwrap();
        assert!(!framed.headers.contains_key(CONTENT_LENGTH));
    }

    #[test]
    fn trailers_are_announced_and_the_body_goes_chunked() {
        let mut with_trailer = step("PATCH", &[], None);
        with_trailer.trailers = vec![(
            "Upload-Checksum".to_owned(),
            Template::literal("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
        )];
        let prepared =
            prepare_with(&with_trailer, Some(Payload::bytes(&b"hello world"[..]))).unwrap();
        assert!(!prepared.headers.contains_key(CONTENT_LENGTH));
        assert_eq!(prepared.headers[TRAILER], "Upload-Checksum");
        assert_eq!(
            prepared.trailers["upload-checksum"],
            "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        with_trailer.headers.push((
            "Trailer".to_owned(),
            Template::literal("Upload-Checksum, X"),
        ));
        let own = prepare_with(&with_trailer, None).unwrap();
        assert_eq!(
            own.headers.get_all(TRAILER).iter().count(),
            1,
            "the step's own wins"
        );
    }

    #[test]
    fn content_md5_is_the_body_digest() {
        let mut delete = step("POST", &[("Content-MD5", "stale")], None);
        delete.content_md5 = true;
        let prepared = prepare_with(&delete, Some(Payload::bytes(&b"hello"[..]))).unwrap();
        // base64 of MD5("hello"), as S3 documents Content-MD5.
        assert_eq!(
            prepared
                .headers
                .get_all("content-md5")
                .iter()
                .collect::<Vec<_>>(),
            ["XUFAKrxLKna5cZ2REBfFkg=="]
        );
        let empty = prepare_with(&delete, None).unwrap();
        assert_eq!(empty.headers["content-md5"], "1B2M2Y8AsgTpgAmY7PhCfg==");
    }

    #[test]
    fn secrets_a_protocol_names_are_masked_in_transcripts() {
        let mut secrets = Secrets::default();
        secrets.add(&["x-session"], &["Signature", "Token"]);
        let url = Url::parse("http://h/b/k?part=1&Signature=abc&Token=t&Date=1").unwrap();
        assert_eq!(
            masked_url(&url, &secrets),
            "http://h/b/k?part=1&Signature=***&Token=***&Date=1"
        );
        assert_eq!(
            masked_url(&Url::parse("http://h/").unwrap(), &secrets),
            "http://h/"
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-session", "s".parse().unwrap());
        headers.insert("cookie", "c".parse().unwrap());
        headers.insert("x-other", "o".parse().unwrap());
        assert_eq!(
            masked(&headers, &secrets),
            [
                ("x-session".to_owned(), "***".to_owned()),
                ("cookie".to_owned(), "***".to_owned()),
                ("x-other".to_owned(), "o".to_owned()),
            ]
        );
    }

    #[test]
    fn rejects_what_cannot_be_sent() {
        let beyond = prepare_with(
            &step("PUT", &[], Some("11")),
            Some(Payload::bytes(&b"0123456789"[..])),
        );
        assert!(beyond.unwrap_err().to_string().contains("beyond the end"));
        assert!(prepare_with(&step("GET", &[("Bad Name", "x")], None), None).is_err());
        assert!(prepare_with(&step("GET", &[("X", "line\nbreak")], None), None).is_err());
        assert!(prepare_with(&step("GE T", &[], None), None).is_err());
    }
}
