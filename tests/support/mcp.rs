//! JSON-RPC over Streamable HTTP to a generated server's `/mcp`, as an MCP client sends it,
//! and what the tests read from the answers.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Client, Reply};

/// The 2025-era protocol revision the tests speak (initialize, then calls).
pub const PROTOCOL_2025: &str = "2025-11-25";

/// The headers a Streamable HTTP client sends with every POST to `/mcp`.
pub fn headers(version: Option<&str>) -> Vec<(&str, &str)> {
    let mut headers = vec![("accept", "application/json, text/event-stream")];
    if let Some(version) = version {
        headers.push(("mcp-protocol-version", version));
    }
    headers
}

/// POSTs one JSON-RPC message to `path` (`/mcp`, or `/mcp?...`) with the client's bearer token
/// (if it has one) and the 2025-era headers; `extra` headers are added.
pub fn post(client: &Client, path: &str, message: &Value, extra: &[(&str, &str)]) -> Reply {
    let version = (message["method"] != "initialize").then_some(PROTOCOL_2025);
    let mut all = headers(version);
    all.extend_from_slice(extra);
    client.send("POST", path, Some(message.clone()), &all)
}

/// A JSON-RPC request.
pub fn request(id: u64, method: &str, params: Value) -> Value {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    message["params"] = params;
    message
}

/// The 2025-era `initialize` request.
pub fn initialize(id: u64) -> Value {
    request(
        id,
        "initialize",
        json!({
            "protocolVersion": PROTOCOL_2025,
            "capabilities": {},
            "clientInfo": {"name": "ai-plugin-tests", "version": "1.0.0"},
        }),
    )
}

/// The notification that ends the 2025-era handshake.
pub fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

/// A `tools/call` request.
pub fn call(id: u64, tool: &str, arguments: Value) -> Value {
    request(id, "tools/call", {
        let mut params = json!({ "name": tool });
        params["arguments"] = arguments;
        params
    })
}

/// The JSON-RPC message of an answer, sent as JSON or as one SSE event; `Null` when the body is
/// empty (a notification's 202).
pub fn message(reply: &Reply) -> Value {
    let content_type = reply.header("content-type").to_ascii_lowercase();
    if reply.body.is_empty() {
        return Value::Null;
    }
    if content_type.starts_with("text/event-stream") {
        let text = reply.text();
        let data: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .filter(|data| !data.is_empty())
            .collect();
        let last = data
            .last()
            .unwrap_or_else(|| panic!("an SSE answer without data: {text}"));
        return serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {last}"));
    }
    reply.json()
}

/// A tool call's result; panics with the answer if it is not one.
pub fn result(reply: &Reply) -> Value {
    let message = message(reply);
    assert!(
        reply.status == 200 && message.get("result").is_some(),
        "not a JSON-RPC result (HTTP {}): {message}",
        reply.status
    );
    message["result"].clone()
}

/// Sends `request` as raw HTTP/1.1 with exactly these headers (`Host` included, which HTTP
/// client libraries set themselves) and `Connection: close`; the answer.
pub fn raw_post(port: u16, host: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    head.push_str(&body);
    // A server that refuses the request (a foreign Host) may answer and close before it has
    // read the body, so the write can fail or the read end in a reset after the whole answer:
    // what counts is the answer read before that.
    let written = stream.write_all(head.as_bytes());
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "reading the answer to POST /mcp (Host {host}) failed: {e}; writing: {written:?}"
            ),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer has a blank line after its head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return body;
        };
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|e| panic!("a bad chunk size `{size_text}`: {e}"));
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}
