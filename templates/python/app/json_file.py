"""A value kept in one JSON file, rewritten atomically: the TODO store and the OAuth grants both
live on it.

Every write goes to a temporary file that is flushed to disk and then renamed over the old one,
so a crash leaves either the old file or the new one, never a torn one. Changes are made one at
a time under one lock, so concurrent requests never lose an update, and they are written in
groups: while one write is under way, the changes made meanwhile gather, and the next write
stores them all at once (a group commit), so many concurrent changes cost a few writes, not one
each. A change returns, and is seen by readers, only once a write that holds it has finished; if
that write fails, the value stays as it was before it.
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


class _Write:
    """One write of the file: the changes it holds wait for it to finish."""

    def __init__(self, lock: threading.Lock) -> None:
        self.finished = threading.Condition(lock)
        """Notified when the write has finished, or when it may start."""
        self.done = False
        """Whether it has finished, written or failed."""
        self.error: BaseException | None = None
        """Why it failed, if it did."""


class JsonFile(Generic[T]):
    """A `T` persisted in the JSON file at `path`. Safe to share between threads."""

    def __init__(self, path: Path, value: T, copy: Callable[[T], T] = deep_copy) -> None:
        self._path = path
        self._copy = copy
        self._lock = threading.Lock()
        # Values are never changed once made, only replaced (every change works on a copy), so
        # `read` needs no lock and a write can serialize its value with the lock released.
        self._durable = value
        """The value as last written: what `read` sees."""
        self._pending = value
        """`_durable` and the changes not written yet: what changes see and change."""
        self._writing: _Write | None = None
        """The write under way, if any."""
        self._next: _Write | None = None
        """The write that will hold the changes made since `_writing` began, if there are any."""

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
        """Reads the value as last written: a change is seen only once it is on disk. `f` must
        not change the value. Never waits, so it may be called on the event loop."""
        return f(self._durable)

    def update(self, change: Callable[[T], R]) -> R:
        """Changes a copy of the value with `change` and returns its result once a write that
        holds the change has finished, or, if `change` changed nothing, once everything it saw
        is written. Nothing is written when `change` changed nothing, or raised.

        If the write fails (`OSError`), the value stays as it was before it, and this change
        and every other change not yet written fail with that error: they were made on a value
        that will not exist."""
        with self._lock:
            value = self._copy(self._pending)
            result = change(value)
            if value != self._pending:
                self._pending = value
                self._next = self._next or _Write(self._lock)
            # A change waits for the next write; one that changed nothing may still rest on
            # changes not on disk yet, and waits for the write that will hold them.
            awaited = self._next or self._writing
            if awaited is None:
                return result
            while not awaited.done:
                if self._writing is None:
                    # No write is under way, so `awaited` is `_next`: this thread writes it.
                    self._write(awaited)
                else:
                    awaited.finished.wait()
            if awaited.error is not None:
                raise awaited.error
            return result

    def _write(self, write: _Write) -> None:
        """Writes `_pending` as `write`, which is `_next` (every change not written yet), with
        the lock (held on entry) released meanwhile; changes made meanwhile go into the next
        write."""
        self._writing, self._next = write, None
        value = self._pending
        self._lock.release()
        try:
            _write_atomically(self._path, value.model_dump_json(indent=2).encode() + b"\n")
        except BaseException as error:
            # Whatever stops the write fails it, so no waiter is left waiting for it.
            write.error = error
        finally:
            self._lock.acquire()
        self._writing = None
        write.done = True
        write.finished.notify_all()
        if write.error is None:
            self._durable = value
            if self._next is not None:
                # Wake one waiter of the next write: it writes it.
                self._next.finished.notify()
        else:
            # The changes made during the write were made on top of it: they are lost with it.
            self._pending = self._durable
            if self._next is not None:
                self._next.error = write.error
                self._next.done = True
                self._next.finished.notify_all()
                self._next = None


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
