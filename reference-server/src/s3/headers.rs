//! Request header readers and the object headers S3 stores and returns.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use super::error::S3Error;

/// The value of a header as text, if present and visible ASCII.
pub fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Largest total size of user metadata, as AWS (2 KiB).
const MAX_METADATA: usize = 2048;

/// The headers an object keeps from its PutObject or
/// CreateMultipartUpload and sends back on GET and HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `x-amz-meta-*` pairs, names lowercased without the prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<(String, String)>,
}

impl StoredHeaders {
    /// Reads them from a request. `aws-chunked` is a transfer detail, not
    /// the object's encoding, so it is dropped from `Content-Encoding`.
    pub fn from_request(headers: &HeaderMap) -> Result<Self, S3Error> {
        let get = |name: &str| text(headers, name).map(str::to_owned);
        let content_encoding = get("content-encoding").and_then(|value| {
            let kept: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            (!kept.is_empty()).then(|| kept.join(","))
        });
        let mut metadata = Vec::new();
        let mut total = 0;
        for (name, value) in headers {
            let Some(key) = name.as_str().strip_prefix("x-amz-meta-") else {
                continue;
            };
            let value = value.to_str().map_err(|_| S3Error::InvalidArgument {
                message: "User metadata values must be visible ASCII".into(),
                name: name.as_str().to_owned(),
                value: String::new(),
            })?;
            total += key.len() + value.len();
            metadata.push((key.to_owned(), value.to_owned()));
        }
        if total > MAX_METADATA {
            return Err(S3Error::InvalidRequest(
                "Your metadata headers exceed the maximum allowed metadata size".into(),
            ));
        }
        metadata.sort();
        Ok(Self {
            content_type: get("content-type"),
            content_encoding,
            content_disposition: get("content-disposition"),
            content_language: get("content-language"),
            cache_control: get("cache-control"),
            expires: get("expires"),
            metadata,
        })
    }

    /// Adds them to a response.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let pairs = [
            ("content-type", &self.content_type),
            ("content-encoding", &self.content_encoding),
            ("content-disposition", &self.content_disposition),
            ("content-language", &self.content_language),
            ("cache-control", &self.cache_control),
            ("expires", &self.expires),
        ];
        for (name, value) in pairs {
            if let Some(value) = value
                && let Ok(value) = HeaderValue::from_str(value)
            {
                headers.insert(name, value);
            }
        }
        if self.content_type.is_none() {
            headers.insert(
                "content-type",
                HeaderValue::from_static("binary/octet-stream"),
            );
        }
        for (key, value) in &self.metadata {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(format!("x-amz-meta-{key}").as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
    }
}

/// A header value built from text this server produced (validated ASCII).
pub fn value(text: impl Into<String>) -> HeaderValue {
    HeaderValue::try_from(text.into()).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_metadata_and_drops_aws_chunked() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "text/bla".parse().unwrap());
        h.insert("content-encoding", "aws-chunked,gzip".parse().unwrap());
        h.insert("x-amz-meta-foo", "bar".parse().unwrap());
        let stored = StoredHeaders::from_request(&h).unwrap();
        assert_eq!(stored.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(stored.metadata, [("foo".to_owned(), "bar".to_owned())]);
        let mut out = HeaderMap::new();
        stored.apply(&mut out);
        assert_eq!(out["x-amz-meta-foo"], "bar");
        assert_eq!(out["content-type"], "text/bla");
    }
}
