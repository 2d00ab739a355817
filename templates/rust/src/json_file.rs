//! A value kept in one JSON file, rewritten atomically.
//!
//! Every write goes to a temporary file that is flushed to disk and then renamed over the old
//! one, so a crash leaves either the old file or the new one, never a torn one. Changes are
//! applied one at a time, so none is lost, and committed in groups: the changes made while a
//! write is on its way are written together by the next one, so a burst of requests costs a few
//! writes rather than one each. A change is answered only once it is on disk, and readers only
//! ever see what is on disk.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

/// A `T` persisted in the JSON file at `path`.
#[derive(Debug)]
pub struct JsonFile<T> {
    shared: Arc<Shared<T>>,
}

/// How a group of changes ended: `None` while it is being written.
type Outcome = Option<Result<(), Arc<io::Error>>>;

/// Writes `bytes` to the file at a path; [`write_atomically`] outside tests.
type Writer = fn(&Path, &[u8]) -> io::Result<()>;

#[derive(Debug)]
struct Shared<T> {
    path: PathBuf,
    write: Writer,
    /// The value on disk: what readers see.
    durable: RwLock<Arc<T>>,
    state: Mutex<State<T>>,
    /// The file's content as last read or written, so an unchanged value is not written again.
    /// Only the one task writing (see [`Shared::write_groups`]) touches it.
    on_disk: Mutex<Vec<u8>>,
    /// How many times the file was written.
    writes: AtomicU64,
}

#[derive(Debug)]
struct State<T> {
    /// The value on disk plus the changes not written yet.
    pending: T,
    /// Told how the changes made since the last write began ended.
    next: watch::Sender<Outcome>,
    /// Whether any change was made since the last write began.
    next_has_changes: bool,
    /// Whether a task is writing groups of changes (see [`Shared::write_groups`]).
    writing: bool,
}

impl<T> JsonFile<T>
where
    T: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static,
{
    /// Reads the file at `path`, or starts from `T::default()` if it does not exist yet. A file
    /// that exists but cannot be read is an error: it is never silently replaced.
    pub fn open(path: impl Into<PathBuf>, what: &str) -> Result<JsonFile<T>, String> {
        let path = path.into();
        let (value, on_disk) = match fs::read(&path) {
            Ok(bytes) => {
                let value = serde_json::from_slice(&bytes).map_err(|e| {
                    format!(
                        "the {what} `{}` is not valid ({e}); fix or move it, or set DATA_PATH \
                         to another file",
                        path.display()
                    )
                })?;
                (value, bytes)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let value = T::default();
                let bytes = to_bytes(&value);
                (value, bytes)
            }
            Err(e) => {
                return Err(format!(
                    "could not read the {what} `{}`: {e}",
                    path.display()
                ))
            }
        };
        Ok(JsonFile::new(path, value, on_disk, write_atomically))
    }

    fn new(path: PathBuf, value: T, on_disk: Vec<u8>, write: Writer) -> JsonFile<T> {
        JsonFile {
            shared: Arc::new(Shared {
                path,
                write,
                durable: RwLock::new(Arc::new(value.clone())),
                state: Mutex::new(State {
                    pending: value,
                    next: watch::Sender::new(None),
                    next_has_changes: false,
                    writing: false,
                }),
                on_disk: Mutex::new(on_disk),
                writes: AtomicU64::new(0),
            }),
        }
    }

    /// Reads the value as it is on disk.
    pub async fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.shared.durable())
    }

    /// Changes the value with `f` and returns once the change is on disk. If that write fails,
    /// the change is undone, with every other change not on disk yet, and the error returned.
    pub async fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> io::Result<R> {
        let (result, mut done) = {
            let mut state = self.shared.lock();
            let result = f(&mut state.pending);
            state.next_has_changes = true;
            let done = state.next.subscribe();
            if !state.writing {
                state.writing = true;
                tokio::spawn(Arc::clone(&self.shared).write_groups());
            }
            (result, done)
        };
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(io::Error::other)?
            .clone();
        match outcome {
            Some(Err(e)) => Err(io::Error::new(e.kind(), e.to_string())),
            _ => Ok(result),
        }
    }

    /// How many times the file was written since it was opened.
    pub fn writes(&self) -> u64 {
        self.shared.writes.load(Ordering::Relaxed)
    }
}

impl<T> Shared<T>
where
    T: Serialize + Clone + Send + Sync + 'static,
{
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn durable(&self) -> Arc<T> {
        Arc::clone(&self.durable.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes the pending value, again and again while changes keep coming, then stops.
    async fn write_groups(self: Arc<Self>) {
        loop {
            let (group, value) = {
                let mut state = self.lock();
                if !state.next_has_changes {
                    state.writing = false;
                    return;
                }
                state.next_has_changes = false;
                let group = std::mem::replace(&mut state.next, watch::Sender::new(None));
                (group, Arc::new(state.pending.clone()))
            };
            let shared = Arc::clone(&self);
            let to_write = Arc::clone(&value);
            let written = tokio::task::spawn_blocking(move || {
                let bytes = to_bytes(&*to_write);
                let mut on_disk = shared
                    .on_disk
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if bytes != *on_disk {
                    (shared.write)(&shared.path, &bytes)?;
                    shared.writes.fetch_add(1, Ordering::Relaxed);
                    *on_disk = bytes;
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)));
            let mut state = self.lock();
            match written {
                Ok(()) => {
                    *self.durable.write().unwrap_or_else(PoisonError::into_inner) = value;
                    group.send_replace(Some(Ok(())));
                }
                Err(e) => {
                    // The changes made since were made on top of the lost ones: undo them too.
                    let e = Arc::new(e);
                    state.pending = (*self.durable()).clone();
                    state.next_has_changes = false;
                    let later = std::mem::replace(&mut state.next, watch::Sender::new(None));
                    group.send_replace(Some(Err(Arc::clone(&e))));
                    later.send_replace(Some(Err(e)));
                }
            }
        }
    }
}

fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("the value always serializes");
    bytes.push(b'\n');
    bytes
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
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

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

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_changes_are_all_kept_in_fewer_writes() {
        let path = temp_path("concurrent");
        let file: Arc<JsonFile<Vec<u32>>> = Arc::new(JsonFile::open(&path, "test file").unwrap());
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let file = Arc::clone(&file);
                tokio::spawn(async move { file.update(|v| v.push(i)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let mut kept = file.read(Clone::clone).await;
        kept.sort_unstable();
        assert_eq!(kept, (0..200).collect::<Vec<_>>());
        assert!(file.writes() < 200, "{} writes", file.writes());
        let reopened: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        assert_eq!(reopened.read(Vec::len).await, 200);
    }

    #[tokio::test]
    async fn a_failed_write_undoes_every_change_not_on_disk() {
        let path = temp_path("failed");
        let file: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        file.update(|v| v.push(1)).await.unwrap();
        // A folder where the temporary file should be makes the writes fail.
        let temporary = path.with_file_name("data.json.tmp");
        fs::create_dir_all(&temporary).unwrap();
        let (first, second) = tokio::join!(file.update(|v| v.push(2)), file.update(|v| v.push(3)));
        assert!(first.is_err() && second.is_err());
        assert_eq!(file.read(Clone::clone).await, [1]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "[\n  1\n]\n");
        // Once the obstacle is gone, changes are written again, on top of what is on disk.
        fs::remove_dir(&temporary).unwrap();
        file.update(|v| v.push(4)).await.unwrap();
        assert_eq!(file.read(Clone::clone).await, [1, 4]);
    }

    #[tokio::test]
    async fn an_unchanged_value_is_not_written() {
        let path = temp_path("unchanged");
        let file: JsonFile<Vec<u32>> = JsonFile::open(&path, "test file").unwrap();
        assert_eq!(file.update(|v| v.len()).await.unwrap(), 0);
        assert!(!path.exists());
        assert_eq!(file.writes(), 0);
    }

    /// Set while the slow writer below is writing.
    static SLOW_WRITE_STARTED: AtomicBool = AtomicBool::new(false);
    static SLOW_WRITE_RELEASED: AtomicBool = AtomicBool::new(false);

    fn slow_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
        SLOW_WRITE_STARTED.store(true, Ordering::SeqCst);
        while !SLOW_WRITE_RELEASED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        write_atomically(path, bytes)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_never_see_a_change_before_it_is_on_disk() {
        let path = temp_path("slow");
        let file: Arc<JsonFile<Vec<u32>>> = Arc::new(JsonFile::new(
            path.clone(),
            Vec::new(),
            Vec::new(),
            slow_write,
        ));
        let writer = {
            let file = Arc::clone(&file);
            tokio::spawn(async move { file.update(|v| v.push(1)).await })
        };
        while !SLOW_WRITE_STARTED.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(file.read(Clone::clone).await, Vec::<u32>::new());
        assert!(!writer.is_finished());
        SLOW_WRITE_RELEASED.store(true, Ordering::SeqCst);
        writer.await.unwrap().unwrap();
        assert_eq!(file.read(Clone::clone).await, [1]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "[\n  1\n]\n");
    }
}
