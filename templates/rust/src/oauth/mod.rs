//! An OAuth 2 authorization server for the plugin host (RFC 6749, with PKCE from RFC 7636).
//!
//! - `GET /oauth/authorize` (the manifest's `client_url`) checks the client and the
//!   `redirect_uri`, then shows a sign-in and consent page. Approving redirects back with a
//!   `code` and the unchanged `state`; denying redirects with `error=access_denied`. A bad
//!   client or redirect URI is an error page and is never redirected to.
//! - `POST /oauth/token` (the manifest's `authorization_url`) takes JSON or form bodies, and
//!   client credentials in the body or as HTTP Basic. Codes are single-use and short-lived;
//!   refresh tokens rotate; replays revoke what the grant issued.

pub mod page;
pub mod pending;
pub mod redirect;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::constant_time_eq;
use crate::extract::BodyBytes;
use pending::{PendingRequests, WrongPasswords, LOCKOUT_SECONDS};
use redirect::AllowList;
use store::{Code, Grants, Lookup, Token, TokenKind};

/// How long a code may wait to be exchanged, in seconds.
pub const CODE_LIFETIME: u64 = 5 * 60;
/// How long an access token works, in seconds.
pub const ACCESS_TOKEN_LIFETIME: u64 = 60 * 60;
/// How long a refresh token works, in seconds.
pub const REFRESH_TOKEN_LIFETIME: u64 = 30 * 24 * 60 * 60;

/// The current time in Unix seconds; replaceable so tests can let codes and tokens expire.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}

/// The server's OAuth settings (see `config.rs`).
#[derive(Clone)]
pub struct Settings {
    /// `OAUTH_CLIENT_ID`.
    pub client_id: String,
    /// `OAUTH_CLIENT_SECRET`.
    pub client_secret: String,
    /// The scopes the plugin grants.
    pub scope: Vec<String>,
    /// `OAUTH_USERS`: (username, password) pairs for the sign-in page.
    pub users: Vec<(String, String)>,
    /// Where codes may be sent.
    pub redirects: AllowList,
}

/// The authorization server.
pub struct OAuth {
    settings: Settings,
    grants: Grants,
    clock: Clock,
    plugin: String,
    /// The requests whose consent page awaits an answer.
    pending: PendingRequests<AuthRequest>,
    wrong_passwords: WrongPasswords,
}

impl OAuth {
    /// The server for the plugin called `plugin`, keeping its grants in the file `grants`.
    pub fn new(
        settings: Settings,
        grants: impl Into<std::path::PathBuf>,
        clock: Clock,
        plugin: &str,
    ) -> Result<OAuth, String> {
        Ok(OAuth {
            settings,
            grants: Grants::open(grants)?,
            clock,
            plugin: plugin.to_owned(),
            pending: PendingRequests::default(),
            wrong_passwords: WrongPasswords::default(),
        })
    }

    /// The user a live access token acts for.
    pub async fn user_for(&self, access_token: &str) -> Option<String> {
        let now = (self.clock)();
        self.grants
            .access_token(&hash(access_token), now)
            .await
            .map(|token| token.user)
    }

    /// Checks an authorization request. A bad client or redirect URI is an error page; any
    /// other problem is a redirect with an `error`, as RFC 6749 (4.1.2.1) asks.
    fn check(&self, params: &BTreeMap<String, String>) -> Result<AuthRequest, Refusal> {
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let client_id = param("client_id").unwrap_or_default();
        if !constant_time_eq(client_id.as_bytes(), self.settings.client_id.as_bytes()) {
            return Err(Refusal::Page {
                title: "Unknown client",
                message: format!(
                    "The client id `{client_id}` is not this plugin's client (OAUTH_CLIENT_ID)."
                ),
            });
        }
        let Some(redirect_uri) = param("redirect_uri") else {
            return Err(Refusal::Page {
                title: "Missing redirect URI",
                message: "The request has no redirect_uri.".to_owned(),
            });
        };
        if !self.settings.redirects.allows(redirect_uri) {
            return Err(Refusal::Page {
                title: "Redirect URI not allowed",
                message: format!(
                    "`{redirect_uri}` is not ChatGPT's OAuth callback, a loopback URL, or one of \
                     OAUTH_REDIRECT_URIS."
                ),
            });
        }
        let state = param("state");
        let refuse = |error: &str, description: &str| {
            let mut query = vec![("error", error), ("error_description", description)];
            if let Some(state) = state {
                query.push(("state", state));
            }
            Refusal::Redirect(redirect::with_params(redirect_uri, &query))
        };
        if param("response_type") != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
        let Some(state) = state else {
            return Err(refuse("invalid_request", "state is required"));
        };
        let scope = match param("scope") {
            None => self.settings.scope.clone(),
            Some(asked) => {
                let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
                if !asked.iter().all(|s| self.settings.scope.contains(s)) {
                    return Err(refuse(
                        "invalid_scope",
                        "this plugin does not grant that scope",
                    ));
                }
                asked
            }
        };
        let code_challenge = match (param("code_challenge"), param("code_challenge_method")) {
            (None, None) => None,
            (Some(challenge), Some("S256")) if is_challenge(challenge) => {
                Some(challenge.to_owned())
            }
            (Some(_), Some("S256")) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                ));
            }
            (Some(_), _) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method must be S256",
                ))
            }
            (None, Some(_)) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method without code_challenge",
                ))
            }
        };
        Ok(AuthRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: state.to_owned(),
            scope,
            code_challenge,
        })
    }

    /// The sign-in and consent page for `request`, which is kept until the page is answered:
    /// the form carries only its id.
    fn consent_page(&self, request: AuthRequest, username: &str, error: Option<&str>) -> Response {
        let redirect_host = request
            .redirect_uri
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', '?']).next())
            .unwrap_or_default()
            .to_owned();
        let scope = request.scope.clone();
        let id = self.pending.add(request, (self.clock)());
        page::consent(&page::Consent {
            plugin: &self.plugin,
            hidden: &[("request_id", id.as_str())],
            scope: &scope,
            redirect_host: &redirect_host,
            username,
            error,
        })
    }

    /// Whether the sign-in is right; compares with every user so timing reveals nothing.
    fn signs_in(&self, username: &str, password: &str) -> bool {
        let mut found = false;
        for (user, secret) in &self.settings.users {
            let matches = constant_time_eq(user.as_bytes(), username.as_bytes())
                & constant_time_eq(secret.as_bytes(), password.as_bytes());
            found |= matches;
        }
        found
    }

    async fn exchange(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
        let params = token_params(headers, body)?;
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            });
        let (client_id, client_secret) = match (basic, param("client_secret")) {
            (Some(_), Some(_)) => {
                return Err(TokenError::request(
                    "send the client credentials either in the body or as HTTP Basic, not both",
                ));
            }
            (Some(basic), None) => basic_credentials(basic).ok_or_else(|| {
                TokenError::client(
                    "the Basic credentials are not base64 of client_id:client_secret",
                )
            })?,
            (None, Some(secret)) => (
                param("client_id").unwrap_or_default().to_owned(),
                secret.to_owned(),
            ),
            (None, None) => return Err(TokenError::client(
                "client authentication is required (client_id and client_secret, or HTTP Basic)",
            )),
        };
        let client_ok = constant_time_eq(client_id.as_bytes(), self.settings.client_id.as_bytes())
            & constant_time_eq(
                client_secret.as_bytes(),
                self.settings.client_secret.as_bytes(),
            );
        if !client_ok {
            return Err(TokenError::client("unknown client or wrong client secret"));
        }
        let now = (self.clock)();
        let (grant, user, scope) = match param("grant_type") {
            Some("authorization_code") => {
                let code = param("code").ok_or_else(|| TokenError::request("code is required"))?;
                let redirect_uri = param("redirect_uri")
                    .ok_or_else(|| TokenError::request("redirect_uri is required"))?;
                let code = match self
                    .grants
                    .use_code(&hash(code), now)
                    .await
                    .map_err(TokenError::storage)?
                {
                    Lookup::Fresh(code) => code,
                    Lookup::Unknown => {
                        return Err(TokenError::grant("the code is unknown or expired"))
                    }
                    Lookup::Replayed => {
                        return Err(TokenError::grant(
                            "the code was already used; the tokens it gave are revoked",
                        ))
                    }
                };
                if code.client_id != client_id || code.redirect_uri != redirect_uri {
                    return Err(TokenError::grant(
                        "the code was issued to another client or redirect_uri",
                    ));
                }
                match (&code.code_challenge, param("code_verifier")) {
                    (Some(challenge), Some(verifier)) => {
                        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                        if !constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
                            return Err(TokenError::grant(
                                "code_verifier does not match code_challenge",
                            ));
                        }
                    }
                    (Some(_), None) => {
                        return Err(TokenError::grant(
                            "code_verifier is required: the authorization request used PKCE",
                        ))
                    }
                    (None, Some(_)) => return Err(TokenError::grant(
                        "code_verifier given, but the authorization request had no code_challenge",
                    )),
                    (None, None) => {}
                }
                let Code {
                    grant, user, scope, ..
                } = code;
                (grant, user, scope)
            }
            Some("refresh_token") => {
                let refresh = param("refresh_token")
                    .ok_or_else(|| TokenError::request("refresh_token is required"))?;
                let token = match self
                    .grants
                    .rotate_refresh(&hash(refresh), now)
                    .await
                    .map_err(TokenError::storage)?
                {
                    Lookup::Fresh(token) => token,
                    Lookup::Unknown => {
                        return Err(TokenError::grant("the refresh token is unknown or expired"))
                    }
                    Lookup::Replayed => {
                        return Err(TokenError::grant(
                            "the refresh token was already used; its grant is revoked",
                        ))
                    }
                };
                if token.client_id != client_id {
                    return Err(TokenError::grant(
                        "the refresh token was issued to another client",
                    ));
                }
                let scope = match param("scope") {
                    None => token.scope,
                    Some(asked) => {
                        let asked: Vec<String> =
                            asked.split_whitespace().map(str::to_owned).collect();
                        if !asked.iter().all(|s| token.scope.contains(s)) {
                            return Err(TokenError::new(
                                StatusCode::BAD_REQUEST,
                                "invalid_scope",
                                "a refresh cannot widen the scope",
                            ));
                        }
                        asked
                    }
                };
                (token.grant, token.user, scope)
            }
            Some(_) => {
                return Err(TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token",
                ))
            }
            None => return Err(TokenError::request("grant_type is required")),
        };

        let access_token = random_token();
        let refresh_token = random_token();
        let token = |kind, lifetime| Token {
            grant: grant.clone(),
            kind,
            client_id: client_id.clone(),
            user: user.clone(),
            scope: scope.clone(),
            expires_at: now + lifetime,
            rotated: false,
        };
        self.grants
            .add_tokens(
                vec![
                    (
                        hash(&access_token),
                        token(TokenKind::Access, ACCESS_TOKEN_LIFETIME),
                    ),
                    (
                        hash(&refresh_token),
                        token(TokenKind::Refresh, REFRESH_TOKEN_LIFETIME),
                    ),
                ],
                now,
            )
            .await
            .map_err(TokenError::storage)?;
        Ok(json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "refresh_token": refresh_token,
            "scope": scope.join(" "),
        }))
    }
}

/// Why an authorization request is refused, and how the person learns of it.
enum Refusal {
    /// Shown, never redirected: the client or redirect URI cannot be trusted.
    Page {
        /// The page title.
        title: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Sent back to the client's redirect URI with `error` and `state`.
    Redirect(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page { title, message } => {
                page::error(StatusCode::BAD_REQUEST, title, &message)
            }
            Refusal::Redirect(target) => Redirect::to(&target).into_response(),
        }
    }
}

/// An authorization request that passed every check.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    state: String,
    scope: Vec<String>,
    code_challenge: Option<String>,
}

/// `GET /oauth/authorize`: the sign-in and consent page.
pub async fn authorize(State(oauth): State<Arc<OAuth>>, uri: Uri) -> Response {
    let params = match parse_query(uri.query().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(message) => return page::error(StatusCode::BAD_REQUEST, "Bad request", &message),
    };
    match oauth.check(&params) {
        Ok(request) => oauth.consent_page(request, "", None),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /oauth/authorize`: the person's decision on the consent page.
pub async fn decide(State(oauth): State<Arc<OAuth>>, BodyBytes(body): BodyBytes) -> Response {
    let params = match parse_query(&body) {
        Ok(params) => params,
        Err(message) => return page::error(StatusCode::BAD_REQUEST, "Bad request", &message),
    };
    // The request is the one the page was shown for, found by the form's `request_id`;
    // whatever else the form says about it is ignored.
    let now = (oauth.clock)();
    let id = params.get("request_id").map(String::as_str);
    let Some(request) = oauth.pending.take(id.unwrap_or_default(), now) else {
        return page::error(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in page was already used, has expired, or was not shown by this server. \
             Start again from ChatGPT.",
        );
    };
    let (redirect_uri, state) = (request.redirect_uri.clone(), request.state.clone());
    let back = |query: &[(&str, &str)]| {
        Redirect::to(&redirect::with_params(&redirect_uri, query)).into_response()
    };
    match params.get("decision").map(String::as_str) {
        Some("deny") => back(&[
            ("error", "access_denied"),
            ("error_description", "the user denied the request"),
            ("state", state.as_str()),
        ]),
        Some("allow") => {
            let username = params
                .get("username")
                .map(String::as_str)
                .unwrap_or_default()
                .trim();
            let password = params
                .get("password")
                .map(String::as_str)
                .unwrap_or_default();
            if oauth.wrong_passwords.locked(username, now) {
                let message = format!(
                    "Too many wrong passwords for this username: try again in {} minutes.",
                    LOCKOUT_SECONDS / 60
                );
                return oauth.consent_page(request, username, Some(&message));
            }
            if !oauth.signs_in(username, password) {
                oauth.wrong_passwords.failed(username, now);
                return oauth.consent_page(request, username, Some("Wrong username or password."));
            }
            oauth.wrong_passwords.succeeded(username);
            let code = random_token();
            let stored = Code {
                grant: random_token(),
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                user: username.to_owned(),
                scope: request.scope.clone(),
                code_challenge: request.code_challenge.clone(),
                expires_at: now + CODE_LIFETIME,
                used: false,
            };
            if let Err(e) = oauth.grants.add_code(hash(&code), stored, now).await {
                return page::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    &format!("The code could not be stored: {e}"),
                );
            }
            back(&[("code", code.as_str()), ("state", state.as_str())])
        }
        _ => page::error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "Choose Allow or Deny.",
        ),
    }
}

/// `POST /oauth/token`: codes and refresh tokens for access tokens.
pub async fn token(
    State(oauth): State<Arc<OAuth>>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes,
) -> Response {
    let mut response = match oauth.exchange(&headers, &body).await {
        Ok(tokens) => (StatusCode::OK, Json(tokens)).into_response(),
        Err(error) => error.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A token endpoint error (RFC 6749, 5.2).
#[derive(Debug)]
struct TokenError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl TokenError {
    fn new(status: StatusCode, code: &'static str, description: &str) -> TokenError {
        TokenError {
            status,
            code,
            description: description.to_owned(),
        }
    }

    fn request(description: &str) -> TokenError {
        TokenError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn grant(description: &str) -> TokenError {
        TokenError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn client(description: &str) -> TokenError {
        TokenError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn storage(error: std::io::Error) -> TokenError {
        TokenError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &format!("could not store the grant: {error}"),
        )
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        // The token endpoint authenticates clients with HTTP Basic (or the body).
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth\""),
            );
        }
        response
    }
}

/// The token request's parameters, from a JSON or form body.
fn token_params(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, TokenError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            parse_query(body).map_err(|m| TokenError::request(&m))
        }
        "application/json" => {
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
                return Err(TokenError::request("the body is not a JSON object"));
            };
            fields
                .into_iter()
                .map(|(name, value)| match value {
                    Value::String(text) => Ok((name, text)),
                    _ => Err(TokenError::request(&format!("`{name}` must be a string"))),
                })
                .collect()
        }
        _ => Err(TokenError::request(
            "send application/x-www-form-urlencoded or application/json",
        )),
    }
}

/// Form-encoded parameters; a parameter given twice is refused (RFC 6749, 3.1).
fn parse_query(raw: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(raw) {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(format!("the parameter `{name}` is given more than once"));
        }
    }
    Ok(params)
}

/// `client_id:client_secret` from HTTP Basic, each form-decoded (RFC 6749, 2.3.1).
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |part: &str| {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

/// A PKCE code challenge: 43 to 128 unreserved characters.
fn is_challenge(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored instead of a code or token.
fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("my%20client:s%3Acret");
        assert_eq!(
            basic_credentials(&encoded),
            Some(("my client".to_owned(), "s:cret".to_owned()))
        );
        assert_eq!(basic_credentials("not base64!"), None);
        assert_eq!(basic_credentials(&STANDARD.encode("no-colon")), None);
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_query(b"a=1&b=2").is_ok());
        assert!(parse_query(b"a=1&a=2").unwrap_err().contains("`a`"));
    }

    #[test]
    fn challenges_are_43_to_128_unreserved_characters() {
        assert!(is_challenge(&"a".repeat(43)));
        assert!(is_challenge(&"A-._~9".repeat(20)));
        assert!(!is_challenge(&"a".repeat(42)));
        assert!(!is_challenge(&"a".repeat(129)));
        assert!(!is_challenge(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash("abc").len(), 64);
        assert_ne!(hash(&a), a);
    }
}
