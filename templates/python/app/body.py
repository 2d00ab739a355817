"""JSON request bodies, read as a dependency.

FastAPI's own body parameters decode the JSON before any dependency runs (so a broken body
would get a 400 before a missing token got its 401) and accept a body without a JSON
`Content-Type`. `json_body` runs in order with the other dependencies instead: declare it after
the credentials.

JSON is read as strictly as the Rust stack's parser (serde_json) reads it: pydantic's parser
refuses a lone surrogate (`"\\ud800"`) as serde_json does, and `parse_json` also refuses what
pydantic's parser takes and serde_json does not: a number out of range (`1e400`) and arrays and
objects nested more than 127 deep.
"""

import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pydantic_core
from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from app.errors import describe
from app.limits import MAX_BODY_BYTES

MAX_JSON_DEPTH = 127
"""How deep arrays and objects may nest, as serde_json (the Rust stack's parser) reads them."""

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
                raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            parse_json(body)
        except ValueError as error:
            raise HTTPException(400, f"Invalid JSON: {error}") from None
        try:
            return model.model_validate_json(body)
        except ValidationError as error:
            raise HTTPException(400, describe(error.errors())) from None

    return read


def parse_json(body: bytes | bytearray) -> Any:
    """`body` parsed as JSON, as strictly as every stack reads it; raises `ValueError`."""
    value = pydantic_core.from_json(body, allow_inf_nan=False)
    problem = _strict_problem(value, 1)
    if problem is not None:
        raise ValueError(problem)
    return value


def _strict_problem(value: Any, depth: int) -> str | None:
    """What serde_json refuses in `value`, found `depth` levels deep, if anything."""
    if isinstance(value, float):
        return None if math.isfinite(value) else "a number is out of range"
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            return "a number is out of range"
        return None
    if not isinstance(value, (list, dict)):
        return None
    if depth > MAX_JSON_DEPTH:
        return f"arrays and objects nest more than {MAX_JSON_DEPTH} deep"
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        problem = _strict_problem(item, depth + 1)
        if problem is not None:
            return problem
    return None


def is_json(content_type: str) -> bool:
    """Whether a `Content-Type` is JSON: `application/json` or `application/*+json`."""
    media_type = content_type.partition(";")[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
