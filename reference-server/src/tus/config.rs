//! The tus section of the server's configuration: what can be set about
//! the tus endpoint, its defaults and its validation. The server-wide
//! settings (listener, store, faults) are in `crate::config`.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;

use super::checksum::ChecksumAlgorithm;
use super::extension::Extension;

/// The tus endpoint's settings. `Default` enables every extension and
/// every checksum algorithm at `/files/`.
#[derive(Debug, Clone, PartialEq)]
pub struct TusConfig {
    /// The tus creation endpoint; uploads live under it. Starts and ends
    /// with `/` (`/files/`).
    pub base_path: String,
    /// Whether `Location` gives a created upload's URL absolute (the
    /// default, as tusd, @tus/server and rustus do) or as a path.
    pub location: LocationForm,
    /// The creation endpoint's URL as clients reach it, for a server behind
    /// a proxy: Locations start with it instead of the request's `Host` and
    /// `base_path`, and `Upload-Concat` may name uploads under its path.
    pub public_url: Option<PublicUrl>,
    /// Largest upload accepted (`Tus-Max-Size`; bigger ones get 413),
    /// [`DEFAULT_MAX_SIZE`] by default. It also bounds what one request can
    /// make the server write: a final upload is at most this long however
    /// few bytes its `Upload-Concat` has. `None` is no limit, which leaves
    /// that work unbounded.
    pub max_size: Option<u64>,
    /// Most partial uploads one final upload may name (more get 400),
    /// [`DEFAULT_MAX_CONCAT_PARTS`] by default: each is looked up and
    /// copied, so a header naming one partial thousands of times would
    /// otherwise cost that many reads and copies.
    pub max_concat_parts: usize,
    /// How long an unfinished upload lives after its last write. `None`
    /// means uploads never expire, and `expiration` is not advertised even
    /// if listed in `extensions`.
    pub expiry: Option<Duration>,
    /// The extensions to enable. Each one's prerequisite must be enabled
    /// too (see [`Extension::requires`]).
    pub extensions: BTreeSet<Extension>,
    /// Algorithms offered by the checksum extension.
    pub checksum_algorithms: Vec<ChecksumAlgorithm>,
}

/// The default largest tus upload: 1 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;
/// The default most partial uploads in one final upload. Parallel tus
/// clients split an upload into a handful of parts; 100 leaves room.
pub const DEFAULT_MAX_CONCAT_PARTS: usize = 100;

impl Default for TusConfig {
    fn default() -> Self {
        Self {
            base_path: "/files/".into(),
            location: LocationForm::Absolute,
            public_url: None,
            max_size: Some(DEFAULT_MAX_SIZE),
            max_concat_parts: DEFAULT_MAX_CONCAT_PARTS,
            expiry: Some(Duration::from_secs(24 * 60 * 60)),
            extensions: Extension::ALL.into_iter().collect(),
            checksum_algorithms: ChecksumAlgorithm::ALL.to_vec(),
        }
    }
}

/// The tus keys of the config file (top-level keys, as they were before
/// the file had sections); each present one replaces the setting.
#[derive(Debug, Default)]
pub struct TusFile {
    pub base_path: Option<String>,
    pub location: Option<LocationForm>,
    pub public_url: Option<PublicUrl>,
    pub max_size: Option<u64>,
    pub max_concat_parts: Option<usize>,
    /// Seconds; 0 turns expiry off.
    pub expiry_seconds: Option<u64>,
    pub extensions: Option<Vec<Extension>>,
    pub checksum_algorithms: Option<Vec<ChecksumAlgorithm>>,
}

/// Why the tus settings cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TusConfigError {
    #[error(
        "base path {0:?} must start and end with '/' and contain only unreserved URL characters"
    )]
    BasePath(String),
    #[error(
        "public URL {0:?} must be an http or https URL without user info, query or fragment, whose path ends with '/' and contains only unreserved URL characters"
    )]
    PublicUrl(String),
    #[error("extension {extension} needs {needs}, which is not enabled")]
    MissingPrerequisite {
        extension: Extension,
        needs: Extension,
    },
    #[error("the checksum extension is enabled but no checksum algorithm is")]
    NoChecksumAlgorithm,
    #[error("the most parts of a final upload must be greater than zero")]
    NoConcatParts,
}

impl TusConfig {
    /// Overlays the keys present in `file`.
    pub fn apply(&mut self, file: TusFile) {
        let TusFile {
            base_path,
            location,
            public_url,
            max_size,
            max_concat_parts,
            expiry_seconds,
            extensions,
            checksum_algorithms,
        } = file;
        if let Some(base_path) = base_path {
            self.base_path = base_path;
        }
        if let Some(location) = location {
            self.location = location;
        }
        if public_url.is_some() {
            self.public_url = public_url;
        }
        if max_size.is_some() {
            self.max_size = max_size;
        }
        if let Some(parts) = max_concat_parts {
            self.max_concat_parts = parts;
        }
        if let Some(seconds) = expiry_seconds {
            self.expiry = (seconds > 0).then(|| Duration::from_secs(seconds));
        }
        if let Some(extensions) = extensions {
            self.extensions = extensions.into_iter().collect();
        }
        if let Some(algorithms) = checksum_algorithms {
            self.checksum_algorithms = algorithms;
        }
    }

    /// Refuses combinations the server could not honour truthfully.
    pub fn validate(&self) -> Result<(), TusConfigError> {
        if !is_base_path(&self.base_path) {
            return Err(TusConfigError::BasePath(self.base_path.clone()));
        }
        for &extension in &self.extensions {
            if let Some(needs) = extension
                .requires()
                .filter(|n| !self.extensions.contains(n))
            {
                return Err(TusConfigError::MissingPrerequisite { extension, needs });
            }
        }
        if self.extensions.contains(&Extension::Checksum) && self.checksum_algorithms.is_empty() {
            return Err(TusConfigError::NoChecksumAlgorithm);
        }
        if self.max_concat_parts == 0 {
            return Err(TusConfigError::NoConcatParts);
        }
        Ok(())
    }

    /// The extensions as advertised: the enabled ones, in `Tus-Extension`
    /// order, without `expiration` when nothing expires.
    pub fn effective_extensions(&self) -> Vec<Extension> {
        self.extensions
            .iter()
            .copied()
            .filter(|e| *e != Extension::Expiration || self.expiry.is_some())
            .collect()
    }
}

/// How `Location` names a created upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LocationForm {
    /// `http://host:port/files/<id>`: scheme and authority of the public
    /// URL, or else the request's (its `Host`).
    #[default]
    Absolute,
    /// `/files/<id>`, which clients resolve against the creation URL.
    Relative,
}

/// An absolute `http` or `https` URL of the creation endpoint, as clients
/// see it: an origin (`https://uploads.example.com`) and a path ending in
/// `/` (`/api/files/`). No user info, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl {
    origin: String,
    path: String,
}

impl PublicUrl {
    /// `scheme://authority`, without a trailing `/`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Starts and ends with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl std::fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = TusConfigError;

    fn from_str(text: &str) -> Result<Self, TusConfigError> {
        let bad = || TusConfigError::PublicUrl(text.to_owned());
        let uri: http::Uri = text.parse().map_err(|_| bad())?;
        let scheme = uri.scheme_str().filter(|s| matches!(*s, "http" | "https"));
        let authority = uri.authority().filter(|a| !a.as_str().contains('@'));
        let (Some(scheme), Some(authority)) = (scheme, authority) else {
            return Err(bad());
        };
        let path = uri.path();
        if uri.query().is_some() || text.contains('#') || !is_base_path(path) {
            return Err(bad());
        }
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            path: path.to_owned(),
        })
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = TusConfigError;

    fn try_from(text: String) -> Result<Self, TusConfigError> {
        text.parse()
    }
}

/// A path the server can serve uploads under: starts and ends with `/`,
/// only unreserved URL characters in between.
fn is_base_path(path: &str) -> bool {
    path.starts_with('/')
        && path.ends_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
}
