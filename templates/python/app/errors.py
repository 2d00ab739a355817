"""Error answers: every failure is a JSON `{"error": "..."}` with a status the spec declares.

Raise `fastapi.HTTPException(status, "message")` in a route; the handlers here turn it, and
FastAPI's own rejections, into that shape: a validation error (422) becomes a 400, an unknown
route a 404, a wrong method a 405 with an `Allow` header that lists every method of the path.
"""

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
"""The methods an `Allow` header may list."""


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    path = request.url.path
    if exc.status_code == 404 and "route" not in request.scope:
        # Read the body, so a keep-alive connection stays usable after the error.
        await request.body()
        return error(404, f"there is no route {request.method} {path}")
    if exc.status_code == 405:
        await request.body()
        allow = ",".join(allowed_methods(request.scope))
        return error(405, f"{path} does not answer {request.method}", {"Allow": allow})
    return error(exc.status_code, str(exc.detail), exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return error(400, describe(exc.errors()))


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    return error(500, "internal error")


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route of the app answers at the request's path."""
    routes = scope["app"].router.routes

    def answered(method: str) -> bool:
        return any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)

    return [method for method in METHODS if answered(method)]


def describe(errors: Sequence[Any]) -> str:
    """Pydantic's validation errors as one line: "`todo`: String should have ...; ..."."""
    parts = []
    for found in errors:
        location = ".".join(str(part) for part in found["loc"] if part != "body")
        parts.append(f"`{location}`: {found['msg']}" if location else found["msg"])
    return "; ".join(parts)


HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    HTTPException: http_error,
    RequestValidationError: validation_error,
    Exception: internal_error,
}
"""The handlers, as `FastAPI(exception_handlers=...)` takes them."""
