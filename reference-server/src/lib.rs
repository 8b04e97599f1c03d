//! The upspec reference server: tus 1.0.0 with every extension, and S3
//! (path-style, SigV4-verified when keys are configured) on a second
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
//! Layout: [`config`] (what can be set), `server` (listening and shutdown),
//! `http` (plumbing shared by protocols), `framing` (the transfer codings
//! both protocols refuse), [`store`] (bytes and records),
//! [`tus`] and `s3` (the protocols), [`faults`] (deliberate deviations, for
//! proving that a suite catches them).

pub mod cli;
pub mod config;
pub mod faults;
mod framing;
mod http;
mod s3;
mod server;
pub mod store;
pub mod tus;

pub use config::{
    Config, ConfigError, ConfigFile, LocationForm, PublicUrl, S3Config, S3Credential, StoreConfig,
    StoreKind,
};
pub use faults::{Fault, Faults};
pub use server::{Listener, RunningServer, ServeError, serve};
pub use tus::{ChecksumAlgorithm, Extension};
