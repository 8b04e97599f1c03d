//! `{{name}}` templates in scenario strings.
//!
//! Templates are parsed after the YAML is (never the raw file text), so quoting,
//! line numbers and binary bodies are never disturbed by substitution. A template
//! knows the variables it reads, which lets the loader report an undefined variable
//! before any request is sent.

use std::fmt;

/// A string with `{{variable}}` placeholders. `{{{{` is not special: there is no escaping
/// because no header or URL the suites need contains a literal `{{`.
///
/// A placeholder may add, subtract or multiply by a whole number,
/// `{{tus_max_size + 1}}`: the edge cases of a limit are its value plus or minus
/// one, and a suite that could only say "much more than the limit" would miss an
/// off-by-one server; `{{tus_chunk_size * 2}}` sizes an upload to the chunks that
/// fit the target's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A variable name, with the byte offset of its `{{` in the source string, and
    /// the arithmetic applied to its (then numeric) value.
    Var {
        name: String,
        offset: usize,
        arithmetic: Option<Arithmetic>,
    },
}

/// `+ N` (a negative N for `- N`) or `* N` after a variable's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arithmetic {
    Add(i128),
    Times(i128),
}

impl Arithmetic {
    fn apply(self, value: i128) -> Option<i128> {
        match self {
            Arithmetic::Add(n) => value.checked_add(n),
            Arithmetic::Times(n) => value.checked_mul(n),
        }
    }
}

impl fmt::Display for Arithmetic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Arithmetic::Add(n) if n < 0 => write!(f, " - {}", n.unsigned_abs()),
            Arithmetic::Add(n) => write!(f, " + {n}"),
            Arithmetic::Times(n) => write!(f, " * {n}"),
        }
    }
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
            let inner = &after_open[..close];
            let Some((name, arithmetic)) = placeholder(inner) else {
                return Err(TemplateError {
                    offset: consumed + open,
                    message: format!(
                        "`{{{{{inner}}}}}` is not a variable name (letters, digits, `_`, `-` and `.`), \
                         optionally with `+ N`, `- N` or `* N`"
                    ),
                });
            };
            parts.push(Part::Var {
                name: name.to_owned(),
                offset: consumed + open,
                arithmetic,
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
            Part::Var { name, offset, .. } => Some((name.as_str(), *offset)),
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

    /// Substitutes every placeholder; the first one that cannot be rendered is the error.
    pub fn render<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var {
                    name, arithmetic, ..
                } => {
                    let value = lookup(name)
                        .ok_or_else(|| RenderError::Unset(UnsetVariable(name.clone())))?;
                    match arithmetic {
                        None => out.push_str(value),
                        Some(arithmetic) => {
                            let number = value
                                .parse::<i128>()
                                .ok()
                                .and_then(|n| arithmetic.apply(n))
                                .ok_or_else(|| RenderError::NotANumber {
                                    name: name.clone(),
                                    value: value.to_owned(),
                                })?;
                            out.push_str(&number.to_string());
                        }
                    }
                }
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
                Part::Var {
                    name, arithmetic, ..
                } => match arithmetic {
                    None => write!(f, "{{{{{name}}}}}")?,
                    Some(arithmetic) => write!(f, "{{{{{name}{arithmetic}}}}}")?,
                },
            }
        }
        Ok(())
    }
}

/// `name`, `name + 3`, `name - 1` or `name * 2` inside `{{…}}`. The operator needs
/// a space before it, since `-` may be part of a name.
fn placeholder(inner: &str) -> Option<(&str, Option<Arithmetic>)> {
    let inner = inner.trim();
    let Some(at) = inner
        .find(['+', '-', '*'])
        .filter(|&at| inner[..at].ends_with(' '))
    else {
        return valid_name(inner).then_some((inner, None));
    };
    let number: i128 = inner[at + 1..].trim().parse().ok()?;
    let arithmetic = match &inner[at..at + 1] {
        "+" => Arithmetic::Add(number),
        "-" => Arithmetic::Add(-number),
        "*" => Arithmetic::Times(number),
        _ => return None,
    };
    let name = inner[..at].trim();
    valid_name(name).then_some((name, Some(arithmetic)))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// Why a template could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderError {
    /// A variable with no value (its capture never happened, say).
    Unset(UnsetVariable),
    /// `{{x + 1}}` where `x` is not a whole number.
    NotANumber { name: String, value: String },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Unset(unset) => unset.fmt(f),
            RenderError::NotANumber { name, value } => write!(
                f,
                "variable `{name}` is {value:?}, not a whole number, so no arithmetic applies to it"
            ),
        }
    }
}

impl std::error::Error for RenderError {}

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

    fn render(source: &str, vars: &[(&str, &str)]) -> Result<String, RenderError> {
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
        assert_eq!(
            render("a{{b}}", &[]),
            Err(RenderError::Unset(UnsetVariable("b".into())))
        );
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
    fn adds_and_subtracts_whole_numbers() {
        let vars = [("max", "1073741824"), ("word", "abc")];
        assert_eq!(render("{{max + 1}}", &vars), Ok("1073741825".into()));
        assert_eq!(render("{{ max - 1 }}", &vars), Ok("1073741823".into()));
        assert_eq!(render("{{max-1}}", &[("max-1", "x")]), Ok("x".into()));
        assert!(matches!(
            render("{{word + 1}}", &vars),
            Err(RenderError::NotANumber { .. })
        ));
        let t = Template::parse("{{max - 2}}").unwrap();
        assert_eq!(t.to_string(), "{{max - 2}}");
        assert_eq!(t.variables().collect::<Vec<_>>(), vec![("max", 0)]);
        assert!(Template::parse("{{max + one}}").is_err());
        assert_eq!(
            render("{{chunk * 2}}", &[("chunk", "524288")]),
            Ok("1048576".into())
        );
        assert_eq!(
            Template::parse("{{chunk * 2}}").unwrap().to_string(),
            "{{chunk * 2}}"
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
