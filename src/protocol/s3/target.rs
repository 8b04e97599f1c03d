//! The S3 target as the run's requests address it: its endpoint, region and keys,
//! and what the run created there; and the percent-encoding S3 expects of keys.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::ledger::Ledger;
use super::sign::Credentials;

/// What the engine needs to sign requests to an S3 target and to remember what the
/// run created there. One per run, shared by every scenario.
#[derive(Debug)]
pub struct S3Target {
    /// The endpoint as configured, without a trailing slash (`http://127.0.0.1:9000`):
    /// scenarios build URLs as `{{s3_endpoint}}/{{bucket}}/key`.
    pub endpoint: String,
    /// The region of the signing scope (`us-east-1` unless configured).
    pub region: String,
    /// `None`: requests go unsigned (an anonymous target).
    pub credentials: Option<Credentials>,
    /// Uploads, objects and buckets the run's requests created.
    pub ledger: Ledger,
}

impl S3Target {
    pub fn new(endpoint: &str, region: &str, credentials: Option<Credentials>) -> Self {
        S3Target {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            credentials,
            ledger: Ledger::default(),
        }
    }

    /// Whether `url` addresses this target: it starts with the endpoint, followed by
    /// the end, a `/` or a `?`. Only such requests are signed without being asked to.
    pub fn covers(&self, url: &Url) -> bool {
        let endpoint = self.endpoint.as_str();
        let url = url.as_str();
        // `Url` serialises `http://h:1` as `http://h:1/`; compare without that slash.
        let Some(rest) = url.strip_prefix(endpoint) else {
            return false;
        };
        rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')
    }

    /// The request path below the endpoint (`/bucket/key`), when `url` is on this target.
    pub fn path_of<'u>(&self, url: &'u Url) -> Option<&'u str> {
        if !self.covers(url) {
            return None;
        }
        let base = Url::parse(&self.endpoint).ok()?;
        let prefix = base.path().trim_end_matches('/');
        url.path().strip_prefix(prefix)
    }
}

/// What SigV4 leaves as it is (RFC 3986's unreserved characters): every other byte
/// of the UTF-8 form is written `%XX`, in upper case.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same with `/`, which separates a key's segments.
const KEY: &AsciiSet = &UNRESERVED.remove(b'/');

/// Percent-encodes an object key for a URL path as S3 expects it: every byte except
/// the unreserved ones (`A-Z a-z 0-9 - . _ ~`) and `/`, which separates segments.
pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, KEY).to_string()
}

/// Percent-encodes a query value: every byte except the unreserved ones.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_only_urls_below_the_endpoint() {
        let target = S3Target::new("http://127.0.0.1:9000/", "us-east-1", None);
        assert_eq!(target.endpoint, "http://127.0.0.1:9000");
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(target.covers(&url("http://127.0.0.1:9000")));
        assert!(target.covers(&url("http://127.0.0.1:9000/b/k?uploads")));
        assert!(!target.covers(&url("http://127.0.0.1:9001/b")));
        assert!(!target.covers(&url("http://127.0.0.1:90/b")));
        assert!(!target.covers(&url("http://127.0.0.2:9000/b")));
        assert_eq!(
            target.path_of(&url("http://127.0.0.1:9000/b/a%20b?x=1")),
            Some("/b/a%20b")
        );
        let prefixed = S3Target::new("http://h/s3", "r", None);
        assert!(!prefixed.covers(&url("http://h/s3x/b")));
        assert_eq!(prefixed.path_of(&url("http://h/s3/b/k")), Some("/b/k"));
    }

    #[test]
    fn keys_are_encoded_once_keeping_slashes() {
        assert_eq!(
            encode_key("dir/a b+c%~=&.txt"),
            "dir/a%20b%2Bc%25~%3D%26.txt"
        );
        assert_eq!(encode_query_value("a/b+c="), "a%2Fb%2Bc%3D");
    }

    /// SigV4's URI encoding: `~` kept, space `%20` (never `+`), `*` encoded, hex in
    /// upper case, and a non-ASCII character as the `%XX` of each UTF-8 byte.
    #[test]
    fn encoding_follows_sigv4_byte_for_byte() {
        assert_eq!(encode_key("~a b*"), "~a%20b%2A");
        assert_eq!(encode_key("é/ü.txt"), "%C3%A9/%C3%BC.txt");
        assert_eq!(encode_query_value("é/~ *"), "%C3%A9%2F~%20%2A");
        assert_eq!(encode_key("//a//"), "//a//");
        for byte in 0u8..0x80 {
            let text = char::from(byte).to_string();
            let unreserved = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
            let escaped = format!("%{byte:02X}");
            let (key, query) = (encode_key(&text), encode_query_value(&text));
            let (key, query) = (&key, &query);
            assert_eq!(query, if unreserved { &text } else { &escaped }, "{byte}");
            assert_eq!(
                key,
                if unreserved || byte == b'/' {
                    &text
                } else {
                    &escaped
                },
                "{byte}"
            );
        }
    }
}
