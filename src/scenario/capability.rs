//! Capabilities as scenarios `require` them and `--capability` names them, typed
//! when they are read: a misspelt name is an error where it is written, not a
//! scenario silently skipped on every run. Each protocol says which names it
//! knows ([`KnownCapabilities`], through `Extensions`), so this module names none.

use std::fmt;

use super::error::suggest;

/// One capability a target may offer, as written (`creation`, `checksum:sha1`,
/// `s3:sigv4`, `s3`), or with a leading `!`, one it must lack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability {
    /// The protocol that offers it.
    pub protocol: &'static str,
    /// Its name as targets are described with it: the protocol's own name for the
    /// protocol itself.
    pub name: String,
    /// Written `!name`: the scenario checks a target without it.
    pub negated: bool,
}

/// The capability names one protocol knows.
#[derive(Clone, Debug)]
pub struct KnownCapabilities {
    pub protocol: &'static str,
    pub names: Vec<String>,
}

/// A capability name no protocol knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCapability {
    pub written: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown capability `{}`", self.written)?;
        match &self.suggestion {
            Some(suggestion) => write!(f, ": did you mean `{suggestion}`?"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for UnknownCapability {}

impl Capability {
    /// The capability `written` names, `!` included, among those of `known`.
    pub fn parse(written: &str, known: &[KnownCapabilities]) -> Result<Self, UnknownCapability> {
        let (negated, name) = match written.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, written),
        };
        known
            .iter()
            .find(|protocol| protocol.names.iter().any(|known| known == name))
            .map(|protocol| Capability {
                protocol: protocol.protocol,
                name: name.to_owned(),
                negated,
            })
            .ok_or_else(|| UnknownCapability {
                written: written.to_owned(),
                suggestion: suggest(
                    name,
                    known
                        .iter()
                        .flat_map(|protocol| protocol.names.iter().map(String::as_str)),
                )
                .map(|name| if negated { format!("!{name}") } else { name }),
            })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<KnownCapabilities> {
        vec![
            KnownCapabilities {
                protocol: "tus",
                names: ["tus", "termination", "checksum:sha1"]
                    .map(String::from)
                    .into(),
            },
            KnownCapabilities {
                protocol: "s3",
                names: ["s3", "s3:sigv4"].map(String::from).into(),
            },
        ]
    }

    #[test]
    fn names_resolve_to_their_protocol_and_negation() {
        let parsed = Capability::parse("!termination", &known()).unwrap();
        assert_eq!(
            (parsed.protocol, parsed.name.as_str(), parsed.negated),
            ("tus", "termination", true)
        );
        let parsed = Capability::parse("s3:sigv4", &known()).unwrap();
        assert_eq!((parsed.protocol, parsed.negated), ("s3", false));
        assert_eq!(parsed.to_string(), "s3:sigv4");
        assert_eq!(
            Capability::parse("checksum:sha1", &known())
                .unwrap()
                .protocol,
            "tus"
        );
    }

    #[test]
    fn an_unknown_name_is_refused_with_a_suggestion() {
        let error = Capability::parse("!terminaton", &known()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown capability `!terminaton`: did you mean `!termination`?"
        );
        assert_eq!(
            Capability::parse("s3:sigv5", &known())
                .unwrap_err()
                .suggestion
                .as_deref(),
            Some("s3:sigv4")
        );
    }
}
