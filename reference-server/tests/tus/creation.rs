//! §1.6–1.9: creation, Upload-Metadata, creation-with-upload,
//! creation-defer-length.

use upspec_reference_server::LocationForm;

use crate::common::{BASE, Response, Srv, b64, path_of, start, start_with};

#[tokio::test]
async fn creation_201_and_location_resolves() {
    // TUS-CRE-201, -LOC-RESOLVES, TUS-EXP-POST, -EXP-FMT, -EXP-FUTURE
    let srv = start().await;
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Content-Length", "0")
        .header("Upload-Length", "100")
        .send()
        .await;
    assert_eq!(res.status, 201);
    let location = res.header("location").unwrap();
    let expires = httpdate::parse_http_date(res.header("upload-expires").unwrap()).unwrap();
    let date = httpdate::parse_http_date(res.header("date").unwrap()).unwrap();
    assert!(expires > date);
    assert!(res.header("upload-expires").unwrap().ends_with(" GMT"));
    let head = srv.head(location).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("upload-offset"), Some("0"));
    assert_eq!(head.header("upload-length"), Some("100"));
}

/// The Location of a creation sent with `Host: host` to `target`.
async fn location_for(srv: &Srv, target: &str, host: &str) -> Response {
    srv.request("POST", target)
        .tus()
        .header("Host", host)
        .header("Upload-Length", "1")
        .send()
        .await
}

#[tokio::test]
async fn location_is_absolute_from_the_host_or_as_configured() {
    // TUS-CRE-LOC-RESOLVES: absolute like tusd, @tus/server and rustus, built
    // from the Host the client used (or an absolute-form target's authority).
    let srv = start().await;
    let res = location_for(&srv, BASE, "uploads.example:8080").await;
    let location = res.header("location").unwrap();
    let id = location
        .strip_prefix("http://uploads.example:8080/files/")
        .unwrap_or_else(|| panic!("{location}"));
    assert_eq!(srv.head(&format!("{BASE}{id}")).await.status, 200);
    let res = location_for(&srv, "http://other.example/files/", "ignored.example").await;
    let location = res.header("location").unwrap();
    assert!(
        location.starts_with("http://other.example/files/"),
        "{location}"
    );
    for bad in ["", "a b", "user@h.example"] {
        let res = location_for(&srv, BASE, bad).await;
        assert_eq!((res.status, res.header("location")), (400, None), "{bad:?}");
    }

    // Behind a proxy: the configured public URL, which Upload-Concat may use too.
    let public = "https://up.example/api/uploads/";
    let srv = start_with(|c| c.tus.public_url = Some(public.parse().unwrap())).await;
    let partial = srv
        .create_with(&[("Upload-Concat", "partial"), ("Upload-Length", "0")])
        .await;
    assert!(partial.starts_with(public), "{partial}");
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Concat", &format!("final;{partial}"))
        .send()
        .await;
    assert_eq!(res.status, 201, "{res:?}");

    // Relative, when configured: a path, under the public URL's if there is one.
    let srv = start_with(|c| c.tus.location = LocationForm::Relative).await;
    let location = srv.create(1).await;
    assert!(location.starts_with(BASE), "{location}");
    assert_eq!(srv.head(&location).await.status, 200);
    let srv = start_with(|c| {
        c.tus.location = LocationForm::Relative;
        c.tus.public_url = Some(public.parse().unwrap());
    })
    .await;
    let location = srv.create(1).await;
    assert!(location.starts_with("/api/uploads/"), "{location}");
}

#[tokio::test]
async fn ids_are_unguessable_and_distinct() {
    let srv = start().await;
    let a = srv.create(1).await;
    let b = srv.create(1).await;
    assert_ne!(a, b);
    let id = path_of(&a).strip_prefix(BASE).unwrap();
    assert_eq!(id.len(), 32, "128 random bits as hex");
}

#[tokio::test]
async fn creation_length_headers() {
    // TUS-CRE-NOLENGTH, -BOTHLENGTH, -BADLENGTH, TUS-CDL-BADVAL
    let srv = start().await;
    let cases: &[&[(&str, &str)]] = &[
        &[],
        &[("Upload-Length", "10"), ("Upload-Defer-Length", "1")],
        &[("Upload-Length", "-1")],
        &[("Upload-Length", "abc")],
        &[("Upload-Length", "0100")],
        &[("Upload-Length", "+5")],
        &[("Upload-Length", "99999999999999999999")],
        &[("Upload-Length", "5"), ("Upload-Length", "5")],
        &[("Upload-Defer-Length", "2")],
        &[("Upload-Defer-Length", "true")],
        &[("Upload-Defer-Length", "0")],
    ];
    for headers in cases {
        let mut req = srv.request("POST", BASE).tus();
        for (k, v) in *headers {
            req = req.header(k, v);
        }
        let res = req.send().await;
        assert_eq!(res.status, 400, "{headers:?}");
        assert_eq!(res.header("location"), None);
        assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    }
}

#[tokio::test]
async fn creation_empty_upload() {
    // TUS-CRE-EMPTY
    let srv = start().await;
    let up = srv.create(0).await;
    let head = srv.head(&up).await;
    assert_eq!(
        (head.header("upload-offset"), head.header("upload-length")),
        (Some("0"), Some("0"))
    );
    assert_eq!(
        head.header("upload-expires"),
        None,
        "complete uploads do not expire"
    );
}

#[tokio::test]
async fn creation_max_size() {
    // TUS-CRE-413, -413-EDGE
    let srv = start_with(|c| c.tus.max_size = Some(100)).await;
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "101")
        .send()
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.header("tus-resumable"), Some("1.0.0"));
    srv.create(100).await;
}

#[tokio::test]
async fn metadata_echo_and_forms() {
    // TUS-CRE-META-ECHO, TUS-META-OK, -KEYONLY, -KEYSPACE, -SMUGGLE
    let srv = start().await;
    let evil = b64(b"x\r\nX-Evil: 1");
    let header = format!("filename d29ybGQ=,is_confidential,k3 ,evil {evil}");
    let up = srv
        .create_with(&[("Upload-Length", "1"), ("Upload-Metadata", &header)])
        .await;
    let head = srv.head(&up).await;
    assert_eq!(
        head.header("upload-metadata"),
        Some(format!("filename d29ybGQ=,is_confidential,k3,evil {evil}").as_str())
    );
    assert_eq!(head.header("x-evil"), None);
}

#[tokio::test]
async fn metadata_malformed_400() {
    // TUS-META-DUPKEY, -BADB64, -EMPTYKEY, -OWS, -EMPTYHDR, -NONASCII (all refused)
    let srv = start().await;
    for bad in [
        "a aGVsbG8=,a d29ybGQ=",
        "a !!!!",
        "a aGVsbG8=, b d29ybGQ=",
        "",
        "a aGVsbG8",
        ",a aGVsbG8=",
        "a aGVsbG8=,",
        "k\u{e9} aGVsbG8=",
    ] {
        let res = srv
            .request("POST", BASE)
            .tus()
            .header("Upload-Length", "1")
            .header("Upload-Metadata", bad)
            .send()
            .await;
        assert_eq!(res.status, 400, "{bad:?}");
    }
}

#[tokio::test]
async fn creation_ignores_a_non_upload_body() {
    // TUS-CRE-CT-IGNORED
    let srv = start().await;
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "11")
        .header("Content-Type", "text/plain")
        .body(&b"hello"[..])
        .send()
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.header("upload-offset"), None);
    assert_eq!(srv.offset(res.header("location").unwrap()).await, 0);
}

/// A creation of an upload of `length` bytes that carries `body`
/// (creation-with-upload).
async fn create_with_body(srv: &Srv, length: &str, body: &[u8]) -> Response {
    srv.request("POST", BASE)
        .tus()
        .header("Upload-Length", length)
        .octet()
        .body(body)
        .send()
        .await
}

#[tokio::test]
async fn creation_with_upload() {
    // TUS-CWU-201, -FULL, -EXPIRES
    let srv = start().await;
    let res = create_with_body(&srv, "11", &b"hello"[..]).await;
    assert_eq!((res.status, res.header("upload-offset")), (201, Some("5")));
    assert!(res.header("upload-expires").is_some());
    let up = res.header("location").unwrap();
    assert_eq!(srv.offset(up).await, 5);
    let res = create_with_body(&srv, "11", &b"hello world"[..]).await;
    assert_eq!((res.status, res.header("upload-offset")), (201, Some("11")));
    assert_eq!(res.header("upload-expires"), None);
    assert_eq!(
        srv.bytes(res.header("location").unwrap()).await,
        b"hello world"
    );
}

#[tokio::test]
async fn creation_with_upload_over_length_creates_nothing() {
    // TUS-CWU-OVER (413, and no orphan: chunked too)
    let srv = start().await;
    let res = create_with_body(&srv, "3", &b"hello"[..]).await;
    assert_eq!((res.status, res.header("location")), (413, None));
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "3")
        .octet()
        .chunked(&[b"he", b"llo"], &[])
        .send()
        .await;
    assert_eq!((res.status, res.header("location")), (413, None));
    assert_eq!(upload_files(&srv), 0, "no upload left behind");
}

#[tokio::test]
async fn creation_with_upload_checksum() {
    // TUS-CWU-CKS
    let srv = start().await;
    let good = "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=";
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "11")
        .header("Upload-Checksum", good)
        .octet()
        .body(&b"hello world"[..])
        .send()
        .await;
    assert_eq!((res.status, res.header("upload-offset")), (201, Some("11")));
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Length", "11")
        .header("Upload-Checksum", good)
        .octet()
        .body(&b"hello worle"[..])
        .send()
        .await;
    assert_eq!((res.status, res.header("location")), (460, None));
    assert_eq!(upload_files(&srv), 1);
}

#[tokio::test]
async fn creation_expect_100_continue() {
    // TUS-CWU-EXPECT
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = start().await;
    let mut stream = tokio::net::TcpStream::connect(srv.server.local_addr())
        .await
        .unwrap();
    let head = "POST /files/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n\
                Content-Type: application/offset+octet-stream\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    stream.write_all(b"hello").await.unwrap();
    let res = crate::common::read_response(&mut stream, false).await;
    assert_eq!((res.status, res.header("upload-offset")), (201, Some("5")));
}

#[tokio::test]
async fn defer_length_flow() {
    // TUS-CDL-CREATE, -HEAD, -DECLARE
    let srv = start().await;
    let up = srv.create_with(&[("Upload-Defer-Length", "1")]).await;
    let head = srv.head(&up).await;
    assert_eq!(head.header("upload-defer-length"), Some("1"));
    assert_eq!(head.header("upload-offset"), Some("0"));
    assert_eq!(head.header("upload-length"), None);
    assert_eq!(srv.patch(&up, 0, b"abc").await.status, 204);
    let res = srv
        .request("PATCH", &up)
        .tus()
        .octet()
        .header("Upload-Offset", "3")
        .header("Upload-Length", "5")
        .body(&b"de"[..])
        .send()
        .await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("5")));
    let head = srv.head(&up).await;
    assert_eq!(
        (
            head.header("upload-length"),
            head.header("upload-defer-length")
        ),
        (Some("5"), None)
    );
    assert_eq!(srv.bytes(&up).await, b"abcde");
}

#[tokio::test]
async fn defer_length_rules() {
    // TUS-CDL-DECLARE-EMPTY, -NOCHANGE, -LT-OFFSET, -GT-MAX (413 chosen)
    let srv = start_with(|c| c.tus.max_size = Some(100)).await;
    let declare = |up: String, offset: &'static str, length: &'static str| {
        srv.request("PATCH", &up)
            .tus()
            .octet()
            .header("Upload-Offset", offset)
            .header("Upload-Length", length)
            .body(&b""[..])
            .send()
    };
    let up = srv.create_with(&[("Upload-Defer-Length", "1")]).await;
    srv.patch(&up, 0, b"abc").await;
    assert_eq!(
        declare(up.clone(), "3", "2").await.status,
        400,
        "below offset"
    );
    assert_eq!(
        declare(up.clone(), "3", "101").await.status,
        413,
        "above max"
    );
    let res = declare(up.clone(), "3", "3").await;
    assert_eq!((res.status, res.header("upload-offset")), (204, Some("3")));
    assert_eq!(srv.head(&up).await.header("upload-length"), Some("3"));
    assert_eq!(
        declare(up.clone(), "3", "3").await.status,
        400,
        "already set, even to the same value"
    );
    let fixed = srv.create(10).await;
    assert_eq!(declare(fixed.clone(), "0", "10").await.status, 400);
    assert_eq!(srv.head(&fixed).await.header("upload-length"), Some("10"));
}

#[tokio::test]
async fn deferred_upload_is_capped_by_max_size() {
    let srv = start_with(|c| c.tus.max_size = Some(4)).await;
    let up = srv.create_with(&[("Upload-Defer-Length", "1")]).await;
    assert_eq!(srv.patch(&up, 0, b"hello").await.status, 413);
    assert_eq!(srv.patch(&up, 0, b"hell").await.status, 204);
}

/// Uploads in the file store (records), for "nothing left behind" checks.
pub fn upload_files(srv: &crate::common::Srv) -> usize {
    let dir = srv.dir.as_ref().unwrap().path().join("tus");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count()
}
