//! ai-plugin: from nothing to a running, correct AI plugin in one command.
//!
//! The pipeline: [`cli::Cli`] → [`answers::PartialAnswers`] → [`answers::Answers`] →
//! [`project::plan`] (pure: renders the template, serializes the manifest, checks itself) →
//! [`write::write`] (the only file writer).
#![warn(missing_docs)]

pub mod answers;
pub mod answers_file;
pub mod base;
pub mod cargo_lock;
pub mod check;
pub mod choices;
pub mod chunk;
// The doc comments of `cli` are the `--help` text, written for people, not as Markdown.
#[allow(clippy::doc_markdown)]
pub mod cli;
pub mod cmd;
pub mod context;
pub mod diagnostic;
pub mod document;
pub mod dotenv;
pub mod error;
pub mod escape_helpers;
pub mod exit;
pub mod git;
pub mod input;
pub mod interrupt;
pub mod manifest;
pub mod merge;
pub mod names;
pub mod openapi;
pub mod preview;
pub mod project;
pub mod prompt;
pub mod question;
pub mod render;
pub mod rules;
pub mod template;
pub mod text;
pub mod tokens;
pub mod toolchain;
pub mod update;
pub mod url;
pub mod variables;
pub mod write;
pub mod yaml;

pub use error::Error;

/// Runs one command and prints what it says. `terminal` says whether a person can be asked
/// questions. The one place, with `main`'s error report, that prints.
pub fn run(cli: cli::Cli, terminal: bool) -> Result<(), Error> {
    interrupt::install();
    let output = match cli.command {
        cli::Command::New(args) => cmd::new::run(args, terminal)?,
        cli::Command::Update(args) => cmd::update::run(args)?,
        cli::Command::Check(args) => cmd::check::run(args)?,
        cli::Command::Preview(args) => cmd::preview::run(args)?,
        cli::Command::Templates => cmd::Output::stdout(cmd::template::list()),
        cli::Command::Template(cli::TemplateCommand::Init(args)) => {
            cmd::Output::stdout(cmd::template::init(args)?)
        }
        cli::Command::Template(cli::TemplateCommand::Check(args)) => cmd::template::check(args)?,
    };
    // A pipe closed early (`| head`) ends the output there, not the program with a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), output.stdout.as_bytes());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), output.stderr.as_bytes());
    output.failure.map_or(Ok(()), Err)
}
