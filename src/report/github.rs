//! GitHub Actions workflow commands: failures become `::error` annotations on the
//! scenario's YAML line, so a pull request shows them where they are written.

use std::io::{self, Write};

use super::{Event, Reporter};
use crate::verdict::{ScenarioRecord, Verdict};

pub struct GithubReporter<W> {
    out: W,
}

impl<W: Write + Send> GithubReporter<W> {
    pub fn new(out: W) -> Self {
        GithubReporter { out }
    }
}

/// The workflow-command escaping of a message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values also escape `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn annotation(record: &ScenarioRecord) -> Option<String> {
    let command = match record.verdict {
        Verdict::Failed | Verdict::Errored => "error",
        Verdict::Warned => "warning",
        Verdict::Passed
        | Verdict::Noted
        | Verdict::Known
        | Verdict::Inconclusive
        | Verdict::Skipped => return None,
    };
    let failure = record.result.as_ref()?.outcome.failure()?;
    Some(format!(
        "::{command} file={},line={},col={},title={}::{}",
        escape_property(&failure.span.file),
        failure.span.line,
        failure.span.column,
        escape_property(&format!(
            "{} [{}]",
            record.scenario.name(),
            record.scenario.level
        )),
        escape_data(&format!("{}: {}", failure.step, failure.kind)),
    ))
}

impl<W: Write + Send> Reporter for GithubReporter<W> {
    fn on_event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Event::RunFinished { records, .. } = event {
            for line in records.iter().filter_map(annotation) {
                writeln!(self.out, "{line}")?;
            }
            self.out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_documents() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("tus::core, x"), "tus%3A%3Acore%2C x");
    }
}
