//! The interop version a run checks, when the user sets it rather than letting
//! discovery find the newest the target answers to: `--ietf-version`, then
//! `UPSPEC_IETF_VERSION`, then the config file's `ietf.version`.

use serde::Deserialize;

use crate::protocol::InvalidSetting;

/// The config file's `ietf:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IetfConfig {
    pub version: Option<String>,
}

/// What the command line says about the draft: the flags of `upspec run`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct IetfFlags {
    /// Check the IETF resumable-upload draft at this interop version (the value of
    /// Upload-Draft-Interop-Version, e.g. 9) instead of the newest one the target
    /// answers to; also UPSPEC_IETF_VERSION. Checks the target as a server of the
    /// draft even when its OPTIONS answer does not say so.
    #[arg(long = "ietf-version", value_name = "N")]
    pub version: Option<String>,
}

/// The interop version the user set, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IetfSettings {
    pub version: String,
    /// `--ietf-version`, the environment variable or the config key.
    pub origin: &'static str,
}

/// Resolves the version setting; `None` when nothing sets one. `env` looks up an
/// environment variable (empty values count as unset). Whether the suite knows
/// the version is checked when the run is assembled, against its catalogue.
pub fn resolve(
    flags: &IetfFlags,
    env: impl Fn(&str) -> Option<String>,
    config: &IetfConfig,
) -> Result<Option<IetfSettings>, InvalidSetting> {
    let set = [
        flags.version.clone().map(|v| (v, "--ietf-version")),
        env("UPSPEC_IETF_VERSION")
            .filter(|v| !v.is_empty())
            .map(|v| (v, "UPSPEC_IETF_VERSION")),
        config.version.clone().map(|v| (v, "config ietf.version")),
    ]
    .into_iter()
    .flatten()
    .next();
    let Some((version, origin)) = set else {
        return Ok(None);
    };
    let version = version.trim().to_owned();
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidSetting {
            origin: origin.to_owned(),
            message: format!("`{version}` is not an interop version (a number, such as 9)"),
        });
    }
    Ok(Some(IetfSettings { version, origin }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_and_the_file() {
        let flags = IetfFlags {
            version: Some("8".into()),
        };
        let config = IetfConfig {
            version: Some("6".into()),
        };
        let env = |_: &str| Some("9".to_owned());
        let set = resolve(&flags, env, &config).unwrap().unwrap();
        assert_eq!((set.version.as_str(), set.origin), ("8", "--ietf-version"));
        let set = resolve(&IetfFlags::default(), env, &config)
            .unwrap()
            .unwrap();
        assert_eq!(set.origin, "UPSPEC_IETF_VERSION");
        let set = resolve(&IetfFlags::default(), |_| None, &config)
            .unwrap()
            .unwrap();
        assert_eq!(
            (set.version.as_str(), set.origin),
            ("6", "config ietf.version")
        );
        assert_eq!(
            resolve(&IetfFlags::default(), |_| None, &IetfConfig::default()).unwrap(),
            None
        );
    }

    #[test]
    fn a_version_is_a_number() {
        let flags = IetfFlags {
            version: Some("nine".into()),
        };
        let error = resolve(&flags, |_| None, &IetfConfig::default()).unwrap_err();
        assert_eq!(error.origin, "--ietf-version");
        assert!(error.message.contains("`nine` is not an interop version"));
    }
}
