//! Receiving a request body: the one pipeline behind PutObject, UploadPart
//! and the XML bodies. Bytes stream from the connection through the
//! aws-chunked decoder (when the payload is chunked), the digests the
//! request calls for, and into a [`Sink`]: a store appender (memory stays
//! flat whatever the size) or a bounded buffer.
//!
//! Every check is all-or-nothing: the caller commits only after
//! [`receive`] returns `Ok`, so a body whose signature, SHA-256,
//! `Content-MD5` or checksum is wrong, or that stalls or is cut off, leaves
//! nothing behind.

use std::future::Future;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderMap;
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use md5::Digest as _;

use super::auth::{Chunked, Payload};
use super::checksum::{self, Algorithm, Expected};
use super::chunked::Decoder;
use super::error::S3Error;
use crate::store::Appender;

/// Largest object or part body: AWS's 5 GiB.
pub const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024;
/// Bodies at least this long (or of unknown length) are hashed for their
/// ETag and checksums on a thread of their own, beside the payload's SHA-256
/// on the connection's task: MD5 alone is slower than loopback, and the two
/// digests run on two cores instead of one after the other. Shorter bodies
/// are not worth a thread.
const HASH_APART: u64 = 256 * 1024;
/// Chunks waiting for that thread.
const HASH_QUEUE: usize = 16;

/// A body's MD5 and its checksums (raw digests).
type Computed = ([u8; 16], Vec<(Algorithm, Vec<u8>)>);

/// The ETag's MD5 and the checksums of a body, computed where the body's
/// length says (see [`HASH_APART`]).
enum Digests {
    Here(md5::Md5, Vec<(Algorithm, checksum::Hasher)>),
    Apart {
        chunks: tokio::sync::mpsc::Sender<Bytes>,
        done: tokio::task::JoinHandle<Computed>,
    },
}

impl Digests {
    fn new(algorithms: &[Algorithm], apart: bool) -> Self {
        let md5 = md5::Md5::new();
        let hashers: Vec<_> = algorithms.iter().map(|a| (*a, a.hasher())).collect();
        if !apart {
            return Self::Here(md5, hashers);
        }
        let (chunks, mut rx) = tokio::sync::mpsc::channel::<Bytes>(HASH_QUEUE);
        let done = tokio::task::spawn_blocking(move || {
            let (mut md5, mut hashers) = (md5, hashers);
            while let Some(data) = rx.blocking_recv() {
                md5.update(&data);
                hashers.iter_mut().for_each(|(_, h)| h.update(&data));
            }
            finish(md5, hashers)
        });
        Self::Apart { chunks, done }
    }

    async fn update(&mut self, data: &Bytes) {
        match self {
            Self::Here(md5, hashers) => {
                md5.update(data);
                hashers.iter_mut().for_each(|(_, h)| h.update(data));
            }
            Self::Apart { chunks, .. } => {
                // Fails only if the thread panicked, which finish() passes on.
                let _ = chunks.send(data.clone()).await;
            }
        }
    }

    async fn finish(self) -> Result<Computed, S3Error> {
        match self {
            Self::Here(md5, hashers) => Ok(finish(md5, hashers)),
            Self::Apart { chunks, done } => {
                drop(chunks);
                match done.await {
                    Ok(digests) => Ok(digests),
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => Err(S3Error::Internal(crate::store::StoreError::Io {
                        action: "hashing the body",
                        path: std::path::PathBuf::new(),
                        source: std::io::Error::other(e),
                    })),
                }
            }
        }
    }
}

fn finish(md5: md5::Md5, hashers: Vec<(Algorithm, checksum::Hasher)>) -> Computed {
    (
        md5.finalize().into(),
        hashers.into_iter().map(|(a, h)| (a, h.finish())).collect(),
    )
}

/// What must be checked about a body, read from its headers.
#[derive(Debug)]
pub struct Checks {
    pub payload: Payload,
    pub content_md5: Option<[u8; 16]>,
    pub checksum: Option<Expected>,
    /// Computed too even when the client sends nothing to compare them
    /// with (the upload's checksum algorithm).
    pub compute: Vec<Algorithm>,
    /// `x-amz-decoded-content-length` of an aws-chunked body.
    pub decoded_length: Option<u64>,
    /// Most bytes accepted.
    pub limit: u64,
}

/// What a fully received and verified body was.
#[derive(Debug)]
pub struct Received {
    pub size: u64,
    pub md5: [u8; 16],
    /// Raw digests of every algorithm computed.
    pub checksums: Vec<(Algorithm, Vec<u8>)>,
}

impl Received {
    pub fn checksum(&self, algorithm: Algorithm) -> Option<&[u8]> {
        self.checksums
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, raw)| raw.as_slice())
    }
}

impl Checks {
    pub fn from_headers(
        headers: &HeaderMap,
        payload: Payload,
        limit: u64,
    ) -> Result<Self, S3Error> {
        let content_md5 = match headers.get("content-md5") {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|v| STANDARD.decode(v.trim()).ok())
                    .and_then(|raw| <[u8; 16]>::try_from(raw).ok())
                    .ok_or(S3Error::InvalidDigest)?,
            ),
        };
        let mut checksum = checksum::expected(headers)?;
        if let Payload::Chunked(Chunked {
            check_trailer: false,
            ..
        }) = payload
        {
            // The trailer is read and dropped: nothing to compare it with.
            checksum = checksum.filter(|expected| expected.value.is_some());
        }
        let decoded_length = match &payload {
            Payload::Chunked(_) => {
                let value = headers
                    .get("x-amz-decoded-content-length")
                    .ok_or(S3Error::MissingContentLength)?;
                let text = value.to_str().unwrap_or_default();
                let length = text
                    .parse::<u64>()
                    .ok()
                    .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        S3Error::invalid_argument(
                            "x-amz-decoded-content-length is not a non-negative integer",
                            "x-amz-decoded-content-length",
                            text,
                        )
                    })?;
                Some(length)
            }
            _ => None,
        };
        Ok(Self {
            payload,
            content_md5,
            checksum,
            compute: Vec::new(),
            decoded_length,
            limit,
        })
    }

    /// Checks for XML bodies. At Complete, `x-amz-checksum-*` headers
    /// describe the object, not the body (`body_checksum` false).
    pub fn xml(
        headers: &HeaderMap,
        payload: Payload,
        body_checksum: bool,
    ) -> Result<Self, S3Error> {
        if body_checksum {
            return Self::from_headers(headers, payload, super::xml::MAX_BODY);
        }
        let mut plain = headers.clone();
        for algorithm in Algorithm::ALL {
            plain.remove(algorithm.header());
        }
        plain.remove("x-amz-trailer");
        plain.remove("x-amz-sdk-checksum-algorithm");
        Self::from_headers(&plain, payload, super::xml::MAX_BODY)
    }
}

/// Where received bytes go.
pub trait Sink: Send {
    fn write(&mut self, chunk: Bytes) -> impl Future<Output = Result<(), S3Error>> + Send;
}

/// A store appender as a sink.
pub struct ToStore<'a, A>(pub &'a mut A);

impl<A: Appender> Sink for ToStore<'_, A> {
    async fn write(&mut self, chunk: Bytes) -> Result<(), S3Error> {
        Ok(self.0.write(chunk).await?)
    }
}

impl Sink for Vec<u8> {
    async fn write(&mut self, chunk: Bytes) -> Result<(), S3Error> {
        self.extend_from_slice(&chunk);
        Ok(())
    }
}

/// Reads a small body (XML) whole, with every check.
pub async fn read_all(body: Incoming, checks: Checks, idle: Duration) -> Result<Vec<u8>, S3Error> {
    let mut buffer = Vec::new();
    receive(body, checks, &mut buffer, idle).await?;
    Ok(buffer)
}

/// Streams `body` into `sink`, verifying it as [`Checks`] says.
pub async fn receive(
    mut body: Incoming,
    checks: Checks,
    sink: &mut impl Sink,
    idle: Duration,
) -> Result<Received, S3Error> {
    let declared = checks.decoded_length.or_else(|| match checks.payload {
        Payload::Chunked(_) => None,
        _ => body.size_hint().exact(),
    });
    if declared.is_some_and(|d| d > checks.limit) {
        return Err(too_large(checks.limit));
    }
    let mut decoder = match &checks.payload {
        Payload::Chunked(chunked) => Some(Decoder::new(chunked.signer.clone())),
        _ => None,
    };
    let mut sha256 = matches!(checks.payload, Payload::Sha256(_)).then(sha2::Sha256::new);
    let mut algorithms: Vec<Algorithm> = checks.checksum.iter().map(|c| c.algorithm).collect();
    for extra in checks.compute {
        if !algorithms.contains(&extra) {
            algorithms.push(extra);
        }
    }
    let apart = declared.is_none_or(|d| d >= HASH_APART);
    let mut digests = Digests::new(&algorithms, apart);
    let mut size: u64 = 0;
    let mut http_trailers: Vec<(String, String)> = Vec::new();
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(S3Error::RequestTimeout),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(S3Error::IncompleteBody),
            Ok(Some(Ok(frame))) => frame,
        };
        let frame = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    for (name, value) in &trailers {
                        http_trailers.push((
                            name.as_str().to_owned(),
                            value.to_str().unwrap_or_default().to_owned(),
                        ));
                    }
                }
                continue;
            }
        };
        if let Some(sha256) = &mut sha256 {
            sha256.update(&frame);
        }
        let pieces = match &mut decoder {
            Some(decoder) => decoder.feed(frame)?,
            None => vec![frame],
        };
        for data in pieces {
            size += data.len() as u64;
            if size > checks.limit {
                return Err(too_large(checks.limit));
            }
            if checks.decoded_length.is_some_and(|d| size > d) {
                return Err(S3Error::InvalidRequest(
                    "the decoded body is longer than x-amz-decoded-content-length".into(),
                ));
            }
            digests.update(&data).await;
            sink.write(data).await?;
        }
    }
    let trailers = match decoder {
        Some(decoder) => decoder.finish()?,
        None => http_trailers,
    };
    if checks.decoded_length.is_some_and(|d| size != d) {
        return Err(S3Error::IncompleteBody);
    }
    if let (Payload::Sha256(expected), Some(sha256)) = (&checks.payload, sha256) {
        let computed = hex::encode(sha256.finalize());
        if computed != *expected {
            return Err(S3Error::ContentSha256Mismatch {
                client: expected.clone(),
                computed,
            });
        }
    }
    let (md5, checksums) = digests.finish().await?;
    if checks.content_md5.is_some_and(|sent| sent != md5) {
        return Err(S3Error::BadDigest(
            "The Content-MD5 you specified did not match what we received.".into(),
        ));
    }
    if let Some(expected) = &checks.checksum {
        let sent = match &expected.value {
            Some(value) => value.clone(),
            None => {
                let header = expected.algorithm.header();
                let value = trailers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(header))
                    .map(|(_, v)| v.as_str())
                    .ok_or_else(|| {
                        S3Error::InvalidRequest(format!(
                            "The announced trailer {header} was not sent."
                        ))
                    })?;
                checksum::decode(expected.algorithm, value).ok_or_else(|| {
                    S3Error::InvalidRequest(format!("Value for {header} trailer is invalid."))
                })?
            }
        };
        let computed = checksums
            .iter()
            .find(|(a, _)| *a == expected.algorithm)
            .map(|(_, raw)| raw);
        if computed != Some(&sent) {
            return Err(S3Error::BadDigest(format!(
                "The {} you specified did not match the calculated checksum.",
                expected.algorithm
            )));
        }
    }
    Ok(Received {
        size,
        md5,
        checksums,
    })
}

fn too_large(limit: u64) -> S3Error {
    if limit == super::xml::MAX_BODY {
        S3Error::MalformedXml
    } else {
        S3Error::EntityTooLarge
    }
}
