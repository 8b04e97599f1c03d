//! Scenario files: the syntax written in YAML, the validated model the engine runs,
//! and the loader that turns one into the other with `file:line:col` errors.

pub mod capability;
pub mod catalogue;
pub mod error;
pub mod extension;
pub mod load;
pub mod matcher;
pub mod model;
pub mod scalar;
pub mod source;
pub mod span;
pub mod suite;
pub mod syntax;
pub mod template;
pub mod tree;
pub mod units;

pub use load::load;
pub use suite::Suite;
pub use tree::SpecTree;
