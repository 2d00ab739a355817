//! What lands on disk beyond the answers: private secrets, and no leftovers.

use std::fs;
use std::path::Path;

use ai_plugin::choices::AuthType;
use ai_plugin::context::Secrets;

use crate::support::{child, entries, files_under, new_in, staging_leftovers, workspace};

#[cfg(unix)]
#[test]
fn the_env_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .success();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&project.join(".env")), 0o600);
    // Everything else is an ordinary file or folder, not private like the staging folder.
    assert_eq!(mode(&project), 0o755);
    let manifest_mode = mode(&project.join(".well-known/ai-plugin.json"));
    assert_eq!(manifest_mode & 0o044, 0o044, "{manifest_mode:o}");
}

#[test]
fn no_staging_folder_is_left_after_success_or_failure() {
    let tmp = workspace();
    // Success into a new directory, into an empty one, and into a non-empty one with --force.
    new_in(tmp.path())
        .args(["new-dir", "--yes"])
        .assert()
        .success();
    fs::create_dir(child(&tmp, "empty")).unwrap();
    new_in(tmp.path())
        .args(["empty", "--yes"])
        .assert()
        .success();
    new_in(tmp.path())
        .args(["new-dir", "--yes", "--force"])
        .assert()
        .success();
    // Failures: refused target, invalid answers.
    new_in(tmp.path())
        .args(["new-dir", "--yes"])
        .assert()
        .code(1);
    new_in(tmp.path())
        .args(["bad", "--yes", "--port", "0"])
        .assert()
        .code(2);
    assert_eq!(entries(tmp.path()), ["empty", "new-dir"]);
    assert!(staging_leftovers(tmp.path()).is_empty());
}

/// A write that fails after the staging folder was filled: the staging path is too long for
/// the OS while the target's is not (Linux: `PATH_MAX` 4096). This works even as root, where
/// permissions would not stop a write.
#[cfg(target_os = "linux")]
#[test]
fn a_write_failing_half_way_leaves_no_staging_folder_and_no_project() {
    let tmp = workspace();
    let mut parent = std::path::absolute(tmp.path()).unwrap();
    // The staging folder (`.ai-plugin-staging-XXXXXX`, 25 characters) is 24 characters
    // longer than the target `p`: aim for a parent where only the staged manifest's path
    // (`<parent>/<staging>/.well-known/ai-plugin.json`) is too long.
    let target_len = 4050;
    loop {
        let room = target_len - parent.as_os_str().len() - 1;
        if room <= 200 {
            parent.push("d".repeat(room));
            break;
        }
        parent.push("d".repeat(100));
    }
    assert_eq!(parent.as_os_str().len(), target_len);
    fs::create_dir_all(&parent).unwrap();
    let project = parent.join("p");
    assert!(project.as_os_str().len() < 4096 - ".well-known/ai-plugin.json".len() - 1);

    let assert = new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .code(1);
    let stderr = crate::support::stderr_of(&assert);
    assert!(stderr.contains("could not write"), "{stderr}");
    assert!(!project.exists(), "no partial project");
    assert!(
        entries(&parent).is_empty(),
        "left behind: {:?}",
        entries(&parent)
    );
}

#[test]
fn secrets_differ_between_projects_and_appear_only_in_the_env_file() {
    // Every secret of every auth type: the list comes from `Secrets` itself.
    let catalogue = Secrets::placeholder();
    for auth in AuthType::ALL {
        let mut expected: Vec<&str> = catalogue
            .entries()
            .iter()
            .filter(|e| e.auth.contains(&auth))
            .map(|e| e.variable)
            .collect();
        expected.sort_unstable();
        let tmp = workspace();
        let secrets_of = |name: &str| {
            let project = child(&tmp, name);
            new_in(tmp.path())
                .arg(&project)
                .args(["--yes", "--auth", auth.as_str()])
                .assert()
                .success();
            let env = fs::read_to_string(project.join(".env")).unwrap();
            // variable → the part that must stay secret (after `user:` for pairs).
            let mut secrets: Vec<(String, String)> = env
                .lines()
                .filter_map(|line| line.split_once('='))
                .filter(|(variable, _)| expected.contains(variable))
                .map(|(variable, value)| {
                    let secret = value.split_once(':').map_or(value, |(_, s)| s);
                    (variable.to_owned(), secret.to_owned())
                })
                .collect();
            secrets.sort();
            let found: Vec<&str> = secrets.iter().map(|(v, _)| v.as_str()).collect();
            assert_eq!(found, expected, "{auth}: the secrets in .env:\n{env}");
            for (variable, secret) in &secrets {
                assert!(
                    secret.len() >= 20,
                    "{auth}: {variable} is too short: {secret}"
                );
            }
            (project, secrets)
        };
        let (first, first_secrets) = secrets_of("first");
        let (second, second_secrets) = secrets_of("second");
        for ((variable, one), (_, other)) in first_secrets.iter().zip(&second_secrets) {
            assert_ne!(
                one, other,
                "{auth}: {variable} is the same in both projects"
            );
        }
        for (project, secrets) in [(&first, &first_secrets), (&second, &second_secrets)] {
            let files = files_under(project);
            for named in ["ai-plugin.toml", ".well-known/ai-plugin.json", "README.md"] {
                assert!(
                    files.iter().any(|f| f == named),
                    "{named} missing: {files:?}"
                );
            }
            for file in files.iter().filter(|f| *f != ".env") {
                let bytes = fs::read(project.join(file)).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                for (variable, secret) in secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{auth}: {variable} of .env leaked into {file}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_project_holds_the_manifest_the_record_and_the_env_file() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--yes")
        .assert()
        .success();
    let files = files_under(&project);
    for file in [
        ".well-known/ai-plugin.json",
        "ai-plugin.toml",
        ".env",
        "README.md",
    ] {
        assert!(files.iter().any(|f| f == file), "{file} missing: {files:?}");
    }
}
