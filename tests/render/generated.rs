//! What `new` generates, checked in memory: snapshots of the tree (its path list and each file)
//! for every stack and auth type, and properties that must hold for any answer the validators
//! accept.

use crate::snapshot_tree;

use ai_plugin::answers::{Answers, AnswersFile};
use ai_plugin::choices::{AuthType, Stack};
use ai_plugin::diagnostic::Severity;
use ai_plugin::manifest::{MANIFEST_PATH, PluginManifest};
use ai_plugin::project::{self, ANSWERS_RECORD, Secrets};
use ai_plugin::render::FileMode;
use ai_plugin::rules;
use ai_plugin::template;
use proptest::prelude::*;
use serde_json::Value;

#[test]
fn generated_trees_match_their_snapshots() {
    for stack in Stack::ALL {
        for auth in AuthType::ALL
            .into_iter()
            .filter(|&a| template::supports(stack, a))
        {
            let plan = project::plan(
                &Answers::example(Some(stack), auth),
                &Secrets::placeholder(),
            )
            .unwrap();
            for (name, contents) in snapshot_tree::snapshots(&plan) {
                insta::assert_snapshot!(format!("{stack}_{auth}{name}"), contents);
            }
        }
    }
}

#[test]
fn only_the_env_file_holds_the_secrets() {
    let secrets = Secrets::generate().unwrap();
    for stack in Stack::ALL {
        for auth in AuthType::ALL
            .into_iter()
            .filter(|&a| template::supports(stack, a))
        {
            let plan = project::plan(&Answers::example(Some(stack), auth), &secrets).unwrap();
            // Every secret of every auth type, by the part that must stay secret.
            for entry in secrets.entries() {
                for file in &plan.files {
                    let text = String::from_utf8_lossy(&file.contents);
                    let holds = text.contains(entry.secret_part());
                    if file.path == std::path::Path::new(".env") {
                        assert_eq!(file.mode, FileMode::Private);
                        assert_eq!(
                            holds,
                            entry.auth.contains(&auth),
                            "{stack} {auth}: .env and {}",
                            entry.variable
                        );
                    } else {
                        assert!(
                            !holds,
                            "{stack} {auth}: {} holds {}",
                            file.path.display(),
                            entry.variable
                        );
                    }
                }
            }
            let gitignore = plan.text(".gitignore").unwrap();
            assert!(gitignore.lines().any(|l| l == ".env"), "{gitignore}");
        }
    }
}

#[test]
fn the_readme_starts_with_exactly_two_commands() {
    for stack in Stack::ALL {
        for auth in AuthType::ALL
            .into_iter()
            .filter(|&a| template::supports(stack, a))
        {
            let plan = project::plan(
                &Answers::example(Some(stack), auth),
                &Secrets::placeholder(),
            )
            .unwrap();
            let readme = plan.text("README.md").unwrap();
            let block = readme.split("```").nth(1).unwrap();
            let commands: Vec<&str> = block
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert_eq!(commands.len(), 2, "{stack} {auth}: {commands:?}");
        }
    }
}

/// The spec of every generated project follows the rules real consumers need (see the
/// reference, section 8).
#[test]
fn generated_specs_are_what_real_consumers_need() {
    for auth in AuthType::ALL {
        let plan = project::plan(
            &Answers::example(Some(Stack::Rust), auth),
            &Secrets::placeholder(),
        )
        .unwrap();
        let spec: Value = serde_saphyr::from_str(plan.text("openapi.yaml").unwrap()).unwrap();
        assert_eq!(spec["openapi"], "3.0.1");
        assert_eq!(spec["servers"][0]["url"], "http://localhost:5003");
        match auth {
            AuthType::None => assert_eq!(spec["security"], serde_json::json!([])),
            AuthType::Oauth => {
                assert_eq!(spec["security"], serde_json::json!([{"oauth2": ["todos"]}]));
                assert_eq!(
                    spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"],
                    serde_json::json!({
                        "authorizationUrl": "http://localhost:5003/oauth/authorize",
                        "tokenUrl": "http://localhost:5003/oauth/token",
                        "scopes": {"todos": "Read and change your TODO list."}
                    })
                );
            }
            AuthType::ServiceHttp | AuthType::UserHttp => {
                assert_eq!(spec["security"], serde_json::json!([{"bearerAuth": []}]));
                assert_eq!(
                    spec["components"]["securitySchemes"]["bearerAuth"],
                    serde_json::json!({"type": "http", "scheme": "bearer"})
                );
            }
        }
        let mut operation_ids = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            assert!(
                item.get("parameters").is_none(),
                "{path}: parameters on the path item"
            );
            let placeholders: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            if auth.identifies_user() {
                assert!(!placeholders.contains(&"username"), "{path}");
            }
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap().to_owned();
                let text = operation["summary"].as_str().unwrap();
                assert!(rules::char_count(text) <= 200, "{id}: summary over 200");
                let declared: Vec<&str> = operation["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                    .unwrap_or_default();
                assert_eq!(declared, placeholders, "{method} {path}: path parameters");
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    assert_eq!(parameter["required"], true);
                    let description = parameter["description"].as_str().unwrap();
                    assert!(rules::char_count(description) <= 200);
                }
                let consequential = operation.get("x-openai-isConsequential");
                if method == "get" {
                    assert_eq!(consequential, None, "{id}");
                } else {
                    assert_eq!(consequential, Some(&Value::Bool(true)), "{id}");
                }
                let responses = operation["responses"].as_object().unwrap();
                assert_eq!(
                    responses.contains_key("401"),
                    auth != AuthType::None,
                    "{id}"
                );
                for (status, response) in responses {
                    if status != "204" {
                        assert!(
                            response["content"]["application/json"]["schema"].is_object(),
                            "{id} {status}: no JSON schema"
                        );
                    }
                }
                operation_ids.push(id);
            }
        }
        operation_ids.sort();
        assert_eq!(operation_ids, ["addTodo", "deleteTodo", "listTodos"]);
        for schema in spec["components"]["schemas"].as_object().unwrap().values() {
            assert!(
                schema["required"].is_array(),
                "`required` is an array: {schema}"
            );
        }
    }
}

/// Any text the validators accept for a one-line field.
fn one_line(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        any::<char>().prop_filter("no control", |c| !c.is_control()),
        1..=max,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>())
    .prop_filter("not blank", |s| !s.trim().is_empty())
}

/// Any text the validators accept for a description: line breaks and tabs allowed.
fn text(max: usize) -> impl Strategy<Value = String> {
    let char = prop_oneof![
        8 => any::<char>().prop_filter("no control", |c| !c.is_control()),
        1 => prop::sample::select(vec!['\n', '\t', '"', '\\', '{', '}', ':', '#', '-', '\'', '&']),
    ];
    prop::collection::vec(char, 1..=max)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_valid_text_yields_a_manifest_and_spec_that_read_back_the_same(
        name_for_human in one_line(rules::NAME_FOR_HUMAN_MAX),
        description_for_human in text(rules::DESCRIPTION_FOR_HUMAN_MAX),
        description_for_model in text(300),
        auth in prop::sample::select(AuthType::ALL.to_vec()),
    ) {
        let mut answers = Answers::example(Some(Stack::Rust), auth);
        answers.name_for_human = name_for_human;
        answers.description_for_human = description_for_human;
        answers.description_for_model = description_for_model;
        prop_assert!(rules::name_for_human(&answers.name_for_human).is_ok());
        prop_assert!(rules::description_for_human(&answers.description_for_human).is_ok());

        let plan = project::plan(&answers, &Secrets::placeholder()).unwrap();

        let manifest: PluginManifest = serde_json::from_str(plan.text(MANIFEST_PATH).unwrap()).unwrap();
        prop_assert_eq!(&manifest.name_for_human, &answers.name_for_human);
        prop_assert_eq!(&manifest.description_for_human, &answers.description_for_human);
        prop_assert_eq!(&manifest.description_for_model, &answers.description_for_model);
        // Warnings (e.g. that only auth `none` works on localhost) are expected; errors are not.
        let errors: Vec<_> = manifest
            .validate()
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        prop_assert!(errors.is_empty(), "{errors:?}");

        let spec: Value = serde_saphyr::from_str(plan.text("openapi.yaml").unwrap())
            .map_err(|e| TestCaseError::fail(format!("openapi.yaml does not parse: {e}")))?;
        prop_assert_eq!(spec["info"]["title"].as_str(), Some(answers.name_for_human.as_str()));
        prop_assert_eq!(spec["info"]["description"].as_str(), Some(answers.description_for_human.as_str()));

        let cargo: toml::Table = toml::from_str(plan.text("Cargo.toml").unwrap()).unwrap();
        prop_assert_eq!(cargo["package"]["description"].as_str(), Some(answers.description_for_human.as_str()));

        let record: AnswersFile = toml::from_str(plan.text(ANSWERS_RECORD).unwrap()).unwrap();
        prop_assert_eq!(record.name_for_human.as_deref(), Some(answers.name_for_human.as_str()));
        prop_assert_eq!(record.description_for_human.as_deref(), Some(answers.description_for_human.as_str()));
        prop_assert_eq!(record.description_for_model.as_deref(), Some(answers.description_for_model.as_str()));
        prop_assert_eq!(record.auth.as_deref(), Some(answers.auth.as_str()));
    }

    #[test]
    fn any_valid_answer_yields_a_package_json_npm_accepts(
        name_for_model in "[A-Za-z][A-Za-z0-9_]{0,49}",
        description_for_human in text(rules::DESCRIPTION_FOR_HUMAN_MAX),
        auth in prop::sample::select(AuthType::ALL.to_vec()),
    ) {
        prop_assume!(template::supports(Stack::Typescript, auth));
        let mut answers = Answers::example(Some(Stack::Typescript), auth);
        answers.name_for_model = name_for_model;
        answers.description_for_human = description_for_human;
        prop_assert!(rules::name_for_model(&answers.name_for_model).is_ok());

        let plan = project::plan(&answers, &Secrets::placeholder()).unwrap();
        let package: Value = serde_json::from_str(plan.text("package.json").unwrap())
            .map_err(|e| TestCaseError::fail(format!("package.json does not parse: {e}")))?;
        prop_assert_eq!(package["description"].as_str(), Some(answers.description_for_human.as_str()));
        // npm's rules for a new package name: lowercase, URL-safe, no leading `.` or `_`.
        let name = package["name"].as_str().unwrap();
        prop_assert!(name.len() <= 214 && name.starts_with(|c: char| c.is_ascii_lowercase()), "{name}");
        prop_assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
    }
}
