"""The count of wrong passwords on the consent page, per username.

It lives in memory, per instance: a restart forgets it, and behind a load balancer each instance
counts its own (so an attacker gets `MAX_WRONG_PASSWORDS` tries per instance). The consent
requests the page was shown for are kept in the database (`Grants.add_pending`), so the page and
its answer may reach different instances.
"""

import threading
from dataclasses import dataclass

MAX_WRONG_PASSWORDS = 5
"""Wrong passwords for one username before it is locked."""
LOCKOUT_SECONDS = 15 * 60
"""How long a username stays locked after its last counted wrong password, in seconds."""
MAX_TRACKED_USERNAMES = 10_000
"""The most usernames whose wrong passwords are counted; past it the stalest are forgotten."""


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
