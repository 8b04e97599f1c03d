//! The faults that change what a response says, not what the server does:
//! one step at the very end of every answer (and of every 104 head), so the
//! handlers stay correct and every such deviation is written here. Without
//! faults it changes nothing.

use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::digest::REPR_DIGEST;
use super::fields::{INTEROP_VERSION, UPLOAD_COMPLETE, UPLOAD_LENGTH, UPLOAD_LIMIT, UPLOAD_OFFSET};
use crate::faults::{Fault, Faults};

/// Which answer a header map belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// The 104 of a creation.
    Interim,
    /// A progress 104 sent while a transfer's content is received (see
    /// [`misreport_progress`]).
    Progress,
    /// The final response to a creation or an append.
    Transfer,
    /// Offset retrieval (HEAD or GET).
    Head,
    Options,
    Other,
}

pub(super) fn misreport(faults: &Faults, answer: Answer, status: StatusCode, h: &mut HeaderMap) {
    let on = |fault| faults.active(fault);
    match answer {
        Answer::Interim => {
            if on(Fault::Ietf104WithoutLocation) {
                h.remove(LOCATION);
            }
            if on(Fault::Ietf104WithoutLimit) {
                h.remove(UPLOAD_LIMIT);
            }
            if on(Fault::Ietf104WithoutInteropVersion) {
                h.remove(INTEROP_VERSION);
            }
        }
        Answer::Progress => {}
        Answer::Transfer => {
            if on(Fault::IetfNoReprDigest) {
                h.remove(REPR_DIGEST);
            }
            if on(Fault::IetfNoUploadComplete) && status.is_success() {
                h.remove(UPLOAD_COMPLETE);
            }
            let incomplete = h.get(UPLOAD_COMPLETE).is_some_and(|v| v == "?0");
            if on(Fault::IetfLocationDiffers)
                && status == StatusCode::CREATED
                && incomplete
                && let Some(location) = h.get(LOCATION).and_then(|l| l.to_str().ok())
                && let Ok(other) = HeaderValue::try_from(format!("{location}?final"))
            {
                h.insert(LOCATION, other);
            }
        }
        Answer::Head => {
            if on(Fault::IetfHeadWithoutLimit) {
                h.remove(UPLOAD_LIMIT);
            }
            if on(Fault::IetfHeadWithoutComplete) {
                h.remove(UPLOAD_COMPLETE);
            }
            if on(Fault::IetfHeadWithoutLength) {
                h.remove(UPLOAD_LENGTH);
            }
            if on(Fault::IetfHeadCacheable) {
                h.remove(CACHE_CONTROL);
            }
        }
        Answer::Options => {
            if on(Fault::IetfOptionsWithoutLimit) {
                h.remove(UPLOAD_LIMIT);
            }
            if on(Fault::IetfOptionsLooserLimits)
                && let Some(limit) = h.get(UPLOAD_LIMIT).and_then(|v| v.to_str().ok())
                && let Ok(looser) = HeaderValue::try_from(doubled_max_size(limit))
            {
                h.insert(UPLOAD_LIMIT, looser);
            }
        }
        Answer::Other => {}
    }
    if status == StatusCode::CONFLICT {
        if on(Fault::Ietf409WithoutOffset) {
            h.remove(UPLOAD_OFFSET);
        }
        if on(Fault::Ietf409WithoutUploadComplete) {
            h.remove(UPLOAD_COMPLETE);
        }
    }
    if on(Fault::IetfOffsetNotSfInteger)
        && let Some(offset) = h.get(UPLOAD_OFFSET).and_then(|v| v.to_str().ok())
        && let Ok(quoted) = HeaderValue::try_from(format!("\"{offset}\""))
    {
        h.insert(UPLOAD_OFFSET, quoted);
    }
}

/// `Upload-Limit` with its `max-size` member doubled (the others as written).
fn doubled_max_size(limit: &str) -> String {
    limit
        .split(',')
        .map(|member| {
            let member = member.trim();
            match member
                .strip_prefix("max-size=")
                .and_then(|size| size.parse::<u64>().ok())
            {
                Some(size) => format!("max-size={}", size.saturating_mul(2)),
                None => member.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A progress 104 (`h` holds its fields): as [`misreport`], and the fault
/// that puts the upload's `location` on an append's progress heads, which
/// must not carry it (RUFH-APP-104-NOLOC). A creation's carry it anyway.
pub(super) fn misreport_progress(faults: &Faults, location: HeaderValue, h: &mut HeaderMap) {
    if faults.active(Fault::IetfProgress104WithLocation) && !h.contains_key(LOCATION) {
        h.insert(LOCATION, location);
    }
    let status = StatusCode::from_u16(104).expect("104 is a status");
    misreport(faults, Answer::Progress, status, h);
}
