//! Executes scenarios against a target over HTTP.

pub mod outcome;
