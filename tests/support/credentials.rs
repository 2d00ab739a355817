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

/// The id a consent page's form carries: its only hidden field.
pub fn request_id(page: &str) -> String {
    let hidden: Vec<&str> = page.split("<input type=\"hidden\" ").skip(1).collect();
    assert_eq!(hidden.len(), 1, "one hidden field: {page}");
    let value = hidden[0]
        .strip_prefix("name=\"request_id\" value=\"")
        .unwrap_or_else(|| panic!("the hidden field is the request id: {page}"));
    value.split('"').next().unwrap().to_owned()
}

/// Opens the consent page for the authorization request `query`, as a browser does; the id
/// its form carries.
pub fn consent(base: &str, query: &str) -> String {
    let page = Client::new(base, None).get(&format!("/oauth/authorize?{query}"));
    assert_eq!(
        page.status,
        200,
        "the consent page for {query}: {}",
        page.text()
    );
    request_id(&page.text())
}

/// Posts a consent form.
pub fn answer(base: &str, form: &str) -> Reply {
    Client::new(base, None).send_raw(
        "POST",
        "/oauth/authorize",
        Some(form.as_bytes().to_vec()),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
}

/// Opens the consent page, signs in as the first user with `password` and approves; the
/// answer.
pub fn approve(project: &Path, base: &str, password: &str) -> Reply {
    let (user, _) = first_pair(project, "OAUTH_USERS");
    let id = consent(base, &authorization(project, "s t/ä"));
    answer(
        base,
        &format!("request_id={id}&username={user}&password={password}&decision=allow"),
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
