//! The faults that change what a response says, not what the server does:
//! one step at the very end of [`super::Tus::respond`], after the handler
//! and `Tus-Resumable`, so the handlers stay correct and every such
//! deviation is written here, next to the others. Without faults it changes
//! nothing.
//!
//! Each rewrite works on the finished response alone (method, status and
//! headers) and never fails: a header it cannot read is left as it is.

use std::time::Duration;

use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::Settings;
use super::names::{
    TUS_CHECKSUM_ALGORITHM, TUS_EXTENSION, TUS_MAX_SIZE, TUS_RESUMABLE, TUS_VERSION, UPLOAD_CONCAT,
    UPLOAD_DEFER_LENGTH, UPLOAD_EXPIRES, UPLOAD_LENGTH, UPLOAD_METADATA, UPLOAD_OFFSET,
};
use crate::faults::{Fault, Faults};
use crate::http::ResBody;

pub(super) fn misreport(settings: &Settings, method: &Method, response: &mut Response<ResBody>) {
    let faults = &settings.faults;
    let status = response.status();
    let h = response.headers_mut();
    let on = |fault| faults.active(fault);

    if on(Fault::NoTusResumableOnErrors) && (status.is_client_error() || status.is_server_error()) {
        h.remove(TUS_RESUMABLE);
    }
    match *method {
        Method::OPTIONS => options(faults, h),
        Method::HEAD => head(settings, h),
        Method::POST if status == StatusCode::CREATED => {
            if on(Fault::CreationOffsetZero) && h.contains_key(UPLOAD_OFFSET) {
                h.insert(UPLOAD_OFFSET, HeaderValue::from(0));
            }
            if on(Fault::NoExpiresOnCreation) {
                h.remove(UPLOAD_EXPIRES);
            }
            if on(Fault::LocationOutsideBase) {
                let outside = text(h, LOCATION.as_str()).and_then(outside_base);
                set(h, LOCATION.as_str(), outside);
            }
        }
        Method::PATCH if status == StatusCode::NO_CONTENT => {
            if on(Fault::NoExpiresOnPatch) {
                h.remove(UPLOAD_EXPIRES);
            }
            if on(Fault::PatchOffsetOffByOne) {
                let offset = text(h, UPLOAD_OFFSET).and_then(|o| o.parse::<u64>().ok());
                if let Some(offset) = offset {
                    h.insert(UPLOAD_OFFSET, HeaderValue::from(offset.saturating_add(1)));
                }
            }
        }
        _ => {}
    }
    if on(Fault::ExpiresInThePast) {
        let local = text(h, UPLOAD_EXPIRES)
            .and_then(|date| httpdate::parse_http_date(date).ok())
            .map(|utc| httpdate::fmt_http_date(utc - Duration::from_secs(5 * 3600)));
        set(h, UPLOAD_EXPIRES, local);
    }
    if on(Fault::ExpiresNotImfFixdate) {
        let rfc3339 = text(h, UPLOAD_EXPIRES).and_then(imf_to_rfc3339);
        set(h, UPLOAD_EXPIRES, rfc3339);
    }
    if on(Fault::PatchAnswers200) && *method == Method::PATCH && status == StatusCode::NO_CONTENT {
        *response.status_mut() = StatusCode::OK;
    }
}

/// The discovery headers.
fn options(faults: &Faults, h: &mut HeaderMap) {
    if faults.active(Fault::MaxSizeNotAdvertised) {
        h.remove(TUS_MAX_SIZE);
    }
    if faults.active(Fault::OptionsWithoutTusVersion) {
        h.remove(TUS_VERSION);
    }
    if faults.active(Fault::OptionsWithoutTusResumable) {
        h.remove(TUS_RESUMABLE);
    }
    if faults.active(Fault::CreationWithUploadAlone) {
        let list = text(h, TUS_EXTENSION).map(|list| without(list, "creation"));
        set(h, TUS_EXTENSION, list);
    }
    if faults.active(Fault::ExtensionMisspelled) {
        let list = text(h, TUS_EXTENSION).map(misspell_concatenation);
        set(h, TUS_EXTENSION, list);
    }
    if faults.active(Fault::ChecksumAlgorithmsUppercase) {
        let list = text(h, TUS_CHECKSUM_ALGORITHM).map(str::to_ascii_uppercase);
        set(h, TUS_CHECKSUM_ALGORITHM, list);
    }
    if faults.active(Fault::ChecksumWithoutSha1) {
        let list = text(h, TUS_CHECKSUM_ALGORITHM).map(|list| without(list, "sha1"));
        set(h, TUS_CHECKSUM_ALGORITHM, list);
    }
}

/// An upload's state as HEAD reports it.
fn head(settings: &Settings, h: &mut HeaderMap) {
    let faults = &settings.faults;
    let concat = text(h, UPLOAD_CONCAT).map(str::to_owned);
    let partial = concat.as_deref() == Some("partial");
    let is_final = concat.as_deref().is_some_and(|c| c.starts_with("final;"));
    let unfinished_final = is_final && !h.contains_key(UPLOAD_OFFSET);

    if faults.active(Fault::HeadCacheable) {
        h.remove(CACHE_CONTROL);
    }
    if faults.active(Fault::HeadOmitsZeroOffset) && text(h, UPLOAD_OFFSET) == Some("0") {
        h.remove(UPLOAD_OFFSET);
    }
    if faults.active(Fault::HeadOmitsLength) {
        h.remove(UPLOAD_LENGTH);
    }
    if faults.active(Fault::MetadataNotEchoed) {
        h.remove(UPLOAD_METADATA);
    }
    if faults.active(Fault::DeferredLengthAsZero) && h.remove(UPLOAD_DEFER_LENGTH).is_some() {
        h.insert(UPLOAD_LENGTH, HeaderValue::from(0u64));
    }
    if (faults.active(Fault::PartialHeadWithoutConcat) && partial)
        || (faults.active(Fault::FinalHeadWithoutConcat) && is_final)
    {
        h.remove(UPLOAD_CONCAT);
    }
    if faults.active(Fault::FinalConcatRewritten) && is_final {
        let rewritten = concat.and_then(|c| as_paths(&c, &settings.base_path));
        set(h, UPLOAD_CONCAT, rewritten);
    }
    if unfinished_final {
        if faults.active(Fault::UnfinishedFinalShowsOffset) {
            h.insert(UPLOAD_OFFSET, HeaderValue::from(0u64));
        }
        if faults.active(Fault::UnfinishedFinalWithoutLength) {
            h.remove(UPLOAD_LENGTH);
        }
    }
}

/// A header's value, if it is there and readable.
fn text<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Replaces a header's value with `value`, when there is one and it is a
/// valid header value; otherwise leaves the header as it was.
fn set(h: &mut HeaderMap, name: &'static str, value: Option<String>) {
    if let Some(value) = value.and_then(|v| HeaderValue::try_from(v).ok()) {
        h.insert(name, value);
    }
}

/// A Location without the endpoint's path: `http://h/files/ID` → `http://h/ID`,
/// `/files/ID` → `/ID`.
fn outside_base(location: &str) -> Option<String> {
    let (head, id) = location.rsplit_once('/')?;
    let origin = match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest
                .split_once('/')
                .map_or(rest, |(authority, _)| authority);
            format!("{scheme}://{authority}")
        }
        None => String::new(),
    };
    Some(format!("{origin}/{id}"))
}

/// `final;<urls>` with each URL as an absolute path: the authority of an
/// absolute URL dropped, a relative one put under the base path.
fn as_paths(concat: &str, base_path: &str) -> Option<String> {
    let urls = concat.strip_prefix("final;")?;
    let paths: Vec<String> = urls
        .split(' ')
        .map(|url| match url.split_once("://") {
            Some((_, rest)) => rest
                .find('/')
                .map_or("/", |slash| &rest[slash..])
                .to_owned(),
            None if url.starts_with('/') => url.to_owned(),
            None => format!("{base_path}{url}"),
        })
        .collect();
    Some(format!("final;{}", paths.join(" ")))
}

/// @tus/server's typo, on the `concatenation` token alone.
fn misspell_concatenation(list: &str) -> String {
    let tokens: Vec<&str> = list
        .split(',')
        .map(|t| match t {
            "concatenation" => "concatentation",
            other => other,
        })
        .collect();
    tokens.join(",")
}

/// A comma-separated list without one of its items.
fn without(list: &str, item: &str) -> String {
    let kept: Vec<&str> = list.split(',').filter(|i| i.trim() != item).collect();
    kept.join(",")
}

/// `Sun, 22 Nov 2026 00:04:56 GMT` → `2026-11-22T00:04:56Z`, as a date
/// library's default output would have it.
fn imf_to_rfc3339(date: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = date.split(' ').skip(1);
    let (day, month, year, time) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    Some(format!("{year}-{month:02}-{day}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_outside_the_base() {
        assert_eq!(
            outside_base("http://h:1/api/files/abc").as_deref(),
            Some("http://h:1/abc")
        );
        assert_eq!(outside_base("/files/abc").as_deref(), Some("/abc"));
    }

    #[test]
    fn concat_urls_as_paths() {
        assert_eq!(
            as_paths("final;http://h:1/files/a /files/b c", "/files/").as_deref(),
            Some("final;/files/a /files/b /files/c")
        );
        assert_eq!(as_paths("partial", "/files/"), None);
    }

    #[test]
    fn dates_and_lists() {
        assert_eq!(
            imf_to_rfc3339("Sun, 22 Nov 2026 00:04:56 GMT").as_deref(),
            Some("2026-11-22T00:04:56Z")
        );
        assert_eq!(imf_to_rfc3339("garbage"), None);
        assert_eq!(
            misspell_concatenation("creation,concatenation,concatenation-unfinished"),
            "creation,concatentation,concatenation-unfinished"
        );
    }
}
