//! A template can never write outside the project: every escape route is refused with a clear
//! error before anything is written.

use std::path::Path;

use crate::support::{
    child, copy_tree, entries, new_in, stderr_of, template_fixture, workspace, write_files,
};

/// Runs `new` with `template` into `work/deep/er/p`, expecting `code`; returns stderr. Nothing
/// may appear anywhere under `work` but the template (`keep`).
fn refused(work: &Path, template: &Path, extra: &[&str], code: i32, keep: &[&str]) -> String {
    let deep = work.join("deep/er");
    std::fs::create_dir_all(&deep).unwrap();
    let assert = new_in(&deep)
        .args(["p", "--yes", "--template"])
        .arg(template)
        .args(extra)
        .assert()
        .code(code);
    assert!(
        entries(&deep).is_empty(),
        "nothing is written: {:?}",
        entries(&deep)
    );
    let mut expected: Vec<String> = keep.iter().map(|s| (*s).to_owned()).collect();
    expected.push("deep".to_owned());
    expected.sort();
    assert_eq!(entries(work), expected, "nothing lands beside the project");
    assert_eq!(entries(&work.join("deep")), ["er"]);
    stderr_of(&assert)
}

#[test]
fn a_name_that_becomes_dot_dot_is_refused() {
    let tmp = workspace();
    let stderr = refused(tmp.path(), &template_fixture("evil-dotdot"), &[], 1, &[]);
    assert!(
        stderr.contains("_./_./escaped.txt: the name `_.` would become `..`"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
}

#[test]
fn a_rendered_absolute_name_is_refused() {
    let tmp = workspace();
    let outside = tmp.path().join("escaped-absolute");
    let stderr = refused(
        tmp.path(),
        &template_fixture("evil-absolute"),
        &["-d", &format!("target={}", outside.display())],
        1,
        &[],
    );
    assert!(
        stderr.contains("`{{target}}.hbs`: the file name renders as"),
        "{stderr}"
    );
    assert!(stderr.contains("could be absolute"), "{stderr}");
    assert!(!outside.exists());
    // The template's own default points at /tmp: refused just the same.
    let stderr = refused(tmp.path(), &template_fixture("evil-absolute"), &[], 1, &[]);
    assert!(stderr.contains("/tmp/ai-plugin-evil-absolute"), "{stderr}");
    assert!(!Path::new("/tmp/ai-plugin-evil-absolute").exists());
}

#[test]
fn a_rendered_dot_dot_is_refused() {
    let tmp = workspace();
    let stderr = refused(tmp.path(), &template_fixture("evil-parent"), &[], 1, &[]);
    assert!(
        stderr.contains("`{{up}}/{{up}}/escaped.txt.hbs`: the file name renders as \"..\""),
        "{stderr}"
    );
    assert!(!tmp.path().join("escaped.txt").exists());
}

#[cfg(unix)]
#[test]
fn links_in_a_template_are_refused() {
    let tmp = workspace();
    let template = child(&tmp, "linked");
    copy_tree(&template_fixture("course"), &template);
    write_files(tmp.path(), &[("secret.txt", "outside the template")]);
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), template.join("secret.txt")).unwrap();
    std::os::unix::fs::symlink("/", template.join("static/root")).unwrap();
    let stderr = refused(
        tmp.path(),
        &template,
        &["-d", "course=CS101"],
        1,
        &["linked", "secret.txt"],
    );
    assert!(
        stderr.contains("linked/secret.txt: is a symbolic link; templates may not hold links"),
        "{stderr}"
    );
    assert!(
        stderr.contains("linked/static/root: is a symbolic link"),
        "{stderr}"
    );
    assert!(stderr.contains("has 2 problems"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_subfolder_that_leaves_the_folder_is_refused() {
    let tmp = workspace();
    let template = child(&tmp, "outer");
    copy_tree(&template_fixture("course"), &template.join("inner"));
    std::os::unix::fs::symlink(tmp.path(), template.join("up")).unwrap();
    for (subfolder, says) in [
        ("../outer/inner", "without `..`"),
        ("/etc", "without `..`"),
        ("up/outer/inner", "goes through a symbolic link (`up`)"),
    ] {
        let stderr = refused(
            tmp.path(),
            &template,
            &["--subfolder", subfolder, "-d", "course=CS101"],
            2,
            &["outer"],
        );
        assert!(stderr.contains(says), "{subfolder}: {stderr}");
    }
}
