"""The authorization server: what `/oauth/authorize`, `/oauth/token` and `/oauth/register`
decide, its metadata, and what an access token lets through (`app/oauth/routes.py` serves it).

Three kinds of client: the pre-registered one (`OAUTH_CLIENT_ID`, confidential, the GPT Action),
clients registered at `/oauth/register` (public or confidential), and clients whose id is the
URL of their metadata document (public). Public clients must use PKCE (S256).

Tokens are bound to the resource the client named (RFC 8707): `PUBLIC_URL/mcp` (the MCP
endpoint) or `PUBLIC_URL` (the REST API); a token issued without one works for both.

Secrets are compared in constant time (`hmac.compare_digest`), codes and tokens are 256 random
bits, and only their SHA-256 hashes are stored.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse, Response

from app.body import parse_json
from app.db import Database, DatabaseError
from app.oauth import page
from app.oauth.form import (
    RepeatedParameterError,
    form_value,
    parse_form,
    split_whitespace,
    trim,
)
from app.oauth.metadata_document import (
    MetadataDocumentError,
    MetadataDocuments,
    is_metadata_url,
)
from app.oauth.pending import LOCKOUT_SECONDS, WrongPasswords
from app.oauth.redirect import AllowList, host_of, registrable, with_params
from app.oauth.registration import (
    OFFLINE_ACCESS,
    RegistrationError,
    parse_registration,
    registration_response,
)
from app.oauth.store import RETRY_SECONDS, Client, Code, Grants, Refused, Token

CODE_LIFETIME = 5 * 60
"""How long a code may wait to be exchanged, in seconds."""
ACCESS_TOKEN_LIFETIME = 60 * 60
"""How long an access token works, in seconds."""
REFRESH_TOKEN_LIFETIME = 30 * 24 * 60 * 60
"""How long a refresh token works, in seconds."""

Clock = Callable[[], int]
"""The current time in Unix seconds; tests pass their own to let codes and tokens expire."""

# What a header value may hold to be read as text: visible ASCII, spaces and tabs.
_HEADER_TEXT = re.compile(r"[\t\x20-\x7e]*")
# A PKCE code challenge: 43 to 128 unreserved characters.
_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def system_clock() -> int:
    """The system clock."""
    return int(time.time())


@dataclass(frozen=True)
class Settings:
    """The server's OAuth settings (see `app/config.py`)."""

    client_id: str
    """`OAUTH_CLIENT_ID`."""
    client_secret: str = field(repr=False)
    """`OAUTH_CLIENT_SECRET`."""
    scope: list[str]
    """The scopes the plugin grants: the manifest's `auth.scope`."""
    users: tuple[tuple[str, str], ...] = field(repr=False)
    """`OAUTH_USERS`: (username, password) pairs for the sign-in page."""
    redirects: AllowList
    """Where codes for the pre-registered client may be sent."""
    public_url: str = "http://localhost"
    """`PUBLIC_URL`, canonical: the issuer, and the REST API's resource identifier."""
    allow_loopback_client_ids: bool = False
    """`OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`: metadata documents may be fetched from loopback."""

    @property
    def mcp_resource(self) -> str:
        """The MCP endpoint's resource identifier."""
        return f"{self.public_url}/mcp"

    @property
    def resources(self) -> tuple[str, str]:
        """The resource identifiers a token may be bound to."""
        return (self.mcp_resource, self.public_url)


class AccessRefusal(Enum):
    """Why an access token does not let a request through."""

    INVALID = "the bearer token is not valid"
    OTHER_RESOURCE = "the bearer token was issued for another resource"
    INSUFFICIENT_SCOPE = "the token was not granted the scope this plugin needs"


@dataclass(frozen=True)
class KnownClient:
    """A client the authorization endpoint recognised."""

    client_id: str
    name: str
    """Who the consent page says asks."""
    public: bool
    """Has no secret, so must use PKCE."""
    scope: list[str] | None
    """The scopes it registered for; `None` for any."""
    redirect_uris: tuple[str, ...] | None
    """Its exact redirect URIs; `None` for the pre-registered client's allow-list."""


class RefusalError(Exception):
    """Why an authorization request is refused, as the answer that tells the person."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def refusal_page(title: str, message: str) -> RefusalError:
    """Shown, never redirected: the client or redirect URI cannot be trusted."""
    return RefusalError(page.error(400, title, message))


def redirect(target: str) -> Response:
    """A 303 See Other to `target`."""
    # Starlette sends header values as Latin-1: this sends the UTF-8 bytes of `target` as they
    # are (Starlette's `RedirectResponse` would also percent-quote some of them).
    return Response(status_code=303, headers={"Location": target.encode().decode("latin-1")})


@dataclass(frozen=True)
class AuthRequest:
    """An authorization request that passed every check."""

    client_id: str
    client_name: str
    redirect_uri: str
    state: str | None
    """Absent only when PKCE protects the request instead."""
    scope: list[str]
    code_challenge: str | None
    resource: str | None


@dataclass(frozen=True)
class Grant:
    """What a code or refresh token stands for, to issue tokens for."""

    grant: str
    user: str
    scope: list[str]
    resource: str | None


class TokenError(Exception):
    """A token endpoint error (RFC 6749, 5.2)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    @classmethod
    def request(cls, description: str) -> "TokenError":
        return cls(400, "invalid_request", description)

    @classmethod
    def grant(cls, description: str) -> "TokenError":
        return cls(400, "invalid_grant", description)

    @classmethod
    def client(cls, description: str) -> "TokenError":
        return cls(401, "invalid_client", description)

    @classmethod
    def target(cls, description: str) -> "TokenError":
        return cls(400, "invalid_target", description)

    def response(self) -> JSONResponse:
        body = {"error": self.code, "error_description": self.description}
        # The token endpoint authenticates clients with HTTP Basic (or the body).
        headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


class OAuth:
    """The authorization server. Safe to share between threads."""

    def __init__(self, settings: Settings, grants: Grants, clock: Clock, plugin: str) -> None:
        self.settings = settings
        self.grants = grants
        self.clock = clock
        self.plugin = plugin
        self.wrong_passwords = WrongPasswords()
        self.documents = MetadataDocuments(settings.allow_loopback_client_ids)

    @classmethod
    def open(cls, settings: Settings, db: Database, clock: Clock, plugin: str) -> "OAuth":
        """The server for the plugin called `plugin`, keeping its grants in `db`."""
        return cls(settings, Grants(db), clock, plugin)

    @property
    def issuer(self) -> str:
        return self.settings.public_url

    def protected_resource_metadata(self) -> dict[str, Any]:
        """The MCP endpoint's protected resource metadata (RFC 9728)."""
        return {
            "resource": self.settings.mcp_resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": [*self.settings.scope, OFFLINE_ACCESS],
            "bearer_methods_supported": ["header"],
            "resource_name": self.plugin,
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """This authorization server's metadata (RFC 8414)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/oauth/authorize",
            "token_endpoint": f"{self.issuer}/oauth/token",
            "registration_endpoint": f"{self.issuer}/oauth/register",
            "scopes_supported": [*self.settings.scope, OFFLINE_ACCESS],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }

    def access(self, access_token: str, resource: str) -> str | AccessRefusal:
        """The user a live access token acts for at `resource` (`Settings.resources`), or why
        it does not let the request through."""
        token = self.grants.access_token(secret_hash(access_token), self.clock())
        if token is None:
            return AccessRefusal.INVALID
        if token.resource is not None and token.resource != resource:
            return AccessRefusal.OTHER_RESOURCE
        if not all(s in token.scope for s in self.settings.scope):
            return AccessRefusal.INSUFFICIENT_SCOPE
        return token.user

    def register(self, body: bytes) -> dict[str, Any]:
        """Registers a client (RFC 7591); the 201 body. Raises `RegistrationError`, and
        `DatabaseError` if it cannot be stored."""
        now = self.clock()
        client = parse_registration(body, self.settings.scope, now)
        client_id = f"mcp-{secrets.token_urlsafe(24)}"
        secret = None if client.token_endpoint_auth_method == "none" else random_token()
        stored = Client(
            secret_hash=None if secret is None else secret_hash(secret),
            client_name=client.client_name,
            redirect_uris=client.redirect_uris,
            scope=client.scope,
            issued_at=client.client_id_issued_at,
        )
        if not self.grants.register(client_id, stored):
            raise RegistrationError(
                "invalid_client_metadata",
                "this server is full: it keeps at most 1000 registered clients (its operator "
                "can remove some from the database)",
            )
        return registration_response(client_id, secret, client)

    async def find_client(self, client_id: str) -> KnownClient:
        """The client of an authorization request: the pre-registered one, a registered one, or
        the one a metadata document describes (fetched here). Raises `RefusalError`."""
        if same_secret(client_id, self.settings.client_id):
            return KnownClient(
                client_id=client_id,
                name="the pre-registered client (OAUTH_CLIENT_ID)",
                public=False,
                scope=None,
                redirect_uris=None,
            )
        registered = self.grants.client(client_id)
        if registered is not None:
            return KnownClient(
                client_id=client_id,
                name=registered.client_name or client_id,
                public=registered.secret_hash is None,
                scope=None if registered.scope is None else split_whitespace(registered.scope),
                redirect_uris=tuple(registered.redirect_uris),
            )
        if is_metadata_url(client_id, self.settings.allow_loopback_client_ids):
            try:
                document = await self.documents.get(client_id, self.clock())
            except MetadataDocumentError as error:
                raise refusal_page("Client metadata document refused", str(error)) from None
            return KnownClient(
                client_id=client_id,
                name=document.client_name or client_id,
                public=True,
                scope=None,
                redirect_uris=document.redirect_uris,
            )
        raise refusal_page(
            "Unknown client",
            f"The client id `{client_id}` is not this plugin's client (OAUTH_CLIENT_ID), a "
            "registered client, or the https URL of a client metadata document.",
        )

    def canonical_resource(self, resource: str) -> str | None:
        """`resource` as one of `Settings.resources`, if it names one: compared with the
        scheme and host in lower case, without a default port or a trailing `/`. A query or a
        fragment names none (RFC 8707, 2)."""
        try:
            parts = urlsplit(resource)
            port = parts.port
        except ValueError:
            return None
        if "#" in resource or "?" in resource or not parts.hostname or "@" in parts.netloc:
            return None
        default = {"http": 80, "https": 443}.get(parts.scheme)
        if default is None:
            return None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        authority = host if port in (None, default) else f"{host}:{port}"
        canonical = f"{parts.scheme}://{authority}{parts.path}".rstrip("/")
        return canonical if canonical in self.settings.resources else None

    async def check(self, params: Mapping[str, str], repeated: str | None = None) -> AuthRequest:
        """Checks an authorization request (`repeated`: a parameter it gives more than once).
        A bad client or redirect URI is an error page; any other problem is a redirect with an
        `error`, as RFC 6749 (4.1.2.1) asks. Raises `RefusalError`."""

        def param(name: str) -> str | None:
            return params.get(name) or None

        client = await self.find_client(param("client_id") or "")
        asked_redirect = param("redirect_uri")
        if asked_redirect is None:
            raise refusal_page("Missing redirect URI", "The request has no redirect_uri.")
        redirect_uri: str = asked_redirect
        if client.redirect_uris is None and not self.settings.redirects.allows(redirect_uri):
            raise refusal_page(
                "Redirect URI not allowed",
                f"`{redirect_uri}` is not ChatGPT's or Claude's OAuth callback, a loopback URL, "
                "or one of OAUTH_REDIRECT_URIS.",
            )
        if client.redirect_uris is not None and (
            redirect_uri not in client.redirect_uris or not registrable(redirect_uri)
        ):
            raise refusal_page(
                "Redirect URI not allowed",
                f"`{redirect_uri}` is not one of the redirect URIs of the client "
                f"`{client.client_id}`.",
            )
        state = param("state")

        def refuse(error: str, description: str) -> RefusalError:
            query = [("error", error), ("error_description", description)]
            if state is not None:
                query.append(("state", state))
            query.append(("iss", self.issuer))
            return RefusalError(redirect(with_params(redirect_uri, query)))

        if repeated is not None:
            raise refuse("invalid_request", f"the parameter `{repeated}` is given more than once")
        if param("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        asked_resource = param("resource")
        resource = None
        if asked_resource is not None:
            resource = self.canonical_resource(asked_resource)
            if resource is None:
                raise refuse(
                    "invalid_target",
                    f"resource must be {self.settings.mcp_resource} or {self.issuer}",
                )
        allowed = [*self.settings.scope, OFFLINE_ACCESS]
        if client.scope is not None:
            allowed = [s for s in allowed if s in client.scope]
        asked = param("scope")
        if asked is None:
            scope = list(self.settings.scope) if client.scope is None else list(client.scope)
        else:
            scope = split_whitespace(asked)
            if not all(s in allowed for s in scope):
                raise refuse("invalid_scope", "this plugin does not grant that scope")
        challenge, method = param("code_challenge"), param("code_challenge_method")
        if challenge is None and method is not None:
            raise refuse("invalid_request", "code_challenge_method without code_challenge")
        if challenge is not None and method != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if challenge is not None and not _CHALLENGE.fullmatch(challenge):
            raise refuse(
                "invalid_request",
                "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            )
        # Without PKCE, `state` is what protects the client from a forged redirect (OAuth 2.1).
        if state is None and challenge is None:
            raise refuse("invalid_request", "state is required without PKCE (code_challenge)")
        if challenge is None and client.public:
            raise refuse(
                "invalid_request",
                "PKCE is required of a client without a secret: send code_challenge and "
                "code_challenge_method=S256",
            )
        return AuthRequest(
            client_id=client.client_id,
            client_name=client.name,
            redirect_uri=redirect_uri,
            state=state,
            scope=scope,
            code_challenge=challenge,
            resource=resource,
        )

    def consent_page(
        self, request: AuthRequest, username: str, error: str | None = None
    ) -> Response:
        """The sign-in and consent page for `request`, which is kept until the page is answered:
        the form carries only its id."""
        request_id = self.grants.add_pending(json.dumps(asdict(request)), self.clock())
        hidden = [("request_id", request_id)]
        return page.consent(
            page.Consent(
                plugin=self.plugin,
                client=request.client_name,
                hidden=hidden,
                scope=request.scope,
                redirect_host=host_of(request.redirect_uri),
                username=username,
                error=error,
            )
        )

    def signs_in(self, username: str, password: str) -> bool:
        """Whether the sign-in is right; compares with every user so timing reveals nothing."""
        found = False
        for user, secret in self.settings.users:
            matches = same_secret(user, username) & same_secret(secret, password)
            found |= matches
        return found

    def decide(self, params: Mapping[str, str]) -> Response:
        """The person's decision on the consent page (`params` is the form): a redirect with a
        code or an error, or the page again. The request is the one the page was shown for,
        found by the form's `request_id`; whatever else the form says about it is ignored."""
        now = self.clock()
        kept = self.grants.take_pending(params.get("request_id", ""), now)
        if kept is None:
            return page.error(
                400,
                "Sign-in expired",
                "This sign-in page was already used, has expired, or was not shown by this "
                "server. Start again from ChatGPT.",
            )
        request = AuthRequest(**json.loads(kept))

        # `state` (when the client sent one) and `iss` (RFC 9207) end every answer.
        state = [] if request.state is None else [("state", request.state)]

        def back(query: list[tuple[str, str]]) -> Response:
            return redirect(
                with_params(request.redirect_uri, [*query, *state, ("iss", self.issuer)])
            )

        decision = params.get("decision")
        if decision == "deny":
            return back(
                [
                    ("error", "access_denied"),
                    ("error_description", "the user denied the request"),
                ]
            )
        if decision != "allow":
            return page.error(400, "Bad request", "Choose Allow or Deny.")
        username = trim(params.get("username", ""))
        password = params.get("password", "")
        if self.wrong_passwords.locked(username, now):
            minutes = LOCKOUT_SECONDS // 60
            message = f"Too many wrong passwords for this username: try again in {minutes} minutes."
            return self.consent_page(request, username, message)
        if not self.signs_in(username, password):
            self.wrong_passwords.failed(username, now)
            return self.consent_page(request, username, "Wrong username or password.")
        self.wrong_passwords.succeeded(username)
        code = random_token()
        stored = Code(
            grant=random_token(),
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            user=username,
            scope=request.scope,
            code_challenge=request.code_challenge,
            resource=request.resource,
            expires_at=now + CODE_LIFETIME,
        )
        try:
            self.grants.add_code(secret_hash(code), stored, now)
        except DatabaseError as error:
            return page.error(500, "Server error", f"The code could not be stored: {error}")
        return back([("code", code)])

    def exchange(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """The token endpoint: a code or refresh token for new tokens. Raises `TokenError`."""
        params = token_params(headers, body)

        def param(name: str) -> str | None:
            return params.get(name) or None

        client_id, pre_registered = self._token_client(headers, param)
        now = self.clock()
        grant_type = param("grant_type")
        if grant_type == "authorization_code":
            grant = self._code_grant(param, client_id, now)
        elif grant_type == "refresh_token":
            grant = self._refresh_grant(param, client_id, now)
        elif grant_type is not None:
            raise TokenError(
                400,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        else:
            raise TokenError.request("grant_type is required")
        return self._issue(grant, client_id, pre_registered, now)

    def _token_client(
        self, headers: Mapping[str, str], param: Callable[[str], str | None]
    ) -> tuple[str, bool]:
        """Client authentication at the token endpoint, by HTTP Basic or the body: the client
        id, and whether it is the pre-registered client. Raises `TokenError`."""
        authorization = header_text(headers, "authorization") or ""
        basic = next(
            (
                authorization[len(prefix) :]
                for prefix in ("Basic ", "basic ")
                if authorization.startswith(prefix)
            ),
            None,
        )
        secret_in_body = param("client_secret")
        if basic is not None and secret_in_body is not None:
            raise TokenError.request(
                "send the client credentials either in the body or as HTTP Basic, not both"
            )
        client_secret: str | None
        if basic is not None:
            credentials = basic_credentials(basic)
            if credentials is None:
                raise TokenError.client(
                    "the Basic credentials are not base64 of client_id:client_secret"
                )
            client_id, client_secret = credentials
        else:
            client_id, client_secret = param("client_id") or "", secret_in_body
        if not client_id:
            raise TokenError.client(
                "client authentication is required (client_id and client_secret, or HTTP Basic; "
                "client_id alone for a public client)"
            )
        return client_id, self.authenticate_client(client_id, client_secret)

    def _issue(
        self, grant: Grant, client_id: str, pre_registered: bool, now: int
    ) -> dict[str, Any]:
        """Issues an access token for `grant` (and a refresh token for the pre-registered client
        or with `offline_access`): the token endpoint's answer. Raises `TokenError`."""
        access_token = random_token()
        refresh_token = random_token() if pre_registered or OFFLINE_ACCESS in grant.scope else None

        def token(kind: Literal["access", "refresh"], lifetime: int) -> Token:
            return Token(
                grant=grant.grant,
                kind=kind,
                client_id=client_id,
                user=grant.user,
                scope=grant.scope,
                resource=grant.resource,
                expires_at=now + lifetime,
            )

        tokens = [(secret_hash(access_token), token("access", ACCESS_TOKEN_LIFETIME))]
        if refresh_token is not None:
            tokens.append((secret_hash(refresh_token), token("refresh", REFRESH_TOKEN_LIFETIME)))
        try:
            self.grants.add_tokens(tokens, now)
        except DatabaseError as error:
            raise storage_error(error) from None
        answer: dict[str, Any] = {"access_token": access_token, "expires_in": ACCESS_TOKEN_LIFETIME}
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        answer["scope"] = " ".join(grant.scope)
        answer["token_type"] = "bearer"
        return answer

    def authenticate_client(self, client_id: str, client_secret: str | None) -> bool:
        """Checks the client's credentials: a secret for a confidential client, none for a
        public one. Whether it is the pre-registered client. Raises `TokenError`."""
        if same_secret(client_id, self.settings.client_id):
            if client_secret is None or not same_secret(client_secret, self.settings.client_secret):
                raise TokenError.client("unknown client or wrong client secret")
            return True
        registered = self.grants.client(client_id)
        if registered is not None and registered.secret_hash is not None:
            if client_secret is None or not same_secret(
                secret_hash(client_secret), registered.secret_hash
            ):
                raise TokenError.client("unknown client or wrong client secret")
            return False
        public = registered is not None or is_metadata_url(
            client_id, self.settings.allow_loopback_client_ids
        )
        if not public:
            raise TokenError.client("unknown client or wrong client secret")
        if client_secret is not None:
            raise TokenError.client("a public client (without a secret) must not send one")
        return False

    def _asked_resource(self, param: Callable[[str], str | None]) -> str | None:
        """The `resource` of a token request, canonical. Raises `TokenError`."""
        asked = param("resource")
        if asked is None:
            return None
        resource = self.canonical_resource(asked)
        if resource is None:
            raise TokenError.target(
                f"resource must be {self.settings.mcp_resource} or {self.issuer}"
            )
        return resource

    def _code_grant(self, param: Callable[[str], str | None], client_id: str, now: int) -> Grant:
        """Code redemption (`grant_type=authorization_code`): the grant of a fresh code, which
        is now used."""
        code_text = param("code")
        if code_text is None:
            raise TokenError.request("code is required")
        redirect_uri = param("redirect_uri")
        if redirect_uri is None:
            raise TokenError.request("redirect_uri is required")
        asked_resource = self._asked_resource(param)
        # A resource other than the code's is refused before the code is used up (a replay is
        # still a replay, whatever it asks).
        peeked = self.grants.code(secret_hash(code_text))
        if (
            peeked is not None
            and peeked.used_at is None
            and peeked.resource is not None
            and asked_resource not in (None, peeked.resource)
        ):
            raise TokenError.target(f"the code was issued for the resource {peeked.resource}")
        verifier = param("code_verifier")

        def is_retry(code: Code) -> bool:
            # The client is authenticated already (its secret, if it has one): the same client,
            # the same redirect URI and, if the code had a challenge, the right verifier.
            return (
                code.client_id == client_id
                and code.redirect_uri == redirect_uri
                and (
                    code.code_challenge is None
                    or (
                        verifier is not None
                        and same_secret(pkce_challenge(verifier), code.code_challenge)
                    )
                )
            )

        try:
            code = self.grants.use_code(secret_hash(code_text), now, is_retry)
        except DatabaseError as error:
            raise storage_error(error) from None
        if code is Refused.UNKNOWN:
            raise TokenError.grant("the code is unknown or expired")
        if code is Refused.RETRIED:
            raise TokenError.grant(
                f"the code was already used, by this client less than {RETRY_SECONDS} seconds "
                "ago: the tokens it gave still work"
            )
        if isinstance(code, Refused):
            raise TokenError.grant("the code was already used; the tokens it gave are revoked")
        if code.client_id != client_id or code.redirect_uri != redirect_uri:
            raise TokenError.grant("the code was issued to another client or redirect_uri")
        if code.code_challenge is not None and verifier is not None:
            if not same_secret(pkce_challenge(verifier), code.code_challenge):
                raise TokenError.grant("code_verifier does not match code_challenge")
        elif code.code_challenge is not None:
            raise TokenError.grant("code_verifier is required: the authorization request used PKCE")
        elif verifier is not None:
            raise TokenError.grant(
                "code_verifier given, but the authorization request had no code_challenge"
            )
        if code.resource is not None and asked_resource not in (None, code.resource):
            raise TokenError.target(f"the code was issued for the resource {code.resource}")
        resource = code.resource if code.resource is not None else asked_resource
        return Grant(code.grant, code.user, code.scope, resource)

    def _refresh_grant(self, param: Callable[[str], str | None], client_id: str, now: int) -> Grant:
        """Refresh (`grant_type=refresh_token`): the grant of a fresh refresh token, which is
        now rotated, with the scope narrowed if the request asks."""
        refresh = param("refresh_token")
        if refresh is None:
            raise TokenError.request("refresh_token is required")
        asked_resource = self._asked_resource(param)
        # A resource other than the token's is refused before the token is used up (a replay
        # is still a replay, whatever it asks). A token bound to none may be narrowed to one
        # (RFC 8707, 2.2).
        peeked = self.grants.token(secret_hash(refresh))
        if (
            peeked is not None
            and not peeked.rotated
            and peeked.resource is not None
            and asked_resource not in (None, peeked.resource)
        ):
            raise TokenError.target("the refresh token was issued for another resource")
        try:
            token = self.grants.rotate_refresh(secret_hash(refresh), now)
        except DatabaseError as error:
            raise storage_error(error) from None
        if token is Refused.UNKNOWN:
            raise TokenError.grant("the refresh token is unknown or expired")
        if isinstance(token, Refused):
            raise TokenError.grant("the refresh token was already used; its grant is revoked")
        if token.client_id != client_id:
            raise TokenError.grant("the refresh token was issued to another client")
        if token.resource is not None and asked_resource not in (None, token.resource):
            raise TokenError.target("the refresh token was issued for another resource")
        resource = token.resource if token.resource is not None else asked_resource
        asked = param("scope")
        if asked is None:
            return Grant(token.grant, token.user, token.scope, resource)
        scope = split_whitespace(asked)
        if not all(s in token.scope for s in scope):
            raise TokenError(400, "invalid_scope", "a refresh cannot widen the scope")
        return Grant(token.grant, token.user, scope, resource)


def storage_error(error: DatabaseError) -> TokenError:
    return TokenError(500, "server_error", f"could not store the grant: {error}")


def header_text(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, if it is there and is text (visible ASCII, spaces and tabs)."""
    value = headers.get(name)
    return value if value is not None and _HEADER_TEXT.fullmatch(value) else None


def token_params(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The token request's parameters, from a JSON or form body."""
    content_type = (header_text(headers, "content-type") or "").split(";")[0].strip(" \t").lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            return parse_form(body)
        except RepeatedParameterError as error:
            raise TokenError.request(str(error)) from None
    if content_type == "application/json":
        try:
            fields = parse_json(body)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise TokenError.request("the body is not a JSON object")
        params = {}
        for name in sorted(fields):
            value = fields[name]
            if not isinstance(value, str):
                raise TokenError.request(f"`{name}` must be a string")
            params[name] = value
        return params
    raise TokenError.request("send application/x-www-form-urlencoded or application/json")


def basic_credentials(encoded: str) -> tuple[str, str] | None:
    """`client_id:client_secret` from HTTP Basic, each form-decoded (RFC 6749, 2.3.1)."""
    text = trim(encoded)
    try:
        raw = base64.b64decode(text, validate=True)
        # Only the canonical encoding of the bytes is base64 here (padded, no stray bits).
        if base64.b64encode(raw).decode() != text:
            return None
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return form_value(client_id), form_value(secret)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636, 4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def random_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What is stored instead of a code or token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Compares two secrets in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())


def manifest_scope(manifest: str) -> list[str]:
    """The scopes the manifest's `auth.scope` grants."""
    auth = json.loads(manifest).get("auth")
    scope = auth.get("scope") if isinstance(auth, dict) else None
    return split_whitespace(scope) if isinstance(scope, str) else []
