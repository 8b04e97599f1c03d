//! The tus rules a fault can bend, as questions named for what the spec
//! says. Handlers ask these and never test a [`Fault`] themselves, so every
//! deviation that changes what the server does (rather than what a refusal
//! or an answer says: `rejection.rs`, `misreport.rs`) is listed here,
//! beside the rule it bends. Each answer is `true` for a correct server.

use http::Method;

use super::checksum::ChecksumAlgorithm;
use crate::faults::{Fault, Faults};

/// The faults of one server, read as the rules it keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy(Faults);

impl Policy {
    pub fn new(faults: Faults) -> Self {
        Self(faults)
    }

    fn keeps(self, rule_broken_by: Fault) -> bool {
        !self.0.active(rule_broken_by)
    }

    // ---- core ----

    /// `X-HTTP-Method-Override` replaces the request's method, whatever
    /// that is (P:L187-192). Broken by `method-override-ignored`, and by
    /// `method-override-post-only` for methods other than POST.
    pub fn honours_method_override(self, actual: &Method) -> bool {
        self.keeps(Fault::MethodOverrideIgnored)
            && (*actual == Method::POST || self.keeps(Fault::MethodOverridePostOnly))
    }

    /// OPTIONS is answered whatever `Tus-Resumable` says (P:L252-253).
    pub fn options_ignores_version(self) -> bool {
        self.keeps(Fault::OptionsChecksVersion)
    }

    /// A final upload is refused with 403 whatever the offset
    /// (P:L643-644), so its refusal comes before the offset's 409.
    pub fn final_refused_before_offset_checked(self) -> bool {
        self.keeps(Fault::FinalOffsetCheckedFirst)
    }

    /// A PATCH refused with 409 stores nothing (TUS-CORE-PATCH-409-NOMOD).
    pub fn conflict_stores_nothing(self) -> bool {
        self.keeps(Fault::ConflictAdvancesOffset)
    }

    /// The bytes of an interrupted PATCH are kept
    /// (TUS-CORE-PATCH-PARTIAL-STORE).
    pub fn keeps_interrupted_bytes(self) -> bool {
        self.keeps(Fault::InterruptedPatchDiscards)
    }

    /// A stalled body is ended after the idle timeout, releasing the
    /// upload (TUS-CORE-PATCH-TIMEOUT).
    pub fn ends_stalled_bodies(self) -> bool {
        self.keeps(Fault::StalledBodyNeverEnded)
    }

    // ---- creation, creation-with-upload, creation-defer-length ----

    /// `Upload-Length: 0` is a length, an empty upload (TUS-CRE-EMPTY).
    pub fn zero_is_a_length(self) -> bool {
        self.keeps(Fault::ZeroLengthRefused)
    }

    /// `Tus-Max-Size` itself is an acceptable length: only longer uploads
    /// get 413 (P:L372-374).
    pub fn max_size_is_inclusive(self) -> bool {
        self.keeps(Fault::MaxSizeExclusive)
    }

    /// The bytes sent with a creation are stored (creation-with-upload).
    pub fn creation_stores_body(self) -> bool {
        self.keeps(Fault::CreationBodyIgnored)
    }

    /// A creation with `Expect: 100-continue` reads its body at once, so
    /// that hyper sends the 100 (Continue) immediately (RFC 9110 §10.1.1).
    pub fn reads_expected_body_at_once(self) -> bool {
        self.keeps(Fault::ExpectContinueLate)
    }

    /// A PATCH of a deferred upload may declare its `Upload-Length`.
    pub fn reads_declared_length(self) -> bool {
        self.keeps(Fault::DeclaredLengthIgnored)
    }

    // ---- checksum, checksum-trailer ----

    /// Every algorithm `Tus-Checksum-Algorithm` lists is verified.
    pub fn verifies(self, algorithm: ChecksumAlgorithm) -> bool {
        algorithm != ChecksumAlgorithm::Md5 || self.keeps(Fault::AdvertisedAlgorithmRefused)
    }

    /// A checksum in an algorithm the server does not support is refused
    /// (TUS-CKS-MISMATCH), not skipped.
    pub fn refuses_unknown_algorithm(self) -> bool {
        self.keeps(Fault::UnknownAlgorithmIgnored)
    }

    /// A body is verified before its bytes are committed, so a mismatch
    /// stores nothing (TUS-CKS-DISCARD).
    pub fn verifies_before_commit(self) -> bool {
        self.keeps(Fault::ChecksumVerifiedAfterCommit)
    }

    /// An `Upload-Checksum` trailer is read and verified.
    pub fn reads_checksum_trailer(self) -> bool {
        self.keeps(Fault::TrailerChecksumIgnored)
    }

    // ---- termination ----

    /// A completed upload may be terminated too (TUS-TRM-204-DONE).
    pub fn terminates_completed_uploads(self) -> bool {
        self.keeps(Fault::TerminateCompletedRefused)
    }

    /// Termination removes the upload (P:L575-588).
    pub fn termination_removes_upload(self) -> bool {
        self.keeps(Fault::TerminateKeepsUpload)
    }

    /// DELETE of an upload that does not exist is 404, not an idempotent
    /// 204 (TUS-TRM-NOTFOUND).
    pub fn unknown_delete_not_found(self) -> bool {
        self.keeps(Fault::DeleteUnknown204)
    }

    // ---- concatenation ----

    /// A final upload carries none of its parts' metadata (P:L634-636).
    pub fn final_upload_has_own_metadata(self) -> bool {
        self.keeps(Fault::PartialMetadataCarried)
    }

    /// A final upload is its parts' bytes in the order `Upload-Concat`
    /// names them.
    pub fn concatenates_in_order(self) -> bool {
        self.keeps(Fault::ConcatWrongOrder)
    }

    /// A final upload over unfinished parts is assembled once they finish
    /// (concatenation-unfinished), not only when it is created.
    pub fn assembles_when_parts_finish(self) -> bool {
        self.keeps(Fault::FinalAssembledOnlyAtCreation)
    }
}
