//! Pointing into a YAML file being read: spans from the parser's locations, the
//! quoted line under a caret, and the parser's own errors turned into ours. The
//! scenario loader and the catalogue parser both read YAML files, and their errors
//! must look the same, so they share this.

use std::ops::Range;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::Location;
use serde_saphyr::granit_parser::{Event, Parser, Span, StructureStyle};

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
        self.parse_part(self.text)
    }

    /// Parses `part`, one node of the file at its own lines and columns (see
    /// [`part`]): the node's own first mistake, at its place in the file.
    pub fn parse_part<T: DeserializeOwned>(&self, part: &str) -> Result<T, Box<LoadError>> {
        let options = serde_saphyr::options! { strict_booleans: true };
        serde_saphyr::from_str_with_options(part, options).map_err(|error| {
            let location = error.location().unwrap_or(Location::UNKNOWN);
            let plain = error.render_with_options(serde_saphyr::render_options! {
                snippets: serde_saphyr::SnippetMode::Off,
            });
            let message = strip_position(plain.lines().next().unwrap_or_default());
            Box::new(self.error(&location, classify(message)))
        })
    }
}

/// Where each entry of the collection under the root key `key` of `text` is written,
/// as character ranges: the items of a sequence, or the values of a map with their
/// keys. An absent key or a null has no entries. `None` when the collection or an
/// entry is an alias, which cannot be read apart from the anchor it names.
///
/// The parser stops at a node's first mistake, so reading each entry apart (a
/// scenario, a step) is what lets every entry's mistake be reported at once.
pub fn entries(text: &str, key: &str) -> Option<Vec<(Option<String>, Range<usize>)>> {
    // Nodes only: stream and document markers (and comments) do not nest.
    let events: Vec<(Event<'_>, Span)> = Parser::new_from_str(text)
        .filter(|event| {
            event.as_ref().map_or(true, |(event, _)| {
                matches!(
                    event,
                    Event::Scalar(..)
                        | Event::MappingStart(..)
                        | Event::MappingEnd
                        | Event::SequenceStart(..)
                        | Event::SequenceEnd
                        | Event::Alias(..)
                        | Event::UnresolvedAlias(..)
                )
            })
        })
        .collect::<Result<_, _>>()
        .ok()?;
    if !matches!(events.first(), Some((Event::MappingStart(..), _))) {
        return Some(Vec::new());
    }
    let mut at = 1;
    while !matches!(events.get(at)?.0, Event::MappingEnd) {
        let name = scalar(&events, at);
        node(&events, &mut at)?;
        if name.as_deref() == Some(key) {
            return collection(&events, &mut at);
        }
        node(&events, &mut at)?;
    }
    Some(Vec::new())
}

/// The node at `range` (a range from [`entries`]) alone, at its own lines and
/// columns: the lines before it empty, the start of its first line spaces, and
/// nothing after it. Reading a part costs what the text up to it does.
pub fn part(text: &str, range: &Range<usize>) -> String {
    let mut out = String::new();
    let mut column = 0;
    for (at, c) in text.chars().enumerate().take(range.end) {
        if at >= range.start {
            if at == range.start {
                out.extend(std::iter::repeat_n(' ', column));
            }
            out.push(c);
        } else if c == '\n' {
            out.push('\n');
            column = 0;
        } else {
            column += 1;
        }
    }
    out
}

/// The text of the scalar event at `at`, if it is one.
fn scalar(events: &[(Event<'_>, Span)], at: usize) -> Option<String> {
    match &events.get(at)?.0 {
        Event::Scalar(value, ..) => Some(value.to_string()),
        _ => None,
    }
}

/// The entries of the collection at `at` (consumed), as [`entries`] returns them.
fn collection(
    events: &[(Event<'_>, Span)],
    at: &mut usize,
) -> Option<Vec<(Option<String>, Range<usize>)>> {
    let is_map = match &events.get(*at)?.0 {
        Event::Scalar(..) => return Some(Vec::new()),
        Event::MappingStart(..) => true,
        Event::SequenceStart(..) => false,
        _ => return None,
    };
    *at += 1;
    let mut entries = Vec::new();
    while !matches!(events.get(*at)?.0, Event::MappingEnd | Event::SequenceEnd) {
        let key = if is_map {
            let key = scalar(events, *at);
            node(events, at)?;
            key
        } else {
            None
        };
        entries.push((key, node(events, at)?));
    }
    Some(entries)
}

/// Consumes the node whose first event is at `at`, returning the characters it spans.
fn node(events: &[(Event<'_>, Span)], at: &mut usize) -> Option<Range<usize>> {
    let (event, span) = events.get(*at)?;
    *at += 1;
    let style = match event {
        Event::Scalar(..) => return Some(span.start.index()..span.end.index()),
        Event::MappingStart(style, ..) | Event::SequenceStart(style, ..) => *style,
        _ => return None,
    };
    // A block collection starts at its first entry (not at the `- ` of an enclosing
    // item) and ends with its last; a flow one spans its brackets.
    let mut range: Option<Range<usize>> = None;
    loop {
        let (event, end) = events.get(*at)?;
        if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            *at += 1;
            return Some(match (style, range) {
                (StructureStyle::Block, Some(range)) => range,
                _ => span.start.index()..end.end.index(),
            });
        }
        let child = node(events, at)?;
        range = Some(range.map_or(child.clone(), |range| range.start..child.end));
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

    /// The text each entry of `key` spans, with its key.
    fn texts(text: &str, key: &str) -> Option<Vec<(Option<String>, String)>> {
        let chars: Vec<char> = text.chars().collect();
        Some(
            entries(text, key)?
                .into_iter()
                .map(|(name, at)| (name, chars[at].iter().collect()))
                .collect(),
        )
    }

    #[test]
    fn entries_span_block_and_flow_nodes_exactly() {
        let text = "vars: {a: 1}\nscenarios:\n  - id: é\n    steps: []\n  # between\n  - {id: b}\n  - plain\nsteps:\n  x.y:\n    steps: [1]\n";
        assert_eq!(
            texts(text, "scenarios").unwrap(),
            [
                (None, "id: é\n    steps: []".to_owned()),
                (None, "{id: b}".to_owned()),
                (None, "plain".to_owned()),
            ]
        );
        assert_eq!(
            texts(text, "steps").unwrap(),
            [(Some("x.y".to_owned()), "steps: [1]".to_owned())]
        );
        assert_eq!(texts(text, "absent").unwrap(), []);
        assert_eq!(texts("scenarios:\n", "scenarios").unwrap(), []);
    }

    #[test]
    fn a_part_keeps_its_lines_and_columns() {
        let text = "a:\n  - é: 1\n    b: 2\n  - c: 3\n";
        let (_, at) = entries(text, "a").unwrap().remove(0);
        assert_eq!(part(text, &at), "\n    é: 1\n    b: 2");
        let (_, at) = entries(text, "a").unwrap().remove(1);
        assert_eq!(part(text, &at), "\n\n\n    c: 3");
    }

    #[test]
    fn an_alias_cannot_be_read_apart() {
        let text = "base: &b {id: x}\nscenarios:\n  - *b\n";
        assert_eq!(texts(text, "scenarios"), None);
    }

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
