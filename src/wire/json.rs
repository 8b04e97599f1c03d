//! Values in JSON bodies by JSON Pointer (RFC 6901), for RFC 9457 problem
//! details (`/type`, `/expected-offset`) and any other JSON answer.

use std::fmt;

/// Why a pointer found no value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonLookupError {
    NotJson(String),
    Missing,
}

impl fmt::Display for JsonLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonLookupError::NotJson(reason) => write!(f, "a body that is not JSON ({reason})"),
            JsonLookupError::Missing => f.write_str("no value at that pointer"),
        }
    }
}

/// The body parsed once for every pointer a step reads.
pub(crate) fn parse(document: &str) -> Result<serde_json::Value, JsonLookupError> {
    serde_json::from_str(document).map_err(|error| JsonLookupError::NotJson(error.to_string()))
}

/// The value at `pointer` as text: a string's characters, anything else as
/// compact JSON (`5`, `true`, `null`, `{"a":1}`).
pub(crate) fn value_text(
    document: &serde_json::Value,
    pointer: &str,
) -> Result<String, JsonLookupError> {
    match document.pointer(pointer) {
        Some(serde_json::Value::String(text)) => Ok(text.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(JsonLookupError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_read_problem_details() {
        let body = r#"{"type": "https://iana.org/assignments/http-problem-types#mismatching-upload-offset",
                       "expected-offset": 5, "provided-offset": 3, "a/b": {"c~d": [true, null]}}"#;
        let document = parse(body).unwrap();
        let at = |pointer| value_text(&document, pointer);
        assert_eq!(
            at("/type").unwrap(),
            "https://iana.org/assignments/http-problem-types#mismatching-upload-offset"
        );
        assert_eq!(at("/expected-offset").unwrap(), "5");
        assert_eq!(at("/a~1b/c~0d/0").unwrap(), "true");
        assert_eq!(at("/a~1b/c~0d/1").unwrap(), "null");
        assert_eq!(at("/a~1b").unwrap(), r#"{"c~d":[true,null]}"#);
        assert_eq!(at("/nope"), Err(JsonLookupError::Missing));
        assert!(matches!(parse("<xml/>"), Err(JsonLookupError::NotJson(_))));
    }
}
