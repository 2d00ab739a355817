//! Real consumers of the generated spec, beyond `ai-plugin check`: for every auth type, the spec
//! a generated server serves is accepted by openapi-spec-validator, and openapi-core finds every
//! answer the server gives on the spec's operations (successes, bad input, a full list, missing
//! items, refused credentials) described by it: status, content type and body schema. A client
//! generated from the spec can then rely on it. The conformance test holds the other stacks to
//! the same answers, so the Rust stack speaks for all three here.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::credentials::{list_path, token};
use support::{Client, Reply, Server, free_port, generate, readme_commands, require_toolchain};

/// A virtual environment with the consumers, shared by the runs of one target directory.
fn consumers_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("consumers-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(status.success(), "python3 -m venv failed");
    }
    let output = Command::new(&python)
        .args(["-m", "pip", "install", "-q", "openapi-core>=0.19", "pyyaml"])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "installing openapi-core failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    python
}

/// The requests and answers to check.
#[derive(Default)]
struct Exchanges(Vec<Value>);

impl Exchanges {
    /// Sends a request and records it with its answer.
    fn send(&mut self, client: &Client, method: &str, path: &str, body: Option<&str>) -> Reply {
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("content-type", "application/json")]
        } else {
            &[]
        };
        let reply = client.send_raw(method, path, body.map(|b| b.as_bytes().to_vec()), headers);
        self.0.push(json!({
            "method": method,
            "path": path,
            "request_body": body,
            "request_content_type": body.map(|_| "application/json"),
            "status": reply.status,
            "content_type": reply.header("content-type"),
            "body": String::from_utf8_lossy(&reply.body),
            "headers": reply
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect::<serde_json::Map<_, _>>(),
        }));
        reply
    }
}

#[test]
fn every_answer_of_the_api_is_described_by_the_served_spec() {
    require_toolchain("python");
    let python = consumers_python();
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumers/validate.py");
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let project = tmp.path().join(auth);
        generate(&project, &["--auth", auth]);
        let port = free_port();
        let run = &readme_commands(&project)[0];
        let server = Server::start(&project, run, port, &tmp.path().join(format!("{auth}.db")));
        let client = Client::new(&server.base, token(&project, auth, &server.base).as_deref());
        let list = list_path(auth);
        let mut x = Exchanges::default();

        x.send(&client, "GET", list, None);
        let added = x.send(&client, "POST", list, Some(r#"{"todo": "buy milk"}"#));
        let too_long = format!(r#"{{"todo": "{}"}}"#, "x".repeat(501));
        for bad in [
            "{}",
            r#"{"todo": ""}"#,
            r#"{"todo": 7}"#,
            "[1]",
            "{\"todo\": ",
            &too_long,
        ] {
            x.send(&client, "POST", list, Some(bad));
        }
        let id = added.json()["id"].as_str().unwrap().to_owned();
        x.send(&client, "DELETE", &format!("{list}/{id}"), None);
        x.send(&client, "DELETE", &format!("{list}/{id}"), None);
        for i in 0..100 {
            client.send(
                "POST",
                list,
                Some(json!({"todo": format!("item {i}")})),
                &[],
            );
        }
        x.send(&client, "GET", list, None);
        x.send(&client, "POST", list, Some(r#"{"todo": "one too many"}"#));
        if auth != "none" {
            let anonymous = Client::new(&server.base, None);
            let wrong = Client::new(&server.base, Some("wrong-token"));
            for caller in [&anonymous, &wrong] {
                x.send(caller, "GET", list, None);
                x.send(caller, "POST", list, Some(r#"{"todo": "sneaky"}"#));
                x.send(caller, "DELETE", &format!("{list}/1"), None);
            }
        }

        let spec = Client::new(&server.base, None).get("/openapi.yaml").text();
        let record = tmp.path().join(format!("{auth}-exchanges.json"));
        std::fs::write(
            &record,
            serde_json::to_vec(&json!({"spec": spec, "exchanges": x.0})).unwrap(),
        )
        .unwrap();
        let output = Command::new(&python)
            .arg(&validator)
            .arg(&record)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "auth {auth}: the served spec does not describe what the server answers:\n{report}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            report.contains(&format!("{} responses checked, 0 not described", x.0.len())),
            "{report}"
        );
    }
}
