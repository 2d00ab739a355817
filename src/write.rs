//! Writing a [`Plan`] to disk: the only code that writes files.
//!
//! The project is written into a staging folder beside the target first. A new target is then
//! one `rename`; an empty one receives the staged top-level files and folders, one `rename`
//! each, and they are moved back if one fails; with `--force`, an existing one receives the
//! files one `rename` at a time, and nothing else in it is touched or deleted. Any error before
//! the final moves leaves the target exactly as it was.
//!
//! Ctrl-C (see [`crate::interrupt`]) is looked at between staged files and just before the
//! first move into the target: until then it removes the staging folder (and any folders made
//! for it) and returns [`WriteError::Cancelled`]; from then on the moves are finished.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::render::{FileMode, Plan};

/// What is at the target before writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// Nothing: the project folder will be created.
    Missing,
    /// An empty folder.
    Empty,
    /// A folder with this many entries.
    NonEmpty(usize),
}

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target holds files and `--force` was not given.
    #[error(
        "`{}` is not empty ({}); choose a new or empty directory, or pass \
         --force to write the template's files into it (files it does not generate are kept)",
        path.display(), crate::text::plural_as(*count, "entry", "entries")
    )]
    NotEmpty {
        /// The target.
        path: PathBuf,
        /// How many entries it has.
        count: usize,
    },
    /// The target is a file.
    #[error("`{}` exists and is not a directory; choose another project directory", .0.display())]
    NotADirectory(PathBuf),
    /// A generated file would replace a folder, or needs a folder where a file is.
    #[error("`{}` is in the way: {why}; move it aside or choose another directory", path.display())]
    Conflict {
        /// The path in the way.
        path: PathBuf,
        /// What the clash is.
        why: &'static str,
    },
    /// Ctrl-C was pressed before the project was moved into place; nothing was written.
    #[error("cancelled; nothing was written")]
    Cancelled,
    /// The file system refused.
    #[error("could not {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// What is at `target`.
pub fn inspect(target: &Path) -> Result<TargetState, WriteError> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(TargetState::Missing),
        Err(e) => Err(io_error("read", target)(e)),
        Ok(meta) if !meta.is_dir() && !fs::metadata(target).is_ok_and(|m| m.is_dir()) => {
            Err(WriteError::NotADirectory(target.to_owned()))
        }
        Ok(_) => {
            let count = fs::read_dir(target)
                .map_err(io_error("read", target))?
                .count();
            Ok(if count == 0 {
                TargetState::Empty
            } else {
                TargetState::NonEmpty(count)
            })
        }
    }
}

/// Whether a folder that already holds files may receive the project (`--force`): the one
/// place that rule lives, asked at the prompt, before the questions and before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetPolicy {
    /// Only a new or empty folder.
    NewOrEmpty,
    /// An existing folder too: the template's files go in, everything else stays (`--force`).
    Force,
}

impl TargetPolicy {
    /// `--force` or not.
    pub fn from_force(force: bool) -> TargetPolicy {
        if force {
            TargetPolicy::Force
        } else {
            TargetPolicy::NewOrEmpty
        }
    }

    /// What is at `target`, refused if it holds files and the policy does not allow that.
    pub fn admit(self, target: &Path) -> Result<TargetState, WriteError> {
        match inspect(target)? {
            TargetState::NonEmpty(count) if self == TargetPolicy::NewOrEmpty => {
                Err(WriteError::NotEmpty {
                    path: target.to_owned(),
                    count,
                })
            }
            state => Ok(state),
        }
    }
}

/// What writing does to files that already exist in the target (only with `--force`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Planned files that replace existing ones.
    pub overwritten: Vec<PathBuf>,
    /// Planned private files (secrets) that exist already and are kept as they are.
    pub kept: Vec<PathBuf>,
    /// Kept `.env` files that lacked variables the new project needs: every old line stays,
    /// the missing variables are appended.
    pub extended: Vec<Extended>,
    /// Files in a non-empty target that this project does not have: maybe the user's, maybe an
    /// earlier generation's. Never touched.
    pub not_written: Vec<PathBuf>,
}

/// A kept `.env` that gets the variables it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extended {
    /// The file, relative to the project.
    pub path: PathBuf,
    /// The variables appended.
    pub added: Vec<String>,
    /// The whole new text: the old one, then the appended lines.
    pub contents: Vec<u8>,
}

/// The largest existing `.env` read to be extended; a larger one is kept as it is.
const ENV_LIMIT: u64 = crate::input::MIB;

/// Checks that `plan` may be written to `target`; returns the state and what happens to
/// existing files.
pub fn preflight(
    plan: &Plan,
    target: &Path,
    policy: TargetPolicy,
) -> Result<(TargetState, Outcome), WriteError> {
    let state = policy.admit(target)?;
    let mut outcome = Outcome::default();
    if let TargetState::NonEmpty(_) = state {
        for file in &plan.files {
            for ancestor in file.path.ancestors().skip(1) {
                if ancestor.as_os_str().is_empty() {
                    break;
                }
                let on_disk = target.join(ancestor);
                if fs::symlink_metadata(&on_disk).is_ok_and(|m| !m.is_dir()) {
                    return Err(WriteError::Conflict {
                        path: on_disk,
                        why: "a folder is generated there but this is a file",
                    });
                }
            }
            let on_disk = target.join(&file.path);
            match fs::symlink_metadata(&on_disk) {
                Ok(meta) if meta.is_dir() => {
                    return Err(WriteError::Conflict {
                        path: on_disk,
                        why: "a file is generated there but this is a folder",
                    });
                }
                // Secrets may have been edited (a verification token pasted in): keep them, and
                // add what the new project needs (another auth type needs other secrets).
                Ok(meta) if file.mode == FileMode::Private => {
                    // Only a regular file is read (a pipe there would block forever), and only
                    // up to a limit; anything else is kept as it is.
                    let extension = meta
                        .is_file()
                        .then(|| crate::input::read_text(&on_disk, ENV_LIMIT, "a .env file"))
                        .and_then(Result::ok)
                        .zip(std::str::from_utf8(&file.contents).ok())
                        .and_then(|(old, fresh)| crate::dotenv::extend(&old, fresh));
                    match extension {
                        Some(extension) => outcome.extended.push(Extended {
                            path: file.path.clone(),
                            added: extension.added,
                            contents: extension.text.into_bytes(),
                        }),
                        None => outcome.kept.push(file.path.clone()),
                    }
                }
                Ok(_) => outcome.overwritten.push(file.path.clone()),
                Err(_) => {}
            }
        }
        outcome.not_written = not_written(plan, target);
    }
    Ok((state, outcome))
}

/// Writes `plan` into `target`; says which existing files were replaced or kept.
pub fn write(plan: &Plan, target: &Path, policy: TargetPolicy) -> Result<Outcome, WriteError> {
    let (state, outcome) = preflight(plan, target, policy)?;
    crate::interrupt::begin_writing();
    let target = std::path::absolute(target).map_err(io_error("resolve", target))?;
    let parent = target.parent().unwrap_or(&target).to_owned();
    let made = create_parents(&parent)?;
    let result = stage_and_move(plan, &target, &parent, &state, &outcome);
    if result.is_err() {
        // The staging folder is gone (dropped); so go the folders made to hold it. A folder
        // something else has meanwhile put files in is not empty, and stays.
        for dir in made.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result.map(|()| outcome)
}

/// Removes the files at `paths` (relative to `target`) that `update` found unchanged and no
/// longer generated, and the folders that leaves empty. Run after [`write()`]: a failure here
/// leaves files that are merely stale, never a half-written one.
pub fn remove(target: &Path, paths: &[PathBuf]) -> Result<(), WriteError> {
    for path in paths {
        let file = target.join(path);
        fs::remove_file(&file).map_err(io_error("remove", &file))?;
        for dir in path.ancestors().skip(1) {
            if dir.as_os_str().is_empty() || fs::remove_dir(target.join(dir)).is_err() {
                break;
            }
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents; returns the folders it made, outermost first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err())
        .map(Path::to_owned)
        .collect();
    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    Ok(missing.into_iter().rev().collect())
}

/// Returns [`WriteError::Cancelled`] if Ctrl-C was pressed.
fn not_cancelled() -> Result<(), WriteError> {
    if crate::interrupt::requested() {
        Err(WriteError::Cancelled)
    } else {
        Ok(())
    }
}

fn stage_and_move(
    plan: &Plan,
    target: &Path,
    parent: &Path,
    state: &TargetState,
    outcome: &Outcome,
) -> Result<(), WriteError> {
    let staging = tempfile::Builder::new()
        .prefix(".ai-plugin-staging-")
        .tempdir_in(parent)
        .map_err(io_error("create a staging folder in", parent))?;
    fill(plan, outcome, staging.path())?;
    // The point of no return: after this look, Ctrl-C no longer stops the moves.
    not_cancelled()?;
    move_into_place(plan, target, state, outcome, staging)
}

/// Folders that hold builds, dependencies, caches or history, never a template's sources.
const NOT_SOURCES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "target",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "dist",
    "build",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".idea",
    ".vscode",
    ".DS_Store",
];

/// The files in `target` that `plan` does not have, sorted, skipping builds, caches and what
/// the project's `.gitignore` ignores (the TODO store, `.env`). A folder none of whose files
/// the plan has is named once, with a trailing `/`.
fn not_written(plan: &Plan, target: &Path) -> Vec<PathBuf> {
    let ignore = plan
        .text(".gitignore")
        .map(GitIgnore::parse)
        .unwrap_or_default();
    let planned_dir = |dir: &Path| plan.files.iter().any(|f| f.path.starts_with(dir));
    let mut found = Vec::new();
    let mut walk = walkdir::WalkDir::new(target)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        let Ok(relative) = entry.path().strip_prefix(target) else {
            continue;
        };
        let relative = relative.to_owned();
        let name = entry.file_name().to_string_lossy();
        let is_dir = entry.file_type().is_dir();
        let skip = NOT_SOURCES.contains(&name.as_ref())
            || name.ends_with(".egg-info")
            || name.starts_with(".ai-plugin-staging-")
            || ignore.ignores(&relative, is_dir);
        if is_dir {
            if skip {
                walk.skip_current_dir();
            } else if !planned_dir(&relative) {
                let mut shown = relative.into_os_string();
                shown.push("/");
                found.push(PathBuf::from(shown));
                walk.skip_current_dir();
            }
        } else if !skip && plan.files.iter().all(|f| f.path != relative) {
            found.push(relative);
        }
    }
    found
}

/// The simple patterns of a `.gitignore`: `name`, `/name`, `name/`, `*.ext`, `*suffix/`.
/// Patterns with a `/` inside, `!` or other globs are not understood, and ignore nothing.
#[derive(Debug, Default)]
struct GitIgnore {
    patterns: Vec<IgnorePattern>,
}

#[derive(Debug)]
struct IgnorePattern {
    /// Only at the top of the project (`/data`).
    anchored: bool,
    /// Only folders (`data/`).
    dirs_only: bool,
    /// The name, or with `*` first, the suffix after it.
    name: String,
    wildcard: bool,
}

impl GitIgnore {
    fn parse(text: &str) -> GitIgnore {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .filter_map(|line| {
                let (anchored, rest) = match line.strip_prefix('/') {
                    Some(rest) => (true, rest),
                    None => (false, line),
                };
                let (dirs_only, rest) = match rest.strip_suffix('/') {
                    Some(rest) => (true, rest),
                    None => (false, rest),
                };
                let (wildcard, name) = match rest.strip_prefix('*') {
                    Some(rest) => (true, rest),
                    None => (false, rest),
                };
                let simple = !name.is_empty() && !name.contains(['/', '*', '?', '[', '\\']);
                simple.then(|| IgnorePattern {
                    anchored,
                    dirs_only,
                    name: name.to_owned(),
                    wildcard,
                })
            })
            .collect();
        GitIgnore { patterns }
    }

    fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
            return false;
        };
        let top = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        self.patterns.iter().any(|p| {
            (!p.anchored || top)
                && (!p.dirs_only || is_dir)
                && if p.wildcard {
                    name.ends_with(&p.name)
                } else {
                    name == p.name
                }
        })
    }
}

/// Writes every file of `plan` under `staging`, stopping at Ctrl-C.
fn fill(plan: &Plan, outcome: &Outcome, staging: &Path) -> Result<(), WriteError> {
    for file in &plan.files {
        not_cancelled()?;
        let path = staging.join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
        }
        let contents = outcome
            .extended
            .iter()
            .find(|e| e.path == file.path)
            .map_or(&file.contents, |e| &e.contents);
        fs::write(&path, contents).map_err(io_error("write", &path))?;
        set_mode(&path, file.mode).map_err(io_error("set permissions on", &path))?;
    }
    Ok(())
}

/// Moves the staged project into `target`: a few renames, never stopped by Ctrl-C.
fn move_into_place(
    plan: &Plan,
    target: &Path,
    state: &TargetState,
    outcome: &Outcome,
    staging: tempfile::TempDir,
) -> Result<(), WriteError> {
    match state {
        TargetState::Missing => {
            set_dir_mode(staging.path()).map_err(io_error("set permissions on", target))?;
            let staged = staging.keep();
            fs::rename(&staged, target).map_err(|e| {
                // Leave no staging folder behind if the final move fails.
                let _ = fs::remove_dir_all(&staged);
                io_error("move the project into", target)(e)
            })?;
        }
        // The staged top-level entries move in, so the folder keeps its identity (a shell
        // standing in it stays valid); if one move fails, those made are undone.
        TargetState::Empty => {
            let mut tops: Vec<&std::ffi::OsStr> = plan
                .files
                .iter()
                .filter_map(|f| f.path.iter().next())
                .collect();
            tops.sort();
            tops.dedup();
            let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
            for top in tops {
                let from = staging.path().join(top);
                let to = target.join(top);
                if let Err(e) = fs::rename(&from, &to) {
                    for (from, to) in moved.iter().rev() {
                        let _ = fs::rename(to, from);
                    }
                    return Err(io_error("move the project into", &to)(e));
                }
                moved.push((from, to));
            }
        }
        // Files move one by one into a folder with files, and every file that is not ours
        // stays put.
        TargetState::NonEmpty(_) => {
            for file in plan
                .files
                .iter()
                .filter(|f| !outcome.kept.contains(&f.path))
            {
                let from = staging.path().join(&file.path);
                let to = target.join(&file.path);
                if let Some(dir) = to.parent() {
                    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
                }
                fs::rename(&from, &to).map_err(io_error("write", &to))?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: FileMode) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        FileMode::Private => fs::set_permissions(path, fs::Permissions::from_mode(0o600)),
        FileMode::Normal => Ok(()),
    }
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: FileMode) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_dir_mode(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // The staging folder is created 0700; a project folder is an ordinary one.
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_dir_mode(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::PlannedFile;

    fn plan() -> Plan {
        let mut plan = Plan::default();
        for (path, text) in [("README.md", "new readme"), ("src/main.rs", "fn main() {}")] {
            plan.insert(PlannedFile {
                path: path.into(),
                contents: text.as_bytes().to_vec(),
                mode: FileMode::Normal,
            });
        }
        plan.insert(PlannedFile {
            path: ".env".into(),
            contents: b"SECRET=1\n".to_vec(),
            mode: FileMode::Private,
        });
        plan
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_directory_gets_every_file_and_no_staging_is_left() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("nested/project");
        assert_eq!(
            write(&plan(), &target, TargetPolicy::NewOrEmpty).unwrap(),
            Outcome::default()
        );
        assert_eq!(entries(&target), [".env", "README.md", "src"]);
        assert_eq!(entries(&tmp.path().join("nested")), ["project"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&target.join(".env")), 0o600);
            assert_eq!(mode(&target), 0o755);
        }
    }

    #[test]
    fn cannot_write_into_a_non_empty_directory_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = write(&plan(), tmp.path(), TargetPolicy::NewOrEmpty).unwrap_err();
        assert!(err.to_string().contains("is not empty (1 entry)"), "{err}");
        assert_eq!(entries(tmp.path()), ["notes.txt"]);
    }

    #[test]
    fn force_writes_template_files_and_keeps_everything_else() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        fs::write(tmp.path().join("README.md"), "old readme").unwrap();
        fs::write(tmp.path().join(".env"), "SECRET=edited\n").unwrap();
        let outcome = write(&plan(), tmp.path(), TargetPolicy::Force).unwrap();
        assert_eq!(outcome.overwritten, [PathBuf::from("README.md")]);
        assert_eq!(outcome.kept, [PathBuf::from(".env")]);
        assert_eq!(
            fs::read_to_string(tmp.path().join(".env")).unwrap(),
            "SECRET=edited\n"
        );
        assert_eq!(
            entries(tmp.path()),
            [".env", "README.md", "notes.txt", "src"]
        );
        assert_eq!(
            fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            fs::read_to_string(tmp.path().join("README.md")).unwrap(),
            "new readme"
        );
    }

    #[test]
    fn an_empty_directory_is_filled_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        write(&plan(), tmp.path(), TargetPolicy::NewOrEmpty).unwrap();
        assert_eq!(entries(tmp.path()), [".env", "README.md", "src"]);
    }

    #[test]
    fn a_conflict_is_found_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("src"), "a file where a folder goes").unwrap();
        let err = write(&plan(), tmp.path(), TargetPolicy::Force).unwrap_err();
        assert!(matches!(err, WriteError::Conflict { .. }), "{err}");
        assert_eq!(entries(tmp.path()), ["src"]);
    }

    #[test]
    fn a_file_target_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        let err = write(&plan(), &file, TargetPolicy::Force).unwrap_err();
        assert!(matches!(err, WriteError::NotADirectory(_)), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_no_partial_project() {
        let tmp = tempfile::tempdir().unwrap();
        let mut plan = plan();
        // A planned file whose folder clashes with a planned file: the staging write fails
        // half-way, after some files were written there.
        plan.insert(PlannedFile {
            path: "README.md/inner".into(),
            contents: b"x".to_vec(),
            mode: FileMode::Normal,
        });
        let target = tmp.path().join("project");
        assert!(write(&plan, &target, TargetPolicy::NewOrEmpty).is_err());
        assert_eq!(entries(tmp.path()), Vec::<String>::new());
    }

    #[test]
    fn a_failed_write_removes_the_folders_it_made_for_the_project() {
        let tmp = tempfile::tempdir().unwrap();
        let mut plan = plan();
        plan.insert(PlannedFile {
            path: "README.md/inner".into(),
            contents: b"x".to_vec(),
            mode: FileMode::Normal,
        });
        assert!(
            write(
                &plan,
                &tmp.path().join("a/b/project"),
                TargetPolicy::NewOrEmpty
            )
            .is_err()
        );
        assert_eq!(entries(tmp.path()), Vec::<String>::new());
    }

    #[test]
    fn force_appends_to_a_kept_env_what_it_lacks() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(".env"), "# mine\nOTHER=x").unwrap();
        let outcome = write(&plan(), tmp.path(), TargetPolicy::Force).unwrap();
        assert_eq!(outcome.kept, Vec::<PathBuf>::new());
        assert_eq!(outcome.extended.len(), 1);
        assert_eq!(outcome.extended[0].added, ["SECRET"]);
        let text = fs::read_to_string(tmp.path().join(".env")).unwrap();
        assert!(text.starts_with("# mine\nOTHER=x\n"), "{text}");
        assert!(text.ends_with("\nSECRET=1\n"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn force_keeps_a_env_that_is_a_named_pipe_without_reading_it() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = std::ffi::CString::new(tmp.path().join(".env").to_str().unwrap()).unwrap();
        // SAFETY: `fifo` is a valid NUL-terminated string that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (sender, receiver) = std::sync::mpsc::channel();
        let target = tmp.path().to_owned();
        // Reading the pipe would block forever: run in a thread, and fail after a while.
        std::thread::spawn(move || {
            sender.send(preflight(&plan(), &target, TargetPolicy::Force).unwrap().1)
        });
        let outcome = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("preflight returns without reading the pipe");
        assert_eq!(outcome.kept, [PathBuf::from(".env")]);
    }

    #[test]
    fn the_files_not_written_skip_builds_and_git_ignored_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let mut plan = plan();
        plan.insert(PlannedFile {
            path: ".gitignore".into(),
            contents: b"/data\n*.log\ncache/\nsub/dir\n!keep\n".to_vec(),
            mode: FileMode::Normal,
        });
        for path in [
            "old.rs",
            "src/old.rs",
            "stale/a.rs",
            "stale/b.rs",
            "data/todos.json",
            "nested/data",
            "x.log",
            "node_modules/a/b.js",
            "cache/c",
            "src/cache",
            "pkg.egg-info/PKG-INFO",
        ] {
            let path = tmp.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        let (_, outcome) = preflight(&plan, tmp.path(), TargetPolicy::Force).unwrap();
        let found: Vec<String> = outcome
            .not_written
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            found,
            ["nested/", "old.rs", "src/cache", "src/old.rs", "stale/"]
        );
    }
}
