//! One behaviour for every stack: for each auth type, generate a project per stack, run its
//! tests and start it exactly as its README says, send the same HTTP requests to each, and
//! compare what comes back (status, JSON body, the headers that matter) with the Rust stack.
//! Then `ai-plugin check` each server as ChatGPT apps, MCP clients and plugin hosts see it,
//! restart it and check the data survived.
//!
//! Generated ids and error messages may differ between stacks; they are replaced by
//! placeholders (`<id 1>`, `<error>`) before comparing. Everything else must be identical.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use support::credentials::{
    REDIRECT_URI, answer, approve, authorization, code_of, consent, first_pair, list_path, token,
    token_request,
};
use support::{
    Client, Reply, Server, env_value, free_port, generate, mcp, readme_commands, run_line,
};

/// Every stack `ai-plugin new --stack` offers; the first is the reference.
const STACKS: &[&str] = &["rust", "typescript", "python"];

/// What one request got back, normalized for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Observation {
    step: String,
    status: u16,
    body: Value,
    headers: BTreeMap<String, String>,
}

/// Replaces generated ids (by order of first appearance), error texts and tokens with
/// placeholders. RFC 6749 error codes (`invalid_grant`) are kept: they must agree.
fn normalize(value: &mut Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match (key.as_str(), &*field) {
                    ("id", Value::String(id)) => {
                        let n = if let Some(n) = ids.iter().position(|known| known == id) {
                            n
                        } else {
                            ids.push(id.clone());
                            ids.len() - 1
                        };
                        *field = Value::String(format!("<id {}>", n + 1));
                    }
                    ("error", Value::String(text))
                        if !text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
                    {
                        *field = Value::String("<error>".into());
                    }
                    ("error_description", Value::String(_)) => {
                        *field = Value::String("<description>".into());
                    }
                    ("access_token" | "refresh_token", Value::String(_)) => {
                        *field = Value::String("<token>".into());
                    }
                    // A dynamically registered client's id, secret and time of registration.
                    ("client_id", Value::String(id)) if id.starts_with("mcp-") => {
                        let shape = id.len() == 36
                            && id[4..]
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                        *field = Value::String(if shape {
                            "<client id>".into()
                        } else {
                            format!("<client id of the wrong shape: {id}>")
                        });
                    }
                    ("client_secret", Value::String(_)) => {
                        *field = Value::String("<client secret>".into());
                    }
                    ("client_id_issued_at", Value::Number(_)) => {
                        *field = Value::String("<time>".into());
                    }
                    _ => normalize(field, ids),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| normalize(item, ids)),
        _ => {}
    }
}

/// A comma-separated header as a sorted, lowercased list.
fn as_set(value: &str) -> String {
    let mut items: Vec<String> = value
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    items.sort();
    items.join(",")
}

/// The scenario's memory: ids seen so far and the observations.
struct Recorder {
    ids: Vec<String>,
    seen: Vec<Observation>,
    /// `http://localhost:PORT`: each stack runs on its own port.
    origin: String,
    /// Whether `Cache-Control` and the framing headers are compared (the OAuth server's
    /// answers: its pages must not be framed, its registrations and tokens not cached).
    oauth_headers: bool,
}

/// Replaces `from` with `to` in every string of `value`.
fn replace_in_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) => *text = text.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| replace_in_strings(field, from, to)),
        _ => {}
    }
}

impl Recorder {
    /// Records a JSON answer whose keys' order the contract fixes: the order is compared too.
    fn record_ordered(&mut self, step: &str, reply: &Reply) -> Value {
        let raw = self.record(step, reply);
        if let Some(fields) = raw.as_object() {
            let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
            self.seen
                .last_mut()
                .unwrap()
                .headers
                .insert("body keys".to_owned(), keys.join(","));
        }
        raw
    }

    fn record(&mut self, step: &str, reply: &Reply) -> Value {
        let content_type = reply
            .header("content-type")
            .replace(' ', "")
            .to_ascii_lowercase();
        let body = if content_type.starts_with("application/json") {
            reply.json()
        } else if content_type.starts_with("text/yaml")
            || content_type.starts_with("application/yaml")
        {
            serde_saphyr::from_str(&reply.text()).unwrap()
        } else if content_type.starts_with("text/html") {
            Value::String("<html>".into())
        } else if reply.body.is_empty() {
            Value::Null
        } else {
            Value::String(format!(
                "<{} bytes: {:?}>",
                reply.body.len(),
                &reply.body[..8.min(reply.body.len())]
            ))
        };
        let raw = body.clone();
        let mut body = body;
        normalize(&mut body, &mut self.ids);
        replace_in_strings(&mut body, &self.origin, "http://localhost:<port>");
        let mut headers = BTreeMap::new();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        headers.insert("content-type".to_owned(), media_type);
        for name in [
            "www-authenticate",
            "access-control-allow-origin",
            "access-control-allow-private-network",
            "access-control-allow-credentials",
            "cache-control",
            "x-frame-options",
        ] {
            let value = reply.header(name);
            let oauth_only = matches!(name, "cache-control" | "x-frame-options");
            if !value.is_empty() && (self.oauth_headers || !oauth_only) {
                headers.insert(
                    name.to_owned(),
                    value.replace(&self.origin, "http://localhost:<port>"),
                );
            }
        }
        // The consent pages' framing policy (other directives of the CSP may differ).
        if self.oauth_headers
            && reply
                .header("content-security-policy")
                .contains("frame-ancestors 'none'")
        {
            headers.insert("csp frame-ancestors".to_owned(), "'none'".to_owned());
        }
        // Where a redirect goes: the target, and its query with codes and texts as placeholders.
        let location = reply.header("location");
        if !location.is_empty() {
            let (target, query) = location.split_once('?').unwrap_or((location, ""));
            let params: Vec<String> = form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| match name.as_ref() {
                    "code" => "code=<code>".to_owned(),
                    "error_description" => "error_description=<description>".to_owned(),
                    _ => format!(
                        "{name}={}",
                        value.replace(&self.origin, "http://localhost:<port>")
                    ),
                })
                .collect();
            headers.insert(
                "location".to_owned(),
                format!("{target}?{}", params.join("&")),
            );
        }
        for name in [
            "allow",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ] {
            let value = reply.header(name);
            if !value.is_empty() {
                headers.insert(name.to_owned(), as_set(value));
            }
        }
        self.seen.push(Observation {
            step: step.to_owned(),
            status: reply.status,
            body,
            headers,
        });
        raw
    }
}

/// Redirect URIs no stack may send a code to, and that each must refuse with its error page
/// (never a redirect): lookalike hosts, user info, ports, paths, schemes and characters that
/// URL parsers read differently.
fn redirect_tricks() -> Vec<String> {
    let mut tricks: Vec<String> = [
        "https://evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com.evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com@evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com/aip/plugin-1/oauth/callback/../../x",
        "https://chat.openai.com/aip/plugin-1/oauth/callback?next=evil",
        "https://chat.openai.com/aip/plugin-1/oauth/callback?",
        "https://chat.openai.com/aip/plugin-1/oauth/callback#x",
        "https://chat.openai.com/aip/plugin-1/oauth/callback/",
        "https://chat.openai.com:444/aip/plugin-1/oauth/callback",
        "https://chat.openai.com:443/aip/plugin-1/oauth/callback",
        "http://chat.openai.com/aip/plugin-1/oauth/callback",
        "HTTPS://chat.openai.com/aip/plugin-1/oauth/callback",
        "https://CHAT.openai.com/aip/plugin-1/oauth/callback",
        "https://chat.openai.com/aip//oauth/callback",
        "https://chat.openai.com/aip/plugin.1/oauth/callback",
        "https://chat.openai.com/other",
        "http://localhost.evil.example/cb",
        "http://localhost:x/cb",
        "http://localhost:/cb",
        "http://localhost:99999/cb",
        "http://localhost\\@evil.example/",
        "http://[::1]@evil.example/",
        "http://user@localhost/",
        "http://localhost/cb#x",
        "http://localhost/a@b",
        "http://localhost/a\\b",
        "http://localhost/a b",
        "http://localhost/\u{a0}",
        "http://localhost/\u{85}",
        "http://localhost/\t",
        "http://localhost/\u{2028}",
        "http://localhost/\u{7f}",
        "http://[::1/",
        "http://:80/",
        "http://[::1]x/cb",
        "http://[::1].evil.com/cb",
        "http://[::1]evil.com/cb",
        "http://[::1].evil.com:80/cb",
        "http://LOCALHOST/cb",
        "HTTP://localhost/",
        "javascript:alert(1)",
    ]
    .map(str::to_owned)
    .to_vec();
    tricks.push(format!(
        "https://chatgpt.com/aip/{}/oauth/callback",
        "a".repeat(101)
    ));
    tricks.push(format!("http://localhost/{}", "a".repeat(2000)));
    tricks
}

/// A step's name for a redirect trick: its start, escaped.
fn trick_step(kind: &str, trick: &str) -> String {
    let shown: String = trick.chars().take(70).collect();
    format!("{kind} redirect {shown:?}")
}

/// The well-known documents an MCP client reads before it signs in.
const DISCOVERY: [&str; 3] = [
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-authorization-server",
];

/// The RFC 7636 example verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// What an MCP client finds before and while it signs in: the metadata, the registration
/// endpoint, and the tokens bound to a resource or short of the plugin's scope.
fn discovery_scenario(r: &mut Recorder, project: &Path, base: &str) {
    let anonymous = Client::new(base, None);
    // The read-only documents' 405 says what the manifest's says.
    r.record(
        "/.well-known/ai-plugin.json with POST",
        &anonymous.send("POST", "/.well-known/ai-plugin.json", None, &[]),
    );
    for path in DISCOVERY {
        r.record_ordered(path, &anonymous.get(path));
        r.record(
            &format!("{path} from chatgpt.com"),
            &anonymous.send("GET", path, None, &[("origin", "https://chatgpt.com")]),
        );
        r.record(
            &format!("{path} with POST"),
            &anonymous.send("POST", path, None, &[]),
        );
    }

    // Dynamic client registration: a confidential client, a public one, and the refusals.
    let register = |body: Value| anonymous.send("POST", "/oauth/register", Some(body), &[]);
    r.record_ordered(
        "register a confidential client",
        &register(json!({
            "redirect_uris": ["https://client.example/cb"],
            "client_name": "Conformance <client>",
            "logo_uri": "https://client.example/logo.png",
            "unknown_field": 1,
        })),
    );
    let public = r.record_ordered(
        "register a public client",
        &register(json!({
            "redirect_uris": ["http://127.0.0.1:7/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "application_type": "native",
            "scope": "todos offline_access",
        })),
    );
    for (step, body) in [
        ("register without redirect", json!({"client_name": "x"})),
        (
            "register an http redirect",
            json!({"redirect_uris": ["http://evil.example/cb"]}),
        ),
        (
            "register a redirect with a fragment",
            json!({"redirect_uris": ["https://client.example/cb#x"]}),
        ),
        (
            "register eleven redirects",
            json!({"redirect_uris": vec!["https://client.example/cb"; 11]}),
        ),
        (
            "register an unknown auth method",
            json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
        ),
        (
            "register an implicit grant",
            json!({"redirect_uris": ["https://client.example/cb"], "grant_types": ["implicit"]}),
        ),
        (
            "register an unknown scope",
            json!({"redirect_uris": ["https://client.example/cb"], "scope": "admin"}),
        ),
        (
            "register an array",
            json!([{"redirect_uris": ["https://client.example/cb"]}]),
        ),
    ] {
        r.record(step, &register(body));
    }
    r.record(
        "register broken json",
        &anonymous.send_raw(
            "POST",
            "/oauth/register",
            Some(b"{".to_vec()),
            &[("content-type", "application/json")],
        ),
    );
    let name = "x".repeat(17 * 1024);
    r.record(
        "register 17 KiB",
        &register(json!({"redirect_uris": ["https://client.example/cb"], "client_name": name})),
    );

    // The registered public client: PKCE required, its redirect only.
    let public_id = public["client_id"].as_str().unwrap_or_default();
    let public_query = |redirect: &str, extra: &[(&str, &str)]| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", public_id)
            .append_pair("redirect_uri", redirect)
            .append_pair("state", "s")
            .extend_pairs(extra)
            .finish();
        anonymous.get(&format!("/oauth/authorize?{query}"))
    };
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let registered = "http://127.0.0.1:7/cb";
    r.record(
        "authorize a public client without pkce",
        &public_query(registered, &[]),
    );
    r.record(
        "authorize a public client",
        &public_query(registered, &pkce),
    );
    r.record(
        "authorize a public client elsewhere",
        &public_query("http://127.0.0.1:7/elsewhere", &pkce),
    );

    // Tokens: short of the plugin's scope, bound to /mcp, bound to the API.
    let (user, password) = first_pair(project, "OAUTH_USERS");
    let sign_in = |extra: &str| {
        let query = format!("{}&{extra}", authorization(project, "s"));
        let id = consent(base, &query);
        let answer = answer(
            base,
            &format!("request_id={id}&username={user}&password={password}&decision=allow"),
        );
        let grant = json!({"grant_type": "authorization_code", "code": code_of(&answer), "redirect_uri": REDIRECT_URI});
        token_request(project, base, grant)
    };
    let origin = r.origin.clone();
    let resource = |value: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", value)
            .finish()
    };
    let narrow = r.record(
        "token for offline_access only",
        &sign_in("scope=offline_access"),
    );
    let for_mcp = r.record(
        "token for /mcp",
        &sign_in(&resource(&format!("{origin}/mcp"))),
    );
    let for_api = r.record(
        "token for the API",
        &sign_in(&resource(&format!("{origin}/"))),
    );
    let initialize = mcp::initialize(1);
    for (what, tokens) in [
        ("without the plugin's scope", &narrow),
        ("for /mcp", &for_mcp),
        ("for the API", &for_api),
    ] {
        // A client (and connection) each: a refusal may close its connection.
        let bearer = || Client::new(base, tokens["access_token"].as_str());
        r.record_mcp(
            &format!("mcp with a token {what}"),
            &mcp::post(&bearer(), "/mcp", &initialize, &[]),
        );
        r.record(
            &format!("list with a token {what}"),
            &bearer().get("/todos"),
        );
    }
    // A code issued for /mcp, redeemed for the API.
    let query = format!(
        "{}&{}",
        authorization(project, "s"),
        resource(&format!("{origin}/mcp"))
    );
    let id = consent(base, &query);
    let approved = answer(
        base,
        &format!("request_id={id}&username={user}&password={password}&decision=allow"),
    );
    let grant = json!({"grant_type": "authorization_code", "code": code_of(&approved), "redirect_uri": REDIRECT_URI, "resource": origin});
    r.record(
        "token for another resource than the code's",
        &token_request(project, base, grant),
    );
    let approved = {
        let id = consent(base, &authorization(project, "s"));
        answer(
            base,
            &format!("request_id={id}&username={user}&password={password}&decision=allow"),
        )
    };
    let grant = json!({"grant_type": "authorization_code", "code": code_of(&approved), "redirect_uri": REDIRECT_URI, "resource": "https://elsewhere.example/mcp"});
    r.record(
        "token for an unknown resource",
        &token_request(project, base, grant),
    );
}

/// The OAuth server's answers, good and bad.
fn oauth_scenario(r: &mut Recorder, project: &Path, base: &str) {
    r.oauth_headers = true;
    discovery_scenario(r, project, base);
    let browser = Client::new(base, None);
    let valid = authorization(project, "s t/ä");
    let page = browser.get(&format!("/oauth/authorize?{valid}"));
    // Enter in the password field submits the form's first submit button: it must allow.
    let page_text = page.text();
    let first_submit = page_text
        .split("type=\"submit\"")
        .nth(1)
        .expect("the consent page has submit buttons");
    assert!(
        first_submit
            .trim_start()
            .starts_with("name=\"decision\" value=\"allow\""),
        "the first submit button must be Allow: {page_text}"
    );
    r.record("authorize page", &page);
    let with = |name: &str, value: &str| {
        let mut query: Vec<(String, String)> = form_urlencoded::parse(valid.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(k, _)| k != name)
            .collect();
        if !value.is_empty() {
            query.push((name.to_owned(), value.to_owned()));
        }
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish()
    };
    for (step, query) in [
        (
            "authorize unknown client",
            with("client_id", "someone-else"),
        ),
        (
            "authorize foreign redirect",
            with("redirect_uri", "https://evil.example/cb"),
        ),
        ("authorize without state", with("state", "")),
        (
            "authorize without state with pkce",
            format!(
                "{}&code_challenge_method=S256&code_challenge={CHALLENGE}",
                with("state", "")
            ),
        ),
        ("authorize token flow", with("response_type", "token")),
        ("authorize unknown scope", with("scope", "admin")),
        (
            "authorize plain pkce",
            with("code_challenge_method", "plain"),
        ),
        (
            "authorize unknown resource",
            with("resource", "https://elsewhere.example/mcp"),
        ),
        (
            "authorize resource twice",
            format!(
                "{valid}&resource=http%3A%2F%2Flocalhost%2Fmcp&resource=http%3A%2F%2Flocalhost%2Fmcp"
            ),
        ),
    ] {
        r.record(step, &browser.get(&format!("/oauth/authorize?{query}")));
    }
    let (user, password) = first_pair(project, "OAUTH_USERS");
    for trick in redirect_tricks() {
        let query = with("redirect_uri", &trick);
        r.record(
            &trick_step("authorize", &trick),
            &browser.get(&format!("/oauth/authorize?{query}")),
        );
        let form = format!("{query}&username={user}&password={password}&decision=allow");
        r.record(
            &trick_step("approve", &trick),
            &browser.send_raw(
                "POST",
                "/oauth/authorize",
                Some(form.into_bytes()),
                &[("content-type", "application/x-www-form-urlencoded")],
            ),
        );
    }
    let deny = format!("request_id={}&decision=deny", consent(base, &valid));
    r.record("deny", &answer(base, &deny));
    // The consent form answers the request its page was shown for, once; what else it says
    // about that request is ignored.
    let sign_in = format!("username={user}&password={password}&decision=allow");
    r.record(
        "approve without a page",
        &answer(base, &format!("{valid}&{sign_in}")),
    );
    let id = consent(base, &valid);
    let forged =
        format!("request_id={id}&{sign_in}&state=forged&redirect_uri=http%3A%2F%2Flocalhost%2Fx");
    r.record("approve with a forged state", &answer(base, &forged));
    r.record("approve a second time", &answer(base, &forged));
    let pkce = format!(
        "{valid}&code_challenge_method=S256&code_challenge={}",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let id = consent(base, &pkce);
    let dropped = format!("request_id={id}&{sign_in}&code_challenge=&code_challenge_method=");
    let approved = answer(base, &dropped);
    r.record("approve with pkce dropped", &approved);
    let grant = json!({"grant_type": "authorization_code", "code": code_of(&approved), "redirect_uri": REDIRECT_URI});
    r.record(
        "exchange without the verifier",
        &token_request(project, base, grant),
    );
    r.record("wrong password", &approve(project, base, "wrong-password"));
    let approved = approve(project, base, &password);
    r.record("approve", &approved);
    let code = code_of(&approved);
    let exchange =
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI});
    let mut wrong_secret = exchange.clone();
    wrong_secret["client_id"] = json!(env_value(project, "OAUTH_CLIENT_ID"));
    wrong_secret["client_secret"] = json!("wrong");
    r.record(
        "token with a wrong secret",
        &browser.send("POST", "/oauth/token", Some(wrong_secret), &[]),
    );
    let mut other_redirect = exchange.clone();
    other_redirect["redirect_uri"] = json!("http://localhost:9/cb");
    let tokens = r.record("exchange", &token_request(project, base, exchange.clone()));
    r.record("replay the code", &token_request(project, base, exchange));
    r.record(
        "unknown grant type",
        &token_request(project, base, json!({"grant_type": "password"})),
    );
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]});
    r.record(
        "refresh after a replay",
        &token_request(project, base, refresh),
    );
    r.record(
        "unknown code",
        &token_request(project, base, other_redirect),
    );

    // A code with a challenge posted twice: with the same verifier (a retry: invalid_grant,
    // nothing revoked), then with another (a stolen code: invalid_grant, everything revoked).
    let id = consent(
        base,
        &format!("{valid}&code_challenge_method=S256&code_challenge={CHALLENGE}"),
    );
    let approved = answer(base, &format!("request_id={id}&{sign_in}"));
    let exchange = json!({"grant_type": "authorization_code", "code": code_of(&approved), "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER});
    let tokens = r.record(
        "exchange with the verifier",
        &token_request(project, base, exchange.clone()),
    );
    r.record(
        "post the code again with the verifier",
        &token_request(project, base, exchange.clone()),
    );
    let bearer = Client::new(base, tokens["access_token"].as_str());
    r.record("list after a retried code", &bearer.get("/todos"));
    let mut stolen = exchange;
    stolen["code_verifier"] = json!("x".repeat(43));
    r.record(
        "post the code again with another verifier",
        &token_request(project, base, stolen),
    );
    r.record("list after a replayed code", &bearer.get("/todos"));
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]});
    r.record(
        "refresh after a replayed code",
        &token_request(project, base, refresh),
    );
}

/// How much of a flood a server may let through before it stops reading: its limit (2 MiB
/// for bodies, at most 400 KiB for headers) plus what the sockets buffer on the way.
const READ_BOUND: usize = 32 << 20;

/// Too-large requests on raw connections; the answers are recorded.
fn oversize(r: &mut Recorder, port: u16, list: &str, token: Option<&str>, oauth: bool) {
    const TOTAL: usize = 128 << 20;
    let credentials = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let piece = vec![b'a'; 64 * 1024];
    let mut routes = vec![
        ("add", "POST", list),
        ("wrong method", "PUT", list),
        ("unknown route", "POST", "/nowhere"),
    ];
    if oauth {
        routes.push(("token", "POST", "/oauth/token"));
        routes.push(("consent", "POST", "/oauth/authorize"));
    }
    for (name, method, path) in routes {
        // Declared up front, then streamed without a length.
        let declared = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{credentials}\
             content-type: application/json\r\ncontent-length: {TOTAL}\r\n\r\n"
        );
        let chunked = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{credentials}\
             content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        for (how, head, piece, tail) in [
            ("with its length", declared, piece.clone(), Vec::new()),
            (
                "chunked",
                chunked,
                support::flood::chunk(&piece),
                b"0\r\n\r\n".to_vec(),
            ),
        ] {
            let step = format!("{name}: a body of 128 MiB {how}");
            let flood = support::flood::flood(port, &head, &piece, TOTAL, &tail);
            assert!(
                flood.sent < READ_BOUND,
                "{step}: the server read {} bytes before answering",
                flood.sent
            );
            let reply = flood
                .reply
                .unwrap_or_else(|| panic!("{step}: the connection closed without an answer"));
            r.record(&step, &reply);
        }
    }
    // A header that never ends.
    let head = format!("GET {list} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-filler: ");
    let flood = support::flood::flood(port, &head, &piece, TOTAL, b"\r\n\r\n");
    assert!(
        flood.sent < READ_BOUND,
        "a 128 MiB header: the server read {} bytes before answering",
        flood.sent
    );
    if let Some(reply) = flood.reply {
        assert_eq!(reply.status, 431, "a 128 MiB header");
    }
}

/// The same requests for every stack; returns what each got.
fn scenario(
    server: &Server,
    project: &Path,
    stack: &str,
    auth: &str,
    port: u16,
) -> (Vec<Observation>, Vec<String>) {
    let token = token(project, auth, &server.base);
    let client = Client::new(&server.base, token.as_deref());
    let anonymous = Client::new(&server.base, None);
    let list = list_path(auth);
    let mut r = Recorder {
        ids: Vec::new(),
        seen: Vec::new(),
        origin: format!("http://localhost:{port}"),
        oauth_headers: false,
    };

    // The documents, with absolute URLs from the default PUBLIC_URL (http://localhost:$PORT).
    let manifest = r.record("manifest", &anonymous.get("/.well-known/ai-plugin.json"));
    let origin = format!("http://localhost:{port}");
    assert_eq!(manifest["api"]["url"], format!("{origin}/openapi.yaml"));
    assert_eq!(manifest["logo_url"], format!("{origin}/logo.png"));
    assert_eq!(manifest["auth"]["type"], auth);
    if matches!(auth, "service_http" | "oauth") {
        assert_eq!(
            manifest["auth"]["verification_tokens"]["openai"],
            env_value(project, "OPENAI_VERIFICATION_TOKEN")
        );
        // Each project has its own secrets.
        let recorded = &mut r.seen.last_mut().unwrap().body;
        recorded["auth"]["verification_tokens"]["openai"] = "<verification token>".into();
    }
    if auth == "oauth" {
        assert_eq!(
            manifest["auth"]["client_url"],
            format!("{origin}/oauth/authorize")
        );
        assert_eq!(
            manifest["auth"]["authorization_url"],
            format!("{origin}/oauth/token")
        );
    }
    let spec = r.record("spec", &anonymous.get("/openapi.yaml"));
    assert_eq!(spec["servers"][0]["url"], origin);
    let logo = anonymous.get("/logo.png");
    assert_eq!(
        &logo.body[16..24],
        &[0, 0, 2, 0, 0, 0, 2, 0],
        "a 512x512 PNG"
    );
    r.record("logo", &logo);
    r.record("legal", &anonymous.get("/legal"));

    // Items with ids: add, list, delete by id.
    r.record("list empty", &client.get(list));
    let milk = r.record(
        "add milk",
        &client.send("POST", list, Some(json!({"todo": "buy milk"})), &[]),
    );
    let eggs = r.record(
        "add eggs",
        &client.send("POST", list, Some(json!({"todo": "  eggs  "})), &[]),
    );
    r.record("list two", &client.get(list));
    let milk_path = format!("{list}/{}", milk["id"].as_str().unwrap());
    r.record("delete milk", &client.send("DELETE", &milk_path, None, &[]));
    r.record(
        "delete milk again",
        &client.send("DELETE", &milk_path, None, &[]),
    );
    r.record(
        "delete unknown id",
        &client.send("DELETE", &format!("{list}/no-such-id"), None, &[]),
    );
    r.record("list one", &client.get(list));
    assert_eq!(client.get(list).json()["todos"], json!([eggs]));

    // Bad input: a JSON 4xx, never a 500.
    for (step, body) in [
        ("add empty object", json!({})),
        ("add empty text", json!({"todo": ""})),
        ("add blank text", json!({"todo": "   "})),
        ("add number", json!({"todo": 7})),
        ("add array", json!([1])),
        ("add array of text", json!(["buy milk"])),
        ("add too long", json!({"todo": "x".repeat(501)})),
    ] {
        r.record(step, &client.send("POST", list, Some(body), &[]));
    }
    // White space is what JSON Schema's `\s` matches (the spec's `pattern: "\\S"`), in every
    // stack: only-space texts are refused; characters outside `\s` are text, even where a
    // language's own trim would strip them. What is added is deleted again.
    for (step, text) in [
        ("add a carriage return", "\r"),
        ("add a vertical tab", "\u{b}"),
        ("add a byte order mark", "\u{feff}"),
        ("add ideographic space", " \u{3000}\u{2028} "),
        ("add a next line", "\u{85}"),
        ("add a file separator", " \u{1c} "),
        ("add a mongolian vowel separator", "\u{180e}"),
        (
            "add 500 astral characters",
            "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
        ),
    ] {
        let text = if step.contains("500") {
            text.repeat(10)
        } else {
            text.to_owned()
        };
        let added = r.record(
            step,
            &client.send("POST", list, Some(json!({ "todo": text })), &[]),
        );
        if let Some(id) = added["id"].as_str() {
            client.send("DELETE", &format!("{list}/{id}"), None, &[]);
        }
    }
    r.record(
        "add 500 characters",
        &client.send("POST", list, Some(json!({"todo": "é".repeat(500)})), &[]),
    );
    r.record(
        "add with a repeated key",
        &client.send_raw(
            "POST",
            list,
            Some(br#"{"todo": "first", "todo": "last"}"#.to_vec()),
            &[("content-type", "application/json")],
        ),
    );
    r.record(
        "add broken json",
        &client.send_raw(
            "POST",
            list,
            Some(b"{\"todo\": ".to_vec()),
            &[("content-type", "application/json")],
        ),
    );
    r.record(
        "wrong method",
        &client.send("PUT", list, Some(json!({"todo": "x"})), &[]),
    );
    r.record("unknown route", &anonymous.get("/nowhere"));
    // Paths no stack routes (an empty segment, a trailing slash), with and without credentials:
    // a 404 before any credential check.
    for (method, path) in [
        ("GET", format!("{list}/")),
        ("DELETE", format!("{list}/")),
        ("DELETE", format!("{list}//x")),
        ("GET", "/todos//alice".to_owned()),
        ("POST", "/todos//alice".to_owned()),
        ("DELETE", "/todos//alice".to_owned()),
        ("DELETE", "/todos//alice/x".to_owned()),
    ] {
        for (who, caller) in [("anonymous", &anonymous), ("with credentials", &client)] {
            r.record(
                &format!("{method} {path} {who}"),
                &caller.send(method, &path, None, &[]),
            );
        }
    }

    // Bodies and headers larger than any server reads: a JSON 413 on every route, or a 431 (or
    // a closed connection) for the headers, and the server stops reading long before the end.
    oversize(&mut r, port, list, token.as_deref(), auth == "oauth");

    // Auth.
    if auth != "none" {
        r.record("list without token", &anonymous.get(list));
        r.record(
            "list with wrong token",
            &Client::new(&server.base, Some("wrong-token")).get(list),
        );
        r.record(
            "list with basic auth",
            &anonymous.send(
                "GET",
                list,
                None,
                &[("authorization", "Basic dXNlcjpwYXNz")],
            ),
        );
        r.record(
            "add without token",
            &anonymous.send("POST", list, Some(json!({"todo": "sneaky"})), &[]),
        );
        r.record(
            "delete without token",
            &anonymous.send("DELETE", &format!("{list}/1"), None, &[]),
        );
        r.record("list after refusals", &client.get(list));
    }

    // CORS preflight as Chrome sends it from ChatGPT, and a plain request's CORS headers.
    for origin in [
        "https://chat.openai.com",
        "https://chatgpt.com",
        "https://evil.example",
    ] {
        let reply = anonymous.send(
            "OPTIONS",
            list,
            None,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,openai-conversation-id,openai-ephemeral-user-id",
                ),
                ("access-control-request-private-network", "true"),
            ],
        );
        let status_class = reply.status / 100;
        let mut observed = Reply {
            status: status_class * 100,
            headers: reply.headers.clone(),
            body: Vec::new(),
        };
        observed
            .headers
            .retain(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"));
        r.record(&format!("preflight from {origin}"), &observed);
    }
    r.record(
        "list from chatgpt.com",
        &client.send("GET", list, None, &[("origin", "https://chatgpt.com")]),
    );

    // The same plugin over MCP, and its tools as the spec describes them.
    let tools = mcp_scenario(&mut r, server, auth, token.as_deref(), port);
    let findings = tools_against_spec(stack, auth, &spec, &tools);
    if auth == "oauth" {
        oauth_scenario(&mut r, project, &server.base);
    }
    (r.seen, findings)
}

/// Generates the project for `stack` and `auth`, runs its tests, starts it with its README's
/// run command, runs the scenario, restarts it and checks persistence. Returns the
/// observations and where its tools and its spec disagree.
fn run_stack(stack: &str, auth: &str) -> (Vec<Observation>, Vec<String>) {
    support::require_toolchain(stack);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join(format!("conformance-{stack}-{auth}"));
    generate(
        &project,
        &[
            "--stack",
            stack,
            "--auth",
            auth,
            "--name-for-model",
            &format!("conformance_{auth}"),
            "--name-for-human",
            "Conformance",
        ],
    );
    let commands = readme_commands(&project);
    assert_eq!(
        commands.len(),
        2,
        "{stack}: the README's first block: {commands:?}"
    );
    run_line(&project, &commands[1]);

    let port = free_port();
    let data = tmp.path().join("data/plugin.db");
    let server = Server::start(&project, &commands[0], port, &data);
    let (observations, mut findings) = scenario(&server, &project, stack, auth, port);
    findings.extend(checked(stack, auth, &project, &server.base, port));
    let output = server.stop();
    assert!(
        output.contains(&format!("localhost:{port}")),
        "{stack}: start-up output: {output}"
    );

    // A restart keeps the items.
    let server = Server::start(&project, &commands[0], port, &data);
    let token = token(&project, auth, &server.base);
    let list = list_path(auth);
    let after = Client::new(&server.base, token.as_deref()).get(list).json();
    let todos: Vec<&str> = after["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["todo"].as_str().unwrap())
        .collect();
    assert_eq!(
        todos,
        ["eggs", &"é".repeat(500), "last"],
        "{stack}: items after a restart"
    );
    // Generated requests, once the scenario's items are checked: the spec matches the server.
    support::schemathesis::check(
        &server.base,
        token.as_deref(),
        &format!("{stack} with {auth}"),
    );
    (observations, findings)
}

/// The findings `check` must give, and no others, for `auth` on `/mcp` or on the base URL:
/// the plugin rules say that plugin hosts accept only auth `none` on localhost
/// (plugin-reference.md), true of where the test serves the plugin, not of the server, which
/// is deployed on a domain for the other auth types. An `oauth` server's discovery (the 401's
/// `resource_metadata`, the protected resource and authorization server metadata) is
/// complete: `mcp-auth-challenge`, `mcp-prm-*` and `mcp-as-*` must not be found.
fn expected_findings(auth: &str, base_url: bool) -> Vec<&'static str> {
    let mut codes = Vec::new();
    if base_url && auth != "none" {
        codes.push("manifest-localhost-auth");
    }
    codes
}

/// `ai-plugin check` on the running server as each host would see it: its `/mcp` under
/// `--target chatgpt-app` (calling the read-only tools) and `--target mcp`, and the base URL
/// under the plugin rules. Every finding but the expected ones ([`expected_findings`]) is
/// returned as a line, and so is an expected one that is missing.
fn checked(stack: &str, auth: &str, project: &Path, base: &str, port: u16) -> Vec<String> {
    let token = token(project, auth, base);
    // An OAuth client compares the resource metadata's `resource` with the URL it was given,
    // so `/mcp` is checked at the URL the server names (its default PUBLIC_URL).
    let public = format!("http://localhost:{port}");
    let base = if auth == "oauth" {
        public.as_str()
    } else {
        base
    };
    let mcp = format!("{base}/mcp");
    let runs: [(&str, &[&str]); 3] = [
        (&mcp, &["--target", "chatgpt-app", "--call-read-only"]),
        (&mcp, &["--target", "mcp"]),
        (base, &[]),
    ];
    let mut findings = Vec::new();
    for (url, flags) in runs {
        let mut args = vec!["check", url, "--format", "json"];
        args.extend_from_slice(flags);
        if let Some(token) = &token {
            args.extend(["--token", token.as_str()]);
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ai-plugin"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let what = format!("{stack} with {auth}: `ai-plugin {}`", args.join(" "));
        let Ok(report) = serde_json::from_slice::<Value>(&output.stdout) else {
            findings.push(format!(
                "{what} printed no JSON:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        };
        let all = report["findings"].as_array().unwrap();
        let gap = expected_findings(auth, url == base);
        let mut codes: Vec<&str> = all
            .iter()
            .filter_map(|f| f["code"].as_str())
            .filter(|code| gap.contains(code))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        if codes != gap {
            findings.push(format!(
                "{what}: the expected findings are {codes:?}, not {gap:?} \
                 (update expected_findings if the server or the rules changed)"
            ));
        }
        for finding in all
            .iter()
            .filter(|f| !gap.contains(&f["code"].as_str().unwrap_or_default()))
        {
            findings.push(format!(
                "{what}: {}[{}] {} ({})",
                finding["severity"].as_str().unwrap_or_default(),
                finding["code"].as_str().unwrap_or_default(),
                finding["message"].as_str().unwrap_or_default(),
                finding["path"].as_str().unwrap_or_default(),
            ));
        }
        let expected = i32::from(report["errors"] != 0);
        if output.status.code() != Some(expected) {
            findings.push(format!("{what}: exit code {:?}", output.status.code()));
        }
    }
    findings
}

/// Whether the stack's template implements the auth type (stacks gain them one by one).
fn implements(stack: &str, auth: &str) -> bool {
    ai_plugin::template::supports(stack.parse().unwrap(), auth.parse().unwrap())
}

fn conform(auth: &str) {
    let (reference, mut findings) = run_stack(STACKS[0], auth);
    let mut differences = Vec::new();
    for stack in STACKS[1..].iter().filter(|&&s| implements(s, auth)) {
        let (observed, stack_findings) = run_stack(stack, auth);
        findings.extend(stack_findings);
        // Every differing step, listed at the end with the reference's own checks.
        for (expected, got) in reference.iter().zip(&observed) {
            if got != expected {
                differences.push(format!(
                    "{stack} differs from {} at `{}`:\n  {stack}: {got:?}\n  {}: {expected:?}",
                    STACKS[0], expected.step, STACKS[0]
                ));
            }
        }
        assert_eq!(observed.len(), reference.len(), "{stack}: number of steps");
    }
    // The reference itself behaves as the spec says.
    let status = |step: &str| {
        reference
            .iter()
            .find(|o| o.step == step)
            .unwrap_or_else(|| panic!("no step {step}"))
            .status
    };
    assert_eq!(status("add milk"), 201);
    assert_eq!(status("delete milk"), 204);
    assert_eq!(status("delete milk again"), 404);
    assert_eq!(status("add too long"), 400);
    for step in [
        "add a carriage return",
        "add a vertical tab",
        "add a byte order mark",
        "add ideographic space",
    ] {
        assert_eq!(status(step), 400, "{step}");
    }
    for step in [
        "add a next line",
        "add a file separator",
        "add a mongolian vowel separator",
        "add 500 astral characters",
    ] {
        assert_eq!(status(step), 201, "{step}");
    }
    assert_eq!(status("add array of text"), 400);
    assert_eq!(status("add with a repeated key"), 201);
    assert_eq!(status("add broken json"), 400);
    assert_eq!(status("wrong method"), 405);
    assert_eq!(status("unknown route"), 404);
    for step in reference
        .iter()
        .filter(|o| o.step.contains("a body of 128 MiB"))
    {
        assert_eq!(step.status, 413, "{}", step.step);
        assert_eq!(
            step.headers["content-type"], "application/json",
            "{}",
            step.step
        );
    }
    if auth != "none" {
        assert_eq!(status("list without token"), 401);
        assert_eq!(status("add without token"), 401);
    }
    if auth == "oauth" {
        let observed = |step: &str| reference.iter().find(|o| o.step == step).unwrap();
        assert_eq!(status("authorize page"), 200);
        for step in ["authorize unknown client", "authorize foreign redirect"] {
            assert_eq!(status(step), 400, "{step}");
            assert!(!observed(step).headers.contains_key("location"), "{step}");
        }
        let tricks = redirect_tricks();
        assert_eq!(tricks.len(), 43);
        for trick in &tricks {
            for kind in ["authorize", "approve"] {
                let step = trick_step(kind, trick);
                assert_eq!(status(&step), 400, "{step}");
                assert_eq!(
                    observed(&step).headers["content-type"],
                    "text/html",
                    "{step}"
                );
                assert!(!observed(&step).headers.contains_key("location"), "{step}");
            }
        }
        let location = |step: &str| observed(step).headers["location"].clone();
        assert!(location("authorize without state").contains("error=invalid_request"));
        assert!(location("deny").contains("error=access_denied&"));
        assert!(location("deny").contains("&state=s t/ä&iss="));
        for step in ["approve without a page", "approve a second time"] {
            assert_eq!(status(step), 400, "{step}");
            assert!(!observed(step).headers.contains_key("location"), "{step}");
        }
        assert!(location("approve with a forged state").starts_with(REDIRECT_URI));
        assert!(location("approve with a forged state").contains("&state=s t/ä&iss="));
        assert!(location("approve with pkce dropped").contains("code=<code>"));
        assert_eq!(
            observed("exchange without the verifier").body["error"],
            "invalid_grant"
        );
        assert!(location("approve").contains("code=<code>&state=s t/ä"));
        assert_eq!(status("wrong password"), 200);
        assert_eq!(status("exchange"), 200);
        assert_eq!(observed("replay the code").body["error"], "invalid_grant");
        assert_eq!(status("token with a wrong secret"), 401);
        // The code posted twice by its client with its secret, at once: a retry, which
        // revokes nothing; with another verifier: a stolen code, which revokes everything.
        assert_eq!(status("refresh after a replay"), 200);
        assert_eq!(
            observed("post the code again with the verifier").body["error"],
            "invalid_grant"
        );
        assert_eq!(status("list after a retried code"), 200);
        assert_eq!(
            observed("post the code again with another verifier").body["error"],
            "invalid_grant"
        );
        assert_eq!(status("list after a replayed code"), 401);
        assert_eq!(
            observed("refresh after a replayed code").body["error"],
            "invalid_grant"
        );
    }
    let preflight = reference
        .iter()
        .find(|o| o.step == "preflight from https://chat.openai.com")
        .unwrap();
    assert_eq!(
        preflight.headers["access-control-allow-private-network"],
        "true"
    );
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://chat.openai.com"
    );
    let evil = reference
        .iter()
        .find(|o| o.step == "preflight from https://evil.example")
        .unwrap();
    assert!(!evil.headers.contains_key("access-control-allow-origin"));
    // The reference's OAuth answers against the contract, listed with the differences.
    if auth == "oauth"
        && let Err(panic) = std::panic::catch_unwind(|| assert_oauth_discovery(&reference))
    {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|m| (*m).to_owned()))
            .unwrap_or_default();
        differences.push(format!(
            "{} breaks the OAuth contract: {message}",
            STACKS[0]
        ));
    }
    // What `check` found and where tools and spec disagree, listed with the rest.
    differences.extend(
        findings
            .iter()
            .map(|f| format!("tools/list and openapi.yaml disagree, or `check` finds faults: {f}")),
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_mcp_reference(&reference, auth);
    assert!(
        findings.is_empty(),
        "tools/list and openapi.yaml disagree, or `check` finds faults:\n{}",
        findings.join("\n")
    );
}

/// The reference stack's discovery, registration and resource answers are the ones the
/// contract (issue 12) asks for; the other stacks are compared with it step by step.
fn assert_oauth_discovery(reference: &[Observation]) {
    let observed = |step: &str| {
        reference
            .iter()
            .find(|o| o.step == step)
            .unwrap_or_else(|| panic!("no step {step}"))
    };
    let p = "http://localhost:<port>";
    let prm = json!({
        "resource": format!("{p}/mcp"),
        "authorization_servers": [p],
        "scopes_supported": ["todos", "offline_access"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Conformance",
    });
    let metadata = json!({
        "issuer": p,
        "authorization_endpoint": format!("{p}/oauth/authorize"),
        "token_endpoint": format!("{p}/oauth/token"),
        "registration_endpoint": format!("{p}/oauth/register"),
        "scopes_supported": ["todos", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    });
    let keys = |value: &Value| {
        value
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    };
    for (path, expected) in DISCOVERY.iter().zip([&prm, &prm, &metadata]) {
        let o = observed(path);
        assert_eq!(o.status, 200, "{path}");
        assert_eq!(o.headers["content-type"], "application/json", "{path}");
        assert_eq!(&o.body, expected, "{path}");
        assert_eq!(
            o.headers["body keys"],
            keys(expected),
            "{path}: the order of the keys"
        );
        let cors = observed(&format!("{path} from chatgpt.com"));
        assert!(
            cors.headers.contains_key("access-control-allow-origin"),
            "{path}: CORS open like the manifest"
        );
        let post = observed(&format!("{path} with POST"));
        assert_eq!(post.status, 405, "{path}");
        let manifest = observed("/.well-known/ai-plugin.json with POST");
        assert_eq!(
            post.headers.get("allow"),
            manifest.headers.get("allow"),
            "{path}: Allow as the manifest's"
        );
    }
    let challenge = format!(
        ", resource_metadata=\"{p}/.well-known/oauth-protected-resource/mcp\", scope=\"todos\""
    );
    let without = &observed("mcp without token").headers["www-authenticate"];
    assert!(without.starts_with("Bearer realm=\""), "{without}");
    assert!(!without.contains("error="), "{without}");
    assert!(without.ends_with(&challenge), "{without}");
    let wrong = &observed("mcp with a wrong token").headers["www-authenticate"];
    assert!(
        wrong.contains("\", error=\"invalid_token\", resource_metadata="),
        "{wrong}"
    );
    let narrow = observed("mcp with a token without the plugin's scope");
    assert_eq!(narrow.status, 403);
    assert!(
        narrow.headers["www-authenticate"]
            .ends_with(&format!("\", error=\"insufficient_scope\"{challenge}")),
        "{narrow:?}"
    );
    assert_eq!(
        observed("list with a token without the plugin's scope").status,
        403
    );
    assert_eq!(observed("mcp with a token for /mcp").status, 200);
    assert_eq!(observed("list with a token for /mcp").status, 401);
    let for_api = observed("mcp with a token for the API");
    assert_eq!(for_api.status, 401);
    assert!(for_api.headers["www-authenticate"].contains("error=\"invalid_token\""));
    assert_eq!(observed("list with a token for the API").status, 200);
    for step in [
        "token for another resource than the code's",
        "token for an unknown resource",
    ] {
        assert_eq!(observed(step).status, 400, "{step}");
        assert_eq!(observed(step).body["error"], "invalid_target", "{step}");
    }
    // Registration: the accepted metadata echoed, in the contract's order, never cached.
    let confidential = observed("register a confidential client");
    assert_eq!(confidential.status, 201);
    assert_eq!(confidential.headers["cache-control"], "no-store");
    assert_eq!(
        confidential.body,
        json!({
            "client_id": "<client id>",
            "client_id_issued_at": "<time>",
            "client_secret": "<client secret>",
            "client_secret_expires_at": 0,
            "client_name": "Conformance <client>",
            "redirect_uris": ["https://client.example/cb"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "application_type": "web",
        })
    );
    assert_eq!(
        confidential.headers["body keys"],
        "client_id,client_id_issued_at,client_secret,client_secret_expires_at,client_name,\
         redirect_uris,grant_types,response_types,token_endpoint_auth_method,application_type"
    );
    let public = observed("register a public client");
    assert_eq!(public.status, 201);
    assert_eq!(
        public.headers["body keys"],
        "client_id,client_id_issued_at,redirect_uris,grant_types,response_types,\
         token_endpoint_auth_method,application_type,scope"
    );
    for step in [
        "register without redirect",
        "register an http redirect",
        "register a redirect with a fragment",
        "register eleven redirects",
    ] {
        assert_eq!(observed(step).status, 400, "{step}");
        assert_eq!(
            observed(step).body["error"],
            "invalid_redirect_uri",
            "{step}"
        );
    }
    for step in [
        "register an unknown auth method",
        "register an implicit grant",
        "register an unknown scope",
        "register an array",
        "register broken json",
    ] {
        assert_eq!(observed(step).status, 400, "{step}");
        assert_eq!(
            observed(step).body["error"],
            "invalid_client_metadata",
            "{step}"
        );
    }
    assert_eq!(observed("register 17 KiB").status, 413);
    // Every redirect back to a client carries `iss`, errors included; the consent pages
    // cannot be framed.
    let iss = format!("&iss={p}");
    let location = |step: &str| observed(step).headers["location"].clone();
    assert!(location("approve").ends_with(&format!("state=s t/ä{iss}")));
    assert!(location("deny").ends_with(&format!("state=s t/ä{iss}")));
    assert!(location("authorize without state").ends_with(&iss));
    assert!(location("authorize unknown resource").contains("error=invalid_target&"));
    assert!(location("authorize unknown resource").ends_with(&iss));
    assert!(location("authorize resource twice").contains("error=invalid_request&"));
    let no_pkce = location("authorize a public client without pkce");
    assert!(
        no_pkce.starts_with("http://127.0.0.1:7/cb?error=invalid_request&"),
        "{no_pkce}"
    );
    assert!(no_pkce.ends_with(&format!("state=s{iss}")), "{no_pkce}");
    assert_eq!(observed("authorize a public client").status, 200);
    let elsewhere = observed("authorize a public client elsewhere");
    assert_eq!(elsewhere.status, 400);
    assert!(!elsewhere.headers.contains_key("location"));
    for step in [
        "authorize page",
        "authorize a public client",
        "authorize unknown client",
    ] {
        assert_eq!(observed(step).headers["x-frame-options"], "DENY", "{step}");
        assert_eq!(
            observed(step).headers["csp frame-ancestors"],
            "'none'",
            "{step}"
        );
    }
}

/// The reference stack's MCP answers are the ones the contract asks for.
fn assert_mcp_reference(reference: &[Observation], auth: &str) {
    let observed = |step: &str| {
        reference
            .iter()
            .find(|o| o.step == step)
            .unwrap_or_else(|| panic!("no step {step}"))
    };
    assert_eq!(observed("mcp initialized").status, 202);
    let tools = &observed("mcp tools/list").body["tools"];
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["listTodos", "addTodo", "deleteTodo"]);
    let added = &observed("mcp add").body;
    assert_eq!(added["isError"], false);
    assert_eq!(added["structuredContent"]["todo"], "from mcp");
    assert_eq!(
        added["content"][0]["text"]["json"],
        added["structuredContent"]
    );
    assert_eq!(added["content"][0]["text"]["compact"], true);
    let error = |step: &str| {
        let body = &observed(step).body;
        assert_eq!(body["isError"], true, "{step}: {body}");
        assert!(body["structuredContent"].is_null(), "{step}: {body}");
        body["content"][0]["text"].as_str().unwrap().to_owned()
    };
    assert!(error("mcp delete again").starts_with("There is no item with id <id "));
    assert_eq!(
        error("mcp delete unknown id"),
        "There is no item with id no-such-id. Call listTodos to see the ids."
    );
    assert_eq!(
        error("mcp add to a full list"),
        "The list already has 100 items. Delete one with deleteTodo first."
    );
    assert_eq!(
        error("mcp add too long"),
        "The todo must be a non-empty text of at most 500 characters (it has 501). \
         Shorten it and call addTodo again."
    );
    assert_eq!(
        error("mcp add blank text"),
        "The todo must contain some text. Ask the user what to add."
    );
    assert_eq!(error("mcp add a number"), "Invalid arguments: <what>");
    if auth != "none" {
        for step in [
            "mcp without token",
            "mcp with a wrong token",
            "mcp with the token in ?access_token",
            "mcp with the token in ?token",
        ] {
            let o = observed(step);
            assert_eq!(o.status, 401, "{step}");
            assert!(o.headers.contains_key("www-authenticate"), "{step}");
            assert_eq!(o.body["error"], "<error>", "{step}");
        }
        let claude = observed("mcp without token from claude.ai");
        assert_eq!(
            claude.headers["access-control-allow-origin"],
            "https://claude.ai"
        );
    }
    for origin in ["https://evil.example", "null"] {
        assert_eq!(observed(&format!("mcp from origin {origin}")).status, 403);
    }
    let chatgpt = observed("mcp from origin https://chatgpt.com");
    assert_eq!(chatgpt.status, 200);
    assert_eq!(
        chatgpt.headers["access-control-allow-origin"],
        "https://chatgpt.com"
    );
    assert_eq!(
        chatgpt.headers["access-control-expose-headers"],
        "mcp-protocol-version,mcp-session-id,www-authenticate"
    );
    for o in reference
        .iter()
        .filter(|o| o.step.starts_with("mcp with host "))
    {
        let foreign = o.step.contains("evil.example");
        assert_eq!(o.status, if foreign { 421 } else { 200 }, "{}", o.step);
    }
    let preflight = observed("mcp preflight from https://claude.ai");
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://claude.ai"
    );
    assert_eq!(preflight.headers["access-control-max-age"], "86400");
    assert_eq!(
        preflight.headers["access-control-allow-methods"],
        "delete,get,options,post"
    );
    assert_eq!(
        observed("mcp preflight from https://evil.example").status,
        403
    );
    assert!(
        reference
            .iter()
            .all(|o| !o.headers.contains_key("mcp-session-id")),
        "a stateless server hands out no session"
    );
}

#[test]
fn every_stack_behaves_alike_without_auth() {
    conform("none");
}

#[test]
fn every_stack_behaves_alike_with_service_http() {
    conform("service_http");
}

#[test]
fn every_stack_behaves_alike_with_user_http() {
    conform("user_http");
}

#[test]
fn every_stack_behaves_alike_with_oauth() {
    conform("oauth");
}

/// Headers only `/mcp` answers must agree on (beyond those every step records).
const MCP_HEADERS: &[&str] = &[
    "access-control-expose-headers",
    "access-control-max-age",
    "vary",
];

/// What a JSON-RPC answer from `/mcp` says that every stack must agree on: the server's name,
/// version, instructions and protocol revision from `initialize`; each tool's name, title,
/// description, schemas and hints from `tools/list`; a call's `isError`, content and
/// `structuredContent`; a protocol error's code. SDK extras (capabilities, `_meta`) are left out.
fn mcp_essentials(message: &Value, ids: &[String]) -> Value {
    if message.is_null() {
        return Value::Null;
    }
    if let Some(error) = message.get("error") {
        return json!({"error": {"code": error["code"]}});
    }
    let result = &message["result"];
    if let Some(info) = result.get("serverInfo") {
        return json!({
            "serverInfo": {"name": info["name"], "version": info["version"]},
            "instructions": result["instructions"],
            "protocolVersion": result["protocolVersion"],
        });
    }
    if let Some(tools) = result.get("tools") {
        let tools: Vec<Value> = tools
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| {
                let hints: serde_json::Map<String, Value> = [
                    "readOnlyHint",
                    "destructiveHint",
                    "idempotentHint",
                    "openWorldHint",
                ]
                .iter()
                .map(|&hint| (hint.to_owned(), tool["annotations"][hint].clone()))
                .collect();
                json!({
                    "name": tool["name"],
                    "title": tool["title"],
                    "description": tool["description"],
                    "inputSchema": tool["inputSchema"],
                    "outputSchema": tool["outputSchema"],
                    "annotations": hints,
                })
            })
            .collect();
        return json!({"tools": tools});
    }
    let content: Vec<Value> = result["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|block| {
            let text = block["text"].as_str().unwrap_or_default();
            // A JSON text block is compared as JSON (its ids then become placeholders), with
            // whether it is compact; a message with its ids as placeholders and only the
            // prefix of an "Invalid arguments:" message, whose details are the SDK's.
            let text = match serde_json::from_str::<Value>(text) {
                Ok(json) if json.is_object() => json!({
                    "json": json,
                    "compact": serde_json::to_string(&json).unwrap() == text,
                }),
                _ if text.starts_with("Invalid arguments:") => json!("Invalid arguments: <what>"),
                _ => {
                    // Ids as whole words (`... with id 3.`), as placeholders.
                    let words: Vec<String> = text
                        .split(' ')
                        .map(|word| {
                            let (core, tail) = word
                                .strip_suffix('.')
                                .map_or((word, ""), |core| (core, "."));
                            match ids.iter().position(|id| id == core) {
                                Some(n) => format!("<id {}>{tail}", n + 1),
                                None => word.to_owned(),
                            }
                        })
                        .collect();
                    json!(words.join(" "))
                }
            };
            json!({"type": block["type"], "text": text})
        })
        .collect();
    json!({
        "isError": result.get("isError").cloned().unwrap_or(json!(false)),
        "content": content,
        "structuredContent": result.get("structuredContent").cloned().unwrap_or(Value::Null),
    })
}

impl Recorder {
    /// Records an answer from `/mcp`: status, the JSON-RPC essentials (or the JSON error body
    /// of a refusal), the CORS headers, and whether a session id came back (none must).
    fn record_mcp(&mut self, step: &str, reply: &Reply) -> Value {
        let is_rpc = reply.status == 200 || reply.status == 202;
        let message = if is_rpc {
            mcp::message(reply)
        } else {
            Value::Null
        };
        let raw = message.clone();
        let mut observed = Reply {
            status: reply.status,
            headers: reply.headers.clone(),
            body: reply.body.clone(),
        };
        if is_rpc {
            let essentials = mcp_essentials(&message, &self.ids);
            observed
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            if !message.is_null() {
                observed
                    .headers
                    .push(("content-type".into(), "application/json".into()));
                observed.body = serde_json::to_vec(&essentials).unwrap();
            }
        }
        self.record(step, &observed);
        let seen = self.seen.last_mut().unwrap();
        // An SSE answer where others send JSON is a difference too.
        // No body (a notification's 202): no media type to compare.
        let media_type = reply.header("content-type");
        if reply.body.is_empty() {
            seen.headers.remove("content-type");
        } else if !media_type.is_empty() {
            seen.headers.insert(
                "content-type".into(),
                media_type
                    .split(';')
                    .next()
                    .unwrap()
                    .trim()
                    .to_ascii_lowercase(),
            );
        }
        // Vary: Origin matters on the answers to a cross-origin request.
        let cors = !reply.header("access-control-allow-origin").is_empty();
        for &name in MCP_HEADERS.iter().filter(|&&name| cors || name != "vary") {
            let value = reply.header(name);
            if !value.is_empty() {
                seen.headers.insert(name.to_owned(), as_set(value));
            }
        }
        if !reply.header("mcp-session-id").is_empty() {
            seen.headers
                .insert("mcp-session-id".into(), "<present>".into());
        }
        raw
    }
}

/// The arguments of a tool call: `username` first where the REST path carries it.
fn arguments(auth: &str, mut fields: Value) -> Value {
    if !matches!(auth, "user_http" | "oauth") {
        fields["username"] = json!("alice");
    }
    fields
}

/// The ids of a `listTodos` result's items.
fn listed_ids(result: &Value) -> Vec<String> {
    result["structuredContent"]["todos"]
        .as_array()
        .unwrap_or_else(|| panic!("no todos in {result}"))
        .iter()
        .map(|todo| todo["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The same MCP requests for every stack: the handshake, the tool list, every tool with good
/// and bad arguments, REST and MCP seeing each other's items, a full list, and every refusal
/// of the transport (auth, Origin, Host) and the CORS preflight. Leaves the items as it found
/// them. Returns the raw `tools/list` result.
fn mcp_scenario(
    r: &mut Recorder,
    server: &Server,
    auth: &str,
    token: Option<&str>,
    port: u16,
) -> Value {
    let client = Client::new(&server.base, token);
    let anonymous = Client::new(&server.base, None);
    let list = list_path(auth);
    let mut ids = 0..;
    let mut id = move || ids.next().unwrap();
    let rpc = |r: &mut Recorder, step: &str, message: Value| {
        r.record_mcp(step, &mcp::post(&client, "/mcp", &message, &[]))
    };
    let init = rpc(r, "mcp initialize", mcp::initialize(id()));
    assert_eq!(
        init["result"]["protocolVersion"],
        mcp::PROTOCOL_2025,
        "{init}"
    );
    rpc(r, "mcp initialized", mcp::initialized());
    let tools = rpc(
        r,
        "mcp tools/list",
        mcp::request(id(), "tools/list", json!({})),
    );
    let call = |r: &mut Recorder, step: &str, id: u64, tool: &str, args: Value| {
        let reply = mcp::post(&client, "/mcp", &mcp::call(id, tool, args), &[]);
        r.record_mcp(step, &reply)["result"].clone()
    };

    // The items the REST steps left, then an item added through each side seen by the other.
    let before = call(r, "mcp list", id(), "listTodos", arguments(auth, json!({})));
    let added = call(
        r,
        "mcp add",
        id(),
        "addTodo",
        arguments(auth, json!({"todo": "from mcp"})),
    );
    let added_id = added["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = r.record("rest list after mcp add", &client.get(list));
    assert!(
        rest["todos"]
            .as_array()
            .unwrap()
            .contains(&added["structuredContent"]),
        "REST does not list the item added through MCP: {rest}"
    );
    let from_rest = r.record(
        "rest add before mcp list",
        &client.send("POST", list, Some(json!({"todo": "from rest"})), &[]),
    );
    let listed = call(
        r,
        "mcp list after rest add",
        id(),
        "listTodos",
        arguments(auth, json!({})),
    );
    assert!(
        listed_ids(&listed).contains(&from_rest["id"].as_str().unwrap().to_owned()),
        "MCP does not list the item added through REST: {listed}"
    );
    let delete = |id: &str| arguments(auth, json!({"todo_id": id}));
    call(r, "mcp delete", id(), "deleteTodo", delete(&added_id));
    call(r, "mcp delete again", id(), "deleteTodo", delete(&added_id));
    call(
        r,
        "mcp delete unknown id",
        id(),
        "deleteTodo",
        delete("no-such-id"),
    );
    let rest_id = from_rest["id"].as_str().unwrap();
    call(
        r,
        "mcp delete the rest item",
        id(),
        "deleteTodo",
        delete(rest_id),
    );
    r.record(
        "rest delete after mcp delete",
        &client.send("DELETE", &format!("{list}/{rest_id}"), None, &[]),
    );
    let after = call(
        r,
        "mcp list after deletes",
        id(),
        "listTodos",
        arguments(auth, json!({})),
    );
    assert_eq!(
        listed_ids(&after),
        listed_ids(&before),
        "the items after the MCP steps"
    );

    // Bad arguments: results with isError, never protocol errors.
    let mut bad = vec![
        (
            "mcp add without todo",
            "addTodo",
            arguments(auth, json!({})),
        ),
        (
            "mcp add a number",
            "addTodo",
            arguments(auth, json!({"todo": 7})),
        ),
        (
            "mcp add with an extra argument",
            "addTodo",
            arguments(auth, json!({"todo": "x", "extra": 1})),
        ),
        (
            "mcp add empty text",
            "addTodo",
            arguments(auth, json!({"todo": ""})),
        ),
        (
            "mcp add blank text",
            "addTodo",
            arguments(auth, json!({"todo": "   "})),
        ),
        (
            "mcp add too long",
            "addTodo",
            arguments(auth, json!({"todo": "x".repeat(501)})),
        ),
        (
            "mcp delete without id",
            "deleteTodo",
            arguments(auth, json!({})),
        ),
        (
            "mcp delete an empty id",
            "deleteTodo",
            arguments(auth, json!({"todo_id": ""})),
        ),
        (
            "mcp list with an extra argument",
            "listTodos",
            arguments(auth, json!({"extra": true})),
        ),
    ];
    if !matches!(auth, "user_http" | "oauth") {
        bad.push(("mcp list without username", "listTodos", json!({})));
        bad.push((
            "mcp list with an empty username",
            "listTodos",
            json!({"username": ""}),
        ));
    }
    for (step, tool, args) in bad {
        let result = call(r, step, id(), tool, args);
        assert_eq!(result["isError"], true, "{step}: {result}");
    }
    let unknown = mcp::post(
        &client,
        "/mcp",
        &mcp::call(id(), "noSuchTool", json!({})),
        &[],
    );
    let unknown = mcp::message(&unknown);
    assert!(
        unknown.get("error").is_some() || unknown["result"]["isError"] == true,
        "an unknown tool is refused: {unknown}"
    );

    // A full list: 100 items, then one more through MCP.
    let count = listed_ids(&before).len();
    let mut filler = Vec::new();
    for n in count..100 {
        let reply = client.send(
            "POST",
            list,
            Some(json!({"todo": format!("filler {n}")})),
            &[],
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
        filler.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    let full = call(
        r,
        "mcp add to a full list",
        id(),
        "addTodo",
        arguments(auth, json!({"todo": "one more"})),
    );
    assert_eq!(full["isError"], true, "{full}");
    for filler_id in filler {
        assert_eq!(
            client
                .send("DELETE", &format!("{list}/{filler_id}"), None, &[])
                .status,
            204
        );
    }

    // The transport: credentials, Origin, Host, CORS.
    let tools_list = mcp::request(id(), "tools/list", json!({}));
    if let Some(token) = token {
        r.record_mcp(
            "mcp without token",
            &mcp::post(&anonymous, "/mcp", &tools_list, &[]),
        );
        r.record_mcp(
            "mcp with a wrong token",
            &mcp::post(
                &Client::new(&server.base, Some("wrong-token")),
                "/mcp",
                &tools_list,
                &[],
            ),
        );
        for name in ["access_token", "token"] {
            r.record_mcp(
                &format!("mcp with the token in ?{name}"),
                &mcp::post(
                    &anonymous,
                    &format!("/mcp?{name}={token}"),
                    &tools_list,
                    &[],
                ),
            );
        }
        r.record_mcp(
            "mcp without token from claude.ai",
            &mcp::post(
                &anonymous,
                "/mcp",
                &tools_list,
                &[("origin", "https://claude.ai")],
            ),
        );
    }
    for origin in [
        "https://chatgpt.com",
        "https://claude.ai",
        "http://localhost:1234",
        "https://evil.example",
        "null",
    ] {
        r.record_mcp(
            &format!("mcp from origin {origin}"),
            &mcp::post(&client, "/mcp", &tools_list, &[("origin", origin)]),
        );
    }
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut raw_headers = mcp::headers(Some(mcp::PROTOCOL_2025));
    if let Some(bearer) = &bearer {
        raw_headers.push(("authorization", bearer));
    }
    for host in [
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        "127.0.0.1:1".to_owned(),
        format!("[::1]:{port}"),
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("localhost.evil.example:{port}"),
    ] {
        let step = format!(
            "mcp with host {}",
            host.replace(&port.to_string(), "<port>")
        );
        r.record_mcp(
            &step,
            &mcp::raw_post(port, &host, &raw_headers, &tools_list),
        );
    }
    for origin in ["https://claude.ai", "https://evil.example"] {
        let reply = anonymous.send(
            "OPTIONS",
            "/mcp",
            None,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,mcp-protocol-version",
                ),
            ],
        );
        r.record_mcp(&format!("mcp preflight from {origin}"), &reply);
    }
    tools
}

/// Resolves a local `$ref` (`#/components/schemas/Todo`) against the spec, recursively.
fn resolve(spec: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(fields) => {
            if let Some(Value::String(reference)) = fields.get("$ref") {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("a non-local $ref {reference}"));
                let target = spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {reference} points nowhere"));
                return resolve(spec, target);
            }
            Value::Object(
                fields
                    .iter()
                    .map(|(key, value)| (key.clone(), resolve(spec, value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| resolve(spec, item)).collect()),
        other => other.clone(),
    }
}

/// `tools/list` and the served `openapi.yaml` say the same, operation by operation: the tool
/// named after each operationId, its title the summary, the same description, its input the
/// path parameters and the body's properties (each with its schema and description, the same
/// required ones, nothing else), its outputSchema the success response's schema. Returns every
/// disagreement.
fn tools_against_spec(stack: &str, auth: &str, spec: &Value, tools: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    let mut differ = |at: &str, what: &str, got: &Value, wanted: &Value| {
        if got != wanted {
            findings.push(format!(
                "{at}: {what}: the tool has {got}, the spec {wanted}"
            ));
        }
    };
    let tools = tools["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{stack}: no tools in {tools}"));
    let mut operation_ids = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(name) = operation["operationId"].as_str() else {
                continue;
            };
            let at = format!("{stack}, {auth}: {method} {path} ({name})");
            operation_ids.push(name.to_owned());
            let tool = tools
                .iter()
                .find(|tool| tool["name"] == name)
                .unwrap_or_else(|| panic!("{at}: no tool named {name}"));
            assert_eq!(
                tool["title"], operation["summary"],
                "{at}: title and summary"
            );
            assert_eq!(
                tool["description"], operation["description"],
                "{at}: description"
            );

            let mut properties = serde_json::Map::new();
            let mut required = Vec::new();
            for parameter in operation["parameters"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let parameter = resolve(spec, parameter);
                assert_eq!(
                    parameter["in"], "path",
                    "{at}: only path parameters become inputs"
                );
                let mut schema = resolve(spec, &parameter["schema"]);
                if let Some(description) = parameter.get("description") {
                    schema["description"] = description.clone();
                }
                let parameter_name = parameter["name"].as_str().unwrap().to_owned();
                if parameter["required"] == true {
                    required.push(json!(parameter_name));
                }
                properties.insert(parameter_name, schema);
            }
            let body = resolve(
                spec,
                &operation["requestBody"]["content"]["application/json"]["schema"],
            );
            if let Some(fields) = body["properties"].as_object() {
                for (field, schema) in fields {
                    properties.insert(field.clone(), schema.clone());
                }
                required.extend(body["required"].as_array().cloned().unwrap_or_default());
            }
            let input = &tool["inputSchema"];
            differ(&at, "inputSchema type", &input["type"], &json!("object"));
            differ(
                &at,
                "additionalProperties",
                &input["additionalProperties"],
                &json!(false),
            );
            differ(
                &at,
                "the input properties and the spec's parameters and body",
                &input["properties"],
                &Value::Object(properties),
            );
            let mut wanted: Vec<String> = required
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            let mut got: Vec<String> = input["required"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            wanted.sort();
            got.sort();
            differ(&at, "required inputs", &json!(got), &json!(wanted));

            let (status, success) = operation["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{at}: no success response"));
            let schema = &success["content"]["application/json"]["schema"];
            if schema.is_null() {
                // No body to compare with (a 204): the tool still returns what it did.
                assert_eq!(status, "204", "{at}: a success response without a schema");
                assert!(tool["outputSchema"].is_object(), "{at}: no outputSchema");
            } else {
                assert_eq!(
                    tool["outputSchema"],
                    resolve(spec, schema),
                    "{at}: outputSchema and the {status} schema"
                );
            }
        }
    }
    let names: Vec<&str> = tools
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names, operation_ids,
        "{stack}, {auth}: the tools, in the spec's order"
    );
    findings
}
