"""Loads a plugin's served OpenAPI spec into real consumers and checks the server's answers
against it: openapi-spec-validator must accept the spec, and openapi-core must find every
recorded response described (its status, content type and body schema) for its operation.

Usage: python validate.py EXCHANGES.json, where the file holds {"spec": "<the served YAML>",
"exchanges": [{"method", "path", "request_body", "request_content_type", "status",
"content_type", "body", "headers"}]}. Prints each problem; exits 1 if there is any.
"""

import json
import sys

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate


def describe(error: BaseException) -> str:
    """The error with its causes, which is where openapi-core says what did not match."""
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts.append(f"{type(current).__name__}: {current}")
        schema_errors = getattr(current, "schema_errors", None) or []
        parts.extend(f"  {e.message}" for e in schema_errors)
        current = current.__cause__
    return "\n    ".join(parts)


def main(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        record = json.load(file)
    spec = yaml.safe_load(record["spec"])
    try:
        validate(spec)
    except Exception as error:  # noqa: BLE001 - any rejection is the finding
        print(f"openapi-spec-validator rejects the spec: {describe(error)}")
        return 1
    openapi = OpenAPI.from_dict(spec)
    server = spec["servers"][0]["url"]
    problems = 0
    for exchange in record["exchanges"]:
        body = exchange["request_body"]
        request = MockRequest(
            server,
            exchange["method"].lower(),
            exchange["path"],
            headers=exchange.get("request_headers") or {},
            data=body.encode() if body is not None else None,
            content_type=exchange["request_content_type"] or "application/json",
        )
        response = MockResponse(
            exchange["body"].encode(),
            status_code=exchange["status"],
            headers=exchange["headers"],
            content_type=exchange["content_type"],
        )
        try:
            openapi.validate_response(request, response)
        except Exception as error:  # noqa: BLE001 - any rejection is the finding
            problems += 1
            print(
                f"{exchange['method']} {exchange['path']} -> {exchange['status']} "
                f"{exchange['content_type']} {exchange['body'][:200]!r}\n    {describe(error)}"
            )
    print(f"{len(record['exchanges'])} responses checked, {problems} not described by the spec")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
