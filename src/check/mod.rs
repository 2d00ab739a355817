//! `ai-plugin check`: find what the plugin host would refuse or misread, in any plugin.
//!
//! The core is pure: [`check_documents`] runs the manifest rules ([`manifest_rules`]) and the
//! spec rules ([`spec_rules`]) over parsed documents and places each finding at its line. I/O
//! stays at the edges: [`read_target`] reads a folder or file, [`live`] fetches a running
//! plugin, and [`Report`] says what was found (`ai-plugin check` itself is `crate::cmd::check`). `new` runs [`check_plan_files`] on what it generated.

pub mod codes;
pub mod domain;
pub mod host;
pub mod live;
pub mod manifest_rules;
pub mod mcp;
pub mod report;
pub mod spec_rules;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::document::{Document, Format};
use crate::manifest::MANIFEST_PATH;
use crate::openapi::Target;
use domain::UrlParts;
pub use host::CheckTarget;
use manifest_rules::{Facts, ManifestScope};
pub use report::Report;

/// Why `check` could not look at the target at all (exit code 2), or found errors (1).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The target could not be read.
    #[error("cannot read `{target}`: {message}")]
    Unreadable {
        /// The target as given.
        target: String,
        /// What went wrong, and what to do.
        message: String,
    },
    /// The check ran and found errors (the summary): the command has said so with its report,
    /// so nothing more is said.
    #[error("{0} found")]
    Findings(String),
}

/// What a target gave to check: its documents, and findings already made while reading them.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The manifest, if there is one and it parsed.
    pub manifest: Option<Document>,
    /// The spec, if there is one and it parsed.
    pub spec: Option<Document>,
    /// Where the manifest was fetched from (live checks).
    pub served_from: Option<UrlParts>,
    /// Findings made while reading (syntax errors, live checks).
    pub findings: Vec<Diagnostic>,
    /// What was looked at, for the report (e.g. the logo's size).
    pub notes: Vec<String>,
}

/// Reads and checks `input`: a folder, a file, or an http(s) URL. `domain` is where a
/// folder or file will be served (`example.com`), for the domain rules; without it the domain
/// is taken from `api.url`.
///
/// A URL with a path (`https://host/mcp`) is an MCP endpoint; a base URL is a plugin, whose
/// `/mcp` is tried too (an MCP host's target checks only that). A URL naming a document
/// (`.../ai-plugin.json`, `.../openapi.yaml`) is checked as today.
pub fn check(
    input: &str,
    target: CheckTarget,
    options: &mcp::Options,
    domain: Option<&str>,
) -> Result<Report, CheckError> {
    let url = match Input::of(input) {
        Input::Url(url) => url,
        Input::Path(_) if target.is_mcp_host() => {
            return Err(CheckError::Unreadable {
                target: input.to_owned(),
                message: format!(
                    "--target {} checks a running MCP server: give its URL, e.g. \
                     http://localhost:5003/mcp",
                    target.as_str()
                ),
            });
        }
        Input::Path(path) => {
            let mut sources = read_target(&path)?;
            if let Some(domain) = domain
                && path.join(crate::context::ANSWERS_RECORD).is_file()
            {
                serve_placeholders_at(&mut sources, domain);
            }
            return check_sources(input, sources, target.spec_target(), domain);
        }
    };
    let unreadable = |message: String| CheckError::Unreadable {
        target: input.to_owned(),
        message,
    };
    match UrlKind::of(&url) {
        UrlKind::Mcp => mcp_report(input, &url, target, options, true).map_err(unreadable),
        UrlKind::Base if target.is_mcp_host() => {
            mcp_report(input, &mcp::endpoint_for_base(&url), target, options, true)
                .map_err(unreadable)
        }
        UrlKind::Base => {
            let mut sources = live::fetch(&url, options.token.as_deref())?;
            let outcome = mcp::check(&mcp::endpoint_for_base(&url), target, options, false)
                .map_err(unreadable)?;
            sources.findings.extend(outcome.findings);
            sources.notes.extend(outcome.notes);
            check_sources(input, sources, target.spec_target(), domain)
        }
        UrlKind::Document => check_sources(
            input,
            live::fetch(&url, options.token.as_deref())?,
            target.spec_target(),
            domain,
        ),
    }
}

/// A project made by `ai-plugin new` writes `http://localhost:PORT` URLs that its server
/// replaces with `PUBLIC_URL`: checked for `--domain`, they are read as served from there.
fn serve_placeholders_at(sources: &mut Sources, domain: &str) {
    let public = if domain.contains("://") {
        domain.trim_end_matches('/').to_owned()
    } else {
        format!("https://{domain}")
    };
    if UrlParts::parse(&public).is_none_or(|u| domain::is_localhost(&u.host)) {
        return;
    }
    fn walk(value: &mut Value, public: &str, changed: &mut bool) {
        match value {
            Value::String(text) => {
                if let Some(url) = UrlParts::parse(text)
                    && url.scheme == "http"
                    && domain::is_localhost(&url.host)
                {
                    *text = format!("{public}{}", url.path);
                    *changed = true;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, public, changed)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, public, changed)),
            _ => {}
        }
    }
    let mut changed = false;
    for document in [&mut sources.manifest, &mut sources.spec]
        .into_iter()
        .flatten()
    {
        walk(&mut document.value, &public, &mut changed);
    }
    if changed {
        sources.notes.push(format!(
            "the project's localhost URLs are read as {public}: its server serves them under PUBLIC_URL"
        ));
    }
}

/// The report of an MCP server alone.
fn mcp_report(
    input: &str,
    url: &str,
    target: CheckTarget,
    options: &mcp::Options,
    required: bool,
) -> Result<Report, String> {
    let outcome = mcp::check(url, target, options, required)?;
    let mut notes = vec![format!(
        "checked ({} rules): MCP server {url}",
        target.as_str()
    )];
    notes.extend(outcome.notes);
    Ok(Report {
        target: input.to_owned(),
        findings: outcome.findings,
        notes,
    })
}

/// What an http(s) URL given to `check` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlKind {
    /// A plugin's base URL (no path): the manifest, and `/mcp`.
    Base,
    /// A document: the manifest or a spec.
    Document,
    /// An MCP endpoint (any other path).
    Mcp,
}

impl UrlKind {
    /// Judges `url` by its path.
    pub fn of(url: &str) -> UrlKind {
        let path = UrlParts::parse(url).map(|u| u.path).unwrap_or_default();
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if path.trim_end_matches('/').is_empty() {
            UrlKind::Base
        } else if path.ends_with("ai-plugin.json") || Format::from_name(path).is_some() {
            UrlKind::Document
        } else {
            UrlKind::Mcp
        }
    }
}

/// Checks what was read from `input` (see [`check`]).
pub fn check_sources(
    input: &str,
    sources: Sources,
    target: Target,
    domain: Option<&str>,
) -> Result<Report, CheckError> {
    let scope = match (&sources.served_from, domain) {
        (Some(url), _) => ManifestScope::served(url.clone()),
        (None, Some(domain)) => {
            let url = if domain.contains("://") {
                domain.to_owned()
            } else {
                format!("https://{domain}")
            };
            let served = UrlParts::parse(&url).ok_or_else(|| CheckError::Unreadable {
                target: input.to_owned(),
                message: format!("--domain `{domain}` is not a host name such as example.com"),
            })?;
            ManifestScope {
                served_from: Some(served),
                localhost_auth: crate::diagnostic::Severity::Warning,
            }
        }
        (None, None) => ManifestScope::file(),
    };
    let mut findings = sources.findings;
    findings.extend(check_documents(
        sources.manifest.as_ref(),
        sources.spec.as_ref(),
        &scope,
        target,
    ));
    let mut checked = Vec::new();
    if let Some(manifest) = &sources.manifest {
        checked.push(format!("manifest {}", manifest.name));
    }
    if let Some(spec) = &sources.spec {
        let operations = crate::openapi::Spec::new(&spec.value).operations().len();
        checked.push(format!("spec {} ({operations} operations)", spec.name));
    }
    let mut notes = Vec::new();
    if !checked.is_empty() {
        notes.push(format!(
            "checked ({} rules): {}",
            target.as_str(),
            checked.join(", ")
        ));
    }
    notes.extend(sources.notes);
    Ok(Report {
        target: input.to_owned(),
        findings,
        notes,
    })
}

/// What a `check` or `preview` target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A running plugin's base URL.
    Url(String),
    /// A folder or file.
    Path(PathBuf),
}

impl Input {
    /// An `http(s)://` URL is fetched; so is `host:port` (`localhost:5003`) when no such
    /// file or folder exists, as `http://host:port`. Anything else is a path.
    pub fn of(input: &str) -> Input {
        if input.starts_with("http://") || input.starts_with("https://") {
            return Input::Url(input.to_owned());
        }
        let path = Path::new(input);
        if fs::symlink_metadata(path).is_err()
            && let Some(url) = host_port_url(input)
        {
            return Input::Url(url);
        }
        Input::Path(path.to_owned())
    }
}

/// `http://INPUT` when `input` is a host and port (`localhost:5000`, `127.0.0.1:5003`,
/// `example.com:8080`, `[::1]:5003`), maybe with a path after them.
pub fn host_port_url(input: &str) -> Option<String> {
    let authority = input.split('/').next().unwrap_or_default();
    let (host, port) = authority.rsplit_once(':')?;
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.chars().all(|c| c.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p > 0);
    (port_ok && is_host(host)).then(|| format!("http://{input}"))
}

/// A host name (`localhost`, `example.com`), an IPv4 address, or a bracketed IPv6 one.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    host.len() <= 253 && crate::rules::is_domain(host)
}

/// The URL a missing path may have meant: `localhost`, an IPv4 address or a domain name
/// (`example.com`, not `openapi.yaml`), maybe with a path or a bad port.
fn meant_url(input: &str) -> Option<String> {
    const FILE_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "toml", "txt", "md", "html"];
    let authority = input.split('/').next().unwrap_or_default();
    let host = authority.split(':').next().unwrap_or_default();
    let last = host.rsplit('.').next().unwrap_or_default();
    let looks = is_host(host)
        && (host == "localhost"
            || host.parse::<std::net::Ipv4Addr>().is_ok()
            || (host.contains('.')
                && last.chars().all(|c| c.is_ascii_alphabetic())
                && !FILE_EXTENSIONS.contains(&last.to_ascii_lowercase().as_str())));
    looks.then(|| {
        let scheme = if host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok() {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{input}")
    })
}

/// The file rules over parsed documents, each finding placed at its line.
pub fn check_documents(
    manifest: Option<&Document>,
    spec: Option<&Document>,
    scope: &ManifestScope,
    target: Target,
) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let mut facts = None;
    if let Some(manifest) = manifest {
        facts = Some(Facts::of(&manifest.value, scope));
        if target == Target::Plugins {
            findings.extend(
                manifest_rules::check(&manifest.value, scope)
                    .into_iter()
                    .map(|d| manifest.place(d)),
            );
        }
    }
    if let Some(spec) = spec {
        let spec_scope = spec_rules::SpecScope {
            target,
            manifest: facts.filter(|_| target == Target::Plugins),
        };
        findings.extend(
            spec_rules::check(&spec.value, &spec_scope)
                .into_iter()
                .map(|d| spec.place(d)),
        );
    }
    findings
}

/// Runs the file rules on a generated manifest and spec (in memory), as a folder check would;
/// without a spec, on the manifest alone.
pub fn check_plan_files(manifest_json: &str, spec_yaml: Option<&str>) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let manifest = Document::parse(
        MANIFEST_PATH,
        manifest_json,
        Format::Json,
        codes::MANIFEST_SYNTAX,
    )
    .map_err(|d| findings.push(*d))
    .ok();
    let spec = spec_yaml.and_then(|spec_yaml| {
        Document::parse("openapi.yaml", spec_yaml, Format::Yaml, codes::SPEC_SYNTAX)
            .map_err(|d| findings.push(*d))
            .ok()
    });
    findings.extend(check_documents(
        manifest.as_ref(),
        spec.as_ref(),
        &ManifestScope::file(),
        Target::Plugins,
    ));
    findings
}

/// Reads a project folder, a manifest file or a spec file.
pub fn read_target(path: &Path) -> Result<Sources, CheckError> {
    let unreadable = |message: String| CheckError::Unreadable {
        target: path.display().to_string(),
        message,
    };
    let metadata = fs::metadata(path).map_err(|e| {
        let input = path.to_string_lossy();
        match meant_url(&input) {
            Some(url) if e.kind() == std::io::ErrorKind::NotFound => unreadable(format!(
                "no such file or folder; for a running plugin give its URL, e.g. `{url}`"
            )),
            _ if e.kind() == std::io::ErrorKind::NotFound => unreadable(
                "no such file or folder; give a plugin project folder, a manifest, a spec, \
                 or the URL of a running plugin (http://localhost:5003)"
                    .to_owned(),
            ),
            _ => unreadable(e.to_string()),
        }
    })?;
    if !metadata.is_dir() && !metadata.is_file() {
        return Err(unreadable(read_text(path).err().map_or_else(
            || "it is not a regular file".to_owned(),
            |e| e.to_string(),
        )));
    }
    let mut sources = Sources::default();
    let (manifest_path, root) = if metadata.is_dir() {
        let found = [MANIFEST_PATH, "ai-plugin.json"]
            .iter()
            .map(|name| path.join(name))
            .find(|p| p.is_file());
        (found, path.to_owned())
    } else if is_manifest_file(path) {
        let dir = path.parent().unwrap_or(Path::new("."));
        let root = if dir.file_name().is_some_and(|n| n == ".well-known") {
            dir.parent().unwrap_or(Path::new(".")).to_owned()
        } else {
            dir.to_owned()
        };
        (Some(path.to_owned()), root)
    } else {
        sources.spec = read_document(path, None, codes::SPEC_SYNTAX, &mut sources.findings)?;
        return Ok(sources);
    };
    let mut spec_path = None;
    if let Some(manifest_path) = &manifest_path {
        sources.manifest = read_document(
            manifest_path,
            Some(Format::Json),
            codes::MANIFEST_SYNTAX,
            &mut sources.findings,
        )?;
        spec_path = sources
            .manifest
            .as_ref()
            .and_then(|m| m.value.pointer("/api/url").and_then(Value::as_str))
            .and_then(UrlParts::parse)
            .map(|url| {
                let file = url.path.split(['?', '#']).next().unwrap_or_default();
                root.join(file.trim_start_matches('/'))
            })
            .filter(|p| p.is_file());
    }
    let spec_path = spec_path.or_else(|| {
        [
            "openapi.yaml",
            "openapi.yml",
            "openapi.json",
            ".well-known/openapi.yaml",
            ".well-known/openapi.json",
        ]
        .iter()
        .map(|name| root.join(name))
        .find(|p| p.is_file())
    });
    match &spec_path {
        Some(spec_path) => {
            sources.spec = read_document(spec_path, None, codes::SPEC_SYNTAX, &mut sources.findings)?;
        }
        None if manifest_path.is_none() => {
            return Err(unreadable(format!(
                "no `{MANIFEST_PATH}`, `ai-plugin.json` or `openapi.yaml` in it; \
                 give a plugin project folder, a manifest, a spec, or a URL"
            )));
        }
        None => sources.findings.push(
            Diagnostic::error(
                codes::SPEC_NOT_FOUND,
                "api.url",
                format!(
                    "no spec found in `{}` at the path of api.url, nor as openapi.yaml, openapi.yml or openapi.json",
                    root.display()
                ),
            )
            .with_fix("put the spec in the project at the path api.url names"),
        ),
    }
    Ok(sources)
}

fn is_manifest_file(path: &Path) -> bool {
    if path.file_name().is_some_and(|n| n == "ai-plugin.json") {
        return true;
    }
    // Any JSON file naming a schema_version is a manifest, even one that does not parse.
    Format::from_name(&path.to_string_lossy()) == Some(Format::Json)
        && read_text(path).is_ok_and(|t| t.contains("\"schema_version\""))
}

/// Reads and parses one file; a syntax error becomes a finding, an unreadable file an error.
fn read_document(
    path: &Path,
    format: Option<Format>,
    code: &'static str,
    findings: &mut Vec<Diagnostic>,
) -> Result<Option<Document>, CheckError> {
    let text = read_text(path).map_err(|e| CheckError::Unreadable {
        target: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = display_path(path);
    let format = format
        .or_else(|| Format::from_name(&name))
        .unwrap_or_else(|| Format::sniff(&text));
    match Document::parse(&name, &text, format, code) {
        Ok(document) => Ok(Some(document)),
        Err(finding) => {
            findings.push(*finding);
            Ok(None)
        }
    }
}

/// The largest manifest or spec file read, as for one fetched from a running plugin.
pub const DOCUMENT_LIMIT: u64 = 20 * crate::input::MIB;

fn read_text(path: &Path) -> Result<String, crate::input::InputError> {
    crate::input::read_text(
        path,
        DOCUMENT_LIMIT,
        "a plugin project folder, a manifest or a spec",
    )
}

fn display_path(path: &Path) -> String {
    let path: PathBuf = path.components().collect();
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_and_port_is_a_url() {
        for (input, url) in [
            ("localhost:5000", Some("http://localhost:5000")),
            ("127.0.0.1:5003", Some("http://127.0.0.1:5003")),
            ("example.com:8080", Some("http://example.com:8080")),
            ("[::1]:5003", Some("http://[::1]:5003")),
            ("localhost:5003/sub", Some("http://localhost:5003/sub")),
            ("localhost", None),
            ("localhost:", None),
            ("localhost:0", None),
            ("localhost:99999", None),
            ("C:/plugin", None),
            ("dir/localhost:5000", None),
            ("a_b:80", None),
            ("openapi.yaml", None),
        ] {
            assert_eq!(host_port_url(input).as_deref(), url, "{input}");
        }
    }

    #[test]
    fn a_missing_path_that_looks_like_a_host_is_given_its_url() {
        for (input, url) in [
            ("localhost", Some("http://localhost")),
            ("127.0.0.1/x", Some("http://127.0.0.1/x")),
            ("example.com", Some("https://example.com")),
            ("localhost:abc", Some("http://localhost:abc")),
            ("openapi.yaml", None),
            ("ai-plugin.json", None),
            ("my-project", None),
        ] {
            assert_eq!(meant_url(input).as_deref(), url, "{input}");
        }
    }

    #[test]
    fn urls_name_a_plugin_a_document_or_an_mcp_endpoint() {
        for (url, kind) in [
            ("http://localhost:5003", UrlKind::Base),
            ("https://x.com/", UrlKind::Base),
            (
                "https://x.com/.well-known/ai-plugin.json",
                UrlKind::Document,
            ),
            ("https://x.com/openapi.yaml", UrlKind::Document),
            ("https://x.com/mcp", UrlKind::Mcp),
            ("https://x.com/api/mcp/?x=1", UrlKind::Mcp),
        ] {
            assert_eq!(UrlKind::of(url), kind, "{url}");
        }
    }

    #[test]
    fn an_existing_path_wins_over_a_host_and_port() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("localhost:5000");
        fs::create_dir(&path).unwrap();
        let input = path.to_str().unwrap();
        assert_eq!(Input::of(input), Input::Path(path.clone()));
        assert_eq!(
            Input::of("localhost:5000"),
            Input::Url("http://localhost:5000".to_owned())
        );
    }

    #[test]
    fn a_generated_manifest_and_spec_are_checked_in_memory() {
        let manifest = r#"{"schema_version": "v1", "name_for_human": "T", "name_for_model": "t",
            "description_for_human": "d", "description_for_model": "Plugin for t.",
            "auth": {"type": "none"}, "api": {"type": "openapi", "url": "http://localhost:1/openapi.yaml"},
            "logo_url": "http://localhost:1/logo.png", "contact_email": "a@example.com",
            "legal_info_url": "http://localhost:1/legal"}"#;
        let spec = "openapi: 3.0.1\ninfo: {title: T, version: '1'}\nservers: [{url: 'http://localhost:1'}]\nsecurity: []\npaths:\n  /x:\n    get:\n      operationId: getX\n      summary: Get X\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: {type: object}}}\n";
        assert_eq!(check_plan_files(manifest, Some(spec)), vec![]);
        assert_eq!(check_plan_files(manifest, None), vec![]);
        let broken = check_plan_files("{\"a\": 1,}", Some("a: ["));
        let codes: Vec<&str> = broken.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["manifest-syntax", "spec-syntax"]);
        let codes: Vec<&str> = check_plan_files("{", None).iter().map(|d| d.code).collect();
        assert_eq!(codes, ["manifest-syntax"]);
    }
}
