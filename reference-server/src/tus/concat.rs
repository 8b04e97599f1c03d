//! Concatenation (P:L600-669): checking the parts a final upload names, and
//! assembling the final upload's bytes once every part is complete.
//!
//! A final upload gets its own copy of the parts' bytes, so it stays intact
//! if a part is terminated later. With concatenation-unfinished the copy
//! happens on the first HEAD or GET after the last part completes.

use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

use futures_util::StreamExt;

use super::headers::MetadataPair;
use super::upload::{Concat, TusUpload, is_complete, is_expired};
use super::{Extension, Rejection, Tus};
use crate::store::{Appender, Record, Store, StoreError, UploadId};

/// Checks the parts named by `Upload-Concat: final;…` and returns the final
/// upload's length: at most the configured number of parts, each a live
/// partial upload whose length is known, finished unless
/// concatenation-unfinished is enabled.
pub(super) async fn final_length<S: Store + Clone>(
    tus: &Tus<S>,
    parts: &[UploadId],
) -> Result<u64, Rejection> {
    let max = tus.settings.max_concat_parts;
    if parts.len() > max {
        return Err(Rejection::TooManyParts {
            count: parts.len(),
            max,
        });
    }
    let unfinished_ok = tus.settings.has(Extension::ConcatenationUnfinished);
    let now = SystemTime::now();
    let mut total: u64 = 0;
    for id in parts {
        let url = tus.settings.locations.path(id);
        let bad = |why: &str| Rejection::BadPart(format!("{url} {why}"));
        let part = match tus.store.load::<TusUpload>(id).await? {
            Some(part) if !is_expired(&part, now) => part,
            _ => return Err(bad("does not exist")),
        };
        if part.meta.concat != Some(Concat::Partial) {
            return Err(bad("is not a partial upload"));
        }
        let Some(length) = part.meta.length else {
            return Err(bad("has no length yet (its length is deferred)"));
        };
        if !unfinished_ok && !is_complete(&part) {
            return Err(bad(
                "is not finished, and concatenation-unfinished is not enabled",
            ));
        }
        total = total.checked_add(length).ok_or(Rejection::TooLarge {
            length: u64::MAX,
            max: tus.settings.max_size.unwrap_or(u64::MAX),
        })?;
    }
    Ok(total)
}

/// The metadata of the parts, in order, keys first seen winning. Only the
/// `partial-metadata-carried` fault reads it: a final upload must not
/// inherit its parts' metadata (P:L634-636).
pub(super) async fn parts_metadata<S: Store + Clone>(
    tus: &Tus<S>,
    parts: &[UploadId],
) -> Result<Vec<MetadataPair>, Rejection> {
    let mut pairs: Vec<MetadataPair> = Vec::new();
    for id in parts {
        let Some(part) = tus.store.load::<TusUpload>(id).await? else {
            continue;
        };
        for pair in part.meta.metadata {
            if pairs.iter().all(|p| p.key != pair.key) {
                pairs.push(pair);
            }
        }
    }
    Ok(pairs)
}

/// The live record as HEAD and GET report it: a final upload whose parts
/// have all completed is assembled first (unless a fault assembles final
/// uploads only when they are created).
pub(super) async fn current<S: Store + Clone>(
    tus: &Tus<S>,
    id: &UploadId,
) -> Result<Record<TusUpload>, Rejection> {
    if !tus.settings.policy().assembles_when_parts_finish() {
        return tus.live(id).await;
    }
    assemble_if_ready(tus, id).await
}

/// The live record, with a final upload assembled if all its parts are
/// complete.
pub(super) async fn assemble_if_ready<S: Store + Clone>(
    tus: &Tus<S>,
    id: &UploadId,
) -> Result<Record<TusUpload>, Rejection> {
    let record = tus.live(id).await?;
    if record.meta.parts().is_none() || is_complete(&record) {
        return Ok(record);
    }
    assemble(tus, id, record).await
}

/// Copies the parts into a final upload if they are all complete. Returns
/// the record unchanged when a part is still unfinished or another request
/// is assembling it right now.
async fn assemble<S: Store + Clone>(
    tus: &Tus<S>,
    id: &UploadId,
    record: Record<TusUpload>,
) -> Result<Record<TusUpload>, Rejection> {
    let parts = record.meta.parts().unwrap_or_default().to_vec();
    let now = SystemTime::now();
    let mut sizes = Vec::with_capacity(parts.len());
    for part in &parts {
        match tus.store.load::<TusUpload>(part).await? {
            Some(p) if is_expired(&p, now) => return Err(Rejection::PartGone),
            Some(p) if !is_complete(&p) => return Ok(record),
            Some(p) => sizes.push(p.offset),
            None => return Err(Rejection::PartGone),
        }
    }
    let Some(lock) = tus.store.try_lock(id) else {
        return Ok(record);
    };
    let record = tus.live(id).await?;
    if is_complete(&record) {
        return Ok(record);
    }
    let mut appender = tus.store.append(&lock, 0).await?;
    let mut copied: u64 = 0;
    let mut order: Vec<(&UploadId, u64)> = parts.iter().zip(sizes).collect();
    if !tus.settings.policy().concatenates_in_order() {
        order.reverse();
    }
    for (part, size) in order {
        let part_error = |source: io::Error| StoreError::Io {
            action: "copying part",
            path: PathBuf::from(part.to_string()),
            source,
        };
        let mut bytes = match tus.store.read(part, size).await {
            Err(StoreError::Missing(_)) => return Err(Rejection::PartGone),
            other => other?,
        };
        while let Some(chunk) = bytes.next().await {
            let chunk = chunk.map_err(part_error)?;
            copied += chunk.len() as u64;
            appender.write(chunk).await?;
        }
    }
    if Some(copied) != record.meta.length {
        let short = io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("copied {copied} bytes"),
        );
        return Err(StoreError::Io {
            action: "assembling final upload",
            path: PathBuf::from(id.to_string()),
            source: short,
        }
        .into());
    }
    let offset = appender.commit(&record.meta).await?;
    Ok(Record {
        offset,
        meta: record.meta,
    })
}
