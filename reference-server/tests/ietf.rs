//! The IETF draft (RUFH) on the reference server, over raw TCP so the 104
//! interim responses are seen: each interop version's main flows, the
//! interim-response seam, structured-field parsing, faults, and bad input.
//! Test names carry the catalogue row IDs (tus-requirements.md §3) they
//! check.

#[path = "ietf/client.rs"]
mod client;
mod common;
#[path = "ietf/digests.rs"]
mod digests;
#[path = "ietf/faults.rs"]
mod faults;
#[path = "ietf/flows.rs"]
mod flows;
#[path = "ietf/interim.rs"]
mod interim;
#[path = "ietf/progress.rs"]
mod progress;
