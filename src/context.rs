//! What every template sees: the built-in values of the template context, their names (which a
//! template's own variables may not take), the secrets among them, and the names of the files
//! every project holds. A leaf of the module graph, so that `template check` can know the names
//! without knowing how answers become values (that is [`crate::project`]'s job).

use std::fmt::Write as _;

use serde::Serialize;

use crate::choices::AuthType;

/// Where every template puts the `OpenAPI` spec.
pub const SPEC_PATH: &str = "openapi.yaml";

/// The file a project records its answers in.
pub const ANSWERS_RECORD: &str = "ai-plugin.toml";

/// The secrets written to a project's git-ignored `.env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secrets {
    /// `SERVICE_AUTH_TOKEN`: what the host sends as `Bearer` (`service_http`).
    pub service_auth_token: String,
    /// `OPENAI_VERIFICATION_TOKEN`: a stand-in until the host gives its own.
    pub openai_verification_token: String,
    /// `USER_TOKENS`: `username:token` pairs (`user_http`).
    pub user_tokens: String,
    /// `OAUTH_CLIENT_SECRET`: what `ChatGPT` presents with the client id (oauth).
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

    /// Every secret, as the `.env` variable that holds it, its value, and the auth types whose
    /// projects hold it. The struct is taken apart whole, so a new secret cannot be left out of
    /// this list (the tests that say "only `.env` holds the secrets" iterate over it).
    pub fn entries(&self) -> [SecretEntry<'_>; 5] {
        let Secrets {
            service_auth_token,
            openai_verification_token,
            user_tokens,
            oauth_client_secret,
            oauth_users,
        } = self;
        [
            SecretEntry {
                variable: "SERVICE_AUTH_TOKEN",
                value: service_auth_token,
                auth: &[AuthType::ServiceHttp],
            },
            SecretEntry {
                variable: "OPENAI_VERIFICATION_TOKEN",
                value: openai_verification_token,
                auth: &[AuthType::ServiceHttp, AuthType::Oauth],
            },
            SecretEntry {
                variable: "USER_TOKENS",
                value: user_tokens,
                auth: &[AuthType::UserHttp],
            },
            SecretEntry {
                variable: "OAUTH_CLIENT_SECRET",
                value: oauth_client_secret,
                auth: &[AuthType::Oauth],
            },
            SecretEntry {
                variable: "OAUTH_USERS",
                value: oauth_users,
                auth: &[AuthType::Oauth],
            },
        ]
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

/// One secret of [`Secrets::entries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretEntry<'a> {
    /// The `.env` variable that holds it.
    pub variable: &'static str,
    /// Its value; for `username:secret` pairs, see [`SecretEntry::secret_part`].
    pub value: &'a str,
    /// The auth types whose projects hold it.
    pub auth: &'static [AuthType],
}

impl SecretEntry<'_> {
    /// The part of the value that must stay secret: the value itself, or for `username:secret`
    /// pairs the part after the `:` (a user name may appear anywhere).
    pub fn secret_part(&self) -> &str {
        self.value
            .split_once(':')
            .map_or(self.value, |(_, secret)| secret)
    }
}

/// 32 random bytes as 64 lowercase hex digits.
fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
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
// The flags are what templates test (`{{#if auth_oauth}}`), not state.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Serialize)]
pub(crate) struct Context<'a> {
    pub(crate) name_for_human: &'a str,
    pub(crate) name_for_model: &'a str,
    pub(crate) description_for_human: &'a str,
    pub(crate) description_for_model: &'a str,
    pub(crate) contact_email: &'a str,
    pub(crate) legal_info_url: &'a str,
    pub(crate) auth: &'static str,
    pub(crate) auth_none: bool,
    pub(crate) auth_service_http: bool,
    pub(crate) auth_user_http: bool,
    pub(crate) auth_oauth: bool,
    /// `service_http` and oauth carry `verification_tokens.openai`.
    pub(crate) uses_verification_token: bool,
    pub(crate) oauth_client_id: &'a str,
    pub(crate) oauth_scope: &'a str,
    pub(crate) oauth_scopes: Vec<&'a str>,
    pub(crate) oauth_content_type: &'static str,
    pub(crate) has_auth: bool,
    pub(crate) user_from_token: bool,
    pub(crate) stack: &'a str,
    pub(crate) port: u16,
    pub(crate) public_url: String,
    pub(crate) crate_name: String,
    pub(crate) crate_ident: String,
    /// The npm package name (typescript stack).
    pub(crate) npm_name: String,
    pub(crate) run_command: &'a str,
    pub(crate) test_command: &'a str,
    pub(crate) secrets: &'a Secrets,
}

/// The default public URL of a project listening on `port`.
pub fn local_url(port: u16) -> String {
    format!("http://localhost:{port}")
}
