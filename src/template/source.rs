//! Where a template of the user's comes from: a folder, or a git repository cloned with the
//! system `git` (never a git library: no libgit2, no OpenSSL), then an optional subfolder.
//!
//! Neither the subfolder nor anything in the template may lead outside: the subfolder is a
//! relative path without `..` whose every component is a real folder (not a link), and the
//! template folder is read without following links ([`super::read_folder`]).

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

/// A template of the user's, as `--template`, `--branch` and `--subfolder` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    /// A folder, or a git URL (`https://`, `ssh://`, `git://`, `file://`, `user@host:path`).
    pub location: String,
    /// The branch or tag to clone (git only).
    pub branch: Option<String>,
    /// The template's folder inside the folder or repository.
    pub subfolder: Option<String>,
}

/// Whether `location` is a git URL rather than a folder.
pub fn is_git_url(location: &str) -> bool {
    const SCHEMES: [&str; 7] = [
        "https://",
        "http://",
        "ssh://",
        "git://",
        "file://",
        "git+ssh://",
        "ssh+git://",
    ];
    if SCHEMES.iter().any(|s| location.starts_with(s)) {
        return true;
    }
    // scp-like syntax, `git@github.com:owner/repo.git`: a user and host before a `:` that
    // comes before any `/`.
    match location.split_once(':') {
        Some((before, _)) => before.contains('@') && !before.contains('/'),
        None => false,
    }
}

impl TemplateSource {
    /// Whether the template is cloned with git.
    pub fn is_git(&self) -> bool {
        is_git_url(&self.location)
    }

    /// How the template is named in messages.
    pub fn describe(&self) -> String {
        let mut text = self.location.clone();
        if let Some(branch) = &self.branch {
            let _ = write!(text, " (branch {branch})");
        }
        if let Some(subfolder) = &self.subfolder {
            let _ = write!(text, " (subfolder {subfolder})");
        }
        text
    }
}

/// `root/subfolder`, if `subfolder` stays inside `root`: relative, no `..`, and no link on the
/// way.
pub fn inside(root: &Path, subfolder: &str) -> Result<PathBuf, String> {
    let escape = || {
        format!(
            "the subfolder `{subfolder}` must be a relative path inside the template's folder or \
             repository, without `..`"
        )
    };
    let mut path = root.to_path_buf();
    for component in Path::new(subfolder).components() {
        match component {
            Component::CurDir => continue,
            Component::Normal(name) => path.push(name),
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(escape());
            }
        }
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "the subfolder `{subfolder}` goes through a symbolic link (`{}`), which \
                     could lead outside; links are refused",
                    path.strip_prefix(root).unwrap_or(&path).display()
                ));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("the subfolder `{subfolder}` is not a folder")),
            Err(_) => return Err(format!("there is no subfolder `{subfolder}`")),
        }
    }
    Ok(path)
}

/// Clones `url` (one commit deep) into a new temporary folder, under `repo/`.
pub(super) fn clone(url: &str, branch: Option<&str>) -> Result<tempfile::TempDir, String> {
    let tmp = tempfile::Builder::new()
        .prefix("ai-plugin-template-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder to clone into: {e}"))?;
    let mut git = Command::new("git");
    // Links are checked out as links so that they are seen, and refused; `ext::` URLs could run
    // commands, so that transport is off whatever the user's configuration says.
    git.args([
        "-c",
        "core.symlinks=true",
        "-c",
        "protocol.ext.allow=never",
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--no-recurse-submodules",
    ]);
    if let Some(branch) = branch {
        git.args(["--branch", branch]);
    }
    git.arg("--")
        .arg(url)
        .arg(tmp.path().join("repo"))
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    let output = git.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "a git URL needs the `git` command, and it is not on PATH; install git, or clone the \
             template yourself and pass its folder"
                .to_owned()
        } else {
            format!("cannot run git: {e}")
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "git clone failed ({}):\n    {}",
            output.status,
            stderr.trim().replace('\n', "\n    ")
        ));
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls_are_told_from_folders() {
        for url in [
            "https://github.com/o/r.git",
            "file:///tmp/repo.git",
            "ssh://git@host/r",
            "git@github.com:o/r.git",
            "git://host/r",
        ] {
            assert!(is_git_url(url), "{url}");
        }
        for folder in [
            "./my-template",
            "/abs/path",
            "templates/rust",
            "C:\\templates\\x",
            "dir/with@sign:colon",
            "plain",
        ] {
            assert!(!is_git_url(folder), "{folder}");
        }
    }

    #[test]
    fn a_subfolder_must_stay_inside() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::write(tmp.path().join("a/file"), "x").unwrap();
        assert_eq!(inside(tmp.path(), "a/b").unwrap(), tmp.path().join("a/b"));
        assert_eq!(inside(tmp.path(), "./a").unwrap(), tmp.path().join("a"));
        for (bad, says) in [
            ("../x", "without `..`"),
            ("a/../../x", "without `..`"),
            ("/etc", "relative"),
            ("missing", "no subfolder"),
            ("a/file", "not a folder"),
        ] {
            let err = inside(tmp.path(), bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/", tmp.path().join("a/out")).unwrap();
            let err = inside(tmp.path(), "a/out/etc").unwrap_err();
            assert!(err.contains("symbolic link"), "{err}");
        }
    }
}
