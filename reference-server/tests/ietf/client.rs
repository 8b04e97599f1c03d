//! A raw HTTP/1.1 client that reports every response head, interim ones
//! included, and can cut a body off mid-way.
#![allow(dead_code)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use upspec_reference_server::Fault;

pub const BASE: &str = "/files/";

/// The server as every test of the reference server starts it.
pub use crate::common::{Srv, start, start_with};

pub async fn with_fault(fault: Fault) -> Srv {
    start_with(|c| {
        c.faults.insert(fault);
    })
    .await
}

/// One response head, interim or final.
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// Every interim head, then the final response and its body.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub interim: Vec<Head>,
    pub last: Head,
    pub body: Vec<u8>,
}

impl std::ops::Deref for Exchange {
    type Target = Head;
    fn deref(&self) -> &Head {
        &self.last
    }
}

impl Exchange {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request written by hand.
pub struct Req {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// Announce this `Content-Length` instead of the body's.
    declared: Option<u64>,
    chunked: bool,
    /// Wait for an interim head before sending the body.
    await_interim: bool,
    /// Close after sending the body (a cut transfer).
    cut: bool,
}

/// A request with `Upload-Draft-Interop-Version: version`.
pub fn req(method: &str, target: &str, version: u8) -> Req {
    raw(method, target).header("Upload-Draft-Interop-Version", &version.to_string())
}

/// A request without an interop version.
pub fn raw(method: &str, target: &str) -> Req {
    Req {
        method: method.into(),
        target: target.into(),
        headers: Vec::new(),
        body: None,
        declared: None,
        chunked: false,
        await_interim: false,
        cut: false,
    }
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn complete(self, done: bool) -> Self {
        self.header("Upload-Complete", if done { "?1" } else { "?0" })
    }

    pub fn offset(self, offset: u64) -> Self {
        self.header("Upload-Offset", &offset.to_string())
    }

    pub fn partial(self) -> Self {
        self.header("Content-Type", "application/partial-upload")
    }

    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some(bytes.into());
        self
    }

    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    /// Sends `Content-Length: n` but only the body given, then closes.
    pub fn cut_at(mut self, declared: u64) -> Self {
        self.declared = Some(declared);
        self.cut = true;
        self
    }

    pub fn await_interim(mut self) -> Self {
        self.await_interim = true;
        self
    }

    fn head_bytes(&self) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\nHost: test\r\n", self.method, self.target);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        } else if let Some(n) = self.declared {
            head.push_str(&format!("Content-Length: {n}\r\n"));
        } else if let Some(body) = &self.body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    fn body_bytes(&self) -> Vec<u8> {
        let body = self.body.clone().unwrap_or_default();
        if !self.chunked {
            return body;
        }
        let mut out = Vec::new();
        if !body.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
            out.extend_from_slice(b"\r\n");
        }
        if !self.cut {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        out
    }

    /// Sends the request and reads the heads up to the final one. A cut
    /// request returns whatever came back before the connection closed
    /// (maybe only interim heads: then `last.status` is 0).
    pub async fn send(self, srv: &Srv) -> Exchange {
        let mut stream = TcpStream::connect(srv.addr).await.expect("connect");
        stream.write_all(&self.head_bytes()).await.unwrap();
        let mut reader = Reader::default();
        let mut interim = Vec::new();
        if self.await_interim {
            let head = reader.head(&mut stream).await.expect("an interim head");
            assert!(head.status < 200, "expected an interim head: {head:?}");
            interim.push(head);
        }
        let _ = stream.write_all(&self.body_bytes()).await;
        if self.cut {
            // Let the server see the bytes, then close.
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(stream);
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Exchange {
                interim,
                last: Head {
                    status: 0,
                    headers: Vec::new(),
                },
                body: Vec::new(),
            };
        }
        loop {
            let head = reader.head(&mut stream).await.expect("a response");
            if head.status < 200 {
                interim.push(head);
                continue;
            }
            let body = if self.method == "HEAD" || head.status == 204 || head.status == 304 {
                Vec::new()
            } else {
                let n: usize = head
                    .header("content-length")
                    .map(|n| n.parse().unwrap())
                    .unwrap_or(0);
                reader.take(&mut stream, n).await
            };
            return Exchange {
                interim,
                last: head,
                body,
            };
        }
    }
}

#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
}

impl Reader {
    async fn fill(&mut self, stream: &mut TcpStream) -> bool {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    pub async fn head(&mut self, stream: &mut TcpStream) -> Option<Head> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let text = String::from_utf8(self.buf[..end].to_vec()).unwrap();
                self.buf.drain(..end + 4);
                let mut lines = text.split("\r\n");
                let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                return Some(Head { status, headers });
            }
            if !self.fill(stream).await {
                return None;
            }
        }
    }

    pub async fn take(&mut self, stream: &mut TcpStream, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if !self.fill(stream).await {
                break;
            }
        }
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }
}

/// Creates an upload with `Upload-Complete: ?0` and `body`; returns its path.
pub async fn create(srv: &Srv, version: u8, body: &[u8], extra: &[(&str, &str)]) -> String {
    let mut r = req("POST", BASE, version)
        .complete(false)
        .body(body.to_vec());
    for (k, v) in extra {
        r = r.header(k, v);
    }
    let res = r.send(srv).await;
    assert_eq!(res.status, 201, "{res:?}");
    res.header("location").expect("Location").to_owned()
}

pub async fn head(srv: &Srv, version: u8, upload: &str) -> Exchange {
    req("HEAD", upload, version).send(srv).await
}

pub async fn append(
    srv: &Srv,
    version: u8,
    upload: &str,
    offset: u64,
    done: bool,
    body: &[u8],
) -> Exchange {
    req("PATCH", upload, version)
        .partial()
        .offset(offset)
        .complete(done)
        .body(body.to_vec())
        .send(srv)
        .await
}
