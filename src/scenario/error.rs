//! Load errors: what is wrong in a scenario file, rendered as `file:line:col` with
//! the offending line and a caret, the way compilers and hurl show them.

use std::fmt;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Origin, Renderer, Snippet};

use super::span::SourceSpan;

/// Everything wrong with a run's scenario files, collected before any request is sent.
#[derive(Debug, Default)]
pub struct LoadErrors(pub Vec<LoadError>);

/// One problem at one place in a scenario file.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub span: SourceSpan,
    /// How many columns the caret underlines (at least one).
    pub width: u32,
    /// The text of the offending line, when the file could be read.
    pub line_text: Option<String>,
    pub kind: LoadErrorKind,
    /// A further note, e.g. where a reusable sequence was invoked from.
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub enum LoadErrorKind {
    /// The file is not valid YAML, or a value has the wrong type (the parser's own words).
    Syntax(String),
    UnknownKey {
        key: String,
        expected: Vec<String>,
        suggestion: Option<String>,
    },
    UnknownValue {
        value: String,
        expected: Vec<String>,
        suggestion: Option<String>,
    },
    DuplicateKey(String),
    UndefinedVariable {
        name: String,
        suggestion: Option<String>,
    },
    UnknownStepSequence {
        name: String,
        suggestion: Option<String>,
    },
    UnknownStepName {
        name: String,
        suggestion: Option<String>,
    },
    UnknownParameter {
        sequence: String,
        name: String,
        suggestion: Option<String>,
    },
    MissingParameter {
        sequence: String,
        name: String,
    },
    DuplicateScenario {
        id: String,
        first: SourceSpan,
    },
    DuplicateStepSequence {
        name: String,
        first: SourceSpan,
    },
    /// A step that is not exactly one kind, or keys that do not belong together.
    StepShape(String),
    /// A value of the right type that does not make sense (a bad regex, status or size).
    InvalidValue(String),
    /// The file (or a fixture it names) could not be read.
    Io(String),
    /// A reusable sequence that invokes itself, directly or not.
    RecursiveSequence(String),
    /// A requirement ID that the catalogue covering the file does not list.
    UnknownRequirement {
        id: String,
        /// The catalogue's shown name (`specs/tus/requirements.yaml`).
        catalogue: String,
        suggestion: Option<String>,
    },
    /// A requirement ID listed twice in one catalogue.
    DuplicateRequirement {
        id: String,
        first: SourceSpan,
    },
}

impl LoadErrorKind {
    /// The one-line title.
    fn title(&self) -> String {
        match self {
            LoadErrorKind::Syntax(message) => message.clone(),
            LoadErrorKind::UnknownKey { key, .. } => format!("unknown key `{key}`"),
            LoadErrorKind::UnknownValue { value, .. } => format!("unknown value `{value}`"),
            LoadErrorKind::DuplicateKey(key) => format!("duplicate key `{key}`"),
            LoadErrorKind::UndefinedVariable { name, .. } => {
                format!("undefined variable `{name}`")
            }
            LoadErrorKind::UnknownStepSequence { name, .. } => {
                format!("unknown step sequence `{name}`")
            }
            LoadErrorKind::UnknownStepName { name, .. } => {
                format!("no earlier step is named `{name}`")
            }
            LoadErrorKind::UnknownParameter { sequence, name, .. } => {
                format!("`{sequence}` has no parameter `{name}`")
            }
            LoadErrorKind::MissingParameter { sequence, name } => {
                format!("`{sequence}` needs the parameter `{name}`")
            }
            LoadErrorKind::DuplicateScenario { id, .. } => format!("duplicate scenario id `{id}`"),
            LoadErrorKind::DuplicateStepSequence { name, .. } => {
                format!("step sequence `{name}` is defined twice")
            }
            LoadErrorKind::StepShape(message) | LoadErrorKind::InvalidValue(message) => {
                message.clone()
            }
            LoadErrorKind::Io(message) => message.clone(),
            LoadErrorKind::RecursiveSequence(name) => {
                format!("step sequence `{name}` invokes itself")
            }
            LoadErrorKind::UnknownRequirement { id, .. } => {
                format!("unknown requirement `{id}`")
            }
            LoadErrorKind::DuplicateRequirement { id, .. } => {
                format!("requirement `{id}` is listed twice")
            }
        }
    }

    /// The text under the caret.
    fn label(&self) -> String {
        let suggest = |suggestion: &Option<String>, fallback: &str| match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => fallback.to_owned(),
        };
        match self {
            LoadErrorKind::UnknownKey {
                expected,
                suggestion,
                ..
            }
            | LoadErrorKind::UnknownValue {
                expected,
                suggestion,
                ..
            } => match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            },
            LoadErrorKind::UndefinedVariable { suggestion, .. } => suggest(
                suggestion,
                "not captured by an earlier step, declared under `vars:`, or built in",
            ),
            LoadErrorKind::UnknownStepSequence { suggestion, .. } => {
                suggest(suggestion, "no file defines it under `steps:`")
            }
            LoadErrorKind::UnknownStepName { suggestion, .. } => suggest(
                suggestion,
                "name the step with `name:` before referring to it",
            ),
            LoadErrorKind::UnknownParameter { suggestion, .. } => {
                suggest(suggestion, "not declared under the sequence's `params:`")
            }
            LoadErrorKind::MissingParameter { .. } => "give it under `with:`".into(),
            LoadErrorKind::DuplicateKey(_) => "written before in the same map".into(),
            LoadErrorKind::DuplicateScenario { first, .. } => format!("first defined at {first}"),
            LoadErrorKind::DuplicateStepSequence { first, .. } => {
                format!("first defined at {first}")
            }
            LoadErrorKind::RecursiveSequence(_) => "this `use` leads back to it".into(),
            LoadErrorKind::UnknownRequirement {
                catalogue,
                suggestion,
                ..
            } => suggest(suggestion, &format!("not listed in {catalogue}")),
            LoadErrorKind::DuplicateRequirement { first, .. } => {
                format!("first listed at {first}")
            }
            LoadErrorKind::Syntax(_)
            | LoadErrorKind::StepShape(_)
            | LoadErrorKind::InvalidValue(_)
            | LoadErrorKind::Io(_) => "here".into(),
        }
    }
}

impl LoadError {
    pub fn new(span: SourceSpan, kind: LoadErrorKind) -> Self {
        LoadError {
            span,
            width: 1,
            line_text: None,
            kind,
            note: None,
        }
    }

    pub fn with_width(mut self, width: u32) -> Self {
        self.width = width.max(1);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl LoadError {
    /// The error as annotate-snippets draws it: the title, the `-->` location, and
    /// the offending line with a caret and the label (or the label alone when the
    /// file could not be read), then any note.
    pub fn render(&self) -> String {
        self.draw(Level::ERROR)
    }

    /// The same without the leading `error: `, for a caller that prints it itself
    /// (a config-file error is one of the run's settings errors).
    pub fn render_without_level(&self) -> String {
        self.draw(Level::ERROR.no_name())
    }

    fn draw(&self, level: Level<'_>) -> String {
        let title = self.kind.title();
        let label = self.kind.label();
        let file: &str = &self.span.file;
        let located = match &self.line_text {
            Some(text) => {
                let start = byte_at_column(text, self.span.column as usize - 1);
                let end = start + byte_at_column(&text[start..], self.width as usize);
                level.clone().primary_title(title).element(
                    Snippet::source(text.as_str())
                        .line_start(self.span.line as usize)
                        .path(file)
                        .annotation(AnnotationKind::Primary.span(start..end).label(label)),
                )
            }
            None => level
                .primary_title(title)
                .element(
                    Origin::path(file)
                        .line(self.span.line as usize)
                        .char_column(self.span.column as usize),
                )
                .element(Level::NOTE.no_name().message(label)),
        };
        let report = match &self.note {
            Some(note) => located.element(Level::NOTE.message(note.as_str())),
            None => located,
        };
        Renderer::plain().render(&[report])
    }
}

/// The byte offset of the `column`-th character of `text` (0-based), or its end.
fn byte_at_column(text: &str, column: usize) -> usize {
    text.char_indices()
        .nth(column)
        .map_or(text.len(), |(at, _)| at)
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.render())
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        let count = self.0.len();
        let files: std::collections::BTreeSet<&Arc<str>> =
            self.0.iter().map(|e| &e.span.file).collect();
        write!(
            f,
            "{count} error{} in {} scenario file{}; no request was sent",
            if count == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for LoadErrors {}

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= 2.max(name.len().min(candidate.len()) / 4) && *distance < name.len()
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("stepz", ["steps", "id"]), Some("steps".into()));
        assert_eq!(
            suggest("expct", ["expect", "request"]),
            Some("expect".into())
        );
        assert_eq!(suggest("zzz", ["steps", "id"]), None);
        assert_eq!(
            suggest("upload_ur", ["upload_url", "target"]),
            Some("upload_url".into())
        );
    }
}
