//! `ai-plugin new --help` documents every answer's flag.

use assert_cmd::Command;

use crate::support::answer_flags;

#[test]
fn help_of_new_lists_every_manifest_and_project_flag() {
    let assert = Command::cargo_bin("ai-plugin")
        .unwrap()
        .args(["new", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for flag in answer_flags().iter().map(String::as_str).chain([
        "--yes",
        "--answers",
        "--force",
        "--dry-run",
    ]) {
        assert!(help.contains(flag), "{flag} is not in:\n{help}");
    }
    assert!(help.contains("[DIR]"), "{help}");
    assert!(
        help.contains("none, service_http, user_http or oauth"),
        "{help}"
    );
    for says in [
        "[default: rust]",
        "[default: 5003]",
        "[default: none, or oauth",
        "[default: asked; with --yes",
        "Exit codes: 0 written",
        "`directory`",
        "`[variables]` table",
    ] {
        assert!(help.contains(says), "{says} is not in:\n{help}");
    }
}

#[test]
fn help_of_check_and_preview_names_the_target_kind_and_the_json_shape() {
    for command in ["check", "preview"] {
        let assert = Command::cargo_bin("ai-plugin")
            .unwrap()
            .args([command, "--help"])
            .assert()
            .success();
        let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        // Not TARGET: that is the positional argument (what to check).
        assert!(help.contains("--target <RULES>"), "{help}");
        assert!(!help.contains("--target <HOST>"), "{help}");
        // The hosts an MCP server is checked or previewed for.
        for host in ["chatgpt-app", "claude", "mcp"] {
            assert!(help.contains(host), "{host} is not in:\n{help}");
        }
        if command == "check" {
            assert!(help.contains("with ok: false, no findings"), "{help}");
            assert!(help.contains("--call-read-only"), "{help}");
        }
    }
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    Command::cargo_bin("ai-plugin")
        .unwrap()
        .args(["new", "p", "--colour", "red"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--colour"));
}

#[test]
fn help_of_new_lists_the_answer_flags_in_the_order_they_are_asked() {
    let assert = Command::cargo_bin("ai-plugin")
        .unwrap()
        .args(["new", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let position = |flag: &str| {
        help.find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} is not in:\n{help}"))
    };
    let flags = answer_flags();
    for pair in flags.windows(2) {
        assert!(
            position(&pair[0]) < position(&pair[1]),
            "{} should come before {} (the order they are asked in):\n{help}",
            pair[0],
            pair[1]
        );
    }
    assert!(position("--stack") < position("--auth"), "{help}");
}
