//! `--answers FILE.toml`: a file of answers, below flags in precedence.

use std::fs;

use crate::support::{child, entries, manifest, new_in, record, record_str, stderr_of, workspace};

const ANSWERS: &str = r#"
name_for_human = "File Bot"
name_for_model = "file_bot"
description_for_human = "Answers from a file."
description_for_model = "Plugin whose answers came from a TOML file."
auth = "service_http"
stack = "rust"
port = 7001
contact_email = "file@example.com"
legal_info_url = "https://example.com/file-legal"
"#;

#[test]
fn answers_from_the_file_are_used() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, ANSWERS).unwrap();
    let project = child(&tmp, "p");
    // Every answer is in the file: no --yes needed, and nothing is missing.
    new_in(tmp.path())
        .arg(&project)
        .arg("--answers")
        .arg(&file)
        .assert()
        .success();

    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "File Bot");
    assert_eq!(manifest["name_for_model"], "file_bot");
    assert_eq!(manifest["description_for_human"], "Answers from a file.");
    assert_eq!(
        manifest["description_for_model"],
        "Plugin whose answers came from a TOML file."
    );
    assert_eq!(manifest["auth"]["type"], "service_http");
    assert_eq!(manifest["contact_email"], "file@example.com");
    assert_eq!(manifest["legal_info_url"], "https://example.com/file-legal");
    assert_eq!(manifest["api"]["url"], "http://localhost:7001/openapi.yaml");
    assert_eq!(record(&project)["port"].as_integer(), Some(7001));
}

#[test]
fn a_flag_wins_over_the_answers_file() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, ANSWERS).unwrap();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--answers")
        .arg(&file)
        .args([
            "--name-for-human",
            "Flag Bot",
            "--port",
            "7002",
            "--auth",
            "none",
        ])
        .assert()
        .success();

    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "Flag Bot");
    assert_eq!(manifest["auth"]["type"], "none");
    assert_eq!(manifest["api"]["url"], "http://localhost:7002/openapi.yaml");
    // What the flags did not give still comes from the file.
    assert_eq!(manifest["name_for_model"], "file_bot");
    assert_eq!(manifest["contact_email"], "file@example.com");
    let record = record(&project);
    assert_eq!(record_str(&record, "name_for_human"), "Flag Bot");
    assert_eq!(record["port"].as_integer(), Some(7002));
}

#[test]
fn the_answers_file_may_name_the_directory_and_the_argument_wins() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, format!("directory = \"from-file\"\n{ANSWERS}")).unwrap();
    new_in(tmp.path())
        .arg("--answers")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        manifest(&child(&tmp, "from-file"))["name_for_human"],
        "File Bot"
    );

    new_in(tmp.path())
        .arg("from-arg")
        .arg("--answers")
        .arg(&file)
        .assert()
        .success();
    assert!(child(&tmp, "from-arg/.well-known/ai-plugin.json").is_file());
}

#[test]
fn an_unknown_key_in_the_answers_file_is_an_error_naming_the_file() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, format!("{ANSWERS}colour = \"red\"\n")).unwrap();
    let assert = new_in(tmp.path())
        .arg("p")
        .arg("--answers")
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "could not read the answers file `{}`",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("colour"), "{stderr}");
    assert_eq!(entries(tmp.path()), ["answers.toml"], "nothing is written");
}

#[test]
fn an_answers_file_that_is_not_toml_is_an_error_naming_the_file() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, "name_for_human = \"unterminated\n").unwrap();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--answers"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(entries(tmp.path()), ["answers.toml"]);
}

#[test]
fn a_missing_answers_file_is_an_error_naming_the_file() {
    let tmp = workspace();
    let file = child(&tmp, "nowhere.toml");
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--answers"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "could not read the answers file `{}`",
            file.display()
        )),
        "{stderr}"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn bad_values_in_the_answers_file_are_reported_with_the_file_and_key() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(
        &file,
        "name_for_model = \"9lives\"\nport = 0\ncontact_email = \"nobody\"\n",
    )
    .unwrap();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--answers"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    let shown = file.display();
    for line in [
        "3 invalid answers:".to_owned(),
        format!(
            "`{shown}`, key `name_for_model`: name_for_model must start with a letter A-Z or a-z (`9lives` does not)"
        ),
        format!("`{shown}`, key `port`: port must be between 1 and 65535 (got 0)"),
        format!(
            "`{shown}`, key `contact_email`: contact_email `nobody` is not an email address: it has no `@`"
        ),
    ] {
        assert!(stderr.contains(&line), "missing {line:?} in:\n{stderr}");
    }
    assert_eq!(entries(tmp.path()), ["answers.toml"], "nothing is written");
}

#[test]
fn a_port_given_as_a_string_in_the_answers_file_is_checked_like_a_flag() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    fs::write(&file, "port = \"eighty\"\n").unwrap();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--answers"])
        .arg(&file)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "`{}`, key `port`: port must be a whole number between 1 and 65535 (got `eighty`)",
            file.display()
        )),
        "{stderr}"
    );

    fs::write(&file, "port = \"7003\"\n").unwrap();
    new_in(tmp.path())
        .args(["p", "--yes", "--answers"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        manifest(&child(&tmp, "p"))["api"]["url"],
        "http://localhost:7003/openapi.yaml"
    );
}

#[test]
fn the_record_of_one_project_regenerates_an_identical_manifest() {
    let tmp = workspace();
    let first = child(&tmp, "first");
    new_in(tmp.path())
        .arg(&first)
        .args([
            "--yes",
            "--name-for-human",
            "Round Trip",
            "--auth",
            "service_http",
            "--port",
            "6123",
            "--description-for-model",
            "Line one.\nLine \"two\" \\ end.",
        ])
        .assert()
        .success();

    let second = child(&tmp, "second");
    // The record holds every answer: no --yes, and stdin is not a terminal.
    new_in(tmp.path())
        .arg(&second)
        .arg("--answers")
        .arg(first.join("ai-plugin.toml"))
        .assert()
        .success();

    let read =
        |p: &std::path::Path| fs::read_to_string(p.join(".well-known/ai-plugin.json")).unwrap();
    assert_eq!(read(&first), read(&second));
    assert_eq!(manifest(&second)["name_for_human"], "Round Trip");
    assert_eq!(
        fs::read_to_string(first.join("ai-plugin.toml")).unwrap(),
        fs::read_to_string(second.join("ai-plugin.toml")).unwrap()
    );
}
