//! The commands, on top of everything else: each turns its arguments into what it prints
//! ([`Output`]), and only [`crate::run`] prints it.

pub mod check;
pub mod new;
pub mod preview;
pub mod template;
pub mod update;

use crate::error::Error;

/// What a command prints, and how it ends.
#[derive(Debug, Default)]
pub struct Output {
    /// What goes to stdout.
    pub stdout: String,
    /// Notes for stderr (not errors).
    pub stderr: String,
    /// Findings that fail the command once its output is printed (exit 1).
    pub failure: Option<Error>,
}

impl Output {
    /// Output for stdout, and success.
    pub fn stdout(text: String) -> Output {
        Output {
            stdout: text,
            ..Output::default()
        }
    }
}
