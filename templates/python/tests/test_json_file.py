"""The JSON file under both stores: reopening, atomic writes, failures, a corrupt file, and
concurrent changes written together."""

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import BaseModel

from app import json_file
from app.json_file import JsonFile, StoreError


class Numbers(BaseModel, strict=True):
    """What the test file holds."""

    numbers: list[int]


EMPTY = Numbers(numbers=[])


def numbers(file: JsonFile[Numbers]) -> list[int]:
    return file.read(lambda value: list(value.numbers))


def on_disk(path: Path) -> list[int]:
    return Numbers.model_validate_json(path.read_bytes()).numbers


class Disk:
    """Stands in for the real write: every write waits until the test lets it finish or fail,
    and the test sees what each one holds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._write = json_file._write_atomically
        self._begun: queue.Queue[bytes] = queue.Queue()
        self._outcomes: queue.Queue[OSError | None] = queue.Queue()
        monkeypatch.setattr(json_file, "_write_atomically", self.write)

    def write(self, path: Path, content: bytes) -> None:
        self._begun.put(content)
        error = self._outcomes.get(timeout=5)
        if error is not None:
            raise error
        self._write(path, content)

    def begun(self) -> list[int]:
        """Waits for the next write to begin; what it writes."""
        return Numbers.model_validate_json(self._begun.get(timeout=5)).numbers

    def finish(self, error: OSError | None = None) -> None:
        """Lets the write under way finish, or fail with `error`."""
        self._outcomes.put(error)

    def no_more_writes(self) -> bool:
        return self._begun.empty()


class Changes:
    """Runs changes on a file from other threads, and tells when they have been made."""

    def __init__(self, file: JsonFile[Numbers], executor: ThreadPoolExecutor) -> None:
        self._file = file
        self._executor = executor
        self._made = threading.Semaphore(0)

    def append(self, number: int) -> Future[str]:
        """Appends `number` in another thread, once it has been made."""

        def change(value: Numbers) -> str:
            value.numbers.append(number)
            return f"appended {number}"

        return self.run(change)

    def run(self, change: Callable[[Numbers], str]) -> Future[str]:
        """Runs `change` in another thread, and returns once it has been made (not written)."""

        def made(value: Numbers) -> str:
            result = change(value)
            self._made.release()
            return result

        future = self._executor.submit(self._file.update, made)
        assert self._made.acquire(timeout=5), "the change was never made"
        return future


def test_changes_survive_reopening_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)
    file.update(lambda value: value.numbers.append(7))
    assert numbers(JsonFile.open(path, "test file", EMPTY)) == [7]
    assert path.read_text() == '{\n  "numbers": [\n    7\n  ]\n}\n'
    assert [p.name for p in path.parent.iterdir()] == ["data.json"]


def test_a_corrupt_file_is_reported_with_its_name_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    for content in ["{ not json", '{"numbers": ["7"]}', "{}", ""]:
        path.write_text(content)
        with pytest.raises(StoreError) as error:
            JsonFile.open(path, "test file", EMPTY)
        assert str(error.value).startswith(f"the test file `{path}` is not valid (")
        assert str(error.value).endswith("); fix or move it, or set DATA_PATH to another file")
        assert path.read_text() == content


def test_a_file_that_cannot_be_read_is_reported_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.mkdir()
    with pytest.raises(StoreError, match=r"^could not read the test file `"):
        JsonFile.open(path, "test file", EMPTY)


def test_a_failed_write_leaves_the_value_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    file = JsonFile.open(folder / "data.json", "test file", EMPTY)
    file.update(lambda value: value.numbers.append(1))
    (folder / "data.json").unlink()
    (folder / "data.json").mkdir()  # a folder where the file should be: the rename fails
    with pytest.raises(IsADirectoryError):
        file.update(lambda value: value.numbers.append(2))
    assert numbers(file) == [1], "the change worked on a copy"
    (folder / "data.json").rmdir()
    file.update(lambda value: value.numbers.append(3))
    assert numbers(JsonFile.open(folder / "data.json", "test file", EMPTY)) == [1, 3]


def test_an_unchanged_value_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)
    assert file.update(lambda value: len(value.numbers)) == 0
    assert not path.parent.exists()


def test_a_change_that_raises_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)

    def refuse(value: Numbers) -> None:
        value.numbers.append(1)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        file.update(refuse)
    assert numbers(file) == []
    assert not path.exists()


def test_concurrent_changes_are_serialized_and_all_kept(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)

    def append(number: int) -> int:
        def change(value: Numbers) -> int:
            value.numbers.append(number)
            return number

        return file.update(change)

    with ThreadPoolExecutor(max_workers=20) as executor:
        results = list(executor.map(append, range(200)))
    assert results == list(range(200))
    assert sorted(numbers(file)) == list(range(200))
    assert sorted(on_disk(path)) == list(range(200))


def test_changes_made_during_a_write_are_written_together_in_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)
    disk = Disk(monkeypatch)
    with ThreadPoolExecutor(max_workers=20) as executor:
        changes = Changes(file, executor)
        first = changes.append(0)
        assert disk.begun() == [0]
        others = [changes.append(number) for number in range(1, 20)]
        disk.finish()
        assert sorted(disk.begun()) == list(range(20)), "one write holds the 19 changes"
        disk.finish()
        assert [future.result() for future in [first, *others]] == [
            f"appended {number}" for number in range(20)
        ]
    assert disk.no_more_writes()
    assert sorted(numbers(file)) == list(range(20))
    assert sorted(on_disk(path)) == list(range(20))


def test_nothing_is_read_or_returned_before_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)
    disk = Disk(monkeypatch)
    with ThreadPoolExecutor(max_workers=2) as executor:
        changes = Changes(file, executor)
        added = changes.append(1)
        disk.begun()
        # A change that changes nothing still waits for what it saw to be written.
        seen = changes.run(lambda value: f"saw {value.numbers}")
        assert numbers(file) == []
        assert not path.exists()
        assert not added.done()
        assert not seen.done()
        disk.finish()
        assert added.result(timeout=5) == "appended 1"
        assert seen.result(timeout=5) == "saw [1]"
    assert numbers(file) == [1]
    assert disk.no_more_writes()


def test_a_failed_write_fails_every_change_not_written_and_later_ones_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.json"
    file = JsonFile.open(path, "test file", EMPTY)
    file.update(lambda value: value.numbers.append(0))
    disk = Disk(monkeypatch)
    failure = OSError(28, "No space left on device")
    with ThreadPoolExecutor(max_workers=10) as executor:
        changes = Changes(file, executor)
        written = changes.append(1)
        assert disk.begun() == [0, 1]
        held = [changes.append(2), changes.append(3)]
        disk.finish()
        assert written.result(timeout=5) == "appended 1"
        before = path.read_bytes()
        assert sorted(disk.begun()) == [0, 1, 2, 3]
        # Made during the failing write, on top of it: lost with it.
        lost = [changes.append(4), changes.run(lambda value: f"saw {value.numbers}")]
        disk.finish(failure)
        for future in [*held, *lost]:
            assert future.exception(timeout=5) is failure
        assert numbers(file) == [0, 1]
        assert path.read_bytes() == before
        later = changes.append(5)
        assert disk.begun() == [0, 1, 5]
        disk.finish()
        assert later.result(timeout=5) == "appended 5"
    assert numbers(file) == [0, 1, 5]
    assert on_disk(path) == [0, 1, 5]
    assert disk.no_more_writes()
