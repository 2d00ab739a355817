//! What the end-to-end tests share: generating a project, running its README's commands,
//! starting it on a free loopback port, and an HTTP client that reports every status.
#![allow(dead_code)]

pub mod check;
pub mod credentials;
pub mod flood;
pub mod mcp;
pub mod postgres;
pub mod schemathesis;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The target directory every generated project builds into.
pub fn shared_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-projects")
}

/// Builds of generated Rust projects go to the shared target directory, without debug
/// information or incremental caches: a run builds dozens of projects, and with them the
/// directory grew past 8 GB, more than a CI machine's disk holds. Their tests need neither.
fn rust_builds(command: &mut Command) -> &mut Command {
    command
        .env("CARGO_TARGET_DIR", shared_target())
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_PROFILE_TEST_DEBUG", "0")
        .env_remove("RUSTFLAGS")
}

pub fn generate(dir: &Path, args: &[&str]) {
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

/// A project of `stack` with auth `oauth`, generated as `<a fresh temporary folder>/<dir>` with
/// `name_for_model` and the `more` answers, once `stack`'s toolchain is found: the set-up of the
/// OAuth flow tests. The folder, and the project in it, go when the returned `TempDir` drops.
pub fn oauth_project(
    stack: &str,
    dir: &str,
    name_for_model: &str,
    more: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    require_toolchain(stack);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(dir);
    let mut args = vec![
        "--stack",
        stack,
        "--auth",
        "oauth",
        "--name-for-model",
        name_for_model,
    ];
    args.extend_from_slice(more);
    generate(&project, &args);
    (tmp, project)
}

/// Runs cargo in `project`; a build, test, check or clippy run is `--locked`, so it fails when
/// the generated `Cargo.lock` does not match `Cargo.toml` instead of resolving again.
pub fn cargo(project: &Path, args: &[&str]) {
    let mut args = args.to_vec();
    if matches!(
        args.first(),
        Some(&("build" | "test" | "check" | "clippy" | "run"))
    ) {
        args.insert(1, "--locked");
    }
    let output = rust_builds(&mut Command::new(env!("CARGO")))
        .args(&args)
        .current_dir(project)
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

/// Settings for npm in generated TypeScript projects: quiet, no audit or funding requests, and
/// packages from npm's cache (shared by every project of a run) without asking again.
fn npm_settings(command: &mut Command) -> &mut Command {
    command
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_prefer_offline", "true")
        .env("npm_config_loglevel", "error")
}

/// Panics with what is missing if `stack`'s toolchain is not installed, so a missing tool is
/// one clear message instead of a failed command line.
pub fn require_toolchain(stack: &str) {
    if stack == "python" {
        require_python();
        return;
    }
    if stack != "typescript" {
        return;
    }
    let version = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    // `node:sqlite` (the generated projects' database) is there without a flag from 22.13.
    let wanted = "the typescript stack needs Node.js 22.13 or newer (.ci/run installs one from \
                  npm's `node` package when the machine's is older)";
    let node = version("node").unwrap_or_else(|| panic!("{wanted}; `node` is not on PATH"));
    let mut parts = node.trim_start_matches('v').split('.');
    let mut number = || {
        parts
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let found = (number(), number());
    assert!(found >= (22, 13), "{wanted}; `node --version` says {node}");
    assert!(
        version("npm").is_some(),
        "the typescript stack needs npm, and `npm` is not on PATH (it comes with Node.js)"
    );
}

/// Panics with what is missing unless `python3` is Python 3.10 or newer with the `venv` and
/// `ensurepip` modules (which Debian splits off into python3-venv).
fn require_python() {
    let check = "import sys, venv, ensurepip; print(sys.version.split()[0]); \
                 sys.exit(sys.version_info < (3, 10))";
    let output = Command::new("python3")
        .args(["-c", check])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "the python stack needs Python 3.10 or newer with the venv module (on Debian and \
                 Ubuntu: apt-get install python3 python3-venv), and `python3` fails to run: {e}"
            )
        });
    assert!(
        output.status.success(),
        "the python stack needs Python 3.10 or newer with the venv and ensurepip modules \
         (on Debian and Ubuntu: apt-get install python3-venv); python3 says: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs one shell command line in `project`, as a person would type it; panics with its output
/// if it fails. Generated Rust projects build into the shared target directory.
pub fn run_line(project: &Path, line: &str) {
    run_line_with(project, line, &[]);
}

/// [`run_line`] with more environment variables (`DATABASE_URL`).
pub fn run_line_with(project: &Path, line: &str, env: &[(&str, &str)]) {
    let output = rust_builds(npm_settings(&mut Command::new("sh")))
        .args(["-c", line])
        .envs(env.iter().copied())
        .current_dir(project)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`{line}` failed in {}:\n{}\n{}",
        project.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The two command lines of the first fenced block of the generated README.
pub fn readme_commands(project: &Path) -> Vec<String> {
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

/// A loopback port that is free now and was not handed out before in this test process. The
/// kernel may give a port it gave a moment ago to the next request; two tests asking at once
/// could then both start a server on it, and the one that listens first would answer the
/// other's requests (one e2e run met a no-auth server where its OAuth server should be).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if GIVEN.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// A running generated server; stopped (SIGTERM to its process group) when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Runs `command` through `sh` in `project` with `PORT` and `DATA_PATH` set. The command
    /// may be a list (`npm install && npm start`): stopping signals the whole process group.
    pub fn start(project: &Path, command: &str, port: u16, data: &Path) -> Server {
        Server::start_with(project, command, port, data, &[])
    }

    /// [`Server::start`] with more environment variables (`DATABASE_URL`, `PUBLIC_URL`).
    pub fn start_with(
        project: &Path,
        command: &str,
        port: u16,
        data: &Path,
        env: &[(&str, &str)],
    ) -> Server {
        Server::try_start(project, command, port, data, env)
            .unwrap_or_else(|(status, stderr)| panic!("the server exited with {status}: {stderr}"))
    }

    /// [`Server::start_with`], or the exit status and stderr of a server that exits before it
    /// listens. A run command that builds (`cargo run`) is built first, so that no build counts
    /// against the time a server has to start.
    pub fn try_start(
        project: &Path,
        command: &str,
        port: u16,
        data: &Path,
        env: &[(&str, &str)],
    ) -> Result<Server, (ExitStatus, String)> {
        if let Some(options) = command.strip_prefix("cargo run") {
            run_line_with(
                project,
                &format!("cargo build --locked --quiet{options}"),
                env,
            );
        }
        let mut cmd = Command::new("sh");
        rust_builds(npm_settings(&mut cmd))
            .args(["-c", command])
            .current_dir(project)
            .env("PORT", port.to_string())
            .env("DATA_PATH", data)
            .envs(env.iter().copied())
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
                return Err((status, stderr));
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    pub fn stop(mut self) -> String {
        assert!(
            self.signal_and_wait("TERM").is_some(),
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

    /// Sends `signal` (`INT` as Ctrl-C does, `TERM`) to the server's process group and waits
    /// for it to exit: its exit status and what it wrote on stderr. Start the server with
    /// `exec` for the status to be the server's own rather than `sh`'s.
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, String) {
        let status = self
            .signal_and_wait(signal)
            .unwrap_or_else(|| panic!("the server did not stop within 20 s of SIG{signal}"));
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status, stderr)
    }

    /// Sends `signal` to the server's process group; its exit status if it exited within 20 s
    /// (it is killed otherwise).
    fn signal_and_wait(&mut self, signal: &str) -> Option<ExitStatus> {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), "--", &group])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.signal_and_wait("TERM");
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// An HTTP client that reports every status instead of failing on 4xx and 5xx, and never
/// follows redirects.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<&str>) -> Client {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                // A redirect is an answer to look at, not to follow.
                .max_redirects(0)
                .build(),
        );
        Client {
            agent,
            base: base.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    /// Sends `body` as JSON (with `Content-Type: application/json`), or no body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        match body {
            Some(body) => {
                let mut headers = headers.to_vec();
                headers.push(("content-type", "application/json"));
                self.send_raw(method, path, Some(body.to_string().into_bytes()), &headers)
            }
            None => self.send_raw(method, path, None, headers),
        }
    }

    /// Sends exactly these bytes and headers (and the bearer token, if the client has one).
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.try_send_raw(method, path, body, headers)
            .unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base))
    }

    /// [`Client::send_raw`], with a connection that fails (a server killed under way) as an
    /// error rather than a panic.
    pub fn try_send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(body) => self.agent.run(request.body(body).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = result?;
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.body_mut().read_to_vec()?;
        Ok(Reply {
            status: response.status().as_u16(),
            headers,
            body,
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[])
    }
}

/// A value from the project's generated `.env`.
pub fn env_value(project: &Path, name: &str) -> String {
    let env = std::fs::read_to_string(project.join(".env")).unwrap();
    env.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in .env"))
        .to_owned()
}

/// The answers a project was generated with, as its server must serve them exactly.
pub struct ServedAnswers<'a> {
    pub name_for_human: &'a str,
    pub description_for_human: &'a str,
    pub description_for_model: &'a str,
    pub legal_info_url: &'a str,
    /// The legal page's heading: the name, HTML-escaped.
    pub legal_heading: &'a str,
}

/// The answers come back exactly from the manifest, the spec and the legal page.
pub fn assert_serves_answers(base: &str, answers: &ServedAnswers<'_>) {
    let client = Client::new(base, None);
    let manifest = client.get("/.well-known/ai-plugin.json").json();
    assert_eq!(manifest["name_for_human"], answers.name_for_human);
    assert_eq!(
        manifest["description_for_human"],
        answers.description_for_human
    );
    assert_eq!(
        manifest["description_for_model"],
        answers.description_for_model
    );
    assert_eq!(manifest["legal_info_url"], answers.legal_info_url);
    let spec: Value = serde_saphyr::from_str(&client.get("/openapi.yaml").text()).unwrap();
    assert_eq!(spec["info"]["title"], answers.name_for_human);
    assert_eq!(spec["info"]["description"], answers.description_for_human);
    let legal = client.get("/legal").text();
    assert!(
        legal.contains(&format!("<h1>{}</h1>", answers.legal_heading)),
        "{legal}"
    );
}
