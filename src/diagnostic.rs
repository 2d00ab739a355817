//! A finding about a plugin: a stable code, a severity, where it is, and what is wrong.

use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The host would refuse or misread the plugin.
    Error,
    /// It works, but something will bite.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A stable identifier, e.g. `manifest-name-for-model`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Where: a JSON path such as `auth.type`, or a file.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(code: &'static str, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{severity}[{}] {}: {}",
            self.code, self.path, self.message
        )
    }
}
