"""The JSON file under both stores: reopening, atomic writes, failures and a corrupt file."""

import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.json_file import JsonFile, StoreError


class Numbers(BaseModel, strict=True):
    """What the test file holds."""

    numbers: list[int]


EMPTY = Numbers(numbers=[])


def numbers(file: JsonFile[Numbers]) -> list[int]:
    return file.read(lambda value: list(value.numbers))


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
    threads = [
        threading.Thread(target=file.update, args=(lambda value, i=i: value.numbers.append(i),))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers(JsonFile.open(path, "test file", EMPTY))) == list(range(20))
