//! Incremental body digests, so a multi-gigabyte download is hashed as it streams.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};

use crate::scenario::model::DigestAlgorithm;

pub(crate) enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha512(Sha512),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    pub(crate) fn new(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Md5 => Hasher::Md5(Md5::new()),
            DigestAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            DigestAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            DigestAlgorithm::Sha512 => Hasher::Sha512(Sha512::new()),
            DigestAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Crc32(h) => h.update(data),
        }
    }

    /// Lowercase hex; CRC-32 as its 8-digit big-endian value, as S3 and `crc32` tools print it.
    pub(crate) fn finish_hex(self) -> String {
        hex::encode(self.finish_bytes())
    }

    /// The raw digest; CRC-32 as 4 big-endian bytes (what S3 base64-encodes in
    /// `x-amz-checksum-crc32`).
    pub(crate) fn finish_bytes(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(algorithm: DigestAlgorithm, parts: &[&[u8]]) -> String {
        let mut hasher = Hasher::new(algorithm);
        parts.iter().for_each(|part| hasher.update(part));
        hasher.finish_hex()
    }

    #[test]
    fn known_answers_for_abc_fed_in_pieces() {
        let abc: &[&[u8]] = &[b"a", b"bc"];
        assert_eq!(
            digest(DigestAlgorithm::Md5, abc),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            digest(DigestAlgorithm::Sha1, abc),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            digest(DigestAlgorithm::Sha256, abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(digest(DigestAlgorithm::Sha512, abc).starts_with("ddaf35a193617aba"));
        assert_eq!(digest(DigestAlgorithm::Crc32, abc), "352441c2");
        assert_eq!(digest(DigestAlgorithm::Crc32, &[]), "00000000");
    }
}
