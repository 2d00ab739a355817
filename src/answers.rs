//! From what the user gave (flags, an answers file) to a complete, valid [`Answers`].
//!
//! Precedence: a flag, then the answers file, then the prompt (or the default under `--yes`).
//! Every given value is checked before anything is asked, and all problems are reported at once.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heck::ToKebabCase;

use crate::choices::{AuthType, OauthContentType, Stack};

use crate::question::Field;

use crate::prompt::{Choice, PromptError, Prompter};
use crate::rules::{self, DEFAULT_PORT};
use crate::template::embedded;
use crate::template::types::TemplateConfig;

pub use crate::answers_file::{AnswersFile, PortValue};
pub use crate::names::{human_name_from_directory, model_name_from_human};
pub use crate::question::{AnswersError, Fill, Given, Invalid, Question, Source};

/// The answers given on the command line or in an answers file, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialAnswers {
    given: BTreeMap<Field, Given>,
}

impl PartialAnswers {
    /// Records `value` for `field` unless something of higher precedence already gave it.
    pub fn give(&mut self, field: Field, value: impl Into<String>, source: Source) {
        self.given.entry(field).or_insert(Given {
            value: value.into(),
            source,
        });
    }

    /// Adds the answers of a file below the ones already given (flags win).
    pub fn merge_file(&mut self, file: &AnswersFile, path: &Path) {
        // The template and its variables are `new`'s to read: they choose what is asked.
        let AnswersFile {
            directory,
            name_for_human,
            name_for_model,
            description_for_human,
            description_for_model,
            auth,
            oauth_client_id,
            oauth_scope,
            oauth_content_type,
            stack,
            template: _,
            branch: _,
            subfolder: _,
            port,
            contact_email,
            legal_info_url,
            variables: _,
        } = file;
        let values = [
            (Field::Directory, directory.clone()),
            (Field::NameForHuman, name_for_human.clone()),
            (Field::NameForModel, name_for_model.clone()),
            (Field::DescriptionForHuman, description_for_human.clone()),
            (Field::DescriptionForModel, description_for_model.clone()),
            (Field::Auth, auth.clone()),
            (Field::OauthClientId, oauth_client_id.clone()),
            (Field::OauthScope, oauth_scope.clone()),
            (Field::OauthContentType, oauth_content_type.clone()),
            (Field::Stack, stack.clone()),
            (Field::Port, port.as_ref().map(ToString::to_string)),
            (Field::ContactEmail, contact_email.clone()),
            (Field::LegalInfoUrl, legal_info_url.clone()),
        ];
        for (field, value) in values {
            if let Some(value) = value {
                self.give(field, value, Source::File(path.to_owned()));
            }
        }
    }

    /// The value given for `field`, if any.
    pub fn get(&self, field: Field) -> Option<&Given> {
        self.given.get(&field)
    }
}

/// Everything `new` needs, complete and valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// Where the project is written.
    pub directory: PathBuf,
    /// `name_for_human`.
    pub name_for_human: String,
    /// `name_for_model`.
    pub name_for_model: String,
    /// `description_for_human`.
    pub description_for_human: String,
    /// `description_for_model`.
    pub description_for_model: String,
    /// `auth.type`.
    pub auth: AuthType,
    /// The OAuth settings, when `auth` is oauth.
    pub oauth: Option<OauthAnswers>,
    /// The built-in stack; `None` with a template of the user's.
    pub stack: Option<Stack>,
    /// The port the server listens on by default.
    pub port: u16,
    /// `contact_email`.
    pub contact_email: String,
    /// `legal_info_url`.
    pub legal_info_url: String,
}

impl Answers {
    /// The answers of the example project the tests and snapshots generate: a TODO plugin in
    /// `todo-plugin/` on port 5003, with `auth` (for oauth, the client `todo-plugin`, the scope
    /// `todos` and JSON token requests) and `stack` (`None`: a template of the user's). Public
    /// beside [`crate::prompt::ScriptedPrompter`] and `Secrets::placeholder`, so that the unit
    /// tests and the test binaries build it once; a test that needs other text sets it on the
    /// result.
    pub fn example(stack: Option<Stack>, auth: AuthType) -> Answers {
        Answers {
            directory: PathBuf::from("todo-plugin"),
            name_for_human: "TODO Plugin".into(),
            name_for_model: "todo_plugin".into(),
            description_for_human: "Keep a TODO list: add, list and delete items.".into(),
            description_for_model: "Plugin for managing a TODO list.".into(),
            auth,
            oauth: (auth == AuthType::Oauth).then(|| OauthAnswers {
                client_id: "todo-plugin".into(),
                scope: "todos".into(),
                content_type: OauthContentType::Json,
            }),
            stack,
            port: DEFAULT_PORT,
            contact_email: "support@example.com".into(),
            legal_info_url: format!("http://localhost:{DEFAULT_PORT}/legal"),
        }
    }
}

/// The answers an OAuth plugin adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthAnswers {
    /// The client id `ChatGPT` presents.
    pub client_id: String,
    /// The scope the plugin grants (space-separated; may be empty).
    pub scope: String,
    /// How the host sends the token request.
    pub content_type: OauthContentType,
}

/// What `new` can generate: the built-in stacks, or one template of the user's.
#[derive(Debug, Clone, Copy)]
pub enum Offer<'a> {
    /// The built-in stacks: the stack is asked first, then the auth types it implements.
    Stacks,
    /// A template of the user's: no stack question, and only the auth types it implements.
    Template(&'a TemplateConfig),
}

impl Offer<'_> {
    /// The auth types that can be chosen with `stack` (any stack while none is chosen), in
    /// the order shown.
    fn auth_types(self, stack: Option<Stack>) -> Vec<AuthType> {
        match self {
            Offer::Stacks => AuthType::ALL
                .into_iter()
                .filter(|&a| match stack {
                    Some(stack) => embedded::supports(stack, a),
                    None => !stacks_for(a).is_empty(),
                })
                .collect(),
            Offer::Template(config) => config.auth_types(),
        }
    }

    /// Whether `field` is a question at all (a template decides the stack, and a template with
    /// one auth type decides that too).
    fn asks(self, field: Field) -> bool {
        match (self, field) {
            (Offer::Template(_), Field::Stack) => false,
            (Offer::Template(_), Field::Auth) => self.auth_types(None).len() > 1,
            _ => true,
        }
    }
}

/// Completes `given` into [`Answers`] for the built-in stacks: checks every given value, then
/// fills the rest by `fill`.
///
/// `target_ok` is asked about the directory at the prompt, so a directory that would be refused
/// later (not empty, no `--force`) is asked again at once.
pub fn resolve(
    given: &PartialAnswers,
    fill: Fill,
    prompter: &mut dyn Prompter,
    target_ok: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Answers, AnswersError> {
    resolve_with(
        given,
        fill,
        prompter,
        target_ok,
        Offer::Stacks,
        (Vec::new(), Vec::new()),
    )
}

/// [`resolve`] for what `offer` can generate. `earlier` holds problems already found (with a
/// template's variables), reported with these answers' own before anything is asked.
pub fn resolve_with(
    given: &PartialAnswers,
    fill: Fill,
    prompter: &mut dyn Prompter,
    target_ok: &dyn Fn(&str) -> Result<(), String>,
    offer: Offer<'_>,
    earlier: (Vec<Invalid>, Vec<Question>),
) -> Result<Answers, AnswersError> {
    let (variables_invalid, variables_missing) = earlier;
    let mut invalid: Vec<Invalid> = given
        .given
        .iter()
        .filter_map(|(&field, g)| {
            field
                .validate(&g.value)
                .err()
                .map(|reason| Invalid::field(field, g.source.clone(), reason))
        })
        .collect();
    let given_auth = given
        .get(Field::Auth)
        .and_then(|g| g.value.parse::<AuthType>().ok());
    match offer {
        Offer::Stacks => {
            if let Some(auth) = given.get(Field::Auth)
                && let Some(a) = given_auth
                && stacks_for(a).is_empty()
            {
                invalid.push(Invalid::field(
                    Field::Auth,
                    auth.source.clone(),
                    format!("auth `{a}` is not implemented by any stack yet"),
                ));
            } else if let (Some(auth), Some(a)) = (given.get(Field::Auth), given_auth)
                && let Some(s) = given.get(Field::Stack).and_then(|g| g.value.parse().ok())
                && !embedded::supports(s, a)
            {
                invalid.push(Invalid::field(
                    Field::Auth,
                    auth.source.clone(),
                    unsupported(s, a),
                ));
            }
        }
        Offer::Template(config) => {
            if let Some(auth) = given.get(Field::Auth)
                && let Some(a) = given_auth
                && !config.auth_types().contains(&a)
            {
                invalid.push(Invalid::field(
                    Field::Auth,
                    auth.source.clone(),
                    format!(
                        "the template `{}` does not implement auth `{a}`; it implements: {}",
                        config.name,
                        config.auth.join(", ")
                    ),
                ));
            }
            if let Some(stack) = given.get(Field::Stack) {
                invalid.push(Invalid::field(
                    Field::Stack,
                    stack.source.clone(),
                    "a stack applies only to the built-in templates, not with a template of \
                     your own (--template)"
                        .to_owned(),
                ));
            }
        }
    }
    // OAuth answers imply `--auth oauth`; as flags with another auth type they are a mistake.
    // In an answers file they are not: `ai-plugin.toml` records them, and a user who changes
    // its `auth` to regenerate the project means the others to go unused.
    let oauth_given: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|&f| !f.applies_to(AuthType::None) && given.get(f).is_some())
        .collect();
    if let Some(auth) = given_auth.filter(|&a| a != AuthType::Oauth) {
        let from_flags = oauth_given
            .iter()
            .filter(|&&f| given.get(f).is_some_and(|g| g.source == Source::Flag));
        for &field in from_flags {
            invalid.push(Invalid::field(
                field,
                given.get(field).expect("given").source.clone(),
                format!(
                    "{} applies only with --auth oauth (auth is {auth})",
                    field.flag()
                ),
            ));
        }
    }
    let auth_for_questions = given_auth.unwrap_or(if oauth_given.is_empty() {
        AuthType::None
    } else {
        AuthType::Oauth
    });
    let mut missing: Vec<Question> = if fill == Fill::Nothing {
        Field::ALL
            .into_iter()
            .filter(|&f| {
                !given.given.contains_key(&f) && f.applies_to(auth_for_questions) && offer.asks(f)
            })
            .map(Question::Field)
            .collect()
    } else {
        Vec::new()
    };
    invalid.extend(variables_invalid);
    missing.extend(variables_missing);
    if !invalid.is_empty() || !missing.is_empty() {
        return Err(AnswersError::Rejected { invalid, missing });
    }

    let mut asker = Asker {
        given,
        fill,
        offer,
        prompter,
        target_ok,
        stack: None,
    };
    asker.answers()
}

/// The default `description_for_model`: what the built-in stacks' TODO API does.
pub const DESCRIPTION_FOR_MODEL_DEFAULT: &str = "Plugin for managing a TODO list. You can add \
    an item, list the items with their ids, and delete an item by its id. List the items before \
    deleting one, so that you use a current id.";

/// Takes or asks one answer after another, in the order of [`Field::ALL`], each parsed by its
/// field's rule into its type; the defaults derive from the typed answers before them.
struct Asker<'a> {
    given: &'a PartialAnswers,
    fill: Fill,
    offer: Offer<'a>,
    prompter: &'a mut dyn Prompter,
    target_ok: &'a dyn Fn(&str) -> Result<(), String>,
    /// The stack answered so far (none until it is, or with a template of the user's): the
    /// auth types offered depend on it.
    stack: Option<Stack>,
}

impl Asker<'_> {
    fn answers(&mut self) -> Result<Answers, AnswersError> {
        let directory = self.answer(Field::Directory, &self.default_directory(), text)?;
        let name_for_human = self.answer(
            Field::NameForHuman,
            &human_name_from_directory(Path::new(&directory)),
            text,
        )?;
        let name_for_model = self.answer(
            Field::NameForModel,
            &model_name_from_human(&name_for_human),
            text,
        )?;
        let description_for_human = self.answer(
            Field::DescriptionForHuman,
            &format!("Keep a TODO list with {name_for_human}: add, list and delete items."),
            text,
        )?;
        let description_for_model = self.answer(
            Field::DescriptionForModel,
            DESCRIPTION_FOR_MODEL_DEFAULT,
            text,
        )?;
        self.stack = if self.offer.asks(Field::Stack) {
            let default = self.stacks().first().copied().unwrap_or(Stack::Rust);
            Some(self.answer(Field::Stack, default.as_str(), |_, v| v.parse::<Stack>())?)
        } else {
            None
        };
        let stack = self.stack;
        let auth = self.answer(Field::Auth, self.default_auth().as_str(), |_, v| {
            v.parse::<AuthType>()
        })?;
        let oauth = if auth == AuthType::Oauth {
            Some(OauthAnswers {
                client_id: self.answer(
                    Field::OauthClientId,
                    &name_for_model.to_kebab_case(),
                    text,
                )?,
                scope: self.answer(Field::OauthScope, "todos", text)?,
                content_type: self.answer(
                    Field::OauthContentType,
                    OauthContentType::Json.as_str(),
                    |_, v| v.parse::<OauthContentType>(),
                )?,
            })
        } else {
            None
        };
        // At the prompt a port that draws a warning is asked again (`ask`); given, it is warned.
        let port_asked = self.given.get(Field::Port).is_none() && self.fill == Fill::Prompt;
        let port = self.answer(Field::Port, &DEFAULT_PORT.to_string(), |_, v| {
            rules::port(v)
        })?;
        if !port_asked && let Some(warning) = rules::port_warning(port) {
            self.prompter.warn(&warning);
        }
        let contact_email = self.answer(Field::ContactEmail, "support@example.com", text)?;
        let legal_info_url = self.answer(
            Field::LegalInfoUrl,
            &format!("http://localhost:{port}/legal"),
            text,
        )?;
        Ok(Answers {
            directory: PathBuf::from(directory),
            name_for_human,
            name_for_model,
            description_for_human,
            description_for_model,
            auth,
            oauth,
            stack,
            port,
            contact_email,
            legal_info_url,
        })
    }

    /// The answer to `field`: given, asked, or `default`, as `parse` accepts it.
    fn answer<T>(
        &mut self,
        field: Field,
        default: &str,
        parse: impl Fn(Field, &str) -> Result<T, String>,
    ) -> Result<T, AnswersError> {
        // Given values were checked before anything was asked, and the prompt takes only what
        // the rule accepts: a default is all that can fail here (none does; a test says so).
        let (value, source) = match self.given.get(field) {
            Some(given) => (given.value.clone(), given.source.clone()),
            None if self.fill == Fill::Prompt && self.offer.asks(field) => {
                let stacks = self.stacks();
                let typed = ask(
                    field,
                    default,
                    self.stack,
                    &stacks,
                    &mut *self.prompter,
                    self.target_ok,
                    self.offer,
                )?;
                (typed, Source::Default(default.to_owned()))
            }
            None => (default.to_owned(), Source::Default(default.to_owned())),
        };
        parse(field, &value).map_err(|reason| AnswersError::Rejected {
            invalid: vec![Invalid::field(field, source, reason)],
            missing: Vec::new(),
        })
    }

    /// The directory's default: the name given, in kebab-case, else `todo-plugin`.
    fn default_directory(&self) -> String {
        self.given
            .get(Field::NameForHuman)
            .or_else(|| self.given.get(Field::NameForModel))
            .map(|g| g.value.to_kebab_case())
            .filter(|dir| rules::directory(dir).is_ok())
            .unwrap_or_else(|| "todo-plugin".to_owned())
    }

    /// The stacks offered: those implementing the auth type given up front, else all.
    fn stacks(&self) -> Vec<Stack> {
        match self
            .given
            .get(Field::Auth)
            .and_then(|g| g.value.parse::<AuthType>().ok())
        {
            Some(auth) => stacks_for(auth),
            None => Stack::ALL.to_vec(),
        }
    }

    /// The auth type's default: oauth when OAuth answers were given, else none; among those
    /// offered.
    fn default_auth(&self) -> AuthType {
        let oauth_given = Field::ALL
            .into_iter()
            .any(|f| !f.applies_to(AuthType::None) && self.given.get(f).is_some());
        let offered = self.offer.auth_types(self.stack);
        let wanted = if oauth_given {
            AuthType::Oauth
        } else {
            AuthType::None
        };
        if offered.contains(&wanted) {
            wanted
        } else {
            offered.first().copied().unwrap_or(AuthType::None)
        }
    }
}

/// The rule of a text answer, keeping the text.
fn text(field: Field, value: &str) -> Result<String, String> {
    field.validate(value).map(|()| value.to_owned())
}

/// The stacks whose template implements `auth`.
fn stacks_for(auth: AuthType) -> Vec<Stack> {
    Stack::ALL
        .into_iter()
        .filter(|&stack| embedded::supports(stack, auth))
        .collect()
}

fn unsupported(stack: Stack, auth: AuthType) -> String {
    let others: Vec<&str> = stacks_for(auth).iter().map(|s| s.as_str()).collect();
    let implemented: Vec<&str> = AuthType::ALL
        .into_iter()
        .filter(|&a| embedded::supports(stack, a))
        .map(AuthType::as_str)
        .collect();
    format!(
        "the {stack} stack does not implement auth `{auth}`; it implements: {} (stacks that \
         implement `{auth}`: {})",
        implemented.join(", "),
        others.join(", ")
    )
}

fn ask(
    field: Field,
    default: &str,
    stack: Option<Stack>,
    stacks: &[Stack],
    prompter: &mut dyn Prompter,
    target_ok: &dyn Fn(&str) -> Result<(), String>,
    offer: Offer<'_>,
) -> Result<String, PromptError> {
    let choose = |prompter: &mut dyn Prompter, choices: &[Choice]| {
        let default_index = choices.iter().position(|c| c.name == default).unwrap_or(0);
        prompter
            .select(field.prompt(), choices, default_index)
            .map(|i| choices[i].name.to_owned())
    };
    match field {
        // Only what the chosen stack (or the template) implements is offered: an auth type
        // arrives once it works.
        Field::Auth => {
            let choices: Vec<Choice> = offer
                .auth_types(stack)
                .into_iter()
                .map(|a| Choice {
                    name: a.as_str(),
                    explanation: a.explanation(),
                })
                .collect();
            choose(prompter, &choices)
        }
        Field::OauthContentType => choose(
            prompter,
            &OauthContentType::ALL.map(|t| Choice {
                name: t.as_str(),
                explanation: t.explanation(),
            }),
        ),
        Field::Stack => {
            let choices: Vec<Choice> = stacks
                .iter()
                .map(|s| Choice {
                    name: s.as_str(),
                    explanation: s.explanation(),
                })
                .collect();
            choose(prompter, &choices)
        }
        Field::Directory => prompter.input(field.prompt(), default, &|value| {
            field.validate(value).and_then(|()| target_ok(value))
        }),
        // A port that draws a warning is asked again, and taken if the same one is typed again.
        Field::Port => {
            let warned = Cell::new(None::<u16>);
            prompter.input(field.prompt(), default, &|value| {
                let port = rules::port(value)?;
                match rules::port_warning(port) {
                    Some(warning) if warned.get() != Some(port) => {
                        warned.set(Some(port));
                        Err(format!("{warning}; enter {port} again to keep it"))
                    }
                    _ => Ok(()),
                }
            })
        }
        _ => prompter.input(field.prompt(), default, &|value| field.validate(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::{Exchange, ScriptedPrompter};

    // The shape of the target check `resolve_with` takes.
    #[allow(clippy::unnecessary_wraps)]
    fn any_dir(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn given(pairs: &[(Field, &str)]) -> PartialAnswers {
        let mut partial = PartialAnswers::default();
        for (field, value) in pairs {
            partial.give(*field, *value, Source::Flag);
        }
        partial
    }

    #[test]
    fn defaults_derive_from_earlier_answers() {
        let answers = resolve(
            &given(&[(Field::Directory, "weather-bot"), (Field::Port, "8080")]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.name_for_human, "Weather Bot");
        assert_eq!(answers.name_for_model, "weather_bot");
        assert_eq!(
            answers.description_for_human,
            "Keep a TODO list with Weather Bot: add, list and delete items."
        );
        assert!(answers.description_for_model.starts_with("Plugin for "));
        assert_eq!(answers.auth, AuthType::None);
        assert_eq!(answers.stack, Some(Stack::Rust));
        assert_eq!(answers.legal_info_url, "http://localhost:8080/legal");
    }

    #[test]
    fn the_directory_default_follows_a_given_name() {
        let answers = resolve(
            &given(&[(Field::NameForHuman, "My Notes")]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.directory, PathBuf::from("my-notes"));
        assert_eq!(answers.name_for_model, "my_notes");
    }

    #[test]
    fn every_default_passes_its_own_rule() {
        let answers = resolve(
            &PartialAnswers::default(),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        for field in Field::ALL
            .into_iter()
            .filter(|f| f.applies_to(answers.auth))
        {
            let value = match field {
                Field::Directory => answers.directory.to_string_lossy().into_owned(),
                Field::NameForHuman => answers.name_for_human.clone(),
                Field::NameForModel => answers.name_for_model.clone(),
                Field::DescriptionForHuman => answers.description_for_human.clone(),
                Field::DescriptionForModel => answers.description_for_model.clone(),
                Field::Auth => answers.auth.to_string(),
                Field::Stack => answers.stack.unwrap().to_string(),
                Field::Port => answers.port.to_string(),
                Field::ContactEmail => answers.contact_email.clone(),
                Field::LegalInfoUrl => answers.legal_info_url.clone(),
                Field::OauthClientId | Field::OauthScope | Field::OauthContentType => continue,
            };
            assert_eq!(field.validate(&value), Ok(()), "{field}: {value}");
        }
        assert_eq!(answers.directory, PathBuf::from("todo-plugin"));
        assert_eq!(answers.port, DEFAULT_PORT);
    }

    #[test]
    fn flags_win_over_the_answers_file() {
        let mut partial = given(&[(Field::Port, "6000")]);
        let file = AnswersFile {
            port: Some(PortValue::Number(7000)),
            name_for_human: Some("From File".into()),
            ..AnswersFile::default()
        };
        partial.merge_file(&file, Path::new("a.toml"));
        let answers = resolve(
            &partial,
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.port, 6000);
        assert_eq!(answers.name_for_human, "From File");
    }

    #[test]
    fn all_bad_values_are_reported_at_once_with_their_source() {
        let mut partial = given(&[(Field::NameForModel, "9lives"), (Field::Port, "0")]);
        let file = AnswersFile {
            name_for_human: Some("x".repeat(21)),
            ..AnswersFile::default()
        };
        partial.merge_file(&file, Path::new("answers.toml"));
        let err = resolve(
            &partial,
            Fill::Prompt,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "3 invalid answers:\n  \
             `answers.toml`, key `name_for_human`: name_for_human must be at most 20 characters (it has 21)\n  \
             --name-for-model: name_for_model must start with a letter A-Z or a-z (`9lives` does not)\n  \
             --port: port must be between 1 and 65535 (got 0)"
        );
    }

    #[test]
    fn without_a_terminal_every_missing_answer_is_named() {
        let err = resolve(
            &given(&[(Field::Directory, "x"), (Field::Auth, "none")]),
            Fill::Nothing,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap_err();
        let AnswersError::Rejected { invalid, missing } = &err else {
            panic!("{err}")
        };
        assert!(invalid.is_empty());
        assert_eq!(missing.len(), 8);
        let text = err.to_string();
        for flag in ["--name-for-human", "--stack", "--legal-info-url", "--yes"] {
            assert!(text.contains(flag), "{text}");
        }
        assert!(!text.contains("--auth"));
    }

    #[test]
    fn prompts_ask_in_order_offer_defaults_and_re_ask_with_the_reason() {
        let mut prompter = ScriptedPrompter::new([
            Some("taken"),
            Some("notes"),
            Some("Far Too Long A Name For This"),
            Some("Notes"),
            Some("2notes"),
            Some(""),
            Some(""),
            Some(""),
            Some("python"),
            Some("user_http"),
            Some("70000"),
            Some("5000"),
            Some("5000"),
            Some("me@notes.dev"),
            Some(""),
        ]);
        let answers = resolve(
            &PartialAnswers::default(),
            Fill::Prompt,
            &mut prompter,
            &|dir| {
                if dir == "taken" {
                    Err("`taken` is not empty".to_owned())
                } else {
                    Ok(())
                }
            },
        )
        .unwrap();
        let input = |question: Field, default: &str, typed: &str| Exchange::Input {
            question: question.prompt().to_owned(),
            default: default.to_owned(),
            typed: typed.to_owned(),
        };
        let rejected = |reason: &str| Exchange::Rejected(reason.to_owned());
        let expected = vec![
            input(Field::Directory, "todo-plugin", "taken"),
            rejected("`taken` is not empty"),
            input(Field::Directory, "todo-plugin", "notes"),
            input(Field::NameForHuman, "Notes", "Far Too Long A Name For This"),
            rejected("name_for_human must be at most 20 characters (it has 28)"),
            input(Field::NameForHuman, "Notes", "Notes"),
            input(Field::NameForModel, "notes", "2notes"),
            rejected("name_for_model must start with a letter A-Z or a-z (`2notes` does not)"),
            input(Field::NameForModel, "notes", ""),
            input(
                Field::DescriptionForHuman,
                "Keep a TODO list with Notes: add, list and delete items.",
                "",
            ),
            input(
                Field::DescriptionForModel,
                DESCRIPTION_FOR_MODEL_DEFAULT,
                "",
            ),
            Exchange::Select {
                question: "Server stack".to_owned(),
                choices: vec!["rust".into(), "python".into(), "typescript".into()],
                default: 0,
                picked: 1,
            },
            Exchange::Select {
                question: "Authentication".to_owned(),
                choices: vec![
                    "none".into(),
                    "service_http".into(),
                    "user_http".into(),
                    "oauth".into(),
                ],
                default: 0,
                picked: 2,
            },
            input(Field::Port, "5003", "70000"),
            rejected("port must be between 1 and 65535 (got 70000)"),
            input(Field::Port, "5003", "5000"),
            rejected(&format!(
                "{}; enter 5000 again to keep it",
                rules::port_warning(5000).unwrap()
            )),
            input(Field::Port, "5003", "5000"),
            input(Field::ContactEmail, "support@example.com", "me@notes.dev"),
            input(Field::LegalInfoUrl, "http://localhost:5000/legal", ""),
        ];
        assert_eq!(prompter.transcript, expected);
        assert_eq!(answers.stack, Some(Stack::Python));
        assert_eq!(answers.auth, AuthType::UserHttp);
        assert_eq!(answers.port, 5000);
        assert_eq!(answers.name_for_model, "notes");
    }

    #[test]
    fn port_5000_is_warned_about_at_the_prompt_and_another_port_can_be_chosen() {
        let mut prompter = ScriptedPrompter::new([Some("5000"), Some("6001")]);
        let answers = resolve(
            &given(&[
                (Field::Directory, "d"),
                (Field::NameForHuman, "D"),
                (Field::NameForModel, "d"),
                (Field::DescriptionForHuman, "d"),
                (Field::DescriptionForModel, "d"),
                (Field::Stack, "rust"),
                (Field::Auth, "none"),
                (Field::ContactEmail, "a@b.cd"),
                (Field::LegalInfoUrl, "https://b.cd/legal"),
            ]),
            Fill::Prompt,
            &mut prompter,
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.port, 6001);
        assert!(
            matches!(&prompter.transcript[1],
                Exchange::Rejected(reason) if reason.contains("macOS")),
            "{:?}",
            prompter.transcript
        );
        assert!(
            !prompter
                .transcript
                .iter()
                .any(|e| matches!(e, Exchange::Warning(_))),
            "{:?}",
            prompter.transcript
        );
        // Given as a flag, 5000 stays a warning.
        let mut prompter = ScriptedPrompter::default();
        let answers = resolve(
            &given(&[(Field::Port, "5000")]),
            Fill::Defaults,
            &mut prompter,
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.port, 5000);
        assert_eq!(
            prompter.transcript,
            [Exchange::Warning(rules::port_warning(5000).unwrap())]
        );
    }

    #[test]
    fn oauth_asks_its_own_questions_with_defaults() {
        let mut prompter = ScriptedPrompter::new([
            Some("dir"),
            Some("Notes"),
            Some(""),
            Some(""),
            Some(""),
            Some(""),
            Some("oauth"),
            Some("has space"),
            Some(""),
            Some("todos:read todos:write"),
            Some("form"),
            Some(""),
            Some(""),
            Some(""),
        ]);
        let answers = resolve(
            &PartialAnswers::default(),
            Fill::Prompt,
            &mut prompter,
            &any_dir,
        )
        .unwrap();
        assert_eq!(
            answers.oauth,
            Some(OauthAnswers {
                client_id: "notes".into(),
                scope: "todos:read todos:write".into(),
                content_type: OauthContentType::Form,
            })
        );
        let questions: Vec<&Exchange> = prompter
            .transcript
            .iter()
            .filter(|e| {
                matches!(e, Exchange::Input { question, .. } | Exchange::Select { question, .. }
                    if question.starts_with("OAuth") || question.starts_with("How ChatGPT"))
            })
            .collect();
        assert_eq!(questions.len(), 4, "{:?}", prompter.transcript);
        assert!(prompter.transcript.iter().any(|e| matches!(e,
            Exchange::Rejected(reason) if reason.contains("oauth_client_id"))));
    }

    #[test]
    fn oauth_flags_imply_oauth_and_clash_with_other_auth() {
        let answers = resolve(
            &given(&[(Field::OauthScope, "")]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.auth, AuthType::Oauth);
        assert_eq!(answers.oauth.unwrap().scope, "");
        let err = resolve(
            &given(&[(Field::Auth, "user_http"), (Field::OauthClientId, "x")]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("--oauth-client-id applies only with --auth oauth (auth is user_http)"),
            "{err}"
        );
        // From an answers file (a recorded `ai-plugin.toml` whose auth was changed) they go unused.
        let mut from_file = given(&[(Field::Auth, "none")]);
        from_file.give(
            Field::OauthClientId,
            "x",
            Source::File(PathBuf::from("ai-plugin.toml")),
        );
        let answers = resolve(
            &from_file,
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.auth, AuthType::None);
        assert!(answers.oauth.is_none());
        let answers = resolve(
            &given(&[(Field::Auth, "none")]),
            Fill::Defaults,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap();
        assert_eq!(answers.oauth, None);
    }

    #[test]
    fn without_a_terminal_oauth_answers_are_missing_only_for_oauth() {
        let err = resolve(
            &given(&[(Field::Auth, "oauth")]),
            Fill::Nothing,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap_err();
        assert!(err.to_string().contains("--oauth-content-type"), "{err}");
        let err = resolve(
            &given(&[(Field::Auth, "none")]),
            Fill::Nothing,
            &mut ScriptedPrompter::default(),
            &any_dir,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("--oauth"), "{err}");
    }

    #[test]
    fn given_answers_are_not_asked_again() {
        let mut prompter = ScriptedPrompter::new([Some(""); 8]);
        resolve(
            &given(&[(Field::Directory, "d"), (Field::Auth, "service_http")]),
            Fill::Prompt,
            &mut prompter,
            &any_dir,
        )
        .unwrap();
        let asked: Vec<String> = prompter
            .transcript
            .iter()
            .filter_map(|e| match e {
                Exchange::Input { question, .. } | Exchange::Select { question, .. } => {
                    Some(question.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(asked.len(), 8);
        assert!(!asked.contains(&Field::Directory.prompt().to_owned()));
        assert!(!asked.contains(&Field::Auth.prompt().to_owned()));
    }

    #[test]
    fn cancelling_a_prompt_is_reported_as_such() {
        let mut prompter = ScriptedPrompter::new([Some("dir"), None::<&str>]);
        let err = resolve(
            &PartialAnswers::default(),
            Fill::Prompt,
            &mut prompter,
            &any_dir,
        )
        .unwrap_err();
        assert!(matches!(err, AnswersError::Prompt(PromptError::Cancelled)));
    }

    #[test]
    fn human_names_come_from_the_directory_in_whole_words() {
        let cases = [
            ("todo-plugin", "Todo Plugin"),
            ("my_great.weather-bot-for-everyone", "My Great Weather Bot"),
            ("some/path/notes", "Notes"),
            ("---", "TODO Plugin"),
            ("ärger", "Ärger"),
        ];
        for (dir, name) in cases {
            assert_eq!(human_name_from_directory(Path::new(dir)), name, "{dir}");
            assert!(rules::name_for_human(name).is_ok());
        }
    }

    #[test]
    fn model_names_are_valid_identifiers() {
        let cases = [
            ("Todo Plugin", "todo_plugin"),
            ("TodoPlugin", "todo_plugin"),
            ("3D Printer", "plugin_3d_printer"),
            ("Café «Bot»", "cafe_bot"),
            ("Café Notes", "cafe_notes"),
            ("My API Plugin", "my_api_plugin"),
            ("ChatGPT Helper", "chat_gpt_helper"),
            ("TODO", "todo"),
            ("HTTPServer", "http_server"),
            ("Über Straße", "uber_strasse"),
            ("Œuvre Ærø", "oeuvre_aero"),
            ("ABC 123 XY", "abc_123_xy"),
            ("iPhone App", "i_phone_app"),
            ("🎉", "todo_plugin"),
            ("a--b", "a_b"),
        ];
        for (human, model) in cases {
            assert_eq!(model_name_from_human(human), model, "{human}");
            assert!(rules::name_for_model(model).is_ok());
        }
    }
}
