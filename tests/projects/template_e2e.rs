//! A template of the user's that works: `template init` writes a copy of the Rust template, an
//! instructor edits it (a variable of their own), `new --template` generates a project from it,
//! and that project builds and passes its own tests (in the shared target directory, so the
//! dependencies the other end-to-end tests built are reused).

use crate::support;

use std::fs;
use std::process::{Command, Stdio};

use support::{cargo, generate};

#[test]
fn a_project_from_an_initialized_template_builds_and_passes_its_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("course-template");
    let output = Command::new(env!("CARGO_BIN_EXE_ai-plugin"))
        .args(["template", "init", "--from", "rust"])
        .arg(&template)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The edit an instructor makes: uncomment the example variable and use it.
    let config_path = template.join("template.toml");
    let config = fs::read_to_string(&config_path).unwrap();
    let start = config.find("# [[variables]]").unwrap();
    let config = format!("{}{}", &config[..start], config[start..].replace("# ", ""));
    fs::write(&config_path, config).unwrap();
    let readme_path = template.join("README.md.hbs");
    let readme = fs::read_to_string(&readme_path).unwrap();
    fs::write(
        &readme_path,
        format!("{readme}\nThe starting point of course {{{{course}}}}.\n"),
    )
    .unwrap();

    let project = tmp.path().join("project");
    generate(
        &project,
        &[
            "--template",
            template.to_str().unwrap(),
            "--name-for-model",
            "course_template_e2e",
            "--auth",
            "service_http",
            "-d",
            "course=MA101",
        ],
    );
    let readme = fs::read_to_string(project.join("README.md")).unwrap();
    assert!(
        readme.contains("The starting point of course MA101."),
        "{readme}"
    );
    cargo(&project, &["test", "--quiet"]);
}
