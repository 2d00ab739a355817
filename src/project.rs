//! A whole project in memory: the rendered template, the serialized manifest, the answers
//! record, and a self-check of what came out.
//!
//! The self-check runs `check`'s file rules on the manifest and, when the template generates one,
//! on `openapi.yaml`. A template of the user's may have no `openapi.yaml` (its server may build
//! the spec at run time): then only the manifest is checked, and `new` says so.

use crate::answers::Answers;
use crate::choices::{AuthType, OauthContentType, Stack};
use crate::context::Context;
pub use crate::context::{ANSWERS_RECORD, BUILTIN_NAMES, SPEC_PATH, Secrets, local_url};
use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::{
    Api, HttpAuthorizationType, MANIFEST_PATH, ManifestAuth, OAUTH_AUTHORIZE_PATH,
    OAUTH_TOKEN_PATH, PluginManifest, SCHEMA_VERSION,
};
use crate::names::{crate_name, npm_name};
use crate::render::{self, FileMode, Plan, PlannedFile, RenderError};
use crate::template::types::{Template, TemplateError};
use crate::variables::{Literal, Values};
use std::collections::BTreeMap;

/// The manifest of a generated project, built from its answers, and its rules (the ones
/// `ai-plugin check` runs): here rather than in [`crate::manifest`], which stays a leaf.
impl PluginManifest {
    /// The manifest a project generated from `answers` serves at `public_url`.
    ///
    /// The verification token is left empty: the server fills it from the environment.
    pub fn from_answers(answers: &Answers, public_url: &str) -> PluginManifest {
        let auth = match answers.auth {
            AuthType::None => ManifestAuth::None,
            AuthType::ServiceHttp => ManifestAuth::ServiceHttp {
                authorization_type: HttpAuthorizationType::Bearer,
                verification_tokens: BTreeMap::from([("openai".to_owned(), String::new())]),
            },
            AuthType::UserHttp => ManifestAuth::UserHttp {
                authorization_type: HttpAuthorizationType::Bearer,
            },
            AuthType::Oauth => {
                let oauth = answers
                    .oauth
                    .as_ref()
                    .expect("an oauth plugin has oauth answers");
                ManifestAuth::Oauth {
                    client_url: format!("{public_url}{OAUTH_AUTHORIZE_PATH}"),
                    scope: oauth.scope.clone(),
                    authorization_url: format!("{public_url}{OAUTH_TOKEN_PATH}"),
                    authorization_content_type: oauth.content_type.media_type().to_owned(),
                    verification_tokens: BTreeMap::from([("openai".to_owned(), String::new())]),
                }
            }
        };
        PluginManifest {
            schema_version: SCHEMA_VERSION.to_owned(),
            name_for_human: answers.name_for_human.clone(),
            name_for_model: answers.name_for_model.clone(),
            description_for_human: answers.description_for_human.clone(),
            description_for_model: answers.description_for_model.clone(),
            auth,
            api: Api {
                kind: "openapi".to_owned(),
                url: format!("{public_url}/openapi.yaml"),
            },
            logo_url: format!("{public_url}/logo.png"),
            contact_email: answers.contact_email.clone(),
            legal_info_url: answers.legal_info_url.clone(),
        }
    }

    /// Every rule this manifest breaks, judged as a project folder's manifest: the same rules
    /// `ai-plugin check` runs ([`crate::check::manifest_rules`]). On localhost, an auth type
    /// other than `none` is a warning (the project is meant to be served on a domain).
    pub fn validate(&self) -> Vec<Diagnostic> {
        let value = serde_json::to_value(self).expect("a manifest always serializes");
        crate::check::manifest_rules::check(
            &value,
            &crate::check::manifest_rules::ManifestScope::file(),
        )
    }
}

/// Why a project could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The built-in template is broken.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A file failed to render.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The generated manifest or spec fails `ai-plugin check`: a bug in a template.
    #[error("the generated manifest or spec fails `ai-plugin check` ({}):\n{}",
        .template.as_ref().map_or_else(
            || "a bug in ai-plugin's template, please report it".to_owned(),
            |t| format!("a problem in the template `{t}`; nothing was written")),
        .findings.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
    SelfCheck {
        /// The template of the user's that generated them; `None` for a built-in one.
        template: Option<String>,
        /// The errors.
        findings: Vec<Diagnostic>,
    },
}

/// Renders the whole project for `answers` with its built-in stack, and checks what it
/// generated.
pub fn plan(answers: &Answers, secrets: &Secrets) -> Result<Plan, ProjectError> {
    let stack = answers
        .stack
        .ok_or_else(|| TemplateError::Missing("(no stack chosen)".to_owned()))?;
    plan_template(&Template::builtin(stack)?, answers, &Values::new(), secrets)
}

/// The built-in answers as the template sees them.
fn context<'a>(template: &'a Template, answers: &'a Answers, secrets: &'a Secrets) -> Context<'a> {
    Context {
        name_for_human: &answers.name_for_human,
        name_for_model: &answers.name_for_model,
        description_for_human: &answers.description_for_human,
        description_for_model: &answers.description_for_model,
        contact_email: &answers.contact_email,
        legal_info_url: &answers.legal_info_url,
        auth: answers.auth.as_str(),
        auth_none: answers.auth == AuthType::None,
        auth_service_http: answers.auth == AuthType::ServiceHttp,
        auth_user_http: answers.auth == AuthType::UserHttp,
        auth_oauth: answers.auth == AuthType::Oauth,
        uses_verification_token: matches!(answers.auth, AuthType::ServiceHttp | AuthType::Oauth),
        oauth_client_id: answers.oauth.as_ref().map_or("", |o| o.client_id.as_str()),
        oauth_scope: answers.oauth.as_ref().map_or("", |o| o.scope.as_str()),
        oauth_scopes: answers
            .oauth
            .as_ref()
            .map(|o| o.scope.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default(),
        oauth_content_type: answers
            .oauth
            .as_ref()
            .map_or("", |o| o.content_type.media_type()),
        has_auth: answers.auth != AuthType::None,
        user_from_token: answers.auth.identifies_user(),
        stack: &template.config.name,
        port: answers.port,
        public_url: local_url(answers.port),
        crate_name: crate_name(&answers.name_for_model),
        crate_ident: crate_name(&answers.name_for_model).replace('-', "_"),
        npm_name: npm_name(&answers.name_for_model),
        run_command: &template.config.run,
        test_command: &template.config.test,
        secrets,
    }
}

/// The built-in answers without the secrets: what a variable's default may use.
pub fn answers_context(template: &Template, answers: &Answers) -> serde_json::Value {
    let placeholder = Secrets::placeholder();
    let mut value = serde_json::to_value(context(template, answers, &placeholder))
        .expect("the context always serializes");
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("secrets");
    }
    value
}

/// Renders the whole project for `answers` and the template's `variables` with `template`, and
/// checks what it generated.
pub fn plan_template(
    template: &Template,
    answers: &Answers,
    variables: &Values,
    secrets: &Secrets,
) -> Result<Plan, ProjectError> {
    let public_url = local_url(answers.port);
    let mut values = serde_json::to_value(context(template, answers, secrets))
        .expect("the context always serializes");
    if let serde_json::Value::Object(map) = &mut values {
        for (name, value) in variables {
            map.insert(name.clone(), value.clone());
        }
    }
    let mut plan = render::render_value(template, values)?;

    let manifest = PluginManifest::from_answers(answers, &public_url).to_json();
    // The file rules of `ai-plugin check` on what was generated: an error is a template bug.
    // Warnings are expected: on localhost, auth other than `none` draws one.
    let spec = plan
        .get(SPEC_PATH)
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned());
    let errors: Vec<Diagnostic> = crate::check::check_plan_files(&manifest, spec.as_deref())
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(ProjectError::SelfCheck {
            template: template
                .source
                .as_ref()
                .map(super::template::source::TemplateSource::describe),
            findings: errors,
        });
    }
    plan.insert(PlannedFile {
        path: MANIFEST_PATH.into(),
        contents: manifest.into_bytes(),
        mode: FileMode::Normal,
    });
    plan.insert(PlannedFile {
        path: ANSWERS_RECORD.into(),
        contents: answers_record(answers, template, variables).into_bytes(),
        mode: FileMode::Normal,
    });
    Ok(plan)
}

/// `ai-plugin.toml`: the valid answers a project was generated from, with the keys of an answers
/// file, which `--answers` reads back ([`crate::answers_file::AnswersFile`]).
#[derive(serde::Serialize)]
struct AnswersRecord<'a> {
    name_for_human: &'a str,
    name_for_model: &'a str,
    description_for_human: &'a str,
    description_for_model: &'a str,
    auth: AuthType,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_content_type: Option<OauthContentType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stack: Option<Stack>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subfolder: Option<&'a str>,
    port: u16,
    contact_email: &'a str,
    legal_info_url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<&'a str, Literal>,
}

/// The text of `ai-plugin.toml` for `answers` generated with `template`.
pub fn answers_record(answers: &Answers, template: &Template, variables: &Values) -> String {
    let source = template.source.as_ref();
    let oauth = answers.oauth.as_ref();
    let record = AnswersRecord {
        name_for_human: &answers.name_for_human,
        name_for_model: &answers.name_for_model,
        description_for_human: &answers.description_for_human,
        description_for_model: &answers.description_for_model,
        auth: answers.auth,
        oauth_client_id: oauth.map(|o| o.client_id.as_str()),
        oauth_scope: oauth.map(|o| o.scope.as_str()),
        oauth_content_type: oauth.map(|o| o.content_type),
        stack: answers.stack.filter(|_| source.is_none()),
        template: source.map(|s| s.location.as_str()),
        branch: source.and_then(|s| s.branch.as_deref()),
        subfolder: source.and_then(|s| s.subfolder.as_deref()),
        port: answers.port,
        contact_email: &answers.contact_email,
        legal_info_url: &answers.legal_info_url,
        variables: variables
            .iter()
            .map(|(name, value)| (name.as_str(), Literal::from_value(value)))
            .collect(),
    };
    let body = toml::to_string(&record).expect("answers always serialize");
    format!(
        "# The answers this project was generated from (no secrets: those are in .env).\n\
         # Change an answer, or bring a newer ai-plugin, keeping your edits: ai-plugin update \
         --set KEY=VALUE\n\n{body}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_names_are_lowercase_kebab_and_never_taken() {
        assert_eq!(npm_name("todo_plugin"), "todo-plugin");
        assert_eq!(npm_name("TodoList"), "todo-list");
        assert_eq!(npm_name("HTTP"), "http-plugin");
        assert_eq!(npm_name("hono"), "hono-plugin");
        assert_eq!(npm_name("node_modules"), "node-modules");
        assert_eq!(npm_name("String_Decoder"), "string-decoder-plugin");
        let long = npm_name(&format!("A{}", "b_C9".repeat(12)));
        assert!(long.len() <= 214, "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{long}"
        );
    }

    #[test]
    fn crate_names_are_kebab_and_never_reserved() {
        assert_eq!(crate_name("todo_plugin"), "todo-plugin");
        assert_eq!(crate_name("TodoList"), "todo-list");
        assert_eq!(crate_name("test"), "test-plugin");
        assert_eq!(crate_name("fn"), "fn-plugin");
    }

    #[test]
    fn the_builtin_names_are_the_context_fields() {
        let answers = crate::answers::resolve(
            &crate::answers::PartialAnswers::default(),
            crate::answers::Fill::Defaults,
            &mut crate::prompt::ScriptedPrompter::default(),
            &|_| Ok(()),
        )
        .unwrap();
        let template = Template::builtin(crate::choices::Stack::Rust).unwrap();
        let secrets = Secrets::placeholder();
        let value = serde_json::to_value(context(&template, &answers, &secrets)).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BUILTIN_NAMES);
        let without = answers_context(&template, &answers);
        assert!(without.get("secrets").is_none());
        assert_eq!(without["crate_name"], "todo-plugin");
    }

    fn default_answers(given: &[(crate::question::Field, &str)]) -> Answers {
        let mut partial = crate::answers::PartialAnswers::default();
        for (field, value) in given {
            partial.give(*field, *value, crate::answers::Source::Flag);
        }
        crate::answers::resolve(
            &partial,
            crate::answers::Fill::Defaults,
            &mut crate::prompt::ScriptedPrompter::default(),
            &|_| Ok(()),
        )
        .unwrap()
    }

    #[test]
    fn the_answers_record_reads_back_as_the_same_answers() {
        use crate::question::Field;
        for given in [
            &[][..],
            &[(Field::Auth, "oauth"), (Field::OauthScope, "a b")][..],
            &[(Field::Stack, "python"), (Field::Port, "8080")][..],
        ] {
            let answers = default_answers(given);
            let template = Template::builtin(answers.stack.unwrap()).unwrap();
            let record = answers_record(&answers, &template, &Values::new());
            assert_eq!(
                record.contains("oauth"),
                answers.auth == AuthType::Oauth,
                "{record}"
            );
            let file: crate::answers::AnswersFile = toml::from_str(&record).unwrap();
            let mut partial = crate::answers::PartialAnswers::default();
            partial.give(
                Field::Directory,
                answers.directory.to_string_lossy(),
                crate::answers::Source::Flag,
            );
            partial.merge_file(&file, std::path::Path::new(ANSWERS_RECORD));
            let back = crate::answers::resolve(
                &partial,
                crate::answers::Fill::Nothing,
                &mut crate::prompt::ScriptedPrompter::default(),
                &|_| Ok(()),
            )
            .unwrap();
            assert_eq!(back, answers, "{record}");
        }
    }

    #[test]
    fn generated_secrets_are_random_hex() {
        let a = Secrets::generate().unwrap();
        let b = Secrets::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.service_auth_token.len(), 64);
        assert!(a.service_auth_token.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(a.user_tokens.starts_with("demo:"));
    }
}
