//! The protocols upspec checks, one folder each, and the one list of them ([`ALL`]).
//!
//! A protocol is everything upspec knows about it: how to ask a target what it
//! offers (or, where it cannot be asked, how its settings describe it), the
//! variables it gives scenarios, the options it adds to `request:` steps, and its
//! part in a run: preparing requests (S3 signs them and frames their bodies),
//! observing answers (S3 notes what the run created) and cleaning up afterwards.
//! The engine, the loader, the planner and the CLI reach a protocol only through
//! [`Protocol`] and the seams it fills (`engine::session`, `scenario::extension`).
//!
//! It is a trait over a static list, not an enum: each protocol keeps its state in
//! its own types (S3's target and ledger), so a new protocol touches no match arm
//! elsewhere; the list is the one place that names them all.

pub mod capability;
pub mod ietf;
pub mod s3;
pub mod tus;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

pub use self::capability::{Capabilities, DiscoveryError};
use crate::engine::session::Session;
use crate::scenario::Suite;
use crate::scenario::extension::Extensions;
use crate::scenario::model::Scenario;

/// Every protocol, in the order a run asks them: adding one is a folder and a line here.
pub(crate) const ALL: &[&dyn Protocol] = &[&tus::Tus, &ietf::Ietf, &s3::S3];

/// What a run tells every protocol about where the target is and how to reach it.
#[derive(Clone, Copy)]
pub struct Setup<'a> {
    pub client: &'a reqwest::Client,
    /// `--target`, scenarios' `{{target}}`, when one was given.
    pub target: Option<&'a str>,
    /// Added to every request, discovery's included.
    pub headers: &'a [(String, String)],
    /// Bounds each request a protocol makes on its own behalf.
    pub timeout: Duration,
    /// `false` with `--no-discovery`: only what settings say counts.
    pub discovery: bool,
    pub settings: &'a Settings,
    /// Unique to the run: S3 names the run's bucket and key prefix after it.
    pub run_id: &'a str,
    /// The suite the run checks: the versions a protocol's catalogue knows are
    /// the ones its discovery asks about.
    pub suite: &'a Suite,
}

/// Each protocol's own settings, resolved from its flags, the environment and its
/// section of the config file (`None`: not configured) by
/// `settings::protocol_settings`, which knows where settings come from; a protocol
/// only reads its own.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub s3: Option<s3::settings::S3Settings>,
    pub ietf: Option<ietf::settings::IetfSettings>,
}

/// A protocol's setting that does not hold: where it was given (a flag, an
/// environment variable, a config key) and what is wrong with it.
#[derive(Debug)]
pub struct InvalidSetting {
    pub origin: String,
    pub message: String,
}

impl fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl std::error::Error for InvalidSetting {}

impl Settings {
    /// Whether the user chose the version a versioned protocol is checked at
    /// (`--ietf-version`), rather than leaving it to discovery.
    pub fn sets_a_version(&self) -> bool {
        self.ietf.is_some()
    }

    /// The first target a protocol's own settings name (S3's endpoint), for a run
    /// without `--target`: it is what the run checks, and what the report shows.
    pub fn endpoint(&self) -> Option<String> {
        ALL.iter().find_map(|protocol| protocol.endpoint(self))
    }
}

/// Each protocol's own flags of `upspec run`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Flags {
    #[command(flatten)]
    pub s3: s3::settings::S3Flags,
    #[command(flatten)]
    pub ietf: ietf::settings::IetfFlags,
}

/// One protocol, as a run sees it.
pub(crate) trait Protocol: Sync {
    /// The capability its scenarios need, which is also the top directory of its
    /// scenarios under the specs root.
    fn name(&self) -> &'static str;

    /// The `upspec run` flag that points a run at a target speaking it, named
    /// when the target turns out not to.
    fn enabled_by(&self) -> &'static str;

    /// The variables that size scenarios' bodies to the target's limits, which a
    /// user passes when the target refuses a body as too large.
    fn size_variables(&self) -> &'static [&'static str];

    /// Request and response headers whose values are secrets, beyond HTTP's own
    /// (`Authorization`, cookies): transcripts mask them.
    fn secret_headers(&self) -> &'static [&'static str];

    /// Query parameters whose values are secrets: transcripts mask them.
    fn secret_parameters(&self) -> &'static [&'static str];

    /// What it adds to scenario files: variables and request options.
    fn extend(&self, extensions: &mut Extensions);

    /// The target its own settings name, when they do.
    fn endpoint(&self, settings: &Settings) -> Option<String>;

    /// Adds what the target offers to `found`: asked, where the protocol can be
    /// asked, or described from the settings.
    fn discover<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>>;

    /// Opens the protocol's part of a run of the scenarios `running` (those planned
    /// to run): sets the variables scenarios address it with, and returns the
    /// session that prepares, observes and cleans up after the run's requests
    /// (`None`: nothing to do).
    fn open<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        running: &'a [&'a Scenario],
        variables: &'a mut BTreeMap<String, String>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<Option<Arc<dyn RunSession>>, String>>;
}

/// A protocol's session: the engine's seam, and the cleanup after the run.
pub(crate) trait RunSession: Session {
    /// Removes what the run left on the target; returns the problems met, which are
    /// the run's, not the target's verdict.
    fn clean<'a>(
        &'a self,
        http: &'a reqwest::Client,
        timeout: Duration,
    ) -> BoxFuture<'a, Vec<String>>;
}

/// What every protocol adds to scenario files, for the loader.
pub fn extensions() -> Extensions {
    let mut extensions = Extensions::default();
    for protocol in ALL {
        protocol.extend(&mut extensions);
    }
    extensions
}

/// The protocols' names: top-level spec directories whose scenarios need the
/// target to speak that protocol, without each file having to say so.
pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|protocol| protocol.name())
}
