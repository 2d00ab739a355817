"""The database: SQLite (the standard library's `sqlite3`) in the file `DATA_PATH`, or PostgreSQL
(`psycopg` 3, with its pool) when `DATABASE_URL` is set. `app/store.py` and `app/oauth/store.py`
hold the SQL; this module opens the database, creates its tables, and runs statements and
transactions on it.

Requests run on uvicorn's event loop and in FastAPI's thread pool, so connections are never
shared between threads: with SQLite each thread opens its own (cheap: it is a file), with
PostgreSQL each statement or transaction borrows one from a pool of `POOL_SIZE`. SQLite runs in
WAL mode: readers never wait for the writer, and a transaction takes the write lock at its start
(`BEGIN IMMEDIATE`), waiting up to 5 seconds for it (`busy_timeout`).

One server per SQLite file: it holds a lock on `<DATA_PATH>.lock` while the database is open, as
the store answers listings from memory (see `app/store.py`), which holds only while no other
process changes the file. Several instances share a PostgreSQL database instead.
"""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

SCHEMA_VERSION = 1
"""The version of the tables below; a database made by a newer version is refused."""
POOL_SIZE = 10
"""The most PostgreSQL connections one instance opens."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS todos (id {id}, username TEXT NOT NULL, todo TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS todos_by_user ON todos (username, id);
CREATE TABLE IF NOT EXISTS quotas (key TEXT PRIMARY KEY, used BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, secret_hash TEXT NULL,
    client_name TEXT NULL, redirect_uris TEXT NOT NULL, scope TEXT NULL,
    issued_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_codes (code_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, username TEXT NOT NULL,
    scope TEXT NOT NULL, code_challenge TEXT NULL, resource TEXT NULL,
    expires_at BIGINT NOT NULL, used_at BIGINT NULL);
CREATE TABLE IF NOT EXISTS oauth_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL,
    kind TEXT NOT NULL, client_id TEXT NOT NULL, username TEXT NOT NULL, scope TEXT NOT NULL,
    resource TEXT NULL, expires_at BIGINT NOT NULL, rotated BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX IF NOT EXISTS oauth_tokens_by_grant ON oauth_tokens (grant_id);
CREATE TABLE IF NOT EXISTS oauth_pending (id TEXT PRIMARY KEY, request TEXT NOT NULL,
    expires_at BIGINT NOT NULL)
"""

Row = tuple[Any, ...]


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says which and why."""


class Query(Protocol):
    """Runs one statement (`?` placeholders) with `params`; the rows it returns."""

    def __call__(self, sql: str, *params: Any) -> list[Row]: ...


class Database:
    """One SQLite file or PostgreSQL database. Safe to share between threads."""

    def __init__(
        self,
        connection: Callable[[], AbstractContextManager[Any]],
        errors: tuple[type[Exception], ...],
        where: str,
        close: Callable[[], None],
        postgres: bool = False,
    ) -> None:
        self._connection = connection
        """Lends a connection for one statement or transaction."""
        self._errors = errors
        """What the driver raises."""
        self._where = where
        """The database, as errors name it."""
        self.close = close
        """Closes every connection."""
        self.postgres = postgres
        """PostgreSQL, which other instances may change too; else SQLite, which only this
        process changes (it holds the lock beside the file)."""

    @classmethod
    def open(
        cls, data_path: Path, database_url: str | None, synchronous: str = "full"
    ) -> "Database":
        """Opens PostgreSQL at `database_url` if it is set, else the SQLite file `data_path`
        (its folders created, and the lock beside it taken), and creates the tables. Raises
        `DatabaseError`, also when another server holds the lock."""
        database = _postgres(database_url) if database_url else _sqlite(data_path, synchronous)
        try:
            database._create_schema()
        except BaseException:
            database.close()
            raise
        return database

    def _create_schema(self) -> None:
        id_type = (
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            if self.postgres
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        with self.transaction() as query:
            if self.postgres:
                # Instances starting together would race to create the same tables.
                query("SELECT pg_advisory_xact_lock(15)")
            for statement in _SCHEMA.format(id=id_type).split(";"):
                query(statement)
            query(
                "INSERT INTO schema_version (version) SELECT ? "
                "WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
                SCHEMA_VERSION,
            )
            [(version,)] = query("SELECT MAX(version) FROM schema_version")
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self._where} was made by a newer version of this plugin (schema version "
                f"{version}; this one knows {SCHEMA_VERSION}): run that version, or use another "
                "database"
            )

    def query(self, sql: str, *params: Any) -> list[Row]:
        """Runs one statement on its own (atomic by itself); the rows it returns."""
        with self._borrow() as connection:
            return self._run(connection, sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Query]:
        """A transaction: `query` runs statements in it; committed at the end of the block,
        rolled back if it raises. SQLite takes the write lock at its start."""
        with self._borrow() as connection:
            self._run(connection, "BEGIN" if self.postgres else "BEGIN IMMEDIATE", ())
            try:
                yield lambda sql, *params: self._run(connection, sql, params)
            except BaseException:
                self._run(connection, "ROLLBACK", ())
                raise
            self._run(connection, "COMMIT", ())

    @contextmanager
    def _borrow(self) -> Iterator[Any]:
        try:
            with self._connection() as connection:
                yield connection
        except self._errors as error:
            raise DatabaseError(f"{self._where}: {error}") from None

    def _run(self, connection: Any, sql: str, params: tuple[Any, ...]) -> list[Row]:
        # The SQL is written with `?` placeholders, which sqlite3 takes; psycopg takes `%s`
        # (and would read a `%` in the SQL as one: the SQL has none).
        if self.postgres:
            sql = sql.replace("?", "%s")
        try:
            cursor = connection.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except self._errors as error:
            raise DatabaseError(f"{self._where}: {error}") from None


def _sqlite(data_path: Path, synchronous: str) -> Database:
    """The SQLite file `data_path`, a connection per thread, once its lock is taken."""
    try:
        data_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"could not create the folder of DATA_PATH: {error}") from None
    lock = _lock(data_path)
    local = threading.local()
    guard = threading.Lock()
    opened: list[sqlite3.Connection] = [lock]

    @contextmanager
    def connection() -> Iterator[sqlite3.Connection]:
        found: sqlite3.Connection | None = getattr(local, "connection", None)
        if found is None:
            # Autocommit (`isolation_level=None`): transactions are the explicit BEGIN above.
            found = sqlite3.connect(data_path, isolation_level=None, check_same_thread=False)
            found.execute("PRAGMA busy_timeout = 5000")
            found.execute("PRAGMA journal_mode = WAL")
            found.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            local.connection = found
            with guard:
                opened.append(found)
        yield found

    def close() -> None:
        with guard:
            for each in reversed(opened):  # the lock last
                each.close()
            opened.clear()
        local.__dict__.clear()

    where = f"the SQLite database `{data_path}` (DATA_PATH)"
    return Database(connection, (sqlite3.Error,), where, close)


def _lock(data_path: Path) -> sqlite3.Connection:
    """Takes the lock beside `data_path`: `<DATA_PATH>.lock`, an SQLite database of its own in an
    exclusive transaction kept open until `close`. SQLite's locks work in every operating system
    (Python's `fcntl` is POSIX only), conflict within one process too, and end with the process,
    even after `kill -9`. The file is never written: it stays empty."""
    path = data_path.with_name(f"{data_path.name}.lock")
    try:
        lock = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise DatabaseError(f"could not open `{path}`: {error}") from None
    try:
        lock.execute("PRAGMA busy_timeout = 0")
        # Its journal in memory, not in a file beside it that a `kill -9` would leave behind.
        lock.execute("PRAGMA journal_mode = MEMORY")
        lock.execute("PRAGMA locking_mode = EXCLUSIVE")
        lock.execute("BEGIN EXCLUSIVE")
    except sqlite3.Error as error:
        lock.close()
        # SQLITE_BUSY's message (`sqlite_errorcode` needs Python 3.11).
        if str(error) == "database is locked":
            raise DatabaseError(
                f"another server uses the SQLite database at DATA_PATH `{data_path}` (it holds "
                f"`{path}`); stop it, or set DATA_PATH to another file. To run several instances "
                "on the same data, set DATABASE_URL to a PostgreSQL database"
            ) from None
        raise DatabaseError(f"could not lock `{path}`: {error}") from None
    return lock


def _postgres(url: str) -> Database:
    """The PostgreSQL database at `url`, through a pool of `POOL_SIZE` connections."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise DatabaseError(
            "DATABASE_URL is set, but the PostgreSQL driver is not installed: run "
            "`.venv/bin/pip install -e '.[postgres]'`"
        ) from None
    where = "the PostgreSQL database at DATABASE_URL"
    # Connect once first, so that a wrong URL or a server that is down is reported at once.
    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as error:
        raise DatabaseError(f"could not connect to {where}: {error}") from None
    pool = ConnectionPool(
        url, min_size=1, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=True
    )
    # psycopg_pool's timeout (no connection free for 30 seconds) is a `psycopg.Error` too.
    return Database(pool.connection, (psycopg.Error,), where, pool.close, postgres=True)
