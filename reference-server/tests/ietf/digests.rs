//! Integrity digests (RFC 9530) on the draft's transfers: D-05 §15, D-11
//! §10 (RUFH-DIGEST-CONTENT, RUFH-DIGEST-REPR, RUFH-DIGEST-WANT). The
//! server checks them at every interop version it speaks.

use upspec_reference_server::Fault;

use super::client::*;

/// `sha-256` of "hello" and "world", base64.
const HELLO: &str = "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:";
const WORLD: &str = "sha-256=:SG6kYiTRu0+2gPNPfJrZao8k7Ii+c+qOWmxlJg6cuKc=:";
/// `sha-512` of "hello", base64.
const HELLO_512: &str = "sha-512=:m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==:";

async fn digest_append(
    srv: &Srv,
    v: u8,
    upload: &str,
    offset: u64,
    done: bool,
    body: &[u8],
    digest: &str,
) -> Exchange {
    req("PATCH", upload, v)
        .partial()
        .offset(offset)
        .complete(done)
        .header("Content-Digest", digest)
        .body(body.to_vec())
        .send(srv)
        .await
}

#[tokio::test]
async fn rufh_digest_content_mismatch_appends_nothing_and_keeps_earlier_bytes() {
    let srv = start().await;
    for v in [6, 8, 9] {
        let upload = create(&srv, v, b"ab", &[]).await;
        let res = digest_append(&srv, v, &upload, 2, false, b"hello", WORLD).await;
        assert_eq!(res.status, 400, "interop {v}: {res:?}");
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.header("upload-offset"), Some("2"), "interop {v}");
        // The same bytes with their own digest are taken, after the bytes
        // committed before.
        let res = digest_append(&srv, v, &upload, 2, false, b"hello", HELLO).await;
        assert!((200..300).contains(&res.status), "interop {v}: {res:?}");
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.header("upload-offset"), Some("7"), "interop {v}");
    }
}

#[tokio::test]
async fn rufh_digest_content_on_creation_and_unsupported_algorithms() {
    let srv = start().await;
    let res = req("POST", BASE, 8)
        .complete(false)
        .header("Content-Digest", WORLD)
        .body(b"hello".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 400, "{res:?}");
    let upload = res.interim[0].header("location").unwrap().to_owned();
    assert_eq!(
        head(&srv, 8, &upload).await.header("upload-offset"),
        Some("0")
    );
    // Only sha-256 and sha-512 are checked; other algorithms are ignored.
    let upload = create(&srv, 8, b"hello", &[("Content-Digest", "md5=:AAAA:")]).await;
    assert_eq!(
        head(&srv, 8, &upload).await.header("upload-offset"),
        Some("5")
    );
    let upload = create(&srv, 8, b"hello", &[("Content-Digest", HELLO_512)]).await;
    assert_eq!(
        head(&srv, 8, &upload).await.header("upload-offset"),
        Some("5")
    );
}

#[tokio::test]
async fn rufh_digest_content_cut_body_is_not_kept() {
    let srv = start().await;
    let upload = create(&srv, 8, b"ab", &[]).await;
    let _ = req("PATCH", &upload, 8)
        .partial()
        .offset(2)
        .complete(false)
        .header("Content-Digest", HELLO)
        .body(b"hel".to_vec())
        .cut_at(5)
        .send(&srv)
        .await;
    assert_eq!(
        head(&srv, 8, &upload).await.header("upload-offset"),
        Some("2")
    );
}

#[tokio::test]
async fn rufh_digest_repr_mismatch_fails_the_upload() {
    let srv = start().await;
    for v in [6, 8] {
        let upload = create(&srv, v, b"he", &[("Repr-Digest", WORLD)]).await;
        let res = append(&srv, v, &upload, 2, true, b"llo").await;
        assert_eq!(res.status, 400, "interop {v}: {res:?}");
        assert_eq!(head(&srv, v, &upload).await.status, 410, "interop {v}");
        let upload = create(&srv, v, b"he", &[("Repr-Digest", HELLO)]).await;
        let res = append(&srv, v, &upload, 2, true, b"llo").await;
        assert_eq!(res.status, 201, "interop {v}: {res:?}");
    }
}

#[tokio::test]
async fn rufh_digest_want_gets_repr_digest_on_completion() {
    let srv = start().await;
    let upload = create(&srv, 8, b"he", &[("Want-Repr-Digest", "sha-256=10")]).await;
    let res = append(&srv, 8, &upload, 2, false, b"l").await;
    assert!(!res.has("repr-digest"), "only the completing response");
    let res = append(&srv, 8, &upload, 3, true, b"lo").await;
    assert_eq!(res.header("repr-digest"), Some(HELLO));
    // On the completing request itself, and the preferred algorithm wins.
    let upload = create(&srv, 6, b"he", &[]).await;
    let res = req("PATCH", &upload, 6)
        .partial()
        .offset(2)
        .complete(true)
        .header("Want-Repr-Digest", "sha-256=1, sha-512=5")
        .body(b"llo".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.header("repr-digest"), Some(HELLO_512));
}

#[tokio::test]
async fn digest_faults() {
    let srv = with_fault(Fault::IetfContentDigestIgnored).await;
    let upload = create(&srv, 8, b"", &[]).await;
    let res = digest_append(&srv, 8, &upload, 0, false, b"hello", WORLD).await;
    assert_eq!(res.status, 204);
    let srv = with_fault(Fault::IetfReprDigestIgnored).await;
    let upload = create(&srv, 8, b"", &[("Repr-Digest", WORLD)]).await;
    assert_eq!(
        append(&srv, 8, &upload, 0, true, b"hello").await.status,
        201
    );
    let srv = with_fault(Fault::IetfNoReprDigest).await;
    let upload = create(&srv, 8, b"", &[("Want-Repr-Digest", "sha-256=1")]).await;
    assert!(
        !append(&srv, 8, &upload, 0, true, b"hello")
            .await
            .has("repr-digest")
    );
}
