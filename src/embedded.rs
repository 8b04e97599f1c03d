//! The embedded reference server as a target: configured so that every bundled
//! scenario can run against it, with the variables and capabilities that describe
//! that configuration (what a user passes by hand for their own server). `upspec
//! run` without `--target` checks it, and `upspec faults` checks it once per fault.

use std::time::Duration;

use upspec_reference_server::Config;

/// Large enough for any bundled upload, small enough that `Tus-Max-Size + 1` is refusable.
const MAX_SIZE: u64 = 1 << 30;

/// Short enough for the expiration scenarios to wait it out, long enough that no
/// upload of a busy run expires between two of its writes (2 s did, under load).
const EXPIRY: Duration = Duration::from_secs(4);

/// The server's configuration and what a run needs to know about it.
#[derive(Clone, Debug)]
pub struct EmbeddedTarget {
    pub config: Config,
    /// Scenario variables describing the configuration (`tus_max_size`, …).
    pub vars: Vec<(&'static str, String)>,
    /// Capabilities discovery cannot see (GET of an upload is not part of tus).
    pub capabilities: Vec<&'static str>,
}

pub fn target() -> EmbeddedTarget {
    EmbeddedTarget {
        config: Config {
            max_size: Some(MAX_SIZE),
            expiry: Some(EXPIRY),
            ..Config::default()
        },
        vars: vec![
            ("tus_max_size", MAX_SIZE.to_string()),
            ("tus_expiry", EXPIRY.as_secs().to_string()),
        ],
        capabilities: vec!["download"],
    }
}
