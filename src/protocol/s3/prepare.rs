//! Signing a prepared request for S3, the way the step's `sigv4:` says (or, for a
//! request to the S3 endpoint without one, with a signed payload), then breaking it
//! on purpose when the step asks: the signature must be refused by a correct server.
//!
//! The signing itself lives in `super::sign`; this module decides what to sign
//! (the payload hash needs a first pass over the regenerable body, never a copy of
//! it) and wraps `aws-chunked` bodies so they are framed as they stream.

use std::time::SystemTime;

use base64::Engine as _;
use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use url::Url;

use std::sync::Arc;

use super::S3Target;
use super::chunked::{self, Encoder, Framing};
use super::sign::{
    self, ChunkSigner, Credentials, Placement, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER, SigningScope, UNSIGNED_PAYLOAD,
};
use super::sigv4::{Sigv4, Sigv4Break, Sigv4Mode, TrailerChecksum};
use crate::engine::body::{self, BodyEncoding, ByteSource, Payload, PayloadReader};
use crate::engine::digest::Hasher;
use crate::engine::request::Prepared;
use crate::engine::scope::EvalError;
use crate::scenario::model::DigestAlgorithm;

/// Signs `prepared` in place when it is an S3 request, and arranges an `aws-chunked`
/// body when the mode asks for one.
pub(crate) fn apply(
    prepared: &mut Prepared,
    sigv4: Option<&Sigv4>,
    target: &S3Target,
    now: SystemTime,
) -> Result<(), EvalError> {
    let mode = match sigv4 {
        Some(sigv4) => sigv4.mode.clone(),
        None if target.covers(&prepared.url) => Sigv4Mode::Signed,
        None => return Ok(()),
    };
    if mode == Sigv4Mode::None {
        return Ok(());
    }
    let Some(credentials) = &target.credentials else {
        if sigv4.is_none() {
            // An anonymous target: requests to it go unsigned.
            return Ok(());
        }
        return Err(EvalError::Invalid(format!(
            "`sigv4: {}` needs S3 keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the config file's `s3:` section)",
            mode.name()
        )));
    };
    let broken = sigv4.and_then(|sigv4| sigv4.broken);
    let wrong;
    let credentials = match broken {
        Some(Sigv4Break::Secret) => {
            wrong = Credentials {
                secret_access_key: format!("{}-not-the-secret", credentials.secret_access_key),
                ..credentials.clone()
            };
            &wrong
        }
        Some(Sigv4Break::AccessKey) => {
            wrong = Credentials {
                access_key_id: unknown_access_key(&credentials.access_key_id).to_owned(),
                ..credentials.clone()
            };
            &wrong
        }
        Some(Sigv4Break::Signature | Sigv4Break::Date | Sigv4Break::Header | Sigv4Break::Body)
        | None => credentials,
    };
    let scope = SigningScope {
        credentials,
        region: &target.region,
        time: now,
    };
    let tamper_body = broken == Some(Sigv4Break::Body);

    let mut framing = None;
    let (content_sha256, placement) = match &mode {
        Sigv4Mode::None => unreachable!("returned above"),
        Sigv4Mode::Signed => (
            payload_sha256(prepared.body.as_ref(), tamper_body),
            Placement::Headers,
        ),
        Sigv4Mode::Unsigned => (UNSIGNED_PAYLOAD.to_owned(), Placement::Headers),
        Sigv4Mode::Presigned { expires } => (
            UNSIGNED_PAYLOAD.to_owned(),
            Placement::Query { expires: *expires },
        ),
        Sigv4Mode::Chunked {
            signed,
            chunk_size,
            trailer,
        } => {
            let body = prepared.body.get_or_insert_with(Payload::default);
            let decoded_len = body.len();
            if tamper_body && decoded_len == 0 {
                return Err(EvalError::Invalid(
                    "`break: body` needs a body with at least one byte to change".into(),
                ));
            }
            let frame = Framing {
                chunk_size: *chunk_size,
                signed: *signed,
                trailer: trailer.map(|checksum| (trailer_header(checksum), trailer_len(checksum))),
            };
            let headers = &mut prepared.headers;
            if !headers.contains_key(CONTENT_ENCODING) {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("aws-chunked"));
            }
            headers.insert(
                HeaderName::from_static("x-amz-decoded-content-length"),
                HeaderValue::from(decoded_len),
            );
            if let Some(checksum) = trailer {
                let name = HeaderValue::from_str(&trailer_header(*checksum))
                    .expect("trailer header names are ASCII");
                headers.insert(HeaderName::from_static("x-amz-trailer"), name);
            }
            headers.insert(
                CONTENT_LENGTH,
                HeaderValue::from(chunked::encoded_len(decoded_len, &frame)),
            );
            let content = match (signed, trailer.is_some()) {
                (true, false) => STREAMING_SIGNED,
                (true, true) => STREAMING_SIGNED_TRAILER,
                (false, _) => STREAMING_UNSIGNED_TRAILER,
            };
            framing = Some((frame, *trailer));
            (content.to_owned(), Placement::Headers)
        }
    };

    let mut request = http::Request::new(());
    *request.method_mut() = prepared.method.clone();
    *request.uri_mut() =
        prepared.url.as_str().parse().map_err(|error| {
            EvalError::Invalid(format!("cannot sign `{}`: {error}", prepared.url))
        })?;
    *request.headers_mut() = prepared.headers.clone();
    let signed = sign::sign_request(&mut request, &content_sha256, placement, &scope)
        .map_err(|error| EvalError::Invalid(error.to_string()))?;
    prepared.headers = request.headers().clone();
    let uri = request.uri().to_string();
    prepared.url = Url::parse(&uri)
        .map_err(|error| EvalError::Invalid(format!("signing produced `{uri}`: {error}")))?;

    if let Some((frame, trailer)) = framing {
        let decoded_len = prepared.body.as_ref().map_or(0, Payload::len);
        prepared.encoding = Some(Arc::new(ChunkedBody {
            encoded_len: chunked::encoded_len(decoded_len, &frame),
            encoder: Encoder::new(frame, Some((ChunkSigner::new(&scope), signed.signature))),
            trailer,
            tamper: tamper_body,
        }));
    }
    match broken {
        Some(Sigv4Break::Signature) => break_signature(prepared)?,
        Some(Sigv4Break::Date) => break_date(prepared, &signed.date_time)?,
        Some(Sigv4Break::Header) => {
            prepared.headers.insert(
                HeaderName::from_static(UNSIGNED_HEADER),
                HeaderValue::from_static("added-after-signing"),
            );
        }
        Some(Sigv4Break::Secret | Sigv4Break::AccessKey | Sigv4Break::Body) | None => {}
    }
    Ok(())
}

/// The header `break: header` adds after signing: an `x-amz-*` header, which S3
/// requires to be signed, and one a server that lets it through would store.
const UNSIGNED_HEADER: &str = "x-amz-meta-upspec-unsigned";

/// An access key id of AWS's form (20 capitals and digits) that is not `configured`.
fn unknown_access_key(configured: &str) -> &'static str {
    const UNKNOWN: [&str; 2] = ["AKIAUPSPECUNKNOWN000", "AKIAUPSPECUNKNOWN001"];
    if configured == UNKNOWN[0] {
        UNKNOWN[1]
    } else {
        UNKNOWN[0]
    }
}

/// Hex SHA-256 of the body, read once from its regenerable description. Tampered:
/// of a body whose first byte differs (one zero byte for an empty body), so the
/// declared hash no longer matches what is sent.
fn payload_sha256(body: Option<&Payload>, tamper: bool) -> String {
    let mut hash = Sha256::new();
    let mut reader = body.map(Payload::reader);
    let mut buf = vec![0; body::CHUNK];
    let mut first = true;
    while let Some(reader) = &mut reader {
        let n = reader.read(&mut buf);
        if n == 0 {
            break;
        }
        if tamper && first {
            buf[0] ^= 0xff;
        }
        first = false;
        hash.update(&buf[..n]);
    }
    if tamper && first {
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

fn trailer_header(checksum: TrailerChecksum) -> String {
    format!("x-amz-checksum-{}", checksum.name())
}

/// Length of the base64 value of each checksum.
fn trailer_len(checksum: TrailerChecksum) -> u64 {
    match checksum {
        TrailerChecksum::Crc32 => 8,
        TrailerChecksum::Sha1 => 28,
        TrailerChecksum::Sha256 => 44,
    }
}

fn trailer_hasher(checksum: TrailerChecksum) -> Hasher {
    Hasher::new(match checksum {
        TrailerChecksum::Crc32 => DigestAlgorithm::Crc32,
        TrailerChecksum::Sha1 => DigestAlgorithm::Sha1,
        TrailerChecksum::Sha256 => DigestAlgorithm::Sha256,
    })
}

/// Changes the last hex digit of the signature, wherever it was put.
fn break_signature(prepared: &mut Prepared) -> Result<(), EvalError> {
    let flip = |signature: &str| {
        let mut flipped = signature.to_owned();
        let last = if flipped.pop() == Some('0') { '1' } else { '0' };
        flipped.push(last);
        flipped
    };
    if let Some(authorization) = prepared.headers.get(reqwest::header::AUTHORIZATION) {
        let text = authorization.to_str().unwrap_or_default();
        if let Some((head, signature)) = text.rsplit_once("Signature=") {
            let value = format!("{head}Signature={}", flip(signature));
            prepared.headers.insert(
                reqwest::header::AUTHORIZATION,
                HeaderValue::from_str(&value).expect("a signed Authorization header is ASCII"),
            );
            return Ok(());
        }
    }
    replace_query_value(&mut prepared.url, "X-Amz-Signature", flip)
}

/// Sends a date one second before the signed one, so the signature no longer
/// covers what the server sees.
fn break_date(prepared: &mut Prepared, signed: &str) -> Result<(), EvalError> {
    let earlier = chrono::NaiveDateTime::parse_from_str(signed, "%Y%m%dT%H%M%SZ")
        .map(|time| {
            (time - chrono::TimeDelta::seconds(1))
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
        .map_err(|error| EvalError::Invalid(format!("cannot shift the date {signed}: {error}")))?;
    let name = HeaderName::from_static("x-amz-date");
    if prepared.headers.contains_key(&name) {
        prepared.headers.insert(
            name,
            HeaderValue::from_str(&earlier).expect("dates are ASCII"),
        );
        return Ok(());
    }
    replace_query_value(&mut prepared.url, "X-Amz-Date", |_| earlier.clone())
}

/// Rewrites one query parameter's (unencoded, ASCII) value, keeping the rest as sent.
fn replace_query_value(
    url: &mut Url,
    name: &str,
    change: impl Fn(&str) -> String,
) -> Result<(), EvalError> {
    let query = url.query().unwrap_or_default();
    let mut found = false;
    let rewritten: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if key == name => {
                found = true;
                format!("{key}={}", change(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    if !found {
        return Err(EvalError::Invalid(format!(
            "the signed request has no {name} to break"
        )));
    }
    url.set_query(Some(&rewritten.join("&")));
    Ok(())
}

/// An `aws-chunked` body: the payload framed chunk by chunk as it is read.
#[derive(Clone, Debug)]
struct ChunkedBody {
    encoder: Encoder,
    trailer: Option<TrailerChecksum>,
    /// Flip the first data byte after it was signed and checksummed.
    tamper: bool,
    encoded_len: u64,
}

impl BodyEncoding for ChunkedBody {
    fn reader(&self, payload: &Payload) -> Box<dyn ByteSource> {
        Box::new(ChunkedReader {
            payload: payload.reader(),
            encoder: self.encoder.clone(),
            hasher: self.trailer.map(trailer_hasher),
            tamper: self.tamper,
            chunk_size: usize::try_from(self.encoder.framing().chunk_size).unwrap_or(usize::MAX),
            data: Vec::new(),
            out: Vec::new(),
            pos: 0,
            finished: false,
        })
    }

    fn encoded_len(&self) -> u64 {
        self.encoded_len
    }

    fn decoded_within(&self, encoded: u64, decoded_len: u64) -> u64 {
        chunked::decoded_within(encoded, decoded_len, self.encoder.framing())
    }
}

/// Produces the encoded bytes of a [`ChunkedBody`], one chunk in memory at a time.
struct ChunkedReader {
    payload: PayloadReader,
    encoder: Encoder,
    hasher: Option<Hasher>,
    tamper: bool,
    chunk_size: usize,
    data: Vec<u8>,
    /// Encoded bytes not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    finished: bool,
}

impl ChunkedReader {
    fn refill(&mut self) {
        self.out.clear();
        self.pos = 0;
        self.data.resize(self.chunk_size, 0);
        let n = self.payload.read(&mut self.data);
        if n == 0 {
            let trailer = self.hasher.take().map(|hasher| {
                base64::engine::general_purpose::STANDARD.encode(hasher.finish_bytes())
            });
            self.encoder.finish(trailer.as_deref(), &mut self.out);
            self.finished = true;
            return;
        }
        let data = &self.data[..n];
        if let Some(hasher) = &mut self.hasher {
            hasher.update(data);
        }
        if self.tamper {
            self.tamper = false;
            let mut sent = data.to_vec();
            sent[0] ^= 0xff;
            self.encoder.chunk(data, &sent, &mut self.out);
        } else {
            self.encoder.chunk(data, data, &mut self.out);
        }
    }
}

impl ByteSource for ChunkedReader {
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut filled = 0;
        while filled < buf.len() {
            if self.pos == self.out.len() {
                if self.finished {
                    break;
                }
                self.refill();
            }
            let n = (buf.len() - filled).min(self.out.len() - self.pos);
            buf[filled..filled + n].copy_from_slice(&self.out[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
        }
        filled
    }
}
