"""Codes and tokens of the authorization server, kept in one JSON file beside `DATA_PATH`.

Only SHA-256 hashes of codes, tokens and client secrets are stored, so the file does not hand
out access if it leaks. Every code and token belongs to a grant (one approval by one user);
replaying a used code (other than a client's quick retry, see `Grants.use_code`) or a rotated
refresh token revokes every token of its grant. The clients registered at `/oauth/register` are
kept here too; files written before they existed still load.

The file is written as the TODO store is (atomically, concurrent changes written together:
see `json_file.py`) and has the same format as the Rust stack's, so the two can share one.
"""

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, field_serializer

from app.json_file import JsonFile


class Code(BaseModel, strict=True, frozen=True):
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
    code_challenge: str | None = None
    """The PKCE `code_challenge` (S256), when the client sent one."""
    resource: str | None = None
    """The resource (RFC 8707) the tokens will be bound to, when the request named one."""
    expires_at: int = Field(ge=0)
    """Unix seconds after which the code is worthless."""
    used: bool
    """Set once exchanged: a second exchange is a replay."""
    used_at: int | None = None
    """When it was first exchanged."""


class Token(BaseModel, strict=True, frozen=True):
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
    resource: str | None = None
    """The resource (RFC 8707) it is bound to: `PUBLIC_URL/mcp` or `PUBLIC_URL`; `None` for
    both."""
    expires_at: int = Field(ge=0)
    """Unix seconds after which the token is worthless."""
    rotated: bool
    """A refresh token that was already exchanged: presenting it again is a replay."""


class Client(BaseModel, strict=True, frozen=True):
    """A client registered at `/oauth/register` (RFC 7591), as it registered."""

    secret_hash: str | None = None
    """The SHA-256 of its secret; `None` for a public client."""
    client_id_issued_at: int = Field(ge=0)
    """When it registered, in Unix seconds."""
    client_name: str | None = None
    """The name the consent page shows."""
    redirect_uris: list[str]
    """Where its codes may be sent (exact match)."""
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    """`none` (a public client), `client_secret_basic` or `client_secret_post`."""
    application_type: str
    scope: str | None = None
    """The scopes it may ask for, space-separated; `None` for any."""


class _Data(BaseModel, strict=True):
    """What the file holds."""

    clients: dict[str, Client] = Field(default_factory=dict)
    """Registered clients by client id."""
    codes: dict[str, Code] = Field(default_factory=dict)
    """Codes by the hash of the code."""
    tokens: dict[str, Token] = Field(default_factory=dict)
    """Tokens by the hash of the token."""

    @field_serializer("clients", "codes", "tokens", mode="wrap")
    def _sorted(
        self, entries: dict[str, Any], serialize: SerializerFunctionWrapHandler
    ) -> dict[str, Any]:
        """Written sorted by hash, as the Rust stack writes them."""
        return dict(sorted(serialize(entries).items()))

    def prune(self, now: int) -> None:
        """Forgets what has expired, so the file does not grow forever."""
        self.codes = {key: code for key, code in self.codes.items() if code.expires_at > now}
        self.tokens = {key: token for key, token in self.tokens.items() if token.expires_at > now}

    def revoke(self, grant: str) -> None:
        """Removes every token of `grant`."""
        self.tokens = {key: token for key, token in self.tokens.items() if token.grant != grant}


def _copy(data: _Data) -> _Data:
    """A copy for a change to work on. Codes and tokens are frozen, so changes replace them and
    a copy of the two maps is enough."""
    return data.model_copy(
        update={
            "clients": dict(data.clients),
            "codes": dict(data.codes),
            "tokens": dict(data.tokens),
        }
    )


RETRY_SECONDS = 60
"""How long after a code's exchange the same client may post it again without revoking."""
MAX_CLIENTS = 1000
"""The most registered clients; delete some from the grants file to register more."""


class Refused(Enum):
    """Why a code or refresh token could not be used."""

    REPLAYED = "replayed"
    """Used before: a replay. Every token of its grant is now revoked."""
    RETRIED = "retried"
    """Used before, by the same client proving the same things, moments ago: a retry. Nothing
    is revoked."""
    UNKNOWN = "unknown"
    """No such live code or token."""


def grants_path(data_path: Path) -> Path:
    """Where the grants are kept: beside `DATA_PATH`, with the extension `.oauth.json`
    (`data/todos.json`: `data/todos.oauth.json`)."""
    name = data_path.name
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    return data_path.with_name(f"{stem}.oauth.json")


class Grants:
    """The persistent codes and tokens. Safe to share between threads."""

    def __init__(self, file: JsonFile[_Data]) -> None:
        self._file = file

    @classmethod
    def open(cls, path: Path) -> "Grants":
        """Opens the file at `path`, or starts empty if it does not exist yet. A file that
        exists but cannot be read is an error (`app.json_file.StoreError`): it is never silently
        replaced."""
        return cls(JsonFile.open(path, "OAuth store", _Data(), _copy))

    def add_code(self, code_hash: str, code: Code, now: int) -> None:
        """Keeps `code` under the hash of the code handed out."""

        def add(data: _Data) -> None:
            data.prune(now)
            data.codes[code_hash] = code

        self._file.update(add)

    def use_code(
        self, code_hash: str, now: int, is_retry: Callable[[Code], bool]
    ) -> Code | Refused:
        """Marks the code used and returns it. A code used before is refused: as a retry
        (nothing revoked) if `is_retry(code)` says the request is its first exchange's client
        proving the same things, within `RETRY_SECONDS` of it; else as a replay, which revokes
        the grant's tokens."""

        def use(data: _Data) -> Code | Refused:
            code = data.codes.get(code_hash)
            if code is None or code.expires_at <= now:
                return Refused.UNKNOWN
            if code.used:
                used_at = code.used_at
                if used_at is not None and now - used_at <= RETRY_SECONDS and is_retry(code):
                    return Refused.RETRIED
                data.revoke(code.grant)
                return Refused.REPLAYED
            used = code.model_copy(update={"used": True, "used_at": now})
            data.codes[code_hash] = used
            return used

        return self._file.update(use)

    def rotate_refresh(self, token_hash: str, now: int) -> Token | Refused:
        """Marks a refresh token rotated and returns it, ending the access tokens issued with
        it; a replay revokes its grant."""

        def rotate(data: _Data) -> Token | Refused:
            token = data.tokens.get(token_hash)
            if token is None or token.kind != "refresh" or token.expires_at <= now:
                return Refused.UNKNOWN
            if token.rotated:
                data.revoke(token.grant)
                return Refused.REPLAYED
            # The access tokens issued with it end with it.
            data.tokens = {
                key: t
                for key, t in data.tokens.items()
                if not (t.grant == token.grant and t.kind == "access")
            }
            rotated = token.model_copy(update={"rotated": True})
            data.tokens[token_hash] = rotated
            return rotated

        return self._file.update(rotate)

    def add_tokens(self, tokens: list[tuple[str, Token]], now: int) -> None:
        """Keeps new tokens under their hashes."""

        def add(data: _Data) -> None:
            data.prune(now)
            data.tokens.update(tokens)

        self._file.update(add)

    def access_token(self, token_hash: str, now: int) -> Token | None:
        """The live access token with this hash."""
        token = self._file.read(lambda data: data.tokens.get(token_hash))
        if token is None or token.kind != "access" or token.expires_at <= now:
            return None
        return token

    def register(self, client_id: str, client: Client) -> bool:
        """Keeps a registered client; `False` (and nothing kept) when `MAX_CLIENTS` are."""

        def add(data: _Data) -> bool:
            if len(data.clients) >= MAX_CLIENTS:
                return False
            data.clients[client_id] = client
            return True

        return self._file.update(add)

    def client(self, client_id: str) -> Client | None:
        """The registered client with this id."""
        return self._file.read(lambda data: data.clients.get(client_id))

    def code(self, code_hash: str) -> Code | None:
        """The code with this hash, used or not, as it is now."""
        return self._file.read(lambda data: data.codes.get(code_hash))

    def token(self, token_hash: str) -> Token | None:
        """The token with this hash, as it is now."""
        return self._file.read(lambda data: data.tokens.get(token_hash))
