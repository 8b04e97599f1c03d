//! Strict readers for tus request headers. Each returns a [`Rejection`]
//! naming the header and what is wrong with it; none ever panics.
//!
//! Strictness choices (the spec gives the grammar, not the handling of
//! deviations): integers are canonical decimal (no sign, no leading zeros,
//! at most `i64::MAX`, the largest that every common client and server
//! language can hold); a header sent twice is malformed; metadata follows
//! P:L329-334 to the letter.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::checksum::ChecksumAlgorithm;
use super::names::{
    OFFSET_OCTET_STREAM, UPLOAD_CHECKSUM, UPLOAD_CONCAT, UPLOAD_DEFER_LENGTH, UPLOAD_METADATA,
};
use super::rejection::Rejection;
use crate::store::UploadId;

/// The value of a header that may appear at most once.
pub fn single<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, Rejection> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Rejection::invalid(name, "sent more than once"));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| Rejection::invalid(name, "is not visible ASCII"))
}

/// A non-negative integer header (P:L150-156), if present.
pub fn uint(headers: &HeaderMap, name: &'static str) -> Result<Option<u64>, Rejection> {
    single(headers, name)?
        .map(|v| parse_uint(name, v))
        .transpose()
}

fn parse_uint(name: &'static str, value: &str) -> Result<u64, Rejection> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !digits || (value.len() > 1 && value.starts_with('0')) {
        return Err(Rejection::invalid(
            name,
            format!(
                "{value:?} is not a non-negative decimal integer without sign or leading zeros"
            ),
        ));
    }
    value
        .parse::<i64>()
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| Rejection::invalid(name, format!("{value} is larger than {}", i64::MAX)))
}

/// `Upload-Defer-Length`, whose only valid value is `1` (P:L324-325).
pub fn defer_length(headers: &HeaderMap) -> Result<bool, Rejection> {
    match single(headers, UPLOAD_DEFER_LENGTH)? {
        None => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(Rejection::invalid(
            UPLOAD_DEFER_LENGTH,
            format!("{other:?} is not 1"),
        )),
    }
}

/// Whether the body is `application/offset+octet-stream`: type and subtype
/// match case-insensitively (RFC 9110 §8.3.1); any parameter disqualifies,
/// since the type defines none.
pub fn is_offset_octet_stream(headers: &HeaderMap) -> Result<bool, Rejection> {
    Ok(single(headers, "content-type")?
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM)))
}

/// One `Upload-Metadata` pair. The value is kept as the client's base64
/// (validated), and echoed as such; an empty value is echoed as a bare key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataPair {
    pub key: String,
    pub value: String,
}

/// `Upload-Metadata` (P:L329-334): comma-separated pairs, no whitespace
/// around commas, keys non-empty, unique, visible ASCII; values canonical
/// padded base64.
pub fn metadata(headers: &HeaderMap) -> Result<Vec<MetadataPair>, Rejection> {
    let Some(value) = single(headers, UPLOAD_METADATA)? else {
        return Ok(Vec::new());
    };
    let bad = |reason: String| Rejection::invalid(UPLOAD_METADATA, reason);
    if value.is_empty() {
        return Err(bad("is empty (omit the header instead)".into()));
    }
    let mut pairs: Vec<MetadataPair> = Vec::new();
    for pair in value.split(',') {
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() {
            return Err(bad(format!("pair {pair:?} has an empty key")));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(format!("key {key:?} is not visible ASCII")));
        }
        if pairs.iter().any(|p| p.key == key) {
            return Err(bad(format!("key {key:?} appears twice")));
        }
        if STANDARD.decode(encoded).is_err() {
            return Err(bad(format!("the value of {key:?} is not padded base64")));
        }
        pairs.push(MetadataPair {
            key: key.to_owned(),
            value: encoded.to_owned(),
        });
    }
    Ok(pairs)
}

/// Renders pairs back into the header's form.
pub fn render_metadata(pairs: &[MetadataPair]) -> String {
    let rendered: Vec<String> = pairs
        .iter()
        .map(|p| match p.value.as_str() {
            "" => p.key.clone(),
            value => format!("{} {value}", p.key),
        })
        .collect();
    rendered.join(",")
}

/// What an `Upload-Concat` header asks for (P:L663-669).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConcatRequest {
    Partial,
    Final {
        /// The uploads the URLs resolve to, in order.
        parts: Vec<UploadId>,
        /// The header's value as received: HEAD must echo it byte for byte
        /// (P:L655-657), whatever form the URLs had.
        received: String,
    },
}

/// `Upload-Concat`: exactly `partial`, or `final;` followed by upload URLs
/// separated by single spaces, each of which `resolve` must turn into an
/// upload id (`Locations::upload_id` says which forms do).
pub fn concat(
    headers: &HeaderMap,
    resolve: impl Fn(&str) -> Option<UploadId>,
) -> Result<Option<ConcatRequest>, Rejection> {
    let Some(value) = single(headers, UPLOAD_CONCAT)? else {
        return Ok(None);
    };
    if value == "partial" {
        return Ok(Some(ConcatRequest::Partial));
    }
    let bad = |reason: String| Rejection::invalid(UPLOAD_CONCAT, reason);
    let Some(list) = value.strip_prefix("final;") else {
        return Err(bad(format!(
            "{value:?} is neither \"partial\" nor \"final;<urls>\""
        )));
    };
    if list.is_empty() {
        return Err(bad("the final upload lists no partial uploads".into()));
    }
    list.split(' ')
        .map(|url| {
            resolve(url).ok_or_else(|| bad(format!("{url:?} is not an upload URL of this server")))
        })
        .collect::<Result<_, _>>()
        .map(|parts| {
            Some(ConcatRequest::Final {
                parts,
                received: value.to_owned(),
            })
        })
}

/// A parsed `Upload-Checksum`: the algorithm and the digest it promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub digest: Vec<u8>,
}

/// `Upload-Checksum: <algorithm> <base64 digest>` (P:L530-532), from a
/// header or a trailer. An algorithm outside `enabled` is unsupported (400
/// per P:L501); a missing, non-base64 or wrong-sized digest is malformed.
pub fn checksum(value: &str, enabled: &[ChecksumAlgorithm]) -> Result<ExpectedChecksum, Rejection> {
    let bad = |reason: String| Rejection::invalid(UPLOAD_CHECKSUM, reason);
    let Some((name, encoded)) = value.split_once(' ') else {
        return Err(bad(format!(
            "{value:?} is not \"<algorithm> <base64 digest>\""
        )));
    };
    let algorithm = enabled
        .iter()
        .copied()
        .find(|a| a.name() == name)
        .ok_or_else(|| Rejection::UnsupportedChecksum(name.to_owned()))?;
    let digest = STANDARD
        .decode(encoded)
        .map_err(|_| bad(format!("the digest {encoded:?} is not padded base64")))?;
    if digest.len() != algorithm.digest_len() {
        return Err(bad(format!(
            "a {algorithm} digest has {} bytes, not {}",
            algorithm.digest_len(),
            digest.len()
        )));
    }
    Ok(ExpectedChecksum { algorithm, digest })
}

/// Whether the request announces an `Upload-Checksum` trailer
/// (`Trailer: Upload-Checksum`, a comma list, case-insensitive).
pub fn announces_checksum_trailer(headers: &HeaderMap) -> bool {
    headers
        .get_all("trailer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case(UPLOAD_CHECKSUM))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::super::location::Locations;
    use super::*;
    use crate::tus::names::UPLOAD_OFFSET;

    fn map(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(name, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn integers_are_canonical_decimal() {
        assert_eq!(
            uint(&map(UPLOAD_OFFSET, &["0"]), UPLOAD_OFFSET).unwrap(),
            Some(0)
        );
        assert_eq!(
            uint(&map(UPLOAD_OFFSET, &["9223372036854775807"]), UPLOAD_OFFSET).unwrap(),
            Some(i64::MAX as u64)
        );
        assert_eq!(uint(&HeaderMap::new(), UPLOAD_OFFSET).unwrap(), None);
        for bad in [
            "",
            "-5",
            "+0",
            "0100",
            "abc",
            "1.0",
            "0x10",
            "9223372036854775808",
            "99999999999999999999999",
        ] {
            assert!(
                uint(&map(UPLOAD_OFFSET, &[bad]), UPLOAD_OFFSET).is_err(),
                "{bad:?}"
            );
        }
        assert!(uint(&map(UPLOAD_OFFSET, &["1", "1"]), UPLOAD_OFFSET).is_err());
    }

    #[test]
    fn metadata_follows_the_grammar() {
        let parsed = metadata(&map(
            UPLOAD_METADATA,
            &["filename d29ybGQ=,is_confidential,k3 "],
        ))
        .unwrap();
        assert_eq!(
            render_metadata(&parsed),
            "filename d29ybGQ=,is_confidential,k3"
        );
        for bad in [
            "",
            "a aGVsbG8=,a d29ybGQ=",
            "a !!!!",
            " aGVsbG8=",
            "a aGVsbG8=, b d29ybGQ=",
            "a aGVsbG8",
            "a,,b",
            "a\taGVsbG8=",
        ] {
            assert!(metadata(&map(UPLOAD_METADATA, &[bad])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn concat_forms() {
        let a = UploadId::random();
        let b = UploadId::random();
        let locations = Locations::from_config(&crate::tus::config::TusConfig::default());
        let parse = |v: &str| concat(&map(UPLOAD_CONCAT, &[v]), |url| locations.upload_id(url));
        assert_eq!(parse("partial").unwrap(), Some(ConcatRequest::Partial));
        let value = format!("final;/files/{a} http://example.test:1/files/{b} {a}");
        assert_eq!(
            parse(&value).unwrap(),
            Some(ConcatRequest::Final {
                parts: vec![a, b, a],
                received: value.clone(),
            })
        );
        for bad in [
            "PARTIAL".to_owned(),
            "foo".into(),
            "final;".into(),
            format!("final; /files/{a}"),
            format!("final;/files/{a}  /files/{b}"),
            format!("final;/other/{a}"),
            "final;/files/../../etc/passwd".into(),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checksum_header() {
        let all = ChecksumAlgorithm::ALL;
        let ok = checksum("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", &all).unwrap();
        assert_eq!(ok.algorithm, ChecksumAlgorithm::Sha1);
        assert!(matches!(
            checksum("md4 AAAA", &all),
            Err(Rejection::UnsupportedChecksum(_))
        ));
        assert!(matches!(
            checksum(
                "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
                &[ChecksumAlgorithm::Md5]
            ),
            Err(Rejection::UnsupportedChecksum(_))
        ));
        for bad in ["sha1", "sha1 !!!", "sha1 AAAA", ""] {
            assert!(
                matches!(checksum(bad, &all), Err(Rejection::InvalidHeader { .. })),
                "{bad:?}"
            );
        }
    }
}
