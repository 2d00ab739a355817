"""The documents the plugin host reads: the manifest, the OpenAPI spec, the logo and the legal
page. They are the project's own files, read at start, with every URL that points at the
default `http://localhost:PORT` moved to `PUBLIC_URL`."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from app.config import DEFAULT_PORT

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Where the documents are: the project directory."""

DEFAULT_ORIGIN = f"http://localhost:{DEFAULT_PORT}"
"""The origin the project's files are written for."""

# The default origin, unless another digit follows (so `:50030` is not `:5003` + `0`).
_DEFAULT_ORIGIN = re.compile(re.escape(DEFAULT_ORIGIN) + r"(?![0-9])")


@dataclass(frozen=True)
class Documents:
    """The documents, ready to serve."""

    manifest: str
    """`/.well-known/ai-plugin.json`."""
    spec: str
    """`/openapi.yaml`."""
    legal: str
    """`/legal`."""
    logo: bytes
    """`/logo.png`: a 512x512 PNG."""
    name_for_human: str
    """The plugin's name, as people see it."""
    name_for_model: str
    """The plugin's name, as the model sees it."""
    description_for_model: str
    """What the model reads about the plugin: also the MCP server's instructions."""

    @classmethod
    def load(
        cls, public_url: str, verification_token: str = "", directory: Path = PROJECT_DIR
    ) -> "Documents":
        """The documents in `directory` as served from `public_url`; `verification_token`, if
        not empty, is served as the manifest's `auth.verification_tokens.openai`."""
        manifest = json.loads((directory / ".well-known/ai-plugin.json").read_text("utf-8"))
        manifest = rebase_json(manifest, public_url)
        if verification_token:
            manifest["auth"].setdefault("verification_tokens", {})["openai"] = verification_token
        return cls(
            manifest=json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
            spec=rebase((directory / "openapi.yaml").read_text("utf-8"), public_url),
            legal=rebase((directory / "legal.html").read_text("utf-8"), public_url),
            logo=(directory / "logo.png").read_bytes(),
            name_for_human=manifest["name_for_human"],
            name_for_model=manifest["name_for_model"],
            description_for_model=manifest["description_for_model"],
        )


def rebase(text: str, public_url: str) -> str:
    """Replaces every occurrence of `DEFAULT_ORIGIN` that is not followed by another digit."""
    return _DEFAULT_ORIGIN.sub(lambda _: public_url, text)


def rebase_json(value: Any, public_url: str) -> Any:
    """`rebase` on every string in a JSON value."""
    if isinstance(value, str):
        return rebase(value, public_url)
    if isinstance(value, list):
        return [rebase_json(item, public_url) for item in value]
    if isinstance(value, dict):
        return {key: rebase_json(item, public_url) for key, item in value.items()}
    return value


async def get_documents(request: Request) -> Documents:
    """The documents of the running app."""
    documents: Documents = request.app.state.documents
    return documents


DocumentsDep = Annotated[Documents, Depends(get_documents)]

# HEAD is GET without the body (uvicorn drops it), so the GET routes answer both.
router = APIRouter()


@router.api_route("/.well-known/ai-plugin.json", methods=["GET", "HEAD"])
async def manifest(documents: DocumentsDep) -> Response:
    return Response(documents.manifest, media_type="application/json")


@router.api_route("/openapi.yaml", methods=["GET", "HEAD"])
async def spec(documents: DocumentsDep) -> Response:
    return Response(documents.spec, media_type="text/yaml")


@router.api_route("/logo.png", methods=["GET", "HEAD"])
async def logo(documents: DocumentsDep) -> Response:
    return Response(documents.logo, media_type="image/png")


@router.api_route("/legal", methods=["GET", "HEAD"])
async def legal(documents: DocumentsDep) -> HTMLResponse:
    return HTMLResponse(documents.legal)
