//! Path-style routing: `/bucket/key?subresource` to an operation.
//!
//! The bucket is the first path segment, the key everything after the next
//! `/` (so keys may hold `/`, `//` and a leading `/`), both percent-decoded.
//! Query parameters that are not subresources (`x-id`, `response-*`, ...)
//! are ignored, as S3 does.

use std::collections::HashMap;

use http::Method;
use percent_encoding::percent_decode_str;

use super::auth::decode;
use super::error::S3Error;

/// Longest key, in bytes (AWS: 1024).
pub const MAX_KEY: usize = 1024;

/// Subresources of buckets and objects this server does not implement:
/// answered 501 NotImplemented rather than mistaken for a plain request.
const UNSUPPORTED: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versioning",
    "versions",
    "website",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    ListObjects,
    ListObjectsV2,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
}

/// A routed request.
#[derive(Debug)]
pub struct Route {
    pub op: Op,
    pub bucket: String,
    pub key: String,
    /// Decoded query parameters (the last value wins).
    pub query: HashMap<String, String>,
}

impl Route {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

pub fn route(
    method: &Method,
    path: &str,
    query: &str,
    copy_source: bool,
) -> Result<Route, S3Error> {
    let query: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((n, v)) => (decode(n), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect();
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = match trimmed.split_once('/') {
        Some((bucket, key)) => (bucket, key),
        None => (trimmed, ""),
    };
    let bucket = percent_decode_str(bucket)
        .decode_utf8()
        .map_err(|_| S3Error::InvalidUri)?
        .into_owned();
    let key = percent_decode_str(key)
        .decode_utf8()
        .map_err(|_| S3Error::InvalidUri)?
        .into_owned();
    if key.len() > MAX_KEY {
        return Err(S3Error::KeyTooLong);
    }
    let has = |name: &str| query.contains_key(name);
    if let Some(name) = UNSUPPORTED.iter().find(|n| has(n)) {
        return Err(S3Error::NotImplemented(format!("the ?{name} subresource")));
    }
    let not_allowed = || S3Error::MethodNotAllowed {
        method: method.to_string(),
    };
    let op = if bucket.is_empty() {
        match *method {
            Method::GET => Op::ListBuckets,
            _ => return Err(not_allowed()),
        }
    } else if key.is_empty() {
        match *method {
            Method::PUT => Op::CreateBucket,
            Method::HEAD => Op::HeadBucket,
            Method::DELETE => Op::DeleteBucket,
            Method::GET if has("uploads") => Op::ListMultipartUploads,
            Method::GET if has("location") => Op::GetBucketLocation,
            Method::GET if query.get("list-type").is_some_and(|v| v == "2") => Op::ListObjectsV2,
            Method::GET => Op::ListObjects,
            Method::POST if has("delete") => Op::DeleteObjects,
            _ => return Err(not_allowed()),
        }
    } else {
        let upload = has("uploadId");
        match *method {
            Method::PUT if upload || has("partNumber") => {
                if copy_source {
                    Op::UploadPartCopy
                } else {
                    Op::UploadPart
                }
            }
            Method::PUT if copy_source => Op::CopyObject,
            Method::PUT => Op::PutObject,
            Method::GET if upload => Op::ListParts,
            Method::GET => Op::GetObject,
            Method::HEAD => Op::HeadObject,
            Method::POST if has("uploads") => Op::CreateMultipartUpload,
            Method::POST if upload => Op::CompleteMultipartUpload,
            Method::DELETE if upload => Op::AbortMultipartUpload,
            Method::DELETE => Op::DeleteObject,
            _ => return Err(not_allowed()),
        }
    };
    Ok(Route {
        op,
        bucket,
        key,
        query,
    })
}

/// AWS's bucket naming rules: 3-63 characters of lowercase letters,
/// digits, `.` and `-`, starting and ending with a letter or digit, no
/// `..`, and not shaped like an IP address.
pub fn valid_bucket(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, path: &str, query: &str) -> Result<Route, S3Error> {
        route(&method, path, query, false)
    }

    #[test]
    fn routes() {
        let r = op(Method::PUT, "/b/dir/a%20b%2Bc", "partNumber=1&uploadId=x").unwrap();
        assert_eq!(
            (r.op, r.bucket.as_str(), r.key.as_str()),
            (Op::UploadPart, "b", "dir/a b+c")
        );
        assert_eq!(op(Method::GET, "/", "").unwrap().op, Op::ListBuckets);
        assert_eq!(
            op(Method::GET, "/b", "uploads").unwrap().op,
            Op::ListMultipartUploads
        );
        assert_eq!(
            op(Method::GET, "/b/", "list-type=2&prefix=a").unwrap().op,
            Op::ListObjectsV2
        );
        assert_eq!(
            op(Method::POST, "/b/k", "uploads").unwrap().op,
            Op::CreateMultipartUpload
        );
        assert_eq!(
            op(Method::GET, "/b//k", "x-id=GetObject").unwrap().key,
            "/k"
        );
        assert!(matches!(
            op(Method::GET, "/b/k", "acl"),
            Err(S3Error::NotImplemented(_))
        ));
        assert!(matches!(
            op(Method::PATCH, "/b/k", ""),
            Err(S3Error::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            op(Method::GET, "/b/%ff", ""),
            Err(S3Error::InvalidUri)
        ));
        let long = format!("/b/{}", "k".repeat(MAX_KEY + 1));
        assert!(matches!(
            op(Method::GET, &long, ""),
            Err(S3Error::KeyTooLong)
        ));
        assert_eq!(
            route(&Method::PUT, "/b/k", "", true).unwrap().op,
            Op::CopyObject
        );
    }

    #[test]
    fn bucket_names() {
        for good in ["abc", "my-bucket.1", "a".repeat(63).as_str()] {
            assert!(valid_bucket(good), "{good}");
        }
        for bad in [
            "ab",
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            "a..b",
            "192.168.1.1",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket(bad), "{bad}");
        }
    }
}
