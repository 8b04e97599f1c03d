//! PutObject, GetObject and HeadObject (Range, `?partNumber=`,
//! conditionals), DeleteObject, DeleteObjects, CopyObject, and the pieces
//! UploadPartCopy shares: copy sources and streaming a stored range.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use http::{HeaderMap, Response, StatusCode};
use hyper::body::Incoming;
use md5::Digest as _;

use super::body::{self, Checks, MAX_OBJECT, Received, ToStore};
use super::catalog::{Catalog, Layout, Object, ObjectChecksum, ObjectRecord};
use super::checksum::{self, Algorithm, ChecksumType};
use super::clock;
use super::error::S3Error;
use super::headers::{self, StoredHeaders};
use super::{Ctx, Settings, rules, xml, xml_response};
use crate::http::{ByteStream, ResBody, stream as stream_body};
use crate::store::{Appender, Store, UploadId};

/// PutObject: streams the body into a fresh entry, verifies it, then makes
/// it the key's object (an overwrite replaces atomically).
pub(super) async fn put<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: Ctx,
    body: Incoming,
) -> Result<Response<ResBody>, S3Error> {
    let (bucket, key) = (ctx.route.bucket.clone(), ctx.route.key.clone());
    let current = catalog.object(&bucket, &key)?;
    let precondition = write_precondition(&ctx.parts.headers, &key, true);
    precondition(current.as_deref())?;
    let stored = StoredHeaders::from_request(&ctx.parts.headers)?;
    let checks =
        Checks::from_headers(&ctx.parts.headers, ctx.verified.payload.clone(), MAX_OBJECT)?;
    let algorithm = checks.checksum.as_ref().map(|c| c.algorithm);
    let (lock, meta) = catalog
        .write_blob(
            async |appender| {
                body::receive(body, checks, &mut ToStore(appender), settings.idle_timeout).await
            },
            |received| object_record(catalog, bucket, key, stored, received, algorithm),
        )
        .await?;
    let (etag, checksum) = (meta.etag.clone(), meta.checksum.clone());
    catalog.install_object(lock, meta, &precondition).await?;
    let mut response = super::status(StatusCode::OK);
    let out = response.headers_mut();
    out.insert(
        http::header::ETAG,
        headers::value(rules::quoted_etag(&etag)),
    );
    if let Some(checksum) = checksum {
        out.insert(checksum.algorithm.header(), headers::value(checksum.value));
        out.insert("x-amz-checksum-type", headers::value(checksum.kind.name()));
    }
    Ok(response)
}

/// The record of a single-part object (PutObject, CopyObject), with its
/// `algorithm` checksum when one was asked for.
fn object_record<St: Store + Clone>(
    catalog: &Catalog<St>,
    bucket: String,
    key: String,
    headers: StoredHeaders,
    received: Received,
    algorithm: Option<Algorithm>,
) -> ObjectRecord {
    let checksum = algorithm.and_then(|a| {
        received.checksum(a).map(|raw| ObjectChecksum {
            algorithm: a,
            kind: ChecksumType::FullObject,
            value: checksum::encode(raw),
        })
    });
    ObjectRecord {
        bucket,
        key,
        seq: catalog.seq(),
        size: received.size,
        etag: rules::md5_etag(&received.md5),
        last_modified_ms: clock::now_ms(),
        headers,
        checksum,
        layout: Layout::Inline,
        from_upload: None,
    }
}

/// The write preconditions of PutObject and Complete, checked against the
/// key's current object: `If-None-Match: *` (no object may exist),
/// `If-None-Match: <etag>` (it must not be that one), `If-Match` (it must
/// exist, 404 NoSuchKey otherwise, and be that one, or any for `*`).
/// `If-None-Match` is read only when `honour_if_none_match` (a fault may
/// tell Complete not to).
pub(super) fn write_precondition(
    headers: &HeaderMap,
    key: &str,
    honour_if_none_match: bool,
) -> impl Fn(Option<&Object>) -> Result<(), S3Error> + Send + Sync + 'static {
    let if_none = headers::text(headers, "if-none-match")
        .filter(|_| honour_if_none_match)
        .map(str::to_owned);
    let if_match = headers::text(headers, "if-match").map(str::to_owned);
    let key = key.to_owned();
    move |current| {
        if let Some(tags) = &if_none
            && let Some(object) = current
            && etag_list_matches(tags, &object.meta.etag)
        {
            return Err(S3Error::PreconditionFailed {
                condition: "If-None-Match",
            });
        }
        if let Some(tags) = &if_match {
            let Some(object) = current else {
                return Err(S3Error::NoSuchKey { key: key.clone() });
            };
            if !etag_list_matches(tags, &object.meta.etag) {
                return Err(S3Error::PreconditionFailed {
                    condition: "If-Match",
                });
            }
        }
        Ok(())
    }
}

/// Whether an `If-Match`/`If-None-Match` list names `etag` (or is `*`).
fn etag_list_matches(list: &str, etag: &str) -> bool {
    list.split(',').any(|tag| {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || rules::etag_matches(tag, etag)
    })
}

/// The read preconditions of GET and HEAD (RFC 9110 §13.2.2 order).
fn read_precondition(headers: &HeaderMap, object: &Object) -> Result<(), S3Error> {
    let modified = object.meta.last_modified_ms / 1000;
    let date = |name| {
        headers::text(headers, name)
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(|t| clock::to_ms(t) / 1000)
    };
    let etag = &object.meta.etag;
    match headers::text(headers, "if-match") {
        Some(list) if !etag_list_matches(list, etag) => {
            return Err(S3Error::PreconditionFailed {
                condition: "If-Match",
            });
        }
        Some(_) => {}
        None => {
            if date("if-unmodified-since").is_some_and(|since| modified > since) {
                return Err(S3Error::PreconditionFailed {
                    condition: "If-Unmodified-Since",
                });
            }
        }
    }
    match headers::text(headers, "if-none-match") {
        Some(list) if etag_list_matches(list, etag) => {
            return Err(S3Error::NotModified { etag: etag.clone() });
        }
        Some(_) => {}
        None => {
            if date("if-modified-since").is_some_and(|since| modified <= since) {
                return Err(S3Error::NotModified { etag: etag.clone() });
            }
        }
    }
    Ok(())
}

/// A byte range of an object, resolved.
struct Span {
    start: u64,
    len: u64,
}

/// Parses a `Range` header against `size`. `Ok(None)`: serve the whole
/// object (no header, a syntax AWS ignores, or several ranges, which S3
/// does not serve). Unsatisfiable: 416 InvalidRange.
fn range(value: Option<&str>, size: u64) -> Result<Option<Span>, S3Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    let unsatisfiable = || S3Error::InvalidRange {
        range: value.to_owned(),
        size,
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => {
            let Some(n) = number(suffix) else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            let len = n.min(size);
            Ok(Some(Span {
                start: size - len,
                len,
            }))
        }
        (first, last) => {
            let Some(start) = number(first) else {
                return Ok(None);
            };
            let end = match last {
                "" => size.saturating_sub(1),
                last => match number(last) {
                    Some(end) if end >= start => end.min(size.saturating_sub(1)),
                    _ => return Ok(None),
                },
            };
            if start >= size {
                return Err(unsatisfiable());
            }
            Ok(Some(Span {
                start,
                len: end - start + 1,
            }))
        }
    }
}

/// Streams bytes `[start, start + len)` of an object from its entries,
/// opening each only when the previous one is done (memory stays flat).
pub(super) fn object_stream<St: Store + Clone>(
    store: St,
    object: &Object,
    start: u64,
    len: u64,
) -> ByteStream {
    let pieces: Vec<(UploadId, u64, u64)> = match &object.meta.layout {
        Layout::Inline => vec![(object.id, start, len)],
        Layout::Parts(segments) => {
            let end = start + len;
            let mut offset = 0;
            let mut pieces = Vec::new();
            for segment in segments {
                let (seg_start, seg_end) = (offset, offset + segment.size);
                offset = seg_end;
                let (from, to) = (start.max(seg_start), end.min(seg_end));
                if from < to {
                    pieces.push((segment.blob, from - seg_start, to - from));
                }
            }
            pieces
        }
    };
    Box::pin(
        stream::iter(pieces)
            .then(move |(id, from, len)| {
                let store = store.clone();
                async move {
                    store
                        .read_range(&id, from, len)
                        .await
                        .map_err(io::Error::other)
                }
            })
            .try_flatten(),
    )
}

/// GetObject and HeadObject.
pub(super) async fn get<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let key = &ctx.route.key;
    let object = catalog
        .object(&ctx.route.bucket, key)?
        .ok_or_else(|| S3Error::NoSuchKey { key: key.clone() })?;
    read_precondition(&ctx.parts.headers, &object)?;
    let size = object.meta.size;
    let checksum_mode = ctx
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    // (span, partial?, parts count, checksum to show)
    let part_number = ctx
        .route
        .param("partNumber")
        .filter(|_| ctx.policy().reads_part_number());
    let (span, partial, parts_count, shown) = match part_number {
        Some(number) => {
            if ctx.header("range").is_some() {
                return Err(S3Error::InvalidRequest(
                    "Cannot specify both Range header and partNumber query parameter".into(),
                ));
            }
            let number = rules::part_number(number, ctx.faults)?;
            let invalid = |actual| S3Error::InvalidPartNumber {
                requested: number,
                actual,
            };
            match &object.meta.layout {
                Layout::Inline if number == 1 || !ctx.policy().plain_object_has_only_part_1() => (
                    Span {
                        start: 0,
                        len: size,
                    },
                    size > 0,
                    1,
                    object
                        .meta
                        .checksum
                        .as_ref()
                        .map(|c| (c.algorithm, c.value.clone(), c.kind)),
                ),
                Layout::Inline => return Err(invalid(1)),
                Layout::Parts(segments) => {
                    let index = if !ctx.policy().part_numbers_count_from_1() {
                        number as usize
                    } else {
                        number as usize - 1
                    };
                    let segment = segments.get(index).ok_or_else(|| invalid(segments.len()))?;
                    let start: u64 = segments[..index].iter().map(|s| s.size).sum();
                    let shown = object.meta.checksum.as_ref().and_then(|c| {
                        segment
                            .checksum
                            .clone()
                            .map(|value| (c.algorithm, value, c.kind))
                    });
                    (
                        Span {
                            start,
                            len: segment.size,
                        },
                        segment.size > 0,
                        segments.len(),
                        shown,
                    )
                }
            }
        }
        None => match range(ctx.header("range"), size)? {
            Some(span) => (span, true, 0, None),
            None => (
                Span {
                    start: 0,
                    len: size,
                },
                false,
                0,
                object
                    .meta
                    .checksum
                    .as_ref()
                    .map(|c| (c.algorithm, c.value.clone(), c.kind)),
            ),
        },
    };
    let body = if ctx.parts.method == http::Method::HEAD {
        crate::http::empty()
    } else {
        stream_body(object_stream(
            catalog.store().clone(),
            &object,
            span.start,
            span.len,
        ))
    };
    let mut response = Response::new(body);
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    let out = response.headers_mut();
    object.meta.headers.apply(out);
    out.insert(http::header::CONTENT_LENGTH, span.len.into());
    let etag = match object.meta.etag.split_once('-') {
        Some((digest, _count)) if !ctx.policy().reads_show_stored_etag() => digest,
        _ => &object.meta.etag,
    };
    out.insert(http::header::ETAG, headers::value(rules::quoted_etag(etag)));
    out.insert(
        http::header::LAST_MODIFIED,
        headers::value(clock::http_date(object.meta.last_modified_ms)),
    );
    out.insert(
        http::header::ACCEPT_RANGES,
        http::HeaderValue::from_static("bytes"),
    );
    let part_without_range = part_number.is_some() && !ctx.policy().part_read_has_content_range();
    if partial && !part_without_range {
        out.insert(
            http::header::CONTENT_RANGE,
            headers::value(format!(
                "bytes {}-{}/{size}",
                span.start,
                span.start + span.len - 1
            )),
        );
    }
    if parts_count > 0 && matches!(object.meta.layout, Layout::Parts(_)) {
        out.insert("x-amz-mp-parts-count", parts_count.into());
    }
    if checksum_mode && let Some((algorithm, value, kind)) = shown {
        out.insert(algorithm.header(), headers::value(value));
        out.insert("x-amz-checksum-type", headers::value(kind.name()));
    }
    for (param, header) in [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ] {
        if let Some(value) = ctx.route.param(param)
            && let Ok(value) = http::HeaderValue::from_str(value)
        {
            out.insert(header, value);
        }
    }
    Ok(response)
}

/// DeleteObject: 204 whether or not the key existed.
pub(super) async fn delete<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    catalog
        .delete_object(&ctx.route.bucket, &ctx.route.key)
        .await?;
    Ok(super::status(StatusCode::NO_CONTENT))
}

/// Most keys in one DeleteObjects (AWS: 1000).
const MAX_DELETE: usize = 1000;

/// DeleteObjects (`POST /bucket?delete`): every listed key is deleted;
/// `Quiet` leaves the successes out of the answer.
pub(super) async fn delete_many<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: Ctx,
    body: Incoming,
) -> Result<Response<ResBody>, S3Error> {
    catalog.require_bucket(&ctx.route.bucket)?;
    let checks = Checks::xml(&ctx.parts.headers, ctx.verified.payload.clone(), true)?;
    let bytes = body::read_all(body, checks, settings.idle_timeout).await?;
    let root = xml::parse(&bytes)?;
    if root.name != "Delete" {
        return Err(S3Error::MalformedXml);
    }
    let quiet = root
        .child_value("Quiet")?
        .is_some_and(|q| q.eq_ignore_ascii_case("true"));
    // Keys are opaque: the one named is the one deleted and reported.
    let trimmed = !ctx.policy().keys_are_opaque();
    let keys: Vec<String> = root
        .children("Object")
        .map(|o| {
            let key = o.child_exact("Key")?.ok_or(S3Error::MalformedXml)?;
            Ok(if trimmed { key.trim() } else { key }.to_owned())
        })
        .collect::<Result<_, S3Error>>()?;
    if keys.is_empty() || keys.len() > MAX_DELETE {
        return Err(S3Error::MalformedXml);
    }
    let mut out = xml::Writer::new("DeleteResult");
    for key in keys {
        catalog.delete_object(&ctx.route.bucket, &key).await?;
        if !quiet {
            out.open("Deleted").elem("Key", key).close();
        }
    }
    Ok(xml_response(out.finish()))
}

/// `x-amz-copy-source: [/]bucket/key` (URL-encoded; a `?versionId=` other
/// than `null` names a version this unversioned server cannot have).
pub(super) fn copy_source<St: Store + Clone>(
    catalog: &Catalog<St>,
    headers: &HeaderMap,
) -> Result<Arc<Object>, S3Error> {
    let raw = headers::text(headers, "x-amz-copy-source").unwrap_or_default();
    let (path, version) = match raw.split_once('?') {
        Some((path, query)) => (path, query.strip_prefix("versionId=")),
        None => (raw, None),
    };
    if version.is_some_and(|v| v != "null") {
        return Err(S3Error::NotImplemented("copying a specific version".into()));
    }
    let decoded = percent_encoding::percent_decode_str(path.strip_prefix('/').unwrap_or(path))
        .decode_utf8()
        .map_err(|_| S3Error::InvalidArgument {
            message: "Invalid copy source encoding".into(),
            name: "x-amz-copy-source".into(),
            value: raw.to_owned(),
        })?;
    let (bucket, key) = decoded
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| S3Error::InvalidArgument {
            message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
                .into(),
            name: "x-amz-copy-source".into(),
            value: raw.to_owned(),
        })?;
    catalog
        .object(bucket, key)?
        .ok_or_else(|| S3Error::NoSuchKey {
            key: key.to_owned(),
        })
}

/// Streams `[start, start + len)` of `source` into `appender`, digesting as
/// it goes.
pub(super) async fn copy_into<St: Store + Clone>(
    store: &St,
    source: &Object,
    start: u64,
    len: u64,
    appender: &mut St::Appender,
    algorithms: &[Algorithm],
) -> Result<Received, S3Error> {
    let mut bytes = object_stream(store.clone(), source, start, len);
    let mut md5 = md5::Md5::new();
    let mut hashers: Vec<_> = algorithms.iter().map(|a| (*a, a.hasher())).collect();
    let mut size = 0;
    while let Some(chunk) = bytes.next().await {
        let chunk: Bytes = chunk.map_err(|e| {
            S3Error::Internal(crate::store::StoreError::Io {
                action: "reading the copy source",
                path: Default::default(),
                source: e,
            })
        })?;
        size += chunk.len() as u64;
        md5.update(&chunk);
        hashers.iter_mut().for_each(|(_, h)| h.update(&chunk));
        appender.write(chunk).await?;
    }
    Ok(Received {
        size,
        md5: md5.finalize().into(),
        checksums: hashers.into_iter().map(|(a, h)| (a, h.finish())).collect(),
    })
}

/// CopyObject: the source's bytes under a new key; metadata copied unless
/// `x-amz-metadata-directive: REPLACE`.
pub(super) async fn copy<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let (bucket, key) = (ctx.route.bucket.clone(), ctx.route.key.clone());
    catalog.require_bucket(&bucket)?;
    let source = copy_source(catalog, &ctx.parts.headers)?;
    let replace = ctx
        .header("x-amz-metadata-directive")
        .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    if !replace && source.meta.bucket == bucket && source.meta.key == key {
        return Err(S3Error::InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.".into(),
        ));
    }
    let stored = if replace {
        StoredHeaders::from_request(&ctx.parts.headers)?
    } else {
        source.meta.headers.clone()
    };
    let precondition = write_precondition(&ctx.parts.headers, &key, true);
    let algorithm = source.meta.checksum.as_ref().map(|c| c.algorithm);
    let algorithms: Vec<Algorithm> = algorithm.into_iter().collect();
    let store = catalog.store();
    let (lock, meta) = catalog
        .write_blob(
            async |appender| {
                copy_into(store, &source, 0, source.meta.size, appender, &algorithms).await
            },
            |copied| object_record(catalog, bucket, key, stored, copied, algorithm),
        )
        .await?;
    let (etag, modified) = (meta.etag.clone(), meta.last_modified_ms);
    catalog.install_object(lock, meta, precondition).await?;
    let mut out = xml::Writer::new("CopyObjectResult");
    out.elem("ETag", rules::quoted_etag(&etag))
        .elem("LastModified", clock::iso8601(modified));
    Ok(xml_response(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |v: &str| range(Some(v), 100).map(|o| o.map(|s| (s.start, s.len)));
        assert_eq!(r("bytes=0-9").unwrap(), Some((0, 10)));
        assert_eq!(r("bytes=90-").unwrap(), Some((90, 10)));
        assert_eq!(r("bytes=-10").unwrap(), Some((90, 10)));
        assert_eq!(r("bytes=-1000").unwrap(), Some((0, 100)));
        assert_eq!(r("bytes=50-1000").unwrap(), Some((50, 50)));
        assert_eq!(r("bytes=0-1,5-6").unwrap(), None);
        assert_eq!(r("bytes=9-1").unwrap(), None);
        assert_eq!(r("items=0-1").unwrap(), None);
        assert!(r("bytes=100-").is_err());
        assert!(r("bytes=-0").is_err());
        assert!(range(Some("bytes=0-0"), 0).is_err());
    }
}
