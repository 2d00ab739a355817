"""What the consent form may not carry itself: the authorization requests the page was shown for,
and the count of wrong passwords.

The page's form carries one hidden field, `request_id`: an unguessable id for the request the
GET checked, kept here for `PENDING_LIFETIME` seconds and used once. The POST reads the client,
redirect URI, scope, state and PKCE challenge from here, never from the form, so a form that was
not shown by this server, was changed, or is sent twice is refused. Both live in memory: a
restart forgets them (a person then starts again from ChatGPT).
"""

import secrets
import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

PENDING_LIFETIME = 10 * 60
"""How long a consent page can be answered, in seconds."""
MAX_PENDING = 10_000
"""The most requests waiting for an answer; past it the oldest is forgotten."""

MAX_WRONG_PASSWORDS = 5
"""Wrong passwords for one username before it is locked."""
LOCKOUT_SECONDS = 15 * 60
"""How long a username stays locked after its last counted wrong password, in seconds."""
MAX_TRACKED_USERNAMES = 10_000
"""The most usernames whose wrong passwords are counted; past it the stalest are forgotten."""

RequestT = TypeVar("RequestT")


@dataclass(frozen=True)
class _Entry(Generic[RequestT]):
    request: RequestT
    expires_at: int


class PendingRequests(Generic[RequestT]):
    """Checked authorization requests waiting for the person's answer. Safe to share between
    threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry[RequestT]] = {}

    def add(self, request: RequestT, now: int) -> str:
        """Keeps `request`; the id its form carries."""
        request_id = secrets.token_urlsafe(32)
        with self._lock:
            for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[stale]
            while len(self._entries) >= MAX_PENDING:
                del self._entries[next(iter(self._entries))]
            self._entries[request_id] = _Entry(request, now + PENDING_LIFETIME)
        return request_id

    def take(self, request_id: str, now: int) -> RequestT | None:
        """The request kept under `request_id`, forgotten as it is returned; `None` if the id is
        unknown, was used or expired."""
        with self._lock:
            entry = self._entries.pop(request_id, None)
        if entry is None or entry.expires_at <= now:
            return None
        return entry.request


@dataclass
class _Failures:
    count: int
    last_at: int


class WrongPasswords:
    """Wrong passwords per username: after `MAX_WRONG_PASSWORDS` of them, less than
    `LOCKOUT_SECONDS` apart, the username is locked until `LOCKOUT_SECONDS` after the last one,
    even for the right password. Safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}

    def locked(self, username: str, now: int) -> bool:
        """Whether sign-ins as `username` are refused for now."""
        with self._lock:
            found = self._failures.get(username)
            return (
                found is not None
                and found.count >= MAX_WRONG_PASSWORDS
                and now < found.last_at + LOCKOUT_SECONDS
            )

    def failed(self, username: str, now: int) -> None:
        """Counts a wrong password for `username`."""
        with self._lock:
            found = self._failures.pop(username, None)
            if found is None or now >= found.last_at + LOCKOUT_SECONDS:
                found = _Failures(count=0, last_at=now)
            found.count += 1
            found.last_at = now
            # Re-inserted last, so the first entries are the stalest.
            self._failures[username] = found
            while len(self._failures) > MAX_TRACKED_USERNAMES:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str) -> None:
        """Forgets the wrong passwords of `username`."""
        with self._lock:
            self._failures.pop(username, None)
