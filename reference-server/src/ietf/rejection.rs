//! Every way the draft's handler refuses a request, and the status each
//! gets: the one place that decides them. Each case cites the sentence it
//! rests on, by draft (D-05 = interop 6, D-11 = interop 8, D-12 = interop 9;
//! sections as numbered in each); where the drafts are silent the comment
//! says why this server chose what it did. `docs/reference-server.md`
//! carries the same table for users.

use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};

use super::fields::{
    ACCEPT_PATCH, COMPLETED_UPLOAD, INCONSISTENT_LENGTH, Interop, Limits, MISMATCHING_OFFSET,
    PARTIAL_UPLOAD, PROBLEM_JSON, UPLOAD_COMPLETE, UPLOAD_LIMIT, UPLOAD_OFFSET, sf_bool,
};
use crate::framing::TransferCodingError;
use crate::http::{ResBody, full};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// 400: creation or append without a valid `Upload-Complete`. Creation:
    /// a request without it is not a resumable upload (D-11 §4.2.1 "by
    /// including the `Upload-Complete` header field"), and this resource
    /// takes no other uploads. Append: D-11 §4.4.1 "The request MUST include
    /// the `Upload-Complete` header field" (D-05 §5 requires `?0` for a part
    /// that is not the last; absent is refused alike). Invalid values count
    /// as absent (fields.rs).
    #[error("Upload-Complete (?0 or ?1) is required")]
    MissingComplete,
    /// 400: append without a valid `Upload-Offset` (D-11 §4.4.1 "The client
    /// MUST indicate the offset ... by including the `Upload-Offset`").
    #[error("Upload-Offset (a non-negative sf-integer) is required")]
    MissingOffset,
    /// 400: a field the request must not carry. Interop 6 only: creation
    /// with `Upload-Offset` (D-05 §4 "The request MUST NOT include the
    /// `Upload-Offset` header field"), offset retrieval with `Upload-Offset`,
    /// `Upload-Complete` or `Upload-Length` (D-05 §6 "The server MUST reject
    /// requests with either of these fields by responding with a `400 (Bad
    /// Request)`"), cancellation with `Upload-Offset` or `Upload-Complete`
    /// (D-05 §8, same words).
    #[error("{0} is not allowed in this request")]
    ForbiddenField(&'static str),
    /// 415 with `Accept-Patch`: an append that is not
    /// `application/partial-upload` (D-05 §7, D-11 §4.4.1 "by sending a
    /// `PATCH` request with the `application/partial-upload` media type";
    /// RFC 5789 §2.2: 415 and `Accept-Patch` for an unsupported patch
    /// document).
    #[error("appends must be Content-Type: application/partial-upload")]
    UnsupportedMediaType,
    /// 404: no such upload resource, or a cancelled one (D-05 §6/§7/§8 "If
    /// the server does not consider the upload resource to be active, it
    /// MUST respond with a `404 (Not Found)`"; later drafts leave the status
    /// open and this server keeps 404).
    #[error("no upload here")]
    NotFound,
    /// 410: an upload invalidated after an append went past its length
    /// (D-11 §4.4.2 "marking the upload resource invalid and rejecting any
    /// further interaction with it"), or after its representation failed
    /// its `Repr-Digest` ([`Rejection::ReprDigestMismatch`]). The server
    /// still knows it, so 410 rather than 404.
    #[error("this upload is invalid: an append went past its length, or its Repr-Digest failed")]
    Invalidated,
    /// 400: the content of a creation or append does not match its
    /// `Content-Digest`; nothing of it is appended (D-05 §15.2 "If the
    /// digests don't match the server SHOULD consider the transfer failed
    /// and not append the content to the upload resource."; D-11 §10.2
    /// adds "and signal the failure to the client"). The drafts name no
    /// status; 400, as for any request the server will not take as sent.
    #[error("the content does not match its Content-Digest; nothing of it was appended")]
    ContentDigestMismatch,
    /// 400, and the upload invalidated: the completed representation does
    /// not match the creation's `Repr-Digest` (D-05 §15.1 "If the digests
    /// don't match the server SHOULD consider the transfer failed and not
    /// process the uploaded data further."; D-11 §10.1 "If the digests don't
    /// match, the server SHOULD consider the upload failed, not process the
    /// representation further, and signal the failure to the client."). The
    /// bytes stay stored (acknowledged bytes are never dropped), but the
    /// upload is no longer served (410 after).
    #[error("the uploaded representation does not match its Repr-Digest; the upload failed")]
    ReprDigestMismatch,
    /// 409 with the current `Upload-Offset` and `Upload-Complete: ?0`, and
    /// the `mismatching-upload-offset` problem. D-05 §7, D-11 §4.4.2: "MUST
    /// respond/reject ... with a `409 (Conflict)` status code. The response
    /// MUST include the correct offset in the `Upload-Offset` header field";
    /// D-12 §4.4.2 adds "and the `Upload-Complete` header field set to
    /// false" (sent in every version: it is true of the upload). The problem
    /// "SHOULD populate both members" (§7.1).
    #[error("Upload-Offset is {provided} but the upload's offset is {expected}")]
    OffsetMismatch { expected: u64, provided: u64 },
    /// 400 with the `inconsistent-upload-length` problem: two length
    /// indicators disagree, or a request would end the upload before or
    /// after its known length (D-05 §4/§7 "MUST reject the request by
    /// responding with a `400 (Bad Request)`"; D-11 §2.1.3 "their indicated
    /// lengths MUST match"; §7.3 the problem type). Also an append past the
    /// length (D-05 §7 "reject the request with a `400 (Bad Request)`";
    /// D-11 §4.4.2 leaves the status open), and from interop 8 a non-empty
    /// append to a completed upload (D-11 §4.4.2 "MUST treat this as an
    /// inconsistent length failure").
    #[error("inconsistent upload length: {0}")]
    InconsistentLength(String),
    /// An append to a completed upload that is not an inconsistent length:
    /// interop 6 400 (D-05 §7 "MUST NOT modify the upload resource and MUST
    /// respond with a `400 (Bad Request)`"), interop 8 410 for an empty one
    /// (D-11 §4.4.2 "the `410 (Gone)` status code can be used"), both with
    /// the `completed-upload` problem. Interop 9 dropped that problem type
    /// and lets the server replay the final response; this server replays it
    /// for a valid request (`?1`, offset = length, no content) and refuses
    /// any other as an inconsistent length.
    #[error("the upload is already complete")]
    CompletedUpload(Interop),
    /// 413 with `Upload-Limit`: the length is above `max-size`, or the
    /// content above `max-append-size` (D-11 §2.1.4 "might not create",
    /// "might reject"; D-12 §2.1.4 "A server responding with a `413 (Content
    /// Too Large)` status code as a result of its upload limits SHOULD
    /// include the `Upload-Limit` header field").
    #[error("{0}")]
    TooLarge(String, Limits),
    /// 400 with `Upload-Limit`: below `min-size` or `min-append-size`
    /// (D-11 §2.1.4 "might not create", "might reject"; the drafts name no
    /// status, and 413 would say the opposite).
    #[error("{0}")]
    TooSmall(String, Limits),
    /// 405 with `Allow`: a method the resource does not serve.
    #[error("method not allowed here")]
    MethodNotAllowed { allow: &'static str },
    /// 423: another request holds the upload and did not end when asked to
    /// (spec: D-11 §4.6 "MUST take measures to prevent race conditions";
    /// this server terminates the earlier request, as RECOMMENDED, and
    /// refuses only if it has not let go within a few seconds).
    #[error("the upload is busy with another request; retry later")]
    Locked,
    /// 408: the body stalled past the idle timeout; what arrived is kept
    /// (D-11 §4.4.2 "SHOULD append as much of the patch document as
    /// possible").
    #[error("the body stalled; the bytes received so far are kept")]
    BodyStalled,
    /// 400: the body ended early, or a newer request for the same upload
    /// took over (nobody reads this answer); what arrived is kept.
    #[error("the body ended early; the bytes received so far are kept")]
    BodyInterrupted,
    /// 501 or 400, as tus (RFC 9112 §6.1, `framing.rs`).
    #[error(transparent)]
    TransferCoding(#[from] TransferCodingError),
    /// 500: the store failed.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// Interop 6: a refused append of an upload that is still active, with
    /// its offset (D-05 §7 "The server MUST send the `Upload-Offset` header
    /// field in the response if it considers the upload active, either when
    /// the response is a success ... or when the response is a failure").
    /// The status is the refusal's own.
    #[error("{refusal}")]
    Active {
        refusal: Box<Rejection>,
        offset: u64,
    },
}

impl Rejection {
    /// The body itself ended the request (it stalled, broke off, or a newer
    /// request took over): there is nothing left worth reading.
    pub fn cut_the_body(&self) -> bool {
        match self {
            Self::Active { refusal, .. } => refusal.cut_the_body(),
            Self::BodyStalled | Self::BodyInterrupted => true,
            _ => false,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Active { refusal, .. } => refusal.status(),
            Self::MissingComplete
            | Self::MissingOffset
            | Self::ForbiddenField(_)
            | Self::InconsistentLength(_)
            | Self::TooSmall(..)
            | Self::ContentDigestMismatch
            | Self::ReprDigestMismatch
            | Self::BodyInterrupted => StatusCode::BAD_REQUEST,
            Self::CompletedUpload(Interop::V8) => StatusCode::GONE,
            Self::CompletedUpload(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalidated => StatusCode::GONE,
            Self::OffsetMismatch { .. } => StatusCode::CONFLICT,
            Self::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Locked => StatusCode::LOCKED,
            Self::BodyStalled => StatusCode::REQUEST_TIMEOUT,
            Self::TransferCoding(TransferCodingError::NotImplemented(_)) => {
                StatusCode::NOT_IMPLEMENTED
            }
            Self::TransferCoding(TransferCodingError::ChunkedTwice) => StatusCode::BAD_REQUEST,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem type (RFC 9457) this refusal is reported with, if any.
    fn problem(&self) -> Option<String> {
        let title = self.to_string().replace('"', "'");
        match self {
            Self::OffsetMismatch { expected, provided } => Some(format!(
                "{{\"type\":\"{MISMATCHING_OFFSET}\",\"title\":\"{title}\",\
                 \"expected-offset\":{expected},\"provided-offset\":{provided}}}\n"
            )),
            Self::InconsistentLength(_) => Some(format!(
                "{{\"type\":\"{INCONSISTENT_LENGTH}\",\"title\":\"{title}\"}}\n"
            )),
            Self::CompletedUpload(_) => Some(format!(
                "{{\"type\":\"{COMPLETED_UPLOAD}\",\"title\":\"{title}\"}}\n"
            )),
            _ => None,
        }
    }

    /// The refusal as a response: its status, a problem document or a
    /// one-line reason, and the fields the case calls for.
    pub fn into_response(self) -> Response<ResBody> {
        if let Self::Active { refusal, offset } = self {
            let mut response = refusal.into_response();
            let headers = response.headers_mut();
            if !headers.contains_key(UPLOAD_OFFSET) {
                headers.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
            }
            return response;
        }
        if let Self::Store(e) = &self {
            eprintln!("upspec-reference-server: {e}");
        }
        let code = self.status();
        let (body, media) = match self.problem() {
            Some(problem) => (problem, PROBLEM_JSON),
            None => (format!("{self}\n"), "text/plain; charset=utf-8"),
        };
        let mut response = Response::new(full(body));
        *response.status_mut() = code;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(media));
        match self {
            Self::OffsetMismatch { expected, .. } => {
                headers.insert(UPLOAD_OFFSET, HeaderValue::from(expected));
                headers.insert(UPLOAD_COMPLETE, sf_bool(false));
            }
            Self::TooLarge(_, limits) | Self::TooSmall(_, limits) => {
                headers.insert(UPLOAD_LIMIT, limits.header());
            }
            Self::UnsupportedMediaType => {
                headers.insert(ACCEPT_PATCH, HeaderValue::from_static(PARTIAL_UPLOAD));
            }
            Self::MethodNotAllowed { allow } => {
                headers.insert(ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response
    }
}
