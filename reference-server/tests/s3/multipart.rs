//! §1.1-1.7: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload (and its conditional form), Abort, ListParts.

use crate::client::{MIB, S3, code, complete_body, quoted_md5, start, start_with, tag, tags};
use crate::common::pattern;

/// A server whose minimum part size is 1 KiB, for tests about everything
/// but the minimum itself.
async fn small() -> S3 {
    let s3 = start_with(|c| c.min_part_size = 1024).await;
    s3.bucket("bkt").await;
    s3
}

#[tokio::test]
async fn mpu_create_basic_distinct_invisible() {
    // S3-MPU-CREATE-BASIC, S3-MPU-CREATE-DISTINCT, S3-MPU-CREATE-INVISIBLE
    let s3 = small().await;
    s3.put("bkt", "k", b"bar").await;
    let res = s3.ok("POST", "/bkt/k", "uploads").await;
    let text = res.text();
    assert_eq!(tag(&text, "Bucket").as_deref(), Some("bkt"));
    assert_eq!(tag(&text, "Key").as_deref(), Some("k"));
    let first = tag(&text, "UploadId").unwrap();
    let second = s3.create("bkt", "k").await;
    assert_ne!(first, second);
    assert!(first.bytes().all(|b| b.is_ascii_alphanumeric()));
    let list = s3.ok("GET", "/bkt", "uploads").await.text();
    let ids = tags(&list, "UploadId");
    assert!(ids.contains(&first) && ids.contains(&second), "{list}");
    assert_eq!(s3.get("bkt", "k").await.body, b"bar");
    s3.ok("DELETE", "/bkt/k", &format!("uploadId={first}"))
        .await;
    assert_eq!(s3.get("bkt", "k").await.body, b"bar");
}

#[tokio::test]
async fn mpu_create_meta() {
    // S3-MPU-CREATE-META
    let s3 = small().await;
    let res = s3
        .req("POST", "/bkt/k", "uploads")
        .header("content-type", "text/bla")
        .header("x-amz-meta-foo", "bar")
        .send()
        .await;
    let upload = tag(&res.text(), "UploadId").unwrap();
    let etag = s3.part_ok("bkt", "k", &upload, 1, b"x").await;
    assert_eq!(
        s3.complete("bkt", "k", &upload, &[(1, &etag)]).await.status,
        200
    );
    let res = s3.get("bkt", "k").await;
    assert_eq!(res.header("content-type"), Some("text/bla"));
    assert_eq!(res.header("x-amz-meta-foo"), Some("bar"));
}

#[tokio::test]
async fn mpu_part_etag_zero_and_overwrite() {
    // S3-MPU-PART-ETAG, S3-MPU-PART-ZERO, S3-MPU-PART-OVERWRITE, S3-MPU-PART-STALE-ETAG
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    assert_eq!(
        s3.part_ok("bkt", "k", &upload, 1, b"\x00").await,
        "\"93b885adfe0da089cdf634904fd59f71\""
    );
    let old = s3.part_ok("bkt", "k", &upload, 1, &pattern(2048, 1)).await;
    let new = s3.part_ok("bkt", "k", &upload, 1, &pattern(2048, 2)).await;
    let last = s3.part_ok("bkt", "k", &upload, 2, b"").await;
    assert_eq!(last, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    let res = s3
        .complete("bkt", "k", &upload, &[(1, &old), (2, &last)])
        .await;
    assert_eq!((res.status, code(&res).as_str()), (400, "InvalidPart"));
    let res = s3
        .complete("bkt", "k", &upload, &[(1, &new), (2, &last)])
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(s3.get("bkt", "k").await.body == pattern(2048, 2));

    let zero = s3.create("bkt", "z").await;
    let etag = s3.part_ok("bkt", "z", &zero, 1, b"").await;
    let res = s3.complete("bkt", "z", &zero, &[(1, &etag)]).await;
    assert_eq!(
        tag(&res.text(), "ETag").as_deref(),
        Some("\"59adb24ef3cdbe0297f05b395827453f-1\"")
    );
    let res = s3.get("bkt", "z").await;
    assert_eq!((res.status, res.body.len()), (200, 0));
}

#[tokio::test]
async fn mpu_part_nosuchupload_and_key_binding() {
    // S3-MPU-PART-NOSUCHUPLOAD, S3-MPU-PART-KEY-BINDING, S3-MPU-COPY-NOSUCHUPLOAD
    let s3 = small().await;
    for id in ["nope", "00000000000000000000000000000000", "../../etc"] {
        let res = s3.part("bkt", "k", id, 1, b"x").await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (404, "NoSuchUpload"),
            "{id}"
        );
        assert_eq!(tag(&res.text(), "UploadId").as_deref(), Some(id));
    }
    let upload = s3.create("bkt", "k1").await;
    let res = s3.part("bkt", "k2", &upload, 1, b"x").await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    s3.put("bkt", "src", b"abc").await;
    let res = s3
        .req("PUT", "/bkt/k", "partNumber=1&uploadId=nope")
        .header("x-amz-copy-source", "/bkt/src")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
}

#[tokio::test]
async fn mpu_part_num_high_low_and_10000() {
    // S3-MPU-PART-NUM-HIGH, S3-MPU-PART-NUM-LOW, S3-MPU-PART-NUM-10000
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    for n in [
        "10001",
        "10002",
        "20000",
        "0",
        "-1",
        "abc",
        "99999999999999999999999",
    ] {
        let res = s3
            .req(
                "PUT",
                "/bkt/k",
                &format!("partNumber={n}&uploadId={upload}"),
            )
            .body(b"x")
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "InvalidArgument"),
            "{n}"
        );
        let text = res.text();
        assert_eq!(tag(&text, "ArgumentName").as_deref(), Some("partNumber"));
        assert_eq!(tag(&text, "ArgumentValue").as_deref(), Some(n));
        if n == "10001" {
            assert_eq!(
                tag(&text, "Message").as_deref(),
                Some("Part number must be an integer between 1 and 10000, inclusive")
            );
        }
    }
    for n in [1, 2, 10000] {
        s3.part_ok("bkt", "k", &upload, n, b"x").await;
    }
    let list = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(tags(&list, "PartNumber"), ["1", "2", "10000"]);
}

#[tokio::test]
async fn mpu_part_md5_and_sha256() {
    // S3-MPU-PART-MD5, S3-MPU-PART-SHA256
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    let query = format!("partNumber=1&uploadId={upload}");
    let res = s3
        .req("PUT", "/bkt/k", &query)
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(b"x")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (400, "BadDigest"));
    let res = s3
        .req("PUT", "/bkt/k", &query)
        .header("content-md5", "not-md5")
        .body(b"x")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (400, "InvalidDigest"));
    let res = s3
        .req("PUT", "/bkt/k", &query)
        .tamper(|w| w.body = b"y".to_vec())
        .body(b"x")
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (400, "XAmzContentSHA256Mismatch")
    );
    let list = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert!(
        tags(&list, "PartNumber").is_empty(),
        "refused bodies leave no part"
    );
}

#[tokio::test]
async fn mpu_part_after_abort_and_complete() {
    // S3-MPU-PART-AFTER-ABORT, S3-MPU-PART-AFTER-COMPLETE, S3-MPU-ABORT-BASIC,
    // S3-MPU-ABORT-THEN, S3-MPU-ABORT-TWICE, S3-MPU-COMPLETE-CLEANUP, S3-MPU-LP-NOSUCHUPLOAD
    let s3 = small().await;
    let aborted = s3.create("bkt", "a").await;
    s3.part_ok("bkt", "a", &aborted, 1, &pattern(2048, 1)).await;
    s3.part_ok("bkt", "a", &aborted, 2, &pattern(2048, 2)).await;
    let res = s3
        .req("DELETE", "/bkt/a", &format!("uploadId={aborted}"))
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert!(res.body.is_empty());
    let res = s3.part("bkt", "a", &aborted, 3, b"x").await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let res = s3
        .req("GET", "/bkt/a", &format!("uploadId={aborted}"))
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let res = s3.complete("bkt", "a", &aborted, &[(1, "\"x\"")]).await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let res = s3
        .req("DELETE", "/bkt/a", &format!("uploadId={aborted}"))
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    assert_eq!(s3.get("bkt", "a").await.status, 404, "no object appears");
    let listing = s3.ok("GET", "/bkt", "list-type=2").await.text();
    assert!(tags(&listing, "Key").is_empty());

    let done = s3.create("bkt", "c").await;
    let etag = s3.part_ok("bkt", "c", &done, 1, b"x").await;
    assert_eq!(
        s3.complete("bkt", "c", &done, &[(1, &etag)]).await.status,
        200
    );
    let res = s3.part("bkt", "c", &done, 2, b"x").await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let res = s3
        .req("GET", "/bkt/c", &format!("uploadId={done}"))
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let uploads = s3.ok("GET", "/bkt", "uploads").await.text();
    assert!(
        !uploads.contains(&done) && !uploads.contains(&aborted),
        "{uploads}"
    );
}

#[tokio::test]
async fn mpu_abort_nosuchupload() {
    // S3-MPU-ABORT-NOSUCHUPLOAD
    let s3 = small().await;
    s3.put("bkt", "k", b"x").await;
    let res = s3.req("DELETE", "/bkt/k", "uploadId=56788").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
}

#[tokio::test]
async fn mpu_copy_whole_range_oob_syntax_keys() {
    // S3-MPU-COPY-WHOLE, S3-MPU-COPY-RANGE, S3-MPU-COPY-RANGE-OOB,
    // S3-MPU-COPY-RANGE-SYNTAX, S3-MPU-COPY-KEYS
    let s3 = small().await;
    let src = pattern(12 * 1024, 3);
    s3.put("bkt", "src", &src).await;
    for special in [" ", "_", "__", "?versionId"] {
        s3.put("bkt", special, b"special").await;
    }
    let upload = s3.create("bkt", "dst").await;
    let copy = |n: u32, source: String, range: Option<&'static str>| {
        let mut req = s3
            .req(
                "PUT",
                "/bkt/dst",
                &format!("partNumber={n}&uploadId={upload}"),
            )
            .header("x-amz-copy-source", &source);
        if let Some(range) = range {
            req = req.header("x-amz-copy-source-range", range);
        }
        req.send()
    };
    let whole = copy(1, "/bkt/src".into(), None).await;
    assert_eq!(whole.status, 200, "{}", whole.text());
    let text = whole.text();
    assert_eq!(tag(&text, "ETag").unwrap(), quoted_md5(&src));
    assert!(tag(&text, "LastModified").is_some());
    let ranged = copy(2, "bkt/src".into(), Some("bytes=1024-5119")).await;
    assert_eq!(ranged.status, 200);
    let e2 = tag(&ranged.text(), "ETag").unwrap();
    assert_eq!(e2, quoted_md5(&src[1024..5120]));
    let oob = copy(3, "/bkt/src".into(), Some("bytes=0-99999")).await;
    assert_eq!(code(&oob), "InvalidRange");
    assert!(oob.status == 400 || oob.status == 416);
    for bad in [
        "0-2",
        "bytes=0",
        "bytes=hello-world",
        "bytes=0-bar",
        "bytes=hello-",
        "bytes=0-2,3-5",
    ] {
        let res = copy(3, "/bkt/src".into(), Some(bad)).await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "InvalidArgument"),
            "{bad}"
        );
    }
    for special in [" ", "_", "__", "?versionId"] {
        let source = format!("/bkt/{}", crate::client::enc(special));
        let res = copy(4, source, None).await;
        assert_eq!(res.status, 200, "{special:?}: {}", res.text());
    }
    s3.put("bkt", "a%25.txt", b"percent").await;
    let res = copy(5, "/bkt/a%.txt".into(), None).await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchKey"));
    let e1 = tag(&text, "ETag").unwrap();
    let res = s3
        .complete("bkt", "dst", &upload, &[(1, &e1), (2, &e2)])
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let got = s3.get("bkt", "dst").await.body;
    assert!(got == [&src[..], &src[1024..5120]].concat());
}

#[tokio::test]
async fn mpu_complete_basic_etag_and_quotes() {
    // S3-MPU-COMPLETE-BASIC, S3-MPU-COMPLETE-ETAG, S3-MPU-COMPLETE-ETAG-QUOTES,
    // S3-MPU-COMPLETE-MIN-BOUNDARY (5 MiB non-last parts, the real minimum)
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    let parts: Vec<Vec<u8>> = [b'A', b'B', b'C']
        .iter()
        .map(|c| vec![*c; 5 * MIB])
        .collect();
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        etags.push(s3.part_ok("bkt", "k", &upload, i as i64 + 1, p).await);
    }
    let unquoted = etags[1].trim_matches('"').to_owned();
    let res = s3
        .complete(
            "bkt",
            "k",
            &upload,
            &[(1, &etags[0]), (2, &unquoted), (3, &etags[2])],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let text = res.text();
    let expected = "\"b2add96cc9702bbf4efb0ccdfc6b7747-3\"";
    assert_eq!(tag(&text, "ETag").as_deref(), Some(expected));
    assert_eq!(tag(&text, "Bucket").as_deref(), Some("bkt"));
    assert_eq!(tag(&text, "Key").as_deref(), Some("k"));
    assert!(tag(&text, "Location").is_some_and(|l| l.ends_with("/bkt/k")));
    let head = s3.req("HEAD", "/bkt/k", "").send().await;
    assert_eq!(head.header("etag"), Some(expected));
    assert_eq!(head.header("content-length"), Some("15728640"));
    let listing = s3.ok("GET", "/bkt", "list-type=2").await.text();
    assert_eq!(tag(&listing, "ETag").as_deref(), Some(expected));
    assert_eq!(tag(&listing, "Size").as_deref(), Some("15728640"));
    let body = s3.get("bkt", "k").await.body;
    assert!(body == parts.concat());
    for step in [1_000_000usize, 10_000_000] {
        let mut start = 0;
        while start < body.len() {
            let end = (start + step).min(body.len()) - 1;
            let res = s3
                .req("GET", "/bkt/k", "")
                .header("range", &format!("bytes={start}-{end}"))
                .send()
                .await;
            assert!(res.body == body[start..=end], "range {start}-{end}");
            start += step;
        }
    }
}

#[tokio::test]
async fn mpu_complete_toosmall_and_boundary() {
    // S3-MPU-COMPLETE-TOOSMALL, S3-MPU-COMPLETE-MIN-BOUNDARY, S3-MPU-COMPLETE-SMALL-SINGLE
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    let mut list = Vec::new();
    for n in 1..=10 {
        list.push((
            n,
            s3.part_ok("bkt", "k", &upload, n, &[n as u8; 10 * 1024])
                .await,
        ));
    }
    let refs: Vec<(i64, &str)> = list.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let res = s3.complete("bkt", "k", &upload, &refs).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "EntityTooSmall"));
    let text = res.text();
    assert_eq!(tag(&text, "MinSizeAllowed").as_deref(), Some("5242880"));
    assert_eq!(tag(&text, "ProposedSize").as_deref(), Some("10240"));
    assert_eq!(tag(&text, "PartNumber").as_deref(), Some("1"));
    // The upload survives a refused Complete: exactly 5 MiB passes.
    let exact = s3
        .part_ok("bkt", "k", &upload, 1, &vec![1u8; 5 * MIB])
        .await;
    let res = s3
        .complete("bkt", "k", &upload, &[(1, &exact), (2, &list[1].1)])
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let single = s3.create("bkt", "one").await;
    let etag = s3.part_ok("bkt", "one", &single, 1, b"1").await;
    assert_eq!(
        s3.complete("bkt", "one", &single, &[(1, &etag)])
            .await
            .status,
        200
    );
    assert_eq!(
        s3.get("bkt", "one").await.header("content-length"),
        Some("1")
    );
}

#[tokio::test]
async fn mpu_complete_invalidpart_order_duplicate() {
    // S3-MPU-COMPLETE-INVALIDPART-NUM, S3-MPU-COMPLETE-INVALIDPART-ETAG,
    // S3-MPU-COMPLETE-ORDER, S3-MPU-COMPLETE-DUPLICATE
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    let e1 = s3.part_ok("bkt", "k", &upload, 1, &pattern(2048, 1)).await;
    let e2 = s3.part_ok("bkt", "k", &upload, 2, &pattern(2048, 2)).await;
    let cases: [(&[(i64, &str)], &str); 4] = [
        (&[(9999, &e1)], "InvalidPart"),
        (
            &[(1, "\"ffffffffffffffffffffffffffffffff\"")],
            "InvalidPart",
        ),
        (&[(2, &e2), (1, &e1)], "InvalidPartOrder"),
        (&[(1, &e1), (1, &e1), (2, &e2)], "InvalidPartOrder"),
    ];
    for (parts, expected) in cases {
        let res = s3.complete("bkt", "k", &upload, parts).await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, expected),
            "{parts:?}"
        );
    }
    assert_eq!(
        s3.complete("bkt", "k", &upload, &[(1, &e1), (2, &e2)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn mpu_complete_subset_gaps() {
    // S3-MPU-COMPLETE-SUBSET-GAPS
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    let (p1, p3) = (pattern(2048, 1), pattern(2048, 3));
    let e1 = s3.part_ok("bkt", "k", &upload, 1, &p1).await;
    let e3 = s3.part_ok("bkt", "k", &upload, 3, &p3).await;
    s3.part_ok("bkt", "k", &upload, 7, b"seven").await;
    let res = s3
        .complete("bkt", "k", &upload, &[(1, &e1), (3, &e3)])
        .await;
    assert!(tag(&res.text(), "ETag").unwrap().ends_with("-2\""));
    assert!(s3.get("bkt", "k").await.body == [p1, p3].concat());
}

#[tokio::test]
async fn mpu_complete_nobody_emptylist_garbage_nosuchupload() {
    // S3-MPU-COMPLETE-NOBODY, S3-MPU-COMPLETE-EMPTYLIST, S3-MPU-COMPLETE-GARBAGE,
    // S3-MPU-COMPLETE-NOSUCHUPLOAD, S3-MPU-COMPLETE-CTYPE
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    for body in ["", "<CompleteMultipartUpload/>", "not xml"] {
        let res = s3
            .req("POST", "/bkt/k", &format!("uploadId={upload}"))
            .body(body)
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "MalformedXML"),
            "{body:?}"
        );
    }
    let res = s3.complete("bkt", "k", "abc1234def", &[(1, "\"x\"")]).await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let etag = s3.part_ok("bkt", "k", &upload, 1, b"x").await;
    // No Content-Type at all (the raw client sends none).
    assert_eq!(
        s3.complete("bkt", "k", &upload, &[(1, &etag)]).await.status,
        200
    );
}

#[tokio::test]
async fn mpu_complete_idempotent_and_overwrite() {
    // S3-MPU-COMPLETE-IDEMPOTENT, S3-MPU-COMPLETE-OVERWRITE, S3-MPU-COND-INM-RETRY
    let s3 = small().await;
    s3.put("bkt", "k", b"old").await;
    let mut etags = Vec::new();
    for round in 0..2u64 {
        let upload = s3.create("bkt", "k").await;
        let etag = s3
            .part_ok("bkt", "k", &upload, 1, &pattern(100, round))
            .await;
        let first = s3.complete("bkt", "k", &upload, &[(1, &etag)]).await;
        assert_eq!(first.status, 200);
        let again = s3
            .req("POST", "/bkt/k", &format!("uploadId={upload}"))
            .header("if-none-match", "*")
            .body(complete_body(&[(1, &etag)]))
            .send()
            .await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(tag(&first.text(), "ETag"), tag(&again.text(), "ETag"));
        etags.push(tag(&first.text(), "ETag").unwrap());
    }
    assert!(
        s3.get("bkt", "k").await.body == pattern(100, 1),
        "the last MPU wins"
    );
}

#[tokio::test]
async fn mpu_cond_inm_im() {
    // S3-MPU-COND-INM-STAR-NEW, S3-MPU-COND-INM-STAR-EXISTS, S3-MPU-COND-IM, S3-MPU-COND-INM-ETAG
    let s3 = small().await;
    let complete = |key: &'static str, header: &'static str, value: String| {
        let s3 = &s3;
        async move {
            let upload = s3.create("bkt", key).await;
            let etag = s3.part_ok("bkt", key, &upload, 1, b"data").await;
            s3.req(
                "POST",
                &format!("/bkt/{key}"),
                &format!("uploadId={upload}"),
            )
            .header(header, &value)
            .body(complete_body(&[(1, &etag)]))
            .send()
            .await
        }
    };
    assert_eq!(
        complete("new", "if-none-match", "*".into()).await.status,
        200
    );
    let res = complete("new", "if-none-match", "*".into()).await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (412, "PreconditionFailed")
    );
    let current = s3
        .req("HEAD", "/bkt/new", "")
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    assert_eq!(
        complete("new", "if-match", current.clone()).await.status,
        200
    );
    let res = complete("new", "if-match", "\"badetag\"".into()).await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (412, "PreconditionFailed")
    );
    for value in ["*", "\"badetag\""] {
        let res = complete("absent", "if-match", value.into()).await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (404, "NoSuchKey"),
            "{value}"
        );
    }
    let current = s3
        .req("HEAD", "/bkt/new", "")
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    assert_eq!(complete("new", "if-none-match", current).await.status, 412);
    assert_eq!(
        complete("new", "if-none-match", "\"other\"".into())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn mpu_lp_basic_empty_maxparts_marker_paginate() {
    // S3-MPU-LP-BASIC, S3-MPU-LP-EMPTY, S3-MPU-LP-MAXPARTS, S3-MPU-LP-MARKER-IS-PN, S3-MPU-LP-PAGINATE
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    let q = |extra: &str| format!("uploadId={upload}{extra}");
    let empty = s3.ok("GET", "/bkt/k", &q("")).await.text();
    assert!(tags(&empty, "Part").is_empty());
    assert_eq!(tag(&empty, "IsTruncated").as_deref(), Some("false"));
    let mut etags = Vec::new();
    for n in [7, 1, 3] {
        etags.push((n, s3.part_ok("bkt", "k", &upload, n, &[n as u8; 10]).await));
    }
    let all = s3.ok("GET", "/bkt/k", &q("")).await.text();
    assert_eq!(tags(&all, "PartNumber"), ["1", "3", "7"]);
    assert_eq!(tag(&all, "MaxParts").as_deref(), Some("1000"));
    assert_eq!(tag(&all, "UploadId").as_deref(), Some(upload.as_str()));
    assert_eq!(tag(&all, "StorageClass").as_deref(), Some("STANDARD"));
    assert!(all.contains("<Initiator>") && all.contains("<Owner>"));
    let listed: Vec<String> = tags(&all, "ETag");
    let expected: Vec<String> = [1, 3, 7]
        .iter()
        .map(|n| etags.iter().find(|(m, _)| m == n).unwrap().1.clone())
        .collect();
    assert_eq!(
        listed, expected,
        "ListParts ETags equal the UploadPart ETags"
    );
    assert_eq!(tags(&all, "Size"), ["10", "10", "10"]);
    let one = s3.ok("GET", "/bkt/k", &q("&max-parts=1")).await.text();
    assert_eq!(tags(&one, "PartNumber"), ["1"]);
    assert_eq!(tag(&one, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(tag(&one, "NextPartNumberMarker").as_deref(), Some("1"));
    let after = s3
        .ok("GET", "/bkt/k", &q("&part-number-marker=3"))
        .await
        .text();
    assert_eq!(tags(&after, "PartNumber"), ["7"]);
    // Follow the markers two at a time: every part exactly once.
    let mut seen = Vec::new();
    let mut marker = 0;
    for _ in 0..10 {
        let page = s3
            .ok(
                "GET",
                "/bkt/k",
                &q(&format!("&max-parts=2&part-number-marker={marker}")),
            )
            .await
            .text();
        seen.extend(tags(&page, "PartNumber"));
        if tag(&page, "IsTruncated").as_deref() != Some("true") {
            break;
        }
        marker = tag(&page, "NextPartNumberMarker").unwrap().parse().unwrap();
    }
    assert_eq!(seen, ["1", "3", "7"]);
}

#[tokio::test]
async fn mpu_lp_paginate_1001_parts() {
    // S3-MPU-LP-PAGINATE with the default limit
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    for n in 1..=1001 {
        let res = s3.part("bkt", "k", &upload, n, b"p").await;
        assert_eq!(res.status, 200);
    }
    let first = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(tags(&first, "PartNumber").len(), 1000);
    assert_eq!(tag(&first, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(tag(&first, "NextPartNumberMarker").as_deref(), Some("1000"));
    let second = s3
        .ok(
            "GET",
            "/bkt/k",
            &format!("uploadId={upload}&part-number-marker=1000"),
        )
        .await
        .text();
    assert_eq!(tags(&second, "PartNumber"), ["1001"]);
    assert_eq!(tag(&second, "IsTruncated").as_deref(), Some("false"));
}

#[tokio::test]
async fn mpu_lp_badargs() {
    // S3-MPU-LP-BADARGS
    let s3 = small().await;
    let upload = s3.create("bkt", "k").await;
    for arg in [
        "max-parts=-1",
        "part-number-marker=-1",
        "max-parts=abc",
        "max-parts=99999999999",
    ] {
        let res = s3
            .req("GET", "/bkt/k", &format!("uploadId={upload}&{arg}"))
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "InvalidArgument"),
            "{arg}"
        );
    }
}
