//! The rules for an MCP server's tools, as `tools/list` gave them: names, descriptions, input
//! and output schemas, annotations, count and token cost, `_meta` keys. Pure: the live layer
//! lists the tools, this judges them (reference: mcp-reference.md section 2).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::check::codes;
use crate::check::host::CheckTarget;
use crate::diagnostic::{Diagnostic, Severity};

/// The MCP specification's longest tool name.
pub const NAME_MAX: usize = 128;
/// The conformance suite's and `OpenAI` function names' longest tool name.
pub const SAFE_NAME_MAX: usize = 64;
/// Past this many tools hosts pick worse; Cursor stops around 40.
pub const TOOLS_WARN: usize = 40;
/// The `OpenAI` API takes at most this many tools.
pub const TOOLS_MAX_OPENAI: usize = 128;
/// A tool costing more than this many tokens of context is worth trimming.
pub const TOOL_TOKENS_WARN: usize = 700;
/// All tools together costing more than this many tokens crowd the conversation out.
pub const TOTAL_TOKENS_WARN: usize = 10_000;
/// The three hints ChatGPT app review wants on every tool.
pub const REVIEW_HINTS: [&str; 3] = ["readOnlyHint", "destructiveHint", "openWorldHint"];
/// The longest `openai/toolInvocation/*` status text ChatGPT shows.
const INVOCATION_TEXT_MAX: usize = 64;

/// The text the model reads for one tool: its name, title, description, input schema and
/// annotations. `preview` prints it; its token count is the tool's cost.
pub fn render(tool: &Value) -> String {
    let text = |key: &str| tool.get(key).and_then(Value::as_str).unwrap_or("");
    let mut out = format!("tool {}", text("name"));
    let title = tool
        .get("title")
        .or_else(|| tool.pointer("/annotations/title"))
        .and_then(Value::as_str);
    if let Some(title) = title {
        let _ = write!(out, " ({title})");
    }
    out.push('\n');
    if !text("description").is_empty() {
        out.push_str(text("description"));
        out.push('\n');
    }
    let schema = tool.get("inputSchema").unwrap_or(&Value::Null);
    let _ = writeln!(
        out,
        "input: {}",
        serde_json::to_string(schema).unwrap_or_default()
    );
    if let Some(Value::Object(annotations)) = tool.get("annotations") {
        let hints: Vec<String> = annotations
            .iter()
            .filter(|(k, _)| k.as_str() != "title")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !hints.is_empty() {
            let _ = writeln!(out, "annotations: {}", hints.join(" "));
        }
    }
    out
}

/// The tool's name, for paths and messages.
pub fn name_of(tool: &Value) -> &str {
    tool.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The widget resources a tool names (`_meta.ui.resourceUri`, `_meta["openai/outputTemplate"]`).
pub fn widget_uris(tool: &Value) -> Vec<String> {
    let meta = tool.get("_meta");
    [
        meta.and_then(|m| m.pointer("/ui/resourceUri")),
        meta.and_then(|m| m.get("openai/outputTemplate")),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_str)
    .map(str::to_owned)
    .collect::<BTreeSet<_>>()
    .into_iter()
    .collect()
}

/// Every finding about `tools` for `target`; `tokens` counts the tokens of a text.
pub fn check(
    tools: &[Value],
    target: CheckTarget,
    tokens: &dyn Fn(&str) -> usize,
) -> Vec<Diagnostic> {
    let app = target == CheckTarget::ChatgptApp;
    let review = if app {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for tool in tools {
        let name = name_of(tool);
        let at = format!("tools[{name}]");
        names(name, &at, &mut seen, &mut findings);
        description(tool, name, &at, review, &mut findings);
        input_schema(tool, &at, app, &mut findings);
        annotations(tool, &at, review, &mut findings);
        match tool.get("outputSchema") {
            None | Some(Value::Null) => findings.push(
                Diagnostic::warning(
                    codes::MCP_TOOL_OUTPUT_SCHEMA,
                    &format!("{at}.outputSchema"),
                    format!(
                        "`{name}` has no outputSchema: hosts get only text back, ChatGPT app \
                         review flags it, and widgets cannot rely on structuredContent"
                    ),
                )
                .with_fix("declare an outputSchema (type object) and return structuredContent that fits it"),
            ),
            Some(schema) if schema.get("type").and_then(Value::as_str) != Some("object") => findings.push(
                Diagnostic::error(
                    codes::MCP_TOOL_OUTPUT_SCHEMA,
                    &format!("{at}.outputSchema"),
                    format!(
                        "`{name}`'s outputSchema is not an object schema; MCP clients that \
                         validate tools/list (the official SDKs) refuse the list"
                    ),
                )
                .with_fix("make outputSchema `{\"type\": \"object\", ...}`"),
            ),
            Some(_) => {}
        }
        meta(tool, name, &at, &mut findings);
        let cost = tokens(&render(tool));
        total += cost;
        if cost > TOOL_TOKENS_WARN {
            findings.push(
                Diagnostic::warning(
                    codes::MCP_TOOL_TOKENS,
                    &at,
                    format!(
                        "`{name}` costs {cost} tokens of context in every conversation that \
                         enables it (most tools cost 250-{TOOL_TOKENS_WARN})"
                    ),
                )
                .with_fix("shorten the description and property descriptions, or split the tool"),
            );
        }
    }
    if tools.len() > TOOLS_MAX_OPENAI && app {
        findings.push(
            Diagnostic::error(
                codes::MCP_TOOLS_COUNT,
                "tools",
                format!(
                    "{} tools: the OpenAI API takes at most {TOOLS_MAX_OPENAI}, so ChatGPT cannot pass them all to the model",
                    tools.len()
                ),
            )
            .with_fix("offer fewer tools, or split the server by task"),
        );
    } else if tools.len() > TOOLS_WARN {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOLS_COUNT,
                "tools",
                format!(
                    "{} tools: hosts choose worse past 30-50, and Cursor stops at about {TOOLS_WARN}",
                    tools.len()
                ),
            )
            .with_fix("merge tools that serve one intent, or split the server by task"),
        );
    }
    if total > TOTAL_TOKENS_WARN {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOLS_TOKENS,
                "tools",
                format!(
                    "the tools cost {total} tokens together, sent with every message of every \
                     conversation that enables the server (more than {TOTAL_TOKENS_WARN})"
                ),
            )
            .with_fix("trim descriptions and schemas; `ai-plugin preview` shows each tool's cost"),
        );
    }
    findings
}

fn names(name: &str, at: &str, seen: &mut BTreeSet<String>, findings: &mut Vec<Diagnostic>) {
    let length = name.chars().count();
    let mcp_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if length == 0 || length > NAME_MAX || !name.chars().all(mcp_chars) {
        findings.push(
            Diagnostic::error(
                codes::MCP_TOOL_NAME,
                &format!("{at}.name"),
                format!(
                    "tool name `{name}` ({length} characters) breaks the MCP rule (1-{NAME_MAX} of \
                     A-Z a-z 0-9 _ - .); clients may drop the tool or refuse the list"
                ),
            )
            .with_fix("use letters, digits and _ only, at most 64 characters"),
        );
    } else if length > SAFE_NAME_MAX || name.contains('.') {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOL_NAME,
                &format!("{at}.name"),
                format!(
                    "tool name `{name}` does not fit OpenAI function names (^[A-Za-z0-9_-]{{1,64}}$) \
                     or the conformance suite's 64 characters; hosts that pass tools to a model \
                     as functions may reject or rename it"
                ),
            )
            .with_fix("use letters, digits, _ and - only, at most 64 characters"),
        );
    }
    if !seen.insert(name.to_owned()) {
        findings.push(
            Diagnostic::error(
                codes::MCP_TOOL_NAME,
                &format!("{at}.name"),
                format!("two tools are named `{name}`; a client calls only one of them"),
            )
            .with_fix("give every tool its own name"),
        );
    }
}

fn description(
    tool: &Value,
    name: &str,
    at: &str,
    review: Severity,
    findings: &mut Vec<Diagnostic>,
) {
    let text = tool
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let path = format!("{at}.description");
    if text.is_empty() {
        findings.push(
            Diagnostic::new(
                review,
                codes::MCP_TOOL_DESCRIPTION,
                &path,
                format!(
                    "`{name}` has no description: the model has only its name to decide when \
                     to call it, and ChatGPT app review asks for one"
                ),
            )
            .with_fix("say what it does and when to use it (\"Use this when ...\")"),
        );
    } else if text.chars().count() < 20 || text.eq_ignore_ascii_case(&name.replace(['_', '-'], " "))
    {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOL_DESCRIPTION,
                &path,
                format!(
                    "`{name}`'s description ({text:?}) is too short for the model to tell when to call it"
                ),
            )
            .with_fix("say what it does and when to use it (\"Use this when ...\")"),
        );
    }
}

fn input_schema(tool: &Value, at: &str, app: bool, findings: &mut Vec<Diagnostic>) {
    let name = name_of(tool);
    let path = format!("{at}.inputSchema");
    let schema = tool.get("inputSchema");
    let Some(schema) = schema.filter(|s| s.get("type").and_then(Value::as_str) == Some("object"))
    else {
        findings.push(
            Diagnostic::error(
                codes::MCP_TOOL_INPUT_SCHEMA,
                &path,
                format!(
                    "`{name}`'s inputSchema is {}, not an object schema; MCP clients that \
                     validate tools/list (the official SDKs, and the hosts built on them) refuse the whole list",
                    match schema {
                        None => "missing".to_owned(),
                        Some(other) => other.to_string(),
                    }
                ),
            )
            .with_fix("give `{\"type\": \"object\", \"properties\": {...}}`; without arguments `{\"type\": \"object\", \"additionalProperties\": false}`"),
        );
        return;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    let undescribed: Vec<&str> = properties
        .into_iter()
        .flatten()
        .filter(|(_, p)| {
            p.get("description")
                .and_then(Value::as_str)
                .is_none_or(|d| d.trim().is_empty())
        })
        .map(|(k, _)| k.as_str())
        .collect();
    if !undescribed.is_empty() {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOL_PROPERTY_DESCRIPTION,
                &format!("{path}.properties"),
                format!(
                    "`{name}`: {} without a description; the model guesses what to put there",
                    undescribed
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_fix("describe every property: what it is, its format, an example"),
        );
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    let no_arguments = properties.is_none_or(serde_json::Map::is_empty);
    if !closed && (no_arguments || app) {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOL_ADDITIONAL_PROPERTIES,
                &format!("{path}.additionalProperties"),
                format!(
                    "`{name}`'s inputSchema accepts unknown properties; the model may invent \
                     arguments{}",
                    if app {
                        ", and OpenAI's strict function calling wants closed objects"
                    } else {
                        ""
                    }
                ),
            )
            .with_fix("set `\"additionalProperties\": false`"),
        );
    }
}

fn annotations(tool: &Value, at: &str, review: Severity, findings: &mut Vec<Diagnostic>) {
    let name = name_of(tool);
    let hint = |key: &str| {
        tool.pointer(&format!("/annotations/{key}"))
            .and_then(Value::as_bool)
    };
    let missing: Vec<&str> = REVIEW_HINTS
        .into_iter()
        .filter(|key| hint(key).is_none())
        .collect();
    if !missing.is_empty() {
        findings.push(
            Diagnostic::new(
                review,
                codes::MCP_TOOL_HINTS,
                &format!("{at}.annotations"),
                format!(
                    "`{name}` does not set {}: ChatGPT app review rejects a tool without explicit \
                     readOnlyHint, destructiveHint and openWorldHint, and clients take the \
                     defaults (not read-only, destructive, open-world), so they ask the user to \
                     confirm every call",
                    missing.join(", ")
                ),
            )
            .with_fix("set all three to true or false on every tool, as the tool really behaves"),
        );
    }
    if hint("readOnlyHint") == Some(true) && hint("destructiveHint") == Some(true) {
        findings.push(
            Diagnostic::warning(
                codes::MCP_TOOL_HINTS,
                &format!("{at}.annotations"),
                format!(
                    "`{name}` says it is both read-only and destructive; reviewers compare hints \
                     with behaviour and reject contradictions"
                ),
            )
            .with_fix("a read-only tool has destructiveHint false"),
        );
    }
}

fn meta(tool: &Value, name: &str, at: &str, findings: &mut Vec<Diagnostic>) {
    let Some(meta) = tool.get("_meta").and_then(Value::as_object) else {
        return;
    };
    if meta.contains_key("openai/visibility") {
        findings.push(
            Diagnostic::warning(
                codes::MCP_META_DEPRECATED,
                &format!("{at}._meta"),
                format!(
                    "`{name}` uses `openai/visibility`, deprecated: MCP Apps hosts (Claude, VS Code) read `ui.visibility`"
                ),
            )
            .with_fix("move it to `_meta.ui.visibility`"),
        );
    }
    if meta.contains_key("openai/outputTemplate") && tool.pointer("/_meta/ui/resourceUri").is_none()
    {
        findings.push(
            Diagnostic::warning(
                codes::MCP_META_DEPRECATED,
                &format!("{at}._meta"),
                format!(
                    "`{name}` names its widget only in `openai/outputTemplate`, ChatGPT's \
                     compatibility alias; other MCP Apps hosts (Claude, VS Code) read `ui.resourceUri` and show no widget"
                ),
            )
            .with_fix("set `_meta.ui.resourceUri` to the same ui:// URI"),
        );
    }
    for key in [
        "openai/toolInvocation/invoking",
        "openai/toolInvocation/invoked",
    ] {
        if let Some(text) = meta.get(key).and_then(Value::as_str)
            && text.chars().count() > INVOCATION_TEXT_MAX
        {
            findings.push(
                Diagnostic::warning(
                    codes::MCP_META_INVOCATION_TEXT,
                    &format!("{at}._meta"),
                    format!(
                        "`{name}`'s `{key}` is {} characters; ChatGPT shows at most {INVOCATION_TEXT_MAX}",
                        text.chars().count()
                    ),
                )
                .with_fix("shorten the status text"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn good() -> Value {
        json!({
            "name": "list_notes",
            "title": "List notes",
            "description": "Use this when the user asks for their notes.",
            "inputSchema": {"type": "object", "properties": {"q": {"type": "string", "description": "Search text."}}, "additionalProperties": false},
            "outputSchema": {"type": "object"},
            "annotations": {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}
        })
    }

    fn codes(tool: Value, target: CheckTarget) -> Vec<(&'static str, Severity)> {
        check(&[tool], target, &|t: &str| t.len() / 4)
            .into_iter()
            .map(|d| (d.code, d.severity))
            .collect()
    }

    fn with(path: &str, value: Value) -> Value {
        let mut tool = good();
        let (parent, key) = path.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut tool
        } else {
            tool.pointer_mut(parent).unwrap()
        };
        if value.is_null() {
            target.as_object_mut().unwrap().remove(key);
        } else {
            target[key] = value;
        }
        tool
    }

    #[test]
    fn each_tool_rule_has_a_case_that_breaks_it() {
        use CheckTarget::{ChatgptApp, Mcp};
        use Severity::{Error, Warning};
        let long = "x".repeat(80);
        type Case = (Value, CheckTarget, Vec<(&'static str, Severity)>);
        let cases: Vec<Case> = vec![
            (good(), ChatgptApp, vec![]),
            (good(), Mcp, vec![]),
            (
                with("/name", json!("list notes")),
                Mcp,
                vec![("mcp-tool-name", Error)],
            ),
            (
                with("/name", json!("notes.list")),
                ChatgptApp,
                vec![("mcp-tool-name", Warning)],
            ),
            (
                with("/name", json!(long)),
                Mcp,
                vec![("mcp-tool-name", Warning)],
            ),
            (
                with("/description", Value::Null),
                ChatgptApp,
                vec![("mcp-tool-description", Error)],
            ),
            (
                with("/description", Value::Null),
                Mcp,
                vec![("mcp-tool-description", Warning)],
            ),
            (
                with("/description", json!("Lists.")),
                Mcp,
                vec![("mcp-tool-description", Warning)],
            ),
            (
                with("/inputSchema", Value::Null),
                Mcp,
                vec![("mcp-tool-input-schema", Error)],
            ),
            (
                with("/inputSchema/properties/q/description", Value::Null),
                Mcp,
                vec![("mcp-tool-property-description", Warning)],
            ),
            (
                with("/inputSchema/additionalProperties", Value::Null),
                Mcp,
                vec![],
            ),
            (
                with("/inputSchema/additionalProperties", Value::Null),
                ChatgptApp,
                vec![("mcp-tool-additional-properties", Warning)],
            ),
            (with("/inputSchema/properties", Value::Null), Mcp, vec![]),
            (
                with("/inputSchema", json!({"type": "object"})),
                Mcp,
                vec![("mcp-tool-additional-properties", Warning)],
            ),
            (
                with("/annotations/openWorldHint", Value::Null),
                ChatgptApp,
                vec![("mcp-tool-hints", Error)],
            ),
            (
                with("/annotations/openWorldHint", Value::Null),
                Mcp,
                vec![("mcp-tool-hints", Warning)],
            ),
            (
                with("/annotations/destructiveHint", json!(true)),
                Mcp,
                vec![("mcp-tool-hints", Warning)],
            ),
            (
                with("/outputSchema", Value::Null),
                ChatgptApp,
                vec![("mcp-tool-output-schema", Warning)],
            ),
            (
                with("/outputSchema", json!({"type": "array"})),
                Mcp,
                vec![("mcp-tool-output-schema", Error)],
            ),
            (
                with("/_meta", json!({"openai/visibility": "private"})),
                Mcp,
                vec![("mcp-meta-deprecated", Warning)],
            ),
            (
                with("/_meta", json!({"openai/outputTemplate": "ui://w.html"})),
                Mcp,
                vec![("mcp-meta-deprecated", Warning)],
            ),
            (
                with(
                    "/_meta",
                    json!({"openai/outputTemplate": "ui://w.html", "ui": {"resourceUri": "ui://w.html"}}),
                ),
                Mcp,
                vec![],
            ),
            (
                with(
                    "/_meta",
                    json!({"openai/toolInvocation/invoking": "x".repeat(65)}),
                ),
                Mcp,
                vec![("mcp-meta-invocation-text", Warning)],
            ),
            (
                with("/description", json!("y ".repeat(2000))),
                Mcp,
                vec![("mcp-tool-tokens", Warning)],
            ),
        ];
        for (tool, target, expected) in cases {
            assert_eq!(
                codes(tool.clone(), target),
                expected,
                "{tool} under {target:?}"
            );
        }
    }

    #[test]
    fn duplicates_counts_and_totals_are_judged_over_the_list() {
        let count = |tools: &[Value], target| -> Vec<(&str, Severity)> {
            check(tools, target, &|_: &str| 300)
                .into_iter()
                .map(|d| (d.code, d.severity))
                .collect()
        };
        assert_eq!(
            count(&[good(), good()], CheckTarget::Mcp),
            [("mcp-tool-name", Severity::Error)]
        );
        let many: Vec<Value> = (0..41)
            .map(|i| with("/name", json!(format!("tool_{i}"))))
            .collect();
        assert_eq!(
            count(&many, CheckTarget::Mcp),
            [
                ("mcp-tools-count", Severity::Warning),
                ("mcp-tools-tokens", Severity::Warning)
            ]
        );
        let too_many: Vec<Value> = (0..129)
            .map(|i| with("/name", json!(format!("tool_{i}"))))
            .collect();
        assert_eq!(
            count(&too_many, CheckTarget::ChatgptApp)[0],
            ("mcp-tools-count", Severity::Error)
        );
    }

    #[test]
    fn widgets_are_found_under_both_keys() {
        let tool = with(
            "/_meta",
            json!({"openai/outputTemplate": "ui://a.html", "ui": {"resourceUri": "ui://b.html"}}),
        );
        assert_eq!(widget_uris(&tool), ["ui://a.html", "ui://b.html"]);
        assert!(render(&good()).starts_with("tool list_notes (List notes)\n"));
    }
}
