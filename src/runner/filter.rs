//! Which scenarios a run selects by name: `FILTER`, `--exact` and `--skip`, as
//! `cargo test` reads them, so a user's habits carry over.

/// The name filters of one run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// A scenario runs when its name contains one of these (all run when empty).
    pub patterns: Vec<String>,
    /// A scenario is left out when its name contains one of these.
    pub skips: Vec<String>,
    /// Patterns and skips must equal the whole name.
    pub exact: bool,
}

impl Filter {
    /// Whether the run selects the scenario named `name`.
    pub fn selects(&self, name: &str) -> bool {
        let matches = |pattern: &String| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.patterns.is_empty() || self.patterns.iter().any(matches))
            && !self.skips.iter().any(matches)
    }

    /// The filters as the user wrote them, for a message about what they matched.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.patterns.iter().map(|p| format!("`{p}`")).collect();
        parts.extend(self.skips.iter().map(|s| format!("--skip `{s}`")));
        if self.exact {
            parts.push("--exact".to_owned());
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::Filter;

    fn filter(patterns: &[&str], skips: &[&str], exact: bool) -> Filter {
        Filter {
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            skips: skips.iter().map(|s| s.to_string()).collect(),
            exact,
        }
    }

    #[test]
    fn substrings_select_and_skips_leave_out() {
        let f = filter(&["core"], &["patch"], false);
        assert!(f.selects("tus::core::head::x"));
        assert!(!f.selects("tus::core::patch::x"));
        assert!(!f.selects("s3::multipart::x"));
        assert!(Filter::default().selects("anything"));
    }

    #[test]
    fn exact_compares_whole_names() {
        let f = filter(&["tus::core::head::x"], &[], true);
        assert!(f.selects("tus::core::head::x"));
        assert!(!f.selects("tus::core::head::xy"));
        assert!(!filter(&[], &["a"], true).selects("a"));
        assert!(filter(&[], &["a"], true).selects("ab"));
    }
}
