//! Objects: PutObject, GetObject (Range, conditionals), HeadObject,
//! DeleteObject, CopyObject, DeleteObjects; §1.9 GET/HEAD `?partNumber=`.

use crate::client::{MIB, code, quoted_md5, start, tag};
use crate::common::pattern;

#[tokio::test]
async fn put_get_head_delete() {
    let s3 = start().await;
    s3.bucket("bkt").await;
    let data = pattern(100_000, 1);
    let key = "dir/a b+c%~=&.txt";
    let res = s3
        .req("PUT", &format!("/bkt/{key}"), "")
        .header("content-type", "text/bla")
        .header("x-amz-meta-foo", "bar")
        .body(&data)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let etag = quoted_md5(&data);
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    let res = s3.get("bkt", key).await;
    assert_eq!(res.status, 200);
    assert!(res.body == data);
    assert_eq!(res.header("content-type"), Some("text/bla"));
    assert_eq!(res.header("x-amz-meta-foo"), Some("bar"));
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    assert!(res.header("last-modified").is_some());
    let res = s3.req("HEAD", &format!("/bkt/{key}"), "").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-length"), Some("100000"));
    assert!(res.header("x-amz-mp-parts-count").is_none());
    // Overwrite, then delete (twice: 204 both times).
    s3.put("bkt", key, b"new").await;
    assert_eq!(s3.get("bkt", key).await.body, b"new");
    assert_eq!(
        s3.req("DELETE", &format!("/bkt/{key}"), "")
            .send()
            .await
            .status,
        204
    );
    assert_eq!(
        s3.req("DELETE", &format!("/bkt/{key}"), "")
            .send()
            .await
            .status,
        204
    );
    let res = s3.get("bkt", key).await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchKey"));
    let res = s3.req("HEAD", &format!("/bkt/{key}"), "").send().await;
    assert_eq!(res.status, 404);
    assert!(res.body.is_empty());
    let res = s3.req("PUT", "/nobucket/k", "").body(b"x").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn ranges() {
    let s3 = start().await;
    s3.bucket("bkt").await;
    let data = pattern(1000, 2);
    s3.put("bkt", "k", &data).await;
    for (range, start, end) in [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-10", 990, 999),
        ("bytes=500-5000", 500, 999),
    ] {
        let res = s3
            .req("GET", "/bkt/k", "")
            .header("range", range)
            .send()
            .await;
        assert_eq!(res.status, 206, "{range}");
        assert_eq!(
            res.header("content-range").unwrap(),
            format!("bytes {start}-{end}/1000")
        );
        assert!(res.body == data[start..=end], "{range}");
    }
    let res = s3
        .req("GET", "/bkt/k", "")
        .header("range", "bytes=1000-")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (416, "InvalidRange"));
    assert_eq!(res.header("content-range"), Some("bytes */1000"));
    let res = s3
        .req("GET", "/bkt/k", "")
        .header("range", "bytes=0-1,5-6")
        .send()
        .await;
    assert_eq!(res.status, 200, "several ranges: the whole object");
}

#[tokio::test]
async fn conditional_reads_and_writes() {
    let s3 = start().await;
    s3.bucket("bkt").await;
    let etag = s3
        .put("bkt", "k", b"abc")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let get = |h: &'static str, v: String| s3.req("GET", "/bkt/k", "").header(h, &v).send();
    assert_eq!(get("if-match", etag.clone()).await.status, 200);
    assert_eq!(get("if-match", "\"nope\"".into()).await.status, 412);
    let res = get("if-none-match", etag.clone()).await;
    assert_eq!(res.status, 304);
    assert!(res.body.is_empty());
    assert_eq!(get("if-none-match", "\"nope\"".into()).await.status, 200);
    let res = s3
        .req("PUT", "/bkt/k", "")
        .header("if-none-match", "*")
        .body(b"x")
        .send()
        .await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (412, "PreconditionFailed")
    );
    let res = s3
        .req("PUT", "/bkt/new", "")
        .header("if-none-match", "*")
        .body(b"x")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        s3.get("bkt", "k").await.body,
        b"abc",
        "a refused write changes nothing"
    );
}

#[tokio::test]
async fn copy_object_and_delete_many() {
    let s3 = start().await;
    s3.bucket("bkt").await;
    s3.put("bkt", "src", b"source bytes").await;
    let res = s3
        .req("PUT", "/bkt/dst", "")
        .header("x-amz-copy-source", "/bkt/src")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        tag(&res.text(), "ETag").unwrap(),
        quoted_md5(b"source bytes")
    );
    assert_eq!(s3.get("bkt", "dst").await.body, b"source bytes");
    let res = s3
        .req("PUT", "/bkt/dst", "")
        .header("x-amz-copy-source", "bkt/missing")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchKey"));
    let body = "<Delete><Object><Key>src</Key></Object><Object><Key>dst</Key></Object><Object><Key>none</Key></Object></Delete>";
    let res = s3.req("POST", "/bkt", "delete").body(body).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        crate::client::tags(&res.text(), "Key"),
        ["src", "dst", "none"]
    );
    assert_eq!(s3.get("bkt", "src").await.status, 404);
}

#[tokio::test]
async fn delete_many_deletes_and_reports_keys_exactly() {
    // S3-MPU-DELETE-KEYS: keys are opaque, whitespace included.
    let s3 = start().await;
    s3.bucket("bkt").await;
    for key in [" ", " a ", "a", "b"] {
        s3.put("bkt", key, key.as_bytes()).await;
    }
    let body = "<Delete><Object><Key> </Key></Object><Object><Key> a </Key></Object></Delete>";
    let res = s3.req("POST", "/bkt", "delete").body(body).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(crate::client::tags(&res.text(), "Key"), [" ", " a "]);
    for (key, status) in [(" ", 404), (" a ", 404), ("a", 200), ("b", 200)] {
        assert_eq!(s3.get("bkt", key).await.status, status, "{key:?}");
    }
    // One Key per Object, as the schema says.
    let twice = "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>";
    let res = s3.req("POST", "/bkt", "delete").body(twice).send().await;
    assert_eq!((res.status, code(&res).as_str()), (400, "MalformedXML"));
    assert_eq!(s3.get("bkt", "a").await.status, 200);
}

/// An MPU object of parts 5 MiB, 5 MiB, 5 MiB, 1 MiB (part 3 sent twice).
async fn mpu_object(s3: &crate::client::S3) -> (Vec<Vec<u8>>, String) {
    s3.bucket("bkt").await;
    let parts: Vec<Vec<u8>> = (0..4)
        .map(|i| pattern(if i == 3 { MIB } else { 5 * MIB }, i as u64 + 10))
        .collect();
    let upload = s3.create("bkt", "mpu").await;
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        etags.push(s3.part_ok("bkt", "mpu", &upload, i as i64 + 1, part).await);
    }
    s3.part_ok("bkt", "mpu", &upload, 3, &parts[2]).await;
    let list: Vec<(i64, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as i64 + 1, e.as_str()))
        .collect();
    let res = s3.complete("bkt", "mpu", &upload, &list).await;
    assert_eq!(res.status, 200, "{}", res.text());
    (parts, tag(&res.text(), "ETag").unwrap())
}

#[tokio::test]
async fn mpu_getpart_and_oor_and_pending() {
    // S3-MPU-GETPART, S3-MPU-GETPART-OOR, S3-MPU-GETPART-PENDING, S3-MPU-GET-NOPARTSCOUNT
    let s3 = start().await;
    let (parts, etag) = mpu_object(&s3).await;
    assert!(etag.ends_with("-4\""), "{etag}");
    let mut offset = 0;
    for (i, part) in parts.iter().enumerate() {
        for method in ["GET", "HEAD"] {
            let res = s3
                .req(method, "/bkt/mpu", &format!("partNumber={}", i + 1))
                .send()
                .await;
            assert_eq!(res.status, 206, "{method} part {}", i + 1);
            assert_eq!(res.header("x-amz-mp-parts-count"), Some("4"));
            assert_eq!(
                res.header("etag"),
                Some(etag.as_str()),
                "the whole object's ETag"
            );
            assert_eq!(
                res.header("content-length").unwrap(),
                part.len().to_string()
            );
            assert_eq!(
                res.header("content-range").unwrap(),
                format!("bytes {offset}-{}/{}", offset + part.len() - 1, 16 * MIB)
            );
            if method == "GET" {
                assert!(res.body == *part, "part {} bytes", i + 1);
            }
        }
        offset += part.len();
    }
    let res = s3.req("GET", "/bkt/mpu", "partNumber=5").send().await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (416, "InvalidPartNumber")
    );
    let text = String::from_utf8_lossy(&res.body);
    assert!(
        text.contains("<PartNumberRequested>5</PartNumberRequested>"),
        "{text}"
    );
    assert!(
        text.contains("<ActualPartCount>4</ActualPartCount>"),
        "{text}"
    );
    let full = s3.get("bkt", "mpu").await;
    assert_eq!(full.status, 200);
    assert!(full.header("x-amz-mp-parts-count").is_none());
    assert!(full.body == parts.concat());
    let res = s3
        .req("GET", "/bkt/mpu", "")
        .header("range", &format!("bytes={}-{}", 5 * MIB - 10, 5 * MIB + 9))
        .send()
        .await;
    assert!(
        res.body == parts.concat()[5 * MIB - 10..5 * MIB + 10],
        "a range across parts"
    );
    s3.create("bkt", "pending").await;
    let res = s3.req("GET", "/bkt/pending", "partNumber=1").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchKey"));
}

#[tokio::test]
async fn mpu_getpart_nonmpu() {
    // S3-MPU-GETPART-NONMPU
    let s3 = start().await;
    s3.bucket("bkt").await;
    let etag = s3
        .put("bkt", "k", b"body")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let res = s3.req("GET", "/bkt/k", "partNumber=1").send().await;
    assert_eq!(res.status, 206);
    assert_eq!(res.body, b"body");
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    let res = s3.req("GET", "/bkt/k", "partNumber=2").send().await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (416, "InvalidPartNumber")
    );
}
