//! The target directory: never clobbered without --force, and --force touches only its files.

use std::fs;

use crate::support::{
    child, entries, manifest, new_in, staging_leftovers, stderr_of, stdout_of, workspace,
};

#[test]
fn cannot_write_into_a_non_empty_directory_without_force() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("notes.txt"), "mine").unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("`{}` is not empty (1 entry)", project.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("--force"),
        "the way out is named:\n{stderr}"
    );
    assert_eq!(entries(&project), ["notes.txt"], "nothing is added");
    assert_eq!(
        fs::read_to_string(project.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(entries(tmp.path()), ["p"], "no staging folder is left");
}

#[test]
fn an_empty_directory_is_filled_without_force() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .success();
    assert_eq!(manifest(&project)["name_for_human"], "P");
    assert_eq!(entries(tmp.path()), ["p"]);
}

#[test]
fn force_writes_the_template_files_and_keeps_an_unrelated_file() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("notes.txt"), "mine").unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--force", "--name-for-human", "Forced"])
        .assert()
        .success();
    assert!(
        !stdout_of(&assert).contains("Overwrote"),
        "nothing was overwritten"
    );
    assert_eq!(manifest(&project)["name_for_human"], "Forced");
    assert!(project.join("ai-plugin.toml").is_file());
    assert!(project.join(".env").is_file());
    assert_eq!(
        fs::read_to_string(project.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(entries(tmp.path()), ["p"], "no staging folder is left");
}

#[test]
fn force_overwrites_a_file_the_template_generates() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("README.md"), "OLD README CONTENT").unwrap();
    fs::write(project.join("notes.txt"), "mine").unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--force", "--name-for-human", "Readme Bot"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("Overwrote: README.md"), "{stdout}");
    let readme = fs::read_to_string(project.join("README.md")).unwrap();
    assert!(!readme.contains("OLD README CONTENT"), "{readme}");
    assert_eq!(
        fs::read_to_string(project.join("notes.txt")).unwrap(),
        "mine"
    );

    // It is exactly the template's README, as a fresh project gets it.
    let fresh = child(&tmp, "fresh");
    new_in(tmp.path())
        .arg(&fresh)
        .args(["--yes", "--name-for-human", "Readme Bot"])
        .assert()
        .success();
    assert_eq!(readme, fs::read_to_string(fresh.join("README.md")).unwrap());
}

#[test]
fn force_refuses_a_file_where_the_template_needs_a_folder_and_changes_nothing() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    fs::create_dir(&project).unwrap();
    fs::write(project.join(".well-known"), "a file, not a folder").unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--force"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("is in the way"), "{stderr}");
    assert!(stderr.contains(".well-known"), "{stderr}");
    assert_eq!(entries(&project), [".well-known"]);
    assert_eq!(
        fs::read_to_string(project.join(".well-known")).unwrap(),
        "a file, not a folder"
    );
    assert!(staging_leftovers(tmp.path()).is_empty());
}

#[test]
fn a_file_as_the_target_is_refused() {
    let tmp = workspace();
    let target = child(&tmp, "p");
    fs::write(&target, "a file").unwrap();
    let assert = new_in(tmp.path())
        .arg(&target)
        .args(["--yes", "--force"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("is not a directory"), "{stderr}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "a file");
    assert_eq!(entries(tmp.path()), ["p"]);
}

#[test]
fn a_new_directory_is_created_with_its_missing_parents() {
    let tmp = workspace();
    let project = child(&tmp, "a/b/p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .success();
    assert_eq!(manifest(&project)["name_for_human"], "P");
    assert_eq!(
        entries(&child(&tmp, "a/b")),
        ["p"],
        "no staging folder is left"
    );
}

#[test]
fn force_with_another_auth_keeps_the_env_and_adds_the_secrets_it_lacks() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--auth", "oauth"])
        .assert()
        .success();
    // The user pasted the verification token ChatGPT showed.
    let env = project.join(".env");
    let old = fs::read_to_string(&env)
        .unwrap()
        .lines()
        .map(|line| {
            if line.starts_with("OPENAI_VERIFICATION_TOKEN=") {
                "export OPENAI_VERIFICATION_TOKEN=\"pasted\"".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(&env, &old).unwrap();

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--force", "--auth", "service_http"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains("Kept .env (it holds your secrets), added: SERVICE_AUTH_TOKEN\n"),
        "{stdout}"
    );
    let new = fs::read_to_string(&env).unwrap();
    assert!(new.starts_with(&old), "every old line is kept:\n{new}");
    let added = &new[old.len()..];
    assert!(
        added.contains("# The bearer token the plugin host must send.")
            && added.contains("\nSERVICE_AUTH_TOKEN="),
        "{added}"
    );
    assert!(
        !added.contains("OPENAI_VERIFICATION_TOKEN"),
        "the pasted token is not added again:\n{added}"
    );
}

#[test]
fn force_names_the_files_the_template_did_not_write_and_leaves_them() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--auth", "oauth"])
        .assert()
        .success();
    for (path, text) in [
        ("NOTES.md", "mine"),
        ("target/debug/build.log", "build output"),
        ("data/plugin.db", "{}"),
        (".git/HEAD", "ref"),
    ] {
        let path = project.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--force", "--auth", "none"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains(
            "\nNot written by this template (left as they were; delete them if they came from \
             an earlier generation):\n  NOTES.md\n  src/auth.rs\n  src/oauth/\n  tests/oauth.rs\n\n"
        ),
        "builds, the git-ignored store and .git are not listed:\n{stdout}"
    );
    assert!(
        project.join("src/oauth/mod.rs").is_file(),
        "nothing is deleted"
    );
    assert!(project.join("tests/oauth.rs").is_file());
    assert_eq!(
        fs::read_to_string(project.join("NOTES.md")).unwrap(),
        "mine"
    );
}

#[test]
fn the_current_folder_needs_no_cd() {
    let tmp = workspace();
    let assert = new_in(tmp.path()).args([".", "--yes"]).assert().success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("Next steps:\n  cargo run"), "{stdout}");
    assert!(!stdout.contains("cd ."), "{stdout}");
}
