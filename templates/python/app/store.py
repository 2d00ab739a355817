"""Durable TODO storage: one JSON file, rewritten atomically as it changes, with concurrent changes
written together (see `json_file.py`). The file has the same format as the Rust stack's store, so
the two can share one.
"""

from pathlib import Path

from pydantic import BaseModel, Field

from app.json_file import JsonFile
from app.models import Todo

MAX_TODOS_PER_USER = 100
"""How many items one user's list may hold, which keeps a listing far below the 100,000-character
response limit of the plugin host."""


class ListFullError(Exception):
    """The user's list already holds `MAX_TODOS_PER_USER` items."""


class _Data(BaseModel, strict=True):
    """What the file holds."""

    next_id: int = Field(ge=0)
    """The last id handed out; ids are never reused."""
    users: dict[str, list[Todo]]
    """Each user's items, oldest first."""


def _copy(data: _Data) -> _Data:
    """A copy for a change to work on. Changes replace a user's list, never change it in place
    (and items are frozen), so a copy of the map is enough."""
    return data.model_copy(update={"users": dict(data.users)})


class Store:
    """The TODO store. Safe to share between threads."""

    def __init__(self, file: JsonFile[_Data]) -> None:
        self._file = file

    @classmethod
    def open(cls, path: Path) -> "Store":
        """Opens the store at `path`, or starts an empty one if the file does not exist yet.

        A file that exists but cannot be read is an error (`app.json_file.StoreError`): it is
        never silently replaced.
        """
        return cls(JsonFile.open(path, "store", _Data(next_id=0, users={}), _copy))

    def list(self, user: str) -> list[Todo]:
        """The user's items, oldest first."""
        return self._file.read(lambda data: list(data.users.get(user, [])))

    def add(self, user: str, text: str) -> Todo:
        """Adds an item to the user's list and returns it.

        Raises `ListFullError` if the list is full, `OSError` if the change cannot be stored.
        """

        def add(data: _Data) -> Todo:
            todos = data.users.get(user, [])
            if len(todos) >= MAX_TODOS_PER_USER:
                raise ListFullError
            data.next_id += 1
            todo = Todo(id=str(data.next_id), todo=text)
            data.users[user] = [*todos, todo]
            return todo

        return self._file.update(add)

    def delete(self, user: str, todo_id: str) -> bool:
        """Deletes the user's item with this id; `False` if there is none.

        Raises `OSError` if the change cannot be stored.
        """

        def delete(data: _Data) -> bool:
            todos = data.users.get(user, [])
            remaining = [todo for todo in todos if todo.id != todo_id]
            if len(remaining) == len(todos):
                return False
            # Removed and put back: the user moves to the end of the file, as this store has
            # always written it.
            del data.users[user]
            if remaining:
                data.users[user] = remaining
            return True

        return self._file.update(delete)
