//! §1.10 additional checksums, and their part-level rows (§1.1-1.2).

use crate::client::{MIB, S3, code, start, start_with, tag, tags};

const SHA256_PARTS: [&str; 3] = [
    "275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=",
    "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=",
    "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow=",
];

fn abc() -> Vec<Vec<u8>> {
    [b'A', b'B', b'C']
        .iter()
        .map(|c| vec![*c; 5 * MIB])
        .collect()
}

/// Create with the given algorithm/type headers; returns the upload id and
/// the response.
async fn create(s3: &S3, key: &str, headers: &[(&str, &str)]) -> (String, crate::common::Response) {
    let mut req = s3.req("POST", &format!("/bkt/{key}"), "uploads");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.send().await;
    (tag(&res.text(), "UploadId").unwrap_or_default(), res)
}

/// Uploads the A/B/C parts with `header: value` each; returns the ETags.
async fn upload_abc(
    s3: &S3,
    key: &str,
    upload: &str,
    header: &str,
    values: &[&str],
) -> Vec<String> {
    let mut etags = Vec::new();
    for (i, part) in abc().iter().enumerate() {
        let res = s3
            .req(
                "PUT",
                &format!("/bkt/{key}"),
                &format!("partNumber={}&uploadId={upload}", i + 1),
            )
            .header(header, values[i])
            .body(part)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            res.header(header),
            Some(values[i]),
            "the part checksum is echoed"
        );
        etags.push(res.header("etag").unwrap().to_owned());
    }
    etags
}

fn body_with(element: &str, etags: &[String], values: &[&str]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, (etag, value)) in etags.iter().zip(values).enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag><{element}>{value}</{element}></Part>",
            i + 1
        ));
    }
    body + "</CompleteMultipartUpload>"
}

#[tokio::test]
async fn mpu_ck_composite_sha256_echo_and_modes() {
    // S3-MPU-CREATE-CKSUM-ECHO, S3-MPU-CK-COMPOSITE-SHA256, S3-MPU-LP-CKSUM, S3-MPU-PART-CKSUM
    let s3 = start().await;
    s3.bucket("bkt").await;
    let (upload, res) = create(
        &s3,
        "k",
        &[
            ("x-amz-checksum-algorithm", "SHA256"),
            ("x-amz-checksum-type", "COMPOSITE"),
        ],
    )
    .await;
    assert_eq!(res.header("x-amz-checksum-algorithm"), Some("SHA256"));
    assert_eq!(res.header("x-amz-checksum-type"), Some("COMPOSITE"));
    let bad = s3
        .req("PUT", "/bkt/k", &format!("partNumber=1&uploadId={upload}"))
        .header("x-amz-checksum-sha256", SHA256_PARTS[1])
        .body(&abc()[0])
        .send()
        .await;
    assert_eq!((bad.status, code(&bad).as_str()), (400, "BadDigest"));
    let etags = upload_abc(&s3, "k", &upload, "x-amz-checksum-sha256", &SHA256_PARTS).await;
    let parts = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(tags(&parts, "ChecksumSHA256"), SHA256_PARTS);
    assert_eq!(tag(&parts, "ChecksumAlgorithm").as_deref(), Some("SHA256"));
    assert_eq!(tag(&parts, "ChecksumType").as_deref(), Some("COMPOSITE"));
    let total = "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3";
    let res = s3
        .req("POST", "/bkt/k", &format!("uploadId={upload}"))
        .header("x-amz-checksum-sha256", total)
        .body(body_with("ChecksumSHA256", &etags, &SHA256_PARTS))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(tag(&res.text(), "ChecksumSHA256").as_deref(), Some(total));
    assert_eq!(
        tag(&res.text(), "ChecksumType").as_deref(),
        Some("COMPOSITE")
    );
    let head = s3.req("HEAD", "/bkt/k", "").send().await;
    assert!(
        head.header("x-amz-checksum-sha256").is_none(),
        "only with x-amz-checksum-mode"
    );
    let head = s3
        .req("HEAD", "/bkt/k", "")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(head.header("x-amz-checksum-sha256"), Some(total));
    assert_eq!(head.header("x-amz-checksum-type"), Some("COMPOSITE"));
    let part2 = s3
        .req("HEAD", "/bkt/k", "partNumber=2")
        .header("x-amz-checksum-mode", "ENABLED")
        .send()
        .await;
    assert_eq!(part2.header("x-amz-checksum-sha256"), Some(SHA256_PARTS[1]));
}

#[tokio::test]
async fn mpu_ck_composite_sha1() {
    // S3-MPU-CK-COMPOSITE-SHA1
    let s3 = start().await;
    s3.bucket("bkt").await;
    let values = [
        "iIaTCGbm+vdVjNqIMF2S0T7ibMk=",
        "LS/TJ32bAVKEwRu+sE3X7awh/lk=",
        "6DDwovUaHwrKNXDMzOGbuvj9kxI=",
    ];
    let (upload, _) = create(&s3, "k", &[("x-amz-checksum-algorithm", "SHA1")]).await;
    let etags = upload_abc(&s3, "k", &upload, "x-amz-checksum-sha1", &values).await;
    let res = s3
        .req("POST", "/bkt/k", &format!("uploadId={upload}"))
        .body(body_with("ChecksumSHA1", &etags, &values))
        .send()
        .await;
    assert_eq!(
        tag(&res.text(), "ChecksumSHA1").as_deref(),
        Some("sizjvY4eud3MrcHdZM3cQ/ol39o=-3")
    );
}

#[tokio::test]
async fn mpu_ck_full_crc32_crc32c_crc64nvme() {
    // S3-MPU-CK-FULL-CRC32, S3-MPU-CK-FULL-CRC32C, S3-MPU-CK-FULL-CRC64NVME, S3-MPU-CK-DEFAULT-TYPE (CRC64NVME)
    let s3 = start().await;
    s3.bucket("bkt").await;
    let cases = [
        (
            "CRC32",
            Some("FULL_OBJECT"),
            "x-amz-checksum-crc32",
            "ChecksumCRC32",
            ["JRTCyQ==", "QoZTGg==", "YAgjqw=="],
            "WgDhBQ==",
        ),
        (
            "CRC32C",
            Some("FULL_OBJECT"),
            "x-amz-checksum-crc32c",
            "ChecksumCRC32C",
            ["MDaLrw==", "TH4EZg==", "Z7mBIQ=="],
            "xU+Krw==",
        ),
        (
            "CRC64NVME",
            None,
            "x-amz-checksum-crc64nvme",
            "ChecksumCRC64NVME",
            ["L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="],
            "i+6LR0y3eFo=",
        ),
    ];
    for (algorithm, kind, header, element, values, whole) in cases {
        let key = algorithm.to_lowercase();
        let mut headers = vec![("x-amz-checksum-algorithm", algorithm)];
        headers.extend(kind.map(|k| ("x-amz-checksum-type", k)));
        let (upload, res) = create(&s3, &key, &headers).await;
        assert_eq!(
            res.header("x-amz-checksum-type"),
            Some("FULL_OBJECT"),
            "{algorithm}"
        );
        let etags = upload_abc(&s3, &key, &upload, header, &values).await;
        let res = s3
            .req(
                "POST",
                &format!("/bkt/{key}"),
                &format!("uploadId={upload}"),
            )
            .header(header, whole)
            .body(body_with(element, &etags, &values))
            .send()
            .await;
        assert_eq!(res.status, 200, "{algorithm}: {}", res.text());
        assert_eq!(
            tag(&res.text(), element).as_deref(),
            Some(whole),
            "{algorithm}"
        );
        assert_eq!(
            tag(&res.text(), "ChecksumType").as_deref(),
            Some("FULL_OBJECT")
        );
    }
}

#[tokio::test]
async fn mpu_ck_onepart_bad_total_missing_part_type_mismatch_consecutive() {
    // S3-MPU-CK-ONEPART, S3-MPU-CK-BAD-TOTAL, S3-MPU-CK-MISSING-PART,
    // S3-MPU-CK-TYPE-MISMATCH, S3-MPU-CK-CONSECUTIVE, S3-MPU-CK-DEFAULT-TYPE
    let s3 = start_with(|c| c.min_part_size = 1024).await;
    s3.bucket("bkt").await;
    let (upload, res) = create(&s3, "k", &[("x-amz-checksum-algorithm", "SHA256")]).await;
    assert_eq!(
        res.header("x-amz-checksum-type"),
        Some("COMPOSITE"),
        "the default type"
    );
    let part = vec![b'A'; 1024];
    let value = "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=";
    let res = s3
        .req("PUT", "/bkt/k", &format!("partNumber=1&uploadId={upload}"))
        .header("x-amz-checksum-sha256", value)
        .body(&part)
        .send()
        .await;
    let etag = res.header("etag").unwrap().to_owned();
    let third = s3.part_ok("bkt", "k", &upload, 3, &part).await;
    let complete = |body: String, headers: Vec<(&'static str, &'static str)>| {
        let mut req = s3
            .req("POST", "/bkt/k", &format!("uploadId={upload}"))
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let good = body_with("ChecksumSHA256", std::slice::from_ref(&etag), &[value]);
    let res = complete(good.clone(), vec![("x-amz-checksum-sha256", "bad")]).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "BadDigest"));
    let missing = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let res = complete(missing, vec![]).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "BadDigest"));
    let res = complete(good.clone(), vec![("x-amz-checksum-type", "FULL_OBJECT")]).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "BadDigest"));
    let gap = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag><ChecksumSHA256>{value}</ChecksumSHA256></Part><Part><PartNumber>3</PartNumber><ETag>{third}</ETag><ChecksumSHA256>{value}</ChecksumSHA256></Part></CompleteMultipartUpload>"
    );
    let res = complete(gap, vec![]).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "InvalidPartOrder"));
    let res = complete(good, vec![]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        tag(&res.text(), "ChecksumSHA256").as_deref(),
        Some("Ok6Cs5b96ux6+MWQkJO7UBT5sKPBeXBLwvj/hK89smg=-1")
    );
}

#[tokio::test]
async fn mpu_create_cksum_combo() {
    // S3-MPU-CREATE-CKSUM-COMBO
    let s3 = start().await;
    s3.bucket("bkt").await;
    for (algorithm, kind, ok) in [
        ("SHA256", "FULL_OBJECT", false),
        ("SHA1", "FULL_OBJECT", false),
        ("CRC64NVME", "COMPOSITE", false),
        ("CRC32", "COMPOSITE", true),
        ("CRC32C", "FULL_OBJECT", true),
        ("MD5", "COMPOSITE", false),
    ] {
        let (_, res) = create(
            &s3,
            "k",
            &[
                ("x-amz-checksum-algorithm", algorithm),
                ("x-amz-checksum-type", kind),
            ],
        )
        .await;
        if ok {
            assert_eq!(res.status, 200, "{algorithm}/{kind}");
        } else {
            assert_eq!(
                (res.status, code(&res).as_str()),
                (400, "InvalidRequest"),
                "{algorithm}/{kind}"
            );
        }
    }
}

#[tokio::test]
async fn mpu_part_sdk_cksum() {
    // S3-MPU-PART-SDK-CKSUM: boto3's default CRC32 on an upload without an algorithm
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    let res = s3
        .req("PUT", "/bkt/k", &format!("partNumber=1&uploadId={upload}"))
        .header("x-amz-sdk-checksum-algorithm", "CRC32")
        .header("x-amz-checksum-crc32", "DUoRhQ==")
        .body(b"hello world")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("x-amz-checksum-crc32"),
        Some("DUoRhQ=="),
        "{:?}",
        res.headers
    );
    let res = s3
        .req("PUT", "/bkt/k", &format!("partNumber=2&uploadId={upload}"))
        .header("x-amz-checksum-crc32", "DUoRhQ==")
        .body(b"hello worle")
        .send()
        .await;
    assert_eq!((res.status, code(&res).as_str()), (400, "BadDigest"));
}
