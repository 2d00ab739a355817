//! End to end, beyond the conformance scenario: answers full of characters that break naive
//! escaping build, test and serve exactly, and generated Rust code is rustfmt-clean.

mod support;

use serde_json::Value;
use support::{Client, Server, cargo, free_port, generate, shared_target};

/// A user's first `cargo fmt` changes nothing, whatever the auth type or name length.
#[test]
fn generated_rust_code_is_rustfmt_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        for name in ["x", "AVeryLongCamelCaseNameThatBecomesALongKebabCrateNa"] {
            let project = tmp.path().join(format!("{auth}-{}", name.len()));
            generate(&project, &["--auth", auth, "--name-for-model", name]);
            cargo(&project, &["fmt", "--check"]);
        }
    }
}

/// Text with everything that breaks naive JSON, YAML, TOML, Rust, HTML or handlebars output.
const NASTY_NAME: &str = "Q\"x\\ {{y}} #: 🎉<b>";
const NASTY_DESCRIPTION_FOR_HUMAN: &str =
    "- dash: \"quoted\" 'single' \\n {{{raw}}} & <tag>\nsecond line # not a comment";
const NASTY_DESCRIPTION_FOR_MODEL: &str = "Plugin for testing: \"quotes\", \\backslashes\\, {{handlebars}}, \
    YAML specials - [a] {b}: #c, &anchor *alias !tag |block >fold %directive @ `tick`,\n\
    emoji 🎉🚀, a tab\tand a line separator\u{2028}and yes/no/null/0x1F.";

#[test]
fn nasty_answers_build_and_serve_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("nasty");
    generate(
        &project,
        &[
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
    cargo(&project, &["test", "--quiet"]);
    cargo(&project, &["build", "--quiet"]);
    let port = free_port();
    let binary = format!("{}/debug/nasty-strings", shared_target().display());
    let server = Server::start(&project, &binary, port, &tmp.path().join("todos.json"));
    let client = Client::new(&server.base, None);

    let manifest = client.get("/.well-known/ai-plugin.json").json();
    assert_eq!(manifest["name_for_human"], NASTY_NAME);
    assert_eq!(
        manifest["description_for_human"],
        NASTY_DESCRIPTION_FOR_HUMAN
    );
    assert_eq!(
        manifest["description_for_model"],
        NASTY_DESCRIPTION_FOR_MODEL
    );
    assert_eq!(
        manifest["legal_info_url"],
        "https://example.com/legal?a=1&b=%22#top"
    );
    let spec: Value = serde_saphyr::from_str(&client.get("/openapi.yaml").text()).unwrap();
    assert_eq!(spec["info"]["title"], NASTY_NAME);
    assert_eq!(spec["info"]["description"], NASTY_DESCRIPTION_FOR_HUMAN);
    let legal = client.get("/legal").text();
    assert!(
        legal.contains("<h1>Q&quot;x\\ {{y}} #: 🎉&lt;b&gt;</h1>"),
        "{legal}"
    );
}
