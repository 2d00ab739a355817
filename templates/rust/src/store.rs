//! Durable TODO storage: one JSON file (`DATA_PATH`), rewritten atomically (see `json_file`).

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::json_file::JsonFile;

/// How many items one user's list may hold, which keeps a listing far below the
/// 100,000-character response limit of the plugin host.
pub const MAX_TODOS_PER_USER: usize = 100;

/// One TODO item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Stable and unique: deleting by id never hits the wrong item.
    pub id: String,
    /// The text.
    pub todo: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Data {
    /// The next id to hand out; ids are never reused.
    next_id: u64,
    /// Each user's items, oldest first.
    users: BTreeMap<String, Vec<Todo>>,
}

/// Why a change could not be stored.
#[derive(Debug)]
pub enum StoreError {
    /// The user's list already holds [`MAX_TODOS_PER_USER`] items.
    Full,
    /// The file could not be written.
    Io(io::Error),
}

/// The TODO store.
#[derive(Debug)]
pub struct Store {
    file: JsonFile<Data>,
}

impl Store {
    /// Opens the store at `path`, or starts an empty one if the file does not exist yet.
    /// A file that exists but cannot be read is an error: it is never silently replaced.
    pub fn open(path: impl Into<PathBuf>) -> Result<Store, String> {
        Ok(Store {
            file: JsonFile::open(path, "store")?,
        })
    }

    /// The user's items, oldest first.
    pub async fn list(&self, user: &str) -> Vec<Todo> {
        self.file
            .read(|data| data.users.get(user).cloned().unwrap_or_default())
            .await
    }

    /// Adds an item to the user's list and returns it.
    pub async fn add(&self, user: &str, text: String) -> Result<Todo, StoreError> {
        self.file
            .update(|data| {
                if data.users.get(user).map_or(0, Vec::len) >= MAX_TODOS_PER_USER {
                    return Err(StoreError::Full);
                }
                data.next_id += 1;
                let todo = Todo {
                    id: data.next_id.to_string(),
                    todo: text,
                };
                data.users
                    .entry(user.to_owned())
                    .or_default()
                    .push(todo.clone());
                Ok(todo)
            })
            .await
            .map_err(StoreError::Io)?
    }

    /// Deletes the user's item with this id; `Ok(false)` if there is none.
    pub async fn delete(&self, user: &str, id: &str) -> io::Result<bool> {
        self.file
            .update(|data| {
                let Some(todos) = data.users.get_mut(user) else {
                    return false;
                };
                let Some(position) = todos.iter().position(|t| t.id == id) else {
                    return false;
                };
                todos.remove(position);
                if todos.is_empty() {
                    data.users.remove(user);
                }
                true
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("store-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested/todos.json")
    }

    #[tokio::test]
    async fn items_survive_reopening() {
        let path = temp_path("reopen");
        let store = Store::open(&path).unwrap();
        let first = store.add("alice", "milk".into()).await.unwrap();
        store.add("alice", "eggs".into()).await.unwrap();
        assert!(store.delete("alice", &first.id).await.unwrap());
        drop(store);
        let store = Store::open(&path).unwrap();
        let todos = store.list("alice").await;
        assert_eq!(todos.len(), 1);
        assert_eq!(todos[0].todo, "eggs");
        // Ids are never reused, even after a delete and a restart.
        let third = store.add("alice", "bread".into()).await.unwrap();
        assert_eq!(third.id, "3");
    }

    #[tokio::test]
    async fn a_full_list_refuses_more() {
        let store = Store::open(temp_path("full")).unwrap();
        for i in 0..MAX_TODOS_PER_USER {
            store.add("bob", format!("item {i}")).await.unwrap();
        }
        assert!(matches!(
            store.add("bob", "one more".into()).await,
            Err(StoreError::Full)
        ));
        assert!(store.add("carol", "fine".into()).await.is_ok());
    }

    #[tokio::test]
    async fn deleting_a_missing_item_changes_nothing() {
        let store = Store::open(temp_path("missing")).unwrap();
        store.add("dan", "x".into()).await.unwrap();
        assert!(!store.delete("dan", "999").await.unwrap());
        assert!(!store.delete("erin", "1").await.unwrap());
        assert_eq!(store.list("dan").await.len(), 1);
    }
}
