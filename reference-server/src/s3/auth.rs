//! SigV4 verification: the `Authorization` header, presigned URLs, and the
//! seed that aws-chunked bodies chain their chunk signatures from.
//!
//! The expected signature is not computed by hand: the received request is
//! rebuilt from its own parts (method, the path and query as sent, exactly
//! the headers it lists in `SignedHeaders`, its date and its declared
//! payload hash) and signed again with `aws-sigv4`, the crate clients sign
//! with, using the S3 settings (path encoded once as sent, no
//! normalisation). The two signatures are compared in constant time.
//!
//! With no key configured, access is anonymous: nothing is verified, but the
//! payload mode is still honoured (a declared SHA-256 is checked, aws-chunked
//! framing is decoded). With keys, every request must be signed by one of
//! them. Whether to verify at all is decided in [`Auth::verify`] alone.
//!
//! The SigV4 faults (`crate::faults`) are decided here too: whether a
//! request without credentials is served ([`Auth::verify`]), whether a
//! signature is compared (`check_signature`), and what the payload mode
//! asks the body pipeline to check ([`payload_mode`], `with_signer`): the
//! body's SHA-256, the chunk signatures, the checksum trailer.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::request::Parts;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::Digest as _;
use subtle::ConstantTimeEq;

use super::clock;
use super::config::S3Config;
use super::error::S3Error;
use super::policy::Policy;
use crate::faults::Faults;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// SHA-256 of no bytes, which chunk signatures include.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// How far `x-amz-date` may be from the server's clock (AWS: 15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// Longest presigned validity AWS allows: 7 days.
pub const MAX_EXPIRES: u64 = 604_800;
const SERVICE: &str = "s3";
/// `x-amz-*` headers a presigned request may carry unsigned: aws-sigv4, the
/// AWS SDKs' signer, leaves them out of presigned signatures on purpose.
const PRESIGN_UNSIGNED: [&str; 2] = ["x-amz-user-agent", "x-amz-checksum-mode"];
/// The presigning parameters, which are not part of the canonical query
/// as sent (aws-sigv4 adds them back itself).
const PRESIGN_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
];

/// The configured keys and region.
pub struct Auth {
    keys: HashMap<String, String>,
    region: String,
    /// The SigV4 faults are decided here (see `crate::faults`).
    policy: Policy,
}

/// What a verified request may do with its body.
#[derive(Debug)]
pub struct Verified {
    /// The access key id that signed, `None` when anonymous.
    pub principal: Option<String>,
    pub payload: Payload,
}

/// How the body must be checked, from `x-amz-content-sha256`.
#[derive(Debug, Clone)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD`, a presigned URL, or no header while anonymous.
    Unsigned,
    /// The lowercase hex SHA-256 the body must have.
    Sha256(String),
    /// An aws-chunked body.
    Chunked(Chunked),
}

#[derive(Debug, Clone)]
pub struct Chunked {
    /// Verifies chunk (and trailer) signatures; `None` for
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` and when anonymous.
    pub signer: Option<ChunkSigner>,
    /// Trailing headers follow the last chunk.
    pub trailer: bool,
    /// Chunks carry signatures (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD*`).
    pub signed: bool,
    /// A checksum trailer is compared with the bytes (always, unless
    /// `Fault::AwsChunkedTrailerNotChecked`).
    pub check_trailer: bool,
}

/// What chunk signatures are computed from: the signing key, the request's
/// date and scope, and the seed (the request's own signature).
#[derive(Clone)]
pub struct ChunkSigner {
    key: Vec<u8>,
    date_time: String,
    scope: String,
    pub seed: String,
    pub access_key_id: String,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("scope", &self.scope)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// The signature of a chunk whose data hashes to `chunk_sha256` (hex),
    /// chained from `previous`.
    pub fn chunk(&self, previous: &str, chunk_sha256: &str) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256}",
            self.date_time, self.scope
        );
        v4::calculate_signature(&self.key, sts.as_bytes())
    }

    /// The signature of the trailing headers, given in canonical form
    /// (`name:value\n`, sorted by name).
    pub fn trailer(&self, previous: &str, canonical: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.date_time,
            self.scope,
            hex::encode(sha2::Sha256::digest(canonical))
        );
        v4::calculate_signature(&self.key, sts.as_bytes())
    }

    /// Constant-time comparison of a received signature with an expected
    /// one, mapped to the S3 error.
    pub fn check(&self, expected: &str, provided: &str) -> Result<(), S3Error> {
        if same(expected, provided) {
            Ok(())
        } else {
            Err(S3Error::SignatureDoesNotMatch {
                access_key_id: self.access_key_id.clone(),
                provided: provided.to_owned(),
            })
        }
    }
}

/// `Credential=AK/20130524/us-east-1/s3/aws4_request`.
struct Credential {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
}

impl Credential {
    fn parse(text: &str) -> Option<Self> {
        // The access key id cannot hold '/', so the last four are the scope.
        let mut fields = text.rsplitn(5, '/');
        let terminator = fields.next()?.to_owned();
        let service = fields.next()?.to_owned();
        let region = fields.next()?.to_owned();
        let date = fields.next()?.to_owned();
        let access_key_id = fields.next()?.to_owned();
        (!access_key_id.is_empty()).then_some(Self {
            access_key_id,
            date,
            region,
            service,
            terminator,
        })
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// The parsed `Authorization` header.
struct Authorization {
    credential: Credential,
    signed_headers: Vec<String>,
    signature: String,
}

fn parse_authorization(value: &str) -> Result<Authorization, S3Error> {
    let malformed = |what: &str| S3Error::AuthorizationHeaderMalformed(what.to_owned());
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or_else(unsupported_mechanism)?;
    if !rest.starts_with(' ') {
        return Err(malformed("expected 'AWS4-HMAC-SHA256 Credential=...'"));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for field in rest.split(',') {
        let (name, value) = field
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("a component is not name=value"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return Err(malformed("unknown component")),
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(malformed("a component appears twice"));
        }
    }
    let credential = credential
        .as_deref()
        .and_then(Credential::parse)
        .ok_or_else(|| malformed("the Credential is missing or malformed"))?;
    let signed_headers = signed
        .ok_or_else(|| malformed("SignedHeaders is missing"))?
        .split(';')
        .map(str::to_owned)
        .collect();
    let signature = signature.ok_or_else(|| malformed("Signature is missing"))?;
    Ok(Authorization {
        credential,
        signed_headers,
        signature,
    })
}

/// SigV2 (header or query) and anything else that is not SigV4: AWS's
/// answer in regions without SigV2.
fn unsupported_mechanism() -> S3Error {
    S3Error::InvalidRequest(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            .into(),
    )
}

/// The payload mode a `x-amz-content-sha256` value declares: how the
/// body must be checked (less under the payload faults).
pub fn payload_mode(value: &str, policy: Policy) -> Result<Payload, S3Error> {
    let chunked = |trailer, signed| {
        Payload::Chunked(Chunked {
            signer: None,
            trailer,
            signed,
            check_trailer: policy.checks_chunked_trailer(),
        })
    };
    match value {
        UNSIGNED => Ok(Payload::Unsigned),
        STREAMING_SIGNED => Ok(chunked(false, true)),
        STREAMING_SIGNED_TRAILER => Ok(chunked(true, true)),
        STREAMING_UNSIGNED_TRAILER => Ok(chunked(true, false)),
        v if v.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") => Err(
            S3Error::NotImplemented("SigV4a (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD)".into()),
        ),
        // The fault: the declared hash is signed but the body never hashed.
        v if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(if !policy.checks_payload_hash() {
                Payload::Unsigned
            } else {
                Payload::Sha256(v.to_ascii_lowercase())
            })
        }
        _ => Err(S3Error::invalid_argument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.",
            "x-amz-content-sha256",
            value,
        )),
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Query pairs as sent (raw) and decoded.
fn query_pairs(query: &str) -> impl Iterator<Item = (&str, String)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let value = pair.split_once('=').map_or("", |(_, v)| v);
        (name, decode(value))
    })
}

/// Percent-decoding as form decoding does it (`+` is a space), which is
/// also how aws-sigv4 reads the query it canonicalises.
pub fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

fn same(expected: &str, provided: &str) -> bool {
    expected.len() == provided.len() && bool::from(expected.as_bytes().ct_eq(provided.as_bytes()))
}

/// Everything but RFC 3986 unreserved characters and `/`.
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The canonical paths a client may have signed: the path as sent (what
/// aws-sigv4, botocore and the AWS CLI sign), and, when it differs, the
/// path re-encoded the canonical way (for clients that send characters such
/// as `!` or `'` unencoded but sign them encoded).
fn canonical_paths(raw: &str) -> Vec<String> {
    let decoded = percent_decode_str(raw).collect::<Vec<u8>>();
    let reencoded = match String::from_utf8(decoded) {
        Ok(text) => utf8_percent_encode(&text, PATH_SET).to_string(),
        Err(_) => raw.to_owned(),
    };
    if reencoded == raw {
        vec![raw.to_owned()]
    } else {
        vec![raw.to_owned(), reencoded]
    }
}

/// How the signature travels.
enum Location {
    Header,
    Query { expires: Duration },
}

impl Auth {
    pub fn new(config: &S3Config, faults: Faults) -> Self {
        Self {
            keys: config
                .credentials
                .iter()
                .map(|c| (c.access_key_id.clone(), c.secret_access_key.clone()))
                .collect(),
            region: config.region.clone(),
            policy: Policy::new(faults),
        }
    }

    pub fn anonymous(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a request's signature (when keys are configured) and tells
    /// how its body must be checked.
    pub fn verify(&self, parts: &Parts, now: SystemTime) -> Result<Verified, S3Error> {
        let query = parts.uri.query().unwrap_or_default();
        let presigned = query_pairs(query).any(|(name, _)| name == "X-Amz-Algorithm");
        let authorization = header(parts, "authorization");
        if presigned && authorization.is_some() {
            return Err(S3Error::invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                "Authorization",
                authorization.unwrap_or_default(),
            ));
        }
        let sigv2_query = query_pairs(query).any(|(name, _)| name == "AWSAccessKeyId");
        // Without the fault, a request without credentials is refused below.
        let uncredentialed = authorization.is_none() && !presigned && !sigv2_query;
        if self.anonymous() || (uncredentialed && !self.policy.refuses_anonymous()) {
            let payload = match header(parts, "x-amz-content-sha256") {
                Some(value) => payload_mode(value, self.policy)?,
                None => Payload::Unsigned,
            };
            return Ok(Verified {
                principal: None,
                payload,
            });
        }
        match (authorization, presigned) {
            (Some(value), _) => self.verify_header(parts, value, now),
            (None, true) => self.verify_presigned(parts, now),
            (None, false) if sigv2_query => Err(unsupported_mechanism()),
            (None, false) => Err(S3Error::AccessDenied("Access Denied".into())),
        }
    }

    fn secret(&self, access_key_id: &str) -> Result<&str, S3Error> {
        self.keys
            .get(access_key_id)
            .map(String::as_str)
            .ok_or_else(|| S3Error::InvalidAccessKeyId {
                access_key_id: access_key_id.to_owned(),
            })
    }

    /// The scope must name the request's date, this server's region, S3.
    fn check_scope(
        &self,
        credential: &Credential,
        date_time: &str,
        error: fn(String) -> S3Error,
    ) -> Result<(), S3Error> {
        if credential.date != date_time[..8] {
            return Err(error(format!(
                "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
                credential.date,
                &date_time[..8]
            )));
        }
        if credential.region != self.region {
            return Err(error(format!(
                "the region '{}' is wrong; expecting '{}'",
                credential.region, self.region
            )));
        }
        if credential.service != SERVICE {
            return Err(error(format!(
                "Credential should be scoped to correct service: '{SERVICE}'."
            )));
        }
        if credential.terminator != "aws4_request" {
            return Err(error(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '"
                    .to_owned()
                    + &credential.terminator
                    + "'.",
            ));
        }
        Ok(())
    }

    fn verify_header(
        &self,
        parts: &Parts,
        value: &str,
        now: SystemTime,
    ) -> Result<Verified, S3Error> {
        let auth = parse_authorization(value)?;
        let access_key_id = auth.credential.access_key_id.clone();
        let secret = self.secret(&access_key_id)?;
        let bad_date = || {
            S3Error::AccessDenied(
                "AWS authentication requires a valid Date or x-amz-date header".into(),
            )
        };
        let date_time = header(parts, "x-amz-date").ok_or_else(bad_date)?;
        let time = clock::parse_amz_date(date_time).ok_or_else(bad_date)?;
        self.check_scope(
            &auth.credential,
            date_time,
            S3Error::AuthorizationHeaderMalformed,
        )?;
        let skew = now.duration_since(time).unwrap_or_else(|e| e.duration());
        if skew > MAX_SKEW {
            return Err(S3Error::RequestTimeTooSkewed {
                request_time: date_time.to_owned(),
                server_time: clock::amz_date(now),
            });
        }
        let content = header(parts, "x-amz-content-sha256").ok_or_else(|| {
            S3Error::InvalidRequest(
                "Missing required header for this request: x-amz-content-sha256".into(),
            )
        })?;
        let payload = payload_mode(content, self.policy)?;
        if !auth.signed_headers.iter().any(|h| h == "host") {
            return Err(S3Error::AuthorizationHeaderMalformed(
                "SignedHeaders must include host".into(),
            ));
        }
        self.check_amz_signed(parts, &auth.signed_headers, &[])?;
        self.check_signature(
            parts,
            &auth.signed_headers,
            time,
            &access_key_id,
            secret,
            content,
            Location::Header,
            &auth.signature,
        )?;
        Ok(Verified {
            payload: self.with_signer(payload, secret, time, &auth.credential, &auth.signature),
            principal: Some(access_key_id),
        })
    }

    fn verify_presigned(&self, parts: &Parts, now: SystemTime) -> Result<Verified, S3Error> {
        let query = parts.uri.query().unwrap_or_default();
        let param = |name: &str| query_pairs(query).find(|(n, _)| *n == name).map(|(_, v)| v);
        let missing = || {
            S3Error::AuthorizationQueryParametersError(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into(),
            )
        };
        let algorithm = param("X-Amz-Algorithm").ok_or_else(missing)?;
        if algorithm != ALGORITHM {
            return Err(S3Error::AuthorizationQueryParametersError(
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".into(),
            ));
        }
        let credential = param("X-Amz-Credential").ok_or_else(missing)?;
        let date_time = param("X-Amz-Date").ok_or_else(missing)?;
        let expires = param("X-Amz-Expires").ok_or_else(missing)?;
        let signed = param("X-Amz-SignedHeaders").ok_or_else(missing)?;
        let signature = param("X-Amz-Signature").ok_or_else(missing)?;
        let credential = Credential::parse(&credential).ok_or_else(|| {
            S3Error::AuthorizationQueryParametersError(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".".into(),
            )
        })?;
        let time = clock::parse_amz_date(&date_time).ok_or_else(|| {
            S3Error::AuthorizationQueryParametersError(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".into(),
            )
        })?;
        let expires: u64 = expires
            .parse()
            .ok()
            .filter(|e| *e <= MAX_EXPIRES && !expires.starts_with('+'))
            .ok_or_else(|| {
                S3Error::AuthorizationQueryParametersError(
                    "X-Amz-Expires must be a non-negative integer of at most 604800 seconds (a week)".into(),
                )
            })?;
        let secret = self.secret(&credential.access_key_id)?;
        self.check_scope(
            &credential,
            &date_time,
            S3Error::AuthorizationQueryParametersError,
        )?;
        if time > now + MAX_SKEW {
            return Err(S3Error::AccessDenied("Request is not valid yet".into()));
        }
        if now > time + Duration::from_secs(expires) {
            return Err(S3Error::AccessDenied("Request has expired".into()));
        }
        let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
        if !signed_headers.iter().any(|h| h == "host") {
            return Err(S3Error::AuthorizationQueryParametersError(
                "X-Amz-SignedHeaders must include host".into(),
            ));
        }
        self.check_amz_signed(parts, &signed_headers, &PRESIGN_UNSIGNED)?;
        // The payload of a presigned request is unsigned unless the client
        // signed an x-amz-content-sha256 header.
        let content = header(parts, "x-amz-content-sha256")
            .filter(|_| signed_headers.iter().any(|h| h == "x-amz-content-sha256"))
            .unwrap_or(UNSIGNED)
            .to_owned();
        let payload = payload_mode(&content, self.policy)?;
        self.check_signature(
            parts,
            &signed_headers,
            time,
            &credential.access_key_id,
            secret,
            &content,
            Location::Query {
                expires: Duration::from_secs(expires),
            },
            &signature,
        )?;
        Ok(Verified {
            payload: self.with_signer(payload, secret, time, &credential, &signature),
            principal: Some(credential.access_key_id),
        })
    }

    /// Every `x-amz-*` header the request carries must be signed (but
    /// `exempt`): AWS's SigV4 documentation says "Any x-amz-* headers that
    /// you plan to include in your request must also be added" to the
    /// canonical headers, and S3 refuses a request with one that is not
    /// (403 AccessDenied, `HeadersNotSigned`). Otherwise anyone on the path
    /// could add metadata, checksums or conditions to a signed request.
    fn check_amz_signed(
        &self,
        parts: &Parts,
        signed_headers: &[String],
        exempt: &[&str],
    ) -> Result<(), S3Error> {
        if !self.policy.requires_signed_amz_headers() {
            return Ok(());
        }
        let unsigned: Vec<String> = parts
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.starts_with("x-amz-") && !exempt.contains(name))
            .filter(|name| !signed_headers.iter().any(|signed| signed == name))
            .map(str::to_owned)
            .collect();
        if unsigned.is_empty() {
            Ok(())
        } else {
            Err(S3Error::HeadersNotSigned(unsigned))
        }
    }

    fn with_signer(
        &self,
        payload: Payload,
        secret: &str,
        time: SystemTime,
        credential: &Credential,
        seed: &str,
    ) -> Payload {
        match payload {
            // The seed is the verified signature; without the fault, every
            // chunk's signature is chained from it.
            Payload::Chunked(Chunked {
                trailer,
                signed: true,
                check_trailer,
                ..
            }) if self.policy.verifies_chunk_signatures() => Payload::Chunked(Chunked {
                trailer,
                signed: true,
                check_trailer,
                signer: Some(ChunkSigner {
                    key: v4::generate_signing_key(secret, time, &credential.region, SERVICE)
                        .as_ref()
                        .to_vec(),
                    date_time: clock::amz_date(time),
                    scope: credential.scope(),
                    seed: seed.to_owned(),
                    access_key_id: credential.access_key_id.clone(),
                }),
            }),
            other => other,
        }
    }

    /// Recomputes the signature for each canonical path candidate and
    /// compares it with the provided one. `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
    /// requests carry no chunk signatures, so their seed is unused.
    #[allow(clippy::too_many_arguments)]
    fn check_signature(
        &self,
        parts: &Parts,
        signed_headers: &[String],
        time: SystemTime,
        access_key_id: &str,
        secret: &str,
        payload_hash: &str,
        location: Location,
        provided: &str,
    ) -> Result<(), S3Error> {
        let verified = match location {
            Location::Header => self.policy.verifies_header_signature(),
            Location::Query { .. } => self.policy.verifies_presigned_signature(),
        };
        // Under the fault, the access key was looked up, the scope and date
        // checked; the signature itself is not compared.
        if !verified {
            return Ok(());
        }
        let mismatch = || S3Error::SignatureDoesNotMatch {
            access_key_id: access_key_id.to_owned(),
            provided: provided.to_owned(),
        };
        let mut headers: Vec<(&str, &str)> = Vec::new();
        for name in signed_headers {
            let mut found = false;
            for value in parts.headers.get_all(name.as_str()) {
                headers.push((name.as_str(), value.to_str().map_err(|_| mismatch())?));
                found = true;
            }
            if !found {
                return Err(mismatch());
            }
        }
        let query = parts.uri.query().unwrap_or_default();
        let query: String = match location {
            Location::Header => query.to_owned(),
            Location::Query { .. } => query
                .split('&')
                .filter(|pair| {
                    let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
                    !pair.is_empty() && !PRESIGN_PARAMS.contains(&name)
                })
                .collect::<Vec<_>>()
                .join("&"),
        };
        let identity: Identity =
            Credentials::new(access_key_id, secret, None, None, "upspec-reference-server").into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::NoHeader;
        settings.excluded_headers = None;
        if let Location::Query { expires } = location {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires);
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|_| mismatch())?
            .into();
        let wanted_headers = signed_headers.join(";");
        for path in canonical_paths(parts.uri.path()) {
            let uri = if query.is_empty() {
                path
            } else {
                format!("{path}?{query}")
            };
            let request = SignableRequest::new(
                parts.method.as_str(),
                uri,
                headers.iter().copied(),
                SignableBody::Precomputed(payload_hash.to_owned()),
            )
            .map_err(|_| mismatch())?;
            let output = sign(request, &params).map_err(|_| mismatch())?;
            // aws-sigv4 always signs x-amz-date in header mode; a request
            // that did not cannot be reproduced, so it cannot match.
            let signed_as = output
                .output()
                .headers()
                .find(|(name, _)| *name == "authorization")
                .and_then(|(_, value)| value.split("SignedHeaders=").nth(1))
                .map(|rest| rest.split(',').next().unwrap_or_default().to_owned())
                .or_else(|| {
                    output
                        .output()
                        .params()
                        .iter()
                        .find(|(name, _)| *name == "X-Amz-SignedHeaders")
                        .map(|(_, value)| value.to_string())
                });
            if signed_as.as_deref() == Some(wanted_headers.as_str())
                && same(output.signature(), provided)
            {
                return Ok(());
            }
        }
        Err(mismatch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Fault;
    use crate::s3::config::S3Credential;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn auth() -> Auth {
        auth_with(Faults::NONE)
    }

    fn auth_with(faults: Faults) -> Auth {
        Auth::new(
            &S3Config {
                credentials: vec![S3Credential::new(AK, SK)],
                ..S3Config::default()
            },
            faults,
        )
    }

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn at(date: &str) -> SystemTime {
        clock::parse_amz_date(date).unwrap()
    }

    /// AWS "Example: GET Object" (sig-v4-header-based-auth), the §4.2 vector.
    #[test]
    fn aws_get_object_vector() {
        let request = parts(
            "GET",
            "/test.txt",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                ),
            ],
        );
        let verified = auth().verify(&request, at("20130524T000100Z")).unwrap();
        assert_eq!(verified.principal.as_deref(), Some(AK));
        assert!(matches!(verified.payload, Payload::Sha256(ref h) if h == EMPTY_SHA256));
        // One changed header value breaks it.
        let mut tampered = request;
        tampered
            .headers
            .insert("range", "bytes=0-10".parse().unwrap());
        assert!(matches!(
            auth().verify(&tampered, at("20130524T000100Z")),
            Err(S3Error::SignatureDoesNotMatch { .. })
        ));
    }

    /// AWS sigv4-streaming example: seed and chunk signatures.
    #[test]
    fn aws_chunked_vector() {
        let request = parts(
            "PUT",
            "/examplebucket/chunkObject.txt",
            &[
                ("host", "s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
                ),
                ("x-amz-content-sha256", STREAMING_SIGNED),
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("content-length", "66824"),
            ],
        );
        let verified = auth().verify(&request, at("20130524T000000Z")).unwrap();
        let Payload::Chunked(Chunked {
            signer: Some(signer),
            trailer: false,
            signed: true,
            ..
        }) = verified.payload
        else {
            panic!("not chunked: {verified:?}");
        };
        let hash = |data: &[u8]| hex::encode(sha2::Sha256::digest(data));
        let first = signer.chunk(&signer.seed, &hash(&[b'a'; 65536]));
        assert_eq!(
            first,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let second = signer.chunk(&first, &hash(&[b'a'; 1024]));
        assert_eq!(
            second,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let last = signer.chunk(&second, EMPTY_SHA256);
        assert_eq!(
            last,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    /// Requirements §4.2: a key with characters every encoder treats
    /// differently, signed by botocore's `S3SigV4Auth` (1.44.5).
    #[test]
    fn botocore_special_key_vector() {
        let request = parts(
            "PUT",
            "/dir/a%20b%2Bc%25~%3D%26.txt?partNumber=1&uploadId=abc%2Fdef",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                (
                    "x-amz-content-sha256",
                    "07d2bcd686ac253c81801ed4b0fa3c435b763ff4cd440f9178b1c0695c4f3007",
                ),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=e36657fc6f96dfb12a1b9d055979b90a7c3c79f62ac15457e1682056e3e2658c",
                ),
            ],
        );
        auth().verify(&request, at("20130524T000000Z")).unwrap();
    }

    #[test]
    fn rejections() {
        let base = |auth_value: &str, date: &str| {
            parts(
                "GET",
                "/b/k",
                &[
                    ("host", "h"),
                    ("x-amz-date", date),
                    ("x-amz-content-sha256", UNSIGNED),
                    ("authorization", auth_value),
                ],
            )
        };
        let now = at("20130524T000000Z");
        let good_scope = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00";
        type Case<'a> = (&'a str, &'a str, fn(&S3Error) -> bool);
        let cases: [Case; 7] = [
            (good_scope, "20130524T000000Z", |e| {
                matches!(e, S3Error::SignatureDoesNotMatch { .. })
            }),
            (
                "AWS4-HMAC-SHA256 Credential=NOPE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00",
                "20130524T000000Z",
                |e| matches!(e, S3Error::InvalidAccessKeyId { .. }),
            ),
            (good_scope, "20130523T230000Z", |e| {
                matches!(e, S3Error::AuthorizationHeaderMalformed(_))
            }),
            (
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request,SignedHeaders=host,Signature=00",
                "20130524T000000Z",
                |e| matches!(e, S3Error::AuthorizationHeaderMalformed(_)),
            ),
            ("AWS AKIAIOSFODNN7EXAMPLE:abc", "20130524T000000Z", |e| {
                matches!(e, S3Error::InvalidRequest(_))
            }),
            ("AWS4-HMAC-SHA256 garbage", "20130524T000000Z", |e| {
                matches!(e, S3Error::AuthorizationHeaderMalformed(_))
            }),
            (good_scope, "not-a-date", |e| {
                matches!(e, S3Error::AccessDenied(_))
            }),
        ];
        for (value, date, expected) in cases {
            let err = auth().verify(&base(value, date), now).unwrap_err();
            assert!(expected(&err), "{value} {date}: {err:?}");
        }
        let stale = auth()
            .verify(
                &base(good_scope, "20130524T000000Z"),
                now + Duration::from_secs(16 * 60),
            )
            .unwrap_err();
        assert!(matches!(stale, S3Error::RequestTimeTooSkewed { .. }));
        let none = parts("GET", "/b/k", &[("host", "h")]);
        assert!(matches!(
            auth().verify(&none, now),
            Err(S3Error::AccessDenied(_))
        ));
    }

    /// The SigV4 faults waive the comparison, never the key lookup.
    #[test]
    fn faults_waive_what_they_name() {
        let faulty = |fault| auth_with(Faults::new([fault]));
        let now = at("20130524T000000Z");
        let signed = |key: &str| {
            parts(
                "GET",
                "/b/k",
                &[
                    ("host", "h"),
                    ("x-amz-date", "20130524T000000Z"),
                    ("x-amz-content-sha256", EMPTY_SHA256),
                    (
                        "authorization",
                        &format!(
                            "AWS4-HMAC-SHA256 Credential={key}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00"
                        ),
                    ),
                ],
            )
        };
        let lax = faulty(Fault::SignatureNotVerified);
        assert_eq!(
            lax.verify(&signed(AK), now).unwrap().principal.as_deref(),
            Some(AK)
        );
        assert!(matches!(
            lax.verify(&signed("NOPE"), now),
            Err(S3Error::InvalidAccessKeyId { .. })
        ));
        let unhashed = faulty(Fault::PayloadHashNotChecked);
        assert!(matches!(
            unhashed.verify(&signed(AK), now),
            Err(S3Error::SignatureDoesNotMatch { .. })
        ));
        let none = parts("GET", "/b/k", &[("host", "h")]);
        let open = faulty(Fault::AnonymousAccepted);
        assert!(open.verify(&none, now).unwrap().principal.is_none());
        assert!(matches!(
            open.verify(&signed(AK), now),
            Err(S3Error::SignatureDoesNotMatch { .. })
        ));
    }

    #[test]
    fn unsigned_amz_headers_are_refused() {
        let now = at("20130524T000000Z");
        let request = |extra: &[(&str, &str)]| {
            let mut headers = vec![
                ("host", "h"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00",
                ),
            ];
            headers.extend_from_slice(extra);
            parts("GET", "/b/k", &headers)
        };
        let extra = [
            ("x-amz-meta-b", "1"),
            ("x-amz-meta-a", "2"),
            ("x-amzn-trace-id", "t"),
        ];
        match auth().verify(&request(&extra), now) {
            Err(S3Error::HeadersNotSigned(names)) => {
                assert_eq!(names, ["x-amz-meta-b", "x-amz-meta-a"]);
            }
            other => panic!("{other:?}"),
        }
        // The fault lets them through to the signature check.
        assert!(matches!(
            auth_with(Faults::new([Fault::UnsignedHeadersAccepted])).verify(&request(&extra), now),
            Err(S3Error::SignatureDoesNotMatch { .. })
        ));
    }

    #[test]
    fn anonymous_without_keys() {
        let anon = Auth::new(&S3Config::default(), Faults::NONE);
        let request = parts("GET", "/b/k", &[("host", "h")]);
        let verified = anon.verify(&request, SystemTime::now()).unwrap();
        assert!(verified.principal.is_none());
        assert!(matches!(verified.payload, Payload::Unsigned));
    }

    #[test]
    fn credential_and_paths() {
        let c = Credential::parse("AK/20130524/us-east-1/s3/aws4_request").unwrap();
        assert_eq!(c.access_key_id, "AK");
        assert_eq!(c.scope(), "20130524/us-east-1/s3/aws4_request");
        assert!(Credential::parse("20130524/us-east-1/s3/aws4_request").is_none());
        assert_eq!(canonical_paths("/b/a%20b"), ["/b/a%20b"]);
        assert_eq!(canonical_paths("/b/it's"), ["/b/it's", "/b/it%27s"]);
    }
}
