//! Shared by the engine tests: scenario constructors and test servers.

pub mod build;
pub mod servers;
