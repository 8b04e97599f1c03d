//! The S3 faults that change what an answer says, not what the server does:
//! the wrong error code or status for a refusal the server did make right,
//! or a header left out of a success. One step after the handler (and
//! after authentication, for refusals made before routing), so handlers
//! stay correct and every such deviation is written here. Without faults
//! it changes nothing.

use http::header::ETAG;
use http::{Response, StatusCode};

use super::error::S3Error;
use super::headers;
use super::route::Op;
use crate::faults::{Fault, Faults};
use crate::http::ResBody;

/// A handler's result, as the faults would have it.
pub(super) fn answer(
    faults: Faults,
    op: Op,
    result: Result<Response<ResBody>, S3Error>,
) -> Result<Response<ResBody>, S3Error> {
    match result {
        Ok(mut response) => {
            success(faults, op, &mut response);
            Ok(response)
        }
        Err(S3Error::NoSuchUpload { .. })
            if op == Op::AbortMultipartUpload && faults.active(Fault::AbortUnknown204) =>
        {
            Ok(super::status(StatusCode::NO_CONTENT))
        }
        Err(S3Error::MalformedXml)
            if op == Op::CompleteMultipartUpload && faults.active(Fault::MalformedComplete500) =>
        {
            Err(S3Error::Faulted(Fault::MalformedComplete500))
        }
        Err(S3Error::NoSuchBucket { .. })
            if op == Op::CreateMultipartUpload && faults.active(Fault::MissingBucket403) =>
        {
            Err(S3Error::AccessDenied("Access Denied".into()))
        }
        Err(error) => refusal(faults, error),
    }
}

/// A refusal, as the faults would have it (also those made before the
/// request was routed).
pub(super) fn refusal(faults: Faults, error: S3Error) -> Result<Response<ResBody>, S3Error> {
    Err(match error {
        S3Error::NoSuchUpload { .. } if faults.active(Fault::NoSuchUpload500) => {
            S3Error::Faulted(Fault::NoSuchUpload500)
        }
        S3Error::NoSuchUpload { upload_id } if faults.active(Fault::NoSuchUploadAsNoSuchKey) => {
            S3Error::NoSuchKey { key: upload_id }
        }
        S3Error::SignatureDoesNotMatch { .. }
            if faults.active(Fault::SignatureMismatchAsAccessDenied) =>
        {
            S3Error::AccessDenied("Access Denied".into())
        }
        S3Error::InvalidAccessKeyId { .. }
            if faults.active(Fault::UnknownAccessKeyAccessDenied) =>
        {
            S3Error::AccessDenied("Access Denied".into())
        }
        other => other,
    })
}

fn success(faults: Faults, op: Op, response: &mut Response<ResBody>) {
    let h = response.headers_mut();
    match op {
        Op::UploadPart if faults.active(Fault::PartEtagUnquoted) => {
            let bare =
                headers::text(h, ETAG.as_str()).map(|etag| etag.trim_matches('"').to_owned());
            if let Some(bare) = bare {
                h.insert(ETAG, headers::value(bare));
            }
        }
        Op::CreateMultipartUpload if faults.active(Fault::CreateChecksumNotEchoed) => {
            h.remove("x-amz-checksum-algorithm");
            h.remove("x-amz-checksum-type");
        }
        Op::GetObject | Op::HeadObject if faults.active(Fault::PartReadWithoutPartsCount) => {
            h.remove("x-amz-mp-parts-count");
        }
        _ => {}
    }
}
