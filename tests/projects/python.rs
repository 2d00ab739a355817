//! The Python stack beyond the conformance scenario: the generated code passes the project's
//! own ruff and mypy (strict) checks, run as its README says, and answers full of characters
//! that break naive escaping are served exactly.

use crate::support;

use std::path::Path;

use support::{Server, free_port, generate, readme_commands, require_toolchain, run_line};

/// The command lines of the README's fenced `sh` blocks after the first (the first is run and
/// test, see `readme_commands`).
fn later_readme_commands(project: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    readme
        .split("```")
        .skip(1)
        .step_by(2)
        .skip(1)
        .flat_map(|block| block.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// The README's lint and type-check line passes for every auth type, and also after the code
/// has been formatted (so `ruff format` changes nothing).
#[test]
fn generated_python_code_is_ruff_clean_and_strictly_typed() {
    require_toolchain("python");
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let project = tmp.path().join(auth);
        generate(
            &project,
            &[
                "--stack",
                "python",
                "--auth",
                auth,
                "--name-for-model",
                "AVeryLongCamelCaseNameThatBecomesALongKebabCrateNa",
            ],
        );
        // The project's own checks; the shared section on MCP clients has commands too (npx,
        // curl), which are not the project's.
        let checks: Vec<String> = later_readme_commands(&project)
            .into_iter()
            .filter(|line| line.starts_with(".venv/"))
            .collect();
        assert_eq!(checks.len(), 1, "one lint line in the README: {checks:?}");
        assert!(
            ["ruff check", "ruff format --check", "mypy"]
                .iter()
                .all(|tool| checks[0].contains(tool)),
            "{checks:?}"
        );
        run_line(&project, "python3 -m venv .venv");
        run_line(&project, &checks[0]);
    }
}

/// Text with everything that breaks naive JSON, YAML, Python, HTML or handlebars output.
const NASTY_NAME: &str = "Q\"x\\ {y} '''#: 🎉<b>";
const NASTY_DESCRIPTION_FOR_HUMAN: &str =
    "- dash: \"\"\"triple\"\"\" 'single' \\n {{{raw}}} %s & <tag>\nsecond line # not a comment";
const NASTY_DESCRIPTION_FOR_MODEL: &str = "Plugin for testing: \"quotes\", \\backslashes\\, \
    {{handlebars}}, {python} f-string braces, YAML specials - [a] {b}: #c, &anchor *alias !tag \
    |block >fold %directive @ `tick`,\nemoji 🎉🚀, a tab\tand a line separator\u{2028}and \
    yes/no/null/0x1F.";

#[test]
fn nasty_answers_are_served_exactly_by_the_python_stack() {
    require_toolchain("python");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("nasty");
    generate(
        &project,
        &[
            "--stack",
            "python",
            "--name-for-human",
            NASTY_NAME,
            "--name-for-model",
            "nasty_strings",
            "--description-for-human",
            NASTY_DESCRIPTION_FOR_HUMAN,
            "--description-for-model",
            NASTY_DESCRIPTION_FOR_MODEL,
            "--legal-info-url",
            "https://example.com/legal?a=1&b=%22#top",
            "--auth",
            "service_http",
        ],
    );
    let commands = readme_commands(&project);
    run_line(&project, &commands[1]);
    let port = free_port();
    let server = Server::start(&project, &commands[0], port, &tmp.path().join("plugin.db"));
    support::assert_serves_answers(
        &server.base,
        &support::ServedAnswers {
            name_for_human: NASTY_NAME,
            description_for_human: NASTY_DESCRIPTION_FOR_HUMAN,
            description_for_model: NASTY_DESCRIPTION_FOR_MODEL,
            legal_info_url: "https://example.com/legal?a=1&b=%22#top",
            legal_heading: "Q&quot;x\\ {y} &#39;&#39;&#39;#: 🎉&lt;b&gt;",
        },
    );
    let output = server.stop();
    assert!(output.contains(NASTY_NAME), "start-up output: {output}");
}
