//! Invalid values are all reported at once, with the validators' own words, and stop everything.

use crate::support::{entries, new_in, stderr_of, stdout_of, workspace};

#[test]
fn invalid_flags_are_all_reported_at_once_and_nothing_is_written() {
    let tmp = workspace();
    let long_description = "x".repeat(8001);
    let assert = new_in(tmp.path())
        .args([
            "p",
            "--yes",
            "--name-for-human",
            "A name that is far too long",
            "--name-for-model",
            "9lives",
            "--description-for-human=",
            "--description-for-model",
            &long_description,
            "--auth",
            "basic",
            "--stack",
            "cobol",
            "--port",
            "70000",
            "--contact-email",
            "me at example.com",
            "--legal-info-url",
            "ftp://example.com",
        ])
        .assert()
        .code(2);

    let stderr = stderr_of(&assert);
    let expected = [
        "9 invalid answers:",
        "  --name-for-human: name_for_human must be at most 20 characters (it has 27)",
        "  --name-for-model: name_for_model must start with a letter A-Z or a-z (`9lives` does not)",
        "  --description-for-human: description_for_human must not be empty",
        "  --description-for-model: description_for_model must be at most 8000 characters (it has 8001)",
        "  --stack: unknown stack `cobol`; choose one of: rust, python, typescript",
        "  --auth: unknown auth type `basic`; choose one of: none, service_http, user_http, oauth",
        "  --port: port must be between 1 and 65535 (got 70000)",
        "  --contact-email: contact_email `me at example.com` is not an email address: it contains whitespace",
        "  --legal-info-url: legal_info_url `ftp://example.com` is not an absolute http(s) URL: it must start with https:// or http://",
    ]
    .join("\n");
    assert!(
        stderr.contains(&expected),
        "expected the block\n{expected}\nin stderr:\n{stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stdout_of(&assert), "", "nothing is announced");
    assert!(entries(tmp.path()).is_empty(), "nothing is written");
}

#[test]
fn one_invalid_flag_is_reported_in_the_singular() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--name-for-model", "has-dash"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(
            "1 invalid answer:\n  --name-for-model: name_for_model may hold only ASCII letters \
             (a-z, A-Z), digits and `_` (found '-')"
        ),
        "{stderr}"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn a_multi_line_name_for_human_is_refused() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--name-for-human", "two\nlines"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("--name-for-human: name_for_human must be one line of text"),
        "{stderr}"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn flag_and_file_problems_and_missing_answers_are_reported_together() {
    let tmp = workspace();
    let file = tmp.path().join("answers.toml");
    std::fs::write(&file, "legal_info_url = \"not a url\"\n").unwrap();
    // No --yes and no terminal: what is missing is reported with what is invalid.
    let assert = new_in(tmp.path())
        .args(["p", "--port", "0", "--answers"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("2 invalid answers:"), "{stderr}");
    assert!(
        stderr.contains("  --port: port must be between 1 and 65535 (got 0)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "`{}`, key `legal_info_url`: legal_info_url `not a url` is not an absolute http(s) URL",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("missing answers"), "{stderr}");
    assert!(stderr.contains("--name-for-human"), "{stderr}");
    assert_eq!(entries(tmp.path()), ["answers.toml"]);
}
