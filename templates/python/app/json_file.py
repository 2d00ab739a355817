"""A value kept in one JSON file, rewritten atomically on every change: the TODO store and the
OAuth grants both live on it.

Every change is made under one lock and written to a temporary file that is flushed to disk and
then renamed over the old one, so a crash leaves either the old file or the new one, never a torn
one, and concurrent requests never lose an update.
"""

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


class StoreError(Exception):
    """A store file (the TODO store or the OAuth grants) exists but cannot be used."""


def deep_copy(value: T) -> T:
    """A copy that shares nothing with `value`: a change may change anything in it in place."""
    return value.model_copy(deep=True)


class JsonFile(Generic[T]):
    """A `T` persisted in the JSON file at `path`. Safe to share between threads."""

    def __init__(self, path: Path, value: T, copy: Callable[[T], T] = deep_copy) -> None:
        self._path = path
        self._value = value
        self._copy = copy
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, path: Path, what: str, empty: T, copy: Callable[[T], T] = deep_copy
    ) -> "JsonFile[T]":
        """Reads the file at `path` as a `type(empty)`, or starts from `empty` if it does not
        exist yet. A file that exists but cannot be read is an error (a `StoreError` naming the
        file as `what`): it is never silently replaced.

        `copy` makes the copy each change works on, so that the value stays as it was if the
        write fails; a cheaper one than `deep_copy` will do if every change replaces what it
        changes instead of changing it in place.
        """
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return cls(path, empty, copy)
        except OSError as error:
            raise StoreError(f"could not read the {what} `{path}`: {error}") from None
        try:
            value = type(empty).model_validate_json(content)
        except ValidationError as error:
            reason = "; ".join(e["msg"] for e in error.errors())
            raise StoreError(
                f"the {what} `{path}` is not valid ({reason}); fix or move it, "
                "or set DATA_PATH to another file"
            ) from None
        return cls(path, value, copy)

    def read(self, f: Callable[[T], R]) -> R:
        """Reads the value."""
        with self._lock:
            return f(self._value)

    def update(self, change: Callable[[T], R]) -> R:
        """Changes a copy of the value with `change` and writes it to disk before anyone sees
        the change. If the write fails (`OSError`), the value stays as it was. Nothing is
        written when `change` changed nothing, or raised."""
        with self._lock:
            value = self._copy(self._value)
            result = change(value)
            if value != self._value:
                _write_atomically(self._path, value.model_dump_json(indent=2).encode() + b"\n")
                self._value = value
            return result


def _write_atomically(path: Path, content: bytes) -> None:
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
