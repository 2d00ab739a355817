"""Which `redirect_uri`s the authorization server sends users back to, and how.

A code must only ever reach the client that asked for it, so the allow-list of the
pre-registered client (`OAUTH_CLIENT_ID`) is strict: ChatGPT's app, plugin and GPT callbacks,
Claude's, loopback URLs for local testing, and exact URLs from `OAUTH_REDIRECT_URIS`. A
registered client or a client metadata document names its own (exact) redirect URIs, which
must be https or loopback (`registrable`). Anything else is shown as an error page and never
redirected to.
"""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.oauth.form import WHITESPACE, encode_form

CHATGPT_HOSTS = frozenset({"chat.openai.com", "chatgpt.com"})
"""The hosts ChatGPT's OAuth callbacks live on."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
"""Loopback hosts, allowed with any port and path (RFC 8252, 7.3)."""

CLAUDE_CALLBACKS = frozenset(
    {"https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"}
)
"""Claude's OAuth callbacks."""
CHATGPT_APP_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"
"""ChatGPT's stable callback for apps (connectors)."""

# A plugin id (`plugin-<uuid>`), GPT id (`g-<id>`) or connector id.
_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True)
class AllowList:
    """The redirect URIs this server accepts."""

    extra: tuple[str, ...] = ()
    """Exact URIs allowed besides ChatGPT's callbacks and loopback URLs."""

    def allows(self, uri: str) -> bool:
        """Whether `uri` may receive codes."""
        if uri in self.extra or uri in CLAUDE_CALLBACKS or uri == CHATGPT_APP_CALLBACK:
            return True
        parts = _Parts.parse(uri)
        if parts is None:
            return False
        if parts.scheme == "https":
            segments = parts.path.split("/")
            if parts.port is not None or parts.query is not None:
                return False
            # https://chatgpt.com/connector/oauth/<connector id>
            if parts.host == "chatgpt.com" and segments[:3] == ["", "connector", "oauth"]:
                return len(segments) == 4 and _ID.fullmatch(segments[3]) is not None
            # https://chat.openai.com/aip/<plugin or GPT id>/oauth/callback
            return (
                parts.host in CHATGPT_HOSTS
                and len(segments) == 5
                and segments[:2] == ["", "aip"]
                and _ID.fullmatch(segments[2]) is not None
                and segments[3:] == ["oauth", "callback"]
            )
        if parts.scheme == "http":
            return parts.host in LOOPBACK_HOSTS
        return False


def registrable(uri: str) -> bool:
    """Whether a client may register `uri` as a redirect URI (or list it in its metadata
    document): https with any host, or http on loopback, read as strictly as the allow-list
    (no user info, no fragment)."""
    parts = _Parts.parse(uri)
    if parts is None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.host in LOOPBACK_HOSTS)


def host_of(uri: str) -> str:
    """The host (and port) a redirect URI sends the person to, as the consent page shows it."""
    parts = _Parts.parse(uri)
    if parts is None:
        return uri
    return parts.host if parts.port is None else f"{parts.host}:{parts.port}"


@dataclass(frozen=True)
class _Parts:
    """The pieces of an absolute URI, for URIs this module accepts at all."""

    scheme: str
    host: str
    port: str | None
    path: str
    query: str | None

    @classmethod
    def parse(cls, uri: str) -> "_Parts | None":
        """Parses `uri` with `urllib.parse`; `None` for anything it refuses, for anything unusual
        (user info, fragments, spaces, backslashes), which no legitimate callback needs, and for
        any URI whose scheme, host and port as written are not exactly what the parser read.
        `urlsplit` reads `http://[::1].evil.com/` as host `::1`: the host as written must be the
        parsed one, followed by nothing or `:` and digits."""
        if len(uri.encode()) > 2000 or any(
            c in WHITESPACE or unicodedata.category(c) == "Cc" or c in "\\#@" for c in uri
        ):
            return None
        try:
            split = urlsplit(uri)
            _ = split.port  # a port that is not a number raises ValueError
        except ValueError:
            return None
        hostname = split.hostname
        if not split.scheme or not hostname:
            return None
        host = f"[{hostname}]" if ":" in hostname else hostname
        prefix = f"{split.scheme}://"
        if not uri.startswith(prefix):
            return None
        rest = uri[len(prefix) :]
        end = next((at for at, c in enumerate(rest) if c in "/?"), len(rest))
        authority, path_and_query = rest[:end], rest[end:]
        path, question, query_text = path_and_query.partition("?")
        query = query_text if question else None
        port: str | None
        if authority == host:
            port = None
        elif authority.startswith(f"{host}:") and re.fullmatch(
            r"[0-9]+", authority[len(host) + 1 :]
        ):
            port = authority[len(host) + 1 :]
        else:
            return None
        return cls(scheme=split.scheme, host=host, port=port, path=path, query=query)


def with_params(uri: str, params: list[tuple[str, str]]) -> str:
    """`uri` with `params` added to its query string, form-encoded."""
    separator = "&" if "?" in uri else "?"
    return f"{uri}{separator}{encode_form(params)}"
