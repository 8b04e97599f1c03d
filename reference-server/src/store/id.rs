//! Upload ids: 128 random bits, written as 32 lowercase hex digits.
//!
//! Parsing accepts exactly that form and nothing else, so an id taken from a
//! URL can be used as a file name without any path ever leaving the store's
//! directory (no `/`, `.`, `..` or NUL can get through).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId([u8; 16]);

impl UploadId {
    /// A fresh id from the thread-local CSPRNG: unguessable.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Parses the canonical form; `None` for anything else (upper case included).
    pub fn parse(text: &str) -> Option<Self> {
        if text.bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
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
        let known = "00ff0123456789abcdef0123456789ab";
        assert_eq!(UploadId::parse(known).unwrap().to_string(), known);
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
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdé",
        ] {
            assert_eq!(UploadId::parse(bad), None, "{bad:?}");
        }
    }
}
