//! `ai-plugin check` on MCP servers: a small MCP server started here on loopback, good in
//! every way unless a test breaks one thing, and the finding each broken thing must give;
//! a server on another SDK (the Python `mcp` package) checked as it is; `preview` of an MCP
//! server. Every generated stack and auth type is checked in `tests/projects/conformance.rs`, on the
//! servers it starts anyway.

use crate::support;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use support::check::{ai_plugin, check_json, findings};

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
        .collect()
}

// ---- a scriptable MCP server ----

/// One HTTP request as the server read it.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// What the server answers.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
    Response {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: body.into(),
    }
}

/// How the MCP server behaves: every field as a good server has it, unless a test changes it.
// Each flag is one way a server can misbehave, switched on by one test.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone)]
struct Behaviour {
    tools: Vec<Value>,
    /// What `tools/call` returns for each tool name.
    results: Vec<(String, Value)>,
    /// The widget resources it serves.
    resources: Vec<String>,
    /// A token the server wants; `None` serves everyone.
    token: Option<String>,
    /// The 401's WWW-Authenticate header (`None`: no header).
    challenge: Option<String>,
    /// The protected resource metadata: content type (empty: not served) and body.
    prm: (String, String),
    /// The authorization server's metadata.
    as_metadata: Value,
    legacy: bool,
    modern: bool,
    sse: bool,
    check_origin: bool,
    check_host: bool,
    query_token: bool,
    preflight_open: bool,
    /// Tools per `tools/list` page (`None`: all on one).
    page_size: Option<usize>,
    /// Give a session id at `initialize` and refuse 2025-era requests without it.
    session: bool,
    /// The preflight's Access-Control-Expose-Headers.
    expose: String,
    /// The content type of the authorization server's metadata (empty: not served).
    as_content_type: String,
    /// The status a notification gets.
    notification_status: u16,
    /// Whether tools/list answers with a JSON-RPC error.
    tools_list_broken: bool,
}

fn good_tool() -> Value {
    json!({
        "name": "list_notes",
        "title": "List notes",
        "description": "Use this when the user asks to see their notes.",
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": false},
        "outputSchema": {
            "type": "object",
            "properties": {"notes": {"type": "array", "items": {"type": "string"}}},
            "required": ["notes"]
        },
        "annotations": {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}
    })
}

fn good_result() -> Value {
    json!({
        "content": [{"type": "text", "text": "{\"notes\":[\"milk\"]}"}],
        "structuredContent": {"notes": ["milk"]}
    })
}

impl Behaviour {
    fn good(base: &str) -> Behaviour {
        Behaviour {
            tools: vec![good_tool()],
            results: vec![("list_notes".to_owned(), good_result())],
            resources: Vec::new(),
            token: None,
            challenge: Some(format!(
                "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""
            )),
            prm: (
                "application/json".to_owned(),
                json!({"resource": format!("{base}/mcp"), "authorization_servers": [base]})
                    .to_string(),
            ),
            as_metadata: json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "registration_endpoint": format!("{base}/register"),
                "client_id_metadata_document_supported": true,
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "authorization_response_iss_parameter_supported": true
            }),
            legacy: true,
            modern: true,
            sse: false,
            check_origin: true,
            check_host: true,
            query_token: false,
            preflight_open: true,
            page_size: None,
            session: false,
            expose: "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version".to_owned(),
            as_content_type: "application/json".to_owned(),
            notification_status: 202,
            tools_list_broken: false,
        }
    }

    /// The same server, wanting `Bearer secret-token`.
    fn with_auth(mut self) -> Behaviour {
        self.token = Some("secret-token".to_owned());
        self
    }

    fn answer(&self, request: &Request) -> Response {
        let path = request.path();
        if request.method == "OPTIONS" {
            if !self.preflight_open {
                return respond(401, "application/json", "{}");
            }
            let mut response = respond(204, "text/plain", "");
            for (name, value) in [
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "GET, POST, DELETE"),
                ("access-control-allow-headers", "*"),
                ("access-control-expose-headers", self.expose.as_str()),
            ] {
                response.headers.push((name.to_owned(), value.to_owned()));
            }
            return response;
        }
        match (request.method.as_str(), path) {
            ("GET", "/.well-known/oauth-protected-resource/mcp") if !self.prm.0.is_empty() => {
                return respond(200, &self.prm.0, self.prm.1.clone());
            }
            ("GET", "/.well-known/oauth-authorization-server")
                if !self.as_content_type.is_empty() =>
            {
                return respond(200, &self.as_content_type, self.as_metadata.to_string());
            }
            ("POST", "/mcp") => {}
            _ => return respond(404, "text/plain", "not found"),
        }
        if self.check_origin
            && let Some(origin) = request.header("origin")
            && origin != "http://localhost:6274"
        {
            return respond(403, "application/json", "{\"error\": \"origin\"}");
        }
        if self.check_host
            && !request
                .header("host")
                .is_some_and(|h| h.starts_with("127.0.0.1") || h.starts_with("localhost"))
        {
            return respond(421, "text/plain", "misdirected");
        }
        if let Some(token) = &self.token {
            let bearer = format!("Bearer {token}");
            let in_query = self.query_token && request.query() == format!("access_token={token}");
            if request.header("authorization") != Some(bearer.as_str()) && !in_query {
                let mut response =
                    respond(401, "application/json", "{\"error\": \"unauthorized\"}");
                if let Some(challenge) = &self.challenge {
                    response
                        .headers
                        .push(("www-authenticate".to_owned(), challenge.clone()));
                }
                return response;
            }
        }
        let Ok(message) = serde_json::from_slice::<Value>(&request.body) else {
            return respond(400, "application/json", "{}");
        };
        let Some(id) = message.get("id").cloned() else {
            return respond(self.notification_status, "text/plain", "");
        };
        let method = message["method"].as_str().unwrap_or("");
        let modern_request = message
            .pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion")
            .is_some();
        if self.session
            && !modern_request
            && method != "initialize"
            && request.header("mcp-session-id") != Some(SESSION)
        {
            return respond(400, "application/json", "{\"error\": \"no session\"}");
        }
        let result = match method {
            "initialize" if self.legacy => Ok(json!({
                "protocolVersion": "2025-11-25",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "notes", "version": "1"},
                "instructions": "Notes the user keeps."
            })),
            "server/discover" if self.modern && modern_request => Ok(json!({
                "supportedVersions": ["2026-07-28"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "notes", "version": "1"}
            })),
            "tools/list" if self.tools_list_broken => Err((-32603, "internal error")),
            "tools/list" if self.legacy || modern_request => {
                let size = self.page_size.unwrap_or(self.tools.len()).max(1);
                let start: usize = message
                    .pointer("/params/cursor")
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let end = (start + size).min(self.tools.len());
                let mut page = json!({"tools": self.tools[start.min(end)..end]});
                if end < self.tools.len() {
                    page["nextCursor"] = json!(end.to_string());
                }
                Ok(page)
            }
            "tools/call" => {
                let name = message.pointer("/params/name").and_then(Value::as_str);
                match self.results.iter().find(|(n, _)| Some(n.as_str()) == name) {
                    Some((_, result)) => Ok(result.clone()),
                    None => Err((-32602, "unknown tool")),
                }
            }
            "resources/read" => {
                let uri = message.pointer("/params/uri").and_then(Value::as_str);
                match self.resources.iter().find(|r| Some(r.as_str()) == uri) {
                    Some(uri) => Ok(
                        json!({"contents": [{"uri": uri, "mimeType": "text/html;profile=mcp-app", "text": "<div></div>"}]}),
                    ),
                    None => Err((-32002, "resource not found")),
                }
            }
            _ => Err((-32601, "method not found")),
        };
        let reply = match result {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, text)) => {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": text}})
            }
        };
        let mut response = if self.sse {
            respond(
                200,
                "text/event-stream",
                format!(
                    "event: message\ndata: {{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{{}}}}\n\nevent: message\ndata: {reply}\n\n"
                ),
            )
        } else {
            respond(200, "application/json", reply.to_string())
        };
        if self.session && method == "initialize" {
            response
                .headers
                .push(("mcp-session-id".to_owned(), SESSION.to_owned()));
        }
        response
    }
}

/// The session id a session-keeping server gives.
const SESSION: &str = "session-1";

/// The server on a free loopback port; stops when dropped.
struct McpServer {
    base: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl McpServer {
    fn start(change: impl FnOnce(&mut Behaviour)) -> McpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut behaviour = Behaviour::good(&base);
        change(&mut behaviour);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    serve(stream, &behaviour);
                }
            }
        });
        McpServer {
            base,
            stop,
            thread: Some(thread),
        }
    }

    fn mcp(&self) -> String {
        format!("{}/mcp", self.base)
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, behaviour: &Behaviour) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    while !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut words = lines.next().unwrap_or("").split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let target = words.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
    let request = Request {
        method,
        target,
        headers,
        body: bytes[head_end..].to_vec(),
    };
    let response = behaviour.answer(&request);
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&response.body);
}

// ---- the rules, one broken server each ----

#[test]
fn a_good_mcp_server_has_no_findings_for_any_host() {
    let server = McpServer::start(|_| {});
    for target in ["chatgpt-app", "claude", "mcp"] {
        let (code, report) = check_json(&server.mcp(), &["--target", target, "--call-read-only"]);
        assert_eq!(findings(&report), [], "{target}: {report:#}");
        assert_eq!(code, 0, "{report:#}");
        let notes = report["notes"].to_string();
        assert!(notes.contains("called list_notes"), "{notes}");
        assert!(
            notes.contains("2025 era") && notes.contains("2026-07-28"),
            "{notes}"
        );
    }
}

#[test]
fn a_good_server_behind_oauth_has_no_findings_with_a_token() {
    let server = McpServer::start(|b| *b = b.clone().with_auth());
    let (code, report) = check_json(
        &server.mcp(),
        &[
            "--target",
            "chatgpt-app",
            "--token",
            "secret-token",
            "--call-read-only",
        ],
    );
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(code, 0);
    // Without the token the discovery is still checked, and the tools are not listed.
    let (code, report) = check_json(&server.mcp(), &["--target", "chatgpt-app"]);
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(code, 0);
    assert!(
        report["notes"].to_string().contains("pass --token"),
        "{report:#}"
    );
}

#[test]
fn answers_as_an_event_stream_are_read() {
    let server = McpServer::start(|b| b.sse = true);
    let (code, report) = check_json(&server.mcp(), &["--target", "mcp", "--call-read-only"]);
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn sessions_and_pages_of_tools_are_followed() {
    let server = McpServer::start(|b| {
        b.session = true;
        b.page_size = Some(1);
        for name in ["add_note", "delete_note"] {
            let mut tool = good_tool();
            tool["name"] = json!(name);
            tool["annotations"] = json!({"readOnlyHint": false, "destructiveHint": name == "delete_note", "openWorldHint": false});
            b.tools.push(tool);
        }
    });
    let (code, report) = check_json(
        &server.mcp(),
        &["--target", "chatgpt-app", "--call-read-only"],
    );
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(code, 0);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("tools (3): list_notes, add_note, delete_note"),
        "{notes}"
    );
    // Only the read-only tool is called.
    assert!(notes.contains("called list_notes"), "{notes}");
    assert!(
        notes.contains("not called: add_note (not read-only), delete_note (not read-only)"),
        "{notes}"
    );
}

/// A broken server, the check's flags, the findings it must give and the exit code.
type Case = (
    &'static str,
    fn(&mut Behaviour),
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    i32,
);

#[test]
fn each_mcp_rule_has_a_broken_server_that_shows_its_finding() {
    let cases: &[Case] = &[
        (
            "missing hints (ChatGPT review refuses)",
            |b| {
                b.tools[0]["annotations"] = json!({"readOnlyHint": true});
            },
            &["--target", "chatgpt-app"],
            &[("mcp-tool-hints", "error")],
            1,
        ),
        (
            "missing hints (any MCP client)",
            |b| {
                b.tools[0].as_object_mut().unwrap().remove("annotations");
            },
            &["--target", "mcp"],
            &[("mcp-tool-hints", "warning")],
            0,
        ),
        (
            "no output schema",
            |b| {
                b.tools[0].as_object_mut().unwrap().remove("outputSchema");
            },
            &["--target", "chatgpt-app"],
            &[("mcp-tool-output-schema", "warning")],
            0,
        ),
        (
            "an input schema that is not an object",
            |b| b.tools[0]["inputSchema"] = json!({"type": "string"}),
            &["--target", "claude"],
            &[("mcp-tool-input-schema", "error")],
            1,
        ),
        (
            "structuredContent that does not fit the outputSchema",
            |b| {
                b.results[0].1 = json!({"content": [{"type": "text", "text": "[\"milk\"]"}], "structuredContent": {"todos": ["milk"]}});
            },
            &["--target", "mcp", "--call-read-only"],
            &[
                ("mcp-call-structured", "error"),
                ("mcp-call-text", "warning"),
            ],
            1,
        ),
        (
            "a widget that is named but not served",
            |b| {
                b.tools[0]["_meta"] = json!({"ui": {"resourceUri": "ui://widget/notes.html"}});
            },
            &["--target", "chatgpt-app"],
            &[("mcp-widget-missing", "error")],
            1,
        ),
        (
            "Origin not checked",
            |b| b.check_origin = false,
            &["--target", "mcp"],
            &[("mcp-origin", "error")],
            1,
        ),
        (
            "any Host served on a local server",
            |b| b.check_host = false,
            &["--target", "mcp"],
            &[("mcp-host", "error")],
            1,
        ),
        (
            "a preflight that wants credentials",
            |b| b.preflight_open = false,
            &["--target", "mcp"],
            &[("mcp-preflight-auth", "error")],
            1,
        ),
        (
            "only the 2026-07-28 era, for ChatGPT",
            |b| b.legacy = false,
            &["--target", "chatgpt-app"],
            &[("mcp-era", "error")],
            1,
        ),
        (
            "only the 2026-07-28 era, for any MCP client",
            |b| b.legacy = false,
            &["--target", "mcp"],
            &[],
            0,
        ),
        (
            "only the 2025 era",
            |b| b.modern = false,
            &["--target", "chatgpt-app"],
            &[],
            0,
        ),
        (
            "401 without a challenge",
            |b| {
                *b = b.clone().with_auth();
                b.challenge = None;
            },
            &["--target", "chatgpt-app"],
            &[("mcp-auth-challenge", "error")],
            1,
        ),
        (
            "metadata served as HTML",
            |b| {
                *b = b.clone().with_auth();
                b.prm = (
                    "text/html".to_owned(),
                    "<html><body>Sign in</body></html>".to_owned(),
                );
            },
            &["--target", "chatgpt-app"],
            &[("mcp-prm-json", "error")],
            1,
        ),
        (
            "metadata without `resource`",
            |b| {
                *b = b.clone().with_auth();
                let mut prm: Value = serde_json::from_str(&b.prm.1).unwrap();
                prm.as_object_mut().unwrap().remove("resource");
                b.prm.1 = prm.to_string();
            },
            &["--target", "chatgpt-app"],
            &[("mcp-prm-resource", "error")],
            1,
        ),
        (
            "an authorization server without S256",
            |b| {
                *b = b.clone().with_auth();
                b.as_metadata["code_challenge_methods_supported"] = json!(["plain"]);
            },
            &["--target", "claude"],
            &[("mcp-as-pkce", "error")],
            1,
        ),
        (
            "an authorization server without registration or iss",
            |b| {
                *b = b.clone().with_auth();
                let metadata = b.as_metadata.as_object_mut().unwrap();
                metadata.remove("registration_endpoint");
                metadata.remove("client_id_metadata_document_supported");
                metadata.remove("authorization_response_iss_parameter_supported");
            },
            &["--target", "chatgpt-app"],
            &[("mcp-as-registration", "error"), ("mcp-as-iss", "warning")],
            1,
        ),
        (
            "an authorization server whose metadata is not served",
            |b| {
                *b = b.clone().with_auth();
                b.as_content_type = String::new();
            },
            &["--target", "claude"],
            &[("mcp-as-metadata", "error")],
            1,
        ),
        (
            "a server that answers JSON-RPC but neither handshake",
            |b| {
                b.legacy = false;
                b.modern = false;
            },
            &["--target", "mcp"],
            &[("mcp-handshake", "error")],
            1,
        ),
        (
            "a notification refused",
            |b| b.notification_status = 400,
            &["--target", "mcp"],
            &[("mcp-notification-status", "error")],
            1,
        ),
        (
            "tools/list failing",
            |b| b.tools_list_broken = true,
            &["--target", "mcp"],
            &[("mcp-tools-list", "error")],
            1,
        ),
        (
            "a read-only tool whose call fails",
            |b| b.results.clear(),
            &["--target", "mcp", "--call-read-only"],
            &[("mcp-call", "error")],
            1,
        ),
        (
            "a challenge the browser cannot read",
            |b| {
                *b = b.clone().with_auth();
                b.expose = "Mcp-Session-Id".to_owned();
            },
            &["--target", "mcp"],
            &[("mcp-cors-expose", "error")],
            1,
        ),
        (
            "a challenge without resource_metadata (the well-known URL still works)",
            |b| {
                *b = b.clone().with_auth();
                b.challenge = Some("Bearer realm=\"notes\"".to_owned());
            },
            &["--target", "chatgpt-app"],
            &[("mcp-auth-challenge", "warning")],
            0,
        ),
        (
            "metadata naming no authorization server",
            |b| {
                *b = b.clone().with_auth();
                let mut prm: Value = serde_json::from_str(&b.prm.1).unwrap();
                prm["authorization_servers"] = json!([]);
                b.prm.1 = prm.to_string();
            },
            &["--target", "chatgpt-app"],
            &[("mcp-prm-authorization-servers", "error")],
            1,
        ),
        (
            "authorization server metadata served as HTML",
            |b| {
                *b = b.clone().with_auth();
                b.as_content_type = "text/html".to_owned();
            },
            &["--target", "chatgpt-app"],
            &[("mcp-as-json", "error")],
            1,
        ),
        (
            "an authorization server with another issuer, no token endpoint, no public clients",
            |b| {
                *b = b.clone().with_auth();
                b.as_metadata["issuer"] = json!("https://login.example.com");
                b.as_metadata
                    .as_object_mut()
                    .unwrap()
                    .remove("token_endpoint");
                b.as_metadata["token_endpoint_auth_methods_supported"] =
                    json!(["client_secret_basic"]);
            },
            &["--target", "chatgpt-app"],
            &[
                ("mcp-as-issuer", "error"),
                ("mcp-as-endpoints", "error"),
                ("mcp-as-token-auth", "warning"),
            ],
            1,
        ),
        (
            "a token accepted in the query string",
            |b| {
                *b = b.clone().with_auth();
                b.query_token = true;
            },
            &["--target", "mcp", "--token", "secret-token"],
            &[("mcp-query-token", "error")],
            1,
        ),
        (
            "an OAuth server without discovery (its metadata alone says OAuth)",
            |b| {
                *b = b.clone().with_auth();
                b.challenge = Some("Bearer realm=\"notes\"".to_owned());
                b.prm.0 = String::new();
            },
            &["--target", "chatgpt-app"],
            &[
                ("mcp-auth-challenge", "warning"),
                ("mcp-prm-missing", "error"),
            ],
            1,
        ),
    ];
    for (what, change, flags, expected, exit) in cases {
        let server = McpServer::start(change);
        let (code, report) = check_json(&server.mcp(), flags);
        assert_eq!(findings(&report), pairs(expected), "{what}: {report:#}");
        assert_eq!(code, *exit, "{what}: {report:#}");
        for finding in report["findings"].as_array().unwrap() {
            assert!(
                finding["fix"].is_string(),
                "{what}: every finding says how to fix it: {finding}"
            );
        }
    }
}

/// A server with a token set up by hand (no OAuth anywhere) is no fault under any target:
/// ChatGPT apps cannot send a static token, and a note says so without failing the check.
#[test]
fn a_static_token_server_gets_notes_not_findings() {
    let server = McpServer::start(|b| {
        *b = b.clone().with_auth();
        b.challenge = Some("Bearer realm=\"notes\"".to_owned());
        b.prm.0 = String::new();
        b.as_content_type = String::new();
    });
    for (target, chatgpt_note) in [("chatgpt-app", true), ("mcp", false), ("claude", false)] {
        for token in [None, Some("secret-token")] {
            let mut flags = vec!["--target", target];
            flags.extend(token.iter().flat_map(|t| ["--token", t]));
            let (code, report) = check_json(&server.mcp(), &flags);
            let what = format!("{target} with {token:?}: {report:#}");
            assert_eq!(findings(&report), [], "{what}");
            assert_eq!(code, 0, "{what}");
            let notes = report["notes"].to_string();
            assert!(notes.contains("a token set up by hand"), "{what}");
            assert_eq!(
                notes.contains("ChatGPT apps offer only no auth and OAuth"),
                chatgpt_note,
                "{what}"
            );
        }
    }
}

#[test]
fn a_url_where_nothing_answers_exits_2_with_a_json_object() {
    let port = support::free_port();
    let (code, report) = check_json(
        &format!("http://127.0.0.1:{port}/mcp"),
        &["--target", "mcp"],
    );
    assert_eq!(code, 2);
    assert_eq!(report["ok"], false);
    assert!(
        report["error"].as_str().unwrap().contains("127.0.0.1"),
        "{report:#}"
    );
}

#[test]
fn a_url_that_is_no_mcp_server_is_an_error_for_an_mcp_host() {
    let server = McpServer::start(|_| {});
    let (code, report) = check_json(
        &format!("{}/elsewhere", server.base),
        &["--target", "chatgpt-app"],
    );
    assert_eq!(
        findings(&report),
        pairs(&[("mcp-endpoint", "error")]),
        "{report:#}"
    );
    assert_eq!(code, 1);
    // A plugin's base URL for an MCP host means its /mcp.
    let (code, report) = check_json(&server.base, &["--target", "chatgpt-app"]);
    assert_eq!(findings(&report), [], "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn the_text_report_names_the_client_that_breaks_and_the_fix() {
    let server = McpServer::start(|b| {
        b.tools[0].as_object_mut().unwrap().remove("annotations");
    });
    let output = ai_plugin(&["check", &server.mcp(), "--target", "chatgpt-app"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("error[mcp-tool-hints]"), "{text}");
    assert!(text.contains("ChatGPT app review rejects"), "{text}");
    assert!(text.contains("set all three"), "{text}");
}

#[test]
fn a_folder_is_refused_for_an_mcp_host_with_the_reason() {
    let output = ai_plugin(&["check", "tests/fixtures/check/clean", "--target", "mcp"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checks a running MCP server"), "{stderr}");
}

// ---- preview ----

#[test]
fn preview_shows_the_instructions_and_each_tool_with_its_tokens() {
    let server = McpServer::start(|_| {});
    let output = ai_plugin(&["preview", &server.mcp()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(
            "instructions\nNotes the user keeps.\n\ntool list_notes (List notes)\n\
             Use this when the user asks to see their notes.\n\
             input: {\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}\n\
             annotations: readOnlyHint=true destructiveHint=false openWorldHint=false\n"
        ),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            ["instructions ", "list_notes ", "total "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert_eq!(rows.len(), 3, "a row per part and the total: {stdout}");
    assert!(stdout.contains("o200k_base"), "{stdout}");
}

#[test]
fn preview_of_a_server_the_host_refuses_says_why_and_how_to_see_more() {
    let server = McpServer::start(|b| {
        b.tools[0].as_object_mut().unwrap().remove("annotations");
    });
    let output = ai_plugin(&["preview", &server.base, "--target", "chatgpt-app"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("tool list_notes"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error[mcp-tool-hints]"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`ai-plugin check {} --target chatgpt-app` lists every finding",
            server.base
        )),
        "{stderr}"
    );
}

// ---- another SDK ----

/// A server on the Python `mcp` package 2.x (`PyPI`; `FastMCP` is `MCPServer` since 2.0), one
/// read-only tool with every hint.
const PYTHON_SERVER: &str = r#"
import sys

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel

port = int(sys.argv[1])
server = MCPServer("notes", instructions="Notes the user keeps.")


class Notes(BaseModel):
    notes: list[str]


@server.tool(
    title="List notes",
    annotations=ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False),
)
def list_notes() -> Notes:
    """Use this when the user asks to see their notes."""
    return Notes(notes=["milk"])


server.run(transport="streamable-http", host="127.0.0.1", port=port)
"#;

#[test]
fn a_python_sdk_server_gets_only_true_findings() {
    support::require_toolchain("python");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-mcp-sdk");
    let python = venv.join("bin/python");
    if !python.exists() {
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv {} failed", venv.display());
    }
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "mcp>=2,<3",
        ])
        .status()
        .unwrap();
    assert!(
        installed.success(),
        "pip install mcp failed (it comes from PyPI)"
    );
    let script = venv.join("notes_server.py");
    std::fs::write(&script, PYTHON_SERVER).unwrap();
    let port = support::free_port();
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let started = std::time::Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the Python server did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, report) = check_json(&url, &["--target", "chatgpt-app", "--call-read-only"]);
    let _ = child.kill();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let _ = child.wait();
    // What is true of this server: pydantic leaves the (empty) input schema open, so the
    // model may invent arguments, and OpenAI's strict function calling wants it closed. The
    // SDK checks Origin and Host on loopback, speaks both eras, and its result carries the
    // structured content as text too: nothing else is to be said.
    assert_eq!(
        findings(&report),
        pairs(&[("mcp-tool-additional-properties", "warning")]),
        "{report:#}\n{stderr}"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("called list_notes"), "{report:#}\n{stderr}");
    assert!(
        notes.contains("2025 era") && notes.contains("2026-07-28"),
        "{notes}"
    );
    assert_eq!(code, 0);
}
