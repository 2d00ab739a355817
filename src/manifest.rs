//! The plugin manifest (`/.well-known/ai-plugin.json`) as a typed value. A leaf of the module
//! graph: the manifest `new` writes is built from the answers in [`crate::project`], and its rules
//! live in `check`.
//!
//! `new` serializes this struct instead of templating JSON, so any name or description, with any
//! quotes, backslashes or newlines, yields a manifest that parses back to the same values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The only `schema_version` the host knows.
pub const SCHEMA_VERSION: &str = "v1";

/// Where the manifest lives in a project and on the server.
pub const MANIFEST_PATH: &str = ".well-known/ai-plugin.json";

/// `ai-plugin.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginManifest {
    /// Always `v1`.
    pub schema_version: String,
    /// Shown to people; at most 20 characters.
    pub name_for_human: String,
    /// The model's namespace for the plugin.
    pub name_for_model: String,
    /// Shown to people; at most 100 characters.
    pub description_for_human: String,
    /// What the model reads; at most 8000 characters.
    pub description_for_model: String,
    /// How the host authenticates.
    pub auth: ManifestAuth,
    /// Where the `OpenAPI` spec is.
    pub api: Api,
    /// An absolute URL of a PNG or JPEG logo.
    pub logo_url: String,
    /// Who to contact about the plugin.
    pub contact_email: String,
    /// An absolute URL of the plugin's legal information.
    pub legal_info_url: String,
}

/// The manifest's `auth` object, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ManifestAuth {
    /// No credentials.
    None,
    /// One token for the whole service.
    ServiceHttp {
        /// How the token is sent.
        authorization_type: HttpAuthorizationType,
        /// Tokens the host gave to prove the manifest is the developer's, keyed by host.
        verification_tokens: BTreeMap<String, String>,
    },
    /// One token per user.
    UserHttp {
        /// How the token is sent.
        authorization_type: HttpAuthorizationType,
    },
    /// OAuth 2 authorization code flow.
    Oauth {
        /// Where the user's browser is sent to sign in and consent (the authorization endpoint).
        client_url: String,
        /// The scope requested (space-separated; may be empty).
        scope: String,
        /// Where the host exchanges codes for tokens (the token endpoint).
        authorization_url: String,
        /// How the host sends the token request: `application/json` or
        /// `application/x-www-form-urlencoded`.
        authorization_content_type: String,
        /// Tokens the host gave to prove the manifest is the developer's, keyed by host.
        verification_tokens: BTreeMap<String, String>,
    },
}

/// Where a generated plugin's OAuth authorization endpoint is (the manifest's `client_url`).
pub const OAUTH_AUTHORIZE_PATH: &str = "/oauth/authorize";
/// Where a generated plugin's OAuth token endpoint is (the manifest's `authorization_url`).
pub const OAUTH_TOKEN_PATH: &str = "/oauth/token";

/// How an HTTP credential is sent in `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpAuthorizationType {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64>`.
    Basic,
}

/// The manifest's `api` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Api {
    /// Always `openapi`.
    #[serde(rename = "type")]
    pub kind: String,
    /// An absolute URL of the `OpenAPI` spec.
    pub url: String,
}

impl PluginManifest {
    /// The manifest as the pretty JSON a project serves, with a final newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        json.push('\n');
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Answers;
    use crate::choices::{AuthType, OauthContentType, Stack};

    /// The example answers, with text that needs escaping in JSON and handlebars, and form
    /// token requests for oauth.
    fn answers(auth: AuthType) -> Answers {
        let mut answers = Answers::example(Some(Stack::Rust), auth);
        answers.name_for_human = "Say \"hi\"\\ {{x}}".into();
        answers.description_for_human = "Line one\nline two: # - 🎉".into();
        answers.description_for_model = "Plugin for saying \"hi\".".into();
        if let Some(oauth) = &mut answers.oauth {
            oauth.content_type = OauthContentType::Form;
        }
        answers
    }

    #[test]
    fn a_manifest_round_trips_through_json_with_any_text() {
        for auth in AuthType::ALL {
            let manifest = PluginManifest::from_answers(&answers(auth), "http://localhost:5003");
            let back: PluginManifest = serde_json::from_str(&manifest.to_json()).unwrap();
            assert_eq!(back, manifest);
            // On localhost, only auth `none` is accepted there: a warning, not an error.
            let codes: Vec<&str> = manifest.validate().iter().map(|d| d.code).collect();
            let expected: &[&str] = if auth == AuthType::None {
                &[]
            } else {
                &["manifest-localhost-auth"]
            };
            assert_eq!(codes, expected, "{auth}");
            assert!(manifest.validate().iter().all(|d| !d.is_error()));
        }
    }

    #[test]
    fn auth_serializes_in_the_hosts_shape() {
        let json = |auth| {
            serde_json::to_value(PluginManifest::from_answers(&answers(auth), "http://h").auth)
                .unwrap()
        };
        assert_eq!(json(AuthType::None), serde_json::json!({"type": "none"}));
        assert_eq!(
            json(AuthType::ServiceHttp),
            serde_json::json!({
                "type": "service_http",
                "authorization_type": "bearer",
                "verification_tokens": {"openai": ""}
            })
        );
        assert_eq!(
            json(AuthType::UserHttp),
            serde_json::json!({"type": "user_http", "authorization_type": "bearer"})
        );
        assert_eq!(
            json(AuthType::Oauth),
            serde_json::json!({
                "type": "oauth",
                "client_url": "http://h/oauth/authorize",
                "scope": "todos",
                "authorization_url": "http://h/oauth/token",
                "authorization_content_type": "application/x-www-form-urlencoded",
                "verification_tokens": {"openai": ""}
            })
        );
    }

    #[test]
    fn the_json_starts_with_schema_version_and_has_absolute_urls() {
        let manifest = PluginManifest::from_answers(&answers(AuthType::None), "http://localhost:9");
        let json = manifest.to_json();
        assert!(
            json.starts_with("{\n  \"schema_version\": \"v1\",\n"),
            "{json}"
        );
        assert_eq!(manifest.api.url, "http://localhost:9/openapi.yaml");
        assert_eq!(manifest.logo_url, "http://localhost:9/logo.png");
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let mut manifest =
            PluginManifest::from_answers(&answers(AuthType::None), "http://localhost:5003");
        manifest.schema_version = "v2".into();
        manifest.name_for_human = "x".repeat(21);
        manifest.name_for_model = "has space".into();
        manifest.description_for_human = String::new();
        manifest.description_for_model = "x".repeat(8001);
        manifest.api.kind = "graphql".into();
        manifest.api.url = "/openapi.yaml".into();
        manifest.logo_url = "logo.png".into();
        manifest.legal_info_url = "ftp://x".into();
        manifest.contact_email = "nobody".into();
        let paths: Vec<String> = manifest.validate().into_iter().map(|d| d.path).collect();
        assert_eq!(
            paths,
            [
                "schema_version",
                "name_for_human",
                "name_for_model",
                "description_for_human",
                "description_for_model",
                "api.type",
                "api.url",
                "logo_url",
                "legal_info_url",
                "contact_email"
            ]
        );
    }
}
