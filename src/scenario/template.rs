//! `{{name}}` templates in scenario strings.
//!
//! Templates are parsed after the YAML is (never the raw file text), so quoting,
//! line numbers and binary bodies are never disturbed by substitution. A template
//! knows the variables it reads, which lets the loader report an undefined variable
//! before any request is sent.

use std::fmt;

/// A string with `{{variable}}` placeholders. `{{{{` is not special: there is no escaping
/// because no header or URL the suites need contains a literal `{{`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A variable name, with the byte offset of its `{{` in the source string.
    Var {
        name: String,
        offset: usize,
    },
}

/// A template that cannot be parsed: the byte offset in the string, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// A template without placeholders.
    pub fn literal(text: impl Into<String>) -> Self {
        Template {
            parts: vec![Part::Literal(text.into())],
        }
    }

    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        let mut consumed = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let after_open = &rest[open + 2..];
            let Some(close) = after_open.find("}}") else {
                return Err(TemplateError {
                    offset: consumed + open,
                    message: "`{{` is not closed by `}}`".into(),
                });
            };
            let name = after_open[..close].trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
            {
                return Err(TemplateError {
                    offset: consumed + open,
                    message: format!(
                        "`{{{{{}}}}}` is not a variable name (letters, digits, `_`, `-` and `.`)",
                        &after_open[..close]
                    ),
                });
            }
            parts.push(Part::Var {
                name: name.to_owned(),
                offset: consumed + open,
            });
            let advance = open + 2 + close + 2;
            consumed += advance;
            rest = &rest[advance..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The variables the template reads, with the byte offset of each placeholder.
    pub fn variables(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|part| match part {
            Part::Var { name, offset } => Some((name.as_str(), *offset)),
            Part::Literal(_) => None,
        })
    }

    /// The text when the template has no placeholders.
    pub fn as_literal(&self) -> Option<String> {
        if self.variables().next().is_some() {
            return None;
        }
        Some(self.to_string())
    }

    /// Substitutes every placeholder; the first variable `lookup` cannot resolve is the error.
    pub fn render<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<String, UnsetVariable> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var { name, .. } => match lookup(name) {
                    Some(value) => out.push_str(value),
                    None => return Err(UnsetVariable(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

/// Prints the template as written.
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Literal(text) => f.write_str(text)?,
                Part::Var { name, .. } => write!(f, "{{{{{name}}}}}")?,
            }
        }
        Ok(())
    }
}

/// A variable with no value at run time (a capture that did not happen, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsetVariable(pub String);

impl fmt::Display for UnsetVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "variable `{}` has no value", self.0)
    }
}

impl std::error::Error for UnsetVariable {}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, vars: &[(&str, &str)]) -> Result<String, UnsetVariable> {
        Template::parse(source)
            .unwrap()
            .render(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[test]
    fn substitutes_variables_between_literals() {
        assert_eq!(
            render(
                "{{target}}files/{{ id }}?x=1",
                &[("target", "http://h/"), ("id", "7")]
            ),
            Ok("http://h/files/7?x=1".into())
        );
    }

    #[test]
    fn reports_the_unset_variable() {
        assert_eq!(render("a{{b}}", &[]), Err(UnsetVariable("b".into())));
    }

    #[test]
    fn lists_variables_with_offsets() {
        let t = Template::parse("x{{a}}yy{{b.c}}").unwrap();
        assert_eq!(
            t.variables().collect::<Vec<_>>(),
            vec![("a", 1), ("b.c", 8)]
        );
        assert_eq!(t.to_string(), "x{{a}}yy{{b.c}}");
        assert_eq!(t.as_literal(), None);
        assert_eq!(
            Template::parse("plain").unwrap().as_literal(),
            Some("plain".into())
        );
    }

    #[test]
    fn rejects_unclosed_and_bad_names() {
        assert_eq!(Template::parse("ab{{c").unwrap_err().offset, 2);
        assert!(
            Template::parse("{{a b}}")
                .unwrap_err()
                .message
                .contains("not a variable name")
        );
        assert!(Template::parse("{{}}").is_err());
    }
}
