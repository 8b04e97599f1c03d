//! Asks the target what it supports before any scenario runs, so scenarios for
//! features it does not offer are reported as skipped (with the reason) instead
//! of as failures.
//!
//! tus makes this explicit: `OPTIONS` on the creation endpoint answers
//! `Tus-Version`, `Tus-Extension`, `Tus-Max-Size` and `Tus-Checksum-Algorithm`.
//! A target that does not say it speaks 1.0.0 is still checked as a tus
//! server (it was given as one), and the scenarios about `Tus-Version` fail.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::protocol::{Capabilities, DiscoveryError};
use crate::scenario::model::DigestAlgorithm;
use crate::wire::describe;

/// The capability every tus 1.0.0 scenario needs; extensions are named as in `Tus-Extension`.
pub const TUS: &str = "tus";

/// The target sends `Tus-Max-Size`: the scenarios about its format need one to read.
pub const MAX_SIZE: &str = "max-size";

/// The extensions scenarios know, named as in `Tus-Extension`.
const EXTENSIONS: &[&str] = &[
    "checksum",
    "checksum-trailer",
    "concatenation",
    "concatenation-unfinished",
    "creation",
    "creation-defer-length",
    "creation-with-upload",
    "expiration",
    "termination",
];

/// A target that serves a GET of an upload's bytes: not a tus extension, so only
/// `--capability download` says so.
pub const DOWNLOAD: &str = "download";

/// The checksum algorithm `algorithm` (as in `Tus-Checksum-Algorithm`), as a capability.
fn checksum(algorithm: &str) -> String {
    format!("checksum:{algorithm}")
}

/// Every capability a tus target can have, for the names scenarios may require.
pub fn known_capabilities() -> Vec<String> {
    [TUS, MAX_SIZE, DOWNLOAD]
        .into_iter()
        .chain(EXTENSIONS.iter().copied())
        .map(str::to_owned)
        .chain(DigestAlgorithm::ALL.map(|algorithm| checksum(algorithm.as_str())))
        .collect()
}

/// Sends `OPTIONS target` (without `Tus-Resumable`, as the spec allows) and reads the tus headers.
pub async fn discover(
    client: &reqwest::Client,
    target: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<Capabilities, DiscoveryError> {
    let error = |reason: String| DiscoveryError {
        target: target.to_owned(),
        reason,
    };
    let mut request = client
        .request(reqwest::Method::OPTIONS, target)
        .timeout(timeout);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| error(describe(&e)))?;
    let mut capabilities = Capabilities::default();
    capabilities.facts.insert(
        "OPTIONS status".into(),
        response.status().as_u16().to_string(),
    );
    let header = |name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let versions = header("Tus-Version");
    let speaks_tus = versions.split(',').any(|v| v.trim() == "1.0.0");
    let mut tus_fields = !header("Tus-Resumable").is_empty();
    for name in [
        "Tus-Version",
        "Tus-Extension",
        "Tus-Max-Size",
        "Tus-Checksum-Algorithm",
    ] {
        let value = header(name);
        if !value.is_empty() {
            tus_fields = true;
            capabilities.facts.insert(name.to_owned(), value);
        }
    }
    // The target was given as a tus endpoint, so it is checked as one even when its
    // OPTIONS answer does not say so: skipping every tus scenario would let a server
    // that forgets `Tus-Version` pass. The OPTIONS scenarios (TUS-CORE-GEN-VERSION)
    // fail on the missing version instead, and everything else still runs. Any tus
    // field in the answer says the target is a tus server; with none, it is only
    // assumed to be one, unless it says it speaks another protocol
    // (`Capabilities::settle_assumed`).
    if tus_fields {
        capabilities.names.insert(TUS.to_owned());
        capabilities.spoken.insert(TUS.to_owned());
    } else {
        capabilities.assumed.insert(TUS.to_owned());
    }
    if !speaks_tus {
        let said = if versions.is_empty() {
            "nothing"
        } else {
            &versions
        };
        capabilities.facts.insert(
            "Tus-Version".to_owned(),
            format!("{said} (1.0.0 not advertised)"),
        );
    }
    let max_size = header("Tus-Max-Size");
    if !max_size.is_empty() {
        capabilities.names.insert(MAX_SIZE.to_owned());
        if let Ok(limit) = max_size.trim().parse::<u64>() {
            capabilities.variables = sized_to(limit);
        }
    }
    capabilities.names.extend(list(&header("Tus-Extension")));
    capabilities
        .names
        .extend(list(&header("Tus-Checksum-Algorithm")).map(|algorithm| checksum(&algorithm)));
    Ok(capabilities)
}

/// The variable holding the target's `Tus-Max-Size`.
pub const MAX_SIZE_VARIABLE: &str = "tus_max_size";

/// The variable sizing one PATCH of the scenarios that are not about limits.
pub const CHUNK_SIZE_VARIABLE: &str = "tus_chunk_size";

/// What scenarios send by default in one PATCH when they are not about limits.
const CHUNK_SIZE: u64 = 1024 * 1024;

/// The variables a discovered `Tus-Max-Size` settles: the limit itself, for the
/// scenarios about it, and a PATCH size that lets two chunks fit in one upload,
/// so scenarios that are not about limits never trip over this one.
fn sized_to(limit: u64) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::from([(MAX_SIZE_VARIABLE.to_owned(), limit.to_string())]);
    if limit < 2 * CHUNK_SIZE {
        variables.insert(
            CHUNK_SIZE_VARIABLE.to_owned(),
            (limit / 2).max(1).to_string(),
        );
    }
    variables
}

fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(|item| item.trim().to_ascii_lowercase())
        .filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::sized_to;

    #[test]
    fn a_small_max_size_shrinks_the_chunks_to_fit() {
        assert_eq!(sized_to(1 << 30).get("tus_chunk_size"), None);
        assert_eq!(
            sized_to(1 << 30).get("tus_max_size").map(String::as_str),
            Some("1073741824")
        );
        assert_eq!(
            sized_to(1 << 20).get("tus_chunk_size").map(String::as_str),
            Some("524288")
        );
        assert_eq!(
            sized_to(0).get("tus_chunk_size").map(String::as_str),
            Some("1")
        );
    }
}
