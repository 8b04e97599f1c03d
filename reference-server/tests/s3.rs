//! The S3 API's own conformance tests over HTTP on 127.0.0.1, one module
//! per section of the requirement catalogue (s3-multipart-requirements.md
//! §1), plus buckets and objects, SigV4, and bad input. Test names carry
//! the catalogue row IDs they check.

mod common;

#[path = "s3/auth.rs"]
mod auth;
#[path = "s3/buckets.rs"]
mod buckets;
#[path = "s3/checksums.rs"]
mod checksums;
#[path = "s3/client.rs"]
mod client;
#[path = "s3/listing.rs"]
mod listing;
#[path = "s3/multipart.rs"]
mod multipart;
#[path = "s3/objects.rs"]
mod objects;
#[path = "s3/robustness.rs"]
mod robustness;
