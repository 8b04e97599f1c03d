//! Pointing into a YAML file being read: spans from the parser's locations, the
//! quoted line under a caret, and the parser's own errors turned into ours. The
//! scenario loader and the catalogue parser both read YAML files, and their errors
//! must look the same, so they share this.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::Location;

use super::error::{LoadError, LoadErrorKind, suggest};
use super::span::SourceSpan;

/// A file's shown name and its text.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a Arc<str>,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn span(&self, location: &Location) -> SourceSpan {
        SourceSpan {
            file: self.name.clone(),
            line: location.line().max(1) as u32,
            column: location.column().max(1) as u32,
        }
    }

    fn line_text(&self, line: u32) -> Option<String> {
        self.text
            .lines()
            .nth(line.checked_sub(1)? as usize)
            .map(str::to_owned)
    }

    /// An error at `location`, underlining as much as the parser says the node spans.
    pub fn error(&self, location: &Location, kind: LoadErrorKind) -> LoadError {
        let width = location.span().len() as u32;
        self.error_at(self.span(location), width, kind)
    }

    pub fn error_at(&self, span: SourceSpan, width: u32, kind: LoadErrorKind) -> LoadError {
        let line_text = self.line_text(span.line);
        let mut error = LoadError::new(span, kind).with_width(width);
        error.line_text = line_text;
        error
    }

    /// Where `{{name}}` is written inside the scalar that starts at `location`.
    pub fn variable_span(&self, location: &Location, name: &str) -> (SourceSpan, u32) {
        let span = self.span(location);
        if let Some(text) = self.line_text(span.line) {
            let start = (span.column as usize - 1).min(text.len());
            let tail = &text[start..];
            let needle = format!("{{{{{name}");
            if let Some(at) = tail.find(&needle) {
                let width = tail[at..].find("}}").map_or(needle.len(), |end| end + 2);
                let column = text[..start + at].chars().count() as u32 + 1;
                return (SourceSpan { column, ..span }, width as u32);
            }
        }
        (span, 1)
    }

    /// Parses the file (strict booleans, duplicate keys refused), its first mistake as our error.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Box<LoadError>> {
        let options = serde_saphyr::options! { strict_booleans: true };
        serde_saphyr::from_str_with_options(self.text, options).map_err(|error| {
            let location = error.location().unwrap_or(Location::UNKNOWN);
            let plain = error.render_with_options(serde_saphyr::render_options! {
                snippets: serde_saphyr::SnippetMode::Off,
            });
            let message = strip_position(plain.lines().next().unwrap_or_default());
            Box::new(self.error(&location, classify(message)))
        })
    }
}

/// Removes the parser's own position (`error: line 3 column 5: …` and `… at line 3, column 5`):
/// we print the position ourselves, once, in the same form for every error.
fn strip_position(message: &str) -> &str {
    let mut message = message.strip_prefix("error: ").unwrap_or(message);
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
    {
        message = after;
    }
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(", column ") => &message[..at],
        _ => message,
    }
}

/// Turns serde's "unknown field `x`, expected one of a, b" into a typed error with a suggestion.
fn classify(message: &str) -> LoadErrorKind {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return LoadErrorKind::DuplicateKey(key.to_owned());
    }
    for (prefix, is_value) in [("unknown field `", false), ("unknown variant `", true)] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((key, tail)) = rest.split_once('`')
        {
            let expected: Vec<String> = tail
                .split_once("expected ")
                .map(|(_, list)| {
                    list.trim_start_matches("one of ")
                        .split(", ")
                        .map(|s| s.trim_matches('`').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let suggestion = suggest(key, expected.iter().map(String::as_str));
            let key = key.to_owned();
            return if is_value {
                LoadErrorKind::UnknownValue {
                    value: key,
                    expected,
                    suggestion,
                }
            } else {
                LoadErrorKind::UnknownKey {
                    key,
                    expected,
                    suggestion,
                }
            };
        }
    }
    LoadErrorKind::Syntax(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_unknown_keys_with_suggestions() {
        match classify("unknown field `stepz`, expected one of id, steps, headers") {
            LoadErrorKind::UnknownKey {
                key, suggestion, ..
            } => {
                assert_eq!(key, "stepz");
                assert_eq!(suggestion.as_deref(), Some("steps"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(classify("invalid u16"), LoadErrorKind::Syntax(_)));
    }
}
