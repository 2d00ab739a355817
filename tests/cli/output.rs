//! Whole outputs pinned, as a user sees them: exit code, stdout and stderr in one snapshot (uv's
//! style), with the temporary folder shown as `[TMP]`. A change to any line of these reviews as
//! a snapshot diff (`cargo insta review`).

use std::path::Path;

use crate::support::{ai_plugin_in, new_in, pinned_output, workspace};

#[test]
fn new_with_yes_says_what_it_created_and_what_to_do_next() {
    let tmp = workspace();
    insta::assert_snapshot!(pinned_output(
        new_in(tmp.path()).args(["todo-plugin", "--yes"]),
        tmp.path()
    ));
}

#[test]
fn new_with_dry_run_lists_the_files_and_writes_nothing() {
    let tmp = workspace();
    let text = pinned_output(
        new_in(tmp.path()).args(["todo-plugin", "--yes", "--auth", "oauth", "--dry-run"]),
        tmp.path(),
    );
    // The sizes are the templates' business (and change with them); the listing is ours.
    let sizes = regex_lite::Regex::new(r"\s+\d+ B\b").unwrap();
    insta::assert_snapshot!(sizes.replace_all(&text, "  [SIZE]"));
    assert!(!tmp.path().join("todo-plugin").exists());
}

#[test]
fn invalid_answers_are_reported_together_with_exit_code_2() {
    let tmp = workspace();
    insta::assert_snapshot!(pinned_output(
        new_in(tmp.path()).args([
            "todo-plugin",
            "--yes",
            "--name-for-model",
            "not a name!",
            "--port",
            "99999",
            "--contact-email",
            "nobody",
            "--auth",
            "basic",
        ]),
        tmp.path()
    ));
}

#[test]
fn checks_text_report_names_each_finding_with_its_fix() {
    let tmp = workspace();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/auth-mismatch");
    let mut command = ai_plugin_in(tmp.path());
    command.arg("check").arg(&fixture);
    let text = pinned_output(&mut command, tmp.path()).replace(
        fixture.to_str().expect("the repository path is UTF-8"),
        "[FIXTURE]",
    );
    insta::assert_snapshot!(text);
}
