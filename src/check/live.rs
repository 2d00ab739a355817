//! Live checks of a running plugin, as the host saw it: fetch the manifest from
//! `/.well-known/ai-plugin.json`, the spec from `api.url` and the logo, with the host's
//! timeouts (15 s per document, 45 s per API call), and try what the host would try: a CORS
//! preflight from `https://chat.openai.com`, calls without credentials where the spec asks for
//! them, and the size of GET responses.
//!
//! This is the only part of `check` that does network I/O; what it fetches goes through the
//! same file rules as a project folder.

use std::time::Duration;

use serde_json::Value;

use super::domain::{self, UrlParts};
use super::{CheckError, Sources};
use crate::check::codes;
use crate::diagnostic::{Diagnostic, Severity};
use crate::document::{Document, Format};
use crate::manifest::MANIFEST_PATH;
use crate::openapi::{Operation, Spec};

/// The origin ChatGPT's pages called plugins from.
pub const CHATGPT_ORIGIN: &str = "https://chat.openai.com";
/// The origin ChatGPT's pages moved to in 2024.
pub const CHATGPT_COM_ORIGIN: &str = "https://chatgpt.com";
/// How long the host waited for the manifest or the spec.
pub const DOCUMENT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the host waited for one API call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(45);
/// The largest API response the host took, in characters.
pub const RESPONSE_MAX_CHARS: usize = 100_000;
/// The request headers ChatGPT's pages send to a localhost plugin.
const REQUEST_HEADERS: &str =
    "authorization,content-type,openai-conversation-id,openai-ephemeral-user-id";
/// Filled into path parameters of probe requests; unlikely to name anything real.
const PROBE_VALUE: &str = "ai-plugin-check";

/// What a fetch got.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The two agents `check` fetches with: documents (15 s) and calls (45 s), neither following
/// redirects nor treating an HTTP status as an error.
pub(crate) struct Http {
    pub(crate) documents: ureq::Agent,
    pub(crate) calls: ureq::Agent,
}

impl Http {
    pub(crate) fn new() -> Http {
        let agent = |timeout| {
            ureq::Agent::new_with_config(
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .max_redirects(0)
                    .timeout_global(Some(timeout))
                    .build(),
            )
        };
        Http {
            documents: agent(DOCUMENT_TIMEOUT),
            calls: agent(CALL_TIMEOUT),
        }
    }

    pub(crate) fn send(
        agent: &ureq::Agent,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(body) => agent.run(request.body(body.to_vec()).map_err(|e| e.to_string())?),
            None => agent.run(request.body(()).map_err(|e| e.to_string())?),
        };
        let mut response = result.map_err(|e| describe(&e, url))?;
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(20_000_000)
            .read_to_vec()
            .map_err(|e| describe(&e, url))?;
        Ok(Reply {
            status: response.status().as_u16(),
            headers,
            body,
        })
    }

    pub(crate) fn fetch(&self, url: &str) -> Result<Reply, String> {
        Http::send(&self.documents, "GET", url, &[], None)
    }
}

fn describe(error: &ureq::Error, url: &str) -> String {
    match error {
        ureq::Error::Timeout(_) => format!("{url} did not answer within the host's time limit"),
        ureq::Error::TlsRequired | ureq::Error::Tls(_) if !cfg!(feature = "tls") => format!(
            "{url} needs TLS, and this ai-plugin was built without it \
             (rebuild with the default `tls` feature)"
        ),
        _ => format!("{url}: {error}"),
    }
}

/// The manifest URL for a base URL, or the URL itself if it names a file.
pub fn manifest_url(base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    if trimmed.ends_with("ai-plugin.json") {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/{MANIFEST_PATH}")
    }
}

/// Fetches and checks a running plugin at `base`. Fails only if the manifest cannot be
/// fetched at all (no connection, no answer): then there is nothing to check.
pub fn fetch(base: &str, token: Option<&str>) -> Result<Sources, CheckError> {
    let http = Http::new();
    let mut sources = documents(&http, base)?;
    let Some(served) = sources.served_from.clone() else {
        return Ok(sources);
    };
    let local = domain::is_localhost(&served.host);
    let Some(manifest) = sources.manifest.take() else {
        return Ok(sources);
    };
    // Preflights are judged together: one cause (say, no private-network header) is one
    // finding, naming every URL it hit.
    let mut preflights = Vec::new();
    preflight(&http, &manifest.name, "GET", local, &mut preflights);
    chatgpt_com_preflight(&http, &manifest.name, &mut sources.findings);
    if let Some(spec) = &sources.spec {
        preflight(&http, &spec.name, "GET", local, &mut preflights);
    }
    if let Some(logo_url) = manifest
        .value
        .get("logo_url")
        .and_then(Value::as_str)
        .filter(|u| UrlParts::parse(u).is_some())
    {
        logo(&http, logo_url, &mut sources);
    }
    if let Some(spec) = &sources.spec {
        let spec_value = spec.value.clone();
        let auth = manifest
            .value
            .pointer("/auth/type")
            .and_then(Value::as_str)
            .unwrap_or("none")
            .to_owned();
        let base_url = api_base(&spec_value, &served);
        let reader = Spec::new(&spec_value);
        for op in reader.operations() {
            let url = format!("{base_url}{}", fill_path(&reader, &op));
            if local {
                preflight(
                    &http,
                    &url,
                    &op.method.to_ascii_uppercase(),
                    local,
                    &mut preflights,
                );
            }
            if auth != "none" && needs_auth(&spec_value, &op) {
                unprotected(&http, &url, &op, &mut sources.findings);
            }
        }
        sources
            .findings
            .extend(one_per_cause(std::mem::take(&mut preflights)));
        response_sizes(
            &http,
            &reader,
            &base_url,
            &auth,
            token,
            &mut sources.findings,
            &mut sources.notes,
        );
    }
    sources.findings.extend(one_per_cause(preflights));
    sources.manifest = Some(manifest);
    Ok(sources)
}

/// One finding per cause: preflight findings with the same code and fix are merged into the
/// first, which then names the other URLs.
fn one_per_cause(found: Vec<(String, Diagnostic)>) -> Vec<Diagnostic> {
    let mut merged: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for (url, finding) in found {
        match merged.iter_mut().find(|(d, _)| {
            d.code == finding.code && d.fix == finding.fix && d.severity == finding.severity
        }) {
            Some((_, urls)) => urls.push(url),
            None => merged.push((finding, Vec::new())),
        }
    }
    merged
        .into_iter()
        .map(|(mut finding, urls)| {
            if !urls.is_empty() {
                finding.message = format!(
                    "{} (the same for {}: {})",
                    finding.message,
                    crate::text::plural(urls.len(), "more preflight"),
                    urls.join(", ")
                );
            }
            finding
        })
        .collect()
}

/// ChatGPT's pages moved from chat.openai.com to chatgpt.com in 2024: a plugin whose CORS
/// allows only the old origin is blocked on the new one.
fn chatgpt_com_preflight(http: &Http, url: &str, findings: &mut Vec<Diagnostic>) {
    let headers = [
        ("origin", CHATGPT_COM_ORIGIN),
        ("access-control-request-method", "GET"),
    ];
    let Ok(reply) = Http::send(&http.documents, "OPTIONS", url, &headers, None) else {
        return;
    };
    let origin = reply.header("access-control-allow-origin").unwrap_or("");
    if (200..300).contains(&reply.status) && origin != CHATGPT_COM_ORIGIN && origin != "*" {
        findings.push(
            Diagnostic::warning(
                codes::LIVE_CORS_CHATGPT_COM,
                "",
                format!(
                    "the CORS preflight of {url} from {CHATGPT_COM_ORIGIN} gets Access-Control-Allow-Origin {origin:?}; \
                     ChatGPT's pages moved there from {CHATGPT_ORIGIN}, and a browser there is refused"
                ),
            )
            .with_fix(format!("allow both {CHATGPT_ORIGIN} and {CHATGPT_COM_ORIGIN} (echo the one that asked)")),
        );
    }
}

/// Fetches the manifest and spec of a running plugin (or a spec alone, for a URL naming a
/// `.yaml`, `.yml` or `.json` file), without probing anything else.
pub fn fetch_documents(base: &str) -> Result<Sources, CheckError> {
    documents(&Http::new(), base)
}

fn documents(http: &Http, base: &str) -> Result<Sources, CheckError> {
    let mut sources = Sources::default();
    let unreadable = |message: String| CheckError::Unreadable {
        target: base.to_owned(),
        message,
    };
    let spec_only = Format::from_name(base).is_some() && !base.ends_with("ai-plugin.json");
    if spec_only {
        let reply = http.fetch(base).map_err(unreadable)?;
        sources.spec = read_spec(base, &reply, &mut sources.findings);
        return Ok(sources);
    }
    let url = manifest_url(base);
    let served = UrlParts::parse(&url)
        .ok_or_else(|| unreadable("not an http:// or https:// URL".to_owned()))?;
    sources.served_from = Some(served);
    let reply = http.fetch(&url).map_err(unreadable)?;
    let Some(manifest) = read_manifest(&url, &reply, &mut sources.findings) else {
        return Ok(sources);
    };
    if let Some(spec_url) = manifest
        .value
        .pointer("/api/url")
        .and_then(Value::as_str)
        .filter(|u| UrlParts::parse(u).is_some())
    {
        match http.fetch(spec_url) {
            Ok(reply) => sources.spec = read_spec(spec_url, &reply, &mut sources.findings),
            Err(message) => sources.findings.push(
                Diagnostic::error(codes::LIVE_SPEC_FETCH, "api.url", message)
                    .with_fix("serve the spec at api.url, answering within 15 s"),
            ),
        }
    }
    sources.manifest = Some(manifest);
    Ok(sources)
}

fn read_manifest(url: &str, reply: &Reply, findings: &mut Vec<Diagnostic>) -> Option<Document> {
    if (300..400).contains(&reply.status) {
        findings.push(
            Diagnostic::error(
                codes::LIVE_REDIRECT,
                "",
                format!(
                    "{url} redirects ({}) to {}; the host follows only redirects to a subdomain and wants none",
                    reply.status,
                    reply.header("location").unwrap_or("nowhere")
                ),
            )
            .with_fix("serve the manifest at this URL itself"),
        );
        return None;
    }
    if reply.status != 200 {
        findings.push(
            Diagnostic::error(
                codes::LIVE_MANIFEST_STATUS,
                "",
                format!(
                    "{url} answered {} instead of 200 with the manifest",
                    reply.status
                ),
            )
            .with_fix(format!("serve the manifest at /{MANIFEST_PATH}")),
        );
        return None;
    }
    let content_type = reply.header("content-type").unwrap_or("");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" && !media.ends_with("+json") {
        let consequence = if media == "text/json" {
            "ChatGPT took it (OpenAI's quickstart served it so), but text/json is not JSON's \
             registered type, and clients that go by the type read it as text"
        } else {
            "clients that go by the type (browsers, Semantic Kernel's loader) may not read it as JSON"
        };
        findings.push(
            Diagnostic::warning(
                codes::LIVE_MANIFEST_CONTENT_TYPE,
                "",
                format!("{url} is served as {content_type:?}, not application/json; {consequence}"),
            )
            .with_fix("send it with `Content-Type: application/json`"),
        );
    }
    let Ok(text) = String::from_utf8(reply.body.clone()) else {
        findings.push(Diagnostic::error(
            codes::LIVE_MANIFEST_JSON,
            "",
            format!("{url} is not UTF-8 text"),
        ));
        return None;
    };
    match Document::parse(url, &text, Format::Json, codes::LIVE_MANIFEST_JSON) {
        Ok(document) => Some(document),
        Err(finding) => {
            findings.push(*finding);
            None
        }
    }
}

fn read_spec(url: &str, reply: &Reply, findings: &mut Vec<Diagnostic>) -> Option<Document> {
    if reply.status != 200 {
        findings.push(
            Diagnostic::error(
                codes::LIVE_SPEC_FETCH,
                "api.url",
                format!(
                    "{url} answered {} instead of 200 with the spec",
                    reply.status
                ),
            )
            .with_fix("serve the spec at api.url"),
        );
        return None;
    }
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    let content_type = reply
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = Format::from_name(url).unwrap_or(if content_type.contains("json") {
        Format::Json
    } else {
        Format::sniff(&text)
    });
    match Document::parse(url, &text, format, codes::SPEC_SYNTAX) {
        Ok(document) => Some(document),
        Err(finding) => {
            findings.push(*finding);
            None
        }
    }
}

/// A CORS preflight from ChatGPT's page, with Chrome's Private Network Access header on
/// localhost. Off localhost the host fetched server-side, so a failure is only a warning.
fn preflight(
    http: &Http,
    url: &str,
    method: &str,
    local: bool,
    found: &mut Vec<(String, Diagnostic)>,
) {
    let mut findings = Vec::new();
    preflight_findings(http, url, method, local, &mut findings);
    found.extend(findings.into_iter().map(|d| (url.to_owned(), d)));
}

fn preflight_findings(
    http: &Http,
    url: &str,
    method: &str,
    local: bool,
    findings: &mut Vec<Diagnostic>,
) {
    let severity = if local {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut headers = vec![
        ("origin", CHATGPT_ORIGIN),
        ("access-control-request-method", method),
    ];
    if method != "GET" {
        headers.push(("access-control-request-headers", REQUEST_HEADERS));
    }
    if local {
        headers.push(("access-control-request-private-network", "true"));
    }
    let reply = match Http::send(&http.documents, "OPTIONS", url, &headers, None) {
        Ok(reply) => reply,
        Err(message) => {
            findings.push(Diagnostic::new(severity, codes::LIVE_CORS, "", message));
            return;
        }
    };
    let what = format!("the CORS preflight ({method}) of {url} from {CHATGPT_ORIGIN}");
    let origin = reply.header("access-control-allow-origin").unwrap_or("");
    if !(200..300).contains(&reply.status) || (origin != CHATGPT_ORIGIN && origin != "*") {
        findings.push(
            Diagnostic::new(
                severity,
                codes::LIVE_CORS,
                "",
                format!(
                    "{what} failed: status {}, Access-Control-Allow-Origin {:?}; ChatGPT reports this as \"Failed to fetch localhost manifest\"",
                    reply.status, origin
                ),
            )
            .with_fix(format!("answer OPTIONS with 2xx and `Access-Control-Allow-Origin: {CHATGPT_ORIGIN}`")),
        );
        return;
    }
    if method != "GET" {
        let allowed = |header: &str, wanted: &str| {
            let list = reply.header(header).unwrap_or("").to_ascii_lowercase();
            list.trim() == "*"
                || list
                    .split(',')
                    .any(|item| item.trim() == wanted.to_ascii_lowercase())
        };
        if !allowed("access-control-allow-methods", method) {
            findings.push(
                Diagnostic::new(
                    severity,
                    codes::LIVE_CORS,
                    "",
                    format!("{what} does not allow the method {method}"),
                )
                .with_fix(format!("add {method} to Access-Control-Allow-Methods")),
            );
        }
        let missing: Vec<&str> = REQUEST_HEADERS
            .split(',')
            .filter(|h| !allowed("access-control-allow-headers", h))
            .collect();
        if !missing.is_empty() {
            findings.push(
                Diagnostic::new(
                    severity,
                    codes::LIVE_CORS,
                    "",
                    format!(
                        "{what} does not allow the request headers {}",
                        missing.join(", ")
                    ),
                )
                .with_fix("list them in Access-Control-Allow-Headers"),
            );
        }
    }
    if local
        && !reply
            .header("access-control-allow-private-network")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        findings.push(
            Diagnostic::error(
                codes::LIVE_CORS_PRIVATE_NETWORK,
                "",
                format!("{what} lacks `Access-Control-Allow-Private-Network: true`; Chrome then blocks the public ChatGPT page from calling localhost"),
            )
            .with_fix("answer preflights carrying Access-Control-Request-Private-Network with that header"),
        );
    }
}

/// Fetches the logo and judges its format; notes its size.
fn logo(http: &Http, url: &str, sources: &mut Sources) {
    let reply = match http.fetch(url) {
        Ok(reply) if reply.status == 200 => reply,
        Ok(reply) => {
            sources.findings.push(
                Diagnostic::error(
                    codes::LIVE_LOGO,
                    "logo_url",
                    format!(
                        "{url} answered {} instead of 200 with the logo",
                        reply.status
                    ),
                )
                .with_fix("serve a PNG at logo_url"),
            );
            return;
        }
        Err(message) => {
            sources.findings.push(
                Diagnostic::error(codes::LIVE_LOGO, "logo_url", message)
                    .with_fix("serve the logo (a 512×512 PNG) at logo_url, and start the server"),
            );
            return;
        }
    };
    let image = Image::sniff(&reply.body);
    let size = match image.dimensions {
        Some((w, h)) => format!("{w}×{h}, "),
        None => String::new(),
    };
    sources.notes.push(format!(
        "logo: {}, {size}{} bytes",
        image.format,
        reply.body.len()
    ));
    match image.format {
        "PNG" | "JPEG" => {
            if let Some((w, h)) = image.dimensions
                && w != h
            {
                sources.findings.push(
                    Diagnostic::warning(
                        codes::LIVE_LOGO_SIZE,
                        "logo_url",
                        format!(
                            "the logo is {w}×{h}; the host shows it square (512×512 suggested)"
                        ),
                    )
                    .with_fix("use a square image, 512×512"),
                );
            }
        }
        "GIF" => sources.findings.push(
            Diagnostic::error(
                codes::LIVE_LOGO_FORMAT,
                "logo_url",
                format!("{url} is a GIF; the host takes no GIFs"),
            )
            .with_fix("convert the logo to PNG (512×512)"),
        ),
        other => sources.findings.push(
            Diagnostic::error(
                codes::LIVE_LOGO_FORMAT,
                "logo_url",
                format!("{url} is not a PNG or JPEG image (it looks like {other})"),
            )
            .with_fix("serve a PNG (512×512)"),
        ),
    }
}

/// An image's format and, for PNG and JPEG, its size in pixels.
#[derive(Debug, PartialEq, Eq)]
pub struct Image {
    /// `PNG`, `JPEG`, `GIF`, `SVG`, `WebP` or `unknown data`.
    pub format: &'static str,
    /// Width and height.
    pub dimensions: Option<(u32, u32)>,
}

impl Image {
    /// Reads the format from the first bytes.
    pub fn sniff(bytes: &[u8]) -> Image {
        let be32 = |at: usize| {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            let dimensions = be32(16).zip(be32(20));
            return Image {
                format: "PNG",
                dimensions,
            };
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Image {
                format: "JPEG",
                dimensions: jpeg_dimensions(bytes),
            };
        }
        let format = if bytes.starts_with(b"GIF8") {
            "GIF"
        } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
            "WebP"
        } else if String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).contains("<svg") {
            "SVG"
        } else {
            "unknown data"
        };
        Image {
            format,
            dimensions: None,
        }
    }
}

/// Walks JPEG segments to the first start-of-frame marker.
fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while at + 9 < bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + length;
    }
    None
}

/// Where the API is: the first absolute server URL, else the origin the manifest came from.
fn api_base(spec: &Value, served: &UrlParts) -> String {
    spec.get("servers")
        .and_then(Value::as_array)
        .and_then(|servers| {
            servers
                .iter()
                .filter_map(|s| s.get("url")?.as_str())
                .find_map(|url| {
                    if url.starts_with('/') {
                        Some(format!("{}{}", served.origin(), url))
                    } else {
                        UrlParts::parse(url).map(|_| url.to_owned())
                    }
                })
        })
        .unwrap_or_else(|| served.origin())
        .trim_end_matches('/')
        .to_owned()
}

/// The operation's path with each `{name}` replaced by an example, default, first enum value,
/// or a probe value that names nothing.
fn fill_path(reader: &Spec<'_>, op: &Operation<'_>) -> String {
    let mut path = op.path.to_owned();
    for name in crate::openapi::template_names(op.path) {
        let value = op
            .parameters
            .iter()
            .find(|p| p.location == "path" && p.name == name)
            .and_then(|p| p.schema)
            .and_then(|schema| {
                let schema = reader.resolve(schema)?;
                schema
                    .get("example")
                    .or_else(|| schema.get("default"))
                    .or_else(|| schema.get("enum").and_then(|e| e.get(0)))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
            })
            .unwrap_or_else(|| PROBE_VALUE.to_owned());
        path = path.replace(&format!("{{{name}}}"), &value);
    }
    path
}

/// Whether the spec asks for credentials on `op`: its own `security`, else the root one; an
/// empty list means none. Without either, the manifest's auth applies to everything.
fn needs_auth(spec: &Value, op: &Operation<'_>) -> bool {
    match op.value.get("security").or_else(|| spec.get("security")) {
        Some(Value::Array(list)) => {
            !list.is_empty()
                && !list
                    .iter()
                    .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
        }
        _ => true,
    }
}

/// Calls `op` without credentials; anything but 401 is a finding.
fn unprotected(http: &Http, url: &str, op: &Operation<'_>, findings: &mut Vec<Diagnostic>) {
    let method = op.method.to_ascii_uppercase();
    let body = op.mutates() && op.method != "delete";
    let headers: &[(&str, &str)] = if body {
        &[("content-type", "application/json")]
    } else {
        &[]
    };
    let name = format!("{method} {}", op.path);
    let reply = match Http::send(&http.calls, &method, url, headers, body.then_some(b"{}")) {
        Ok(reply) => reply,
        Err(message) => {
            findings.push(Diagnostic::warning(
                codes::LIVE_AUTH_STATUS,
                &op.at,
                message,
            ));
            return;
        }
    };
    match reply.status {
        401 => {}
        200..=299 => findings.push(
            Diagnostic::error(
                codes::LIVE_AUTH_UNPROTECTED,
                &op.at,
                format!("{name} answered {} without credentials; the spec says it needs them", reply.status),
            )
            .with_fix("check the Authorization header before doing anything, and answer 401 without it"),
        ),
        status => findings.push(
            Diagnostic::warning(
                codes::LIVE_AUTH_STATUS,
                &op.at,
                format!("{name} answered {status} without credentials, not 401"),
            )
            .with_fix("check credentials before routing and validation, and answer 401 with WWW-Authenticate"),
        ),
    }
}

/// Calls the GET operations that need no query input and measures their responses.
fn response_sizes(
    http: &Http,
    reader: &Spec<'_>,
    base: &str,
    auth: &str,
    token: Option<&str>,
    findings: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) {
    let mut skipped = Vec::new();
    for op in reader.operations() {
        if op.method != "get" {
            continue;
        }
        let name = format!("GET {}", op.path);
        if op
            .parameters
            .iter()
            .any(|p| p.required && p.location != "path")
        {
            skipped.push(format!("{name} (required query input)"));
            continue;
        }
        let authorization = token.map(|t| format!("Bearer {t}"));
        if auth != "none" && needs_auth(reader.root, &op) && authorization.is_none() {
            skipped.push(format!("{name} (needs credentials: pass --token)"));
            continue;
        }
        let url = format!("{base}{}", fill_path(reader, &op));
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        match Http::send(&http.calls, "GET", &url, &headers, None) {
            Ok(reply) if (200..300).contains(&reply.status) => {
                let chars = String::from_utf8_lossy(&reply.body).chars().count();
                notes.push(format!("{name}: {chars} characters"));
                if let Some(schema) = reader.success_schema(&op)
                    && let Ok(value) = serde_json::from_slice::<Value>(&reply.body)
                {
                    let wrong =
                        crate::check::mcp::schema::mismatches_in(&value, schema, reader.root);
                    if !wrong.is_empty() {
                        findings.push(
                            Diagnostic::warning(
                                codes::LIVE_RESPONSE_SCHEMA,
                                &op.at,
                                format!(
                                    "{name} answered JSON that does not fit the spec's response schema ({}); the model (and GPT Actions, which show it the schema as the return type) expects another shape",
                                    wrong.join("; ")
                                ),
                            )
                            .with_fix("make the response and its schema in the spec agree"),
                        );
                    }
                }
                if chars > RESPONSE_MAX_CHARS {
                    findings.push(
                        Diagnostic::error(
                            codes::LIVE_RESPONSE_SIZE,
                            &op.at,
                            format!("{name} answered {chars} characters; the host takes at most {RESPONSE_MAX_CHARS}"),
                        )
                        .with_fix("page the results or return fewer fields"),
                    );
                }
            }
            Ok(reply) => skipped.push(format!("{name} (answered {})", reply.status)),
            Err(message) => findings.push(
                Diagnostic::error(codes::LIVE_CALL, &op.at, message)
                    .with_fix("answer within the host's 45 s"),
            ),
        }
    }
    if !skipped.is_empty() {
        notes.push(format!(
            "response size not measured: {}",
            skipped.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_apart_by_their_first_bytes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&512u32.to_be_bytes());
        png.extend_from_slice(&256u32.to_be_bytes());
        assert_eq!(
            Image::sniff(&png),
            Image {
                format: "PNG",
                dimensions: Some((512, 256))
            }
        );
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 100, 0, 200, 3, 0, 0,
        ];
        assert_eq!(Image::sniff(&jpeg).dimensions, Some((200, 100)));
        assert_eq!(Image::sniff(b"GIF89a....").format, "GIF");
        assert_eq!(Image::sniff(b"<?xml?><svg>").format, "SVG");
        assert_eq!(Image::sniff(b"hello").format, "unknown data");
    }

    #[test]
    fn manifest_urls_come_from_base_urls() {
        assert_eq!(
            manifest_url("http://localhost:5003/"),
            "http://localhost:5003/.well-known/ai-plugin.json"
        );
        assert_eq!(
            manifest_url("https://x.com/.well-known/ai-plugin.json"),
            "https://x.com/.well-known/ai-plugin.json"
        );
    }

    #[test]
    fn auth_follows_operation_then_root_security() {
        let spec = serde_json::json!({
            "security": [{"bearer": []}],
            "paths": {"/a": {"get": {"security": []}, "post": {}}}
        });
        let reader = Spec::new(&spec);
        let ops = reader.operations();
        assert!(!needs_auth(&spec, &ops[0]));
        assert!(needs_auth(&spec, &ops[1]));
        let open = serde_json::json!({"security": [{}], "paths": {}});
        assert!(!needs_auth(&open, &ops[1]));
    }
}
