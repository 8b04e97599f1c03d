//! Server configuration: the [`Config`] the library takes, its defaults,
//! its validation, and the YAML config file (format documented in
//! `docs/reference-server.md`).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    pub store: StoreConfig,
    /// Largest upload accepted (`Tus-Max-Size`; bigger ones get 413).
    pub max_size: Option<u64>,
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
            store: StoreConfig::Memory,
            max_size: None,
            expiry: Some(Duration::from_secs(24 * 60 * 60)),
            extensions: Extension::ALL.into_iter().collect(),
            checksum_algorithms: ChecksumAlgorithm::ALL.to_vec(),
            fsync: true,
            idle_timeout: Duration::from_secs(60),
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
    #[error("extension {extension} needs {needs}, which is not enabled")]
    MissingPrerequisite {
        extension: Extension,
        needs: Extension,
    },
    #[error("the checksum extension is enabled but no checksum algorithm is")]
    NoChecksumAlgorithm,
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
}

/// The config file's shape: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<SocketAddr>,
    pub base_path: Option<String>,
    /// `file` (default) or `memory`.
    pub store: Option<StoreKind>,
    pub data_dir: Option<PathBuf>,
    pub max_size: Option<u64>,
    /// Seconds; 0 turns expiry off.
    pub expiry_seconds: Option<u64>,
    pub extensions: Option<Vec<Extension>>,
    pub checksum_algorithms: Option<Vec<ChecksumAlgorithm>>,
    pub fsync: Option<bool>,
    pub idle_timeout_seconds: Option<u64>,
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
            store,
            data_dir,
            max_size,
            expiry_seconds,
            extensions,
            checksum_algorithms,
            fsync,
            idle_timeout_seconds,
        } = file;
        if let Some(listen) = listen {
            self.listen = listen;
        }
        if let Some(base_path) = base_path {
            self.base_path = base_path;
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
    }

    /// Refuses combinations the server could not honour truthfully.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let path_ok = self.base_path.starts_with('/')
            && self.base_path.ends_with('/')
            && self
                .base_path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b));
        if !path_ok {
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
            "listen: 127.0.0.1:1080\nbase_path: /up/\ndata_dir: data\nmax_size: 1000\nexpiry_seconds: 0\n\
             extensions: [creation, termination]\nchecksum_algorithms: [sha1]\nfsync: false\n",
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:1080".parse().unwrap());
        assert_eq!(config.base_path, "/up/");
        assert_eq!(
            config.store,
            StoreConfig::File {
                data_dir: "data".into()
            }
        );
        assert_eq!(config.max_size, Some(1000));
        assert_eq!(config.expiry, None);
        assert_eq!(
            config.effective_extensions(),
            [Extension::Creation, Extension::Termination]
        );
        assert_eq!(config.checksum_algorithms, [ChecksumAlgorithm::Sha1]);
        assert!(!config.fsync);
        let defaults = load("{}\n").unwrap();
        assert_eq!(
            defaults.store,
            StoreConfig::File {
                data_dir: DEFAULT_DATA_DIR.into()
            }
        );
        assert_eq!(defaults.listen, DEFAULT_LISTEN);
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
            load("base_path: files\n"),
            Err(ConfigError::BasePath(_))
        ));
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
    fn default_enables_everything() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.effective_extensions(), Extension::ALL);
    }
}
