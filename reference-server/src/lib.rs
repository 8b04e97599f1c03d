//! The upspec reference server (protocol work lands with its own issue).
