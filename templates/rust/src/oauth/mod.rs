//! An OAuth 2 authorization server for the plugin host and MCP clients (RFC 6749, with PKCE
//! from RFC 7636, resource indicators from RFC 8707, `iss` from RFC 9207).
//!
//! - `GET /.well-known/oauth-protected-resource[/mcp]` (RFC 9728) and
//!   `GET /.well-known/oauth-authorization-server` (RFC 8414) tell MCP clients where to go.
//! - `POST /oauth/register` (RFC 7591) registers a client; a `client_id` that is an https URL
//!   names a client metadata document instead (`metadata.rs`); and the pre-registered client
//!   (`OAUTH_CLIENT_ID`, a GPT Action) keeps its secret and its redirect allow-list.
//! - `GET /oauth/authorize` (the manifest's `client_url`) checks the client and the
//!   `redirect_uri`, then shows a sign-in and consent page. Approving redirects back with a
//!   `code`, the unchanged `state` and `iss`; denying redirects with `error=access_denied`. A bad
//!   client or redirect URI is an error page and is never redirected to.
//! - `POST /oauth/token` (the manifest's `authorization_url`) takes JSON or form bodies, and
//!   client credentials in the body or as HTTP Basic (public clients send `client_id` only).
//!   Codes are single-use and short-lived; refresh tokens rotate, and a replayed one revokes
//!   its grant. A code posted twice: see [`REPLAY_GRACE`].

pub mod metadata;
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
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::constant_time_eq;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::BodyBytes;
use pending::{WrongPasswords, LOCKOUT_SECONDS, PENDING_LIFETIME};
use redirect::AllowList;
use store::{Code, Grants, Lookup, Registered, Token, TokenKind};

/// How long a code may wait to be exchanged, in seconds.
pub const CODE_LIFETIME: u64 = 5 * 60;
/// How long an access token works, in seconds.
pub const ACCESS_TOKEN_LIFETIME: u64 = 60 * 60;
/// How long a refresh token works, in seconds.
pub const REFRESH_TOKEN_LIFETIME: u64 = 30 * 24 * 60 * 60;
/// A code posted a second time always gets `invalid_grant`. When the second post comes from
/// the same client, proves what the first proved (the PKCE verifier, the client secret) and
/// arrives within this many seconds of the first exchange, it is the client retrying (ChatGPT
/// has been seen to post a code twice), and the tokens the first post got stay valid: only
/// the legitimate client holds the verifier or secret, and revoking would sign the user out.
/// Any other replay revokes every token the code gave (RFC 6749, 4.1.2: a stolen code).
pub const REPLAY_GRACE: u64 = 60;
/// The most clients `POST /oauth/register` keeps.
pub const MAX_CLIENTS: usize = 1000;
/// The largest registration request read, in bytes.
pub const MAX_REGISTRATION_BYTES: usize = 16 * 1024;
/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

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
    /// `PUBLIC_URL`, canonical: the issuer, and the REST API's resource identifier.
    pub issuer: String,
    /// `OAUTH_CLIENT_ID`.
    pub client_id: String,
    /// `OAUTH_CLIENT_SECRET`.
    pub client_secret: String,
    /// The scopes the plugin grants.
    pub scope: Vec<String>,
    /// `OAUTH_USERS`: (username, password) pairs for the sign-in page.
    pub users: Vec<(String, String)>,
    /// Where codes for the pre-registered client may be sent.
    pub redirects: AllowList,
    /// `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`: metadata documents may be fetched from loopback.
    pub allow_loopback_client_ids: bool,
}

/// What a token may be used for (RFC 8707).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The REST API: `PUBLIC_URL`.
    Api,
    /// The MCP endpoint: `PUBLIC_URL/mcp`.
    Mcp,
}

/// What an access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The user it acts for.
    pub user: String,
    /// The scopes granted.
    pub scope: Vec<String>,
}

/// Why an access token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Unknown, expired or revoked.
    Invalid,
    /// Bound to the other resource.
    OtherResource,
    /// The database failed.
    Unavailable,
}

/// The authorization server.
pub struct OAuth {
    settings: Settings,
    grants: Grants,
    clock: Clock,
    plugin: String,
    wrong_passwords: WrongPasswords,
    /// Client metadata documents fetched.
    documents: metadata::Cache,
}

/// A client, as the authorization endpoint found it.
enum Client {
    /// `OAUTH_CLIENT_ID`: confidential, redirects from the allow-list.
    PreRegistered,
    /// Registered through `POST /oauth/register`.
    Registered(Registered),
    /// Named by its metadata document: public.
    Document(metadata::Document),
}

impl Client {
    /// Whether it has no secret, so PKCE is its proof.
    fn is_public(&self) -> bool {
        match self {
            Client::PreRegistered => false,
            Client::Registered(client) => client.secret_hash.is_none(),
            Client::Document(_) => true,
        }
    }

    /// The name shown on the consent page.
    fn name(&self, id: &str) -> String {
        match self {
            Client::PreRegistered => "the pre-registered client (OAUTH_CLIENT_ID)".to_owned(),
            Client::Registered(client) => client.name.clone().unwrap_or_else(|| id.to_owned()),
            Client::Document(document) => document
                .client_name
                .clone()
                .unwrap_or_else(|| id.to_owned()),
        }
    }
}

impl OAuth {
    /// The server for the plugin called `plugin`, keeping its grants in `db`.
    pub fn new(settings: Settings, db: Db, clock: Clock, plugin: &str) -> OAuth {
        OAuth {
            settings,
            grants: Grants::new(db),
            clock,
            plugin: plugin.to_owned(),
            wrong_passwords: WrongPasswords::default(),
            documents: metadata::Cache::default(),
        }
    }

    /// The scopes the plugin grants (all of them are needed to use it).
    pub fn scope(&self) -> &[String] {
        &self.settings.scope
    }

    /// The issuer: `PUBLIC_URL`, canonical.
    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// The identifier of `resource`.
    pub fn resource_id(&self, resource: Resource) -> String {
        match resource {
            Resource::Api => self.settings.issuer.clone(),
            Resource::Mcp => format!("{}/mcp", self.settings.issuer),
        }
    }

    /// The URL of `/mcp`'s protected resource metadata.
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            self.settings.issuer
        )
    }

    /// What a live access token grants on `resource`.
    pub async fn access(&self, access_token: &str, resource: Resource) -> Result<Access, Refused> {
        let now = (self.clock)();
        let token = self
            .grants
            .token(&hash(access_token), TokenKind::Access, now)
            .await
            .map_err(|_| Refused::Unavailable)?
            .ok_or(Refused::Invalid)?;
        match &token.resource {
            Some(bound) if *bound != self.resource_id(resource) => Err(Refused::OtherResource),
            _ => Ok(Access {
                user: token.user,
                scope: token.scope,
            }),
        }
    }

    /// The canonical identifier `asked` names, if it is this server's API or `/mcp`.
    fn known_resource(&self, asked: &str) -> Option<String> {
        let canonical = canonical_resource(asked)?;
        [Resource::Api, Resource::Mcp]
            .into_iter()
            .map(|r| self.resource_id(r))
            .find(|id| *id == canonical)
    }

    /// The client with this id: the pre-registered one, a registered one, or a metadata
    /// document's. `Err` is the error page to show.
    async fn client(&self, client_id: &str) -> Result<Client, Refusal> {
        if constant_time_eq(client_id.as_bytes(), self.settings.client_id.as_bytes()) {
            return Ok(Client::PreRegistered);
        }
        let registered = self
            .grants
            .client(client_id)
            .await
            .map_err(|e| Refusal::Server(format!("The client could not be looked up: {e}")))?;
        if let Some(client) = registered {
            return Ok(Client::Registered(client));
        }
        let allow_loopback = self.settings.allow_loopback_client_ids;
        if metadata::is_document_url(client_id, allow_loopback) {
            return self
                .documents
                .get(client_id, allow_loopback, (self.clock)())
                .await
                .map(Client::Document)
                .map_err(|message| Refusal::Page {
                    title: "Client metadata document refused",
                    message,
                });
        }
        Err(Refusal::Page {
            title: "Unknown client",
            message: format!(
                "The client id `{client_id}` is not this plugin's client (OAUTH_CLIENT_ID), a \
                 registered client, or the https URL of a client metadata document."
            ),
        })
    }

    /// Checks an authorization request. A bad client or redirect URI is an error page; any
    /// other problem is a redirect with an `error`, as RFC 6749 (4.1.2.1) asks.
    async fn check(
        &self,
        params: &BTreeMap<String, String>,
        repeated: Option<&str>,
    ) -> Result<AuthRequest, Refusal> {
        // A repeated client or redirect cannot be trusted to redirect to: a page.
        if let Some(name @ ("client_id" | "redirect_uri")) = repeated {
            return Err(Refusal::Page {
                title: "Bad request",
                message: format!("the parameter `{name}` is given more than once"),
            });
        }
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let client_id = param("client_id").unwrap_or_default();
        let client = self.client(client_id).await?;
        let Some(redirect_uri) = param("redirect_uri") else {
            return Err(Refusal::Page {
                title: "Missing redirect URI",
                message: "The request has no redirect_uri.".to_owned(),
            });
        };
        let allowed = match &client {
            Client::PreRegistered => self.settings.redirects.allows(redirect_uri),
            Client::Registered(client) => client.redirect_uris.iter().any(|u| u == redirect_uri),
            // Only those a registration could name too.
            Client::Document(document) => {
                redirect::registrable(redirect_uri)
                    && document.redirect_uris.iter().any(|u| u == redirect_uri)
            }
        };
        if !allowed {
            let message = match &client {
                Client::PreRegistered => format!(
                    "`{redirect_uri}` is not ChatGPT's or Claude's OAuth callback, a loopback URL, \
                     or one of OAUTH_REDIRECT_URIS."
                ),
                Client::Registered(_) => format!(
                    "`{redirect_uri}` is not one of the redirect_uris the client registered."
                ),
                Client::Document(_) => format!(
                    "`{redirect_uri}` is not one of the redirect_uris of the client's metadata \
                     document."
                ),
            };
            return Err(Refusal::Page {
                title: "Redirect URI not allowed",
                message,
            });
        }
        let state = param("state");
        let issuer = self.settings.issuer.as_str();
        let refuse = |error: &str, description: &str| {
            let mut query = vec![("error", error), ("error_description", description)];
            if let Some(state) = state {
                query.push(("state", state));
            }
            query.push(("iss", issuer));
            Refusal::Redirect(redirect::with_params(redirect_uri, &query))
        };
        if let Some(name) = repeated {
            return Err(refuse(
                "invalid_request",
                &format!("the parameter `{name}` is given more than once"),
            ));
        }
        if param("response_type") != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
        let scope = match param("scope") {
            // A client registered with a scope gets it; any other the plugin's.
            None => match &client {
                Client::Registered(Registered {
                    scope: Some(registered),
                    ..
                }) => registered.clone(),
                _ => self.settings.scope.clone(),
            },
            Some(asked) => {
                let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
                let grantable = |s: &String| self.settings.scope.contains(s) || s == OFFLINE_ACCESS;
                if !asked.iter().all(grantable) {
                    return Err(refuse(
                        "invalid_scope",
                        "this plugin does not grant that scope",
                    ));
                }
                if let Client::Registered(Registered {
                    scope: Some(registered),
                    ..
                }) = &client
                {
                    if !asked.iter().all(|s| registered.contains(s)) {
                        return Err(refuse(
                            "invalid_scope",
                            "the client did not register that scope",
                        ));
                    }
                }
                asked
            }
        };
        let code_challenge = match (param("code_challenge"), param("code_challenge_method")) {
            (None, None) if client.is_public() => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge and code_challenge_method=S256 are required: the client \
                     has no secret, so PKCE is its proof",
                ));
            }
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
        // Without PKCE, `state` is what protects the client from a forged redirect (OAuth 2.1).
        if state.is_none() && code_challenge.is_none() {
            return Err(refuse(
                "invalid_request",
                "state is required without PKCE (code_challenge)",
            ));
        }
        let resource = match param("resource") {
            None => None,
            Some(asked) => match self.known_resource(asked) {
                Some(resource) => Some(resource),
                None => {
                    return Err(refuse(
                        "invalid_target",
                        "resource must be this server's /mcp URL or PUBLIC_URL",
                    ))
                }
            },
        };
        Ok(AuthRequest {
            client_name: client.name(client_id),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            scope,
            code_challenge,
            resource,
        })
    }

    /// The sign-in and consent page for `request`, which is kept until the page is answered:
    /// the form carries only its id.
    async fn consent_page(
        &self,
        request: &AuthRequest,
        username: &str,
        error: Option<&str>,
    ) -> Response {
        let id = random_token();
        let now = (self.clock)();
        let json = serde_json::to_string(request).expect("a request always serializes");
        let added = self
            .grants
            .add_pending(&id, &json, now + PENDING_LIFETIME, now);
        if let Err(e) = added.await {
            return Refusal::Server(format!("The sign-in page could not be stored: {e}"))
                .into_response();
        }
        let redirect_host = redirect::host_of(&request.redirect_uri);
        let (scope, client) = (&request.scope, &request.client_name);
        page::consent(&page::Consent {
            plugin: &self.plugin,
            client,
            hidden: &[("request_id", id.as_str())],
            scope,
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

    /// The client a token request authenticates as: the pre-registered or a confidential
    /// registered client by its secret (body or Basic), a public client by `client_id` alone.
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        params: &BTreeMap<String, String>,
    ) -> Result<String, TokenError> {
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
            (None, None) => {
                let required = || {
                    TokenError::client(
                        "client authentication is required (client_id and client_secret, or HTTP \
                     Basic; a public client sends client_id only)",
                    )
                };
                let client_id = param("client_id").ok_or_else(required)?;
                let public = match self
                    .grants
                    .client(client_id)
                    .await
                    .map_err(TokenError::storage)?
                {
                    Some(client) => client.secret_hash.is_none(),
                    None => {
                        client_id != self.settings.client_id
                            && metadata::is_document_url(
                                client_id,
                                self.settings.allow_loopback_client_ids,
                            )
                    }
                };
                return if public {
                    Ok(client_id.to_owned())
                } else {
                    Err(required())
                };
            }
        };
        if constant_time_eq(client_id.as_bytes(), self.settings.client_id.as_bytes()) {
            if constant_time_eq(
                client_secret.as_bytes(),
                self.settings.client_secret.as_bytes(),
            ) {
                return Ok(client_id);
            }
        } else if let Some(client) = self
            .grants
            .client(&client_id)
            .await
            .map_err(TokenError::storage)?
        {
            match client.secret_hash {
                Some(expected) => {
                    if constant_time_eq(hash(&client_secret).as_bytes(), expected.as_bytes()) {
                        return Ok(client_id);
                    }
                }
                None => {
                    return Err(TokenError::client(
                        "this client is public (token_endpoint_auth_method none): it sends no \
                         client secret",
                    ))
                }
            }
        } else if metadata::is_document_url(&client_id, self.settings.allow_loopback_client_ids) {
            return Err(TokenError::client(
                "a client named by a metadata document is public: it sends no client secret",
            ));
        }
        Err(TokenError::client("unknown client or wrong client secret"))
    }

    /// The resource new tokens are bound to: `bound` (the code's or refresh token's), which a
    /// `resource` parameter must repeat; or, when unbound, what the parameter names.
    fn token_resource(
        &self,
        bound: Option<String>,
        asked: Option<&str>,
    ) -> Result<Option<String>, TokenError> {
        let wrong = || {
            TokenError::new(
                StatusCode::BAD_REQUEST,
                "invalid_target",
                "resource must be the one the grant was issued for: this server's /mcp URL or \
                 PUBLIC_URL",
            )
        };
        match (bound, asked) {
            (bound, None) => Ok(bound),
            (Some(bound), Some(asked)) => {
                if canonical_resource(asked).as_deref() == Some(bound.as_str()) {
                    Ok(Some(bound))
                } else {
                    Err(wrong())
                }
            }
            (None, Some(asked)) => self.known_resource(asked).map(Some).ok_or_else(wrong),
        }
    }

    /// `POST /oauth/token`: authenticates the client, then redeems a code or a refresh token
    /// for new tokens.
    async fn exchange(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
        let params = token_params(headers, body)?;
        let client_id = self.authenticate(headers, &params).await?;
        let now = (self.clock)();
        let granted = match param(&params, "grant_type") {
            Some("authorization_code") => self.redeem_code(&params, &client_id, now).await?,
            Some("refresh_token") => self.refresh(&params, &client_id, now).await?,
            Some(_) => {
                return Err(TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token",
                ))
            }
            None => return Err(TokenError::request("grant_type is required")),
        };
        self.issue(granted, client_id, now).await
    }

    /// What a code gives: checked against the client, `redirect_uri` and PKCE, then used. A
    /// replay revokes what the code gave, unless it is the client retrying (see
    /// [`REPLAY_GRACE`]).
    async fn redeem_code(
        &self,
        params: &BTreeMap<String, String>,
        client_id: &str,
        now: u64,
    ) -> Result<Granted, TokenError> {
        let code = param(params, "code").ok_or_else(|| TokenError::request("code is required"))?;
        let redirect_uri = param(params, "redirect_uri")
            .ok_or_else(|| TokenError::request("redirect_uri is required"))?;
        let code_hash = hash(code);
        let Some(code) = self
            .grants
            .code(&code_hash, now)
            .await
            .map_err(TokenError::storage)?
        else {
            return Err(TokenError::grant("the code is unknown or expired"));
        };
        let proof = verify_pkce(
            code.code_challenge.as_deref(),
            param(params, "code_verifier"),
        );
        if let Some(used_at) = code.used_at {
            let retry =
                code.client_id == client_id && proof.is_ok() && now <= used_at + REPLAY_GRACE;
            if retry {
                return Err(TokenError::grant(
                    "the code was already used; the tokens it gave stay valid",
                ));
            }
            self.grants
                .revoke(&code.grant)
                .await
                .map_err(TokenError::storage)?;
            return Err(TokenError::grant(
                "the code was already used; the tokens it gave are revoked",
            ));
        }
        if code.client_id != client_id || code.redirect_uri != redirect_uri {
            return Err(TokenError::grant(
                "the code was issued to another client or redirect_uri",
            ));
        }
        proof?;
        let resource = self.token_resource(code.resource.clone(), param(params, "resource"))?;
        let code = match self
            .grants
            .use_code(&code_hash, now)
            .await
            .map_err(TokenError::storage)?
        {
            Lookup::Fresh(code) => code,
            Lookup::Unknown => return Err(TokenError::grant("the code is unknown or expired")),
            // Another post of the same code, with the same proof, won the race.
            Lookup::Replayed => {
                return Err(TokenError::grant(
                    "the code was already used; the tokens it gave stay valid",
                ))
            }
        };
        Ok(Granted {
            grant: code.grant,
            user: code.user,
            scope: code.scope,
            resource,
        })
    }

    /// What a refresh token gives: it is rotated (a replay revokes its grant), and the scope
    /// may be narrowed, never widened.
    async fn refresh(
        &self,
        params: &BTreeMap<String, String>,
        client_id: &str,
        now: u64,
    ) -> Result<Granted, TokenError> {
        let refresh = param(params, "refresh_token")
            .ok_or_else(|| TokenError::request("refresh_token is required"))?;
        let refresh_hash = hash(refresh);
        let live = self
            .grants
            .token(&refresh_hash, TokenKind::Refresh, now)
            .await
            .map_err(TokenError::storage)?;
        if let Some(token) = live {
            self.token_resource(token.resource, param(params, "resource"))?;
        }
        let token = match self
            .grants
            .rotate_refresh(&refresh_hash, now)
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
        let resource = self.token_resource(token.resource.clone(), param(params, "resource"))?;
        let scope = match param(params, "scope") {
            None => token.scope,
            Some(asked) => {
                let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
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
        Ok(Granted {
            grant: token.grant,
            user: token.user,
            scope,
            resource,
        })
    }

    /// New tokens for `granted`: an access token, and a refresh token for `offline_access`
    /// (and, as always, for the pre-registered client).
    async fn issue(
        &self,
        granted: Granted,
        client_id: String,
        now: u64,
    ) -> Result<Value, TokenError> {
        let Granted {
            grant,
            user,
            scope,
            resource,
        } = granted;
        let with_refresh = scope.iter().any(|s| s == OFFLINE_ACCESS)
            || constant_time_eq(client_id.as_bytes(), self.settings.client_id.as_bytes());
        let access_token = random_token();
        let refresh_token = random_token();
        let token = |kind, lifetime| Token {
            grant: grant.clone(),
            kind,
            client_id: client_id.clone(),
            user: user.clone(),
            scope: scope.clone(),
            resource: resource.clone(),
            expires_at: now + lifetime,
        };
        let mut tokens = vec![(
            hash(&access_token),
            token(TokenKind::Access, ACCESS_TOKEN_LIFETIME),
        )];
        if with_refresh {
            tokens.push((
                hash(&refresh_token),
                token(TokenKind::Refresh, REFRESH_TOKEN_LIFETIME),
            ));
        }
        self.grants
            .add_tokens(&tokens, now)
            .await
            .map_err(TokenError::storage)?;
        let mut answer = json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME,
        });
        if with_refresh {
            answer["refresh_token"] = json!(refresh_token);
        }
        answer["scope"] = json!(scope.join(" "));
        Ok(answer)
    }

    /// The scopes the metadata lists: the plugin's, then `offline_access`.
    fn scopes_supported(&self) -> Vec<String> {
        let mut scopes = self.settings.scope.clone();
        scopes.push(OFFLINE_ACCESS.to_owned());
        scopes
    }

    /// Registers a client (RFC 7591), or says why not.
    async fn register(&self, body: &[u8]) -> Result<Value, RegistrationError> {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return Err(RegistrationError::metadata(
                "the body must be a JSON object of client metadata",
            ));
        };
        let registration = Registration::read(&fields, &self.scopes_supported())?;
        let now = (self.clock)();
        let client_id = format!("mcp-{}", &random_token()[..32]);
        let secret = (registration.auth_method != "none").then(random_token);
        let stored = Registered {
            secret_hash: secret.as_deref().map(hash),
            name: registration.client_name.clone(),
            redirect_uris: registration.redirect_uris.clone(),
            scope: registration
                .scope
                .as_deref()
                .map(|s| s.split_whitespace().map(str::to_owned).collect()),
            issued_at: now,
        };
        let added = self
            .grants
            .register(&client_id, &stored, MAX_CLIENTS)
            .await
            .map_err(|e| RegistrationError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "server_error",
                description: format!("could not store the client: {e}"),
            })?;
        if !added {
            return Err(RegistrationError::metadata(&format!(
                "this server is full: it keeps at most {MAX_CLIENTS} registered clients (the \
                 operator can clear them from the oauth_clients table)"
            )));
        }
        let mut answer = Map::new();
        answer.insert("client_id".to_owned(), json!(client_id));
        answer.insert("client_id_issued_at".to_owned(), json!(now));
        if let Some(secret) = secret {
            answer.insert("client_secret".to_owned(), json!(secret));
            answer.insert("client_secret_expires_at".to_owned(), json!(0));
        }
        if let Some(name) = registration.client_name {
            answer.insert("client_name".to_owned(), json!(name));
        }
        answer.insert(
            "redirect_uris".to_owned(),
            json!(registration.redirect_uris),
        );
        answer.insert("grant_types".to_owned(), json!(registration.grant_types));
        answer.insert(
            "response_types".to_owned(),
            json!(registration.response_types),
        );
        answer.insert(
            "token_endpoint_auth_method".to_owned(),
            json!(registration.auth_method),
        );
        answer.insert(
            "application_type".to_owned(),
            json!(registration.application_type),
        );
        if let Some(scope) = registration.scope {
            answer.insert("scope".to_owned(), json!(scope));
        }
        Ok(Value::Object(answer))
    }
}

/// What a redeemed code or refresh token grants the new tokens.
struct Granted {
    grant: String,
    user: String,
    scope: Vec<String>,
    resource: Option<String>,
}

/// The parameter `name`, unless missing or empty.
fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Checks a PKCE `code_verifier` against the code's challenge.
fn verify_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), TokenError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
                Ok(())
            } else {
                Err(TokenError::grant(
                    "code_verifier does not match code_challenge",
                ))
            }
        }
        (Some(_), None) => Err(TokenError::grant(
            "code_verifier is required: the authorization request used PKCE",
        )),
        (None, Some(_)) => Err(TokenError::grant(
            "code_verifier given, but the authorization request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

/// `resource` in canonical form: lower-case scheme and host, no default port, no trailing
/// `/`; `None` if it is not an absolute http(s) URL or has a query, fragment or user info.
pub fn canonical_resource(resource: &str) -> Option<String> {
    let url = url::Url::parse(resource).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    let host = url.host_str()?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!(
        "{}://{host}{port}{}",
        url.scheme(),
        url.path().trim_end_matches('/')
    ))
}

/// A registration request's metadata, checked.
struct Registration {
    redirect_uris: Vec<String>,
    auth_method: String,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    application_type: String,
    client_name: Option<String>,
    scope: Option<String>,
}

impl Registration {
    fn read(
        fields: &Map<String, Value>,
        scopes: &[String],
    ) -> Result<Registration, RegistrationError> {
        let bad = RegistrationError::metadata;
        let uris = match fields.get("redirect_uris") {
            Some(Value::Array(uris)) if (1..=10).contains(&uris.len()) => uris,
            _ => {
                return Err(RegistrationError::redirect(
                    "redirect_uris must be an array of 1 to 10 URLs",
                ))
            }
        };
        let mut redirect_uris = Vec::new();
        for uri in uris {
            match uri.as_str() {
                Some(uri) if uri.chars().count() <= 2000 && redirect::registrable(uri) => {
                    redirect_uris.push(uri.to_owned());
                }
                _ => {
                    return Err(RegistrationError::redirect(&format!(
                        "{uri} is not a redirect URI this server accepts: https (no fragment, no \
                         user info) or http on localhost, 127.0.0.1 or [::1], at most 2000 \
                         characters"
                    )))
                }
            }
        }
        let text = |name: &str| -> Result<Option<String>, RegistrationError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(bad(&format!("{name} must be a string"))),
            }
        };
        let list = |name: &str,
                    allowed: &[&str],
                    default: &str|
         -> Result<Vec<String>, RegistrationError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(vec![default.to_owned()]),
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter()
                    .map(|item| match item.as_str() {
                        Some(item) if allowed.contains(&item) => Ok(item.to_owned()),
                        _ => Err(bad(&format!("{name} may only hold {}", allowed.join(", ")))),
                    })
                    .collect(),
                Some(_) => Err(bad(&format!("{name} must be a non-empty array of strings"))),
            }
        };
        let auth_method =
            text("token_endpoint_auth_method")?.unwrap_or_else(|| "client_secret_basic".to_owned());
        if !["none", "client_secret_basic", "client_secret_post"].contains(&auth_method.as_str()) {
            return Err(bad(
                "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
            ));
        }
        let grant_types = list(
            "grant_types",
            &["authorization_code", "refresh_token"],
            "authorization_code",
        )?;
        let response_types = list("response_types", &["code"], "code")?;
        let application_type = text("application_type")?.unwrap_or_else(|| "web".to_owned());
        if !["web", "native"].contains(&application_type.as_str()) {
            return Err(bad("application_type must be web or native"));
        }
        let client_name = text("client_name")?;
        if client_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 200)
        {
            return Err(bad("client_name must be at most 200 characters"));
        }
        let scope = text("scope")?;
        if let Some(scope) = &scope {
            if let Some(unknown) = scope
                .split_whitespace()
                .find(|s| !scopes.iter().any(|k| k == s))
            {
                return Err(bad(&format!(
                    "scope `{unknown}` is not one this plugin grants ({})",
                    scopes.join(" ")
                )));
            }
        }
        Ok(Registration {
            redirect_uris,
            auth_method,
            grant_types,
            response_types,
            application_type,
            client_name,
            scope,
        })
    }
}

/// A registration error (RFC 7591, 3.2.2).
struct RegistrationError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl RegistrationError {
    fn metadata(description: &str) -> RegistrationError {
        RegistrationError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_client_metadata",
            description: description.to_owned(),
        }
    }

    fn redirect(description: &str) -> RegistrationError {
        RegistrationError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_redirect_uri",
            description: description.to_owned(),
        }
    }
}

/// `POST /oauth/register`: dynamic client registration (RFC 7591).
pub async fn register(State(oauth): State<Arc<OAuth>>, BodyBytes(body): BodyBytes) -> Response {
    if body.len() > MAX_REGISTRATION_BYTES {
        return ApiError::PayloadTooLarge(format!(
            "a registration must be at most {} KiB",
            MAX_REGISTRATION_BYTES / 1024
        ))
        .into_response();
    }
    let mut response = match oauth.register(&body).await {
        Ok(client) => (StatusCode::CREATED, Json(client)).into_response(),
        Err(error) => (
            error.status,
            Json(json!({"error": error.code, "error_description": error.description})),
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: the protected resource metadata (RFC 9728).
pub async fn protected_resource(State(oauth): State<Arc<OAuth>>) -> Json<Value> {
    Json(json!({
        "resource": oauth.resource_id(Resource::Mcp),
        "authorization_servers": [oauth.issuer()],
        "scopes_supported": oauth.scopes_supported(),
        "bearer_methods_supported": ["header"],
        "resource_name": oauth.plugin,
    }))
}

/// `GET /.well-known/oauth-authorization-server`: the server's metadata (RFC 8414).
pub async fn server_metadata(State(oauth): State<Arc<OAuth>>) -> Json<Value> {
    let issuer = oauth.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "scopes_supported": oauth.scopes_supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    }))
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
    /// The database failed: a page saying what could not be done.
    Server(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page { title, message } => {
                page::error(StatusCode::BAD_REQUEST, title, &message)
            }
            Refusal::Redirect(target) => Redirect::to(&target).into_response(),
            Refusal::Server(message) => {
                page::error(StatusCode::INTERNAL_SERVER_ERROR, "Server error", &message)
            }
        }
    }
}

/// An authorization request that passed every check; kept as JSON while its page waits.
#[derive(Serialize, Deserialize)]
struct AuthRequest {
    client_id: String,
    /// Who asks, as the consent page names it.
    client_name: String,
    redirect_uri: String,
    /// Absent only when PKCE protects the request instead.
    state: Option<String>,
    scope: Vec<String>,
    code_challenge: Option<String>,
    /// The canonical resource asked for, if any.
    resource: Option<String>,
}

/// `GET /oauth/authorize`: the sign-in and consent page.
pub async fn authorize(State(oauth): State<Arc<OAuth>>, uri: Uri) -> Response {
    let (params, repeated) = parse_first(uri.query().unwrap_or_default().as_bytes());
    match oauth.check(&params, repeated.as_deref()).await {
        Ok(request) => oauth.consent_page(&request, "", None).await,
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
    let request = match oauth.grants.take_pending(id.unwrap_or_default(), now).await {
        Ok(request) => request.and_then(|json| serde_json::from_str::<AuthRequest>(&json).ok()),
        Err(e) => {
            return Refusal::Server(format!("The sign-in could not be read: {e}")).into_response()
        }
    };
    let Some(request) = request else {
        return page::error(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in page was already used, has expired, or was not shown by this server. \
             Start again from ChatGPT.",
        );
    };
    let (redirect_uri, state) = (request.redirect_uri.clone(), request.state.clone());
    let issuer = oauth.settings.issuer.clone();
    // `state` (when the client sent one) and `iss` (RFC 9207) end every answer.
    let back = |query: &[(&str, &str)]| {
        let mut query = query.to_vec();
        if let Some(state) = &state {
            query.push(("state", state.as_str()));
        }
        query.push(("iss", issuer.as_str()));
        Redirect::to(&redirect::with_params(&redirect_uri, &query)).into_response()
    };
    match params.get("decision").map(String::as_str) {
        Some("deny") => back(&[
            ("error", "access_denied"),
            ("error_description", "the user denied the request"),
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
                return oauth.consent_page(&request, username, Some(&message)).await;
            }
            if !oauth.signs_in(username, password) {
                oauth.wrong_passwords.failed(username, now);
                let error = Some("Wrong username or password.");
                return oauth.consent_page(&request, username, error).await;
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
                resource: request.resource.clone(),
                expires_at: now + CODE_LIFETIME,
                used_at: None,
            };
            if let Err(e) = oauth.grants.add_code(&hash(&code), &stored, now).await {
                return page::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    &format!("The code could not be stored: {e}"),
                );
            }
            back(&[("code", code.as_str())])
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

    fn storage(error: crate::db::Error) -> TokenError {
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

/// Form-encoded parameters, each with its first value, and the name of the first parameter
/// given more than once (which RFC 6749, 3.1 refuses), if any.
fn parse_first(raw: &[u8]) -> (BTreeMap<String, String>, Option<String>) {
    let mut params = BTreeMap::new();
    let mut repeated = None;
    for (name, value) in form_urlencoded::parse(raw) {
        if params.contains_key(name.as_ref()) {
            repeated.get_or_insert_with(|| name.into_owned());
        } else {
            params.insert(name.into_owned(), value.into_owned());
        }
    }
    (params, repeated)
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
    fn resources_are_compared_canonical() {
        assert_eq!(
            canonical_resource("HTTPS://Todo.Example.com:443/mcp/").as_deref(),
            Some("https://todo.example.com/mcp")
        );
        assert_eq!(
            canonical_resource("http://localhost:5003").as_deref(),
            Some("http://localhost:5003")
        );
        for bad in [
            "https://todo.example.com/mcp?x=1",
            "https://todo.example.com/mcp#x",
            "https://user@todo.example.com/mcp",
            "urn:todo",
            "mcp",
        ] {
            assert_eq!(canonical_resource(bad), None, "{bad}");
        }
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
