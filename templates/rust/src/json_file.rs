//! A value kept in one JSON file, rewritten atomically on every change.
//!
//! Every change is made under one lock and written to a temporary file that is flushed to disk
//! and then renamed over the old one, so a crash leaves either the old file or the new one,
//! never a torn one, and concurrent requests never lose an update.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;

/// A `T` persisted in the JSON file at `path`.
#[derive(Debug)]
pub struct JsonFile<T> {
    path: PathBuf,
    data: Mutex<T>,
}

impl<T> JsonFile<T>
where
    T: Serialize + DeserializeOwned + Default + Clone + PartialEq + Send + 'static,
{
    /// Reads the file at `path`, or starts from `T::default()` if it does not exist yet. A file
    /// that exists but cannot be read is an error: it is never silently replaced.
    pub fn open(path: impl Into<PathBuf>, what: &str) -> Result<JsonFile<T>, String> {
        let path = path.into();
        let data = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "the {what} `{}` is not valid ({e}); fix or move it, or set DATA_PATH to \
                     another file",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => T::default(),
            Err(e) => {
                return Err(format!(
                    "could not read the {what} `{}`: {e}",
                    path.display()
                ))
            }
        };
        Ok(JsonFile {
            path,
            data: Mutex::new(data),
        })
    }

    /// Reads the value.
    pub async fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&*self.data.lock().await)
    }

    /// Changes the value with `f` and writes it to disk before anyone sees the change. If the
    /// write fails, the value stays as it was. Nothing is written when `f` changed nothing.
    pub async fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> io::Result<R> {
        let mut data = self.data.lock().await;
        let mut next = data.clone();
        let result = f(&mut next);
        if next != *data {
            let bytes = serde_json::to_vec_pretty(&next).expect("the value always serializes");
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                .await
                .map_err(io::Error::other)??;
            *data = next;
        }
        Ok(result)
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
        let dir = std::env::temp_dir().join(format!("json-file-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("nested/data.json")
    }

    #[tokio::test]
    async fn changes_survive_reopening() {
        let path = temp_path("reopen");
        let file: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        file.update(|v| v.push(7)).await.unwrap();
        drop(file);
        let file: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        assert_eq!(file.read(Clone::clone).await, [7]);
    }

    #[tokio::test]
    async fn a_corrupt_file_is_reported_not_replaced() {
        let path = temp_path("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "{ not json").unwrap();
        let err = JsonFile::<Vec<u32>>::open(&path, "test file").unwrap_err();
        assert!(err.contains("is not valid"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[tokio::test]
    async fn a_failed_write_leaves_the_value_unchanged() {
        let path = temp_path("failed");
        // A folder where the file should be makes the final rename fail.
        fs::create_dir_all(&path).unwrap();
        let blocked: JsonFile<Vec<u32>> = JsonFile {
            path,
            data: Mutex::new(Vec::new()),
        };
        assert!(blocked.update(|v| v.push(1)).await.is_err());
        assert_eq!(blocked.read(Clone::clone).await, Vec::<u32>::new());
    }

    #[tokio::test]
    async fn an_unchanged_value_is_not_written() {
        let path = temp_path("unchanged");
        let file: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        assert_eq!(file.update(|v| v.len()).await.unwrap(), 0);
        assert!(!path.exists());
    }
}
