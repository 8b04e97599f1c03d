//! Creation (P:L292-378) with its companions: creation-with-upload,
//! creation-defer-length, partial uploads, and final uploads
//! (concatenation).

use std::time::Duration;

use http::header::{EXPECT, LOCATION};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::headers::{self, ConcatRequest, MetadataPair};
use super::names::{UPLOAD_LENGTH, UPLOAD_OFFSET};
use super::receive::{self, Checks};
use super::upload::{Concat, TusUpload};
use super::{Extension, Rejection, Settings, Tus, ascii, concat, status, view};
use crate::http::ResBody;
use crate::store::{Record, Store, UploadId};

/// How late the `expect-continue-late` fault reads a creation body: twice a
/// client's usual wait for a 100 (Continue), curl's and upspec's 1 s.
const LATE_CONTINUE: Duration = Duration::from_secs(2);

pub(super) async fn create<S: Store + Clone>(
    tus: &Tus<S>,
    req: Request<Incoming>,
) -> Result<Response<ResBody>, Rejection> {
    let settings = &*tus.settings;
    let faults = &settings.faults;
    let policy = settings.policy();
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    // Before anything is stored: a creation whose URL cannot be written fails.
    let location = settings.locations.prefix(&parts)?;
    let concat = headers::concat(h, |url| settings.locations.upload_id(url))?;
    if concat.is_some() && !settings.has(Extension::Concatenation) {
        return Err(Rejection::ExtensionDisabled(Extension::Concatenation));
    }
    let length =
        headers::uint(h, UPLOAD_LENGTH)?.filter(|&length| length > 0 || policy.zero_is_a_length());
    // Waived, a value that is not 1 defers the length all the same.
    let defer =
        headers::defer_length(h).or_else(|refused| refused.unless_waived(faults).map(|()| true))?;
    let metadata = headers::metadata(h)?;
    let with_body = headers::is_offset_octet_stream(h)? && policy.creation_stores_body();

    if let Some(ConcatRequest::Final { parts, received }) = concat {
        if length.is_some() || defer {
            return Err(Rejection::Conflicting(
                "a final upload's length is the sum of its parts: send neither Upload-Length nor Upload-Defer-Length",
            ));
        }
        if with_body {
            return Err(Rejection::FinalUpload);
        }
        let id = create_final(tus, parts, received, metadata).await?;
        return Ok(created(&location, &id));
    }

    let length = match (length, defer) {
        (Some(_), true) => {
            return Err(Rejection::Conflicting(
                "Upload-Length and Upload-Defer-Length exclude each other",
            ));
        }
        (None, false) => {
            return Err(Rejection::MissingHeader(
                "Upload-Length (or Upload-Defer-Length)",
            ));
        }
        (None, true) if !settings.has(Extension::CreationDeferLength) => {
            return Err(Rejection::ExtensionDisabled(Extension::CreationDeferLength));
        }
        (length, _) => length,
    };
    if let Some(length) = length {
        check_max(settings, length)?;
    }
    if with_body && !settings.has(Extension::CreationWithUpload) {
        return Err(Rejection::ExtensionDisabled(Extension::CreationWithUpload));
    }
    // A body with another Content-Type is not upload data: it is ignored,
    // as tusd and @tus/server do (catalogue row 53).
    let checks = with_body
        .then(|| Checks::from_headers(h, settings))
        .transpose()?;

    let mut meta = TusUpload::new(length, metadata);
    if concat == Some(ConcatRequest::Partial) {
        meta.concat = Some(Concat::Partial);
    }
    if length != Some(0) {
        meta.expires_at = tus.next_expiry();
    }
    let limit = receive::limit(settings, &meta, 0);
    if with_body {
        // Refused before anything exists, so a refusal changes nothing.
        receive::check_size(&body, limit)?;
    }

    let lock = tus.store.create(&meta).await?;
    let id = *lock.id();
    let mut offset = None;
    if let Some(checks) = checks {
        // hyper sends the 100 (Continue) when the body is first read.
        if !policy.reads_expected_body_at_once() && h.contains_key(EXPECT) {
            tokio::time::sleep(LATE_CONTINUE).await;
        }
        let mut appender = tus.store.append(&lock, 0).await?;
        match receive::receive(settings, body, &mut appender, checks, limit, &mut meta).await {
            Ok(received) => offset = Some(received),
            // The client is gone or stalled: keep the upload with what arrived.
            Err(r @ (Rejection::BodyStalled | Rejection::BodyInterrupted)) => return Err(r),
            // A refused body leaves nothing behind, not even the upload.
            Err(refusal) => {
                drop(appender);
                tus.store.remove(lock).await?;
                return Err(refusal);
            }
        }
    }
    let record = Record {
        offset: offset.unwrap_or(0),
        meta,
    };
    let mut response = created(&location, &id);
    if let Some(offset) = offset {
        response
            .headers_mut()
            .insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    }
    view::insert_expires(response.headers_mut(), &record);
    Ok(response)
}

/// A final upload: its length is the parts' sum; its bytes are assembled
/// now if every part is complete, else later (concatenation-unfinished).
/// Metadata of the parts is not carried over (P:L634-636).
async fn create_final<S: Store + Clone>(
    tus: &Tus<S>,
    parts: Vec<UploadId>,
    received: String,
    metadata: Vec<MetadataPair>,
) -> Result<UploadId, Rejection> {
    let length = concat::final_length(tus, &parts).await?;
    check_max(&tus.settings, length)?;
    let metadata = if tus.settings.policy().final_upload_has_own_metadata() {
        metadata
    } else {
        concat::parts_metadata(tus, &parts)
            .await?
            .into_iter()
            .chain(metadata)
            .collect()
    };
    let mut meta = TusUpload::new(Some(length), metadata);
    meta.concat = Some(Concat::Final { parts, received });
    let id = *tus.store.create(&meta).await?.id();
    concat::assemble_if_ready(tus, &id).await?;
    Ok(id)
}

/// 413 above `Tus-Max-Size` (P:L372-374).
fn check_max(settings: &Settings, length: u64) -> Result<(), Rejection> {
    let Some(max) = settings.max_size else {
        return Ok(());
    };
    if length > max || (length == max && !settings.policy().max_size_is_inclusive()) {
        Rejection::TooLarge { length, max }.unless_waived(&settings.faults)?;
    }
    Ok(())
}

/// 201 with the new upload's URL: `prefix` (from `Locations::prefix`) and its id.
fn created(prefix: &str, id: &UploadId) -> Response<ResBody> {
    let mut response = status(StatusCode::CREATED);
    response
        .headers_mut()
        .insert(LOCATION, ascii(format!("{prefix}{id}")));
    response
}
