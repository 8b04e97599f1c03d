//! The draft's rules a fault can bend, as questions named for what the
//! draft says. Handlers ask these and never test a [`Fault`] themselves;
//! what a response says is bent in `misreport.rs`. Each answer is `true`
//! for a correct server.

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

    /// Only the interop versions the server implements are answered as the
    /// draft; any other falls to tus, and gets no 104 (RUFH-IOP-104-GATE).
    pub fn answers_only_its_versions(self) -> bool {
        self.keeps(Fault::Ietf104ForAnyVersion)
    }

    /// A creation is announced with a 104 before its content is read
    /// (RUFH-CRE-104).
    pub fn announces_with_104(self) -> bool {
        self.keeps(Fault::IetfNo104)
    }

    /// A long transfer reports its progress in 104s with `Upload-Offset`
    /// (RUFH-APP-104-PROGRESS).
    pub fn reports_progress(self) -> bool {
        self.keeps(Fault::IetfNoProgress104)
    }

    /// Fields are parsed as RFC 9651 says, an invalid one being absent
    /// (RUFH-SF-COMPLETE-BAD, RUFH-SF-OFFSET-BAD).
    pub fn parses_fields_strictly(self) -> bool {
        self.keeps(Fault::IetfLenientFields)
    }

    /// An append refused with 409 stores nothing (RUFH-APP-409-NOMOD).
    pub fn conflict_stores_nothing(self) -> bool {
        self.keeps(Fault::IetfConflictAppends)
    }

    /// The offset never passes a known length (RUFH-APP-EXCEED).
    pub fn stops_at_length(self) -> bool {
        self.keeps(Fault::IetfAppendPastLength)
    }

    /// An append that went past the length leaves the upload invalid
    /// (RUFH-APP-EXCEED, interop 8 and 9).
    pub fn invalidates_past_length(self) -> bool {
        self.keeps(Fault::IetfExceededUploadStaysValid)
    }

    /// Length indicators must agree (RUFH-CRE-LEN-MISMATCH,
    /// RUFH-APP-LEN-CHANGE, RUFH-APP-LEN-CL).
    pub fn checks_length_consistency(self) -> bool {
        self.keeps(Fault::IetfLengthMismatchAccepted)
    }

    /// The bytes of an interrupted transfer are kept (RUFH-APP-INTERRUPT).
    pub fn keeps_interrupted_bytes(self) -> bool {
        self.keeps(Fault::IetfInterruptedDiscards)
    }

    /// An interrupted transfer never completes the upload
    /// (RUFH-CRE-INTERRUPT-INCOMPLETE, RUFH-APP-INTERRUPT-INCOMPLETE).
    pub fn interrupted_stays_incomplete(self) -> bool {
        self.keeps(Fault::IetfInterruptedCompletes)
    }

    /// DELETE deactivates the upload (RUFH-DEL).
    pub fn delete_deactivates(self) -> bool {
        self.keeps(Fault::IetfDeleteKeepsUpload)
    }

    /// A completed upload is not appended to (RUFH-APP-ON-COMPLETE).
    pub fn completed_is_final(self) -> bool {
        self.keeps(Fault::IetfCompletedUploadAppended)
    }

    /// A creation or append whose `Content-Digest` does not match its
    /// content appends nothing (RUFH-DIGEST-CONTENT).
    pub fn checks_content_digest(self) -> bool {
        self.keeps(Fault::IetfContentDigestIgnored)
    }

    /// An upload whose completed representation does not match the
    /// creation's `Repr-Digest` fails (RUFH-DIGEST-REPR).
    pub fn checks_repr_digest(self) -> bool {
        self.keeps(Fault::IetfReprDigestIgnored)
    }
}
