//! Which `redirect_uri`s the authorization server sends users back to, and how.
//!
//! A code must only ever reach the client that asked for it, so the allow-list of the
//! pre-registered client is strict: ChatGPT's app, connector and GPT callbacks, Claude's,
//! loopback URLs for local testing, and exact URLs from `OAUTH_REDIRECT_URIS`. Anything else is
//! shown as an error page and never redirected to. Registered clients and metadata documents
//! name their own redirect URIs ([`registrable`]), matched exactly.

/// The hosts ChatGPT's OAuth callbacks live on.
const CHATGPT_HOSTS: [&str; 2] = ["chat.openai.com", "chatgpt.com"];

/// The redirect URIs this server accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Exact URIs allowed besides ChatGPT's callbacks and loopback URLs.
    pub extra: Vec<String>,
}

impl AllowList {
    /// Whether `uri` may receive codes.
    pub fn allows(&self, uri: &str) -> bool {
        if self.extra.iter().any(|allowed| allowed == uri) {
            return true;
        }
        let Some(parts) = Parts::parse(uri) else {
            return false;
        };
        match parts.scheme {
            "https" => {
                if parts.port.is_some() || parts.path != parts.parsed_path || parts.query.is_some()
                {
                    return false;
                }
                let segments: Vec<&str> = parts.path.split('/').collect();
                match (parts.host, segments.as_slice()) {
                    // https://chat.openai.com/aip/<plugin or GPT id>/oauth/callback
                    (host, ["", "aip", id, "oauth", "callback"]) => {
                        CHATGPT_HOSTS.contains(&host) && is_id(id)
                    }
                    // ChatGPT apps: the stable callback, and the per-connector ones.
                    ("chatgpt.com", ["", "connector_platform_oauth_redirect"]) => true,
                    ("chatgpt.com", ["", "connector", "oauth", id]) => is_id(id),
                    // Claude.
                    ("claude.ai" | "claude.com", ["", "api", "mcp", "auth_callback"]) => true,
                    _ => false,
                }
            }
            // Loopback, any port and path (RFC 8252, 7.3), for local clients and tests.
            "http" => is_loopback(parts.host),
            _ => false,
        }
    }
}

/// Whether a client may register `uri` as a redirect URI: https (any host) or http on
/// loopback, with no fragment or user info, by the same parser rules as the allow-list.
pub fn registrable(uri: &str) -> bool {
    match Parts::parse(uri) {
        Some(parts) if parts.scheme == "https" => true,
        Some(parts) if parts.scheme == "http" => is_loopback(parts.host),
        _ => false,
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, as written in a URL.
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The host (and port) of a URL, for the consent page; empty if it does not parse.
pub fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_default()
}

/// A plugin id (`plugin-<uuid>`) or GPT id (`g-<id>`).
fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The pieces of an absolute URI, for URIs this module accepts at all.
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    /// The path as written.
    path: &'a str,
    /// The path as the URL parser reads it (dot segments resolved, characters escaped).
    parsed_path: String,
    query: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// Parses `uri` with the `url` crate (the WHATWG URL standard); `None` for anything it
    /// refuses, for anything unusual (user info, fragments, spaces, backslashes), which no
    /// legitimate callback needs, and for any URI whose scheme, host and port as written are not
    /// exactly what the parser read (`http://[::1].evil.com/`, `HTTP://`, `http://LOCALHOST/`).
    fn parse(uri: &'a str) -> Option<Parts<'a>> {
        if uri.len() > 2000
            || uri
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '#' | '@'))
        {
            return None;
        }
        let url = url::Url::parse(uri).ok()?;
        let rest = uri
            .strip_prefix(url.scheme())
            .and_then(|rest| rest.strip_prefix("://"))?;
        let scheme = &uri[..url.scheme().len()];
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let parsed_host = url.host_str()?;
        let (host, port) = match authority.strip_prefix(parsed_host) {
            Some("") => (authority, None),
            Some(port) => {
                let port = port.strip_prefix(':')?;
                if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (&authority[..parsed_host.len()], Some(port))
            }
            None => return None,
        };
        Some(Parts {
            scheme,
            host,
            port,
            path,
            parsed_path: url.path().to_owned(),
            query,
        })
    }
}

/// `uri` with `params` added to its query string, percent-encoded.
pub fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatgpt_callbacks_and_loopback_are_allowed() {
        let list = AllowList::default();
        for uri in [
            "https://chat.openai.com/aip/plugin-6a3f0b8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/oauth/callback",
            "https://chatgpt.com/aip/g-abc123XYZ/oauth/callback",
            "http://localhost:8080/callback",
            "http://127.0.0.1/cb?x=1",
            "http://[::1]:9000/",
            "http://localhost",
            "http://localhost:80/cb",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "https://chatgpt.com/connector/oauth/abc_DEF-123",
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback",
        ] {
            assert!(list.allows(uri), "{uri}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        let list = AllowList::default();
        for uri in [
            "https://evil.example/aip/plugin-1/oauth/callback",
            "https://chat.openai.com.evil.example/aip/plugin-1/oauth/callback",
            "https://chat.openai.com@evil.example/aip/plugin-1/oauth/callback",
            "https://chat.openai.com/aip/plugin-1/oauth/callback/../../x",
            "https://chat.openai.com/aip/plugin-1/oauth/callback?next=evil",
            "https://chat.openai.com/aip/plugin-1/oauth/callback#x",
            "https://chat.openai.com:444/aip/plugin-1/oauth/callback",
            "http://chat.openai.com/aip/plugin-1/oauth/callback",
            "https://chat.openai.com/aip//oauth/callback",
            "https://chat.openai.com/other",
            "http://localhost.evil.example/cb",
            "http://localhost:x/cb",
            "http://localhost\\@evil.example/",
            "http://[::1]x/cb",
            "http://[::1].evil.com/cb",
            "http://[::1]evil.com/cb",
            "http://[::1].evil.com:80/cb",
            "http://LOCALHOST/cb",
            "HTTP://localhost/cb",
            "https://chat.openai.com/aip/x/y/../oauth/callback",
            "javascript:alert(1)",
            "",
            "https://chat.openai.com/connector_platform_oauth_redirect",
            "https://chatgpt.com/connector_platform_oauth_redirect/",
            "https://chatgpt.com/connector_platform_oauth_redirect?x=1",
            "https://chatgpt.com/connector/oauth/",
            "https://chatgpt.com/connector/oauth/a/b",
            "https://chatgpt.com/connector/oauth/a.b",
            "https://chatgpt.com:8443/connector/oauth/abc",
            "https://claude.ai.evil.example/api/mcp/auth_callback",
            "https://claude.ai/api/mcp/auth_callback/../x",
            "http://claude.ai/api/mcp/auth_callback",
            "https://evil.example/api/mcp/auth_callback",
        ] {
            assert!(!list.allows(uri), "{uri}");
        }
    }

    #[test]
    fn extra_uris_are_matched_exactly() {
        let list = AllowList {
            extra: vec!["https://app.example.com/oauth/done".to_owned()],
        };
        assert!(list.allows("https://app.example.com/oauth/done"));
        assert!(!list.allows("https://app.example.com/oauth/done/"));
        assert!(!list.allows("https://app.example.com/oauth/done?x=1"));
    }

    #[test]
    fn registered_redirects_are_https_or_loopback() {
        for uri in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?x=1",
            "http://localhost:6274/oauth/callback",
            "http://127.0.0.1:6276/oauth/callback",
        ] {
            assert!(registrable(uri), "{uri}");
        }
        for uri in [
            "http://app.example.com/callback",
            "https://app.example.com/cb#fragment",
            "https://user@app.example.com/cb",
            "https://APP.example.com/cb",
            "myapp://callback",
            "https://a b/",
            "",
        ] {
            assert!(!registrable(uri), "{uri}");
        }
        assert_eq!(host_of("https://Claude.ai/api/x"), "claude.ai");
        assert_eq!(host_of("http://localhost:6274/cb"), "localhost:6274");
    }

    #[test]
    fn params_are_encoded_and_appended() {
        assert_eq!(
            with_params(
                "http://localhost/cb",
                &[("code", "a b"), ("state", "x&y=z")]
            ),
            "http://localhost/cb?code=a+b&state=x%26y%3Dz"
        );
        assert_eq!(
            with_params("http://localhost/cb?keep=1", &[("error", "access_denied")]),
            "http://localhost/cb?keep=1&error=access_denied"
        );
    }
}
