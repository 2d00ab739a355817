//! `ai-plugin preview`: the text the model host builds from a plugin, and what it costs in
//! tokens, part by part, so an author sees what to trim.
//!
//! Plugins: a `//` line with `description_for_model`, then `namespace <name_for_model> {`
//! with one `type <operationId> = (_: { … }) => any;` per operation. Path, query and JSON body
//! fields are flattened into one object; `integer` becomes `number`; optional fields get `?`;
//! enums become literal unions. GPT Actions: the same under a `## <domain>__jit_plugin`
//! heading, with the return type taken from the success response's schema. The format is a
//! reconstruction from captured prompts, not a published format.

use std::fmt::Write as _;

use serde_json::Value;

use crate::check::{self, CheckError, Sources, mcp};
use crate::openapi::{Operation, Spec, Target};
pub use crate::tokens::count_tokens;
use crate::tokens::{ENCODING, exact_count};

/// One piece of the rendering, counted on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The lines around the operations (`manifest` for a plugin, whose manifest gives them;
    /// `namespace` for a GPT Action, which has no manifest), or the operation's name.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The whole rendering, and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// What the model reads.
    pub text: String,
    /// The same text, split into the manifest lines and one part per operation.
    pub parts: Vec<Part>,
}

/// What the model reads from an MCP server: its instructions, then each tool (name, title,
/// description, input schema, annotations), each a part of its own.
pub fn render_mcp(instructions: Option<&str>, tools: &[Value]) -> Preview {
    let mut parts = Vec::new();
    if let Some(instructions) = instructions.filter(|i| !i.trim().is_empty()) {
        parts.push(Part {
            name: "instructions".to_owned(),
            text: format!("instructions\n{instructions}\n\n"),
        });
    }
    for tool in tools {
        parts.push(Part {
            name: mcp::tools::name_of(tool).to_owned(),
            text: format!("{}\n", mcp::tools::render(tool)),
        });
    }
    Preview {
        text: parts.iter().map(|p| p.text.as_str()).collect(),
        parts,
    }
}

/// Renders what was read, or says why it cannot.
pub fn from_sources(input: &str, sources: &Sources, target: Target) -> Result<Preview, CheckError> {
    let Some(spec) = &sources.spec else {
        let why = sources
            .findings
            .iter()
            .find(|d| d.is_error())
            .map_or_else(|| "no spec found".to_owned(), ToString::to_string);
        return Err(CheckError::Unreadable {
            target: input.to_owned(),
            message: format!("{why}; run `ai-plugin check {input}` for every finding"),
        });
    };
    let manifest = sources.manifest.as_ref().map(|m| &m.value);
    Ok(render(manifest, &spec.value, target))
}

/// Renders the text the host builds from `manifest` (plugins) and `spec`.
pub fn render(manifest: Option<&Value>, spec: &Value, target: Target) -> Preview {
    let reader = Spec::new(spec);
    let text_of = |key: &str| {
        manifest
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (head, namespace) = match target {
        Target::Plugins => {
            let namespace = text_of("name_for_model").unwrap_or_else(|| "plugin".to_owned());
            let mut head = String::new();
            if let Some(description) = text_of("description_for_model") {
                comment(&mut head, &description, "");
            }
            (head, namespace)
        }
        Target::Actions => {
            let domain = server_domain(spec, manifest);
            let namespace = format!(
                "{}__jit_plugin",
                domain
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect::<String>()
            );
            let head = format!(
                "## {namespace}\n\nThis typescript tool allows you to call external API endpoints on {domain} over the internet.\n"
            );
            (head, namespace)
        }
    };
    let open = format!("{head}namespace {namespace} {{\n\n");
    let close = format!("}} // namespace {namespace}\n");
    let mut parts = vec![Part {
        name: match target {
            Target::Plugins => "manifest",
            Target::Actions => "namespace",
        }
        .to_owned(),
        text: format!("{open}{close}"),
    }];
    let mut text = open;
    for op in reader.operations() {
        let block = operation(&reader, &op, target);
        text.push_str(&block);
        parts.push(Part {
            name: op.operation_id().map_or_else(
                || format!("{} {}", op.method.to_uppercase(), op.path),
                str::to_owned,
            ),
            text: block,
        });
    }
    text.push_str(&close);
    Preview { text, parts }
}

/// The domain a GPT Action calls: the first server's host, else the manifest's API host.
fn server_domain(spec: &Value, manifest: Option<&Value>) -> String {
    spec.get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("url")?.as_str())
        .chain(manifest.and_then(|m| m.pointer("/api/url")?.as_str()))
        .find_map(|url| check::domain::UrlParts::parse(url).map(|u| u.host))
        .unwrap_or_else(|| "localhost".to_owned())
}

fn comment(out: &mut String, text: &str, indent: &str) {
    for line in text.trim().lines() {
        let _ = writeln!(out, "{indent}// {}", line.trim_end());
    }
}

fn operation(reader: &Spec<'_>, op: &Operation<'_>, target: Target) -> String {
    let mut out = String::new();
    if let Some(text) = op.text() {
        comment(&mut out, text, "");
    }
    let name = op.operation_id().unwrap_or("unnamed");
    let mut fields = String::new();
    for parameter in op
        .parameters
        .iter()
        .filter(|p| p.location == "path" || p.location == "query")
    {
        if let Some(description) = parameter.description {
            comment(&mut fields, description, "");
        }
        let kind = parameter
            .schema
            .map_or_else(|| "any".to_owned(), |s| ts_type(reader, s, 0));
        let optional = if parameter.required { "" } else { "?" };
        let _ = writeln!(fields, "{}{optional}: {kind},", parameter.name);
    }
    if let Some((schema, _)) = reader.request_body(op) {
        let schema = merged(reader, schema);
        object_fields(reader, &schema, 0, &mut fields);
    }
    let returns = match target {
        Target::Plugins => "any".to_owned(),
        Target::Actions => reader
            .success_schema(op)
            .map_or_else(|| "any".to_owned(), |s| ts_type(reader, s, 0)),
    };
    if fields.is_empty() {
        let _ = writeln!(out, "type {name} = () => {returns};\n");
    } else {
        let _ = writeln!(out, "type {name} = (_: {{\n{fields}}}) => {returns};\n");
    }
    out
}

/// An object schema with `allOf` parts merged into one `properties` and `required`.
fn merged(reader: &Spec<'_>, schema: &Value) -> Value {
    let Some(schema) = reader.resolve(schema) else {
        return Value::Null;
    };
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return schema.clone();
    };
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for part in parts {
        let part = merged(reader, part);
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.clone());
        }
    }
    serde_json::json!({"type": "object", "properties": properties, "required": required})
}

/// One `name?: type,` line per property, each after its description.
fn object_fields(reader: &Spec<'_>, schema: &Value, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let resolved = reader.resolve(property).unwrap_or(property);
        if let Some(description) = resolved.get("description").and_then(Value::as_str) {
            comment(out, description, &indent);
        }
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(
            out,
            "{indent}{name}{optional}: {},",
            ts_type(reader, property, depth)
        );
    }
}

/// A schema as a TypeScript type: `integer` as `number`, enums as literal unions, arrays as
/// `T[]`, objects with properties as an indented block.
fn ts_type(reader: &Spec<'_>, schema: &Value, depth: usize) -> String {
    let Some(schema) = reader.resolve(schema) else {
        return "any".to_owned();
    };
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options
                .iter()
                .map(|o| ts_type(reader, o, depth))
                .collect::<Vec<_>>()
                .join(" | ");
        }
    }
    if schema.get("allOf").is_some() {
        return ts_type(reader, &merged(reader, schema), depth);
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ if schema.get("items").is_some() => vec!["array"],
        _ => vec![],
    };
    if kinds.is_empty() {
        return "any".to_owned();
    }
    kinds
        .iter()
        .map(|kind| match *kind {
            "string" => "string".to_owned(),
            "integer" | "number" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => {
                let item = schema
                    .get("items")
                    .map_or_else(|| "any".to_owned(), |i| ts_type(reader, i, depth));
                if is_union(&item) {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            "object" if schema.get("properties").is_some() => {
                let mut inner = String::new();
                object_fields(reader, schema, depth + 1, &mut inner);
                format!("{{\n{inner}{}}}", "  ".repeat(depth))
            }
            "object" => "object".to_owned(),
            _ => "any".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Whether a rendered type is a union at its top level (`"a" | "b"`, not `{ a: "x" | "y" }`).
fn is_union(rendered: &str) -> bool {
    let mut depth = 0i32;
    let mut quoted = false;
    let bytes = rendered.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quoted = !quoted,
            b'{' | b'(' | b'[' if !quoted => depth += 1,
            b'}' | b')' | b']' if !quoted => depth -= 1,
            b'|' if !quoted && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Token counts of each part and of the whole, in `o200k_base`, and which encoding that is.
pub fn token_table(preview: &Preview) -> String {
    let mut out = String::new();
    if exact_count("").is_none() {
        let _ = writeln!(
            out,
            "tokens: about {} ({} characters / 4); this ai-plugin was built without the \
             `tokenizer` feature, which counts them exactly",
            preview.text.chars().count().div_ceil(4),
            preview.text.chars().count()
        );
        return out;
    }
    let width = preview
        .parts
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = writeln!(out, "{:width$}  {ENCODING}", "tokens");
    for part in &preview.parts {
        let _ = writeln!(
            out,
            "{:width$}  {:>10}",
            part.name,
            count_tokens(&part.text)
        );
    }
    let _ = writeln!(
        out,
        "{:width$}  {:>10}",
        "total",
        count_tokens(&preview.text)
    );
    let _ = writeln!(
        out,
        "Counted in {ENCODING}, the encoding of ChatGPT's models; Claude and other hosts \
         tokenize differently, so their counts differ."
    );
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn notes_spec() -> Value {
        json!({
            "openapi": "3.0.1",
            "info": {"title": "Notes", "version": "1"},
            "servers": [{"url": "https://notes.example.com"}],
            "paths": {
                "/notes": {
                    "get": {
                        "operationId": "listNotes",
                        "description": "List notes, newest first",
                        "parameters": [{"name": "status", "in": "query", "description": "Only notes with this status.", "schema": {"type": "string", "enum": ["open", "done"]}}],
                        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}
                    },
                    "post": {
                        "operationId": "addNote",
                        "summary": "Create a note",
                        "requestBody": {"content": {"application/json": {"schema": {
                            "type": "object", "required": ["text"],
                            "properties": {
                                "text": {"type": "string", "description": "Note text."},
                                "tags": {"type": "array", "items": {"type": "string"}, "description": "Optional labels."}
                            }
                        }}}},
                        "responses": {"201": {"description": "ok"}}
                    }
                }
            }
        })
    }

    #[test]
    fn the_reference_example_renders_exactly() {
        let manifest = json!({"name_for_model": "notes", "description_for_model": "Plugin for keeping short notes."});
        let preview = render(Some(&manifest), &notes_spec(), Target::Plugins);
        assert_eq!(
            preview.text,
            "// Plugin for keeping short notes.\nnamespace notes {\n\n\
             // List notes, newest first\ntype listNotes = (_: {\n// Only notes with this status.\nstatus?: \"open\" | \"done\",\n}) => any;\n\n\
             // Create a note\ntype addNote = (_: {\n// Note text.\ntext: string,\n// Optional labels.\ntags?: string[],\n}) => any;\n\n\
             } // namespace notes\n"
        );
        let names: Vec<&str> = preview.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["manifest", "listNotes", "addNote"]);
    }

    #[test]
    fn actions_use_the_domain_and_return_types() {
        let preview = render(None, &notes_spec(), Target::Actions);
        assert!(
            preview
                .text
                .starts_with("## notes_example_com__jit_plugin\n\n"),
            "{}",
            preview.text
        );
        assert!(preview.text.contains("}) => string[];"), "{}", preview.text);
        assert!(
            preview
                .text
                .contains("namespace notes_example_com__jit_plugin {")
        );
        let names: Vec<&str> = preview.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["namespace", "listNotes", "addNote"],
            "a GPT Action has no manifest"
        );
    }

    #[test]
    fn arrays_of_unions_get_parentheses_and_arrays_of_objects_do_not() {
        assert!(is_union("\"a\" | \"b\""));
        assert!(!is_union("{\n  s: \"a\" | \"b\",\n}"));
        assert!(!is_union("\"a|b\""));
        let spec = json!({});
        let reader = Spec::new(&spec);
        let enums = json!({"type": "array", "items": {"enum": ["a", "b"]}});
        assert_eq!(ts_type(&reader, &enums, 0), "(\"a\" | \"b\")[]");
        let objects = json!({"type": "array", "items": {"type": "object", "properties": {"s": {"enum": ["a", "b"]}}}});
        assert_eq!(
            ts_type(&reader, &objects, 0),
            "{\n  s?: \"a\" | \"b\",\n}[]"
        );
        let nullable = json!({"type": ["integer", "null"]});
        assert_eq!(ts_type(&reader, &nullable, 0), "number | null");
    }

    #[test]
    fn an_mcp_server_renders_its_instructions_then_each_tool() {
        let tool = json!({
            "name": "list_notes", "title": "List notes",
            "description": "Use this when the user asks for their notes.",
            "inputSchema": {"type": "object", "additionalProperties": false},
            "annotations": {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}
        });
        let preview = render_mcp(Some("Notes the user keeps."), &[tool]);
        assert_eq!(
            preview.text,
            "instructions\nNotes the user keeps.\n\n\
             tool list_notes (List notes)\nUse this when the user asks for their notes.\n\
             input: {\"type\":\"object\",\"additionalProperties\":false}\n\
             annotations: readOnlyHint=true destructiveHint=false openWorldHint=false\n\n"
        );
        let names: Vec<&str> = preview.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["instructions", "list_notes"]);
    }

    #[test]
    #[cfg(feature = "tokenizer")]
    fn tokens_are_counted_per_part_in_o200k_base_and_the_encoding_is_named() {
        let preview = render(None, &notes_spec(), Target::Plugins);
        let table = token_table(&preview);
        let mut lines = table.lines();
        let header = lines.next().unwrap();
        assert!(
            header.starts_with("tokens ") && header.ends_with("  o200k_base"),
            "{table}"
        );
        let rows: Vec<(&str, usize)> = lines
            .by_ref()
            .take(preview.parts.len() + 1)
            .map(|l| {
                let (name, n) = l.rsplit_once(' ').expect("a name and a count");
                (name.trim(), n.parse().expect("a count"))
            })
            .collect();
        let (total, n) = rows.last().copied().unwrap();
        assert_eq!(total, "total", "{table}");
        assert_eq!(n, count_tokens(&preview.text));
        assert!(n > 20 && n < 200, "{table}");
        let first = &preview.parts[0];
        assert_eq!(
            rows[0],
            (first.name.as_str(), count_tokens(&first.text)),
            "{table}"
        );
        assert!(
            lines.next().unwrap().starts_with("Counted in o200k_base"),
            "{table}"
        );
    }
}
