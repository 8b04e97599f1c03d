//! §1.14–1.15: concatenation and concatenation-unfinished.

use upspec_reference_server::Extension;

use crate::common::{BASE, Srv, path_of, start, start_with};

async fn partial(srv: &Srv, len: u64) -> String {
    srv.create_with(&[
        ("Upload-Concat", "partial"),
        ("Upload-Length", &len.to_string()),
    ])
    .await
}

async fn final_of(srv: &Srv, concat: &str) -> crate::common::Response {
    srv.request("POST", BASE)
        .tus()
        .header("Upload-Concat", concat)
        .send()
        .await
}

#[tokio::test]
async fn partial_and_final() {
    // TUS-CAT-PARTIAL, -PARTIAL-HEAD, -FINAL, -FINAL-HEAD, -NOMETA
    let srv = start().await;
    let a = srv
        .create_with(&[
            ("Upload-Concat", "partial"),
            ("Upload-Length", "5"),
            ("Upload-Metadata", "k dg=="),
        ])
        .await;
    let b = partial(&srv, 6).await;
    let head = srv.head(&a).await;
    assert_eq!(
        (head.header("upload-offset"), head.header("upload-concat")),
        (Some("0"), Some("partial"))
    );
    srv.patch(&a, 0, b"hello").await;
    srv.patch(&b, 0, b" world").await;
    // One part by absolute path, one by absolute URL (as Location gave it).
    let sent = format!("final;{} {b}", path_of(&a));
    let res = final_of(&srv, &sent).await;
    assert_eq!(res.status, 201, "{res:?}");
    let f = res.header("location").unwrap().to_owned();
    let head = srv.head(&f).await;
    assert_eq!(head.header("upload-length"), Some("11"));
    assert_eq!(head.header("upload-offset"), Some("11"));
    assert_eq!(head.header("upload-concat"), Some(sent.as_str()));
    assert_eq!(head.header("upload-metadata"), None);
    assert_eq!(srv.bytes(&f).await, b"hello world");
    // The final upload keeps its bytes when a part goes.
    assert_eq!(srv.request("DELETE", &a).tus().send().await.status, 204);
    assert_eq!(srv.bytes(&f).await, b"hello world");
}

#[tokio::test]
async fn head_echoes_upload_concat_as_received() {
    // TUS-CAT-HEAD-ASRECEIVED (P:L655-657): "its value as received", byte
    // for byte, whatever forms the URLs were given in.
    let srv = start().await;
    let a = path_of(&partial(&srv, 5).await).to_owned();
    let b = path_of(&partial(&srv, 6).await).to_owned();
    assert_eq!(srv.head(&a).await.header("upload-concat"), Some("partial"));
    srv.patch(&a, 0, b"hello").await;
    let url_a = format!("http://{}{a}", srv.server.local_addr());
    let relative_a = a.strip_prefix(BASE).unwrap();
    // Each form once, a reused, b unfinished (concatenation-unfinished).
    let sent = format!("final;{url_a} {b} {relative_a}");
    let res = final_of(&srv, &sent).await;
    assert_eq!(res.status, 201, "{res:?}");
    let f = res.header("location").unwrap().to_owned();
    assert_eq!(
        srv.head(&f).await.header("upload-concat"),
        Some(sent.as_str())
    );
    srv.patch(&b, 0, b" world").await;
    let head = srv.head(&f).await;
    assert_eq!(head.header("upload-offset"), Some("16"));
    assert_eq!(head.header("upload-concat"), Some(sent.as_str()));
    assert_eq!(srv.bytes(&f).await, b"hello worldhello");
}

#[tokio::test]
async fn final_cannot_be_patched() {
    // TUS-CAT-FINAL-403, -FINAL-BODY
    let srv = start().await;
    let a = partial(&srv, 1).await;
    srv.patch(&a, 0, b"a").await;
    let f = final_of(&srv, &format!("final;{a}"))
        .await
        .header("location")
        .unwrap()
        .to_owned();
    assert_eq!(srv.patch(&f, 0, b"x").await.status, 403);
    assert_eq!(
        srv.patch(&f, 7, b"x").await.status,
        403,
        "403 wins over 409"
    );
    assert_eq!(srv.bytes(&f).await, b"a");
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Concat", &format!("final;{a}"))
        .octet()
        .body(&b"x"[..])
        .send()
        .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn final_refusals() {
    // TUS-CAT-FINAL-LEN-HDR, -UNFINISHED-NOTADV, -MISSING, -NONPARTIAL, -BADHDR, -SPACE, -MAX
    let srv = start_with(|c| {
        c.tus.max_size = Some(10);
        c.tus.extensions.remove(&Extension::ConcatenationUnfinished);
    })
    .await;
    let a = partial(&srv, 6).await;
    srv.patch(&a, 0, b"abcdef").await;
    let unfinished = partial(&srv, 3).await;
    let plain = srv.create(1).await;
    srv.patch(&plain, 0, b"x").await;
    let deferred = srv
        .create_with(&[("Upload-Concat", "partial"), ("Upload-Defer-Length", "1")])
        .await;
    let missing = "/files/0123456789abcdef0123456789abcdef";
    for concat in [
        format!("final;{unfinished}"),
        format!("final;{missing}"),
        format!("final;{plain}"),
        format!("final;{deferred}"),
        format!("final; {a}"),
        "final;".into(),
        "foo".into(),
        "PARTIAL".into(),
        format!("final;{a}  {a}"),
    ] {
        assert_eq!(final_of(&srv, &concat).await.status, 400, "{concat}");
    }
    let res = srv
        .request("POST", BASE)
        .tus()
        .header("Upload-Concat", &format!("final;{a}"))
        .header("Upload-Length", "6")
        .send()
        .await;
    assert_eq!(res.status, 400, "Upload-Length on a final upload");
    assert_eq!(
        final_of(&srv, &format!("final;{a} {a}")).await.status,
        413,
        "12 > Tus-Max-Size 10"
    );
}

#[tokio::test]
async fn concatenation_work_is_bounded_by_default() {
    // One short Upload-Concat naming a partial many times would make the
    // server write (parts × size) bytes: by default a final upload has at
    // most 100 parts and, like any upload, at most Tus-Max-Size (1 GiB).
    let srv = start().await;
    let max = srv.options().await;
    assert_eq!(max.header("tus-max-size"), Some("1073741824"));
    let one = partial(&srv, 1).await;
    srv.patch(&one, 0, b"x").await;
    let files = crate::creation::upload_files(&srv);
    let res = final_of(
        &srv,
        &format!("final;{}", [one.as_str()].repeat(101).join(" ")),
    )
    .await;
    assert_eq!(res.status, 400, "{res:?}");
    assert!(res.text().contains("at most 100"), "{}", res.text());
    assert_eq!(
        crate::creation::upload_files(&srv),
        files,
        "nothing created"
    );
    let res = final_of(
        &srv,
        &format!("final;{}", [one.as_str()].repeat(100).join(" ")),
    )
    .await;
    assert_eq!(res.status, 201, "{res:?}");
    // 100 parts of 11 MiB (declared, not yet sent) would be 1.07 GiB.
    let big = partial(&srv, 11 * 1024 * 1024).await;
    let res = final_of(
        &srv,
        &format!("final;{}", [big.as_str()].repeat(100).join(" ")),
    )
    .await;
    assert_eq!(res.status, 413, "{res:?}");
}

#[tokio::test]
async fn parts_may_be_reused() {
    // TUS-CAT-REUSE
    let srv = start().await;
    let a = partial(&srv, 2).await;
    srv.patch(&a, 0, b"ab").await;
    let f = final_of(&srv, &format!("final;{a} {a}"))
        .await
        .header("location")
        .unwrap()
        .to_owned();
    assert_eq!(srv.bytes(&f).await, b"abab");
    let g = final_of(&srv, &format!("final;{a}"))
        .await
        .header("location")
        .unwrap()
        .to_owned();
    assert_eq!(srv.bytes(&g).await, b"ab");
}

#[tokio::test]
async fn unfinished_concatenation() {
    // TUS-CATU-CREATE, -HEAD, -LEN, -403, -FINISH
    let srv = start().await;
    let a = partial(&srv, 5).await;
    let b = partial(&srv, 6).await;
    srv.patch(&a, 0, b"he").await;
    let res = final_of(&srv, &format!("final;{a} {b}")).await;
    assert_eq!(res.status, 201);
    let f = res.header("location").unwrap().to_owned();
    let head = srv.head(&f).await;
    assert_eq!(head.header("upload-offset"), None);
    assert_eq!(head.header("upload-length"), Some("11"));
    assert!(head.header("upload-concat").unwrap().starts_with("final;"));
    assert_eq!(srv.patch(&f, 0, b"x").await.status, 403);
    assert_eq!(srv.request("GET", &f).send().await.status, 409);
    srv.patch(&a, 2, b"llo").await;
    srv.patch(&b, 0, b" world").await;
    let head = srv.head(&f).await;
    assert_eq!(
        (head.header("upload-offset"), head.header("upload-length")),
        (Some("11"), Some("11"))
    );
    assert_eq!(srv.bytes(&f).await, b"hello world");
}

#[tokio::test]
async fn unfinished_final_whose_part_is_deleted_is_gone() {
    let srv = start().await;
    let a = partial(&srv, 5).await;
    let f = final_of(&srv, &format!("final;{a}"))
        .await
        .header("location")
        .unwrap()
        .to_owned();
    srv.request("DELETE", &a).tus().send().await;
    assert_eq!(srv.head(&f).await.status, 410);
}
