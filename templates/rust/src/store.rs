//! Durable TODO storage: one JSON file, rewritten atomically on every change.
//!
//! Every change is made under one lock and written to a temporary file that is flushed to disk
//! and then renamed over the store, so a crash leaves either the old file or the new one, never
//! a torn one, and concurrent requests never lose an update.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    path: PathBuf,
    data: Mutex<Data>,
}

impl Store {
    /// Opens the store at `path`, or starts an empty one if the file does not exist yet.
    /// A file that exists but cannot be read is an error: it is never silently replaced.
    pub fn open(path: impl Into<PathBuf>) -> Result<Store, String> {
        let path = path.into();
        let data = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "the store `{}` is not valid ({e}); fix or move it, or set DATA_PATH to another file",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Data::default(),
            Err(e) => return Err(format!("could not read the store `{}`: {e}", path.display())),
        };
        Ok(Store {
            path,
            data: Mutex::new(data),
        })
    }

    /// The user's items, oldest first.
    pub async fn list(&self, user: &str) -> Vec<Todo> {
        let data = self.data.lock().await;
        data.users.get(user).cloned().unwrap_or_default()
    }

    /// Adds an item to the user's list and returns it.
    pub async fn add(&self, user: &str, text: String) -> Result<Todo, StoreError> {
        let mut data = self.data.lock().await;
        if data.users.get(user).map_or(0, Vec::len) >= MAX_TODOS_PER_USER {
            return Err(StoreError::Full);
        }
        let mut next = data.clone();
        next.next_id += 1;
        let todo = Todo {
            id: next.next_id.to_string(),
            todo: text,
        };
        next.users
            .entry(user.to_owned())
            .or_default()
            .push(todo.clone());
        self.persist(&next).await.map_err(StoreError::Io)?;
        *data = next;
        Ok(todo)
    }

    /// Deletes the user's item with this id; `Ok(false)` if there is none.
    pub async fn delete(&self, user: &str, id: &str) -> io::Result<bool> {
        let mut data = self.data.lock().await;
        let Some(position) = data
            .users
            .get(user)
            .and_then(|todos| todos.iter().position(|t| t.id == id))
        else {
            return Ok(false);
        };
        let mut next = data.clone();
        let todos = next.users.get_mut(user).expect("found above");
        todos.remove(position);
        if todos.is_empty() {
            next.users.remove(user);
        }
        self.persist(&next).await?;
        *data = next;
        Ok(true)
    }

    /// Writes `data` atomically. Called with the lock held, so writes never interleave.
    async fn persist(&self, data: &Data) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(data).expect("the store always serializes");
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(io::Error::other)?
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let temporary = dir.join(name);
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    // Make the rename itself durable (where the platform allows opening a directory).
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("store-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
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
    async fn a_corrupt_store_is_reported_not_replaced() {
        let path = temp_path("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "{ not json").unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(err.contains("is not valid"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
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
