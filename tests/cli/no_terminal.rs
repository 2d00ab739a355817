//! Without a terminal nothing is asked: a missing answer is named, never guessed.

use crate::support::{
    all_flags, answer_flags, child, entries, manifest, new_in, stderr_of, stdout_of, with_flags,
    workspace,
};

#[test]
fn without_a_terminal_or_yes_every_missing_flag_is_named_and_nothing_is_written() {
    let tmp = workspace();
    let assert = new_in(tmp.path()).arg("p").assert().code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("missing answers, and stdin is not a terminal to ask for them"),
        "{stderr}"
    );
    for flag in answer_flags() {
        // The OAuth questions are asked only for `--auth oauth`.
        let asked = !flag.starts_with("--oauth");
        assert_eq!(stderr.contains(&flag), asked, "{flag} in:\n{stderr}");
    }
    assert!(stderr.contains("--yes"), "the way out is named:\n{stderr}");
    assert!(!stderr.contains("[DIR]"), "DIR was given:\n{stderr}");
    assert_eq!(stdout_of(&assert), "");
    assert!(entries(tmp.path()).is_empty(), "nothing is written");
}

#[test]
fn without_a_terminal_an_oauth_plugin_names_its_oauth_answers() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--auth", "oauth"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    for flag in ["--oauth-client-id", "--oauth-scope", "--oauth-content-type"] {
        assert!(stderr.contains(flag), "{flag} is not named in:\n{stderr}");
    }
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn without_a_terminal_a_missing_directory_is_named_too() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["--name-for-human", "X"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("[DIR]"), "{stderr}");
    assert!(stderr.contains("Project directory"), "{stderr}");
    assert!(
        !stderr.contains("--name-for-human "),
        "a given answer is not missing:\n{stderr}"
    );
    assert!(stderr.contains("--name-for-model"), "{stderr}");
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn only_the_answers_not_given_are_named() {
    let tmp = workspace();
    let mut given = all_flags();
    given.retain(|(flag, _)| !matches!(*flag, "--stack" | "--contact-email"));
    let assert = with_flags(new_in(tmp.path()).arg("p"), &given)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    let missing: Vec<String> = answer_flags()
        .into_iter()
        .filter(|flag| stderr.contains(&format!("  {flag} ")))
        .collect();
    assert_eq!(missing, ["--stack", "--contact-email"], "{stderr}");
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn with_every_flag_and_no_yes_it_succeeds_without_asking() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    let assert = with_flags(new_in(tmp.path()).arg(&project), &all_flags())
        .assert()
        .success();
    assert_eq!(manifest(&project)["name_for_model"], "quote_bot");
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("Created"), "{stdout}");
    assert_eq!(stderr_of(&assert), "", "no prompt or warning on stderr");
}
