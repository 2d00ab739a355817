"""`python -m app`: reads `.env` and the settings, then serves until Ctrl-C or SIGTERM."""

import signal
import socket
import sys
from types import FrameType

import uvicorn

from app.config import Config, ConfigError, read_environment
from app.db import DatabaseError
from app.limits import BoundedHttpTools
from app.main import create_app

SHUTDOWN_GRACE_SECONDS = 3
"""How long requests in flight get to finish after a shutdown signal."""


def _already_stopped(signum: int, frame: FrameType | None) -> None:
    """uvicorn shuts down gracefully on Ctrl-C or SIGTERM, then raises the signal again for the
    handler that was there before it; this one lets the server exit with 0, as the Rust and
    TypeScript stacks do, instead of a KeyboardInterrupt traceback or a 143."""


def main() -> int:
    try:
        config = Config.from_env(read_environment())
        app = create_app(config)
    except (ConfigError, DatabaseError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    try:
        listener = socket.create_server((config.host, config.port), family=family)
    except OSError as error:
        print(
            f"error: could not listen on {config.host}:{config.port}: {error}; "
            "stop what uses the port or set PORT to another one",
            file=sys.stderr,
        )
        return 1

    url = config.public_url
    name = app.state.documents.name_for_human
    print(f"{name} is running at {url} (listening on {config.host}:{config.port})")
    print(f"  manifest: {url}/.well-known/ai-plugin.json")
    print(f"  spec:     {url}/openapi.yaml")
    print(f"  MCP:      {url}/mcp", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            # httptools with a bound on the request line and headers (431 past 64 KiB).
            http=BoundedHttpTools,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            log_level="info",
        )
    )
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _already_stopped)
    server.run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main())
