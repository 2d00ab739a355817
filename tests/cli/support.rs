//! Helpers shared by the CLI tests: running `ai-plugin new`, and reading what it wrote.

use std::fs;
use std::path::{Path, PathBuf};

use ai_plugin::question::Field;
use assert_cmd::Command;

/// Every answer's flag of `new`, in the order the questions are asked: derived from the question
/// catalogue, so a new question is covered by every test that uses this. The project directory
/// is the positional `[DIR]`, not a flag.
pub fn answer_flags() -> Vec<String> {
    Field::ALL
        .into_iter()
        .filter(|&field| field != Field::Directory)
        .map(Field::flag)
        .collect()
}

/// `ai-plugin new --no-git`, run in `cwd` (so a stray relative path can never land in the
/// repository), with stdin not a terminal. Without a repository the tests stay fast and the
/// output does not depend on the machine's git identity; `git_init` tests the repository.
pub fn new_in(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ai-plugin").expect("the ai-plugin binary is built");
    cmd.current_dir(cwd)
        .args(["new", "--no-git"])
        .env("NO_COLOR", "1");
    cmd
}

/// A full set of valid answers as flags, with characters that need quoting in every format.
pub fn all_flags() -> Vec<(&'static str, &'static str)> {
    vec![
        ("--name-for-human", "Quote \"Bot\" \\ 1"),
        ("--name-for-model", "quote_bot"),
        (
            "--description-for-human",
            "Fetches quotes: \"famous\" ones, with {{braces}} & <tags>.",
        ),
        (
            "--description-for-model",
            "Plugin for famous quotes.\nCall it when the user asks for a quote; it's safe.",
        ),
        ("--auth", "user_http"),
        ("--stack", "rust"),
        ("--port", "8123"),
        ("--contact-email", "quotes@example.org"),
        ("--legal-info-url", "https://example.org/legal?x=1#terms"),
    ]
}

/// Adds `flags` to `cmd`.
pub fn with_flags<'a>(cmd: &'a mut Command, flags: &[(&str, &str)]) -> &'a mut Command {
    for (flag, value) in flags {
        cmd.arg(format!("{flag}={value}"));
    }
    cmd
}

/// The parsed `.well-known/ai-plugin.json` of a generated project.
pub fn manifest(project: &Path) -> serde_json::Value {
    let path = project.join(".well-known/ai-plugin.json");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}\n{text}", path.display()))
}

/// The parsed `ai-plugin.toml` of a generated project.
pub fn record(project: &Path) -> toml::Table {
    let path = project.join("ai-plugin.toml");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not TOML: {e}\n{text}", path.display()))
}

/// A string value of `record`.
pub fn record_str<'a>(record: &'a toml::Table, key: &str) -> &'a str {
    record
        .get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("ai-plugin.toml has no string `{key}`: {record:?}"))
}

/// The names in `dir`, sorted (empty if it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, relative and `/`-separated, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Staging folders left in `dir`.
pub fn staging_leftovers(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|name| name.starts_with(".ai-plugin-staging-"))
        .collect()
}

/// A fresh temporary folder to run in.
pub fn workspace() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// `dir/name`.
pub fn child(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// stderr of an assertion, as text.
pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// stdout of an assertion, as text.
pub fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// `exit_code`, stdout and stderr of `command` in one text, as the snapshots of whole outputs
/// pin them (uv's style), with `tmp` (and its canonical form) as `[TMP]` and ai-plugin's version
/// as `[VERSION]`.
pub fn pinned_output(command: &mut Command, tmp: &Path) -> String {
    let output = command.output().expect("ai-plugin runs");
    let mut text = format!(
        "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or("none".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let canonical = tmp.canonicalize().unwrap_or_else(|_| tmp.to_owned());
    for path in [canonical.as_path(), tmp] {
        text = text.replace(path.to_str().expect("temporary paths are UTF-8"), "[TMP]");
    }
    text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

/// Runs git in `dir` with a fixed identity and no system or user configuration.
pub fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `ai-plugin` with no subcommand yet, run in `cwd`, with stdin not a terminal.
pub fn ai_plugin_in(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ai-plugin").expect("the ai-plugin binary is built");
    cmd.current_dir(cwd).env("NO_COLOR", "1");
    cmd
}

/// A template folder under `tests/fixtures/templates/`.
pub fn template_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/templates")
        .join(name)
}

/// Writes each `(path, text)` under `dir`, creating folders.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
}

/// Every file under `dir` with its bytes, by relative `/`-separated path.
pub fn tree_bytes(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|path| {
            let bytes = fs::read(dir.join(&path)).unwrap();
            (path, bytes)
        })
        .collect()
}

/// Copies the folder `from` to `to` (regular files only).
pub fn copy_tree(from: &Path, to: &Path) {
    for path in files_under(from) {
        let target = to.join(&path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(from.join(&path), target).unwrap();
    }
}
