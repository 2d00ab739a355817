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
use support::credentials::{
    REDIRECT_URI, approve, authorization, code_of, first_pair, list_path, token, token_request,
};
use support::{Client, Reply, Server, env_value, free_port, generate, readme_commands, run_line};

/// Every stack `ai-plugin new --stack` offers; the first is the reference.
const STACKS: &[&str] = &["rust", "typescript", "python"];

/// What one request got back, normalized for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Observation {
    step: String,
    status: u16,
    body: Value,
    headers: BTreeMap<String, String>,
}

/// Replaces generated ids (by order of first appearance), error texts and tokens with
/// placeholders. RFC 6749 error codes (`invalid_grant`) are kept: they must agree.
fn normalize(value: &mut Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match (key.as_str(), &*field) {
                    ("id", Value::String(id)) => {
                        let n = if let Some(n) = ids.iter().position(|known| known == id) {
                            n
                        } else {
                            ids.push(id.clone());
                            ids.len() - 1
                        };
                        *field = Value::String(format!("<id {}>", n + 1));
                    }
                    ("error", Value::String(text))
                        if !text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
                    {
                        *field = Value::String("<error>".into());
                    }
                    ("error_description", Value::String(_)) => {
                        *field = Value::String("<description>".into());
                    }
                    ("access_token" | "refresh_token", Value::String(_)) => {
                        *field = Value::String("<token>".into());
                    }
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
    /// `http://localhost:PORT`: each stack runs on its own port.
    origin: String,
}

/// Replaces `from` with `to` in every string of `value`.
fn replace_in_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) => *text = text.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| replace_in_strings(field, from, to)),
        _ => {}
    }
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
        replace_in_strings(&mut body, &self.origin, "http://localhost:<port>");
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
        // Where a redirect goes: the target, and its query with codes and texts as placeholders.
        let location = reply.header("location");
        if !location.is_empty() {
            let (target, query) = location.split_once('?').unwrap_or((location, ""));
            let params: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| match name.as_ref() {
                    "code" => "code=<code>".to_owned(),
                    "error_description" => "error_description=<description>".to_owned(),
                    _ => format!("{name}={value}"),
                })
                .collect();
            headers.insert(
                "location".to_owned(),
                format!("{target}?{}", params.join("&")),
            );
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

/// The OAuth server's answers, good and bad.
fn oauth_scenario(r: &mut Recorder, project: &Path, base: &str) {
    let browser = Client::new(base, None);
    let valid = authorization(project, "s t/ä");
    let page = browser.get(&format!("/oauth/authorize?{valid}"));
    // Enter in the password field submits the form's first submit button: it must allow.
    let page_text = page.text();
    let first_submit = page_text
        .split("type=\"submit\"")
        .nth(1)
        .expect("the consent page has submit buttons");
    assert!(
        first_submit
            .trim_start()
            .starts_with("name=\"decision\" value=\"allow\""),
        "the first submit button must be Allow: {page_text}"
    );
    r.record("authorize page", &page);
    let with = |name: &str, value: &str| {
        let mut query: Vec<(String, String)> = form_urlencoded::parse(valid.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(k, _)| k != name)
            .collect();
        if !value.is_empty() {
            query.push((name.to_owned(), value.to_owned()));
        }
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish()
    };
    for (step, query) in [
        (
            "authorize unknown client",
            with("client_id", "someone-else"),
        ),
        (
            "authorize foreign redirect",
            with("redirect_uri", "https://evil.example/cb"),
        ),
        ("authorize without state", with("state", "")),
        ("authorize token flow", with("response_type", "token")),
        ("authorize unknown scope", with("scope", "admin")),
        (
            "authorize plain pkce",
            with("code_challenge_method", "plain"),
        ),
    ] {
        r.record(step, &browser.get(&format!("/oauth/authorize?{query}")));
    }
    let deny = format!("{valid}&decision=deny");
    r.record(
        "deny",
        &browser.send_raw(
            "POST",
            "/oauth/authorize",
            Some(deny.into_bytes()),
            &[("content-type", "application/x-www-form-urlencoded")],
        ),
    );
    r.record("wrong password", &approve(project, base, "wrong-password"));
    let (_, password) = first_pair(project, "OAUTH_USERS");
    let approved = approve(project, base, &password);
    r.record("approve", &approved);
    let code = code_of(&approved);
    let exchange =
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI});
    let mut wrong_secret = exchange.clone();
    wrong_secret["client_id"] = json!(env_value(project, "OAUTH_CLIENT_ID"));
    wrong_secret["client_secret"] = json!("wrong");
    r.record(
        "token with a wrong secret",
        &browser.send("POST", "/oauth/token", Some(wrong_secret), &[]),
    );
    let mut other_redirect = exchange.clone();
    other_redirect["redirect_uri"] = json!("http://localhost:9/cb");
    let tokens = r.record("exchange", &token_request(project, base, exchange.clone()));
    r.record("replay the code", &token_request(project, base, exchange));
    r.record(
        "unknown grant type",
        &token_request(project, base, json!({"grant_type": "password"})),
    );
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]});
    r.record(
        "refresh after a replay",
        &token_request(project, base, refresh),
    );
    r.record(
        "unknown code",
        &token_request(project, base, other_redirect),
    );
}

/// The same requests for every stack; returns what each got.
fn scenario(server: &Server, project: &Path, auth: &str, port: u16) -> Vec<Observation> {
    let token = token(project, auth, &server.base);
    let client = Client::new(&server.base, token.as_deref());
    let anonymous = Client::new(&server.base, None);
    let list = list_path(auth);
    let mut r = Recorder {
        ids: Vec::new(),
        seen: Vec::new(),
        origin: format!("http://localhost:{port}"),
    };

    // The documents, with absolute URLs from the default PUBLIC_URL (http://localhost:$PORT).
    let manifest = r.record("manifest", &anonymous.get("/.well-known/ai-plugin.json"));
    let origin = format!("http://localhost:{port}");
    assert_eq!(manifest["api"]["url"], format!("{origin}/openapi.yaml"));
    assert_eq!(manifest["logo_url"], format!("{origin}/logo.png"));
    assert_eq!(manifest["auth"]["type"], auth);
    if matches!(auth, "service_http" | "oauth") {
        assert_eq!(
            manifest["auth"]["verification_tokens"]["openai"],
            env_value(project, "OPENAI_VERIFICATION_TOKEN")
        );
        // Each project has its own secrets.
        let recorded = &mut r.seen.last_mut().unwrap().body;
        recorded["auth"]["verification_tokens"]["openai"] = "<verification token>".into();
    }
    if auth == "oauth" {
        assert_eq!(
            manifest["auth"]["client_url"],
            format!("{origin}/oauth/authorize")
        );
        assert_eq!(
            manifest["auth"]["authorization_url"],
            format!("{origin}/oauth/token")
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
        ("add array of text", json!(["buy milk"])),
        ("add too long", json!({"todo": "x".repeat(501)})),
    ] {
        r.record(step, &client.send("POST", list, Some(body), &[]));
    }
    r.record(
        "add 500 characters",
        &client.send("POST", list, Some(json!({"todo": "é".repeat(500)})), &[]),
    );
    r.record(
        "add with a repeated key",
        &client.send_raw(
            "POST",
            list,
            Some(br#"{"todo": "first", "todo": "last"}"#.to_vec()),
            &[("content-type", "application/json")],
        ),
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
    // Paths no stack routes (an empty segment, a trailing slash), with and without credentials:
    // a 404 before any credential check.
    for (method, path) in [
        ("GET", format!("{list}/")),
        ("DELETE", format!("{list}/")),
        ("DELETE", format!("{list}//x")),
        ("GET", "/todos//alice".to_owned()),
        ("POST", "/todos//alice".to_owned()),
        ("DELETE", "/todos//alice".to_owned()),
        ("DELETE", "/todos//alice/x".to_owned()),
    ] {
        for (who, caller) in [("anonymous", &anonymous), ("with credentials", &client)] {
            r.record(
                &format!("{method} {path} {who}"),
                &caller.send(method, &path, None, &[]),
            );
        }
    }

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
    if auth == "oauth" {
        oauth_scenario(&mut r, project, &server.base);
    }
    r.seen
}

/// Generates the project for `stack` and `auth`, runs its tests, starts it with its README's
/// run command, runs the scenario, restarts it and checks persistence.
fn run_stack(stack: &str, auth: &str) -> Vec<Observation> {
    support::require_toolchain(stack);
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
            "--name-for-human",
            "Conformance",
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
    let token = token(&project, auth, &server.base);
    let list = list_path(auth);
    let after = Client::new(&server.base, token.as_deref()).get(list).json();
    let todos: Vec<&str> = after["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["todo"].as_str().unwrap())
        .collect();
    assert_eq!(
        todos,
        ["eggs", &"é".repeat(500), "last"],
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
    assert_eq!(status("add array of text"), 400);
    assert_eq!(status("add with a repeated key"), 201);
    assert_eq!(status("add broken json"), 400);
    assert_eq!(status("wrong method"), 405);
    assert_eq!(status("unknown route"), 404);
    if auth != "none" {
        assert_eq!(status("list without token"), 401);
        assert_eq!(status("add without token"), 401);
    }
    if auth == "oauth" {
        let observed = |step: &str| reference.iter().find(|o| o.step == step).unwrap();
        assert_eq!(status("authorize page"), 200);
        for step in ["authorize unknown client", "authorize foreign redirect"] {
            assert_eq!(status(step), 400, "{step}");
            assert!(!observed(step).headers.contains_key("location"), "{step}");
        }
        let location = |step: &str| observed(step).headers["location"].clone();
        assert!(location("authorize without state").contains("error=invalid_request"));
        assert!(location("deny").contains("error=access_denied&"));
        assert!(location("deny").ends_with("state=s t/ä"));
        assert!(location("approve").contains("code=<code>&state=s t/ä"));
        assert_eq!(status("wrong password"), 200);
        assert_eq!(status("exchange"), 200);
        assert_eq!(observed("replay the code").body["error"], "invalid_grant");
        assert_eq!(status("token with a wrong secret"), 401);
        assert_eq!(
            observed("refresh after a replay").body["error"],
            "invalid_grant"
        );
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

#[test]
fn every_stack_behaves_alike_with_oauth() {
    conform("oauth");
}
