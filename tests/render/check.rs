//! `ai-plugin check` and `ai-plugin preview` as a user runs them: a fixture per rule that
//! breaks it, the clean fixture and every generated project without errors, the report
//! formats and exit codes, live checks against tiny broken servers started here and against a
//! generated plugin, and a golden `preview`.

use crate::support;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use ai_plugin::choices::{AuthType, Stack};
use ai_plugin::template;
use serde_json::{Value, json};
use support::check::{ai_plugin, check_json, findings};

const FIXTURES: &str = "tests/fixtures/check";

/// A fixture (under tests/fixtures/check), extra flags, and the (code, severity) of every
/// finding it must give, in order.
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// Every fixture case: each rule's fixture and what it must give.
const CASES: &[Case] = &[
    (
        "manifests/trailing-comma.json",
        &[],
        &[("manifest-syntax", "error")],
    ),
    (
        "manifests/not-object.json",
        &[],
        &[("manifest-not-object", "error")],
    ),
    (
        "manifests/missing-field.json",
        &[],
        &[("manifest-missing-field", "error")],
    ),
    (
        "manifests/wrong-type.json",
        &[],
        &[("manifest-wrong-type", "error")],
    ),
    (
        "manifests/schema-version.json",
        &[],
        &[("manifest-schema-version", "warning")],
    ),
    (
        "manifests/name-for-human.json",
        &[],
        &[("manifest-name-for-human", "warning")],
    ),
    (
        "manifests/name-for-human-over-alpha.json",
        &[],
        &[("manifest-name-for-human", "error")],
    ),
    (
        "manifests/name-for-model.json",
        &[],
        &[("manifest-name-for-model", "error")],
    ),
    (
        "manifests/description-for-human.json",
        &[],
        &[("manifest-description-for-human", "warning")],
    ),
    (
        "manifests/description-for-model.json",
        &[],
        &[("manifest-description-for-model", "error")],
    ),
    (
        "manifests/description-style.json",
        &[],
        &[("manifest-description-style", "warning")],
    ),
    (
        "manifests/auth-type.json",
        &[],
        &[("manifest-auth-type", "error")],
    ),
    (
        "manifests/auth-field.json",
        &[],
        &[
            ("manifest-auth-field", "error"),
            ("spec-security-schemes", "warning"),
        ],
    ),
    (
        "manifests/oauth-content-type.json",
        &[],
        &[
            ("manifest-oauth-content-type", "error"),
            ("spec-security-schemes", "warning"),
        ],
    ),
    (
        "manifests/oauth-missing.json",
        &[],
        &[
            ("manifest-missing-field", "error"),
            ("manifest-missing-field", "error"),
            ("spec-security-schemes", "warning"),
        ],
    ),
    (
        "manifests/api-type.json",
        &[],
        &[("manifest-api-type", "error")],
    ),
    ("manifests/url.json", &[], &[("manifest-url", "warning")]),
    (
        "manifests/contact-email.json",
        &[],
        &[("manifest-contact-email", "warning")],
    ),
    ("manifests/https.json", &[], &[("manifest-https", "error")]),
    (
        "manifests/api-domain.json",
        &["--domain", "notes.example.com"],
        &[("manifest-api-domain", "error")],
    ),
    (
        "manifests/legal-domain.json",
        &[],
        &[("manifest-legal-domain", "error")],
    ),
    (
        "manifests/email-domain.json",
        &[],
        &[("manifest-email-domain", "warning")],
    ),
    (
        "localhost-auth",
        &[],
        &[("manifest-localhost-auth", "warning")],
    ),
    ("servers-domain", &[], &[("spec-servers-domain", "error")]),
    (
        "security-schemes",
        &[],
        &[("spec-security-schemes", "warning")],
    ),
    ("no-spec", &[], &[("spec-not-found", "error")]),
    ("specs/syntax.yaml", &[], &[("spec-syntax", "error")]),
    ("specs/duplicate-key.yaml", &[], &[("spec-syntax", "error")]),
    (
        "specs/not-object.yaml",
        &[],
        &[("spec-not-object", "error")],
    ),
    (
        "specs/openapi-version.yaml",
        &[],
        &[("spec-openapi-version", "error")],
    ),
    (
        "specs/missing-field.yaml",
        &[],
        &[("spec-missing-field", "error")],
    ),
    (
        "specs/no-operations.yaml",
        &[],
        &[("spec-no-operations", "warning")],
    ),
    (
        "specs/servers-missing.yaml",
        &[],
        &[("spec-servers-missing", "warning")],
    ),
    (
        "specs/servers-missing.yaml",
        &["--target", "actions"],
        &[("spec-servers-missing", "error")],
    ),
    (
        "specs/servers-https.yaml",
        &["--target", "actions"],
        &[("spec-servers-https", "error")],
    ),
    (
        "specs/security-missing.yaml",
        &[],
        &[("spec-security-missing", "warning")],
    ),
    (
        "specs/operation-id-missing.yaml",
        &[],
        &[("spec-operation-id-missing", "error")],
    ),
    (
        "specs/operation-id-duplicate.yaml",
        &[],
        &[("spec-operation-id-duplicate", "error")],
    ),
    (
        "specs/operation-id-invalid.yaml",
        &[],
        &[("spec-operation-id-invalid", "error")],
    ),
    (
        "specs/operation-id-invalid.json",
        &[],
        &[("spec-operation-id-invalid", "error")],
    ),
    (
        "specs/description-length.yaml",
        &[],
        &[("spec-description-length", "warning")],
    ),
    (
        "specs/description-length.yaml",
        &["--target", "actions"],
        &[],
    ),
    (
        "specs/description-length-actions.yaml",
        &["--target", "actions"],
        &[("spec-description-length", "error")],
    ),
    (
        "specs/operation-undescribed.yaml",
        &[],
        &[("spec-operation-undescribed", "warning")],
    ),
    (
        "specs/parameter-description-length.yaml",
        &[],
        &[("spec-parameter-description-length", "warning")],
    ),
    (
        "specs/parameter-description-length.yaml",
        &["--target", "actions"],
        &[],
    ),
    (
        "specs/parameter-description-length-actions.yaml",
        &["--target", "actions"],
        &[("spec-parameter-description-length", "error")],
    ),
    (
        "specs/path-parameter.yaml",
        &[],
        &[("spec-path-parameter", "error")],
    ),
    (
        "specs/consequential.yaml",
        &[],
        &[("spec-consequential", "warning")],
    ),
    (
        "specs/responses-missing.yaml",
        &[],
        &[("spec-responses-missing", "error")],
    ),
    (
        "specs/success-response.yaml",
        &[],
        &[("spec-success-response", "warning")],
    ),
    (
        "specs/response-schema.yaml",
        &[],
        &[("spec-response-schema", "warning")],
    ),
    (
        "specs/path-item-parameters.yaml",
        &[],
        &[("spec-path-item-parameters", "warning")],
    ),
    (
        "specs/property-required.yaml",
        &[],
        &[("spec-property-required", "warning")],
    ),
    (
        "specs/property-required.yaml",
        &["--target", "actions"],
        &[("spec-property-required", "error")],
    ),
    ("auth-mismatch", &[], &[("spec-auth-mismatch", "error")]),
    // OpenAI's quickstart, which ChatGPT accepted: warnings only.
    (
        "quickstart",
        &[],
        &[
            ("spec-security-missing", "warning"),
            ("spec-consequential", "warning"),
            ("spec-response-schema", "warning"),
            ("spec-consequential", "warning"),
            ("spec-delete-body", "warning"),
            ("spec-property-required", "warning"),
            ("spec-property-required", "warning"),
        ],
    ),
    // The GPT editor validates what it imports.
    (
        "quickstart/openapi.yaml",
        &["--target", "actions"],
        &[
            ("spec-servers-https", "error"),
            ("spec-security-missing", "warning"),
            ("spec-consequential", "warning"),
            ("spec-response-schema", "warning"),
            ("spec-consequential", "warning"),
            ("spec-delete-body", "warning"),
            ("spec-property-required", "error"),
            ("spec-property-required", "error"),
        ],
    ),
    // OpenAI's retrieval plugin: a 236-character description the plugin host took.
    (
        "retrieval",
        &[],
        &[
            ("spec-description-length", "warning"),
            ("spec-consequential", "warning"),
        ],
    ),
    // The service-auth TODO plugin of OpenAI's examples page: its 24-character name is over
    // the later docs' 20, within the alpha's 50, and OpenAI published it: a warning. Its
    // spec is the quickstart's, with `servers` on its domain, and no `securitySchemes`.
    (
        "service-auth",
        &[],
        &[
            ("manifest-name-for-human", "warning"),
            ("spec-security-schemes", "warning"),
            ("spec-consequential", "warning"),
            ("spec-response-schema", "warning"),
            ("spec-consequential", "warning"),
            ("spec-delete-body", "warning"),
            ("spec-property-required", "warning"),
            ("spec-property-required", "warning"),
        ],
    ),
    ("specs/ref.yaml", &[], &[("spec-ref", "error")]),
];

#[test]
fn every_rule_has_a_fixture_that_shows_its_finding() {
    let mut failures = Vec::new();
    for (fixture, extra, expected) in CASES {
        let (code, report) = check_json(&format!("{FIXTURES}/{fixture}"), extra);
        let got = findings(&report);
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
            .collect();
        let want_exit = i32::from(expected.iter().any(|(_, s)| *s == "error"));
        if got != want || code != want_exit {
            failures.push(format!(
                "{fixture} {extra:?}: exit {code}, {got:?}; wanted exit {want_exit}, {want:?}"
            ));
        }
        for finding in report["findings"].as_array().unwrap() {
            assert!(finding["message"].as_str().is_some_and(|m| !m.is_empty()));
            if finding["code"] != "spec-not-found" {
                assert!(finding["fix"].is_string(), "{fixture}: no fix in {finding}");
                assert!(
                    finding["location"]["line"].as_u64().is_some(),
                    "{fixture}: no line in {finding}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code of the catalogue is shown by a test. The file rules' codes by a fixture of
/// [`CASES`], which `every_rule_has_a_fixture_that_shows_its_finding` runs. The codes no
/// fixture produces are the ones only a running server can (live and MCP rules): each must be
/// named by the server tests of this file or of `check_mcp.rs`, which start a broken server for
/// it, or by the rules' unit tests. A new code with neither fails here.
#[test]
fn every_finding_code_is_produced_by_a_fixture_or_named_by_a_server_test() {
    use ai_plugin::check::codes;
    use std::collections::BTreeSet;

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // What the fixtures produce: every_rule_has_a_fixture_that_shows_its_finding holds each
    // case to exactly these findings.
    let produced: BTreeSet<&str> = CASES
        .iter()
        .flat_map(|(_, _, expected)| expected.iter().map(|(code, _)| *code))
        .collect();
    // The tests that name codes: the server tests of this file and check_mcp.rs, and the unit
    // tests of src/check (the part of each file after `#[cfg(test)]`), which run the rules on
    // values built in the test.
    let mut server_tests = [
        std::fs::read_to_string(root.join("tests/render/check.rs")).unwrap(),
        std::fs::read_to_string(root.join("tests/render/check_mcp.rs")).unwrap(),
    ]
    .concat();
    for entry in walkdir::WalkDir::new(root.join("src/check")) {
        let path = entry.unwrap().into_path();
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("codes.rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Some((_, tests)) = text.split_once("#[cfg(test)]") {
                server_tests.push_str(tests);
            }
        }
    }
    let server_only: Vec<&str> = codes::ALL
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !produced.contains(code))
        .collect();
    let unshown: Vec<&&str> = server_only
        .iter()
        .filter(|code| !server_tests.contains(&format!("\"{code}\"")))
        .collect();
    assert!(
        unshown.is_empty(),
        "no fixture produces {unshown:?}, and no server or unit test names them: add a fixture \
         under {FIXTURES} or a test that expects them"
    );
    // The file rules need no server: each of their codes has a fixture.
    let file_rules_without_fixture: Vec<&&str> = server_only
        .iter()
        .filter(|code| code.starts_with("manifest-") || code.starts_with("spec-"))
        .collect();
    assert!(
        file_rules_without_fixture.is_empty(),
        "file rules with no fixture under {FIXTURES}: {file_rules_without_fixture:?}"
    );
    let unknown: Vec<&&str> = produced
        .iter()
        .filter(|code| !codes::ALL.iter().any(|(known, _)| known == *code))
        .collect();
    assert!(
        unknown.is_empty(),
        "codes not in the catalogue: {unknown:?}"
    );
}

#[test]
fn the_clean_fixture_has_no_finding() {
    for target in [
        format!("{FIXTURES}/clean"),
        format!("{FIXTURES}/clean/.well-known/ai-plugin.json"),
        format!("{FIXTURES}/specs/clean.yaml"),
        // The same spec as OpenAPI 3.1, in JSON.
        format!("{FIXTURES}/specs/clean-3.1.json"),
        // The same spec with anchors, aliases and merge keys.
        format!("{FIXTURES}/specs/clean-anchors.yaml"),
    ] {
        let (code, report) = check_json(&target, &[]);
        assert_eq!((code, findings(&report)), (0, vec![]), "{target}");
        assert_eq!(report["ok"], true);
    }
    let (code, report) = check_json(
        &format!("{FIXTURES}/clean"),
        &["--domain", "www.notes.example.com"],
    );
    assert_eq!((code, findings(&report)), (0, vec![]));
}

#[test]
fn every_generated_project_checks_without_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for stack in Stack::ALL {
        for auth in AuthType::ALL
            .into_iter()
            .filter(|&a| template::supports(stack, a))
        {
            let dir = tmp.path().join(format!("{stack}-{auth}"));
            let dir = dir.to_str().unwrap();
            let output = ai_plugin(&[
                "new",
                dir,
                "--yes",
                "--stack",
                stack.as_str(),
                "--auth",
                auth.as_str(),
            ]);
            assert!(
                output.status.success(),
                "new {stack} {auth}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let (code, report) = check_json(dir, &[]);
            // On localhost the host took only auth `none`; a project with other auth is meant to be
            // served on a domain, so its folder gets exactly this warning and nothing else.
            let expected: Vec<(String, String)> = if auth == AuthType::None {
                vec![]
            } else {
                vec![("manifest-localhost-auth".into(), "warning".into())]
            };
            assert_eq!(
                (code, findings(&report)),
                (0, expected),
                "{stack} {auth}: {report:#}"
            );
        }
    }
}

#[test]
fn a_generated_folder_checked_for_a_domain_reads_its_localhost_urls_as_served_there() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("notes");
    support::generate(&project, &[]);
    let (code, report) = check_json(
        project.to_str().unwrap(),
        &["--domain", "notes.example.com"],
    );
    assert_eq!((code, findings(&report)), (0, vec![]), "{report:#}");
    assert!(
        report["notes"]
            .to_string()
            .contains("localhost URLs are read as https://notes.example.com"),
        "{report:#}"
    );
    // A folder that is not a generated project has no such placeholders: its localhost URLs
    // are what it says.
    std::fs::remove_file(project.join("ai-plugin.toml")).unwrap();
    let (code, report) = check_json(
        project.to_str().unwrap(),
        &["--domain", "notes.example.com"],
    );
    assert_eq!(code, 1, "{report:#}");
    assert!(findings(&report).contains(&("manifest-https".to_owned(), "error".to_owned())));
}

#[test]
fn the_text_report_shows_each_finding_with_its_line_and_fix() {
    let output = ai_plugin(&[
        "check",
        &format!("{FIXTURES}/manifests/trailing-comma.json"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(
        "check_trailing_comma",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "the summary ends the report on stdout, and is not said again"
    );
    let output = ai_plugin(&[
        "check",
        &format!("{FIXTURES}/specs/operation-id-duplicate.yaml"),
    ]);
    insta::assert_snapshot!(
        "check_duplicate_operation_id",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = ai_plugin(&["check", &format!("{FIXTURES}/specs/duplicate-key.yaml")]);
    insta::assert_snapshot!(
        "check_duplicate_key",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn every_finding_is_reported_not_just_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ai-plugin.json");
    std::fs::write(&manifest, r#"{"schema_version": "v2", "name_for_model": "a b", "auth": {"type": "user_http"}, "api": {"type": "graphql", "url": "x"}}"#).unwrap();
    std::fs::copy(
        format!("{}/{FIXTURES}/specs/clean.yaml", env!("CARGO_MANIFEST_DIR")),
        tmp.path().join("openapi.yaml"),
    )
    .unwrap();
    let (code, report) = check_json(manifest.to_str().unwrap(), &[]);
    assert_eq!(code, 1);
    // schema_version "v2" is a warning: no consumer is known to refuse it.
    assert_eq!(report["errors"], 10, "{report:#}");
    assert_eq!(report["warnings"], 2, "{report:#}");
}

#[test]
fn an_unreadable_target_exits_2() {
    let output = ai_plugin(&["check", "tests/fixtures/check/does-not-exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read `tests/fixtures/check/does-not-exist`: no such file or folder")
    );
    let empty = tempfile::tempdir().unwrap();
    let output = ai_plugin(&["check", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no `.well-known/ai-plugin.json`"));
    let port = support::free_port();
    let output = ai_plugin(&["check", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// The golden output includes the token table, which needs the tokenizer.
#[cfg(feature = "tokenizer")]
#[test]
fn preview_renders_the_namespace_with_token_counts() {
    for (name, target) in [("preview_plugin", "plugins"), ("preview_action", "actions")] {
        let output = ai_plugin(&["preview", &format!("{FIXTURES}/clean"), "--target", target]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        insta::assert_snapshot!(name, String::from_utf8_lossy(&output.stdout));
    }
    let output = ai_plugin(&["preview", &format!("{FIXTURES}/specs/syntax.yaml")]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn preview_prints_what_it_can_then_the_errors_check_finds_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("e.json");
    std::fs::write(&empty, "{}").unwrap();
    let output = ai_plugin(&["preview", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[spec-missing-field]: the spec has no `paths` object"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: the host would refuse this plugin (3 errors)"),
        "{stderr}"
    );

    // The hint names the same rules the preview used.
    let output = ai_plugin(&["preview", empty.to_str().unwrap(), "--target", "actions"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "`ai-plugin check {} --target actions` lists every finding",
            empty.display()
        )),
        "{stderr}"
    );

    let output = ai_plugin(&[
        "preview",
        &format!("{FIXTURES}/manifests/name-for-model.json"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("namespace my notes {"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[manifest-name-for-model]"),
        "{stderr}"
    );
    assert!(stderr.contains("--> tests/fixtures/check/manifests/name-for-model.json:"));
    let output = ai_plugin(&["preview", "tests/fixtures/check/does-not-exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read `tests/fixtures/check/does-not-exist`")
    );
}

#[test]
fn an_unreadable_target_still_gets_a_json_object() {
    let port = support::free_port();
    let target = format!("http://127.0.0.1:{port}");
    let (code, report) = check_json(&target, &[]);
    assert_eq!(code, 2);
    assert_eq!(report["target"], target.as_str());
    assert_eq!(report["ok"], false);
    assert_eq!(report["findings"], json!([]));
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .starts_with(&format!("cannot read `{target}`")),
        "{report:#}"
    );
}

// ---- live checks ----

/// What one route of a tiny server answers.
struct Route {
    method: &'static str,
    path: &'static str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn route(
    method: &'static str,
    path: &'static str,
    status: u16,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> Route {
    Route {
        method,
        path,
        status,
        headers: vec![("content-type", content_type.to_owned())],
        body: body.into(),
    }
}

/// A tiny HTTP/1.1 server on loopback answering fixed routes (404 otherwise); with `cors`,
/// every OPTIONS gets a full CORS and private-network answer. Stops when dropped.
struct TinyServer {
    base: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TinyServer {
    fn start(cors: bool, routes: impl FnOnce(&str) -> Vec<Route>) -> TinyServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let routes = routes(&base);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    answer(stream, &routes, cors);
                }
            }
        });
        TinyServer {
            base,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TinyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(mut stream: TcpStream, routes: &[Route], cors: bool) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("");
    let path = words.next().unwrap_or("").split('?').next().unwrap_or("");
    let (status, headers, body): (u16, Vec<(&str, String)>, &[u8]) = if method == "OPTIONS" && cors
    {
        (
            204,
            vec![
                (
                    "access-control-allow-origin",
                    // Both of ChatGPT's origins are allowed: the one that asked is echoed.
                    if head
                        .to_ascii_lowercase()
                        .contains("origin: https://chatgpt.com")
                    {
                        "https://chatgpt.com".into()
                    } else {
                        "https://chat.openai.com".into()
                    },
                ),
                (
                    "access-control-allow-methods",
                    "GET, POST, DELETE, PATCH".into(),
                ),
                ("access-control-allow-headers", "*".into()),
                ("access-control-allow-private-network", "true".into()),
            ],
            b"",
        )
    } else if let Some(r) = routes.iter().find(|r| r.method == method && r.path == path) {
        if r.status == HANG_UP {
            return;
        }
        (r.status, r.headers.clone(), &r.body)
    } else {
        (
            404,
            vec![("content-type", "text/plain".into())],
            b"not found",
        )
    };
    let mut response = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(response, "{name}: {value}\r\n");
    }
    response.push_str("\r\n");
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(body);
}

const LOGO: &[u8] = include_bytes!("../../templates/_base/logo.png");

/// A route status that makes the server close the connection without answering.
const HANG_UP: u16 = 0;

fn manifest_json(base: &str, auth: &Value) -> String {
    serde_json::to_string_pretty(&json!({
        "schema_version": "v1",
        "name_for_human": "Notes",
        "name_for_model": "notes",
        "description_for_human": "Keep short notes.",
        "description_for_model": "Plugin for keeping short notes.",
        "auth": auth,
        "api": {"type": "openapi", "url": format!("{base}/openapi.yaml")},
        "logo_url": format!("{base}/logo.png"),
        "contact_email": "dev@example.com",
        "legal_info_url": format!("{base}/legal")
    }))
    .unwrap()
}

fn spec_yaml(base: &str, security: &str) -> String {
    format!(
        "openapi: 3.0.1\ninfo: {{title: Notes, version: '1'}}\nservers: [{{url: '{base}'}}]\n{security}\npaths:\n  /notes:\n    get:\n      operationId: listNotes\n      summary: List notes.\n      responses:\n        '200':\n          description: The notes.\n          content: {{application/json: {{schema: {{type: array, items: {{type: string}}}}}}}}\n{}",
        if security.contains("bearer") {
            "components:\n  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n"
        } else {
            ""
        }
    )
}

/// A plugin that is fine, but for what `change` does to its routes.
fn plugin(cors: bool, change: impl FnOnce(&str, &mut Vec<Route>)) -> TinyServer {
    TinyServer::start(cors, |base| {
        let mut routes = vec![
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest_json(base, &json!({"type": "none"})),
            ),
            route(
                "GET",
                "/openapi.yaml",
                200,
                "text/yaml",
                spec_yaml(base, "security: []"),
            ),
            route("GET", "/logo.png", 200, "image/png", LOGO),
            route("GET", "/notes", 200, "application/json", "[\"a\"]"),
        ];
        change(base, &mut routes);
        routes
    })
}

fn set(routes: &mut [Route], path: &str, new: Route) {
    let at = routes.iter().position(|r| r.path == path).unwrap();
    routes[at] = new;
}

#[test]
fn a_good_tiny_plugin_passes_the_live_checks() {
    let server = plugin(true, |_, _| {});
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!((code, findings(&report)), (0, vec![]), "{report:#}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("logo: PNG, 512×512"), "{notes}");
    assert!(notes.contains("GET /notes: 5 characters"), "{notes}");
    let preview = ai_plugin(&["preview", &server.base]);
    let text = String::from_utf8_lossy(&preview.stdout);
    assert!(
        text.starts_with("// Plugin for keeping short notes.\nnamespace notes {\n\n// List notes.\ntype listNotes = () => any;\n"),
        "{text}"
    );
}

#[test]
fn a_host_and_port_without_a_scheme_is_checked_over_http() {
    let server = plugin(true, |_, _| {});
    let bare = server.base.trim_start_matches("http://");
    assert!(bare.starts_with("127.0.0.1:"), "{bare}");
    let (code, report) = check_json(bare, &[]);
    assert_eq!((code, findings(&report)), (0, vec![]), "{report:#}");
    let preview = ai_plugin(&["preview", bare]);
    assert!(preview.status.success(), "{preview:?}");
    assert!(String::from_utf8_lossy(&preview.stdout).contains("namespace notes {"));

    let output = ai_plugin(&["check", "example.com"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("give its URL, e.g. `https://example.com`"),
        "{stderr}"
    );
}

#[test]
fn a_manifest_with_a_syntax_error_is_reported_at_its_line() {
    let server = plugin(true, |_, routes| {
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                "{\n  \"schema_version\": \"v1\",\n}\n",
            ),
        );
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![("live-manifest-json".to_owned(), "error".to_owned())]
    );
    let location = &report["findings"][0]["location"];
    assert_eq!(
        (location["line"].as_u64(), location["column"].as_u64()),
        (Some(2), Some(25)),
        "at the trailing comma"
    );
    assert_eq!(location["source_line"], "  \"schema_version\": \"v1\",");
    let text = String::from_utf8_lossy(&ai_plugin(&["check", &server.base]).stdout).into_owned();
    assert!(text.contains("trailing comma"), "{text}");
    assert!(
        text.contains(" 2 |   \"schema_version\": \"v1\",\n"),
        "{text}"
    );
}

#[test]
fn a_plugin_without_cors_fails_the_preflight() {
    let server = plugin(false, |_, _| {});
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1);
    // One cause, one finding: it names the manifest's preflight, then the spec's and the
    // operation's.
    assert_eq!(
        findings(&report),
        [("live-cors".to_owned(), "error".to_owned())],
        "{report:#}"
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("ai-plugin.json"), "{message}");
    assert!(
        message.contains(&format!(
            "the same for 2 more preflights: {0}/openapi.yaml, {0}/notes",
            server.base
        )),
        "{message}"
    );
}

#[test]
fn hosts_move_and_documents_drift_and_each_is_found() {
    // CORS for chat.openai.com only: ChatGPT's pages are on chatgpt.com now.
    let server = TinyServer::start(false, |base| {
        let mut routes = vec![
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest_json(base, &json!({"type": "none"})),
            ),
            route(
                "GET",
                "/openapi.yaml",
                200,
                "text/yaml",
                spec_yaml(base, "security: []"),
            ),
            route("GET", "/logo.png", 200, "image/png", LOGO),
            route("GET", "/notes", 200, "application/json", "[\"a\"]"),
        ];
        for path in ["/.well-known/ai-plugin.json", "/openapi.yaml", "/notes"] {
            routes.push(Route {
                method: "OPTIONS",
                path: Box::leak(path.to_owned().into_boxed_str()),
                status: 204,
                headers: vec![
                    (
                        "access-control-allow-origin",
                        "https://chat.openai.com".into(),
                    ),
                    ("access-control-allow-methods", "*".into()),
                    ("access-control-allow-headers", "*".into()),
                    ("access-control-allow-private-network", "true".into()),
                ],
                body: Vec::new(),
            });
        }
        routes
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(
        (code, findings(&report)),
        (
            0,
            vec![("live-cors-chatgpt-com".to_owned(), "warning".to_owned())]
        ),
        "{report:#}"
    );

    // The quickstart's two drifts: the manifest as text/json, and a GET answering a bare
    // array where the spec promises an object.
    let server = plugin(true, |base, routes| {
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "text/json",
                manifest_json(base, &json!({"type": "none"})),
            ),
        );
        let spec = spec_yaml(base, "security: []").replace(
            "{type: array, items: {type: string}}",
            "{type: object, properties: {todos: {type: array, items: {type: string}}}}",
        );
        set(
            routes,
            "/openapi.yaml",
            route("GET", "/openapi.yaml", 200, "text/yaml", spec),
        );
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(
        (code, findings(&report)),
        (
            0,
            vec![
                (
                    "live-manifest-content-type".to_owned(),
                    "warning".to_owned()
                ),
                ("live-response-schema".to_owned(), "warning".to_owned()),
            ]
        ),
        "{report:#}"
    );
    let text = report.to_string();
    assert!(
        text.contains("text/json is not JSON's registered type"),
        "{text}"
    );
    assert!(
        text.contains("$: is an array, the schema says object"),
        "{text}"
    );
}

#[test]
fn a_preflight_without_the_private_network_header_is_an_error() {
    let server = TinyServer::start(false, |base| {
        let mut routes = vec![
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest_json(base, &json!({"type": "none"})),
            ),
            route(
                "GET",
                "/openapi.yaml",
                200,
                "text/yaml",
                spec_yaml(base, "security: []"),
            ),
            route("GET", "/logo.png", 200, "image/png", LOGO),
            route("GET", "/notes", 200, "application/json", "[]"),
        ];
        for path in ["/.well-known/ai-plugin.json", "/openapi.yaml", "/notes"] {
            routes.push(Route {
                method: "OPTIONS",
                path: Box::leak(path.to_owned().into_boxed_str()),
                status: 204,
                headers: vec![
                    ("access-control-allow-origin", "*".into()),
                    ("access-control-allow-methods", "*".into()),
                    ("access-control-allow-headers", "*".into()),
                ],
                body: Vec::new(),
            });
        }
        routes
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1);
    // Three preflights lack the header: one cause, one finding.
    assert_eq!(
        findings(&report),
        [("live-cors-private-network".to_owned(), "error".to_owned())],
        "{report:#}"
    );
    assert!(
        report
            .to_string()
            .contains("the same for 2 more preflights"),
        "{report:#}"
    );
}

#[test]
fn a_manifest_that_is_not_served_is_an_error_naming_the_status() {
    let server = plugin(true, |_, routes| {
        routes.retain(|r| r.path != "/.well-known/ai-plugin.json");
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        vec![("live-manifest-status".to_owned(), "error".to_owned())]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("answered 404"), "{message}");
}

#[test]
fn a_gif_logo_is_refused_and_its_size_reported() {
    let server = plugin(true, |_, routes| {
        set(
            routes,
            "/logo.png",
            route(
                "GET",
                "/logo.png",
                200,
                "image/gif",
                &b"GIF89a\x10\x00\x10\x00"[..],
            ),
        );
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![("live-logo-format".to_owned(), "error".to_owned())]
    );
    assert!(
        report["notes"].to_string().contains("logo: GIF, 10 bytes"),
        "{report:#}"
    );
}

#[test]
fn a_missing_logo_is_an_error_and_a_non_square_one_a_warning() {
    let missing = plugin(true, |_, routes| routes.retain(|r| r.path != "/logo.png"));
    let (code, report) = check_json(&missing.base, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![("live-logo".to_owned(), "error".to_owned())]
    );

    // A logo nobody serves: every finding says how to fix it.
    let port = support::free_port();
    let unreachable = plugin(true, |base, routes| {
        let manifest = manifest_json(base, &json!({"type": "none"})).replace(
            &format!("{base}/logo.png"),
            &format!("http://127.0.0.1:{port}/logo.png"),
        );
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest,
            ),
        );
    });
    let (_, report) = check_json(&unreachable.base, &[]);
    let logo = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "live-logo")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert!(logo["fix"].is_string(), "{report:#}");

    // A PNG whose header says 512×256.
    let mut wide = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    wide.extend_from_slice(&512u32.to_be_bytes());
    wide.extend_from_slice(&256u32.to_be_bytes());
    wide.extend_from_slice(&[8, 6, 0, 0, 0]);
    let server = plugin(true, |_, routes| {
        set(
            routes,
            "/logo.png",
            route("GET", "/logo.png", 200, "image/png", wide),
        );
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 0, "a warning alone does not fail: {report:#}");
    assert_eq!(
        findings(&report),
        vec![("live-logo-size".to_owned(), "warning".to_owned())]
    );
    assert!(report["notes"].to_string().contains("logo: PNG, 512×256"));
}

#[test]
fn a_refusal_other_than_401_and_a_failed_call_are_found() {
    let forbidding = plugin(true, |base, routes| {
        let auth = json!({"type": "service_http", "authorization_type": "bearer", "verification_tokens": {"openai": "x"}});
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest_json(base, &auth),
            ),
        );
        set(
            routes,
            "/openapi.yaml",
            route(
                "GET",
                "/openapi.yaml",
                200,
                "text/yaml",
                spec_yaml(base, "security: [{bearer: []}]"),
            ),
        );
        set(
            routes,
            "/notes",
            route("GET", "/notes", 403, "application/json", "{}"),
        );
    });
    let (_, report) = check_json(&forbidding.base, &[]);
    assert!(
        findings(&report).contains(&("live-auth-status".to_owned(), "warning".to_owned())),
        "{report:#}"
    );

    let hanging_up = plugin(true, |_, routes| {
        set(
            routes,
            "/notes",
            route("GET", "/notes", HANG_UP, "application/json", ""),
        );
    });
    let (code, report) = check_json(&hanging_up.base, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![("live-call".to_owned(), "error".to_owned())]
    );
}

#[test]
fn an_unprotected_route_is_found() {
    let server = plugin(true, |base, routes| {
        let auth = json!({"type": "service_http", "authorization_type": "bearer", "verification_tokens": {"openai": "x"}});
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "application/json",
                manifest_json(base, &auth),
            ),
        );
        set(
            routes,
            "/openapi.yaml",
            route(
                "GET",
                "/openapi.yaml",
                200,
                "text/yaml",
                spec_yaml(base, "security: [{bearer: []}]"),
            ),
        );
    });
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![
            ("live-auth-unprotected".to_owned(), "error".to_owned()),
            // Served from localhost, the host would also refuse the auth type itself.
            ("manifest-localhost-auth".to_owned(), "error".to_owned()),
        ]
    );
}

#[test]
fn oversized_responses_wrong_types_and_redirects_are_found() {
    let big = plugin(true, |_, routes| {
        set(
            routes,
            "/notes",
            route(
                "GET",
                "/notes",
                200,
                "application/json",
                format!("[\"{}\"]", "x".repeat(100_000)),
            ),
        );
    });
    let (_, report) = check_json(&big.base, &[]);
    assert_eq!(
        findings(&report),
        vec![("live-response-size".to_owned(), "error".to_owned())]
    );

    let text = plugin(true, |base, routes| {
        set(
            routes,
            "/.well-known/ai-plugin.json",
            route(
                "GET",
                "/.well-known/ai-plugin.json",
                200,
                "text/plain",
                manifest_json(base, &json!({"type": "none"})),
            ),
        );
    });
    let (code, report) = check_json(&text.base, &[]);
    assert_eq!(
        (code, findings(&report)),
        (
            0,
            vec![(
                "live-manifest-content-type".to_owned(),
                "warning".to_owned()
            )]
        )
    );

    let moved = plugin(true, |_, routes| {
        let mut redirect = route("GET", "/.well-known/ai-plugin.json", 301, "text/plain", "");
        redirect.headers.push((
            "location",
            "https://elsewhere.example/.well-known/ai-plugin.json".into(),
        ));
        set(routes, "/.well-known/ai-plugin.json", redirect);
    });
    let (code, report) = check_json(&moved.base, &[]);
    assert_eq!(
        (code, findings(&report)),
        (1, vec![("live-redirect".to_owned(), "error".to_owned())])
    );

    let no_spec = plugin(true, |_, routes| {
        routes.retain(|r| r.path != "/openapi.yaml");
    });
    let (_, report) = check_json(&no_spec.base, &[]);
    assert_eq!(
        findings(&report),
        vec![("live-spec-fetch".to_owned(), "error".to_owned())]
    );
}

/// A generated Rust plugin, built into the shared target directory and started on loopback.
fn start_generated(tmp: &Path, auth: &str) -> support::Server {
    let name = format!("check_{auth}");
    let project = tmp.join(&name);
    support::generate(&project, &["--auth", auth, "--name-for-model", &name]);
    support::cargo(&project, &["build", "--quiet"]);
    let binary = format!(
        "{}/debug/{}",
        support::shared_target().display(),
        name.replace('_', "-")
    );
    support::Server::start(
        &project,
        &binary,
        support::free_port(),
        &tmp.join(format!("{auth}.db")),
    )
}

#[test]
fn a_generated_plugin_passes_the_live_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start_generated(tmp.path(), "none");
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!((code, findings(&report)), (0, vec![]), "{report:#}");
    assert!(
        report["notes"].to_string().contains("logo: PNG, 512×512"),
        "{report:#}"
    );

    // Every operation of a service_http plugin answers 401 without credentials; the only
    // finding is that the host would not take that auth type on localhost.
    let server = start_generated(tmp.path(), "service_http");
    let (code, report) = check_json(&server.base, &[]);
    assert_eq!(
        (code, findings(&report)),
        (
            1,
            vec![("manifest-localhost-auth".to_owned(), "error".to_owned())]
        ),
        "{report:#}"
    );
    let token = support::env_value(&tmp.path().join("check_service_http"), "SERVICE_AUTH_TOKEN");
    let (_, report) = check_json(&server.base, &["--token", &token]);
    assert!(
        report["notes"].to_string().contains(": 12 characters"),
        "{report:#}"
    );
}
