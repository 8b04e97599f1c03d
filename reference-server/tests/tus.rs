//! The server's own conformance tests over HTTP on 127.0.0.1, one module per
//! section of the requirement catalogue (tus-requirements.md §1). Test names
//! carry the catalogue row IDs they check.

mod common;

#[path = "tus/concat.rs"]
mod concat;
#[path = "tus/core.rs"]
mod core;
#[path = "tus/creation.rs"]
mod creation;
#[path = "tus/extensions.rs"]
mod extensions;
#[path = "tus/robustness.rs"]
mod robustness;
