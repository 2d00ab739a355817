"""Request paths as sent, as the Rust stack reads them.

Starlette routes on the percent-decoded path, so a username sent as `a%2Fb` would split into two
segments. `RawPathRouting` routes on the path as sent instead, and the path parameters are
decoded one by one: `Username` and `TodoId` are the decoded values, and a segment that does not
decode to UTF-8 text gets a 400.
"""

from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Depends, HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send


class RawPathRouting:
    """The middleware: `app.add_middleware(RawPathRouting)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path")
        if scope["type"] == "http" and raw_path is not None:
            path = raw_path.partition(b"#")[0].decode("latin-1")
            scope = {**scope, "path": path, "raw_path": path.encode("latin-1")}
        await self.app(scope, receive, send)


def decoded(segment: str, name: str) -> str:
    """A path segment as sent, percent-decoded; a 400 unless it is UTF-8 text."""
    try:
        return unquote_to_bytes(segment.encode("latin-1")).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, f"Invalid URL: invalid UTF-8 in `{name}`") from None


async def username(username: str) -> str:
    return decoded(username, "username")


async def todo_id(todo_id: str) -> str:
    return decoded(todo_id, "todo_id")


Username = Annotated[str, Depends(username)]
"""The `{username}` path parameter, decoded."""
TodoId = Annotated[str, Depends(todo_id)]
"""The `{todo_id}` path parameter, decoded."""
