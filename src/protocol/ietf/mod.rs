//! The IETF draft "Resumable Uploads for HTTP" (draft-ietf-httpbis-resumable-upload),
//! tus's successor. Every request names the draft's interop version, and the text
//! changed between versions, so a run checks one version: the newest the target
//! answers to, or the one `--ietf-version` sets. The versions are data: the
//! catalogue (`specs/ietf/requirements.yaml`) lists them, and discovery asks the
//! target about each, newest first.

pub mod discover;
pub mod settings;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use super::{Capabilities, DiscoveryError, Protocol, RunSession, Settings, Setup};
use crate::scenario::capability::KnownCapabilities;
use crate::scenario::extension::Extensions;
use crate::scenario::model::Scenario;

/// The protocol's name: the capability every scenario under `specs/ietf/` needs.
pub const NAME: &str = "ietf";

/// The variable holding the interop version the run checks, which scenarios send
/// in `Upload-Draft-Interop-Version`.
pub const VERSION_VARIABLE: &str = "ietf_version";

/// Resumable Uploads for HTTP, at one interop version per run.
pub(crate) struct Ietf;

impl Protocol for Ietf {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled_by(&self) -> &'static str {
        "--target with --ietf-version"
    }

    /// The suite's uploads are a few bytes long.
    fn size_variables(&self) -> &'static [&'static str] {
        &[]
    }

    /// The draft authenticates as HTTP does, if at all.
    fn secret_headers(&self) -> &'static [&'static str] {
        &[]
    }

    fn secret_parameters(&self) -> &'static [&'static str] {
        &[]
    }

    fn extend(&self, extensions: &mut Extensions) {
        extensions.variables.push(VERSION_VARIABLE);
        extensions.capabilities.push(KnownCapabilities {
            protocol: NAME,
            names: vec![NAME.to_owned()],
        });
    }

    /// The draft is reached at `--target`, not through settings of its own.
    fn endpoint(&self, _: &Settings) -> Option<String> {
        None
    }

    fn discover<'a>(
        &'a self,
        setup: &'a Setup<'a>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<(), DiscoveryError>> {
        async move {
            let Some(target) = setup.target else {
                return Ok(());
            };
            let known = setup.suite.versions(NAME);
            let checked = match &setup.settings.ietf {
                Some(set) => Some(discover::Checked {
                    version: set.version.clone(),
                    evidence: format!("set by {}", set.origin),
                }),
                None if setup.discovery => discover::newest_answered(setup, target, known).await,
                None => None,
            };
            if let Some(checked) = checked {
                found.names.insert(NAME.to_owned());
                found.spoken.insert(NAME.to_owned());
                found.facts.insert(
                    discover::VERSION_HEADER.to_owned(),
                    format!("{} ({})", checked.version, checked.evidence),
                );
                found.versions.insert(NAME.to_owned(), checked.version);
            }
            Ok(())
        }
        .boxed()
    }

    /// Scenarios send the version the run checks; the draft's requests need
    /// nothing else from upspec.
    fn open<'a>(
        &'a self,
        _: &'a Setup<'a>,
        _: &'a [&'a Scenario],
        variables: &'a mut BTreeMap<String, String>,
        found: &'a mut Capabilities,
    ) -> BoxFuture<'a, Result<Option<Arc<dyn RunSession>>, String>> {
        if let Some(version) = found.versions.get(NAME) {
            variables.insert(VERSION_VARIABLE.to_owned(), version.clone());
        }
        async { Ok(None) }.boxed()
    }
}
