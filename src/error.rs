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
    #[error("could not read the answers file `{}`: {source}", path.display())]
    AnswersFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: AnswersFileError,
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
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// `template check` found problems; they have been printed.
    #[error("{} in the template `{template}`", crate::text::plural(*.problems, "problem"))]
    TemplateCheck {
        /// How many.
        problems: usize,
        /// The template's folder, as shown.
        template: String,
    },
    /// Something the command will not do, and why.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// `update` refused, or ended with conflicts.
    #[error(transparent)]
    Update(#[from] UpdateRefusal),
    /// A project's `.ai-plugin/base.json` could not be read.
    #[error(transparent)]
    Base(#[from] crate::base::BaseError),
}

/// Why the answers file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AnswersFileError {
    /// It could not be read as text.
    #[error(transparent)]
    Read(#[from] crate::input::InputError),
    /// It is not a valid answers file.
    #[error("{}", .0.to_string().trim_end())]
    Toml(#[from] toml::de::Error),
}

/// Options that do not go together, or a malformed one (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A `--define` without `=`.
    #[error("--define takes NAME=VALUE (got `{0}`)")]
    Define(String),
    /// `--define` with a built-in template.
    #[error("--define applies only with a template of your own (--template)")]
    DefineWithoutTemplate,
    /// `--branch` or `--subfolder` with a built-in template.
    #[error("--branch and --subfolder apply only with --template")]
    BranchWithoutTemplate,
    /// An answers file naming both.
    #[error("the answers file names both a `stack` and a `template`; keep one")]
    StackAndTemplate,
    /// An `update --set` without `=`.
    #[error("--set takes KEY=VALUE (got `{0}`)")]
    Set(String),
    /// An `update --set` of a key that is no answer of the project.
    #[error(
        "--set {key}=...: {why}; the keys are those of ai-plugin.toml: {}{}",
        crate::question::Field::ALL
            .iter()
            .filter(|f| !matches!(f, crate::question::Field::Directory | crate::question::Field::Stack))
            .map(|f| f.key())
            .collect::<Vec<_>>()
            .join(", "),
        if .variables.is_empty() { String::new() } else { format!(", and the template's variables: {}", .variables.join(", ")) }
    )]
    SetKey {
        /// The key given.
        key: String,
        /// Why it cannot be set.
        why: &'static str,
        /// The template's variables, if any.
        variables: Vec<String>,
    },
    /// `template init --from` a name that is no built-in template.
    #[error(
        "--from: unknown built-in template `{name}`; choose one of: {} (see `ai-plugin \
         templates`)",
        crate::choices::Stack::ALL.map(crate::choices::Stack::as_str).join(", ")
    )]
    UnknownBuiltin {
        /// The name given.
        name: String,
    },
}

/// Something a command will not do, and why (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// `preview` found what the host would refuse; the findings have been printed.
    #[error(
        "the host would refuse this {what} ({}); the preview above shows how it would read \
         it. {hint} lists every finding, warnings too",
        crate::text::plural(*.errors, "error")
    )]
    HostWouldRefuse {
        /// `plugin` or `server`.
        what: &'static str,
        /// How many errors.
        errors: usize,
        /// The `ai-plugin check` command that lists every finding.
        hint: String,
    },
    /// `template init` into a folder that holds files.
    #[error(
        "`{}` is not empty ({}); `template init` writes into a new or empty \
         folder, so that it never mixes with or replaces your files",
        dir.display(),
        crate::text::plural_as(*.entries, "entry", "entries")
    )]
    NotEmpty {
        /// The folder.
        dir: PathBuf,
        /// How many entries it holds.
        entries: usize,
    },
}

/// Why `update` stopped, or how it ended (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum UpdateRefusal {
    /// The folder holds no `ai-plugin.toml`.
    #[error(
        "`{}` has no {}: `update` works on a project ai-plugin generated (run it in the \
         project's folder, or give the folder); to start one, use `ai-plugin new`",
        .0.display(), crate::context::ANSWERS_RECORD
    )]
    NotAProject(PathBuf),
    /// The git working tree has uncommitted changes.
    #[error(
        "`{}` has uncommitted changes ({}); commit or stash them first, so that the update \
         is one change you can review and undo, or pass --allow-dirty",
        dir.display(), .changes.join(", ")
    )]
    Dirty {
        /// The project.
        dir: PathBuf,
        /// `git status --porcelain` lines (at most a few).
        changes: Vec<String>,
    },
    /// Conflicts were marked in files; every other file is updated.
    #[error(
        "{} marked in {} (listed above): edit each to keep what you want and delete the \
         markers, then commit",
        crate::text::plural(*.conflicts, "conflict"), crate::text::plural(*.files, "file")
    )]
    Conflicts {
        /// How many conflicts.
        conflicts: usize,
        /// In how many files.
        files: usize,
    },
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
        if matches!(self, Error::Check(crate::check::CheckError::Findings(_))) {
            // Already said by the command, with its report.
            return;
        }
        if self.exit_code() == EXIT_CANCELLED {
            crate::interrupt::say_cancelled();
        } else {
            eprintln!("{} {self}", error_label());
        }
    }
}

/// `error:` as every error message starts, red and bold on a terminal.
pub fn error_label() -> console::StyledObject<&'static str> {
    console::style("error:").for_stderr().red().bold()
}
