//! Deliberate deviations the server can be told to make, so a conformance
//! suite can prove it catches them (`upspec faults`, the way mutation
//! testing measures a test suite).
//!
//! Each [`Fault`] is one realistic mistake that real servers make, named,
//! described, and tied to the requirement IDs it violates (the suites'
//! catalogues, e.g. `specs/tus/requirements.yaml`). The whole list is the
//! one `faults!` table below: adding a fault is one entry there plus the
//! decision it changes.
//!
//! Handlers never test for faults ad hoc. They ask questions named for the
//! rule a fault bends, and only these modules call [`Faults::active`]:
//!
//! * **what the server does** (`tus/policy.rs`, `s3/policy.rs`): one method
//!   per rule (`final_refused_before_offset_checked`,
//!   `conflict_stores_nothing`, `refuses_empty_complete`, …), `true` for a
//!   correct server, each naming the fault that breaks it;
//! * **refusals** (`tus/rejection.rs`): a fault can waive a refusal (the
//!   server carries on as if the request were fine) or change its status or
//!   headers; the table of which fault touches which refusal lives there,
//!   in `Rejection::waived_by` and `Rejection::status`, because the fault
//!   is a property of the refusal, not of the handler that raises it;
//! * **the IETF draft** (`ietf/policy.rs` for what the server does,
//!   `ietf/misreport.rs` for what its answers and 104 heads say), as for tus;
//! * **what a response says** (`tus/misreport.rs`, `s3/misreport.rs`): one
//!   step after the handler that drops or bends headers, or names the wrong
//!   error; a table by response, so it reads the faults directly;
//! * **the S3 numeric and ETag rules** (`s3/rules.rs`: part-number range,
//!   ETag forms, Complete's order and size checks, ListParts paging): each
//!   function there is the rule, and its fault is decided inside it, next
//!   to the comparison it bends.
//!
//! `tests/fault_reads.rs` fails when any other module calls [`Faults::active`].
//!
//! A fault never makes the server panic or answer 5xx, unless answering 5xx
//! is the fault.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`Fault`] and its table from one list of entries, so a fault's
/// name, summary, scope and requirements are written once.
macro_rules! faults {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            name: $name:literal,
            scope: $scope:literal,
            summary: $summary:literal,
            violates: [$($requirement:literal),+ $(,)?] $(,)?
        }
    )+) => {
        /// One deliberate deviation from the protocol (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $(
                #[doc = $summary]
                #[doc = ""]
                $(#[$doc])*
                $variant,
            )+
        }

        impl Fault {
            /// Every fault, in the order of the table.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The kebab-case name used by `--fault` and config files.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)+ }
            }

            /// What the server does wrong, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Fault::$variant => $summary,)+ }
            }

            /// The protocol part it breaks, for grouping tables: `tus core`
            /// or `tus <extension>`, `s3 <operation>`, `SigV4`.
            pub fn scope(self) -> &'static str {
                match self { $(Fault::$variant => $scope,)+ }
            }

            /// The catalogue requirement IDs it violates: a suite catches
            /// the fault only through a scenario citing one of them.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $(Fault::$variant => &[$($requirement),+],)+ }
            }
        }
    };
}

faults! {
    // ---- tus core: version negotiation and common headers ----

    /// Like a server without a version check: a request naming another
    /// version is processed as if it named 1.0.0. Waives the 412 refusal.
    VersionNotChecked {
        name: "version-not-checked",
        scope: "tus core",
        summary: "A request with an unsupported Tus-Resumable is processed instead of refused with 412",
        violates: ["TUS-CORE-VER-412", "TUS-CORE-VER-NOPROC"],
    }
    /// @tus/server's answer (`400 Invalid tus-resumable`).
    VersionRefused400 {
        name: "version-refused-400",
        scope: "tus core",
        summary: "An unsupported Tus-Resumable is refused with 400 instead of 412",
        violates: ["TUS-CORE-VER-412"],
    }
    /// tusd's answer: the 412 is right, the list of versions is missing.
    NoTusVersionOn412 {
        name: "no-tus-version-on-412",
        scope: "tus core",
        summary: "The 412 for an unsupported version carries no Tus-Version header",
        violates: ["TUS-CORE-VER-412"],
    }
    /// A version check placed before routing, so it catches OPTIONS too.
    /// OPTIONS without any `Tus-Resumable` (discovery) is still answered.
    OptionsChecksVersion {
        name: "options-checks-version",
        scope: "tus core",
        summary: "OPTIONS with an unsupported Tus-Resumable is refused with 412 instead of answered",
        violates: ["TUS-CORE-OPT-IGNORE"],
    }
    /// A server that adds `Tus-Resumable` in its success path only.
    NoTusResumableOnErrors {
        name: "no-tus-resumable-on-errors",
        scope: "tus core",
        summary: "Error responses (4xx, 5xx) carry no Tus-Resumable header",
        violates: ["TUS-CORE-GEN-RESUMABLE"],
    }
    /// The limit enforced, never announced.
    MaxSizeNotAdvertised {
        name: "max-size-not-advertised",
        scope: "tus core",
        summary: "OPTIONS leaves Tus-Max-Size out though the server enforces a maximum",
        violates: ["TUS-CORE-GEN-MAXSIZE-SEND"],
    }
    /// Discovery left to the extension list.
    OptionsWithoutTusVersion {
        name: "options-without-tus-version",
        scope: "tus core",
        summary: "The OPTIONS response carries no Tus-Version header",
        violates: ["TUS-CORE-GEN-VERSION", "TUS-CORE-OPT-OK"],
    }
    /// A reading of "except OPTIONS" as applying to responses too.
    OptionsWithoutTusResumable {
        name: "options-without-tus-resumable",
        scope: "tus core",
        summary: "The OPTIONS response carries no Tus-Resumable header",
        violates: ["TUS-CORE-GEN-RESUMABLE-OPT"],
    }
    /// @tus/server's `concatentation` typo (D-14), in the advertisement:
    /// clients looking for `concatenation` do not find it.
    ExtensionMisspelled {
        name: "extension-misspelled",
        scope: "tus core",
        summary: "Tus-Extension lists \"concatentation\" instead of \"concatenation\"",
        violates: ["TUS-CAT-ADV"],
    }

    // ---- tus core: HEAD ----

    /// HEAD answered like any GET, cacheable by proxies and browsers.
    HeadCacheable {
        name: "head-cacheable",
        scope: "tus core",
        summary: "HEAD responses carry no Cache-Control: no-store",
        violates: ["TUS-CORE-HEAD-NOSTORE"],
    }
    /// A truthiness test on the offset (`if (offset)`) in a dynamic
    /// language: an offset of 0 is left out.
    HeadOmitsZeroOffset {
        name: "head-omits-zero-offset",
        scope: "tus core",
        summary: "HEAD leaves Upload-Offset out while it is 0",
        violates: ["TUS-CORE-HEAD-OFFSET0"],
    }
    HeadOmitsLength {
        name: "head-omits-length",
        scope: "tus core",
        summary: "HEAD never reports Upload-Length",
        violates: ["TUS-CORE-HEAD-LENGTH"],
    }
    /// A store lookup whose "not found" escapes as an exception. The
    /// S3 twin ("an unknown upload ID answered 500") is the same mistake.
    UnknownUpload500 {
        name: "unknown-upload-500",
        scope: "tus core",
        summary: "HEAD, PATCH and DELETE of an unknown upload answer 500 instead of 404",
        violates: ["TUS-CORE-HEAD-NOTFOUND", "TUS-CORE-PATCH-404", "TUS-TRM-NOTFOUND"],
    }

    // ---- tus core: PATCH ----

    /// The body is appended at the upload's offset whatever the request
    /// said: the 409 refusal is waived.
    IgnoreOffsetMismatch {
        name: "ignore-offset-mismatch",
        scope: "tus core",
        summary: "PATCH ignores an Upload-Offset mismatch and appends at the upload's offset",
        violates: ["TUS-CORE-PATCH-409", "TUS-CORE-PATCH-409-NOMOD"],
    }
    /// The offset is compared only after the body was stored.
    ConflictAdvancesOffset {
        name: "conflict-advances-offset",
        scope: "tus core",
        summary: "A PATCH refused with 409 still appends its body",
        violates: ["TUS-CORE-PATCH-409-NOMOD"],
    }
    /// No media-type check at all: the 415 refusal is waived.
    AnyContentType {
        name: "any-content-type",
        scope: "tus core",
        summary: "PATCH accepts any Content-Type (or none) instead of answering 415",
        violates: ["TUS-CORE-PATCH-415", "TUS-CORE-PATCH-CT-MISSING"],
    }
    /// A framework's default success status.
    PatchAnswers200 {
        name: "patch-answers-200",
        scope: "tus core",
        summary: "A successful PATCH answers 200 instead of 204",
        violates: ["TUS-CORE-PATCH-204"],
    }
    /// The bytes are stored right, the answer counts one too many (an
    /// inclusive end index reported as the offset).
    PatchOffsetOffByOne {
        name: "patch-offset-off-by-one",
        scope: "tus core",
        summary: "The PATCH response's Upload-Offset is one more than the bytes stored",
        violates: ["TUS-CORE-PATCH-204"],
    }
    /// A server that writes the body to a temporary place and moves it in
    /// only when the request completes.
    InterruptedPatchDiscards {
        name: "interrupted-patch-discards",
        scope: "tus core",
        summary: "An interrupted PATCH discards the bytes that arrived",
        violates: ["TUS-CORE-PATCH-PARTIAL-STORE"],
    }
    /// A server with no read timeout on request bodies: a client that stops
    /// sending holds the request, and the upload, until it gives up itself.
    StalledBodyNeverEnded {
        name: "stalled-body-never-ended",
        scope: "tus core",
        summary: "A PATCH whose body stalls is waited on forever instead of ended after the idle timeout",
        violates: ["TUS-CORE-PATCH-TIMEOUT"],
    }

    // ---- tus core: X-HTTP-Method-Override ----

    /// @tus/server since v2 (D-2): a POST with the override is a creation.
    MethodOverrideIgnored {
        name: "method-override-ignored",
        scope: "tus core",
        summary: "X-HTTP-Method-Override is ignored",
        violates: ["TUS-CORE-MO-PATCH", "TUS-CORE-MO-DELETE", "TUS-CORE-MO-ANYMETHOD"],
    }
    /// tusd (D-2): the override counts only when the real method is POST.
    MethodOverridePostOnly {
        name: "method-override-post-only",
        scope: "tus core",
        summary: "X-HTTP-Method-Override is honoured only when the real method is POST",
        violates: ["TUS-CORE-MO-ANYMETHOD"],
    }

    // ---- creation ----

    /// A server behind a proxy that mounts it under a prefix, building
    /// `Location` from its own view of the path: the prefix is lost.
    LocationOutsideBase {
        name: "location-outside-base",
        scope: "tus creation",
        summary: "The creation's Location leaves out the endpoint's path, so it names nothing",
        violates: ["TUS-CRE-LOC-RESOLVES"],
    }
    /// The limit is advertised but never compared: the 413 refusals of
    /// creation and of final uploads are waived.
    MaxSizeNotEnforced {
        name: "max-size-not-enforced",
        scope: "tus creation",
        summary: "Uploads longer than Tus-Max-Size are accepted (creation and concatenation)",
        violates: ["TUS-CRE-413", "TUS-CAT-MAX"],
    }
    /// `>=` where `>` was meant.
    MaxSizeExclusive {
        name: "max-size-exclusive",
        scope: "tus creation",
        summary: "An Upload-Length exactly at Tus-Max-Size is refused with 413",
        violates: ["TUS-CRE-413-EDGE"],
    }
    /// A truthiness test on the length: 0 reads as "no length given".
    ZeroLengthRefused {
        name: "zero-length-refused",
        scope: "tus creation",
        summary: "Upload-Length: 0 is refused as if no length were given",
        violates: ["TUS-CRE-EMPTY"],
    }
    /// The metadata is parsed and kept but never sent back.
    MetadataNotEchoed {
        name: "metadata-not-echoed",
        scope: "tus creation",
        summary: "HEAD does not return the Upload-Metadata given at creation",
        violates: ["TUS-CRE-META-ECHO"],
    }

    // ---- creation-with-upload ----

    /// The extension advertised, the creation body ignored (as for a body
    /// of another Content-Type).
    CreationBodyIgnored {
        name: "creation-body-ignored",
        scope: "tus creation-with-upload",
        summary: "The bytes sent with a creation are ignored (201 without them)",
        violates: ["TUS-CWU-201", "TUS-CWU-FULL", "TUS-EXT-HONEST"],
    }
    /// The response built from the upload as it was created, before its body.
    CreationOffsetZero {
        name: "creation-offset-zero",
        scope: "tus creation-with-upload",
        summary: "The 201 of a creation with bytes reports Upload-Offset: 0, though the bytes are stored",
        violates: ["TUS-CWU-201", "TUS-CWU-FULL"],
    }
    /// hyper answers `Expect: 100-continue` when the handler first reads the
    /// body; a handler that first does slow work (a store round trip, a
    /// virus scanner's queue) leaves the client waiting, and a client that
    /// waited its while sends the body unasked. The 100 comes, late, after it.
    ExpectContinueLate {
        name: "expect-continue-late",
        scope: "tus creation-with-upload",
        summary: "A creation with Expect: 100-continue gets its 100 Continue only 2 s later, after the client has given up waiting and sent the body",
        violates: ["TUS-CWU-EXPECT"],
    }
    /// The extension list written by hand, one name short.
    CreationWithUploadAlone {
        name: "creation-with-upload-alone",
        scope: "tus creation-with-upload",
        summary: "Tus-Extension lists creation-with-upload without creation",
        violates: ["TUS-CWU-ADV"],
    }

    // ---- creation-defer-length ----

    /// Any value read as "deferred", as a presence check would.
    DeferLengthAnyValue {
        name: "defer-length-any-value",
        scope: "tus creation-defer-length",
        summary: "Upload-Defer-Length with a value other than 1 defers the length instead of answering 400",
        violates: ["TUS-CDL-BADVAL"],
    }
    /// A store that keeps an unknown length as 0 and reports it.
    DeferredLengthAsZero {
        name: "deferred-length-as-zero",
        scope: "tus creation-defer-length",
        summary: "HEAD of an upload with a deferred length shows Upload-Length: 0, not Upload-Defer-Length: 1",
        violates: ["TUS-CDL-HEAD"],
    }
    /// The "already set" refusal is waived: the new value replaces the old.
    LengthChangeable {
        name: "length-changeable",
        scope: "tus creation-defer-length",
        summary: "A PATCH may set Upload-Length again after it is known",
        violates: ["TUS-CDL-NOCHANGE"],
    }
    /// Deferral accepted at creation, the declaration never read.
    DeclaredLengthIgnored {
        name: "declared-length-ignored",
        scope: "tus creation-defer-length",
        summary: "Upload-Length in a PATCH of a deferred upload is ignored",
        violates: ["TUS-CDL-DECLARE"],
    }
    /// The "below the offset" refusal is waived: the upload is left with
    /// more bytes than its length.
    LengthBelowOffsetAccepted {
        name: "length-below-offset-accepted",
        scope: "tus creation-defer-length",
        summary: "A declared length below the bytes already received is accepted",
        violates: ["TUS-CORE-PATCH-WITHIN-LENGTH"],
    }

    // ---- expiration ----

    /// The expiry is tracked but not announced when the upload is made.
    NoExpiresOnCreation {
        name: "no-expires-on-creation",
        scope: "tus expiration",
        summary: "Creation responses carry no Upload-Expires",
        violates: ["TUS-EXP-POST", "TUS-CWU-EXPIRES"],
    }
    NoExpiresOnPatch {
        name: "no-expires-on-patch",
        scope: "tus expiration",
        summary: "PATCH responses carry no Upload-Expires",
        violates: ["TUS-EXP-PATCH"],
    }
    /// The server's local time (five hours behind UTC) labelled GMT.
    ExpiresInThePast {
        name: "expires-in-the-past",
        scope: "tus expiration",
        summary: "Upload-Expires is local time (UTC-5) labelled GMT, so it lies hours before the response's Date",
        violates: ["TUS-EXP-FUTURE"],
    }
    /// A date library's default format (RFC 3339) instead of HTTP's.
    ExpiresNotImfFixdate {
        name: "expires-not-imf-fixdate",
        scope: "tus expiration",
        summary: "Upload-Expires is an RFC 3339 timestamp, not an IMF-fixdate",
        violates: ["TUS-EXP-FMT"],
    }
    /// The expiry is announced but never enforced: the 410 is waived.
    ExpiredUploadServed {
        name: "expired-upload-served",
        scope: "tus expiration",
        summary: "An upload past its Upload-Expires is still served",
        violates: ["TUS-EXP-GONE"],
    }

    // ---- checksum ----

    /// `Upload-Checksum` read for its syntax, the digest never compared:
    /// the mismatch refusal is waived.
    ChecksumNotVerified {
        name: "checksum-not-verified",
        scope: "tus checksum",
        summary: "A body not matching its Upload-Checksum is stored",
        violates: ["TUS-CKS-MISMATCH", "TUS-CKS-DISCARD"],
    }
    /// Streaming straight into the upload and comparing at the end, after
    /// the bytes were committed.
    ChecksumVerifiedAfterCommit {
        name: "checksum-verified-after-commit",
        scope: "tus checksum",
        summary: "A checksum mismatch is answered 460, but the body was already stored",
        violates: ["TUS-CKS-DISCARD", "TUS-CKS-WHOLEBODY"],
    }
    /// The mismatch escapes as an exception. (400 instead of 460 is not a
    /// fault: the spec makes 460 a MAY, and the suite only notes it.)
    ChecksumMismatch500 {
        name: "checksum-mismatch-500",
        scope: "tus checksum",
        summary: "A checksum mismatch is answered 500 instead of refused with 460",
        violates: ["TUS-CKS-MISMATCH"],
    }
    /// An algorithm list taken from a hashing library, a verifier that
    /// knows fewer: md5 is listed but refused as unsupported.
    AdvertisedAlgorithmRefused {
        name: "advertised-algorithm-refused",
        scope: "tus checksum",
        summary: "Upload-Checksum with md5, which Tus-Checksum-Algorithm lists, is refused as unsupported",
        violates: ["TUS-EXT-HONEST"],
    }
    /// Verification only for the algorithms the server knows; any other
    /// checksum is skipped and the body stored unverified.
    UnknownAlgorithmIgnored {
        name: "unknown-algorithm-ignored",
        scope: "tus checksum",
        summary: "Upload-Checksum with an algorithm the server does not support is ignored and the body stored",
        violates: ["TUS-CKS-MISMATCH"],
    }
    /// Names as a hashing library spells them (`SHA1`).
    ChecksumAlgorithmsUppercase {
        name: "checksum-algorithms-uppercase",
        scope: "tus checksum",
        summary: "Tus-Checksum-Algorithm lists the algorithms in upper case",
        violates: ["TUS-CKS-NAMES"],
    }
    ChecksumWithoutSha1 {
        name: "checksum-without-sha1",
        scope: "tus checksum",
        summary: "Tus-Checksum-Algorithm leaves out sha1, which every server must offer",
        violates: ["TUS-CKS-SHA1"],
    }

    // ---- checksum-trailer ----

    /// Trailers are read past, never looked at: the body is stored as if
    /// no checksum had been announced.
    TrailerChecksumIgnored {
        name: "trailer-checksum-ignored",
        scope: "tus checksum-trailer",
        summary: "An Upload-Checksum trailer is ignored and the body stored unverified",
        violates: ["TUS-CKT-MISMATCH"],
    }

    // ---- termination ----

    /// The record is forgotten but the upload stays reachable.
    TerminateKeepsUpload {
        name: "terminate-keeps-upload",
        scope: "tus termination",
        summary: "DELETE answers 204 but the upload stays",
        violates: ["TUS-TRM-AFTER"],
    }
    /// @tus/server's `disableTerminationForFinishedUploads` (400).
    TerminateCompletedRefused {
        name: "terminate-completed-refused",
        scope: "tus termination",
        summary: "DELETE of a completed upload is refused with 400",
        violates: ["TUS-TRM-204-DONE"],
    }
    /// Idempotent deletes, S3-style: a second DELETE of a terminated
    /// upload is answered 204 too.
    DeleteUnknown204 {
        name: "delete-unknown-204",
        scope: "tus termination",
        summary: "DELETE of an upload that does not exist answers 204 instead of 404",
        violates: ["TUS-TRM-NOTFOUND", "TUS-TRM-AFTER"],
    }

    // ---- concatenation ----

    /// The parts are copied in reverse order (e.g. sorted the wrong way).
    ConcatWrongOrder {
        name: "concat-wrong-order",
        scope: "tus concatenation",
        summary: "A final upload's bytes are its parts' bytes in the wrong order",
        violates: ["TUS-CAT-FINAL-HEAD", "TUS-CATU-FINISH"],
    }
    /// The offset is compared before the upload is known to be final, so
    /// a PATCH at a wrong offset gets 409 instead of 403.
    FinalOffsetCheckedFirst {
        name: "final-offset-checked-first",
        scope: "tus concatenation",
        summary: "PATCH to a final upload at a wrong offset gets 409 instead of 403",
        violates: ["TUS-CAT-FINAL-403"],
    }
    /// The first part's metadata is copied into the final upload.
    PartialMetadataCarried {
        name: "partial-metadata-carried",
        scope: "tus concatenation",
        summary: "A final upload inherits its parts' metadata",
        violates: ["TUS-CAT-NOMETA"],
    }
    PartialHeadWithoutConcat {
        name: "partial-head-without-concat",
        scope: "tus concatenation",
        summary: "HEAD on a partial upload leaves out Upload-Concat: partial",
        violates: ["TUS-CAT-PARTIAL-HEAD"],
    }
    FinalHeadWithoutConcat {
        name: "final-head-without-concat",
        scope: "tus concatenation",
        summary: "HEAD on a final upload leaves out Upload-Concat",
        violates: ["TUS-CAT-FINAL-HEAD", "TUS-CATU-HEAD"],
    }
    /// The parts kept as ids and the header rebuilt from them, as tusd and
    /// tusdotnet do: the list names the same uploads, spelled differently.
    FinalConcatRewritten {
        name: "final-concat-rewritten",
        scope: "tus concatenation",
        summary: "HEAD on a final upload gives Upload-Concat with every URL rewritten to a path, not as received",
        violates: ["TUS-CAT-HEAD-ASRECEIVED"],
    }

    // ---- concatenation-unfinished ----

    /// An unfinished final upload reports offset 0, as if it were empty.
    UnfinishedFinalShowsOffset {
        name: "unfinished-final-shows-offset",
        scope: "tus concatenation-unfinished",
        summary: "HEAD on an unfinished final upload shows Upload-Offset: 0",
        violates: ["TUS-CATU-HEAD"],
    }
    /// Assembly happens only when the final upload is created, so one
    /// created over unfinished parts never completes.
    FinalAssembledOnlyAtCreation {
        name: "final-assembled-only-at-creation",
        scope: "tus concatenation-unfinished",
        summary: "A final upload over unfinished parts never completes when they do",
        violates: ["TUS-CATU-FINISH"],
    }
    /// The length is reported only once the bytes are there.
    UnfinishedFinalWithoutLength {
        name: "unfinished-final-without-length",
        scope: "tus concatenation-unfinished",
        summary: "HEAD on an unfinished final upload leaves out Upload-Length",
        violates: ["TUS-CATU-LEN"],
    }

    // ---- S3 CreateMultipartUpload ----

    /// AWS itself answers 403 for buckets of other accounts; servers that
    /// copy it answer 403 for missing ones too.
    MissingBucket403 {
        name: "missing-bucket-403",
        scope: "s3 CreateMultipartUpload",
        summary: "Create in a bucket that does not exist answers 403 AccessDenied instead of 404 NoSuchBucket",
        violates: ["S3-MPU-CREATE-NOBUCKET"],
    }
    /// The headers of Create are not carried to the object Complete makes.
    CreateMetadataDropped {
        name: "create-metadata-dropped",
        scope: "s3 CreateMultipartUpload",
        summary: "Content-Type and x-amz-meta-* given at Create are not those of the completed object",
        violates: ["S3-MPU-CREATE-META"],
    }
    /// The algorithm is used, the answer does not say so.
    CreateChecksumNotEchoed {
        name: "create-checksum-not-echoed",
        scope: "s3 CreateMultipartUpload",
        summary: "Create with x-amz-checksum-algorithm does not echo it, nor x-amz-checksum-type",
        violates: ["S3-MPU-CREATE-CKSUM-ECHO"],
    }

    /// The key written as it appears in the URL.
    ResultKeysEncoded {
        name: "result-keys-encoded",
        scope: "s3 CreateMultipartUpload",
        summary: "The Initiate and Complete results give the key URL-encoded, not as stored",
        violates: ["S3-MPU-CREATE-BASIC", "S3-MPU-COMPLETE-BASIC"],
    }
    /// Uploads stored by key, so a second one takes the first one's place.
    OneUploadPerKey {
        name: "one-upload-per-key",
        scope: "s3 CreateMultipartUpload",
        summary: "A second Create on a key abandons the first upload instead of starting another",
        violates: ["S3-MPU-CREATE-DISTINCT"],
    }

    // ---- S3 UploadPart ----

    /// An ETag written as the bare hex, as a JSON-minded server would.
    PartEtagUnquoted {
        name: "part-etag-unquoted",
        scope: "s3 UploadPart",
        summary: "UploadPart answers its ETag without the surrounding double quotes",
        violates: ["S3-MPU-PART-ETAG"],
    }
    /// No upper bound on part numbers.
    PartNumberUnbounded {
        name: "part-number-unbounded",
        scope: "s3 UploadPart",
        summary: "A partNumber above 10,000 is accepted instead of refused with 400 InvalidArgument",
        violates: ["S3-MPU-PART-NUM-HIGH"],
    }
    /// `n < 10000` where `n <= 10000` was meant.
    PartNumber10000Refused {
        name: "part-number-10000-refused",
        scope: "s3 UploadPart",
        summary: "Part number 10,000 is refused as out of range",
        violates: ["S3-MPU-PART-NUM-10000"],
    }
    /// Part numbers read as unsigned integers, with no lower bound.
    PartNumberZeroAccepted {
        name: "part-number-zero-accepted",
        scope: "s3 UploadPart",
        summary: "partNumber 0 is accepted as a part",
        violates: ["S3-MPU-PART-NUM-LOW"],
    }
    /// The upload is looked up like an object, and not finding it said so.
    NoSuchUploadAsNoSuchKey {
        name: "no-such-upload-as-no-such-key",
        scope: "s3 UploadPart",
        summary: "An unknown, aborted or completed upload id answers 404 NoSuchKey instead of NoSuchUpload",
        violates: ["S3-MPU-PART-NOSUCHUPLOAD", "S3-MPU-PART-AFTER-ABORT", "S3-MPU-LP-NOSUCHUPLOAD"],
    }
    /// The S3 twin of `unknown-upload-500`: a failed lookup escapes as an
    /// internal error.
    NoSuchUpload500 {
        name: "no-such-upload-500",
        scope: "s3 UploadPart",
        summary: "An unknown upload id answers 500 InternalError instead of 404 NoSuchUpload",
        violates: [
            "S3-MPU-PART-NOSUCHUPLOAD",
            "S3-MPU-COPY-NOSUCHUPLOAD",
            "S3-MPU-COMPLETE-NOSUCHUPLOAD",
            "S3-MPU-LP-NOSUCHUPLOAD",
        ],
    }
    /// A part number already taken is kept, as with a create-if-absent write.
    PartOverwriteKeepsFirst {
        name: "part-overwrite-keeps-first",
        scope: "s3 UploadPart",
        summary: "Uploading a part number again answers 200 but keeps the first part",
        violates: ["S3-MPU-PART-OVERWRITE", "S3-MPU-PART-STALE-ETAG"],
    }
    /// Content-MD5 read, never compared.
    PartMd5NotChecked {
        name: "part-md5-not-checked",
        scope: "s3 UploadPart",
        summary: "A part whose Content-MD5 is wrong is stored instead of refused with 400 BadDigest",
        violates: ["S3-MPU-PART-MD5"],
    }
    /// The additional checksum is computed and echoed, never compared.
    PartChecksumNotChecked {
        name: "part-checksum-not-checked",
        scope: "s3 UploadPart",
        summary: "A part whose x-amz-checksum-* value is wrong is stored instead of refused with 400 BadDigest",
        violates: ["S3-MPU-PART-CKSUM"],
    }

    // ---- S3 UploadPartCopy ----

    /// The HTTP range's inclusive end read as exclusive.
    CopyRangeEndExclusive {
        name: "copy-range-end-exclusive",
        scope: "s3 UploadPartCopy",
        summary: "x-amz-copy-source-range bytes=a-b copies a to b-1, one byte short",
        violates: ["S3-MPU-COPY-RANGE"],
    }
    /// The result written with the ETag alone.
    CopyPartWithoutLastModified {
        name: "copy-part-without-last-modified",
        scope: "s3 UploadPartCopy",
        summary: "CopyPartResult has no LastModified",
        violates: ["S3-MPU-COPY-WHOLE"],
    }
    /// A range past the end cut to the source, as GET ranges are.
    CopyRangeClamped {
        name: "copy-range-clamped",
        scope: "s3 UploadPartCopy",
        summary: "A copy range past the source's end is cut short instead of refused with InvalidRange",
        violates: ["S3-MPU-COPY-RANGE-OOB"],
    }

    // ---- S3 CompleteMultipartUpload ----

    /// Parts looked up by number only.
    CompleteIgnoresEtag {
        name: "complete-ignores-etag",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete accepts a part whose listed ETag is not its own instead of answering InvalidPart",
        violates: ["S3-MPU-COMPLETE-INVALIDPART-ETAG", "S3-MPU-PART-STALE-ETAG"],
    }
    /// A lenient server that sorts what it is given.
    CompleteSortsParts {
        name: "complete-sorts-parts",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete accepts parts listed out of order instead of answering InvalidPartOrder",
        violates: ["S3-MPU-COMPLETE-ORDER"],
    }
    /// The order check is `<` where `<=` was meant.
    CompleteAcceptsDuplicates {
        name: "complete-accepts-duplicates",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete accepts a part listed twice instead of answering InvalidPartOrder",
        violates: ["S3-MPU-COMPLETE-DUPLICATE"],
    }
    /// Listed parts looked up with a filter, so a missing one drops out.
    CompleteSkipsMissingParts {
        name: "complete-skips-missing-parts",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete leaves out a listed part that was never uploaded instead of answering InvalidPart",
        violates: ["S3-MPU-COMPLETE-INVALIDPART-NUM"],
    }
    /// The object assembled from the upload's parts, not from the list.
    CompleteTakesAllParts {
        name: "complete-takes-all-parts",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete builds the object from every uploaded part, not only the parts it lists",
        violates: ["S3-MPU-COMPLETE-SUBSET-GAPS"],
    }
    /// The upload record kept after Complete, as if it could go on.
    CompleteKeepsUpload {
        name: "complete-keeps-upload",
        scope: "s3 CompleteMultipartUpload",
        summary: "After Complete the upload stays: it is listed, ListParts answers it and UploadPart to it is accepted",
        violates: ["S3-MPU-COMPLETE-CLEANUP", "S3-MPU-PART-AFTER-COMPLETE"],
    }
    EntityTooSmallNotEnforced {
        name: "entity-too-small-not-enforced",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete accepts a part under 5 MiB that is not the last instead of answering EntityTooSmall",
        violates: ["S3-MPU-COMPLETE-TOOSMALL"],
    }
    /// `size <= min` where `size < min` was meant.
    MinPartSizeExclusive {
        name: "min-part-size-exclusive",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete refuses non-last parts of exactly 5 MiB with EntityTooSmall",
        violates: ["S3-MPU-COMPLETE-MIN-BOUNDARY"],
    }
    /// An empty part list taken for an empty object.
    EmptyCompleteAccepted {
        name: "empty-complete-accepted",
        scope: "s3 CompleteMultipartUpload",
        summary: "A Complete listing no parts completes an empty object instead of answering MalformedXML",
        violates: ["S3-MPU-COMPLETE-EMPTYLIST"],
    }
    /// The XML parser's error escapes as an internal one.
    MalformedComplete500 {
        name: "malformed-complete-500",
        scope: "s3 CompleteMultipartUpload",
        summary: "A Complete body that is missing or not XML answers 500 instead of 400 MalformedXML",
        violates: ["S3-MPU-COMPLETE-NOBODY", "S3-MPU-COMPLETE-GARBAGE"],
    }
    /// The upload is forgotten at once, so a client's retry finds nothing.
    CompleteNotIdempotent {
        name: "complete-not-idempotent",
        scope: "s3 CompleteMultipartUpload",
        summary: "A repeated Complete answers 404 NoSuchUpload instead of the first answer",
        violates: ["S3-MPU-COMPLETE-IDEMPOTENT", "S3-MPU-COND-INM-RETRY"],
    }
    /// GET and HEAD print the ETag in a shortened form of their own.
    ReadEtagWithoutCount {
        name: "read-etag-without-count",
        scope: "s3 CompleteMultipartUpload",
        summary: "GET and HEAD of a multipart object give its ETag without the -N part count, unlike Complete and the listing",
        violates: ["S3-MPU-COMPLETE-ETAG", "S3-MPU-GETPART"],
    }
    /// A strict body parser that wants its media type named.
    CompleteNeedsContentType {
        name: "complete-needs-content-type",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete without a Content-Type is refused instead of read as XML",
        violates: ["S3-MPU-COMPLETE-CTYPE"],
    }
    /// The result written with the fields a client reads, not all of them.
    CompleteWithoutLocation {
        name: "complete-without-location",
        scope: "s3 CompleteMultipartUpload",
        summary: "CompleteMultipartUploadResult has no Location",
        violates: ["S3-MPU-COMPLETE-BASIC"],
    }
    /// Conditional writes honoured by PutObject only.
    IfNoneMatchIgnored {
        name: "if-none-match-ignored",
        scope: "s3 CompleteMultipartUpload",
        summary: "Complete with If-None-Match: * replaces an existing object instead of answering 412",
        violates: ["S3-MPU-COND-INM-STAR-EXISTS"],
    }

    // ---- S3 AbortMultipartUpload ----

    /// The upload is marked aborted, its parts are kept and still served.
    AbortKeepsParts {
        name: "abort-keeps-parts",
        scope: "s3 AbortMultipartUpload",
        summary: "Abort answers 204 but the upload and its parts are still listed and usable",
        violates: ["S3-MPU-ABORT-THEN", "S3-MPU-PART-AFTER-ABORT"],
    }
    /// Abort made idempotent the wrong way.
    AbortUnknown204 {
        name: "abort-unknown-204",
        scope: "s3 AbortMultipartUpload",
        summary: "Abort of an unknown or already aborted upload answers 204 instead of 404 NoSuchUpload",
        violates: ["S3-MPU-ABORT-NOSUCHUPLOAD", "S3-MPU-ABORT-TWICE"],
    }
    /// A server that writes an upload in place at its key, so cleaning
    /// up an upload deletes what the key held.
    AbortDeletesObject {
        name: "abort-deletes-object",
        scope: "s3 AbortMultipartUpload",
        summary: "Abort also deletes the object its key held before the upload",
        violates: ["S3-MPU-CREATE-INVISIBLE"],
    }

    // ---- S3 ListParts ----

    /// Parts kept in a map without order.
    ListPartsUnsorted {
        name: "list-parts-unsorted",
        scope: "s3 ListParts",
        summary: "ListParts lists parts in the order they were uploaded, not by part number",
        violates: ["S3-MPU-LP-BASIC", "S3-MPU-LP-MARKER-IS-PN"],
    }
    ListPartsMarkerIgnored {
        name: "list-parts-marker-ignored",
        scope: "s3 ListParts",
        summary: "ListParts ignores part-number-marker and always starts at the first part",
        violates: ["S3-MPU-LP-MARKER-IS-PN", "S3-MPU-LP-PAGINATE"],
    }
    /// The marker used as an index into the list.
    ListPartsMarkerAsIndex {
        name: "list-parts-marker-as-index",
        scope: "s3 ListParts",
        summary: "ListParts reads part-number-marker as a count of parts to skip, not a part number",
        violates: ["S3-MPU-LP-MARKER-IS-PN"],
    }
    /// Per-part checksums kept, but not listed.
    ListPartsWithoutChecksums {
        name: "list-parts-without-checksums",
        scope: "s3 ListParts",
        summary: "ListParts of an upload with a checksum algorithm gives no per-part checksum",
        violates: ["S3-MPU-LP-CKSUM"],
    }
    /// The marker computed as a position in the list.
    NextPartMarkerIsCount {
        name: "next-part-marker-is-count",
        scope: "s3 ListParts",
        summary: "NextPartNumberMarker counts the parts listed so far instead of naming the last one",
        violates: ["S3-MPU-LP-MARKER-IS-PN", "S3-MPU-LP-PAGINATE", "S3-MPU-LP-MAXPARTS"],
    }
    ListPartsNeverTruncated {
        name: "list-parts-never-truncated",
        scope: "s3 ListParts",
        summary: "ListParts ignores max-parts and lists every part on one page with IsTruncated false",
        violates: ["S3-MPU-LP-MAXPARTS", "S3-MPU-LP-PAGINATE"],
    }

    // ---- S3 ListMultipartUploads ----

    /// Prefix compared with `==`.
    ListUploadsPrefixExact {
        name: "list-uploads-prefix-exact",
        scope: "s3 ListMultipartUploads",
        summary: "prefix lists only uploads whose key equals it, not those whose key starts with it",
        violates: ["S3-MPU-LU-PREFIX"],
    }
    /// `>=` where `>` was meant.
    ListUploadsKeyMarkerInclusive {
        name: "list-uploads-key-marker-inclusive",
        scope: "s3 ListMultipartUploads",
        summary: "key-marker alone still lists the marker key's own uploads",
        violates: ["S3-MPU-LU-KEYMARKER"],
    }
    /// Uploads kept in creation order.
    ListUploadsUnsorted {
        name: "list-uploads-unsorted",
        scope: "s3 ListMultipartUploads",
        summary: "Uploads are listed in the order they were created, not by key",
        violates: ["S3-MPU-LU-ORDER"],
    }
    /// Only key-marker read.
    UploadIdMarkerIgnored {
        name: "upload-id-marker-ignored",
        scope: "s3 ListMultipartUploads",
        summary: "upload-id-marker is ignored: the marker key's uploads are all skipped",
        violates: ["S3-MPU-LU-UPLOADIDMARKER", "S3-MPU-LU-MAXUPLOADS"],
    }
    /// The parameter accepted, keys sent raw.
    ListUploadsEncodingIgnored {
        name: "list-uploads-encoding-ignored",
        scope: "s3 ListMultipartUploads",
        summary: "encoding-type=url is ignored: no EncodingType, keys not URL-encoded",
        violates: ["S3-MPU-LU-ENCODING"],
    }
    /// Truncation said, where to go on not.
    ListUploadsWithoutNextMarkers {
        name: "list-uploads-without-next-markers",
        scope: "s3 ListMultipartUploads",
        summary: "A truncated ListMultipartUploads gives no NextKeyMarker or NextUploadIdMarker",
        violates: ["S3-MPU-LU-MAXUPLOADS"],
    }
    ListUploadsDelimiterIgnored {
        name: "list-uploads-delimiter-ignored",
        scope: "s3 ListMultipartUploads",
        summary: "delimiter is ignored: no CommonPrefixes, every upload listed",
        violates: ["S3-MPU-LU-DELIMITER"],
    }

    // ---- S3 DeleteObjects ----

    /// XML text read as a value whatever it holds, so a key's spaces go:
    /// `" a "` deletes and reports `"a"`.
    DeleteKeysTrimmed {
        name: "delete-keys-trimmed",
        scope: "s3 DeleteObjects",
        summary: "DeleteObjects trims the whitespace around each Key: \" a \" deletes and reports \"a\", and \" a \" stays",
        violates: ["S3-MPU-DELETE-KEYS"],
    }

    // ---- S3 GetObject ?partNumber ----

    /// A plain object treated as one part of any number.
    PlainObjectAnyPartNumber {
        name: "plain-object-any-part-number",
        scope: "s3 GetObject partNumber",
        summary: "?partNumber=2 of a plain (single-part) object answers the whole object instead of 416 InvalidPartNumber",
        violates: ["S3-MPU-GETPART-NONMPU"],
    }
    /// Part numbers used as 0-based indexes.
    PartReadOffByOne {
        name: "part-read-off-by-one",
        scope: "s3 GetObject partNumber",
        summary: "GET ?partNumber=n answers part n+1 (the part number used as a 0-based index)",
        violates: ["S3-MPU-GETPART"],
    }
    /// A part served like a whole object.
    PartReadWithoutContentRange {
        name: "part-read-without-content-range",
        scope: "s3 GetObject partNumber",
        summary: "GET ?partNumber=n answers 206 without Content-Range",
        violates: ["S3-MPU-GETPART"],
    }
    /// The part is served, the count of parts left out.
    PartReadWithoutPartsCount {
        name: "part-read-without-parts-count",
        scope: "s3 GetObject partNumber",
        summary: "GET and HEAD ?partNumber=n answer without x-amz-mp-parts-count",
        violates: ["S3-MPU-GETPART"],
    }
    /// The query argument is not read at all.
    PartNumberReadIgnored {
        name: "part-number-read-ignored",
        scope: "s3 GetObject partNumber",
        summary: "GET ?partNumber=n answers the whole object with 200 instead of that part with 206",
        violates: ["S3-MPU-GETPART"],
    }

    // ---- S3 additional checksums ----

    CompositeChecksumWithoutCount {
        name: "composite-checksum-without-count",
        scope: "s3 checksums",
        summary: "A COMPOSITE checksum of the completed object has no -N part count",
        violates: ["S3-MPU-CK-COMPOSITE-SHA256", "S3-MPU-CK-COMPOSITE-SHA1", "S3-MPU-CK-ONEPART"],
    }
    /// The type header read, never compared with the upload's.
    ChecksumTypeNotChecked {
        name: "checksum-type-not-checked",
        scope: "s3 checksums",
        summary: "Complete with an x-amz-checksum-type other than the upload's is accepted",
        violates: ["S3-MPU-CK-TYPE-MISMATCH"],
    }
    /// Part checksums compared when listed, not required.
    PartChecksumOptional {
        name: "part-checksum-optional",
        scope: "s3 checksums",
        summary: "Complete of an upload with a checksum algorithm accepts parts listed without their checksum",
        violates: ["S3-MPU-CK-MISSING-PART"],
    }
    CompleteChecksumNotChecked {
        name: "complete-checksum-not-checked",
        scope: "s3 checksums",
        summary: "Complete's x-amz-checksum-* for the whole object is not compared with the object's",
        violates: ["S3-MPU-CK-BAD-TOTAL"],
    }

    // ---- SigV4 ----

    /// The access key is looked up, the signature never recomputed.
    SignatureNotVerified {
        name: "signature-not-verified",
        scope: "SigV4",
        summary: "Authorization header signatures are not verified: any signature with a known access key is accepted",
        violates: ["S3-MPU-AUTH"],
    }
    /// Authentication applied only when a request carries credentials.
    AnonymousAccepted {
        name: "anonymous-accepted",
        scope: "SigV4",
        summary: "Requests without any signature are served instead of refused with 403 AccessDenied",
        violates: ["S3-MPU-AUTH"],
    }
    /// Query-string authentication is a second code path, and forgot the
    /// comparison.
    PresignedNotVerified {
        name: "presigned-not-verified",
        scope: "SigV4",
        summary: "Presigned URL signatures are not verified",
        violates: ["S3-MPU-AUTH"],
    }
    /// The seed signature is checked, the chunk chain is not.
    ChunkSignaturesNotVerified {
        name: "chunk-signatures-not-verified",
        scope: "SigV4",
        summary: "The chunk signatures of an aws-chunked body are not verified",
        violates: ["S3-MPU-PART-CHUNKED"],
    }
    /// The signature covers the declared hash; the body is never hashed.
    PayloadHashNotChecked {
        name: "payload-hash-not-checked",
        scope: "SigV4",
        summary: "A body whose SHA-256 differs from the signed x-amz-content-sha256 is stored",
        violates: ["S3-MPU-PART-SHA256"],
    }
    /// Trailers parsed and dropped.
    AwsChunkedTrailerNotChecked {
        name: "aws-chunked-trailer-not-checked",
        scope: "SigV4",
        summary: "The checksum trailer of an aws-chunked body is not compared with the bytes",
        violates: ["S3-MPU-PART-TRAILER"],
    }
    /// The signature checked over the headers it lists, and the others
    /// never looked at (boto3 and the AWS CLI sign every `x-amz-*` header,
    /// so no test with them notices).
    UnsignedHeadersAccepted {
        name: "unsigned-headers-accepted",
        scope: "SigV4",
        summary: "An x-amz-* header left out of SignedHeaders is accepted (and acted on) instead of refused with 403 AccessDenied",
        violates: ["S3-MPU-AUTH-SIGNED-HEADERS"],
    }
    /// A key store whose "not found" is reported as a plain denial.
    UnknownAccessKeyAccessDenied {
        name: "unknown-access-key-access-denied",
        scope: "SigV4",
        summary: "An unknown access key id answers 403 AccessDenied instead of InvalidAccessKeyId",
        violates: ["S3-MPU-AUTH"],
    }
    /// Every authentication failure reported with one code.
    SignatureMismatchAsAccessDenied {
        name: "signature-mismatch-as-access-denied",
        scope: "SigV4",
        summary: "A wrong signature answers 403 AccessDenied instead of SignatureDoesNotMatch",
        violates: ["S3-MPU-AUTH"],
    }

    // ---- IETF draft (Resumable Uploads for HTTP) ----

    /// A server that cannot send interim responses, or never tried.
    IetfNo104 {
        name: "ietf-no-104",
        scope: "ietf creation",
        summary: "A creation is answered without a 104 Upload Resumption Supported interim response",
        violates: ["RUFH-CRE-104"],
    }
    /// The interim head built before the upload's URL was known.
    Ietf104WithoutLocation {
        name: "ietf-104-without-location",
        scope: "ietf creation",
        summary: "The 104 of a creation carries no Location",
        violates: ["RUFH-CRE-104-LOCATION"],
    }
    Ietf104WithoutLimit {
        name: "ietf-104-without-limit",
        scope: "ietf creation",
        summary: "The 104 of a creation carries no Upload-Limit",
        violates: ["RUFH-CRE-104-LIMIT"],
    }
    Ietf104WithoutInteropVersion {
        name: "ietf-104-without-interop-version",
        scope: "ietf creation",
        summary: "The 104 does not echo Upload-Draft-Interop-Version",
        violates: ["RUFH-IOP-104-ECHO"],
    }
    /// Two code paths writing the URL, one adding a query.
    IetfLocationDiffers {
        name: "ietf-location-differs",
        scope: "ietf creation",
        summary: "The 201 of an incomplete creation names another Location than its 104",
        violates: ["RUFH-CRE-LOC-SAME"],
    }
    /// tusd's interop-6 answers.
    IetfNoUploadComplete {
        name: "ietf-no-upload-complete",
        scope: "ietf creation",
        summary: "Successful creation and append responses carry no Upload-Complete",
        violates: ["RUFH-CRE-INCOMPLETE", "RUFH-APP-OK", "RUFH-APP-COMPLETE"],
    }
    /// The first indicator wins; the others are never compared.
    IetfLengthMismatchAccepted {
        name: "ietf-length-mismatch-accepted",
        scope: "ietf creation",
        summary: "Disagreeing length indicators (Upload-Length, Content-Length with ?1, earlier requests) are accepted",
        violates: ["RUFH-CRE-LEN-MISMATCH", "RUFH-APP-LEN-CHANGE", "RUFH-APP-LEN-CL"],
    }
    /// Completion taken from the request's headers, not from the body's end.
    IetfInterruptedCompletes {
        name: "ietf-interrupted-completes",
        scope: "ietf creation",
        summary: "An interrupted Upload-Complete: ?1 transfer marks the upload complete",
        violates: ["RUFH-CRE-INTERRUPT-INCOMPLETE", "RUFH-APP-INTERRUPT-INCOMPLETE"],
    }
    /// Bytes written to a temporary place, moved in only when the request completes.
    IetfInterruptedDiscards {
        name: "ietf-interrupted-discards",
        scope: "ietf append",
        summary: "An interrupted creation or append discards the bytes that arrived",
        violates: ["RUFH-APP-INTERRUPT", "RUFH-CRE-INTERRUPT"],
    }
    IetfHeadWithoutLimit {
        name: "ietf-head-without-limit",
        scope: "ietf offset retrieval",
        summary: "HEAD of an upload carries no Upload-Limit",
        violates: ["RUFH-HEAD-LIMIT"],
    }
    IetfHeadWithoutComplete {
        name: "ietf-head-without-complete",
        scope: "ietf offset retrieval",
        summary: "HEAD of an upload carries no Upload-Complete",
        violates: ["RUFH-HEAD-COMPLETE"],
    }
    IetfHeadWithoutLength {
        name: "ietf-head-without-length",
        scope: "ietf offset retrieval",
        summary: "HEAD of an upload never reports Upload-Length",
        violates: ["RUFH-HEAD-LENGTH"],
    }
    IetfHeadCacheable {
        name: "ietf-head-cacheable",
        scope: "ietf offset retrieval",
        summary: "HEAD of an upload carries no Cache-Control: no-store",
        violates: ["RUFH-HEAD-NOSTORE"],
    }
    /// tusd's interop-6 answer.
    Ietf409WithoutOffset {
        name: "ietf-409-without-offset",
        scope: "ietf append",
        summary: "The 409 for a wrong Upload-Offset carries no Upload-Offset",
        violates: ["RUFH-APP-409-OFFSET"],
    }
    Ietf409WithoutUploadComplete {
        name: "ietf-409-without-upload-complete",
        scope: "ietf append",
        summary: "The 409 for a wrong Upload-Offset carries no Upload-Complete: ?0",
        violates: ["RUFH-APP-409-UC0"],
    }
    /// The offset compared only after the bytes were stored.
    IetfConflictAppends {
        name: "ietf-conflict-appends",
        scope: "ietf append",
        summary: "An append refused with 409 still appends its content",
        violates: ["RUFH-APP-409-NOMOD"],
    }
    /// The length recorded, never compared.
    IetfAppendPastLength {
        name: "ietf-append-past-length",
        scope: "ietf append",
        summary: "Content past the upload's length is stored and accepted",
        violates: ["RUFH-APP-EXCEED"],
    }
    IetfExceededUploadStaysValid {
        name: "ietf-exceeded-upload-stays-valid",
        scope: "ietf append",
        summary: "An append past the length is refused, but the upload stays usable",
        violates: ["RUFH-APP-EXCEED-INVALID"],
    }
    /// tusd's interop-6 behaviour (204 to a PATCH of a complete upload).
    IetfCompletedUploadAppended {
        name: "ietf-completed-upload-appended",
        scope: "ietf append",
        summary: "A completed upload accepts further appends",
        violates: ["RUFH-APP-ON-COMPLETE"],
    }
    /// One interim-head builder shared by creation and append: the
    /// append's progress heads get the creation's `Location` too.
    IetfProgress104WithLocation {
        name: "ietf-progress-104-with-location",
        scope: "ietf append",
        summary: "The progress 104s sent during an append carry Location",
        violates: ["RUFH-APP-104-NOLOC"],
    }
    /// A server that reads the whole body before saying anything.
    IetfNoProgress104 {
        name: "ietf-no-progress-104",
        scope: "ietf append",
        summary: "A long append gets no progress 104s with Upload-Offset",
        violates: ["RUFH-APP-104-PROGRESS"],
    }
    /// A plain string comparison instead of an RFC 9651 parser.
    IetfLenientFields {
        name: "ietf-lenient-fields",
        scope: "ietf fields",
        summary: "Request fields are read leniently (Upload-Complete: true, Upload-Offset: \"5\") instead of ignored as invalid structured fields",
        violates: ["RUFH-SF-COMPLETE-BAD", "RUFH-SF-OFFSET-BAD"],
    }
    IetfOffsetNotSfInteger {
        name: "ietf-offset-not-sf-integer",
        scope: "ietf fields",
        summary: "Upload-Offset is sent as a quoted string, not an sf-integer",
        violates: ["RUFH-SF-RESP"],
    }
    IetfOptionsWithoutLimit {
        name: "ietf-options-without-limit",
        scope: "ietf limits",
        summary: "OPTIONS with an interop version carries no Upload-Limit",
        violates: ["RUFH-LIM-OPTIONS"],
    }
    /// Limits written from a default in one place and from the
    /// configuration in another.
    IetfOptionsLooserLimits {
        name: "ietf-options-looser-limits",
        scope: "ietf limits",
        summary: "OPTIONS announces a max-size twice what uploads then get",
        violates: ["RUFH-LIM-OPTIONS-LE"],
    }
    /// A dispatcher that takes any interop version for the newest it knows.
    Ietf104ForAnyVersion {
        name: "ietf-104-for-any-version",
        scope: "ietf creation",
        summary: "A creation naming an interop version the server does not implement is answered as the newest, with a 104",
        violates: ["RUFH-IOP-104-GATE"],
    }
    IetfDeleteKeepsUpload {
        name: "ietf-delete-keeps-upload",
        scope: "ietf cancellation",
        summary: "DELETE answers 204 but the upload stays",
        violates: ["RUFH-DEL"],
    }
    IetfContentDigestIgnored {
        name: "ietf-content-digest-ignored",
        scope: "ietf digests",
        summary: "An append whose Content-Digest does not match its content is appended all the same",
        violates: ["RUFH-DIGEST-CONTENT"],
    }
    IetfReprDigestIgnored {
        name: "ietf-repr-digest-ignored",
        scope: "ietf digests",
        summary: "An upload whose bytes do not match the creation's Repr-Digest completes with success",
        violates: ["RUFH-DIGEST-REPR"],
    }
    IetfNoReprDigest {
        name: "ietf-no-repr-digest",
        scope: "ietf digests",
        summary: "The response completing an upload created with Want-Repr-Digest carries no Repr-Digest",
        violates: ["RUFH-DIGEST-WANT"],
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?} (`upspec-reference-server --help` lists them)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl clap::ValueEnum for Fault {
    fn value_variants<'a>() -> &'a [Self] {
        Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.summary()))
    }
}

/// The faults a server runs with. Handlers ask one question of it.
///
/// A set of bits, one per [`Fault`], so it is `Copy`: each request carries
/// its own, and S3 handlers take it by value wherever they decide something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults([u64; WORDS]);

/// 64 faults to a word.
const WORDS: usize = Fault::ALL.len().div_ceil(64);

impl Faults {
    /// A correct server.
    pub const NONE: Faults = Faults([0; WORDS]);

    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Self {
        let mut set = Self::NONE;
        for fault in faults {
            let (word, bit) = Self::position(fault);
            set.0[word] |= bit;
        }
        set
    }

    /// Whether the server should make this deviation.
    pub fn active(self, fault: Fault) -> bool {
        let (word, bit) = Self::position(fault);
        self.0[word] & bit != 0
    }

    fn position(fault: Fault) -> (usize, u64) {
        let index = fault as usize;
        (index / 64, 1 << (index % 64))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_parse_back() {
        let mut seen = BTreeSet::new();
        for &fault in Fault::ALL {
            let name = fault.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
            assert_eq!(name.parse::<Fault>(), Ok(fault));
            assert!(!fault.requirements().is_empty(), "{name}");
            assert!(
                !fault.summary().ends_with('.'),
                "{name}: summaries are table cells"
            );
        }
        assert!(matches!("nope".parse::<Fault>(), Err(UnknownFault(_))));
    }

    #[test]
    fn a_set_holds_exactly_its_faults() {
        let every = Faults::new(Fault::ALL.iter().copied());
        for (i, &fault) in Fault::ALL.iter().enumerate() {
            assert!(every.active(fault) && !Faults::NONE.active(fault));
            let one = Faults::new([fault]);
            for (j, &other) in Fault::ALL.iter().enumerate() {
                assert_eq!(one.active(other), i == j, "{fault} and {other}");
            }
        }
    }

    #[test]
    fn serde_uses_the_names() {
        let faults: Vec<Fault> =
            serde_saphyr::from_str("[head-cacheable, unknown-upload-500]").unwrap();
        assert_eq!(faults, [Fault::HeadCacheable, Fault::UnknownUpload500]);
        assert!(serde_saphyr::from_str::<Vec<Fault>>("[no-such-fault]").is_err());
    }
}
