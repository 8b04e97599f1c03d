//! Upload ids: 128 random bits, written as 32 lowercase hex digits.
//!
//! Parsing accepts exactly that form and nothing else, so an id taken from a
//! URL can be used as a file name without any path ever leaving the store's
//! directory (no `/`, `.`, `..` or NUL can get through).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const HEX_LEN: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId([u8; 16]);

impl UploadId {
    /// A fresh id from the thread-local CSPRNG: unguessable.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Parses the canonical form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != HEX_LEN {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Self(bytes))
    }
}

/// Lowercase only, so every id has exactly one spelling.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadId({self})")
    }
}

impl Serialize for UploadId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UploadId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("invalid upload id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_spellings() {
        let id = UploadId::random();
        assert_eq!(UploadId::parse(&id.to_string()), Some(id));
        assert_ne!(UploadId::random(), id);
        let upper = id.to_string().to_uppercase();
        if upper != id.to_string() {
            assert_eq!(UploadId::parse(&upper), None);
        }
        for bad in [
            "",
            "..",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcde/",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert_eq!(UploadId::parse(bad), None, "{bad:?}");
        }
    }
}
