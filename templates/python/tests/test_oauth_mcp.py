"""OAuth as MCP clients (ChatGPT apps, Claude, the MCP Inspector) run it from nothing but the
`/mcp` URL: the discovery metadata, dynamic client registration, client ID metadata documents
(served by a loopback server in the test), PKCE for public clients, resource indicators, the
issuer in every redirect, refresh tokens for `offline_access`, and every way each must fail."""

import base64
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from test_oauth import (
    PUBLIC_URL,
    SCOPE,
    STATE,
    Server,
    approve,
    assert_oauth_error,
    assert_page,
    basic,
    list_todos,
    post_form,
    redirect_params,
    refresh,
    stored_text,
    token_json,
    tokens_for,
)

from app.oauth import metadata_document, store
from app.oauth.metadata_document import MAX_DOCUMENT_BYTES
from app.oauth.page import escape
from app.oauth.registration import MAX_REGISTRATION_BYTES

pytestmark = pytest.mark.anyio

PLUGIN_SCOPES = SCOPE.split()
MCP = f"{PUBLIC_URL}/mcp"
CALLBACK = "https://app.example.com/callback"
VERIFIER = "a-verifier-of-at-least-43-characters-0123456789"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()
PKCE = {"code_challenge": CHALLENGE.rstrip("="), "code_challenge_method": "S256"}
SIGN_IN = {"username": "alice", "password": "alice-password", "decision": "allow"}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """An app that may fetch client metadata documents from loopback (the test serves them)."""
    server = Server(tmp_path / "data" / "plugin.db", OAUTH_ALLOW_LOOPBACK_CLIENT_IDS="true")
    async with server.client:
        yield server


@pytest.fixture
def client(server: Server) -> httpx.AsyncClient:
    return server.client


def query(client_id: str, redirect_uri: str = CALLBACK, **changes: str) -> str:
    """An authorization request with PKCE, with `changes` (an empty value leaves one out)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": STATE,
        **PKCE,
        **changes,
    }
    return urlencode([(name, value) for name, value in params.items() if value])


async def register(client: httpx.AsyncClient, **metadata: Any) -> httpx.Response:
    return await client.post("/oauth/register", json={"redirect_uris": [CALLBACK], **metadata})


async def registered(client: httpx.AsyncClient, **metadata: Any) -> dict[str, Any]:
    reply = await register(client, **metadata)
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def code_for(
    client: httpx.AsyncClient, client_id: str, redirect_uri: str = CALLBACK, **changes: str
) -> str:
    reply = await approve(client, query(client_id, redirect_uri, **changes))
    return redirect_params(reply, redirect_uri)["code"]


def exchange(
    client_id: str, code: str, redirect_uri: str = CALLBACK, **more: str
) -> dict[str, str]:
    """A public client's token request: its id, no secret, the PKCE verifier."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": VERIFIER,
        **more,
    }


async def tokens(client: httpx.AsyncClient, body: dict[str, str]) -> dict[str, Any]:
    reply = await token_json(client, body)
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


async def test_the_protected_resource_metadata_names_mcp_and_this_server(
    client: httpx.AsyncClient,
) -> None:
    expected = {
        "resource": MCP,
        "authorization_servers": [PUBLIC_URL],
        "scopes_supported": [*PLUGIN_SCOPES, "offline_access"],
        "bearer_methods_supported": ["header"],
        "resource_name": (await client.get("/.well-known/ai-plugin.json")).json()["name_for_human"],
    }
    manifest_405 = await client.post("/.well-known/ai-plugin.json")
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ]:
        reply = await client.get(path, headers={"Origin": "https://chatgpt.com"})
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["access-control-allow-origin"] == "https://chatgpt.com"
        assert reply.json() == expected
        assert list(reply.json()) == list(expected)
        assert (await client.head(path)).status_code == 200
        refused = await client.post(path)
        assert refused.status_code == 405
        assert refused.headers["allow"] == manifest_405.headers["allow"]


async def test_the_authorization_server_metadata_lists_what_mcp_clients_need(
    client: httpx.AsyncClient,
) -> None:
    expected = {
        "issuer": PUBLIC_URL,
        "authorization_endpoint": f"{PUBLIC_URL}/oauth/authorize",
        "token_endpoint": f"{PUBLIC_URL}/oauth/token",
        "registration_endpoint": f"{PUBLIC_URL}/oauth/register",
        "scopes_supported": [*PLUGIN_SCOPES, "offline_access"],
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
    reply = await client.get("/.well-known/oauth-authorization-server")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == expected
    assert list(reply.json()) == list(expected)
    refused = await client.put("/.well-known/oauth-authorization-server")
    assert refused.status_code == 405


async def test_a_registered_public_client_gets_tokens_for_mcp_and_refreshes_them(
    server: Server, client: httpx.AsyncClient
) -> None:
    asked = " ".join([*PLUGIN_SCOPES, "offline_access"])
    reply = await register(
        client,
        client_name="The Inspector",
        token_endpoint_auth_method="none",
        grant_types=["authorization_code", "refresh_token"],
        application_type="native",
        scope=asked,
        client_uri="https://ignored.example",
        unknown_field=True,
    )
    assert reply.status_code == 201, reply.text
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    client_id = body["client_id"]
    assert client_id.startswith("mcp-")
    assert len(client_id) == 36
    assert body == {
        "client_id": client_id,
        "client_id_issued_at": server.now,
        "client_name": "The Inspector",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "scope": asked,
    }
    assert list(body) == [
        "client_id",
        "client_id_issued_at",
        "client_name",
        "redirect_uris",
        "grant_types",
        "response_types",
        "token_endpoint_auth_method",
        "application_type",
        "scope",
    ]

    page = assert_page(await client.get(f"/oauth/authorize?{query(client_id)}"), 200)
    assert "<strong>The Inspector</strong> asks" in page
    assert "You will be sent back to app.example.com." in page
    code = await code_for(client, client_id, resource=MCP, scope=asked)
    first = await tokens(client, exchange(client_id, code, resource=MCP))
    assert first["scope"] == asked
    assert "refresh_token" in first
    # Bound to /mcp: the REST API refuses it.
    refused = await list_todos(client, first["access_token"])
    assert refused.status_code == 401
    assert refused.json() == {"error": "the bearer token was issued for another resource"}

    refreshing = {"grant_type": "refresh_token", "client_id": client_id}
    with_resource = {**refreshing, "refresh_token": first["refresh_token"], "resource": PUBLIC_URL}
    assert_oauth_error(await token_json(client, with_resource), 400, "invalid_target")
    # The refused refresh did not use the token up.
    kept = await tokens(client, {**refreshing, "refresh_token": first["refresh_token"]})
    assert "refresh_token" in kept
    second = await tokens(
        client,
        exchange(
            client_id, await code_for(client, client_id, scope=asked, resource=MCP), resource=MCP
        ),
    )
    refreshed = await tokens(
        client, {**refreshing, "refresh_token": second["refresh_token"], "resource": MCP}
    )
    assert refreshed["scope"] == asked
    assert refreshed["refresh_token"] != second["refresh_token"]
    assert (await list_todos(client, refreshed["access_token"])).status_code == 401
    again = {**refreshing, "refresh_token": second["refresh_token"]}
    assert_oauth_error(await token_json(client, again), 400, "invalid_grant")


async def test_only_offline_access_or_the_pre_registered_client_gets_a_refresh_token(
    client: httpx.AsyncClient,
) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    found = await tokens(client, exchange(client_id, await code_for(client, client_id)))
    assert "refresh_token" not in found
    assert found["scope"] == SCOPE
    assert list(found) == ["access_token", "expires_in", "scope", "token_type"]
    # An unbound token works on the REST API.
    assert (await list_todos(client, found["access_token"])).status_code == 200


async def test_a_registered_confidential_client_authenticates_with_its_secret(
    client: httpx.AsyncClient,
) -> None:
    body = await registered(client, client_name="Web app")
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["grant_types"] == ["authorization_code"]
    assert body["application_type"] == "web"
    assert body["client_secret_expires_at"] == 0
    assert list(body)[:5] == [
        "client_id",
        "client_id_issued_at",
        "client_secret",
        "client_secret_expires_at",
        "client_name",
    ]
    client_id, secret = body["client_id"], body["client_secret"]
    # PKCE is optional for a confidential client.
    code = await code_for(client, client_id, code_challenge="", code_challenge_method="")
    form = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK})
    for wrong in [{}, basic(client_id, "wrong")]:
        reply = await post_form(client, "/oauth/token", form, wrong)
        assert_oauth_error(reply, 401, "invalid_client")
    without_secret = f"{form}&client_id={client_id}"
    assert_oauth_error(
        await post_form(client, "/oauth/token", without_secret), 401, "invalid_client"
    )
    reply = await post_form(client, "/oauth/token", form, basic(client_id, secret))
    assert reply.status_code == 200, reply.text
    assert "refresh_token" not in reply.json()


async def test_a_public_client_must_use_pkce_and_send_no_secret(client: httpx.AsyncClient) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    for changes in [
        {"code_challenge": "", "code_challenge_method": ""},
        {"code_challenge_method": "plain"},
    ]:
        reply = await client.get(f"/oauth/authorize?{query(client_id, **changes)}")
        params = redirect_params(reply, CALLBACK)
        assert params["error"] == "invalid_request"
    code = await code_for(client, client_id)
    with_secret = exchange(client_id, code, client_secret="anything")
    assert_oauth_error(await token_json(client, with_secret), 401, "invalid_client")
    without_verifier = exchange(client_id, code)
    del without_verifier["code_verifier"]
    assert_oauth_error(await token_json(client, without_verifier), 400, "invalid_grant")


async def test_a_code_is_bound_to_its_client(client: httpx.AsyncClient) -> None:
    one = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    other = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    code = await code_for(client, one)
    assert_oauth_error(await token_json(client, exchange(other, code)), 400, "invalid_grant")


async def test_a_registered_client_uses_only_its_redirect_uris_and_scopes(
    client: httpx.AsyncClient,
) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none", scope=SCOPE))[
        "client_id"
    ]
    for redirect_uri in [
        f"{CALLBACK}/",
        "https://claude.ai/api/mcp/auth_callback",
        "http://localhost/cb",
    ]:
        assert_page(await client.get(f"/oauth/authorize?{query(client_id, redirect_uri)}"), 400)
    reply = await client.get(f"/oauth/authorize?{query(client_id, scope='offline_access')}")
    assert redirect_params(reply, CALLBACK)["error"] == "invalid_scope"
    # Without a scope, the request asks for the registered one.
    offline = await registered(client, token_endpoint_auth_method="none", scope="offline_access")
    code = await code_for(client, offline["client_id"])
    found = await tokens(client, exchange(offline["client_id"], code))
    assert found["scope"] == "offline_access"
    assert "refresh_token" in found


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": None}, "invalid_redirect_uri"),
        ({"redirect_uris": CALLBACK}, "invalid_redirect_uri"),
        ({"redirect_uris": [CALLBACK] * 11}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [f"{CALLBACK}#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://user@app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [f"{CALLBACK}?{'x' * 2000}"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [42]}, "invalid_redirect_uri"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"grant_types": "authorization_code"}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"application_type": "ios"}, "invalid_client_metadata"),
        ({"client_name": 42}, "invalid_client_metadata"),
        ({"client_name": "x" * 201}, "invalid_client_metadata"),
        ({"scope": "admin"}, "invalid_client_metadata"),
        ({"scope": ["todos"]}, "invalid_client_metadata"),
    ],
)
async def test_a_bad_registration_is_refused(
    client: httpx.AsyncClient, metadata: dict[str, Any], error: str
) -> None:
    reply = await client.post("/oauth/register", json={"redirect_uris": [CALLBACK], **metadata})
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == error
    assert reply.json()["error_description"]
    assert reply.headers["cache-control"] == "no-store"


async def test_a_registration_must_be_a_json_object_of_at_most_16_kib(
    client: httpx.AsyncClient,
) -> None:
    for content in [b"not json", b"[]", b'"x"', b"{"]:
        reply = await client.post("/oauth/register", content=content)
        assert reply.status_code == 400
        assert reply.json()["error"] == "invalid_client_metadata"
    big = json.dumps({"redirect_uris": [CALLBACK], "pad": "x" * MAX_REGISTRATION_BYTES})
    reply = await client.post("/oauth/register", content=big)
    assert reply.status_code == 413
    assert reply.json() == {"error": f"the body is larger than {MAX_REGISTRATION_BYTES} bytes"}
    assert MAX_REGISTRATION_BYTES == 16 * 1024


async def test_registrations_stop_when_the_server_is_full(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.MAX_CLIENTS == 1000
    monkeypatch.setattr(store, "MAX_CLIENTS", 2)
    await registered(client)
    await registered(client)
    reply = await register(client)
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_client_metadata"
    assert "full" in reply.json()["error_description"]


async def test_registrations_survive_a_restart_with_their_secrets_hashed(server: Server) -> None:
    body = await registered(server.client, client_name="Kept")
    stored = stored_text(server)
    assert body["client_secret"] not in stored
    assert hashlib.sha256(body["client_secret"].encode()).hexdigest() in stored
    server.db.close()  # it stops: one server per SQLite file
    restarted = Server(server.data_path)
    async with restarted.client:
        page = await restarted.client.get(f"/oauth/authorize?{query(body['client_id'])}")
        assert "<strong>Kept</strong>" in assert_page(page, 200)
        code = await code_for(restarted.client, body["client_id"])
        form = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
            }
        )
        headers = basic(body["client_id"], body["client_secret"])
        reply = await post_form(restarted.client, "/oauth/token", form, headers)
        assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("resource", [MCP, PUBLIC_URL, "HTTPS://TODO.EXAMPLE.COM:443/mcp/"])
async def test_a_resource_is_one_of_the_two_and_binds_the_tokens(
    client: httpx.AsyncClient, resource: str
) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    code = await code_for(client, client_id, resource=resource)
    found = await tokens(client, exchange(client_id, code))
    on_rest = (await list_todos(client, found["access_token"])).status_code
    assert on_rest == (200 if resource == PUBLIC_URL else 401)


@pytest.mark.parametrize(
    "resource",
    [
        "https://other.example/mcp",
        f"{MCP}/x",
        f"{MCP}?x=1",
        f"{MCP}#x",
        f"http://{PUBLIC_URL.partition('://')[2]}/mcp",
        "not a url",
    ],
)
async def test_an_unknown_resource_is_an_invalid_target(
    client: httpx.AsyncClient, resource: str
) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    reply = await client.get(f"/oauth/authorize?{query(client_id, resource=resource)}")
    assert redirect_params(reply, CALLBACK)["error"] == "invalid_target"
    # At the token endpoint too, for a code issued without one; the code is not used up.
    code = await code_for(client, client_id)
    refused = await token_json(client, exchange(client_id, code, resource=resource))
    assert_oauth_error(refused, 400, "invalid_target")
    bound = await tokens(client, exchange(client_id, code, resource=PUBLIC_URL))
    assert (await list_todos(client, bound["access_token"])).status_code == 200


async def test_the_token_endpoint_keeps_the_codes_resource(client: httpx.AsyncClient) -> None:
    client_id = (await registered(client, token_endpoint_auth_method="none"))["client_id"]
    code = await code_for(client, client_id, resource=MCP)
    refused = await token_json(client, exchange(client_id, code, resource=PUBLIC_URL))
    assert_oauth_error(refused, 400, "invalid_target")
    # The refused request did not use the code up; the code's resource binds the tokens.
    found = await tokens(client, exchange(client_id, code))
    assert (await list_todos(client, found["access_token"])).status_code == 401
    twice = f"{query(client_id, resource=MCP)}&resource={MCP}"
    params = redirect_params(await client.get(f"/oauth/authorize?{twice}"), CALLBACK)
    assert params["error"] == "invalid_request"
    assert "given more than once" in params["error_description"]


async def test_a_refresh_may_bind_an_unbound_grant_and_keeps_a_binding(
    client: httpx.AsyncClient,
) -> None:
    # The pre-registered client's tokens (a GPT Action's) are bound to no resource.
    unbound = await tokens_for(client)
    other = {**refresh(unbound["refresh_token"]), "resource": "https://other.example"}
    assert_oauth_error(await token_json(client, other), 400, "invalid_target")
    # The refused refresh did not use the token up; a known resource binds the new tokens
    # (RFC 8707, 2.2: a refresh may narrow the audience).
    bound = await tokens(client, {**refresh(unbound["refresh_token"]), "resource": MCP})
    assert (await list_todos(client, bound["access_token"])).status_code == 401
    # The binding stays: another resource is refused, none keeps it.
    api = {**refresh(bound["refresh_token"]), "resource": PUBLIC_URL}
    assert_oauth_error(await token_json(client, api), 400, "invalid_target")
    refreshed = await tokens(client, refresh(bound["refresh_token"]))
    assert (await list_todos(client, refreshed["access_token"])).status_code == 401


async def test_the_pre_registered_client_is_named_and_everything_shown_is_escaped(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.get(
        "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "test-client",
                "redirect_uri": "https://claude.ai/api/mcp/auth_callback",
                "state": STATE,
            }
        )
    )
    page = assert_page(reply, 200)
    assert "<strong>the pre-registered client (OAUTH_CLIENT_ID)</strong> asks" in page
    assert "You will be sent back to claude.ai." in page
    name = '<script>alert("x")</script> & Co'
    client_id = (await registered(client, client_name=name, token_endpoint_auth_method="none"))[
        "client_id"
    ]
    page = assert_page(await client.get(f"/oauth/authorize?{query(client_id)}"), 200)
    assert f"<strong>{escape(name)}</strong>" in page
    assert "<script>" not in page


class Documents:
    """A loopback HTTP server for client metadata documents: each path answers with the
    status, headers and body set for it."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.fetched: list[str] = []
        self.delay = 0.0
        """Seconds each answer waits before it starts."""
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents.fetched.append(self.path)
                time.sleep(documents.delay)
                status, headers, body = documents.answers.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (the time limit test) is no error here

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(
        self,
        path: str,
        document: dict[str, Any] | bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serves `document` at `path`; its URL."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        answer_headers = {"Content-Type": "application/json", **(headers or {})}
        self.answers[path] = (status, answer_headers, body)
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def documents() -> Iterator[Documents]:
    served = Documents()
    yield served
    served.close()


def document_for(url: str, **changes: Any) -> dict[str, Any]:
    return {"client_id": url, "client_name": "Doc Client", "redirect_uris": [CALLBACK], **changes}


async def test_a_metadata_document_client_signs_in_with_pkce(
    client: httpx.AsyncClient, documents: Documents
) -> None:
    url = documents.url("/oauth/client.json")
    documents.serve("/oauth/client.json", document_for(url))
    page = assert_page(await client.get(f"/oauth/authorize?{query(url)}"), 200)
    assert "<strong>Doc Client</strong> asks" in page
    code = await code_for(client, url, resource=MCP)
    found = await tokens(client, exchange(url, code))
    assert "refresh_token" not in found
    # A public client: no secret, and PKCE is required.
    code = await code_for(client, url)
    with_secret = exchange(url, code, client_secret="x")
    assert_oauth_error(await token_json(client, with_secret), 401, "invalid_client")
    reply = await client.get(f"/oauth/authorize?{query(url, code_challenge='')}")
    assert redirect_params(reply, CALLBACK)["error"] == "invalid_request"
    # A listed redirect URI must still be https or loopback.
    plain = documents.url("/plain.json")
    documents.serve("/plain.json", document_for(plain, redirect_uris=["http://plain.example/cb"]))
    refused = await client.get(f"/oauth/authorize?{query(plain, 'http://plain.example/cb')}")
    assert "Redirect URI not allowed" in assert_page(refused, 400)


@pytest.mark.parametrize(
    ("serve", "reason"),
    [
        ({"document": {"client_id": "https://other.example/c.json"}}, "client_id is not its URL"),
        ({"document": {"redirect_uris": ["https://elsewhere.example/cb"]}}, "not one of"),
        ({"document": {"redirect_uris": []}}, "redirect_uris"),
        ({"document": {"token_endpoint_auth_method": "client_secret_basic"}}, "must be none"),
        ({"document": {"client_name": 1}}, "client_name"),
        ({"document": b"[1]"}, "not a JSON object"),
        ({"document": b"x" * (MAX_DOCUMENT_BYTES + 1)}, "larger than"),
        ({"status": 302, "headers": {"Location": "/elsewhere"}}, "a redirect"),
        ({"status": 404}, "answered 404"),
    ],
)
async def test_a_bad_metadata_document_is_an_error_page(
    client: httpx.AsyncClient, documents: Documents, serve: dict[str, Any], reason: str
) -> None:
    url = documents.url("/client.json")
    body = serve.get("document", {})
    document = body if isinstance(body, bytes) else document_for(url, **body)
    documents.serve("/client.json", document, serve.get("status", 200), serve.get("headers"))
    page = assert_page(await client.get(f"/oauth/authorize?{query(url)}"), 400)
    assert reason in page
    if reason != "not one of":
        assert escape(url) in page


async def test_metadata_documents_are_not_fetched_from_private_or_loopback_addresses(
    tmp_path: Path, documents: Documents
) -> None:
    server = Server(tmp_path / "plugin.db")
    async with server.client:
        for url, problem in [
            ("https://10.0.0.1/client.json", "a private address"),
            ("https://192.168.0.1/client.json", "a private address"),
            ("https://169.254.169.254/latest", "a link-local address"),
            ("https://127.0.0.1/client.json", "a loopback address"),
            ("https://[::1]/client.json", "a loopback address"),
        ]:
            page = assert_page(await server.client.get(f"/oauth/authorize?{query(url)}"), 400)
            assert f"it resolves to {problem}" in page, page
        # Without the setting, an http URL on loopback is no metadata document at all.
        url = documents.serve("/client.json", document_for(documents.url("/client.json")))
        page = assert_page(await server.client.get(f"/oauth/authorize?{query(url)}"), 400)
        assert "Unknown client" in page
        assert documents.fetched == []


async def test_metadata_documents_are_cached_as_their_headers_allow(
    server: Server, documents: Documents
) -> None:
    client = server.client
    cached = documents.url("/cached.json")
    documents.serve("/cached.json", document_for(cached), headers={"Cache-Control": "max-age=60"})
    uncached = documents.url("/uncached.json")
    documents.serve("/uncached.json", document_for(uncached), headers={"Cache-Control": "no-store"})
    for url in [cached, uncached]:
        assert_page(await client.get(f"/oauth/authorize?{query(url)}"), 200)
        assert_page(await client.get(f"/oauth/authorize?{query(url)}"), 200)
    assert documents.fetched == ["/cached.json", "/uncached.json", "/uncached.json"]
    server.advance(60)
    assert_page(await client.get(f"/oauth/authorize?{query(cached)}"), 200)
    assert documents.fetched[-1] == "/cached.json"
    assert len(documents.fetched) == 4


async def test_a_metadata_document_must_arrive_in_time(
    client: httpx.AsyncClient, documents: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert metadata_document.FETCH_SECONDS == 5
    monkeypatch.setattr(metadata_document, "FETCH_SECONDS", 0.2)
    url = documents.serve("/slow.json", document_for(documents.url("/slow.json")))
    documents.delay = 1.0
    page = assert_page(await client.get(f"/oauth/authorize?{query(url)}"), 400)
    assert "it took more than 0.2 seconds" in page
