"""The store on its own: durable, never reusing ids, keeping its limit under concurrency,
refusing a database made by a newer version (on SQLite, or PostgreSQL: see `conftest.py`), and
on SQLite its cache of lists and the lock that keeps a second server off the file."""

import os
import subprocess
import sys
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
    db = Database.open(path, None)
    store = Store(db)
    first = store.add("alice", "milk")
    store.add("alice", "eggs")
    assert store.delete("alice", first.id)
    db.close()  # one server per SQLite file: the next one starts once this one has stopped
    reopened = Store(Database.open(path, None))
    assert [todo.todo for todo in reopened.list("alice")] == ["eggs"]
    # Ids are never reused, even after a delete and a restart.
    assert reopened.add("alice", "bread").id == "3"


def test_ids_are_never_reused_even_after_the_newest_is_deleted(path: Path) -> None:
    db = Database.open(path, None)
    store = Store(db)
    ids = [store.add("bob", f"item {i}").id for i in range(3)]
    assert ids == ["1", "2", "3"]
    assert store.delete("bob", "3")
    assert store.add("bob", "again").id == "4"
    db.close()
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
    db = Database.open(path, None)
    store = Store(db)
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
    db.close()
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
    db.close()
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


def test_a_change_drops_the_users_list(path: Path) -> None:
    store = Store(Database.open(path, None))
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


def another_server(path: Path) -> str:
    """The error of opening `path` a second time, while it is open."""
    with pytest.raises(DatabaseError) as refused:
        Database.open(path, None)
    return str(refused.value)


def test_a_second_open_of_the_same_file_is_refused_until_the_first_is_closed(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # SQLite, also when the other tests run on PostgreSQL (conftest.py)
    db = Database.open(path, None)
    try:
        Store(db).add("jo", "milk")
        assert another_server(path) == (
            f"another server uses the SQLite database at DATA_PATH `{path}` (it holds "
            f"`{path}.lock`); stop it, or set DATA_PATH to another file. To run several "
            "instances on the same data, set DATABASE_URL to a PostgreSQL database"
        )
        # The refused open changed nothing: the first goes on.
        assert [todo.todo for todo in Store(db).list("jo")] == ["milk"]
    finally:
        db.close()
    again = Database.open(path, None)
    try:
        assert [todo.todo for todo in Store(again).list("jo")] == ["milk"]
    finally:
        again.close()


def test_another_process_holding_the_file_is_refused_until_it_dies(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # SQLite, also when the other tests run on PostgreSQL (conftest.py)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from app.db import Database; "
            "Database.open(Path(sys.argv[1]), None); print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        cwd=Path(__file__).parent.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "open\n"
        assert "another server uses the SQLite database" in another_server(path)
    finally:
        holder.kill()  # as `kill -9`: the lock ends with the process
        holder.wait()
    Database.open(path, None).close()


def test_the_cache_keeps_no_list_read_before_a_change() -> None:
    cache = ListCache()
    milk = [Todo(id="1", todo="milk")]
    _, generation = cache.get("kim")
    cache.drop("kim")  # a change committed while the list was read
    cache.put("kim", milk, generation)
    assert cache.get("kim")[0] is None
    _, generation = cache.get("kim")
    cache.put("kim", milk, generation)
    assert cache.get("kim")[0] == milk
    cache.drop("lou")  # any change: the generation moves on
    cache.put("kim", [], generation)
    assert cache.get("kim")[0] == milk


def test_the_cache_is_cleared_when_it_would_pass_its_bound() -> None:
    cache = ListCache()
    for i in range(ListCache.MAX_LISTS):
        cache.put(f"user {i}", [], cache.get(f"user {i}")[1])
    assert all(cache.get(f"user {i}")[0] == [] for i in range(ListCache.MAX_LISTS))
    cache.put("one more", [], cache.get("one more")[1])
    assert cache.get("user 0")[0] is None
    assert cache.get(f"user {ListCache.MAX_LISTS - 1}")[0] is None
    assert cache.get("one more")[0] == []
