//! `check` on an MCP server: connect as an MCP client in both protocol eras, list the tools
//! and judge them ([`tools`]), follow the OAuth discovery a host would follow ([`auth`]), and
//! probe the transport (Origin, Host, CORS preflight, a token in the query string).
//!
//! `check` never calls a tool that is not read-only; it calls the read-only ones only when
//! asked (`--call-read-only`), without arguments, and judges what comes back.

pub mod auth;
pub(crate) mod client;
pub mod schema;
pub mod tools;

use serde_json::{Value, json};

use super::domain::{self, UrlParts};
use super::host::CheckTarget;
use super::live::{Http, Reply};
use crate::check::codes;
use crate::diagnostic::{Diagnostic, Severity};
use client::{Answer, Client, Era, MODERN_VERSION};

/// An Origin no server should accept.
const FOREIGN_ORIGIN: &str = "https://attacker.invalid";
/// A Host no local server serves.
const FOREIGN_HOST: &str = "attacker.invalid";
/// The origin of a browser-based client (the MCP Inspector) for the preflight.
const BROWSER_ORIGIN: &str = "http://localhost:6274";

/// What the live MCP check may do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A bearer token for a server that needs one.
    pub token: Option<String>,
    /// Call the read-only tools (without arguments) and judge their results.
    pub call_read_only: bool,
}

/// What the MCP check found, and what the server told.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every finding.
    pub findings: Vec<Diagnostic>,
    /// What was looked at.
    pub notes: Vec<String>,
    /// The tools, as `tools/list` gave them.
    pub tools: Vec<Value>,
    /// The server's instructions, if it gave any.
    pub instructions: Option<String>,
    /// Whether an MCP server answered at all.
    pub found: bool,
}

/// The MCP endpoint for a plugin's base URL: `<base>/mcp`.
pub fn endpoint_for_base(base: &str) -> String {
    format!("{}/mcp", base.trim_end_matches('/'))
}

/// Connects to the MCP server at `url` and runs the MCP rules of `target`. With `required`
/// false (a plugin's base URL, where `/mcp` is only tried), a URL where no MCP server answers
/// is a note, not a finding.
pub fn check(
    url: &str,
    target: CheckTarget,
    options: &Options,
    required: bool,
) -> Result<Outcome, String> {
    let http = Http::new();
    let mut out = Outcome::default();
    let local = UrlParts::parse(url).is_some_and(|u| domain::is_localhost(&u.host));
    // First as a client without credentials: is anything there, and does it want a token?
    let mut probe = Client::new(&http, url, None, Era::Legacy);
    let first = match probe.initialize() {
        Ok((answer, _)) => answer,
        Err(message) if required => return Err(message),
        Err(message) => {
            out.notes.push(format!("no MCP server at {url}: {message}"));
            return Ok(out);
        }
    };
    let challenge = first.reply.header("www-authenticate").map(str::to_owned);
    let auth_required = first.reply.status == 401;
    let speaks = first.message.is_some()
        || auth_required
            && challenge
                .as_deref()
                .is_some_and(|c| c.contains("resource_metadata"));
    if !(speaks || auth_required && required) {
        // A modern-only server may refuse initialize; ask it the modern way before giving up.
        let mut modern = Client::new(&http, url, options.token.as_deref(), Era::Modern);
        let answered = modern
            .request("server/discover", None)
            .is_ok_and(|a| a.message.is_some());
        if !answered {
            if required {
                out.findings.push(
                    Diagnostic::error(
                        codes::MCP_ENDPOINT,
                        "",
                        format!(
                            "no MCP server answers at {url} ({}); hosts cannot connect",
                            first.failure()
                        ),
                    )
                    .with_fix("serve MCP over Streamable HTTP at this URL (POST, JSON-RPC)"),
                );
            } else {
                out.notes
                    .push(format!("no MCP server at {url} ({})", first.failure()));
            }
            return Ok(out);
        }
    }
    out.found = true;
    preflight(&http, url, auth_required, target, &mut out.findings);
    if auth_required {
        auth::check(
            &http,
            url,
            target,
            challenge.as_deref(),
            &mut out.findings,
            &mut out.notes,
        );
        if options.token.is_none() {
            out.notes.push(format!(
                "{url} wants a token: tools not listed (pass --token to list and check them)"
            ));
            return Ok(out);
        }
    }
    let token = options.token.as_deref();
    let mut legacy = Client::new(&http, url, token, Era::Legacy);
    let (initialized, notified) = legacy.initialize()?;
    let mut modern = Client::new(&http, url, token, Era::Modern);
    let discovered = modern.request("server/discover", None)?;
    let legacy_ok = initialized.result().is_some();
    let modern_ok = discovered.result().is_some_and(|r| {
        r.get("supportedVersions")
            .and_then(Value::as_array)
            .is_none_or(|v| v.iter().any(|v| v == MODERN_VERSION))
    });
    if let Some(status) = notified.filter(|s| !(200..300).contains(s)) {
        out.findings.push(
            Diagnostic::error(
                codes::MCP_NOTIFICATION_STATUS,
                "",
                format!(
                    "{url} answers notifications/initialized with {status}, not 202; SDK \
                     clients (and the hosts on them) treat that as a failed connection"
                ),
            )
            .with_fix("answer notifications with 202 Accepted and no body"),
        );
    }
    let eras: Vec<String> = [
        legacy_ok.then(|| format!("2025 era (initialize, version {})", legacy.version)),
        modern_ok.then(|| format!("{MODERN_VERSION} (server/discover)")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if eras.is_empty() {
        out.findings.push(
            Diagnostic::error(
                codes::MCP_HANDSHAKE,
                "",
                format!(
                    "{url} answered neither initialize ({}) nor server/discover ({}); no MCP client can use it",
                    initialized.failure(),
                    discovered.failure()
                ),
            )
            .with_fix("answer initialize (2025 era) and server/discover (2026-07-28) as the MCP spec says"),
        );
        return Ok(out);
    }
    out.notes
        .push(format!("{url} speaks {}", eras.join(" and ")));
    if !legacy_ok && matches!(target, CheckTarget::ChatgptApp | CheckTarget::Claude) {
        out.findings.push(
            Diagnostic::error(
                codes::MCP_ERA,
                "",
                format!(
                    "{url} answers only {MODERN_VERSION} requests, but {} connects with \
                     initialize (its docs cite the 2025-11-25 revision): it cannot connect ({})",
                    target.host_name(),
                    initialized.failure()
                ),
            )
            .with_fix("serve the 2025-era handshake too (the official SDKs serve both eras on one endpoint)"),
        );
    }
    let (client, result) = if legacy_ok {
        (&mut legacy, &initialized)
    } else {
        (&mut modern, &discovered)
    };
    out.instructions = result
        .result()
        .and_then(|r| r.get("instructions"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    transport(client, local, auth_required, &mut out.findings);
    match client.list("tools/list", "tools") {
        Ok(tools) => out.tools = tools,
        Err(message) => {
            out.findings.push(
                Diagnostic::error(
                    codes::MCP_TOOLS_LIST,
                    "tools",
                    format!("{url}: {message}; hosts show no tools"),
                )
                .with_fix("answer tools/list with `{\"tools\": [...]}`"),
            );
            return Ok(out);
        }
    }
    out.notes.push(format!(
        "tools ({}): {}",
        out.tools.len(),
        out.tools
            .iter()
            .map(tools::name_of)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.findings.extend(tools::check(
        &out.tools,
        target,
        &crate::tokens::count_tokens,
    ));
    widgets(client, &out.tools, target, &mut out.findings);
    if options.call_read_only {
        call_read_only(client, &out.tools, &mut out.findings, &mut out.notes);
    } else {
        out.notes.push(
            "tools not called; --call-read-only calls the read-only ones without arguments"
                .to_owned(),
        );
    }
    Ok(out)
}

/// The request that opens a conversation in the client's era.
fn opening(client: &Client<'_>) -> (Value, &'static str) {
    match client.era {
        Era::Legacy => (
            client.body(
                Some(99),
                "initialize",
                Some(json!({"protocolVersion": client::LEGACY_VERSION, "capabilities": {}, "clientInfo": {"name": "ai-plugin-check", "version": env!("CARGO_PKG_VERSION")}})),
            ),
            "initialize",
        ),
        Era::Modern => (client.body(Some(99), "server/discover", None), "server/discover"),
    }
}

fn served(reply: &Reply) -> bool {
    (200..300).contains(&reply.status)
}

/// A foreign Origin, a foreign Host (local servers) and a token in the query string.
fn transport(
    client: &Client<'_>,
    local: bool,
    auth_required: bool,
    findings: &mut Vec<Diagnostic>,
) {
    let (body, method) = opening(client);
    let severity = if local {
        Severity::Error
    } else {
        Severity::Warning
    };
    if let Ok(reply) = client.post(
        &client.url,
        &body,
        method,
        &[("origin", FOREIGN_ORIGIN)],
        true,
    ) && served(&reply)
    {
        findings.push(
            Diagnostic::new(
                severity,
                codes::MCP_ORIGIN,
                "",
                format!(
                    "{} answered {} to a request from Origin {FOREIGN_ORIGIN}; any web page the \
                     user opens can drive this server (DNS rebinding), and the MCP spec requires 403",
                    client.url, reply.status
                ),
            )
            .with_fix("answer 403 to a request whose Origin is present and not allowed"),
        );
    }
    if local
        && let Ok(reply) = client.post(&client.url, &body, method, &[("host", FOREIGN_HOST)], true)
        && served(&reply)
    {
        findings.push(
            Diagnostic::error(
                codes::MCP_HOST,
                "",
                format!(
                    "{} answered {} to a request for Host {FOREIGN_HOST}; a local server that \
                     serves any Host can be reached by DNS rebinding",
                    client.url, reply.status
                ),
            )
            .with_fix("refuse a Host the server does not serve (allow loopback and the public host of PUBLIC_URL)"),
        );
    }
    if auth_required && let Some(token) = client.token() {
        let separator = if client.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}access_token={token}", client.url);
        if let Ok(reply) = client.post(&url, &body, method, &[], false)
            && served(&reply)
        {
            findings.push(
                Diagnostic::error(
                    codes::MCP_QUERY_TOKEN,
                    "",
                    format!(
                        "{} accepts the token in the query string (answered {}); URLs end up in \
                         logs and proxies, and the MCP spec allows tokens only in the Authorization header",
                        client.url, reply.status
                    ),
                )
                .with_fix("read the token from `Authorization: Bearer` only"),
            );
        }
    }
}

/// A browser client's CORS preflight: it must not need credentials, and a server that wants
/// a token must expose its challenge.
fn preflight(
    http: &Http,
    url: &str,
    auth_required: bool,
    target: CheckTarget,
    findings: &mut Vec<Diagnostic>,
) {
    let headers = [
        ("origin", BROWSER_ORIGIN),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "authorization,content-type,mcp-protocol-version,mcp-session-id",
        ),
    ];
    let Ok(reply) = Http::send(&http.documents, "OPTIONS", url, &headers, None) else {
        return;
    };
    // Browser-based clients (the Inspector) need this; ChatGPT and Claude connect from servers.
    let severity = if target == CheckTarget::Mcp {
        Severity::Error
    } else {
        Severity::Warning
    };
    if reply.status == 401 {
        findings.push(
            Diagnostic::new(
                severity,
                codes::MCP_PREFLIGHT_AUTH,
                "",
                format!(
                    "{url} answers the CORS preflight with 401; a browser never sends \
                     credentials on a preflight, so browser-based clients (the MCP Inspector) cannot connect"
                ),
            )
            .with_fix("answer OPTIONS before checking credentials"),
        );
        return;
    }
    let allowed = reply.header("access-control-allow-origin").is_some();
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    if allowed && auth_required && !(exposed.contains("www-authenticate") || exposed.trim() == "*")
    {
        findings.push(
            Diagnostic::new(
                severity,
                codes::MCP_CORS_EXPOSE,
                "",
                format!(
                    "{url} allows browser clients but does not expose `WWW-Authenticate` \
                     (Access-Control-Expose-Headers {exposed:?}); they cannot read the 401 challenge and never start OAuth"
                ),
            )
            .with_fix("send `Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version`"),
        );
    }
}

/// Widget resources the tools name must exist.
fn widgets(
    client: &mut Client<'_>,
    tools: &[Value],
    target: CheckTarget,
    findings: &mut Vec<Diagnostic>,
) {
    let severity = if matches!(target, CheckTarget::ChatgptApp | CheckTarget::Claude) {
        Severity::Error
    } else {
        Severity::Warning
    };
    for tool in tools {
        for uri in tools::widget_uris(tool) {
            let read = client.request("resources/read", Some(json!({"uri": uri})));
            let ok = read
                .as_ref()
                .ok()
                .and_then(Answer::result)
                .is_some_and(|r| {
                    r.get("contents")
                        .and_then(Value::as_array)
                        .is_some_and(|c| !c.is_empty())
                });
            if !ok {
                let why = read.map_or_else(|e| e, |a| a.failure());
                findings.push(
                    Diagnostic::new(
                        severity,
                        codes::MCP_WIDGET_MISSING,
                        &format!("tools[{}]._meta", tools::name_of(tool)),
                        format!(
                            "`{}` names the widget {uri}, but resources/read gives nothing ({why}); the host shows no widget",
                            tools::name_of(tool)
                        ),
                    )
                    .with_fix("register the widget as a resource with that URI (MIME text/html;profile=mcp-app)"),
                );
            }
        }
    }
}

/// Whether `check` may call the tool: it says it is read-only and not destructive.
fn callable(tool: &Value) -> bool {
    tool.pointer("/annotations/readOnlyHint") == Some(&Value::Bool(true))
        && tool.pointer("/annotations/destructiveHint") != Some(&Value::Bool(true))
}

/// Calls the read-only tools that need no arguments and judges their results.
fn call_read_only(
    client: &mut Client<'_>,
    tools: &[Value],
    findings: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) {
    let mut skipped = Vec::new();
    for tool in tools {
        let name = tools::name_of(tool);
        if !callable(tool) {
            skipped.push(format!("{name} (not read-only)"));
            continue;
        }
        let required = tool
            .pointer("/inputSchema/required")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty());
        if required {
            skipped.push(format!("{name} (needs arguments)"));
            continue;
        }
        let at = format!("tools[{name}]");
        let answer = match client
            .request("tools/call", Some(json!({"name": name, "arguments": {}})))
        {
            Ok(answer) => answer,
            Err(message) => {
                findings.push(
                    Diagnostic::error(codes::MCP_CALL, &at, message).with_fix("answer tools/call"),
                );
                continue;
            }
        };
        let Some(result) = answer.result() else {
            findings.push(
                Diagnostic::error(
                    codes::MCP_CALL,
                    &at,
                    format!("calling `{name}` failed: {}", answer.failure()),
                )
                .with_fix("return a result; a failed call is a result with isError: true"),
            );
            continue;
        };
        if result.get("isError") == Some(&Value::Bool(true)) {
            notes.push(format!("{name} answered isError without arguments"));
            continue;
        }
        notes.push(format!("called {name}"));
        judge_result(name, &at, tool, result, findings);
    }
    if !skipped.is_empty() {
        notes.push(format!("not called: {}", skipped.join(", ")));
    }
}

/// A tool result against the tool's outputSchema, and its text block.
pub fn judge_result(
    name: &str,
    at: &str,
    tool: &Value,
    result: &Value,
    findings: &mut Vec<Diagnostic>,
) {
    let structured = result.get("structuredContent");
    if let Some(output_schema) = tool.get("outputSchema").filter(|s| s.is_object()) {
        match structured {
            None => findings.push(
                Diagnostic::error(
                    codes::MCP_CALL_STRUCTURED,
                    at,
                    format!(
                        "`{name}` declares an outputSchema but returned no structuredContent; \
                         clients that validate results (the official SDKs) fail the call"
                    ),
                )
                .with_fix("return structuredContent that fits the outputSchema"),
            ),
            Some(value) => {
                let wrong = schema::mismatches(value, output_schema);
                if !wrong.is_empty() {
                    findings.push(
                        Diagnostic::error(
                            codes::MCP_CALL_STRUCTURED,
                            at,
                            format!(
                                "`{name}`'s structuredContent does not fit its outputSchema ({}); \
                                 clients that validate results fail the call",
                                wrong.join("; ")
                            ),
                        )
                        .with_fix("make the result and the outputSchema agree"),
                    );
                }
            }
        }
    }
    if let Some(value) = structured {
        let texts: Vec<&str> = result
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|c| c.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|c| c.get("text").and_then(Value::as_str))
            .collect();
        let echoed = texts
            .iter()
            .any(|t| serde_json::from_str::<Value>(t).is_ok_and(|v| &v == value));
        if !echoed {
            findings.push(
                Diagnostic::warning(
                    codes::MCP_CALL_TEXT,
                    at,
                    format!(
                        "`{name}` returns structuredContent without the same JSON in a text block; \
                         clients that read only content (older ones) see {}",
                        if texts.is_empty() {
                            "nothing"
                        } else {
                            "something else"
                        }
                    ),
                )
                .with_fix("add a text content block holding the serialized structuredContent"),
            );
        }
    }
}
