//! Why the settings of a run do not hold together: the run cannot start.

use std::fmt;
use std::path::PathBuf;

/// A settings problem: the run cannot start (exit code 2).
#[derive(Debug)]
pub enum SettingsError {
    ConfigRead {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The config file's parse error, already rendered with its location.
    ConfigParse { path: PathBuf, rendered: String },
    /// A flag, environment variable or config value that does not parse.
    Invalid { origin: String, message: String },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::ConfigRead { path, error } => {
                write!(f, "cannot read the config file {}: {error}", path.display())
            }
            SettingsError::ConfigParse { path, rendered } => {
                write!(f, "invalid config file {}:\n{rendered}", path.display())
            }
            SettingsError::Invalid { origin, message } => write!(f, "{origin}: {message}"),
        }
    }
}

impl std::error::Error for SettingsError {}
