"""JSON request bodies, read as a dependency.

FastAPI's own body parameters decode the JSON before any dependency runs (so a broken body
would get a 400 before a missing token got its 401) and accept a body without a JSON
`Content-Type`. `json_body` runs in order with the other dependencies instead: declare it after
the credentials.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from app.errors import describe

MAX_BODY_BYTES = 2 * 1024 * 1024
"""The largest request body read."""

ModelT = TypeVar("ModelT", bound=BaseModel)


def json_body(model: type[ModelT]) -> Callable[[Request], Awaitable[ModelT]]:
    """A dependency that reads the body as a `model`; anything else is a 400."""

    async def read(request: Request) -> ModelT:
        if not is_json(request.headers.get("content-type", "")):
            raise HTTPException(400, "expected a request with `Content-Type: application/json`")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise HTTPException(400, f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            return model.model_validate_json(body)
        except ValidationError as error:
            raise HTTPException(400, describe(error.errors())) from None

    return read


def is_json(content_type: str) -> bool:
    """Whether a `Content-Type` is JSON: `application/json` or `application/*+json`."""
    media_type = content_type.partition(";")[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
