//! The IETF draft's section of the server's configuration: whether it is
//! on and the limits it announces in `Upload-Limit` and enforces. It shares
//! the tus listener and base path, so it has no address of its own.

use serde::Deserialize;

/// The draft's settings. `Default`: on, uploads up to [`DEFAULT_MAX_SIZE`],
/// no other limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IetfConfig {
    /// Answer requests carrying a supported `Upload-Draft-Interop-Version`
    /// (and no `Tus-Resumable`). Off: tus answers every request, as before.
    pub enabled: bool,
    /// `max-size`: the longest representation accepted (longer creations get
    /// 413; appends past it invalidate the upload). `None` is no limit,
    /// which leaves the work one upload can cause unbounded.
    pub max_size: Option<u64>,
    /// `min-size`: a creation whose length is known and below this is not
    /// made resumable (400). 0, the default, refuses nothing.
    pub min_size: u64,
    /// `max-append-size`: the most content one append may carry (413
    /// beyond), and from interop version 9 one creation too.
    pub max_append_size: Option<u64>,
    /// `min-append-size`: the least content one append may carry unless it
    /// completes the upload (400 below); 0, the default, refuses nothing.
    pub min_append_size: u64,
}

/// The default largest upload, as for tus: 1 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

impl Default for IetfConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_size: Some(DEFAULT_MAX_SIZE),
            min_size: 0,
            max_append_size: None,
            min_append_size: 0,
        }
    }
}

/// The `ietf:` section of the config file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IetfFile {
    pub enabled: Option<bool>,
    pub max_size: Option<u64>,
    pub min_size: Option<u64>,
    pub max_append_size: Option<u64>,
    pub min_append_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IetfConfigError {
    #[error("ietf: {min_key} ({min}) is above {max_key} ({max})")]
    MinAboveMax {
        min_key: &'static str,
        min: u64,
        max_key: &'static str,
        max: u64,
    },
}

impl IetfConfig {
    /// Overlays the keys present in `file`.
    pub fn apply(&mut self, file: IetfFile) {
        let IetfFile {
            enabled,
            max_size,
            min_size,
            max_append_size,
            min_append_size,
        } = file;
        if let Some(enabled) = enabled {
            self.enabled = enabled;
        }
        if let Some(max) = max_size {
            self.max_size = Some(max);
        }
        if let Some(min) = min_size {
            self.min_size = min;
        }
        if let Some(max) = max_append_size {
            self.max_append_size = Some(max);
        }
        if let Some(min) = min_append_size {
            self.min_append_size = min;
        }
    }

    /// Limits that no upload could meet are refused.
    pub fn validate(&self) -> Result<(), IetfConfigError> {
        let pairs = [
            ("min_size", self.min_size, "max_size", self.max_size),
            (
                "min_append_size",
                self.min_append_size,
                "max_append_size",
                self.max_append_size,
            ),
        ];
        for (min_key, min, max_key, max) in pairs {
            if let Some(max) = max
                && min > max
            {
                return Err(IetfConfigError::MinAboveMax {
                    min_key,
                    min,
                    max_key,
                    max,
                });
            }
        }
        Ok(())
    }
}
