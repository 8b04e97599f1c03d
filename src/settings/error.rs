//! Why the settings of a run do not hold together: the run cannot start.

use std::fmt;
use std::path::PathBuf;

use crate::protocol::InvalidSetting;
use crate::scenario::error::LoadError;

/// A settings problem: the run cannot start (exit code 2).
#[derive(Debug)]
pub enum SettingsError {
    ConfigRead {
        path: PathBuf,
        error: std::io::Error,
    },
    /// What is wrong in the config file, located and drawn as scenario-file errors are.
    Config(Box<LoadError>),
    /// A flag, environment variable or config value that does not parse.
    Invalid { origin: String, message: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::ConfigRead { path, error } => {
                write!(f, "cannot read the config file {}: {error}", path.display())
            }
            SettingsError::Config(error) => write!(f, "{}", error.render_without_level()),
            SettingsError::Invalid { origin, message } => write!(f, "{origin}: {message}"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl From<InvalidSetting> for SettingsError {
    fn from(InvalidSetting { origin, message }: InvalidSetting) -> Self {
        SettingsError::Invalid { origin, message }
    }
}
