//! Races, interrupted and stalled bodies, and malformed input: the cases
//! where the spec is silent and the server must still never corrupt an
//! upload, answer 5xx or panic.

use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use upspec_reference_server::Fault;

use crate::common::{BASE, Srv, pattern, start, start_with};

type Headers<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn interrupted_patch_keeps_what_arrived() {
    // TUS-CORE-PATCH-PARTIAL-STORE
    let srv = start().await;
    let up = srv.create(10).await;
    srv.request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .body(&b"abcd"[..])
        .send_cut(10)
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while srv.offset(&up).await != 4 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(srv.offset(&up).await, 4);
    // The cut request may still hold the lock for a moment after its
    // commit became visible: a client retries 423.
    let mut res = srv.patch(&up, 4, b"efghij").await;
    for _ in 0..50 {
        if res.status != 423 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        res = srv.patch(&up, 4, b"efghij").await;
    }
    assert_eq!(res.status, 204);
    assert_eq!(srv.bytes(&up).await, b"abcdefghij");
}

#[tokio::test]
async fn interrupted_patch_with_checksum_keeps_nothing() {
    let srv = start().await;
    let up = srv.create(10).await;
    srv.request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=")
        .body(&b"abcd"[..])
        .send_cut(10)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(srv.offset(&up).await, 0);
}

#[tokio::test]
async fn racing_patch_gets_423_and_the_first_wins() {
    // TUS-CORE-PATCH-CONCURRENT (IMPL: in-flight request wins, newcomer 423)
    let srv = start().await;
    let up = srv.create(10).await;
    let mut first = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .body(&b"abc"[..])
        .send_open(6)
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let res = srv.patch(&up, 0, b"xyz").await;
    assert_eq!(res.status, 423);
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(srv.request("DELETE", &up).tus().send().await.status, 423);
    assert_eq!(
        srv.offset(&up).await,
        0,
        "HEAD never waits and shows only committed bytes"
    );
    use tokio::io::AsyncWriteExt;
    first.write_all(b"def").await.unwrap();
    let res = crate::common::read_response(&mut first, false).await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("6")));
    assert_eq!(srv.bytes(&up).await, b"abcdef");
}

#[tokio::test]
async fn concurrent_patches_never_corrupt() {
    let srv = start().await;
    let data = pattern(64 * 1024, 7);
    let up = srv.create(data.len() as u64).await;
    let mut offset = 0usize;
    for _ in 0..40 {
        if offset == data.len() {
            break;
        }
        let end = (offset + 8 * 1024).min(data.len());
        let sends = (0..4).map(|_| srv.patch(&up, offset as u64, &data[offset..end]));
        let results = futures_util::future::join_all(sends).await;
        let won: Vec<_> = results.iter().filter(|r| r.status == 204).collect();
        assert!(won.len() <= 1);
        for r in &results {
            assert!(matches!(r.status, 204 | 409 | 423), "{r:?}");
        }
        offset = srv.offset(&up).await as usize;
    }
    assert_eq!(offset, data.len());
    assert_eq!(srv.bytes(&up).await, data);
}

/// A PATCH of 3 bytes into the 10-byte upload `up` that declares all 10 and
/// stalls, its connection open.
async fn stall_patch(srv: &Srv, up: &str) -> TcpStream {
    srv.request("PATCH", up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .body(&b"abc"[..])
        .send_open(10)
        .await
}

#[tokio::test]
async fn stalled_body_times_out_and_keeps_bytes() {
    // TUS-CORE-PATCH-TIMEOUT
    let srv = start_with(|c| c.idle_timeout = Duration::from_millis(300)).await;
    let up = srv.create(10).await;
    let mut stalled = stall_patch(&srv, &up).await;
    let res = crate::common::read_response(&mut stalled, false).await;
    assert_eq!(res.status, 408);
    assert_eq!(srv.offset(&up).await, 3);
    assert_eq!(srv.patch(&up, 3, b"defghij").await.status, 204);
}

#[tokio::test]
async fn a_write_slower_than_the_expiry_period_does_not_expire_its_upload() {
    // The expiry slides from the end of the write, not its start: the stall
    // lasts longer than the whole period, and the upload still lives after.
    let srv = start_with(|c| {
        c.idle_timeout = Duration::from_millis(1500);
        c.tus.expiry = Some(Duration::from_secs(1));
    })
    .await;
    let up = srv.create(10).await;
    let mut stalled = stall_patch(&srv, &up).await;
    let res = crate::common::read_response(&mut stalled, false).await;
    assert_eq!(res.status, 408);
    assert_eq!(srv.offset(&up).await, 3);
}

#[tokio::test]
async fn with_the_fault_a_stalled_body_waits_until_the_client_closes() {
    // stalled-body-never-ended: no answer after the idle timeout, but a client
    // that gives up still ends the request, and the server carries on.
    let srv = start_with(|c| {
        c.idle_timeout = Duration::from_millis(100);
        c.faults.insert(Fault::StalledBodyNeverEnded);
    })
    .await;
    let up = srv.create(10).await;
    let mut stalled = stall_patch(&srv, &up).await;
    let mut byte = [0; 1];
    let waited = tokio::time::timeout(Duration::from_millis(600), stalled.read(&mut byte)).await;
    assert!(waited.is_err(), "answered or closed: {waited:?}");
    drop(stalled);
    let mut offset = 0;
    for _ in 0..50 {
        offset = srv.offset(&up).await;
        if offset == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(offset, 3, "the bytes that arrived are kept");
    assert_eq!(srv.patch(&up, 3, b"defghij").await.status, 204);
}

#[tokio::test]
async fn malformed_headers_are_4xx_never_5xx() {
    let srv = start().await;
    let up = srv.create(10).await;
    let cases: &[(&str, &str, Headers)] = &[
        ("POST", BASE, &[("Upload-Length", "-0")]),
        ("POST", BASE, &[("Upload-Length", "1e3")]),
        ("POST", BASE, &[("Upload-Length", " 5 5")]),
        (
            "POST",
            BASE,
            &[("Upload-Length", "5"), ("Upload-Metadata", "a")],
        ), /* valid */
        (
            "POST",
            BASE,
            &[("Upload-Length", "5"), ("Upload-Metadata", "a b c")],
        ),
        (
            "POST",
            BASE,
            &[("Upload-Length", "5"), ("Upload-Concat", "partial;")],
        ),
        (
            "POST",
            BASE,
            &[("Upload-Length", "5"), ("Upload-Concat", "final;http://x")],
        ),
        (
            "PATCH",
            &up,
            &[("Upload-Offset", "0"), ("Upload-Length", "x")],
        ),
        (
            "PATCH",
            &up,
            &[
                ("Upload-Offset", "0"),
                ("Upload-Checksum", "sha1  Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
            ],
        ),
        (
            "PATCH",
            &up,
            &[("Upload-Offset", "0"), ("X-HTTP-Method-Override", "")],
        ),
        ("PATCH", &up, &[("Upload-Offset", "\u{e9}")]),
    ];
    for (method, target, headers) in cases {
        let mut req = srv.request(method, target).tus().octet();
        for (k, v) in *headers {
            req = req.header(k, v);
        }
        let res = req.body(&b"ab"[..]).send().await;
        assert!(
            (200..500).contains(&res.status),
            "{method} {headers:?}: {res:?}"
        );
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"), "{headers:?}");
    }
    assert_eq!(srv.offset(&up).await, 0);
}

#[tokio::test]
async fn transfer_codings_the_server_lacks_are_refused() {
    // RFC 9112 §6.1: a transfer coding the server does not understand SHOULD
    // get 501; chunked applied twice is malformed. Nothing is stored either way.
    let srv = start().await;
    let up = srv.create(3).await;
    for (codings, status) in [
        ("gzip, chunked", 501),
        ("x-custom, chunked", 501),
        ("chunked, chunked", 400),
    ] {
        let res = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0")
            .chunked(&[b"abc"], &[])
            .codings(codings)
            .send()
            .await;
        assert_eq!(res.status, status, "{codings}: {res:?}");
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"), "{codings}");
        assert_eq!(srv.offset(&up).await, 0, "{codings}");
    }
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .chunked(&[b"abc"], &[])
        .codings("Chunked")
        .send()
        .await;
    assert_eq!(res.status, 204, "chunked alone, in any case: {res:?}");
}

/// Bytes that are not HTTP at all (a NUL in a header value) are refused by
/// the HTTP layer before tus sees the request: 400, and so without
/// `Tus-Resumable`. Documented as the one exception.
#[tokio::test]
async fn invalid_http_is_refused_by_the_http_layer() {
    let srv = start().await;
    for bad in ["final;/files/\u{0}", "final;/files/\u{7f}"] {
        let res = srv
            .request("POST", BASE)
            .tus()
            .header("Upload-Length", "5")
            .header("Upload-Concat", bad)
            .send()
            .await;
        assert_eq!(res.status, 400);
    }
}

#[tokio::test]
async fn shutdown_is_prompt() {
    let srv = start().await;
    let up = srv.create(10).await;
    let _stalled = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .body(&b"abc"[..])
        .send_open(10)
        .await;
    let started = std::time::Instant::now();
    srv.server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(7));
}

#[tokio::test]
async fn a_refused_body_closes_the_connection_and_says_so() {
    // The refused body may be left unread, after which the connection
    // cannot carry another request: `Connection: close` tells the client
    // not to reuse it. Accepted bodies keep the connection open.
    let srv = start().await;
    let up = srv.create(10).await;
    let patch = |offset: u64| {
        format!(
            "PATCH {up} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n\
             Content-Length: 5\r\n\r\nhello"
        )
    };
    let refused = keep_alive_exchange(srv.addr, &patch(3)).await;
    assert!(refused.starts_with("http/1.1 409"), "{refused}");
    assert!(refused.contains("\r\nconnection: close"), "{refused}");
    let accepted = keep_alive_exchange(srv.addr, &patch(0)).await;
    assert!(accepted.starts_with("http/1.1 204"), "{accepted}");
    assert!(!accepted.contains("connection: close"), "{accepted}");
}

/// Sends one request on a fresh connection without asking for it to be
/// closed, and returns the response head, lowercased.
async fn keep_alive_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}
