//! A small MCP client over Streamable HTTP, on the HTTP client `check` already has: JSON-RPC
//! requests `POSTed` with `Accept: application/json, text/event-stream`, answers read as JSON or
//! as the `data:` lines of a server-sent event stream.
//!
//! Two eras: the 2025 one (`initialize`, `notifications/initialized`, then calls carrying the
//! negotiated `MCP-Protocol-Version` and any `Mcp-Session-Id`) and 2026-07-28 (stateless:
//! each request carries its version, client info and capabilities in `_meta`, and the
//! `Mcp-Method` / `Mcp-Name` headers; `server/discover` says what the server supports).

use serde_json::{Map, Value, json};

use crate::check::live::{Http, Reply};

/// The newest 2025-era revision, sent in `initialize`.
pub const LEGACY_VERSION: &str = "2025-11-25";
/// The stateless revision.
pub const MODERN_VERSION: &str = "2026-07-28";
/// How many pages of a list `check` reads before it stops (a server looping its cursor).
const MAX_PAGES: usize = 50;

/// Which protocol era a request is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize` first, then calls (2025-03-26 to 2025-11-25).
    Legacy,
    /// Stateless requests with `_meta` (2026-07-28).
    Modern,
}

/// One JSON-RPC exchange: the HTTP reply, and the JSON-RPC message found in it.
pub(crate) struct Answer {
    /// The HTTP reply.
    pub(crate) reply: Reply,
    /// The JSON-RPC response with the request's id, if the body held one.
    pub(crate) message: Option<Value>,
}

impl Answer {
    /// The `result` of a successful response.
    pub(crate) fn result(&self) -> Option<&Value> {
        self.message.as_ref()?.get("result")
    }

    /// A short description of what came back instead of a result.
    pub(crate) fn failure(&self) -> String {
        match &self.message {
            Some(message) => match message.get("error") {
                Some(error) => format!(
                    "HTTP {}, JSON-RPC error {} {}",
                    self.reply.status,
                    error.get("code").unwrap_or(&Value::Null),
                    error.get("message").and_then(Value::as_str).unwrap_or("")
                ),
                None => format!("HTTP {}, a response without result", self.reply.status),
            },
            None => format!(
                "HTTP {} ({}), no JSON-RPC response",
                self.reply.status,
                self.reply
                    .header("content-type")
                    .unwrap_or("no content type")
            ),
        }
    }
}

/// An MCP client of one server, in one era.
pub(crate) struct Client<'a> {
    http: &'a Http,
    /// The MCP endpoint.
    pub(crate) url: String,
    token: Option<String>,
    session: Option<String>,
    /// The era requests are sent in.
    pub(crate) era: Era,
    /// The protocol version sent with requests (negotiated, for the 2025 era).
    pub(crate) version: String,
    next_id: u64,
}

impl<'a> Client<'a> {
    /// A client of `url` in `era`, sending `token` as a bearer token.
    pub(crate) fn new(http: &'a Http, url: &str, token: Option<&str>, era: Era) -> Client<'a> {
        Client {
            http,
            url: url.to_owned(),
            token: token.map(str::to_owned),
            session: None,
            era,
            version: match era {
                Era::Legacy => LEGACY_VERSION,
                Era::Modern => MODERN_VERSION,
            }
            .to_owned(),
            next_id: 1,
        }
    }

    /// The bearer token this client sends.
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The body of a request (`id` given) or a notification, in this client's era.
    pub(crate) fn body(&self, id: Option<u64>, method: &str, params: Option<Value>) -> Value {
        let mut params = match params {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        if self.era == Era::Modern {
            params.insert(
                "_meta".to_owned(),
                json!({
                    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
                    "io.modelcontextprotocol/clientInfo": client_info(),
                    "io.modelcontextprotocol/clientCapabilities": {},
                }),
            );
        }
        let mut body = json!({"jsonrpc": "2.0", "method": method});
        if !params.is_empty() || self.era == Era::Modern || id.is_some() {
            body["params"] = Value::Object(params);
        }
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        body
    }

    /// The headers of a request for `method` (`name`: the tool of a `tools/call`), without
    /// credentials.
    pub(crate) fn headers(&self, method: &str, name: Option<&str>) -> Vec<(String, String)> {
        let mut headers = vec![
            (
                "accept".to_owned(),
                "application/json, text/event-stream".to_owned(),
            ),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        // The 2025 era sends the version after initialization; 2026-07-28 always.
        if method != "initialize" {
            headers.push(("mcp-protocol-version".to_owned(), self.version.clone()));
        }
        if let Some(session) = &self.session {
            headers.push(("mcp-session-id".to_owned(), session.clone()));
        }
        if self.era == Era::Modern {
            headers.push(("mcp-method".to_owned(), method.to_owned()));
            if let Some(name) = name {
                headers.push(("mcp-name".to_owned(), name.to_owned()));
            }
        }
        headers
    }

    /// POSTs `body` to `url` with this client's headers for `method`, plus `extra`; with
    /// `credentials`, the bearer token too.
    pub(crate) fn post(
        &self,
        url: &str,
        body: &Value,
        method: &str,
        extra: &[(&str, &str)],
        credentials: bool,
    ) -> Result<Reply, String> {
        let name = body.pointer("/params/name").and_then(Value::as_str);
        let mut owned = self.headers(method, name);
        if credentials && let Some(token) = &self.token {
            owned.push(("authorization".to_owned(), format!("Bearer {token}")));
        }
        let mut headers: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.extend_from_slice(extra);
        let bytes = serde_json::to_vec(body).expect("JSON always serializes");
        Http::send(&self.http.calls, "POST", url, &headers, Some(&bytes))
    }

    /// Sends a request and reads its answer.
    pub(crate) fn request(
        &mut self,
        method: &str,
        params: Option<Value>,
    ) -> Result<Answer, String> {
        let id = self.next_id;
        self.next_id += 1;
        let body = self.body(Some(id), method, params);
        let reply = self.post(&self.url, &body, method, &[], true)?;
        let message = parse_message(&reply, id);
        Ok(Answer { reply, message })
    }

    /// Sends a notification; the HTTP status it got (202 expected).
    pub(crate) fn notify(&mut self, method: &str) -> Result<u16, String> {
        let body = self.body(None, method, None);
        self.post(&self.url, &body, method, &[], true)
            .map(|reply| reply.status)
    }

    /// `initialize` (2025 era): on success the negotiated version and the session id are
    /// kept for later requests, and `notifications/initialized` is sent. The notification's
    /// HTTP status comes back with the answer.
    pub(crate) fn initialize(&mut self) -> Result<(Answer, Option<u16>), String> {
        let params = json!({
            "protocolVersion": LEGACY_VERSION,
            "capabilities": {},
            "clientInfo": client_info(),
        });
        let answer = self.request("initialize", Some(params))?;
        let Some(result) = answer.result() else {
            return Ok((answer, None));
        };
        if let Some(version) = result.get("protocolVersion").and_then(Value::as_str) {
            version.clone_into(&mut self.version);
        }
        self.session = answer.reply.header("mcp-session-id").map(str::to_owned);
        let status = self.notify("notifications/initialized")?;
        Ok((answer, Some(status)))
    }

    /// Every item of a paginated list (`tools/list` → `tools`), following `nextCursor`.
    pub(crate) fn list(&mut self, method: &str, key: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = cursor.as_ref().map(|c| json!({"cursor": c}));
            let answer = self.request(method, params)?;
            let Some(result) = answer.result() else {
                return Err(format!("{method} failed: {}", answer.failure()));
            };
            match result.get(key) {
                Some(Value::Array(page)) => items.extend(page.iter().cloned()),
                _ => return Err(format!("{method} answered without a `{key}` array")),
            }
            match result.get("nextCursor").and_then(Value::as_str) {
                Some(next) if Some(next) != cursor.as_deref() => cursor = Some(next.to_owned()),
                _ => return Ok(items),
            }
        }
        Err(format!(
            "{method} kept giving a nextCursor after {MAX_PAGES} pages"
        ))
    }
}

/// Who `check` says it is.
fn client_info() -> Value {
    json!({"name": "ai-plugin-check", "version": env!("CARGO_PKG_VERSION")})
}

/// The JSON-RPC response with `id` in a reply: the body as JSON, or the `data:` lines of a
/// server-sent event stream, one event at a time.
pub(crate) fn parse_message(reply: &Reply, id: u64) -> Option<Value> {
    let text = String::from_utf8_lossy(&reply.body);
    let is_stream = reply
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/event-stream"));
    // A JSON-RPC response: not any JSON object (a plain HTTP API answers 404 with JSON too).
    let is_response = |v: &Value| {
        v.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
            && (v.get("result").is_some() || v.get("error").is_some())
    };
    let is_ours = |v: &Value| is_response(v) && v.get("id").and_then(Value::as_u64) == Some(id);
    if !is_stream {
        return serde_json::from_str::<Value>(text.trim())
            .ok()
            .filter(is_response);
    }
    let mut data = String::new();
    for line in text.lines().chain(std::iter::once("")) {
        if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if line.trim().is_empty() && !data.is_empty() {
            if let Ok(value) = serde_json::from_str::<Value>(&data)
                && is_ours(&value)
            {
                return Some(value);
            }
            data.clear();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(content_type: &str, body: &str) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn answers_are_read_as_json_or_from_an_event_stream() {
        let json = reply(
            "application/json",
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        );
        assert_eq!(parse_message(&json, 1).unwrap()["result"], json!({}));
        let stream = reply(
            "text/event-stream",
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n\
             id: 7\ndata: {\"jsonrpc\":\"2.0\",\ndata: \"id\":2,\"result\":{\"ok\":true}}\n\n",
        );
        assert_eq!(parse_message(&stream, 2).unwrap()["result"]["ok"], true);
        assert!(parse_message(&stream, 3).is_none());
        let unterminated = reply(
            "text/event-stream",
            "data: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":1}",
        );
        assert_eq!(parse_message(&unterminated, 4).unwrap()["result"], 1);
        assert!(parse_message(&reply("text/html", "<html>"), 1).is_none());
        // A plain HTTP API's JSON error is not a JSON-RPC answer.
        let api_error = reply("application/json", r#"{"error": "not found"}"#);
        assert!(parse_message(&api_error, 1).is_none());
    }

    #[test]
    fn the_eras_differ_in_meta_and_headers() {
        let http = Http::new();
        let legacy = Client::new(&http, "http://x/mcp", None, Era::Legacy);
        let body = legacy.body(Some(1), "tools/list", None);
        assert!(body["params"].get("_meta").is_none());
        let headers = legacy.headers("initialize", None);
        assert!(!headers.iter().any(|(k, _)| k == "mcp-protocol-version"));
        let modern = Client::new(&http, "http://x/mcp", None, Era::Modern);
        let body = modern.body(Some(1), "tools/call", Some(json!({"name": "a"})));
        assert_eq!(
            body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        let headers = modern.headers("tools/call", Some("a"));
        for (name, value) in [
            ("mcp-protocol-version", MODERN_VERSION),
            ("mcp-method", "tools/call"),
            ("mcp-name", "a"),
        ] {
            assert!(
                headers.iter().any(|(k, v)| k == name && v == value),
                "{name}: {headers:?}"
            );
        }
    }
}
