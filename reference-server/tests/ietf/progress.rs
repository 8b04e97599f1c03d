//! Progress 104s while a body is received (RUFH-APP-104-PROGRESS,
//! RUFH-APP-104-NOLOC, RUFH-CRE-PROGRESS), and refusals that read the
//! body first so the client can read them (RUFH-LIM-413).

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::client::*;

const VERSIONS: [u8; 3] = [6, 8, 9];
const MIB: usize = 1 << 20;
/// The server's step between progress heads (transfer.rs).
const STEP: u64 = 256 * 1024;

/// The `Upload-Offset` of every head, checked to be an sf-integer.
fn offsets(heads: &[Head]) -> Vec<u64> {
    heads
        .iter()
        .map(|h| {
            let v = h.header("upload-offset").expect("Upload-Offset");
            v.parse()
                .unwrap_or_else(|_| panic!("not an sf-integer: {v}"))
        })
        .collect()
}

fn assert_progress(heads: &[Head], version: u8, from: u64, len: u64) {
    assert!(heads.iter().all(|h| h.status == 104), "{heads:?}");
    let offsets = offsets(heads);
    // Some, and at most one per STEP bytes (frames vary in size, so not
    // exactly one per STEP).
    assert!(
        !offsets.is_empty() && offsets.len() as u64 <= len / STEP,
        "{offsets:?}"
    );
    assert!(
        offsets.windows(2).all(|w| w[1] >= w[0] + STEP),
        "growing, a step apart: {offsets:?}"
    );
    assert!(
        offsets.iter().all(|&o| o >= from + STEP && o <= from + len),
        "{offsets:?}"
    );
    for h in heads {
        assert_eq!(
            h.header("upload-draft-interop-version"),
            Some(version.to_string().as_str())
        );
    }
}

/// RUFH-APP-104-PROGRESS and RUFH-APP-104-NOLOC: a 1 MiB append at
/// offset 2 gets a few 104s, each with the upload's offset so far (not
/// the request's byte count), growing, within the append, without
/// `Location`, with the interop version; at every version.
#[tokio::test]
async fn rufh_app_104_progress_reports_growing_offsets_without_location() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"ab", &[]).await;
        let res = append(&srv, v, &upload, 2, false, &vec![b'x'; MIB]).await;
        assert_eq!(res.status, if v == 6 { 201 } else { 204 }, "{res:?}");
        assert_eq!(res.header("upload-offset"), Some("1048578"));
        assert_progress(&res.interim, v, 2, MIB as u64);
        assert!(res.interim.iter().all(|h| !h.has("location")));
    }
}

/// Short appends get no progress head at all.
#[tokio::test]
async fn short_appends_get_no_progress_104() {
    let srv = start().await;
    let upload = create(&srv, 9, b"", &[]).await;
    let res = append(&srv, 9, &upload, 0, false, &vec![b'x'; 200_000]).await;
    assert_eq!(res.status, 204);
    assert!(res.interim.is_empty(), "{:?}", res.interim);
}

/// A 3 MiB append: at most one head per 256 KiB, however the body is
/// framed (chunked here).
#[tokio::test]
async fn progress_104s_are_at_most_one_per_step() {
    let srv = start().await;
    let upload = create(&srv, 8, b"", &[]).await;
    let res = req("PATCH", &upload, 8)
        .partial()
        .offset(0)
        .complete(true)
        .chunked()
        .body(vec![b'y'; 3 * MIB])
        .send(&srv)
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_progress(&res.interim, 8, 0, 3 * MIB as u64);
}

/// RUFH-CRE-PROGRESS: a creation's body gets progress heads after its
/// announcing 104; all carry the same `Location` and `Upload-Limit`.
#[tokio::test]
async fn rufh_cre_progress_carries_the_creation_fields() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(true)
            .body(vec![b'z'; MIB])
            .send(&srv)
            .await;
        assert_eq!(res.status, 201, "{res:?}");
        let (announce, progress) = res.interim.split_first().expect("a 104");
        assert!(!announce.has("upload-offset"));
        assert_progress(progress, v, 0, MIB as u64);
        for h in progress {
            assert_eq!(h.header("location"), announce.header("location"));
            assert_eq!(h.header("upload-limit"), announce.header("upload-limit"));
        }
    }
}

/// The head of a 1 MiB append at offset 0 on a raw connection.
fn append_head(upload: &str, version: &str, extra: &str) -> String {
    format!(
        "PATCH {upload} {version}\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Content-Type: application/partial-upload\r\nUpload-Offset: 0\r\n\
         Upload-Complete: ?0\r\n{extra}Content-Length: {MIB}\r\n\r\n"
    )
}

/// Reads heads until the final one; returns them all.
async fn heads(reader: &mut Reader, stream: &mut TcpStream) -> Vec<Head> {
    let mut heads = Vec::new();
    loop {
        let head = reader.head(stream).await.expect("a head");
        let last = head.status >= 200;
        heads.push(head);
        if last {
            return heads;
        }
    }
}

/// The interim seam's rule for heads sent mid-body: with `Expect:
/// 100-continue`, hyper's 100 comes first, whether the client waits for it
/// (then sends the body) or sends the body at once; progress heads follow,
/// never before or inside it.
#[tokio::test]
async fn progress_104s_follow_the_100_continue() {
    let srv = start().await;
    for wait in [true, false] {
        let upload = create(&srv, 9, b"", &[]).await;
        let mut stream = TcpStream::connect(srv.addr).await.unwrap();
        let head = append_head(&upload, "HTTP/1.1", "Expect: 100-continue\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut reader = Reader::default();
        if wait {
            let first = reader.head(&mut stream).await.unwrap();
            assert_eq!(first.status, 100);
        }
        stream.write_all(&vec![b'x'; MIB]).await.unwrap();
        let mut got = heads(&mut reader, &mut stream).await;
        if !wait {
            assert_eq!(got.remove(0).status, 100, "hyper's 100 Continue first");
        }
        let last = got.pop().unwrap();
        assert_eq!(last.status, 204, "{last:?}");
        assert_progress(&got, 9, 0, MIB as u64);
    }
}

/// No progress heads for an HTTP/1.0 client (RFC 9110 §15.2).
#[tokio::test]
async fn no_progress_104s_for_http_1_0() {
    let srv = start().await;
    let upload = create(&srv, 9, b"", &[]).await;
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let head = append_head(&upload, "HTTP/1.0", "");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; MIB]).await.unwrap();
    let mut reader = Reader::default();
    let first = reader.head(&mut stream).await.unwrap();
    assert_eq!(first.status, 204);
    assert_eq!(first.header("upload-offset"), Some("1048576"));
}

/// RUFH-LIM-413: an append declaring (and sending) one byte more than
/// max-append-size is refused before its body is read; the server reads
/// the body anyway, so a client that writes all of it reads the 413 and
/// its `Upload-Limit` rather than a reset connection.
#[tokio::test]
async fn rufh_lim_413_is_readable_after_the_whole_oversized_body() {
    let max = 4 * MIB;
    let srv = start_with(|c| c.ietf.max_append_size = Some(max as u64)).await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"", &[]).await;
        let mut stream = TcpStream::connect(srv.addr).await.unwrap();
        let head = format!(
            "PATCH {upload} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: {v}\r\n\
             Content-Type: application/partial-upload\r\nUpload-Offset: 0\r\n\
             Upload-Complete: ?0\r\nContent-Length: {}\r\n\r\n",
            max + 1
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
            .write_all(&vec![b'x'; max + 1])
            .await
            .expect("the server reads the whole body");
        let mut reader = Reader::default();
        let res = reader.head(&mut stream).await.expect("the answer");
        assert_eq!(res.status, 413);
        let limit = res.header("upload-limit").expect("Upload-Limit");
        assert!(limit.contains(&format!("max-append-size={max}")), "{limit}");
        // Nothing was appended.
        assert_eq!(
            head_of(&srv, v, &upload).await.header("upload-offset"),
            Some("0")
        );
    }
}

async fn head_of(srv: &Srv, v: u8, upload: &str) -> Exchange {
    super::client::head(srv, v, upload).await
}

/// A refusal for a bad field (400, no `Upload-Offset`) reads the body
/// first too.
#[tokio::test]
async fn refusals_for_bad_fields_are_readable_after_the_body() {
    let srv = start().await;
    let upload = create(&srv, 9, b"", &[]).await;
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let head = format!(
        "PATCH {upload} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Content-Type: application/partial-upload\r\nUpload-Complete: ?0\r\n\
         Content-Length: {}\r\n\r\n",
        3 * MIB
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(&vec![b'x'; 3 * MIB])
        .await
        .expect("the server reads the whole body");
    let mut reader = Reader::default();
    let res = reader.head(&mut stream).await.expect("the answer");
    assert_eq!(res.status, 400);
}

/// With `Expect: 100-continue` a refusal goes at once, without a 100: the
/// client has sent nothing to read, and is spared sending it.
#[tokio::test]
async fn refusals_with_expect_continue_are_not_drained() {
    let srv = start_with(|c| c.ietf.max_append_size = Some(4)).await;
    let upload = create(&srv, 9, b"", &[]).await;
    let mut stream = TcpStream::connect(srv.addr).await.unwrap();
    let head = format!(
        "PATCH {upload} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Content-Type: application/partial-upload\r\nUpload-Offset: 0\r\n\
         Upload-Complete: ?0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reader = Reader::default();
    let res = tokio::time::timeout(Duration::from_secs(1), reader.head(&mut stream))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    assert_eq!(res.status, 413);
}
