"""The store on its own: durable, never reusing ids, never replacing a file it cannot read."""

from pathlib import Path

import pytest

from app.json_file import StoreError
from app.store import MAX_TODOS_PER_USER, ListFullError, Store


def test_items_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "todos.json"
    store = Store.open(path)
    first = store.add("alice", "milk")
    store.add("alice", "eggs")
    assert store.delete("alice", first.id)
    reopened = Store.open(path)
    assert [todo.todo for todo in reopened.list("alice")] == ["eggs"]
    # Ids are never reused, even after a delete and a restart.
    assert reopened.add("alice", "bread").id == "3"


def test_a_corrupt_store_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "todos.json"
    for content in ["{ not json", '{"next_id": "1", "users": {}}', "{}"]:
        path.write_text(content)
        with pytest.raises(StoreError, match="is not valid"):
            Store.open(path)
        assert path.read_text() == content


def test_a_full_list_refuses_more(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "todos.json")
    for i in range(MAX_TODOS_PER_USER):
        store.add("bob", f"item {i}")
    with pytest.raises(ListFullError):
        store.add("bob", "one more")
    assert store.add("carol", "fine").todo == "fine"


def test_deleting_a_missing_item_changes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "todos.json")
    store.add("dan", "x")
    assert not store.delete("dan", "999")
    assert not store.delete("erin", "1")
    assert len(store.list("dan")) == 1


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    store = Store.open(folder / "todos.json")
    folder.write_text("")  # a file where the store's folder should be: every write fails
    with pytest.raises(FileExistsError):
        store.add("fay", "lost")
    assert store.list("fay") == []
    folder.unlink()
    assert store.add("fay", "kept").id == "1"
