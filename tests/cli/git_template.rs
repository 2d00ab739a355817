//! `ai-plugin new --template URL`: a template cloned with the system `git`, from a bare repository
//! the test makes itself and reaches with a `file://` URL (offline).

use std::fs;
use std::path::Path;

use crate::support::{
    child, copy_tree, entries, git, new_in, record, record_str, stderr_of, template_fixture,
    tree_bytes, workspace, write_files,
};

/// A bare repository `repo.git` under `dir` whose `main` branch holds the course fixture in
/// `templates/course/`, and whose `v2` branch changes its README; `prepare` may add to the work
/// tree before the first commit. Returns its `file://` URL.
fn bare_repository(dir: &Path, prepare: impl FnOnce(&Path)) -> String {
    let work = dir.join("work");
    copy_tree(&template_fixture("course"), &work.join("templates/course"));
    prepare(&work);
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "course template"]);
    git(&work, &["checkout", "-q", "-b", "v2"]);
    let readme = work.join("templates/course/README.md.hbs");
    let text = fs::read_to_string(&readme).unwrap();
    fs::write(
        &readme,
        format!("{text}\nVersion 2 of the course template.\n"),
    )
    .unwrap();
    git(&work, &["commit", "-q", "-am", "v2"]);
    git(&work, &["checkout", "-q", "main"]);
    git(dir, &["clone", "-q", "--bare", "work", "repo.git"]);
    format!("file://{}", dir.join("repo.git").display())
}

#[test]
fn a_git_template_renders_like_the_same_folder() {
    let tmp = workspace();
    let url = bare_repository(tmp.path(), |_| {});
    let answers = [
        "--yes",
        "--name-for-human",
        "Course Bot",
        "-d",
        "course=CS101",
    ];
    let from_git = child(&tmp, "from-git");
    new_in(tmp.path())
        .arg(&from_git)
        .args(["--template", &url, "--subfolder", "templates/course"])
        .args(answers)
        .assert()
        .success();
    let from_folder = child(&tmp, "from-folder");
    new_in(tmp.path())
        .arg(&from_folder)
        .arg("--template")
        .arg(template_fixture("course"))
        .args(answers)
        .assert()
        .success();
    let record = record(&from_git);
    assert_eq!(record_str(&record, "template"), url);
    assert_eq!(record_str(&record, "subfolder"), "templates/course");
    assert!(record.get("branch").is_none());
    let mut a = tree_bytes(&from_git);
    let mut b = tree_bytes(&from_folder);
    a.remove("ai-plugin.toml");
    b.remove("ai-plugin.toml");
    assert_eq!(a, b);
    let readme = fs::read_to_string(from_git.join("README.md")).unwrap();
    assert!(!readme.contains("Version 2"), "{readme}");
}

#[test]
fn branch_and_subfolder_pick_the_template_and_are_recorded() {
    let tmp = workspace();
    let url = bare_repository(tmp.path(), |_| {});
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .args([
            "--template",
            &url,
            "--branch",
            "v2",
            "--subfolder",
            "templates/course",
        ])
        .args(["--yes", "-d", "course=CS101"])
        .assert()
        .success();
    let readme = fs::read_to_string(project.join("README.md")).unwrap();
    assert!(
        readme.contains("Version 2 of the course template."),
        "{readme}"
    );
    assert_eq!(record_str(&record(&project), "branch"), "v2");
    // The record regenerates it from the same branch and subfolder.
    let again = child(&tmp, "again");
    new_in(tmp.path())
        .arg(&again)
        .arg("--answers")
        .arg(project.join("ai-plugin.toml"))
        .assert()
        .success();
    assert_eq!(tree_bytes(&project), tree_bytes(&again));
}

#[test]
fn git_errors_are_reported_with_gits_own_words() {
    let tmp = workspace();
    let url = bare_repository(tmp.path(), |_| {});
    let missing = format!("file://{}", tmp.path().join("nothing-here.git").display());
    for (args, says) in [
        (vec!["--template", &missing], "fatal:"),
        (
            vec!["--template", &url, "--branch", "no-such-branch"],
            "no-such-branch",
        ),
        (
            vec!["--template", &url],
            "there is no template.toml at its top, but there is one in: `templates/course`; \
             with `new --template`, add `--subfolder templates/course`",
        ),
    ] {
        let assert = new_in(tmp.path())
            .args(["p", "--yes", "-d", "course=CS101"])
            .args(&args)
            .assert()
            .code(2);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains("cannot read the template"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!tmp.path().join("p").exists());
    }
}

#[cfg(unix)]
#[test]
fn links_in_a_cloned_template_are_refused() {
    let tmp = workspace();
    let url = bare_repository(tmp.path(), |work| {
        std::os::unix::fs::symlink("/etc/passwd", work.join("templates/course/passwd")).unwrap();
    });
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "-d", "course=CS101", "--template", &url])
        .args(["--subfolder", "templates/course"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("passwd: is a symbolic link"), "{stderr}");
    assert!(!tmp.path().join("p").exists());
}

#[cfg(unix)]
#[test]
fn a_subfolder_cannot_leave_the_clone() {
    let tmp = workspace();
    write_files(
        tmp.path(),
        &[(
            "outside/template.toml",
            "name = \"o\"\ndescription = \"d\"\n",
        )],
    );
    let url = bare_repository(tmp.path(), |work| {
        std::os::unix::fs::symlink("../..", work.join("templates/up")).unwrap();
    });
    for (subfolder, says) in [
        ("../../outside", "without `..`"),
        ("templates/../../outside", "without `..`"),
        ("templates/up/outside", "goes through a symbolic link"),
    ] {
        let assert = new_in(tmp.path())
            .args(["p", "--yes", "--template", &url, "--subfolder", subfolder])
            .assert()
            .code(2);
        let stderr = stderr_of(&assert);
        assert!(stderr.contains(says), "{subfolder}: {stderr}");
        assert!(!tmp.path().join("p").exists());
    }
    assert_eq!(entries(tmp.path()), ["outside", "repo.git", "work"]);
}
