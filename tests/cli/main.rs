//! Integration tests of the `ai-plugin` command line, run as a user would run it.
//!
//! Everything but `pty` runs with stdin not a terminal (`assert_cmd`'s default); `pty` drives the
//! real prompts in a pseudo-terminal.

mod answers_file;
mod custom_template;
mod dry_run;
mod flags;
mod git_init;
mod git_template;
mod help;
#[cfg(unix)]
mod interrupt;
mod next_steps;
mod no_terminal;
mod output;
mod project_files;
#[cfg(unix)]
mod pty;
mod readme;
mod support;
mod target;
mod template_commands;
mod template_safety;
#[cfg(unix)]
mod unending_input;
mod update;
mod validation;
