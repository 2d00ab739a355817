//! The database: SQLite in one file (`DATA_PATH`) by default, PostgreSQL when `DATABASE_URL`
//! is set. Both get the same tables and the same SQL: sqlx's `Any` driver hands each statement
//! to the database unchanged, and both read the `$1, $2...` placeholders. The one difference,
//! the type of an auto-numbered id, is in [`schema`].

use std::fs::{File, TryLockError};
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor, Row, Transaction};

pub use sqlx::Error;

/// The version of the tables this code creates and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// The connections the server shares (it derefs to sqlx's pool, for queries), and on SQLite the
/// lock that makes this server the only one using the file (see [`open`]).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// `<DATA_PATH>.lock`, locked until the last clone is dropped; `None` on PostgreSQL.
    lock: Option<Arc<File>>,
}

impl Db {
    /// Whether no other server changes the data: true on SQLite (the lock), false on
    /// PostgreSQL, where other instances share the tables.
    pub fn is_exclusive(&self) -> bool {
        self.lock.is_some()
    }
}

impl Deref for Db {
    type Target = AnyPool;

    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

/// `SQLITE_SYNCHRONOUS`: when SQLite waits for the disk (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Every commit is on disk before it is acknowledged: survives power loss.
    Full,
    /// Commits survive a crash of the process; the last ones may be lost on power loss.
    Normal,
}

/// Ends `tx`: commits it when `result` is `Ok`, else rolls it back, so that no connection
/// goes back to the pool holding a lock. Used as
/// `let mut tx = db.begin().await?; let result = async { ... }.await; finish(tx, result).await`.
pub async fn finish<T, E: From<Error>>(
    tx: Transaction<'static, Any>,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            // The error says more than a failed rollback would.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Where the data is.
#[derive(Debug, Clone, Copy)]
pub enum Location<'a> {
    /// An SQLite file, created with its folders if missing.
    Sqlite(&'a Path, Synchronous),
    /// A PostgreSQL URL.
    Postgres(&'a str),
}

/// Connects and creates or checks the tables. On SQLite, first locks `<DATA_PATH>.lock` for
/// as long as the [`Db`] lives, and fails if another server holds it: the TODO store keeps the
/// lists it has read in memory (see `store`), which is only right while no other process
/// writes the file. Several instances share one PostgreSQL database instead.
pub async fn open(location: Location<'_>) -> Result<Db, String> {
    let lock = match location {
        Location::Sqlite(path, _) => Some(Arc::new(lock(path)?)),
        Location::Postgres(_) => None,
    };
    let pool = connect(location).await?;
    Ok(Db { pool, lock })
}

/// Takes the lock beside the SQLite file at `path` (creating its folders).
fn lock(path: &Path) -> Result<File, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "could not create the folder of DATA_PATH `{}`: {e}",
                path.display()
            )
        })?;
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = File::options()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&name)
        .map_err(|e| format!("could not open `{}`: {e}", name.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(format!(
            "another server uses the SQLite database at DATA_PATH `{}` (it holds `{}`); stop \
             it, or set DATA_PATH to another file. To run several instances on the same data, \
             set DATABASE_URL to a PostgreSQL database",
            path.display(),
            name.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("could not lock `{}`: {e}", name.display())),
    }
}

/// Opens the pool and creates or checks the tables, without the lock.
async fn connect(location: Location<'_>) -> Result<AnyPool, String> {
    sqlx::any::install_default_drivers();
    let (options, what) = match location {
        Location::Sqlite(path, _) => {
            let path = std::path::absolute(path).map_err(|e| e.to_string())?;
            let url = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .to_url_lossy();
            (url, "the SQLite database at DATA_PATH")
        }
        Location::Postgres(url) => (
            url.parse()
                .map_err(|e| format!("DATABASE_URL is not a URL: {e}"))?,
            "the PostgreSQL database at DATABASE_URL",
        ),
    };
    let options = AnyConnectOptions::from_url(&options).map_err(|e| e.to_string())?;
    let pragmas = match location {
        Location::Sqlite(_, Synchronous::Full) => SQLITE_FULL,
        Location::Sqlite(_, Synchronous::Normal) => SQLITE_NORMAL,
        Location::Postgres(_) => "",
    };
    let db = AnyPoolOptions::new()
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if !pragmas.is_empty() {
                    connection.execute(pragmas).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| format!("could not open {what}: {e}"))?;
    create_schema(&db, matches!(location, Location::Postgres(_)))
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    Ok(db)
}

const SQLITE_FULL: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;";
const SQLITE_NORMAL: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";

/// The tables, for SQLite or PostgreSQL: only the auto-numbered id is written differently.
fn schema(postgres: bool) -> String {
    let id = if postgres {
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    } else {
        "INTEGER PRIMARY KEY AUTOINCREMENT"
    };
    format!(
        "CREATE TABLE IF NOT EXISTS todos (id {id}, username TEXT NOT NULL, todo TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS todos_by_user ON todos (username, id);
        CREATE TABLE IF NOT EXISTS quotas (key TEXT PRIMARY KEY, used BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY,
            secret_hash TEXT NULL, client_name TEXT NULL, redirect_uris TEXT NOT NULL,
            scope TEXT NULL, issued_at BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS oauth_codes (code_hash TEXT PRIMARY KEY,
            grant_id TEXT NOT NULL, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
            username TEXT NOT NULL, scope TEXT NOT NULL, code_challenge TEXT NULL,
            resource TEXT NULL, expires_at BIGINT NOT NULL, used_at BIGINT NULL);
        CREATE TABLE IF NOT EXISTS oauth_tokens (token_hash TEXT PRIMARY KEY,
            grant_id TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
            username TEXT NOT NULL, scope TEXT NOT NULL, resource TEXT NULL,
            expires_at BIGINT NOT NULL, rotated BOOLEAN NOT NULL DEFAULT FALSE);
        CREATE INDEX IF NOT EXISTS oauth_tokens_by_grant ON oauth_tokens (grant_id);
        CREATE TABLE IF NOT EXISTS oauth_pending (id TEXT PRIMARY KEY, request TEXT NOT NULL,
            expires_at BIGINT NOT NULL);"
    )
}

/// Creates the tables that are missing, in one transaction, and records the version; refuses a
/// database made by a newer version.
async fn create_schema(db: &AnyPool, postgres: bool) -> Result<(), String> {
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    match create_tables(&mut tx, postgres).await {
        Ok(()) => tx.commit().await.map_err(|e| e.to_string()),
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn create_tables(tx: &mut Transaction<'static, Any>, postgres: bool) -> Result<(), String> {
    if postgres {
        // Instances starting together take turns (a lock held until the commit).
        sqlx::query("SELECT pg_advisory_xact_lock(15)")
            .execute(&mut **tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await
        .map_err(|e| e.to_string())?;
    let version: Option<i64> = sqlx::query("SELECT version FROM schema_version")
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| e.to_string())?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(|e| e.to_string())?;
    if version.is_some_and(|v| v > SCHEMA_VERSION) {
        return Err(format!(
            "the database was made by a newer version of this plugin (schema version {}, this \
             one knows {SCHEMA_VERSION}); run the newer version, or point DATA_PATH or \
             DATABASE_URL at another database",
            version.unwrap_or_default()
        ));
    }
    tx.execute(schema(postgres).as_str())
        .await
        .map_err(|e| e.to_string())?;
    if version.is_none() {
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(SCHEMA_VERSION)
            .execute(&mut **tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A fresh, empty database for one test: a temporary SQLite file, or, when `DATABASE_URL` is
/// set, a new schema in that PostgreSQL database (dropped with this value).
pub struct TestDatabase {
    /// The SQLite file, when there is no `DATABASE_URL`.
    pub path: std::path::PathBuf,
    /// `DATABASE_URL` with the new schema as its search path.
    pub url: Option<String>,
    schema: Option<(String, String)>,
}

impl TestDatabase {
    /// Makes one; `name` tells tests' files apart.
    pub async fn new(name: &str) -> TestDatabase {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let unique = format!("{}_{}_{n}", std::process::id(), name.replace('-', "_"));
        let dir = std::env::temp_dir().join(format!("{}-{unique}", env!("CARGO_PKG_NAME")));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("nested/plugin.db");
        let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
            return TestDatabase {
                path,
                url: None,
                schema: None,
            };
        };
        let schema = format!("test_{unique}_{}", nanos());
        sqlx::any::install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(&base).await.unwrap();
        connection
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        TestDatabase {
            path,
            url: Some(format!("{base}{separator}options=-csearch_path%3D{schema}")),
            schema: Some((base, schema)),
        }
    }

    /// Where the data is.
    pub fn location(&self) -> Location<'_> {
        match &self.url {
            Some(url) => Location::Postgres(url),
            None => Location::Sqlite(&self.path, Synchronous::Full),
        }
    }

    /// Opens it (again), as the server does: on SQLite, the first [`Db`] must be dropped first.
    pub async fn open(&self) -> Db {
        open(self.location()).await.unwrap()
    }

    /// Connects to it without the lock, for a test to read or change the tables while an app
    /// has it open. A change to `todos` made this way goes behind the store's cache.
    pub async fn connect(&self) -> AnyPool {
        connect(self.location()).await.unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((base, schema)) = self.schema.take() else {
            return;
        };
        // Drop is not async: a thread of its own runs the statement.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut connection = sqlx::AnyConnection::connect(&base).await?;
                let drop = format!("DROP SCHEMA {schema} CASCADE");
                connection.execute(drop.as_str()).await?;
                Ok::<_, Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_server_on_the_same_sqlite_file_is_refused_until_the_first_stops() {
        let dir = std::env::temp_dir().join(format!(
            "{}-db-lock-{}",
            env!("CARGO_PKG_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("plugin.db");
        let location = Location::Sqlite(&path, Synchronous::Normal);
        let first = open(location).await.unwrap();
        assert!(first.is_exclusive());
        let err = open(location).await.unwrap_err();
        assert!(err.contains("another server uses"), "{err}");
        assert!(
            err.contains(&format!("DATA_PATH `{}`", path.display())),
            "{err}"
        );
        assert!(err.contains("DATABASE_URL"), "{err}");
        drop(first);
        let second = open(location).await.unwrap();
        assert!(second.is_exclusive());
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_mode_with_the_chosen_synchronous() {
        for (synchronous, expected) in [(Synchronous::Full, 2), (Synchronous::Normal, 1)] {
            let name = format!(
                "{}-db-{}-{expected}",
                env!("CARGO_PKG_NAME"),
                std::process::id()
            );
            let dir = std::env::temp_dir().join(name);
            let _ = std::fs::remove_dir_all(&dir);
            let path = dir.join("nested/plugin.db");
            let db = open(Location::Sqlite(&path, synchronous)).await.unwrap();
            assert!(path.exists());
            let mut connection = db.acquire().await.unwrap();
            for (pragma, value) in [
                ("journal_mode", "wal".to_owned()),
                ("synchronous", expected.to_string()),
                ("busy_timeout", "5000".to_owned()),
            ] {
                let row = sqlx::query(&format!("PRAGMA {pragma}"))
                    .fetch_one(&mut *connection)
                    .await
                    .unwrap();
                let got = row
                    .try_get::<String, _>(0)
                    .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                    .unwrap();
                assert_eq!(got, value, "{pragma}");
            }
        }
    }
}
