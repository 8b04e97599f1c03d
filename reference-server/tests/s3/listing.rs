//! ListObjectsV2 / ListObjects (prefix, delimiter, continuation) and
//! §1.8 ListMultipartUploads.

use crate::client::{S3, code, start, tag, tags};

async fn with_keys(keys: &[&str]) -> S3 {
    let s3 = start().await;
    s3.bucket("bkt").await;
    for key in keys {
        s3.put("bkt", key, key.as_bytes()).await;
    }
    s3
}

#[tokio::test]
async fn list_objects_v2_prefix_delimiter_continuation() {
    let s3 = with_keys(&["a/1", "a/2", "bkt", "c/x/1", "c/y", "d"]).await;
    let all = s3.ok("GET", "/bkt", "list-type=2").await.text();
    assert_eq!(
        tags(&all, "Key"),
        ["a/1", "a/2", "bkt", "c/x/1", "c/y", "d"]
    );
    assert_eq!(tag(&all, "KeyCount").as_deref(), Some("6"));
    assert_eq!(tag(&all, "IsTruncated").as_deref(), Some("false"));
    let grouped = s3.ok("GET", "/bkt", "list-type=2&delimiter=/").await.text();
    assert_eq!(tags(&grouped, "Key"), ["bkt", "d"]);
    assert_eq!(tags(&grouped, "Prefix")[1..], ["a/", "c/"]);
    let under = s3
        .ok("GET", "/bkt", "list-type=2&prefix=c/&delimiter=/")
        .await
        .text();
    assert_eq!(tags(&under, "Key"), ["c/y"]);
    assert!(under.contains("<CommonPrefixes><Prefix>c/x/</Prefix></CommonPrefixes>"));
    let after = s3
        .ok("GET", "/bkt", "list-type=2&start-after=bkt")
        .await
        .text();
    assert_eq!(tags(&after, "Key"), ["c/x/1", "c/y", "d"]);
    // Pages of 1 with the delimiter: every entry once, prefixes counted once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let query = match &token {
            Some(t) => format!("list-type=2&delimiter=/&max-keys=1&continuation-token={t}"),
            None => "list-type=2&delimiter=/&max-keys=1".to_owned(),
        };
        let page = s3.ok("GET", "/bkt", &query).await.text();
        seen.extend(tags(&page, "Key"));
        seen.extend(tags(&page, "Prefix").into_iter().filter(|p| !p.is_empty()));
        if tag(&page, "IsTruncated").as_deref() != Some("true") {
            break;
        }
        token = tag(&page, "NextContinuationToken");
    }
    assert_eq!(seen, ["a/", "bkt", "c/", "d"]);
    let res = s3
        .req("GET", "/bkt", "list-type=2&continuation-token=garbage!")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (400, "InvalidArgument"));
    let res = s3.req("GET", "/nobucket", "list-type=2").send().await;
    assert_eq!((res.status, code(&res).as_str()), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn list_objects_v1_marker_and_encoding() {
    let s3 = with_keys(&["a b+c", "k1", "k2", "k3"]).await;
    let page = s3.ok("GET", "/bkt", "max-keys=2&marker=a b+c").await.text();
    assert_eq!(tags(&page, "Key"), ["k1", "k2"]);
    assert_eq!(tag(&page, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(tag(&page, "NextMarker").as_deref(), Some("k2"));
    let encoded = s3
        .ok("GET", "/bkt", "list-type=2&encoding-type=url&max-keys=1")
        .await
        .text();
    assert_eq!(tags(&encoded, "Key"), ["a%20b%2Bc"]);
    assert_eq!(tag(&encoded, "EncodingType").as_deref(), Some("url"));
}

/// Uploads in the order given; returns their ids.
async fn uploads(s3: &S3, keys: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for key in keys {
        ids.push(s3.create("bkt", key).await);
    }
    ids
}

#[tokio::test]
async fn mpu_lu_basic_order_empty() {
    // S3-MPU-LU-BASIC, S3-MPU-LU-ORDER, S3-MPU-LU-EMPTY
    let s3 = start().await;
    s3.bucket("bkt").await;
    let empty = s3.ok("GET", "/bkt", "uploads").await.text();
    assert!(!empty.contains("<Upload>"));
    let ids = uploads(&s3, &["bkt", "a", "a"]).await;
    let list = s3.ok("GET", "/bkt", "uploads").await.text();
    assert_eq!(tags(&list, "Key"), ["a", "a", "bkt"]);
    assert_eq!(
        tags(&list, "UploadId"),
        [ids[1].clone(), ids[2].clone(), ids[0].clone()]
    );
    assert_eq!(tag(&list, "MaxUploads").as_deref(), Some("1000"));
    assert_eq!(tag(&list, "IsTruncated").as_deref(), Some("false"));
    for element in [
        "KeyMarker",
        "UploadIdMarker",
        "NextKeyMarker",
        "NextUploadIdMarker",
        "Initiated",
        "Initiator",
        "Owner",
        "StorageClass",
    ] {
        assert!(list.contains(&format!("<{element}")), "{element} in {list}");
    }
}

#[tokio::test]
async fn mpu_lu_prefix_maxuploads_markers_delimiter() {
    // S3-MPU-LU-PREFIX, S3-MPU-LU-MAXUPLOADS, S3-MPU-LU-KEYMARKER,
    // S3-MPU-LU-UPLOADIDMARKER, S3-MPU-LU-DELIMITER
    let s3 = start().await;
    s3.bucket("bkt").await;
    let ids = uploads(&s3, &["a/1", "a/1", "a/2", "b/1"]).await;
    let prefixed = s3.ok("GET", "/bkt", "uploads&prefix=a/").await.text();
    assert_eq!(tags(&prefixed, "Key"), ["a/1", "a/1", "a/2"]);
    let mut seen = Vec::new();
    let mut markers = String::new();
    for _ in 0..10 {
        let page = s3
            .ok("GET", "/bkt", &format!("uploads&max-uploads=1{markers}"))
            .await
            .text();
        seen.extend(tags(&page, "UploadId"));
        if tag(&page, "IsTruncated").as_deref() != Some("true") {
            break;
        }
        markers = format!(
            "&key-marker={}&upload-id-marker={}",
            tag(&page, "NextKeyMarker").unwrap(),
            tag(&page, "NextUploadIdMarker").unwrap()
        );
    }
    assert_eq!(seen, ids, "one per page, no gaps or duplicates");
    let after_key = s3.ok("GET", "/bkt", "uploads&key-marker=a/1").await.text();
    assert_eq!(
        tags(&after_key, "Key"),
        ["a/2", "b/1"],
        "uploads for the marker key are excluded"
    );
    let after_id = s3
        .ok(
            "GET",
            "/bkt",
            &format!("uploads&key-marker=a/1&upload-id-marker={}", ids[0]),
        )
        .await
        .text();
    assert_eq!(tags(&after_id, "UploadId"), &ids[1..]);
    let ignored = s3
        .ok(
            "GET",
            "/bkt",
            &format!("uploads&upload-id-marker={}", ids[0]),
        )
        .await
        .text();
    assert_eq!(
        tags(&ignored, "UploadId").len(),
        4,
        "upload-id-marker alone is ignored"
    );
    let grouped = s3.ok("GET", "/bkt", "uploads&delimiter=/").await.text();
    assert!(!grouped.contains("<Upload>"), "{grouped}");
    assert!(grouped.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"));
    assert_eq!(tag(&grouped, "Delimiter").as_deref(), Some("/"));
    let res = s3.req("GET", "/bkt", "uploads&max-uploads=-1").send().await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn mpu_lu_encoding() {
    // S3-MPU-LU-ENCODING
    let s3 = start().await;
    s3.bucket("bkt").await;
    uploads(&s3, &["a b+c"]).await;
    let list = s3
        .ok("GET", "/bkt", "uploads&encoding-type=url")
        .await
        .text();
    assert_eq!(tag(&list, "EncodingType").as_deref(), Some("url"));
    assert_eq!(tags(&list, "Key"), ["a%20b%2Bc"]);
}
