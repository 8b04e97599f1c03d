//! The S3 target's settings, from flags, the standard AWS environment variables and
//! the config file's `s3:` section, in that order of precedence (as every setting).
//!
//! Keys come only from the environment or the config file, never from a flag, so
//! they do not end up in shell history or process listings. A key pair is taken
//! whole from one place: an access key id from the environment is never paired
//! with a secret from the file.

use serde::Deserialize;
use url::Url;

use super::NAME;
use super::sign::Credentials;
use crate::protocol::InvalidSetting;

/// The region signed for when none is configured: the one every S3 implementation
/// accepts by default.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The config file's `s3:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
}

/// What the command line says about S3: the flags of `upspec run`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct S3Flags {
    /// The S3 endpoint under test, e.g. http://127.0.0.1:9000 (scenarios see it as
    /// {{s3_endpoint}}); also AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. Keys come from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the config file); without
    /// them requests go unsigned. With it, --target becomes optional.
    #[arg(long = "s3-endpoint", value_name = "URL")]
    pub endpoint: Option<String>,

    /// An existing bucket to work in (only keys under the run's prefix are cleaned
    /// up); without it, the run creates a bucket of its own and removes it afterwards.
    #[arg(long = "s3-bucket", value_name = "NAME")]
    pub bucket: Option<String>,

    /// The region requests are signed for (also AWS_REGION, AWS_DEFAULT_REGION; default us-east-1).
    #[arg(long = "s3-region", value_name = "REGION")]
    pub region: Option<String>,

    /// Declare an optional S3 feature the target supports (checksum, copy,
    /// conditional_write, tagging, …): scenarios requiring `s3:<feature>` then run.
    #[arg(long = "s3-feature", value_name = "NAME")]
    pub features: Vec<String>,
}

/// A resolved S3 target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Settings {
    /// Without a trailing slash: `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// `None`: the run creates a bucket of its own, and removes it afterwards.
    pub bucket: Option<String>,
    pub region: String,
    /// `None`: requests go unsigned.
    pub credentials: Option<Credentials>,
    /// Declared features (`checksum`, `copy`, …), lowercase: capabilities `s3:<feature>`.
    pub features: Vec<String>,
}

/// Resolves the S3 settings; `None` when no endpoint is configured anywhere.
/// `env` looks up an environment variable (empty values count as unset).
pub fn resolve(
    flags: &S3Flags,
    env: impl Fn(&str) -> Option<String>,
    config: &S3Config,
) -> Result<Option<S3Settings>, InvalidSetting> {
    let env = |name: &str| env(name).filter(|value| !value.is_empty());
    let endpoint = [
        flags.endpoint.clone().map(|e| (e, "--s3-endpoint")),
        env("AWS_ENDPOINT_URL_S3").map(|e| (e, "AWS_ENDPOINT_URL_S3")),
        env("AWS_ENDPOINT_URL").map(|e| (e, "AWS_ENDPOINT_URL")),
        config.endpoint.clone().map(|e| (e, "config s3.endpoint")),
    ]
    .into_iter()
    .flatten()
    .next();
    let Some((endpoint, origin)) = endpoint else {
        return Ok(None);
    };
    let endpoint = normalise_endpoint(&endpoint).map_err(|message| InvalidSetting {
        origin: origin.to_owned(),
        message,
    })?;
    let region = [
        flags.region.clone().map(|r| (r, "--s3-region")),
        env("AWS_REGION").map(|r| (r, "AWS_REGION")),
        env("AWS_DEFAULT_REGION").map(|r| (r, "AWS_DEFAULT_REGION")),
        config.region.clone().map(|r| (r, "config s3.region")),
    ]
    .into_iter()
    .flatten()
    .next();
    let region = match region {
        Some((region, origin)) => {
            if region.is_empty() || !region.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
                return Err(InvalidSetting {
                    origin: origin.to_owned(),
                    message: format!("`{region}` is not a region name"),
                });
            }
            region
        }
        None => DEFAULT_REGION.to_owned(),
    };
    let bucket = match (flags.bucket.clone(), config.bucket.clone()) {
        (Some(bucket), _) => Some((bucket, "--s3-bucket")),
        (None, Some(bucket)) => Some((bucket, "config s3.bucket")),
        (None, None) => None,
    };
    let bucket = bucket
        .map(|(bucket, origin)| {
            check_bucket(&bucket)
                .map(|()| bucket)
                .map_err(|message| InvalidSetting {
                    origin: origin.to_owned(),
                    message,
                })
        })
        .transpose()?;
    let credentials = credentials(&env, config)?;
    let mut features: Vec<String> = config
        .features
        .iter()
        .chain(&flags.features)
        .map(|feature| feature.trim().to_ascii_lowercase())
        .filter(|feature| !feature.is_empty())
        .collect();
    features.sort();
    features.dedup();
    Ok(Some(S3Settings {
        endpoint,
        bucket,
        region,
        credentials,
        features,
    }))
}

fn credentials(
    env: &impl Fn(&str) -> Option<String>,
    config: &S3Config,
) -> Result<Option<Credentials>, InvalidSetting> {
    let from_env = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"));
    let incomplete = |origin: &str, missing: &str| InvalidSetting {
        origin: origin.to_owned(),
        message: format!(
            "{missing} is missing: give both keys, or neither for an anonymous target"
        ),
    };
    match from_env {
        (Some(access_key_id), Some(secret_access_key)) => {
            return Ok(Some(Credentials {
                access_key_id,
                secret_access_key,
                session_token: env("AWS_SESSION_TOKEN"),
            }));
        }
        (Some(_), None) => return Err(incomplete("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
        (None, Some(_)) => return Err(incomplete("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")),
        (None, None) => {}
    }
    let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    match (
        non_empty(&config.access_key_id),
        non_empty(&config.secret_access_key),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Credentials {
            access_key_id,
            secret_access_key,
            session_token: non_empty(&config.session_token),
        })),
        (Some(_), None) => Err(incomplete(
            "config s3.access_key_id",
            "s3.secret_access_key",
        )),
        (None, Some(_)) => Err(incomplete(
            "config s3.secret_access_key",
            "s3.access_key_id",
        )),
        (None, None) => Ok(None),
    }
}

/// `http(s)://host[:port][/path]`, without a trailing slash, query or fragment; the
/// host lowercased as URLs serialise it, so requests are recognised as the target's.
fn normalise_endpoint(text: &str) -> Result<String, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{text}` is not an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}` has a query or fragment; give the bare endpoint"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// S3's bucket naming rules, since the name goes into every URL path unescaped.
fn check_bucket(name: &str) -> Result<(), String> {
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a bucket name (3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit)"
        ))
    }
}

impl S3Settings {
    /// The capabilities an S3 target gives scenarios: `s3`, `s3:<feature>` for each
    /// declared feature (S3 cannot be asked what it supports), and `s3:sigv4` when
    /// keys are configured, for scenarios about signatures.
    pub fn capabilities(&self) -> Vec<String> {
        let mut names = vec![NAME.to_owned()];
        names.extend(self.features.iter().map(|feature| capability(feature)));
        if self.credentials.is_some() {
            names.push(capability(SIGV4));
        }
        names
    }
}

/// The optional features scenarios know, each `s3:<feature>` when declared.
pub const FEATURES: &[&str] = &[
    "checksum",
    "conditional_write",
    "copy",
    "object_attributes",
    "sse_c",
    "sse_kms",
    "sse_s3",
    "tagging",
];

/// Given by configured keys, for the scenarios about signatures.
const SIGV4: &str = "sigv4";

/// The capability of a feature: `s3:<feature>`.
fn capability(feature: &str) -> String {
    format!("{NAME}:{feature}")
}

/// Every capability an S3 target can have, for the names scenarios may require.
pub fn known_capabilities() -> Vec<String> {
    std::iter::once(NAME.to_owned())
        .chain(FEATURES.iter().chain([&SIGV4]).map(|f| capability(f)))
        .collect()
}

/// The bucket a run creates when none is configured: unique per run, and
/// recognisable as upspec's should a cleanup ever fail.
pub fn run_bucket_name(run_id: &str) -> String {
    let short: String = run_id.chars().take(12).collect();
    format!("upspec-{}", short.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_configured_means_no_s3_target() {
        let settings = resolve(&S3Flags::default(), env(&[]), &S3Config::default()).unwrap();
        assert_eq!(settings, None);
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_the_config_file() {
        let config = S3Config {
            endpoint: Some("http://config:1".into()),
            region: Some("config-region".into()),
            bucket: Some("config-bucket".into()),
            access_key_id: Some("config-id".into()),
            secret_access_key: Some("config-secret".into()),
            features: vec!["Copy".into()],
            ..S3Config::default()
        };
        let environment = env(&[
            ("AWS_ENDPOINT_URL", "http://generic:3"),
            ("AWS_ENDPOINT_URL_S3", "http://s3-env:2/"),
            ("AWS_DEFAULT_REGION", "default-region"),
            ("AWS_REGION", "env-region"),
            ("AWS_ACCESS_KEY_ID", "env-id"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_SESSION_TOKEN", "env-token"),
        ]);
        let from_env = resolve(&S3Flags::default(), &environment, &config)
            .unwrap()
            .unwrap();
        assert_eq!(from_env.endpoint, "http://s3-env:2");
        assert_eq!(from_env.region, "env-region");
        assert_eq!(from_env.bucket.as_deref(), Some("config-bucket"));
        let credentials = from_env.credentials.unwrap();
        assert_eq!(credentials.access_key_id, "env-id");
        assert_eq!(credentials.session_token.as_deref(), Some("env-token"));
        let flags = S3Flags {
            endpoint: Some("HTTP://Flag:4/".into()),
            bucket: Some("flag-bucket".into()),
            region: Some("flag-region".into()),
            features: vec!["checksum".to_owned()],
        };
        let from_flags = resolve(&flags, &environment, &config).unwrap().unwrap();
        assert_eq!(from_flags.endpoint, "http://flag:4");
        assert_eq!(from_flags.region, "flag-region");
        assert_eq!(from_flags.bucket.as_deref(), Some("flag-bucket"));
        assert_eq!(from_flags.features, ["checksum", "copy"]);
        let from_file = resolve(&S3Flags::default(), env(&[]), &config)
            .unwrap()
            .unwrap();
        assert_eq!(from_file.endpoint, "http://config:1");
        assert_eq!(from_file.credentials.unwrap().access_key_id, "config-id");
        let generic = resolve(
            &S3Flags::default(),
            env(&[("AWS_ENDPOINT_URL", "http://generic:3")]),
            &S3Config::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(generic.endpoint, "http://generic:3");
        assert_eq!(generic.region, DEFAULT_REGION);
        assert_eq!(generic.credentials, None);
    }

    #[test]
    fn half_a_key_pair_and_bad_values_are_refused() {
        let flags = S3Flags {
            endpoint: Some("http://127.0.0.1:9000".into()),
            ..S3Flags::default()
        };
        let error = resolve(
            &flags,
            env(&[("AWS_ACCESS_KEY_ID", "id")]),
            &S3Config::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("AWS_SECRET_ACCESS_KEY is missing"),
            "{error}"
        );
        let config = S3Config {
            secret_access_key: Some("s".into()),
            ..S3Config::default()
        };
        assert!(resolve(&flags, env(&[]), &config).is_err());
        for endpoint in ["ftp://h", "not a url", "http://h/?x=1"] {
            let flags = S3Flags {
                endpoint: Some(endpoint.into()),
                ..S3Flags::default()
            };
            assert!(
                resolve(&flags, env(&[]), &S3Config::default()).is_err(),
                "{endpoint}"
            );
        }
        for bucket in ["ab", "Upper", "-start", "a/b"] {
            let flags = S3Flags {
                endpoint: Some("http://h".into()),
                bucket: Some(bucket.into()),
                ..S3Flags::default()
            };
            assert!(
                resolve(&flags, env(&[]), &S3Config::default()).is_err(),
                "{bucket}"
            );
        }
    }

    #[test]
    fn run_buckets_are_valid_names() {
        let name = run_bucket_name("0123456789ABCDEF");
        assert_eq!(name, "upspec-0123456789ab");
        assert!(check_bucket(&name).is_ok());
    }
}
