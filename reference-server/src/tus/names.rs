//! The words of tus: header names, the version, the PATCH media type.
//! A module of their own, below the header readers and the refusals that
//! both use them.

pub const TUS_RESUMABLE: &str = "tus-resumable";
pub const TUS_VERSION: &str = "tus-version";
pub const TUS_EXTENSION: &str = "tus-extension";
pub const TUS_MAX_SIZE: &str = "tus-max-size";
pub const TUS_CHECKSUM_ALGORITHM: &str = "tus-checksum-algorithm";
pub const UPLOAD_OFFSET: &str = "upload-offset";
pub const UPLOAD_LENGTH: &str = "upload-length";
pub const UPLOAD_DEFER_LENGTH: &str = "upload-defer-length";
pub const UPLOAD_METADATA: &str = "upload-metadata";
pub const UPLOAD_EXPIRES: &str = "upload-expires";
pub const UPLOAD_CONCAT: &str = "upload-concat";
pub const UPLOAD_CHECKSUM: &str = "upload-checksum";
pub const METHOD_OVERRIDE: &str = "x-http-method-override";

/// The only protocol version this server speaks.
pub const VERSION: &str = "1.0.0";
/// The media type of PATCH bodies (P:L215-217).
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
