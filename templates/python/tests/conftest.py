"""The database every test runs on: SQLite, in a file of the test's temporary folder; or, when the
environment sets `DATABASE_URL`, that PostgreSQL server, with a fresh schema for each `DATA_PATH`
a test opens (created for it, dropped after it), so tests stay independent there too."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from app.db import Database

POSTGRES_URL = os.environ.get("DATABASE_URL") or None
"""The PostgreSQL server to test on, if any."""


def with_schema(url: str, schema: str) -> str:
    """`url` with its connections' `search_path` set to `schema`."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-c search_path={schema}')}"


@pytest.fixture(autouse=True)
def database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Closes the databases the test opened; on PostgreSQL, opens each `DATA_PATH` as a fresh
    schema, the same one again for the same path (a restart)."""
    opened: list[Database] = []
    schemas: dict[Path, str] = {}
    open_database = Database.open

    def open_(data_path: Path, database_url: str | None, synchronous: str = "full") -> Database:
        if POSTGRES_URL is not None and database_url is None:
            if data_path not in schemas:
                schemas[data_path] = f"test_{secrets.token_hex(8)}"
                admin(f"CREATE SCHEMA {schemas[data_path]}")
            database_url = with_schema(POSTGRES_URL, schemas[data_path])
        db = open_database(data_path, database_url, synchronous)
        opened.append(db)
        return db

    monkeypatch.setattr(Database, "open", open_)
    yield
    for db in opened:
        db.close()
    for schema in schemas.values():
        admin(f"DROP SCHEMA {schema} CASCADE")


def admin(sql: str) -> None:
    """Runs `sql` on the PostgreSQL server of `DATABASE_URL`."""
    import psycopg

    assert POSTGRES_URL is not None
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql.encode())
