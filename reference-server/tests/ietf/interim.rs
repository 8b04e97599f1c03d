//! The interim-response seam (src/interim.rs): 104 heads written by a
//! handler go out whole, before the final response, in order with hyper's
//! own writes.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::client::*;

/// RUFH-CRE-100: with `Expect: 100-continue` the 104 comes first, then
/// hyper's own 100 (which the draft forbids omitting), then the final one.
#[tokio::test]
async fn rufh_cre_100_follows_the_104() {
    let srv = start().await;
    for v in [6u8, 8, 9] {
        let mut stream = TcpStream::connect(srv.addr).await.unwrap();
        let head = format!(
            "POST {BASE} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: {v}\r\n\
             Upload-Complete: ?1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut reader = Reader::default();
        let first = reader.head(&mut stream).await.unwrap();
        assert_eq!(first.status, 104);
        let second = reader.head(&mut stream).await.unwrap();
        assert_eq!(second.status, 100, "hyper's 100 Continue after the 104");
        stream.write_all(b"abc").await.unwrap();
        let last = reader.head(&mut stream).await.unwrap();
        assert_eq!(last.status, 201);
        assert_eq!(last.header("upload-complete"), Some("?1"));
    }
}

/// No interim response for an HTTP/1.0 client (RFC 9110 §15.2); the
/// creation still works.
#[tokio::test]
async fn no_interim_responses_for_http_1_0() {
    let srv = start().await;
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let head = format!(
        "POST {BASE} HTTP/1.0\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Upload-Complete: ?0\r\nContent-Length: 3\r\n\r\nabc"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reader = Reader::default();
    let first = reader.head(&mut stream).await.unwrap();
    assert_eq!(first.status, 201);
}

/// Pipelined requests on one connection: the second creation's 104 comes
/// after the whole first response (body included), never inside it.
#[tokio::test]
async fn interim_heads_never_split_a_pipelined_response() {
    let srv = start().await;
    // An upload with a body to GET.
    let body = vec![b'x'; 300_000];
    let res = req("POST", BASE, 9)
        .complete(true)
        .body(body.clone())
        .send(&srv)
        .await;
    let upload = res.header("location").unwrap().to_owned();
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let pipelined = format!(
        "GET {upload} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\r\n\
         POST {BASE} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Upload-Complete: ?0\r\nContent-Length: 2\r\n\r\nab"
    );
    stream.write_all(pipelined.as_bytes()).await.unwrap();
    // Read slowly at first, so the GET's body is still being written when
    // the POST is handled.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut reader = Reader::default();
    let get = reader.head(&mut stream).await.unwrap();
    assert_eq!(get.status, 200);
    let got = reader.take(&mut stream, body.len()).await;
    assert_eq!(got, body, "the GET's body arrives whole");
    let interim = reader.head(&mut stream).await.unwrap();
    assert_eq!(interim.status, 104);
    let created = reader.head(&mut stream).await.unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), interim.header("location"));
}

/// tus requests never get an interim response (and hyper's 100 still
/// works for them).
#[tokio::test]
async fn tus_is_untouched_by_the_seam() {
    let srv = start().await;
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let head = format!(
        "POST {BASE} HTTP/1.1\r\nHost: t\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 3\r\n\
         Content-Type: application/offset+octet-stream\r\nExpect: 100-continue\r\n\
         Content-Length: 3\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reader = Reader::default();
    let first = reader.head(&mut stream).await.unwrap();
    assert_eq!(first.status, 100);
    stream.write_all(b"abc").await.unwrap();
    let last = reader.head(&mut stream).await.unwrap();
    assert_eq!(last.status, 201);
    assert!(!last.has("upload-complete"));
}
