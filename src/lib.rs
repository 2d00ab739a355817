//! ai-plugin: from nothing to a running, correct AI plugin in one command.
//!
//! The pipeline: [`cli::Cli`] → [`answers::PartialAnswers`] → [`answers::Answers`] →
//! [`project::plan`] (pure: renders the template, serializes the manifest, checks itself) →
//! [`write::write`] (the only file writer).
#![warn(missing_docs)]

pub mod answers;
pub mod check;
pub mod chunk;
pub mod cli;
pub mod context;
pub mod diagnostic;
pub mod document;
pub mod dotenv;
pub mod error;
pub mod exit;
pub mod fields;
pub mod helpers;
pub mod input;
pub mod interrupt;
pub mod manifest;
pub mod names;
pub mod new;
pub mod openapi;
pub mod preview;
pub mod project;
pub mod prompt;
pub mod question;
pub mod render;
pub mod template;
pub mod variables;
pub mod write;

pub use error::Error;

/// Runs one command. `terminal` says whether a person can be asked questions.
pub fn run(cli: cli::Cli, terminal: bool) -> Result<(), Error> {
    interrupt::install();
    match cli.command {
        cli::Command::New(args) => new::run(args, terminal),
        cli::Command::Check(args) => check::run(args),
        cli::Command::Preview(args) => preview::run(args),
        cli::Command::Templates => {
            print!("{}", template::commands::list());
            Ok(())
        }
        cli::Command::Template(cli::TemplateCommand::Init(args)) => template::commands::init(args),
        cli::Command::Template(cli::TemplateCommand::Check(args)) => {
            template::commands::check(args)
        }
    }
}
