//! SigV4 over HTTP: every payload mode (signed, UNSIGNED-PAYLOAD,
//! aws-chunked signed and unsigned, trailers, presigned URLs) and every
//! rejection (S3-MPU-AUTH, S3-MPU-PART-CHUNKED, -TRAILER, -PRESIGNED).
//! The AWS documentation vectors are unit tests in `src/s3/auth.rs`.

use std::time::{Duration, SystemTime};

use crate::client::{AK, MIB, Mode, Req, S3, anonymous, code, quoted_md5, start, tag};
use crate::common::pattern;

async fn ready() -> (S3, String) {
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    (s3, upload)
}

fn part_query(upload: &str, n: u32) -> String {
    format!("partNumber={n}&uploadId={upload}")
}

/// UploadPart `n` of `data` into `/bkt/k`, sent in `mode`: ready to send or tamper with.
fn part(s3: &S3, upload: &str, n: u32, mode: Mode, data: &[u8]) -> Req {
    s3.req("PUT", "/bkt/k", &part_query(upload, n))
        .mode(mode)
        .body(data)
}

#[tokio::test]
async fn signed_and_unsigned_payloads() {
    let (s3, upload) = ready().await;
    let data = pattern(70_000, 1);
    for (n, mode) in [(1, Mode::Signed), (2, Mode::Unsigned)] {
        let res = part(&s3, &upload, n, mode, &data).send().await;
        assert_eq!(res.status, 200, "part {n}: {}", res.text());
        assert_eq!(res.header("etag").unwrap(), quoted_md5(&data));
    }
}

#[tokio::test]
async fn mpu_part_chunked() {
    // S3-MPU-PART-CHUNKED: ETag of the decoded payload; a bad chunk signature is 403
    let (s3, upload) = ready().await;
    let data = pattern(200_000, 2);
    let chunked = Mode::Chunked {
        chunk: 64 * 1024,
        trailer: None,
    };
    let res = part(&s3, &upload, 1, chunked.clone(), &data).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("etag").unwrap(), quoted_md5(&data));
    // Flip one data byte inside the second chunk: its signature fails.
    let res = part(&s3, &upload, 2, chunked.clone(), &data)
        .tamper(|w| {
            let at = w.body.len() / 2;
            w.body[at] ^= 1;
        })
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    // A forged chunk signature.
    let res = part(&s3, &upload, 3, chunked.clone(), &data)
        .tamper(|w| {
            let text = String::from_utf8_lossy(&w.body[..100]).into_owned();
            let at = text.find("chunk-signature=").unwrap() + 16;
            w.body[at] = if w.body[at] == b'0' { b'1' } else { b'0' };
        })
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    // Framing cut short.
    let res = part(&s3, &upload, 4, chunked, &data)
        .tamper(|w| {
            let len = w.body.len() - 40;
            w.body.truncate(len);
        })
        .send()
        .await;
    assert!((400..500).contains(&res.status), "{}", res.text());
    let parts = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(
        crate::client::tags(&parts, "PartNumber"),
        ["1"],
        "refused bodies leave nothing"
    );
    let res = part(
        &s3,
        &upload,
        5,
        Mode::Chunked {
            chunk: 1000,
            trailer: None,
        },
        &data,
    )
    .tamper(|w| {
        w.headers
            .retain(|(k, _)| k != "x-amz-decoded-content-length")
    })
    .send()
    .await;
    assert!(res.status == 403 || res.status == 411, "{}", res.text());
}

#[tokio::test]
async fn mpu_part_trailer_signed_and_unsigned() {
    // S3-MPU-PART-TRAILER, plus the signed-trailer variant
    let (s3, upload) = ready().await;
    let data = pattern(100_000, 3);
    let crc = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&data).to_be_bytes())
    };
    let signed = |value: &str| Mode::Chunked {
        chunk: 32 * 1024,
        trailer: Some(("x-amz-checksum-crc32".into(), value.into())),
    };
    let unsigned = |value: &str| Mode::UnsignedTrailer {
        chunk: 32 * 1024,
        trailer: ("x-amz-checksum-crc32".into(), value.into()),
    };
    for (n, mode) in [(1, signed(&crc)), (2, unsigned(&crc))] {
        let res = part(&s3, &upload, n, mode, &data).send().await;
        assert_eq!(res.status, 200, "part {n}: {}", res.text());
        assert_eq!(res.header("x-amz-checksum-crc32"), Some(crc.as_str()));
        assert_eq!(res.header("etag").unwrap(), quoted_md5(&data));
    }
    for (n, mode) in [(3, signed("AAAAAA==")), (4, unsigned("AAAAAA=="))] {
        let res = part(&s3, &upload, n, mode, &data).send().await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "BadDigest"),
            "part {n}"
        );
    }
    // A trailer value swapped after signing breaks the trailer signature.
    let res = part(&s3, &upload, 5, signed("AAAAAA=="), &data)
        .tamper(move |w| {
            let text = String::from_utf8_lossy(&w.body).replace("AAAAAA==", &crc);
            w.body = text.into_bytes();
        })
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "SignatureDoesNotMatch")
    );
}

#[tokio::test]
async fn mpu_part_presigned() {
    // S3-MPU-PART-PRESIGNED
    let (s3, upload) = ready().await;
    let data = pattern(10_000, 4);
    let presigned = Mode::Presigned {
        expires: Duration::from_secs(300),
    };
    let res = part(&s3, &upload, 1, presigned.clone(), &data).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("etag").unwrap(), quoted_md5(&data));
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .mode(presigned.clone())
        .send()
        .await;
    assert_eq!(res.status, 200, "presigned ListParts: {}", res.text());
    let old = SystemTime::now() - Duration::from_secs(600);
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .mode(presigned.clone())
        .at(old)
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "AccessDenied"),
        "expired"
    );
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .mode(Mode::Presigned {
            expires: Duration::from_secs(604_801),
        })
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (400, "AuthorizationQueryParametersError")
    );
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .mode(presigned.clone())
        .tamper(|w| w.query = w.query.replace("uploadId=", "uploadId=0"))
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .mode(presigned)
        .key("NOPE", "x")
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (403, "InvalidAccessKeyId")
    );
}

#[tokio::test]
async fn rejections_bad_signature_unknown_key_stale_date_tampering() {
    let (s3, upload) = ready().await;
    let q = part_query(&upload, 1);
    let send = |req: crate::client::Req| req.body(b"payload").send();
    let cases: Vec<(&str, crate::client::Req, u16, &str)> = vec![
        (
            "wrong secret",
            s3.req("PUT", "/bkt/k", &q).key(AK, "wrong"),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "unknown key",
            s3.req("PUT", "/bkt/k", &q).key("AKUNKNOWN", "x"),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "stale date",
            s3.req("PUT", "/bkt/k", &q)
                .at(SystemTime::now() - Duration::from_secs(20 * 60)),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "future date",
            s3.req("PUT", "/bkt/k", &q)
                .at(SystemTime::now() + Duration::from_secs(20 * 60)),
            403,
            "RequestTimeTooSkewed",
        ),
        (
            "other region",
            s3.req("PUT", "/bkt/k", &q).region("eu-west-1"),
            400,
            "AuthorizationHeaderMalformed",
        ),
        (
            "no signature",
            s3.req("PUT", "/bkt/k", &q).mode(Mode::Anonymous),
            403,
            "AccessDenied",
        ),
        (
            "tampered body",
            s3.req("PUT", "/bkt/k", &q)
                .tamper(|w| w.body = b"PAYLOAD".to_vec()),
            400,
            "XAmzContentSHA256Mismatch",
        ),
        (
            "tampered body and its hash",
            s3.req("PUT", "/bkt/k", &q).tamper(|w| {
                w.body = b"PAYLOAD".to_vec();
                w.set_header(
                    "x-amz-content-sha256",
                    &crate::client::sha256_hex(b"PAYLOAD"),
                );
            }),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "tampered signed header",
            s3.req("PUT", "/bkt/k", &q)
                .header("x-amz-meta-a", "1")
                .tamper(|w| w.set_header("x-amz-meta-a", "2")),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "unsigned x-amz-* header",
            s3.req("PUT", "/bkt/k", &q)
                .tamper(|w| w.set_header("x-amz-meta-owner", "mallory")),
            403,
            "AccessDenied",
        ),
        (
            "unsigned x-amz-* header, presigned",
            s3.req("PUT", "/bkt/k", &q)
                .mode(Mode::Presigned {
                    expires: Duration::from_secs(60),
                })
                .tamper(|w| w.set_header("x-amz-meta-owner", "mallory")),
            403,
            "AccessDenied",
        ),
        (
            "tampered query",
            s3.req("PUT", "/bkt/k", &q)
                .tamper(|w| w.query = w.query.replace("partNumber=1", "partNumber=2")),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "tampered signature",
            s3.req("PUT", "/bkt/k", &q).tamper(|w| {
                let auth = w.header("authorization").unwrap().to_owned();
                let flipped = if auth.ends_with('0') { "1" } else { "0" };
                w.set_header(
                    "authorization",
                    &format!("{}{flipped}", &auth[..auth.len() - 1]),
                );
            }),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "SigV2",
            s3.req("PUT", "/bkt/k", &q)
                .mode(Mode::Anonymous)
                .header("authorization", "AWS AKIDUPSPECTEST:c2lnbmF0dXJl"),
            400,
            "InvalidRequest",
        ),
        (
            "garbled header",
            s3.req("PUT", "/bkt/k", &q)
                .mode(Mode::Anonymous)
                .header("authorization", "AWS4-HMAC-SHA256 Credential=x"),
            400,
            "AuthorizationHeaderMalformed",
        ),
    ];
    for (what, req, status, expected) in cases {
        let res = send(req).await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (status, expected),
            "{what}: {}",
            res.text()
        );
    }
    // S3's answer to an unsigned x-amz-* header names it.
    let res = send(
        s3.req("PUT", "/bkt/k", &q)
            .header("x-amz-meta-signed", "1")
            .tamper(|w| w.set_header("x-amz-meta-owner", "mallory")),
    )
    .await;
    let text = res.text();
    assert_eq!(
        tag(&text, "Message").as_deref(),
        Some("There were headers present in the request which were not signed"),
        "{text}"
    );
    assert_eq!(
        tag(&text, "HeadersNotSigned").as_deref(),
        Some("x-amz-meta-owner"),
        "{text}"
    );
    let parts = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert!(
        !parts.contains("<Part>"),
        "no refused request stored a part"
    );
}

#[tokio::test]
async fn mpu_auth_every_operation() {
    // S3-MPU-AUTH: bad signature → 403 SignatureDoesNotMatch, unknown key → 403 InvalidAccessKeyId
    let (s3, upload) = ready().await;
    let etag = s3.part_ok("bkt", "k", &upload, 1, b"x").await;
    let complete = crate::client::complete_body(&[(1, &etag)]);
    let ops: Vec<(&str, &str, String, Vec<u8>)> = vec![
        ("POST", "/bkt/k", "uploads".into(), vec![]),
        ("PUT", "/bkt/k", part_query(&upload, 2), b"x".to_vec()),
        (
            "POST",
            "/bkt/k",
            format!("uploadId={upload}"),
            complete.into_bytes(),
        ),
        ("DELETE", "/bkt/k", format!("uploadId={upload}"), vec![]),
        ("GET", "/bkt/k", format!("uploadId={upload}"), vec![]),
        ("GET", "/bkt", "uploads".into(), vec![]),
    ];
    for (method, path, query, body) in &ops {
        let res = s3
            .req(method, path, query)
            .key(AK, "wrong")
            .body(body)
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (403, "SignatureDoesNotMatch"),
            "{method} {query}"
        );
        let res = s3
            .req(method, path, query)
            .key("AKNOBODY", "x")
            .body(body)
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (403, "InvalidAccessKeyId"),
            "{method} {query}"
        );
    }
    let parts = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(
        tag(&parts, "PartNumber").as_deref(),
        Some("1"),
        "nothing changed"
    );
}

#[tokio::test]
async fn anonymous_without_keys() {
    let s3 = anonymous().await;
    s3.bucket("bkt").await;
    let data = pattern(MIB, 5);
    s3.put("bkt", "k", &data).await;
    assert!(s3.get("bkt", "k").await.body == data);
    // Signed requests are accepted too (the signature cannot be checked),
    // and a declared payload hash is still verified.
    let res = s3
        .req("PUT", "/bkt/k2", "")
        .mode(Mode::Signed)
        .body(b"abc")
        .send()
        .await;
    assert_eq!(res.status, 200);
    let res = s3
        .req("PUT", "/bkt/k3", "")
        .mode(Mode::Signed)
        .body(b"abc")
        .tamper(|w| w.body = b"abd".to_vec())
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (400, "XAmzContentSHA256Mismatch")
    );
    let res = s3
        .req("PUT", "/bkt/k4", "")
        .mode(Mode::Chunked {
            chunk: 1000,
            trailer: None,
        })
        .body(&data[..5000])
        .send()
        .await;
    assert_eq!(
        res.status,
        200,
        "aws-chunked is decoded when anonymous: {}",
        res.text()
    );
    assert!(s3.get("bkt", "k4").await.body == data[..5000]);
}
