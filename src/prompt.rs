//! Asking questions: the `Prompter` trait, the real terminal one, and a scripted one for tests.
//!
//! The prompter only asks; what to ask, the defaults and the rules come from `answers`.

use std::collections::VecDeque;
use std::io;

use dialoguer::theme::{ColorfulTheme, Theme};
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
///
/// dialoguer counts a prompt as one row: when the question, its default or the answer is wider
/// than the terminal, it clears only the last of the rows they take, and leaves the others on the
/// screen. So this prompter lets dialoguer read the line, then clears those rows itself and echoes
/// the answer, and cuts menu lines to the terminal's width.
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
        let term = console::Term::stderr();
        // dialoguer shows the default and reads what is typed; an empty answer takes the default
        // here, so that the rows to clear are those of what was really typed.
        let theme = ShownDefault {
            theme: &self.theme,
            // An empty default would show as `()`.
            default: Some(default).filter(|d| !d.is_empty()),
        };
        let mut prompt = String::new();
        theme
            .format_input_prompt(&mut prompt, question, None)
            .map_err(from_fmt)?;
        let prompt_width = console::measure_text_width(&prompt);
        // The rows of the last rejection's message, above the prompt.
        let mut message_rows = 0;
        loop {
            let typed: String = Input::with_theme(&theme)
                .with_prompt(question)
                .allow_empty(true)
                .report(false)
                .interact_text_on(&term)
                .map_err(from_dialoguer)?;
            // The cursor is at the start of the answer's last row, which dialoguer cleared.
            let typed_rows = rows(prompt_width + console::measure_text_width(&typed), &term);
            term.clear_last_lines(typed_rows - 1 + message_rows)?;
            let value = if typed.is_empty() {
                default.to_owned()
            } else {
                typed
            };
            let mut line = String::new();
            match validate(&value) {
                Ok(()) => {
                    self.theme
                        .format_input_prompt_selection(&mut line, question, &value)
                        .map_err(from_fmt)?;
                    term.write_line(&line)?;
                    return Ok(value);
                }
                Err(reason) => {
                    self.theme
                        .format_error(&mut line, &reason)
                        .map_err(from_fmt)?;
                    term.write_line(&line)?;
                    message_rows = rows(console::measure_text_width(&line), &term);
                }
            }
        }
    }

    fn select(
        &mut self,
        question: &str,
        choices: &[Choice<'_>],
        default: usize,
    ) -> Result<usize, PromptError> {
        let term = console::Term::stderr();
        // A menu line fits on one row after the two-column marker (`❯ `), with the last column
        // left free: dialoguer clears the menu by its number of lines.
        let fits = usize::from(term.size().1).saturating_sub(3).max(1);
        let width = choices.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let items: Vec<String> = choices
            .iter()
            .map(|c| {
                let line = format!("{:width$}  {}", c.name, c.explanation);
                console::truncate_str(line.trim_end(), fits, "…").into_owned()
            })
            .collect();
        // The menu lines are padded and explained; the echo of the choice is its value alone.
        let picked = Select::with_theme(&self.theme)
            .with_prompt(question)
            .items(&items)
            .default(default)
            .report(false)
            .interact_on_opt(&term)
            .map_err(from_dialoguer)?
            .ok_or(PromptError::Cancelled)?;
        let mut echo = String::new();
        self.theme
            .format_select_prompt_selection(&mut echo, question, choices[picked].name)
            .map_err(from_fmt)?;
        term.write_line(&echo)?;
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

/// The house theme, showing `default` in the input prompt whatever dialoguer is given, so that
/// dialoguer returns what was typed (an empty answer included).
struct ShownDefault<'a> {
    theme: &'a ColorfulTheme,
    default: Option<&'a str>,
}

impl Theme for ShownDefault<'_> {
    fn format_input_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        _default: Option<&str>,
    ) -> std::fmt::Result {
        self.theme.format_input_prompt(f, prompt, self.default)
    }
}

/// How many rows of `term` a line `width` columns wide takes (at least one). A line exactly as
/// wide as the terminal takes one row: the cursor waits in its last column.
fn rows(width: usize, term: &console::Term) -> usize {
    let columns = usize::from(term.size().1).max(1);
    width.saturating_sub(1) / columns + 1
}

fn from_fmt(error: std::fmt::Error) -> PromptError {
    PromptError::Io(io::Error::other(error))
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
