"""Durable TODO storage: one JSON file, rewritten atomically on every change.

Every change is made under one lock and written to a temporary file that is flushed to disk and
then renamed over the store, so a crash leaves either the old file or the new one, never a torn
one, and concurrent requests never lose an update. The file has the same format as the Rust
stack's store, so the two can share one.
"""

import contextlib
import os
import threading
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from app.models import Todo

MAX_TODOS_PER_USER = 100
"""How many items one user's list may hold, which keeps a listing far below the 100,000-character
response limit of the plugin host."""


class StoreError(Exception):
    """The store file exists but cannot be used."""


class ListFullError(Exception):
    """The user's list already holds `MAX_TODOS_PER_USER` items."""


class _Data(BaseModel, strict=True):
    """What the file holds."""

    next_id: int = Field(ge=0)
    """The last id handed out; ids are never reused."""
    users: dict[str, list[Todo]]
    """Each user's items, oldest first."""


class Store:
    """The TODO store. Safe to share between threads."""

    def __init__(self, path: Path, data: _Data) -> None:
        self._path = path
        self._data = data
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> "Store":
        """Opens the store at `path`, or starts an empty one if the file does not exist yet.

        A file that exists but cannot be read is an error: it is never silently replaced.
        """
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return cls(path, _Data(next_id=0, users={}))
        except OSError as error:
            raise StoreError(f"could not read the store `{path}`: {error}") from None
        try:
            data = _Data.model_validate_json(content)
        except ValidationError as error:
            reason = "; ".join(e["msg"] for e in error.errors())
            raise StoreError(
                f"the store `{path}` is not valid ({reason}); fix or move it, "
                "or set DATA_PATH to another file"
            ) from None
        return cls(path, data)

    def list(self, user: str) -> list[Todo]:
        """The user's items, oldest first."""
        with self._lock:
            return list(self._data.users.get(user, []))

    def add(self, user: str, text: str) -> Todo:
        """Adds an item to the user's list and returns it.

        Raises `ListFullError` if the list is full, `OSError` if the change cannot be stored.
        """
        with self._lock:
            todos = self._data.users.get(user, [])
            if len(todos) >= MAX_TODOS_PER_USER:
                raise ListFullError
            todo = Todo(id=str(self._data.next_id + 1), todo=text)
            users = {**self._data.users, user: [*todos, todo]}
            self._commit(_Data(next_id=self._data.next_id + 1, users=users))
            return todo

    def delete(self, user: str, todo_id: str) -> bool:
        """Deletes the user's item with this id; `False` if there is none.

        Raises `OSError` if the change cannot be stored.
        """
        with self._lock:
            todos = self._data.users.get(user, [])
            remaining = [todo for todo in todos if todo.id != todo_id]
            if len(remaining) == len(todos):
                return False
            users = {name: items for name, items in self._data.users.items() if name != user}
            if remaining:
                users[user] = remaining
            self._commit(_Data(next_id=self._data.next_id, users=users))
            return True

    def _commit(self, data: _Data) -> None:
        """Writes `data`, then makes it current. Called with the lock held, so writes never
        interleave, and a failed write leaves the store as it was."""
        write_atomically(self._path, data.model_dump_json(indent=2).encode() + b"\n")
        self._data = data


def write_atomically(path: Path, content: bytes) -> None:
    """Writes `content` to a temporary file beside `path`, flushes it to disk and renames it
    over `path`, so a crash leaves the old file or the new one, never a torn one."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
    # Make the rename itself durable, where the platform lets a directory be opened.
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
