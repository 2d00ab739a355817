//! What `check` prints: every finding with its place, the source line and the fix (text, in
//! the style of compiler messages), or the same as JSON for machines.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};

/// The outcome of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The target as given.
    pub target: String,
    /// Every finding, in the order found.
    pub findings: Vec<Diagnostic>,
    /// What was looked at (documents, the logo's size, response sizes).
    pub notes: Vec<String>,
}

impl Report {
    /// How many findings are errors.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let plural = crate::text::plural;
        format!(
            "{}, {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning")
        )
    }

    /// The findings as text, one block each (each ends with a blank line).
    pub fn findings_text(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            render(&mut out, finding, &self.target);
            out.push('\n');
        }
        out
    }

    /// The report as text: one block per finding, then the notes and the summary.
    pub fn to_text(&self) -> String {
        let mut out = self.findings_text();
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let _ = writeln!(out, "{}: {}", self.target, self.summary());
        out
    }

    /// The JSON object `check --format json` prints when it cannot read `target` (exit 2): the
    /// shape of a report, with no findings, `ok: false` and an `error` saying why.
    pub fn failure_json(target: &str, error: &str) -> String {
        serde_json::to_string_pretty(&serde_json::json!({
            "target": target,
            "ok": false,
            "error": error,
            "errors": 0,
            "warnings": 0,
            "findings": [],
            "notes": [],
        }))
        .expect("a failure always serializes")
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            target: &'a str,
            ok: bool,
            errors: usize,
            warnings: usize,
            findings: &'a [Diagnostic],
            notes: &'a [String],
        }
        serde_json::to_string_pretty(&Json {
            target: &self.target,
            ok: self.errors() == 0,
            errors: self.errors(),
            warnings: self.warnings(),
            findings: &self.findings,
            notes: &self.notes,
        })
        .expect("a report always serializes")
    }
}

fn render(out: &mut String, finding: &Diagnostic, target: &str) {
    let severity = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{severity}[{}]: {}", finding.code, finding.message);
    let path = if finding.path.is_empty() {
        String::new()
    } else {
        format!(" ({})", finding.path)
    };
    match &finding.location {
        Some(at) => {
            let _ = writeln!(out, "  --> {}:{}:{}{path}", at.file, at.line, at.column);
            let number = at.line.to_string();
            let gutter = " ".repeat(number.len());
            let source = at.source_line.replace('\t', " ");
            let caret_at: String = source
                .chars()
                .take(at.column - 1)
                .map(|c| if c.is_whitespace() { c } else { ' ' })
                .collect();
            let _ = writeln!(out, " {gutter} |");
            let _ = writeln!(out, " {number} | {source}");
            let _ = writeln!(out, " {gutter} | {caret_at}^");
        }
        None => {
            let _ = writeln!(
                out,
                "  --> {}{}",
                target,
                if finding.path.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", finding.path)
                }
            );
        }
    }
    if let Some(fix) = &finding.fix {
        let _ = writeln!(out, "  = fix: {fix}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    #[test]
    fn text_shows_place_source_line_caret_and_fix() {
        let report = Report {
            target: "p".into(),
            findings: vec![
                Diagnostic::error("manifest-name-for-model", "name_for_model", "bad name")
                    .with_fix("rename it")
                    .at(Some(Location {
                        file: "p/ai-plugin.json".into(),
                        line: 3,
                        column: 3,
                        source_line: "  \"name_for_model\": \"a b\",".into(),
                    })),
                Diagnostic::warning("spec-security-missing", "", "no security"),
            ],
            notes: vec!["checked: x".into()],
        };
        assert_eq!(
            report.to_text(),
            "error[manifest-name-for-model]: bad name\n  \
             --> p/ai-plugin.json:3:3 (name_for_model)\n   |\n \
             3 |   \"name_for_model\": \"a b\",\n   |   ^\n  = fix: rename it\n\n\
             warning[spec-security-missing]: no security\n  --> p\n\n\
             note: checked: x\np: 1 error, 1 warning\n"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["findings"][0]["location"]["line"], 3);
        assert_eq!(json["findings"][0]["fix"], "rename it");
        assert_eq!(json["findings"][1]["severity"], "warning");
    }
}
