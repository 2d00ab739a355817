//! End to end, beyond the conformance scenario: answers full of characters that break naive
//! escaping build, test and serve exactly (Rust and TypeScript), generated Rust code is
//! rustfmt- and clippy-clean, its tests reuse its run's dependency builds, every stack stops
//! cleanly on Ctrl-C and SIGTERM, and every stack's lock file is complete.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use support::{Client, Server, cargo, free_port, generate, run_line, shared_target};

/// A user's first `cargo fmt` changes nothing, whatever the auth type or name length.
#[test]
fn generated_rust_code_is_rustfmt_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        for name in ["x", "AVeryLongCamelCaseNameThatBecomesALongKebabCrateNa"] {
            let project = tmp.path().join(format!("{auth}-{}", name.len()));
            generate(&project, &["--auth", auth, "--name-for-model", name]);
            cargo(&project, &["fmt", "--check"]);
        }
    }
}

/// A user's first `cargo clippy --all-targets -- -D warnings` finds nothing, whatever the auth
/// type: no unused import or dead code left by a template condition.
#[test]
fn generated_rust_code_is_clippy_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let project = tmp.path().join(auth);
        generate(&project, &["--auth", auth]);
        cargo(
            &project,
            &["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"],
        );
    }
}

/// `cargo test` after `cargo run` (the README's two commands) builds no dependency a second
/// time: every crate both build gets the same features from both, so the tests reuse the run's
/// build, whatever the auth type. (Cargo builds a dev-dependency's features only for the tests:
/// rmcp's client there rebuilt every crate from tokio up.)
#[test]
fn the_tests_build_no_dependency_the_run_command_built_already() {
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let project = tmp.path().join(auth);
        generate(&project, &["--auth", auth]);
        // Each crate of the build (not the project itself) with its sets of features (a crate
        // built for the host and for the target may have two).
        let features = |edges: &str| {
            let output = std::process::Command::new(env!("CARGO"))
                .args(["tree", "--edges", edges, "--prefix", "none"])
                .args(["--format", "{p}|{f}"])
                .current_dir(&project)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "cargo tree failed in {}:\n{}",
                project.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            let mut crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for line in String::from_utf8(output.stdout).unwrap().lines() {
                let Some((package, features)) = line.split_once('|') else {
                    continue;
                };
                if !package.contains(" (/") {
                    crates
                        .entry(package.to_owned())
                        .or_default()
                        .insert(features.trim_end_matches(" (*)").to_owned());
                }
            }
            crates
        };
        let run = features("normal");
        let test = features("normal,dev");
        let rebuilt: Vec<String> = run
            .iter()
            .filter(|(package, features)| test[package.as_str()] != **features)
            .map(|(package, features)| {
                format!(
                    "{package}: {features:?} for cargo run, {:?} for cargo test",
                    test[package.as_str()]
                )
            })
            .collect();
        assert!(
            rebuilt.is_empty(),
            "{auth}: the dev-dependencies add features, so `cargo test` builds these again; \
             give the normal dependencies the same features:\n{}",
            rebuilt.join("\n")
        );
    }
}

/// Ctrl-C (SIGINT) and SIGTERM stop a server of every stack gracefully: exit status 0 and no
/// traceback or error on stderr, so a workshop's Ctrl-C never looks like a crash.
#[test]
fn every_stack_stops_cleanly_on_ctrl_c_and_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    for stack in ["rust", "python", "typescript"] {
        support::require_toolchain(stack);
        let project = tmp.path().join(stack);
        generate(&project, &["--stack", stack, "--name-for-model", "stopper"]);
        // Built or installed first, then started with `exec`: the exit status is the server's.
        let command = match stack {
            "rust" => {
                cargo(&project, &["build", "--quiet"]);
                let binary = shared_target().join("debug").join("stopper");
                format!("exec {}", binary.display())
            }
            "python" => {
                run_line(
                    &project,
                    "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e .",
                );
                "exec .venv/bin/python -m app".to_owned()
            }
            _ => {
                run_line(&project, "npm ci && npm run build");
                // As `npm start` runs it: node:sqlite warns on Node.js 24 without the flag.
                "exec node --disable-warning=ExperimentalWarning dist/src/main.js".to_owned()
            }
        };
        for signal in ["INT", "TERM"] {
            let port = free_port();
            let data = tmp.path().join(format!("{stack}-{signal}.db"));
            let server = Server::start(&project, &command, port, &data);
            let client = Client::new(&server.base, None);
            assert_eq!(client.get("/todos/alice").status, 200);
            let (status, stderr) = server.stop_with(signal);
            assert!(
                status.success(),
                "{stack} exited with {status} on SIG{signal}; stderr:\n{stderr}"
            );
            for sign in ["Traceback", "Error", "error:", "panicked"] {
                assert!(
                    !stderr.contains(sign),
                    "{stack} wrote `{sign}` on SIG{signal}:\n{stderr}"
                );
            }
        }
    }
}

/// Text with everything that breaks naive JSON, YAML, TOML, Rust, HTML or handlebars output.
const NASTY_NAME: &str = "Q\"x\\ {{y}} #: 🎉<b>";
const NASTY_DESCRIPTION_FOR_HUMAN: &str =
    "- dash: \"quoted\" 'single' \\n {{{raw}}} & <tag>\nsecond line # not a comment";
const NASTY_DESCRIPTION_FOR_MODEL: &str = "Plugin for testing: \"quotes\", \\backslashes\\, {{handlebars}}, \
    YAML specials - [a] {b}: #c, &anchor *alias !tag |block >fold %directive @ `tick`,\n\
    emoji 🎉🚀, a tab\tand a line separator\u{2028}and yes/no/null/0x1F.";

/// Generates a `service_http` project for `stack` whose answers are all [`NASTY_NAME`] and co.
fn generate_nasty(project: &std::path::Path, stack: &str) {
    generate(
        project,
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
            "--stack",
            stack,
        ],
    );
}

/// The nasty answers come back exactly from the manifest, the spec and the legal page.
fn assert_serves_nasty_answers(server: &Server) {
    support::assert_serves_answers(
        &server.base,
        &support::ServedAnswers {
            name_for_human: NASTY_NAME,
            description_for_human: NASTY_DESCRIPTION_FOR_HUMAN,
            description_for_model: NASTY_DESCRIPTION_FOR_MODEL,
            legal_info_url: "https://example.com/legal?a=1&b=%22#top",
            legal_heading: "Q&quot;x\\ {{y}} #: 🎉&lt;b&gt;",
        },
    );
}

#[test]
fn nasty_answers_build_and_serve_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("nasty");
    generate_nasty(&project, "rust");
    cargo(&project, &["test", "--quiet"]);
    cargo(&project, &["build", "--quiet"]);
    let port = free_port();
    let binary = format!("{}/debug/nasty-strings", shared_target().display());
    let server = Server::start(&project, &binary, port, &tmp.path().join("plugin.db"));
    assert_serves_nasty_answers(&server);
}

/// The TypeScript stack reads user text from the project's files, never from its code: nasty
/// answers install, pass the project's tests and are served exactly.
#[test]
fn typescript_nasty_answers_install_test_and_serve_exactly() {
    support::require_toolchain("typescript");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("nasty");
    generate_nasty(&project, "typescript");
    run_line(&project, "npm ci && npm test");
    let port = free_port();
    let server = Server::start(&project, "npm start", port, &tmp.path().join("plugin.db"));
    assert_serves_nasty_answers(&server);
}

mod oauth_client {
    //! A generated OAuth plugin driven by a real OAuth 2 client library (the `oauth2` crate),
    //! for both token request content types and both client credential methods, in every
    //! stack that implements OAuth.

    use std::path::Path;

    use oauth2::basic::{BasicClient, BasicErrorResponseType};
    use oauth2::{
        AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
        HttpResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope,
        TokenResponse, TokenUrl,
    };
    use serde_json::Value;

    use super::support::{
        Client, Server, cargo, env_value, free_port, oauth_project, readme_commands, shared_target,
    };

    const REDIRECT: &str = "https://chat.openai.com/aip/plugin-e2e/oauth/callback";

    /// Sends what the library asks, over ureq; for `json`, the form body is re-encoded as the
    /// JSON object `ChatGPT` sends when the manifest says `application/json`.
    fn http_client(as_json: bool) -> impl Fn(HttpRequest) -> Result<HttpResponse, ureq::Error> {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build(),
        );
        move |request: HttpRequest| {
            let (mut parts, body) = request.into_parts();
            let body = if as_json {
                let fields: serde_json::Map<String, Value> = form_urlencoded::parse(&body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect();
                parts.headers.insert(
                    "content-type",
                    "application/json".parse().expect("a header value"),
                );
                serde_json::to_vec(&fields).expect("JSON serializes")
            } else {
                body
            };
            let mut response = agent.run(oauth2::http::Request::from_parts(parts, body))?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.body_mut().read_to_vec()?;
            let mut reply = oauth2::http::Response::new(body);
            *reply.status_mut() = status;
            *reply.headers_mut() = headers;
            Ok(reply)
        }
    }

    /// Plays the browser: opens the consent page, signs in and approves; returns the code and
    /// the state from the redirect.
    fn consent(base: &str, authorize_url: &str, user: &str, password: &str) -> (String, String) {
        let browser = Client::new(base, None);
        let path = authorize_url
            .strip_prefix(base)
            .expect("the URL is on the plugin");
        let page = browser.get(path);
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("<form method=\"post\">"));
        // The form's only hidden field is the id of the request the page was shown for.
        let id = crate::support::credentials::request_id(&page.text());
        let form = format!(
            "request_id={id}&username={user}&password={}&decision=allow",
            form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
        );
        let approved = browser.send_raw(
            "POST",
            "/oauth/authorize",
            Some(form.into_bytes()),
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(approved.status, 303, "{}", approved.text());
        let location = approved.header("location");
        assert!(location.starts_with(REDIRECT), "{location}");
        let query = location.split_once('?').expect("a query").1;
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map_or_else(|| panic!("no {name} in {location}"), |(_, v)| v.clone())
        };
        (get("code"), get("state"))
    }

    fn flow(project: &Path, base: &str, as_json: bool, auth_type: AuthType) {
        let http = http_client(as_json);
        let client = BasicClient::new(ClientId::new(env_value(project, "OAUTH_CLIENT_ID")))
            .set_client_secret(ClientSecret::new(env_value(project, "OAUTH_CLIENT_SECRET")))
            .set_auth_uri(AuthUrl::new(format!("{base}/oauth/authorize")).unwrap())
            .set_token_uri(TokenUrl::new(format!("{base}/oauth/token")).unwrap())
            .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap())
            .set_auth_type(auth_type);
        let users = env_value(project, "OAUTH_USERS");
        let (user, password) = users.split_once(':').unwrap();

        // With PKCE, as a modern client does.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("todos".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let (code, state) = consent(base, url.as_str(), user, password);
        assert_eq!(&state, csrf.secret(), "state comes back unchanged");
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .set_pkce_verifier(verifier)
            .request(&http)
            .expect("the code is exchanged");
        assert_eq!(tokens.scopes().unwrap()[0].as_str(), "todos");
        assert!(tokens.expires_in().is_some());
        let api = Client::new(base, Some(tokens.access_token().secret()));
        assert_eq!(api.get("/todos").status, 200);

        // Replaying the code fails with invalid_grant and revokes its tokens.
        match client
            .exchange_code(AuthorizationCode::new(code))
            .request(&http)
        {
            Err(RequestTokenError::ServerResponse(error)) => {
                assert_eq!(*error.error(), BasicErrorResponseType::InvalidGrant);
            }
            other => panic!("a replayed code must fail with invalid_grant: {other:?}"),
        }
        assert_eq!(api.get("/todos").status, 401);

        // Without PKCE, as ChatGPT does; then refresh, which rotates the refresh token.
        let (url, _) = client.authorize_url(CsrfToken::new_random).url();
        let (code, _) = consent(base, url.as_str(), user, password);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .request(&http)
            .expect("the code is exchanged without PKCE");
        let refresh = tokens.refresh_token().expect("a refresh token").clone();
        let refreshed = client
            .exchange_refresh_token(&refresh)
            .request(&http)
            .expect("the refresh token is exchanged");
        assert_ne!(
            refreshed.refresh_token().unwrap().secret(),
            refresh.secret()
        );
        let api = Client::new(base, Some(refreshed.access_token().secret()));
        assert_eq!(api.get("/todos").status, 200);
        let replay = client
            .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
            .request(&http);
        assert!(
            matches!(replay, Err(RequestTokenError::ServerResponse(ref e)) if *e.error() == BasicErrorResponseType::InvalidGrant),
            "{replay:?}"
        );

        // A wrong client secret is invalid_client.
        let wrong = client
            .clone()
            .set_client_secret(ClientSecret::new("wrong".to_owned()))
            .exchange_refresh_token(refreshed.refresh_token().unwrap())
            .request(&http);
        assert!(
            matches!(wrong, Err(RequestTokenError::ServerResponse(ref e)) if *e.error() == BasicErrorResponseType::InvalidClient),
            "{wrong:?}"
        );
    }

    #[test]
    fn a_real_oauth2_client_completes_the_flow_for_both_content_types() {
        for content_type in ["json", "form"] {
            let (tmp, project) = oauth_project(
                "rust",
                &format!("oauth-{content_type}"),
                &format!("oauth_{content_type}"),
                &["--oauth-content-type", content_type],
            );
            cargo(&project, &["build", "--quiet"]);
            let binary = format!("{}/debug/oauth-{content_type}", shared_target().display());
            let server = Server::start(&project, &binary, free_port(), &tmp.path().join("d.db"));
            for auth_type in [AuthType::RequestBody, AuthType::BasicAuth] {
                flow(&project, &server.base, content_type == "json", auth_type);
            }
        }
    }

    /// Generates an OAuth plugin in `stack` for each content type, starts it with its README's
    /// run command (as the conformance test does), and drives it with both client credential
    /// methods.
    fn drive_the_stack_started_as_its_readme_says(stack: &str) {
        for content_type in ["json", "form"] {
            let (tmp, project) = oauth_project(
                stack,
                &format!("oauth-{stack}-{content_type}"),
                &format!("oauth_{content_type}"),
                &["--oauth-content-type", content_type],
            );
            let run = &readme_commands(&project)[0];
            let server = Server::start(&project, run, free_port(), &tmp.path().join("d.db"));
            for auth_type in [AuthType::RequestBody, AuthType::BasicAuth] {
                flow(&project, &server.base, content_type == "json", auth_type);
            }
        }
    }

    #[test]
    fn a_real_oauth2_client_completes_the_flow_with_the_python_stack() {
        drive_the_stack_started_as_its_readme_says("python");
    }

    #[test]
    fn a_real_oauth2_client_completes_the_flow_with_the_typescript_stack() {
        drive_the_stack_started_as_its_readme_says("typescript");
    }
}

mod locks {
    //! The lock files the stacks ship (`Cargo.lock`, `package-lock.json`, `constraints.txt`):
    //! each is complete for its manifest, whatever the auth type. `scripts/lock-templates`
    //! writes them again after a manifest changes.

    use std::collections::BTreeMap;
    use std::path::Path;
    use std::process::{Command, Output};

    use super::support::{generate, require_toolchain, run_line};

    const REGENERATE: &str = "run scripts/lock-templates to write the locks again";

    fn output(project: &Path, program: &str, args: &[&str]) -> Output {
        let output = Command::new(program)
            .args(args)
            .current_dir(project)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "`{program} {}` failed in {} ({REGENERATE}):\n{}{}",
            args.join(" "),
            project.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Cargo accepts the generated `Cargo.lock` with `--locked`, and writes it back byte for
    /// byte (so the first `cargo run` leaves it alone), for every auth type (OAuth adds crates)
    /// and for project names that sort before, between and after the locked crates (cargo sorts
    /// the project's own entry among them).
    #[test]
    fn the_rust_lock_is_complete_for_every_auth_type_and_name() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            ("none", "aa_plugin"),
            ("service_http", "tokio_todo"),
            ("user_http", "zz_top"),
            ("oauth", "aa_plugin"),
            ("oauth", "serde_todo"),
            ("oauth", "zz_top"),
        ];
        for (auth, name) in cases {
            let project = tmp.path().join(format!("{auth}-{name}"));
            generate(&project, &["--auth", auth, "--name-for-model", name]);
            let metadata = ["metadata", "--quiet", "--format-version", "1"];
            output(
                &project,
                env!("CARGO"),
                &[&metadata[..], &["--locked"]].concat(),
            );
            let shipped = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
            output(&project, env!("CARGO"), &metadata);
            let written = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
            if let Some((line, (a, b))) = shipped
                .lines()
                .zip(written.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                panic!(
                    "{auth}, {name}: cargo rewrote Cargo.lock at line {}: {a:?} became {b:?} \
                     ({REGENERATE})",
                    line + 1
                );
            }
            assert_eq!(
                shipped.lines().count(),
                written.lines().count(),
                "{auth}, {name}: cargo rewrote the end of Cargo.lock ({REGENERATE})"
            );
        }
    }

    /// `npm ci` installs from the generated `package-lock.json`; it refuses a lock that does
    /// not match `package.json`.
    #[test]
    fn the_typescript_lock_installs_with_npm_ci() {
        require_toolchain("typescript");
        let tmp = tempfile::tempdir().unwrap();
        for auth in ["none", "oauth"] {
            let project = tmp.path().join(auth);
            generate(&project, &["--stack", "typescript", "--auth", auth]);
            run_line(&project, "npm ci --ignore-scripts");
        }
    }

    /// `pip` installs every package of every extra at a version `constraints.txt` pins: after
    /// installing with it, each package `pip freeze` lists (but the project) has its line there.
    #[test]
    fn the_python_constraints_pin_every_package_installed() {
        require_toolchain("python");
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("pinned");
        generate(&project, &["--stack", "python", "--auth", "oauth"]);
        run_line(
            &project,
            "python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check \
             -c constraints.txt -e '.[dev]'",
        );
        // Package names compare as pip does: case and `-`, `_`, `.` do not matter.
        let pins = |text: &str| -> BTreeMap<String, String> {
            text.lines()
                .filter_map(|line| line.split_once("=="))
                .map(|(name, version)| {
                    let name = name.trim().to_lowercase().replace(['_', '.'], "-");
                    (name, version.trim().to_owned())
                })
                .collect()
        };
        let constraints = pins(&std::fs::read_to_string(project.join("constraints.txt")).unwrap());
        let pip = project.join(".venv/bin/pip");
        let frozen = output(
            &project,
            pip.to_str().unwrap(),
            &[
                "freeze",
                "--exclude-editable",
                "--disable-pip-version-check",
            ],
        );
        let frozen = String::from_utf8(frozen.stdout).unwrap();
        let unpinned: Vec<&str> = frozen
            .lines()
            .filter(|line| {
                let pinned = pins(line);
                pinned.is_empty() || pinned.iter().any(|(n, v)| constraints.get(n) != Some(v))
            })
            .collect();
        assert!(
            frozen.lines().count() > 20,
            "pip freeze listed too little:\n{frozen}"
        );
        assert!(
            unpinned.is_empty(),
            "installed but not pinned in constraints.txt ({REGENERATE}): {unpinned:?}"
        );
    }
}
