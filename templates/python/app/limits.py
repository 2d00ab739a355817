"""Bounds on what a request may make the server read, on every route: the body (a 413) and the
request line with its headers (a 431), as the Rust and TypeScript stacks bound them.

`BodyLimit` answers a body larger than `MAX_BODY_BYTES` with a JSON 413 as soon as its
`Content-Length` says so, or once the bytes streamed past the limit, and closes the connection
instead of reading the rest, whatever the route, even an unknown one (404) or a wrong method
(405). `BoundedHttpTools` is uvicorn's httptools protocol with a limit on the head of a request,
which httptools alone reads whole however long it is; `python -m app` serves with it.
"""

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_BODY_BYTES = 2 * 1024 * 1024
"""The largest request body read."""

MAX_HEAD_BYTES = 64 * 1024
"""The most bytes of request line and headers read before answering 431."""


class BodyTooLargeError(Exception):
    """A request body went past `MAX_BODY_BYTES` while it was read."""


class BodyLimit:
    """The middleware: `app.add_middleware(BodyLimit)`."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLargeError:
            if started:
                raise
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await send(_too_large_start(self.max_bytes))
        await send({"type": "http.response.body", "body": _too_large_body(self.max_bytes)})


def _too_large_body(max_bytes: int) -> bytes:
    message = f"the body is larger than {max_bytes} bytes"
    return json.dumps({"error": message}, separators=(",", ":")).encode()


def _too_large_start(max_bytes: int) -> Message:
    body = _too_large_body(max_bytes)
    return {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is not read: the connection cannot carry another request.
            (b"connection", b"close"),
        ],
    }


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering 431 and closing the connection once the request
    line and headers of a request pass `MAX_HEAD_BYTES` (`uvicorn.Config(http=...)`)."""

    _head_bytes = 0
    """Bytes received since the last request's headers were complete."""
    _heads_done = 0
    """How many requests' headers were complete."""
    _in_body = False
    """Whether the headers of the current request were complete and its body is being read."""

    def on_headers_complete(self) -> None:
        self._heads_done += 1
        self._head_bytes = 0
        self._in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        heads_done = self._heads_done
        super().data_received(data)
        if self._in_body or self._heads_done != heads_done or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            message = f"the request line and headers are larger than {MAX_HEAD_BYTES} bytes"
            body = json.dumps({"error": message}, separators=(",", ":")).encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: application/json\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + body
            )
            self.transport.close()
