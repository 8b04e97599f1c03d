//! Server configuration: the [`Config`] the library takes, its defaults,
//! its validation, and the YAML config file (format documented in
//! `docs/reference-server.md`).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::faults::Fault;
use crate::tus::{ChecksumAlgorithm, Extension};

/// Everything the server can be told. `Default` gives an in-memory server
/// on `127.0.0.1:0` with every extension and every checksum algorithm.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
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
    pub store: StoreConfig,
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
    /// Flush bytes and records to the disk (`fdatasync`) before an offset
    /// is recorded, so uploads survive a power cut, not only a crash of
    /// this process. On by default.
    pub fsync: bool,
    /// How long a request body may stall before the request is ended (and
    /// the upload's lock released).
    pub idle_timeout: Duration,
    /// The S3 API on its own listener, or `None` (the default) for tus
    /// only. A separate listener because path-style S3 clients put the
    /// bucket at the root of the URL, where no prefix can share it.
    pub s3: Option<S3Config>,
    /// Deliberate deviations to make (see [`crate::faults`]); empty, the
    /// default, for a correct server.
    pub faults: BTreeSet<Fault>,
}

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

/// The default largest tus upload: 1 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;
/// The default most partial uploads in one final upload. Parallel tus
/// clients split an upload into a handful of parts; 100 leaves room.
pub const DEFAULT_MAX_CONCAT_PARTS: usize = 100;

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
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::PublicUrl(text.to_owned());
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
    type Error = ConfigError;

    fn try_from(text: String) -> Result<Self, ConfigError> {
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

/// Where uploads are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Files under `data_dir` (tus uploads in `data_dir/tus/`).
    File { data_dir: PathBuf },
    /// Process memory: gone when the server stops. For tests.
    Memory,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            base_path: "/files/".into(),
            location: LocationForm::Absolute,
            public_url: None,
            store: StoreConfig::Memory,
            max_size: Some(DEFAULT_MAX_SIZE),
            max_concat_parts: DEFAULT_MAX_CONCAT_PARTS,
            expiry: Some(Duration::from_secs(24 * 60 * 60)),
            extensions: Extension::ALL.into_iter().collect(),
            checksum_algorithms: ChecksumAlgorithm::ALL.to_vec(),
            fsync: true,
            idle_timeout: Duration::from_secs(60),
            s3: None,
            faults: BTreeSet::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: Box<serde_saphyr::Error>,
    },
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
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    #[error("S3 region {0:?} must be non-empty lowercase letters, digits and '-'")]
    S3Region(String),
    #[error(
        "S3 access key {0:?} must be non-empty visible ASCII without '/', and its secret non-empty"
    )]
    S3Credential(String),
    #[error("--s3-region was given but S3 is off (use --s3-listen or an s3: section)")]
    S3RegionWithoutS3,
    #[error("S3 access key {0:?} is configured twice")]
    S3DuplicateKey(String),
    #[error(
        "{var} is set but {missing} is not: an S3 key needs both the access key id and the secret"
    )]
    S3HalfKey {
        var: &'static str,
        missing: &'static str,
    },
}

/// The config file's shape: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<SocketAddr>,
    pub base_path: Option<String>,
    /// `absolute` (default) or `relative`.
    pub location: Option<LocationForm>,
    pub public_url: Option<PublicUrl>,
    /// `file` (default) or `memory`.
    pub store: Option<StoreKind>,
    pub data_dir: Option<PathBuf>,
    pub max_size: Option<u64>,
    pub max_concat_parts: Option<usize>,
    /// Seconds; 0 turns expiry off.
    pub expiry_seconds: Option<u64>,
    pub extensions: Option<Vec<Extension>>,
    pub checksum_algorithms: Option<Vec<ChecksumAlgorithm>>,
    pub fsync: Option<bool>,
    pub idle_timeout_seconds: Option<u64>,
    /// Present: the S3 listener is on.
    pub s3: Option<S3File>,
    /// Deliberate deviations by name (`[head-cacheable, …]`).
    pub faults: Option<Vec<Fault>>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    File,
    Memory,
}

/// Where the file store lives when neither a flag nor the file says.
pub const DEFAULT_DATA_DIR: &str = "upspec-data";
/// Where a standalone server listens when neither a flag nor the file says.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 1080);

impl Config {
    /// The defaults of a standalone server: [`Config::default`], but on
    /// port 1080 with the file store in `base/upspec-data`.
    pub fn standalone(base: &Path) -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            store: StoreConfig::File {
                data_dir: base.join(DEFAULT_DATA_DIR),
            },
            ..Self::default()
        }
    }

    /// Loads a YAML config file over the standalone defaults. A relative
    /// `data_dir` is taken relative to the file's directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: ConfigFile =
            serde_saphyr::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source: Box::new(source),
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Self::standalone(base);
        config.apply(file, base);
        config.validate()?;
        Ok(config)
    }

    /// Overlays the keys present in `file`; relative paths resolve against
    /// `base`.
    pub fn apply(&mut self, file: ConfigFile, base: &Path) {
        let ConfigFile {
            listen,
            base_path,
            location,
            public_url,
            store,
            data_dir,
            max_size,
            max_concat_parts,
            expiry_seconds,
            extensions,
            checksum_algorithms,
            fsync,
            idle_timeout_seconds,
            s3,
            faults,
        } = file;
        if let Some(listen) = listen {
            self.listen = listen;
        }
        if let Some(base_path) = base_path {
            self.base_path = base_path;
        }
        if let Some(location) = location {
            self.location = location;
        }
        if public_url.is_some() {
            self.public_url = public_url;
        }
        let data_dir = data_dir.map(|d| base.join(d));
        self.store = match (store, data_dir, &self.store) {
            (Some(StoreKind::Memory), _, _) => StoreConfig::Memory,
            (_, Some(data_dir), _) => StoreConfig::File { data_dir },
            (Some(StoreKind::File), None, StoreConfig::Memory) => StoreConfig::File {
                data_dir: base.join(DEFAULT_DATA_DIR),
            },
            (_, None, current) => current.clone(),
        };
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
        if let Some(fsync) = fsync {
            self.fsync = fsync;
        }
        if let Some(seconds) = idle_timeout_seconds {
            self.idle_timeout = Duration::from_secs(seconds);
        }
        if let Some(faults) = faults {
            self.faults = faults.into_iter().collect();
        }
        if let Some(file) = s3 {
            let s3 = self.s3.get_or_insert_with(|| S3Config {
                listen: S3_DEFAULT_LISTEN,
                ..S3Config::default()
            });
            if let Some(listen) = file.listen {
                s3.listen = listen;
            }
            if let Some(region) = file.region {
                s3.region = region;
            }
            if let Some(credentials) = file.credentials {
                s3.credentials = credentials;
            }
            if let Some(size) = file.min_part_size {
                s3.min_part_size = size;
            }
        }
    }

    /// Adds the key pair from [`S3_ACCESS_KEY_ENV`] and
    /// [`S3_SECRET_KEY_ENV`] (looked up with `var`) to the S3 settings, if
    /// S3 is on. One variable without the other is an error, not a silent
    /// anonymous server.
    pub fn apply_s3_env(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let pair = (var(S3_ACCESS_KEY_ENV), var(S3_SECRET_KEY_ENV));
        let credential = match pair {
            (None, None) => return Ok(()),
            (Some(id), Some(secret)) => S3Credential::new(id, secret),
            (Some(_), None) => {
                return Err(ConfigError::S3HalfKey {
                    var: S3_ACCESS_KEY_ENV,
                    missing: S3_SECRET_KEY_ENV,
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::S3HalfKey {
                    var: S3_SECRET_KEY_ENV,
                    missing: S3_ACCESS_KEY_ENV,
                });
            }
        };
        if let Some(s3) = &mut self.s3 {
            s3.credentials
                .retain(|c| c.access_key_id != credential.access_key_id);
            s3.credentials.push(credential);
        }
        Ok(())
    }

    /// Refuses combinations the server could not honour truthfully.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !is_base_path(&self.base_path) {
            return Err(ConfigError::BasePath(self.base_path.clone()));
        }
        for &extension in &self.extensions {
            if let Some(needs) = extension
                .requires()
                .filter(|n| !self.extensions.contains(n))
            {
                return Err(ConfigError::MissingPrerequisite { extension, needs });
            }
        }
        if self.extensions.contains(&Extension::Checksum) && self.checksum_algorithms.is_empty() {
            return Err(ConfigError::NoChecksumAlgorithm);
        }
        if self.idle_timeout.is_zero() {
            return Err(ConfigError::Zero("idle timeout"));
        }
        if self.max_concat_parts == 0 {
            return Err(ConfigError::Zero("the most parts of a final upload"));
        }
        if let Some(s3) = &self.s3 {
            s3.validate()?;
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

impl S3Config {
    /// Refuses settings no client could use: a region that cannot appear in
    /// a credential scope, an access key id that cannot (a `/` would split
    /// the scope), an empty secret, a key configured twice.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let region_ok = !self.region.is_empty()
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(ConfigError::S3Region(self.region.clone()));
        }
        let mut seen = BTreeSet::new();
        for credential in &self.credentials {
            let id = &credential.access_key_id;
            let id_ok = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',');
            if !id_ok || credential.secret_access_key.is_empty() {
                return Err(ConfigError::S3Credential(id.clone()));
            }
            if !seen.insert(id.as_str()) {
                return Err(ConfigError::S3DuplicateKey(id.clone()));
            }
        }
        if self.min_part_size == 0 {
            return Err(ConfigError::Zero("S3 minimum part size"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.yaml");
        std::fs::write(&path, yaml).unwrap();
        Config::from_file(&path).map(|mut c| {
            if let StoreConfig::File { data_dir } = &mut c.store {
                *data_dir = data_dir.strip_prefix(dir.path()).unwrap().to_owned();
            }
            c
        })
    }

    #[test]
    fn file_overlays_defaults() {
        let config = load(
            "listen: 127.0.0.1:1080\nbase_path: /up/\nlocation: relative\npublic_url: https://h.example/up/\n\
             data_dir: data\nmax_size: 1000\nmax_concat_parts: 7\nexpiry_seconds: 0\n\
             extensions: [creation, termination]\nchecksum_algorithms: [sha1]\nfsync: false\n\
             faults: [head-cacheable]\n",
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:1080".parse().unwrap());
        assert_eq!(config.base_path, "/up/");
        assert_eq!(config.location, LocationForm::Relative);
        let public = config.public_url.as_ref().unwrap();
        assert_eq!(
            (public.origin(), public.path()),
            ("https://h.example", "/up/")
        );
        assert_eq!(
            config.store,
            StoreConfig::File {
                data_dir: "data".into()
            }
        );
        assert_eq!((config.max_size, config.max_concat_parts), (Some(1000), 7));
        assert_eq!(config.expiry, None);
        assert_eq!(
            config.effective_extensions(),
            [Extension::Creation, Extension::Termination]
        );
        assert_eq!(config.checksum_algorithms, [ChecksumAlgorithm::Sha1]);
        assert!(!config.fsync);
        assert_eq!(config.faults, BTreeSet::from([Fault::HeadCacheable]));
        let defaults = load("{}\n").unwrap();
        assert_eq!(
            defaults.store,
            StoreConfig::File {
                data_dir: DEFAULT_DATA_DIR.into()
            }
        );
        assert_eq!(defaults.listen, DEFAULT_LISTEN);
        assert_eq!(
            (defaults.max_size, defaults.max_concat_parts),
            (Some(DEFAULT_MAX_SIZE), DEFAULT_MAX_CONCAT_PARTS)
        );
        assert_eq!(load("store: memory\n").unwrap().store, StoreConfig::Memory);
    }

    #[test]
    fn refuses_bad_files_and_combinations() {
        assert!(matches!(
            load("listen: 127.0.0.1:1\nport: 3\n"),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            load("extensions: [creation, bogus]\n"),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            load("faults: [no-such-fault]\n"),
            Err(ConfigError::Parse { .. })
        ));
        assert!(matches!(
            load("base_path: files\n"),
            Err(ConfigError::BasePath(_))
        ));
        for bad in [
            "ftp://h/files/",
            "/files/",
            "https://h/files",
            "https://u@h/files/",
            "https://h/files/?q",
            "https://h/files/#f",
        ] {
            assert!(
                matches!(
                    load(&format!("public_url: \"{bad}\"\n")),
                    Err(ConfigError::Parse { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            load("extensions: [creation-with-upload]\n"),
            Err(ConfigError::MissingPrerequisite {
                needs: Extension::Creation,
                ..
            })
        ));
        assert!(matches!(
            load("checksum_algorithms: []\n"),
            Err(ConfigError::NoChecksumAlgorithm)
        ));
    }

    #[test]
    fn s3_section_and_env_keys() {
        let config = load("s3:\n  region: eu-west-1\n  credentials:\n    - access_key_id: AK\n      secret_access_key: SK\n").unwrap();
        let s3 = config.s3.clone().unwrap();
        assert_eq!(s3.listen, S3_DEFAULT_LISTEN);
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(s3.credentials, [S3Credential::new("AK", "SK")]);
        assert_eq!(s3.min_part_size, S3_MIN_PART_SIZE);
        assert!(!format!("{s3:?}").contains("SK\""), "Debug shows no secret");
        assert_eq!(load("{}\n").unwrap().s3, None);
        assert!(matches!(
            load("s3:\n  region: EU\n"),
            Err(ConfigError::S3Region(_))
        ));
        assert!(matches!(
            load("s3:\n  secret: x\n"),
            Err(ConfigError::Parse { .. })
        ));
        let mut with_env = config.clone();
        let env = |name: &str| match name {
            S3_ACCESS_KEY_ENV => Some("AK".to_owned()),
            S3_SECRET_KEY_ENV => Some("other".to_owned()),
            _ => None,
        };
        with_env.apply_s3_env(env).unwrap();
        assert_eq!(
            with_env.s3.unwrap().credentials,
            [S3Credential::new("AK", "other")]
        );
        let half = |name: &str| (name == S3_ACCESS_KEY_ENV).then(|| "AK".to_owned());
        assert!(matches!(
            config.clone().apply_s3_env(half),
            Err(ConfigError::S3HalfKey { .. })
        ));
        let mut off = Config::default();
        off.apply_s3_env(env).unwrap();
        assert_eq!(off.s3, None, "keys alone do not turn S3 on");
    }

    #[test]
    fn default_enables_everything() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.effective_extensions(), Extension::ALL);
    }
}
