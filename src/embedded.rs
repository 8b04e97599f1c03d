//! The embedded reference server as a target: configured so that every bundled
//! scenario can run against it, with the variables and capabilities that describe
//! that configuration (what a user passes by hand for their own server). `upspec
//! run` without `--target` checks it, and `upspec faults` checks it once per fault.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use upspec_reference_server::config::{S3Config, S3Credential};
use upspec_reference_server::{Config, IetfConfig, RunningServer, TusConfig};

use crate::protocol;
use crate::protocol::s3::settings::{DEFAULT_REGION, S3Settings};
use crate::protocol::s3::sign::Credentials;
use crate::protocol::tus;
use crate::scenario::capability::Capability;

/// Large enough for any bundled upload, small enough that `Tus-Max-Size + 1` is refusable.
const MAX_SIZE: u64 = 1 << 30;

/// The shortest `Upload-Expires` can say (it counts whole seconds), so that the
/// expiration scenarios wait as little as possible. An upload expires 1 to 2 s
/// after its last write (the instant is rounded up to the second): a run's
/// scenarios must not leave one of their uploads idle that long, which the
/// runner's bounded concurrency sees to.
const EXPIRY: Duration = Duration::from_secs(1);

/// How long a stalled request body is waited on before the request is ended (tus
/// 408, S3 RequestTimeout): the shortest the `tus_idle_timeout` variable can say,
/// so the scenario that stalls a body on purpose takes a second rather than the
/// default minute.
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// The IETF draft's `max-append-size`: above the suite's 1 MiB appends, low
/// enough that the scenario refused for exceeding it sends a few MiB.
const IETF_MAX_APPEND_SIZE: u64 = 4 << 20;

/// The IETF draft's `min-append-size`: announced, so the scenarios about its
/// exemptions run, and 1 byte, so no other scenario's append is refused by it.
const IETF_MIN_APPEND_SIZE: u64 = 1;

/// How far apart two S3 Creates must be for the server to list them in the
/// order they were made: none, since it orders them by a sequence number, but
/// a few milliseconds keep their `Initiated` times apart as well.
const S3_INITIATED_GAP: &str = "10ms";

/// The embedded S3 listener's key pair. Fixed on purpose: the server lives for one
/// run, on loopback, and a known pair lets a user repeat a failing request by hand.
const S3_ACCESS_KEY_ID: &str = "UPSPECEMBEDDED";
const S3_SECRET_ACCESS_KEY: &str = "upspec-embedded-reference-server-secret";

/// What the embedded S3 implementation offers beyond the plain multipart API.
const S3_FEATURES: &[&str] = &["checksum", "copy", "conditional_write"];

/// The server's configuration and what a run needs to know about it.
#[derive(Clone, Debug)]
pub struct EmbeddedTarget {
    pub config: Config,
    /// Scenario variables describing the configuration (`tus_max_size`, …).
    pub vars: Vec<(&'static str, String)>,
    /// Capabilities discovery cannot see (GET of an upload is not part of tus).
    pub capabilities: Vec<Capability>,
}

pub fn target() -> EmbeddedTarget {
    EmbeddedTarget {
        config: Config {
            tus: TusConfig {
                max_size: Some(MAX_SIZE),
                expiry: Some(EXPIRY),
                ..TusConfig::default()
            },
            idle_timeout: IDLE_TIMEOUT,
            ietf: IetfConfig {
                max_append_size: Some(IETF_MAX_APPEND_SIZE),
                min_append_size: IETF_MIN_APPEND_SIZE,
                ..IetfConfig::default()
            },
            s3: Some(S3Config {
                listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                region: DEFAULT_REGION.to_owned(),
                credentials: vec![S3Credential::new(S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY)],
                ..S3Config::default()
            }),
            ..Config::default()
        },
        vars: vec![
            ("tus_max_size", MAX_SIZE.to_string()),
            ("tus_expiry", EXPIRY.as_secs().to_string()),
            ("tus_idle_timeout", IDLE_TIMEOUT.as_secs().to_string()),
            ("ietf_idle_timeout", IDLE_TIMEOUT.as_secs().to_string()),
            ("s3_initiated_gap", S3_INITIATED_GAP.to_owned()),
        ],
        capabilities: vec![Capability {
            protocol: tus::NAME,
            name: tus::discover::DOWNLOAD.to_owned(),
            negated: false,
        }],
    }
}

/// The protocol settings that reach a running embedded server's listeners, over
/// the user's (`--ietf-version` still chooses the draft's version to check).
pub fn protocol_settings(server: &RunningServer, user: protocol::Settings) -> protocol::Settings {
    protocol::Settings {
        s3: server.s3_endpoint().map(s3_settings),
        ..user
    }
}

/// The S3 settings that reach the embedded server's S3 listener, signed.
fn s3_settings(endpoint: String) -> S3Settings {
    S3Settings {
        endpoint,
        bucket: None,
        region: DEFAULT_REGION.to_owned(),
        credentials: Some(Credentials {
            access_key_id: S3_ACCESS_KEY_ID.to_owned(),
            secret_access_key: S3_SECRET_ACCESS_KEY.to_owned(),
            session_token: None,
        }),
        features: S3_FEATURES.iter().map(|f| f.to_string()).collect(),
    }
}
