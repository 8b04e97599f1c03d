//! tus 1.0.0: asked with `OPTIONS` what it offers; its requests need nothing from
//! upspec beyond what scenarios write.

pub mod discover;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use super::{Capabilities, DiscoveryError, Protocol, RunSession, Settings, Setup};
use crate::scenario::capability::KnownCapabilities;
use crate::scenario::extension::Extensions;
use crate::scenario::model::Scenario;

/// The protocol's name: the capability every tus scenario needs.
pub const NAME: &str = discover::TUS;

/// tus 1.0.0 and its extensions.
pub(crate) struct Tus;

impl Protocol for Tus {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled_by(&self) -> &'static str {
        "--target"
    }

    fn size_variables(&self) -> &'static [&'static str] {
        &[discover::MAX_SIZE_VARIABLE, discover::CHUNK_SIZE_VARIABLE]
    }

    /// tus authenticates as HTTP does, if at all.
    fn secret_headers(&self) -> &'static [&'static str] {
        &[]
    }

    fn secret_parameters(&self) -> &'static [&'static str] {
        &[]
    }

    fn extend(&self, extensions: &mut Extensions) {
        extensions.capabilities.push(KnownCapabilities {
            protocol: NAME,
            names: discover::known_capabilities(),
        });
    }

    /// tus is reached at `--target`, not through settings of its own.
    fn endpoint(&self, _: &Settings) -> Option<String> {
        None
    }

    fn discover<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        async move {
            let Some(target) = setup.target.filter(|_| setup.discovery) else {
                return Ok(());
            };
            let asked =
                discover::discover(setup.client, target, setup.headers, setup.timeout).await?;
            found.names.extend(asked.names);
            found.spoken.extend(asked.spoken);
            found.assumed.extend(asked.assumed);
            found.facts.extend(asked.facts);
            found.variables.extend(asked.variables);
            Ok(())
        }
        .boxed()
    }

    fn open<'a>(
        &'a self,
        _: &'a Setup<'a>,
        _: &'a [&'a Scenario],
        _: &'a mut BTreeMap<String, String>,
        _: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<Option<Arc<dyn RunSession>>, String>> {
        async { Ok(None) }.boxed()
    }
}
