//! What the authorization server keeps, in the `oauth_*` tables (see `db`): registered
//! clients, codes, tokens and the consent pages waiting for an answer.
//!
//! Only SHA-256 hashes of codes, tokens and client secrets are stored, so the database does
//! not hand out access if it leaks. Every code and token belongs to a grant (one approval by
//! one user); replaying a rotated refresh token revokes every token of its grant (a replayed
//! code: see `mod.rs`). Using a code or a refresh token is one atomic `UPDATE`, so of two
//! concurrent uses exactly one wins, on one instance or several.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{finish, Db, Error};

/// What an approved authorization request becomes: kept until the code is exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The resource (RFC 8707) the request named, canonical; `None` when it named none.
    pub resource: Option<String>,
    /// Unix seconds after which the code is worthless.
    pub expires_at: u64,
    /// When it was exchanged (Unix seconds); a second exchange is a replay.
    pub used_at: Option<u64>,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Sent as `Authorization: Bearer` to the API.
    Access,
    /// Exchanged for a new pair at the token endpoint.
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The resource it is bound to; `None`: valid for both the API and `/mcp`.
    pub resource: Option<String>,
    /// Unix seconds after which the token is worthless.
    pub expires_at: u64,
}

/// A client registered through `POST /oauth/register` (RFC 7591).
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// What using a code or refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Live and unused; now marked used.
    Fresh(T),
    /// Used before: a replay (of a refresh token: every token of its grant is now revoked).
    Replayed,
    /// No such live code or token.
    Unknown,
}

/// How many consent requests are kept at most: anyone may open consent pages, so past this
/// the oldest go.
pub const MAX_PENDING: i64 = 10_000;

const CODE: &str = "grant_id, client_id, redirect_uri, username, scope, code_challenge, \
                    resource, expires_at, used_at";
const TOKEN: &str = "grant_id, kind, client_id, username, scope, resource, expires_at";

/// The authorization server's tables.
#[derive(Debug, Clone)]
pub struct Grants {
    db: Db,
}

impl Grants {
    /// The tables in `db`.
    pub fn new(db: Db) -> Grants {
        Grants { db }
    }

    /// Keeps `code` under the hash of the code handed out, and forgets expired codes.
    pub async fn add_code(&self, code_hash: &str, code: &Code, now: u64) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            sqlx::query("DELETE FROM oauth_codes WHERE expires_at <= $1")
                .bind(now as i64)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(
                "INSERT INTO oauth_codes (code_hash, {CODE}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                 $8, $9, NULL)"
            ))
            .bind(code_hash)
            .bind(&code.grant)
            .bind(&code.client_id)
            .bind(&code.redirect_uri)
            .bind(&code.user)
            .bind(code.scope.join(" "))
            .bind(&code.code_challenge)
            .bind(&code.resource)
            .bind(code.expires_at as i64)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
        .await;
        finish(tx, result).await
    }

    /// The live code with this hash, used or not.
    pub async fn code(&self, code_hash: &str, now: u64) -> Result<Option<Code>, Error> {
        sqlx::query(&format!(
            "SELECT {CODE} FROM oauth_codes WHERE code_hash = $1 AND expires_at > $2"
        ))
        .bind(code_hash)
        .bind(now as i64)
        .fetch_optional(&*self.db)
        .await?
        .map(|row| code(&row))
        .transpose()
    }

    /// Marks the code used at `now` and returns it; `Replayed` (and nothing revoked) if it
    /// already was.
    pub async fn use_code(&self, code_hash: &str, now: u64) -> Result<Lookup<Code>, Error> {
        let used = sqlx::query(&format!(
            "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND expires_at > $2 \
             AND used_at IS NULL RETURNING {CODE}"
        ))
        .bind(code_hash)
        .bind(now as i64)
        .fetch_optional(&*self.db)
        .await?;
        Ok(match used {
            Some(row) => Lookup::Fresh(code(&row)?),
            None if self.code(code_hash, now).await?.is_some() => Lookup::Replayed,
            None => Lookup::Unknown,
        })
    }

    /// Removes every token of `grant`.
    pub async fn revoke(&self, grant: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM oauth_tokens WHERE grant_id = $1")
            .bind(grant)
            .execute(&*self.db)
            .await?;
        Ok(())
    }

    /// Keeps a new client, unless `max` are registered already (then `false`).
    pub async fn register(&self, id: &str, client: &Registered, max: usize) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            let admitted = sqlx::query(
                "INSERT INTO quotas (key, used) VALUES ('oauth:clients', 1) ON CONFLICT (key) DO \
                 UPDATE SET used = quotas.used + 1 WHERE quotas.used < $1 RETURNING used",
            )
            .bind(max as i64)
            .fetch_optional(&mut *tx)
            .await?;
            if admitted.is_none() {
                return Ok(false);
            }
            let redirect_uris =
                serde_json::to_string(&client.redirect_uris).map_err(Error::decode)?;
            sqlx::query(
                "INSERT INTO oauth_clients (client_id, secret_hash, client_name, redirect_uris, \
                 scope, issued_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(&client.secret_hash)
            .bind(&client.name)
            .bind(redirect_uris)
            .bind(client.scope.as_ref().map(|s| s.join(" ")))
            .bind(client.issued_at as i64)
            .execute(&mut *tx)
            .await?;
            Ok(true)
        }
        .await;
        finish(tx, result).await
    }

    /// The registered client with this id.
    pub async fn client(&self, id: &str) -> Result<Option<Registered>, Error> {
        let Some(row) = sqlx::query(
            "SELECT secret_hash, client_name, redirect_uris, scope, issued_at \
             FROM oauth_clients WHERE client_id = $1",
        )
        .bind(id)
        .fetch_optional(&*self.db)
        .await?
        else {
            return Ok(None);
        };
        let redirect_uris: String = row.try_get("redirect_uris")?;
        Ok(Some(Registered {
            secret_hash: row.try_get("secret_hash")?,
            name: row.try_get("client_name")?,
            redirect_uris: serde_json::from_str(&redirect_uris).map_err(Error::decode)?,
            scope: row
                .try_get::<Option<String>, _>("scope")?
                .map(|s| words(&s)),
            issued_at: row.try_get::<i64, _>("issued_at")? as u64,
        }))
    }

    /// Marks a refresh token rotated and returns it, ending the access tokens issued with it;
    /// a replay revokes its grant.
    pub async fn rotate_refresh(&self, token_hash: &str, now: u64) -> Result<Lookup<Token>, Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            let rotated = sqlx::query(&format!(
                "UPDATE oauth_tokens SET rotated = TRUE WHERE token_hash = $1 AND kind = 'refresh' \
                 AND expires_at > $2 AND NOT rotated RETURNING {TOKEN}"
            ))
            .bind(token_hash)
            .bind(now as i64)
            .fetch_optional(&mut *tx)
            .await?;
            match rotated {
                Some(row) => {
                    let token = token(&row)?;
                    // The access tokens issued with it end with it.
                    sqlx::query("DELETE FROM oauth_tokens WHERE grant_id = $1 AND kind = 'access'")
                        .bind(&token.grant)
                        .execute(&mut *tx)
                        .await?;
                    Ok(Lookup::Fresh(token))
                }
                None => {
                    let replayed = sqlx::query(
                        "SELECT grant_id FROM oauth_tokens WHERE token_hash = $1 \
                         AND kind = 'refresh' AND expires_at > $2",
                    )
                    .bind(token_hash)
                    .bind(now as i64)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match replayed {
                        Some(row) => {
                            sqlx::query("DELETE FROM oauth_tokens WHERE grant_id = $1")
                                .bind(row.try_get::<String, _>("grant_id")?)
                                .execute(&mut *tx)
                                .await?;
                            Ok(Lookup::Replayed)
                        }
                        None => Ok(Lookup::Unknown),
                    }
                }
            }
        }
        .await;
        finish(tx, result).await
    }

    /// Keeps new tokens under their hashes, and forgets expired tokens.
    pub async fn add_tokens(&self, tokens: &[(String, Token)], now: u64) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            sqlx::query("DELETE FROM oauth_tokens WHERE expires_at <= $1")
                .bind(now as i64)
                .execute(&mut *tx)
                .await?;
            for (hash, token) in tokens {
                sqlx::query(&format!(
                    "INSERT INTO oauth_tokens (token_hash, {TOKEN}) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7, $8)"
                ))
                .bind(hash)
                .bind(&token.grant)
                .bind(token.kind.as_str())
                .bind(&token.client_id)
                .bind(&token.user)
                .bind(token.scope.join(" "))
                .bind(&token.resource)
                .bind(token.expires_at as i64)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        }
        .await;
        finish(tx, result).await
    }

    /// The live token of this kind with this hash (a refresh token rotated or not).
    pub async fn token(
        &self,
        token_hash: &str,
        kind: TokenKind,
        now: u64,
    ) -> Result<Option<Token>, Error> {
        sqlx::query(&format!(
            "SELECT {TOKEN} FROM oauth_tokens WHERE token_hash = $1 AND kind = $2 \
             AND expires_at > $3"
        ))
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(now as i64)
        .fetch_optional(&*self.db)
        .await?
        .map(|row| token(&row))
        .transpose()
    }

    /// Keeps a consent page's request (JSON) under `id` until `expires_at`, and forgets
    /// expired ones, and the oldest past [`MAX_PENDING`] (anyone may open consent pages).
    pub async fn add_pending(
        &self,
        id: &str,
        request: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Error> {
        self.add_pending_within(id, request, expires_at, now, MAX_PENDING)
            .await
    }

    async fn add_pending_within(
        &self,
        id: &str,
        request: &str,
        expires_at: u64,
        now: u64,
        max: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            sqlx::query("DELETE FROM oauth_pending WHERE expires_at <= $1")
                .bind(now as i64)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM oauth_pending WHERE expires_at <= (SELECT expires_at \
                 FROM oauth_pending ORDER BY expires_at DESC LIMIT 1 OFFSET $1)",
            )
            .bind(max - 1)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO oauth_pending (id, request, expires_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(request)
                .bind(expires_at as i64)
                .execute(&mut *tx)
                .await?;
            Ok(())
        }
        .await;
        finish(tx, result).await
    }

    /// The request kept under `id`, forgotten as it is returned (once, on any instance);
    /// `None` if the id is unknown, was used or expired.
    pub async fn take_pending(&self, id: &str, now: u64) -> Result<Option<String>, Error> {
        sqlx::query("DELETE FROM oauth_pending WHERE id = $1 RETURNING request, expires_at")
            .bind(id)
            .fetch_optional(&*self.db)
            .await?
            .filter(|row| {
                row.try_get::<i64, _>("expires_at")
                    .is_ok_and(|at| at > now as i64)
            })
            .map(|row| row.try_get("request"))
            .transpose()
    }
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn code(row: &AnyRow) -> Result<Code, Error> {
    Ok(Code {
        grant: row.try_get("grant_id")?,
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        user: row.try_get("username")?,
        scope: words(&row.try_get::<String, _>("scope")?),
        code_challenge: row.try_get("code_challenge")?,
        resource: row.try_get("resource")?,
        expires_at: row.try_get::<i64, _>("expires_at")? as u64,
        used_at: row
            .try_get::<Option<i64>, _>("used_at")?
            .map(|at| at as u64),
    })
}

fn token(row: &AnyRow) -> Result<Token, Error> {
    Ok(Token {
        grant: row.try_get("grant_id")?,
        kind: match row.try_get::<String, _>("kind")?.as_str() {
            "access" => TokenKind::Access,
            _ => TokenKind::Refresh,
        },
        client_id: row.try_get("client_id")?,
        user: row.try_get("username")?,
        scope: words(&row.try_get::<String, _>("scope")?),
        resource: row.try_get("resource")?,
        expires_at: row.try_get::<i64, _>("expires_at")? as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::TestDatabase;

    fn a_code(expires_at: u64) -> Code {
        Code {
            grant: "grant-1".into(),
            client_id: "client".into(),
            redirect_uri: "https://example.com/callback".into(),
            user: "alice".into(),
            scope: vec!["todos".into(), "offline_access".into()],
            code_challenge: None,
            resource: Some("https://todo.example.com/mcp".into()),
            expires_at,
            used_at: None,
        }
    }

    fn a_token(kind: TokenKind) -> Token {
        Token {
            grant: "grant-1".into(),
            kind,
            client_id: "client".into(),
            user: "alice".into(),
            scope: vec!["todos".into()],
            resource: None,
            expires_at: 2000,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_code_is_used_once_even_concurrently() {
        let database = TestDatabase::new("grants-code").await;
        let grants = Grants::new(database.open().await);
        grants.add_code("hash", &a_code(2000), 1000).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let grants = grants.clone();
                tokio::spawn(async move { grants.use_code("hash", 1000).await.unwrap() })
            })
            .collect();
        let mut fresh = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Lookup::Fresh(code) => fresh.push(code),
                other => assert_eq!(other, Lookup::Replayed),
            }
        }
        let used = Code {
            used_at: Some(1000),
            ..a_code(2000)
        };
        assert_eq!(fresh, std::slice::from_ref(&used));
        assert_eq!(grants.code("hash", 1000).await.unwrap(), Some(used));
        assert_eq!(
            grants.use_code("hash", 2000).await.unwrap(),
            Lookup::Unknown
        );
        assert_eq!(
            grants.use_code("other", 1000).await.unwrap(),
            Lookup::Unknown
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_refresh_token_rotates_once_and_a_replay_revokes_the_grant() {
        let database = TestDatabase::new("grants-refresh").await;
        let grants = Grants::new(database.open().await);
        let tokens = [
            ("access".to_owned(), a_token(TokenKind::Access)),
            ("refresh".to_owned(), a_token(TokenKind::Refresh)),
        ];
        grants.add_tokens(&tokens, 1000).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let grants = grants.clone();
                tokio::spawn(async move { grants.rotate_refresh("refresh", 1000).await.unwrap() })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let fresh = outcomes
            .iter()
            .filter(|o| matches!(o, Lookup::Fresh(_)))
            .count();
        assert_eq!(fresh, 1, "{outcomes:?}");
        // The losers were replays: the grant is gone, the refresh token with it.
        assert!(outcomes.contains(&Lookup::Replayed));
        let access = grants
            .token("access", TokenKind::Access, 1000)
            .await
            .unwrap();
        assert_eq!(access, None);
        let refresh = grants
            .token("refresh", TokenKind::Refresh, 1000)
            .await
            .unwrap();
        assert_eq!(refresh, None);
    }

    #[tokio::test]
    async fn rotating_ends_the_access_tokens_of_the_grant_only() {
        let database = TestDatabase::new("grants-rotate").await;
        let grants = Grants::new(database.open().await);
        let mut other = a_token(TokenKind::Access);
        other.grant = "grant-2".into();
        let tokens = [
            ("access".to_owned(), a_token(TokenKind::Access)),
            ("refresh".to_owned(), a_token(TokenKind::Refresh)),
            ("other".to_owned(), other.clone()),
        ];
        grants.add_tokens(&tokens, 1000).await.unwrap();
        let rotated = grants.rotate_refresh("refresh", 1000).await.unwrap();
        assert_eq!(rotated, Lookup::Fresh(a_token(TokenKind::Refresh)));
        let access = grants
            .token("access", TokenKind::Access, 1000)
            .await
            .unwrap();
        assert_eq!(access, None);
        let kept = grants
            .token("other", TokenKind::Access, 1000)
            .await
            .unwrap();
        assert_eq!(kept, Some(other));
        // A token of the wrong kind, or expired, is not found.
        let expired = grants
            .token("other", TokenKind::Access, 2000)
            .await
            .unwrap();
        assert_eq!(expired, None);
        let wrong_kind = grants
            .token("other", TokenKind::Refresh, 1000)
            .await
            .unwrap();
        assert_eq!(wrong_kind, None);
    }

    #[tokio::test]
    async fn clients_are_kept_up_to_the_limit_and_survive_reopening() {
        let database = TestDatabase::new("grants-clients").await;
        let grants = Grants::new(database.open().await);
        let client = Registered {
            secret_hash: None,
            name: Some("Claude".into()),
            redirect_uris: vec!["https://claude.ai/api/mcp/auth_callback".into()],
            scope: Some(vec!["todos".into()]),
            issued_at: 1000,
        };
        assert!(grants.register("one", &client, 2).await.unwrap());
        assert!(grants.register("two", &client, 2).await.unwrap());
        assert!(!grants.register("three", &client, 2).await.unwrap());
        grants.db.close().await;
        drop(grants);
        let grants = Grants::new(database.open().await);
        assert_eq!(grants.client("one").await.unwrap(), Some(client));
        assert_eq!(grants.client("three").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_pending_request_is_taken_once_and_before_it_expires() {
        let database = TestDatabase::new("grants-pending").await;
        let grants = Grants::new(database.open().await);
        grants.add_pending("id", "{}", 1600, 1000).await.unwrap();
        assert_eq!(
            grants.take_pending("id", 1000).await.unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(grants.take_pending("id", 1000).await.unwrap(), None);
        grants.add_pending("late", "{}", 1600, 1000).await.unwrap();
        assert_eq!(grants.take_pending("late", 1600).await.unwrap(), None);
        assert_eq!(grants.take_pending("made-up", 1000).await.unwrap(), None);
    }

    #[tokio::test]
    async fn past_the_limit_the_oldest_pending_requests_go() {
        let database = TestDatabase::new("grants-pending-limit").await;
        let grants = Grants::new(database.open().await);
        for (id, expires_at) in [("a", 1600), ("b", 1601), ("c", 1602)] {
            grants
                .add_pending_within(id, "{}", expires_at, 1000, 2)
                .await
                .unwrap();
        }
        assert_eq!(grants.take_pending("a", 1000).await.unwrap(), None);
        assert!(grants.take_pending("b", 1000).await.unwrap().is_some());
        assert!(grants.take_pending("c", 1000).await.unwrap().is_some());
    }
}
