//! Command-line flags for serving, shared by the standalone binary and
//! `upspec serve` (which flattens [`ServeArgs`] into its own command).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, ConfigFile, StoreKind};
use crate::tus::{ChecksumAlgorithm, Extension};

/// Flags override the config file, which overrides the defaults. Without
/// any, uploads go to `./upspec-data` on 127.0.0.1:1080.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// YAML config file (see docs/reference-server.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:1080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The tus creation endpoint [default: /files/].
    #[arg(long, value_name = "PATH")]
    pub base_path: Option<String>,
    /// Directory of the file store [default: ./upspec-data].
    #[arg(long, value_name = "DIR", conflicts_with = "store")]
    pub data_dir: Option<PathBuf>,
    /// Store kind [default: file].
    #[arg(long, value_enum)]
    pub store: Option<StoreKind>,
    /// Largest accepted upload in bytes (Tus-Max-Size).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Seconds an unfinished upload lives after its last write; 0 = never
    /// expire [default: 86400].
    #[arg(long, value_name = "SECONDS")]
    pub expiry: Option<u64>,
    /// Comma-separated extensions to enable [default: all].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub extensions: Option<Vec<Extension>>,
    /// Comma-separated checksum algorithms [default: md5,sha1,sha256,sha512,crc32].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub checksum_algorithms: Option<Vec<ChecksumAlgorithm>>,
    /// Do not fdatasync before recording offsets (survives a crash of this
    /// process, not a power cut; faster).
    #[arg(long)]
    pub no_fsync: bool,
    /// Seconds a request body may stall before the request ends [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,
}

impl ServeArgs {
    /// Builds the config: defaults for a standalone server (file store in
    /// `./upspec-data`, port 1080), then the file, then the flags.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::standalone(Path::new("")),
        };
        let flags = ConfigFile {
            listen: self.listen,
            base_path: self.base_path,
            store: self.store,
            data_dir: self.data_dir,
            max_size: self.max_size,
            expiry_seconds: self.expiry,
            extensions: self.extensions,
            checksum_algorithms: self.checksum_algorithms,
            fsync: self.no_fsync.then_some(false),
            idle_timeout_seconds: self.idle_timeout,
        };
        config.apply(flags, Path::new(""));
        config.validate()?;
        Ok(config)
    }
}
