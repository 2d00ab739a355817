"""The OAuth flow end to end, as the plugin host runs it: authorize, approve, exchange, call the
API, refresh, and every way it must fail. A clock the tests move lets codes and tokens expire."""

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pytest

from app.config import Config
from app.db import Database
from app.main import create_app
from app.oauth.page import escape
from app.oauth.pending import LOCKOUT_SECONDS, MAX_WRONG_PASSWORDS
from app.oauth.server import ACCESS_TOKEN_LIFETIME, CODE_LIFETIME, REFRESH_TOKEN_LIFETIME
from app.oauth.store import PENDING_LIFETIME, RETRY_SECONDS

pytestmark = pytest.mark.anyio

PROJECT_DIR = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((PROJECT_DIR / ".well-known/ai-plugin.json").read_text("utf-8"))
SCOPE: str = MANIFEST["auth"]["scope"]
"""The scope the manifest grants (it may be empty, or several scopes)."""
PUBLIC_URL = "https://todo.example.com"
CLIENT_ID = "test-client"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = "https://chat.openai.com/aip/plugin-test/oauth/callback"
STATE = "state with spaces & symbols=/?é"
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class Server:
    """An app on `data_path` with a clock the test moves, and a client of it."""

    def __init__(self, data_path: Path, **env: str) -> None:
        self.data_path = data_path
        self.now = 1_800_000_000
        config = Config.from_env(
            {
                "PUBLIC_URL": PUBLIC_URL,
                "DATA_PATH": str(data_path),
                "OAUTH_CLIENT_ID": CLIENT_ID,
                "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
                "OPENAI_VERIFICATION_TOKEN": "verification-from-chatgpt",
                "OAUTH_USERS": "alice:alice-password,bob:bob-password",
                **env,
            }
        )
        app = create_app(config, clock=lambda: self.now)
        self.db: Database = app.state.db
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        )

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """A fresh app on a data file that does not exist yet."""
    server = Server(tmp_path / "data" / "plugin.db")
    async with server.client:
        yield server


@pytest.fixture
def client(server: Server) -> httpx.AsyncClient:
    return server.client


def authorization(**changes: str) -> str:
    """The query string of a valid authorization request, with `changes` added or replacing
    parameters; an empty value leaves the parameter out."""
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": STATE,
        **changes,
    }
    return urlencode([(name, value) for name, value in params.items() if value])


def basic(client_id: str, secret: str) -> dict[str, str]:
    """An HTTP Basic `Authorization` header."""
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


async def post_form(
    client: httpx.AsyncClient, path: str, form: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    content_type = {"Content-Type": "application/x-www-form-urlencoded"}
    return await client.post(path, content=form, headers={**content_type, **(headers or {})})


def request_id(page: str) -> str:
    """The id a consent page's form carries: its only hidden field."""
    hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    assert [name for name, _ in hidden] == ["request_id"], page
    return str(hidden[0][1])


async def consent(client: httpx.AsyncClient, query: str) -> str:
    """The id of the consent page shown for the authorization request `query`."""
    return request_id(assert_page(await client.get(f"/oauth/authorize?{query}"), 200))


async def answer(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    """Posts the consent form."""
    return await post_form(client, "/oauth/authorize", urlencode(form))


async def approve(
    client: httpx.AsyncClient, query: str, user: str = "alice", password: str = "alice-password"
) -> httpx.Response:
    """Opens the consent page for the authorization request `query`, signs in and approves."""
    sign_in = {"username": user, "password": password, "decision": "allow"}
    return await answer(client, {"request_id": await consent(client, query), **sign_in})


async def approve_without_page(client: httpx.AsyncClient, query: str) -> httpx.Response:
    """Posts the authorization request `query` with alice's sign-in as a consent form, with no
    consent page shown for it: always refused."""
    sign_in = urlencode({"username": "alice", "password": "alice-password", "decision": "allow"})
    return await post_form(client, "/oauth/authorize", f"{query}&{sign_in}")


def redirect_params(reply: httpx.Response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The query parameters of a redirect to `redirect_uri`, which always end with the issuer
    (RFC 9207), after `state`."""
    assert reply.status_code == 303, reply.text
    location = reply.headers["location"]
    assert location.startswith(f"{redirect_uri}?"), location
    pairs = parse_qsl(location.partition("?")[2], keep_blank_values=True)
    assert pairs[-1] == ("iss", PUBLIC_URL), location
    names = [name for name, _ in pairs]
    assert names in (
        ["code", "state", "iss"],
        ["code", "iss"],
        ["error", "error_description", "state", "iss"],
        ["error", "error_description", "iss"],
    ), location
    return dict(pairs)


async def new_code(client: httpx.AsyncClient, user: str = "alice", **changes: str) -> str:
    """A code for `user` (alice), from a valid request with `changes`."""
    reply = await approve(client, authorization(**changes), user, f"{user}-password")
    return redirect_params(reply)["code"]


def exchange(code: str) -> dict[str, Any]:
    """A token request for `code`, with the client credentials in the body."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def refresh(token: str) -> dict[str, Any]:
    """A refresh request, with the client credentials in the body."""
    return {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def token_json(client: httpx.AsyncClient, body: object) -> httpx.Response:
    """A token request with a JSON body, as ChatGPT sends it for `application/json`."""
    return await client.post("/oauth/token", json=body)


async def tokens_for(client: httpx.AsyncClient, user: str = "alice") -> dict[str, Any]:
    """Signs `user` in through the whole flow; the token endpoint's answer."""
    reply = await token_json(client, exchange(await new_code(client, user)))
    assert reply.status_code == 200, reply.text
    tokens: dict[str, Any] = reply.json()
    return tokens


def assert_oauth_error(reply: httpx.Response, status: int, error: str) -> None:
    """An RFC 6749 error answer, never cached."""
    assert reply.status_code == status, reply.text
    assert reply.json()["error"] == error
    assert isinstance(reply.json()["error_description"], str)
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["pragma"] == "no-cache"
    if status == 401:
        assert reply.headers["www-authenticate"] == 'Basic realm="oauth"'


def assert_api_error(reply: httpx.Response, status: int) -> None:
    """Every API error is JSON with an `error` message."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["error"]


async def list_todos(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/todos", headers={"Authorization": f"Bearer {token}"})


def assert_page(reply: httpx.Response, status: int) -> str:
    """An HTML page that cannot be framed, cached or leak a referrer; its text."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["content-security-policy"] == CSP
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert "location" not in reply.headers
    assert "<script" not in reply.text
    return reply.text


async def test_the_authorization_endpoint_shows_a_sign_in_and_consent_page(
    client: httpx.AsyncClient,
) -> None:
    page = assert_page(await client.get(f"/oauth/authorize?{authorization()}"), 200)
    for needed in [
        '<form method="post">',
        'name="password"',
        'value="allow"',
        'value="deny"',
        "You will be sent back to chat.openai.com.",
    ]:
        assert needed in page, needed
    # The request stays on the server: the form carries only its id.
    assert "state with spaces" not in page
    assert len(request_id(page)) >= 43
    assert (f"(scope: {escape(SCOPE)})" in page) == bool(SCOPE)
    # A scope asked for is shown.
    if SCOPE:
        page = assert_page(await client.get(f"/oauth/authorize?{authorization(scope=SCOPE)}"), 200)
        assert f"(scope: {escape(SCOPE)})" in page


async def test_the_manifest_points_at_the_oauth_endpoints(client: httpx.AsyncClient) -> None:
    auth = (await client.get("/.well-known/ai-plugin.json")).json()["auth"]
    assert auth["type"] == "oauth"
    assert auth["client_url"] == f"{PUBLIC_URL}/oauth/authorize"
    assert auth["authorization_url"] == f"{PUBLIC_URL}/oauth/token"
    assert auth["scope"] == SCOPE
    assert auth["verification_tokens"]["openai"] == "verification-from-chatgpt"


async def test_the_whole_flow_works_and_refresh_tokens_rotate(client: httpx.AsyncClient) -> None:
    params = redirect_params(await approve(client, authorization()))
    assert params["state"] == STATE
    reply = await token_json(client, exchange(params["code"]))
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["pragma"] == "no-cache"
    tokens = reply.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == ACCESS_TOKEN_LIFETIME
    # Without a `scope` parameter, the grant has the manifest's scope.
    assert tokens["scope"] == SCOPE
    access, refresh_token = tokens["access_token"], tokens["refresh_token"]
    # 256 random bits, base64url without padding.
    assert len(access) == 43
    assert set(access) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    added = await client.post(
        "/todos", headers={"Authorization": f"Bearer {access}"}, json={"todo": "milk"}
    )
    assert added.status_code == 201
    assert (await list_todos(client, access)).json()["todos"][0]["todo"] == "milk"

    # Refresh, here as a form with HTTP Basic client credentials.
    form = f"grant_type=refresh_token&refresh_token={refresh_token}"
    refreshed = await post_form(client, "/oauth/token", form, basic(CLIENT_ID, CLIENT_SECRET))
    assert refreshed.status_code == 200, refreshed.text
    new_access = refreshed.json()["access_token"]
    new_refresh = refreshed.json()["refresh_token"]
    assert new_refresh != refresh_token, "the refresh token rotates"
    assert (await list_todos(client, new_access)).status_code == 200
    # The old access token ended with its refresh token.
    assert_api_error(await list_todos(client, access), 401)

    # Replaying the old refresh token fails and revokes the whole grant.
    replay = await post_form(client, "/oauth/token", form, basic(CLIENT_ID, CLIENT_SECRET))
    assert_oauth_error(replay, 400, "invalid_grant")
    assert_api_error(await list_todos(client, new_access), 401)
    assert_oauth_error(await token_json(client, refresh(new_refresh)), 400, "invalid_grant")


async def test_form_bodies_and_both_client_credential_methods_work(
    client: httpx.AsyncClient,
) -> None:
    in_body = urlencode(exchange(await new_code(client)))
    reply = await post_form(client, "/oauth/token", in_body)
    assert reply.status_code == 200, reply.text

    with_basic = {
        "grant_type": "authorization_code",
        "code": await new_code(client),
        "redirect_uri": REDIRECT_URI,
    }
    reply = await client.post(
        "/oauth/token", json=with_basic, headers=basic(CLIENT_ID, CLIENT_SECRET)
    )
    assert reply.status_code == 200, reply.text

    # The parts of HTTP Basic credentials are form-encoded (RFC 6749, 2.3.1), the scheme
    # may be lowercase, and a charset may follow the content type.
    encoded = basic(quote(CLIENT_ID, safe=""), quote(CLIENT_SECRET, safe=""))
    encoded["Authorization"] = encoded["Authorization"].replace("Basic", "basic")
    with_basic["code"] = await new_code(client)
    reply = await client.post(
        "/oauth/token",
        content=urlencode(with_basic),
        headers={**encoded, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    "query",
    [
        authorization(client_id="someone-else"),
        authorization(client_id=""),
        authorization(redirect_uri="https://evil.example/callback"),
        authorization(redirect_uri="https://chat.openai.com.evil.example/aip/p/oauth/callback"),
        authorization(redirect_uri="https://chat.openai.com@evil.example/aip/p/oauth/callback"),
        authorization(redirect_uri="https://chat.openai.com/aip/p/oauth/callback#x"),
        authorization(redirect_uri="http://localhost\\@evil.example/"),
        authorization(redirect_uri="http://localhost /cb"),
        authorization(redirect_uri=""),
    ],
)
async def test_a_bad_client_or_redirect_uri_is_an_error_page_never_a_redirect(
    client: httpx.AsyncClient, query: str
) -> None:
    assert_page(await client.get(f"/oauth/authorize?{query}"), 400)
    assert_page(await approve_without_page(client, query), 400)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (authorization(response_type="token"), "unsupported_response_type"),
        (authorization(response_type=""), "unsupported_response_type"),
        (authorization(scope="not-a-granted-scope"), "invalid_scope"),
        (authorization(scope=f"{SCOPE} not-a-granted-scope"), "invalid_scope"),
        (
            authorization(code_challenge="a" * 43, code_challenge_method="plain"),
            "invalid_request",
        ),
        (authorization(code_challenge="a" * 43), "invalid_request"),
        (authorization(code_challenge_method="S256"), "invalid_request"),
        (
            authorization(code_challenge="a" * 42, code_challenge_method="S256"),
            "invalid_request",
        ),
        (
            authorization(code_challenge="a" * 129, code_challenge_method="S256"),
            "invalid_request",
        ),
        (
            authorization(code_challenge="a" * 42 + "+", code_challenge_method="S256"),
            "invalid_request",
        ),
    ],
)
async def test_other_bad_requests_redirect_back_with_an_error(
    client: httpx.AsyncClient, query: str, error: str
) -> None:
    assert_page(await approve_without_page(client, query), 400)
    params = redirect_params(await client.get(f"/oauth/authorize?{query}"))
    assert params["error"] == error
    assert params["error_description"]
    assert params["state"] == STATE
    assert "code" not in params


async def test_state_is_required_without_pkce(client: httpx.AsyncClient) -> None:
    reply = await client.get(f"/oauth/authorize?{authorization(state='')}")
    params = redirect_params(reply)
    assert params["error"] == "invalid_request"
    assert "state" not in params


async def test_with_pkce_state_may_be_left_out_and_the_redirect_then_carries_none(
    client: httpx.AsyncClient,
) -> None:
    query = authorization(state="", code_challenge="c" * 43, code_challenge_method="S256")
    sign_in = {"username": "alice", "password": "alice-password", "decision": "allow"}
    form = urlencode({"request_id": await consent(client, query), **sign_in})
    approved = await post_form(client, "/oauth/authorize", form)
    assert list(redirect_params(approved)) == ["code", "iss"]
    form = urlencode({"request_id": await consent(client, query), "decision": "deny"})
    denied = await post_form(client, "/oauth/authorize", form)
    assert list(redirect_params(denied)) == ["error", "error_description", "iss"]


async def test_a_repeated_parameter_is_refused(client: httpx.AsyncClient) -> None:
    # Once the client and redirect URI are known, by redirecting back with the first state.
    repeated = f"{authorization()}&state=other"
    params = redirect_params(await client.get(f"/oauth/authorize?{repeated}"))
    assert params["error"] == "invalid_request"
    assert "given more than once" in params["error_description"]
    assert params["state"] == STATE
    # A client or redirect URI given twice: a page, never a redirect.
    for name, value in [("client_id", "x"), ("redirect_uri", "https://evil.example/cb")]:
        twice = f"{authorization()}&{urlencode({name: value})}"
        assert "given more than once" in assert_page(
            await client.get(f"/oauth/authorize?{twice}"), 400
        )
    assert_page(await approve_without_page(client, repeated), 400)
    sign_in = {"username": "alice", "password": "alice-password", "decision": "allow"}
    twice = f"{urlencode({'request_id': await consent(client, authorization()), **sign_in})}"
    assert "given more than once" in assert_page(
        await post_form(client, "/oauth/authorize", f"{twice}&decision=allow"), 400
    )
    code = await new_code(client)
    form = f"{urlencode(exchange(code))}&grant_type=authorization_code"
    assert_oauth_error(await post_form(client, "/oauth/token", form), 400, "invalid_request")
    # The refused request did not use the code up.
    assert (await token_json(client, exchange(code))).status_code == 200


async def test_the_scope_defaults_to_the_manifests_and_the_page_keeps_the_request(
    client: httpx.AsyncClient,
) -> None:
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    pkce = {"code_challenge": challenge.rstrip("="), "code_challenge_method": "S256"}
    query = authorization(**pkce)
    page = assert_page(await client.get(f"/oauth/authorize?{query}"), 200)
    assert pkce["code_challenge"] not in page
    sign_in = {"username": "alice", "password": "alice-password", "decision": "allow"}
    approved = await answer(client, {"request_id": request_id(page), **sign_in})
    code = redirect_params(approved)["code"]
    reply = await token_json(client, {**exchange(code), "code_verifier": verifier})
    assert reply.json()["scope"] == SCOPE


async def test_denying_redirects_with_access_denied(client: httpx.AsyncClient) -> None:
    form = {"request_id": await consent(client, authorization()), "decision": "deny"}
    reply = await answer(client, form)
    params = redirect_params(reply)
    assert params["error"] == "access_denied"
    assert params["state"] == STATE
    assert "code" not in params


async def test_a_decision_other_than_allow_or_deny_is_an_error_page(
    client: httpx.AsyncClient,
) -> None:
    for decision in [{}, {"decision": "maybe"}]:
        form = {"request_id": await consent(client, authorization()), **decision}
        assert "Choose Allow or Deny." in assert_page(await answer(client, form), 400)


@pytest.mark.parametrize(
    ("user", "password"),
    [("alice", "wrong"), ("mallory", "alice-password"), ("bob", "alice-password"), ("", "")],
)
async def test_a_wrong_password_shows_the_page_again_without_a_code(
    client: httpx.AsyncClient, user: str, password: str
) -> None:
    reply = await approve(client, authorization(), user, password)
    page = assert_page(reply, 200)
    assert "Wrong username or password." in page
    assert f'name="username" autocomplete="username" value="{user}"' in page


async def test_a_consent_form_the_server_did_not_show_is_refused(
    client: httpx.AsyncClient,
) -> None:
    sign_in = {"username": "alice", "password": "alice-password", "decision": "allow"}
    # The whole request in the form, as the page used to carry it, but no page was shown.
    without_page = f"{authorization()}&{urlencode(sign_in)}"
    for form in [without_page, f"{without_page}&request_id=made-up", urlencode(sign_in)]:
        reply = await post_form(client, "/oauth/authorize", form)
        assert "Sign-in expired" in assert_page(reply, 400)
        assert "location" not in reply.headers


async def test_a_consent_page_is_answered_once_and_within_10_minutes(server: Server) -> None:
    client = server.client
    sign_in = {"username": "alice", "password": "alice-password", "decision": "allow"}
    used = await consent(client, authorization())
    redirect_params(await answer(client, {"request_id": used, **sign_in}))
    assert_page(await answer(client, {"request_id": used, **sign_in}), 400)
    denied = await consent(client, authorization())
    redirect_params(await answer(client, {"request_id": denied, "decision": "deny"}))
    assert_page(await answer(client, {"request_id": denied, **sign_in}), 400)
    late = await consent(client, authorization())
    server.advance(PENDING_LIFETIME)
    reply = await answer(client, {"request_id": late, **sign_in})
    assert "Sign-in expired" in assert_page(reply, 400)


async def test_the_form_cannot_change_the_request_it_answers(client: httpx.AsyncClient) -> None:
    verifier = "w" * 43
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    query = authorization(code_challenge=challenge, code_challenge_method="S256")
    tampered = {
        "request_id": await consent(client, query),
        "username": "alice",
        "password": "alice-password",
        "decision": "allow",
        # What the old form carried, changed: none of it counts.
        "state": "forged",
        "redirect_uri": "http://localhost/evil",
        "code_challenge": "",
        "code_challenge_method": "",
        "client_id": "someone-else",
    }
    params = redirect_params(await answer(client, tampered))
    assert params["state"] == STATE
    # The PKCE challenge of the page still binds the code.
    without_verifier = await token_json(client, exchange(params["code"]))
    assert_oauth_error(without_verifier, 400, "invalid_grant")
    code = await new_code(client, code_challenge=challenge, code_challenge_method="S256")
    reply = await token_json(client, {**exchange(code), "code_verifier": verifier})
    assert reply.status_code == 200


async def test_wrong_passwords_lock_the_username_for_a_while(server: Server) -> None:
    client = server.client
    for _ in range(MAX_WRONG_PASSWORDS):
        reply = await approve(client, authorization(), "alice", "wrong")
        assert "Wrong username or password." in assert_page(reply, 200)
    # Locked: even the right password gets the page again, without a code.
    locked = await approve(client, authorization())
    assert "Too many wrong passwords" in assert_page(locked, 200)
    # Other users are not locked.
    redirect_params(await approve(client, authorization(), "bob", "bob-password"))
    server.advance(LOCKOUT_SECONDS)
    redirect_params(await approve(client, authorization()))


async def test_the_username_is_trimmed(client: httpx.AsyncClient) -> None:
    reply = await approve(client, authorization(), " alice\t", "alice-password")
    code = redirect_params(reply)["code"]
    access = (await token_json(client, exchange(code))).json()["access_token"]
    assert (await list_todos(client, access)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "other"}, 401, "invalid_client"),
        ({"client_id": None}, 401, "invalid_client"),
        ({"client_id": None, "client_secret": None}, 401, "invalid_client"),
        ({"client_secret": ""}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"code": None}, 400, "invalid_request"),
        ({"redirect_uri": None}, 400, "invalid_request"),
        ({"code": "no-such-code"}, 400, "invalid_grant"),
        ({"code": 42}, 400, "invalid_request"),
        ({"client_id": ["test-client"]}, 400, "invalid_request"),
    ],
)
async def test_token_errors_follow_rfc_6749(
    client: httpx.AsyncClient, changes: dict[str, Any], status: int, error: str
) -> None:
    code = await new_code(client)
    body = {**exchange(code), **changes}
    body = {name: value for name, value in body.items() if value is not None}
    assert_oauth_error(await token_json(client, body), status, error)
    # The refused request did not use the code up.
    assert (await token_json(client, exchange(code))).status_code == 200


async def test_token_requests_that_are_neither_json_nor_a_form_are_refused(
    client: httpx.AsyncClient,
) -> None:
    code = await new_code(client)
    for content_type, content in [
        ("text/plain", urlencode(exchange(code))),
        ("application/json", "[1]"),
        ("application/json", '{"grant_type": '),
        ("application/json", '{"code": NaN}'),
        ("multipart/form-data; boundary=x", "--x--"),
    ]:
        reply = await client.post(
            "/oauth/token", content=content, headers={"Content-Type": content_type}
        )
        assert_oauth_error(reply, 400, "invalid_request")
    reply = await client.post("/oauth/token", content=urlencode(exchange(code)))
    assert_oauth_error(reply, 400, "invalid_request")
    assert (await token_json(client, exchange(code))).status_code == 200


async def test_client_credentials_as_basic_must_be_right_and_alone(
    client: httpx.AsyncClient,
) -> None:
    code = await new_code(client)
    form = urlencode(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    )
    for headers in [
        basic(CLIENT_ID, "wrong"),
        basic("other", CLIENT_SECRET),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": f"Basic {base64.b64encode(b'no-colon').decode()}"},
        {"Authorization": f"Basic {base64.b64encode(b'test-client:x').decode().rstrip('=')}"},
    ]:
        reply = await post_form(client, "/oauth/token", form, headers)
        assert_oauth_error(reply, 401, "invalid_client")
    # Credentials in the body and as Basic at once are refused.
    both = f"{form}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    reply = await post_form(client, "/oauth/token", both, basic(CLIENT_ID, CLIENT_SECRET))
    assert_oauth_error(reply, 400, "invalid_request")
    # None of the refused requests used the code up.
    reply = await post_form(client, "/oauth/token", form, basic(CLIENT_ID, CLIENT_SECRET))
    assert reply.status_code == 200, reply.text


async def test_the_code_must_come_with_the_same_redirect_uri(client: httpx.AsyncClient) -> None:
    body = {**exchange(await new_code(client)), "redirect_uri": "http://localhost:9/other"}
    assert_oauth_error(await token_json(client, body), 400, "invalid_grant")


async def test_the_same_client_posting_a_code_again_within_a_minute_revokes_nothing(
    server: Server, client: httpx.AsyncClient
) -> None:
    # ChatGPT has been seen to post a code twice: the second post fails, the tokens stay.
    verifier = "a-verifier-of-at-least-43-characters-0123456789"
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    for pkce in [{}, {"code_challenge": challenge, "code_challenge_method": "S256"}]:
        code = await new_code(client, **pkce)
        body = {**exchange(code), **({"code_verifier": verifier} if pkce else {})}
        first = (await token_json(client, body)).json()
        server.advance(RETRY_SECONDS)
        retried = await token_json(client, body)
        assert_oauth_error(retried, 400, "invalid_grant")
        assert "still work" in retried.json()["error_description"]
        assert (await list_todos(client, first["access_token"])).status_code == 200
        refreshed = await token_json(client, refresh(first["refresh_token"]))
        assert refreshed.status_code == 200, refreshed.text


@pytest.mark.parametrize("replay", ["late", "wrong verifier", "no verifier", "other redirect"])
async def test_any_other_replayed_code_fails_and_revokes_what_it_issued(
    server: Server, client: httpx.AsyncClient, replay: str
) -> None:
    verifier = "a-verifier-of-at-least-43-characters-0123456789"
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    code = await new_code(client, code_challenge=challenge, code_challenge_method="S256")
    body = {**exchange(code), "code_verifier": verifier}
    first = (await token_json(client, body)).json()
    access = first["access_token"]
    assert (await list_todos(client, access)).status_code == 200
    if replay == "late":
        server.advance(RETRY_SECONDS + 1)
    elif replay == "wrong verifier":
        body["code_verifier"] = "another-verifier-of-at-least-43-characters-xyz"
    elif replay == "no verifier":
        del body["code_verifier"]
    else:
        body["redirect_uri"] = "http://localhost:9/other"
    replayed = await token_json(client, body)
    assert_oauth_error(replayed, 400, "invalid_grant")
    assert "revoked" in replayed.json()["error_description"]
    reply = await list_todos(client, access)
    assert_api_error(reply, 401)
    assert 'error="invalid_token"' in reply.headers["www-authenticate"]
    refreshed = await token_json(client, refresh(first["refresh_token"]))
    assert_oauth_error(refreshed, 400, "invalid_grant")


async def test_codes_and_access_tokens_expire(server: Server, client: httpx.AsyncClient) -> None:
    late = await new_code(client)
    server.advance(CODE_LIFETIME)
    assert_oauth_error(await token_json(client, exchange(late)), 400, "invalid_grant")

    # A code is still good in its last second.
    timely = await new_code(client)
    server.advance(CODE_LIFETIME - 1)
    access = (await token_json(client, exchange(timely))).json()["access_token"]
    assert (await list_todos(client, access)).status_code == 200
    server.advance(ACCESS_TOKEN_LIFETIME)
    expired = await list_todos(client, access)
    assert_api_error(expired, 401)
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]


async def test_refresh_tokens_last_30_days(server: Server, client: httpx.AsyncClient) -> None:
    first, second = await tokens_for(client), await tokens_for(client)
    server.advance(REFRESH_TOKEN_LIFETIME - 1)
    assert (await token_json(client, refresh(first["refresh_token"]))).status_code == 200
    server.advance(1)
    assert_oauth_error(
        await token_json(client, refresh(second["refresh_token"])), 400, "invalid_grant"
    )


async def test_a_refresh_cannot_widen_the_scope(client: httpx.AsyncClient) -> None:
    tokens = await tokens_for(client)
    wider = {**refresh(tokens["refresh_token"]), "scope": f"{SCOPE} not-a-granted-scope"}
    assert_oauth_error(await token_json(client, wider), 400, "invalid_scope")
    same = await token_json(client, {**refresh(tokens["refresh_token"]), "scope": SCOPE})
    # The refused refresh token was used up, as a replay would be (the Rust stack does the same).
    assert_oauth_error(same, 400, "invalid_grant")
    again = await tokens_for(client)
    same = await token_json(client, {**refresh(again["refresh_token"]), "scope": SCOPE})
    assert same.json()["scope"] == SCOPE


async def test_pkce_s256_is_checked_when_the_client_uses_it(client: httpx.AsyncClient) -> None:
    verifier = "a-verifier-of-at-least-43-characters-0123456789"
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    right = await new_code(client, **pkce)
    reply = await token_json(client, {**exchange(right), "code_verifier": verifier})
    assert reply.status_code == 200, reply.text
    for given in ["another-verifier-of-at-least-43-characters-xyz", None]:
        code = await new_code(client, **pkce)
        body = exchange(code) if given is None else {**exchange(code), "code_verifier": given}
        assert_oauth_error(await token_json(client, body), 400, "invalid_grant")
    # A verifier for a request that had no challenge is refused too.
    plain = await new_code(client)
    reply = await token_json(client, {**exchange(plain), "code_verifier": verifier})
    assert_oauth_error(reply, 400, "invalid_grant")


async def test_tokens_survive_a_restart_and_are_stored_hashed(server: Server) -> None:
    code = await new_code(server.client)
    tokens = (await token_json(server.client, exchange(code))).json()
    stored = stored_text(server)
    for secret in [tokens["access_token"], tokens["refresh_token"], code]:
        assert secret not in stored, "a raw secret is stored"
        assert hashlib.sha256(secret.encode()).hexdigest() in stored
    server.db.close()  # it stops: one server per SQLite file
    restarted = Server(server.data_path)
    async with restarted.client:
        assert (await list_todos(restarted.client, tokens["access_token"])).status_code == 200
        reply = await token_json(restarted.client, refresh(tokens["refresh_token"]))
        assert reply.status_code == 200
        # The code stays used across the restart.
        assert_oauth_error(await token_json(restarted.client, exchange(code)), 400, "invalid_grant")


def stored_text(server: Server) -> str:
    """Everything the OAuth tables hold, as text."""
    tables = ["oauth_clients", "oauth_codes", "oauth_tokens", "oauth_pending"]
    return repr([server.db.query(f"SELECT * FROM {table}") for table in tables])


def stored_hashes(server: Server) -> set[str]:
    """The hashes of the codes and tokens in the database."""
    rows = server.db.query(
        "SELECT code_hash FROM oauth_codes UNION SELECT token_hash FROM oauth_tokens"
    )
    return {row[0] for row in rows}


async def test_expired_codes_and_tokens_are_pruned(server: Server) -> None:
    client = server.client
    unused = await new_code(client)
    tokens = await tokens_for(client)
    server.advance(REFRESH_TOKEN_LIFETIME)
    # Approving forgets what has expired...
    late = await new_code(client)
    for secret in [unused, tokens["access_token"], tokens["refresh_token"]]:
        assert hashlib.sha256(secret.encode()).hexdigest() not in stored_hashes(server)
    server.advance(CODE_LIFETIME - 1)
    timely = await new_code(client)
    server.advance(1)
    assert hashlib.sha256(late.encode()).hexdigest() in stored_hashes(server)
    # ... and so does issuing tokens.
    assert (await token_json(client, exchange(timely))).status_code == 200
    assert hashlib.sha256(late.encode()).hexdigest() not in stored_hashes(server)


async def test_each_user_signs_in_to_their_own_list(client: httpx.AsyncClient) -> None:
    alice = (await tokens_for(client, "alice"))["access_token"]
    bob = (await tokens_for(client, "bob"))["access_token"]
    await client.post("/todos", headers={"Authorization": f"Bearer {alice}"}, json={"todo": "x"})
    assert (await list_todos(client, bob)).json() == {"todos": []}
    assert len((await list_todos(client, alice)).json()["todos"]) == 1


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_the_api_needs_a_valid_access_token(
    client: httpx.AsyncClient, token: str | None
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    reply = await client.get("/todos", headers=headers)
    assert_api_error(reply, 401)
    assert reply.headers["www-authenticate"].startswith("Bearer realm=")


async def test_a_refresh_token_is_not_an_access_token(client: httpx.AsyncClient) -> None:
    tokens = await tokens_for(client)
    assert_api_error(await list_todos(client, tokens["refresh_token"]), 401)
    assert_oauth_error(
        await token_json(client, refresh(tokens["access_token"])), 400, "invalid_grant"
    )
