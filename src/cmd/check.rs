//! `ai-plugin check`: the command around [`crate::check`]'s rules, which know nothing of the
//! command line.

use super::Output;
use crate::check::{CheckError, Report, check, mcp};
use crate::cli::{CheckArgs, OutputFormat};
use crate::error::{Error, error_label};

/// Runs `ai-plugin check`: its report, in text or JSON, and a failure when it found errors.
pub fn run(args: CheckArgs) -> Result<Output, Error> {
    let CheckArgs {
        target: input,
        target_kind,
        format,
        token,
        domain,
        call_read_only,
    } = args;
    let options = mcp::Options {
        token,
        call_read_only,
    };
    let report = match check(&input, target_kind, &options, domain.as_deref()) {
        Ok(report) => report,
        Err(error) => {
            let stdout = match format {
                OutputFormat::Json => {
                    format!("{}\n", Report::failure_json(&input, &error.to_string()))
                }
                OutputFormat::Text => String::new(),
            };
            return Ok(Output {
                stdout,
                stderr: String::new(),
                failure: Some(error.into()),
            });
        }
    };
    let stdout = match format {
        OutputFormat::Text => report.to_text(),
        OutputFormat::Json => format!("{}\n", report.to_json()),
    };
    let failure = (report.errors() > 0).then(|| CheckError::Findings(report.summary()));
    // The text report ends with the summary already; beside JSON, a person hears it on stderr.
    let stderr = match (&failure, format) {
        (Some(findings), OutputFormat::Json) => format!("{} {findings}\n", error_label()),
        _ => String::new(),
    };
    Ok(Output {
        stdout,
        stderr,
        failure: failure.map(Error::from),
    })
}
