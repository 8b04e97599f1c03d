//! Upload URLs in both directions: how `Location` names a created upload,
//! and which URLs in `Upload-Concat` name an upload of this server. One
//! place for both, so that every URL the server gives out is one it takes
//! back, behind a proxy too.
//!
//! `Location` is absolute by default, as tusd, @tus/server and rustus send
//! it: clients that do not resolve relative URLs work unchanged. Its scheme
//! and authority come from the configured public URL, else from the request
//! (an absolute-form target's authority, else `Host`, RFC 9112 §3.2.2); the
//! scheme is `http`, the only one this server speaks. Forwarding headers
//! (`Forwarded`, `X-Forwarded-Host`) are not trusted: any client can send
//! them, so a proxy's public address is configured instead.

use http::request::Parts;
use http::uri::Authority;

use super::config::{LocationForm, PublicUrl, TusConfig};
use super::headers::single;
use super::rejection::Rejection;
use crate::store::UploadId;

/// How upload URLs are written and read, fixed at start-up.
#[derive(Debug)]
pub(super) struct Locations {
    form: LocationForm,
    public: Option<PublicUrl>,
    /// Where the server serves uploads (`TusConfig::base_path`).
    base_path: String,
}

impl Locations {
    pub(super) fn from_config(config: &TusConfig) -> Self {
        Self {
            form: config.location,
            public: config.public_url.clone(),
            base_path: config.base_path.clone(),
        }
    }

    /// The prefix a new upload's id is appended to for its `Location`,
    /// from the creation request `parts`.
    pub(super) fn prefix(&self, parts: &Parts) -> Result<String, Rejection> {
        match (self.form, &self.public) {
            (LocationForm::Absolute, Some(public)) => Ok(public.to_string()),
            (LocationForm::Absolute, None) => {
                Ok(format!("http://{}{}", authority(parts)?, self.base_path))
            }
            (LocationForm::Relative, Some(public)) => Ok(public.path().to_owned()),
            (LocationForm::Relative, None) => Ok(self.base_path.clone()),
        }
    }

    /// The path the server serves an upload at, for messages.
    pub(super) fn path(&self, id: &UploadId) -> String {
        format!("{}{id}", self.base_path)
    }

    /// The upload a URL of `Upload-Concat` names: an absolute URL (whose
    /// authority is not checked: a proxy may have rewritten it), an
    /// absolute path, or a path relative to the creation URL; under the
    /// base path or the public URL's path.
    pub(super) fn upload_id(&self, url: &str) -> Option<UploadId> {
        let path = match url.split_once("://") {
            Some((_, rest)) => &rest[rest.find('/')?..],
            None if url.starts_with('/') => url,
            None => return UploadId::parse(url),
        };
        let public = self.public.as_ref().map(PublicUrl::path);
        [Some(self.base_path.as_str()), public]
            .into_iter()
            .flatten()
            .find_map(|base| path.strip_prefix(base).and_then(UploadId::parse))
    }
}

/// The authority the client addressed: an absolute-form target's, which
/// wins over `Host` (RFC 9112 §3.2.2), else `Host`'s. A request without a
/// usable one is refused (RFC 9112 §3.2: "A server MUST respond with a 400
/// (Bad Request) status code to any HTTP/1.1 request message that lacks a
/// Host header field [...] or a Host header field with an invalid field
/// value"): the new upload's URL could not be written.
fn authority(parts: &Parts) -> Result<Authority, Rejection> {
    if let Some(authority) = parts.uri.authority() {
        return Ok(authority.clone());
    }
    let host = single(&parts.headers, "host")?.unwrap_or_default();
    host.parse::<Authority>()
        .ok()
        .filter(|a| !a.host().is_empty() && !a.as_str().contains('@'))
        .ok_or_else(|| Rejection::InvalidHost(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(target: &str, host: Option<&str>) -> Parts {
        let mut builder = http::Request::builder().method("POST").uri(target);
        if let Some(host) = host {
            builder = builder.header("host", host);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn locations(form: LocationForm, public: Option<&str>) -> Locations {
        Locations::from_config(&TusConfig {
            location: form,
            public_url: public.map(|p| p.parse().unwrap()),
            ..TusConfig::default()
        })
    }

    #[test]
    fn prefixes() {
        let request = parts("/files/", Some("h.example:8080"));
        let absolute = locations(LocationForm::Absolute, None);
        assert_eq!(
            absolute.prefix(&request).unwrap(),
            "http://h.example:8080/files/"
        );
        assert_eq!(
            absolute
                .prefix(&parts("http://a.example/files/", Some("h")))
                .unwrap(),
            "http://a.example/files/"
        );
        for host in [None, Some(""), Some("a b"), Some("u@h"), Some("h/x")] {
            assert!(
                matches!(
                    absolute.prefix(&parts("/files/", host)),
                    Err(Rejection::InvalidHost(_))
                ),
                "{host:?}"
            );
        }
        let public = "https://up.example/api/";
        assert_eq!(
            locations(LocationForm::Absolute, Some(public))
                .prefix(&request)
                .unwrap(),
            public
        );
        assert_eq!(
            locations(LocationForm::Relative, Some(public))
                .prefix(&request)
                .unwrap(),
            "/api/"
        );
        assert_eq!(
            locations(LocationForm::Relative, None)
                .prefix(&parts("/files/", None))
                .unwrap(),
            "/files/"
        );
    }

    #[test]
    fn concat_urls() {
        let id = UploadId::random();
        let behind = locations(LocationForm::Absolute, Some("https://up.example/api/"));
        for url in [
            format!("/files/{id}"),
            format!("/api/{id}"),
            format!("https://up.example/api/{id}"),
            format!("http://other:1/files/{id}"),
            id.to_string(),
        ] {
            assert_eq!(behind.upload_id(&url), Some(id), "{url}");
        }
        for url in [
            format!("/other/{id}"),
            format!("http://h{id}"),
            "/files/../../etc/passwd".to_owned(),
            format!("../files/{id}"),
        ] {
            assert_eq!(behind.upload_id(&url), None, "{url}");
        }
    }
}
