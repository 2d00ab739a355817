"""The store on its own: durable, never reusing ids, keeping its limit under concurrency,
refusing a database made by a newer version (on SQLite, or PostgreSQL: see `conftest.py`), and
its cache of lists on SQLite."""

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.db import SCHEMA_VERSION, Database, DatabaseError, Row
from app.models import Todo
from app.store import MAX_TODOS_PER_USER, ListCache, ListFullError, Store


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


def count_listings(db: Database) -> list[str]:
    """The listing queries `db` runs from now on, one entry each."""
    listings: list[str] = []
    query = db.query

    def counting(sql: str, *params: Any) -> list[Row]:
        if sql.startswith("SELECT id, todo FROM todos"):
            listings.append(sql)
        return query(sql, *params)

    db.query = counting  # type: ignore[method-assign]
    return listings


def test_a_listing_is_read_once_on_sqlite_and_every_time_on_postgresql(path: Path) -> None:
    db = Database.open(path, None)
    store = Store(db)
    store.add("gus", "milk")
    listings = count_listings(db)
    assert [todo.todo for todo in store.list("gus")] == ["milk"]
    assert [todo.todo for todo in store.list("gus")] == ["milk"]
    assert len(listings) == (2 if os.environ.get("DATABASE_URL") else 1)


def test_a_change_drops_the_users_list_even_unseen_by_data_version(path: Path) -> None:
    db = Database.open(path, None)
    if db.data_version is not None:
        # As if this process's changes did not change `data_version`: only dropping helps.
        db.data_version = lambda: 0
    store = Store(db)
    milk = store.add("hal", "milk")
    store.add("ivy", "tea")
    assert [todo.todo for todo in store.list("hal")] == ["milk"]
    assert [todo.todo for todo in store.list("ivy")] == ["tea"]
    store.add("hal", "eggs")
    assert [todo.todo for todo in store.list("hal")] == ["milk", "eggs"]
    assert store.delete("hal", milk.id)
    assert [todo.todo for todo in store.list("hal")] == ["eggs"]
    for i in range(MAX_TODOS_PER_USER - 1):
        store.add("ivy", f"item {i}")
    assert len(store.list("ivy")) == MAX_TODOS_PER_USER
    with pytest.raises(ListFullError):
        store.add("ivy", "one more")
    assert len(store.list("ivy")) == MAX_TODOS_PER_USER


def test_a_change_by_another_connection_is_listed(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # SQLite, also when the other tests run on PostgreSQL (conftest.py)
    db = Database.open(path, None)
    try:
        store = Store(db)
        store.add("jo", "milk")
        assert [todo.todo for todo in store.list("jo")] == ["milk"]
        # Another process, or a tool, on the same file.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("UPDATE todos SET todo = 'oat milk' WHERE username = 'jo'")
        assert [todo.todo for todo in store.list("jo")] == ["oat milk"]
        other.execute("INSERT INTO todos (username, todo) VALUES ('jo', 'eggs')")
        other.close()
        assert [todo.todo for todo in store.list("jo")] == ["oat milk", "eggs"]
    finally:
        db.close()


def test_the_cache_keeps_no_list_read_before_a_change_or_a_new_data_version() -> None:
    version = 0
    cache = ListCache(lambda: version)
    milk = [Todo(id="1", todo="milk")]
    _, generation = cache.get("kim")
    cache.drop("kim")  # a change committed while the list was read
    cache.put("kim", milk, generation)
    assert cache.get("kim")[0] is None
    _, generation = cache.get("kim")
    cache.put("kim", milk, generation)
    assert cache.get("kim")[0] == milk
    version = 1  # another connection committed
    assert cache.get("kim")[0] is None
    cache.put("kim", milk, generation)  # read before that was seen
    assert cache.get("kim")[0] is None


def test_the_cache_is_cleared_when_it_would_pass_its_bound() -> None:
    cache = ListCache(lambda: 0)
    for i in range(ListCache.MAX_LISTS):
        cache.put(f"user {i}", [], cache.get(f"user {i}")[1])
    assert all(cache.get(f"user {i}")[0] == [] for i in range(ListCache.MAX_LISTS))
    cache.put("one more", [], cache.get("one more")[1])
    assert cache.get("user 0")[0] is None
    assert cache.get(f"user {ListCache.MAX_LISTS - 1}")[0] is None
    assert cache.get("one more")[0] == []
