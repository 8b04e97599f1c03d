//! Integrity digests (RFC 9530) as drafts -05 (§15) and -11 (§10) use
//! them: `Content-Digest` on a creation or append is checked against that
//! request's content, `Repr-Digest` on a creation against the whole
//! representation once the upload completes, and `Want-Repr-Digest` asks
//! for `Repr-Digest` on the response completing the upload. The
//! algorithms are `sha-256` and `sha-512` (RFC 9530 §5: the two
//! "Active" ones); members naming others are ignored, as RFC 9530 §2 lets
//! a recipient do. Interop 9 dropped the section; this server keeps the
//! same behaviour there (nothing in -12 forbids it).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use sfv::{BareItem, Dictionary, ListEntry, Parser};
use sha2::Digest as _;

pub const CONTENT_DIGEST: &str = "content-digest";
pub const REPR_DIGEST: &str = "repr-digest";
pub const WANT_REPR_DIGEST: &str = "want-repr-digest";

/// A supported digest algorithm (RFC 9530 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];

    pub fn key(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha512 => "sha-512",
        }
    }

    pub fn named(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// The members of a digest field this server can check: algorithm and
/// expected digest. Empty when the field is absent, not a dictionary, or
/// names no supported algorithm (then there is nothing to check).
pub type Expected = Vec<(Algorithm, Vec<u8>)>;

fn dictionary(headers: &HeaderMap, name: &str) -> Option<Dictionary> {
    let mut text = String::new();
    for line in headers.get_all(name) {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(line.to_str().ok()?);
    }
    if text.is_empty() {
        return None;
    }
    Parser::new(&text).parse::<Dictionary>().ok()
}

/// The supported members of `Content-Digest` or `Repr-Digest`
/// (RFC 9530 §2, §3: a dictionary of algorithm → byte sequence).
pub fn expected(headers: &HeaderMap, name: &str) -> Expected {
    let Some(dictionary) = dictionary(headers, name) else {
        return Vec::new();
    };
    dictionary
        .iter()
        .filter_map(|(key, entry)| match entry {
            ListEntry::Item(item) => match &item.bare_item {
                BareItem::ByteSequence(bytes) => {
                    Algorithm::named(key.as_str()).map(|a| (a, bytes.clone()))
                }
                _ => None,
            },
            ListEntry::InnerList(_) => None,
        })
        .collect()
}

/// `Repr-Digest` as the record keeps it (text, so the record stays JSON).
pub fn stored(expected: &Expected) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, d)| (a.key().to_owned(), STANDARD.encode(d)))
        .collect()
}

/// The record's `Repr-Digest` back as [`Expected`].
pub fn restored(stored: &[(String, String)]) -> Expected {
    stored
        .iter()
        .filter_map(|(k, d)| Some((Algorithm::named(k)?, STANDARD.decode(d).ok()?)))
        .collect()
}

/// The supported algorithm `Want-Repr-Digest` prefers (RFC 9530 §4: a
/// dictionary of algorithm → preference 0-10, 0 meaning "not acceptable",
/// higher preferred); on a tie the stronger one.
pub fn wanted(headers: &HeaderMap) -> Option<Algorithm> {
    let dictionary = dictionary(headers, WANT_REPR_DIGEST)?;
    let mut best: Option<(i64, Algorithm)> = None;
    for (key, entry) in &dictionary {
        let (Some(algorithm), ListEntry::Item(item)) = (Algorithm::named(key.as_str()), entry)
        else {
            continue;
        };
        let BareItem::Integer(preference) = item.bare_item else {
            continue;
        };
        let preference = i64::from(preference);
        if !(1..=10).contains(&preference) {
            continue;
        }
        let better = match best {
            None => true,
            Some((p, a)) => preference > p || (preference == p && a == Algorithm::Sha256),
        };
        if better {
            best = Some((preference, algorithm));
        }
    }
    best.map(|(_, algorithm)| algorithm)
}

/// Running digests over bytes, one per algorithm asked for.
pub struct Hashers {
    sha256: Option<sha2::Sha256>,
    sha512: Option<sha2::Sha512>,
}

impl Hashers {
    pub fn new(algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut h = Self {
            sha256: None,
            sha512: None,
        };
        for a in algorithms {
            match a {
                Algorithm::Sha256 => h.sha256 = Some(sha2::Sha256::new()),
                Algorithm::Sha512 => h.sha512 = Some(sha2::Sha512::new()),
            }
        }
        h
    }

    /// For checking `expected`; `None` when it names nothing to check.
    pub fn checking(expected: &Expected) -> Option<Self> {
        (!expected.is_empty()).then(|| Self::new(expected.iter().map(|(a, _)| *a)))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = self.sha256.as_mut() {
            h.update(bytes);
        }
        if let Some(h) = self.sha512.as_mut() {
            h.update(bytes);
        }
    }

    /// The digests of everything given to [`Hashers::update`].
    pub fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.map(|h| h.finalize().to_vec()),
            sha512: self.sha512.map(|h| h.finalize().to_vec()),
        }
    }
}

/// Finished digests.
pub struct Digests {
    sha256: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
}

impl Digests {
    fn of(&self, algorithm: Algorithm) -> Option<&[u8]> {
        match algorithm {
            Algorithm::Sha256 => self.sha256.as_deref(),
            Algorithm::Sha512 => self.sha512.as_deref(),
        }
    }

    /// Every member of `expected` matches.
    pub fn match_all(&self, expected: &Expected) -> bool {
        expected
            .iter()
            .all(|(a, d)| self.of(*a).is_some_and(|got| got == d.as_slice()))
    }

    /// `Repr-Digest: <key>=:<base64>:` for `algorithm`, if computed.
    pub fn header(&self, algorithm: Algorithm) -> Option<HeaderValue> {
        let digest = self.of(algorithm)?;
        HeaderValue::try_from(format!("{}=:{}:", algorithm.key(), STANDARD.encode(digest))).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    const HELLO_256: &str = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";

    #[test]
    fn content_digest_is_checked() {
        let e = expected(
            &headers(
                CONTENT_DIGEST,
                &format!("sha-256=:{HELLO_256}:, md5=:AAAA:"),
            ),
            CONTENT_DIGEST,
        );
        assert_eq!(e.len(), 1);
        let mut h = Hashers::checking(&e).unwrap();
        h.update(b"hel");
        h.update(b"lo");
        assert!(h.finish().match_all(&e));
        let mut h = Hashers::checking(&e).unwrap();
        h.update(b"world");
        assert!(!h.finish().match_all(&e));
        assert_eq!(restored(&stored(&e)), e);
    }

    #[test]
    fn unsupported_or_malformed_digests_check_nothing() {
        for value in ["md5=:AAAA:", "sha-256=1", "not a dictionary ("] {
            assert!(expected(&headers(REPR_DIGEST, value), REPR_DIGEST).is_empty());
        }
    }

    #[test]
    fn want_repr_digest_picks_the_preferred() {
        let w = |v| wanted(&headers(WANT_REPR_DIGEST, v));
        assert_eq!(w("sha-256=1, sha-512=3"), Some(Algorithm::Sha512));
        assert_eq!(w("sha-256=10, sha-512=3"), Some(Algorithm::Sha256));
        assert_eq!(w("sha-256=0, md5=10"), None);
        assert_eq!(w("sha-512=5, sha-256=5"), Some(Algorithm::Sha512));
        let mut h = Hashers::new([Algorithm::Sha256]);
        h.update(b"hello");
        assert_eq!(
            h.finish().header(Algorithm::Sha256).unwrap(),
            format!("sha-256=:{HELLO_256}:").as_str()
        );
    }
}
