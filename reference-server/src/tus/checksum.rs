//! The checksum extension's algorithms and their streaming digests.
//!
//! Digests travel as base64 of the raw digest bytes (P:L530-532); for crc32
//! that is the 4-byte big-endian CRC-32 (IEEE), as tusdotnet and the
//! tus-js-client community plugins encode it.

use std::fmt;
use std::str::FromStr;

use md5::Digest;
use serde::{Deserialize, Serialize};

/// A supported checksum algorithm, named as in `Tus-Checksum-Algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Crc32,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
        Self::Sha512,
        Self::Crc32,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
            Self::Crc32 => "crc32",
        }
    }

    /// Length of the raw digest, so a digest of the wrong size is rejected as
    /// malformed before any byte is read.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
            Self::Crc32 => 4,
        }
    }

    pub(crate) fn hasher(self) -> Hasher {
        match self {
            Self::Md5 => Hasher::Md5(md5::Md5::new()),
            Self::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Self::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Self::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            Self::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown checksum algorithm {0:?} (known: md5, sha1, sha256, sha512, crc32)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for ChecksumAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// A running digest over a request body.
pub(crate) enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Md5(h) => h.update(bytes),
            Self::Sha1(h) => h.update(bytes),
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
            Self::Crc32(h) => h.update(bytes),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            Self::Md5(h) => h.finalize().to_vec(),
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
            Self::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(alg: ChecksumAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
        let mut h = alg.hasher();
        parts.iter().for_each(|p| h.update(p));
        h.finish()
    }

    #[test]
    fn known_answers_and_lengths() {
        use base64::Engine;
        let b64 = |v: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(v);
        // The tus spec's own example (P:L503-504).
        assert_eq!(
            b64(digest(ChecksumAlgorithm::Sha1, &[b"hello ", b"world"])),
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            digest(ChecksumAlgorithm::Crc32, &[b"123456789"]),
            0xCBF4_3926u32.to_be_bytes()
        );
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(digest(alg, &[b"x"]).len(), alg.digest_len(), "{alg}");
            assert_eq!(alg.name().parse::<ChecksumAlgorithm>(), Ok(alg));
        }
    }
}
