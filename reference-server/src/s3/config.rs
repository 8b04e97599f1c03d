//! The S3 section of the server's configuration: the S3 listener's
//! settings, their defaults, their validation and the config file's `s3:`
//! section. The server-wide settings are in `crate::config`.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};

use serde::Deserialize;

/// The S3 listener's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Address of the S3 listener; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The region requests must be signed for (the credential scope), and
    /// the one `GetBucketLocation` and `x-amz-bucket-region` report.
    pub region: String,
    /// Access keys. Empty: anonymous access, signatures are not checked.
    /// Otherwise every request must be signed (SigV4) with one of them.
    pub credentials: Vec<S3Credential>,
    /// Smallest size of every part but the last at Complete
    /// (`EntityTooSmall` below it). AWS's 5 MiB by default; tests may lower
    /// it to stay fast, the suite's self-check uses the default.
    pub min_part_size: u64,
}

/// One access key pair. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl S3Credential {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }
}

impl std::fmt::Debug for S3Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// AWS's minimum size of a non-last part: 5 MiB.
pub const S3_MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The region clients assume when none is configured.
pub const S3_DEFAULT_REGION: &str = "us-east-1";
/// Where a standalone S3 listener binds when the config enables S3
/// without saying where.
pub const S3_DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9000);
/// Environment variables carrying one S3 key pair, so secrets never appear
/// in a command line.
pub const S3_ACCESS_KEY_ENV: &str = "UPSPEC_S3_ACCESS_KEY_ID";
pub const S3_SECRET_KEY_ENV: &str = "UPSPEC_S3_SECRET_ACCESS_KEY";

impl Default for S3Config {
    /// 127.0.0.1:0, us-east-1, anonymous, 5 MiB minimum part size.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            region: S3_DEFAULT_REGION.into(),
            credentials: Vec::new(),
            min_part_size: S3_MIN_PART_SIZE,
        }
    }
}

/// The config file's `s3:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3File {
    /// Default 127.0.0.1:9000.
    pub listen: Option<SocketAddr>,
    pub region: Option<String>,
    pub credentials: Option<Vec<S3Credential>>,
    pub min_part_size: Option<u64>,
}

/// Why the S3 settings cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum S3ConfigError {
    #[error("S3 region {0:?} must be non-empty lowercase letters, digits and '-'")]
    Region(String),
    #[error(
        "S3 access key {0:?} must be non-empty visible ASCII without '/', and its secret non-empty"
    )]
    Credential(String),
    #[error("S3 access key {0:?} is configured twice")]
    DuplicateKey(String),
    #[error("S3 minimum part size must be greater than zero")]
    NoMinPartSize,
    #[error(
        "{var} is set but {missing} is not: an S3 key needs both the access key id and the secret"
    )]
    HalfKey {
        var: &'static str,
        missing: &'static str,
    },
}

impl S3Config {
    /// The settings a config file's `s3:` section turns on: the standalone
    /// defaults (port 9000) under the keys it sets.
    pub fn from_file(file: S3File) -> Self {
        let mut config = Self {
            listen: S3_DEFAULT_LISTEN,
            ..Self::default()
        };
        config.apply(file);
        config
    }

    /// Overlays the keys present in `file`.
    pub fn apply(&mut self, file: S3File) {
        let S3File {
            listen,
            region,
            credentials,
            min_part_size,
        } = file;
        if let Some(listen) = listen {
            self.listen = listen;
        }
        if let Some(region) = region {
            self.region = region;
        }
        if let Some(credentials) = credentials {
            self.credentials = credentials;
        }
        if let Some(size) = min_part_size {
            self.min_part_size = size;
        }
    }

    /// Adds a key pair, replacing any with the same access key id.
    pub fn add_credential(&mut self, credential: S3Credential) {
        self.credentials
            .retain(|c| c.access_key_id != credential.access_key_id);
        self.credentials.push(credential);
    }

    /// Refuses settings no client could use: a region that cannot appear in
    /// a credential scope, an access key id that cannot (a `/` would split
    /// the scope), an empty secret, a key configured twice.
    pub fn validate(&self) -> Result<(), S3ConfigError> {
        let region_ok = !self.region.is_empty()
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(S3ConfigError::Region(self.region.clone()));
        }
        let mut seen = BTreeSet::new();
        for credential in &self.credentials {
            let id = &credential.access_key_id;
            let id_ok = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',');
            if !id_ok || credential.secret_access_key.is_empty() {
                return Err(S3ConfigError::Credential(id.clone()));
            }
            if !seen.insert(id.as_str()) {
                return Err(S3ConfigError::DuplicateKey(id.clone()));
            }
        }
        if self.min_part_size == 0 {
            return Err(S3ConfigError::NoMinPartSize);
        }
        Ok(())
    }
}

/// The key pair [`S3_ACCESS_KEY_ENV`] and [`S3_SECRET_KEY_ENV`] give
/// (looked up with `var`), if any. One variable without the other is an
/// error, not a silent anonymous server.
pub fn env_key(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<S3Credential>, S3ConfigError> {
    match (var(S3_ACCESS_KEY_ENV), var(S3_SECRET_KEY_ENV)) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => Ok(Some(S3Credential::new(id, secret))),
        (Some(_), None) => Err(S3ConfigError::HalfKey {
            var: S3_ACCESS_KEY_ENV,
            missing: S3_SECRET_KEY_ENV,
        }),
        (None, Some(_)) => Err(S3ConfigError::HalfKey {
            var: S3_SECRET_KEY_ENV,
            missing: S3_ACCESS_KEY_ENV,
        }),
    }
}
