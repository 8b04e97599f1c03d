//! The tus extensions, spelled as they appear in `Tus-Extension`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One tus 1.0.0 extension. The declaration order is the order in which
/// `Tus-Extension` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Extension {
    Creation,
    CreationWithUpload,
    CreationDeferLength,
    Expiration,
    Checksum,
    ChecksumTrailer,
    Termination,
    Concatenation,
    ConcatenationUnfinished,
}

impl Extension {
    pub const ALL: [Extension; 9] = [
        Self::Creation,
        Self::CreationWithUpload,
        Self::CreationDeferLength,
        Self::Expiration,
        Self::Checksum,
        Self::ChecksumTrailer,
        Self::Termination,
        Self::Concatenation,
        Self::ConcatenationUnfinished,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Creation => "creation",
            Self::CreationWithUpload => "creation-with-upload",
            Self::CreationDeferLength => "creation-defer-length",
            Self::Expiration => "expiration",
            Self::Checksum => "checksum",
            Self::ChecksumTrailer => "checksum-trailer",
            Self::Termination => "termination",
            Self::Concatenation => "concatenation",
            Self::ConcatenationUnfinished => "concatenation-unfinished",
        }
    }

    /// The extension this one builds on, which must be enabled with it.
    /// Creation-with-upload's MUST (P:L387-391) and the others' plain
    /// dependencies: uploads are made by creation, a trailer carries a
    /// checksum, unfinished concatenation is a kind of concatenation.
    pub fn requires(self) -> Option<Extension> {
        match self {
            Self::CreationWithUpload | Self::CreationDeferLength | Self::Concatenation => {
                Some(Self::Creation)
            }
            Self::ChecksumTrailer => Some(Self::Checksum),
            Self::ConcatenationUnfinished => Some(Self::Concatenation),
            Self::Creation | Self::Expiration | Self::Checksum | Self::Termination => None,
        }
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown tus extension {0:?} (known: creation, creation-with-upload, creation-defer-length, expiration, checksum, checksum-trailer, termination, concatenation, concatenation-unfinished)"
)]
pub struct UnknownExtension(pub String);

impl FromStr for Extension {
    type Err = UnknownExtension;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| UnknownExtension(s.to_owned()))
    }
}
