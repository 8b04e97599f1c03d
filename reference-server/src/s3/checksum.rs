//! S3's additional checksums: CRC32, CRC32C, SHA1, SHA256 and CRC64NVME,
//! computed while bytes stream, and their multipart forms.
//!
//! Values travel as base64 of the big-endian digest. A multipart object's
//! checksum is either COMPOSITE (the algorithm over the concatenated binary
//! part checksums, then `-N`) or FULL_OBJECT (the CRC of the whole object,
//! derived from the part CRCs by [`crc_combine`] without rereading bytes).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crc::{CRC_32_ISCSI, CRC_64_NVME, Crc, Table};
use http::HeaderMap;
use md5::Digest as _;
use serde::{Deserialize, Serialize};

use super::error::S3Error;

static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
static CRC64NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    #[serde(rename = "CRC32")]
    Crc32,
    #[serde(rename = "CRC32C")]
    Crc32c,
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "CRC64NVME")]
    Crc64Nvme,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Sha1,
        Self::Sha256,
        Self::Crc64Nvme,
    ];

    /// As in `x-amz-checksum-algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Crc64Nvme => "CRC64NVME",
        }
    }

    /// `x-amz-checksum-crc32` and so on.
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }

    /// `ChecksumCRC32` and so on, in XML bodies.
    pub fn element(self) -> &'static str {
        match self {
            Self::Crc32 => "ChecksumCRC32",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Sha1 => "ChecksumSHA1",
            Self::Sha256 => "ChecksumSHA256",
            Self::Crc64Nvme => "ChecksumCRC64NVME",
        }
    }

    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Crc64Nvme => 8,
        }
    }

    /// Case-insensitive, as SDKs differ in spelling.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    pub fn from_header(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header().eq_ignore_ascii_case(name))
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Self::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            Self::Crc32c => Hasher::Crc32c(CRC32C.digest()),
            Self::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Self::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Self::Crc64Nvme => Hasher::Crc64(CRC64NVME.digest()),
        }
    }

    /// The types this algorithm can have (AWS: SHA1 and SHA256 only
    /// COMPOSITE, CRC64NVME only FULL_OBJECT, the CRC32s either).
    pub fn allows(self, kind: ChecksumType) -> bool {
        match self {
            Self::Crc32 | Self::Crc32c => true,
            Self::Sha1 | Self::Sha256 => kind == ChecksumType::Composite,
            Self::Crc64Nvme => kind == ChecksumType::FullObject,
        }
    }

    /// The type when Create names none (as moto, modelled on AWS).
    pub fn default_type(self) -> ChecksumType {
        match self {
            Self::Crc64Nvme => ChecksumType::FullObject,
            Self::Crc32 | Self::Crc32c | Self::Sha1 | Self::Sha256 => ChecksumType::Composite,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumType {
    #[serde(rename = "COMPOSITE")]
    Composite,
    #[serde(rename = "FULL_OBJECT")]
    FullObject,
}

impl ChecksumType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Composite, Self::FullObject]
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

/// A running digest.
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(crc::Digest<'static, u32, Table<16>>),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Crc64(crc::Digest<'static, u64, Table<16>>),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(h) => h.update(data),
            Self::Crc32c(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Crc64(h) => h.update(data),
        }
    }

    /// The raw digest (big-endian for the CRCs).
    pub fn finish(self) -> Vec<u8> {
        match self {
            Self::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Self::Crc32c(h) => h.finalize().to_be_bytes().to_vec(),
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Crc64(h) => h.finalize().to_be_bytes().to_vec(),
        }
    }
}

/// The checksum of `data` in its wire form (base64).
#[cfg(test)]
pub fn of(algorithm: Algorithm, data: &[u8]) -> String {
    let mut hasher = algorithm.hasher();
    hasher.update(data);
    STANDARD.encode(hasher.finish())
}

pub fn encode(raw: &[u8]) -> String {
    STANDARD.encode(raw)
}

/// The raw digest of a wire value, if it is base64 of the right length.
pub fn decode(algorithm: Algorithm, value: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(value.trim())
        .ok()
        .filter(|raw| raw.len() == algorithm.digest_len())
}

/// A checksum the client announced for a body: from an `x-amz-checksum-*`
/// header (value known now) or an `x-amz-trailer` (value at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub algorithm: Algorithm,
    /// `None` while the trailer has not arrived.
    pub value: Option<Vec<u8>>,
}

/// Reads the body checksum a request announces: at most one
/// `x-amz-checksum-*` header, or an `x-amz-trailer` naming one;
/// `x-amz-sdk-checksum-algorithm`, when sent, must agree with it.
pub fn expected(headers: &HeaderMap) -> Result<Option<Expected>, S3Error> {
    let mut found: Option<Expected> = None;
    for algorithm in Algorithm::ALL {
        let Some(value) = headers.get(algorithm.header()) else {
            continue;
        };
        if found.is_some() {
            return Err(S3Error::InvalidRequest(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                    .into(),
            ));
        }
        let raw = value
            .to_str()
            .ok()
            .and_then(|v| decode(algorithm, v))
            .ok_or_else(|| {
                S3Error::InvalidRequest(format!(
                    "Value for {} header is invalid.",
                    algorithm.header()
                ))
            })?;
        found = Some(Expected {
            algorithm,
            value: Some(raw),
        });
    }
    if let Some(trailer) = headers.get("x-amz-trailer") {
        let name = trailer.to_str().unwrap_or_default().trim();
        let algorithm = Algorithm::from_header(name).ok_or_else(|| {
            S3Error::InvalidRequest(format!(
                "The value specified in the x-amz-trailer header is not supported: {name:?}"
            ))
        })?;
        if found.is_some() {
            return Err(S3Error::InvalidRequest(
                "Expecting a single x-amz-checksum- header or trailer, not both.".into(),
            ));
        }
        found = Some(Expected {
            algorithm,
            value: None,
        });
    }
    if let Some(sdk) = headers.get("x-amz-sdk-checksum-algorithm") {
        let named = sdk
            .to_str()
            .ok()
            .and_then(Algorithm::parse)
            .ok_or_else(|| {
                S3Error::InvalidRequest(
                    "Value for x-amz-sdk-checksum-algorithm header is invalid.".into(),
                )
            })?;
        if found.as_ref().is_some_and(|f| f.algorithm != named) {
            return Err(S3Error::InvalidRequest(
                "x-amz-sdk-checksum-algorithm names another algorithm than the checksum sent."
                    .into(),
            ));
        }
    }
    Ok(found)
}

/// The COMPOSITE checksum of parts given their raw checksums:
/// `base64(H(c1 || c2 || ...))-N`.
pub fn composite(algorithm: Algorithm, parts: &[Vec<u8>]) -> String {
    let mut hasher = algorithm.hasher();
    for part in parts {
        hasher.update(part);
    }
    format!("{}-{}", STANDARD.encode(hasher.finish()), parts.len())
}

/// The FULL_OBJECT checksum of parts given their raw CRCs and sizes.
/// `None` for the SHA algorithms, which cannot be combined.
pub fn full_object(algorithm: Algorithm, parts: &[(Vec<u8>, u64)]) -> Option<String> {
    let (poly, width) = match algorithm {
        Algorithm::Crc32 => (0xEDB8_8320, 32),
        Algorithm::Crc32c => (0x82F6_3B78, 32),
        Algorithm::Crc64Nvme => (0x9A6C_9329_AC4B_C9B5, 64),
        Algorithm::Sha1 | Algorithm::Sha256 => return None,
    };
    let value = |raw: &[u8]| raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    // The CRC of no bytes: the conditioning alone.
    let mut crc = 0u64;
    for (index, (raw, len)) in parts.iter().enumerate() {
        crc = if index == 0 {
            value(raw)
        } else {
            crc_combine(crc, value(raw), *len, poly, width)
        };
    }
    let bytes = crc.to_be_bytes();
    Some(STANDARD.encode(&bytes[8 - width / 8..]))
}

/// CRC of `A || B` from `crc(A)`, `crc(B)` and `len(B)`, for reflected CRCs
/// whose initial value equals their final xor (CRC-32, CRC-32C, CRC-64/NVME):
/// zlib's `crc32_combine`, generalised to 64-bit registers.
pub fn crc_combine(crc1: u64, crc2: u64, len2: u64, poly: u64, width: usize) -> u64 {
    fn times(matrix: &[u64; 64], mut vector: u64) -> u64 {
        let mut sum = 0;
        let mut i = 0;
        while vector != 0 {
            if vector & 1 == 1 {
                sum ^= matrix[i];
            }
            vector >>= 1;
            i += 1;
        }
        sum
    }
    fn square(matrix: &[u64; 64], width: usize) -> [u64; 64] {
        let mut out = [0u64; 64];
        for n in 0..width {
            out[n] = times(matrix, matrix[n]);
        }
        out
    }
    if len2 == 0 {
        return crc1;
    }
    // The operator for one zero bit, then for two and four.
    let mut odd = [0u64; 64];
    odd[0] = poly;
    for (n, slot) in odd.iter_mut().enumerate().take(width).skip(1) {
        *slot = 1 << (n - 1);
    }
    let mut even = square(&odd, width);
    odd = square(&even, width);
    let mut crc1 = crc1;
    let mut len2 = len2;
    loop {
        // Each round doubles the zero-run the operator applies (bytes).
        even = square(&odd, width);
        if len2 & 1 == 1 {
            crc1 = times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        odd = square(&even, width);
        if len2 & 1 == 1 {
            crc1 = times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB5: usize = 5 * 1024 * 1024;

    fn parts() -> [Vec<u8>; 3] {
        [vec![b'A'; MIB5], vec![b'B'; MIB5], vec![b'C'; MIB5]]
    }

    fn raw(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
        let mut h = algorithm.hasher();
        h.update(data);
        h.finish()
    }

    /// S3-MPU-CK-COMPOSITE-SHA256 and -SHA1 (requirements §1.10).
    #[test]
    fn composite_vectors() {
        let parts = parts();
        let sha256: Vec<_> = parts.iter().map(|p| raw(Algorithm::Sha256, p)).collect();
        assert_eq!(
            encode(&sha256[0]),
            "275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI="
        );
        assert_eq!(
            encode(&sha256[2]),
            "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow="
        );
        assert_eq!(
            composite(Algorithm::Sha256, &sha256),
            "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3"
        );
        let sha1: Vec<_> = parts.iter().map(|p| raw(Algorithm::Sha1, p)).collect();
        assert_eq!(
            composite(Algorithm::Sha1, &sha1),
            "sizjvY4eud3MrcHdZM3cQ/ol39o=-3"
        );
        let one = raw(Algorithm::Sha256, &[b'A'; 1024]);
        assert_eq!(encode(&one), "arcu6553sHVAiX4MjW0j7I7vD4w6R+Gz9Ok0Q9lTa+0=");
        assert_eq!(
            composite(Algorithm::Sha256, &[one]),
            "Ok6Cs5b96ux6+MWQkJO7UBT5sKPBeXBLwvj/hK89smg=-1"
        );
    }

    /// S3-MPU-CK-FULL-CRC32, -CRC32C, -CRC64NVME (requirements §1.10).
    #[test]
    fn full_object_vectors() {
        let parts = parts();
        for (algorithm, part_values, whole) in [
            (
                Algorithm::Crc32,
                ["JRTCyQ==", "QoZTGg==", "YAgjqw=="],
                "WgDhBQ==",
            ),
            (
                Algorithm::Crc32c,
                ["MDaLrw==", "TH4EZg==", "Z7mBIQ=="],
                "xU+Krw==",
            ),
            (
                Algorithm::Crc64Nvme,
                ["L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="],
                "i+6LR0y3eFo=",
            ),
        ] {
            let raws: Vec<_> = parts.iter().map(|p| raw(algorithm, p)).collect();
            let shown: Vec<_> = raws.iter().map(|r| encode(r)).collect();
            assert_eq!(shown, part_values, "{algorithm}");
            let with_len: Vec<_> = raws.into_iter().map(|r| (r, MIB5 as u64)).collect();
            assert_eq!(
                full_object(algorithm, &with_len).as_deref(),
                Some(whole),
                "{algorithm}"
            );
            assert_eq!(encode(&raw(algorithm, &parts.concat())), whole);
        }
        assert_eq!(full_object(Algorithm::Sha256, &[]), None);
    }

    #[test]
    fn combine_handles_odd_lengths_and_empty_parts() {
        let a = b"hello, ".to_vec();
        let b = b"combined world".to_vec();
        for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let parts = vec![
                (raw(algorithm, &a), a.len() as u64),
                (raw(algorithm, b""), 0),
                (raw(algorithm, &b), b.len() as u64),
            ];
            assert_eq!(
                full_object(algorithm, &parts).unwrap(),
                of(algorithm, &[a.clone(), b.clone()].concat())
            );
        }
    }

    #[test]
    fn reads_announced_checksums() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-checksum-crc32", "JRTCyQ==".parse().unwrap());
        let found = expected(&headers).unwrap().unwrap();
        assert_eq!(found.algorithm, Algorithm::Crc32);
        headers.insert("x-amz-checksum-sha1", "AAAA".parse().unwrap());
        assert!(expected(&headers).is_err());
        let mut trailer = HeaderMap::new();
        trailer.insert("x-amz-trailer", "x-amz-checksum-crc64nvme".parse().unwrap());
        trailer.insert("x-amz-sdk-checksum-algorithm", "crc64nvme".parse().unwrap());
        assert_eq!(
            expected(&trailer).unwrap(),
            Some(Expected {
                algorithm: Algorithm::Crc64Nvme,
                value: None
            })
        );
        let mut bad = HeaderMap::new();
        bad.insert("x-amz-checksum-crc32", "not base64!".parse().unwrap());
        assert!(expected(&bad).is_err());
    }
}
