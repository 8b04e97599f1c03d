//! Each interop version's flows, structured fields, limits, dual-protocol
//! dispatch and bad input.

use super::client::*;

const VERSIONS: [u8; 3] = [6, 8, 9];

#[tokio::test]
async fn rufh_cre_104_incomplete_creation_announces_then_201() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(false)
            .body(b"hello".to_vec())
            .send(&srv)
            .await;
        assert_eq!(res.interim.len(), 1, "v{v}: {res:?}");
        let interim = &res.interim[0];
        assert_eq!(interim.status, 104);
        let location = interim.header("location").expect("104 Location");
        assert!(location.starts_with(BASE), "{location}");
        assert_eq!(
            interim.header("upload-draft-interop-version"),
            Some(&*v.to_string())
        );
        assert!(interim.has("upload-limit"));
        // RUFH-CRE-INCOMPLETE, RUFH-CRE-LOC-SAME
        assert_eq!(res.status, 201);
        assert_eq!(res.header("location"), Some(location));
        assert_eq!(res.header("upload-complete"), Some("?0"));
        assert_eq!(res.header("upload-offset"), Some("5"));
        assert!(res.has("upload-limit"));
        assert!(!res.has("tus-resumable"), "no tus field leaks");
    }
}

#[tokio::test]
async fn rufh_cre_complete_is_the_target_resources_201() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(true)
            .body(b"whole".to_vec())
            .send(&srv)
            .await;
        assert_eq!(res.interim.len(), 1);
        assert_eq!(res.status, 201, "{res:?}");
        assert_eq!(res.header("upload-complete"), Some("?1"));
        let upload = res.header("location").unwrap().to_owned();
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.status, 204);
        assert_eq!(state.header("upload-offset"), Some("5"));
        assert_eq!(state.header("upload-complete"), Some("?1"));
        assert_eq!(state.header("upload-length"), Some("5"));
        let get = req("GET", &upload, v).send(&srv).await;
        assert_eq!(get.status, 200);
        assert_eq!(get.body, b"whole");
    }
}

#[tokio::test]
async fn rufh_cre_empty_creations() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"", &[]).await;
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.header("upload-offset"), Some("0"));
        assert_eq!(state.header("upload-complete"), Some("?0"));
        assert!(!state.has("upload-length"));
        let res = req("POST", BASE, v)
            .complete(true)
            .body(Vec::new())
            .send(&srv)
            .await;
        assert_eq!(res.status, 201);
        assert_eq!(res.header("upload-complete"), Some("?1"));
    }
}

#[tokio::test]
async fn rufh_head_reports_every_field() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abcd", &[("Upload-Length", "10")]).await;
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.status, 204);
        assert_eq!(state.header("upload-offset"), Some("4"));
        assert_eq!(state.header("upload-complete"), Some("?0"));
        assert_eq!(state.header("upload-length"), Some("10")); // RUFH-CRE-RECORD-LEN
        assert_eq!(
            state.header("upload-limit"),
            Some("max-size=1073741824, min-size=0")
        );
        assert_eq!(state.header("cache-control"), Some("no-store"));
        assert!(!state.has("tus-resumable"));
    }
}

#[tokio::test]
async fn rufh_app_flows_per_version() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abc", &[]).await;
        let res = append(&srv, v, &upload, 3, false, b"def").await;
        // D-05: 201 for an incomplete append; later drafts: 2xx, 204 here.
        assert_eq!(res.status, if v == 6 { 201 } else { 204 }, "v{v}: {res:?}");
        assert_eq!(res.header("upload-complete"), Some("?0"));
        assert_eq!(res.header("upload-offset"), Some("6"));
        assert!(res.interim.is_empty(), "no 104 for appends");
        let res = append(&srv, v, &upload, 6, true, b"g").await;
        assert_eq!(res.status, 201);
        assert_eq!(res.header("upload-complete"), Some("?1"));
        let get = req("GET", &upload, v).send(&srv).await;
        assert_eq!(get.body, b"abcdefg");
    }
}

#[tokio::test]
async fn rufh_app_empty_append_completes() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abc", &[]).await;
        let res = append(&srv, v, &upload, 3, true, b"").await;
        assert_eq!(res.status, 201);
        assert_eq!(
            head(&srv, v, &upload).await.header("upload-complete"),
            Some("?1")
        );
    }
}

#[tokio::test]
async fn rufh_app_409_reports_offset_and_problem() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abc", &[]).await;
        let res = append(&srv, v, &upload, 5, false, b"xyz").await;
        assert_eq!(res.status, 409);
        assert_eq!(res.header("upload-offset"), Some("3"));
        assert_eq!(res.header("upload-complete"), Some("?0"));
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        let problem: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        assert_eq!(
            problem["type"],
            "https://iana.org/assignments/http-problem-types#mismatching-upload-offset"
        );
        assert_eq!(problem["expected-offset"], 3);
        assert_eq!(problem["provided-offset"], 5);
        // RUFH-APP-409-NOMOD
        assert_eq!(
            head(&srv, v, &upload).await.header("upload-offset"),
            Some("3")
        );
    }
}

#[tokio::test]
async fn rufh_app_exceed_stops_at_length_and_invalidates_from_v8() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abcde", &[("Upload-Length", "10")]).await;
        let res = append(&srv, v, &upload, 5, false, b"0123456789").await;
        assert_eq!(res.status, 400, "v{v}: {res:?}");
        assert!(res.text().contains("inconsistent-upload-length"));
        let state = head(&srv, v, &upload).await;
        if v == 6 {
            // D-05: stop at the final size, the upload stays usable.
            assert_eq!(state.status, 204);
            assert_eq!(state.header("upload-offset"), Some("10"));
        } else {
            assert_eq!(state.status, 410, "invalidated: {state:?}");
            let again = append(&srv, v, &upload, 10, true, b"").await;
            assert_eq!(again.status, 410);
        }
    }
}

#[tokio::test]
async fn rufh_app_exceed_chunked_is_caught_too() {
    let srv = start().await;
    let upload = create(&srv, 9, b"abcde", &[("Upload-Length", "6")]).await;
    let res = req("PATCH", &upload, 9)
        .partial()
        .offset(5)
        .complete(false)
        .chunked()
        .body(b"0123".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(head(&srv, 9, &upload).await.status, 410);
}

#[tokio::test]
async fn rufh_cre_len_mismatch_is_400_inconsistent_length() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(true)
            .header("Upload-Length", "10")
            .body(b"0123456789a".to_vec())
            .send(&srv)
            .await;
        assert_eq!(res.status, 400);
        assert!(res.interim.is_empty(), "refused before the upload is made");
        assert!(res.text().contains("inconsistent-upload-length"));
    }
}

#[tokio::test]
async fn rufh_app_len_change_and_len_cl_are_refused() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abcde", &[("Upload-Length", "10")]).await;
        let res = req("PATCH", &upload, v)
            .partial()
            .offset(5)
            .complete(false)
            .header("Upload-Length", "12")
            .body(b"x".to_vec())
            .send(&srv)
            .await;
        assert_eq!(res.status, 400, "RUFH-APP-LEN-CHANGE");
        let res = append(&srv, v, &upload, 5, true, b"xyz").await;
        assert_eq!(res.status, 400, "RUFH-APP-LEN-CL");
        // D-05: the offset of an active upload on failures too.
        assert_eq!(res.header("upload-offset"), (v == 6).then_some("5"));
        assert_eq!(
            head(&srv, v, &upload).await.header("upload-offset"),
            Some("5")
        );
    }
}

#[tokio::test]
async fn rufh_app_on_complete_per_version() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(true)
            .body(b"abc".to_vec())
            .send(&srv)
            .await;
        let upload = res.header("location").unwrap().to_owned();
        let with_bytes = append(&srv, v, &upload, 3, false, b"more").await;
        assert_eq!(with_bytes.status, 400, "v{v}");
        let empty = append(&srv, v, &upload, 3, true, b"").await;
        match v {
            6 => assert_eq!(empty.status, 400),
            8 => assert_eq!(empty.status, 410),
            _ => {
                // Interop 9 replays the final response.
                assert_eq!(empty.status, 201);
                assert_eq!(empty.header("upload-complete"), Some("?1"));
            }
        }
        let state = head(&srv, v, &upload).await;
        assert_eq!(state.header("upload-offset"), Some("3"), "unchanged");
    }
}

#[tokio::test]
async fn rufh_del_cancels() {
    let srv = start().await;
    for v in VERSIONS {
        let upload = create(&srv, v, b"abc", &[]).await;
        let res = req("DELETE", &upload, v).send(&srv).await;
        assert_eq!(res.status, 204);
        assert_eq!(head(&srv, v, &upload).await.status, 404);
        assert_eq!(req("DELETE", &upload, v).send(&srv).await.status, 404);
    }
}

#[tokio::test]
async fn rufh_lim_options_per_version() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("OPTIONS", BASE, v).send(&srv).await;
        assert!(res.status == 204 || res.status == 200);
        assert_eq!(
            res.header("upload-limit"),
            Some("max-size=1073741824, min-size=0")
        );
        assert_eq!(
            res.header("accept-patch"),
            (v == 8).then_some("application/partial-upload")
        );
        assert!(!res.has("tus-version") && !res.has("tus-resumable"));
        let star = req("OPTIONS", "*", v).send(&srv).await;
        assert!(star.has("upload-limit"));
    }
    // Without limits, min-size=0 still.
    let srv = start_with(|c| c.ietf.max_size = None).await;
    let res = req("OPTIONS", BASE, 9).send(&srv).await;
    assert_eq!(res.header("upload-limit"), Some("min-size=0"));
}

#[tokio::test]
async fn rufh_lim_413_carries_the_limits() {
    let srv = start_with(|c| {
        c.ietf.max_size = Some(10);
        c.ietf.max_append_size = Some(4);
    })
    .await;
    let res = req("POST", BASE, 9)
        .complete(false)
        .header("Upload-Length", "11")
        .body(Vec::new())
        .send(&srv)
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(
        res.header("upload-limit"),
        Some("max-size=10, min-size=0, max-append-size=4")
    );
    let upload = create(&srv, 8, b"ab", &[]).await;
    let res = append(&srv, 8, &upload, 2, false, b"12345").await;
    assert_eq!(res.status, 413);
    assert!(res.has("upload-limit"));
    assert_eq!(
        head(&srv, 8, &upload).await.header("upload-offset"),
        Some("2")
    );
}

#[tokio::test]
async fn rufh_cre_interrupt_keeps_prefix_and_length_from_content_length() {
    let srv = start().await;
    for v in VERSIONS {
        let res = req("POST", BASE, v)
            .complete(true)
            .body(b"0123".to_vec())
            .cut_at(11)
            .await_interim()
            .send(&srv)
            .await;
        let upload = res.interim[0].header("location").unwrap().to_owned();
        let state = head(&srv, v, &upload).await;
        assert_eq!(
            state.header("upload-offset"),
            Some("4"),
            "RUFH-CRE-INTERRUPT"
        );
        assert_eq!(state.header("upload-complete"), Some("?0"));
        assert_eq!(
            state.header("upload-length"),
            Some("11"),
            "RUFH-CRE-LEN-FROM-CL"
        );
        // Resume and finish.
        let res = append(&srv, v, &upload, 4, true, b"456789a").await;
        assert_eq!(res.status, 201, "{res:?}");
    }
}

#[tokio::test]
async fn rufh_app_interrupt_keeps_prefix() {
    let srv = start().await;
    let upload = create(&srv, 9, b"ab", &[]).await;
    req("PATCH", &upload, 9)
        .partial()
        .offset(2)
        .complete(false)
        .body(b"cdef".to_vec())
        .cut_at(100)
        .send(&srv)
        .await;
    let state = head(&srv, 9, &upload).await;
    assert_eq!(state.header("upload-offset"), Some("6"));
    assert_eq!(state.header("upload-complete"), Some("?0"));
}

#[tokio::test]
async fn rufh_conc_head_ends_a_stalled_append_and_its_offset_is_usable() {
    let srv = start().await;
    let upload = create(&srv, 9, b"ab", &[]).await;
    // An append whose body stalls after 3 of 10 bytes.
    let mut stalled = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let head_bytes = format!(
        "PATCH {upload} HTTP/1.1\r\nHost: t\r\nUpload-Draft-Interop-Version: 9\r\n\
         Content-Type: application/partial-upload\r\nUpload-Offset: 2\r\n\
         Upload-Complete: ?0\r\nContent-Length: 10\r\n\r\ncde"
    );
    tokio::io::AsyncWriteExt::write_all(&mut stalled, head_bytes.as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let state = head(&srv, 9, &upload).await;
    assert_eq!(state.status, 204);
    assert_eq!(state.header("upload-offset"), Some("5"));
    let res = append(&srv, 9, &upload, 5, true, b"fg").await;
    assert_eq!(res.status, 201, "{res:?}");
    let get = req("GET", &upload, 9).send(&srv).await;
    assert_eq!(get.body, b"abcdefg");
}

#[tokio::test]
async fn rufh_sf_invalid_fields_count_as_absent() {
    let srv = start().await;
    // RUFH-SF-COMPLETE-BAD: not a boolean, so not a resumable upload: no 104.
    let res = req("POST", BASE, 9)
        .header("Upload-Complete", "true")
        .body(b"abc".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 400);
    assert!(res.interim.is_empty());
    let upload = create(&srv, 9, b"abc", &[]).await;
    let res = req("PATCH", &upload, 9)
        .partial()
        .offset(3)
        .header("Upload-Complete", "1")
        .body(b"d".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 400);
    // RUFH-SF-OFFSET-BAD
    for bad in ["-1", "1.5", "\"3\"", "3, 4"] {
        let res = req("PATCH", &upload, 9)
            .partial()
            .header("Upload-Offset", bad)
            .complete(false)
            .body(b"d".to_vec())
            .send(&srv)
            .await;
        assert_eq!(res.status, 400, "{bad}");
    }
    assert_eq!(
        head(&srv, 9, &upload).await.header("upload-offset"),
        Some("3")
    );
    // RUFH-SF-LENGTH-BAD: ignored, not refused.
    let upload = create(&srv, 9, b"abc", &[("Upload-Length", "abc")]).await;
    assert!(!head(&srv, 9, &upload).await.has("upload-length"));
}

#[tokio::test]
async fn dual_protocol_dispatch() {
    let srv = start().await;
    // A supported version and no Tus-Resumable: the draft.
    let res = req("OPTIONS", BASE, 8).send(&srv).await;
    assert!(res.has("upload-limit") && !res.has("tus-version"));
    // Tus-Resumable wins, whatever else the request says.
    let res = req("OPTIONS", BASE, 8)
        .header("Tus-Resumable", "1.0.0")
        .send(&srv)
        .await;
    assert!(res.has("tus-version") && !res.has("upload-limit"));
    // An unsupported or malformed version is no version: tus answers.
    for v in ["7", "8.0", "\"8\""] {
        let res = raw("POST", BASE)
            .header("Upload-Draft-Interop-Version", v)
            .complete(false)
            .body(Vec::new())
            .send(&srv)
            .await;
        assert!(res.interim.is_empty(), "RUFH-IOP-104-GATE ({v})");
        assert_eq!(res.status, 412, "tus refuses it for want of Tus-Resumable");
        assert!(!res.has("upload-complete") && !res.has("upload-limit"));
    }
    // A tus upload is not a draft upload, nor the other way round.
    let draft = create(&srv, 9, b"abc", &[]).await;
    let res = raw("HEAD", &draft)
        .header("Tus-Resumable", "1.0.0")
        .send(&srv)
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn rufh_disabled_leaves_everything_to_tus() {
    let srv = start_with(|c| c.ietf.enabled = false).await;
    let res = req("OPTIONS", BASE, 9).send(&srv).await;
    assert!(res.has("tus-version") && !res.has("upload-limit"));
}

#[tokio::test]
async fn bad_input_gets_4xx() {
    let srv = start().await;
    let upload = create(&srv, 9, b"abc", &[]).await;
    let cases = [
        (
            req("PATCH", &upload, 9)
                .offset(3)
                .complete(false)
                .header("Content-Type", "application/offset+octet-stream")
                .body(b"d".to_vec()),
            415,
        ),
        (
            req("PATCH", &upload, 9)
                .offset(3)
                .complete(false)
                .body(b"d".to_vec()),
            415,
        ),
        (
            req("PATCH", &upload, 9)
                .partial()
                .offset(3)
                .body(b"d".to_vec()),
            400,
        ),
        (
            req("PATCH", &upload, 9)
                .partial()
                .complete(false)
                .body(b"d".to_vec()),
            400,
        ),
        (
            req("PATCH", "/files/nosuchupload", 9)
                .partial()
                .offset(0)
                .complete(false)
                .body(Vec::new()),
            404,
        ),
        (
            req("HEAD", "/files/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 9),
            404,
        ),
        (req("PUT", &upload, 9).body(Vec::new()), 405),
        // PUT creates like POST: without Upload-Complete it is refused.
        (req("PUT", BASE, 9).body(Vec::new()), 400),
        (req("POST", BASE, 9).body(b"abc".to_vec()), 400),
        (
            req("POST", BASE, 9)
                .complete(false)
                .header("Transfer-Encoding", "gzip")
                .chunked()
                .body(b"x".to_vec()),
            501,
        ),
        (req("GET", "/elsewhere", 9), 404),
    ];
    for (request, expected) in cases {
        let res = request.send(&srv).await;
        assert_eq!(res.status, expected, "{res:?}");
        assert!(!res.has("tus-resumable"));
    }
    // Interop 6 refuses state fields where they do not belong.
    let res = req("HEAD", &upload, 6).offset(3).send(&srv).await;
    assert_eq!(res.status, 400);
    let res = req("DELETE", &upload, 6).complete(true).send(&srv).await;
    assert_eq!(res.status, 400);
    let res = req("POST", BASE, 6)
        .offset(0)
        .complete(false)
        .body(Vec::new())
        .send(&srv)
        .await;
    assert_eq!(res.status, 400);
}
