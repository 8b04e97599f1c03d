//! Server configuration: the [`Config`] the library takes, its defaults,
//! its validation, and the YAML config file (format documented in
//! `docs/reference-server.md`).
//!
//! Server-wide settings (the main listener, the store, the faults) are
//! here; each protocol's own settings are a section defined in the
//! protocol's folder ([`TusConfig`], [`S3Config`]) and gathered here.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::faults::Fault;
use crate::tus::{ChecksumAlgorithm, Extension};

pub use crate::ietf::config::{
    DEFAULT_MAX_SIZE as IETF_DEFAULT_MAX_SIZE, IetfConfig, IetfConfigError, IetfFile,
};
pub use crate::s3::config::{
    S3_ACCESS_KEY_ENV, S3_DEFAULT_LISTEN, S3_DEFAULT_REGION, S3_MIN_PART_SIZE, S3_SECRET_KEY_ENV,
    S3Config, S3ConfigError, S3Credential, S3File,
};
pub use crate::tus::config::{
    DEFAULT_MAX_CONCAT_PARTS, DEFAULT_MAX_SIZE, LocationForm, PublicUrl, TusConfig, TusConfigError,
    TusFile,
};

/// Everything the server can be told. `Default` gives an in-memory server
/// on `127.0.0.1:0` with every tus extension and every checksum algorithm,
/// S3 off.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address of the main listener, where tus answers; port 0 picks a
    /// free port.
    pub listen: SocketAddr,
    /// The tus endpoint.
    pub tus: TusConfig,
    /// The IETF resumable-uploads draft, on the tus listener and base path
    /// (on by default).
    pub ietf: IetfConfig,
    /// The S3 API on its own listener, or `None` (the default) for tus
    /// only. A separate listener because path-style S3 clients put the
    /// bucket at the root of the URL, where no prefix can share it.
    pub s3: Option<S3Config>,
    pub store: StoreConfig,
    /// Flush bytes and records to the disk (`fdatasync`) before an offset
    /// is recorded, so uploads survive a power cut, not only a crash of
    /// this process. On by default.
    pub fsync: bool,
    /// How long a request body may stall before the request is ended (and
    /// the upload's lock released), in every protocol.
    pub idle_timeout: Duration,
    /// Deliberate deviations to make (see [`crate::faults`]); empty, the
    /// default, for a correct server.
    pub faults: BTreeSet<Fault>,
}

/// Where uploads are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Files under `data_dir`, one directory per protocol (tus uploads in
    /// `data_dir/tus/`).
    File { data_dir: PathBuf },
    /// Process memory: gone when the server stops. For tests.
    Memory,
    /// Process memory for small uploads, anonymous temporary files for large
    /// ones: gone when the server stops. For a server that lives for one run
    /// and must not hold every upload of it in memory (upspec's embedded target).
    Scratch,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tus: TusConfig::default(),
            ietf: IetfConfig::default(),
            s3: None,
            store: StoreConfig::Memory,
            fsync: true,
            idle_timeout: Duration::from_secs(60),
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
    #[error(transparent)]
    Tus(#[from] TusConfigError),
    #[error(transparent)]
    Ietf(#[from] IetfConfigError),
    #[error(transparent)]
    S3(#[from] S3ConfigError),
    #[error("idle timeout must be greater than zero")]
    NoIdleTimeout,
    #[error("--s3-region was given but S3 is off (use --s3-listen or an s3: section)")]
    S3RegionWithoutS3,
}

/// The config file's shape: every key optional, unknown keys refused. The
/// tus keys are top-level (see [`TusFile`]); other protocols have a
/// section.
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
    /// The IETF draft's limits (`ietf:` section).
    pub ietf: Option<IetfFile>,
    /// Present: the S3 listener is on.
    pub s3: Option<S3File>,
    /// Deliberate deviations by name (`[head-cacheable, …]`).
    pub faults: Option<Vec<Fault>>,
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
            ietf,
            s3,
            faults,
        } = file;
        if let Some(ietf) = ietf {
            self.ietf.apply(ietf);
        }
        if let Some(listen) = listen {
            self.listen = listen;
        }
        self.tus.apply(TusFile {
            base_path,
            location,
            public_url,
            max_size,
            max_concat_parts,
            expiry_seconds,
            extensions,
            checksum_algorithms,
        });
        let data_dir = data_dir.map(|d| base.join(d));
        self.store = match (store, data_dir, &self.store) {
            (Some(StoreKind::Memory), _, _) => StoreConfig::Memory,
            (_, Some(data_dir), _) => StoreConfig::File { data_dir },
            (Some(StoreKind::File), None, StoreConfig::Memory) => StoreConfig::File {
                data_dir: base.join(DEFAULT_DATA_DIR),
            },
            (_, None, current) => current.clone(),
        };
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
            match &mut self.s3 {
                Some(s3) => s3.apply(file),
                None => self.s3 = Some(S3Config::from_file(file)),
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
        let key = crate::s3::config::env_key(var)?;
        if let (Some(s3), Some(key)) = (&mut self.s3, key) {
            s3.add_credential(key);
        }
        Ok(())
    }

    /// Refuses combinations the server could not honour truthfully.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.tus.validate()?;
        self.ietf.validate()?;
        if self.idle_timeout.is_zero() {
            return Err(ConfigError::NoIdleTimeout);
        }
        if let Some(s3) = &self.s3 {
            s3.validate()?;
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
        assert_eq!(config.tus.base_path, "/up/");
        assert_eq!(config.tus.location, LocationForm::Relative);
        let public = config.tus.public_url.as_ref().unwrap();
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
        assert_eq!(
            (config.tus.max_size, config.tus.max_concat_parts),
            (Some(1000), 7)
        );
        assert_eq!(config.tus.expiry, None);
        assert_eq!(
            config.tus.effective_extensions(),
            [Extension::Creation, Extension::Termination]
        );
        assert_eq!(config.tus.checksum_algorithms, [ChecksumAlgorithm::Sha1]);
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
            (defaults.tus.max_size, defaults.tus.max_concat_parts),
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
            Err(ConfigError::Tus(TusConfigError::BasePath(_)))
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
            Err(ConfigError::Tus(TusConfigError::MissingPrerequisite {
                needs: Extension::Creation,
                ..
            }))
        ));
        assert!(matches!(
            load("checksum_algorithms: []\n"),
            Err(ConfigError::Tus(TusConfigError::NoChecksumAlgorithm))
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
            Err(ConfigError::S3(S3ConfigError::Region(_)))
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
            Err(ConfigError::S3(S3ConfigError::HalfKey { .. }))
        ));
        let mut off = Config::default();
        off.apply_s3_env(env).unwrap();
        assert_eq!(off.s3, None, "keys alone do not turn S3 on");
    }

    #[test]
    fn default_enables_everything() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.tus.effective_extensions(), Extension::ALL);
    }
}
