//! How an MCP server lets a client find its way to a token, as ChatGPT's and Claude's OAuth
//! clients walk it: the 401's `WWW-Authenticate` challenge, the protected resource metadata
//! (RFC 9728) and the authorization server's metadata (RFC 8414 or `OpenID` discovery)
//! (reference: mcp-reference.md section 4).

use serde_json::Value;

use crate::check::CheckTarget;
use crate::check::codes;
use crate::check::domain::UrlParts;
use crate::check::live::{Http, Reply};
use crate::diagnostic::{Diagnostic, Severity};

/// The parameters of a `Bearer` challenge, or `None` when the header names another scheme.
pub fn bearer_params(header: &str) -> Option<Vec<(String, String)>> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        params.push((key, value.to_owned()));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some(params)
}

/// The canonical form of a resource URL: lower-case scheme and host, no trailing slash.
pub fn canonical(url: &str) -> String {
    match UrlParts::parse(url) {
        Some(parts) => format!("{}{}", parts.origin(), parts.path.trim_end_matches('/')),
        None => url.trim_end_matches('/').to_owned(),
    }
}

/// The well-known URLs where a resource's metadata may be: path-suffixed first, then the root.
fn prm_candidates(mcp_url: &str) -> Vec<String> {
    let Some(parts) = UrlParts::parse(mcp_url) else {
        return Vec::new();
    };
    let path = parts
        .path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    let mut urls = Vec::new();
    if !path.is_empty() {
        urls.push(format!(
            "{}/.well-known/oauth-protected-resource{path}",
            parts.origin()
        ));
    }
    urls.push(format!(
        "{}/.well-known/oauth-protected-resource",
        parts.origin()
    ));
    urls
}

/// Where an authorization server's metadata may be (RFC 8414, then `OpenID` discovery).
fn as_candidates(issuer: &str) -> Vec<String> {
    let Some(parts) = UrlParts::parse(issuer) else {
        return Vec::new();
    };
    let path = parts.path.trim_end_matches('/');
    let origin = parts.origin();
    let mut urls = vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
    ];
    if !path.is_empty() {
        urls.push(format!("{origin}{path}/.well-known/openid-configuration"));
    }
    urls
}

/// A document that should be JSON: its value, or why not.
enum Fetched {
    Json(Value),
    NotJson(String),
    Absent(String),
}

fn fetch_json(http: &Http, url: &str) -> Fetched {
    let reply: Reply = match http.fetch(url) {
        Ok(reply) => reply,
        Err(message) => return Fetched::Absent(message),
    };
    if reply.status != 200 {
        return Fetched::Absent(format!("{url} answered {}", reply.status));
    }
    let content_type = reply
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(value) if value.is_object() && content_type.contains("json") => Fetched::Json(value),
        Ok(value) if value.is_object() => Fetched::NotJson(format!(
            "{url} holds JSON but is served as {content_type:?}"
        )),
        _ => Fetched::NotJson(format!(
            "{url} is served as {content_type:?} and is not a JSON object{}",
            if content_type.contains("html") {
                " (an HTML page)"
            } else {
                ""
            }
        )),
    }
}

/// Whether a server whose Bearer challenge advertises no metadata still shows that it uses
/// OAuth: protected resource metadata at a well-known URL, authorization server metadata at
/// its origin, or a plugin manifest at its origin with `auth.type: oauth`.
fn shows_oauth(http: &Http, mcp_url: &str) -> bool {
    let json = |url: &String| matches!(fetch_json(http, url), Fetched::Json(_));
    let Some(parts) = UrlParts::parse(mcp_url) else {
        return false;
    };
    let origin = parts.origin();
    prm_candidates(mcp_url).iter().any(json)
        || as_candidates(&origin).iter().any(json)
        || match fetch_json(http, &format!("{origin}/.well-known/ai-plugin.json")) {
            Fetched::Json(manifest) => manifest["auth"]["type"] == "oauth",
            _ => false,
        }
}

/// The notes for a server that wants a token set up by hand (a static bearer token or API
/// key): its Bearer challenge advertises no metadata and nothing at its origin speaks of
/// OAuth ([`shows_oauth`]).
///
/// These are notes, not findings, under every target, `chatgpt-app` included, though ChatGPT
/// apps offer only no auth and OAuth and so cannot connect: a static token is the author's
/// choice of clients (GPT Actions, and MCP clients that send a header: Inspector, Claude Code,
/// Codex, VS Code), not a fault in the server, and `check` cannot tell which host the author
/// meant. Reporting it as a warning would fail every such server in CI for its auth type alone.
/// An OAuth server without discovery is still judged by the rules below.
fn static_token_notes(mcp_url: &str, target: CheckTarget, notes: &mut Vec<String>) {
    notes.push(format!(
        "{mcp_url} wants a bearer token and offers no OAuth discovery (no `resource_metadata`, \
         no protected resource or authorization server metadata, no OAuth plugin manifest): a \
         token set up by hand, which MCP clients that send a header use (Inspector, Claude \
         Code, Codex, VS Code)"
    ));
    if target == CheckTarget::ChatgptApp {
        notes.push(format!(
            "ChatGPT apps offer only no auth and OAuth, never a static token: ChatGPT cannot \
             connect to {mcp_url} as it is; serve OAuth with discovery for a ChatGPT app (the \
             token still serves GPT Actions and MCP clients)"
        ));
    }
}

/// Follows the 401 `challenge` (the `WWW-Authenticate` header, if any) of the MCP server at
/// `mcp_url` to the protected resource metadata and the authorization server's metadata,
/// and judges each step. A server with a token set up by hand gets notes instead
/// ([`static_token_notes`]).
pub(crate) fn check(
    http: &Http,
    mcp_url: &str,
    target: CheckTarget,
    challenge: Option<&str>,
    findings: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) {
    let params = challenge.and_then(bearer_params);
    let advertised = params.as_ref().and_then(|p| {
        p.iter()
            .find(|(k, _)| k == "resource_metadata")
            .map(|(_, v)| v.clone())
    });
    if params.is_some() && advertised.is_none() && !shows_oauth(http, mcp_url) {
        static_token_notes(mcp_url, target, notes);
        return;
    }
    match (challenge, &params, &advertised) {
        (None, _, _) => findings.push(
            Diagnostic::error(
                codes::MCP_AUTH_CHALLENGE,
                "WWW-Authenticate",
                format!(
                    "{mcp_url} answers 401 without `WWW-Authenticate`; ChatGPT and Claude then \
                     do not know OAuth is needed (ChatGPT: \"Error fetching OAuth configuration\")"
                ),
            )
            .with_fix("answer 401 with `WWW-Authenticate: Bearer resource_metadata=\"<metadata URL>\"`"),
        ),
        (Some(header), None, _) => findings.push(
            Diagnostic::error(
                codes::MCP_AUTH_CHALLENGE,
                "WWW-Authenticate",
                format!("{mcp_url}'s 401 challenge is {header:?}, not a Bearer challenge; MCP clients look for Bearer"),
            )
            .with_fix("answer 401 with `WWW-Authenticate: Bearer resource_metadata=\"<metadata URL>\"`"),
        ),
        (Some(_), Some(_), None) => findings.push(
            Diagnostic::warning(
                codes::MCP_AUTH_CHALLENGE,
                "WWW-Authenticate",
                format!(
                    "{mcp_url}'s 401 challenge has no `resource_metadata`; clients must guess \
                     the well-known URL, and clients of the 2025-06-18 revision give up"
                ),
            )
            .with_fix("add `resource_metadata=\"<metadata URL>\"` to the Bearer challenge"),
        ),
        _ => {}
    }
    let candidates = match &advertised {
        Some(url) => vec![url.clone()],
        None => prm_candidates(mcp_url),
    };
    let mut prm = None;
    let mut absent = Vec::new();
    for url in &candidates {
        match fetch_json(http, url) {
            Fetched::Json(value) => {
                prm = Some((url.clone(), value));
                break;
            }
            Fetched::NotJson(why) => {
                findings.push(
                    Diagnostic::error(codes::MCP_PRM_JSON, "resource_metadata", format!(
                        "the protected resource metadata: {why}; ChatGPT fails with \"Error fetching OAuth configuration\" and Claude cannot connect"
                    ))
                    .with_fix("serve the RFC 9728 metadata as `application/json` at that URL"),
                );
                return;
            }
            Fetched::Absent(why) => absent.push(why),
        }
    }
    let Some((prm_url, prm)) = prm else {
        findings.push(
            Diagnostic::error(
                codes::MCP_PRM_MISSING,
                "resource_metadata",
                format!(
                    "no protected resource metadata ({}); OAuth clients cannot find the authorization server",
                    absent.join("; ")
                ),
            )
            .with_fix("serve RFC 9728 metadata at /.well-known/oauth-protected-resource (and the path-suffixed URL) and advertise it in the 401"),
        );
        return;
    };
    notes.push(format!("protected resource metadata: {prm_url}"));
    let resource = prm.get("resource").and_then(Value::as_str);
    let expected = canonical(mcp_url);
    if resource.map(canonical).as_deref() != Some(expected.as_str()) {
        findings.push(
            Diagnostic::error(
                codes::MCP_PRM_RESOURCE,
                "resource",
                format!(
                    "{prm_url} names the resource {}, not {expected}; clients send `resource={expected}` \
                     (RFC 8707) and refuse metadata for another resource",
                    resource.map_or_else(|| "nothing".to_owned(), |r| format!("`{r}`"))
                ),
            )
            .with_fix(format!("set `resource` to `{expected}`")),
        );
    }
    let servers: Vec<&str> = prm
        .get("authorization_servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let Some(issuer) = servers.first() else {
        findings.push(
            Diagnostic::error(
                codes::MCP_PRM_AUTHORIZATION_SERVERS,
                "authorization_servers",
                format!(
                    "{prm_url} names no authorization server; clients have nowhere to get a token"
                ),
            )
            .with_fix("list the authorization server's issuer URL in `authorization_servers`"),
        );
        return;
    };
    authorization_server(http, issuer, findings, notes);
}

fn authorization_server(
    http: &Http,
    issuer: &str,
    findings: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) {
    let mut absent = Vec::new();
    let mut found = None;
    for url in as_candidates(issuer) {
        match fetch_json(http, &url) {
            Fetched::Json(value) => {
                found = Some((url, value));
                break;
            }
            Fetched::NotJson(why) => {
                findings.push(
                    Diagnostic::error(codes::MCP_AS_JSON, "authorization_servers", format!(
                        "the authorization server's metadata: {why}; ChatGPT fails with \"Error fetching OAuth configuration\""
                    ))
                    .with_fix("serve RFC 8414 metadata as `application/json`"),
                );
                return;
            }
            Fetched::Absent(why) => absent.push(why),
        }
    }
    let Some((url, metadata)) = found else {
        findings.push(
            Diagnostic::error(
                codes::MCP_AS_METADATA,
                "authorization_servers",
                format!(
                    "no metadata for the authorization server `{issuer}` ({}); OAuth clients cannot sign in",
                    absent.join("; ")
                ),
            )
            .with_fix("serve RFC 8414 metadata at /.well-known/oauth-authorization-server"),
        );
        return;
    };
    notes.push(format!("authorization server metadata: {url}"));
    let text = |key: &str| metadata.get(key).and_then(Value::as_str);
    let list = |key: &str| -> Vec<&str> {
        metadata
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    };
    let mut finding = |severity, code, path: &str, message: String, fix: &str| {
        findings.push(Diagnostic::new(severity, code, path, message).with_fix(fix));
    };
    if text("issuer").map(canonical) != Some(canonical(issuer)) {
        finding(
            Severity::Error,
            codes::MCP_AS_ISSUER,
            "issuer",
            format!(
                "{url} says issuer {:?}, not `{issuer}`; clients compare them (RFC 8414) and stop",
                text("issuer")
            ),
            "make `issuer` the exact URL listed in authorization_servers",
        );
    }
    let missing: Vec<&str> = ["authorization_endpoint", "token_endpoint"]
        .into_iter()
        .filter(|k| text(k).is_none())
        .collect();
    if !missing.is_empty() {
        finding(
            Severity::Error,
            codes::MCP_AS_ENDPOINTS,
            "",
            format!(
                "{url} lacks {}; clients cannot run the OAuth flow",
                missing.join(" and ")
            ),
            "add the authorization and token endpoints",
        );
    }
    if !list("code_challenge_methods_supported").contains(&"S256") {
        finding(
            Severity::Error,
            codes::MCP_AS_PKCE,
            "code_challenge_methods_supported",
            format!(
                "{url} does not list S256 in code_challenge_methods_supported; MCP clients \
                 (ChatGPT, Claude, the SDKs) must refuse such a server"
            ),
            "support PKCE with S256 and say so: `\"code_challenge_methods_supported\": [\"S256\"]`",
        );
    }
    let auth_methods = list("token_endpoint_auth_methods_supported");
    if !auth_methods.contains(&"none") {
        finding(
            Severity::Warning,
            codes::MCP_AS_TOKEN_AUTH,
            "token_endpoint_auth_methods_supported",
            format!(
                "{url} does not offer `none` among token_endpoint_auth_methods_supported ({}); \
                 public clients (Claude, the Inspector, any client registered by CIMD) cannot redeem their code",
                if auth_methods.is_empty() {
                    "absent, so only client_secret_basic".to_owned()
                } else {
                    auth_methods.join(", ")
                }
            ),
            "accept public clients with PKCE: list `none`",
        );
    }
    let dcr = text("registration_endpoint").is_some();
    let cimd = metadata.get("client_id_metadata_document_supported") == Some(&Value::Bool(true));
    if !dcr && !cimd {
        finding(
            Severity::Error,
            codes::MCP_AS_REGISTRATION,
            "registration_endpoint",
            format!(
                "{url} offers neither dynamic client registration nor client ID metadata \
                 documents; ChatGPT fails with \"Error fetching OAuth configuration\" unless \
                 someone types in static credentials"
            ),
            "support CIMD (`client_id_metadata_document_supported: true`) or DCR (`registration_endpoint`)",
        );
    }
    if metadata.get("authorization_response_iss_parameter_supported") != Some(&Value::Bool(true)) {
        finding(
            Severity::Warning,
            codes::MCP_AS_ISS,
            "authorization_response_iss_parameter_supported",
            format!(
                "{url} does not say it sends `iss` in authorization responses (RFC 9207); \
                 ChatGPT then gives each connector its own callback URL, which breaks exact-match redirect allow-lists"
            ),
            "send `iss` on every authorization redirect and set authorization_response_iss_parameter_supported: true",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_split_into_parameters() {
        let params = bearer_params(
            r#"Bearer realm="mcp", resource_metadata="https://x.com/.well-known/oauth-protected-resource/mcp",scope=read"#,
        )
        .unwrap();
        assert_eq!(
            params,
            [
                ("realm".to_owned(), "mcp".to_owned()),
                (
                    "resource_metadata".to_owned(),
                    "https://x.com/.well-known/oauth-protected-resource/mcp".to_owned()
                ),
                ("scope".to_owned(), "read".to_owned()),
            ]
        );
        assert_eq!(bearer_params("Bearer").unwrap(), []);
        assert!(bearer_params("Basic realm=x").is_none());
    }

    #[test]
    fn a_static_token_is_a_note_and_only_chatgpt_apps_hear_they_cannot_send_it() {
        let notes = |target| {
            let mut notes = Vec::new();
            static_token_notes("http://localhost:5003/mcp", target, &mut notes);
            notes
        };
        let chatgpt = notes(CheckTarget::ChatgptApp);
        assert_eq!(chatgpt.len(), 2, "{chatgpt:?}");
        assert!(chatgpt[0].contains("a token set up by hand"), "{chatgpt:?}");
        assert!(chatgpt[1].starts_with("ChatGPT apps offer only no auth and OAuth"));
        for target in [CheckTarget::Mcp, CheckTarget::Claude, CheckTarget::Plugins] {
            assert_eq!(notes(target), chatgpt[..1], "{}", target.as_str());
        }
    }

    #[test]
    fn well_known_urls_follow_the_rfcs() {
        assert_eq!(canonical("HTTPS://X.com/mcp/"), "https://x.com/mcp");
        assert_eq!(
            prm_candidates("https://x.com/mcp"),
            [
                "https://x.com/.well-known/oauth-protected-resource/mcp",
                "https://x.com/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(
            as_candidates("https://x.com/tenant"),
            [
                "https://x.com/.well-known/oauth-authorization-server/tenant",
                "https://x.com/.well-known/openid-configuration/tenant",
                "https://x.com/tenant/.well-known/openid-configuration"
            ]
        );
    }
}
