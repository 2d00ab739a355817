//! One behaviour for every stack: for each auth type, generate a project per stack, run its
//! tests and start it exactly as its README says, send the same HTTP requests to each, and
//! compare what comes back (status, JSON body, the headers that matter) with the Rust stack.
//! Then restart each server and check the data survived.
//!
//! Generated ids and error messages may differ between stacks; they are replaced by
//! placeholders (`<id 1>`, `<error>`) before comparing. Everything else must be identical.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use support::{Client, Reply, Server, env_value, free_port, generate, readme_commands, run_line};

/// Every stack `ai-plugin new --stack` offers; the first is the reference.
const STACKS: &[&str] = &["rust"];

/// What one request got back, normalized for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Observation {
    step: String,
    status: u16,
    body: Value,
    headers: BTreeMap<String, String>,
}

/// Replaces generated ids (by order of first appearance) and error texts with placeholders.
fn normalize(value: &mut Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match (key.as_str(), &*field) {
                    ("id", Value::String(id)) => {
                        let n = match ids.iter().position(|known| known == id) {
                            Some(n) => n,
                            None => {
                                ids.push(id.clone());
                                ids.len() - 1
                            }
                        };
                        *field = Value::String(format!("<id {}>", n + 1));
                    }
                    ("error", Value::String(_)) => *field = Value::String("<error>".into()),
                    _ => normalize(field, ids),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| normalize(item, ids)),
        _ => {}
    }
}

/// A comma-separated header as a sorted, lowercased list.
fn as_set(value: &str) -> String {
    let mut items: Vec<String> = value
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    items.sort();
    items.join(",")
}

/// The scenario's memory: ids seen so far and the observations.
struct Recorder {
    ids: Vec<String>,
    seen: Vec<Observation>,
}

impl Recorder {
    fn record(&mut self, step: &str, reply: &Reply) -> Value {
        let content_type = reply
            .header("content-type")
            .replace(' ', "")
            .to_ascii_lowercase();
        let body = if content_type.starts_with("application/json") {
            reply.json()
        } else if content_type.starts_with("text/yaml")
            || content_type.starts_with("application/yaml")
        {
            serde_saphyr::from_str(&reply.text()).unwrap()
        } else if content_type.starts_with("text/html") {
            Value::String("<html>".into())
        } else if reply.body.is_empty() {
            Value::Null
        } else {
            Value::String(format!(
                "<{} bytes: {:?}>",
                reply.body.len(),
                &reply.body[..8.min(reply.body.len())]
            ))
        };
        let raw = body.clone();
        let mut body = body;
        normalize(&mut body, &mut self.ids);
        let mut headers = BTreeMap::new();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        headers.insert("content-type".to_owned(), media_type);
        for name in [
            "www-authenticate",
            "access-control-allow-origin",
            "access-control-allow-private-network",
            "access-control-allow-credentials",
        ] {
            let value = reply.header(name);
            if !value.is_empty() {
                headers.insert(name.to_owned(), value.to_owned());
            }
        }
        for name in [
            "allow",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ] {
            let value = reply.header(name);
            if !value.is_empty() {
                headers.insert(name.to_owned(), as_set(value));
            }
        }
        self.seen.push(Observation {
            step: step.to_owned(),
            status: reply.status,
            body,
            headers,
        });
        raw
    }
}

/// The credentials a project's `.env` holds: a valid bearer token, if the auth type has one.
fn token(project: &Path, auth: &str) -> Option<String> {
    match auth {
        "service_http" => Some(env_value(project, "SERVICE_AUTH_TOKEN")),
        "user_http" => {
            let pairs = env_value(project, "USER_TOKENS");
            Some(
                pairs
                    .split_once(':')
                    .unwrap()
                    .1
                    .split(',')
                    .next()
                    .unwrap()
                    .to_owned(),
            )
        }
        _ => None,
    }
}

/// The same requests for every stack; returns what each got.
fn scenario(server: &Server, project: &Path, auth: &str, port: u16) -> Vec<Observation> {
    let token = token(project, auth);
    let client = Client::new(&server.base, token.as_deref());
    let anonymous = Client::new(&server.base, None);
    let list = if auth == "user_http" {
        "/todos"
    } else {
        "/todos/alice"
    };
    let mut r = Recorder {
        ids: Vec::new(),
        seen: Vec::new(),
    };

    // The documents, with absolute URLs from the default PUBLIC_URL (http://localhost:$PORT).
    let manifest = r.record("manifest", &anonymous.get("/.well-known/ai-plugin.json"));
    let origin = format!("http://localhost:{port}");
    assert_eq!(manifest["api"]["url"], format!("{origin}/openapi.yaml"));
    assert_eq!(manifest["logo_url"], format!("{origin}/logo.png"));
    assert_eq!(manifest["auth"]["type"], auth);
    if auth == "service_http" {
        assert_eq!(
            manifest["auth"]["verification_tokens"]["openai"],
            env_value(project, "OPENAI_VERIFICATION_TOKEN")
        );
    }
    let spec = r.record("spec", &anonymous.get("/openapi.yaml"));
    assert_eq!(spec["servers"][0]["url"], origin);
    let logo = anonymous.get("/logo.png");
    assert_eq!(
        &logo.body[16..24],
        &[0, 0, 2, 0, 0, 0, 2, 0],
        "a 512x512 PNG"
    );
    r.record("logo", &logo);
    r.record("legal", &anonymous.get("/legal"));

    // Items with ids: add, list, delete by id.
    r.record("list empty", &client.get(list));
    let milk = r.record(
        "add milk",
        &client.send("POST", list, Some(json!({"todo": "buy milk"})), &[]),
    );
    let eggs = r.record(
        "add eggs",
        &client.send("POST", list, Some(json!({"todo": "  eggs  "})), &[]),
    );
    r.record("list two", &client.get(list));
    let milk_path = format!("{list}/{}", milk["id"].as_str().unwrap());
    r.record("delete milk", &client.send("DELETE", &milk_path, None, &[]));
    r.record(
        "delete milk again",
        &client.send("DELETE", &milk_path, None, &[]),
    );
    r.record(
        "delete unknown id",
        &client.send("DELETE", &format!("{list}/no-such-id"), None, &[]),
    );
    r.record("list one", &client.get(list));
    assert_eq!(client.get(list).json()["todos"], json!([eggs]));

    // Bad input: a JSON 4xx, never a 500.
    for (step, body) in [
        ("add empty object", json!({})),
        ("add empty text", json!({"todo": ""})),
        ("add blank text", json!({"todo": "   "})),
        ("add number", json!({"todo": 7})),
        ("add array", json!([1])),
        ("add too long", json!({"todo": "x".repeat(501)})),
    ] {
        r.record(step, &client.send("POST", list, Some(body), &[]));
    }
    r.record(
        "add 500 characters",
        &client.send("POST", list, Some(json!({"todo": "é".repeat(500)})), &[]),
    );
    r.record(
        "add broken json",
        &client.send_raw(
            "POST",
            list,
            Some(b"{\"todo\": ".to_vec()),
            &[("content-type", "application/json")],
        ),
    );
    r.record(
        "wrong method",
        &client.send("PUT", list, Some(json!({"todo": "x"})), &[]),
    );
    r.record("unknown route", &anonymous.get("/nowhere"));

    // Auth.
    if auth != "none" {
        r.record("list without token", &anonymous.get(list));
        r.record(
            "list with wrong token",
            &Client::new(&server.base, Some("wrong-token")).get(list),
        );
        r.record(
            "list with basic auth",
            &anonymous.send(
                "GET",
                list,
                None,
                &[("authorization", "Basic dXNlcjpwYXNz")],
            ),
        );
        r.record(
            "add without token",
            &anonymous.send("POST", list, Some(json!({"todo": "sneaky"})), &[]),
        );
        r.record(
            "delete without token",
            &anonymous.send("DELETE", &format!("{list}/1"), None, &[]),
        );
        r.record("list after refusals", &client.get(list));
    }

    // CORS preflight as Chrome sends it from ChatGPT, and a plain request's CORS headers.
    for origin in [
        "https://chat.openai.com",
        "https://chatgpt.com",
        "https://evil.example",
    ] {
        let reply = anonymous.send(
            "OPTIONS",
            list,
            None,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,openai-conversation-id,openai-ephemeral-user-id",
                ),
                ("access-control-request-private-network", "true"),
            ],
        );
        let status_class = reply.status / 100;
        let mut observed = Reply {
            status: status_class * 100,
            headers: reply.headers.clone(),
            body: Vec::new(),
        };
        observed
            .headers
            .retain(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"));
        r.record(&format!("preflight from {origin}"), &observed);
    }
    r.record(
        "list from chatgpt.com",
        &client.send("GET", list, None, &[("origin", "https://chatgpt.com")]),
    );
    r.seen
}

/// Generates the project for `stack` and `auth`, runs its tests, starts it with its README's
/// run command, runs the scenario, restarts it and checks persistence.
fn run_stack(stack: &str, auth: &str) -> Vec<Observation> {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(format!("conformance-{stack}-{auth}"));
    generate(
        &project,
        &[
            "--stack",
            stack,
            "--auth",
            auth,
            "--name-for-model",
            &format!("conformance_{auth}"),
        ],
    );
    let commands = readme_commands(&project);
    assert_eq!(
        commands.len(),
        2,
        "{stack}: the README's first block: {commands:?}"
    );
    run_line(&project, &commands[1]);

    let port = free_port();
    let data = tmp.path().join("data/todos.json");
    let server = Server::start(&project, &commands[0], port, &data);
    let observations = scenario(&server, &project, auth, port);
    let output = server.stop();
    assert!(
        output.contains(&format!("localhost:{port}")),
        "{stack}: start-up output: {output}"
    );

    // A restart keeps the items.
    let server = Server::start(&project, &commands[0], port, &data);
    let token = token(&project, auth);
    let list = if auth == "user_http" {
        "/todos"
    } else {
        "/todos/alice"
    };
    let after = Client::new(&server.base, token.as_deref()).get(list).json();
    let todos: Vec<&str> = after["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["todo"].as_str().unwrap())
        .collect();
    assert_eq!(
        todos,
        ["eggs", &"é".repeat(500)],
        "{stack}: items after a restart"
    );
    observations
}

/// Whether the stack's template implements the auth type (stacks gain them one by one).
fn implements(stack: &str, auth: &str) -> bool {
    ai_plugin::template::supports(stack.parse().unwrap(), auth.parse().unwrap())
}

fn conform(auth: &str) {
    let reference = run_stack(STACKS[0], auth);
    for stack in STACKS[1..].iter().filter(|&&s| implements(s, auth)) {
        let observed = run_stack(stack, auth);
        for (expected, got) in reference.iter().zip(&observed) {
            assert_eq!(
                got, expected,
                "{stack} differs from {} at `{}`",
                STACKS[0], expected.step
            );
        }
        assert_eq!(observed.len(), reference.len(), "{stack}: number of steps");
    }
    // The reference itself behaves as the spec says.
    let status = |step: &str| {
        reference
            .iter()
            .find(|o| o.step == step)
            .unwrap_or_else(|| panic!("no step {step}"))
            .status
    };
    assert_eq!(status("add milk"), 201);
    assert_eq!(status("delete milk"), 204);
    assert_eq!(status("delete milk again"), 404);
    assert_eq!(status("add too long"), 400);
    assert_eq!(status("add broken json"), 400);
    assert_eq!(status("wrong method"), 405);
    assert_eq!(status("unknown route"), 404);
    if auth != "none" {
        assert_eq!(status("list without token"), 401);
        assert_eq!(status("add without token"), 401);
    }
    let preflight = reference
        .iter()
        .find(|o| o.step == "preflight from https://chat.openai.com")
        .unwrap();
    assert_eq!(
        preflight.headers["access-control-allow-private-network"],
        "true"
    );
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://chat.openai.com"
    );
    let evil = reference
        .iter()
        .find(|o| o.step == "preflight from https://evil.example")
        .unwrap();
    assert!(!evil.headers.contains_key("access-control-allow-origin"));
}

#[test]
fn every_stack_behaves_alike_without_auth() {
    conform("none");
}

#[test]
fn every_stack_behaves_alike_with_service_http() {
    conform("service_http");
}

#[test]
fn every_stack_behaves_alike_with_user_http() {
    conform("user_http");
}
