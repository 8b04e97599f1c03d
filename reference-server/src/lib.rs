//! The upspec reference server: tus 1.0.0 with every extension, the IETF
//! resumable-uploads draft (interop versions 6, 8 and 9) on the same path,
//! and S3 (path-style, SigV4-verified when keys are configured) on a second
//! listener, over a crash-safe file store, embeddable in-process and
//! runnable standalone.
//!
//! It is the oracle the upspec suite checks itself against: strict where
//! the spec is strict, and where the spec is silent it makes one documented
//! choice (see `docs/reference-server.md` and [`tus::Rejection`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), upspec_reference_server::ServeError> {
//! let server = upspec_reference_server::serve(Default::default()).await?;
//! println!("tus endpoint: {}", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Layout: [`config`] (what can be set; each protocol's section lives in
//! its folder), `server` (listening and shutdown), `protocols` (the one
//! list of protocols and their listeners), `protocol` (the seam a protocol
//! plugs into), `http` (plumbing shared by protocols), `interim` (1xx
//! responses written by handlers), `framing` (the transfer codings every
//! protocol refuses), [`store`] (bytes and records), [`tus`], `ietf` and
//! `s3` (the protocols), [`faults`] (deliberate deviations, for
//! proving that a suite catches them). `docs/architecture.md` walks
//! through it.

pub mod cli;
pub mod config;
pub mod faults;
mod framing;
mod http;
mod ietf;
mod interim;
mod protocol;
mod protocols;
mod s3;
mod server;
pub mod store;
pub mod tus;

pub use config::{
    Config, ConfigError, ConfigFile, IetfConfig, LocationForm, PublicUrl, S3Config, S3Credential,
    StoreConfig, StoreKind, TusConfig,
};
pub use faults::{Fault, Faults};
pub use protocol::Listener;
pub use server::{RunningServer, ServeError, serve};
pub use tus::{ChecksumAlgorithm, Extension};
