//! OAuth for MCP end to end, for every stack with auth `oauth`: a real MCP OAuth client (rmcp's,
//! with its `auth` feature) starts from the `/mcp` URL alone, as ChatGPT, Claude and the MCP
//! Inspector do. It gets the 401 challenge, reads the protected resource metadata and the
//! authorization server's metadata, registers itself (dynamic client registration, or a client
//! ID metadata document this test serves on loopback), and the test plays the browser on the
//! consent page, signing in as a user from the project's `.env`. The client exchanges the code
//! with PKCE and `resource`, lists the tools, calls one and refreshes its token. Then the
//! refusals, over plain HTTP: a token for another resource, a public client without PKCE, a
//! code posted twice (the retry that revokes nothing, and the replay that revokes), a redirect
//! that was not registered, a metadata document whose `client_id` is not its URL, and metadata
//! URLs on private or (without the setting) loopback addresses.

use crate::support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use ai_plugin::choices::{AuthType, Stack};
use oauth2::TokenResponse as _;
use rmcp::model::CallToolRequestParams;
use rmcp::service::ServiceExt as _;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::credentials::first_pair;
use support::{Client, Reply, Server, free_port, mcp, readme_commands};

/// The client name the test registers and documents: the consent page must show it escaped.
const CLIENT_NAME: &str = "E2E <client> & co";

/// A PKCE pair (RFC 7636, appendix B).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A generated `oauth` project and its server, reached at its default `PUBLIC_URL`
/// (`http://localhost:PORT`), the origin its metadata names.
struct Plugin {
    project: PathBuf,
    command: String,
    port: u16,
    data: PathBuf,
    server: Option<Server>,
    /// `http://localhost:PORT`: the issuer, and the REST API's resource identifier.
    origin: String,
    /// The plugin's scopes, from its manifest.
    scopes: Vec<String>,
    _tmp: tempfile::TempDir,
}

impl Plugin {
    fn generate(stack: &str) -> Plugin {
        let (tmp, project) =
            support::oauth_project(stack, &format!("mcp-oauth-{stack}"), "mcp_oauth", &[]);
        let command = readme_commands(&project).remove(0);
        let port = free_port();
        Plugin {
            project,
            command,
            port,
            data: tmp.path().join("plugin.db"),
            server: None,
            origin: format!("http://localhost:{port}"),
            scopes: Vec::new(),
            _tmp: tmp,
        }
    }

    /// (Re)starts the server as its README says, with `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS` set to
    /// `loopback_client_ids` in `.env`, as a user would set it.
    fn start(&mut self, loopback_client_ids: bool) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let env = self.project.join(".env");
        let text = std::fs::read_to_string(&env).unwrap();
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("OAUTH_ALLOW_LOOPBACK_CLIENT_IDS="))
            .collect();
        let setting = format!("OAUTH_ALLOW_LOOPBACK_CLIENT_IDS={loopback_client_ids}");
        lines.push(&setting);
        std::fs::write(&env, lines.join("\n") + "\n").unwrap();
        self.server = Some(Server::start(
            &self.project,
            &self.command,
            self.port,
            &self.data,
        ));
        let manifest = self.http().get("/.well-known/ai-plugin.json").json();
        self.scopes = manifest["auth"]["scope"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    }

    fn http(&self) -> Client {
        Client::new(&self.origin, None)
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.origin)
    }

    /// A user from `OAUTH_USERS` in the project's `.env`.
    fn user(&self) -> (String, String) {
        first_pair(&self.project, "OAUTH_USERS")
    }
}

/// The `name="value"` attribute of an HTML tag, unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[start..];
    let value = &value[..value.find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The query parameters of a URL, in order.
fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The host of a loopback URL such as `http://127.0.0.1:9/callback`, without its port.
fn host_of(url: &str) -> &str {
    let authority = url.split('/').nth(2).unwrap_or_default();
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Plays the browser on the consent page at `url`: checks that it names `client_name`
/// (escaped) and the redirect's host and cannot be framed, reads its form, signs in as the
/// project's first user and allows, as the form's Allow button does. The redirect's `Location`.
fn consent(plugin: &Plugin, url: &str, client_name: &str, host: &str) -> Result<String, String> {
    let browser = Client::new("", None);
    let page = browser.get(url);
    let html = page.text();
    if page.status != 200 {
        return Err(format!(
            "the consent page {url} answered {}: {html}",
            page.status
        ));
    }
    let csp = page.header("content-security-policy");
    if !csp.contains("frame-ancestors 'none'")
        || !page.header("x-frame-options").eq_ignore_ascii_case("DENY")
    {
        return Err(format!(
            "the consent page may be framed: Content-Security-Policy {csp:?}, X-Frame-Options {:?}",
            page.header("x-frame-options")
        ));
    }
    let escaped = client_name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    if !html.contains(&escaped) || html.contains(client_name) {
        return Err(format!(
            "the consent page does not show {client_name:?} escaped: {html}"
        ));
    }
    if !html.contains(host) {
        return Err(format!(
            "the consent page does not show the redirect host {host}: {html}"
        ));
    }
    // The form: where it posts (its page when it has no action), its hidden fields, the user.
    let form_start = html.find("<form").ok_or("the consent page has no form")?;
    let form = &html[form_start..];
    let form = &form[..form
        .find("</form>")
        .ok_or("the consent form is not closed")?];
    let form_tag = &form[..form.find('>').unwrap_or(form.len())];
    let target = match attribute(form_tag, "action") {
        None => url.to_owned(),
        Some(action) if action.is_empty() => url.to_owned(),
        Some(action) if action.starts_with('/') => format!("{}{action}", plugin.origin),
        Some(action) => action,
    };
    let mut fields = Vec::new();
    for tag in form.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if attribute(tag, "type").as_deref() == Some("hidden") {
            let name = attribute(tag, "name").ok_or("a hidden field without a name")?;
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
    if fields.is_empty() {
        return Err(format!(
            "the consent form has no hidden field binding it to the request: {form}"
        ));
    }
    if !form.contains("name=\"decision\" value=\"allow\"") {
        return Err(format!("the consent form has no Allow button: {form}"));
    }
    let (user, password) = plugin.user();
    fields.push(("username".into(), user));
    fields.push(("password".into(), password));
    fields.push(("decision".into(), "allow".into()));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let answer = browser.send_raw(
        "POST",
        &target,
        Some(body.into_bytes()),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    let location = answer.header("location").to_owned();
    if !matches!(answer.status, 302 | 303) || location.is_empty() {
        return Err(format!(
            "allowing on the consent page answered {} without a redirect: {}",
            answer.status,
            answer.text()
        ));
    }
    Ok(location)
}

/// How the client makes itself known to the server.
enum Registration {
    /// RFC 7591, as rmcp does when it has nothing else.
    Dynamic,
    /// A client ID metadata document at this URL.
    MetadataDocument(String),
}

/// The whole flow with rmcp's OAuth client, from the `/mcp` URL alone; `redirect` is the
/// client's loopback callback (the test reads the redirect instead of listening there).
async fn sign_in_and_use(
    plugin: &Plugin,
    registration: &Registration,
    redirect: &str,
) -> Result<(), String> {
    let mcp_url = plugin.mcp_url();
    // Without a token: 401 with a challenge that points at the resource metadata.
    let refused = ().serve(StreamableHttpClientTransport::from_uri(mcp_url.as_str())).await;
    let error = refused.err().ok_or("/mcp answered without a token")?;
    let challenge = error
        .auth_challenge()
        .ok_or_else(|| format!("/mcp refused without a 401 challenge: {error}"))?
        .to_owned();
    let prm = format!("{}/.well-known/oauth-protected-resource/mcp", plugin.origin);
    if !challenge.contains(&format!("resource_metadata=\"{prm}\"")) {
        return Err(format!(
            "the 401 challenge does not point at {prm}: {challenge}"
        ));
    }

    // Discovery (protected resource metadata, authorization server metadata), registration and
    // the authorization URL.
    let mut state = OAuthState::new(mcp_url.as_str(), None)
        .await
        .map_err(|e| format!("the OAuth client: {e}"))?;
    let mut request = AuthorizationRequest::new(redirect)
        .with_client_name(CLIENT_NAME)
        .with_application_type("native")
        .with_challenge(challenge);
    if let Registration::MetadataDocument(url) = registration {
        // rmcp offers a metadata document URL only over https (`with_client_metadata_url`);
        // this one is served on loopback, so it goes in as the client id, which is what a
        // document URL is on the wire.
        request = request.with_preregistered_client(url.as_str());
    }
    state
        .start_authorization(request)
        .await
        .map_err(|e| format!("discovery and registration: {e}"))?;
    let url = state
        .get_authorization_url()
        .await
        .map_err(|e| format!("the authorization URL: {e}"))?;
    let asked = query_of(&url);
    let expected_scope = plugin
        .scopes
        .iter()
        .map(String::as_str)
        .chain(["offline_access"])
        .collect::<Vec<_>>()
        .join(" ");
    for (name, expected) in [
        ("resource", mcp_url.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", expected_scope.as_str()),
    ] {
        if param(&asked, name) != Some(expected) {
            return Err(format!("the client asks {url}: {name} is not {expected:?}"));
        }
    }
    if !url.starts_with(&format!("{}/oauth/authorize?", plugin.origin)) {
        return Err(format!(
            "the authorization endpoint is not the plugin's: {url}"
        ));
    }

    // The browser: the consent page, signed in and allowed.
    let location = consent(plugin, &url, CLIENT_NAME, host_of(redirect))?;
    let answer = query_of(&location);
    if !location.starts_with(redirect) || param(&answer, "iss") != Some(plugin.origin.as_str()) {
        return Err(format!("the redirect after consent: {location}"));
    }

    // The code exchange with PKCE and `resource` (and `iss` checked against the metadata).
    state
        .handle_callback_url(&location)
        .await
        .map_err(|e| format!("the code exchange for {location}: {e}"))?;
    let manager = state
        .into_authorization_manager()
        .ok_or("not authorized after the code exchange")?;
    let (client_id, tokens) = manager
        .get_credentials()
        .await
        .map_err(|e| format!("the credentials: {e}"))?;
    let tokens = tokens.ok_or("no tokens after the code exchange")?;
    match registration {
        Registration::Dynamic if !client_id.starts_with("mcp-") => {
            return Err(format!("the registered client id is {client_id:?}"));
        }
        Registration::MetadataDocument(url) if &client_id != url => {
            return Err(format!("the client id is {client_id:?}, not {url}"));
        }
        _ => {}
    }
    let first_refresh = tokens
        .refresh_token()
        .ok_or("no refresh token, though offline_access was asked for")?
        .secret()
        .clone();

    // MCP with the token: the tools, and a call.
    let auth = AuthClient::new(reqwest::Client::default(), manager);
    let transport = StreamableHttpClientTransport::with_client(
        auth.clone(),
        StreamableHttpClientTransportConfig::with_uri(mcp_url.as_str()),
    );
    let client = ().serve(transport).await.map_err(|e| format!("connecting with the token: {e}"))?;
    let tools = client
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list: {e}"))?;
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    if names != ["listTodos", "addTodo", "deleteTodo"] {
        return Err(format!("the tools are {names:?}"));
    }
    let text = format!("signed in as {client_id}");
    let mut arguments = serde_json::Map::new();
    arguments.insert("todo".into(), json!(text));
    let added = client
        .call_tool(CallToolRequestParams::new("addTodo").with_arguments(arguments))
        .await
        .map_err(|e| format!("addTodo: {e}"))?;
    let item = added
        .structured_content
        .ok_or("addTodo: no structuredContent")?;
    if item["todo"] != text.as_str() || added.is_error == Some(true) {
        return Err(format!("addTodo returned {item}"));
    }

    // A refresh: new tokens that work, and the old refresh token is spent (rotation).
    let refreshed = auth
        .auth_manager
        .lock()
        .await
        .refresh_token()
        .await
        .map_err(|e| format!("the refresh: {e}"))?;
    if refreshed.access_token().secret() == tokens.access_token().secret() {
        return Err("the refresh gave the same access token".into());
    }
    let listed = client
        .call_tool(CallToolRequestParams::new("listTodos"))
        .await
        .map_err(|e| format!("listTodos after the refresh: {e}"))?;
    let todos = listed.structured_content.unwrap_or_default();
    if !todos["todos"].as_array().is_some_and(|t| t.contains(&item)) {
        return Err(format!("listTodos after the refresh: {todos}"));
    }
    let reused = token(
        plugin,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
        ],
    );
    if reused.status != 400 || reused.json()["error"] != "invalid_grant" {
        return Err(format!(
            "the spent refresh token answered {}: {}",
            reused.status,
            reused.text()
        ));
    }
    client.cancel().await.map_err(|e| format!("closing: {e}"))?;
    Ok(())
}

/// A form POST to the token endpoint.
fn token(plugin: &Plugin, fields: &[(&str, &str)]) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    plugin.http().send_raw(
        "POST",
        "/oauth/token",
        Some(body.into_bytes()),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
}

/// Registers a public client (`token_endpoint_auth_method: none`) for `redirect`.
fn register_public(plugin: &Plugin, redirect: &str) -> Result<String, String> {
    let body = json!({
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "client_name": CLIENT_NAME,
        "application_type": "native",
    });
    let reply = plugin
        .http()
        .send("POST", "/oauth/register", Some(body), &[]);
    if reply.status != 201 {
        return Err(format!(
            "registration answered {}: {}",
            reply.status,
            reply.text()
        ));
    }
    reply.json()["client_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("registration gave no client_id: {}", reply.text()))
}

/// The authorization URL for `client_id` and `redirect` with `extra` parameters.
fn authorize_url(
    plugin: &Plugin,
    client_id: &str,
    redirect: &str,
    extra: &[(&str, &str)],
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "e2e")
        .extend_pairs(extra)
        .finish();
    format!("{}/oauth/authorize?{query}", plugin.origin)
}

/// Signs in for `client_id` with PKCE and `resource`; the code.
fn code(
    plugin: &Plugin,
    client_id: &str,
    redirect: &str,
    resource: &str,
) -> Result<String, String> {
    let url = authorize_url(
        plugin,
        client_id,
        redirect,
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", resource),
        ],
    );
    let location = consent(plugin, &url, CLIENT_NAME, host_of(redirect))?;
    param(&query_of(&location), "code")
        .map(str::to_owned)
        .ok_or_else(|| format!("no code in {location}"))
}

/// Exchanges a code as a public client.
fn exchange(plugin: &Plugin, client_id: &str, redirect: &str, code: &str, verifier: &str) -> Reply {
    token(
        plugin,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("code_verifier", verifier),
        ],
    )
}

/// `initialize` on `/mcp` with `access_token`: the status, and the challenge.
fn mcp_status(plugin: &Plugin, access_token: &str) -> (u16, String) {
    let client = Client::new(&plugin.origin, Some(access_token));
    let reply = mcp::post(&client, "/mcp", &mcp::initialize(1), &[]);
    (reply.status, reply.header("www-authenticate").to_owned())
}

/// `GET /todos` with `access_token`: the status.
fn rest_status(plugin: &Plugin, access_token: &str) -> u16 {
    Client::new(&plugin.origin, Some(access_token))
        .get("/todos")
        .status
}

/// Records a failure unless `ok`.
fn expect(failures: &mut Vec<String>, ok: bool, what: impl FnOnce() -> String) {
    if !ok {
        failures.push(what());
    }
}

/// The refusals that need no metadata document, over plain HTTP.
fn refusals(plugin: &Plugin, failures: &mut Vec<String>) -> Result<(), String> {
    let redirect = "http://127.0.0.1:9/callback";
    let client_id = register_public(plugin, redirect)?;
    let mcp_resource = plugin.mcp_url();

    // A token for another resource: bound to the REST API, refused on /mcp, and the reverse.
    let rest_code = code(plugin, &client_id, redirect, &plugin.origin)?;
    let rest_tokens = exchange(plugin, &client_id, redirect, &rest_code, VERIFIER).json();
    let rest_token = rest_tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    expect(failures, rest_status(plugin, &rest_token) == 200, || {
        format!("a token bound to the REST API does not work there: {rest_tokens}")
    });
    let (status, challenge) = mcp_status(plugin, &rest_token);
    expect(
        failures,
        status == 401 && challenge.contains("error=\"invalid_token\""),
        || format!("/mcp with a token for the REST API: {status}, {challenge:?}"),
    );
    let mcp_code = code(plugin, &client_id, redirect, &mcp_resource)?;
    let mcp_tokens = exchange(plugin, &client_id, redirect, &mcp_code, VERIFIER).json();
    let mcp_token = mcp_tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    expect(failures, mcp_status(plugin, &mcp_token).0 == 200, || {
        format!("a token bound to /mcp does not work there: {mcp_tokens}")
    });
    expect(failures, rest_status(plugin, &mcp_token) == 401, || {
        "the REST API takes a token bound to /mcp".into()
    });
    // An unknown resource: invalid_target at the authorization endpoint, with `iss`.
    let other = authorize_url(
        plugin,
        &client_id,
        redirect,
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", "https://elsewhere.example/mcp"),
        ],
    );
    let reply = Client::new("", None).get(&other);
    let location = query_of(reply.header("location"));
    expect(
        failures,
        param(&location, "error") == Some("invalid_target")
            && param(&location, "iss") == Some(plugin.origin.as_str()),
        || {
            format!(
                "an unknown resource at authorize: {} {:?}",
                reply.status,
                reply.header("location")
            )
        },
    );

    // A public client without PKCE: refused with invalid_request, on its redirect, with `iss`.
    let reply = Client::new("", None).get(&authorize_url(plugin, &client_id, redirect, &[]));
    let location = query_of(reply.header("location"));
    expect(
        failures,
        matches!(reply.status, 302 | 303)
            && param(&location, "error") == Some("invalid_request")
            && param(&location, "iss") == Some(plugin.origin.as_str()),
        || {
            format!(
                "a public client without PKCE: {} {:?}",
                reply.status,
                reply.header("location")
            )
        },
    );

    // A code posted twice by its client with the same verifier at once: a retry. The second
    // post gets invalid_grant, and what the first got keeps working.
    let twice = code(plugin, &client_id, redirect, &mcp_resource)?;
    let first = exchange(plugin, &client_id, redirect, &twice, VERIFIER).json();
    let retry = exchange(plugin, &client_id, redirect, &twice, VERIFIER);
    expect(
        failures,
        retry.status == 400 && retry.json()["error"] == "invalid_grant",
        || format!("a code posted again: {} {}", retry.status, retry.text()),
    );
    let kept = first["access_token"].as_str().unwrap_or_default();
    expect(failures, mcp_status(plugin, kept).0 == 200, || {
        "a retried code revoked the tokens of the first exchange".into()
    });
    // The same code posted without the verifier: a stolen code. invalid_grant, and every token
    // the code issued is revoked, the refresh token too.
    let stolen = token(
        plugin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &twice),
            ("redirect_uri", redirect),
            ("client_id", &client_id),
        ],
    );
    expect(
        failures,
        stolen.status == 400 && stolen.json()["error"] == "invalid_grant",
        || {
            format!(
                "a replayed code without the verifier: {} {}",
                stolen.status,
                stolen.text()
            )
        },
    );
    expect(failures, mcp_status(plugin, kept).0 == 401, || {
        "a replayed code without the verifier left the first exchange's access token valid".into()
    });
    let refresh = first["refresh_token"].as_str().unwrap_or_default();
    let refreshed = token(
        plugin,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ],
    );
    expect(failures, refreshed.status == 400, || {
        format!(
            "the refresh token of a replayed code still works: {}",
            refreshed.text()
        )
    });

    // A redirect that was not registered: the error page, never a redirect.
    let reply = Client::new("", None).get(&authorize_url(
        plugin,
        &client_id,
        "http://127.0.0.1:9/elsewhere",
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    ));
    expect(
        failures,
        reply.status == 400 && reply.header("location").is_empty(),
        || {
            format!(
                "an unregistered redirect: {} {:?}",
                reply.status,
                reply.header("location")
            )
        },
    );
    // A registration for a redirect that is neither https nor loopback.
    let reply = plugin.http().send(
        "POST",
        "/oauth/register",
        Some(json!({"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"})),
        &[],
    );
    expect(
        failures,
        reply.status == 400 && reply.json()["error"] == "invalid_redirect_uri",
        || {
            format!(
                "registering an http redirect: {} {}",
                reply.status,
                reply.text()
            )
        },
    );
    Ok(())
}

/// The authorization endpoint refuses `client_id` (a metadata document URL) with its error
/// page, never a redirect, naming the URL and, if given, `why` (a word of the reason).
fn refuses_document(
    plugin: &Plugin,
    client_id: &str,
    why: Option<&str>,
    redirect: &str,
    failures: &mut Vec<String>,
) {
    let url = authorize_url(
        plugin,
        client_id,
        redirect,
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let reply = Client::new("", None).get(&url);
    let page = String::from_utf8_lossy(&reply.body).into_owned();
    expect(
        failures,
        reply.status == 400
            && reply.header("location").is_empty()
            && page.contains(client_id)
            && why.is_none_or(|why| page.contains(why)),
        || {
            format!(
                "the metadata document {client_id}: {} {:?} {page}",
                reply.status,
                reply.header("location")
            )
        },
    );
}

/// Client ID metadata documents served on loopback, one per path; stopped when dropped.
struct Documents {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Documents {
    /// Serves what `documents(base, path)` gives (`None`: 404) at `base` + `path`, where `base`
    /// is `http://127.0.0.1:PORT`, with caching off (`no-store`) so each sign-in fetches again.
    fn serve(documents: impl Fn(&str, &str) -> Option<Value> + Send + 'static) -> Documents {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let base = url.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or_default();
                let (status, body) = match documents(&base, path) {
                    Some(document) => ("200 OK", document.to_string()),
                    None => ("404 Not Found", "{}".to_owned()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Documents {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Documents {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Everything above for one stack; panics with every failure.
fn oauth_end_to_end(stack: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut plugin = Plugin::generate(stack);

    // Loopback metadata documents not allowed (the default).
    plugin.start(false);
    let redirect = "http://127.0.0.1:9/oauth/callback";
    if let Err(e) = runtime.block_on(sign_in_and_use(&plugin, &Registration::Dynamic, redirect)) {
        failures.push(format!("dynamic registration: {e}"));
    }
    if let Err(e) = refusals(&plugin, &mut failures) {
        failures.push(format!("refusals: {e}"));
    }
    refuses_document(
        &plugin,
        "https://10.0.0.1/client.json",
        Some("private"),
        redirect,
        &mut failures,
    );
    refuses_document(
        &plugin,
        "https://[fd00::1]/client.json",
        Some("private"),
        redirect,
        &mut failures,
    );

    // Served on loopback, with the setting meant for local tests.
    let documents = Documents::serve(move |base, path| {
        let url = format!("{base}{path}");
        match path {
            "/client.json" | "/mismatch.json" => Some(json!({
                "client_id": if path == "/client.json" { url } else { "https://someone.example/client.json".to_owned() },
                "client_name": CLIENT_NAME,
                "redirect_uris": [redirect],
                "token_endpoint_auth_method": "none",
            })),
            _ => None,
        }
    });
    let document = format!("{}/client.json", documents.url);
    // Without the setting, a loopback document is no client id the server fetches.
    refuses_document(&plugin, &document, None, redirect, &mut failures);
    plugin.start(true);
    if let Err(e) = runtime.block_on(sign_in_and_use(
        &plugin,
        &Registration::MetadataDocument(document.clone()),
        redirect,
    )) {
        failures.push(format!("client ID metadata document: {e}"));
    }
    refuses_document(
        &plugin,
        &format!("{}/mismatch.json", documents.url),
        Some("client_id"),
        redirect,
        &mut failures,
    );
    // A redirect the document does not list.
    let reply = Client::new("", None).get(&authorize_url(
        &plugin,
        &document,
        "http://127.0.0.1:9/elsewhere",
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    ));
    expect(
        &mut failures,
        reply.status == 400 && reply.header("location").is_empty(),
        || {
            format!(
                "a redirect the metadata document does not list: {} {:?}",
                reply.status,
                reply.header("location")
            )
        },
    );
    refuses_document(
        &plugin,
        "https://10.0.0.1/client.json",
        Some("private"),
        redirect,
        &mut failures,
    );
    drop(documents);
    assert!(failures.is_empty(), "{stack}:\n{}", failures.join("\n"));
}

/// The stacks that implement auth `oauth`, in the order `new` offers them.
fn oauth_stacks() -> Vec<&'static str> {
    Stack::ALL
        .into_iter()
        .filter(|&stack| ai_plugin::template::supports(stack, AuthType::Oauth))
        .map(Stack::as_str)
        .collect()
}

/// One test per stack, so a stack can be run alone
/// (`cargo test --test projects -- mcp_oauth:: --skip python --skip typescript`).
macro_rules! stacks {
    ($($name:ident: $stack:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                oauth_end_to_end($stack);
            }
        )*

        /// Every stack with auth `oauth` has its test above, and no other.
        #[test]
        fn every_oauth_stack_is_tested_end_to_end() {
            assert_eq!(oauth_stacks(), [$($stack),*]);
        }
    };
}

stacks! {
    oauth_end_to_end_with_the_rust_stack: "rust",
    oauth_end_to_end_with_the_python_stack: "python",
    oauth_end_to_end_with_the_typescript_stack: "typescript",
}
