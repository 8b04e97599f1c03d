//! Run settings from three places, in order of precedence: command-line flags,
//! environment variables (`UPSPEC_TARGET`, `UPSPEC_VAR_<name>`, …), and the config
//! file (`--config FILE`). Secrets belong in the environment: a header written as
//! `Authorization: Bearer {{token}}` in the config takes `token` from `UPSPEC_VAR_token`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::protocol::{self, ietf::settings::IetfConfig, s3::settings::S3Config};
use crate::scenario::scalar::Scalar;
use crate::scenario::source::Source;
use crate::scenario::template::{RenderError, Template};
use crate::scenario::units;

pub mod error;

pub use self::error::SettingsError;

/// Prefix of environment variables that set scenario variables.
pub const VAR_ENV_PREFIX: &str = "UPSPEC_VAR_";

/// The config file, as written. Every key is optional; flags override it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub target: Option<String>,
    pub specs: Option<PathBuf>,
    #[serde(default)]
    pub headers: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub vars: BTreeMap<String, Scalar>,
    pub seed: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub scenario_timeout: Option<Duration>,
    pub strict: Option<bool>,
    pub discovery: Option<bool>,
    #[serde(default)]
    pub capabilities: CapabilityOverrides,
    /// The S3 target: see `crate::protocol::s3::settings`. Sections of protocols
    /// that cannot be asked what they offer sit beside the generic keys.
    #[serde(default)]
    pub s3: S3Config,
    /// The interop version of the IETF draft to check: see `crate::protocol::ietf::settings`.
    #[serde(default)]
    pub ietf: IetfConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityOverrides {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|error| SettingsError::ConfigRead {
            path: path.to_owned(),
            error,
        })?;
        let name: Arc<str> = Arc::from(path.display().to_string());
        Source {
            name: &name,
            text: &text,
        }
        .parse()
        .map_err(SettingsError::Config)
    }
}

/// Resolves every protocol's settings from its flags, the environment (`env`
/// looks a variable up) and its section of `config`.
pub fn protocol_settings(
    flags: &protocol::Flags,
    env: impl Fn(&str) -> Option<String>,
    config: &ConfigFile,
) -> Result<protocol::Settings, SettingsError> {
    Ok(protocol::Settings {
        s3: protocol::s3::settings::resolve(&flags.s3, &env, &config.s3)?,
        ietf: protocol::ietf::settings::resolve(&flags.ietf, &env, &config.ietf)?,
    })
}

/// `Name: value` from `-H`.
pub fn parse_header(text: &str) -> Result<(String, String), SettingsError> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(SettingsError::Invalid {
            origin: format!("-H '{text}'"),
            message: "write a header as 'Name: value'".into(),
        }),
    }
}

/// `name=value` from `--var`.
pub fn parse_var(text: &str) -> Result<(String, String), SettingsError> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(SettingsError::Invalid {
            origin: format!("--var '{text}'"),
            message: "write a variable as name=value".into(),
        }),
    }
}

/// Scenario variables from `UPSPEC_VAR_<name>` in `env`.
pub fn vars_from_env(env: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    env.into_iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(VAR_ENV_PREFIX)?;
            (!name.is_empty()).then(|| (name.to_owned(), value))
        })
        .collect()
}

/// A duration in the config file (`30s`), parsed as it is read so that a bad one
/// is reported at its place in the file.
fn duration<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    units::parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Renders header values (which may read variables such as secrets) once per run.
pub fn render_headers(
    headers: &[(String, String)],
    vars: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, SettingsError> {
    headers
        .iter()
        .map(|(name, value)| {
            let invalid = |message: String| SettingsError::Invalid {
                origin: format!("header {name}"),
                message,
            };
            let template = Template::parse(value).map_err(|e| invalid(e.message))?;
            let rendered = template
                .render(|var| vars.get(var).map(String::as_str))
                .map_err(|error| match error {
                    RenderError::Unset(unset) => invalid(format!(
                        "{unset}: set it with --var {0}=… or {VAR_ENV_PREFIX}{0}",
                        unset.0
                    )),
                    not_a_number => invalid(not_a_number.to_string()),
                })?;
            Ok((name.clone(), rendered))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_vars_parse() {
        assert_eq!(
            parse_header("Authorization: Bearer x:y").unwrap(),
            ("Authorization".into(), "Bearer x:y".into())
        );
        assert!(parse_header("no colon").is_err());
        assert_eq!(parse_var("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_var("=x").is_err());
    }

    #[test]
    fn env_vars_and_secret_headers() {
        let vars = vars_from_env([
            ("UPSPEC_VAR_token".to_string(), "s3cret".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ]);
        assert_eq!(vars.len(), 1);
        let headers = render_headers(
            &[("Authorization".into(), "Bearer {{token}}".into())],
            &vars,
        )
        .unwrap();
        assert_eq!(headers[0].1, "Bearer s3cret");
        let missing = render_headers(&[("X".into(), "{{nope}}".into())], &vars).unwrap_err();
        assert!(missing.to_string().contains("UPSPEC_VAR_nope"));
    }

    #[test]
    fn config_file_rejects_unknown_keys_with_location() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upspec.yaml");
        std::fs::write(&path, "target: http://x/\ntimout: 5s\n").unwrap();
        let error = ConfigFile::read(&path).unwrap_err().to_string();
        assert!(error.contains("timout"), "{error}");
        assert!(error.contains(":2:1"), "{error}");
        std::fs::write(
            &path,
            "target: http://x/\nvars: { n: 5 }\nheaders: { A: b }\n",
        )
        .unwrap();
        let config = ConfigFile::read(&path).unwrap();
        assert_eq!(config.vars["n"].0, "5");
        std::fs::write(
            &path,
            "s3:\n  endpoint: http://127.0.0.1:9000\n  features: [checksum]\n  regoin: x\n",
        )
        .unwrap();
        let error = ConfigFile::read(&path).unwrap_err().to_string();
        assert!(error.contains("regoin"), "{error}");
        assert!(error.contains(":4:3"), "{error}");
    }
}
