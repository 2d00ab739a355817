//! The `ai-plugin` binary: parses the command line and hands it to [`ai_plugin::run`].

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ai_plugin::cli::Cli::parse();
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match ai_plugin::run(cli, terminal) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error.report();
            ExitCode::from(error.exit_code())
        }
    }
}
