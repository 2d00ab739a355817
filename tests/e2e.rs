//! End to end: generate a project for every auth type, run its own tests, start it on a free
//! loopback port and talk HTTP to it, restart it, and check what it serves.
//!
//! Generated Rust projects share one cargo target directory, so their dependencies are built
//! once for the whole run.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The target directory every generated project builds into.
fn shared_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-projects")
}

fn generate(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_ai-plugin"))
        .arg("new")
        .arg(dir)
        .args(["--yes", "--contact-email", "dev@example.com"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ai-plugin new failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cargo(project: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo {args:?} failed in {}:\n{}\n{}",
        project.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The two command lines of the first fenced block of the generated README.
fn readme_commands(project: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    let block = readme
        .split("```")
        .nth(1)
        .expect("the README has a fenced code block");
    let mut lines = block.lines();
    lines.next(); // the info string, e.g. `sh`
    lines
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running generated server; stopped (SIGTERM to its process group) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Runs `command` through `sh` in `project` with `PORT` and `DATA_PATH` set.
    fn start(project: &Path, command: &str, port: u16, data: &Path) -> Server {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &format!("exec {command}")])
            .current_dir(project)
            .env("PORT", port.to_string())
            .env("DATA_PATH", data)
            .env("CARGO_TARGET_DIR", shared_target())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(600);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!("the server exited with {status}: {stderr}");
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn stop(mut self) -> String {
        assert!(
            self.terminate(),
            "the server did not stop within 20 s of SIGTERM"
        );
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        stdout
    }

    /// Sends SIGTERM to the server's process group; whether it exited within 20 s (it is
    /// killed otherwise).
    fn terminate(&mut self) -> bool {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate();
        }
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// An HTTP client that reports every status instead of failing on 4xx and 5xx.
struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(base: &str, token: Option<&str>) -> Client {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        Client {
            agent,
            base: base.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(body) => self.agent.run(
                request
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .unwrap(),
            ),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.body_mut().read_to_vec().unwrap();
        Reply {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[])
    }
}

/// A value from the project's generated `.env`.
fn env_value(project: &Path, name: &str) -> String {
    let env = std::fs::read_to_string(project.join(".env")).unwrap();
    env.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in .env"))
        .to_owned()
}

/// The whole life of one generated project.
fn exercise(auth: &str, run_line_one: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(format!("e2e-{auth}"));
    generate(
        &project,
        &["--auth", auth, "--name-for-model", &format!("e2e_{auth}")],
    );
    let commands = readme_commands(&project);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(commands[1], "cargo test");
    // Generated code is formatted as rustfmt would, so a user's first `cargo fmt` changes nothing.
    cargo(&project, &["fmt", "--check"]);
    // The project's own tests, exactly as its README says to run them.
    cargo(&project, &["test", "--quiet"]);

    let port = free_port();
    let data = tmp.path().join("data/todos.json");
    let start = |line_one: bool| {
        let command = if line_one {
            commands[0].clone()
        } else {
            cargo(&project, &["build", "--quiet"]);
            format!(
                "{}/debug/e2e-{}",
                shared_target().display(),
                auth.replace('_', "-")
            )
        };
        Server::start(&project, &command, port, &data)
    };
    let server = start(run_line_one);
    let (token, other_token) = match auth {
        "service_http" => (Some(env_value(&project, "SERVICE_AUTH_TOKEN")), None),
        "user_http" => {
            let pairs = env_value(&project, "USER_TOKENS");
            let (_, token) = pairs.split_once(':').unwrap();
            (Some(token.to_owned()), Some("nobody-has-this".to_owned()))
        }
        _ => (None, None),
    };
    let client = Client::new(&server.base, token.as_deref());
    let anonymous = Client::new(&server.base, None);
    let list = if auth == "user_http" {
        "/todos".to_owned()
    } else {
        "/todos/alice".to_owned()
    };

    // The documents.
    let manifest = anonymous.get("/.well-known/ai-plugin.json");
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.header("content-type"), "application/json");
    let manifest = manifest.json();
    let origin = format!("http://localhost:{port}");
    assert_eq!(manifest["api"]["url"], format!("{origin}/openapi.yaml"));
    assert_eq!(manifest["logo_url"], format!("{origin}/logo.png"));
    assert_eq!(manifest["legal_info_url"], format!("{origin}/legal"));
    assert_eq!(manifest["auth"]["type"], auth);
    if auth == "service_http" {
        assert_eq!(
            manifest["auth"]["verification_tokens"]["openai"],
            env_value(&project, "OPENAI_VERIFICATION_TOKEN")
        );
    }
    let spec = anonymous.get("/openapi.yaml");
    assert_eq!(spec.status, 200);
    let spec: Value = serde_saphyr::from_str(&spec.text()).unwrap();
    assert_eq!(spec["servers"][0]["url"], origin);
    let logo = anonymous.get("/logo.png");
    assert_eq!(logo.header("content-type"), "image/png");
    assert_eq!(&logo.body[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&logo.body[16..24], &[0, 0, 2, 0, 0, 0, 2, 0], "512x512");
    assert_eq!(anonymous.get("/legal").status, 200);

    // CRUD with ids.
    assert_eq!(client.get(&list).json(), json!({"todos": []}));
    let added = client.send("POST", &list, Some(json!({"todo": "buy milk"})), &[]);
    assert_eq!(added.status, 201);
    let milk = added.json();
    let eggs = client
        .send("POST", &list, Some(json!({"todo": "eggs"})), &[])
        .json();
    assert_eq!(client.get(&list).json(), json!({"todos": [milk, eggs]}));
    let milk_path = format!("{list}/{}", milk["id"].as_str().unwrap());
    let deleted = client.send("DELETE", &milk_path, None, &[]);
    assert_eq!(deleted.status, 204);
    let again = client.send("DELETE", &milk_path, None, &[]);
    assert_eq!(again.status, 404);
    assert!(again.json()["error"].is_string());
    assert_eq!(client.get(&list).json(), json!({"todos": [eggs]}));

    // Bad input is a JSON 4xx, never a 500.
    for body in [json!({}), json!({"todo": ""}), json!({"todo": 7})] {
        let reply = client.send("POST", &list, Some(body), &[]);
        assert_eq!(reply.status, 400);
        assert!(reply.json()["error"].is_string());
    }
    let wrong_method = client.send("PUT", &list, Some(json!({"todo": "x"})), &[]);
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.header("allow").contains("GET"));
    assert_eq!(anonymous.get("/nowhere").status, 404);

    // Auth really checks credentials.
    if auth != "none" {
        let missing = anonymous.get(&list);
        assert_eq!(missing.status, 401);
        assert!(missing.header("www-authenticate").starts_with("Bearer"));
        let wrong = Client::new(&server.base, Some("wrong-token")).get(&list);
        assert_eq!(wrong.status, 401);
        let refused = anonymous.send("POST", &list, Some(json!({"todo": "sneaky"})), &[]);
        assert_eq!(refused.status, 401);
    }
    if let Some(other) = other_token {
        assert_eq!(
            Client::new(&server.base, Some(&other)).get("/todos").status,
            401
        );
    }

    // CORS preflight as Chrome sends it from ChatGPT.
    let preflight = anonymous.send(
        "OPTIONS",
        &list,
        None,
        &[
            ("origin", "https://chat.openai.com"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization,content-type,openai-conversation-id,openai-ephemeral-user-id",
            ),
            ("access-control-request-private-network", "true"),
        ],
    );
    assert!(preflight.status < 300, "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        "https://chat.openai.com"
    );
    assert_eq!(
        preflight.header("access-control-allow-private-network"),
        "true"
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .contains("openai-ephemeral-user-id")
    );

    // A restart keeps the items.
    let output = server.stop();
    assert!(output.contains("is running at"), "{output}");
    let server = start(false);
    let client = Client::new(&server.base, token.as_deref());
    assert_eq!(client.get(&list).json(), json!({"todos": [eggs]}));
    drop(server);
}

#[test]
fn a_plugin_without_auth_runs_from_its_readme_commands() {
    exercise("none", true);
}

#[test]
fn a_service_http_plugin_runs_and_checks_its_token() {
    exercise("service_http", false);
}

#[test]
fn a_user_http_plugin_runs_and_takes_the_user_from_the_token() {
    exercise("user_http", false);
}

/// Text with everything that breaks naive JSON, YAML, TOML, Rust, HTML or handlebars output.
const NASTY_NAME: &str = "Q\"x\\ {{y}} #: 🎉<b>";
const NASTY_DESCRIPTION_FOR_HUMAN: &str =
    "- dash: \"quoted\" 'single' \\n {{{raw}}} & <tag>\nsecond line # not a comment";
const NASTY_DESCRIPTION_FOR_MODEL: &str = "Plugin for testing: \"quotes\", \\backslashes\\, {{handlebars}}, \
    YAML specials - [a] {b}: #c, &anchor *alias !tag |block >fold %directive @ `tick`,\n\
    emoji 🎉🚀, a tab\tand a line separator\u{2028}and yes/no/null/0x1F.";

#[test]
fn nasty_answers_build_and_serve_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("nasty");
    generate(
        &project,
        &[
            "--name-for-human",
            NASTY_NAME,
            "--name-for-model",
            "nasty_strings",
            "--description-for-human",
            NASTY_DESCRIPTION_FOR_HUMAN,
            "--description-for-model",
            NASTY_DESCRIPTION_FOR_MODEL,
            "--legal-info-url",
            "https://example.com/legal?a=1&b=%22#top",
            "--auth",
            "service_http",
        ],
    );
    cargo(&project, &["test", "--quiet"]);
    cargo(&project, &["build", "--quiet"]);
    let port = free_port();
    let binary = format!("{}/debug/nasty-strings", shared_target().display());
    let server = Server::start(&project, &binary, port, &tmp.path().join("todos.json"));
    let client = Client::new(&server.base, None);

    let manifest = client.get("/.well-known/ai-plugin.json").json();
    assert_eq!(manifest["name_for_human"], NASTY_NAME);
    assert_eq!(
        manifest["description_for_human"],
        NASTY_DESCRIPTION_FOR_HUMAN
    );
    assert_eq!(
        manifest["description_for_model"],
        NASTY_DESCRIPTION_FOR_MODEL
    );
    assert_eq!(
        manifest["legal_info_url"],
        "https://example.com/legal?a=1&b=%22#top"
    );
    let spec: Value = serde_saphyr::from_str(&client.get("/openapi.yaml").text()).unwrap();
    assert_eq!(spec["info"]["title"], NASTY_NAME);
    assert_eq!(spec["info"]["description"], NASTY_DESCRIPTION_FOR_HUMAN);
    let legal = client.get("/legal").text();
    assert!(
        legal.contains("<h1>Q&quot;x\\ {{y}} #: 🎉&lt;b&gt;</h1>"),
        "{legal}"
    );
}
