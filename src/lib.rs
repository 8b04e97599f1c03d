//! upspec: a conformance test harness for upload servers.
//!
//! Data flows one way: [`scenario`] loads and validates YAML scenario files,
//! each of the [`protocol`]s asks the target what it supports, [`plan`] decides
//! what runs and why the rest is skipped, [`assembly`] opens the run, [`engine`]
//! executes scenarios, [`verdict`] applies the level policy, and [`report`]
//! renders what happened.

pub mod assembly;
pub mod baseline;
pub mod cli;
pub mod embedded;
pub mod engine;
pub mod plan;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod selfcheck;
pub mod settings;
pub mod verdict;
pub mod wire;
