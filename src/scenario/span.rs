//! Where something was written, below everything that names it: the model's
//! nodes, load errors and the source reader all carry a [`SourceSpan`], so it
//! depends on none of them (the model re-exports it as part of its nodes).

use std::fmt;
use std::sync::Arc;

/// Where a node was written: the file (as shown to users) and a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceSpan {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourceSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
