"""The TODO store: the `todos` table, with each user's count kept in `quotas` so that the limit
holds under concurrent adds (see `app/db.py` for the database)."""

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


class Store:
    """The TODO store. Safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, user: str) -> list[Todo]:
        """The user's items, oldest first."""
        rows = self._db.query("SELECT id, todo FROM todos WHERE username = ? ORDER BY id", user)
        return _TODOS.validate_python([{"id": str(id_), "todo": todo} for id_, todo in rows])

    def add(self, user: str, text: str) -> Todo:
        """Adds an item to the user's list and returns it. Raises `ListFullError` if the list
        is full, `app.db.DatabaseError` if the item cannot be stored."""
        with self._db.transaction() as query:
            if not take_quota(query, f"todos:{user}", MAX_TODOS_PER_USER):
                raise ListFullError
            [(id_,)] = query(
                "INSERT INTO todos (username, todo) VALUES (?, ?) RETURNING id", user, text
            )
        return Todo(id=str(id_), todo=text)

    def delete(self, user: str, todo_id: str) -> bool:
        """Deletes the user's item with this id; `False` if there is none. Raises
        `app.db.DatabaseError` if the deletion cannot be stored."""
        # Ids are the decimal text of the integer, exactly: `01` names no item.
        if not (todo_id.isascii() and todo_id.isdigit() and str(int(todo_id)) == todo_id):
            return False
        if int(todo_id) > _MAX_ID:
            return False
        with self._db.transaction() as query:
            deleted = query(
                "DELETE FROM todos WHERE id = ? AND username = ? RETURNING id", int(todo_id), user
            )
            if deleted:
                query("UPDATE quotas SET used = used - 1 WHERE key = ?", f"todos:{user}")
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
