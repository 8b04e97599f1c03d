//! What protocols add to scenario files, handed to the loader so that it knows no
//! protocol by name: variables every scenario may read undeclared (an endpoint, a
//! bucket), and options of `request:` steps (a signing mode), each lowered by the
//! protocol that owns its key into a typed [`ProtocolOption`].

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::capability::KnownCapabilities;
use super::error::LoadError;
use super::model::ProtocolOption;
use super::source::Source;
use super::syntax::OptionSyntax;

/// A key a protocol adds under `request:`, and how what is written there is checked.
pub trait RequestOption: Sync {
    /// The key (`sigv4`).
    fn key(&self) -> &'static str;

    /// Lowers what was written under the key, or says what is wrong with it where it
    /// was written in `source`. Everything is checked here, so that a mistake is
    /// found before any request is sent.
    fn lower(
        &self,
        source: &Source<'_>,
        written: &Spanned<OptionSyntax>,
    ) -> Result<Arc<dyn ProtocolOption>, Box<LoadError>>;
}

/// Everything protocols add to the scenario language.
#[derive(Clone, Default)]
pub struct Extensions {
    /// Variables the run sets for every scenario, beyond [`BUILTIN_VARIABLES`].
    pub variables: Vec<&'static str>,
    pub options: Vec<&'static dyn RequestOption>,
    /// The capability names scenarios may `require`, protocol by protocol.
    pub capabilities: Vec<KnownCapabilities>,
}

/// Variables every scenario can read without declaring them, whatever the protocol.
pub const BUILTIN_VARIABLES: &[&str] = &["target", "seed", "run_id"];
