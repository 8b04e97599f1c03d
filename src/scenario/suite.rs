//! A loaded suite: the scenarios, the text of their files, and the requirement
//! catalogues they cite.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalogue::{Catalogue, Requirement};
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

    /// The text of line `span.line` of the file `span` points into.
    pub fn line(&self, span: &SourceSpan) -> Option<&str> {
        self.sources
            .get(&span.file)?
            .lines()
            .nth(span.line.checked_sub(1)? as usize)
    }
}
