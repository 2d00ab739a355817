//! Credentials for a generated project's API, as `ChatGPT` would get them: the tokens from its
//! `.env`, or for OAuth a sign-in on the consent page and a code exchange.

use std::path::Path;

use serde_json::{Value, json};

use super::{Client, Reply, env_value};

/// The first `name:secret` pair of a `.env` variable.
pub fn first_pair(project: &Path, variable: &str) -> (String, String) {
    let pairs = env_value(project, variable);
    let first = pairs.split(',').next().unwrap();
    let (name, secret) = first.split_once(':').unwrap();
    (name.to_owned(), secret.to_owned())
}

/// The `ChatGPT` callback the conformance runs use.
pub const REDIRECT_URI: &str = "https://chat.openai.com/aip/plugin-conformance/oauth/callback";

/// An OAuth authorization request for the project, as a form or query string.
pub fn authorization(project: &Path, state: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &env_value(project, "OAUTH_CLIENT_ID"))
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("state", state)
        .finish()
}

/// Signs in on the consent page and approves; the redirect.
pub fn approve(project: &Path, base: &str, password: &str) -> Reply {
    let (user, _) = first_pair(project, "OAUTH_USERS");
    let form = format!(
        "{}&username={user}&password={password}&decision=allow",
        authorization(project, "s t/ä")
    );
    Client::new(base, None).send_raw(
        "POST",
        "/oauth/authorize",
        Some(form.into_bytes()),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
}

/// A token request with client credentials in a JSON body.
pub fn token_request(project: &Path, base: &str, grant: Value) -> Reply {
    let mut body = grant;
    body["client_id"] = json!(env_value(project, "OAUTH_CLIENT_ID"));
    body["client_secret"] = json!(env_value(project, "OAUTH_CLIENT_SECRET"));
    Client::new(base, None).send("POST", "/oauth/token", Some(body), &[])
}

/// The code in a redirect's query.
pub fn code_of(reply: &Reply) -> String {
    let location = reply.header("location");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .unwrap_or_else(|| panic!("no code in `{location}`"))
        .1
        .into_owned()
}

/// A valid bearer token for the project, if its auth type has one: from `.env`, or for OAuth
/// by signing in and exchanging the code.
pub fn token(project: &Path, auth: &str, base: &str) -> Option<String> {
    match auth {
        "service_http" => Some(env_value(project, "SERVICE_AUTH_TOKEN")),
        "user_http" => Some(first_pair(project, "USER_TOKENS").1),
        "oauth" => {
            let (_, password) = first_pair(project, "OAUTH_USERS");
            let code = code_of(&approve(project, base, &password));
            let grant = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI});
            let tokens = token_request(project, base, grant).json();
            Some(tokens["access_token"].as_str().unwrap().to_owned())
        }
        _ => None,
    }
}

/// The list path: the user comes from the token for `user_http` and oauth.
pub fn list_path(auth: &str) -> &'static str {
    if matches!(auth, "user_http" | "oauth") {
        "/todos"
    } else {
        "/todos/alice"
    }
}
