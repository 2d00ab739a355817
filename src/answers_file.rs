//! The answers file as written (`--answers FILE.toml`, and the `ai-plugin.toml` a project
//! records): raw text values, not yet checked; [`crate::answers`] checks them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::variables::Literal;

/// An answers file (`--answers FILE.toml`), and the `ai-plugin.toml` a project records.
/// Keys are the flag names in `snake_case`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    /// Where the project is written (ignored in `ai-plugin.toml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// `name_for_human`.
    pub name_for_human: Option<String>,
    /// `name_for_model`.
    pub name_for_model: Option<String>,
    /// `description_for_human`.
    pub description_for_human: Option<String>,
    /// `description_for_model`.
    pub description_for_model: Option<String>,
    /// `auth.type`.
    pub auth: Option<String>,
    /// The OAuth client id (oauth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    /// The OAuth scope (oauth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_scope: Option<String>,
    /// `json` or `form` (oauth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_content_type: Option<String>,
    /// The server stack (a built-in template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// A template of the user's instead: a folder or a git URL, as `--template` takes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The branch or tag of a git template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The template's folder inside its folder or repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfolder: Option<String>,
    /// The port.
    pub port: Option<PortValue>,
    /// `contact_email`.
    pub contact_email: Option<String>,
    /// `legal_info_url`.
    pub legal_info_url: Option<String>,
    /// The template's variables (`[variables]`), as `--define` gives them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Literal>,
}

/// A port in an answers file: a number, or a string that the port rule then checks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PortValue {
    /// `port = 5003`
    Number(i64),
    /// `port = "5003"`
    Text(String),
}

impl fmt::Display for PortValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortValue::Number(n) => write!(f, "{n}"),
            PortValue::Text(s) => f.write_str(s),
        }
    }
}
