//! Test helpers: start a server in-process, and a raw HTTP/1.1 client that
//! can send what real clients would not (duplicate or malformed headers,
//! chunked bodies with trailers, bodies cut off mid-way).
#![allow(dead_code)] // each test binary uses a different part

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use upspec_reference_server::{Config, RunningServer, StoreConfig, serve};

/// A running server and what keeps its data alive; derefs to a [`Client`]
/// for it.
pub struct Srv {
    pub server: RunningServer,
    pub dir: Option<tempfile::TempDir>,
    client: Client,
}

impl std::ops::Deref for Srv {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Srv {
    /// For servers started with a config of the test's own making.
    pub fn from_parts(
        server: RunningServer,
        dir: Option<tempfile::TempDir>,
        client: Client,
    ) -> Self {
        Self {
            server,
            dir,
            client,
        }
    }
}

/// Sends requests to one server address.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub addr: std::net::SocketAddr,
}

/// The default test config: a file store in a fresh temp dir, everything
/// else as `Config::default()`.
pub async fn start() -> Srv {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Srv {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        store: StoreConfig::File {
            data_dir: dir.path().to_owned(),
        },
        ..Config::default()
    };
    adjust(&mut config);
    let server = serve(config).await.expect("server starts");
    Srv {
        client: Client {
            addr: server.local_addr(),
        },
        server,
        dir: Some(dir),
    }
}

pub const BASE: &str = "/files/";

/// The path of an upload URL, whether the server gave it absolute
/// (`http://host/files/ID`) or as a path (`/files/ID`).
pub fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => url,
    }
}

impl Client {
    pub fn request(&self, method: &str, target: &str) -> Request {
        Request {
            addr: self.addr,
            method: method.into(),
            target: target.into(),
            headers: Vec::new(),
            body: Body::None,
            codings: "chunked".into(),
        }
    }

    /// `mk(n)`: creates an upload of `n` bytes, returns its path.
    pub async fn create(&self, n: u64) -> String {
        self.create_with(&[("Upload-Length", &n.to_string())]).await
    }

    /// Creation with extra headers; asserts 201 and returns the Location.
    pub async fn create_with(&self, headers: &[(&str, &str)]) -> String {
        let mut req = self.request("POST", BASE).tus();
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let res = req.send().await;
        assert_eq!(res.status, 201, "creation failed: {res:?}");
        res.header("location").expect("Location").to_owned()
    }

    /// `put(U, o, b)`.
    pub async fn patch(&self, upload: &str, offset: u64, body: &[u8]) -> Response {
        self.request("PATCH", upload)
            .tus()
            .octet()
            .header("Upload-Offset", &offset.to_string())
            .body(body)
            .send()
            .await
    }

    pub async fn head(&self, upload: &str) -> Response {
        self.request("HEAD", upload).tus().send().await
    }

    /// The upload's offset as HEAD reports it.
    pub async fn offset(&self, upload: &str) -> u64 {
        let res = self.head(upload).await;
        assert_eq!(res.status, 200, "{res:?}");
        res.header("upload-offset")
            .expect("Upload-Offset")
            .parse()
            .unwrap()
    }

    /// The upload's bytes as GET returns them.
    pub async fn bytes(&self, upload: &str) -> Vec<u8> {
        let res = self.request("GET", upload).send().await;
        assert_eq!(res.status, 200, "{res:?}");
        res.body
    }

    pub async fn options(&self) -> Response {
        self.request("OPTIONS", BASE).send().await
    }
}

pub enum Body {
    None,
    /// Sent with `Content-Length`.
    Bytes(Vec<u8>),
    /// Sent with `Transfer-Encoding: chunked` (or the codings of
    /// [`Request::codings`]), then these trailers.
    Chunked(Vec<Vec<u8>>, Vec<(String, String)>),
}

pub struct Request {
    addr: std::net::SocketAddr,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Body,
    /// The `Transfer-Encoding` a chunked body is announced with.
    codings: String,
}

impl Request {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn tus(self) -> Self {
        self.header("Tus-Resumable", "1.0.0")
    }

    pub fn octet(self) -> Self {
        self.header("Content-Type", "application/offset+octet-stream")
    }

    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(bytes.into());
        self
    }

    pub fn chunked(mut self, chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Self {
        self.body = Body::Chunked(
            chunks.iter().map(|c| c.to_vec()).collect(),
            trailers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// Announces a chunked body with these transfer codings (`gzip,
    /// chunked`, ...) instead of `chunked`; the body is framed chunked all
    /// the same, and not otherwise coded.
    pub fn codings(mut self, codings: &str) -> Self {
        self.codings = codings.into();
        self
    }

    fn head_bytes(&self, content_length: Option<usize>) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        // A test may send a Host of its own (or an empty one).
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: {}\r\n", self.addr));
        }
        head.push_str("Connection: close\r\n");
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match (&self.body, content_length) {
            (Body::Chunked(..), _) => {
                head.push_str(&format!("Transfer-Encoding: {}\r\n", self.codings));
            }
            (_, Some(n)) => head.push_str(&format!("Content-Length: {n}\r\n")),
            (_, None) => {}
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    fn wire(&self) -> Vec<u8> {
        match &self.body {
            Body::None => self.head_bytes(None),
            Body::Bytes(bytes) => [self.head_bytes(Some(bytes.len())), bytes.clone()].concat(),
            Body::Chunked(chunks, trailers) => {
                let mut wire = self.head_bytes(None);
                for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                    wire.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
                    wire.extend(chunk);
                    wire.extend(b"\r\n");
                }
                wire.extend(b"0\r\n");
                for (k, v) in trailers {
                    wire.extend(format!("{k}: {v}\r\n").into_bytes());
                }
                wire.extend(b"\r\n");
                wire
            }
        }
    }

    pub async fn send(self) -> Response {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        // The server may answer and close before reading the whole body;
        // a failed write is then expected, the answer is what counts.
        let _ = stream.write_all(&self.wire()).await;
        read_response(&mut stream, self.method == "HEAD").await
    }

    /// Declares `Content-Length: declared`, sends the body given (shorter),
    /// then closes the connection: a network failure mid-body.
    pub async fn send_cut(self, declared: usize) {
        let Body::Bytes(bytes) = &self.body else {
            panic!("send_cut needs a byte body")
        };
        assert!(bytes.len() < declared);
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream
            .write_all(&self.head_bytes(Some(declared)))
            .await
            .unwrap();
        stream.write_all(bytes).await.unwrap();
        stream.flush().await.unwrap();
        // Give the server time to take the bytes before the connection dies.
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(stream);
    }

    /// Sends the head and the given part of the body, then returns the
    /// open connection so the caller can keep it stalled.
    pub async fn send_open(self, declared: usize) -> TcpStream {
        let Body::Bytes(bytes) = &self.body else {
            panic!("send_open needs a byte body")
        };
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream
            .write_all(&self.head_bytes(Some(declared)))
            .await
            .unwrap();
        stream.write_all(bytes).await.unwrap();
        stream.flush().await.unwrap();
        stream
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of a header that must appear at most once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name));
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "{name} appears twice in {self:?}");
        first
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn read_response(stream: &mut TcpStream, head: bool) -> Response {
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
    match read {
        Ok(Ok(_)) => {}
        // A reset after the full answer arrived (the server closed with
        // unread request bytes) still leaves a complete answer in `raw`.
        Ok(Err(e)) if !raw.is_empty() => eprintln!("read ended with {e}"),
        Ok(Err(e)) => panic!("reading the response: {e}"),
        Err(_) => panic!(
            "no response within 20 s; got {:?}",
            String::from_utf8_lossy(&raw)
        ),
    }
    parse_response(&raw, head)
}

pub fn parse_response(raw: &[u8], head: bool) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let text = std::str::from_utf8(&raw[..end]).expect("ASCII head");
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if head {
        assert!(rest.is_empty(), "HEAD response has a body");
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16)
                .unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Base64 as the tests need it.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reproducible pseudo-random bytes (xorshift), no RNG crate needed.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
