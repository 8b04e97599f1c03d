//! The S3 rules a fault can bend in what a handler does, as questions
//! named for what the API says. Handlers ask these and never test a
//! [`Fault`] themselves; each answer is `true` for a correct server. The
//! other places faults are decided: `rules.rs` (the numeric and ETag rules,
//! each function deciding its own deviation) and `misreport.rs` (what an
//! answer says).

use crate::faults::{Fault, Faults};

/// The faults of one server, read as the rules it keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy(Faults);

impl Policy {
    /// The rules of a correct server, for work the server does on its own
    /// account (aborting an upload a fault replaces) whatever its faults.
    pub const CORRECT: Policy = Policy(Faults::NONE);

    pub fn new(faults: Faults) -> Self {
        Self(faults)
    }

    fn keeps(self, rule_broken_by: Fault) -> bool {
        !self.0.active(rule_broken_by)
    }

    // ---- SigV4 and payloads ----

    /// The signature in `Authorization` is recomputed and compared.
    /// Broken by `signature-not-verified` (S3-MPU-AUTH).
    pub fn verifies_header_signature(self) -> bool {
        self.keeps(Fault::SignatureNotVerified)
    }

    /// The signature of a presigned URL is recomputed and compared.
    /// Broken by `presigned-not-verified` (S3-MPU-AUTH).
    pub fn verifies_presigned_signature(self) -> bool {
        self.keeps(Fault::PresignedNotVerified)
    }

    /// With keys configured, a request without credentials is refused.
    /// Broken by `anonymous-accepted` (S3-MPU-AUTH).
    pub fn refuses_anonymous(self) -> bool {
        self.keeps(Fault::AnonymousAccepted)
    }

    /// Every `x-amz-*` header of a signed request is signed.
    /// Broken by `unsigned-headers-accepted` (S3-MPU-AUTH-SIGNED-HEADERS).
    pub fn requires_signed_amz_headers(self) -> bool {
        self.keeps(Fault::UnsignedHeadersAccepted)
    }

    /// A body is hashed and compared with its signed `x-amz-content-sha256`.
    /// Broken by `payload-hash-not-checked` (S3-MPU-PART-SHA256).
    pub fn checks_payload_hash(self) -> bool {
        self.keeps(Fault::PayloadHashNotChecked)
    }

    /// Each aws-chunked chunk signature is verified, chained from the seed.
    /// Broken by `chunk-signatures-not-verified` (S3-MPU-PART-CHUNKED).
    pub fn verifies_chunk_signatures(self) -> bool {
        self.keeps(Fault::ChunkSignaturesNotVerified)
    }

    /// The checksum trailer of an aws-chunked body is verified.
    /// Broken by `aws-chunked-trailer-not-checked` (S3-MPU-PART-TRAILER).
    pub fn checks_chunked_trailer(self) -> bool {
        self.keeps(Fault::AwsChunkedTrailerNotChecked)
    }

    // ---- Objects ----

    /// GET and HEAD with `partNumber` read that part only.
    /// Broken by `part-number-read-ignored` (S3-MPU-GETPART).
    pub fn reads_part_number(self) -> bool {
        self.keeps(Fault::PartNumberReadIgnored)
    }

    /// An object not made by Complete has one part, number 1.
    /// Broken by `plain-object-any-part-number` (S3-MPU-GETPART-NONMPU).
    pub fn plain_object_has_only_part_1(self) -> bool {
        self.keeps(Fault::PlainObjectAnyPartNumber)
    }

    /// `partNumber=N` is the N-th part, counting from 1.
    /// Broken by `part-read-off-by-one` (S3-MPU-GETPART).
    pub fn part_numbers_count_from_1(self) -> bool {
        self.keeps(Fault::PartReadOffByOne)
    }

    /// A part read answers with its `Content-Range`.
    /// Broken by `part-read-without-content-range` (S3-MPU-GETPART).
    pub fn part_read_has_content_range(self) -> bool {
        self.keeps(Fault::PartReadWithoutContentRange)
    }

    /// DeleteObjects deletes and reports the keys exactly as named.
    /// Broken by `delete-keys-trimmed` (S3-MPU-DELETE-KEYS).
    pub fn keys_are_opaque(self) -> bool {
        self.keeps(Fault::DeleteKeysTrimmed)
    }

    // ---- CreateMultipartUpload ----

    /// The headers given at Create are those of the completed object.
    /// Broken by `create-metadata-dropped` (S3-MPU-CREATE-META).
    pub fn create_headers_carried_to_object(self) -> bool {
        self.keeps(Fault::CreateMetadataDropped)
    }

    /// Several uploads of one key may be in progress at once.
    /// Broken by `one-upload-per-key` (S3-MPU-CREATE-DISTINCT).
    pub fn allows_concurrent_uploads_of_a_key(self) -> bool {
        self.keeps(Fault::OneUploadPerKey)
    }

    /// The Initiate and Complete results give the key as stored.
    /// Broken by `result-keys-encoded` (S3-MPU-CREATE-BASIC, S3-MPU-COMPLETE-BASIC).
    pub fn result_keys_as_stored(self) -> bool {
        self.keeps(Fault::ResultKeysEncoded)
    }

    // ---- UploadPart and UploadPartCopy ----

    /// A part's `Content-MD5` is compared with its body.
    /// Broken by `part-md5-not-checked` (S3-MPU-PART-MD5).
    pub fn checks_part_md5(self) -> bool {
        self.keeps(Fault::PartMd5NotChecked)
    }

    /// A part's `x-amz-checksum-*` is compared with its body.
    /// Broken by `part-checksum-not-checked` (S3-MPU-PART-CKSUM).
    pub fn checks_part_checksum(self) -> bool {
        self.keeps(Fault::PartChecksumNotChecked)
    }

    /// A part uploaded again replaces the earlier one.
    /// Broken by `part-overwrite-keeps-first` (S3-MPU-PART-OVERWRITE, S3-MPU-PART-STALE-ETAG).
    pub fn later_part_upload_wins(self) -> bool {
        self.keeps(Fault::PartOverwriteKeepsFirst)
    }

    /// A copy range past the source's end is refused, not clamped.
    /// Broken by `copy-range-clamped` (S3-MPU-COPY-RANGE-OOB).
    pub fn refuses_copy_range_past_end(self) -> bool {
        self.keeps(Fault::CopyRangeClamped)
    }

    /// The last byte of `x-amz-copy-source-range` is included.
    /// Broken by `copy-range-end-exclusive` (S3-MPU-COPY-RANGE).
    pub fn copy_range_end_inclusive(self) -> bool {
        self.keeps(Fault::CopyRangeEndExclusive)
    }

    /// The CopyPartResult gives `LastModified`.
    /// Broken by `copy-part-without-last-modified` (S3-MPU-COPY-WHOLE).
    pub fn copy_part_result_has_last_modified(self) -> bool {
        self.keeps(Fault::CopyPartWithoutLastModified)
    }

    // ---- CompleteMultipartUpload ----

    /// A Complete listing no part is malformed.
    /// Broken by `empty-complete-accepted` (S3-MPU-COMPLETE-EMPTYLIST).
    pub fn refuses_empty_complete(self) -> bool {
        self.keeps(Fault::EmptyCompleteAccepted)
    }

    /// Parts listed out of order are refused, not sorted.
    /// Broken by `complete-sorts-parts` (S3-MPU-COMPLETE-ORDER).
    pub fn complete_keeps_listed_order(self) -> bool {
        self.keeps(Fault::CompleteSortsParts)
    }

    /// A completed upload is gone: not listed, and NoSuchUpload to every request.
    /// Broken by `complete-keeps-upload` (S3-MPU-COMPLETE-CLEANUP, S3-MPU-PART-AFTER-COMPLETE).
    pub fn complete_ends_upload(self) -> bool {
        self.keeps(Fault::CompleteKeepsUpload)
    }

    /// GET and HEAD give the object's ETag as Complete answered it.
    /// Broken by `read-etag-without-count` (S3-MPU-COMPLETE-ETAG, S3-MPU-GETPART).
    pub fn reads_show_stored_etag(self) -> bool {
        self.keeps(Fault::ReadEtagWithoutCount)
    }

    /// A listed part that was never uploaded is refused.
    /// Broken by `complete-skips-missing-parts` (S3-MPU-COMPLETE-INVALIDPART-NUM).
    pub fn refuses_missing_listed_part(self) -> bool {
        self.keeps(Fault::CompleteSkipsMissingParts)
    }

    /// The object is the listed parts only.
    /// Broken by `complete-takes-all-parts` (S3-MPU-COMPLETE-SUBSET-GAPS).
    pub fn complete_takes_listed_parts_only(self) -> bool {
        self.keeps(Fault::CompleteTakesAllParts)
    }

    /// With an upload checksum, every listed part gives its checksum.
    /// Broken by `part-checksum-optional` (S3-MPU-CK-MISSING-PART).
    pub fn complete_needs_part_checksums(self) -> bool {
        self.keeps(Fault::PartChecksumOptional)
    }

    /// Complete's `x-amz-checksum-type` must be the upload's.
    /// Broken by `checksum-type-not-checked` (S3-MPU-CK-TYPE-MISMATCH).
    pub fn checks_complete_checksum_type(self) -> bool {
        self.keeps(Fault::ChecksumTypeNotChecked)
    }

    /// Complete's whole-object checksum is compared.
    /// Broken by `complete-checksum-not-checked` (S3-MPU-CK-BAD-TOTAL).
    pub fn checks_complete_checksum(self) -> bool {
        self.keeps(Fault::CompleteChecksumNotChecked)
    }

    /// A composite checksum ends with `-N`, the number of parts.
    /// Broken by `composite-checksum-without-count` (S3-MPU-CK-COMPOSITE-SHA256, S3-MPU-CK-COMPOSITE-SHA1, S3-MPU-CK-ONEPART).
    pub fn composite_checksum_has_part_count(self) -> bool {
        self.keeps(Fault::CompositeChecksumWithoutCount)
    }

    /// The Complete result gives `Location`.
    /// Broken by `complete-without-location` (S3-MPU-COMPLETE-BASIC).
    pub fn complete_result_has_location(self) -> bool {
        self.keeps(Fault::CompleteWithoutLocation)
    }

    /// A retried Complete of a completed upload is answered as the first was.
    /// Broken by `complete-not-idempotent` (S3-MPU-COMPLETE-IDEMPOTENT, S3-MPU-COND-INM-RETRY).
    pub fn complete_retry_answered(self) -> bool {
        self.keeps(Fault::CompleteNotIdempotent)
    }

    /// Complete needs no `Content-Type`.
    /// Broken by `complete-needs-content-type` (S3-MPU-COMPLETE-CTYPE).
    pub fn complete_needs_no_content_type(self) -> bool {
        self.keeps(Fault::CompleteNeedsContentType)
    }

    /// `If-None-Match: *` refuses to complete over an existing object.
    /// Broken by `if-none-match-ignored` (S3-MPU-COND-INM-STAR-EXISTS).
    pub fn honours_if_none_match(self) -> bool {
        self.keeps(Fault::IfNoneMatchIgnored)
    }

    // ---- AbortMultipartUpload ----

    /// Abort removes the upload and its parts.
    /// Broken by `abort-keeps-parts` (S3-MPU-ABORT-THEN).
    pub fn abort_removes_parts(self) -> bool {
        self.keeps(Fault::AbortKeepsParts)
    }

    /// Abort leaves an object of the same key alone.
    /// Broken by `abort-deletes-object` (S3-MPU-CREATE-INVISIBLE).
    pub fn abort_keeps_object(self) -> bool {
        self.keeps(Fault::AbortDeletesObject)
    }

    // ---- ListParts and ListMultipartUploads ----

    /// ListParts gives each part's checksums.
    /// Broken by `list-parts-without-checksums` (S3-MPU-LP-CKSUM).
    pub fn list_parts_shows_checksums(self) -> bool {
        self.keeps(Fault::ListPartsWithoutChecksums)
    }

    /// `delimiter` groups keys into CommonPrefixes.
    /// Broken by `list-uploads-delimiter-ignored` (S3-MPU-LU-DELIMITER).
    pub fn uploads_grouped_by_delimiter(self) -> bool {
        self.keeps(Fault::ListUploadsDelimiterIgnored)
    }

    /// `encoding-type=url` encodes the keys listed.
    /// Broken by `list-uploads-encoding-ignored` (S3-MPU-LU-ENCODING).
    pub fn uploads_honour_encoding_type(self) -> bool {
        self.keeps(Fault::ListUploadsEncodingIgnored)
    }

    /// `prefix` selects every key that starts with it.
    /// Broken by `list-uploads-prefix-exact` (S3-MPU-LU-PREFIX).
    pub fn prefix_is_a_prefix(self) -> bool {
        self.keeps(Fault::ListUploadsPrefixExact)
    }

    /// A page starts after `key-marker`.
    /// Broken by `list-uploads-key-marker-inclusive` (S3-MPU-LU-KEYMARKER).
    pub fn key_marker_is_exclusive(self) -> bool {
        self.keeps(Fault::ListUploadsKeyMarkerInclusive)
    }

    /// `upload-id-marker` continues within the marker key.
    /// Broken by `upload-id-marker-ignored` (S3-MPU-LU-UPLOADIDMARKER, S3-MPU-LU-MAXUPLOADS).
    pub fn reads_upload_id_marker(self) -> bool {
        self.keeps(Fault::UploadIdMarkerIgnored)
    }

    /// Uploads are listed by key, then by initiation.
    /// Broken by `list-uploads-unsorted` (S3-MPU-LU-ORDER).
    pub fn uploads_listed_in_key_order(self) -> bool {
        self.keeps(Fault::ListUploadsUnsorted)
    }

    /// A truncated listing gives the markers of the next page.
    /// Broken by `list-uploads-without-next-markers` (S3-MPU-LU-MAXUPLOADS).
    pub fn truncated_uploads_give_next_markers(self) -> bool {
        self.keeps(Fault::ListUploadsWithoutNextMarkers)
    }
}
