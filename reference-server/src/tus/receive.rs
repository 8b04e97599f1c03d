//! Receiving a body into an upload: the one pipeline behind PATCH and
//! creation-with-upload. It enforces the length limit as bytes arrive,
//! verifies checksums from a header or a trailer, and decides what an
//! interrupted body leaves behind.
//!
//! Rules:
//! * bytes past the limit refuse the whole request (413), keeping nothing;
//! * with a checksum (header or announced trailer) the body is
//!   all-or-nothing: nothing is committed until the digest matches;
//! * without one, an interrupted or stalled body keeps what arrived
//!   (P:L243), and a long body whose length is known up front is committed
//!   every [`COMMIT_EVERY`] bytes so a crash loses little and HEAD shows
//!   progress.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::checksum::{ChecksumAlgorithm, Hasher};
use super::headers::{self, ExpectedChecksum};
use super::names::UPLOAD_CHECKSUM;
use super::upload::{TusUpload, expiry_from};
use super::{Extension, Rejection, Settings};
use crate::store::Appender;

/// Commit interval for long bodies of known length.
const COMMIT_EVERY: u64 = 64 * 1024 * 1024;

/// How a request's body must be checked, read from its headers.
pub(super) struct Checks {
    header: Option<ExpectedChecksum>,
    /// `Trailer: Upload-Checksum` was announced.
    trailer: bool,
}

impl Checks {
    /// Reads `Upload-Checksum` and the trailer announcement. Both at once
    /// are refused (which one would count?), as is either one when its
    /// extension is disabled.
    pub(super) fn from_headers(
        headers: &HeaderMap,
        settings: &Settings,
    ) -> Result<Self, Rejection> {
        let policy = settings.policy();
        let header = headers::single(headers, UPLOAD_CHECKSUM)?;
        let trailer =
            headers::announces_checksum_trailer(headers) && policy.reads_checksum_trailer();
        if header.is_some() && !settings.has(Extension::Checksum) {
            return Err(Rejection::ExtensionDisabled(Extension::Checksum));
        }
        if trailer && !settings.has(Extension::ChecksumTrailer) {
            return Err(Rejection::ExtensionDisabled(Extension::ChecksumTrailer));
        }
        if header.is_some() && trailer {
            return Err(Rejection::Conflicting(
                "Upload-Checksum was sent as a header and announced as a trailer",
            ));
        }
        let verifiable: Vec<ChecksumAlgorithm> = settings
            .algorithms
            .iter()
            .copied()
            .filter(|&a| policy.verifies(a))
            .collect();
        let header = match header
            .map(|v| headers::checksum(v, &verifiable))
            .transpose()
        {
            Err(Rejection::UnsupportedChecksum(_)) if !policy.refuses_unknown_algorithm() => None,
            parsed => parsed?,
        };
        Ok(Self { header, trailer })
    }

    fn guarded(&self) -> bool {
        self.header.is_some() || self.trailer
    }
}

/// The most bytes a body may carry for an upload at `offset`: up to its
/// length, or up to `Tus-Max-Size` while the length is deferred.
pub(super) fn limit(settings: &Settings, meta: &TusUpload, offset: u64) -> Option<u64> {
    meta.length
        .or(settings.max_size)
        .map(|end| end.saturating_sub(offset))
}

/// `meta` with its expiry, if it has one, moved to the period from now.
fn touched<'m>(settings: &Settings, meta: &'m mut TusUpload) -> &'m TusUpload {
    if meta.expires_at.is_some()
        && let Some(period) = settings.expiry
    {
        meta.expires_at = Some(expiry_from(SystemTime::now(), period));
    }
    meta
}

/// Refuses, before reading it, a body whose `Content-Length` is past `limit`.
pub(super) fn check_size(body: &Incoming, limit: Option<u64>) -> Result<(), Rejection> {
    match (body.size_hint().exact(), limit) {
        (Some(size), Some(limit)) if size > limit => Err(Rejection::BodyPastLength),
        _ => Ok(()),
    }
}

/// Streams `body` into `appender`, then commits with `meta`. `limit` is the
/// most bytes the body may carry. Returns the new committed offset. Every
/// commit slides `meta`'s expiry to count from now: the write lasted until
/// then, so an upload whose PATCH took longer than the expiry period (a slow
/// or stalled body) is not expired the moment it is committed.
pub(super) async fn receive<A: Appender>(
    settings: &Settings,
    mut body: Incoming,
    appender: &mut A,
    checks: Checks,
    limit: Option<u64>,
    meta: &mut TusUpload,
) -> Result<u64, Rejection> {
    check_size(&body, limit)?;
    let periodic = !checks.guarded() && body.size_hint().exact().is_some();
    // A trailer names its algorithm only at the end, so every enabled one runs.
    let mut hashers: Vec<(ChecksumAlgorithm, Hasher)> = match (&checks.header, checks.trailer) {
        (Some(expected), _) => vec![(expected.algorithm, expected.algorithm.hasher())],
        (None, true) => settings
            .algorithms
            .iter()
            .map(|a| (*a, a.hasher()))
            .collect(),
        (None, false) => Vec::new(),
    };
    let mut trailer: Option<ExpectedChecksum> = None;
    let mut received: u64 = 0;
    let mut uncommitted: u64 = 0;
    let policy = settings.policy();
    let idle_timeout = if policy.ends_stalled_bodies() {
        settings.idle_timeout
    } else {
        // Still ends when the client closes: the frame is then an error.
        Duration::MAX
    };
    let interruption = loop {
        let frame = match tokio::time::timeout(idle_timeout, body.frame()).await {
            Err(_) => break Some(Rejection::BodyStalled),
            Ok(None) => break None,
            Ok(Some(Err(_))) => break Some(Rejection::BodyInterrupted),
            Ok(Some(Ok(frame))) => frame,
        };
        match frame.into_data() {
            Ok(data) => {
                let len = data.len() as u64;
                if limit.is_some_and(|limit| received + len > limit) {
                    return Err(Rejection::BodyPastLength);
                }
                hashers.iter_mut().for_each(|(_, h)| h.update(&data));
                appender.write(data).await?;
                received += len;
                uncommitted += len;
                if periodic && uncommitted >= COMMIT_EVERY {
                    appender.commit(touched(settings, meta)).await?;
                    uncommitted = 0;
                }
            }
            Err(frame) => {
                let Ok(trailers) = frame.into_trailers() else {
                    continue;
                };
                if !policy.reads_checksum_trailer() {
                    continue;
                }
                if let Some(value) = headers::single(&trailers, UPLOAD_CHECKSUM)? {
                    if !checks.trailer {
                        return Err(Rejection::Conflicting(
                            "an Upload-Checksum trailer must be announced with Trailer: Upload-Checksum",
                        ));
                    }
                    trailer = Some(headers::checksum(value, &settings.algorithms)?);
                }
            }
        }
    };
    if let Some(interruption) = interruption {
        if !checks.guarded() && policy.keeps_interrupted_bytes() {
            appender.commit(touched(settings, meta)).await?;
        }
        return Err(interruption);
    }
    let expected = match (checks.header, trailer) {
        (Some(expected), _) | (None, Some(expected)) => expected,
        (None, None) if checks.trailer => return Err(Rejection::MissingTrailer),
        (None, None) => return Ok(appender.commit(touched(settings, meta)).await?),
    };
    let digest = hashers
        .into_iter()
        .find(|(algorithm, _)| *algorithm == expected.algorithm)
        .map(|(_, hasher)| hasher.finish());
    let committed = if policy.verifies_before_commit() {
        None
    } else {
        Some(appender.commit(touched(settings, meta)).await?)
    };
    if digest != Some(expected.digest) {
        Rejection::ChecksumMismatch.unless_waived(&settings.faults)?;
    }
    match committed {
        Some(offset) => Ok(offset),
        None => Ok(appender.commit(touched(settings, meta)).await?),
    }
}
