//! The multipart API: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts.

use std::sync::Arc;

use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::body::{self, Checks, MAX_OBJECT, Received, ToStore};
use super::catalog::{
    Catalog, Layout, Object, ObjectChecksum, ObjectRecord, Part, PartRecord, Record, Segment,
    UploadChecksum, UploadRecord, UploadView,
};
use super::checksum::{self, Algorithm, ChecksumType};
use super::clock;
use super::error::S3Error;
use super::headers::{self, StoredHeaders};
use super::objects::{copy_into, copy_source, write_precondition};
use super::policy::Policy;
use super::xml::{self, Element};
use super::{Ctx, Settings, rules, xml_response};
use crate::faults::Faults;
use crate::http::ResBody;
use crate::store::{Store, UploadId};

fn upload_id(ctx: &Ctx) -> &str {
    ctx.route.param("uploadId").unwrap_or_default()
}

/// CreateMultipartUpload: an upload id, and the checksum algorithm and
/// type echoed when given.
pub(super) async fn create<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let (bucket, key) = (ctx.route.bucket.clone(), ctx.route.key.clone());
    catalog.require_bucket(&bucket)?;
    let mut stored = StoredHeaders::from_request(&ctx.parts.headers)?;
    if !ctx.policy().create_headers_carried_to_object() {
        stored = StoredHeaders::default();
    }
    let algorithm = ctx
        .header("x-amz-checksum-algorithm")
        .map(|name| {
            Algorithm::parse(name).ok_or_else(|| {
                S3Error::InvalidRequest(format!(
                    "Checksum algorithm {name:?} is not supported (CRC32, CRC32C, SHA1, SHA256, CRC64NVME)"
                ))
            })
        })
        .transpose()?;
    let kind = ctx
        .header("x-amz-checksum-type")
        .map(|name| {
            ChecksumType::parse(name).ok_or_else(|| {
                S3Error::InvalidRequest(format!(
                    "Value for x-amz-checksum-type header is invalid: {name:?}"
                ))
            })
        })
        .transpose()?;
    let checksum = match (algorithm, kind) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(S3Error::InvalidRequest(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
                    .into(),
            ));
        }
        (Some(algorithm), kind) => {
            let kind = kind.unwrap_or_else(|| algorithm.default_type());
            if !algorithm.allows(kind) {
                return Err(S3Error::InvalidRequest(format!(
                    "The {} checksum type cannot be used with the {} algorithm.",
                    kind.name(),
                    algorithm.name()
                )));
            }
            Some(UploadChecksum { algorithm, kind })
        }
    };
    if !ctx.policy().allows_concurrent_uploads_of_a_key() {
        let earlier: Vec<UploadId> = catalog.read(|index| {
            index.bucket(&bucket).map(|b| {
                b.uploads
                    .iter()
                    .filter(|((k, _), _)| *k == key)
                    .map(|(_, id)| *id)
                    .collect()
            })
        })?;
        for id in earlier {
            catalog
                .abort(&bucket, &key, &id.to_string(), Policy::CORRECT)
                .await?;
        }
    }
    let id = catalog
        .create_upload(UploadRecord {
            bucket: bucket.clone(),
            key: key.clone(),
            seq: catalog.seq(),
            initiated_ms: clock::now_ms(),
            headers: stored,
            checksum,
            owner: ctx.owner(),
        })
        .await?;
    let mut out = xml::Writer::new("InitiateMultipartUploadResult");
    out.elem("Bucket", &bucket)
        .elem("Key", result_key(ctx, &key))
        .elem("UploadId", id);
    let mut response = xml_response(out.finish());
    if let Some(checksum) = checksum {
        let h = response.headers_mut();
        h.insert(
            "x-amz-checksum-algorithm",
            headers::value(checksum.algorithm.name()),
        );
        h.insert("x-amz-checksum-type", headers::value(checksum.kind.name()));
    }
    Ok(response)
}

/// The part number of an UploadPart(Copy), and its upload.
fn target<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<(u32, UploadView), S3Error> {
    let number = rules::part_number(
        ctx.route.param("partNumber").unwrap_or_default(),
        ctx.faults,
    )?;
    let upload = catalog.upload(&ctx.route.bucket, &ctx.route.key, upload_id(ctx))?;
    Ok((number, upload))
}

/// UploadPart: streams the part into a fresh entry, verifies it (ETag is
/// its MD5; the upload's checksum algorithm is always computed, any
/// checksum the client sends is checked), then makes it part `N`.
pub(super) async fn upload_part<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: Ctx,
    body: Incoming,
) -> Result<Response<ResBody>, S3Error> {
    let (number, upload) = target(catalog, &ctx)?;
    let mut checks =
        Checks::from_headers(&ctx.parts.headers, ctx.verified.payload.clone(), MAX_OBJECT)?;
    let upload_algorithm = upload.meta.checksum.map(|c| c.algorithm);
    checks.compute.extend(upload_algorithm);
    let sent_algorithm = checks.checksum.as_ref().map(|c| c.algorithm);
    if !ctx.policy().checks_part_md5() {
        checks.content_md5 = None;
    }
    if !ctx.policy().checks_part_checksum() {
        // Computed and echoed, never compared.
        checks
            .compute
            .extend(checks.checksum.take().map(|c| c.algorithm));
    }
    let (lock, meta) = catalog
        .write_blob(
            async |appender| {
                body::receive(body, checks, &mut ToStore(appender), settings.idle_timeout).await
            },
            |received| part_record(catalog, &upload, number, received),
        )
        .await?;
    catalog
        .install_part(lock, meta.clone(), ctx.policy())
        .await?;
    let mut response = super::status(StatusCode::OK);
    let out = response.headers_mut();
    out.insert(
        http::header::ETAG,
        headers::value(rules::quoted_etag(&meta.etag)),
    );
    for (algorithm, value) in meta.checksums {
        if Some(algorithm) == sent_algorithm || Some(algorithm) == upload_algorithm {
            out.insert(algorithm.header(), headers::value(value));
        }
    }
    Ok(response)
}

/// The record of part `number` of `upload`, from the bytes it received
/// (UploadPart) or copied (UploadPartCopy).
fn part_record<St: Store + Clone>(
    catalog: &Catalog<St>,
    upload: &UploadView,
    number: u32,
    received: Received,
) -> PartRecord {
    PartRecord {
        upload: upload.id,
        number,
        seq: catalog.seq(),
        size: received.size,
        etag: rules::md5_etag(&received.md5),
        last_modified_ms: clock::now_ms(),
        checksums: received
            .checksums
            .iter()
            .map(|(a, raw)| (*a, checksum::encode(raw)))
            .collect(),
    }
}

/// `x-amz-copy-source-range: bytes=first-last`, to the letter
/// (S3-MPU-COPY-RANGE-SYNTAX); past the source's end is InvalidRange.
/// Returns the start and length.
fn copy_range(value: Option<&str>, size: u64, policy: Policy) -> Result<(u64, u64), S3Error> {
    let Some(value) = value else {
        return Ok((0, size));
    };
    let invalid = || {
        S3Error::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            value,
        )
    };
    let spec = value.strip_prefix("bytes=").ok_or_else(invalid)?;
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    let (first, last) = (
        number(first).ok_or_else(invalid)?,
        number(last).ok_or_else(invalid)?,
    );
    if last < first {
        return Err(invalid());
    }
    let last = if last >= size && first < size && !policy.refuses_copy_range_past_end() {
        size - 1
    } else {
        last
    };
    if last >= size {
        return Err(S3Error::InvalidRange {
            range: value.to_owned(),
            size,
        });
    }
    if !policy.copy_range_end_inclusive() {
        return Ok((first, last - first));
    }
    Ok((first, last - first + 1))
}

/// UploadPartCopy: part `N` is a range of an existing object.
pub(super) async fn upload_part_copy<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let (number, upload) = target(catalog, ctx)?;
    let source = copy_source(catalog, &ctx.parts.headers)?;
    let (start, len) = copy_range(
        ctx.header("x-amz-copy-source-range"),
        source.meta.size,
        ctx.policy(),
    )?;
    let algorithms: Vec<Algorithm> = upload
        .meta
        .checksum
        .map(|c| c.algorithm)
        .into_iter()
        .collect();
    let store = catalog.store();
    let (lock, meta) = catalog
        .write_blob(
            async |appender| copy_into(store, &source, start, len, appender, &algorithms).await,
            |copied| part_record(catalog, &upload, number, copied),
        )
        .await?;
    catalog
        .install_part(lock, meta.clone(), ctx.policy())
        .await?;
    let mut out = xml::Writer::new("CopyPartResult");
    out.elem("ETag", rules::quoted_etag(&meta.etag));
    if ctx.policy().copy_part_result_has_last_modified() {
        out.elem("LastModified", clock::iso8601(meta.last_modified_ms));
    }
    for (algorithm, value) in &meta.checksums {
        out.elem(algorithm.element(), value);
    }
    Ok(xml_response(out.finish()))
}

/// One `<Part>` of a Complete body.
struct Listed {
    number: u32,
    etag: String,
    checksums: Vec<(Algorithm, String)>,
}

/// Most `<Part>` elements a Complete may list.
const MAX_LISTED: usize = rules::MAX_PART_NUMBER as usize;

/// Reads a Complete body: a `CompleteMultipartUpload` root with 1 to
/// 10,000 parts, each with a PartNumber and an ETag, in the order given.
fn parse_complete(root: &Element, faults: Faults) -> Result<Vec<Listed>, S3Error> {
    let policy = Policy::new(faults);
    if root.name != "CompleteMultipartUpload" {
        return Err(S3Error::MalformedXml);
    }
    let parts: Vec<&Element> = root.children("Part").collect();
    if parts.is_empty() && policy.refuses_empty_complete() {
        return Err(S3Error::MalformedXml);
    }
    if parts.len() > MAX_LISTED {
        return Err(S3Error::invalid_argument(
            "A CompleteMultipartUpload lists at most 10000 parts",
            "Part",
            parts.len().to_string(),
        ));
    }
    let mut listed = parts
        .into_iter()
        .map(|part| {
            let number = part
                .child_value("PartNumber")?
                .ok_or(S3Error::MalformedXml)?;
            let etag = part.child_value("ETag")?.ok_or(S3Error::MalformedXml)?;
            let mut checksums = Vec::new();
            for algorithm in Algorithm::ALL {
                if let Some(value) = part.child_value(algorithm.element())? {
                    checksums.push((algorithm, value.to_owned()));
                }
            }
            Ok(Listed {
                number: rules::part_number(number, faults)?,
                etag: etag.to_owned(),
                checksums,
            })
        })
        .collect::<Result<Vec<_>, S3Error>>()?;
    if !policy.complete_keeps_listed_order() {
        listed.sort_by_key(|l| l.number);
    }
    Ok(listed)
}

/// The `Key` of an Initiate or Complete result: the key as stored.
fn result_key(ctx: &Ctx, key: &str) -> String {
    if !ctx.policy().result_keys_as_stored() {
        return percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    }
    key.to_owned()
}

/// The result body of a (possibly repeated) Complete.
fn complete_result(ctx: &Ctx, object: &ObjectRecord) -> Response<ResBody> {
    let host = ctx.header("host").unwrap_or("localhost");
    let location = format!(
        "http://{host}/{}/{}",
        object.bucket,
        percent_encoding::utf8_percent_encode(&object.key, percent_encoding::NON_ALPHANUMERIC)
    );
    let mut out = xml::Writer::new("CompleteMultipartUploadResult");
    if ctx.policy().complete_result_has_location() {
        out.elem("Location", location);
    }
    out.elem("Bucket", &object.bucket)
        .elem("Key", result_key(ctx, &object.key))
        .elem("ETag", rules::quoted_etag(&object.etag));
    if let Some(checksum) = &object.checksum {
        out.elem(checksum.algorithm.element(), &checksum.value)
            .elem("ChecksumType", checksum.kind.name());
    }
    xml_response(out.finish())
}

/// A Complete of an upload that is already complete answers as the first
/// did (S3-MPU-COMPLETE-IDEMPOTENT), if the key still holds its object and
/// the same parts are listed.
fn repeated(object: &Object, listed: &[Listed], faults: Faults) -> Result<(), S3Error> {
    let Layout::Parts(segments) = &object.meta.layout else {
        return Err(S3Error::InvalidPart {
            part_number: 0,
            etag: String::new(),
        });
    };
    if segments.len() != listed.len() {
        return Err(S3Error::InvalidPart {
            part_number: listed.last().map_or(0, |l| l.number),
            etag: String::new(),
        });
    }
    for (segment, part) in segments.iter().zip(listed) {
        if segment.number != part.number
            || !rules::listed_etag_matches(&part.etag, &segment.etag, faults)
        {
            return Err(S3Error::InvalidPart {
                part_number: part.number,
                etag: part.etag.clone(),
            });
        }
    }
    Ok(())
}

/// CompleteMultipartUpload.
pub(super) async fn complete<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: Ctx,
    body: Incoming,
) -> Result<Response<ResBody>, S3Error> {
    let id = upload_id(&ctx).to_owned();
    let (bucket, key) = (ctx.route.bucket.clone(), ctx.route.key.clone());
    // Known before the body is read, so an unknown id is NoSuchUpload
    // whatever the body.
    let known = catalog.upload(&bucket, &key, &id);
    let previous = match &known {
        // A server that forgets an upload as it completes cannot answer a retry.
        Err(S3Error::NoSuchUpload { .. }) if !ctx.policy().complete_retry_answered() => None,
        Err(S3Error::NoSuchUpload { .. }) => catalog
            .object(&bucket, &key)?
            .filter(|o| o.meta.from_upload.is_some_and(|u| u.to_string() == id)),
        _ => None,
    };
    if previous.is_none() {
        known?;
    }
    if !ctx.policy().complete_needs_no_content_type() && ctx.header("content-type").is_none() {
        return Err(S3Error::InvalidRequest(
            "Missing required header for this request: Content-Type".into(),
        ));
    }
    let checks = Checks::xml(&ctx.parts.headers, ctx.verified.payload.clone(), false)?;
    let bytes = body::read_all(body, checks, settings.idle_timeout).await?;
    let listed = parse_complete(&xml::parse(&bytes)?, ctx.faults)?;
    if let Some(object) = previous {
        repeated(&object, &listed, ctx.faults)?;
        return Ok(complete_result(&ctx, &object.meta));
    }
    let upload = catalog.close_upload(&bucket, &key, &id)?;
    match assemble(catalog, settings, &ctx, &upload, &listed) {
        Ok(meta) => {
            let lock = catalog
                .store()
                .create(&Record::Object(meta.clone()))
                .await
                .inspect_err(|_| catalog.reopen_upload(&upload.id))?;
            let precondition = write_precondition(
                &ctx.parts.headers,
                &key,
                ctx.policy().honours_if_none_match(),
            );
            catalog
                .complete(lock, meta.clone(), &upload, precondition, ctx.policy())
                .await?;
            Ok(complete_result(&ctx, &meta))
        }
        Err(e) => {
            catalog.reopen_upload(&upload.id);
            Err(e)
        }
    }
}

/// Checks a Complete's part list against the upload and builds the object
/// record: order, ETags, checksums, sizes, and the object's ETag and
/// checksum.
fn assemble<St: Store + Clone>(
    catalog: &Catalog<St>,
    settings: &Settings,
    ctx: &Ctx,
    upload: &UploadView,
    listed: &[Listed],
) -> Result<ObjectRecord, S3Error> {
    let faults = ctx.faults;
    let policy = ctx.policy();
    let numbers: Vec<u32> = listed.iter().map(|l| l.number).collect();
    rules::check_part_order(&numbers, upload.meta.checksum.is_some(), faults)?;
    // Each listed entry with its part.
    let mut matched: Vec<(&Listed, Arc<Part>)> = Vec::with_capacity(listed.len());
    for entry in listed {
        let found = upload.parts.iter().find(|p| p.meta.number == entry.number);
        match found {
            Some(part) if rules::listed_etag_matches(&entry.etag, &part.meta.etag, faults) => {
                matched.push((entry, part.clone()));
            }
            None if !policy.refuses_missing_listed_part() => {}
            _ => {
                return Err(S3Error::InvalidPart {
                    part_number: entry.number,
                    etag: entry.etag.clone(),
                });
            }
        }
    }
    let chosen: Vec<Arc<Part>> = if !policy.complete_takes_listed_parts_only() {
        let mut all = upload.parts.clone();
        all.sort_by_key(|p| p.meta.number);
        all
    } else {
        matched.iter().map(|(_, part)| part.clone()).collect()
    };
    if let Some(UploadChecksum { algorithm, .. }) = upload.meta.checksum {
        for (entry, part) in &matched {
            let sent = entry
                .checksums
                .iter()
                .find(|(a, _)| *a == algorithm)
                .map(|(_, v)| v.as_str());
            let omitted = sent.is_none() && !policy.complete_needs_part_checksums();
            if !omitted && (sent.is_none() || sent != part.meta.checksum(algorithm)) {
                return Err(S3Error::BadDigest(format!(
                    "The {algorithm} you specified for part {} did not match what we received.",
                    entry.number
                )));
            }
        }
    }
    let sizes: Vec<(u32, u64, String)> = chosen
        .iter()
        .map(|p| (p.meta.number, p.meta.size, p.meta.etag.clone()))
        .collect();
    rules::check_part_sizes(&sizes, settings.min_part_size, faults)?;
    let size: u64 = chosen.iter().map(|p| p.meta.size).sum();
    if let Some(expected) = ctx.header("x-amz-mp-object-size")
        && expected.parse::<u64>().ok() != Some(size)
    {
        return Err(S3Error::InvalidRequest(format!(
            "The provided 'x-amz-mp-object-size' header value {expected} does not match what was computed: {size}"
        )));
    }
    let checksum = object_checksum(ctx, upload, &chosen)?;
    let md5s: Vec<[u8; 16]> = chosen
        .iter()
        .map(|p| {
            hex::decode(&p.meta.etag)
                .ok()
                .and_then(|raw| raw.try_into().ok())
                .unwrap_or_default()
        })
        .collect();
    let algorithm = upload.meta.checksum.map(|c| c.algorithm);
    Ok(ObjectRecord {
        bucket: upload.meta.bucket.clone(),
        key: upload.meta.key.clone(),
        seq: catalog.seq(),
        size,
        etag: rules::multipart_etag(&md5s),
        last_modified_ms: clock::now_ms(),
        headers: upload.meta.headers.clone(),
        checksum,
        layout: Layout::Parts(
            chosen
                .iter()
                .map(|p| Segment {
                    blob: p.blob,
                    number: p.meta.number,
                    size: p.meta.size,
                    etag: p.meta.etag.clone(),
                    checksum: algorithm.and_then(|a| p.meta.checksum(a).map(str::to_owned)),
                })
                .collect(),
        ),
        from_upload: Some(upload.id),
    })
}

/// The object's checksum (COMPOSITE or FULL_OBJECT, as the upload was
/// created), checked against Complete's `x-amz-checksum-type` and
/// `x-amz-checksum-*` headers when sent (BadDigest otherwise).
fn object_checksum(
    ctx: &Ctx,
    upload: &UploadView,
    chosen: &[Arc<Part>],
) -> Result<Option<ObjectChecksum>, S3Error> {
    let Some(UploadChecksum { algorithm, kind }) = upload.meta.checksum else {
        return Ok(None);
    };
    if let Some(sent) = ctx.header("x-amz-checksum-type")
        && ctx.policy().checks_complete_checksum_type()
        && ChecksumType::parse(sent) != Some(kind)
    {
        return Err(S3Error::BadDigest(format!(
            "The upload was created with checksum type {}, not {sent}.",
            kind.name()
        )));
    }
    let raws: Vec<Vec<u8>> = chosen
        .iter()
        .map(|p| {
            p.meta
                .checksum(algorithm)
                .and_then(|v| checksum::decode(algorithm, v))
                .unwrap_or_default()
        })
        .collect();
    let bare = |v: &str| v.split('-').next().unwrap_or_default().trim().to_owned();
    let value = match kind {
        ChecksumType::Composite => {
            let value = checksum::composite(algorithm, &raws);
            if !ctx.policy().composite_checksum_has_part_count() {
                bare(&value)
            } else {
                value
            }
        }
        ChecksumType::FullObject => {
            let with_sizes: Vec<(Vec<u8>, u64)> = raws
                .into_iter()
                .zip(chosen)
                .map(|(raw, p)| (raw, p.meta.size))
                .collect();
            checksum::full_object(algorithm, &with_sizes).ok_or_else(|| {
                S3Error::InvalidRequest(format!("{algorithm} cannot be a full-object checksum"))
            })?
        }
    };
    if let Some(sent) = ctx.header(algorithm.header())
        && ctx.policy().checks_complete_checksum()
        && bare(sent) != bare(&value)
    {
        return Err(S3Error::BadDigest(format!(
            "The {algorithm} you specified did not match the calculated checksum."
        )));
    }
    Ok(Some(ObjectChecksum {
        algorithm,
        kind,
        value,
    }))
}

/// AbortMultipartUpload: 204, the upload and its parts gone.
pub(super) async fn abort<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    catalog
        .abort(
            &ctx.route.bucket,
            &ctx.route.key,
            upload_id(ctx),
            ctx.policy(),
        )
        .await?;
    Ok(super::status(StatusCode::NO_CONTENT))
}

/// A non-negative integer query argument (at most i32::MAX, as AWS), or
/// InvalidArgument with AWS's message.
pub(super) fn int_arg(ctx: &Ctx, name: &str) -> Result<Option<u64>, S3Error> {
    let Some(text) = ctx.route.param(name) else {
        return Ok(None);
    };
    text.parse::<u64>()
        .ok()
        .filter(|n| *n <= i32::MAX as u64 && !text.starts_with('+'))
        .map(Some)
        .ok_or_else(|| {
            S3Error::invalid_argument(
                format!("Argument {name} must be an integer between 0 and 2147483647"),
                name,
                text,
            )
        })
}

/// ListParts: parts after `part-number-marker`, at most `max-parts`.
pub(super) fn list_parts<St: Store + Clone>(
    catalog: &Catalog<St>,
    ctx: &Ctx,
) -> Result<Response<ResBody>, S3Error> {
    let max =
        int_arg(ctx, "max-parts")?.map_or(rules::MAX_PAGE, |m| (m as usize).min(rules::MAX_PAGE));
    let marker = int_arg(ctx, "part-number-marker")?.unwrap_or(0);
    let upload = catalog.upload(&ctx.route.bucket, &ctx.route.key, upload_id(ctx))?;
    // In upload order: `parts_page` decides the listed order.
    let mut parts: Vec<(u32, Arc<Part>)> = upload
        .parts
        .iter()
        .map(|p| (p.meta.number, p.clone()))
        .collect();
    parts.sort_by_key(|(_, p)| p.meta.seq);
    let marker = u32::try_from(marker).unwrap_or(u32::MAX);
    let (page, truncated) = rules::parts_page(&parts, marker, max, ctx.faults);
    let last = page.last().map(|(n, _)| *n);
    let next_marker = rules::next_part_marker(&parts, last, marker, ctx.faults);
    let mut out = xml::Writer::new("ListPartsResult");
    out.elem("Bucket", &upload.meta.bucket)
        .elem("Key", &upload.meta.key)
        .elem("UploadId", upload.id)
        .elem("PartNumberMarker", marker)
        .elem("NextPartNumberMarker", next_marker)
        .elem("MaxParts", max)
        .elem("IsTruncated", truncated);
    owner(&mut out, "Initiator", &upload.meta.owner);
    owner(&mut out, "Owner", &upload.meta.owner);
    out.elem("StorageClass", "STANDARD");
    if let Some(checksum) = upload.meta.checksum {
        out.elem("ChecksumAlgorithm", checksum.algorithm.name())
            .elem("ChecksumType", checksum.kind.name());
    }
    for (number, part) in page {
        out.open("Part")
            .elem("PartNumber", number)
            .elem("LastModified", clock::iso8601(part.meta.last_modified_ms))
            .elem("ETag", rules::quoted_etag(&part.meta.etag))
            .elem("Size", part.meta.size);
        let checksums = match !ctx.policy().list_parts_shows_checksums() {
            true => &[][..],
            false => &part.meta.checksums[..],
        };
        for (algorithm, value) in checksums {
            out.elem(algorithm.element(), value);
        }
        out.close();
    }
    Ok(xml_response(out.finish()))
}

/// An `Owner`/`Initiator` element: this server's principals are access
/// keys, so the key is both ID and DisplayName.
pub(super) fn owner(out: &mut xml::Writer, element: &'static str, id: &str) {
    out.open(element)
        .elem("ID", id)
        .elem("DisplayName", id)
        .close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_ranges() {
        assert_eq!(
            copy_range(Some("bytes=0-4"), 5, Policy::CORRECT).unwrap(),
            (0, 5)
        );
        assert_eq!(copy_range(None, 5, Policy::CORRECT).unwrap(), (0, 5));
        assert!(matches!(
            copy_range(Some("bytes=0-21"), 5, Policy::CORRECT),
            Err(S3Error::InvalidRange { .. })
        ));
        for bad in [
            "0-2",
            "bytes=0",
            "bytes=hello-world",
            "bytes=0-bar",
            "bytes=hello-",
            "bytes=0-2,3-5",
            "bytes=3-1",
        ] {
            assert!(
                matches!(
                    copy_range(Some(bad), 10, Policy::CORRECT),
                    Err(S3Error::InvalidArgument { .. })
                ),
                "{bad}"
            );
        }
    }
}
