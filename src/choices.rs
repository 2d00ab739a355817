//! The closed sets a plugin answer picks from: the auth type, how the OAuth token request is
//! sent, and the stack of the generated server; each with its spelling and its explanation.

use std::fmt;
use std::str::FromStr;

/// How the plugin host authenticates to the plugin (`auth.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// Open API: anyone who can reach it may call it.
    None,
    /// One token for the whole service, sent by the host on every call.
    ServiceHttp,
    /// Each user pastes their own token; the token says who the user is.
    UserHttp,
    /// Each user signs in on the plugin's page; the host gets tokens by OAuth 2.
    Oauth,
}

impl AuthType {
    /// Every auth type `new` offers, in the order shown.
    pub const ALL: [AuthType; 4] = [
        AuthType::None,
        AuthType::ServiceHttp,
        AuthType::UserHttp,
        AuthType::Oauth,
    ];

    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::None => "none",
            AuthType::ServiceHttp => "service_http",
            AuthType::UserHttp => "user_http",
            AuthType::Oauth => "oauth",
        }
    }

    /// A one-line explanation for the prompt.
    pub fn explanation(self) -> &'static str {
        match self {
            AuthType::None => "no credentials; the only type ChatGPT accepted on localhost",
            AuthType::ServiceHttp => {
                "one service token, sent by the host on every call (a shared API key)"
            }
            AuthType::UserHttp => "each user pastes a personal token that identifies them",
            AuthType::Oauth => "each user signs in on your page; ChatGPT gets tokens (OAuth 2)",
        }
    }

    /// Whether the credential tells the server who the user is.
    pub fn identifies_user(self) -> bool {
        matches!(self, AuthType::UserHttp | AuthType::Oauth)
    }
}

/// Written by its name, as [`AuthType::as_str`] spells it (in `ai-plugin.toml`).
impl serde::Serialize for AuthType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthType {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        AuthType::ALL
            .into_iter()
            .find(|auth| auth.as_str() == value)
            .ok_or_else(|| {
                format!(
                    "unknown auth type `{value}`; choose one of: {}",
                    join(AuthType::ALL.map(AuthType::as_str))
                )
            })
    }
}

/// How the host sends the OAuth token request (`authorization_content_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OauthContentType {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl OauthContentType {
    /// Both, in the order shown.
    pub const ALL: [OauthContentType; 2] = [OauthContentType::Json, OauthContentType::Form];

    /// The name `--oauth-content-type` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            OauthContentType::Json => "json",
            OauthContentType::Form => "form",
        }
    }

    /// The media type the manifest names.
    pub fn media_type(self) -> &'static str {
        match self {
            OauthContentType::Json => "application/json",
            OauthContentType::Form => "application/x-www-form-urlencoded",
        }
    }

    /// A one-line explanation for the prompt.
    pub fn explanation(self) -> &'static str {
        match self {
            OauthContentType::Json => "application/json, as OpenAI's OAuth example used",
            OauthContentType::Form => {
                "application/x-www-form-urlencoded, the OAuth 2 standard (RFC 6749)"
            }
        }
    }
}

/// Written by its name, as [`OauthContentType::as_str`] spells it (in `ai-plugin.toml`).
impl serde::Serialize for OauthContentType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for OauthContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OauthContentType {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        OauthContentType::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| {
                format!("unknown OAuth content type `{value}`; choose one of: json, form")
            })
    }
}

/// The language and framework of the generated server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stack {
    /// axum on tokio.
    Rust,
    /// `FastAPI` on uvicorn.
    Python,
    /// Hono on Node.js.
    Typescript,
}

impl Stack {
    /// Every stack `new` offers, in the order shown.
    pub const ALL: [Stack; 3] = [Stack::Rust, Stack::Python, Stack::Typescript];

    /// The name used by `--stack` and by the template folder.
    pub fn as_str(self) -> &'static str {
        match self {
            Stack::Rust => "rust",
            Stack::Python => "python",
            Stack::Typescript => "typescript",
        }
    }

    /// A one-line explanation for the prompt.
    pub fn explanation(self) -> &'static str {
        match self {
            Stack::Rust => "axum on tokio: one fast binary, built with cargo",
            Stack::Python => "FastAPI on uvicorn: Python 3.10+ in a virtual environment",
            Stack::Typescript => "Hono on Node.js 22.13+: strict TypeScript, installed with npm",
        }
    }
}

/// Written by its name, as [`Stack::as_str`] spells it (in `ai-plugin.toml`).
impl serde::Serialize for Stack {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stack {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        Stack::ALL
            .into_iter()
            .find(|stack| stack.as_str() == value)
            .ok_or_else(|| {
                format!(
                    "unknown stack `{value}`; choose one of: {}",
                    join(Stack::ALL.map(Stack::as_str))
                )
            })
    }
}

fn join<const N: usize>(names: [&str; N]) -> String {
    names.join(", ")
}
