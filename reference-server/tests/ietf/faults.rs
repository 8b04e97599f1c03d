//! Each IETF fault makes the deviation it names visible on the wire.

use upspec_reference_server::Fault;

use super::client::*;

async fn incomplete_creation(srv: &Srv, v: u8) -> Exchange {
    req("POST", BASE, v)
        .complete(false)
        .body(b"abc".to_vec())
        .send(srv)
        .await
}

#[tokio::test]
async fn interim_faults() {
    let srv = with_fault(Fault::IetfNo104).await;
    assert!(incomplete_creation(&srv, 9).await.interim.is_empty());
    let srv = with_fault(Fault::Ietf104WithoutLocation).await;
    let res = incomplete_creation(&srv, 9).await;
    assert!(!res.interim[0].has("location") && res.has("location"));
    let srv = with_fault(Fault::Ietf104WithoutLimit).await;
    assert!(!incomplete_creation(&srv, 9).await.interim[0].has("upload-limit"));
    let srv = with_fault(Fault::Ietf104WithoutInteropVersion).await;
    let res = incomplete_creation(&srv, 9).await;
    assert!(!res.interim[0].has("upload-draft-interop-version"));
    let srv = with_fault(Fault::IetfLocationDiffers).await;
    let res = incomplete_creation(&srv, 9).await;
    assert_ne!(res.interim[0].header("location"), res.header("location"));
    assert_eq!(res.status, 201);
}

#[tokio::test]
async fn response_field_faults() {
    let srv = with_fault(Fault::IetfNoUploadComplete).await;
    let res = incomplete_creation(&srv, 9).await;
    assert_eq!(res.status, 201);
    assert!(!res.has("upload-complete"));
    let upload = res.header("location").unwrap().to_owned();
    assert!(
        !append(&srv, 9, &upload, 3, false, b"d")
            .await
            .has("upload-complete")
    );

    let srv = with_fault(Fault::IetfOffsetNotSfInteger).await;
    let upload = create(&srv, 9, b"abc", &[]).await;
    assert_eq!(
        head(&srv, 9, &upload).await.header("upload-offset"),
        Some("\"3\"")
    );

    let srv = with_fault(Fault::IetfOptionsWithoutLimit).await;
    assert!(!req("OPTIONS", BASE, 9).send(&srv).await.has("upload-limit"));
}

#[tokio::test]
async fn head_faults() {
    for (fault, field) in [
        (Fault::IetfHeadWithoutLimit, "upload-limit"),
        (Fault::IetfHeadWithoutComplete, "upload-complete"),
        (Fault::IetfHeadWithoutLength, "upload-length"),
        (Fault::IetfHeadCacheable, "cache-control"),
    ] {
        let srv = with_fault(fault).await;
        let upload = create(&srv, 8, b"abc", &[("Upload-Length", "5")]).await;
        let state = head(&srv, 8, &upload).await;
        assert_eq!(state.status, 204);
        assert!(!state.has(field), "{fault}");
    }
}

#[tokio::test]
async fn conflict_faults() {
    for fault in [
        Fault::Ietf409WithoutOffset,
        Fault::Ietf409WithoutUploadComplete,
    ] {
        let srv = with_fault(fault).await;
        let upload = create(&srv, 9, b"abc", &[]).await;
        let res = append(&srv, 9, &upload, 7, false, b"x").await;
        assert_eq!(res.status, 409);
        let field = if fault == Fault::Ietf409WithoutOffset {
            "upload-offset"
        } else {
            "upload-complete"
        };
        assert!(!res.has(field), "{fault}");
    }
    let srv = with_fault(Fault::IetfConflictAppends).await;
    let upload = create(&srv, 9, b"abc", &[]).await;
    assert_eq!(append(&srv, 9, &upload, 7, false, b"xy").await.status, 409);
    assert_eq!(
        head(&srv, 9, &upload).await.header("upload-offset"),
        Some("5")
    );
}

#[tokio::test]
async fn length_faults() {
    let srv = with_fault(Fault::IetfAppendPastLength).await;
    let upload = create(&srv, 9, b"abc", &[("Upload-Length", "4")]).await;
    let res = append(&srv, 9, &upload, 3, false, b"defg").await;
    assert_eq!(res.status, 204);
    assert_eq!(
        head(&srv, 9, &upload).await.header("upload-offset"),
        Some("7")
    );

    let srv = with_fault(Fault::IetfExceededUploadStaysValid).await;
    let upload = create(&srv, 9, b"abc", &[("Upload-Length", "4")]).await;
    assert_eq!(
        append(&srv, 9, &upload, 3, false, b"defg").await.status,
        400
    );
    assert_eq!(head(&srv, 9, &upload).await.status, 204);

    let srv = with_fault(Fault::IetfLengthMismatchAccepted).await;
    let res = req("POST", BASE, 9)
        .complete(true)
        .header("Upload-Length", "10")
        .body(b"0123456789a".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 201);

    let srv = with_fault(Fault::IetfCompletedUploadAppended).await;
    let res = req("POST", BASE, 8)
        .complete(true)
        .body(b"abc".to_vec())
        .send(&srv)
        .await;
    let upload = res.header("location").unwrap().to_owned();
    let res = append(&srv, 8, &upload, 3, false, b"def").await;
    assert!(res.status < 300, "{res:?}");
}

#[tokio::test]
async fn interruption_faults() {
    for fault in [
        Fault::IetfInterruptedDiscards,
        Fault::IetfInterruptedCompletes,
    ] {
        let srv = with_fault(fault).await;
        let res = req("POST", BASE, 9)
            .complete(true)
            .body(b"0123".to_vec())
            .cut_at(11)
            .await_interim()
            .send(&srv)
            .await;
        let upload = res.interim[0].header("location").unwrap().to_owned();
        let state = head(&srv, 9, &upload).await;
        if fault == Fault::IetfInterruptedDiscards {
            assert_eq!(state.header("upload-offset"), Some("0"));
        } else {
            assert_eq!(state.header("upload-complete"), Some("?1"));
        }
    }
}

#[tokio::test]
async fn lenient_fields_and_delete_faults() {
    let srv = with_fault(Fault::IetfLenientFields).await;
    let res = req("POST", BASE, 9)
        .header("Upload-Complete", "false")
        .body(b"abc".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 201, "Upload-Complete: false read as ?0");
    let upload = res.header("location").unwrap().to_owned();
    let res = req("PATCH", &upload, 9)
        .partial()
        .header("Upload-Offset", "\"3\"")
        .complete(false)
        .body(b"d".to_vec())
        .send(&srv)
        .await;
    assert_eq!(res.status, 204);

    let srv = with_fault(Fault::IetfDeleteKeepsUpload).await;
    let upload = create(&srv, 9, b"abc", &[]).await;
    assert_eq!(req("DELETE", &upload, 9).send(&srv).await.status, 204);
    assert_eq!(head(&srv, 9, &upload).await.status, 204);
}

/// ietf-progress-104-with-location puts `Location` on an append's progress
/// heads (RUFH-APP-104-NOLOC); ietf-no-progress-104 sends none
/// (RUFH-APP-104-PROGRESS).
#[tokio::test]
async fn progress_faults() {
    let body = vec![b'x'; 1 << 20];
    let srv = with_fault(Fault::IetfProgress104WithLocation).await;
    let upload = create(&srv, 9, b"", &[]).await;
    let res = append(&srv, 9, &upload, 0, false, &body).await;
    assert!(!res.interim.is_empty());
    assert!(
        res.interim
            .iter()
            .all(|h| h.header("location") == Some(upload.as_str()))
    );
    let srv = with_fault(Fault::IetfNoProgress104).await;
    let upload = create(&srv, 9, b"", &[]).await;
    let res = append(&srv, 9, &upload, 0, false, &body).await;
    assert_eq!(res.status, 204);
    assert!(res.interim.is_empty(), "{:?}", res.interim);
}

#[tokio::test]
async fn version_gate_and_looser_options_faults() {
    let correct = start().await;
    assert!(creation(&correct, 99).await.interim.is_empty());
    let srv = with_fault(Fault::Ietf104ForAnyVersion).await;
    let res = creation(&srv, 99).await;
    assert_eq!(res.interim.len(), 1);
    assert_eq!(res.status, 201);

    let limit = |res: &Exchange| res.header("upload-limit").unwrap_or_default().to_owned();
    let announced = limit(&req("OPTIONS", BASE, 9).send(&correct).await);
    let srv = with_fault(Fault::IetfOptionsLooserLimits).await;
    let looser = limit(&req("OPTIONS", BASE, 9).send(&srv).await);
    assert!(announced.contains("max-size=1073741824"), "{announced}");
    assert!(looser.contains("max-size=2147483648"), "{looser}");
    let created = limit(&creation(&srv, 9).await);
    assert!(created.contains("max-size=1073741824"), "{created}");
}

/// An incomplete creation of 5 bytes carrying 3, at interop `version`.
async fn creation(srv: &Srv, version: u8) -> Exchange {
    req("POST", BASE, version)
        .header("Upload-Complete", "?0")
        .header("Upload-Length", "5")
        .body(b"abc".to_vec())
        .send(srv)
        .await
}
