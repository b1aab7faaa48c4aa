//! Diagnostics for user files (scenarios, apiparity.yaml, baselines): each one names the
//! file, line and column, and renders like rustc with the source line underneath.

use std::fmt;
use std::path::PathBuf;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::input::yaml::Span;

/// A problem in a user file, at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// Short label under the caret (e.g. "unknown key").
    pub label: Option<String>,
    /// "did you mean `expect`?" and similar.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without label or help.
    pub fn new(file: impl Into<PathBuf>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            span,
            message: message.into(),
            label: None,
            help: None,
        }
    }
    /// Adds the short label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders with the offending source line; `color` adds ANSI styling.
    pub fn render(&self, source: Option<&str>, color: bool) -> String {
        let path = self.file.display().to_string();
        let title = format!("{} ({}:{})", self.message, path, self.span);
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let line_text = source.and_then(|s| s.lines().nth(self.span.line.saturating_sub(1)));
        let mut groups = Vec::new();
        match line_text {
            Some(line) => {
                // Point at the token that starts at the column: up to the next space,
                // colon or bracket, at least one character.
                let start = line
                    .char_indices()
                    .nth(self.span.col.saturating_sub(1))
                    .map(|(i, _)| i)
                    .unwrap_or(line.len());
                let len = line[start..]
                    .find([' ', ':', ',', ']', '}'])
                    .unwrap_or(line.len() - start)
                    .max(1);
                let end = (start + len).min(line.len()).max(start);
                let mut ann = AnnotationKind::Primary.span(start..end);
                if let Some(label) = &self.label {
                    ann = ann.label(label.as_str());
                }
                groups.push(
                    Level::ERROR.primary_title(title.as_str()).element(
                        Snippet::source(line)
                            .line_start(self.span.line)
                            .path(path.as_str())
                            .annotation(ann),
                    ),
                );
            }
            None => groups.push(Group::with_title(
                Level::ERROR.primary_title(title.as_str()),
            )),
        }
        if let Some(help) = &self.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        renderer.render(&groups).to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.span, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Many diagnostics at once: apiparity reports every problem it finds, not just the first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Adds a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Renders all, reading each file once for its source lines.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        let mut cache: Vec<(PathBuf, Option<String>)> = Vec::new();
        for d in &self.0 {
            if !cache.iter().any(|(p, _)| p == &d.file) {
                // The same safe read as loading: a FIFO or device named in a diagnostic is
                // not opened to show its "source line".
                cache.push((d.file.clone(), super::source::read(&d.file).ok()));
            }
            let source = cache
                .iter()
                .find(|(p, _)| p == &d.file)
                .and_then(|(_, s)| s.as_deref());
            out.push_str(&d.render(source, color));
            out.push_str("\n\n");
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// "did you mean …?": the closest candidate within a small edit distance.
pub fn did_you_mean<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(given, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_source_line_and_help() {
        let d = Diagnostic::new("s.yaml", Span { line: 2, col: 3 }, "unknown key `expct`")
            .label("unknown key")
            .help("did you mean `expect`?");
        let out = d.render(Some("steps:\n  expct: 1\n"), false);
        assert!(out.contains("s.yaml:2:3"), "{out}");
        assert!(out.contains("expct: 1"), "{out}");
        assert!(out.contains("did you mean `expect`?"), "{out}");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("expct", &["expect", "request"]),
            Some("expect")
        );
        assert_eq!(did_you_mean("zzzzzz", &["expect", "request"]), None);
    }
}
