"""What the authorization server keeps, in the database (`app/db.py`): registered clients, codes,
tokens and the consent requests waiting for an answer.

Only SHA-256 hashes of codes, tokens and client secrets are stored, so the database does not hand
out access if it leaks. Every code and token belongs to a grant (one approval by one user);
replaying a used code (other than a client's quick retry, see `Grants.use_code`) or a rotated
refresh token revokes every token of its grant. Using a code and rotating a refresh token are
each one atomic statement, so of concurrent attempts exactly one wins.
"""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from app.db import Database, Query, Row
from app.store import take_quota


@dataclass(frozen=True)
class Code:
    """What an approved authorization request becomes: kept until the code is exchanged."""

    grant: str
    """The grant the code starts."""
    client_id: str
    """The client it was issued to."""
    redirect_uri: str
    """The `redirect_uri` it was sent to; the exchange must name the same one."""
    user: str
    """The user who approved."""
    scope: list[str]
    """The scopes granted."""
    code_challenge: str | None
    """The PKCE `code_challenge` (S256), when the client sent one."""
    resource: str | None
    """The resource (RFC 8707) the tokens will be bound to, when the request named one."""
    expires_at: int
    """Unix seconds after which the code is worthless."""
    used_at: int | None = None
    """When it was first exchanged; a second exchange is a replay."""


@dataclass(frozen=True)
class Token:
    """An issued token."""

    grant: str
    """The grant it belongs to."""
    kind: Literal["access", "refresh"]
    """Access (sent as `Authorization: Bearer` to the API) or refresh (exchanged for a new
    pair at the token endpoint)."""
    client_id: str
    """The client it was issued to."""
    user: str
    """The user it acts for."""
    scope: list[str]
    """The scopes granted."""
    resource: str | None
    """The resource (RFC 8707) it is bound to: `PUBLIC_URL/mcp` or `PUBLIC_URL`; `None` for
    both."""
    expires_at: int
    """Unix seconds after which the token is worthless."""
    rotated: bool = False
    """A refresh token that was already exchanged: presenting it again is a replay."""


@dataclass(frozen=True)
class Client:
    """A client registered at `/oauth/register` (RFC 7591)."""

    secret_hash: str | None
    """The SHA-256 of its secret; `None` for a public client."""
    client_name: str | None
    """The name the consent page shows."""
    redirect_uris: list[str]
    """Where its codes may be sent (exact match)."""
    scope: str | None
    """The scopes it may ask for, space-separated; `None` for any."""
    issued_at: int
    """When it registered, in Unix seconds."""


RETRY_SECONDS = 60
"""How long after a code's exchange the same client may post it again without revoking."""
MAX_CLIENTS = 1000
"""The most registered clients; delete some from `oauth_clients` (and lower the `oauth:clients`
row of `quotas`) to register more."""
PENDING_LIFETIME = 10 * 60
"""How long a consent page can be answered, in seconds."""
MAX_PENDING = 10_000
"""How many consent requests are kept at most: anyone may open consent pages."""


class Refused(Enum):
    """Why a code or refresh token could not be used."""

    REPLAYED = "replayed"
    """Used before: a replay. Every token of its grant is now revoked."""
    RETRIED = "retried"
    """Used before, by the same client proving the same things, moments ago: a retry. Nothing
    is revoked."""
    UNKNOWN = "unknown"
    """No such live code or token."""


_CODE = "grant_id, client_id, redirect_uri, username, scope, code_challenge, resource, expires_at"
_TOKEN = "grant_id, kind, client_id, username, scope, resource, expires_at, rotated"


def _code(row: Row) -> Code:
    grant, client_id, redirect_uri, user, scope, *rest = row
    return Code(grant, client_id, redirect_uri, user, scope.split(), *rest)


def _token(row: Row) -> Token:
    grant, kind, client_id, user, scope, resource, expires_at, rotated = row
    return Token(grant, kind, client_id, user, scope.split(), resource, expires_at, bool(rotated))


def _prune(query: Query, now: int) -> None:
    """Forgets what has expired, so the tables do not grow forever."""
    for table in ("oauth_codes", "oauth_tokens", "oauth_pending"):
        query(f"DELETE FROM {table} WHERE expires_at <= ?", now)


class Grants:
    """The persistent clients, codes, tokens and consent requests. Safe to share between
    threads. Every method raises `app.db.DatabaseError` if the database fails."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_code(self, code_hash: str, code: Code, now: int) -> None:
        """Keeps `code` under the hash of the code handed out."""
        with self._db.transaction() as query:
            _prune(query, now)
            query(
                f"INSERT INTO oauth_codes (code_hash, {_CODE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                code_hash,
                code.grant,
                code.client_id,
                code.redirect_uri,
                code.user,
                " ".join(code.scope),
                code.code_challenge,
                code.resource,
                code.expires_at,
            )

    def use_code(
        self, code_hash: str, now: int, is_retry: Callable[[Code], bool]
    ) -> Code | Refused:
        """Marks the code used and returns it. A code used before is refused: as a retry
        (nothing revoked) if `is_retry(code)` says the request is its first exchange's client
        proving the same things, within `RETRY_SECONDS` of it; else as a replay, which revokes
        the grant's tokens."""
        used = self._db.query(
            f"UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND expires_at > ? "
            f"AND used_at IS NULL RETURNING {_CODE}, used_at",
            now,
            code_hash,
            now,
        )
        if used:
            return _code(used[0])
        code = self.code(code_hash)
        if code is None or code.expires_at <= now or code.used_at is None:
            return Refused.UNKNOWN
        if now - code.used_at <= RETRY_SECONDS and is_retry(code):
            return Refused.RETRIED
        self._db.query("DELETE FROM oauth_tokens WHERE grant_id = ?", code.grant)
        return Refused.REPLAYED

    def rotate_refresh(self, token_hash: str, now: int) -> Token | Refused:
        """Marks a refresh token rotated and returns it, ending the access tokens issued with
        it; a replay revokes its grant."""
        with self._db.transaction() as query:
            rotated = query(
                f"UPDATE oauth_tokens SET rotated = TRUE WHERE token_hash = ? AND kind = 'refresh' "
                f"AND expires_at > ? AND NOT rotated RETURNING {_TOKEN}",
                token_hash,
                now,
            )
            if rotated:
                token = _token(rotated[0])
                query(
                    "DELETE FROM oauth_tokens WHERE grant_id = ? AND kind = 'access'", token.grant
                )
                return token
            found = query(
                f"SELECT {_TOKEN} FROM oauth_tokens WHERE token_hash = ? AND kind = 'refresh' "
                "AND expires_at > ?",
                token_hash,
                now,
            )
            if not found:
                return Refused.UNKNOWN
            query("DELETE FROM oauth_tokens WHERE grant_id = ?", _token(found[0]).grant)
            return Refused.REPLAYED

    def add_tokens(self, tokens: list[tuple[str, Token]], now: int) -> None:
        """Keeps new tokens under their hashes."""
        with self._db.transaction() as query:
            _prune(query, now)
            for token_hash, t in tokens:
                query(
                    f"INSERT INTO oauth_tokens (token_hash, {_TOKEN}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    token_hash,
                    t.grant,
                    t.kind,
                    t.client_id,
                    t.user,
                    " ".join(t.scope),
                    t.resource,
                    t.expires_at,
                    t.rotated,
                )

    def access_token(self, token_hash: str, now: int) -> Token | None:
        """The live access token with this hash."""
        token = self.token(token_hash)
        if token is None or token.kind != "access" or token.expires_at <= now:
            return None
        return token

    def register(self, client_id: str, client: Client) -> bool:
        """Keeps a registered client; `False` (and nothing kept) when `MAX_CLIENTS` are."""
        with self._db.transaction() as query:
            if not take_quota(query, "oauth:clients", MAX_CLIENTS):
                return False
            query(
                "INSERT INTO oauth_clients (client_id, secret_hash, client_name, redirect_uris, "
                "scope, issued_at) VALUES (?, ?, ?, ?, ?, ?)",
                client_id,
                client.secret_hash,
                client.client_name,
                json.dumps(client.redirect_uris),
                client.scope,
                client.issued_at,
            )
        return True

    def client(self, client_id: str) -> Client | None:
        """The registered client with this id."""
        rows = self._db.query(
            "SELECT secret_hash, client_name, redirect_uris, scope, issued_at FROM oauth_clients "
            "WHERE client_id = ?",
            client_id,
        )
        if not rows:
            return None
        secret, name, uris, scope, issued_at = rows[0]
        return Client(secret, name, json.loads(uris), scope, issued_at)

    def code(self, code_hash: str) -> Code | None:
        """The code with this hash, used or not, as it is now."""
        rows = self._db.query(
            f"SELECT {_CODE}, used_at FROM oauth_codes WHERE code_hash = ?", code_hash
        )
        return _code(rows[0]) if rows else None

    def token(self, token_hash: str) -> Token | None:
        """The token with this hash, as it is now."""
        rows = self._db.query(f"SELECT {_TOKEN} FROM oauth_tokens WHERE token_hash = ?", token_hash)
        return _token(rows[0]) if rows else None

    def add_pending(self, request: str, now: int, limit: int = MAX_PENDING) -> str:
        """Keeps a consent request (JSON) for `PENDING_LIFETIME` seconds; the unguessable id
        its form carries. Past `limit` kept, the oldest go (anyone may open consent pages)."""
        request_id = secrets.token_urlsafe(32)
        with self._db.transaction() as query:
            _prune(query, now)
            query(
                "DELETE FROM oauth_pending WHERE expires_at <= (SELECT expires_at"
                " FROM oauth_pending ORDER BY expires_at DESC LIMIT 1 OFFSET ?)",
                limit - 1,
            )
            query(
                "INSERT INTO oauth_pending (id, request, expires_at) VALUES (?, ?, ?)",
                request_id,
                request,
                now + PENDING_LIFETIME,
            )
        return request_id

    def take_pending(self, request_id: str, now: int) -> str | None:
        """The request kept under `request_id`, deleted as it is returned; `None` if the id is
        unknown, was used or expired."""
        rows = self._db.query(
            "DELETE FROM oauth_pending WHERE id = ? AND expires_at > ? RETURNING request",
            request_id,
            now,
        )
        return str(rows[0][0]) if rows else None
