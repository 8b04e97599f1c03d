//! SigV4 for S3, with `aws-sigv4` and S3's settings.
//!
//! S3 differs from other AWS services in three ways that a default signer gets
//! wrong: the canonical URI is the path exactly as sent (encoded once, never
//! re-encoded), it is never normalised (`//`, `..` and `%2F` stay), and every
//! request carries `x-amz-content-sha256`. [`sign_request`] sets all three.
//!
//! `aws-sigv4` (the version this crate's MSRV allows) has no chunk signing, so
//! [`ChunkSigner`] computes the `aws-chunked` chain itself from the crate's own
//! signing-key and HMAC functions, following the AWS "sigv4-streaming" pages.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};

/// The SigV4 service name of S3.
const SERVICE: &str = "s3";

/// `x-amz-content-sha256` of a payload that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` of an `aws-chunked` body with signed chunks.
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// The same, followed by a signed checksum trailer.
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// An `aws-chunked` body with unsigned chunks and a checksum trailer.
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// The SHA-256 of an empty string, part of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An access key pair, with the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Never prints the secret or the token: settings end up in debug output.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Who signs, for which region, and when.
#[derive(Clone, Copy, Debug)]
pub struct SigningScope<'a> {
    pub credentials: &'a Credentials,
    pub region: &'a str,
    pub time: SystemTime,
}

/// Where the signature goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `Authorization`, `x-amz-date` and `x-amz-content-sha256` headers.
    Headers,
    /// A presigned URL: `X-Amz-*` query parameters, valid for `expires`.
    Query { expires: Duration },
}

/// The signature and the timestamp it was made for (the chunk chain needs both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// Lowercase hex.
    pub signature: String,
    /// `yyyymmddThhmmssZ`, as in `x-amz-date`.
    pub date_time: String,
}

/// A request that cannot be signed.
#[derive(Debug)]
pub enum SignError {
    /// A header value that is not visible ASCII cannot go into a canonical request.
    HeaderValue { name: String },
    /// The URL has no host, or `aws-sigv4` refused the request.
    Signer(String),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::HeaderValue { name } => write!(
                f,
                "cannot sign the request: the value of header {name} is not visible ASCII"
            ),
            SignError::Signer(message) => write!(f, "cannot sign the request: {message}"),
        }
    }
}

impl std::error::Error for SignError {}

/// The signing settings S3 needs; see the module documentation for why.
fn s3_settings(placement: Placement) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    match placement {
        Placement::Headers => {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        Placement::Query { expires } => {
            // A presigned URL carries no x-amz-content-sha256: its payload is UNSIGNED-PAYLOAD.
            settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires);
        }
    }
    settings
}

/// Whole seconds: `x-amz-date` has no fraction, and the chunk chain must use exactly
/// the instant the headers were signed for.
pub fn whole_seconds(time: SystemTime) -> SystemTime {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default();
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `yyyymmddThhmmssZ`.
pub fn format_date_time(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Signs `request` in place for S3. Its URI must be exactly what goes on the wire
/// (percent-encoded once). `content_sha256` is the payload hash the canonical request
/// uses: a hex SHA-256, [`UNSIGNED_PAYLOAD`] or one of the streaming constants; with
/// [`Placement::Headers`] it is also sent as `x-amz-content-sha256`. Every header
/// present is signed (except `user-agent`, `authorization`, `x-amzn-trace-id` and
/// `transfer-encoding`), so set them all before signing.
pub fn sign_request(
    request: &mut http::Request<()>,
    content_sha256: &str,
    placement: Placement,
    scope: &SigningScope<'_>,
) -> Result<Signed, SignError> {
    let time = whole_seconds(scope.time);
    let identity: Identity = aws_credential_types::Credentials::new(
        &scope.credentials.access_key_id,
        &scope.credentials.secret_access_key,
        scope.credentials.session_token.clone(),
        None,
        "upspec",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(SERVICE)
        .time(time)
        .settings(s3_settings(placement))
        .build()
        .map_err(|error| SignError::Signer(error.to_string()))?
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            value
                .to_str()
                .map(|value| (name.as_str(), value))
                .map_err(|_| SignError::HeaderValue {
                    name: name.as_str().to_owned(),
                })
        })
        .collect::<Result<_, _>>()?;
    let body = match content_sha256 {
        UNSIGNED_PAYLOAD => SignableBody::UnsignedPayload,
        other => SignableBody::Precomputed(other.to_owned()),
    };
    let uri = request.uri().to_string();
    if request.uri().host().is_none() {
        return Err(SignError::Signer(format!("`{uri}` has no host")));
    }
    let signable = SignableRequest::new(request.method().as_str(), uri, headers.into_iter(), body)
        .map_err(|error| SignError::Signer(error.to_string()))?;
    let (instructions, signature) = sign(signable, &params)
        .map_err(|error| SignError::Signer(error.to_string()))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(Signed {
        signature,
        date_time: format_date_time(time),
    })
}

/// Signs the chunks of an `aws-chunked` body (and its trailer), each signature
/// chaining the previous one from the seed signature of the headers.
#[derive(Clone)]
pub struct ChunkSigner {
    key: Vec<u8>,
    date_time: String,
    /// `yyyymmdd/region/s3/aws4_request`.
    scope: String,
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("date_time", &self.date_time)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// For a request signed by [`sign_request`] with `scope` (the same time).
    pub fn new(scope: &SigningScope<'_>) -> Self {
        let time = whole_seconds(scope.time);
        let date_time = format_date_time(time);
        let key = v4::generate_signing_key(
            &scope.credentials.secret_access_key,
            time,
            scope.region,
            SERVICE,
        )
        .as_ref()
        .to_vec();
        ChunkSigner {
            key,
            scope: format!(
                "{}/{}/{SERVICE}/aws4_request",
                &date_time[..8],
                scope.region
            ),
            date_time,
        }
    }

    /// `AWS4-HMAC-SHA256-PAYLOAD` over the previous signature and this chunk's data.
    pub fn chunk(&self, previous: &str, data: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.date_time,
            self.scope,
            hex::encode(Sha256::digest(data))
        );
        v4::calculate_signature(&self.key, string_to_sign.as_bytes())
    }

    /// `AWS4-HMAC-SHA256-TRAILER` over the previous (final chunk's) signature and the
    /// trailer headers, each written `name:value\n`.
    pub fn trailer(&self, previous: &str, canonical_trailer: &str) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.date_time,
            self.scope,
            hex::encode(Sha256::digest(canonical_trailer.as_bytes()))
        );
        v4::calculate_signature(&self.key, string_to_sign.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example credentials of the AWS SigV4 documentation.
    fn aws_example() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    /// Where and when every AWS S3 SigV4 example signs.
    fn aws_example_scope(credentials: &Credentials) -> SigningScope<'_> {
        SigningScope {
            credentials,
            region: "us-east-1",
            time: may_24_2013(),
        }
    }

    /// 2013-05-24T00:00:00Z, the instant of every AWS S3 SigV4 example.
    fn may_24_2013() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_369_353_600)
    }

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    fn authorization(request: &http::Request<()>) -> &str {
        request.headers()["authorization"].to_str().unwrap()
    }

    /// AWS "Signature Calculations for the Authorization Header: Transferring Payload
    /// in a Single Chunk", example "GET Object".
    #[test]
    fn aws_documentation_get_object() {
        let credentials = aws_example();
        let scope = aws_example_scope(&credentials);
        let mut get = request(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &[("range", "bytes=0-9")],
        );
        let signed = sign_request(&mut get, EMPTY_SHA256, Placement::Headers, &scope).unwrap();
        assert_eq!(
            signed.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(signed.date_time, "20130524T000000Z");
        assert_eq!(
            authorization(&get),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(get.headers()["x-amz-content-sha256"], EMPTY_SHA256);
        assert_eq!(get.headers()["x-amz-date"], "20130524T000000Z");
    }

    /// The same page, example "PUT Object" (a signed payload).
    #[test]
    fn aws_documentation_put_object() {
        let credentials = aws_example();
        let scope = aws_example_scope(&credentials);
        let body_sha256 = hex::encode(Sha256::digest(b"Welcome to Amazon S3."));
        assert_eq!(
            body_sha256,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let mut put = request(
            "PUT",
            "https://examplebucket.s3.amazonaws.com/test%24file.text",
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
        );
        let signed = sign_request(&mut put, &body_sha256, Placement::Headers, &scope).unwrap();
        assert_eq!(
            signed.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    /// AWS "Authenticating Requests: Using Query Parameters", the presigned GET example.
    #[test]
    fn aws_documentation_presigned_get() {
        let credentials = aws_example();
        let scope = aws_example_scope(&credentials);
        let mut get = request(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &[],
        );
        let signed = sign_request(
            &mut get,
            UNSIGNED_PAYLOAD,
            Placement::Query {
                expires: Duration::from_secs(86_400),
            },
            &scope,
        )
        .unwrap();
        assert_eq!(
            signed.signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        let query = get.uri().query().unwrap();
        assert!(query.contains("X-Amz-Expires=86400"), "{query}");
        assert!(
            query.contains(
                "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            ),
            "{query}"
        );
        assert!(!get.headers().contains_key("authorization"));
    }

    /// AWS "Signature Calculations for the Authorization Header: Transferring Payload in
    /// Multiple Chunks": 66560 bytes of `a` in 64 KiB chunks.
    #[test]
    fn aws_documentation_chunked_upload() {
        let credentials = aws_example();
        let scope = aws_example_scope(&credentials);
        let mut put = request(
            "PUT",
            "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
            &[
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("content-length", "66824"),
            ],
        );
        let seed = sign_request(&mut put, STREAMING_SIGNED, Placement::Headers, &scope).unwrap();
        assert_eq!(
            seed.signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        let chunks = ChunkSigner::new(&scope);
        let data = vec![b'a'; 66_560];
        let first = chunks.chunk(&seed.signature, &data[..65_536]);
        assert_eq!(
            first,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let second = chunks.chunk(&first, &data[65_536..]);
        assert_eq!(
            second,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let last = chunks.chunk(&second, b"");
        assert_eq!(
            last,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    /// A key needing every kind of escaping, with an encoded upload id: computed with
    /// botocore 1.43.11 (`S3SigV4Auth`), which must agree byte for byte. A signer that
    /// double-encodes (the `aws-sigv4` default) gives a different signature.
    #[test]
    fn awkward_keys_match_botocore() {
        let credentials = aws_example();
        let scope = aws_example_scope(&credentials);
        let uri = "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc%25~%3D%26.txt?partNumber=1&uploadId=abc%2Fdef";
        let mut signed_payload = request("PUT", uri, &[("content-length", "5")]);
        let body_sha256 = hex::encode(Sha256::digest(b"hello"));
        let signed = sign_request(
            &mut signed_payload,
            &body_sha256,
            Placement::Headers,
            &scope,
        )
        .unwrap();
        assert_eq!(signed.signature, BOTOCORE_SIGNED);
        let mut unsigned = request("PUT", uri, &[("content-length", "5")]);
        let signed =
            sign_request(&mut unsigned, UNSIGNED_PAYLOAD, Placement::Headers, &scope).unwrap();
        assert_eq!(signed.signature, BOTOCORE_UNSIGNED);
    }

    const BOTOCORE_SIGNED: &str =
        "c5c0db04f8611178e90945b389ee871b9e0b67f04e3a21f95c6c9a05c583d944";
    const BOTOCORE_UNSIGNED: &str =
        "e04373cc342311011b6d1db0a5d1190523c484ab93aa413f93204f42ac888cfa";

    #[test]
    fn session_tokens_are_signed_and_secrets_never_printed() {
        let credentials = Credentials {
            session_token: Some("FwoGZXIvYXdzEXAMPLE".into()),
            ..aws_example()
        };
        let scope = SigningScope {
            credentials: &credentials,
            region: "eu-west-1",
            time: may_24_2013(),
        };
        let mut get = request("GET", "http://127.0.0.1:9000/b/k", &[]);
        sign_request(&mut get, EMPTY_SHA256, Placement::Headers, &scope).unwrap();
        assert_eq!(get.headers()["x-amz-security-token"], "FwoGZXIvYXdzEXAMPLE");
        assert!(authorization(&get).contains("x-amz-security-token"));
        assert!(authorization(&get).contains("/eu-west-1/s3/aws4_request"));
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("wJalr") && !shown.contains("FwoGZ"),
            "{shown}"
        );
    }
}
