//! Templates of the user's, in memory: the fixture template that uses every feature of the
//! format, rendered and compared by snapshot; and every built-in template, written out by
//! `template init` and read back as a template of the user's, generates exactly the project the
//! built-in one does.

use crate::snapshot_tree;

use std::collections::BTreeMap;

use ai_plugin::answers::{Answers, Fill, Given, Source};
use ai_plugin::choices::{AuthType, Stack};
use ai_plugin::cli::TemplateInitArgs;
use ai_plugin::project::{self, ANSWERS_RECORD, Secrets};
use ai_plugin::prompt::ScriptedPrompter;
use ai_plugin::render::Plan;
use ai_plugin::template::{Template, source::TemplateSource};
use ai_plugin::variables;

const FIXTURE: &str = "tests/fixtures/templates/course";

/// The fixture rendered with `auth` and the variables `defines` (defaults for the rest).
fn render_fixture(auth: AuthType, defines: &[(&str, &str)]) -> Plan {
    let template = TemplateSource {
        location: FIXTURE.to_owned(),
        branch: None,
        subfolder: None,
    }
    .load()
    .unwrap();
    let answers = Answers::example(None, auth);
    let given: BTreeMap<String, Given> = defines
        .iter()
        .map(|(name, value)| {
            (
                (*name).to_owned(),
                Given {
                    value: (*value).to_owned(),
                    source: Source::Flag,
                },
            )
        })
        .collect();
    let values = variables::resolve(
        &template.config.variables,
        &given,
        Fill::Defaults,
        &mut ScriptedPrompter::default(),
        &project::answers_context(&template, &answers),
    )
    .unwrap();
    project::plan_template(&template, &answers, &values, &Secrets::placeholder()).unwrap()
}

#[test]
fn the_fixture_template_renders_as_its_snapshot() {
    let defaults = render_fixture(AuthType::None, &[("course", "CS101")]);
    for (name, contents) in snapshot_tree::snapshots(&defaults) {
        insta::assert_snapshot!(format!("course_defaults{name}"), contents);
    }
    let other = render_fixture(
        AuthType::ServiceHttp,
        &[
            ("course", "PHYS200"),
            ("package", "physics"),
            ("docker", "no"),
            ("database", "none"),
        ],
    );
    for (name, contents) in snapshot_tree::snapshots(&other) {
        insta::assert_snapshot!(
            format!("course_service_http_no_docker_no_database{name}"),
            contents
        );
    }
}

#[test]
fn binary_files_are_copied_byte_for_byte() {
    let plan = render_fixture(AuthType::None, &[("course", "CS101")]);
    let original = std::fs::read(format!("{FIXTURE}/static/data.bin")).unwrap();
    assert_eq!(plan.get("static/data.bin").unwrap().contents, original);
    assert!(original.contains(&0) && original.windows(2).any(|w| w == b"{{"));
}

/// The record with the line naming where the project came from left out.
fn record_without_origin(plan: &Plan) -> String {
    plan.text(ANSWERS_RECORD)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("stack = ") && !l.starts_with("template = "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_builtin_template_written_out_by_init_generates_the_same_projects() {
    let tmp = tempfile::tempdir().unwrap();
    for stack in Stack::ALL {
        let dir = tmp.path().join(stack.as_str());
        ai_plugin::cmd::template::init(TemplateInitArgs {
            dir: dir.clone(),
            from: stack.to_string(),
        })
        .unwrap();
        let copy = TemplateSource {
            location: dir.to_str().unwrap().to_owned(),
            branch: None,
            subfolder: None,
        }
        .load()
        .unwrap();
        let builtin = Template::builtin(stack).unwrap();
        assert_eq!(copy.config.auth, builtin.config.auth, "{stack}");
        for auth in copy.config.auth_types() {
            let from_builtin = Answers::example(Some(stack), auth);
            let from_copy = Answers::example(None, auth);
            let expected = project::plan(&from_builtin, &Secrets::placeholder()).unwrap();
            let got = project::plan_template(
                &copy,
                &from_copy,
                &variables::Values::new(),
                &Secrets::placeholder(),
            )
            .unwrap();
            assert_eq!(
                record_without_origin(&expected),
                record_without_origin(&got),
                "{stack} {auth}"
            );
            let without_record = |plan: &Plan| {
                plan.files
                    .iter()
                    .filter(|f| f.path != std::path::Path::new(ANSWERS_RECORD))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert!(
                without_record(&expected) == without_record(&got),
                "{stack} {auth}: the trees differ"
            );
        }
    }
}
