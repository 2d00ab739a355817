//! The errors `run` can end with, and the exit code of each.

use std::path::PathBuf;

use crate::answers::AnswersError;
use crate::project::ProjectError;
use crate::prompt::PromptError;
use crate::template::types::TemplateError;
use crate::write::WriteError;

pub use crate::exit::{CANCELLED as EXIT_CANCELLED, USAGE as EXIT_USAGE};

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Answers were invalid, missing, or the prompt was cancelled.
    #[error(transparent)]
    Answers(#[from] AnswersError),
    /// The answers file could not be read or parsed.
    #[error("could not read the answers file `{}`: {message}", path.display())]
    AnswersFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The project could not be rendered.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// The project could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `check` could not read its target, or found errors.
    #[error(transparent)]
    Check(#[from] crate::check::CheckError),
    /// The operating system gave no randomness for the secrets.
    #[error("could not generate secrets: {0}")]
    Secrets(getrandom::Error),
    /// A template of the user's could not be read, or has problems.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Options that do not go together, or a malformed one.
    #[error("{0}")]
    Usage(String),
    /// `template check` found problems; they have been printed.
    #[error("{0}")]
    TemplateCheck(String),
    /// Something the command will not do, and why.
    #[error("{0}")]
    Refused(String),
}

impl Error {
    /// The process exit code: 2 for usage errors, 130 when cancelled (at a prompt, or
    /// before the project was moved into place), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Answers(AnswersError::Prompt(PromptError::Cancelled))
            | Error::Write(WriteError::Cancelled) => EXIT_CANCELLED,
            Error::Answers(AnswersError::Rejected { .. })
            | Error::AnswersFile { .. }
            | Error::Usage(_)
            | Error::Template(TemplateError::Unreadable { .. })
            | Error::Check(crate::check::CheckError::Unreadable { .. }) => EXIT_USAGE,
            _ => 1,
        }
    }

    /// Prints the error to stderr; a cancelled prompt only restores the cursor. `main` calls it:
    /// an entry point.
    #[allow(clippy::print_stderr)]
    pub fn report(&self) {
        let stderr = console::Term::stderr();
        if stderr.is_term() {
            // A prompt may have hidden it before Ctrl-C.
            let _ = stderr.show_cursor();
        }
        if matches!(self, Error::Check(crate::check::CheckError::Reported(_))) {
            // Already said, on stdout, with the report.
            return;
        }
        if self.exit_code() == EXIT_CANCELLED {
            crate::interrupt::say_cancelled();
        } else {
            eprintln!(
                "{} {self}",
                console::style("error:").for_stderr().red().bold()
            );
        }
    }
}
