//! The TODO items, in the `todos` table (see `db`). A quota row per user keeps the limit
//! under concurrent adds: it is counted up in the same transaction as the insert.

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
}

impl Store {
    /// The store in `db`.
    pub fn new(db: Db) -> Store {
        Store { db }
    }

    /// The user's items, oldest first.
    pub async fn list(&self, user: &str) -> Result<Vec<Todo>, Error> {
        let rows = sqlx::query("SELECT id, todo FROM todos WHERE username = $1 ORDER BY id")
            .bind(user)
            .fetch_all(&self.db)
            .await?;
        rows.iter().map(todo).collect()
    }

    /// Adds an item to the user's list and returns it.
    pub async fn add(&self, user: &str, text: String) -> Result<Todo, StoreError> {
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

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
        let oldest = store.list("bob").await.unwrap().remove(0);
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
            .into_iter()
            .map(|t| t.id)
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
        assert_eq!(store.list("erin").await.unwrap(), [kept]);
    }

    #[tokio::test]
    async fn a_database_from_a_newer_version_is_refused() {
        let database = TestDatabase::new("store-newer").await;
        let db = database.open().await;
        sqlx::query("UPDATE schema_version SET version = $1")
            .bind(crate::db::SCHEMA_VERSION + 1)
            .execute(&db)
            .await
            .unwrap();
        db.close().await;
        let err = crate::db::open(database.location()).await.unwrap_err();
        assert!(err.contains("newer version of this plugin"), "{err}");
    }
}
