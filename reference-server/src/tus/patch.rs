//! PATCH (P:L211-243): append bytes at the upload's offset, optionally
//! declaring a deferred length, under the upload's lock.
//!
//! Checks run syntax first (415, 400), then state (423, 404/410, 403, 409,
//! length rules), so a request with one fault gets that fault's status.

use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::headers;
use super::names::{UPLOAD_LENGTH, UPLOAD_OFFSET};
use super::receive::{self, Checks};
use super::upload::TusUpload;
use super::{Rejection, Tus, status, view};
use crate::http::ResBody;
use crate::store::{Record, Store, UploadId};

pub(super) async fn patch<S: Store + Clone>(
    tus: &Tus<S>,
    id: UploadId,
    req: Request<Incoming>,
) -> Result<Response<ResBody>, Rejection> {
    let settings = &*tus.settings;
    let faults = &settings.faults;
    let policy = settings.policy();
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    if !headers::is_offset_octet_stream(h)? {
        Rejection::UnsupportedMediaType.unless_waived(faults)?;
    }
    let sent = headers::uint(h, UPLOAD_OFFSET)?.ok_or(Rejection::MissingHeader("Upload-Offset"))?;
    let declared = headers::uint(h, UPLOAD_LENGTH)?.filter(|_| policy.reads_declared_length());
    let checks = Checks::from_headers(h, settings)?;

    let lock = tus.store.try_lock(&id).ok_or(Rejection::Locked)?;
    let record = tus.live(&id).await?;
    // A final upload is refused whatever the offset (P:L643-644), so 403
    // wins over 409, unless a fault checks the offset first.
    if !policy.final_refused_before_offset_checked() {
        check_offset(sent, &record)?;
    }
    if record.meta.parts().is_some() {
        return Err(Rejection::FinalUpload);
    }
    let refuse_after_storing = match check_offset(sent, &record) {
        Ok(()) => None,
        Err(mismatch) if !policy.conflict_stores_nothing() => Some(mismatch),
        Err(mismatch) => {
            mismatch.unless_waived(faults)?;
            None
        }
    };
    let mut meta = record.meta.clone();
    if let Some(length) = declared {
        if meta.length.is_some() {
            Rejection::LengthAlreadySet.unless_waived(faults)?;
        }
        if length < record.offset {
            Rejection::LengthBelowOffset {
                declared: length,
                received: record.offset,
            }
            .unless_waived(faults)?;
        }
        if let Some(max) = settings.max_size.filter(|max| length > *max) {
            Rejection::TooLarge { length, max }.unless_waived(faults)?;
        }
        meta.length = Some(length);
    }
    meta.expires_at = tus.next_expiry().or(meta.expires_at);
    let limit = receive::limit(settings, &meta, record.offset);

    let mut appender = tus.store.append(&lock, record.offset).await?;
    let offset = receive::receive(settings, body, &mut appender, checks, limit, &mut meta).await?;
    if let Some(refusal) = refuse_after_storing {
        return Err(refusal);
    }
    let mut response = status(StatusCode::NO_CONTENT);
    response
        .headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    view::insert_expires(response.headers_mut(), &Record { offset, meta });
    Ok(response)
}

/// 409 unless the request continues at the upload's offset (P:L219-223).
fn check_offset(sent: u64, record: &Record<TusUpload>) -> Result<(), Rejection> {
    if sent == record.offset {
        Ok(())
    } else {
        Err(Rejection::OffsetMismatch {
            sent,
            actual: record.offset,
        })
    }
}
