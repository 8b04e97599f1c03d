//! The faults that change what a response says, not what the server does:
//! one step at the very end of every answer (and of every 104 head), so the
//! handlers stay correct and every such deviation is written here. No IETF
//! fault is defined yet: it changes nothing.

use http::{HeaderMap, StatusCode};

use crate::faults::Faults;

/// Which answer a header map belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// The 104 of a creation.
    Interim,
    /// The final response to a creation or an append.
    Transfer,
    /// Offset retrieval (HEAD or GET).
    Head,
    Options,
    Other,
}

pub(super) fn misreport(
    _faults: &Faults,
    _answer: Answer,
    _status: StatusCode,
    _h: &mut HeaderMap,
) {
}
