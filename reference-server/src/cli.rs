//! Command-line flags for serving, shared by the standalone binary and
//! `upspec serve` (which flattens [`ServeArgs`] into its own command).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, ConfigFile, LocationForm, PublicUrl, S3File, StoreKind};
use crate::faults::Fault;
use crate::server::RunningServer;
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
    /// How Location gives a created upload's URL: absolute (from the
    /// request's Host, or --public-url) or relative (a path) [default: absolute].
    #[arg(long, value_enum, value_name = "FORM")]
    pub location: Option<LocationForm>,
    /// The creation endpoint's URL as clients reach it, behind a proxy
    /// (e.g. https://uploads.example.com/files/): Locations start with it.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<PublicUrl>,
    /// Directory of the file store [default: ./upspec-data].
    #[arg(long, value_name = "DIR", conflicts_with = "store")]
    pub data_dir: Option<PathBuf>,
    /// Store kind [default: file].
    #[arg(long, value_enum)]
    pub store: Option<StoreKind>,
    /// Largest accepted upload in bytes (Tus-Max-Size) [default: 1073741824].
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Most partial uploads one final upload may name [default: 100].
    #[arg(long, value_name = "N")]
    pub max_concat_parts: Option<usize>,
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
    /// Serve the S3 API (path-style) on this address too; port 0 picks a
    /// free port. Keys come from UPSPEC_S3_ACCESS_KEY_ID and
    /// UPSPEC_S3_SECRET_ACCESS_KEY or the config file, never from a flag;
    /// without keys, S3 access is anonymous.
    #[arg(long, value_name = "ADDR")]
    pub s3_listen: Option<SocketAddr>,
    /// Region S3 requests are signed for [default: us-east-1].
    #[arg(long, value_name = "REGION")]
    pub s3_region: Option<String>,
    /// Make this deliberate protocol deviation (repeatable), so a conformance
    /// suite can show it catches it. Replaces the config file's list.
    /// `upspec faults --list` names every fault with what it does.
    #[arg(
        long = "fault",
        value_enum,
        value_name = "NAME",
        hide_possible_values = true
    )]
    pub faults: Vec<Fault>,
}

impl ServeArgs {
    /// Builds the config: defaults for a standalone server (file store in
    /// `./upspec-data`, port 1080), then the file, then the flags, then the
    /// S3 key from the environment.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        self.into_config_with_env(|name| std::env::var(name).ok())
    }

    /// [`ServeArgs::into_config`] with the environment given by `var`.
    pub fn into_config_with_env(
        self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::standalone(Path::new("")),
        };
        let flags = ConfigFile {
            listen: self.listen,
            base_path: self.base_path,
            location: self.location,
            public_url: self.public_url,
            store: self.store,
            data_dir: self.data_dir,
            max_size: self.max_size,
            max_concat_parts: self.max_concat_parts,
            expiry_seconds: self.expiry,
            extensions: self.extensions,
            checksum_algorithms: self.checksum_algorithms,
            fsync: self.no_fsync.then_some(false),
            idle_timeout_seconds: self.idle_timeout,
            // The IETF draft's limits are set in the config file only.
            ietf: None,
            // --s3-region alone tunes an S3 section the file enabled;
            // --s3-listen turns S3 on.
            s3: (self.s3_listen.is_some() || (self.s3_region.is_some() && config.s3.is_some()))
                .then_some(S3File {
                    listen: self.s3_listen,
                    region: self.s3_region.clone(),
                    credentials: None,
                    min_part_size: None,
                }),
            faults: (!self.faults.is_empty()).then_some(self.faults),
        };
        if self.s3_region.is_some() && flags.s3.is_none() {
            return Err(ConfigError::S3RegionWithoutS3);
        }
        config.apply(flags, Path::new(""));
        config.apply_s3_env(var)?;
        config.validate()?;
        Ok(config)
    }
}

/// What a command-line server prints once it listens: one line per
/// listener with the address it really got (the port chosen for `:0`).
/// Scripts and tests read the first line to learn the tus endpoint, and
/// the `s3 listening on` line for the S3 one. A wildcard address (`0.0.0.0`,
/// `[::]`) is no URL to paste into a client, so the loopback URL that reaches
/// the same listener follows it.
pub fn banner(server: &RunningServer) -> String {
    let mut lines = format!("listening on {}\n", server.base_url());
    lines.push_str(&loopback_line(server.local_addr(), &server.base_url()));
    if let (Some(endpoint), Some(addr)) = (server.s3_endpoint(), server.s3_addr()) {
        lines.push_str(&format!("s3 listening on {endpoint}\n"));
        lines.push_str(&loopback_line(addr, &endpoint));
    }
    lines
}

/// `  also http://127.0.0.1:PORT/…` for a listener on a wildcard address; empty otherwise.
fn loopback_line(addr: SocketAddr, url: &str) -> String {
    if !addr.ip().is_unspecified() {
        return String::new();
    }
    let loopback: std::net::IpAddr = match addr {
        SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    let local = SocketAddr::new(loopback, addr.port());
    format!(
        "  (every interface; from this machine: {})\n",
        url.replacen(&addr.to_string(), &local.to_string(), 1)
    )
}

/// The warning a command-line server prints when it runs with faults, so
/// nobody mistakes it for a correct server.
pub fn faults_warning(config: &Config) -> Option<String> {
    if config.faults.is_empty() {
        return None;
    }
    let names: Vec<&str> = config.faults.iter().map(|f| f.name()).collect();
    Some(format!(
        "warning: deliberate protocol faults are on ({}); this server is not conformant",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV, S3Credential};

    #[test]
    fn s3_flags_and_env() {
        let env = |name: &str| match name {
            S3_ACCESS_KEY_ENV => Some("AK".to_owned()),
            S3_SECRET_KEY_ENV => Some("SK".to_owned()),
            _ => None,
        };
        let args = ServeArgs {
            s3_listen: Some("127.0.0.1:0".parse().unwrap()),
            s3_region: Some("eu-west-1".into()),
            ..ServeArgs::default()
        };
        let s3 = args.into_config_with_env(env).unwrap().s3.unwrap();
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(s3.credentials, [S3Credential::new("AK", "SK")]);
        let off = ServeArgs::default().into_config_with_env(env).unwrap();
        assert_eq!(off.s3, None);
        let region_only = ServeArgs {
            s3_region: Some("eu-west-1".into()),
            ..ServeArgs::default()
        };
        assert!(matches!(
            region_only.into_config_with_env(|_| None),
            Err(ConfigError::S3RegionWithoutS3)
        ));
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .expect("flags parse");
        cli.serve.into_config_with_env(|_| None).expect("config")
    }

    #[test]
    fn faults_are_repeatable_flags_and_warned_about() {
        let plain = config(&["--store", "memory"]);
        assert!(plain.faults.is_empty());
        assert_eq!(faults_warning(&plain), None);
        let faulty = config(&[
            "--store",
            "memory",
            "--fault",
            "head-cacheable",
            "--fault",
            "unknown-upload-500",
        ]);
        assert_eq!(
            faulty.faults.iter().copied().collect::<Vec<_>>(),
            [Fault::HeadCacheable, Fault::UnknownUpload500]
        );
        let warning = faults_warning(&faulty).expect("a warning");
        assert!(
            warning.contains("head-cacheable, unknown-upload-500"),
            "{warning}"
        );
        assert!(Cli::try_parse_from(["serve", "--fault", "no-such-fault"]).is_err());
    }

    #[test]
    fn a_wildcard_listener_is_also_shown_at_its_loopback_url() {
        let any: SocketAddr = "0.0.0.0:1080".parse().unwrap();
        assert_eq!(
            loopback_line(any, "http://0.0.0.0:1080/files/"),
            "  (every interface; from this machine: http://127.0.0.1:1080/files/)\n"
        );
        let v6: SocketAddr = "[::]:9000".parse().unwrap();
        assert_eq!(
            loopback_line(v6, "http://[::]:9000"),
            "  (every interface; from this machine: http://[::1]:9000)\n"
        );
        let local: SocketAddr = "127.0.0.1:1080".parse().unwrap();
        assert_eq!(loopback_line(local, "http://127.0.0.1:1080/files/"), "");
    }
}
