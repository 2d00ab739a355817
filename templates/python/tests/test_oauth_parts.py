"""The OAuth server's parts on their own: form parsing, the redirect allow-list, HTTP Basic
credentials, secrets, HTML escaping and the grants in the database."""

import base64
import ipaddress
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from app.db import Database, DatabaseError
from app.oauth import store
from app.oauth.form import (
    RepeatedParameterError,
    encode_form,
    parse_form,
    parse_pairs,
    split_whitespace,
    trim,
)
from app.oauth.metadata_document import (
    MAX_CACHE_SECONDS,
    address_problem,
    cache_seconds,
    is_metadata_url,
)
from app.oauth.page import escape
from app.oauth.redirect import AllowList, registrable, with_params
from app.oauth.server import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    OAuth,
    Settings,
    TokenError,
    basic_credentials,
    pkce_challenge,
    random_token,
    secret_hash,
    token_params,
)
from app.oauth.store import (
    MAX_CLIENTS,
    PENDING_LIFETIME,
    RETRY_SECONDS,
    Client,
    Code,
    Grants,
    Refused,
    Token,
)


def test_forms_decode_as_browsers_encode_them() -> None:
    assert parse_pairs(b"a=1&&b=x+y%2B%26&c&=v&d=%zz%4") == [
        ("a", "1"),
        ("b", "x y+&"),
        ("c", ""),
        ("", "v"),
        ("d", "%zz%4"),
    ]
    # Bytes that are not UTF-8 become U+FFFD, whether raw or percent-encoded.
    assert parse_pairs(b"a=%FF%C3%A9&b=\xff") == [("a", "\ufffdé"), ("b", "\ufffd")]


def test_repeated_parameters_are_refused() -> None:
    assert parse_form(b"a=1&b=2") == {"a": "1", "b": "2"}
    with pytest.raises(RepeatedParameterError, match="`a`"):
        parse_form(b"a=1&a=2")
    with pytest.raises(RepeatedParameterError):
        parse_form(b"a=&a=")


def test_forms_encode_as_the_url_standard_says() -> None:
    assert encode_form([("code", "a b"), ("state", "x&y=z~*é")]) == (
        "code=a+b&state=x%26y%3Dz%7E*%C3%A9"
    )


def test_whitespace_is_unicode_white_space() -> None:
    assert split_whitespace(" a\tb\u3000c\n") == ["a", "b", "c"]
    # The information separators are not whitespace (Python's str.split() says they are).
    assert split_whitespace("a\x1fb") == ["a\x1fb"]
    assert trim("\u00a0 x y\r\n") == "x y"
    assert trim("\x1cx") == "\x1cx"


def test_chatgpt_callbacks_and_loopback_are_allowed() -> None:
    allow = AllowList()
    for uri in [
        "https://chat.openai.com/aip/plugin-6a3f0b8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/oauth/callback",
        "https://chatgpt.com/aip/g-abc123XYZ/oauth/callback",
        "http://localhost:8080/callback",
        "http://127.0.0.1/cb?x=1",
        "http://[::1]:9000/",
        "http://localhost",
        "http://localhost:80/cb",
        # ChatGPT's app callbacks, stable and per connector, and Claude's.
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "https://chatgpt.com/connector/oauth/abc_DEF-123",
        "https://chatgpt.com/connector/oauth/" + "c" * 100,
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
    ]:
        assert allow.allows(uri), uri


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com.evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com@evil.example/aip/plugin-1/oauth/callback",
        "https://chat.openai.com/aip/plugin-1/oauth/callback/../../x",
        "https://chat.openai.com/aip/plugin-1/oauth/callback?next=evil",
        "https://chat.openai.com/aip/plugin-1/oauth/callback#x",
        "https://chat.openai.com:444/aip/plugin-1/oauth/callback",
        "https://chat.openai.com:443/aip/plugin-1/oauth/callback",
        "https://CHAT.openai.com/aip/plugin-1/oauth/callback",
        "http://chat.openai.com/aip/plugin-1/oauth/callback",
        "https://chat.openai.com/aip//oauth/callback",
        "https://chat.openai.com/aip/plugin.1/oauth/callback",
        "https://chat.openai.com/aip/" + "p" * 101 + "/oauth/callback",
        "https://chat.openai.com/other",
        "http://localhost.evil.example/cb",
        "http://localhost:x/cb",
        "http://localhost:/cb",
        "http://localhost\\@evil.example/",
        # Legitimate loopback callbacks need no fragment, user info or backslash either.
        "http://localhost/cb#x",
        "http://localhost/a@b",
        "http://user@localhost/",
        "http://localhost/a\\b",
        "http://localhost/a b",
        "http://localhost/\u2028",
        "http://localhost/\x7f",
        "http://[::1/",
        "http://[::1]x/cb",
        "http://[::1].evil.com/cb",
        "http://[::1]evil.com/cb",
        "http://[::1].evil.com:80/cb",
        "https://chatgpt.com/connector_platform_oauth_redirect/",
        "https://chatgpt.com/connector_platform_oauth_redirect?x=1",
        "https://chat.openai.com/connector_platform_oauth_redirect",
        "https://chatgpt.com/connector/oauth/",
        "https://chatgpt.com/connector/oauth/a.b",
        "https://chatgpt.com/connector/oauth/a/b",
        "https://chatgpt.com/connector/oauth/" + "c" * 101,
        "https://chatgpt.com/connector/oauth/abc?x=1",
        "https://chat.openai.com/connector/oauth/abc",
        "https://chatgpt.com.evil.example/connector/oauth/abc",
        "https://claude.ai/api/mcp/auth_callback/",
        "https://claude.ai/api/mcp/other",
        "https://claude.ai.evil.example/api/mcp/auth_callback",
        "http://claude.ai/api/mcp/auth_callback",
        "http://LOCALHOST/cb",
        "http://localhost/" + "a" * 2000,
        "HTTP://localhost/",
        "javascript:alert(1)",
        "",
    ],
)
def test_everything_else_is_refused(uri: str) -> None:
    assert not AllowList().allows(uri)


def test_extra_uris_are_matched_exactly() -> None:
    allow = AllowList(extra=("https://app.example.com/oauth/done",))
    assert allow.allows("https://app.example.com/oauth/done")
    assert not allow.allows("https://app.example.com/oauth/done/")
    assert not allow.allows("https://app.example.com/oauth/done?x=1")


def test_params_are_encoded_and_appended() -> None:
    assert (
        with_params("http://localhost/cb", [("code", "a b"), ("state", "x&y=z")])
        == "http://localhost/cb?code=a+b&state=x%26y%3Dz"
    )
    assert (
        with_params("http://localhost/cb?keep=1", [("error", "access_denied")])
        == "http://localhost/cb?keep=1&error=access_denied"
    )


def test_basic_credentials_are_form_decoded() -> None:
    encoded = base64.b64encode(b"my%20client:s%3Acret+x").decode()
    assert basic_credentials(encoded) == ("my client", "s:cret x")
    assert basic_credentials(f" {encoded}\t") == ("my client", "s:cret x")
    assert basic_credentials(base64.b64encode(b"id:").decode()) == ("id", "")
    assert basic_credentials("not base64!") is None
    assert basic_credentials(base64.b64encode(b"no-colon").decode()) is None
    assert basic_credentials(base64.b64encode(b"\xff:x").decode()) is None
    # Only the canonical encoding: padded, without stray bits.
    assert basic_credentials(base64.b64encode(b"a:b1").decode().rstrip("=")) is None
    assert basic_credentials("YTpi") == ("a", "b")
    assert basic_credentials("YTpj") == ("a", "c")
    assert basic_credentials("YTpiZ===") is None
    assert basic_credentials("YTpiZh==") is None


def test_lifetimes_are_as_documented() -> None:
    assert CODE_LIFETIME == 5 * 60
    assert ACCESS_TOKEN_LIFETIME == 60 * 60
    assert REFRESH_TOKEN_LIFETIME == 30 * 24 * 60 * 60


@pytest.mark.parametrize(
    ("content_type", "body", "description"),
    [
        ("application/json", b"[]", "the body is not a JSON object"),
        ("application/json", b'{"a": 1e999}', "the body is not a JSON object"),
        (
            "application/json",
            b'{"a": ' + b"[" * 127 + b"]" * 127 + b"}",
            "the body is not a JSON object",
        ),
        ("application/json", b'{"b": 1, "a": null}', "`a` must be a string"),
        (
            "application/x-www-form-urlencoded",
            b"a=1&a=1",
            "the parameter `a` is given more than once",
        ),
        ("text/plain", b"", "send application/x-www-form-urlencoded or application/json"),
    ],
)
def test_token_requests_are_json_objects_of_strings_or_forms(
    content_type: str, body: bytes, description: str
) -> None:
    with pytest.raises(TokenError) as refused:
        token_params({"content-type": content_type}, body)
    assert (refused.value.code, refused.value.description) == ("invalid_request", description)
    params = token_params({"content-type": "Application/JSON; charset=utf-8"}, b'{"a": "1"}')
    assert params == {"a": "1"}


def test_tokens_are_random_and_stored_hashed() -> None:
    a, b = random_token(), random_token()
    assert a != b
    assert len(a) == 43
    assert secret_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert secret_hash(a) != a


def test_pkce_challenges_are_s256() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_escape_covers_html_specials() -> None:
    escaped = "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    assert escape("<a href=\"x\">'&'</a>") == escaped


@pytest.fixture
def grants(tmp_path: Path) -> Grants:
    """Grants in a fresh database (SQLite, or PostgreSQL: see `conftest.py`)."""
    return Grants(Database.open(tmp_path / "plugin.db", None))


def code(expires_at: int) -> Code:
    return Code(
        grant="g",
        client_id="c",
        redirect_uri="http://localhost/cb",
        user="alice",
        scope=["todos"],
        code_challenge=None,
        resource=None,
        expires_at=expires_at,
    )


def refresh(grant: str, expires_at: int = 1000) -> Token:
    return Token(
        grant=grant,
        kind="refresh",
        client_id="c",
        user="alice",
        scope=["todos", "offline_access"],
        resource=None,
        expires_at=expires_at,
    )


def access(grant: str, expires_at: int = 1000) -> Token:
    return replace(refresh(grant, expires_at), kind="access")


def test_grants_survive_reopening(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "plugin.db", None)
    grants = Grants(db)
    grants.add_code("h", code(100), 0)
    assert isinstance(grants.use_code("h", 0, never), Code)
    db.close()  # one server per SQLite file: the next one starts once this one has stopped
    reopened = Grants(Database.open(tmp_path / "plugin.db", None))
    assert reopened.use_code("h", 0, never) is Refused.REPLAYED


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "plugin.db", None)
    grants = Grants(db)
    grants.add_tokens([("a", access("g"))], 0)
    db.query("ALTER TABLE oauth_tokens RENAME TO away")
    with pytest.raises(DatabaseError):
        grants.add_tokens([("b", access("g"))], 0)
    db.query("ALTER TABLE away RENAME TO oauth_tokens")
    assert grants.token("a") is not None
    assert grants.token("b") is None


def test_expired_rows_are_deleted_when_new_ones_are_added(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "plugin.db", None)
    grants = Grants(db)
    grants.add_code("old", code(100), 0)
    grants.add_tokens([("old", access("g", 100))], 0)
    request_id = grants.add_pending("{}", 0)
    assert grants.token("old") is not None
    grants.add_code("new", code(1000), PENDING_LIFETIME)
    assert grants.code("old") is None
    assert grants.token("old") is None
    # Taken as of time 0, when it was still live: gone because it was deleted.
    assert grants.take_pending(request_id, 0) is None
    assert grants.code("new") is not None


def test_a_pending_request_is_taken_once_and_expires(grants: Grants) -> None:
    first = grants.add_pending('{"a": 1}', 0)
    second = grants.add_pending('{"b": 2}', 0)
    assert first != second
    assert grants.take_pending(first, 10) == '{"a": 1}'
    assert grants.take_pending(first, 10) is None
    assert grants.take_pending(second, PENDING_LIFETIME) is None, "expired"
    assert grants.take_pending("unknown", 0) is None


def test_past_the_limit_the_oldest_pending_requests_go(grants: Grants) -> None:
    oldest, older, newest = (grants.add_pending("{}", now, limit=2) for now in (0, 1, 2))
    assert grants.take_pending(oldest, 2) is None
    assert grants.take_pending(older, 2) == "{}"
    assert grants.take_pending(newest, 2) == "{}"


def never(code: Code) -> bool:
    return False


def test_a_used_code_is_a_retry_only_when_the_check_says_so_within_a_minute(
    grants: Grants,
) -> None:
    grants.add_code("h", code(1000), 0)
    grants.add_tokens([("t", access("g"))], 10)
    used = grants.use_code("h", 10, never)
    assert isinstance(used, Code)
    assert used.used_at == 10
    assert grants.use_code("other", 10, never) is Refused.UNKNOWN
    seen: list[Code] = []

    def retry(found: Code) -> bool:
        seen.append(found)
        return True

    assert grants.use_code("h", 10 + RETRY_SECONDS, retry) is Refused.RETRIED
    assert seen[0].grant == "g"
    assert grants.token("t") is not None, "a retry revokes nothing"
    assert grants.use_code("h", 11 + RETRY_SECONDS, retry) is Refused.REPLAYED
    assert grants.token("t") is None, "a replay revokes the grant"
    assert grants.use_code("h", 12, never) is Refused.REPLAYED
    assert grants.use_code("h", 1000, never) is Refused.UNKNOWN, "expired"


def test_a_code_used_concurrently_has_exactly_one_winner(grants: Grants) -> None:
    grants.add_code("h", code(1000), 0)
    barrier = threading.Barrier(8)

    def use(_: int) -> Code | Refused:
        barrier.wait()
        return grants.use_code("h", 10, never)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(use, range(8)))
    assert sum(isinstance(result, Code) for result in results) == 1
    assert results.count(Refused.REPLAYED) == 7


def test_a_refresh_token_rotates_once_even_concurrently(grants: Grants) -> None:
    grants.add_tokens([("r", refresh("g")), ("a", access("g")), ("other", access("h"))], 0)
    barrier = threading.Barrier(8)

    def rotate(_: int) -> Token | Refused:
        barrier.wait()
        return grants.rotate_refresh("r", 10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(rotate, range(8)))
    winners = [result for result in results if isinstance(result, Token)]
    assert len(winners) == 1
    assert winners[0].grant == "g"
    # The first replay revoked the grant, its refresh token too: those after it find none.
    losers = [result for result in results if not isinstance(result, Token)]
    assert Refused.REPLAYED in losers
    assert set(losers) <= {Refused.REPLAYED, Refused.UNKNOWN}
    # Other grants keep their tokens.
    assert grants.token("r") is None
    assert grants.token("a") is None
    assert grants.token("other") is not None
    assert grants.rotate_refresh("a", 10) is Refused.UNKNOWN, "an access token is no refresh"


def test_rotating_ends_the_access_tokens_of_the_grant(grants: Grants) -> None:
    grants.add_tokens([("r", refresh("g")), ("a", access("g"))], 0)
    rotated = grants.rotate_refresh("r", 10)
    assert isinstance(rotated, Token)
    assert grants.token("a") is None
    assert grants.token("r") == replace(refresh("g"), rotated=True)
    assert grants.access_token("a", 10) is None
    assert grants.rotate_refresh("r", 1000) is Refused.UNKNOWN, "expired"


def test_registrations_stop_at_the_limit_even_concurrently(
    grants: Grants, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_CLIENTS == 1000
    monkeypatch.setattr(store, "MAX_CLIENTS", 50)  # the same, and quicker
    uris = ["https://c.example/cb"]
    client = Client(secret_hash=None, client_name="c", redirect_uris=uris, scope=None, issued_at=0)

    def register(number: int) -> bool:
        return grants.register(f"client-{number}", client)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(register, range(70)))
    assert results.count(True) == 50
    # Which ones won is up to the threads: a waiting writer may be passed by the others.
    assert grants.client(f"client-{results.index(True)}") == client
    assert grants.client(f"client-{results.index(False)}") is None
    assert grants.client("unknown") is None


@pytest.mark.anyio
async def test_a_refresh_may_narrow_the_scope(tmp_path: Path) -> None:
    settings = Settings(
        client_id="c",
        client_secret="s",
        scope=["read", "write"],
        users=(("alice", "pw"),),
        redirects=AllowList(),
    )
    db = Database.open(tmp_path / "plugin.db", None)
    oauth = OAuth.open(settings, db, lambda: 1000, "Plugin")
    request = await oauth.check(
        {
            "response_type": "code",
            "client_id": "c",
            "redirect_uri": "http://localhost/cb",
            "state": "s",
        }
    )
    assert request.scope == ["read", "write"], "the plugin's scope when none is asked"
    request_id = oauth.grants.add_pending(json.dumps(asdict(request)), 1000)
    sign_in = {"request_id": request_id, "username": "alice", "password": "pw"}
    location = oauth.decide({**sign_in, "decision": "allow"})
    code_value = location.headers["location"].split("code=")[1].split("&")[0]
    form = "application/x-www-form-urlencoded"
    tokens = oauth.exchange(
        {"content-type": form},
        f"grant_type=authorization_code&code={code_value}&redirect_uri=http%3A%2F%2Flocalhost%2Fcb"
        "&client_id=c&client_secret=s".encode(),
    )
    assert tokens["scope"] == "read write"
    narrowed = oauth.exchange(
        {"content-type": form},
        f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}&scope=write"
        "&client_id=c&client_secret=s".encode(),
    )
    assert narrowed["scope"] == "write"
    with pytest.raises(TokenError) as refused:
        oauth.exchange(
            {"content-type": form},
            f"grant_type=refresh_token&refresh_token={narrowed['refresh_token']}"
            "&scope=read+write&client_id=c&client_secret=s".encode(),
        )
    assert refused.value.code == "invalid_scope"


def test_registered_redirect_uris_are_https_or_loopback() -> None:
    for uri in [
        "https://app.example.com/cb",
        "https://app.example.com:8443/cb?x=1",
        "http://localhost:6274/oauth/callback",
        "http://127.0.0.1:6276/oauth/callback",
        "http://[::1]/cb",
    ]:
        assert registrable(uri), uri
    for uri in [
        "http://app.example.com/cb",
        "https://app.example.com/cb#x",
        "https://user@app.example.com/cb",
        "https://app.example.com/a b",
        "https://app.example.com\\@evil.example/",
        "javascript:alert(1)",
        "myapp://cb",
        "",
    ]:
        assert not registrable(uri), uri


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("100.64.0.1", "a private address"),
        ("fd00::1", "a private address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("255.255.255.255", "a private address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_metadata_documents_are_not_fetched_from_private_addresses(
    address: str, problem: str | None
) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_metadata_urls_are_https_urls_with_a_path() -> None:
    assert is_metadata_url("https://chatgpt.com/oauth/client.json", False)
    assert is_metadata_url("https://claude.ai/oauth/mcp-oauth-client-metadata", False)
    assert not is_metadata_url("https://chatgpt.com/", False)
    assert not is_metadata_url("https://chatgpt.com", False)
    assert not is_metadata_url("http://127.0.0.1:9/client.json", False)
    assert is_metadata_url("http://127.0.0.1:9/client.json", True)
    assert not is_metadata_url("http://example.com/client.json", True)
    assert not is_metadata_url("client-id", True)


@pytest.mark.parametrize(
    ("cache_control", "seconds"),
    [
        ("max-age=60", 60),
        ("public, max-age=3600", 3600),
        ("max-age=999999", MAX_CACHE_SECONDS),
        ("max-age=60, no-store", 0),
        ("no-cache", 0),
        ("public", 0),
        (None, 0),
    ],
)
def test_metadata_documents_are_cached_as_their_headers_allow(
    cache_control: str | None, seconds: int
) -> None:
    assert cache_seconds(cache_control) == seconds
