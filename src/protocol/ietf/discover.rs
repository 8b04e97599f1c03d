//! Which interop version of the draft the target speaks: `OPTIONS` naming each
//! version the suite knows, newest first, until one is answered as the draft says
//! a server answers it.
//!
//! Interop version 8 (drafts -09 to -11) answers `OPTIONS` with an `Accept-Patch`
//! listing `application/partial-upload`; the other versions with `Upload-Limit`.
//! Either answer counts for any version, so a server is found at the version it
//! speaks and then checked against what that version requires of `OPTIONS`. A
//! server that speaks the draft but answers neither is checked with
//! `--ietf-version`.

use crate::protocol::Setup;

/// The field naming the interop version, on every request of the draft.
pub const VERSION_HEADER: &str = "Upload-Draft-Interop-Version";

/// The media type of an append, which an `OPTIONS` answer lists in `Accept-Patch`.
const PARTIAL_UPLOAD: &str = "application/partial-upload";

/// The version a run checks, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    pub version: String,
    /// What showed it (the answer, or the setting that chose it).
    pub evidence: String,
}

/// Asks `target` about each of `known` (oldest first), newest first; the first
/// version answered as the draft says, if any. A request that gets no answer
/// only says the target does not speak that version: whether the target can be
/// reached at all is tus discovery's to say, which asks first, and a server that
/// chokes on an unknown field must not lose its tus checks to it.
pub async fn newest_answered(setup: &Setup<'_>, target: &str, known: &[String]) -> Option<Checked> {
    for version in known.iter().rev() {
        let mut request = setup
            .client
            .request(reqwest::Method::OPTIONS, target)
            .timeout(setup.timeout)
            .header(VERSION_HEADER, version.as_str());
        for (name, value) in setup.headers {
            request = request.header(name, value);
        }
        let Ok(response) = request.send().await else {
            continue;
        };
        if let Some(evidence) = answered(response.headers()) {
            return Some(Checked {
                version: version.clone(),
                evidence: format!("OPTIONS answered {evidence}"),
            });
        }
    }
    None
}

/// What in an `OPTIONS` answer shows the draft is spoken, if anything.
fn answered(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let limit = values("Upload-Limit");
    if !limit.is_empty() {
        return Some(format!("Upload-Limit: {limit}"));
    }
    let accepted = values("Accept-Patch");
    accepted
        .split(',')
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(PARTIAL_UPLOAD))
        })
        .then(|| format!("Accept-Patch: {accepted}"))
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::answered;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn upload_limit_or_partial_upload_patches_show_the_draft() {
        assert_eq!(
            answered(&headers(&[("Upload-Limit", "max-size=100")])).as_deref(),
            Some("Upload-Limit: max-size=100")
        );
        assert_eq!(
            answered(&headers(&[(
                "Accept-Patch",
                "application/merge-patch+json, Application/Partial-Upload; q=1"
            )]))
            .as_deref(),
            Some("Accept-Patch: application/merge-patch+json, Application/Partial-Upload; q=1")
        );
    }

    #[test]
    fn a_tus_answer_shows_nothing() {
        assert_eq!(
            answered(&headers(&[
                ("Tus-Version", "1.0.0"),
                ("Accept-Patch", "application/offset+octet-stream")
            ])),
            None
        );
    }
}
