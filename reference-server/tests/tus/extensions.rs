//! §1.10–1.13 and §1.16: expiration, checksum, checksum-trailer,
//! termination, and what happens when an extension is disabled.

use std::time::Duration;

use upspec_reference_server::{ChecksumAlgorithm, Extension};

use crate::common::{BASE, b64, start, start_with};

const HELLO_WORLD_SHA1: &str = "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=";

#[tokio::test]
async fn expiration_headers_on_patch() {
    // TUS-EXP-PATCH, -EXP-DONE-NOHDR
    let srv = start().await;
    let up = srv.create(10).await;
    let res = srv.patch(&up, 0, b"hello").await;
    assert!(httpdate::parse_http_date(res.header("upload-expires").unwrap()).is_ok());
    let res = srv.patch(&up, 5, b"world").await;
    assert_eq!(res.header("upload-expires"), None);
}

#[tokio::test]
async fn expired_uploads_are_gone_but_finished_ones_stay() {
    // TUS-EXP-GONE (410), TUS-EXP-COMPLETED (finished uploads never expire)
    let srv = start_with(|c| c.tus.expiry = Some(Duration::from_secs(1))).await;
    let unfinished = srv.create(10).await;
    let done = srv.create(2).await;
    srv.patch(&done, 0, b"ok").await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(srv.head(&unfinished).await.status, 410);
    assert_eq!(srv.patch(&unfinished, 0, b"x").await.status, 410);
    assert_eq!(srv.request("GET", &unfinished).send().await.status, 410);
    assert_eq!(
        srv.request("DELETE", &unfinished).tus().send().await.status,
        410
    );
    assert_eq!(srv.head(&done).await.status, 200);
    // The sweeper has dropped the bytes by now but keeps the tombstone.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(srv.head(&unfinished).await.status, 410);
}

#[tokio::test]
async fn no_expiry_means_no_expiration_extension() {
    let srv = start_with(|c| c.tus.expiry = None).await;
    let ext = srv
        .options()
        .await
        .header("tus-extension")
        .unwrap()
        .to_owned();
    assert!(!ext.split(',').any(|e| e == "expiration"), "{ext}");
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "3")
        .send()
        .await;
    assert_eq!(res.header("upload-expires"), None);
}

#[tokio::test]
async fn checksum_match_and_mismatch() {
    // TUS-CKS-MATCH, -MISMATCH, -DISCARD, -WHOLEBODY
    let srv = start().await;
    let up = srv.create(11).await;
    let bad = b64(&{
        use sha1::Digest;
        sha1::Sha1::digest(b"hello worle").to_vec()
    });
    let patch = |sum: String, body: &'static [u8]| {
        srv.request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0")
            .header("Upload-Checksum", &sum)
            .body(body)
            .send()
    };
    let res = patch(format!("sha1 {bad}"), b"hello world").await;
    assert_eq!(res.status, 460);
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(srv.offset(&up).await, 0);
    let res = patch(HELLO_WORLD_SHA1.into(), b"hello world").await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("11")));
}

#[tokio::test]
async fn checksum_every_algorithm() {
    use md5::Digest as _;
    let srv = start().await;
    let body = b"The quick brown fox";
    let digests: [(ChecksumAlgorithm, Vec<u8>); 5] = [
        (ChecksumAlgorithm::Md5, md5::Md5::digest(body).to_vec()),
        (ChecksumAlgorithm::Sha1, sha1::Sha1::digest(body).to_vec()),
        (
            ChecksumAlgorithm::Sha256,
            sha2::Sha256::digest(body).to_vec(),
        ),
        (
            ChecksumAlgorithm::Sha512,
            sha2::Sha512::digest(body).to_vec(),
        ),
        (
            ChecksumAlgorithm::Crc32,
            crc32fast::hash(body).to_be_bytes().to_vec(),
        ),
    ];
    for (algorithm, digest) in digests {
        let up = srv.create(body.len() as u64).await;
        let sum = format!("{algorithm} {}", b64(&digest));
        let res = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0")
            .header("Upload-Checksum", &sum)
            .body(&body[..])
            .send()
            .await;
        assert_eq!(res.status, 204, "{algorithm}");
        let mut wrong = digest.clone();
        wrong[0] ^= 1;
        let up = srv.create(body.len() as u64).await;
        let sum = format!("{algorithm} {}", b64(&wrong));
        let res = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0")
            .header("Upload-Checksum", &sum)
            .body(&body[..])
            .send()
            .await;
        assert_eq!(res.status, 460, "{algorithm}");
    }
}

#[tokio::test]
async fn checksum_unsupported_and_malformed_400() {
    // TUS-CKS-UNSUPP, -MALFORMED
    let srv = start_with(|c| c.tus.checksum_algorithms = vec![ChecksumAlgorithm::Sha1]).await;
    let up = srv.create(11).await;
    for sum in [
        "md4 AAAA",
        "md5 XrY7u+Ae7tCTyyK7j1rNww==",
        "sha1",
        "sha1 !!!",
        "sha1 AAAA",
        "SHA1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
    ] {
        let res = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0")
            .header("Upload-Checksum", sum)
            .body(&b"hello world"[..])
            .send()
            .await;
        assert_eq!(res.status, 400, "{sum}");
    }
    assert_eq!(srv.offset(&up).await, 0);
    assert_eq!(
        srv.options().await.header("tus-checksum-algorithm"),
        Some("sha1")
    );
}

#[tokio::test]
async fn checksum_trailer() {
    // TUS-CKT-MATCH, -MISMATCH, -BOTH, missing and unannounced trailers
    let srv = start().await;
    let up = srv.create(11).await;
    let send = |announce: bool, header: Option<&'static str>, trailer: Option<&'static str>| {
        let mut req = srv
            .request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", "0");
        if announce {
            req = req.header("Trailer", "Upload-Checksum");
        }
        if let Some(h) = header {
            req = req.header("Upload-Checksum", h);
        }
        let trailers: Vec<(&str, &str)> = trailer
            .map(|t| ("Upload-Checksum", t))
            .into_iter()
            .collect();
        req.chunked(&[b"hello ", b"world"], &trailers).send()
    };
    let wrong = "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_eq!(send(true, None, Some(wrong)).await.status, 460);
    assert_eq!(
        send(true, Some(HELLO_WORLD_SHA1), Some(HELLO_WORLD_SHA1))
            .await
            .status,
        400,
        "header and trailer"
    );
    assert_eq!(
        send(true, None, None).await.status,
        400,
        "announced, never sent"
    );
    assert_eq!(
        send(false, None, Some(HELLO_WORLD_SHA1)).await.status,
        400,
        "not announced"
    );
    assert_eq!(send(true, None, Some("md4 AAAA")).await.status, 400);
    assert_eq!(srv.offset(&up).await, 0);
    let res = send(true, None, Some(HELLO_WORLD_SHA1)).await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("11")));
}

#[tokio::test]
async fn termination() {
    // TUS-TRM-204, -204-DONE, -AFTER, -NOTFOUND, -VERSION
    let srv = start().await;
    let unfinished = srv.create(10).await;
    let done = srv.create(1).await;
    srv.patch(&done, 0, b"x").await;
    let res = srv
        .request("DELETE", &unfinished)
        .tus()
        .header("Tus-Resumable", "0.0.1")
        .send()
        .await;
    assert_eq!(res.status, 400, "two Tus-Resumable headers");
    let res = srv
        .request("DELETE", &unfinished)
        .header("Tus-Resumable", "0.0.1")
        .send()
        .await;
    assert_eq!(
        (res.status, res.header("tus-version")),
        (412, Some("1.0.0"))
    );
    assert_eq!(srv.head(&unfinished).await.status, 200);
    for up in [&unfinished, &done] {
        assert_eq!(srv.request("DELETE", up).tus().send().await.status, 204);
        assert_eq!(srv.head(up).await.status, 404);
        assert_eq!(srv.patch(up, 0, b"x").await.status, 404);
        assert_eq!(srv.request("DELETE", up).tus().send().await.status, 404);
    }
    let res = srv
        .request("DELETE", "/files/0123456789abcdef0123456789abcdef")
        .tus()
        .send()
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn disabled_extensions_are_refused_with_4xx() {
    // TUS-TRM-UNADV (405), TUS-CDL-UNSUPP (400), D-20 (400), TUS-EXT-HONEST
    let srv = start_with(|c| c.tus.extensions = [Extension::Creation].into_iter().collect()).await;
    assert_eq!(
        srv.options().await.header("tus-extension"),
        Some("creation")
    );
    let up = srv.create(5).await;
    let res = srv.request("DELETE", &up).tus().send().await;
    assert_eq!(
        (res.status, res.header("allow")),
        (405, Some("OPTIONS, HEAD, GET, PATCH"))
    );
    let refused: &[&[(&str, &str)]] = &[
        &[("Upload-Defer-Length", "1")],
        &[("Upload-Length", "5"), ("Upload-Concat", "partial")],
        &[
            ("Upload-Length", "5"),
            ("Content-Type", "application/offset+octet-stream"),
        ],
    ];
    for headers in refused {
        let mut req = srv.request("POST", BASE).tus();
        for (k, v) in *headers {
            req = req.header(k, v);
        }
        assert_eq!(
            req.body(&b"hello"[..]).send().await.status,
            400,
            "{headers:?}"
        );
    }
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", HELLO_WORLD_SHA1)
        .body(&b"hello"[..])
        .send()
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(srv.patch(&up, 0, b"hello").await.status, 204);

    let srv = start_with(|c| c.tus.extensions.clear()).await;
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "5")
        .send()
        .await;
    assert_eq!((res.status, res.header("allow")), (405, Some("OPTIONS")));
}

#[tokio::test]
async fn memory_store_serves_the_same_flow() {
    let srv = start_with(|c| c.store = upspec_reference_server::StoreConfig::Memory).await;
    let up = srv.create(11).await;
    srv.patch(&up, 0, b"hello ").await;
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "6")
        .header("Upload-Checksum", "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .body(&b"world"[..])
        .send()
        .await;
    assert_eq!(res.status, 460);
    srv.patch(&up, 6, b"world").await;
    assert_eq!(srv.bytes(&up).await, b"hello world");
    assert_eq!(srv.request("DELETE", &up).tus().send().await.status, 204);
    assert_eq!(srv.head(&up).await.status, 404);
}
