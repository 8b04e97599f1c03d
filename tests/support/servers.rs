//! Targets for engine tests, all on 127.0.0.1 with an OS-chosen port: a
//! well-behaved server (axum) with endpoints that say exactly what they received
//! or answer exactly what the test asks, and raw TCP servers that misbehave in
//! the ways real targets do.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the well-behaved server has been sent.
#[derive(Clone, Default)]
pub struct Received {
    stored: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    page_requests: Arc<AtomicUsize>,
}

impl Received {
    /// The bytes stored under `/store/{key}`.
    pub fn stored(&self, key: &str) -> Option<Vec<u8>> {
        self.stored.lock().unwrap().get(key).cloned()
    }

    pub fn page_requests(&self) -> usize {
        self.page_requests.load(Ordering::SeqCst)
    }
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT/`, with the trailing slash scenarios append paths to.
    pub url: String,
    pub received: Received,
}

/// Starts the well-behaved server:
/// - `ANY /echo`: 200 with the request body, `x-method`, `x-received-length`, and
///   every request header back as `x-echo-NAME`;
/// - `PUT /store/{key}` replaces, `POST`/`PATCH` append (204, `x-stored-length`),
///   `GET`/`HEAD` return the bytes;
/// - `ANY /respond?status=201&h=Name:Value&h=…&body=…`: exactly that answer;
/// - `GET /pages?marker=N`: S3-style XML that says truncated while N < 2;
/// - `GET /slow?ms=N`: answers after N ms;
/// - `GET /big?size=N`: N bytes of `a`.
pub async fn start() -> TestServer {
    let received = Received::default();
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/store/{key}", any(store))
        .route("/respond", any(respond))
        .route("/pages", get(pages))
        .route("/slow", get(slow))
        .route("/big", get(big))
        .layer(DefaultBodyLimit::disable())
        .with_state(received.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestServer {
        url: format!("http://{addr}/"),
        received,
    }
}

async fn echo(method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body.clone()));
    let out = response.headers_mut();
    out.insert("x-method", HeaderValue::from_str(method.as_str()).unwrap());
    out.insert("x-received-length", HeaderValue::from(body.len()));
    for (name, value) in &headers {
        let echoed = HeaderName::from_bytes(format!("x-echo-{name}").as_bytes()).unwrap();
        out.append(echoed, value.clone());
    }
    response
}

async fn store(
    State(received): State<Received>,
    Path(key): Path<String>,
    method: Method,
    body: Bytes,
) -> Response {
    let mut stored = received.stored.lock().unwrap();
    if method == Method::GET || method == Method::HEAD {
        return match stored.get(&key) {
            Some(bytes) => bytes.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let entry = stored.entry(key).or_default();
    if method == Method::PUT {
        entry.clear();
    }
    entry.extend_from_slice(&body);
    (
        StatusCode::NO_CONTENT,
        [("x-stored-length", entry.len().to_string())],
    )
        .into_response()
}

async fn respond(RawQuery(query): RawQuery) -> Response {
    let mut response = Response::new(Body::empty());
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "status" => {
                *response.status_mut() = StatusCode::from_u16(value.parse().unwrap()).unwrap()
            }
            "h" => {
                let (name, value) = value.split_once(':').unwrap();
                response.headers_mut().append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            "body" => *response.body_mut() = Body::from(value.into_owned()),
            other => panic!("unknown /respond parameter {other}"),
        }
    }
    response
}

fn query_number(query: Option<String>, name: &str) -> u64 {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map_or(0, |(_, value)| value.parse().unwrap())
}

async fn pages(State(received): State<Received>, RawQuery(query): RawQuery) -> String {
    received.page_requests.fetch_add(1, Ordering::SeqCst);
    let marker = query_number(query, "marker");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IsTruncated>{}</IsTruncated><NextPartNumberMarker>{}</NextPartNumberMarker>
</ListPartsResult>"#,
        marker < 2,
        marker + 1
    )
}

async fn slow(RawQuery(query): RawQuery) -> &'static str {
    tokio::time::sleep(Duration::from_millis(query_number(query, "ms"))).await;
    "done"
}

async fn big(RawQuery(query): RawQuery) -> Vec<u8> {
    vec![b'a'; usize::try_from(query_number(query, "size")).unwrap()]
}

/// A URL nobody listens on: the port was just bound and released.
pub async fn refused() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/")
}

/// How a raw server misbehaves once it has read a request head.
#[derive(Clone, Copy, Debug)]
pub enum Misbehaviour {
    /// Never answers.
    Silent,
    /// Sends a head promising 100 bytes, 10 of them, then nothing.
    HangMidBody,
    /// Sends a head promising 100 bytes, 10 of them, then resets the connection.
    ResetMidBody,
    /// Answers with something that is not HTTP.
    Garbage,
    /// Answers `200` with `Content-Length: 1000` and no body, then keeps the
    /// connection open: right for HEAD, a hang for anything that waits for a body.
    HeadersOnly,
    /// Sends a `104` naming an upload, then closes the connection without a
    /// final response, as an HTTP/1.0-style server ending the exchange by closing.
    InterimThenClose,
}

pub async fn misbehaving(behaviour: Misbehaviour) -> String {
    let (listener, url) = bind().await;
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = read_head(&mut socket).await;
                let partial = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
                match behaviour {
                    Misbehaviour::Silent => {}
                    Misbehaviour::HangMidBody => {
                        let _ = socket.write_all(partial).await;
                    }
                    Misbehaviour::ResetMidBody => {
                        let _ = socket.write_all(partial).await;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let _ = socket.set_zero_linger();
                        return;
                    }
                    Misbehaviour::Garbage => {
                        let _ = socket
                            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n")
                            .await;
                        return;
                    }
                    Misbehaviour::HeadersOnly => {
                        let _ = socket
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                            .await;
                    }
                    Misbehaviour::InterimThenClose => {
                        let _ = socket
                            .write_all(
                                b"HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /uploads/3\r\n\r\n",
                            )
                            .await;
                        return;
                    }
                }
                // Hold the connection open until the test's runtime ends.
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    url
}

/// A server that counts the request body bytes that really arrive on each connection
/// (until the declared length, EOF or a reset) and reports the count per request.
/// It answers 204 only to a body that arrived whole. It starts reading a body only
/// `read_delay` after its head, which lets a test fill every buffer on the way.
pub async fn counting(read_delay: Duration) -> (String, mpsc::UnboundedReceiver<u64>) {
    let (listener, url) = bind().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                // A head that never arrives counts as nothing received, so a test
                // waiting for the count fails instead of hanging.
                let (head, leftover) = read_head(&mut socket).await.unwrap_or_default();
                let declared: u64 = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                tokio::time::sleep(read_delay).await;
                let mut count = leftover as u64;
                let mut buf = vec![0; 64 * 1024];
                while count < declared {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => count += n as u64,
                    }
                }
                if count == declared {
                    let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                }
                let _ = tx.send(count);
            });
        }
    });
    (url, rx)
}

/// What a stall-watching server does once a request body stops coming.
#[derive(Clone, Copy, Debug)]
pub enum StallEnding {
    /// Answers 408 and keeps the connection open (reading, in case more comes).
    Answer,
    /// Closes the connection without a word.
    Close,
    /// Resets the connection.
    Reset,
    /// Waits for the rest of the body for as long as the connection lasts.
    Never,
}

/// What a stall-watching server saw on one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallEvent {
    /// The body stopped coming (nothing for 200 ms) after this many bytes.
    Stalled(u64),
    /// The client closed the connection.
    ClientClosed,
}

/// A server that reads a request body until it stalls (nothing for 200 ms), reports
/// how much arrived, ends the request as `ending` says, and reports when the
/// client closes a connection it kept open.
pub async fn stall_watching(ending: StallEnding) -> (String, mpsc::UnboundedReceiver<StallEvent>) {
    let (listener, url) = bind().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let Some((_, leftover)) = read_head(&mut socket).await else {
                    return;
                };
                let mut count = leftover as u64;
                let mut buf = vec![0; 64 * 1024];
                let quiet = Duration::from_millis(200);
                loop {
                    match tokio::time::timeout(quiet, socket.read(&mut buf)).await {
                        Err(_) => break,
                        Ok(Ok(0) | Err(_)) => {
                            let _ = tx.send(StallEvent::ClientClosed);
                            return;
                        }
                        Ok(Ok(n)) => count += n as u64,
                    }
                }
                let _ = tx.send(StallEvent::Stalled(count));
                match ending {
                    StallEnding::Answer => {
                        let answer =
                            b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 7\r\n\r\nstalled";
                        let _ = socket.write_all(answer).await;
                    }
                    StallEnding::Close => return,
                    StallEnding::Reset => {
                        let _ = socket.set_zero_linger();
                        return;
                    }
                    StallEnding::Never => {}
                }
                while let Ok(1..) = socket.read(&mut buf).await {}
                let _ = tx.send(StallEvent::ClientClosed);
            });
        }
    });
    (url, rx)
}

/// A server that answers `413` as soon as it has a request head, then reads (and
/// discards) whatever body follows: an early response to an upload. Reports, for
/// each connection, how many body bytes came before the client closed it.
pub async fn early_answer() -> (String, mpsc::UnboundedReceiver<u64>) {
    let (listener, url) = bind().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let Some((_, with_head)) = read_head(&mut socket).await else {
                    return;
                };
                let answer = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n";
                let _ = socket.write_all(answer).await;
                let mut received = with_head as u64;
                let mut buf = vec![0; 64 * 1024];
                while let Ok(n @ 1..) = socket.read(&mut buf).await {
                    received += n as u64;
                }
                let _ = tx.send(received);
            });
        }
    });
    (url, rx)
}

/// A server that, like rustus over its body limit, answers `413` to a request with
/// a body as soon as it has the head, keeps the connection open and never reads or
/// answers anything on it again; a request without a body gets `200`.
pub async fn refuses_bodies_early() -> String {
    let (listener, url) = bind().await;
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                while let Some((head, _)) = read_head(&mut socket).await {
                    let has_body = head.lines().any(|line| {
                        line.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .is_some_and(|value| value.trim() != "0")
                    });
                    if has_body {
                        let answer = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n";
                        let _ = socket.write_all(answer).await;
                        // Holds the connection, reading nothing, until the client goes.
                        let _ = socket.readable().await;
                        std::future::pending::<()>().await;
                    }
                    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// A server that answers every request head with `answer`, written as given in one
/// piece (so what it puts after a response arrives with it), keeping the connection
/// open for the next request; a HEAD gets `answer` up to its blank line. Counts the
/// connections it accepts.
pub async fn scripted(answer: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let (listener, url) = bind().await;
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                while let Some((head, _)) = read_head(&mut socket).await {
                    let end = answer.windows(4).position(|w| w == b"\r\n\r\n");
                    let answer = match end {
                        Some(end) if head.starts_with("HEAD ") => &answer[..end + 4],
                        _ => answer,
                    };
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, connections)
}

/// How an `Expect: 100-continue` server answers a request head.
#[derive(Clone, Copy, Debug)]
pub enum ContinueAnswer {
    /// `100 Continue` at once, then `204` once the body is in.
    Continue,
    /// `201` at once, without reading the body.
    FinalAtOnce,
    /// Nothing until the whole body is in; then a late `100 Continue` and `204`.
    Silent,
}

/// What an `Expect: 100-continue` server saw on one request.
#[derive(Debug)]
pub struct ContinueSeen {
    /// Body bytes that arrived within 300 ms of the head, before any answer.
    pub before_answer: usize,
    /// Body bytes that arrived after the answer (for `FinalAtOnce`: before the
    /// client closed the connection).
    pub after_answer: usize,
    /// From the head to the whole body, for `Silent`.
    pub waited: Duration,
}

/// A server for requests with `Expect: 100-continue` and a `Content-Length`
/// body (`length` bytes): it watches for 300 ms whether body bytes come before
/// it answers, answers as `answer` says, and reports what it saw.
pub async fn expect_continue(
    answer: ContinueAnswer,
    length: usize,
) -> (String, mpsc::UnboundedReceiver<ContinueSeen>) {
    let (listener, url) = bind().await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let started = tokio::time::Instant::now();
                let Some((_, mut before_answer)) = read_head(&mut socket).await else {
                    return;
                };
                let mut buf = vec![0; 64 * 1024];
                let watch = tokio::time::sleep(Duration::from_millis(300));
                tokio::pin!(watch);
                if !matches!(answer, ContinueAnswer::Silent) {
                    while before_answer < length {
                        tokio::select! {
                            _ = &mut watch => break,
                            read = socket.read(&mut buf) => match read {
                                Ok(n @ 1..) => before_answer += n,
                                _ => return,
                            },
                        }
                    }
                }
                let mut after_answer = 0;
                match answer {
                    ContinueAnswer::Continue => {
                        let _ = socket.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
                        while before_answer + after_answer < length {
                            match socket.read(&mut buf).await {
                                Ok(n @ 1..) => after_answer += n,
                                _ => return,
                            }
                        }
                        let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                    }
                    ContinueAnswer::FinalAtOnce => {
                        let _ = socket
                            .write_all(
                                b"HTTP/1.1 201 Created\r\nLocation: /u/1\r\nContent-Length: 0\r\n\r\n",
                            )
                            .await;
                        while let Ok(n @ 1..) = socket.read(&mut buf).await {
                            after_answer += n;
                        }
                    }
                    ContinueAnswer::Silent => {
                        while before_answer < length {
                            match socket.read(&mut buf).await {
                                Ok(n @ 1..) => before_answer += n,
                                _ => return,
                            }
                        }
                        let _ = socket
                            .write_all(
                                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                            )
                            .await;
                    }
                }
                let _ = tx.send(ContinueSeen {
                    before_answer,
                    after_answer,
                    waited: started.elapsed(),
                });
                // Hold the connection a moment so the client reads the answer.
                let _ = socket.read(&mut buf).await;
            });
        }
    });
    (url, rx)
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    (listener, format!("http://{addr}/"))
}

/// Reads up to the blank line ending a request head; returns the head and how many
/// body bytes came along with it.
async fn read_head(socket: &mut TcpStream) -> Option<(String, usize)> {
    let mut data = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            return Some((head, data.len() - end - 4));
        }
    }
}
