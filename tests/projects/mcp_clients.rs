//! Official MCP clients against every stack and auth type, each server started with its
//! README's run command: rmcp's client (the Rust SDK) in both protocol eras, a 2025-era
//! `initialize` handshake and a 2026-07-28 stateless `server/discover`, lists the tools and runs
//! an add, list, delete round trip; the MCP Inspector's CLI lists the tools.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rmcp::model::{CallToolRequestParams, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt as _};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::credentials::token;
use support::{Server, free_port, generate, readme_commands};

const AUTHS: &[&str] = &["none", "service_http", "user_http", "oauth"];

/// A generated project, started as its README says, with a credential for its auth type.
struct Started {
    server: Server,
    token: Option<String>,
    auth: &'static str,
    name: String,
    _tmp: tempfile::TempDir,
}

fn start(stack: &str, auth: &'static str) -> Started {
    support::require_toolchain(stack);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(format!("mcp-{stack}-{auth}"));
    let name = format!("mcp_{auth}");
    generate(
        &project,
        &["--stack", stack, "--auth", auth, "--name-for-model", &name],
    );
    let commands = readme_commands(&project);
    let server = Server::start(
        &project,
        &commands[0],
        free_port(),
        &tmp.path().join("plugin.db"),
    );
    let token = token(&project, auth, &server.base);
    Started {
        server,
        token,
        auth,
        name,
        _tmp: tmp,
    }
}

/// The tool arguments: `username` where the REST path carries it.
fn arguments(auth: &str, fields: Value) -> serde_json::Map<String, Value> {
    let Value::Object(mut fields) = fields else {
        panic!("tool arguments must be a JSON object, not {fields}");
    };
    if !matches!(auth, "user_http" | "oauth") {
        fields.insert("username".into(), json!("alice"));
    }
    fields
}

/// Connects with rmcp's client in `lifecycle`, lists the tools, adds an item, finds it in the
/// list, deletes it and checks it is gone. The errors say which step failed.
async fn round_trip(started: &Started, lifecycle: ClientLifecycleMode) -> Result<(), String> {
    let mut config =
        StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", started.server.base));
    if let Some(token) = &started.token {
        config = config.auth_header(token.clone());
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    let client =
        ().serve_with_lifecycle(transport, lifecycle)
            .await
            .map_err(|e| format!("connecting: {e}"))?;
    let info = client.peer_info().ok_or("no server info")?;
    let server_name = info.server_info.as_ref().map(|i| i.name.clone());
    if server_name.as_deref() != Some(started.name.as_str()) {
        return Err(format!("the server's name is {server_name:?}"));
    }
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list: {e}"))?;
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    if names != ["listTodos", "addTodo", "deleteTodo"] {
        return Err(format!("the tools are {names:?}"));
    }
    let call = |tool: &'static str, fields: Value| {
        let params =
            CallToolRequestParams::new(tool).with_arguments(arguments(started.auth, fields));
        let client = &client;
        async move {
            let result = client
                .call_tool(params)
                .await
                .map_err(|e| format!("{tool}: {e}"))?;
            if result.is_error == Some(true) {
                return Err(format!("{tool} failed: {:?}", result.content));
            }
            result
                .structured_content
                .ok_or_else(|| format!("{tool}: no structuredContent"))
        }
    };
    let text = format!("round trip {}", info.protocol_version);
    let item = call("addTodo", json!({"todo": text})).await?;
    let id = item["id"].as_str().ok_or("addTodo: no id")?.to_owned();
    if item["todo"] != text.as_str() {
        return Err(format!("addTodo returned {item}"));
    }
    let listed = call("listTodos", json!({})).await?;
    if !listed["todos"]
        .as_array()
        .is_some_and(|todos| todos.contains(&item))
    {
        return Err(format!("listTodos does not list {item}: {listed}"));
    }
    let deleted = call("deleteTodo", json!({"todo_id": id})).await?;
    if deleted != json!({"deleted": id}) {
        return Err(format!("deleteTodo returned {deleted}"));
    }
    let listed = call("listTodos", json!({})).await?;
    if listed["todos"]
        .as_array()
        .is_none_or(|todos| todos.contains(&item))
    {
        return Err(format!("the deleted item is still listed: {listed}"));
    }
    client.cancel().await.map_err(|e| format!("closing: {e}"))?;
    Ok(())
}

/// rmcp's client in both eras against one stack, for every auth type.
fn rmcp_client_round_trips(stack: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for &auth in AUTHS {
        let started = start(stack, auth);
        let eras = [
            ("2025-era initialize", ClientLifecycleMode::Initialize),
            (
                "2026-07-28 stateless",
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            ),
        ];
        for (era, lifecycle) in eras {
            if let Err(e) = runtime.block_on(round_trip(&started, lifecycle)) {
                failures.push(format!("{stack}, {auth}, {era}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rmcp_client_round_trips_with_the_rust_stack() {
    rmcp_client_round_trips("rust");
}

#[test]
fn rmcp_client_round_trips_with_the_python_stack() {
    rmcp_client_round_trips("python");
}

#[test]
fn rmcp_client_round_trips_with_the_typescript_stack() {
    rmcp_client_round_trips("typescript");
}

/// Where `.ci/run` installs the Inspector and, when the machine's Node.js is older than the
/// Inspector needs, a Node.js 22 from npm's `node` package.
fn tools_dir() -> PathBuf {
    match std::env::var_os("MCP_TOOLS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("mcp-tools"),
    }
}

/// The Inspector's launcher and the PATH to run it with (Node.js 22.19+ first); panics with one
/// line saying what to install when it is missing.
fn inspector() -> (PathBuf, std::ffi::OsString) {
    let dir = tools_dir();
    let launcher = dir.join("inspector/node_modules/.bin/mcp-inspector");
    assert!(
        launcher.exists(),
        "the MCP Inspector is not installed in {}: run .ci/run once, or `mkdir -p {0}/inspector && cp .ci/tools/inspector/package*.json {0}/inspector && npm ci --prefix {0}/inspector` (it needs Node.js 22.19+)",
        dir.display()
    );
    let mut paths = vec![dir.join("node22/node_modules/.bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    (launcher, std::env::join_paths(paths).unwrap())
}

/// `mcp-inspector --cli URL --transport http --method tools/list` lists the three tools of every
/// stack, for every auth type (the credential as an `Authorization` header).
#[test]
fn the_mcp_inspector_lists_every_stacks_tools() {
    let (launcher, path) = inspector();
    // The Inspector keeps a catalog, tokens and storage under the home folder: a fresh one.
    let home = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for stack in ["rust", "python", "typescript"] {
        for &auth in AUTHS {
            let started = start(stack, auth);
            let mut command = Command::new(&launcher);
            command
                .env("PATH", &path)
                .env("HOME", home.path())
                .env("MCP_CATALOG_PATH", home.path().join("mcp.json"))
                .args(["--cli", &format!("{}/mcp", started.server.base)])
                .args(["--transport", "http", "--method", "tools/list"]);
            if let Some(token) = &started.token {
                command.args(["--header", &format!("Authorization: Bearer {token}")]);
            }
            let output = command.output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let names: Vec<String> = serde_json::from_str::<Value>(&stdout)
                .ok()
                .and_then(|listed| {
                    listed["tools"].as_array().map(|tools| {
                        tools
                            .iter()
                            .map(|tool| tool["name"].as_str().unwrap_or_default().to_owned())
                            .collect()
                    })
                })
                .unwrap_or_default();
            if !output.status.success() || names != ["listTodos", "addTodo", "deleteTodo"] {
                failures.push(format!(
                    "{stack}, {auth}: the inspector exited with {} and listed {names:?}:\n{stdout}\n{}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
