//! The TODO items, in the `todos` table (see `db`). A quota row per user keeps the limit
//! under concurrent adds: it is counted up in the same transaction as the insert. On SQLite
//! the lists read are kept in memory (see [`Lists`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::{finish, Db, Error};

/// How many items one user's list may hold, which keeps a listing far below the
/// 100,000-character response limit of the plugin host.
pub const MAX_TODOS_PER_USER: usize = 100;

/// One TODO item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Stable and unique: ids are never reused, so deleting by id never hits the wrong item.
    pub id: String,
    /// The text.
    pub todo: String,
}

/// Why a change could not be stored.
#[derive(Debug)]
pub enum StoreError {
    /// The user's list already holds [`MAX_TODOS_PER_USER`] items.
    Full,
    /// The database failed.
    Database(Error),
}

impl From<Error> for StoreError {
    fn from(error: Error) -> StoreError {
        StoreError::Database(error)
    }
}

/// The TODO store.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// The lists read, on SQLite; `None` on PostgreSQL.
    lists: Option<Arc<Lists>>,
}

impl Store {
    /// The store in `db`.
    pub fn new(db: Db) -> Store {
        let lists = db.is_exclusive().then(Arc::default);
        Store { db, lists }
    }

    /// The user's items, oldest first.
    pub async fn list(&self, user: &str) -> Result<Arc<[Todo]>, Error> {
        let Some(lists) = &self.lists else {
            return self.select(user).await;
        };
        if let Some(todos) = lists.get(user) {
            return Ok(todos);
        }
        let generation = lists.generation();
        let todos = self.select(user).await?;
        lists.keep(user, &todos, generation);
        Ok(todos)
    }

    async fn select(&self, user: &str) -> Result<Arc<[Todo]>, Error> {
        let rows = sqlx::query("SELECT id, todo FROM todos WHERE username = $1 ORDER BY id")
            .bind(user)
            .fetch_all(&*self.db)
            .await?;
        rows.iter().map(todo).collect()
    }

    /// Adds an item to the user's list and returns it.
    pub async fn add(&self, user: &str, text: String) -> Result<Todo, StoreError> {
        let (store, user) = (self.clone(), user.to_owned());
        run_to_end(async move {
            let result = store.insert(&user, text).await;
            store.forget(&user);
            result
        })
        .await
    }

    async fn insert(&self, user: &str, text: String) -> Result<Todo, StoreError> {
        let mut tx = self.db.begin().await?;
        let result = async {
            let admitted = sqlx::query(
                "INSERT INTO quotas (key, used) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE \
                 SET used = quotas.used + 1 WHERE quotas.used < $2 RETURNING used",
            )
            .bind(quota_key(user))
            .bind(MAX_TODOS_PER_USER as i64)
            .fetch_optional(&mut *tx)
            .await?;
            if admitted.is_none() {
                return Err(StoreError::Full);
            }
            let row = sqlx::query(
                "INSERT INTO todos (username, todo) VALUES ($1, $2) RETURNING id, todo",
            )
            .bind(user)
            .bind(text)
            .fetch_one(&mut *tx)
            .await?;
            Ok(todo(&row)?)
        }
        .await;
        finish(tx, result).await
    }

    /// Deletes the user's item with this id; `Ok(false)` if there is none.
    pub async fn delete(&self, user: &str, id: &str) -> Result<bool, Error> {
        // Only the decimal text of an id names it (`007` does not name item 7).
        let Some(id) = id.parse::<i64>().ok().filter(|n| n.to_string() == id) else {
            return Ok(false);
        };
        let (store, user) = (self.clone(), user.to_owned());
        run_to_end(async move {
            let result = store.remove(&user, id).await;
            store.forget(&user);
            result
        })
        .await
    }

    async fn remove(&self, user: &str, id: i64) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        let result = async {
            let deleted = sqlx::query("DELETE FROM todos WHERE username = $1 AND id = $2")
                .bind(user)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                sqlx::query("UPDATE quotas SET used = used - 1 WHERE key = $1")
                    .bind(quota_key(user))
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(deleted > 0)
        }
        .await;
        finish(tx, result).await
    }

    /// Drops the user's list from memory, after a write of it ended (committed or not).
    fn forget(&self, user: &str) {
        if let Some(lists) = &self.lists {
            lists.forget(user);
        }
    }
}

/// Runs a write on a task of its own, so that it ends, and drops the cached list after its
/// commit, even when the request is cancelled (its client went away) while it waits for the
/// database. A panic in it goes on here.
async fn run_to_end<T: Send + 'static>(write: impl Future<Output = T> + Send + 'static) -> T {
    match tokio::spawn(write).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn quota_key(user: &str) -> String {
    format!("todos:{user}")
}

fn todo(row: &sqlx::any::AnyRow) -> Result<Todo, Error> {
    Ok(Todo {
        id: row.try_get::<i64, _>("id")?.to_string(),
        todo: row.try_get("todo")?,
    })
}

/// The most lists kept in memory: at most 100 items of 500 characters each, about 50 MB.
const MAX_LISTS: usize = 1000;

/// Each user's list as last read, so that a listing (`GET /todos`, MCP `listTodos`) runs no
/// query and is as fast as when the items were kept in memory. Only on SQLite: the lock taken
/// by `db::open` makes this server the file's only writer, and the store drops a user's list
/// after each write of it. On PostgreSQL other instances write the same tables, so every
/// listing reads them. When one more list would pass [`MAX_LISTS`], all are dropped: simpler
/// than choosing which, and they are read again as they are asked for.
#[derive(Debug, Default)]
struct Lists(Mutex<Cached>);

#[derive(Debug, Default)]
struct Cached {
    lists: HashMap<String, Arc<[Todo]>>,
    /// Counts the lists dropped, so that a list read before a write committed is not kept
    /// after that write dropped the user's list (see [`Lists::keep`]).
    generation: u64,
}

impl Lists {
    fn get(&self, user: &str) -> Option<Arc<[Todo]>> {
        self.cached().lists.get(user).cloned()
    }

    /// What to pass to [`Lists::keep`]: take it before reading the database.
    fn generation(&self) -> u64 {
        self.cached().generation
    }

    /// Keeps the user's list, read after [`Lists::generation`] returned `generation`, unless a
    /// list was dropped since: that write may have committed after the read.
    fn keep(&self, user: &str, todos: &Arc<[Todo]>, generation: u64) {
        let mut cached = self.cached();
        if cached.generation != generation {
            return;
        }
        if cached.lists.len() >= MAX_LISTS {
            cached.lists.clear();
        }
        cached.lists.insert(user.to_owned(), Arc::clone(todos));
    }

    fn forget(&self, user: &str) {
        let mut cached = self.cached();
        cached.generation += 1;
        cached.lists.remove(user);
    }

    fn cached(&self) -> MutexGuard<'_, Cached> {
        // Nothing panics while it is held; if something did, the map is still whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::task::Poll;

    use super::*;
    use crate::db::TestDatabase;

    #[tokio::test]
    async fn items_survive_reopening_and_ids_are_never_reused() {
        let database = TestDatabase::new("store-reopen").await;
        let store = Store::new(database.open().await);
        let first = store.add("alice", "milk".into()).await.unwrap();
        store.add("alice", "eggs".into()).await.unwrap();
        assert!(store.delete("alice", &first.id).await.unwrap());
        store.db.close().await;
        drop(store);
        let store = Store::new(database.open().await);
        let todos = store.list("alice").await.unwrap();
        assert_eq!(todos.len(), 1);
        assert_eq!(todos[0].todo, "eggs");
        // Ids are never reused, even after a delete of the newest and a restart.
        assert!(store.delete("alice", &todos[0].id).await.unwrap());
        let third = store.add("alice", "bread".into()).await.unwrap();
        assert!(![first.id, todos[0].id.clone()].contains(&third.id));
        assert_eq!(third.id, "3");
    }

    #[tokio::test]
    async fn a_full_list_refuses_more_and_a_delete_makes_room() {
        let database = TestDatabase::new("store-full").await;
        let store = Store::new(database.open().await);
        for i in 0..MAX_TODOS_PER_USER {
            store.add("bob", format!("item {i}")).await.unwrap();
        }
        assert!(matches!(
            store.add("bob", "one more".into()).await,
            Err(StoreError::Full)
        ));
        assert!(store.add("carol", "fine".into()).await.is_ok());
        let oldest = store.list("bob").await.unwrap()[0].clone();
        assert!(store.delete("bob", &oldest.id).await.unwrap());
        assert!(store.add("bob", "room again".into()).await.is_ok());
        assert!(matches!(
            store.add("bob", "one more".into()).await,
            Err(StoreError::Full)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_adds_are_all_kept_and_never_exceed_the_limit() {
        let database = TestDatabase::new("store-concurrent").await;
        let store = Store::new(database.open().await);
        let tasks: Vec<_> = (0..MAX_TODOS_PER_USER + 30)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.add("dan", format!("item {i}")).await })
            })
            .collect();
        let mut added = HashSet::new();
        let mut full = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(todo) => assert!(added.insert(todo.id)),
                Err(StoreError::Full) => full += 1,
                Err(StoreError::Database(e)) => panic!("{e}"),
            }
        }
        assert_eq!((added.len(), full), (MAX_TODOS_PER_USER, 30));
        let listed: HashSet<String> = store
            .list("dan")
            .await
            .unwrap()
            .iter()
            .map(|t| t.id.clone())
            .collect();
        assert_eq!(listed, added);
    }

    #[tokio::test]
    async fn deleting_a_missing_item_changes_nothing() {
        let database = TestDatabase::new("store-missing").await;
        let store = Store::new(database.open().await);
        let kept = store.add("erin", "x".into()).await.unwrap();
        for id in ["999", "abc", "", "01", "-1"] {
            assert!(!store.delete("erin", id).await.unwrap(), "{id}");
        }
        assert!(!store.delete("frank", &kept.id).await.unwrap());
        assert_eq!(*store.list("erin").await.unwrap(), [kept]);
    }

    #[tokio::test]
    async fn a_database_from_a_newer_version_is_refused() {
        let database = TestDatabase::new("store-newer").await;
        let db = database.open().await;
        sqlx::query("UPDATE schema_version SET version = $1")
            .bind(crate::db::SCHEMA_VERSION + 1)
            .execute(&*db)
            .await
            .unwrap();
        db.close().await;
        drop(db);
        let err = crate::db::open(database.location()).await.unwrap_err();
        assert!(err.contains("newer version of this plugin"), "{err}");
    }

    #[tokio::test]
    async fn a_list_is_read_once_until_a_write_changes_it() {
        let database = TestDatabase::new("store-cache").await;
        let store = Store::new(database.open().await);
        store.add("gina", "milk".into()).await.unwrap();
        assert_eq!(texts(&store, "gina").await, ["milk"]);
        // A change behind the store's back, through its own connections, is seen only without
        // the lists in memory (on PostgreSQL).
        rename_all(&store, "oat milk").await;
        if store.db.is_exclusive() {
            assert_eq!(
                texts(&store, "gina").await,
                ["milk"],
                "answered from memory"
            );
        } else {
            assert_eq!(texts(&store, "gina").await, ["oat milk"], "read every time");
        }
        // Each write drops the list: the next listing reads the table.
        let eggs = store.add("gina", "eggs".into()).await.unwrap();
        assert_eq!(texts(&store, "gina").await, ["oat milk", "eggs"]);
        rename_all(&store, "soy milk").await;
        assert!(store.delete("gina", &eggs.id).await.unwrap());
        assert_eq!(texts(&store, "gina").await, ["soy milk"]);
    }

    async fn texts(store: &Store, user: &str) -> Vec<String> {
        let todos = store.list(user).await.unwrap();
        todos.iter().map(|t| t.todo.clone()).collect()
    }

    /// Changes the text of every item behind the store's back, through its own connections.
    async fn rename_all(store: &Store, text: &str) {
        sqlx::query("UPDATE todos SET todo = $1")
            .bind(text)
            .execute(&*store.db)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_write_ends_even_when_its_caller_stops_waiting() {
        let database = TestDatabase::new("store-cancel").await;
        let store = Store::new(database.open().await);
        assert!(store.list("hana").await.unwrap().is_empty());
        // The caller polls the add once, then drops it, as axum does when a client goes away.
        let mut add = Box::pin(store.add("hana", "tea".into()));
        let first = std::future::poll_fn(|cx| Poll::Ready(add.as_mut().poll(cx))).await;
        assert!(first.is_pending(), "the add was still running");
        drop(add);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while store.list("hana").await.unwrap().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the add was lost");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(store.list("hana").await.unwrap()[0].todo, "tea");
    }

    #[test]
    fn a_list_read_before_a_write_ended_is_not_kept() {
        let lists = Lists::default();
        let read: Arc<[Todo]> = Arc::from(Vec::new());
        let generation = lists.generation();
        // A write of another user's list ends while this one is read.
        lists.forget("someone else");
        lists.keep("ida", &read, generation);
        assert!(lists.get("ida").is_none());
        let generation = lists.generation();
        lists.keep("ida", &read, generation);
        assert!(lists.get("ida").is_some());
        lists.forget("ida");
        assert!(lists.get("ida").is_none());
    }

    #[test]
    fn one_list_past_the_limit_drops_them_all() {
        let lists = Lists::default();
        let read: Arc<[Todo]> = Arc::from(Vec::new());
        for n in 0..MAX_LISTS {
            lists.keep(&format!("user {n}"), &read, lists.generation());
        }
        assert_eq!(lists.cached().lists.len(), MAX_LISTS);
        assert!(lists.get("user 0").is_some());
        lists.keep("one more", &read, lists.generation());
        assert_eq!(lists.cached().lists.len(), 1);
        assert!(lists.get("one more").is_some());
        assert!(lists.get("user 0").is_none());
    }
}
