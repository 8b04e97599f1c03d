//! The words of the draft and their syntax: header names, interop versions,
//! the media type and problem types, and the strict RFC 9651 (Structured
//! Fields) readers. A field that does not parse as the type the draft gives
//! it is treated as absent (D-11 §2.1.1-2.1.3: "Other values MUST cause the
//! entire header field to be ignored").

use http::{HeaderMap, HeaderValue};
use sfv::{BareItem, Item, Parser};

pub const INTEROP_VERSION: &str = "upload-draft-interop-version";
pub const UPLOAD_OFFSET: &str = "upload-offset";
pub const UPLOAD_COMPLETE: &str = "upload-complete";
pub const UPLOAD_LENGTH: &str = "upload-length";
pub const UPLOAD_LIMIT: &str = "upload-limit";
/// tus's version field: a request carrying it is tus's, whatever else it says.
pub const TUS_RESUMABLE: &str = "tus-resumable";
/// RFC 5789 §3.1 (not among `http`'s constants).
pub const ACCEPT_PATCH: &str = "accept-patch";
/// The media type of appends (§6).
pub const PARTIAL_UPLOAD: &str = "application/partial-upload";
pub const PROBLEM_JSON: &str = "application/problem+json";
pub const MISMATCHING_OFFSET: &str =
    "https://iana.org/assignments/http-problem-types#mismatching-upload-offset";
pub const INCONSISTENT_LENGTH: &str =
    "https://iana.org/assignments/http-problem-types#inconsistent-upload-length";
pub const COMPLETED_UPLOAD: &str =
    "https://iana.org/assignments/http-problem-types#completed-upload";

/// The interop versions this server implements, each the text of the
/// drafts that announce it (Appendix "Draft Version Identification").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Interop {
    /// Drafts -04 and -05.
    V6,
    /// Drafts -09 to -11.
    V8,
    /// Draft -12 (the editor's copy of 2026-07 with the version bumped).
    V9,
}

impl Interop {
    pub const ALL: [Interop; 3] = [Interop::V6, Interop::V8, Interop::V9];

    pub fn number(self) -> u8 {
        match self {
            Interop::V6 => 6,
            Interop::V8 => 8,
            Interop::V9 => 9,
        }
    }

    pub fn from_number(n: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|v| u64::from(v.number()) == n)
    }

    /// The version a request names, if it names one this server speaks
    /// (an sf-integer; anything else is no version at all).
    pub fn of(headers: &HeaderMap) -> Option<Self> {
        integer(headers, INTEROP_VERSION, true).and_then(Self::from_number)
    }

    /// The version a request is answered at: the one it names when the server
    /// speaks it; with `any` (a fault), the newest for any integer it names.
    pub fn answered(headers: &HeaderMap, any: bool) -> Option<Self> {
        Self::of(headers).or_else(|| {
            let named = integer(headers, INTEROP_VERSION, true).is_some();
            (any && named).then_some(Interop::V9)
        })
    }

    pub fn header(self) -> HeaderValue {
        HeaderValue::from(u16::from(self.number()))
    }
}

/// Every line of a field joined as RFC 9651 §4.2 parses them, or `None`
/// when the field is absent or not text.
fn combined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let mut text = String::new();
    for line in lines {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(line.to_str().ok()?);
    }
    Some(text)
}

fn item(headers: &HeaderMap, name: &str) -> Option<BareItem> {
    let text = combined(headers, name)?;
    Parser::new(&text)
        .parse::<Item>()
        .ok()
        .map(|item| item.bare_item)
}

/// A non-negative sf-integer field. `strict` false is the lenient reading
/// of a server that ignores RFC 9651 (a fault): any decimal digits.
pub fn integer(headers: &HeaderMap, name: &str, strict: bool) -> Option<u64> {
    if !strict {
        let text = combined(headers, name)?;
        return text.trim().trim_matches('"').parse().ok();
    }
    match item(headers, name)? {
        BareItem::Integer(n) => u64::try_from(i64::from(n)).ok(),
        _ => None,
    }
}

/// An sf-boolean field (`?0`, `?1`). Lenient (a fault): `true`, `1`, `?1`
/// and their opposites.
pub fn boolean(headers: &HeaderMap, name: &str, strict: bool) -> Option<bool> {
    if !strict {
        let text = combined(headers, name)?;
        return match text.trim() {
            "?1" | "1" | "true" => Some(true),
            "?0" | "0" | "false" => Some(false),
            _ => None,
        };
    }
    match item(headers, name)? {
        BareItem::Boolean(b) => Some(b),
        _ => None,
    }
}

/// An sf-boolean as this server writes it.
pub fn sf_bool(value: bool) -> HeaderValue {
    HeaderValue::from_static(if value { "?1" } else { "?0" })
}

/// The limits this server applies, as an `Upload-Limit` dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_size: Option<u64>,
    pub min_size: u64,
    pub max_append_size: Option<u64>,
    pub min_append_size: u64,
}

impl Limits {
    /// `Upload-Limit`: every limit that applies, and `min-size` always, so
    /// the value is never empty (D-05 §5.2, editor's copy §2.1.4: "If the
    /// server does not apply any limits, it MUST use `min-size=0`").
    pub fn header(&self) -> HeaderValue {
        // Written by hand: the keys are fixed tokens and the values
        // sf-integers, capped at RFC 9651's 15 digits.
        let mut members = Vec::new();
        let cap = |n: u64| n.min(999_999_999_999_999);
        if let Some(max) = self.max_size {
            members.push(format!("max-size={}", cap(max)));
        }
        members.push(format!("min-size={}", cap(self.min_size)));
        if let Some(max) = self.max_append_size {
            members.push(format!("max-append-size={}", cap(max)));
        }
        if self.min_append_size > 0 {
            members.push(format!("min-append-size={}", cap(self.min_append_size)));
        }
        HeaderValue::try_from(members.join(", ")).expect("tokens and digits are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for line in lines {
            h.append(UPLOAD_OFFSET, HeaderValue::from_str(line).unwrap());
        }
        h
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(integer(&headers(&["5"]), UPLOAD_OFFSET, true), Some(5));
        assert_eq!(integer(&headers(&["5;a=1"]), UPLOAD_OFFSET, true), Some(5));
        for bad in ["-1", "1.5", "\"5\"", "abc", "", "1234567890123456", "?1"] {
            assert_eq!(
                integer(&headers(&[bad]), UPLOAD_OFFSET, true),
                None,
                "{bad}"
            );
        }
        assert_eq!(integer(&headers(&["5", "6"]), UPLOAD_OFFSET, true), None);
        assert_eq!(integer(&HeaderMap::new(), UPLOAD_OFFSET, true), None);
        assert_eq!(integer(&headers(&["\"5\""]), UPLOAD_OFFSET, false), Some(5));
    }

    #[test]
    fn booleans_are_strict() {
        assert_eq!(boolean(&headers(&["?1"]), UPLOAD_OFFSET, true), Some(true));
        assert_eq!(boolean(&headers(&["?0"]), UPLOAD_OFFSET, true), Some(false));
        for bad in ["true", "1", "?2", "?1, ?0"] {
            assert_eq!(
                boolean(&headers(&[bad]), UPLOAD_OFFSET, true),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            boolean(&headers(&["true"]), UPLOAD_OFFSET, false),
            Some(true)
        );
    }

    #[test]
    fn limits_are_a_dictionary() {
        let limits = Limits {
            max_size: Some(100),
            min_size: 0,
            max_append_size: None,
            min_append_size: 0,
        };
        assert_eq!(limits.header(), "max-size=100, min-size=0");
    }
}
