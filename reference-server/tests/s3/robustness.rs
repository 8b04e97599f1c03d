//! Bad input gets a 4xx S3 error, never a 5xx: XML bombs, 10,001 parts,
//! negative or huge part numbers, malformed Complete bodies. And the file
//! store keeps S3 state across a restart and a SIGKILL mid-body.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::client::{AK, S3, SK, code, start, start_config, tag, tags};
use crate::common::{Client, pattern};

async fn ready() -> (S3, String, String) {
    let s3 = start().await;
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    let etag = s3.part_ok("bkt", "k", &upload, 1, b"x").await;
    (s3, upload, etag)
}

async fn complete_raw(s3: &S3, upload: &str, body: impl AsRef<[u8]>) -> crate::common::Response {
    s3.req("POST", "/bkt/k", &format!("uploadId={upload}"))
        .body(body)
        .send()
        .await
}

#[tokio::test]
async fn xml_bomb_is_a_quick_400() {
    let (s3, upload, _) = ready().await;
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        bomb.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    bomb.push_str("]>\n<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part></CompleteMultipartUpload>");
    let started = Instant::now();
    let res = complete_raw(&s3, &upload, &bomb).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "MalformedXML"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let undeclared = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part></CompleteMultipartUpload>";
    let res = complete_raw(&s3, &upload, undeclared).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "MalformedXML"));
    let external = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>";
    let res = complete_raw(&s3, &upload, external).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "MalformedXML"));
}

#[tokio::test]
async fn ten_thousand_and_one_parts() {
    let (s3, upload, etag) = ready().await;
    let many: Vec<(i64, &str)> = (1..=10_001).map(|n| (n, etag.as_str())).collect();
    let res = s3.complete("bkt", "k", &upload, &many).await;
    assert!((400..500).contains(&res.status), "{}", res.text());
    assert_eq!(code(&res), "InvalidArgument");
    let res = s3.complete("bkt", "k", &upload, &[(10_001, &etag)]).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "InvalidArgument"));
}

#[tokio::test]
async fn negative_and_huge_part_numbers() {
    let (s3, upload, etag) = ready().await;
    for n in [
        "-1",
        "0",
        "-99999999999999999999",
        "18446744073709551617",
        "4294967297",
        "1e3",
        " 1",
    ] {
        let res = s3
            .req(
                "PUT",
                "/bkt/k",
                &format!("partNumber={}&uploadId={upload}", n),
            )
            .body(b"x")
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "InvalidArgument"),
            "UploadPart {n:?}"
        );
        let body = format!(
            "<CompleteMultipartUpload><Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
        );
        if n != " 1" {
            // (In XML, " 1" is 1: surrounding whitespace is not content.)
            let res = complete_raw(&s3, &upload, body).await;
            assert!(
                (400..500).contains(&res.status),
                "Complete {n:?}: {}",
                res.text()
            );
        }
        let res = s3
            .req(
                "GET",
                "/bkt/k",
                &format!("uploadId={upload}&part-number-marker={}", n),
            )
            .send()
            .await;
        assert!(
            n == "0" || (400..500).contains(&res.status),
            "ListParts marker {n:?}"
        );
    }
}

#[tokio::test]
async fn malformed_complete_bodies() {
    let (s3, upload, etag) = ready().await;
    let bodies = [
        String::new(),
        "   ".into(),
        "<CompleteMultipartUpload>".into(),
        "<CompleteMultipartUpload></CompleteMultipartUpload>".into(),
        "<Wrong><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Wrong>".into(),
        "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>".into(),
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>".into(),
        format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>trailing"),
        "<a><b></a></b>".into(),
        "\u{feff}<<<>>>".into(),
        format!("<CompleteMultipartUpload>{}</CompleteMultipartUpload>", "<X>".repeat(100) + &"</X>".repeat(100)),
        format!("<CompleteMultipartUpload>{}</CompleteMultipartUpload>", "<!-- pad -->".repeat(500_000)),
        String::from_utf8_lossy(&pattern(5000, 9)).into_owned(),
    ];
    for body in bodies {
        let res = complete_raw(&s3, &upload, &body).await;
        assert!(
            (400..500).contains(&res.status),
            "{:?}: {} {}",
            body.chars().take(80).collect::<String>(),
            res.status,
            res.text()
        );
        assert!(!code(&res).is_empty());
    }
    // Not well-formed, or not valid against S3's schema: each would complete
    // the upload if read leniently, and each is MalformedXML.
    let part = format!("<Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>");
    let malformed = [
        format!("<CompleteMultipartUpload>{part}\u{0}</CompleteMultipartUpload>"),
        format!("<CompleteMultipartUpload>{part}&#1;</CompleteMultipartUpload>"),
        format!("<CompleteMultipartUpload>{part}\u{1b}</CompleteMultipartUpload>"),
        format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
        ),
        format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
        ),
        format!(
            "<CompleteMultipartUpload xmlns=\"http://example.com/not-s3/\">{part}</CompleteMultipartUpload>"
        ),
        format!(
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part xmlns=\"urn:other\"><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
        ),
        format!("<s3:CompleteMultipartUpload>{part}</s3:CompleteMultipartUpload>"),
    ];
    for body in &malformed {
        let res = complete_raw(&s3, &upload, body).await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (400, "MalformedXML"),
            "{body:?}: {}",
            res.text()
        );
    }
    let mut invalid_utf8 =
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>".to_vec();
    invalid_utf8.extend([0xff, 0xfe]);
    invalid_utf8.extend(b"</ETag></Part></CompleteMultipartUpload>");
    let res = complete_raw(&s3, &upload, invalid_utf8).await;
    assert_eq!((res.status, code(&res).as_str()), (400, "MalformedXML"));
    // After all that, the upload still completes, in S3's namespace bound
    // to a prefix as well as by default or without one.
    let prefixed = format!(
        "<s3:CompleteMultipartUpload xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Part><s3:PartNumber>1</s3:PartNumber><s3:ETag>{etag}</s3:ETag></s3:Part></s3:CompleteMultipartUpload>"
    );
    let res = complete_raw(&s3, &upload, prefixed).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn odd_requests_are_never_5xx() {
    let (s3, upload, _) = ready().await;
    let requests: Vec<(&str, String, String)> = vec![
        ("PATCH", "/bkt/k".into(), String::new()),
        ("GET", "/bkt/k".into(), "acl".into()),
        ("GET", "/bkt/%ff".into(), String::new()),
        ("PUT", "/bkt/k".into(), format!("uploadId={upload}")),
        ("PUT", "/bkt/k".into(), "partNumber=1".into()),
        ("POST", "/bkt/k".into(), String::new()),
        ("GET", "/bkt".into(), "list-type=2&max-keys=-5".into()),
        ("GET", "/bkt".into(), "encoding-type=base64".into()),
        ("DELETE", "/bkt/k".into(), "uploadId=".into()),
        ("POST", "/bkt".into(), "delete".into()),
        ("GET", format!("/bkt/{}", "k".repeat(1100)), String::new()),
    ];
    for (method, path, query) in requests {
        let res = s3.req(method, &path, &query).send().await;
        assert!(
            (400..500).contains(&res.status) || res.status == 501,
            "{method} {path}?{query}: {} {}",
            res.status,
            res.text()
        );
        assert!(!code(&res).is_empty() || method == "HEAD");
    }
}

#[tokio::test]
async fn transfer_codings_the_server_lacks_are_refused() {
    // RFC 9112 §6.1, as on the tus listener; S3 names the header it lacks.
    let s3 = crate::client::anonymous().await;
    s3.bucket("bkt").await;
    for (codings, status, expected) in [
        ("gzip, chunked", 501, "NotImplemented"),
        ("chunked, chunked", 400, "InvalidRequest"),
    ] {
        let res = s3
            .client
            .request("PUT", "/bkt/k")
            .chunked(&[b"abc"], &[])
            .codings(codings)
            .send()
            .await;
        assert_eq!(
            (res.status, code(&res).as_str()),
            (status, expected),
            "{codings}"
        );
        assert_eq!(
            s3.get("bkt", "k").await.status,
            404,
            "{codings}: nothing stored"
        );
    }
    assert_eq!(
        tag(
            &s3.client
                .request("PUT", "/bkt/k")
                .chunked(&[b"abc"], &[])
                .codings("gzip, chunked")
                .send()
                .await
                .text(),
            "Header"
        )
        .as_deref(),
        Some("Transfer-Encoding")
    );
}

#[tokio::test]
async fn a_listener_that_cannot_bind_is_named_with_its_address() {
    // `upspec serve` and the standalone binary print this error: "Address
    // already in use" alone does not say which of the two listeners failed.
    let s3 = start().await;
    let running = s3.srv.as_ref().unwrap();
    let tus = running.server.local_addr();
    let s3_addr = s3.client.addr;
    let taken_tus = upspec_reference_server::serve(upspec_reference_server::Config {
        listen: tus,
        ..Default::default()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(
        taken_tus.contains(&tus.to_string()) && taken_tus.contains("tus"),
        "{taken_tus}"
    );
    let taken_s3 = upspec_reference_server::serve(upspec_reference_server::Config {
        s3: Some(upspec_reference_server::S3Config {
            listen: s3_addr,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(
        taken_s3.contains(&s3_addr.to_string()) && taken_s3.contains("S3"),
        "{taken_s3}"
    );
    // What both command lines print once listening: every listener, with the
    // port the system chose for port 0.
    assert_eq!(
        upspec_reference_server::cli::banner(&running.server),
        format!("listening on http://{tus}/files/\ns3 listening on http://{s3_addr}\n")
    );
    assert_ne!(s3_addr.port(), 0);
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let config = |c: &mut upspec_reference_server::Config| {
        c.store = upspec_reference_server::StoreConfig::File {
            data_dir: data_dir.clone(),
        };
        c.s3 = Some(upspec_reference_server::S3Config {
            credentials: vec![upspec_reference_server::S3Credential::new(AK, SK)],
            min_part_size: 1,
            ..Default::default()
        });
    };
    let (upload, etag) = {
        let s3 = start_config(config, true).await;
        s3.bucket("bkt").await;
        s3.put("bkt", "plain", b"plain bytes").await;
        let done = s3.create("bkt", "mpu").await;
        let e = s3.part_ok("bkt", "mpu", &done, 1, b"first").await;
        let e2 = s3.part_ok("bkt", "mpu", &done, 2, b"second").await;
        assert_eq!(
            s3.complete("bkt", "mpu", &done, &[(1, &e), (2, &e2)])
                .await
                .status,
            200
        );
        let open = s3.create("bkt", "open").await;
        let etag = s3.part_ok("bkt", "open", &open, 3, b"three").await;
        s3.srv.unwrap().server.shutdown().await;
        (open, etag)
    };
    let s3 = start_config(config, true).await;
    assert_eq!(s3.get("bkt", "plain").await.body, b"plain bytes");
    assert_eq!(s3.get("bkt", "mpu").await.body, b"firstsecond");
    let parts = s3
        .ok("GET", "/bkt/open", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(tags(&parts, "PartNumber"), ["3"]);
    assert_eq!(
        s3.complete("bkt", "open", &upload, &[(3, &etag)])
            .await
            .status,
        200
    );
    assert_eq!(s3.get("bkt", "open").await.body, b"three");
    drop(dir);
}

/// The binary, killed with SIGKILL while a part body is half sent, comes
/// back with the upload intact and no trace of the half part.
#[tokio::test]
async fn sigkill_mid_part_leaves_no_part() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_upspec-reference-server"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--s3-listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server binary starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut endpoint = None;
        for _ in 0..2 {
            line.clear();
            out.read_line(&mut line).unwrap();
            if let Some(e) = line.trim().strip_prefix("s3 listening on http://") {
                endpoint = Some(e.parse().unwrap());
            }
        }
        (
            child,
            Client {
                addr: endpoint.expect("an S3 banner line"),
            },
        )
    };
    let (mut child, client) = spawn();
    let s3 = S3 {
        srv: None,
        client,
        signed: false,
    };
    s3.bucket("bkt").await;
    let upload = s3.create("bkt", "k").await;
    s3.part_ok("bkt", "k", &upload, 1, b"kept").await;
    let half = pattern(512 * 1024, 7);
    let mut stream = s3
        .client
        .request("PUT", &format!("/bkt/k?partNumber=2&uploadId={upload}"))
        .body(half)
        .send_open(4 * 1024 * 1024)
        .await;
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stream);
    let (mut child, client) = spawn();
    let s3 = S3 {
        srv: None,
        client,
        signed: false,
    };
    let parts = s3
        .ok("GET", "/bkt/k", &format!("uploadId={upload}"))
        .await
        .text();
    assert_eq!(tags(&parts, "PartNumber"), ["1"]);
    let leftovers = std::fs::read_dir(dir.path().join("s3")).unwrap().count();
    // bucket, upload, part 1: a record and a data file each.
    assert_eq!(leftovers, 6, "the half part's files are gone");
    let etag = tag(&parts, "ETag").unwrap();
    assert_eq!(
        s3.complete("bkt", "k", &upload, &[(1, &etag)]).await.status,
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
