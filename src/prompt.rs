//! Asking questions: the `Prompter` trait, the real terminal one, and a scripted one for tests.
//!
//! The prompter only asks; what to ask, the defaults and the rules come from `answers`.

use std::collections::VecDeque;
use std::io;

use dialoguer::theme::{ColorfulTheme, Theme as _};
use dialoguer::{Input, Select};

/// The person stopped answering (Ctrl-C or end of input).
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// Ctrl-C or Escape at a prompt.
    #[error("cancelled")]
    Cancelled,
    /// The terminal failed.
    #[error("the terminal failed: {0}")]
    Io(#[from] io::Error),
}

/// One entry of a select prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    /// The value, as a flag would take it.
    pub name: &'a str,
    /// A one-line explanation shown beside it (may be empty).
    pub explanation: &'a str,
}

/// Something that can ask the person questions.
pub trait Prompter {
    /// Asks for text. An empty answer takes `default`; an answer `validate` rejects is asked again
    /// with the reason.
    fn input(
        &mut self,
        question: &str,
        default: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, PromptError>;

    /// Asks to pick one of `choices`; returns its index.
    fn select(
        &mut self,
        question: &str,
        choices: &[Choice<'_>],
        default: usize,
    ) -> Result<usize, PromptError>;

    /// Shows a warning about an accepted answer.
    fn warn(&mut self, message: &str);
}

/// Asks on the real terminal with dialoguer.
#[derive(Default)]
pub struct DialoguerPrompter {
    theme: ColorfulTheme,
}

impl Prompter for DialoguerPrompter {
    fn input(
        &mut self,
        question: &str,
        default: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, PromptError> {
        Input::<String>::with_theme(&self.theme)
            .with_prompt(question)
            .default(default.to_owned())
            // An empty default would show as `()`.
            .show_default(!default.is_empty())
            .validate_with(|value: &String| validate(value))
            .interact_text()
            .map_err(from_dialoguer)
    }

    fn select(
        &mut self,
        question: &str,
        choices: &[Choice<'_>],
        default: usize,
    ) -> Result<usize, PromptError> {
        let width = choices.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let items: Vec<String> = choices
            .iter()
            .map(|c| {
                format!("{:width$}  {}", c.name, c.explanation)
                    .trim_end()
                    .to_owned()
            })
            .collect();
        // The menu lines are padded and explained; the echo of the choice is its value alone.
        let picked = Select::with_theme(&self.theme)
            .with_prompt(question)
            .items(&items)
            .default(default)
            .report(false)
            .interact_opt()
            .map_err(from_dialoguer)?
            .ok_or(PromptError::Cancelled)?;
        let mut echo = String::new();
        self.theme
            .format_select_prompt_selection(&mut echo, question, choices[picked].name)
            .map_err(|e| PromptError::Io(io::Error::other(e)))?;
        console::Term::stderr().write_line(&echo)?;
        Ok(picked)
    }

    // The terminal prompter is the conversation with the person, on stderr.
    #[allow(clippy::print_stderr)]
    fn warn(&mut self, message: &str) {
        eprintln!(
            "{} {message}",
            console::style("warning:").for_stderr().yellow().bold()
        );
    }
}

fn from_dialoguer(error: dialoguer::Error) -> PromptError {
    let dialoguer::Error::IO(error) = error;
    match error.kind() {
        io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => PromptError::Cancelled,
        _ => PromptError::Io(error),
    }
}

/// What a [`ScriptedPrompter`] was asked and told, for tests to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// A text question with its default and the answer typed.
    Input {
        /// The question.
        question: String,
        /// The default offered.
        default: String,
        /// What was typed ("" takes the default).
        typed: String,
    },
    /// An answer was rejected with this reason, and the question asked again.
    Rejected(String),
    /// A select with its choices and default; `picked` is the index chosen.
    Select {
        /// The question.
        question: String,
        /// The choice names, in order.
        choices: Vec<String>,
        /// The index of the default.
        default: usize,
        /// The index chosen.
        picked: usize,
    },
    /// A warning shown.
    Warning(String),
}

/// A prompter that answers from a script and records every exchange. `None` in the script
/// cancels, like Ctrl-C.
#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    script: VecDeque<Option<String>>,
    /// Everything asked, rejected and warned, in order.
    pub transcript: Vec<Exchange>,
}

impl ScriptedPrompter {
    /// A prompter that types these answers in order; "" takes the default. For a select, the
    /// answer is the chosen name.
    pub fn new<I, S>(answers: I) -> Self
    where
        I: IntoIterator<Item = Option<S>>,
        S: Into<String>,
    {
        ScriptedPrompter {
            script: answers.into_iter().map(|a| a.map(Into::into)).collect(),
            transcript: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<String, PromptError> {
        self.script
            .pop_front()
            .flatten()
            .ok_or(PromptError::Cancelled)
    }
}

impl Prompter for ScriptedPrompter {
    fn input(
        &mut self,
        question: &str,
        default: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, PromptError> {
        loop {
            let typed = self.next()?;
            self.transcript.push(Exchange::Input {
                question: question.to_owned(),
                default: default.to_owned(),
                typed: typed.clone(),
            });
            let value = if typed.is_empty() {
                default.to_owned()
            } else {
                typed
            };
            match validate(&value) {
                Ok(()) => return Ok(value),
                Err(reason) => self.transcript.push(Exchange::Rejected(reason)),
            }
        }
    }

    fn select(
        &mut self,
        question: &str,
        choices: &[Choice<'_>],
        default: usize,
    ) -> Result<usize, PromptError> {
        let typed = self.next()?;
        let picked = if typed.is_empty() {
            default
        } else {
            choices
                .iter()
                .position(|c| c.name == typed)
                .unwrap_or_else(|| panic!("script picks `{typed}`, which is not offered"))
        };
        self.transcript.push(Exchange::Select {
            question: question.to_owned(),
            choices: choices.iter().map(|c| c.name.to_owned()).collect(),
            default,
            picked,
        });
        Ok(picked)
    }

    fn warn(&mut self, message: &str) {
        self.transcript.push(Exchange::Warning(message.to_owned()));
    }
}
