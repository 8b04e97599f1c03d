//! Every way the tus handler refuses a request, and the status each gets.
//!
//! This is the single place where a refusal's status code is decided: the
//! handlers name the case, [`Rejection::status`] maps it. Where the spec
//! fixes the status the doc comment cites it; where the spec is silent the
//! comment says why this server chose what it did, and
//! `docs/reference-server.md` carries the same table for users.
//!
//! It is also where faults ([`crate::faults`]) touch refusals: one may bend
//! a refusal's status or headers ([`Rejection::status`],
//! [`Rejection::into_response`]), or waive it so the server carries on as
//! if the request were fine ([`Rejection::unless_waived`]).

use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};

use super::extension::Extension;
use super::names::{TUS_VERSION, UPLOAD_DEFER_LENGTH, VERSION};
use crate::faults::{Fault, Faults};
use crate::framing::TransferCodingError;
use crate::http::{ResBody, full};
use crate::store::StoreError;

/// 460 has no name in the HTTP registry; tus defines it (P:L500-502).
pub const CHECKSUM_MISMATCH: u16 = 460;

#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// 412: `Tus-Resumable` names a version this server does not speak
    /// (P:L170-173, MUST). Carries `Tus-Version`.
    #[error("Tus-Resumable {0:?} is not supported; this server speaks 1.0.0")]
    UnsupportedVersion(String),
    /// 412: `Tus-Resumable` is missing. The spec obliges only the client
    /// (P:L166-168); 412 is the status the protocol already uses for "no
    /// version I can honour", and processing an unversioned request would
    /// guess at its meaning.
    #[error("Tus-Resumable is required (this server speaks 1.0.0)")]
    MissingVersion,
    /// 404: no such path, or an upload id that was never issued (P:L201-203,
    /// P:L236-237). Malformed ids land here too, without touching the store.
    #[error("no upload here")]
    NotFound,
    /// 410: the upload expired (P:L483-486: 410 when the server still
    /// tracks it, which it does).
    #[error("the upload expired")]
    Expired,
    /// 410: a final upload whose partial uploads were terminated or expired
    /// before it could be assembled can never complete.
    #[error("a partial upload of this final upload is gone, so it can never complete")]
    PartGone,
    /// 405: the method is not served on this path, or its extension is
    /// disabled (creation → POST, termination → DELETE). Carries `Allow`.
    #[error("method not allowed here")]
    MethodNotAllowed { allow: &'static str },
    /// 400: a header is malformed: not a canonical non-negative decimal
    /// integer, sent twice, not visible ASCII, bad metadata, an unknown
    /// `Upload-Concat` form, etc. The spec gives only the grammar; 400 is
    /// what all three reference servers send for bad integers.
    #[error("invalid {name} header: {reason}")]
    InvalidHeader { name: &'static str, reason: String },
    /// 400: a creation whose absolute `Location` needs the request's
    /// authority, and `Host` is missing or not a valid authority (RFC 9112
    /// §3.2: a server MUST answer 400 to a request that lacks `Host` or has
    /// an invalid one).
    #[error("Host {0:?} is not a valid authority, and the new upload's URL is built from it")]
    InvalidHost(String),
    /// 400: `X-HTTP-Method-Override` is not a method token.
    #[error("invalid X-HTTP-Method-Override: {0:?}")]
    InvalidOverride(String),
    /// 400: a header that the request needs is absent (e.g. PATCH without
    /// `Upload-Offset`, creation without any length).
    #[error("the {0} header is required")]
    MissingHeader(&'static str),
    /// 400: headers that exclude each other were both sent (`Upload-Length`
    /// with `Upload-Defer-Length`, or either with a final `Upload-Concat`,
    /// P:L345-351, P:L627-628; `Upload-Checksum` as header and trailer).
    #[error("{0}")]
    Conflicting(&'static str),
    /// 400: the request relies on an extension this server has disabled.
    /// 400 rather than 501: the client used a feature that OPTIONS did not
    /// advertise, which is the client's fault, and the suite asserts that
    /// bad input never yields a 5xx.
    #[error("the {0} extension is not enabled on this server")]
    ExtensionDisabled(Extension),
    /// 415: PATCH without `Content-Type: application/offset+octet-stream`
    /// (P:L215-217, SHOULD).
    #[error("Content-Type must be application/offset+octet-stream")]
    UnsupportedMediaType,
    /// 413: the upload would exceed `Tus-Max-Size` (P:L372-374); also a
    /// deferred length declared above it and a final upload whose parts sum
    /// above it, by analogy.
    #[error("the upload would be {length} bytes; the maximum is {max}")]
    TooLarge { length: u64, max: u64 },
    /// 413: the body carries bytes past `Upload-Length` (spec silent). The
    /// whole request is refused and nothing of it is kept, so the offset can
    /// never pass the length. Checked before reading when `Content-Length`
    /// is known; a chunked body is refused when it crosses the limit.
    #[error("the body goes past the upload's length")]
    BodyPastLength,
    /// 403: PATCH (or a creation body) aimed at a final upload (P:L643-644).
    #[error("a final upload cannot be patched")]
    FinalUpload,
    /// 423: another request holds the upload (spec silent). The request in
    /// flight wins and is left alone; the newcomer is refused at once,
    /// changes nothing, and may retry (tus-js-client retries 423). The
    /// in-flight request ends by itself when its body ends or stalls past
    /// the idle timeout.
    #[error("the upload is busy with another request; retry later")]
    Locked,
    /// 409: `Upload-Offset` differs from the upload's offset (P:L219-223).
    #[error("Upload-Offset is {sent} but the upload's offset is {actual}")]
    OffsetMismatch { sent: u64, actual: u64 },
    /// 400: `Upload-Length` in a PATCH for an upload whose length is
    /// already set, even to the same value (P:L355 "MUST NOT be changed").
    #[error("the upload's length is already set")]
    LengthAlreadySet,
    /// 400: a declared length below what was already received.
    #[error("Upload-Length {declared} is below the {received} bytes already received")]
    LengthBelowOffset { declared: u64, received: u64 },
    /// 400: `Upload-Checksum` names an algorithm this server does not
    /// offer (P:L501).
    #[error("checksum algorithm {0:?} is not supported")]
    UnsupportedChecksum(String),
    /// 460: the body's digest differs from `Upload-Checksum` (P:L498-506);
    /// nothing of the body is kept.
    #[error("the body does not match Upload-Checksum")]
    ChecksumMismatch,
    /// 400: a `Trailer: Upload-Checksum` announcement with no trailer.
    #[error("the announced Upload-Checksum trailer did not arrive")]
    MissingTrailer,
    /// 408: the body stalled for longer than the idle timeout. The bytes
    /// that arrived are kept (P:L243), unless a checksum covered them.
    #[error("the body stalled; the bytes received so far are kept unless a checksum covered them")]
    BodyStalled,
    /// 400: the connection failed mid-body (nobody reads this answer; the
    /// arrived bytes are kept as for a stall).
    #[error("the body ended early")]
    BodyInterrupted,
    /// 400: `Upload-Concat: final` names something that is not a partial
    /// upload of this server: missing, expired, not partial, or (without
    /// concatenation-unfinished) not finished. 400, not 404: the creation
    /// endpoint itself exists; the request's content is wrong.
    #[error("cannot concatenate: {0}")]
    BadPart(String),
    /// 400: `Upload-Concat: final` names more partial uploads than the
    /// configured maximum (spec silent). The limit bounds the work one
    /// request causes; 400 rather than 413, since what is too large is the
    /// list, not the upload (a list over the size limit is 413).
    #[error("the final upload names {count} partial uploads; at most {max} are allowed")]
    TooManyParts { count: usize, max: usize },
    /// 409: GET of a final upload whose parts are not all finished: it has
    /// no bytes yet, and an empty 200 would look like a finished empty file.
    #[error("the final upload is not complete yet")]
    FinalIncomplete,
    /// 400: DELETE of a completed upload. This server terminates completed
    /// uploads (P:L575-576); only the `terminate-completed-refused` fault
    /// refuses them, as @tus/server's `disableTerminationForFinishedUploads`
    /// does.
    #[error("a completed upload cannot be terminated")]
    CompletedUpload,
    /// 501 for a transfer coding this server lacks, 400 for `chunked`
    /// applied twice (RFC 9112 §6.1; see [`TransferCodingError`]). Refused
    /// on every method, before the body is read.
    #[error(transparent)]
    TransferCoding(#[from] TransferCodingError),
    /// 500: the store failed; the request changed nothing it could not
    /// roll back.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
}

impl Rejection {
    /// The status this refusal is answered with: the protocol's, unless a
    /// fault bends it.
    pub fn status(&self, faults: &Faults) -> StatusCode {
        let bent = match self {
            Self::UnsupportedVersion(_) if faults.active(Fault::VersionRefused400) => {
                Some(StatusCode::BAD_REQUEST)
            }
            Self::NotFound if faults.active(Fault::UnknownUpload500) => {
                Some(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::ChecksumMismatch if faults.active(Fault::ChecksumMismatch500) => {
                Some(StatusCode::INTERNAL_SERVER_ERROR)
            }
            _ => None,
        };
        bent.unwrap_or_else(|| self.protocol_status())
    }

    fn protocol_status(&self) -> StatusCode {
        match self {
            Self::UnsupportedVersion(_) | Self::MissingVersion => StatusCode::PRECONDITION_FAILED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Expired | Self::PartGone => StatusCode::GONE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidHeader { .. }
            | Self::InvalidHost(_)
            | Self::InvalidOverride(_)
            | Self::MissingHeader(_)
            | Self::Conflicting(_)
            | Self::ExtensionDisabled(_)
            | Self::LengthAlreadySet
            | Self::LengthBelowOffset { .. }
            | Self::UnsupportedChecksum(_)
            | Self::MissingTrailer
            | Self::BodyInterrupted
            | Self::BadPart(_)
            | Self::TooManyParts { .. }
            | Self::CompletedUpload => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge { .. } | Self::BodyPastLength => StatusCode::PAYLOAD_TOO_LARGE,
            Self::FinalUpload => StatusCode::FORBIDDEN,
            Self::Locked => StatusCode::LOCKED,
            Self::OffsetMismatch { .. } | Self::FinalIncomplete => StatusCode::CONFLICT,
            Self::ChecksumMismatch => {
                StatusCode::from_u16(CHECKSUM_MISMATCH).expect("460 is a valid status")
            }
            Self::BodyStalled => StatusCode::REQUEST_TIMEOUT,
            Self::TransferCoding(TransferCodingError::NotImplemented(_)) => {
                StatusCode::NOT_IMPLEMENTED
            }
            Self::TransferCoding(TransferCodingError::ChunkedTwice) => StatusCode::BAD_REQUEST,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Renders the refusal: its status, a one-line reason, and the headers
    /// the status calls for (`Tus-Version` with 412, P:L170-172; `Allow`
    /// with 405).
    pub fn into_response(self, faults: &Faults) -> Response<ResBody> {
        if let Self::Store(e) = &self {
            eprintln!("upspec-reference-server: {e}");
        }
        let code = self.status(faults);
        let mut response = Response::new(full(format!("{self}\n")));
        *response.status_mut() = code;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if code == StatusCode::PRECONDITION_FAILED && !faults.active(Fault::NoTusVersionOn412) {
            headers.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
        }
        if let Self::MethodNotAllowed { allow } = self {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }

    /// Refuses the request with this rejection, unless a fault makes the
    /// server let it pass: then `Ok`, and the handler carries on as if the
    /// check had succeeded. Every handler check that a fault can waive goes
    /// through here.
    pub fn unless_waived(self, faults: &Faults) -> Result<(), Rejection> {
        match self.waived_by() {
            Some(fault) if faults.active(fault) => Ok(()),
            _ => Err(self),
        }
    }

    /// The fault under which the server skips this refusal.
    fn waived_by(&self) -> Option<Fault> {
        match self {
            Self::UnsupportedVersion(_) => Some(Fault::VersionNotChecked),
            Self::UnsupportedMediaType => Some(Fault::AnyContentType),
            Self::OffsetMismatch { .. } => Some(Fault::IgnoreOffsetMismatch),
            Self::TooLarge { .. } => Some(Fault::MaxSizeNotEnforced),
            Self::LengthAlreadySet => Some(Fault::LengthChangeable),
            Self::LengthBelowOffset { .. } => Some(Fault::LengthBelowOffsetAccepted),
            Self::ChecksumMismatch => Some(Fault::ChecksumNotVerified),
            Self::Expired => Some(Fault::ExpiredUploadServed),
            Self::InvalidHeader {
                name: UPLOAD_DEFER_LENGTH,
                ..
            } => Some(Fault::DeferLengthAnyValue),
            _ => None,
        }
    }

    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidHeader {
            name,
            reason: reason.into(),
        }
    }
}
