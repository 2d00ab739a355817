//! Every answer can be given as a flag, and lands in the generated project.

use crate::support::{
    all_flags, child, manifest, new_in, record, record_str, with_flags, workspace,
};

#[test]
fn every_flag_ends_up_in_the_manifest_and_the_answers_record() {
    let tmp = workspace();
    let project = child(&tmp, "quotes");
    with_flags(new_in(tmp.path()).arg(&project), &all_flags())
        .assert()
        .success();

    let manifest = manifest(&project);
    assert_eq!(manifest["schema_version"], "v1");
    assert_eq!(manifest["name_for_human"], "Quote \"Bot\" \\ 1");
    assert_eq!(manifest["name_for_model"], "quote_bot");
    assert_eq!(
        manifest["description_for_human"],
        "Fetches quotes: \"famous\" ones, with {{braces}} & <tags>."
    );
    assert_eq!(
        manifest["description_for_model"],
        "Plugin for famous quotes.\nCall it when the user asks for a quote; it's safe."
    );
    assert_eq!(manifest["auth"]["type"], "user_http");
    assert_eq!(manifest["contact_email"], "quotes@example.org");
    assert_eq!(
        manifest["legal_info_url"],
        "https://example.org/legal?x=1#terms"
    );
    // The port is where the manifest says the spec and logo are served.
    assert_eq!(manifest["api"]["url"], "http://localhost:8123/openapi.yaml");
    assert_eq!(manifest["logo_url"], "http://localhost:8123/logo.png");

    let record = record(&project);
    assert_eq!(record_str(&record, "name_for_human"), "Quote \"Bot\" \\ 1");
    assert_eq!(record_str(&record, "name_for_model"), "quote_bot");
    assert_eq!(
        record_str(&record, "description_for_human"),
        "Fetches quotes: \"famous\" ones, with {{braces}} & <tags>."
    );
    assert_eq!(
        record_str(&record, "description_for_model"),
        "Plugin for famous quotes.\nCall it when the user asks for a quote; it's safe."
    );
    assert_eq!(record_str(&record, "auth"), "user_http");
    assert_eq!(record_str(&record, "stack"), "rust");
    assert_eq!(record["port"].as_integer(), Some(8123));
    assert_eq!(record_str(&record, "contact_email"), "quotes@example.org");
    assert_eq!(
        record_str(&record, "legal_info_url"),
        "https://example.org/legal?x=1#terms"
    );
    assert!(
        !record.contains_key("directory"),
        "the record must not pin the directory: {record:?}"
    );
}

#[test]
fn each_auth_type_given_by_flag_is_the_manifest_auth_type() {
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let tmp = workspace();
        let project = child(&tmp, "p");
        new_in(tmp.path())
            .arg(&project)
            .args(["--yes", "--auth", auth])
            .assert()
            .success();
        assert_eq!(manifest(&project)["auth"]["type"], auth, "--auth {auth}");
        assert_eq!(record_str(&record(&project), "auth"), auth);
    }
}

#[test]
fn oauth_flags_fill_the_manifest_auth_the_env_and_the_record() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .args([
            "--yes",
            "--port",
            "7000",
            "--oauth-client-id",
            "chatgpt-client",
            "--oauth-scope",
            "todos:read todos:write",
            "--oauth-content-type",
            "form",
        ])
        .assert()
        .success();
    let auth = &manifest(&project)["auth"];
    assert_eq!(auth["type"], "oauth", "OAuth flags imply --auth oauth");
    assert_eq!(auth["client_url"], "http://localhost:7000/oauth/authorize");
    assert_eq!(
        auth["authorization_url"],
        "http://localhost:7000/oauth/token"
    );
    assert_eq!(auth["scope"], "todos:read todos:write");
    assert_eq!(
        auth["authorization_content_type"],
        "application/x-www-form-urlencoded"
    );
    assert!(auth["verification_tokens"]["openai"].is_string());
    let record = record(&project);
    assert_eq!(record_str(&record, "oauth_client_id"), "chatgpt-client");
    assert_eq!(record_str(&record, "oauth_content_type"), "form");
    let env = std::fs::read_to_string(project.join(".env")).unwrap();
    assert!(env.contains("OAUTH_CLIENT_ID=chatgpt-client\n"), "{env}");
    let secret = env
        .lines()
        .find_map(|l| l.strip_prefix("OAUTH_CLIENT_SECRET="))
        .unwrap();
    assert_eq!(secret.len(), 64);
    let example = std::fs::read_to_string(project.join(".env.example")).unwrap();
    for name in [
        "OAUTH_CLIENT_SECRET=\n",
        "OPENAI_VERIFICATION_TOKEN=\n",
        "OAUTH_REDIRECT_URIS=\n",
    ] {
        assert!(example.contains(name), "{name} in {example}");
    }
}

#[test]
fn oauth_flags_with_another_auth_type_are_refused() {
    let tmp = workspace();
    new_in(tmp.path())
        .args(["p", "--yes", "--auth", "none", "--oauth-scope", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--oauth-scope applies only with --auth oauth (auth is none)",
        ));
}

#[test]
fn yes_with_only_a_directory_takes_defaults_derived_from_it() {
    let tmp = workspace();
    new_in(tmp.path())
        .args(["weather-bot", "--yes"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Created \"Weather Bot\""));

    let project = child(&tmp, "weather-bot");
    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "Weather Bot");
    assert_eq!(manifest["name_for_model"], "weather_bot");
    assert_eq!(
        manifest["description_for_human"],
        "Keep a TODO list with Weather Bot: add, list and delete items."
    );
    assert!(
        manifest["description_for_model"]
            .as_str()
            .unwrap()
            .starts_with("Plugin for managing a TODO list."),
        "{manifest}"
    );
    assert_eq!(manifest["auth"]["type"], "none");
    assert_eq!(manifest["contact_email"], "support@example.com");
    assert_eq!(manifest["legal_info_url"], "http://localhost:5003/legal");
    assert_eq!(manifest["api"]["url"], "http://localhost:5003/openapi.yaml");

    let record = record(&project);
    assert_eq!(record_str(&record, "stack"), "rust");
    assert_eq!(record["port"].as_integer(), Some(5003));
}

#[test]
fn yes_without_a_directory_names_it_after_the_given_name() {
    let tmp = workspace();
    new_in(tmp.path())
        .args(["--yes", "--name-for-human", "My Notes"])
        .assert()
        .success();
    let manifest = manifest(&child(&tmp, "my-notes"));
    assert_eq!(manifest["name_for_human"], "My Notes");
    assert_eq!(manifest["name_for_model"], "my_notes");
}

#[test]
fn the_port_5000_warns_about_macos_but_succeeds() {
    let tmp = workspace();
    let project = child(&tmp, "p");
    new_in(tmp.path())
        .arg(&project)
        .args(["--yes", "--port", "5000"])
        .assert()
        .success()
        .stderr(predicates::str::contains("warning:"))
        .stderr(predicates::str::contains("macOS"))
        .stderr(predicates::str::contains("5003 is a safe choice"));
    assert_eq!(
        manifest(&project)["api"]["url"],
        "http://localhost:5000/openapi.yaml"
    );
}

#[test]
fn other_ports_do_not_warn() {
    let tmp = workspace();
    new_in(tmp.path())
        .args(["p", "--yes", "--port", "5001"])
        .assert()
        .success()
        .stderr(predicates::str::is_empty());
}

#[test]
fn yes_into_the_current_directory_names_the_plugin_after_it() {
    let tmp = workspace();
    let project = child(&tmp, "my-plugin");
    std::fs::create_dir(&project).unwrap();
    new_in(&project).args([".", "--yes"]).assert().success();
    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "My Plugin");
    assert_eq!(manifest["name_for_model"], "my_plugin");
    assert_eq!(
        crate::support::entries(tmp.path()),
        ["my-plugin"],
        "no staging folder is left"
    );
}

#[test]
fn names_derived_from_the_human_name_keep_acronyms_and_fold_accents() {
    let tmp = workspace();
    for (human, model, kebab) in [
        ("My API Plugin", "my_api_plugin", "my-api-plugin"),
        ("Café Notes", "cafe_notes", "cafe-notes"),
    ] {
        let project = child(&tmp, kebab);
        new_in(tmp.path())
            .arg(&project)
            .args(["--yes", "--auth", "oauth", "--name-for-human", human])
            .assert()
            .success();
        assert_eq!(manifest(&project)["name_for_model"], model);
        let record = record(&project);
        assert_eq!(record_str(&record, "oauth_client_id"), kebab);
        let cargo = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        assert!(cargo.contains(&format!("name = \"{kebab}\"")), "{cargo}");
    }
}

/// A token may start with `-` (base64url tokens do, one time in 64): `--token -abc` passes it,
/// for `check` and `preview` alike, instead of failing as an unknown flag.
#[test]
fn a_token_may_start_with_a_dash() {
    let tmp = workspace();
    let missing = tmp.path().join("no-such-plugin");
    for command in ["check", "preview"] {
        let output = crate::support::ai_plugin_in(tmp.path())
            .args([command, "--token", "-pE6xxiq"])
            .arg(&missing)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("unexpected argument"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("no-such-plugin"), "{command}: {stderr}");
    }
}
