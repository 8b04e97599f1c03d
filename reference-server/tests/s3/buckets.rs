//! Buckets: create, head, delete, list, location; path-style naming.

use crate::client::{code, start, tag, tags};

#[tokio::test]
async fn bucket_lifecycle() {
    let s3 = start().await;
    let res = s3.req("HEAD", "/bk1", "").send().await;
    assert_eq!(res.status, 404, "HEAD of a missing bucket");
    assert!(res.body.is_empty(), "HEAD errors have no body");
    let res = s3.req("PUT", "/bk1", "").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("location"), Some("/bk1"));
    let res = s3.req("HEAD", "/bk1", "").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("x-amz-bucket-region"), Some("us-east-1"));
    let res = s3.req("PUT", "/bk1", "").send().await;
    assert_eq!(
        (res.status, code(&res).as_str()),
        (409, "BucketAlreadyOwnedByYou")
    );
    s3.bucket("bk2").await;
    let list = s3.ok("GET", "/", "").await.text();
    assert_eq!(tags(&list, "Name"), ["bk1", "bk2"]);
    s3.put("bk1", "k", b"x").await;
    let res = s3.req("DELETE", "/bk1", "").send().await;
    assert_eq!((res.status, code(&res).as_str()), (409, "BucketNotEmpty"));
    s3.ok("DELETE", "/bk1/k", "").await;
    let res = s3.req("DELETE", "/bk1", "").send().await;
    assert_eq!(res.status, 204);
    let res = s3.req("DELETE", "/bk1", "").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn delete_bucket_aborts_its_uploads() {
    // As general-purpose S3 buckets do: objects keep a bucket, unfinished
    // uploads do not, and go with it, parts and all.
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    s3.part_ok("bkt", "k", &upload, 1, b"part").await;
    s3.create("bkt", "other").await;
    let res = s3.req("DELETE", "/bkt", "").send().await;
    assert_eq!(res.status, 204, "{}", res.text());
    s3.bucket("bkt").await;
    let listed = s3.ok("GET", "/bkt", "uploads").await.text();
    assert!(tags(&listed, "UploadId").is_empty(), "{listed}");
    let res = s3
        .req("GET", "/bkt/k", &format!("uploadId={upload}"))
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchUpload"));
    let dir = s3
        .srv
        .as_ref()
        .unwrap()
        .dir
        .as_ref()
        .unwrap()
        .path()
        .join("s3");
    let records = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(
        records, 1,
        "only the new bucket is stored: no upload or part is left"
    );
}

#[tokio::test]
async fn invalid_names_and_location() {
    let s3 = start().await;
    for bad in ["ab", "UPPER", "a_b", "192.168.0.1", "a..b"] {
        let res = s3.req("PUT", &format!("/{bad}"), "").send().await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "InvalidBucketName"),
            "{bad}"
        );
    }
    let res = s3
        .req("PUT", "/eu", "")
        .body("<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")
        .send()
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    s3.bucket("loc").await;
    let res = s3.ok("GET", "/loc", "location").await;
    assert!(res.text().contains("<LocationConstraint"), "{}", res.text());
    assert!(
        res.text().ends_with("\"></LocationConstraint>"),
        "us-east-1 is empty"
    );
}

#[tokio::test]
async fn mpu_create_nobucket() {
    // S3-MPU-CREATE-NOBUCKET
    let s3 = start().await;
    let res = s3.req("POST", "/nobucket/k", "uploads").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchBucket"));
    let text = res.text();
    assert_eq!(tag(&text, "Resource").as_deref(), Some("/nobucket/k"));
    assert!(tag(&text, "RequestId").is_some_and(|id| !id.is_empty()));
    assert!(tag(&text, "Message").is_some_and(|m| !m.is_empty()));
    assert_eq!(
        res.header("x-amz-request-id"),
        tag(&text, "RequestId").as_deref()
    );
}
