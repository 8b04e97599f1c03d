//! Every way the S3 handler refuses a request: its S3 error `Code`, its
//! status, and the extra elements of its XML body.
//!
//! This is the single place where a refusal's code and status are decided:
//! handlers name the case, [`S3Error::code`] and [`S3Error::status`] map it.
//! Codes and statuses follow the AWS error table
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>);
//! where AWS is unspecific the variant's doc comment says why this server
//! chose what it did, and `docs/reference-server.md` carries the same table.

use http::StatusCode;

use crate::faults::Fault;
use crate::framing::TransferCodingError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    // ---- authentication -------------------------------------------------
    /// 403: no credentials where they are needed, an expired presigned URL,
    /// or a signing scheme that cannot be checked.
    #[error("{0}")]
    AccessDenied(String),
    /// 403 AccessDenied: `x-amz-*` headers the signature does not cover,
    /// named in `HeadersNotSigned` (AWS's answer, with its message).
    #[error("There were headers present in the request which were not signed")]
    HeadersNotSigned(Vec<String>),
    /// 403: the access key id is not configured.
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId { access_key_id: String },
    /// 403: the signature (of the request, a chunk or the trailer) differs
    /// from the one recomputed with the key's secret.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    )]
    SignatureDoesNotMatch {
        access_key_id: String,
        provided: String,
    },
    /// 403: `x-amz-date` is more than 15 minutes away from the server's
    /// clock.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed {
        request_time: String,
        server_time: String,
    },
    /// 400: the `Authorization` header cannot be parsed, or its credential
    /// scope names another region or service, or another date than
    /// `x-amz-date`.
    #[error("The authorization header is malformed; {0}")]
    AuthorizationHeaderMalformed(String),
    /// 400: a presigned URL's `X-Amz-*` parameters are missing or malformed.
    #[error("{0}")]
    AuthorizationQueryParametersError(String),
    /// 400: the body's SHA-256 differs from the signed
    /// `x-amz-content-sha256`. Nothing of the body is kept.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch { client: String, computed: String },

    // ---- request shape --------------------------------------------------
    /// 400: `Content-MD5` or an `x-amz-checksum-*` value differs from the
    /// body (or, at Complete, from the parts). Nothing is kept.
    #[error("{0}")]
    BadDigest(String),
    /// 400: `Content-MD5` is not base64 of 16 bytes.
    #[error("The Content-MD5 you specified is not valid.")]
    InvalidDigest,
    /// 400: an argument is out of range or malformed (part numbers,
    /// max-parts, copy-source ranges, ...). Carries `ArgumentName` and
    /// `ArgumentValue` like AWS.
    #[error("{message}")]
    InvalidArgument {
        message: String,
        name: String,
        value: String,
    },
    /// 400: a request AWS refuses as a whole (bad header combinations,
    /// a checksum type the algorithm cannot have, ...).
    #[error("{0}")]
    InvalidRequest(String),
    /// 400: an XML body that is not well-formed, has a DTD or an unknown
    /// entity (so an XML bomb is refused before any expansion), exceeds the
    /// size or element limits, or misses required elements.
    #[error(
        "The XML you provided was not well-formed or did not validate against our published schema."
    )]
    MalformedXml,
    /// 400: the body ended before its declared length (or aws-chunked
    /// framing was cut short).
    #[error("You did not provide the number of bytes specified by the Content-Length HTTP header.")]
    IncompleteBody,
    /// 400: the body stalled for longer than the idle timeout (AWS's
    /// `RequestTimeout` is a 400 too). Nothing is kept.
    #[error(
        "Your socket connection to the server was not read from or written to within the timeout period."
    )]
    RequestTimeout,
    /// 411: an aws-chunked body without `x-amz-decoded-content-length`.
    #[error("You must provide the Content-Length HTTP header.")]
    MissingContentLength,
    /// 400: the key in the path is not valid UTF-8 after decoding.
    #[error("Couldn't parse the specified URI.")]
    InvalidUri,
    /// 400: a key over 1024 bytes.
    #[error("Your key is too long")]
    KeyTooLong,
    /// 400: the part list of a Complete has more than 10,000 parts.
    #[error("Your proposed upload exceeds the maximum allowed object size.")]
    EntityTooLarge,

    // ---- buckets --------------------------------------------------------
    #[error("The specified bucket does not exist")]
    NoSuchBucket { bucket: String },
    /// 409: CreateBucket on an existing bucket. This server has one owner,
    /// so every existing bucket is "yours"; AWS answers 409 with this code
    /// outside us-east-1 (and 200 there, a legacy quirk not kept).
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou { bucket: String },
    /// 409: DeleteBucket while objects are in it (unfinished multipart
    /// uploads are aborted with the bucket instead, as in general-purpose
    /// S3 buckets).
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty { bucket: String },
    #[error("The specified bucket is not valid.")]
    InvalidBucketName { bucket: String },
    /// 400: a CreateBucket `LocationConstraint` other than the configured
    /// region.
    #[error("The specified location-constraint is not valid")]
    InvalidLocationConstraint { constraint: String },

    // ---- objects --------------------------------------------------------
    #[error("The specified key does not exist.")]
    NoSuchKey { key: String },
    /// 416: a Range no byte of the object satisfies, and 400 at
    /// UploadPartCopy where AWS also answers InvalidRange.
    #[error("The requested range is not satisfiable")]
    InvalidRange { range: String, size: u64 },
    /// 412: If-Match / If-None-Match / If-Unmodified-Since fails.
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed { condition: &'static str },
    /// 304: If-None-Match matches / If-Modified-Since not passed on GET and
    /// HEAD. Sent without a body.
    #[error("Not Modified")]
    NotModified { etag: String },

    // ---- multipart ------------------------------------------------------
    /// 404: an upload id that is malformed, unknown, aborted or completed.
    #[error(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )]
    NoSuchUpload { upload_id: String },
    /// 400: Complete names a part that was never uploaded or with another
    /// ETag.
    #[error(
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
    )]
    InvalidPart { part_number: u32, etag: String },
    /// 416: GET or HEAD ?partNumber past the object's parts (a plain object
    /// has one), as AWS answers; RGW answers 400 InvalidPart instead.
    #[error("The requested partnumber is not satisfiable")]
    InvalidPartNumber { requested: u32, actual: usize },
    /// 400: Complete's part numbers are not strictly ascending (duplicates
    /// included); with checksums, not consecutive from 1.
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    /// 400: a part other than the last is below the minimum part size.
    #[error("Your proposed upload is smaller than the minimum allowed size")]
    EntityTooSmall {
        proposed_size: u64,
        min_size: u64,
        part_number: u32,
        etag: String,
    },
    /// 409: Complete or Abort while another Complete or Abort of the same
    /// upload is running (they cannot both win).
    #[error(
        "A conflicting conditional operation is currently in progress against this resource. Try again."
    )]
    OperationAborted,

    // ---- routing --------------------------------------------------------
    /// 405: a method the resource does not serve.
    #[error("The specified method is not allowed against this resource.")]
    MethodNotAllowed { method: String },
    /// A transfer coding other than `chunked` (501 NotImplemented, naming
    /// the `Transfer-Encoding` header, as AWS answers one), or `chunked`
    /// twice (400 InvalidRequest: the request is malformed). RFC 9112 §6.1.
    #[error(transparent)]
    TransferCoding(#[from] TransferCodingError),
    /// 501: an S3 feature this server does not implement (versioning,
    /// ACLs, tagging, ...); AWS's own code for a feature it lacks.
    #[error("{0} is not implemented by the upspec reference server")]
    NotImplemented(String),

    // ---- server ---------------------------------------------------------
    /// 500: the store failed; the request changed nothing it could not
    /// roll back.
    #[error("We encountered an internal error. Please try again.")]
    Internal(#[from] StoreError),
    /// 500 on purpose: a fault (`crate::faults`) makes this server fail
    /// the way a crashing one does.
    #[error("We encountered an internal error. Please try again.")]
    Faulted(Fault),
}

impl S3Error {
    /// The `<Code>` element.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AccessDenied(_) | Self::HeadersNotSigned(_) => "AccessDenied",
            Self::InvalidAccessKeyId { .. } => "InvalidAccessKeyId",
            Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            Self::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Self::AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            Self::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            Self::ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            Self::BadDigest(_) => "BadDigest",
            Self::InvalidDigest => "InvalidDigest",
            Self::InvalidArgument { .. } => "InvalidArgument",
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::MalformedXml => "MalformedXML",
            Self::IncompleteBody => "IncompleteBody",
            Self::RequestTimeout => "RequestTimeout",
            Self::MissingContentLength => "MissingContentLength",
            Self::InvalidUri => "InvalidURI",
            Self::KeyTooLong => "KeyTooLongError",
            Self::EntityTooLarge => "EntityTooLarge",
            Self::NoSuchBucket { .. } => "NoSuchBucket",
            Self::BucketAlreadyOwnedByYou { .. } => "BucketAlreadyOwnedByYou",
            Self::BucketNotEmpty { .. } => "BucketNotEmpty",
            Self::InvalidBucketName { .. } => "InvalidBucketName",
            Self::InvalidLocationConstraint { .. } => "InvalidLocationConstraint",
            Self::NoSuchKey { .. } => "NoSuchKey",
            Self::InvalidRange { .. } => "InvalidRange",
            Self::PreconditionFailed { .. } => "PreconditionFailed",
            Self::NotModified { .. } => "NotModified",
            Self::NoSuchUpload { .. } => "NoSuchUpload",
            Self::InvalidPart { .. } => "InvalidPart",
            Self::InvalidPartNumber { .. } => "InvalidPartNumber",
            Self::InvalidPartOrder => "InvalidPartOrder",
            Self::EntityTooSmall { .. } => "EntityTooSmall",
            Self::OperationAborted => "OperationAborted",
            Self::MethodNotAllowed { .. } => "MethodNotAllowed",
            Self::NotImplemented(_) => "NotImplemented",
            Self::TransferCoding(TransferCodingError::NotImplemented(_)) => "NotImplemented",
            Self::TransferCoding(TransferCodingError::ChunkedTwice) => "InvalidRequest",
            Self::Internal(_) | Self::Faulted(_) => "InternalError",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::AccessDenied(_)
            | Self::HeadersNotSigned(_)
            | Self::InvalidAccessKeyId { .. }
            | Self::SignatureDoesNotMatch { .. }
            | Self::RequestTimeTooSkewed { .. } => StatusCode::FORBIDDEN,
            Self::AuthorizationHeaderMalformed(_)
            | Self::AuthorizationQueryParametersError(_)
            | Self::ContentSha256Mismatch { .. }
            | Self::BadDigest(_)
            | Self::InvalidDigest
            | Self::InvalidArgument { .. }
            | Self::InvalidRequest(_)
            | Self::MalformedXml
            | Self::IncompleteBody
            | Self::RequestTimeout
            | Self::InvalidUri
            | Self::KeyTooLong
            | Self::EntityTooLarge
            | Self::InvalidBucketName { .. }
            | Self::InvalidLocationConstraint { .. }
            | Self::InvalidPart { .. }
            | Self::InvalidPartOrder
            | Self::EntityTooSmall { .. } => StatusCode::BAD_REQUEST,
            Self::MissingContentLength => StatusCode::LENGTH_REQUIRED,
            Self::NoSuchBucket { .. } | Self::NoSuchKey { .. } | Self::NoSuchUpload { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::BucketAlreadyOwnedByYou { .. }
            | Self::BucketNotEmpty { .. }
            | Self::OperationAborted => StatusCode::CONFLICT,
            Self::InvalidRange { .. } | Self::InvalidPartNumber { .. } => {
                StatusCode::RANGE_NOT_SATISFIABLE
            }
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::NotModified { .. } => StatusCode::NOT_MODIFIED,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotImplemented(_)
            | Self::TransferCoding(TransferCodingError::NotImplemented(_)) => {
                StatusCode::NOT_IMPLEMENTED
            }
            Self::TransferCoding(TransferCodingError::ChunkedTwice) => StatusCode::BAD_REQUEST,
            Self::Internal(_) | Self::Faulted(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Elements after `Code` and `Message` that AWS sends for the case and
    /// clients read (`UploadId`, `ArgumentName`, `MinSizeAllowed`, ...).
    pub fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::InvalidAccessKeyId { access_key_id } => {
                vec![("AWSAccessKeyId", access_key_id.clone())]
            }
            Self::HeadersNotSigned(names) => vec![("HeadersNotSigned", names.join(", "))],
            Self::SignatureDoesNotMatch {
                access_key_id,
                provided,
            } => vec![
                ("AWSAccessKeyId", access_key_id.clone()),
                ("SignatureProvided", provided.clone()),
            ],
            Self::RequestTimeTooSkewed {
                request_time,
                server_time,
            } => vec![
                ("RequestTime", request_time.clone()),
                ("ServerTime", server_time.clone()),
                ("MaxAllowedSkewMilliseconds", "900000".into()),
            ],
            Self::ContentSha256Mismatch { client, computed } => vec![
                ("ClientComputedContentSHA256", client.clone()),
                ("S3ComputedContentSHA256", computed.clone()),
            ],
            Self::InvalidArgument { name, value, .. } => vec![
                ("ArgumentName", name.clone()),
                ("ArgumentValue", value.clone()),
            ],
            Self::NoSuchBucket { bucket }
            | Self::BucketAlreadyOwnedByYou { bucket }
            | Self::BucketNotEmpty { bucket }
            | Self::InvalidBucketName { bucket } => vec![("BucketName", bucket.clone())],
            Self::InvalidLocationConstraint { constraint } => {
                vec![("LocationConstraint", constraint.clone())]
            }
            Self::NoSuchKey { key } => vec![("Key", key.clone())],
            Self::InvalidRange { range, size } => vec![
                ("RangeRequested", range.clone()),
                ("ActualObjectSize", size.to_string()),
            ],
            Self::PreconditionFailed { condition } => vec![("Condition", (*condition).into())],
            Self::NoSuchUpload { upload_id } => vec![("UploadId", upload_id.clone())],
            Self::InvalidPartNumber { requested, actual } => vec![
                ("PartNumberRequested", requested.to_string()),
                ("ActualPartCount", actual.to_string()),
            ],
            Self::InvalidPart { part_number, etag } => vec![
                ("PartNumber", part_number.to_string()),
                ("ETag", etag.clone()),
            ],
            Self::EntityTooSmall {
                proposed_size,
                min_size,
                part_number,
                etag,
            } => vec![
                ("ProposedSize", proposed_size.to_string()),
                ("MinSizeAllowed", min_size.to_string()),
                ("PartNumber", part_number.to_string()),
                ("ETag", etag.clone()),
            ],
            Self::MethodNotAllowed { method } => vec![
                ("Method", method.clone()),
                ("ResourceType", "OBJECT".into()),
            ],
            Self::TransferCoding(TransferCodingError::NotImplemented(_)) => {
                vec![("Header", "Transfer-Encoding".into())]
            }
            _ => Vec::new(),
        }
    }

    pub fn invalid_argument(
        message: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            message: message.into(),
            name: name.into(),
            value: value.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_never_a_5xx() {
        let cases = [
            S3Error::MalformedXml,
            S3Error::InvalidPartOrder,
            S3Error::EntityTooLarge,
            S3Error::invalid_argument("x", "partNumber", "-1"),
            S3Error::NoSuchUpload {
                upload_id: "x".into(),
            },
        ];
        for case in cases {
            assert!(case.status().is_client_error(), "{case:?}");
        }
    }
}
