//! `ai-plugin templates`, `ai-plugin template init` and `ai-plugin template check`.

use std::fs;

use crate::support::{
    ai_plugin_in, child, entries, files_under, new_in, stderr_of, stdout_of, template_fixture,
    tree_bytes, workspace, write_files,
};

#[test]
fn templates_lists_every_builtin_template_with_a_line_each() {
    let tmp = workspace();
    let assert = ai_plugin_in(tmp.path()).arg("templates").assert().success();
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("rust ") && lines[0].contains("axum"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("python ") && lines[1].contains("FastAPI"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("typescript ") && lines[2].contains("Hono"),
        "{stdout}"
    );
    assert!(
        lines[0].contains("oauth"),
        "the auth types are listed: {stdout}"
    );
    assert!(stdout.contains("template init DIR --from NAME"), "{stdout}");
}

#[test]
fn template_init_writes_a_self_contained_template_that_checks_clean() {
    let tmp = workspace();
    let dir = child(&tmp, "my-course");
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "init"])
        .arg(&dir)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("ai-plugin new --template"));
    assert!(
        stdout.starts_with(&format!("Wrote a template to `{}` (", dir.display()))
            && !stdout.contains("named"),
        "the name is the folder's, said once: {stdout}"
    );
    let files = files_under(&dir);
    for expected in [
        "template.toml",
        "_partials/readme_chatgpt.md.hbs",
        "openapi.yaml.hbs",
        "logo.png",
        "_env.hbs",
        "_gitignore",
        "src/main.rs.hbs",
        "Cargo.toml.hbs",
    ] {
        assert!(
            files.contains(&expected.to_owned()),
            "{expected}: {files:?}"
        );
    }
    let config = fs::read_to_string(dir.join("template.toml")).unwrap();
    assert!(config.contains("name = \"my-course\""), "{config}");
    assert!(config.contains("# [[variables]]"), "{config}");
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check"])
        .arg(&dir)
        .assert()
        .success();
    assert!(
        stdout_of(&assert).contains("is fine"),
        "{}",
        stdout_of(&assert)
    );
}

#[test]
fn template_init_refuses_a_folder_that_is_not_empty() {
    let tmp = workspace();
    let dir = child(&tmp, "taken");
    write_files(&dir, &[("mine.txt", "mine")]);
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "init", "taken"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(
            "`taken` is not empty (1 entry); `template init` writes into a new or empty folder"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("--force"), "{stderr}");
    assert_eq!(entries(&dir), ["mine.txt"]);
}

#[test]
fn template_init_from_an_unknown_template_is_a_usage_error() {
    let tmp = workspace();
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "init", "t", "--from", "cobol"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert)
            .contains("unknown built-in template `cobol`; choose one of: rust, python, typescript"),
        "{}",
        stderr_of(&assert)
    );
    assert!(entries(tmp.path()).is_empty());
}

/// `template init` then `new --template` generates exactly what `new --stack` does, for every
/// built-in template (the secrets in `.env` are random, and `ai-plugin.toml` records where the
/// project came from).
#[test]
fn a_template_from_init_generates_the_same_project_as_its_stack() {
    let tmp = workspace();
    for (stack, auth) in [
        ("rust", "oauth"),
        ("python", "service_http"),
        ("typescript", "user_http"),
    ] {
        let template = child(&tmp, &format!("tpl-{stack}"));
        ai_plugin_in(tmp.path())
            .args(["template", "init", "--from", stack])
            .arg(&template)
            .assert()
            .success();
        let answers = ["--yes", "--name-for-human", "Same Bot", "--auth", auth];
        let from_stack = child(&tmp, &format!("stack-{stack}"));
        new_in(tmp.path())
            .arg(&from_stack)
            .args(answers)
            .args(["--stack", stack])
            .assert()
            .success();
        let from_template = child(&tmp, &format!("template-{stack}"));
        new_in(tmp.path())
            .arg(&from_template)
            .args(answers)
            .arg("--template")
            .arg(&template)
            .assert()
            .success();
        let mut a = tree_bytes(&from_stack);
        let mut b = tree_bytes(&from_template);
        for tree in [&mut a, &mut b] {
            assert!(tree.remove(".env").is_some(), "{stack}");
            let record = String::from_utf8(tree.remove("ai-plugin.toml").unwrap()).unwrap();
            let lines: Vec<&str> = record
                .lines()
                .filter(|l| !l.starts_with("stack = ") && !l.starts_with("template = "))
                .collect();
            tree.insert("ai-plugin.toml".into(), lines.join("\n").into_bytes());
        }
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{stack}"
        );
        for (path, bytes) in &a {
            assert!(bytes == &b[path], "{stack}: {path} differs");
        }
    }
}

#[test]
fn template_check_reports_every_problem_with_file_line_and_column() {
    let tmp = workspace();
    let dir = child(&tmp, "broken");
    write_files(
        &dir,
        &[
            (
                "template.toml",
                "name = \"broken\"\ndescription = \"every kind of problem\"\n\
                 ignore = [\"drafts/**\", \"[x]\"]\n\n\
                 [[variables]]\nname = \"code\"\npattern = \"[A-Z\"\n\n\
                 [[variables]]\nname = \"slug\"\ndefault = \"{{kebab_case nam_for_model}}\"\n\n\
                 [[conditional]]\nif = \"colour == red\"\ninclude = [\"paint/**\"]\n",
            ),
            ("README.md.hbs", "# {{name_for_human}}\n\nBy {{author}}.\n"),
            ("src/main.txt.hbs", "ok\n{{#if has_auth}}\nunclosed\n"),
            ("src/{{slugg}}.txt", "copied as is: {{not checked}}"),
            ("drafts/ignored.hbs", "{{#if"),
            ("_partials/footer.hbs", "{{> header}}"),
        ],
    );
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check", "broken"])
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = [
        "broken/template.toml:3:24: the glob `[x]` uses `[`",
        "broken/template.toml:7:11: `code`: the pattern is not a valid regex",
        "broken/template.toml:11:11: in the default of `slug`: unknown variable `nam_for_model`",
        "broken/template.toml:14:6: unknown value `colour` in the condition",
        "broken/README.md.hbs:3:4: unknown variable `author`",
        "broken/_partials/footer.hbs:1:1: unknown partial `header`",
        "broken/src/main.txt.hbs:2:1: `{{#if}}` opened here is never closed; add `{{/if}}`",
        "broken/src/{{slugg}}.txt: in the file name: unknown variable `slugg`",
    ];
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, start) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line}\n  should start with\n{start}"
        );
    }
    assert!(
        stderr_of(&assert).contains("8 problems in the template `broken`"),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn template_check_shows_a_toml_syntax_error_at_its_line_and_column() {
    let tmp = workspace();
    write_files(
        tmp.path(),
        &[(
            "t/template.toml",
            "name = \"t\"\ndescription = \"d\"\n[[variables]]\nname = \"x\"\nrequired = \"yes\"\n",
        )],
    );
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check", "t"])
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    assert!(
        stdout.starts_with("t/template.toml:5:12: invalid type"),
        "{stdout}"
    );
}

#[test]
fn template_check_of_something_that_is_not_a_template_exits_2() {
    let tmp = workspace();
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check", "missing"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("cannot read the template `missing`"));
    write_files(tmp.path(), &[("plain/readme.txt", "no template.toml")]);
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check", "plain"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("there is no template.toml in it"),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn the_fixture_template_checks_clean() {
    let tmp = workspace();
    let assert = ai_plugin_in(tmp.path())
        .args(["template", "check"])
        .arg(template_fixture("course"))
        .assert()
        .success();
    assert!(
        stdout_of(&assert).contains(
            "the template `course` is fine (10 files, 1 partial, 5 variables; 2 ignored)"
        ),
        "{}",
        stdout_of(&assert)
    );
}
