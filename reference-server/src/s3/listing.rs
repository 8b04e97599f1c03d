//! ListBuckets, ListObjects (v1 and v2) and ListMultipartUploads, with
//! their prefix, delimiter, marker and pagination rules.
//!
//! Both key listings walk a sorted map from the marker on, roll keys up
//! into common prefixes at the delimiter (a common prefix counts once
//! towards the page size), and stop after a page ([`page`]).
//!
//! The ListMultipartUploads faults (`crate::faults`) are decided in
//! [`list_uploads`], before the shared [`page`], so ListObjects never sees
//! them: which keys a prefix or key-marker selects, the order uploads are
//! paged in, and whether the delimiter is read.

use std::ops::Bound;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::Response;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::catalog::Catalog;
use super::clock;
use super::error::S3Error;
use super::multipart::{int_arg, owner};
use super::{Ctx, rules, xml, xml_response};
use crate::http::ResBody;
use crate::store::{Store, UploadId};

/// One entry of a page.
pub enum Entry<T> {
    Item(String, T),
    Prefix(String),
}

/// Pages through `items` (sorted by key, starting after the marker): keys
/// under `prefix`, except those under `skip` (a common prefix already
/// returned), rolled up at `delimiter`, at most `max` entries. Returns the
/// entries and whether more follow.
pub fn page<'a, T>(
    items: impl Iterator<Item = (&'a str, T)>,
    prefix: &str,
    delimiter: Option<&str>,
    skip: Option<&str>,
    max: usize,
) -> (Vec<Entry<T>>, bool) {
    let mut out: Vec<Entry<T>> = Vec::new();
    if max == 0 {
        return (out, false);
    }
    for (key, item) in items {
        if !key.starts_with(prefix) {
            if key > prefix {
                break;
            }
            continue;
        }
        if skip.is_some_and(|s| key.starts_with(s)) {
            continue;
        }
        let rolled = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|at| &key[..prefix.len() + at + d.len()])
        });
        if let Some(common) = rolled {
            if matches!(out.last(), Some(Entry::Prefix(p)) if p == common) {
                continue;
            }
            if out.len() == max {
                return (out, true);
            }
            out.push(Entry::Prefix(common.to_owned()));
            continue;
        }
        if out.len() == max {
            return (out, true);
        }
        out.push(Entry::Item(key.to_owned(), item));
    }
    (out, false)
}

/// `encoding-type=url`: keys percent-encoded except unreserved and `/`
/// (what botocore's decoder expects).
const URL_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

struct Encoding(bool);

impl Encoding {
    fn from(ctx: &Ctx) -> Result<Self, S3Error> {
        match ctx.route.param("encoding-type") {
            None => Ok(Self(false)),
            Some("url") => Ok(Self(true)),
            Some(other) => Err(S3Error::invalid_argument(
                "Invalid Encoding Method specified in Request",
                "encoding-type",
                other,
            )),
        }
    }

    fn apply(&self, text: &str) -> String {
        if self.0 {
            utf8_percent_encode(text, URL_SET).to_string()
        } else {
            text.to_owned()
        }
    }
}

/// The start of a walk: after `marker` (if any), and no earlier than
/// `prefix`.
fn lower_bound<'a>(marker: Option<&'a str>, prefix: &'a str) -> Bound<&'a str> {
    match marker {
        Some(marker) if marker >= prefix => Bound::Excluded(marker),
        _ => Bound::Included(prefix),
    }
}

/// ListBuckets.
pub(super) fn list_buckets<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let buckets: Vec<(String, u64)> = catalog.read(|index| {
        index
            .buckets
            .iter()
            .map(|(name, b)| (name.clone(), b.created_ms))
            .collect()
    });
    let mut out = xml::Writer::new("ListAllMyBucketsResult");
    owner(&mut out, "Owner", &ctx.owner());
    out.open("Buckets");
    for (name, created) in buckets {
        out.open("Bucket")
            .elem("Name", name)
            .elem("CreationDate", clock::iso8601(created))
            .close();
    }
    out.close();
    Ok(xml_response(out.finish()))
}

/// ListObjects (v1, `marker`) and ListObjectsV2 (`continuation-token`,
/// `start-after`). A v2 token is opaque: the last entry returned, tagged
/// key or common prefix, base64url-encoded.
pub(super) fn list_objects<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
    v2: bool,
) -> Result<Response<ResBody>, S3Error> {
    let bucket = &ctx.route.bucket;
    let prefix = ctx.route.param("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx
        .route
        .param("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let max =
        int_arg(ctx, "max-keys")?.map_or(rules::MAX_PAGE, |m| (m as usize).min(rules::MAX_PAGE));
    let encoding = Encoding::from(ctx)?;
    let token = ctx.route.param("continuation-token");
    let (marker, skip): (Option<String>, Option<String>) = if v2 {
        match token {
            Some(token) => {
                let decoded = URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .ok_or_else(|| {
                        S3Error::invalid_argument(
                            "The continuation token provided is incorrect",
                            "continuation-token",
                            token,
                        )
                    })?;
                match decoded.split_at_checked(1) {
                    Some(("k", key)) => (Some(key.to_owned()), None),
                    Some(("p", common)) => (Some(common.to_owned()), Some(common.to_owned())),
                    _ => {
                        return Err(S3Error::invalid_argument(
                            "The continuation token provided is incorrect",
                            "continuation-token",
                            token,
                        ));
                    }
                }
            }
            None => (ctx.route.param("start-after").map(str::to_owned), None),
        }
    } else {
        let marker = ctx.route.param("marker").map(str::to_owned);
        // A v1 marker that is a common prefix skips everything under it.
        let skip = marker
            .clone()
            .filter(|m| delimiter.as_deref().is_some_and(|d| m.ends_with(d)));
        (marker, skip)
    };
    let (entries, truncated) = catalog.read(|index| {
        let bucket = index.bucket(bucket)?;
        let items = bucket
            .objects
            .range::<str, _>((lower_bound(marker.as_deref(), &prefix), Bound::Unbounded))
            .map(|(k, o)| (k.as_str(), o.clone()));
        Ok::<_, S3Error>(page(
            items,
            &prefix,
            delimiter.as_deref(),
            skip.as_deref(),
            max,
        ))
    })?;
    let mut out = xml::Writer::new("ListBucketResult");
    out.elem("Name", bucket)
        .elem("Prefix", encoding.apply(&prefix));
    if v2 {
        if let Some(token) = token {
            out.elem("ContinuationToken", token);
        }
        if let Some(after) = ctx.route.param("start-after") {
            out.elem("StartAfter", encoding.apply(after));
        }
        let count = entries.len();
        out.elem("KeyCount", count);
    } else {
        out.elem(
            "Marker",
            encoding.apply(marker.as_deref().unwrap_or_default()),
        );
    }
    out.elem("MaxKeys", max);
    if let Some(d) = &delimiter {
        out.elem("Delimiter", encoding.apply(d));
    }
    out.elem("IsTruncated", truncated);
    if truncated {
        let last = match entries.last() {
            Some(Entry::Item(key, _)) => format!("k{key}"),
            Some(Entry::Prefix(common)) => format!("p{common}"),
            None => String::new(),
        };
        if v2 {
            out.elem("NextContinuationToken", URL_SAFE_NO_PAD.encode(last));
        } else {
            out.elem("NextMarker", encoding.apply(&last[1..]));
        }
    }
    if encoding.0 {
        out.elem("EncodingType", "url");
    }
    let fetch_owner = !v2 || ctx.route.param("fetch-owner") == Some("true");
    for entry in &entries {
        if let Entry::Item(key, object) = entry {
            out.open("Contents")
                .elem("Key", encoding.apply(key))
                .elem("LastModified", clock::iso8601(object.meta.last_modified_ms))
                .elem("ETag", rules::quoted_etag(&object.meta.etag))
                .elem("Size", object.meta.size);
            if let Some(checksum) = &object.meta.checksum {
                out.elem("ChecksumAlgorithm", checksum.algorithm.name())
                    .elem("ChecksumType", checksum.kind.name());
            }
            if fetch_owner {
                owner(&mut out, "Owner", &ctx.owner());
            }
            out.elem("StorageClass", "STANDARD").close();
        }
    }
    for entry in &entries {
        if let Entry::Prefix(common) = entry {
            out.open("CommonPrefixes")
                .elem("Prefix", encoding.apply(common))
                .close();
        }
    }
    Ok(xml_response(out.finish()))
}

/// ListMultipartUploads: sorted by key, then by initiation; `key-marker`
/// alone starts after every upload of that key, with `upload-id-marker`
/// after that upload within the key (an unknown id: after the whole key).
pub(super) fn list_uploads<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let bucket = &ctx.route.bucket;
    let prefix = ctx.route.param("prefix").unwrap_or_default().to_owned();
    let policy = ctx.policy();
    let delimiter = ctx
        .route
        .param("delimiter")
        .filter(|d| !d.is_empty())
        .filter(|_| policy.uploads_grouped_by_delimiter())
        .map(str::to_owned);
    let max =
        int_arg(ctx, "max-uploads")?.map_or(rules::MAX_PAGE, |m| (m as usize).min(rules::MAX_PAGE));
    let mut encoding = Encoding::from(ctx)?;
    if !policy.uploads_honour_encoding_type() {
        encoding = Encoding(false);
    }
    let key_marker = ctx.route.param("key-marker").filter(|m| !m.is_empty());
    let id_marker = ctx
        .route
        .param("upload-id-marker")
        .filter(|_| key_marker.is_some())
        .filter(|m| !m.is_empty())
        .filter(|_| policy.reads_upload_id_marker());
    let skip = key_marker
        .filter(|m| delimiter.as_deref().is_some_and(|d| m.ends_with(d)))
        .map(str::to_owned);
    let (entries, truncated) = catalog.read(|index| {
        let bucket = index.bucket(bucket)?;
        // Within the marker key, uploads after the marker id's seq.
        let after_seq = id_marker.and_then(|id| {
            UploadId::parse(id)
                .and_then(|id| index.uploads.get(&id))
                .filter(|u| Some(u.meta.key.as_str()) == key_marker)
                .map(|u| u.meta.seq)
        });
        // Filtered here, not only in `page`: `page` stops at the first key
        // past the prefix, which only a sorted walk allows.
        let in_prefix = |key: &str| match ctx.route.param("prefix") {
            Some(p) if !policy.prefix_is_a_prefix() => key == p,
            _ => key.starts_with(&prefix),
        };
        let selected = bucket
            .uploads
            .iter()
            .filter(|((key, _), _)| in_prefix(key))
            .filter(|((key, seq), _)| match key_marker {
                None => true,
                Some(marker) => {
                    key.as_str() > marker
                        || (key == marker
                            && (after_seq.is_some_and(|after| *seq > after)
                                || (id_marker.is_none() && !policy.key_marker_is_exclusive())))
                }
            })
            .filter_map(|((key, _), id)| {
                index
                    .uploads
                    .get(id)
                    .map(|u| (key.as_str(), (*id, u.meta.clone())))
            });
        // Walked lazily, so a page reads only what it lists; the fault has to
        // read them all to reorder them.
        let items: Box<dyn Iterator<Item = _>> = if !policy.uploads_listed_in_key_order() {
            let mut all: Vec<_> = selected.collect();
            all.sort_by_key(|(_, (_, meta))| meta.seq);
            Box::new(all.into_iter())
        } else {
            Box::new(selected)
        };
        Ok::<_, S3Error>(page(
            items,
            &prefix,
            delimiter.as_deref(),
            skip.as_deref(),
            max,
        ))
    })?;
    let mut out = xml::Writer::new("ListMultipartUploadsResult");
    out.elem("Bucket", bucket)
        .elem("KeyMarker", encoding.apply(key_marker.unwrap_or_default()))
        .elem("UploadIdMarker", id_marker.unwrap_or_default());
    let next = truncated && policy.truncated_uploads_give_next_markers();
    let (next_key, next_id) = match entries.last() {
        Some(Entry::Item(key, (id, _))) if next => (key.clone(), id.to_string()),
        Some(Entry::Prefix(common)) if next => (common.clone(), String::new()),
        _ => (String::new(), String::new()),
    };
    out.elem("NextKeyMarker", encoding.apply(&next_key))
        .elem("NextUploadIdMarker", next_id);
    if let Some(d) = &delimiter {
        out.elem("Delimiter", encoding.apply(d));
    }
    if !prefix.is_empty() {
        out.elem("Prefix", encoding.apply(&prefix));
    }
    out.elem("MaxUploads", max).elem("IsTruncated", truncated);
    if encoding.0 {
        out.elem("EncodingType", "url");
    }
    for entry in &entries {
        if let Entry::Item(key, (id, meta)) = entry {
            out.open("Upload")
                .elem("Key", encoding.apply(key))
                .elem("UploadId", id);
            owner(&mut out, "Initiator", &meta.owner);
            owner(&mut out, "Owner", &meta.owner);
            out.elem("StorageClass", "STANDARD")
                .elem("Initiated", clock::iso8601(meta.initiated_ms));
            if let Some(checksum) = meta.checksum {
                out.elem("ChecksumAlgorithm", checksum.algorithm.name())
                    .elem("ChecksumType", checksum.kind.name());
            }
            out.close();
        }
    }
    for entry in &entries {
        if let Entry::Prefix(common) = entry {
            out.open("CommonPrefixes")
                .elem("Prefix", encoding.apply(common))
                .close();
        }
    }
    Ok(xml_response(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry<()>]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Item(k, _) => k.clone(),
                Entry::Prefix(p) => format!("{p}*"),
            })
            .collect()
    }

    #[test]
    fn pages_with_prefix_delimiter_and_skip() {
        let keys = ["a/1", "a/2", "b", "c/x/1", "c/y", "d"];
        let all = || keys.iter().map(|k| (*k, ()));
        let (e, t) = page(all(), "", Some("/"), None, 10);
        assert_eq!(names(&e), ["a/*", "b", "c/*", "d"]);
        assert!(!t);
        let (e, t) = page(all(), "", Some("/"), None, 2);
        assert_eq!(names(&e), ["a/*", "b"]);
        assert!(t);
        let (e, _) = page(all(), "c/", Some("/"), None, 10);
        assert_eq!(names(&e), ["c/x/*", "c/y"]);
        let (e, _) = page(all(), "", Some("/"), Some("a/"), 10);
        assert_eq!(names(&e), ["b", "c/*", "d"]);
        let (e, t) = page(all(), "", None, None, 0);
        assert!(e.is_empty() && !t);
    }
}
