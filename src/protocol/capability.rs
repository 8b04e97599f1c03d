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
    /// The version of each versioned protocol the run checks (the IETF draft's
    /// interop version): discovered, or set by the user.
    pub versions: BTreeMap<String, String>,
    /// Protocols the target said it speaks when asked.
    pub spoken: BTreeSet<String>,
    /// Protocols the target was given for without saying it speaks them: checked
    /// all the same (a tus server that forgets `Tus-Version` must not pass by
    /// having every scenario skipped), unless it said it speaks another.
    pub assumed: BTreeSet<String>,
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

    /// Settles the protocols assumed for the target: it speaks them unless it said
    /// it speaks another (a server of the IETF draft is not checked as a tus server
    /// for lacking `Tus-Version`).
    pub fn settle_assumed(&mut self) {
        if self.spoken.is_empty() {
            self.names.extend(self.assumed.iter().cloned());
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
