//! A real PostgreSQL server for a test: `initdb` in a temporary folder, listening on a free
//! loopback port (its Unix socket in that folder too), with fsync on as in production. It hands
//! out URLs of fresh databases and is stopped, and its folder removed, when dropped.
//!
//! PostgreSQL refuses to run as root: when the tests do (CI does), every server command runs as
//! the `postgres` user (`runuser -u postgres --`), which owns the folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::free_port;

/// What to install when PostgreSQL is missing.
const INSTALL: &str = "install PostgreSQL's server (Debian, Ubuntu: apt-get install postgresql)";

/// A running PostgreSQL server, stopped when dropped.
pub struct Postgres {
    /// The folder with `initdb`, `pg_ctl`, `postgres` and `createdb`.
    bin: PathBuf,
    /// The server's folder: its data in `data`, its socket, its log.
    dir: tempfile::TempDir,
    port: u16,
    /// Whether server commands run as the `postgres` user.
    as_postgres_user: bool,
    databases: AtomicUsize,
}

impl Postgres {
    /// Starts a server; panics with what to install if PostgreSQL is missing.
    pub fn start() -> Postgres {
        let bin = server_binaries().unwrap_or_else(|| {
            panic!(
                "this test needs PostgreSQL, and `initdb` is neither on PATH nor in \
                 /usr/lib/postgresql/*/bin: {INSTALL}"
            )
        });
        let as_postgres_user = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("postgres-test-")
            .tempdir()
            .unwrap();
        if as_postgres_user {
            let chown = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(
                chown.status.success(),
                "the tests run as root, so PostgreSQL runs as the `postgres` user, and giving it \
                 {} failed (is there a `postgres` user? {INSTALL}): {}",
                dir.path().display(),
                String::from_utf8_lossy(&chown.stderr)
            );
        }
        let mut postgres = Postgres {
            bin,
            dir,
            port: 0,
            as_postgres_user,
            databases: AtomicUsize::new(0),
        };
        let data = postgres.data();
        // The superuser is `postgres` whoever runs initdb; `trust`: loopback needs no password.
        // `--no-sync` only skips flushing the new cluster, which lives as long as the test.
        postgres.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        // The port is free now; another process could take it before the server does, which
        // the start would report.
        postgres.port = free_port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k '{}' -c fsync=on",
            postgres.port,
            path_str(postgres.dir.path())
        );
        let log = postgres.dir.path().join("server.log");
        let started = postgres.output(
            "pg_ctl",
            &[
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-o",
                &options,
                "-w",
                "-t",
                "120",
                "start",
            ],
        );
        if !started.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "PostgreSQL did not start on 127.0.0.1:{}: {}{}\n{log}",
                postgres.port,
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr)
            );
        }
        postgres
    }

    /// The URL of a new, empty database: `postgres://postgres@127.0.0.1:PORT/test_N`.
    pub fn database(&self) -> String {
        let name = format!("test_{}", self.databases.fetch_add(1, Ordering::SeqCst));
        let port = self.port.to_string();
        let created = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", &name])
            .output()
            .unwrap();
        assert!(
            created.status.success(),
            "createdb {name} on 127.0.0.1:{port} failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        format!("postgres://postgres@127.0.0.1:{port}/{name}")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `tool` of the server's folder (as `postgres` if need be); its output.
    fn output(&self, tool: &str, args: &[&str]) -> Output {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{tool} of {} fails to run: {e}", self.bin.display()))
    }

    /// Runs `tool` of the server's folder; panics with its output if it fails.
    fn run(&self, tool: &str, args: &[&str]) {
        let output = self.output(tool, args);
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data();
            let _ = self.output(
                "pg_ctl",
                &["-D", path_str(&data), "-m", "fast", "-w", "stop"],
            );
        }
    }
}

/// The folder of PostgreSQL's server programs: where `initdb` on PATH really is (Debian puts
/// only wrappers, or nothing, on PATH), else the newest `/usr/lib/postgresql/VERSION/bin`.
fn server_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.is_file())
    });
    if let Some(initdb) = on_path {
        let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        let dir = real.parent()?.to_path_buf();
        if dir.join("pg_ctl").is_file() && dir.join("createdb").is_file() {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}
