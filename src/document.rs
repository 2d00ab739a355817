//! A parsed JSON or YAML file that remembers where each value came from.
//!
//! Rules run over a plain [`serde_json::Value`], so they work on any document, however broken
//! its shape. Each value's place is kept in an index from its JSON path (`paths["/todos"].get`)
//! to the line and column where it starts (the key, for a member of an object), so a finding
//! can point at the line to change.
//!
//! JSON is parsed strictly by `serde_json` (a trailing comma is an error, as it was for the plugin
//! host), and the index is built by a small scanner over the text that `serde_json` accepted.
//! YAML is read by [`crate::yaml`], which builds the value and the index in one pass over the
//! events of granit-parser, whose events carry spans.

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location};

/// The syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Strict JSON.
    Json,
    /// YAML 1.2 (which JSON also is, loosely).
    Yaml,
}

impl Format {
    /// The format a file name or URL suggests: `.json` is JSON, `.yaml` and `.yml` are YAML.
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.split(['?', '#']).next().unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else {
            None
        }
    }

    /// The format a text looks like: JSON if it starts with `{` or `[`, else YAML.
    pub fn sniff(text: &str) -> Format {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('{' | '[') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// A parsed document and where its values are.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file or URL it was read from, as findings name it.
    pub name: String,
    /// The text.
    pub text: String,
    /// The syntax it was parsed as.
    pub format: Format,
    /// The parsed value.
    pub value: Value,
    /// JSON path → byte offset where the value (or its key) starts.
    spans: HashMap<String, usize>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl Document {
    /// Parses `text`; a syntax error becomes a finding with `code`, placed at the error.
    pub fn parse(
        name: &str,
        text: &str,
        format: Format,
        code: &'static str,
    ) -> Result<Document, Box<Diagnostic>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let line_starts = line_starts(text);
        let mut document = Document {
            name: name.to_owned(),
            text: text.to_owned(),
            format,
            value: Value::Null,
            spans: HashMap::new(),
            line_starts,
        };
        match format {
            Format::Json => match serde_json::from_str::<Value>(text) {
                Ok(value) => {
                    document.value = value;
                    let mut scanner = JsonScanner {
                        text: text.as_bytes(),
                        at: 0,
                        spans: &mut document.spans,
                    };
                    scanner.value("");
                }
                Err(error) => {
                    let message = error.to_string();
                    let message = message
                        .rsplit_once(" at line ")
                        .map_or(message.as_str(), |(m, _)| m);
                    let (line, column) = if message.starts_with("trailing comma") {
                        document.comma_before(error.line(), error.column())
                    } else {
                        (error.line(), error.column())
                    };
                    let location = document.location_at_line(line, column);
                    return Err(Box::new(
                        Diagnostic::error(code, "", format!("{name} is not valid JSON: {message}"))
                            .with_fix(
                                "JSON allows no trailing commas, comments or single quotes; \
                         fix the text at the line shown",
                            )
                            .at(location),
                    ));
                }
            },
            Format::Yaml => match crate::yaml::load(text) {
                Ok(loaded) => {
                    document.value = loaded.value;
                    document.spans = loaded.spans;
                }
                Err(error) => {
                    let location = document.location_at_offset(error.offset);
                    let (problem, fix) = if error.syntax {
                        ("is not valid YAML", "fix the YAML syntax at the line shown")
                    } else {
                        (
                            "could not be read as YAML",
                            "fix the YAML at the line shown",
                        )
                    };
                    return Err(Box::new(
                        Diagnostic::error(code, "", format!("{name} {problem}: {}", error.message))
                            .with_fix(fix)
                            .at(location),
                    ));
                }
            },
        }
        Ok(document)
    }

    /// Where the value at `path` is, or else where its nearest recorded parent is.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut path = path;
        loop {
            if let Some(&offset) = self.spans.get(path) {
                return self.location_at_offset(offset);
            }
            if path.is_empty() {
                return None;
            }
            path = parent(path);
        }
    }

    /// Places `diagnostic` at its path in this document.
    pub fn place(&self, diagnostic: Diagnostic) -> Diagnostic {
        let location = self.locate(&diagnostic.path);
        diagnostic.at(location)
    }

    fn location_at_offset(&self, offset: usize) -> Option<Location> {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset)?.chars().count() + 1;
        self.location_at_line(line, column)
    }

    /// The line and column (in characters) of the comma before `line:column`, over whitespace:
    /// `serde_json` reports a trailing comma at the bracket after it. Unchanged if none is there.
    fn comma_before(&self, line: usize, column: usize) -> (usize, usize) {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return (line, column);
        };
        let at = (start + column.saturating_sub(1)).min(self.text.len());
        let before = self.text[..at].trim_end_matches([' ', '\t', '\n', '\r']);
        if !before.ends_with(',') {
            return (line, column);
        }
        let comma = before.len() - 1;
        let comma_line = self.line_starts.partition_point(|&s| s <= comma);
        let line_start = self.line_starts[comma_line - 1];
        (comma_line, self.text[line_start..comma].chars().count() + 1)
    }

    fn location_at_line(&self, line: usize, column: usize) -> Option<Location> {
        if line == 0 {
            return None;
        }
        let start = *self.line_starts.get(line - 1)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next);
        let source_line = self.text[start..end].trim_end_matches(['\n', '\r']);
        Some(Location {
            file: self.name.clone(),
            line,
            column: column.max(1),
            source_line: source_line.to_owned(),
        })
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// `parent.key`, or `parent["key"]` when the key is not a plain word.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'));
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_owned())),
    }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The path one level up (`a.b[2]` → `a.b`, `a["x.y"]` → `a`).
fn parent(path: &str) -> &str {
    if path.ends_with(']') {
        // Either `[n]` or `["…"]`; a quoted key may itself hold `[`, so scan for the opener.
        if path.ends_with("\"]") {
            let bytes = path.as_bytes();
            let mut i = path.len() - 2;
            while i > 0 {
                i -= 1;
                if bytes[i] == b'"' && i > 0 && bytes[i - 1] == b'[' {
                    let backslashes = path[..i].bytes().rev().skip(1).take_while(|&b| b == b'\\');
                    if backslashes.count() % 2 == 0 {
                        return &path[..i - 1];
                    }
                }
            }
            return "";
        }
        return path.rfind('[').map_or("", |i| &path[..i]);
    }
    path.rfind(['.', ']']).map_or("", |i| {
        if path.as_bytes()[i] == b']' {
            &path[..=i]
        } else {
            &path[..i]
        }
    })
}

/// Records where each value of a JSON text starts. The text has already been accepted by
/// `serde_json`, so the scanner needs no error handling beyond not panicking.
struct JsonScanner<'a> {
    text: &'a [u8],
    at: usize,
    spans: &'a mut HashMap<String, usize>,
}

impl JsonScanner<'_> {
    fn skip_ws(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn value(&mut self, path: &str) {
        self.skip_ws();
        self.spans.entry(path.to_owned()).or_insert(self.at);
        match self.text.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.skip_ws();
                    match self.text.get(self.at) {
                        Some(b'}') | None => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(b'"') => {
                            let start = self.at;
                            self.string();
                            let raw =
                                std::str::from_utf8(&self.text[start..self.at]).unwrap_or("\"\"");
                            let key: String = serde_json::from_str(raw).unwrap_or_default();
                            let child = key_path(path, &key);
                            self.spans.insert(child.clone(), start);
                            self.skip_ws();
                            self.at += 1; // the colon
                            self.value(&child);
                        }
                        Some(_) => self.at += 1,
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.text.get(self.at) {
                        Some(b']') | None => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => {
                            self.value(&index_path(path, index));
                            index += 1;
                        }
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(_) => {
                while self.text.get(self.at).is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.at += 1;
                }
            }
            None => {}
        }
    }

    fn string(&mut self) {
        self.at += 1;
        while let Some(&b) = self.text.get(self.at) {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => return,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Document {
        Document::parse("m.json", text, Format::Json, "syntax").unwrap()
    }

    #[test]
    fn json_values_and_keys_are_located() {
        let doc = json("{\n  \"a\": {\"b\": [1,\n {\"c.d\": true}]},\n  \"é\": \"x\"\n}\n");
        let at = |p: &str| doc.locate(p).map(|l| (l.line, l.column));
        assert_eq!(at(""), Some((1, 1)));
        assert_eq!(at("a"), Some((2, 3)));
        assert_eq!(at("a.b"), Some((2, 9)));
        assert_eq!(at("a.b[1]"), Some((3, 2)));
        assert_eq!(at("a.b[1][\"c.d\"]"), Some((3, 3)));
        assert_eq!(at("[\"é\"]"), Some((4, 3)));
        // A path that is not there falls back to its nearest parent.
        assert_eq!(at("a.b[1][\"c.d\"].missing"), Some((3, 3)));
        assert_eq!(doc.locate("a").unwrap().source_line, "  \"a\": {\"b\": [1,");
    }

    #[test]
    fn a_trailing_comma_is_reported_at_its_line_and_column() {
        let err = Document::parse(
            "ai-plugin.json",
            "{\n  \"a\": 1,\n}\n",
            Format::Json,
            "syntax",
        )
        .unwrap_err();
        let at = err.location.unwrap();
        assert_eq!(
            (at.line, at.column, at.source_line.as_str()),
            (2, 9, "  \"a\": 1,"),
            "at the comma, not at the brace after it"
        );
        assert!(err.message.contains("trailing comma"), "{}", err.message);
        let err = Document::parse("a.json", "[\"é\", 2 ,\t]", Format::Json, "syntax").unwrap_err();
        let at = err.location.unwrap();
        assert_eq!((at.line, at.column), (1, 9), "columns count characters");
    }

    #[test]
    fn yaml_values_and_keys_are_located() {
        let text = "openapi: 3.0.1\npaths:\n  /todos:\n    get:\n      operationId: list\n      parameters:\n        - name: x\n          in: query\n";
        let doc = Document::parse("o.yaml", text, Format::Yaml, "syntax").unwrap();
        assert_eq!(doc.value["paths"]["/todos"]["get"]["operationId"], "list");
        let at = |p: &str| doc.locate(p).map(|l| (l.line, l.column));
        assert_eq!(at("paths[\"/todos\"].get.operationId"), Some((5, 7)));
        assert_eq!(at("paths[\"/todos\"].get.parameters[0]"), Some((7, 11)));
        assert_eq!(at("paths[\"/todos\"].get.parameters[0].in"), Some((8, 11)));
    }

    #[test]
    fn yaml_numbers_as_keys_read_as_strings() {
        let doc = Document::parse(
            "o.yaml",
            "responses:\n  200:\n    description: ok\n",
            Format::Yaml,
            "s",
        )
        .unwrap();
        assert_eq!(doc.value["responses"]["200"]["description"], "ok");
        assert_eq!(doc.locate("responses.200").unwrap().line, 2);
    }

    #[test]
    fn a_yaml_syntax_error_is_located() {
        let err =
            Document::parse("o.yaml", "a: [1, 2\nb: 3\n", Format::Yaml, "syntax").unwrap_err();
        assert!(err.location.is_some(), "{err}");
        assert!(err.message.contains("not valid YAML"), "{err}");
    }

    #[test]
    fn paths_name_keys_plainly_or_quoted() {
        assert_eq!(key_path("", "auth"), "auth");
        assert_eq!(key_path("auth", "type"), "auth.type");
        assert_eq!(key_path("paths", "/a/{b}"), "paths[\"/a/{b}\"]");
        assert_eq!(parent("paths[\"/a/{b}\"].get"), "paths[\"/a/{b}\"]");
        assert_eq!(parent("paths[\"/a/{b}\"]"), "paths");
        assert_eq!(parent("a.b[2]"), "a.b");
        assert_eq!(parent("a"), "");
        assert_eq!(Format::from_name("x/openapi.YML?x=1"), Some(Format::Yaml));
        assert_eq!(Format::sniff("  {\"a\":1}"), Format::Json);
    }
}
