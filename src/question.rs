//! The vocabulary of asking: the plugin's questions ([`Field`], with their keys, flags and
//! prompts), a question (a plugin answer or a template variable), where a given value came from,
//! how missing ones are filled, and what is wrong with the answers. Both [`crate::answers`] (the
//! plugin's questions) and [`crate::variables`] (a template's) speak it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::choices::{AuthType, OauthContentType, Stack};
use crate::prompt::PromptError;
use crate::rules::{
    contact_email, description_for_human, description_for_model, directory, http_url,
    name_for_human, name_for_model, oauth_client_id, oauth_scope, port,
};

/// One answer of `ai-plugin new`, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// Where the project is written.
    Directory,
    /// `name_for_human`.
    NameForHuman,
    /// `name_for_model`.
    NameForModel,
    /// `description_for_human`.
    DescriptionForHuman,
    /// `description_for_model`.
    DescriptionForModel,
    /// The language and framework of the generated server.
    Stack,
    /// `auth.type`.
    Auth,
    /// The OAuth client id `ChatGPT` presents (oauth only).
    OauthClientId,
    /// The OAuth scope the plugin grants (oauth only).
    OauthScope,
    /// How the host sends the token request (oauth only).
    OauthContentType,
    /// The port the server listens on.
    Port,
    /// `contact_email`.
    ContactEmail,
    /// `legal_info_url`.
    LegalInfoUrl,
}

impl Field {
    /// Every field, in the order they are asked.
    pub const ALL: [Field; 13] = [
        Field::Directory,
        Field::NameForHuman,
        Field::NameForModel,
        Field::DescriptionForHuman,
        Field::DescriptionForModel,
        Field::Stack,
        Field::Auth,
        Field::OauthClientId,
        Field::OauthScope,
        Field::OauthContentType,
        Field::Port,
        Field::ContactEmail,
        Field::LegalInfoUrl,
    ];

    /// The key in an answers file and in `ai-plugin.toml`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Directory => "directory",
            Field::NameForHuman => "name_for_human",
            Field::NameForModel => "name_for_model",
            Field::DescriptionForHuman => "description_for_human",
            Field::DescriptionForModel => "description_for_model",
            Field::Auth => "auth",
            Field::OauthClientId => "oauth_client_id",
            Field::OauthScope => "oauth_scope",
            Field::OauthContentType => "oauth_content_type",
            Field::Stack => "stack",
            Field::Port => "port",
            Field::ContactEmail => "contact_email",
            Field::LegalInfoUrl => "legal_info_url",
        }
    }

    /// How to give this answer on the command line.
    pub fn flag(self) -> String {
        match self {
            Field::Directory => "[DIR]".to_owned(),
            _ => format!("--{}", self.key().replace('_', "-")),
        }
    }

    /// The question shown at the prompt.
    pub fn prompt(self) -> &'static str {
        match self {
            Field::Directory => "Project directory",
            Field::NameForHuman => "Plugin name shown to people (name_for_human)",
            Field::NameForModel => "Plugin name the model uses (name_for_model)",
            Field::DescriptionForHuman => "Description shown to people (description_for_human)",
            Field::DescriptionForModel => "Description the model reads (description_for_model)",
            Field::Auth => "Authentication",
            Field::OauthClientId => "OAuth client id (ChatGPT presents it)",
            Field::OauthScope => "OAuth scope",
            Field::OauthContentType => "How ChatGPT sends the token request",
            Field::Stack => "Server stack",
            Field::Port => "Local port",
            Field::ContactEmail => "Contact email",
            Field::LegalInfoUrl => "Legal information URL",
        }
    }

    /// Checks a raw answer for this field; the error says which rule failed and why.
    pub fn validate(self, value: &str) -> Result<(), String> {
        match self {
            Field::Directory => directory(value),
            Field::NameForHuman => name_for_human(value),
            Field::NameForModel => name_for_model(value),
            Field::DescriptionForHuman => description_for_human(value),
            Field::DescriptionForModel => description_for_model(value),
            Field::Auth => AuthType::from_str(value).map(drop),
            Field::OauthClientId => oauth_client_id(value),
            Field::OauthScope => oauth_scope(value),
            Field::OauthContentType => OauthContentType::from_str(value).map(drop),
            Field::Stack => Stack::from_str(value).map(drop),
            Field::Port => port(value).map(drop),
            Field::ContactEmail => contact_email(value),
            // The rule is shared by every URL field: say which one this is.
            Field::LegalInfoUrl => http_url(value).map_err(|e| format!("legal_info_url {e}")),
        }
    }
}

impl Field {
    /// Whether the question is asked for a plugin with this auth type.
    pub fn applies_to(self, auth: AuthType) -> bool {
        match self {
            Field::OauthClientId | Field::OauthScope | Field::OauthContentType => {
                auth == AuthType::Oauth
            }
            _ => true,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Where a given answer came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag or argument.
    Flag,
    /// A key of an answers file.
    File(PathBuf),
    /// `update --set KEY=VALUE`.
    Set,
    /// A template's default (for a variable), with its value.
    Default(String),
}

/// A value the user gave before any prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The raw value.
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// How to fill what was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Ask on the terminal.
    Prompt,
    /// Take the default (`--yes`).
    Defaults,
    /// No terminal and no `--yes`: anything missing is an error.
    Nothing,
}

/// A question `new` asks: one of the plugin's, or a variable of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A plugin answer.
    Field(Field),
    /// A template variable.
    Variable {
        /// Its name.
        name: String,
        /// Its question.
        prompt: String,
    },
}

impl Question {
    /// How to give the answer on the command line.
    pub fn flag(&self) -> String {
        match self {
            Question::Field(field) => field.flag(),
            Question::Variable { name, .. } => format!("--define {name}=VALUE"),
        }
    }

    /// The key in an answers file.
    pub fn key(&self) -> String {
        match self {
            Question::Field(field) => field.key().to_owned(),
            Question::Variable { name, .. } => format!("variables.{name}"),
        }
    }

    /// The question shown at the prompt.
    pub fn prompt(&self) -> &str {
        match self {
            Question::Field(field) => field.prompt(),
            Question::Variable { prompt, .. } => prompt,
        }
    }
}

/// A given value that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The question answered.
    pub question: Question,
    /// Where the value came from.
    pub source: Source,
    /// What is wrong.
    pub reason: String,
}

impl Invalid {
    /// A plugin answer that breaks its rule.
    pub fn field(field: Field, source: Source, reason: String) -> Invalid {
        Invalid {
            question: Question::Field(field),
            source,
            reason,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, &self.question) {
            (Source::Flag, Question::Field(field)) => {
                write!(f, "{}: {}", field.flag(), self.reason)
            }
            (Source::Flag, Question::Variable { name, .. }) => {
                write!(f, "--define {name}: {}", self.reason)
            }
            (Source::Set, question) => {
                let key = match question {
                    Question::Field(field) => field.key().to_owned(),
                    Question::Variable { name, .. } => name.clone(),
                };
                write!(f, "--set {key}: {}", self.reason)
            }
            (Source::File(path), question) => write!(
                f,
                "`{}`, key `{}`: {}",
                path.display(),
                question.key(),
                self.reason
            ),
            (Source::Default(value), question) if value.is_empty() => {
                write!(f, "{}: {}", question.flag(), self.reason)
            }
            (Source::Default(value), question) => write!(
                f,
                "the template's default for `{}` (`{value}`): {}",
                question.key().trim_start_matches("variables."),
                self.reason
            ),
        }
    }
}

/// Why the answers could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    /// Values were given that break their rules, or required ones are missing.
    #[error("{}", describe(.invalid, .missing))]
    Rejected {
        /// Given values that break their rule.
        invalid: Vec<Invalid>,
        /// Answers nobody gave, with no terminal to ask.
        missing: Vec<Question>,
    },
    /// The person cancelled at a prompt.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// A variable's default failed to render (a problem in the template).
    #[error("the default of the template variable `{name}` failed to render: {message}")]
    Default {
        /// The variable.
        name: String,
        /// What went wrong.
        message: String,
    },
}

fn describe(invalid: &[Invalid], missing: &[Question]) -> String {
    let mut lines = Vec::new();
    if !invalid.is_empty() {
        lines.push(format!(
            "{}:",
            crate::text::plural(invalid.len(), "invalid answer")
        ));
        lines.extend(invalid.iter().map(|i| format!("  {i}")));
    }
    if !missing.is_empty() {
        lines.push("missing answers, and stdin is not a terminal to ask for them:".to_owned());
        lines.extend(
            missing
                .iter()
                .map(|f| format!("  {:<24} {}", f.flag(), f.prompt())),
        );
        lines.push(
            "give them as flags or in --answers FILE.toml, or pass --yes to take the defaults"
                .to_owned(),
        );
    }
    lines.join("\n")
}
