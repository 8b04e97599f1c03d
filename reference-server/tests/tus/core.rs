//! §1.1–1.5: version negotiation, common headers, OPTIONS, HEAD, PATCH,
//! X-HTTP-Method-Override.

use crate::common::{BASE, start, start_with};

fn is_uint(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn ver_412_on_every_method_with_tus_version() {
    // TUS-CORE-VER-412, TUS-CORE-VER-NOPROC
    let srv = start().await;
    let up = srv.create(5).await;
    let bad = [
        ("POST", BASE),
        ("PATCH", up.as_str()),
        ("DELETE", up.as_str()),
        ("HEAD", up.as_str()),
        ("GET", up.as_str()),
    ];
    for (method, target) in bad {
        let res = srv
            .request(method, target)
            .header("Tus-Resumable", "0.0.1")
            .header("Upload-Length", "5")
            .header("Upload-Offset", "0")
            .octet()
            .body(if method == "PATCH" { &b"abc"[..] } else { b"" })
            .send()
            .await;
        assert_eq!(res.status, 412, "{method}: {res:?}");
        assert_eq!(res.header("tus-version"), Some("1.0.0"), "{method}");
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"), "{method}");
        assert_eq!(res.header("location"), None);
    }
    assert_eq!(srv.offset(&up).await, 0);
}

#[tokio::test]
async fn ver_missing_is_412_except_for_get() {
    // TUS-CORE-VER-MISSING (IMPL: 412 chosen)
    let srv = start().await;
    let up = srv.create(5).await;
    for (method, target) in [
        ("POST", BASE),
        ("PATCH", up.as_str()),
        ("DELETE", up.as_str()),
        ("HEAD", up.as_str()),
    ] {
        let res = srv
            .request(method, target)
            .header("Upload-Length", "5")
            .send()
            .await;
        assert_eq!(res.status, 412, "{method}");
        assert_eq!(res.header("tus-version"), Some("1.0.0"));
    }
    assert_eq!(srv.request("GET", &up).send().await.status, 200);
}

#[tokio::test]
async fn options_discovery() {
    // TUS-CORE-OPT-OK, -OPT-IGNORE, -GEN-VERSION, -GEN-RESUMABLE-OPT, -GEN-EXT-LIST,
    // TUS-CKS-ALGHDR, -SHA1, -NAMES, TUS-EXT-NAMES, TUS-CWU-ADV
    let srv = start_with(|c| c.tus.max_size = Some(1000)).await;
    for version in [None, Some("0.0.1"), Some("1.0.0")] {
        let mut req = srv.request("OPTIONS", BASE);
        if let Some(v) = version {
            req = req.header("Tus-Resumable", v);
        }
        let res = req.send().await;
        assert_eq!(res.status, 204, "{version:?}");
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
        assert_eq!(res.header("tus-version"), Some("1.0.0"));
        assert_eq!(
            res.header("tus-extension"),
            Some(
                "creation,creation-with-upload,creation-defer-length,expiration,checksum,checksum-trailer,termination,concatenation,concatenation-unfinished"
            )
        );
        assert_eq!(res.header("tus-max-size"), Some("1000"));
        let algorithms = res.header("tus-checksum-algorithm").unwrap();
        assert_eq!(algorithms, "md5,sha1,sha256,sha512,crc32");
        assert!(
            algorithms
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        );
    }
}

#[tokio::test]
async fn options_on_upload_paths_and_without_extensions() {
    // TUS-CORE-OPT-ANYPATH; TUS-CORE-GEN-EXT-LIST (omitted when none); TUS-CORE-GEN-MAXSIZE
    // (omitted without a limit)
    let srv = start_with(|c| {
        c.tus.extensions.clear();
        c.tus.max_size = None;
    })
    .await;
    let res = srv
        .request("OPTIONS", "/files/0123456789abcdef0123456789abcdef")
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("tus-extension"), None);
    assert_eq!(res.header("tus-max-size"), None);
    assert_eq!(res.header("tus-checksum-algorithm"), None);
    assert_eq!(
        srv.request("OPTIONS", "/elsewhere").send().await.status,
        404
    );
}

#[tokio::test]
async fn head_reports_offset_length_and_no_store() {
    // TUS-CORE-HEAD-OFFSET0, -HEAD-LENGTH, -HEAD-STATUS, -HEAD-NOSTORE, -HEAD-BODY, -GEN-INT
    let srv = start().await;
    let up = srv.create(10).await;
    let res = srv.head(&up).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("upload-offset"), Some("0"));
    assert_eq!(res.header("upload-length"), Some("10"));
    assert!(res.header("cache-control").unwrap().contains("no-store"));
    assert!(res.body.is_empty());
    assert!(is_uint(res.header("upload-offset").unwrap()));
}

#[tokio::test]
async fn head_not_found() {
    // TUS-CORE-HEAD-NOTFOUND; malformed ids never reach the store
    let srv = start().await;
    for target in [
        "/files/0123456789abcdef0123456789abcdef",
        "/files/does-not-exist",
        "/files/..%2F..%2Fetc",
        "/files/../x",
        "/nothing",
    ] {
        let res = srv.head(target).await;
        assert_eq!(res.status, 404, "{target}");
        assert_eq!(res.header("upload-offset"), None);
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    }
}

#[tokio::test]
async fn patch_appends_and_sums() {
    // TUS-CORE-PATCH-204, -PATCH-SUM, -HEAD-OFFSET-DONE
    let srv = start().await;
    let up = srv.create(10).await;
    let res = srv.patch(&up, 0, b"hello").await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("upload-offset"), Some("5"));
    assert_eq!(srv.offset(&up).await, 5);
    let res = srv.patch(&up, 5, b"world").await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("10")));
    let head = srv.head(&up).await;
    assert_eq!(head.header("upload-offset"), head.header("upload-length"));
    assert_eq!(srv.bytes(&up).await, b"helloworld");
}

#[tokio::test]
async fn patch_offset_mismatch_409_changes_nothing() {
    // TUS-CORE-PATCH-409, -409-NOMOD
    let srv = start().await;
    let up = srv.create(10).await;
    let res = srv.patch(&up, 3, b"x").await;
    assert_eq!(res.status, 409);
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(srv.offset(&up).await, 0);
}

#[tokio::test]
async fn patch_content_type_415() {
    // TUS-CORE-PATCH-415, -CT-MISSING, -CT-PARAM (params refused, case ignored)
    let srv = start().await;
    let up = srv.create(10).await;
    for ct in [
        Some("application/octet-stream"),
        None,
        Some("application/offset+octet-stream; charset=x"),
    ] {
        let mut req = srv.request("PATCH", &up).tus().header("Upload-Offset", "0");
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let res = req.body(&b"abc"[..]).send().await;
        assert_eq!(res.status, 415, "{ct:?}");
    }
    assert_eq!(srv.offset(&up).await, 0);
    let res = srv
        .request("PATCH", &up)
        .tus()
        .header("Upload-Offset", "0")
        .header("Content-Type", "Application/Offset+Octet-Stream")
        .body(&b"abc"[..])
        .send()
        .await;
    assert_eq!(res.status, 204);
}

#[tokio::test]
async fn patch_not_found_404() {
    // TUS-CORE-PATCH-404
    let srv = start().await;
    let res = srv
        .patch("/files/0123456789abcdef0123456789abcdef", 0, b"x")
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn patch_offset_header_must_be_canonical() {
    // TUS-CORE-PATCH-NOOFFSET (400), -BADOFFSET, -OFFSET-LAX (refused)
    let srv = start().await;
    let up = srv.create(10).await;
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .body(&b"x"[..])
        .send()
        .await;
    assert_eq!(res.status, 400);
    for bad in [
        "-5",
        "abc",
        "+0",
        "0100",
        "",
        "1.0",
        "18446744073709551616",
        "9223372036854775808",
    ] {
        let res = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", bad)
            .body(&b"x"[..])
            .send()
            .await;
        assert_eq!(res.status, 400, "{bad:?}");
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    }
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .header("Upload-Offset", "0")
        .body(&b"x"[..])
        .send()
        .await;
    assert_eq!(res.status, 400, "duplicate header");
    assert_eq!(srv.offset(&up).await, 0);
}

#[tokio::test]
async fn patch_empty_body() {
    // TUS-CORE-PATCH-EMPTY, -ON-COMPLETE-EMPTY
    let srv = start().await;
    let up = srv.create(3).await;
    let res = srv.patch(&up, 0, b"").await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("0")));
    srv.patch(&up, 0, b"abc").await;
    let res = srv.patch(&up, 3, b"").await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("3")));
}

#[tokio::test]
async fn patch_past_length_413_keeps_nothing() {
    // TUS-CORE-PATCH-OVERFLOW-CL, -OVERFLOW-CHUNKED, -ON-COMPLETE (413 chosen)
    let srv = start().await;
    let up = srv.create(10).await;
    srv.patch(&up, 0, b"hello").await;
    let res = srv.patch(&up, 5, b"0123456789").await;
    assert_eq!(res.status, 413);
    assert_eq!(srv.offset(&up).await, 5);
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "5")
        .chunked(&[b"abc", b"defgh"], &[])
        .send()
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(srv.offset(&up).await, 5);
    srv.patch(&up, 5, b"world").await;
    let res = srv.patch(&up, 10, b"!").await;
    assert_eq!(res.status, 413);
    assert_eq!(srv.bytes(&up).await, b"helloworld");
}

#[tokio::test]
async fn patch_chunked_within_length() {
    let srv = start().await;
    let up = srv.create(8).await;
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .chunked(&[b"abc", b"defgh"], &[])
        .send()
        .await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("8")));
    assert_eq!(srv.bytes(&up).await, b"abcdefgh");
}

#[tokio::test]
async fn method_override() {
    // TUS-CORE-MO-PATCH, -MO-DELETE, -MO-ANYMETHOD
    let srv = start().await;
    let up = srv.create(5).await;
    let res = srv
        .request("POST", &up)
        .header("X-HTTP-Method-Override", "PATCH")
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .body(&b"hello"[..])
        .send()
        .await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("5")));
    let res = srv
        .request("GET", &up)
        .header("X-HTTP-Method-Override", "HEAD")
        .tus()
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("upload-offset"), Some("5"));
    assert!(res.body.is_empty(), "HEAD semantics: no body");
    let res = srv
        .request("POST", &up)
        .header("X-HTTP-Method-Override", "DELETE")
        .tus()
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(srv.head(&up).await.status, 404);
    let res = srv
        .request("POST", BASE)
        .header("X-HTTP-Method-Override", "PA TCH")
        .tus()
        .send()
        .await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn unknown_methods_405_with_allow() {
    // D-19 (IMPL: 405 + Allow)
    let srv = start().await;
    let up = srv.create(5).await;
    let res = srv.request("PUT", &up).tus().send().await;
    assert_eq!(res.status, 405);
    assert_eq!(
        res.header("allow"),
        Some("OPTIONS, HEAD, GET, PATCH, DELETE")
    );
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    let res = srv.request("GET", BASE).tus().send().await;
    assert_eq!(
        (res.status, res.header("allow")),
        (405, Some("OPTIONS, POST"))
    );
}

#[tokio::test]
async fn get_returns_the_bytes() {
    let srv = start().await;
    let up = srv.create(6).await;
    srv.patch(&up, 0, b"abc").await;
    let res = srv.request("GET", &up).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"abc");
    assert_eq!(res.header("content-length"), Some("3"));
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
}
