//! A loaded suite: the scenarios, the text of their files, and the requirement
//! catalogues they cite.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalogue::{self, Catalogue, Requirement};
use super::model::{Scenario, SourceSpan};

/// All scenarios of a run, in a stable order (by file path, then position in the file).
#[derive(Clone, Debug, Default)]
pub struct Suite {
    pub scenarios: Vec<Arc<Scenario>>,
    /// The text of every scenario file by its shown name, so reports can quote the
    /// line an expectation was written on.
    pub sources: BTreeMap<Arc<str>, Arc<str>>,
    /// The requirement catalogues of the tree: what coverage and reports measure against.
    pub catalogues: Vec<Catalogue>,
}

impl Suite {
    /// A requirement by ID, from whichever catalogue lists it.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.catalogues.iter().find_map(|c| c.requirement(id))
    }

    /// The versions each versioned protocol's catalogue knows, oldest first.
    pub fn versions(&self, protocol: &str) -> &[String] {
        self.catalogues
            .iter()
            .find(|c| c.protocol == protocol && !c.versions.is_empty())
            .map_or(&[], |c| &c.versions)
    }

    /// The suite as a run checking `checked` (protocol → version) reads it: each
    /// versioned catalogue at the version checked (its newest where the run
    /// checks none, as when the target does not speak the protocol), and the
    /// scenarios it covers counting their requirements at that version's levels.
    pub fn at(&self, checked: &BTreeMap<String, String>) -> Suite {
        let resolved: Vec<Catalogue> = self
            .catalogues
            .iter()
            .map(|c| match checked.get(&c.protocol).or(c.versions.last()) {
                Some(version) if !c.versions.is_empty() => c.at(version),
                Some(_) | None => c.clone(),
            })
            .collect();
        let scenarios = self
            .scenarios
            .iter()
            .map(|scenario| {
                let Some(index) = catalogue::for_module(&self.catalogues, &scenario.module)
                    .filter(|c| !c.versions.is_empty())
                    .and_then(|c| self.catalogues.iter().position(|o| std::ptr::eq(o, c)))
                else {
                    return scenario.clone();
                };
                let levels = resolved[index].levels(scenario.level, &scenario.requirements);
                Arc::new(Scenario {
                    requirement_levels: levels,
                    ..(**scenario).clone()
                })
            })
            .collect();
        Suite {
            scenarios,
            sources: self.sources.clone(),
            catalogues: resolved,
        }
    }

    /// The text of line `span.line` of the file `span` points into.
    pub fn line(&self, span: &SourceSpan) -> Option<&str> {
        self.sources
            .get(&span.file)?
            .lines()
            .nth(span.line.checked_sub(1)? as usize)
    }
}
