//! S3 multipart: the settings of an S3 target (it cannot be asked what it offers,
//! so they describe it), the `sigv4:` request option, SigV4 signing (headers,
//! presigned URLs and `aws-chunked` bodies), the record of what a run created there,
//! and the cleanup that removes it afterwards.
//!
//! [`settings`] resolves the target; [`session`] creates the run's bucket, signs its
//! requests with [`prepare`] (through [`sign`] and [`chunked`]), notes what they
//! create in the [`ledger`] and calls [`cleanup`] once the scenarios end.

pub mod chunked;
pub mod cleanup;
pub mod client;
pub mod ledger;
mod prepare;
pub mod session;
pub mod settings;
pub mod sign;
pub mod sigv4;
pub mod target;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

pub use self::ledger::Ledger;
pub use self::sign::Credentials;
pub use self::target::{S3Target, encode_key, encode_query_value};
use super::{Capabilities, DiscoveryError, Protocol, RunSession, Settings, Setup};
use crate::scenario::capability::KnownCapabilities;
use crate::scenario::extension::Extensions;
use crate::scenario::model::Scenario;

/// The protocol's name: the capability every S3 scenario needs (scenarios under
/// `specs/s3/` implicitly).
pub const NAME: &str = "s3";

/// The variables every scenario can read when the run has an S3 target:
/// `s3_endpoint` (without a trailing slash), `bucket` and `region`. Scenarios
/// under `s3/` are skipped otherwise.
pub const VARIABLES: [&str; 3] = ["s3_endpoint", "bucket", "region"];

/// The S3 multipart API.
pub(crate) struct S3;

impl Protocol for S3 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled_by(&self) -> &'static str {
        "--s3-endpoint"
    }

    /// S3 bodies are sized by what each scenario checks, not by a target's limit.
    fn size_variables(&self) -> &'static [&'static str] {
        &[]
    }

    /// A temporary credential's session token.
    fn secret_headers(&self) -> &'static [&'static str] {
        &["x-amz-security-token"]
    }

    /// A presigned URL is a credential until it expires, and a session token always is.
    fn secret_parameters(&self) -> &'static [&'static str] {
        &["X-Amz-Signature", "X-Amz-Security-Token"]
    }

    fn extend(&self, extensions: &mut Extensions) {
        extensions.variables.extend(VARIABLES);
        extensions.options.push(&sigv4::Sigv4Option);
        extensions.capabilities.push(KnownCapabilities {
            protocol: NAME,
            names: settings::known_capabilities(),
        });
    }

    fn endpoint(&self, settings: &Settings) -> Option<String> {
        settings.s3.as_ref().map(|s3| s3.endpoint.clone())
    }

    fn discover<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        if let Some(settings) = &setup.settings.s3 {
            session::describe(settings, found);
        }
        async { Ok(()) }.boxed()
    }

    fn open<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        running: &'a [&'a Scenario],
        variables: &'a mut BTreeMap<String, String>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<Option<Arc<dyn RunSession>>, String>> {
        async move {
            let Some(settings) = &setup.settings.s3 else {
                return Ok(None);
            };
            let session = session::open(settings, setup, running, variables, found).await?;
            Ok(Some(Arc::new(session) as Arc<dyn RunSession>))
        }
        .boxed()
    }
}
