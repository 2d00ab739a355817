//! `ai-plugin new --template DIR`: a template of the user's, with its own variables, given by
//! `--define`, an answers file or defaults; nothing is asked without a terminal.

use std::fs;

use crate::support::{
    child, entries, files_under, manifest, new_in, record, record_str, stderr_of, stdout_of,
    template_fixture, tree_bytes, workspace, write_files,
};

/// The course fixture's files that every project from it has, whatever the answers.
const ALWAYS: [&str; 7] = [
    ".gitignore",
    ".well-known/ai-plugin.json",
    "README.md",
    "ai-plugin.toml",
    "openapi.yaml",
    "static/data.bin",
    "src/course_bot_cs101/__init__.py",
];

#[test]
fn the_fixture_template_renders_with_defines_and_defaults() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    let assert = new_in(tmp.path())
        .arg(&project)
        .arg("--template")
        .arg(template_fixture("course"))
        .args([
            "--yes",
            "--name-for-human",
            "Course Bot",
            "-d",
            "course=CS101",
        ])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains("(template: course, auth: none)"),
        "{stdout}"
    );
    assert!(stdout.contains("python3 -m app    # serves"), "{stdout}");
    let files = files_under(&project);
    for file in ALWAYS
        .into_iter()
        .chain(["Dockerfile", "docker/compose.yaml", "db/schema.sql"])
        .chain(["src/course_bot_cs101/settings.py"])
    {
        assert!(files.contains(&file.to_owned()), "{file}: {files:?}");
    }
    // With the base that `ai-plugin update` merges from (.ai-plugin/base.json).
    assert_eq!(files.len(), 12, "{files:?}");
    // Ignored files, partials and template.toml are never part of a project; .env is not in
    // this template, so there are no secrets.
    for absent in [
        "NOTES.md",
        "drafts",
        "_partials",
        "template.toml",
        ".env",
        "auth",
    ] {
        assert!(!project.join(absent).exists(), "{absent}");
    }
    let binary = fs::read(template_fixture("course").join("static/data.bin")).unwrap();
    assert_eq!(fs::read(project.join("static/data.bin")).unwrap(), binary);
    let readme = fs::read_to_string(project.join("README.md")).unwrap();
    assert!(readme.starts_with("# Course Bot (CS101)\n"), "{readme}");
    assert!(
        readme.contains("CS101 · auth: none · port 5003"),
        "{readme}"
    );
    assert_eq!(manifest(&project)["name_for_model"], "course_bot");
    let record = record(&project);
    assert_eq!(
        record_str(&record, "template"),
        template_fixture("course").to_str().unwrap()
    );
    assert!(record.get("stack").is_none(), "{record:?}");
    let variables = record["variables"].as_table().unwrap();
    assert_eq!(variables["course"].as_str(), Some("CS101"));
    assert_eq!(variables["package"].as_str(), Some("course_bot_cs101"));
    assert_eq!(variables["docker"].as_bool(), Some(true));
    assert_eq!(variables["database"].as_str(), Some("sqlite"));
    assert_eq!(variables["workers"].as_integer(), Some(2));
}

#[test]
fn conditions_include_and_exclude_files() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--template")
        .arg(template_fixture("course"))
        .args([
            "--yes",
            "--name-for-human",
            "Course Bot",
            "--auth",
            "service_http",
        ])
        .args([
            "-d",
            "course=CS101",
            "--define",
            "docker=no",
            "-d",
            "database=none",
        ])
        .assert()
        .success();
    let files = files_under(&project);
    assert!(files.contains(&"auth/tokens.md".to_owned()), "{files:?}");
    for absent in ["Dockerfile", "docker/compose.yaml", "db/schema.sql"] {
        assert!(!files.contains(&absent.to_owned()), "{absent}: {files:?}");
    }
    let settings = fs::read_to_string(project.join("src/course_bot_cs101/settings.py")).unwrap();
    assert!(
        settings.contains("WORKERS = 4\nDOCKER = False\nDATABASE = \"none\""),
        "{settings}"
    );
}

#[test]
fn without_a_terminal_a_missing_required_variable_is_named() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .arg("p")
        .arg("--template")
        .arg(template_fixture("course"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("--name-for-human"), "{stderr}");
    assert!(
        stderr.contains("--define course=VALUE    Course code"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("--stack"),
        "a template decides the stack: {stderr}"
    );
    assert!(
        !stderr.contains("--define package"),
        "a variable that is not required takes its default: {stderr}"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn under_yes_a_required_variable_without_a_default_is_an_error() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--template"])
        .arg(template_fixture("course"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("course is required and the template gives no default"),
        "{}",
        stderr_of(&assert)
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn bad_variable_values_are_all_reported_at_once() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--port", "0", "--template"])
        .arg(template_fixture("course"))
        .args([
            "-d",
            "course=cs 101",
            "-d",
            "docker=perhaps",
            "-d",
            "database=mysql",
        ])
        .args([
            "-d",
            "workers=many",
            "-d",
            "colour=red",
            "-d",
            "package=Bad-Name",
        ])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    for expected in [
        "7 invalid answers:",
        "--port: port must be between 1 and 65535 (got 0)",
        "--define colour: the template declares no variable `colour`; it has: course, package, \
         docker, database, workers",
        "--define course: course: use a course code such as CS101 (got `cs 101`)",
        "--define database: database must be one of: sqlite, postgres, none (got `mysql`)",
        "--define docker: docker must be true or false, yes or no (got `perhaps`)",
        "--define package: package: a Python package name: lowercase letters, digits and _ (got \
         `Bad-Name`)",
        "--define workers: workers must be a whole number (got `many`)",
    ] {
        assert!(stderr.contains(expected), "{expected}\n  not in:\n{stderr}");
    }
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn variables_come_from_the_answers_file_below_defines() {
    let tmp = workspace();
    let answers = child(&tmp, "answers.toml");
    fs::write(
        &answers,
        format!(
            "name_for_human = \"File Course\"\ntemplate = {:?}\n\n[variables]\ncourse = \
             \"PHYS200\"\ndocker = false\nworkers = 9\n",
            template_fixture("course").to_str().unwrap()
        ),
    )
    .unwrap();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .arg("--answers")
        .arg(&answers)
        .args(["--yes", "-d", "workers=3"])
        .assert()
        .success();
    let settings = fs::read_to_string(project.join("src/file_course_phys200/settings.py")).unwrap();
    assert!(settings.contains("COURSE = \"PHYS200\""), "{settings}");
    assert!(
        settings.contains("WORKERS = 3\nDOCKER = False"),
        "{settings}"
    );
}

#[test]
fn the_answers_record_regenerates_the_same_project() {
    let tmp = workspace();
    let first = child(&tmp, "first");
    new_in(tmp.path())
        .arg(&first)
        .arg("--template")
        .arg(template_fixture("course"))
        .args(["--yes", "--auth", "service_http", "-d", "course=BIO110"])
        .args([
            "-d",
            "database=postgres",
            "-d",
            "docker=false",
            "-d",
            "workers=7",
        ])
        .assert()
        .success();
    let second = child(&tmp, "second");
    // No --template, no --define: the record has them.
    new_in(tmp.path())
        .arg(&second)
        .arg("--answers")
        .arg(first.join("ai-plugin.toml"))
        .assert()
        .success();
    assert_eq!(tree_bytes(&first), tree_bytes(&second));
}

#[test]
fn an_auth_type_the_template_does_not_implement_is_refused() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args([
            "p",
            "--yes",
            "--auth",
            "oauth",
            "-d",
            "course=CS101",
            "--template",
        ])
        .arg(template_fixture("course"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains(
            "--auth: the template `course` does not implement auth `oauth`; it implements: \
             none, service_http"
        ),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn template_options_need_a_template_and_exclude_a_stack() {
    let tmp = workspace();
    for (args, says) in [
        (
            &["--stack", "rust", "--template", "x"][..],
            "cannot be used with",
        ),
        (
            &["-d", "a=b"][..],
            "--define applies only with a template of your own",
        ),
        (
            &["--branch", "main"][..],
            "--branch and --subfolder apply only with --template",
        ),
        (
            &["--template", "x", "-d", "novalue"][..],
            "--define takes NAME=VALUE",
        ),
    ] {
        let assert = new_in(tmp.path())
            .args(["p", "--yes"])
            .args(args)
            .assert()
            .code(2);
        assert!(
            stderr_of(&assert).contains(says),
            "{args:?}: {}",
            stderr_of(&assert)
        );
    }
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn a_template_that_cannot_be_read_is_a_usage_error() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--template", "no-such-folder"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("cannot read the template `no-such-folder`"),
        "{}",
        stderr_of(&assert)
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn a_broken_template_is_refused_with_every_problem_and_nothing_is_written() {
    let tmp = workspace();
    write_files(
        tmp.path(),
        &[
            ("t/template.toml", "name = \"t\"\ndescription = \"d\"\n"),
            ("t/a.txt.hbs", "fine\n  {{undeclared}}\n"),
            ("t/b.txt.hbs", "{{#each}}"),
        ],
    );
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--template", "t"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("the template `t` has 2 problems; nothing was written"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  t/a.txt.hbs:2:3: unknown variable `undeclared`"),
        "{stderr}"
    );
    assert!(stderr.contains("  t/b.txt.hbs:1:"), "{stderr}");
    assert_eq!(entries(tmp.path()), ["t"]);
}

/// A template without `openapi.yaml` (its server may build the spec itself): the manifest is
/// still generated and checked, and `new` says the spec is the template's business.
#[test]
fn a_template_without_a_spec_gets_a_manifest_and_a_note() {
    let tmp = workspace();
    write_files(
        tmp.path(),
        &[
            (
                "t/template.toml",
                "name = \"bare\"\ndescription = \"just a README\"\n",
            ),
            ("t/README.md.hbs", "# {{name_for_human}}\n"),
        ],
    );
    let project = child(&tmp, "p");
    let assert = new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--template", "t"])
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains("the template writes no openapi.yaml"),
        "{stdout}"
    );
    assert!(!stdout.contains("Secrets:"), "there is no .env: {stdout}");
    assert!(!stdout.contains("  cargo"), "no run command: {stdout}");
    assert_eq!(
        files_under(&project),
        [
            ".ai-plugin/base.json",
            ".well-known/ai-plugin.json",
            "README.md",
            "ai-plugin.toml"
        ]
    );
}

/// The generated spec is checked like a built-in template's: a broken one fails `new`, as the
/// template's fault, before anything is written.
#[test]
fn a_template_whose_spec_fails_check_is_refused() {
    let tmp = workspace();
    write_files(
        tmp.path(),
        &[
            ("t/template.toml", "name = \"t\"\ndescription = \"d\"\n"),
            (
                "t/openapi.yaml",
                "openapi: 3.0.1\ninfo: {title: x, version: '1'}\n",
            ),
        ],
    );
    let assert = new_in(tmp.path())
        .args(["p", "--yes", "--template", "t"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("a problem in the template `t`"), "{stderr}");
    assert!(stderr.contains("paths"), "{stderr}");
    assert_eq!(entries(tmp.path()), ["t"]);
}

#[test]
fn dry_run_lists_a_custom_templates_files() {
    let tmp = workspace();
    let assert = new_in(tmp.path())
        .args([
            "p",
            "--yes",
            "--dry-run",
            "-d",
            "course=CS101",
            "--template",
        ])
        .arg(template_fixture("course"))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.starts_with("Would write 12 files"), "{stdout}");
    assert!(stdout.contains("static/data.bin"), "{stdout}");
    assert!(entries(tmp.path()).is_empty());
}
