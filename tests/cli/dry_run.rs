//! `--dry-run`: the file list, and nothing on disk.

use std::fs;

use crate::support::{child, entries, new_in, stderr_of, stdout_of, workspace};

#[test]
fn dry_run_lists_the_files_and_writes_nothing() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--dry-run"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("dry run: nothing was written"), "{stdout}");
    let listed: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    for file in [".well-known/ai-plugin.json", "ai-plugin.toml", ".env"] {
        assert!(listed.contains(&file), "{file} is not listed:\n{stdout}");
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with(".env ") && l.contains("private")),
        ".env is marked private:\n{stdout}"
    );
    assert!(!project.exists(), "the target is not created");
    assert!(entries(tmp.path()).is_empty(), "nothing at all is written");
}

#[test]
fn dry_run_lists_what_a_real_run_writes() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["dry", "--yes", "--dry-run"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let mut listed: Vec<String> = stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    listed.sort();

    new_in(tmp.path())
        .args(["real", "--yes"])
        .assert()
        .success();
    let written = crate::support::files_under(&child(&tmp, "real"));
    assert_eq!(listed, written);
    assert!(
        stdout.starts_with(&format!("Would write {} files to `dry`", written.len())),
        "{stdout}"
    );
}

#[test]
fn dry_run_into_a_non_empty_directory_fails_like_a_real_run() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("notes.txt"), "mine").unwrap();

    let dry = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--dry-run"])
        .assert()
        .code(1);
    let real = new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .code(1);
    let dry_stderr = stderr_of(&dry);
    assert!(dry_stderr.contains("is not empty"), "{dry_stderr}");
    assert_eq!(dry_stderr, stderr_of(&real));
    assert_eq!(stdout_of(&dry), "");
    assert_eq!(entries(&project), ["notes.txt"]);
}

#[test]
fn dry_run_with_force_marks_the_files_it_would_overwrite() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("README.md"), "old").unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--dry-run", "--force"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let readme = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("README.md "))
        .unwrap_or_else(|| panic!("README.md is not listed:\n{stdout}"));
    assert!(readme.contains("overwrites"), "{readme}");
    let manifest = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(".well-known/ai-plugin.json "))
        .unwrap_or_else(|| panic!("the manifest is not listed:\n{stdout}"));
    assert!(!manifest.contains("overwrites"), "{manifest}");
    assert_eq!(entries(&project), ["README.md"]);
    assert_eq!(
        fs::read_to_string(project.join("README.md")).unwrap(),
        "old"
    );
}
