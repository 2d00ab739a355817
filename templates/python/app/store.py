"""The TODO store: the `todos` table, with each user's count kept in `quotas` so that the limit
holds under concurrent adds (see `app/db.py` for the database), and on SQLite a cache of the
lists it has read."""

import threading

from pydantic import TypeAdapter

from app.db import Database, Query
from app.models import Todo

MAX_TODOS_PER_USER = 100
"""How many items one user's list may hold, which keeps a listing far below the 100,000-character
response limit of the plugin host."""

_MAX_ID = 2**63 - 1
_TODOS = TypeAdapter(list[Todo])
"""Makes the items of a listing in one call: twice as fast as one `Todo` at a time."""


class ListFullError(Exception):
    """The user's list already holds `MAX_TODOS_PER_USER` items."""


class ListCache:
    """The lists last read, by user, so that a listing costs no query, as fast as when the items
    were kept in memory. SQLite only, where this process is the only one to change the file (it
    holds the lock beside it, see `app/db.py`): on PostgreSQL other instances change the same
    tables.

    The store drops a user's list after each change of it. Lists are read on the event loop and
    in worker threads while changes commit in others: a list read while anything was dropped is
    not kept (`generation`). Bounded: keeping a list past `MAX_LISTS` clears them all first."""

    MAX_LISTS = 1000
    """At most about 50 MB: 100 items of 500 characters each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lists: dict[str, list[Todo]] = {}
        self._generation = 0

    def get(self, user: str) -> tuple[list[Todo] | None, int]:
        """The user's list if kept, and the generation to `put` a list read after this call."""
        with self._lock:
            return self._lists.get(user), self._generation

    def put(self, user: str, todos: list[Todo], generation: int) -> None:
        """Keeps `todos`, unless something was dropped since `get` gave `generation`."""
        with self._lock:
            if generation == self._generation:
                if len(self._lists) >= self.MAX_LISTS:
                    self._lists.clear()
                self._lists[user] = todos

    def drop(self, user: str) -> None:
        """Forgets the user's list: call it after a change of it commits."""
        with self._lock:
            self._lists.pop(user, None)
            self._generation += 1


class Store:
    """The TODO store. Safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache = None if db.postgres else ListCache()

    def list(self, user: str) -> list[Todo]:
        """The user's items, oldest first."""
        kept, generation = self._cache.get(user) if self._cache is not None else (None, 0)
        if kept is not None:
            return list(kept)
        rows = self._db.query("SELECT id, todo FROM todos WHERE username = ? ORDER BY id", user)
        todos = _TODOS.validate_python([{"id": str(id_), "todo": todo} for id_, todo in rows])
        if self._cache is not None:
            self._cache.put(user, list(todos), generation)
        return todos

    def _changed(self, user: str) -> None:
        if self._cache is not None:
            self._cache.drop(user)

    def add(self, user: str, text: str) -> Todo:
        """Adds an item to the user's list and returns it. Raises `ListFullError` if the list
        is full, `app.db.DatabaseError` if the item cannot be stored."""
        try:
            with self._db.transaction() as query:
                if not take_quota(query, f"todos:{user}", MAX_TODOS_PER_USER):
                    raise ListFullError
                [(id_,)] = query(
                    "INSERT INTO todos (username, todo) VALUES (?, ?) RETURNING id", user, text
                )
        finally:
            self._changed(user)
        return Todo(id=str(id_), todo=text)

    def delete(self, user: str, todo_id: str) -> bool:
        """Deletes the user's item with this id; `False` if there is none. Raises
        `app.db.DatabaseError` if the deletion cannot be stored."""
        # Ids are the decimal text of the integer, exactly: `01` names no item.
        if not (todo_id.isascii() and todo_id.isdigit() and str(int(todo_id)) == todo_id):
            return False
        if int(todo_id) > _MAX_ID:
            return False
        try:
            with self._db.transaction() as query:
                deleted = query(
                    "DELETE FROM todos WHERE id = ? AND username = ? RETURNING id",
                    int(todo_id),
                    user,
                )
                if deleted:
                    query("UPDATE quotas SET used = used - 1 WHERE key = ?", f"todos:{user}")
        finally:
            self._changed(user)
        return bool(deleted)


def take_quota(query: Query, key: str, limit: int) -> bool:
    """Counts one more against the quota `key`; `False` (nothing counted) if `limit` are
    used. One statement, so concurrent takers never exceed the limit."""
    return bool(
        query(
            "INSERT INTO quotas (key, used) VALUES (?, 1) ON CONFLICT (key) DO UPDATE "
            "SET used = quotas.used + 1 WHERE quotas.used < ? RETURNING used",
            key,
            limit,
        )
    )
