//! The draft's rules a fault can bend, as questions named for what the
//! draft says. Handlers ask these and never test a fault themselves;
//! what a response says is bent in `misreport.rs`. Each answer is `true`
//! for a correct server (no IETF fault is defined yet).

use crate::faults::Faults;

/// The faults of one server, read as the rules it keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy;

impl Policy {
    pub fn new(_faults: Faults) -> Self {
        Self
    }

    /// A creation is announced with a 104 before its content is read
    /// (RUFH-CRE-104).
    pub fn announces_with_104(self) -> bool {
        true
    }

    /// Fields are parsed as RFC 9651 says, an invalid one being absent
    /// (RUFH-SF-COMPLETE-BAD, RUFH-SF-OFFSET-BAD).
    pub fn parses_fields_strictly(self) -> bool {
        true
    }

    /// An append refused with 409 stores nothing (RUFH-APP-409-NOMOD).
    pub fn conflict_stores_nothing(self) -> bool {
        true
    }

    /// The offset never passes a known length (RUFH-APP-EXCEED).
    pub fn stops_at_length(self) -> bool {
        true
    }

    /// An append that went past the length leaves the upload invalid
    /// (RUFH-APP-EXCEED, interop 8 and 9).
    pub fn invalidates_past_length(self) -> bool {
        true
    }

    /// Length indicators must agree (RUFH-CRE-LEN-MISMATCH,
    /// RUFH-APP-LEN-CHANGE, RUFH-APP-LEN-CL).
    pub fn checks_length_consistency(self) -> bool {
        true
    }

    /// The bytes of an interrupted transfer are kept (RUFH-APP-INTERRUPT).
    pub fn keeps_interrupted_bytes(self) -> bool {
        true
    }

    /// An interrupted transfer never completes the upload
    /// (RUFH-CRE-INTERRUPT).
    pub fn interrupted_stays_incomplete(self) -> bool {
        true
    }

    /// DELETE deactivates the upload (RUFH-DEL).
    pub fn delete_deactivates(self) -> bool {
        true
    }

    /// A completed upload is not appended to (RUFH-APP-ON-COMPLETE).
    pub fn completed_is_final(self) -> bool {
        true
    }
}
