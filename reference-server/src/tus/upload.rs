//! What tus keeps about an upload beside its bytes: the store's `meta`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::headers::MetadataPair;
use crate::store::{Record, UploadId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TusUpload {
    /// `None` while the length is deferred (creation-defer-length).
    pub length: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataPair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concat: Option<Concat>,
    /// Unix seconds after which an unfinished upload expires; refreshed by
    /// every PATCH (a sliding window), irrelevant once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Set by the sweeper once it has dropped an expired upload's bytes: the
    /// record stays as a tombstone so the upload answers 410, not 404.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

/// The upload's role in concatenation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Concat {
    Partial,
    /// Its bytes are the parts' bytes, copied in once every part is complete.
    Final {
        parts: Vec<UploadId>,
        /// `Upload-Concat` as the creation request sent it, for HEAD to echo
        /// (P:L655-657). Empty in records written before it was kept.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        received: String,
    },
}

impl TusUpload {
    pub fn new(length: Option<u64>, metadata: Vec<MetadataPair>) -> Self {
        Self {
            length,
            metadata,
            concat: None,
            expires_at: None,
            expired: false,
        }
    }

    pub fn parts(&self) -> Option<&[UploadId]> {
        match &self.concat {
            Some(Concat::Final { parts, .. }) => Some(parts),
            _ => None,
        }
    }
}

pub fn is_complete(record: &Record<TusUpload>) -> bool {
    record.meta.length == Some(record.offset)
}

/// Expired uploads answer 410. Only unfinished uploads expire (the
/// extension is about "unfinished uploads", P:L437, L472).
pub fn is_expired(record: &Record<TusUpload>, now: SystemTime) -> bool {
    record.meta.expired
        || (!is_complete(record)
            && record
                .meta
                .expires_at
                .is_some_and(|at| now > UNIX_EPOCH + Duration::from_secs(at)))
}

/// The expiry instant for an upload touched now, in whole seconds rounded
/// up, so that `Upload-Expires` (second precision) is never earlier than the
/// real expiry.
pub fn expiry_from(now: SystemTime, period: Duration) -> u64 {
    let at = now.duration_since(UNIX_EPOCH).unwrap_or_default() + period;
    at.as_secs() + u64::from(at.subsec_nanos() > 0)
}
