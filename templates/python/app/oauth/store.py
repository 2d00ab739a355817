"""Codes and tokens of the authorization server, kept in one JSON file beside `DATA_PATH`.

Only SHA-256 hashes of codes and tokens are stored, so the file does not hand out access if it
leaks. Every code and token belongs to a grant (one approval by one user); replaying a used code
or a rotated refresh token revokes every token of its grant.

The file is written as the TODO store is (atomically, concurrent changes written together:
see `json_file.py`) and has the same format as the Rust stack's, so the two can share one.
"""

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
    expires_at: int = Field(ge=0)
    """Unix seconds after which the code is worthless."""
    used: bool
    """Set once exchanged: a second exchange is a replay."""


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
    expires_at: int = Field(ge=0)
    """Unix seconds after which the token is worthless."""
    rotated: bool
    """A refresh token that was already exchanged: presenting it again is a replay."""


class _Data(BaseModel, strict=True):
    """What the file holds."""

    codes: dict[str, Code] = Field(default_factory=dict)
    """Codes by the hash of the code."""
    tokens: dict[str, Token] = Field(default_factory=dict)
    """Tokens by the hash of the token."""

    @field_serializer("codes", "tokens", mode="wrap")
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
    return data.model_copy(update={"codes": dict(data.codes), "tokens": dict(data.tokens)})


class Refused(Enum):
    """Why a code or refresh token could not be used."""

    REPLAYED = "replayed"
    """Used before: a replay. Every token of its grant is now revoked."""
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

    def use_code(self, code_hash: str, now: int) -> Code | Refused:
        """Marks the code used and returns it; a replay revokes the grant's tokens."""

        def use(data: _Data) -> Code | Refused:
            code = data.codes.get(code_hash)
            if code is None or code.expires_at <= now:
                return Refused.UNKNOWN
            if code.used:
                data.revoke(code.grant)
                return Refused.REPLAYED
            used = code.model_copy(update={"used": True})
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
