"""The store on its own: durable, never reusing ids, keeping its limit under concurrency, and
refusing a database made by a newer version (on SQLite, or PostgreSQL: see `conftest.py`)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.db import SCHEMA_VERSION, Database, DatabaseError
from app.store import MAX_TODOS_PER_USER, ListFullError, Store


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database file that does not exist yet, in a folder that does not either."""
    return tmp_path / "nested" / "plugin.db"


def test_items_survive_reopening(path: Path) -> None:
    store = Store(Database.open(path, None))
    first = store.add("alice", "milk")
    store.add("alice", "eggs")
    assert store.delete("alice", first.id)
    reopened = Store(Database.open(path, None))
    assert [todo.todo for todo in reopened.list("alice")] == ["eggs"]
    # Ids are never reused, even after a delete and a restart.
    assert reopened.add("alice", "bread").id == "3"


def test_ids_are_never_reused_even_after_the_newest_is_deleted(path: Path) -> None:
    store = Store(Database.open(path, None))
    ids = [store.add("bob", f"item {i}").id for i in range(3)]
    assert ids == ["1", "2", "3"]
    assert store.delete("bob", "3")
    assert store.add("bob", "again").id == "4"
    assert Store(Database.open(path, None)).add("carol", "x").id == "5"


def test_a_full_list_refuses_more_and_a_delete_makes_room(path: Path) -> None:
    store = Store(Database.open(path, None))
    added = [store.add("bob", f"item {i}") for i in range(MAX_TODOS_PER_USER)]
    with pytest.raises(ListFullError):
        store.add("bob", "one more")
    assert store.add("carol", "fine").todo == "fine"
    assert store.delete("bob", added[0].id)
    assert store.add("bob", "room again").todo == "room again"
    with pytest.raises(ListFullError):
        store.add("bob", "one more")


def test_concurrent_adds_lose_nothing_and_never_pass_the_limit(path: Path) -> None:
    store = Store(Database.open(path, None))
    store.add("dan", "first")

    def add(i: int) -> str | None:
        try:
            return store.add("dan", f"item {i}").id
        except ListFullError:
            return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(add, range(2 * MAX_TODOS_PER_USER)))
    kept = [i for i in ids if i is not None]
    assert len(kept) == MAX_TODOS_PER_USER - 1
    assert len(set(kept)) == len(kept)
    listed = Store(Database.open(path, None)).list("dan")
    assert len(listed) == MAX_TODOS_PER_USER
    assert sorted(todo.id for todo in listed[1:]) == sorted(kept)


def test_deleting_a_missing_item_changes_nothing(path: Path) -> None:
    store = Store(Database.open(path, None))
    store.add("dan", "x")
    for todo_id in ["999", "01", "+1", " 1", "1.0", "\u0661", "99999999999999999999"]:
        assert not store.delete("dan", todo_id)
    assert not store.delete("erin", "1")
    assert [todo.id for todo in store.list("dan")] == ["1"]


def test_a_failed_write_changes_nothing(path: Path) -> None:
    db = Database.open(path, None)
    store = Store(db)
    store.add("fay", "kept")
    # The insert fails after the quota was counted: the transaction takes back both.
    db.query("ALTER TABLE todos RENAME TO todos_away")
    with pytest.raises(DatabaseError, match="todos"):
        store.add("fay", "lost")
    db.query("ALTER TABLE todos_away RENAME TO todos")
    assert [todo.todo for todo in store.list("fay")] == ["kept"]
    assert db.query("SELECT used FROM quotas WHERE key = 'todos:fay'") == [(1,)]


def test_a_database_of_a_newer_version_is_refused(path: Path) -> None:
    db = Database.open(path, None)
    db.query("UPDATE schema_version SET version = ?", SCHEMA_VERSION + 1)
    with pytest.raises(DatabaseError, match="made by a newer version of this plugin"):
        Database.open(path, None)


def test_a_file_that_is_not_a_database_is_refused_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # SQLite, also when the other tests run on PostgreSQL (conftest.py)
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("my notes\n" * 100)
    with pytest.raises(DatabaseError, match=r"notes\.txt"):
        Database.open(not_a_database, None)
    assert not_a_database.read_text() == "my notes\n" * 100
