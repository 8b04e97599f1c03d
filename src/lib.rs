//! upspec: a conformance test harness for upload servers.
//!
//! Data flows one way: [`scenario`] loads and validates YAML scenario files,
//! discovery asks the target what it supports, the plan turns scenarios into
//! trials, [`engine`] executes them, and reporters render the results.

pub mod engine;
pub mod scenario;
