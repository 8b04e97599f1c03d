//! The read-only requests: OPTIONS (discovery), HEAD (state) and GET (the
//! bytes, not part of tus but offered by every real server).

use std::time::{Duration, UNIX_EPOCH};

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::extension::Extension;
use super::headers::render_metadata;
use super::names::{
    TUS_CHECKSUM_ALGORITHM, TUS_EXTENSION, TUS_MAX_SIZE, TUS_VERSION, UPLOAD_CONCAT,
    UPLOAD_DEFER_LENGTH, UPLOAD_EXPIRES, UPLOAD_LENGTH, UPLOAD_METADATA, UPLOAD_OFFSET, VERSION,
};
use super::upload::{Concat, TusUpload, is_complete};
use super::{Rejection, Settings, Tus, ascii, concat, status};
use crate::http::{ResBody, stream};
use crate::store::{Record, Store, UploadId};

/// Discovery (P:L247-290): 204 with the version, the advertised extensions
/// (omitted when there are none, P:L177-179), the size limit and the
/// checksum algorithms.
pub(super) fn options(settings: &Settings) -> Response<ResBody> {
    let mut response = status(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    headers.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
    if !settings.extensions.is_empty() {
        let names: Vec<&str> = settings.extensions.iter().map(|e| e.name()).collect();
        headers.insert(TUS_EXTENSION, ascii(names.join(",")));
    }
    if let Some(max) = settings.max_size {
        headers.insert(TUS_MAX_SIZE, HeaderValue::from(max));
    }
    if settings.has(Extension::Checksum) {
        let names: Vec<&str> = settings.algorithms.iter().map(|a| a.name()).collect();
        headers.insert(TUS_CHECKSUM_ALGORITHM, ascii(names.join(",")));
    }
    response
}

/// HEAD (P:L195-209): the offset, the length (or the deferral), metadata,
/// concatenation role and expiry, never cached.
pub(super) async fn head<S: Store + Clone>(
    tus: &Tus<S>,
    id: &UploadId,
) -> Result<Response<ResBody>, Rejection> {
    let record = concat::current(tus, id).await?;
    let mut response = status(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // An unfinished final upload has no meaningful offset (P:L646-650).
    if record.meta.parts().is_none() || is_complete(&record) {
        headers.insert(UPLOAD_OFFSET, HeaderValue::from(record.offset));
    }
    match record.meta.length {
        Some(length) => headers.insert(UPLOAD_LENGTH, HeaderValue::from(length)),
        None => headers.insert(UPLOAD_DEFER_LENGTH, HeaderValue::from_static("1")),
    };
    if !record.meta.metadata.is_empty() {
        headers.insert(
            UPLOAD_METADATA,
            ascii(render_metadata(&record.meta.metadata)),
        );
    }
    match &record.meta.concat {
        Some(Concat::Partial) => {
            headers.insert(UPLOAD_CONCAT, HeaderValue::from_static("partial"));
        }
        // As received (P:L655-657); a record from before the value was
        // kept can only list the parts as paths.
        Some(Concat::Final { received, .. }) if !received.is_empty() => {
            headers.insert(UPLOAD_CONCAT, ascii(received.clone()));
        }
        Some(Concat::Final { parts, .. }) => {
            let urls: Vec<String> = parts
                .iter()
                .map(|p| tus.settings.locations.path(p))
                .collect();
            headers.insert(UPLOAD_CONCAT, ascii(format!("final;{}", urls.join(" "))));
        }
        None => {}
    }
    insert_expires(headers, &record);
    Ok(response)
}

/// GET: the bytes received so far, never cached. A final upload that is not
/// complete has no bytes yet and is refused rather than shown empty.
pub(super) async fn get<S: Store + Clone>(
    tus: &Tus<S>,
    id: &UploadId,
) -> Result<Response<ResBody>, Rejection> {
    let record = concat::current(tus, id).await?;
    if record.meta.parts().is_some() && !is_complete(&record) {
        return Err(Rejection::FinalIncomplete);
    }
    let bytes = tus.store.read(id, record.offset).await?;
    let mut response = Response::new(stream(bytes));
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(record.offset));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `Upload-Expires` (P:L476-489) for an unfinished upload that expires, as
/// an IMF-fixdate.
pub(super) fn insert_expires(headers: &mut HeaderMap, record: &Record<TusUpload>) {
    if let Some(at) = record.meta.expires_at.filter(|_| !is_complete(record)) {
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(at));
        headers.insert(UPLOAD_EXPIRES, ascii(date));
    }
}
