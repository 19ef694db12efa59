//! Diagnostics: every problem found in a template, a row or a pass, with a
//! location and a severity. Nothing is dropped silently; it becomes one of these.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Wallet would reject the pass, or the input cannot be used.
    Error,
    /// Accepted, but suspicious or shown badly.
    Warning,
    /// Worth knowing (for example a key the engine does not know, kept as is).
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        })
    }
}

/// Where inside a file a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file.
    File,
    /// A JSON pointer (RFC 6901) into a JSON document, e.g. `/eventTicket/primaryFields/0/value`.
    Pointer(String),
    /// A 1-based line and column.
    LineColumn(usize, usize),
    /// A 1-based line.
    Line(usize),
}

/// One problem, with the file it was found in, where, how bad and a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error, warning or info.
    pub severity: Severity,
    /// The file, relative to the template folder or the pass archive.
    pub file: String,
    /// Where inside the file.
    pub location: Location,
    /// A stable machine-readable code such as `pass.duplicate_field_key`.
    pub code: &'static str,
    /// A human sentence saying what is wrong and, where possible, what to do.
    pub message: String,
}

impl Diagnostic {
    /// A new diagnostic.
    pub fn new(
        severity: Severity,
        file: impl Into<String>,
        location: Location,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            file: file.into(),
            location,
            code,
            message: message.into(),
        }
    }

    /// An error.
    pub fn error(
        file: impl Into<String>,
        location: Location,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, file, location, code, message)
    }

    /// A warning.
    pub fn warning(
        file: impl Into<String>,
        location: Location,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, file, location, code, message)
    }

    /// An info note.
    pub fn info(
        file: impl Into<String>,
        location: Location,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Info, file, location, code, message)
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.file)?;
        match &self.location {
            Location::File => {}
            Location::Pointer(p) if p.is_empty() => {}
            Location::Pointer(p) => write!(f, "#{p}")?,
            Location::LineColumn(l, c) => write!(f, ":{l}:{c}")?,
            Location::Line(l) => write!(f, ":{l}")?,
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

/// A list of diagnostics with helpers to ask about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Iterates over the diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_location_and_code() {
        let d = Diagnostic::error(
            "pass.json",
            Location::LineColumn(3, 7),
            "json.syntax",
            "expected `,`",
        );
        assert_eq!(
            d.to_string(),
            "error: pass.json:3:7: expected `,` [json.syntax]"
        );
        let p = Diagnostic::warning("pass.json", Location::Pointer("/a~1b".into()), "x", "m");
        assert_eq!(p.to_string(), "warning: pass.json#/a~1b: m [x]");
        assert_eq!(pointer_segment("a/b~c"), "a~1b~0c");
    }
}
