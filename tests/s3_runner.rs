//! The runner against an S3 target: a small S3-ish server on 127.0.0.1 that verifies
//! every SigV4 signature it receives (recomputed with `aws-sigv4` from the request as
//! received; chunk chains and trailers checked link by link) and records what it was
//! sent. The `upspec` binary runs small scenarios against it, which shows each payload
//! mode signed acceptably, each deliberate break refused, the ETag matcher, list
//! captures feeding `each` bodies (a 3-part Complete and a 10,001-element list), and
//! the cleanup after a run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use md5::Md5;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const ACCESS_KEY: &str = "AKIDUPSPECTEST";
const SECRET_KEY: &str = "upspec/test+secret";
const REGION: &str = "eu-test-1";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ------------------------------------------------------------------ the server

#[derive(Clone, Debug)]
struct Logged {
    method: String,
    /// Path and query as received.
    target: String,
    /// `header`, `presigned` or `none`.
    auth: &'static str,
    content_sha256: Option<String>,
    status: u16,
}

#[derive(Default)]
struct Store {
    buckets: BTreeMap<String, Bucket>,
    next_upload: u32,
}

/// Data and its ETag.
type Stored = (Vec<u8>, String);

/// An upload's key and its parts by number.
type Upload = (String, BTreeMap<u32, Stored>);

#[derive(Default)]
struct Bucket {
    objects: BTreeMap<String, Stored>,
    /// By upload id.
    uploads: BTreeMap<String, Upload>,
}

struct Shared {
    store: Mutex<Store>,
    log: Mutex<Vec<Logged>>,
    /// Listings answer this many entries per page, to exercise pagination.
    page: usize,
    /// Answer DeleteBucket with 500, to show cleanup problems are only warnings.
    refuse_bucket_delete: bool,
}

struct Server {
    endpoint: String,
    shared: Arc<Shared>,
}

impl Server {
    fn start(refuse_bucket_delete: bool) -> Server {
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            log: Mutex::new(Vec::new()),
            page: 2,
            refuse_bucket_delete,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        Server { endpoint, shared }
    }

    fn log(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap()
    }
}

fn s3_error(status: StatusCode, code: &str, namespaced: bool) -> Response {
    let xmlns = if namespaced {
        r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#
    } else {
        ""
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Error{xmlns}><Code>{code}</Code><Message>{code}</Message></Error>"#
    );
    (status, body).into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let (auth, verified) = verify(
        parts.method.as_str(),
        &target,
        &query,
        &parts.headers,
        &body,
    );
    let response = match verified {
        Err(Rejection(status, code)) => s3_error(status, code, false),
        Ok(payload) => route(
            &shared,
            parts.method.as_str(),
            parts.uri.path(),
            &query,
            payload,
        ),
    };
    shared.log.lock().unwrap().push(Logged {
        method: parts.method.to_string(),
        target,
        auth,
        content_sha256: header(&parts.headers, "x-amz-content-sha256"),
        status: response.status().as_u16(),
    });
    response
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

// ------------------------------------------------------------------ verification

fn parse_date(text: &str) -> Option<SystemTime> {
    let time = chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ").ok()?;
    let secs = u64::try_from(time.and_utc().timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// The signature `aws-sigv4`, set up for S3, computes for these request parts.
fn aws_signature(
    method: &str,
    uri: &str,
    headers: &[(String, String)],
    content_sha256: &str,
    time: SystemTime,
    presign: Option<Duration>,
) -> String {
    let identity: Identity =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "verifier")
            .into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    match presign {
        None => settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256,
        Some(expires) => {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires);
        }
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = if content_sha256 == "UNSIGNED-PAYLOAD" {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Precomputed(content_sha256.to_owned())
    };
    let request = SignableRequest::new(
        method,
        uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    sign(request, &params).unwrap().into_parts().1
}

/// Whether the request carries an `x-amz-*` header its signature does not cover,
/// which S3 refuses (403 AccessDenied, HeadersNotSigned).
fn unsigned_amz_header(headers: &HeaderMap, signed: &[(String, String)]) -> bool {
    headers.keys().any(|name| {
        name.as_str().starts_with("x-amz-") && !signed.iter().any(|(s, _)| s == name.as_str())
    })
}

/// Why the verifier refused a request: the status and S3 error code to answer.
struct Rejection(StatusCode, &'static str);

type Verified = Result<Vec<u8>, Rejection>;

/// Checks the request's signature; returns how it was authenticated and, when it
/// holds, the payload (decoded from `aws-chunked` when it was chunked).
fn verify(
    method: &str,
    target: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> (&'static str, Verified) {
    let denied = |code| Err(Rejection(StatusCode::FORBIDDEN, code));
    let host = header(headers, "host").unwrap_or_default();
    if let Some(signature) = query.get("X-Amz-Signature") {
        // Recompute from the URL without the X-Amz-* parameters the signer adds.
        let kept: Vec<&str> = target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.starts_with("X-Amz-"))
            .collect();
        let path = target.split('?').next().unwrap_or_default();
        let uri = if kept.is_empty() {
            format!("http://{host}{path}")
        } else {
            format!("http://{host}{path}?{}", kept.join("&"))
        };
        let (Some(time), Some(expires)) = (
            query.get("X-Amz-Date").and_then(|d| parse_date(d)),
            query.get("X-Amz-Expires").and_then(|e| e.parse().ok()),
        ) else {
            return ("presigned", denied("AuthorizationQueryParametersError"));
        };
        let credential = query.get("X-Amz-Credential").cloned().unwrap_or_default();
        if !credential.starts_with(&format!("{ACCESS_KEY}/")) {
            return ("presigned", denied("InvalidAccessKeyId"));
        }
        let signed: Vec<(String, String)> = query
            .get("X-Amz-SignedHeaders")
            .map(|names| names.split(';').collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|name| Some((name.to_owned(), header(headers, name)?)))
            .collect();
        let expected = aws_signature(
            method,
            &uri,
            &signed,
            "UNSIGNED-PAYLOAD",
            time,
            Some(Duration::from_secs(expires)),
        );
        if &expected != signature {
            return ("presigned", denied("SignatureDoesNotMatch"));
        }
        if unsigned_amz_header(headers, &signed) {
            return ("presigned", denied("AccessDenied"));
        }
        if SystemTime::now() > time + Duration::from_secs(expires) {
            return ("presigned", denied("AccessDenied"));
        }
        return ("presigned", Ok(body.to_vec()));
    }
    let Some(authorization) = header(headers, "authorization") else {
        return ("none", denied("AccessDenied"));
    };
    let field = |name: &str| {
        authorization
            .split([' ', ','])
            .find_map(|part| part.strip_prefix(name))
            .map(str::to_owned)
    };
    let (Some(credential), Some(signed_headers), Some(signature)) = (
        field("Credential="),
        field("SignedHeaders="),
        field("Signature="),
    ) else {
        return ("header", denied("AuthorizationHeaderMalformed"));
    };
    if !credential.starts_with(&format!("{ACCESS_KEY}/")) || !credential.contains(REGION) {
        return ("header", denied("InvalidAccessKeyId"));
    }
    let Some(time) = header(headers, "x-amz-date").and_then(|d| parse_date(&d)) else {
        return ("header", denied("AccessDenied"));
    };
    let content = header(headers, "x-amz-content-sha256").unwrap_or_default();
    let signed: Vec<(String, String)> = signed_headers
        .split(';')
        .filter_map(|name| Some((name.to_owned(), header(headers, name)?)))
        .collect();
    let uri = format!("http://{host}{target}");
    let seed = aws_signature(method, &uri, &signed, &content, time, None);
    if seed != signature {
        return ("header", denied("SignatureDoesNotMatch"));
    }
    if unsigned_amz_header(headers, &signed) {
        return ("header", denied("AccessDenied"));
    }
    let date_time = header(headers, "x-amz-date").unwrap_or_default();
    let payload = match content.as_str() {
        "UNSIGNED-PAYLOAD" => Ok(body.to_vec()),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        | "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => {
            let signed_chunks = content.starts_with("STREAMING-AWS4");
            decode_chunked(
                body,
                headers,
                signed_chunks.then_some((&seed, time, &date_time)),
            )
        }
        hex => {
            if sha256_hex(body) == hex {
                Ok(body.to_vec())
            } else {
                Err(Rejection(
                    StatusCode::BAD_REQUEST,
                    "XAmzContentSHA256Mismatch",
                ))
            }
        }
    };
    ("header", payload)
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Decodes an `aws-chunked` body, checking each chunk signature against the chain
/// from the seed (when signed), the trailer signature, the trailer checksum and the
/// decoded length.
fn decode_chunked(
    body: &[u8],
    headers: &HeaderMap,
    signed: Option<(&String, SystemTime, &String)>,
) -> Verified {
    let mismatch = || Err(Rejection(StatusCode::FORBIDDEN, "SignatureDoesNotMatch"));
    let malformed = || Err(Rejection(StatusCode::BAD_REQUEST, "IncompleteBody"));
    if header(headers, "content-encoding").as_deref() != Some("aws-chunked") {
        return malformed();
    }
    let key =
        v4::generate_signing_key(SECRET_KEY, signed.map_or(UNIX_EPOCH, |s| s.1), REGION, "s3");
    let scope =
        signed.map(|(_, _, date_time)| format!("{}/{REGION}/s3/aws4_request", &date_time[..8]));
    let sign_string = |kind: &str, previous: &str, hash: &str| {
        let (_, _, date_time) = signed.unwrap();
        let string = format!(
            "AWS4-HMAC-SHA256-{kind}\n{date_time}\n{}\n{previous}\n{hash}",
            scope.as_ref().unwrap()
        );
        v4::calculate_signature(key.as_ref(), string.as_bytes())
    };
    let mut previous = signed.map(|(seed, _, _)| seed.clone()).unwrap_or_default();
    let mut rest = body;
    let mut data = Vec::new();
    let line = |rest: &mut &[u8]| -> Option<String> {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let text = String::from_utf8(rest[..end].to_vec()).ok()?;
        *rest = &rest[end + 2..];
        Some(text)
    };
    loop {
        let Some(head) = line(&mut rest) else {
            return malformed();
        };
        let (size, signature) = match head.split_once(";chunk-signature=") {
            Some((size, signature)) => (size.to_owned(), Some(signature.to_owned())),
            None => (head.clone(), None),
        };
        let Ok(size) = usize::from_str_radix(&size, 16) else {
            return malformed();
        };
        if rest.len() < size {
            return malformed();
        }
        let chunk = &rest[..size];
        rest = &rest[size..];
        if signed.is_some() {
            let expected = sign_string(
                "PAYLOAD",
                &previous,
                &format!("{EMPTY_SHA256}\n{}", sha256_hex(chunk)),
            );
            if signature.as_deref() != Some(expected.as_str()) {
                return mismatch();
            }
            previous = expected;
        }
        data.extend_from_slice(chunk);
        if size == 0 {
            break;
        }
        if !rest.starts_with(b"\r\n") {
            return malformed();
        }
        rest = &rest[2..];
    }
    let mut trailers = Vec::new();
    let mut trailer_signature = None;
    loop {
        let Some(text) = line(&mut rest) else {
            return malformed();
        };
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return malformed();
        };
        if name == "x-amz-trailer-signature" {
            trailer_signature = Some(value.to_owned());
        } else {
            trailers.push((name.to_owned(), value.to_owned()));
        }
    }
    if !rest.is_empty() {
        return malformed();
    }
    let declared = header(headers, "x-amz-trailer");
    if declared.as_deref() != trailers.first().map(|(name, _)| name.as_str()) {
        return malformed();
    }
    if let Some((name, value)) = trailers.first() {
        if signed.is_some() {
            let canonical = format!("{name}:{value}\n");
            let expected = sign_string("TRAILER", &previous, &sha256_hex(canonical.as_bytes()));
            if trailer_signature.as_deref() != Some(expected.as_str()) {
                return mismatch();
            }
        }
        let actual = match name.as_str() {
            "x-amz-checksum-crc32" => crc32fast::hash(&data).to_be_bytes().to_vec(),
            "x-amz-checksum-sha256" => Sha256::digest(&data).to_vec(),
            "x-amz-checksum-sha1" => sha1::Sha1::digest(&data).to_vec(),
            _ => return malformed(),
        };
        if base64::engine::general_purpose::STANDARD.encode(actual) != *value {
            return Err(Rejection(StatusCode::BAD_REQUEST, "BadDigest"));
        }
    }
    if header(headers, "x-amz-decoded-content-length") != Some(data.len().to_string()) {
        return malformed();
    }
    Ok(data)
}

// ------------------------------------------------------------------ S3 behaviour

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/xml")], body).into_response()
}

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    payload: Vec<u8>,
) -> Response {
    // Test helpers: a listing of `n` parts, and a counter of the parts in a Complete body.
    if path == "/_many" {
        let n: u32 = query["n"].parse().unwrap();
        let parts: String = (1..=n)
            .map(|i| format!("<Part><PartNumber>{i}</PartNumber><ETag>\"{i:032x}\"</ETag></Part>"))
            .collect();
        return xml(
            StatusCode::OK,
            format!("<ListPartsResult>{parts}</ListPartsResult>"),
        );
    }
    if path == "/_count" {
        let text = String::from_utf8(payload).unwrap();
        let count = text.matches("<Part>").count();
        let last = text
            .rsplit("<PartNumber>")
            .next()
            .and_then(|tail| tail.split('<').next())
            .unwrap_or_default()
            .to_owned();
        return (
            StatusCode::OK,
            [("x-part-count", count.to_string()), ("x-last-part", last)],
        )
            .into_response();
    }
    let trimmed = path.trim_start_matches('/');
    let (bucket, key) = match trimmed.split_once('/') {
        Some((bucket, key)) => (bucket.to_owned(), percent_decode(key)),
        None => (trimmed.to_owned(), String::new()),
    };
    let mut store = shared.store.lock().unwrap();
    if key.is_empty() {
        return bucket_route(shared, &mut store, method, &bucket, query);
    }
    store.next_upload += 1;
    let next_upload = store.next_upload;
    let Some(b) = store.buckets.get_mut(&bucket) else {
        return s3_error(StatusCode::NOT_FOUND, "NoSuchBucket", true);
    };
    let upload_id = query.get("uploadId").cloned();
    match (method, upload_id) {
        ("POST", None) if query.contains_key("uploads") => {
            let id = format!("upload{next_upload}");
            b.uploads.insert(id.clone(), (key.clone(), BTreeMap::new()));
            xml(
                StatusCode::OK,
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"#
                ),
            )
        }
        (_, Some(id)) if b.uploads.get(&id).is_none_or(|(k, _)| *k != key) => {
            s3_error(StatusCode::NOT_FOUND, "NoSuchUpload", true)
        }
        ("PUT", Some(id)) => {
            let number: u32 = query
                .get("partNumber")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let etag = format!("\"{}\"", md5_hex(&payload));
            b.uploads
                .get_mut(&id)
                .unwrap()
                .1
                .insert(number, (payload, etag.clone()));
            (StatusCode::OK, [("etag", etag)]).into_response()
        }
        ("GET", Some(id)) => {
            let parts: String = b.uploads[&id]
                .1
                .iter()
                .map(|(n, (data, etag))| {
                    format!(
                        "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag><Size>{}</Size></Part>",
                        data.len()
                    )
                })
                .collect();
            xml(
                StatusCode::OK,
                format!(
                    r#"<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><UploadId>{id}</UploadId><IsTruncated>false</IsTruncated>{parts}</ListPartsResult>"#
                ),
            )
        }
        ("DELETE", Some(id)) => {
            b.uploads.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", Some(id)) => {
            let text = String::from_utf8(payload).unwrap_or_default();
            let listed: Vec<(u32, String)> = text
                .split("<Part>")
                .skip(1)
                .map(|part| {
                    let inner = |tag: &str| {
                        part.split(&format!("<{tag}>"))
                            .nth(1)
                            .and_then(|t| t.split(&format!("</{tag}>")).next())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    (inner("PartNumber").parse().unwrap_or(0), inner("ETag"))
                })
                .collect();
            let uploaded = &b.uploads[&id].1;
            let mut data = Vec::new();
            let mut digests = Vec::new();
            let mut previous = 0;
            for (number, etag) in &listed {
                if *number <= previous {
                    return s3_error(StatusCode::BAD_REQUEST, "InvalidPartOrder", false);
                }
                previous = *number;
                match uploaded.get(number) {
                    Some((part, stored)) if stored.trim_matches('"') == etag.trim_matches('"') => {
                        data.extend_from_slice(part);
                        digests.extend_from_slice(&Md5::digest(part));
                    }
                    _ => return s3_error(StatusCode::BAD_REQUEST, "InvalidPart", false),
                }
            }
            if listed.is_empty() {
                return s3_error(StatusCode::BAD_REQUEST, "MalformedXML", false);
            }
            let etag = format!("\"{}-{}\"", md5_hex(&digests), listed.len());
            b.uploads.remove(&id);
            b.objects.insert(key.clone(), (data, etag.clone()));
            xml(
                StatusCode::OK,
                format!(
                    "<CompleteMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
                    etag.replace('"', "&quot;")
                ),
            )
        }
        ("PUT", None) => {
            let etag = format!("\"{}\"", md5_hex(&payload));
            b.objects.insert(key, (payload, etag.clone()));
            (StatusCode::OK, [("etag", etag)]).into_response()
        }
        ("GET", None) => match b.objects.get(&key) {
            Some((data, etag)) => (
                StatusCode::OK,
                [("etag", etag.clone())],
                Body::from(data.clone()),
            )
                .into_response(),
            None => s3_error(StatusCode::NOT_FOUND, "NoSuchKey", false),
        },
        ("DELETE", None) => {
            b.objects.remove(&key);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => s3_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", false),
    }
}

fn bucket_route(
    shared: &Shared,
    store: &mut Store,
    method: &str,
    bucket: &str,
    query: &BTreeMap<String, String>,
) -> Response {
    match method {
        "PUT" => {
            store.buckets.entry(bucket.to_owned()).or_default();
            StatusCode::OK.into_response()
        }
        "DELETE" => match store.buckets.get(bucket) {
            None => s3_error(StatusCode::NOT_FOUND, "NoSuchBucket", false),
            Some(_) if shared.refuse_bucket_delete => {
                s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", false)
            }
            Some(b) if !b.objects.is_empty() || !b.uploads.is_empty() => {
                s3_error(StatusCode::CONFLICT, "BucketNotEmpty", false)
            }
            Some(_) => {
                store.buckets.remove(bucket);
                StatusCode::NO_CONTENT.into_response()
            }
        },
        "GET" => {
            let Some(b) = store.buckets.get(bucket) else {
                return s3_error(StatusCode::NOT_FOUND, "NoSuchBucket", false);
            };
            let prefix = query.get("prefix").cloned().unwrap_or_default();
            if query.contains_key("uploads") {
                let mut uploads: Vec<(&String, &String)> = b
                    .uploads
                    .iter()
                    .map(|(id, (key, _))| (key, id))
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .collect();
                uploads.sort();
                let after = query.get("key-marker").map(|key| {
                    (
                        key.clone(),
                        query.get("upload-id-marker").cloned().unwrap_or_default(),
                    )
                });
                let listed: Vec<_> = uploads
                    .into_iter()
                    .filter(|(key, id)| after.as_ref().is_none_or(|(k, i)| (*key, *id) > (k, i)))
                    .collect();
                let page = &listed[..listed.len().min(shared.page)];
                let truncated = listed.len() > page.len();
                let mut body = format!(
                    "<ListMultipartUploadsResult><Bucket>{bucket}</Bucket><IsTruncated>{truncated}</IsTruncated>"
                );
                if let (true, Some((key, id))) = (truncated, page.last()) {
                    body.push_str(&format!(
                        "<NextKeyMarker>{key}</NextKeyMarker><NextUploadIdMarker>{id}</NextUploadIdMarker>"
                    ));
                }
                for (key, id) in page {
                    body.push_str(&format!(
                        "<Upload><Key>{key}</Key><UploadId>{id}</UploadId></Upload>"
                    ));
                }
                body.push_str("</ListMultipartUploadsResult>");
                return xml(StatusCode::OK, body);
            }
            let after = query.get("continuation-token").cloned().unwrap_or_default();
            let listed: Vec<&String> = b
                .objects
                .keys()
                .filter(|key| key.starts_with(&prefix) && **key > after)
                .collect();
            let page = &listed[..listed.len().min(shared.page)];
            let truncated = listed.len() > page.len();
            let mut body = format!(
                r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>{truncated}</IsTruncated>"#
            );
            if let (true, Some(key)) = (truncated, page.last()) {
                body.push_str(&format!(
                    "<NextContinuationToken>{key}</NextContinuationToken>"
                ));
            }
            for key in page {
                body.push_str(&format!("<Contents><Key>{key}</Key></Contents>"));
            }
            body.push_str("</ListBucketResult>");
            xml(StatusCode::OK, body)
        }
        _ => s3_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", false),
    }
}

// ------------------------------------------------------------------ running upspec

fn specs(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Runs `upspec run` against the server's S3 endpoint, with keys in the environment
/// and nothing else from it.
fn upspec(specs: &Path, server: &Server, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upspec"));
    command
        .arg("run")
        .arg("--specs")
        .arg(specs)
        .args(["--s3-endpoint", &server.endpoint, "--s3-region", REGION])
        .args(["--timeout", "10s", "--test-threads", "2"])
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    for name in [
        "UPSPEC_TARGET",
        "UPSPEC_CONFIG",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(name);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", text(output));
}

/// Every PUT in every payload mode is accepted by the verifying server, and reads
/// back byte for byte; an unsigned request is refused.
const PAYLOAD_MODES: &str = r#"
vars:
  base: "{{s3_endpoint}}/{{bucket}}/{{run_id}}"
scenarios:
  - id: payload-modes
    title: every payload mode is signed the way the server verifies
    level: MUST
    steps:
      - name: signed
        request: { method: PUT, url: "{{base}}/signed", body: { random: 100KiB } }
        expect: { status: 200 }
      - name: unsigned
        request: { method: PUT, url: "{{base}}/unsigned", body: { random: 10KiB }, sigv4: unsigned }
        expect: { status: 200 }
      - name: chunked
        request:
          method: PUT
          url: "{{base}}/chunked"
          body: { random: 100KiB }
          sigv4: { mode: chunked, chunk_size: 8KiB }
        expect: { status: 200 }
      - name: chunked-trailer
        request:
          method: PUT
          url: "{{base}}/chunked-trailer"
          body: { fill: "A", size: 20000 }
          sigv4: { mode: chunked, chunk_size: 8KiB, trailer: crc32 }
        expect: { status: 200 }
      - name: chunked-unsigned
        request:
          method: PUT
          url: "{{base}}/chunked-unsigned"
          body: "hello, chunks"
          sigv4: { mode: chunked-unsigned, chunk_size: 4, trailer: sha256 }
        expect: { status: 200 }
      - name: chunked-empty
        request: { method: PUT, url: "{{base}}/chunked-empty", sigv4: { mode: chunked, trailer: sha1 } }
        expect: { status: 200 }
      - name: presigned
        request: { method: PUT, url: "{{base}}/pre%20signed", body: { random: 1KiB }, sigv4: { mode: presigned, expires: 5m } }
        expect: { status: 200 }
      - request: { method: GET, url: "{{base}}/signed" }
        expect: { status: 200, body: { equals: { sent_by: signed } } }
      - request: { method: GET, url: "{{base}}/unsigned", sigv4: unsigned }
        expect: { status: 200, body: { equals: { sent_by: unsigned } } }
      - request: { method: GET, url: "{{base}}/chunked" }
        expect: { status: 200, body: { equals: { sent_by: chunked } } }
      - request: { method: GET, url: "{{base}}/chunked-trailer" }
        expect: { status: 200, body: { equals: { fill: "A", size: 20000 } } }
      - request: { method: GET, url: "{{base}}/chunked-unsigned" }
        expect: { status: 200, body: { equals: "hello, chunks" } }
      - request: { method: GET, url: "{{base}}/chunked-empty" }
        expect: { status: 200, body: { empty: true } }
      - request: { method: GET, url: "{{base}}/pre%20signed", sigv4: presigned }
        expect: { status: 200, body: { equals: { sent_by: presigned } } }
      - request: { method: GET, url: "{{base}}/signed", sigv4: none }
        expect: { status: 403, body: { xml: { Error/Code: AccessDenied } } }
"#;

/// A tus scenario in the same tree: without --target it is skipped, not failed.
const TUS_ONLY: &str = r#"
scenarios:
  - id: needs-tus
    title: skipped in an S3-only run
    level: MUST
    steps:
      - request: { method: OPTIONS, url: "{{target}}" }
"#;

#[test]
fn each_payload_mode_is_signed_so_a_verifying_server_accepts_it() {
    let server = Server::start(false);
    let dir = specs(&[
        ("s3/modes.yaml", PAYLOAD_MODES),
        ("tus/core/x.yaml", TUS_ONLY),
    ]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 0);
    let out = text(&output);
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("passed [")
                && l.ends_with("s3::modes::payload-modes")),
        "{out}"
    );
    // Without --target, tus is one line with the flag that enables it.
    assert!(
        out.contains(
            "tus: not available on this target, 1 scenario skipped — pass --target to check it"
        ),
        "{out}"
    );
    assert!(!out.contains("tus::core::x::needs-tus"), "{out}");
    let log = server.log();
    let put = |suffix: &str| {
        log.iter()
            .find(|l| l.method == "PUT" && l.target.split('?').next().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no PUT …{suffix} in {log:#?}"))
            .clone()
    };
    let signed = put("/signed");
    assert_eq!(signed.auth, "header");
    assert_eq!(signed.content_sha256.as_ref().map(String::len), Some(64));
    assert_eq!(
        put("/unsigned").content_sha256.as_deref(),
        Some("UNSIGNED-PAYLOAD")
    );
    assert_eq!(
        put("/chunked").content_sha256.as_deref(),
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    );
    assert_eq!(
        put("/chunked-trailer").content_sha256.as_deref(),
        Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    );
    assert_eq!(
        put("/chunked-unsigned").content_sha256.as_deref(),
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    );
    let presigned = put("/pre%20signed");
    assert_eq!(presigned.auth, "presigned");
    assert_eq!(presigned.status, 200);
    assert!(
        log.iter()
            .filter(|l| l.method == "PUT")
            .all(|l| l.status == 200),
        "{log:#?}"
    );
    // The run created its bucket first and removed it (and all it held) at the end.
    assert_eq!(log.first().map(|l| l.method.as_str()), Some("PUT"));
    assert!(server.store().buckets.is_empty(), "{log:#?}");
}

/// Each deliberate break, in each mode it applies to, is refused by the verifier.
const BREAKS: &str = r#"
vars:
  base: "{{s3_endpoint}}/{{bucket}}/{{run_id}}"
scenarios:
  - id: breaks
    title: every deliberately broken signature is refused
    level: MUST
    steps:
      - request: { method: PUT, url: "{{base}}/1", body: hello, sigv4: { mode: signed, break: signature } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/2", body: hello, sigv4: { mode: signed, break: secret } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/3", body: hello, sigv4: { mode: signed, break: date } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/4", body: hello, sigv4: { mode: signed, break: body } }
        expect: { status: 400, body: { xml: { Error/Code: XAmzContentSHA256Mismatch } } }
      - request: { method: PUT, url: "{{base}}/5", body: hello, sigv4: { mode: unsigned, break: signature } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/6", body: hello, sigv4: { mode: unsigned, break: secret } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/7", body: hello, sigv4: { mode: unsigned, break: date } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/8", body: { random: 20KiB }, sigv4: { mode: chunked, chunk_size: 8KiB, break: signature } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/9", body: { random: 20KiB }, sigv4: { mode: chunked, chunk_size: 8KiB, break: secret } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/10", body: { random: 20KiB }, sigv4: { mode: chunked, chunk_size: 8KiB, break: date } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/11", body: { random: 20KiB }, sigv4: { mode: chunked, chunk_size: 8KiB, break: body } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/12", body: { random: 20KiB }, sigv4: { mode: chunked, trailer: crc32, break: body } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/13", body: { random: 20KiB }, sigv4: { mode: chunked-unsigned, trailer: crc32, break: body } }
        expect: { status: 400, body: { xml: { Error/Code: BadDigest } } }
      - request: { method: PUT, url: "{{base}}/14", body: { random: 20KiB }, sigv4: { mode: chunked-unsigned, trailer: crc32, break: signature } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/15", body: hello, sigv4: { mode: presigned, break: signature } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/16", body: hello, sigv4: { mode: presigned, break: secret } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/17", body: hello, sigv4: { mode: presigned, break: date } }
        expect: { status: 403, body: { xml: { Error/Code: SignatureDoesNotMatch } } }
      - request: { method: PUT, url: "{{base}}/18", body: hello, sigv4: { mode: signed, break: access_key } }
        expect: { status: 403, body: { xml: { Error/Code: InvalidAccessKeyId } } }
      - request: { method: PUT, url: "{{base}}/19", body: hello, sigv4: { mode: presigned, break: access_key } }
        expect: { status: 403, body: { xml: { Error/Code: InvalidAccessKeyId } } }
      - request: { method: PUT, url: "{{base}}/20", body: { random: 20KiB }, sigv4: { mode: chunked, break: access_key } }
        expect: { status: 403, body: { xml: { Error/Code: InvalidAccessKeyId } } }
      - request: { method: PUT, url: "{{base}}/21", body: hello, sigv4: { mode: signed, break: header } }
        expect: { status: 403, body: { xml: { Error/Code: AccessDenied } } }
      - request: { method: PUT, url: "{{base}}/22", body: hello, sigv4: { mode: presigned, break: header } }
        expect: { status: 403, body: { xml: { Error/Code: AccessDenied } } }
      - request: { method: PUT, url: "{{base}}/23", body: { random: 20KiB }, sigv4: { mode: chunked, break: header } }
        expect: { status: 403, body: { xml: { Error/Code: AccessDenied } } }
      - request: { method: GET, url: "{{s3_endpoint}}/{{bucket}}?list-type=2&prefix={{run_id}}/" }
        expect:
          status: 200
          body: { xml: { ListBucketResult/Contents: { absent: true } } }
"#;

#[test]
fn every_deliberate_break_is_refused_by_the_verifier() {
    let server = Server::start(false);
    let dir = specs(&[("s3/breaks.yaml", BREAKS)]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 0);
    let log = server.log();
    let puts: Vec<&Logged> = log
        .iter()
        .filter(|l| l.method == "PUT" && l.target.contains("/1"))
        .collect();
    assert!(!puts.is_empty());
    let rejected = log
        .iter()
        .filter(|l| l.method == "PUT" && l.target.matches('/').count() >= 3)
        .filter(|l| l.status == 403 || l.status == 400)
        .count();
    assert_eq!(rejected, 23, "{log:#?}");
}

/// The central multipart flow, as a suite would write it.
const MULTIPART: &str = r#"
vars:
  object: "{{s3_endpoint}}/{{bucket}}/{{run_id}}/assembled"
scenarios:
  - id: complete-with-captured-etags
    title: parts uploaded with their ETags kept complete into the object they make up
    level: MUST
    steps:
      - request: { method: POST, url: "{{object}}?uploads" }
        expect: { status: 200 }
        capture:
          upload_id: { xml: InitiateMultipartUploadResult/UploadId }
      - repeat:
          times: 3
          as: part
          steps:
            - name: part
              request:
                method: PUT
                url: "{{object}}?partNumber={{part}}&uploadId={{upload_id}}"
                body: { random: 64KiB }
              expect: { status: 200, headers: { ETag: { present: true } } }
              capture:
                etags: { header: ETag, append: true }
                last_etag: { header: ETag }
      - request: { method: GET, url: "{{object}}?uploadId={{upload_id}}" }
        expect:
          status: 200
          body:
            xml:
              ListPartsResult/Part[3]/ETag: { etag: "{{last_etag}}" }
              ListPartsResult/Part[4]: { absent: true }
        capture:
          listed: { xml: ListPartsResult/Part/ETag, all: true }
      - request:
          method: POST
          url: "{{object}}?uploadId={{upload_id}}"
          headers: { Content-Type: application/xml }
          body:
            each: etags
            before: "<CompleteMultipartUpload>"
            text: "<Part><PartNumber>{{index}}</PartNumber><ETag>{{item}}</ETag></Part>"
            after: "</CompleteMultipartUpload>"
        expect:
          status: 200
          body: { xml: { CompleteMultipartUploadResult/ETag: { regex: '^"[0-9a-f]{32}-3"$' } } }
      - request: { method: GET, url: "{{object}}" }
        expect: { status: 200, body: { equals: { sent_by: part } } }

  - id: wrong-etag-is-invalid-part
    title: a Complete naming an ETag no part has is refused with InvalidPart
    level: MUST
    steps:
      - request: { method: POST, url: "{{object}}-2?uploads" }
        capture:
          upload_id: { xml: InitiateMultipartUploadResult/UploadId }
      - request: { method: PUT, url: "{{object}}-2?partNumber=1&uploadId={{upload_id}}", body: x }
        expect: { status: 200, headers: { ETag: { etag: 9dd4e461268c8034f5c8564e155c67a6 } } }
      - request:
          method: POST
          url: "{{object}}-2?uploadId={{upload_id}}"
          body: "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"ffffffffffffffffffffffffffffffff\"</ETag></Part></CompleteMultipartUpload>"
        expect: { status: 400, body: { xml: { Error/Code: InvalidPart } } }
      - request: { method: GET, url: "{{object}}-2?uploadId=nope" }
        expect: { status: 404, body: { xml: { Error/Code: NoSuchUpload } } }

  - id: ten-thousand-and-one
    title: a list of 10,001 ETags renders one Complete body
    level: MUST
    steps:
      - request: { method: GET, url: "{{s3_endpoint}}/_many?n=10001" }
        capture:
          etags: { xml: ListPartsResult/Part/ETag, all: true }
      - request:
          method: POST
          url: "{{s3_endpoint}}/_count"
          body:
            each: etags
            before: "<CompleteMultipartUpload>"
            text: "<Part><PartNumber>{{index}}</PartNumber><ETag>{{item}}</ETag></Part>"
            after: "</CompleteMultipartUpload>"
        expect: { status: 200, headers: { x-part-count: "10001", x-last-part: "10001" } }
"#;

/// An ETag expectation that cannot hold, to see the matcher fail and say why.
const ETAG_MISMATCH: &str = r#"
scenarios:
  - id: etag-mismatch
    title: an ETag that differs fails even with quotes ignored
    level: MUST
    steps:
      - request: { method: PUT, url: "{{s3_endpoint}}/{{bucket}}/{{run_id}}/e", body: x }
        expect: { status: 200, headers: { ETag: { etag: "\"0123\"" } } }
"#;

#[test]
fn the_multipart_flow_keeps_etags_in_a_list_and_completes_from_it() {
    let server = Server::start(false);
    let dir = specs(&[("s3/multipart.yaml", MULTIPART)]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 0);
    let log = server.log();
    let completes: Vec<&Logged> = log
        .iter()
        .filter(|l| l.method == "POST" && l.target.contains("uploadId="))
        .collect();
    assert_eq!(completes.len(), 2, "{log:#?}");
    for complete in completes {
        let expected = if complete.target.contains("assembled-2") {
            400
        } else {
            200
        };
        assert_eq!(complete.status, expected, "{complete:?}");
    }

    let dir = specs(&[("s3/etag.yaml", ETAG_MISMATCH)]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 1);
    let out = text(&output);
    assert!(out.contains("header ETag"), "{out}");
    assert!(out.contains("(quotes ignored)"), "{out}");
    assert!(out.contains("9dd4e461268c8034f5c8564e155c67a6"), "{out}");
    // Cleanup does not depend on the verdict.
    assert!(server.store().buckets.is_empty());
}

/// Leaves an open upload (two, one outside the run's prefix), objects with awkward
/// keys, and fails on purpose at the end.
const LEFTOVERS: &str = r#"
vars:
  base: "{{s3_endpoint}}/{{bucket}}/{{run_id}}"
scenarios:
  - id: leaves-things-behind
    title: creates uploads and objects, then fails
    level: MUST
    steps:
      - request: { method: POST, url: "{{base}}/open?uploads" }
        capture:
          upload_id: { xml: InitiateMultipartUploadResult/UploadId }
      - request: { method: PUT, url: "{{base}}/open?partNumber=1&uploadId={{upload_id}}", body: x }
      - request: { method: POST, url: "{{s3_endpoint}}/{{bucket}}/outside-{{run_id}}?uploads" }
      - request: { method: PUT, url: "{{base}}/kept", body: x }
      - request: { method: PUT, url: "{{base}}/dir/a%20b%2Bc", body: x }
      - request: { method: PUT, url: "{{s3_endpoint}}/{{bucket}}/outside-{{run_id}}", body: x }
        expect: { status: 418 }
"#;

#[test]
fn cleanup_removes_what_the_run_created_and_only_that() {
    // A bucket the run creates: everything goes, bucket included.
    let server = Server::start(false);
    let dir = specs(&[("s3/leftovers.yaml", LEFTOVERS)]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 1);
    assert!(server.store().buckets.is_empty(), "{:#?}", server.log());

    // The user's bucket: what the run made goes, the rest and the bucket stay.
    let server = Server::start(false);
    {
        let mut store = server.store();
        let bucket = store.buckets.entry("user-bucket".into()).or_default();
        bucket
            .objects
            .insert("theirs".into(), (b"keep me".to_vec(), "\"e\"".into()));
        bucket
            .uploads
            .insert("theirs-upload".into(), ("theirs".into(), BTreeMap::new()));
    }
    let output = upspec(dir.path(), &server, &["--s3-bucket", "user-bucket"]);
    assert_exit(&output, 1);
    {
        let store = server.store();
        let bucket = &store.buckets["user-bucket"];
        assert_eq!(bucket.objects.keys().collect::<Vec<_>>(), ["theirs"]);
        assert_eq!(bucket.uploads.keys().collect::<Vec<_>>(), ["theirs-upload"]);
    }
    assert!(
        !server
            .log()
            .iter()
            .any(|l| l.method == "PUT" && l.target == "/user-bucket"),
        "a given bucket is not created"
    );

    // Cleanup problems are warnings; the exit code stays the verdict's.
    let server = Server::start(true);
    let dir = specs(&[("s3/ok.yaml", PAYLOAD_MODES)]);
    let output = upspec(dir.path(), &server, &["--exact", "s3::ok::payload-modes"]);
    assert_exit(&output, 0);
    let out = text(&output);
    assert!(
        out.contains("warning: S3 cleanup: cannot delete the bucket upspec-"),
        "{out}"
    );
    assert!(out.contains("500 (InternalError)"), "{out}");
}

#[test]
fn the_listing_sweep_pages_through_uploads_and_objects_under_the_prefix() {
    use upspec::protocol::s3::S3Target;
    use upspec::protocol::s3::cleanup::{RunBucket, clean};
    use upspec::protocol::s3::client::Client;
    use upspec::protocol::s3::sign::Credentials;

    let server = Server::start(false);
    {
        let mut store = server.store();
        let bucket = store.buckets.entry("shared".into()).or_default();
        for i in 0..5 {
            bucket
                .objects
                .insert(format!("run1/o {i}"), (Vec::new(), "\"e\"".into()));
            bucket
                .uploads
                .insert(format!("u{i}"), (format!("run1/k+{i}"), BTreeMap::new()));
        }
        bucket
            .objects
            .insert("run2/o".into(), (Vec::new(), "\"e\"".into()));
        bucket
            .uploads
            .insert("other".into(), ("run2/k".into(), BTreeMap::new()));
    }
    let target = S3Target::new(
        &server.endpoint,
        REGION,
        Some(Credentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            session_token: None,
        }),
    );
    let http = upspec::engine::http_client();
    let client = Client {
        http: &http,
        target: &target,
        timeout: Duration::from_secs(5),
    };
    let run = RunBucket {
        name: "shared".into(),
        created: false,
        prefix: "run1/".into(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let warnings = runtime.block_on(clean(&client, &run));
    assert!(warnings.is_empty(), "{warnings:?}");
    let store = server.store();
    let bucket = &store.buckets["shared"];
    assert_eq!(bucket.objects.keys().collect::<Vec<_>>(), ["run2/o"]);
    assert_eq!(bucket.uploads.keys().collect::<Vec<_>>(), ["other"]);
    let log = server.log();
    let listings = log
        .iter()
        .filter(|l| l.method == "GET" && l.target.contains("uploads"))
        .count();
    assert!(listings >= 3, "five uploads at two a page: {log:#?}");
    assert!(log.iter().all(|l| l.status < 300), "{log:#?}");
}

#[test]
fn sigv4_without_an_s3_target_is_an_evaluation_error() {
    use upspec::assembly::load;
    use upspec::engine::outcome::{FailureKind, Outcome};
    use upspec::engine::{RunContext, run_scenario};
    use upspec::scenario::SpecTree;

    let yaml = r#"
scenarios:
  - id: needs-s3
    title: a sigv4 step
    level: MUST
    steps:
      - request: { method: GET, url: "http://127.0.0.1:9/", sigv4: unsigned }
"#;
    let suite = load(&SpecTree::in_memory([("mine/x.yaml", yaml)])).unwrap();
    let context = RunContext::bare(
        BTreeMap::new(),
        1,
        Duration::from_secs(2),
        Duration::from_secs(2),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(run_scenario(&suite.scenarios[0], &context));
    match result.outcome {
        Outcome::Inconclusive(failure) => match failure.kind {
            FailureKind::Evaluation(message) => {
                assert_eq!(message, "`sigv4` needs an S3 target (--s3-endpoint)")
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert!(result.transcript.is_empty(), "nothing was sent");
}

/// The multipart example of docs/scenario-format.md, run as written.
#[test]
fn the_documented_multipart_flow_passes() {
    let doc = std::fs::read_to_string("docs/scenario-format.md").unwrap();
    let start = doc
        .find("# my-specs/s3/multipart/complete.yaml")
        .expect("the documented multipart example");
    let example = &doc[start..];
    let example = &example[..example.find("```").unwrap()];
    let server = Server::start(false);
    let dir = specs(&[("s3/multipart/complete.yaml", example)]);
    let output = upspec(dir.path(), &server, &[]);
    assert_exit(&output, 0);
    assert!(
        text(&output)
            .lines()
            .any(|l| l.trim_start().starts_with("passed [")
                && l.ends_with("complete-with-captured-etags")),
        "{}",
        text(&output)
    );
    assert!(server.store().buckets.is_empty());
}
