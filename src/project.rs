//! A whole project in memory: the rendered template, the serialized manifest, the answers
//! record, and a self-check of what came out.
//!
//! The self-check runs `check`'s file rules on the manifest and, when the template generates one,
//! on `openapi.yaml`. A template of the user's may have no `openapi.yaml` (its server may build
//! the spec at run time): then only the manifest is checked, and `new` says so.

use serde::Serialize;

use crate::answers::Answers;
use crate::diagnostic::{Diagnostic, Severity};
use crate::fields::AuthType;
use crate::manifest::{MANIFEST_PATH, PluginManifest};
use crate::render::{self, FileMode, Plan, PlannedFile, RenderError};
use crate::template::{Template, TemplateError};
use crate::variables::{Literal, Values};

/// Where every template puts the OpenAPI spec.
pub const SPEC_PATH: &str = "openapi.yaml";

/// The file a project records its answers in.
pub const ANSWERS_RECORD: &str = "ai-plugin.toml";

/// The secrets written to a project's git-ignored `.env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secrets {
    /// `SERVICE_AUTH_TOKEN`: what the host sends as `Bearer` (service_http).
    pub service_auth_token: String,
    /// `OPENAI_VERIFICATION_TOKEN`: a stand-in until the host gives its own.
    pub openai_verification_token: String,
    /// `USER_TOKENS`: `username:token` pairs (user_http).
    pub user_tokens: String,
    /// `OAUTH_CLIENT_SECRET`: what ChatGPT presents with the client id (oauth).
    pub oauth_client_secret: String,
    /// `OAUTH_USERS`: `username:password` pairs for the demo sign-in page (oauth).
    pub oauth_users: String,
}

impl Secrets {
    /// Fresh random secrets from the operating system.
    pub fn generate() -> Result<Secrets, getrandom::Error> {
        Ok(Secrets {
            service_auth_token: random_token()?,
            openai_verification_token: random_token()?,
            user_tokens: format!("demo:{}", random_token()?),
            oauth_client_secret: random_token()?,
            oauth_users: format!("demo:{}", &random_token()?[..20]),
        })
    }

    /// Recognisable stand-ins, so snapshots do not change from run to run.
    pub fn placeholder() -> Secrets {
        Secrets {
            service_auth_token: "SERVICE-AUTH-TOKEN".into(),
            openai_verification_token: "OPENAI-VERIFICATION-TOKEN".into(),
            user_tokens: "demo:USER-TOKEN".into(),
            oauth_client_secret: "OAUTH-CLIENT-SECRET".into(),
            oauth_users: "demo:DEMO-PASSWORD".into(),
        }
    }
}

/// 32 random bytes as 64 lowercase hex digits.
fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The names of the built-in answers every template sees (the fields of `Context`); a template's
/// variables may not take them.
pub const BUILTIN_NAMES: &[&str] = &[
    "name_for_human",
    "name_for_model",
    "description_for_human",
    "description_for_model",
    "contact_email",
    "legal_info_url",
    "auth",
    "auth_none",
    "auth_service_http",
    "auth_user_http",
    "auth_oauth",
    "uses_verification_token",
    "oauth_client_id",
    "oauth_scope",
    "oauth_scopes",
    "oauth_content_type",
    "has_auth",
    "user_from_token",
    "stack",
    "port",
    "public_url",
    "crate_name",
    "crate_ident",
    "npm_name",
    "run_command",
    "test_command",
    "secrets",
];

/// What every template sees.
#[derive(Debug, Serialize)]
struct Context<'a> {
    name_for_human: &'a str,
    name_for_model: &'a str,
    description_for_human: &'a str,
    description_for_model: &'a str,
    contact_email: &'a str,
    legal_info_url: &'a str,
    auth: &'static str,
    auth_none: bool,
    auth_service_http: bool,
    auth_user_http: bool,
    auth_oauth: bool,
    /// service_http and oauth carry `verification_tokens.openai`.
    uses_verification_token: bool,
    oauth_client_id: &'a str,
    oauth_scope: &'a str,
    oauth_scopes: Vec<&'a str>,
    oauth_content_type: &'static str,
    has_auth: bool,
    user_from_token: bool,
    stack: &'a str,
    port: u16,
    public_url: String,
    crate_name: String,
    crate_ident: String,
    /// The npm package name (typescript stack).
    npm_name: String,
    run_command: &'a str,
    test_command: &'a str,
    secrets: &'a Secrets,
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

/// The default public URL of a project listening on `port`.
pub fn local_url(port: u16) -> String {
    format!("http://localhost:{port}")
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
            template: template.source.as_ref().map(|s| s.describe()),
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

fn answers_record(answers: &Answers, template: &Template, variables: &Values) -> String {
    let mut file = answers.to_file();
    if let Some(source) = &template.source {
        file.stack = None;
        file.template = Some(source.location.clone());
        file.branch.clone_from(&source.branch);
        file.subfolder.clone_from(&source.subfolder);
    }
    file.variables = variables
        .iter()
        .map(|(name, value)| (name.clone(), Literal::from_value(value)))
        .collect();
    let body = toml::to_string(&file).expect("answers always serialize");
    format!(
        "# The answers this project was generated from (no secrets: those are in .env).\n\
         # Regenerate it with: ai-plugin new --answers {ANSWERS_RECORD} --force <DIR>\n\n{body}"
    )
}

/// A Cargo package name from `name_for_model`: kebab-case, and never a name Rust reserves.
fn crate_name(name_for_model: &str) -> String {
    const RESERVED: &[&str] = &[
        "alloc",
        "core",
        "proc-macro",
        "std",
        "test",
        "self",
        "super",
        "crate",
        "async",
        "await",
        "fn",
        "mod",
        "struct",
        "type",
        "use",
        "where",
        "impl",
        "loop",
        "match",
        "move",
        "ref",
        "return",
        "static",
        "trait",
        "true",
        "false",
        "unsafe",
        "while",
        "yield",
        "abstract",
        "as",
        "box",
        "break",
        "const",
        "continue",
        "do",
        "dyn",
        "else",
        "enum",
        "extern",
        "final",
        "for",
        "if",
        "in",
        "let",
        "macro",
        "mut",
        "override",
        "priv",
        "pub",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "build",
    ];
    let name = heck::ToKebabCase::to_kebab_case(name_for_model);
    if RESERVED.contains(&name.as_str()) {
        format!("{name}-plugin")
    } else {
        name
    }
}

/// An npm package name from `name_for_model`: kebab-case (so lowercase, URL-safe, no leading
/// `.` or `_`), and never the name of a Node.js built-in module or of a dependency of the
/// generated project, which npm and Node.js would confuse with it.
fn npm_name(name_for_model: &str) -> String {
    const TAKEN: &[&str] = &[
        "assert",
        "async-hooks",
        "buffer",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics-channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf-hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "sea",
        "sqlite",
        "stream",
        "string-decoder",
        "sys",
        "test",
        "timers",
        "tls",
        "trace-events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker-threads",
        "zlib",
        "hono",
        "typescript",
        "types-node",
        "undici-types",
    ];
    let name = heck::ToKebabCase::to_kebab_case(name_for_model);
    if TAKEN.contains(&name.as_str()) {
        format!("{name}-plugin")
    } else {
        name
    }
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
        let template = Template::builtin(crate::fields::Stack::Rust).unwrap();
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
