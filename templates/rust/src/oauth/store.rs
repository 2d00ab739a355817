//! Codes and tokens of the authorization server, kept in one JSON file beside `DATA_PATH`.
//!
//! Only SHA-256 hashes of codes and tokens are stored, so the file does not hand out access if
//! it leaks. Every code and token belongs to a grant (one approval by one user); replaying a
//! rotated refresh token revokes every token of its grant (a replayed code: see `mod.rs`).
//! Dynamically registered clients are kept here too, their secrets hashed. Fields added since
//! the first version have defaults, so older files still load.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::json_file::JsonFile;

/// What an approved authorization request becomes: kept until the code is exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// The grant the code starts.
    pub grant: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The `redirect_uri` it was sent to; the exchange must name the same one.
    pub redirect_uri: String,
    /// The user who approved.
    pub user: String,
    /// The scopes granted.
    pub scope: Vec<String>,
    /// The PKCE `code_challenge` (S256), when the client sent one.
    pub code_challenge: Option<String>,
    /// Unix seconds after which the code is worthless.
    pub expires_at: u64,
    /// Set once exchanged: a second exchange is a replay.
    pub used: bool,
    /// The resource (RFC 8707) the request named, canonical; `None` when it named none.
    #[serde(default)]
    pub resource: Option<String>,
    /// When it was exchanged (Unix seconds).
    #[serde(default)]
    pub used_at: Option<u64>,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Sent as `Authorization: Bearer` to the API.
    Access,
    /// Exchanged for a new pair at the token endpoint.
    Refresh,
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The grant it belongs to.
    pub grant: String,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The client it was issued to.
    pub client_id: String,
    /// The user it acts for.
    pub user: String,
    /// The scopes granted.
    pub scope: Vec<String>,
    /// Unix seconds after which the token is worthless.
    pub expires_at: u64,
    /// A refresh token that was already exchanged: presenting it again is a replay.
    pub rotated: bool,
    /// The resource it is bound to; `None`: valid for both the API and `/mcp`.
    #[serde(default)]
    pub resource: Option<String>,
}

/// A client registered through `POST /oauth/register` (RFC 7591).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The hash of its secret; `None` for a public client (`token_endpoint_auth_method: none`).
    pub secret_hash: Option<String>,
    /// Its `client_name`.
    pub name: Option<String>,
    /// Where codes may be sent, matched exactly.
    pub redirect_uris: Vec<String>,
    /// The scopes it may ask for; `None`: any the plugin grants.
    pub scope: Option<Vec<String>>,
    /// When it registered (Unix seconds).
    pub issued_at: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Data {
    /// Codes by the hash of the code.
    codes: BTreeMap<String, Code>,
    /// Tokens by the hash of the token.
    tokens: BTreeMap<String, Token>,
    /// Registered clients by client id.
    #[serde(default)]
    clients: BTreeMap<String, Registered>,
}

impl Data {
    /// Forgets what has expired, so the file does not grow forever.
    fn prune(&mut self, now: u64) {
        self.codes.retain(|_, code| code.expires_at > now);
        self.tokens.retain(|_, token| token.expires_at > now);
    }

    /// Removes every token of `grant`.
    fn revoke(&mut self, grant: &str) {
        self.tokens.retain(|_, token| token.grant != grant);
    }
}

/// What looking up a code or refresh token to use it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Live and unused; now marked used.
    Fresh(T),
    /// Used before: a replay. Every token of its grant is now revoked.
    Replayed,
    /// No such live code or token.
    Unknown,
}

/// The persistent codes and tokens.
#[derive(Debug)]
pub struct Grants {
    file: JsonFile<Data>,
}

impl Grants {
    /// Opens the file at `path`, or starts empty.
    pub fn open(path: impl Into<PathBuf>) -> Result<Grants, String> {
        Ok(Grants {
            file: JsonFile::open(path, "OAuth store")?,
        })
    }

    /// Keeps `code` under the hash of the code handed out.
    pub async fn add_code(&self, code_hash: String, code: Code, now: u64) -> io::Result<()> {
        self.file
            .update(|data| {
                data.prune(now);
                data.codes.insert(code_hash, code);
            })
            .await
    }

    /// The live code with this hash, used or not.
    pub async fn code(&self, code_hash: &str, now: u64) -> Option<Code> {
        self.file
            .read(|data| {
                data.codes
                    .get(code_hash)
                    .filter(|c| c.expires_at > now)
                    .cloned()
            })
            .await
    }

    /// Marks the code used at `now` and returns it; `Replayed` (and nothing revoked) if it
    /// already was.
    pub async fn use_code(&self, code_hash: &str, now: u64) -> io::Result<Lookup<Code>> {
        self.file
            .update(|data| {
                let Some(code) = data.codes.get_mut(code_hash).filter(|c| c.expires_at > now)
                else {
                    return Lookup::Unknown;
                };
                if code.used {
                    return Lookup::Replayed;
                }
                code.used = true;
                code.used_at = Some(now);
                Lookup::Fresh(code.clone())
            })
            .await
    }

    /// Removes every token of `grant`.
    pub async fn revoke(&self, grant: &str) -> io::Result<()> {
        self.file.update(|data| data.revoke(grant)).await
    }

    /// Keeps a new client, unless `max` are registered already (then `false`).
    pub async fn register(&self, id: String, client: Registered, max: usize) -> io::Result<bool> {
        self.file
            .update(|data| {
                if data.clients.len() >= max {
                    return false;
                }
                data.clients.insert(id, client);
                true
            })
            .await
    }

    /// The registered client with this id.
    pub async fn client(&self, id: &str) -> Option<Registered> {
        self.file.read(|data| data.clients.get(id).cloned()).await
    }

    /// Marks a refresh token rotated and returns it, ending the access tokens issued with it;
    /// a replay revokes its grant.
    pub async fn rotate_refresh(&self, token_hash: &str, now: u64) -> io::Result<Lookup<Token>> {
        self.file
            .update(|data| {
                let Some(token) = data
                    .tokens
                    .get_mut(token_hash)
                    .filter(|t| t.kind == TokenKind::Refresh && t.expires_at > now)
                else {
                    return Lookup::Unknown;
                };
                if token.rotated {
                    let grant = token.grant.clone();
                    data.revoke(&grant);
                    return Lookup::Replayed;
                }
                token.rotated = true;
                let token = token.clone();
                // The access tokens issued with it end with it.
                data.tokens
                    .retain(|_, t| !(t.grant == token.grant && t.kind == TokenKind::Access));
                Lookup::Fresh(token)
            })
            .await
    }

    /// Keeps new tokens under their hashes.
    pub async fn add_tokens(&self, tokens: Vec<(String, Token)>, now: u64) -> io::Result<()> {
        self.file
            .update(|data| {
                data.prune(now);
                data.tokens.extend(tokens);
            })
            .await
    }

    /// The live refresh token with this hash, rotated or not.
    pub async fn refresh_token(&self, token_hash: &str, now: u64) -> Option<Token> {
        self.file
            .read(|data| {
                data.tokens
                    .get(token_hash)
                    .filter(|t| t.kind == TokenKind::Refresh && t.expires_at > now)
                    .cloned()
            })
            .await
    }

    /// The live access token with this hash.
    pub async fn access_token(&self, token_hash: &str, now: u64) -> Option<Token> {
        self.file
            .read(|data| {
                data.tokens
                    .get(token_hash)
                    .filter(|t| t.kind == TokenKind::Access && t.expires_at > now)
                    .cloned()
            })
            .await
    }
}
