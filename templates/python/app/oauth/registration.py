"""Dynamic client registration (RFC 7591): what `POST /oauth/register` accepts.

A registration is a JSON object of at most `MAX_REGISTRATION_BYTES`. Its `redirect_uris` must be
https or loopback (`redirect.registrable`); the other fields take their RFC 7591 defaults; unknown
fields are ignored. A confidential client gets a secret, stored hashed.
"""

import json
from dataclasses import dataclass
from typing import Any

from app.body import parse_json
from app.oauth.form import split_whitespace
from app.oauth.redirect import registrable

MAX_REGISTRATION_BYTES = 16 * 1024
"""The largest registration body read."""
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_CHARS = 2000
MAX_CLIENT_NAME_CHARS = 200

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
APPLICATION_TYPES = ("web", "native")
OFFLINE_ACCESS = "offline_access"
"""The scope that asks for a refresh token."""


@dataclass(frozen=True)
class Registration:
    """A client's registration (RFC 7591), as accepted: what the 201 body repeats."""

    client_id_issued_at: int
    """When it registered, in Unix seconds."""
    client_name: str | None
    """The name the consent page shows."""
    redirect_uris: list[str]
    """Where its codes may be sent (exact match)."""
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    """`none` (a public client), `client_secret_basic` or `client_secret_post`."""
    application_type: str
    scope: str | None
    """The scopes it may ask for, space-separated; `None` for any."""


class RegistrationError(Exception):
    """A refused registration, as RFC 7591 (3.2.2) answers it."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _metadata(description: str) -> RegistrationError:
    return RegistrationError("invalid_client_metadata", description)


def parse_registration(body: bytes, plugin_scope: list[str], now: int) -> Registration:
    """The client `body` registers (without its id and secret). Raises `RegistrationError`."""
    try:
        fields = parse_json(body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise _metadata("the body must be a JSON object")

    uris = fields.get("redirect_uris")
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
        raise RegistrationError(
            "invalid_redirect_uri",
            f"redirect_uris must be an array of 1 to {MAX_REDIRECT_URIS} URIs",
        )
    for uri in uris:
        if not isinstance(uri, str) or len(uri) > MAX_REDIRECT_URI_CHARS or not registrable(uri):
            raise RegistrationError(
                "invalid_redirect_uri",
                f"{json.dumps(uri)} is not an https URI or an http URI on loopback (at most "
                f"{MAX_REDIRECT_URI_CHARS} characters, no user info or fragment)",
            )

    method = _choice(fields, "token_endpoint_auth_method", AUTH_METHODS, "client_secret_basic")
    application_type = _choice(fields, "application_type", APPLICATION_TYPES, "web")
    grant_types = _strings(fields, "grant_types", ["authorization_code"])
    if not grant_types or not set(grant_types) <= set(GRANT_TYPES):
        raise _metadata(f"grant_types must be some of {', '.join(GRANT_TYPES)}")
    response_types = _strings(fields, "response_types", ["code"])
    if response_types != ["code"]:
        raise _metadata('response_types must be ["code"]')
    name = fields.get("client_name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_CLIENT_NAME_CHARS):
        raise _metadata(
            f"client_name must be a string of at most {MAX_CLIENT_NAME_CHARS} characters"
        )
    scope = fields.get("scope")
    if scope is not None:
        if not isinstance(scope, str):
            raise _metadata("scope must be a string of space-separated scopes")
        allowed = [*plugin_scope, OFFLINE_ACCESS]
        unknown = [s for s in split_whitespace(scope) if s not in allowed]
        if unknown:
            raise _metadata(f"this plugin does not grant the scope `{unknown[0]}`")
    return Registration(
        client_id_issued_at=now,
        client_name=name,
        redirect_uris=list(uris),
        grant_types=grant_types,
        response_types=response_types,
        token_endpoint_auth_method=method,
        application_type=application_type,
        scope=scope,
    )


def registration_response(
    client_id: str, secret: str | None, client: Registration
) -> dict[str, Any]:
    """The 201 body: the client's id (and secret) and its accepted metadata, in RFC 7591's
    order."""
    body: dict[str, Any] = {
        "client_id": client_id,
        "client_id_issued_at": client.client_id_issued_at,
    }
    if secret is not None:
        body["client_secret"] = secret
        body["client_secret_expires_at"] = 0
    if client.client_name is not None:
        body["client_name"] = client.client_name
    body["redirect_uris"] = client.redirect_uris
    body["grant_types"] = client.grant_types
    body["response_types"] = client.response_types
    body["token_endpoint_auth_method"] = client.token_endpoint_auth_method
    body["application_type"] = client.application_type
    if client.scope is not None:
        body["scope"] = client.scope
    return body


def _choice(fields: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = fields.get(name, default)
    if value not in allowed:
        raise _metadata(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def _strings(fields: dict[str, Any], name: str, default: list[str]) -> list[str]:
    value = fields.get(name, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _metadata(f"{name} must be an array of strings")
    return list(value)
