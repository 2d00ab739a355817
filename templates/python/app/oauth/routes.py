"""The OAuth routes: `GET /oauth/authorize` (the manifest's `client_url`) shows the sign-in and
consent page, `POST /oauth/authorize` takes the person's decision, `POST /oauth/token` (the
manifest's `authorization_url`) exchanges codes and refresh tokens for tokens, and
`POST /oauth/register` registers clients. MCP clients find them from the metadata at
`/.well-known/oauth-protected-resource[/mcp]` and `/.well-known/oauth-authorization-server`.

The bodies are read here, raw: the consent form and form token requests are parsed by
`app/oauth/form.py` (strictly, and without FastAPI's form support, which would need
python-multipart), JSON token requests by `app/oauth/server.py`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.db import DatabaseError
from app.limits import MAX_BODY_BYTES
from app.oauth import page
from app.oauth.form import RepeatedParameterError, parse_first, parse_form
from app.oauth.registration import MAX_REGISTRATION_BYTES, RegistrationError
from app.oauth.server import OAuth, RefusalError, TokenError


class _TooLargeError(Exception):
    """The request body is larger than `MAX_BODY_BYTES`."""


async def get_oauth(request: Request) -> OAuth:
    """The authorization server of the running app."""
    oauth: OAuth = request.app.state.oauth
    return oauth


OAuthDep = Annotated[OAuth, Depends(get_oauth)]

# HEAD is GET without the body (uvicorn drops it), so the GET route answers both.
router = APIRouter()


@router.api_route("/.well-known/oauth-protected-resource/mcp", methods=["GET", "HEAD"])
@router.api_route("/.well-known/oauth-protected-resource", methods=["GET", "HEAD"])
async def protected_resource(oauth: OAuthDep) -> Response:
    """The MCP endpoint's protected resource metadata (RFC 9728)."""
    return JSONResponse(oauth.protected_resource_metadata())


@router.api_route("/.well-known/oauth-authorization-server", methods=["GET", "HEAD"])
async def authorization_server(oauth: OAuthDep) -> Response:
    """The authorization server metadata (RFC 8414)."""
    return JSONResponse(oauth.authorization_server_metadata())


@router.api_route("/oauth/authorize", methods=["GET", "HEAD"])
async def authorize(request: Request, oauth: OAuthDep) -> Response:
    """The sign-in and consent page."""
    params, repeated = parse_first(request.scope["query_string"])
    # A client or redirect URI given twice cannot be trusted with a redirect.
    for name in repeated:
        if name in ("client_id", "redirect_uri"):
            return page.error(400, "Bad request", f"the parameter `{name}` is given more than once")
    try:
        auth_request = await oauth.check(params, repeated[0] if repeated else None)
    except RefusalError as refusal:
        return refusal.response
    # The request is kept in the database until the page is answered: written off the loop.
    return await run_in_threadpool(oauth.consent_page, auth_request, "")


@router.post("/oauth/authorize")
async def decide(request: Request, oauth: OAuthDep) -> Response:
    """The person's decision on the consent page."""
    try:
        params = parse_form(await read_body(request))
    except _TooLargeError:
        return too_large()
    except RepeatedParameterError as error:
        return page.error(400, "Bad request", str(error))
    # Approving stores a code: written off the event loop.
    return await run_in_threadpool(oauth.decide, params)


@router.post("/oauth/token")
async def token(request: Request, oauth: OAuthDep) -> Response:
    """Codes and refresh tokens for access tokens."""
    try:
        body = await read_body(request)
    except _TooLargeError:
        return too_large()
    response: Response
    try:
        response = JSONResponse(await run_in_threadpool(oauth.exchange, request.headers, body))
    except TokenError as error:
        response = error.response()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@router.post("/oauth/register")
async def register(request: Request, oauth: OAuthDep) -> Response:
    """Dynamic client registration (RFC 7591)."""
    try:
        body = await read_body(request, MAX_REGISTRATION_BYTES)
    except _TooLargeError:
        return too_large(MAX_REGISTRATION_BYTES)
    response: Response
    try:
        registered = await run_in_threadpool(oauth.register, body)
        response = JSONResponse(registered, status_code=201)
    except RegistrationError as error:
        body_of = {"error": error.error, "error_description": error.description}
        response = JSONResponse(body_of, status_code=400)
    except DatabaseError as error:
        response = JSONResponse({"error": f"the client could not be stored: {error}"}, 500)
    response.headers["Cache-Control"] = "no-store"
    return response


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, up to `limit` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _TooLargeError
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLargeError
    return bytes(body)


def too_large(limit: int = MAX_BODY_BYTES) -> Response:
    return JSONResponse({"error": f"the body is larger than {limit} bytes"}, 413)
