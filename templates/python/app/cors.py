"""CORS for ChatGPT's pages, which call a localhost plugin from the browser: the origins, the
headers the host sends, and Chrome's Private Network Access preflight.

`/mcp` has CORS of its own (`app/mcp_server.py`), so this leaves it alone.

Starlette's `CORSMiddleware` has no private-network support and refuses a preflight from
another origin with a 400, so this small ASGI middleware does it: every `OPTIONS` request is
answered as a preflight (with the path's `Allow`), and every other answer gets
`Access-Control-Allow-Origin` when the origin is allowed.
"""

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import allowed_methods
from app.mcp_server import PATH as MCP_PATH

ALLOWED_ORIGINS = frozenset({"https://chat.openai.com", "https://chatgpt.com"})
ALLOWED_METHODS = "GET,POST,DELETE,OPTIONS"
ALLOWED_HEADERS = "authorization,content-type,openai-conversation-id,openai-ephemeral-user-id"
MAX_AGE_SECONDS = 600
VARY = "origin, access-control-request-method, access-control-request-headers"


class ChatGptCors:
    """The CORS middleware: `app.add_middleware(ChatGptCors)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == MCP_PATH:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        added: dict[str, str] = {}
        origin = request_headers.get("origin")
        if origin is not None and origin in ALLOWED_ORIGINS:
            added["Access-Control-Allow-Origin"] = origin
        if request_headers.get("access-control-request-private-network") == "true":
            added["Access-Control-Allow-Private-Network"] = "true"

        if scope["method"] == "OPTIONS":
            added["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            added["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            added["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
            added["Vary"] = VARY
            if allow := allowed_methods(scope):
                added["Allow"] = ",".join(allow)
            await Response(status_code=200, headers=added)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(added)
                headers.append("Vary", VARY)
            await send(message)

        await self.app(scope, receive, send_with_cors)
