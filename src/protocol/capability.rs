//! What a run's target offers: capability names that scenarios `require`, the
//! facts discovery read, and the variables its answers settle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::scenario::capability::Capability;

/// What the target offers: capability names that scenarios `require`, and the facts
/// discovery read (shown in the run header and recorded in reports).
#[derive(Clone, Debug, Default)]
pub struct Capabilities {
    pub names: BTreeSet<String>,
    /// e.g. `Tus-Version` → `1.0.0`: the raw answers, for the record.
    pub facts: BTreeMap<String, String>,
    /// Variables the answers settle, such as `tus_max_size` from `Tus-Max-Size`:
    /// defaults that a `--var` of the same name overrides.
    pub variables: BTreeMap<String, String>,
}

impl Capabilities {
    /// Applies `--capability` / `--no-capability`, which win over what was discovered.
    pub fn override_with(&mut self, add: &[Capability], remove: &[Capability]) {
        self.names
            .extend(add.iter().map(|capability| capability.name.clone()));
        for capability in remove {
            self.names.remove(&capability.name);
        }
    }

    /// Whether the target offers `name`.
    pub fn offers(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// Discovery could not reach the target at all: the run cannot say anything about it.
#[derive(Debug)]
pub struct DiscoveryError {
    pub target: String,
    pub reason: String,
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot reach the target {}: {} (use --no-discovery with --capability to run without asking it)",
            self.target, self.reason
        )
    }
}

impl std::error::Error for DiscoveryError {}
