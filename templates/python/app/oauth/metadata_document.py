"""Client ID metadata documents: a `client_id` that is an https URL with a path names a JSON
document, fetched from that URL, that says who the client is and where its codes may go.

The fetch is what a server must be careful with when a stranger picks the URL: the host is
resolved first and refused if any of its addresses is private, loopback (unless
`OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`), link-local, unspecified, multicast or broadcast, and httpx
then connects to the address that was checked (no second lookup a DNS server could answer
differently), with the TLS name still the URL's host. No redirects, no proxies, at most
`MAX_DOCUMENT_BYTES`, `FETCH_SECONDS` in all. Documents are cached as their `Cache-Control`
allows, for at most `MAX_CACHE_SECONDS`.
"""

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpx

from app.body import parse_json

FETCH_SECONDS = 5
"""The time a fetch may take, from the DNS lookup to the last byte."""
MAX_DOCUMENT_BYTES = 16 * 1024
"""The largest document read."""
MAX_CACHE_SECONDS = 24 * 60 * 60
"""The longest a document is cached, whatever its `Cache-Control` says."""
MAX_CACHED = 1000
"""The most documents cached; past it the oldest is forgotten."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "169.254.0.0/16",
        "fe80::/10",
        "255.255.255.255/32",
    ]
)
_MAX_AGE = re.compile(r"max-age=([0-9]+)")


class MetadataDocumentError(Exception):
    """Why a metadata document cannot be used; the message names the URL."""


@dataclass(frozen=True)
class MetadataDocument:
    """What a client's metadata document says."""

    client_id: str
    """Its URL."""
    client_name: str | None
    redirect_uris: tuple[str, ...]


def is_metadata_url(client_id: str, allow_loopback: bool) -> bool:
    """Whether `client_id` names a metadata document: an https URL with a path other than `/`,
    or with `allow_loopback`, such an http URL on loopback."""
    try:
        parts = urlsplit(client_id)
    except ValueError:
        return False
    if not parts.hostname or parts.path in ("", "/"):
        return False
    if client_id.startswith("https://"):
        return True
    return allow_loopback and client_id.startswith("http://") and parts.hostname in LOOPBACK_HOSTS


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of address this is, if a metadata document must not be fetched from it."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if any(address in network for network in _PRIVATE_NETWORKS) or address.is_private:
        return "a private address"
    return None


def cache_seconds(cache_control: str | None) -> int:
    """How long `Cache-Control` lets a document be cached: its `max-age`, at most a day; 0 for
    `no-store`, `no-cache` or no `max-age`."""
    directives = [d.strip().lower() for d in (cache_control or "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return 0
    for directive in directives:
        if found := _MAX_AGE.fullmatch(directive):
            return min(int(found.group(1)), MAX_CACHE_SECONDS)
    return 0


def parse_document(url: str, body: bytes) -> MetadataDocument:
    """The document at `url`, checked. Raises `MetadataDocumentError`."""

    def invalid(reason: str) -> MetadataDocumentError:
        return MetadataDocumentError(
            f"the client metadata document at {url} is not valid: {reason}"
        )

    try:
        fields = parse_json(body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise invalid("it is not a JSON object")
    if fields.get("client_id") != url:
        raise invalid("its client_id is not its URL")
    uris = fields.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise invalid("redirect_uris must be a non-empty array of strings")
    if fields.get("token_endpoint_auth_method", "none") != "none":
        raise invalid("token_endpoint_auth_method must be none (the client is public)")
    name = fields.get("client_name")
    if name is not None and not isinstance(name, str):
        raise invalid("client_name must be a string")
    return MetadataDocument(client_id=url, client_name=name, redirect_uris=tuple(uris))


class MetadataDocuments:
    """Fetches and caches metadata documents. Safe to share between threads."""

    def __init__(self, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, MetadataDocument]] = {}

    async def get(self, url: str, now: int) -> MetadataDocument:
        """The document at `url`, from the cache or fetched. Raises `MetadataDocumentError`."""
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            with anyio.fail_after(FETCH_SECONDS):
                body, cache_control = await self._fetch(url)
        except TimeoutError:
            raise _unfetchable(url, f"it took more than {FETCH_SECONDS} seconds") from None
        except httpx.HTTPError as error:
            raise _unfetchable(url, f"{type(error).__name__}: {error}") from None
        document = parse_document(url, body)
        seconds = cache_seconds(cache_control)
        with self._lock:
            if seconds > 0:
                self._cache[url] = (now + seconds, document)
                while len(self._cache) > MAX_CACHED:
                    del self._cache[next(iter(self._cache))]
            else:
                self._cache.pop(url, None)
        return document

    async def _fetch(self, url: str) -> tuple[bytes, str | None]:
        """The body and `Cache-Control` of a 200 answer from `url`."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise _unfetchable(url, f"its host cannot be resolved ({error})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in found]
        if not addresses:
            raise _unfetchable(url, "its host has no address")
        for address in addresses:
            problem = address_problem(address)
            if problem == "a loopback address" and self.allow_loopback:
                continue
            if problem is not None:
                raise _unfetchable(url, f"it resolves to {problem} ({address})")
        # Connect to the address that was checked; the Host header and TLS name stay the URL's.
        target = httpx.URL(url).copy_with(host=str(addresses[0]))
        authority = parts.netloc.rpartition("@")[2]
        async with (
            httpx.AsyncClient(
                follow_redirects=False, trust_env=False, timeout=FETCH_SECONDS
            ) as client,
            client.stream(
                "GET",
                target,
                headers={"Accept": "application/json", "Host": authority},
                extensions={"sni_hostname": host},
            ) as response,
        ):
            if response.is_redirect:
                raise _unfetchable(url, f"it answered {response.status_code}, a redirect")
            if response.status_code != 200:
                raise _unfetchable(url, f"it answered {response.status_code}, not 200")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise _unfetchable(url, f"it is larger than {MAX_DOCUMENT_BYTES} bytes")
            return bytes(body), response.headers.get("cache-control")


def _unfetchable(url: str, reason: str) -> MetadataDocumentError:
    return MetadataDocumentError(
        f"the client metadata document at {url} could not be fetched: {reason}"
    )
