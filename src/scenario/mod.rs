//! Scenario files: the syntax written in YAML, the validated model the engine runs,
//! and the loader that turns one into the other with `file:line:col` errors.

pub mod model;
pub mod template;
pub mod units;
