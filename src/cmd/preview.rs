//! `ai-plugin preview`: reads the target (a folder, a file, a running plugin or MCP server),
//! returns the rendering the model reads with its token counts, then what `check` finds that
//! the host would refuse. The rendering itself is [`crate::preview`]'s.

use std::fmt::Write as _;

use super::Output;
use crate::check::{self, CheckError, CheckTarget, live, mcp};
use crate::cli::PreviewArgs;
use crate::error::{Error, Refusal};
use crate::preview::{from_sources, render_mcp, token_table};

/// Runs `ai-plugin preview`: the rendering and its token counts, then what the host would
/// refuse.
pub fn run(args: PreviewArgs) -> Result<Output, Error> {
    let PreviewArgs {
        target: input,
        target_kind,
        token,
    } = args;
    let hint = match target_kind {
        CheckTarget::Plugins => format!("`ai-plugin check {input}`"),
        other => format!("`ai-plugin check {input} --target {}`", other.as_str()),
    };
    if let Some(url) = mcp_url(&input, target_kind)? {
        return run_mcp(&input, &url, target_kind, token, &hint);
    }
    let target = target_kind.spec_target();
    let sources = match check::Input::of(&input) {
        check::Input::Url(url) => live::fetch_documents(&url)?,
        check::Input::Path(path) => check::read_target(&path)?,
    };
    let preview = from_sources(&input, &sources, target)?;
    let mut out = Output::stdout(format!("{}\n{}", preview.text, token_table(&preview)));
    // The same file rules as `check`: what the host would refuse is said, after the preview.
    let report = check::check_sources(&input, sources, target, None)?;
    refuse_on_errors(&mut out, report, "plugin", &hint);
    Ok(out)
}

/// The MCP endpoint `input` names for `target`: an http(s) URL with a path, or a base URL
/// when the target is an MCP host. A folder is refused for an MCP host.
fn mcp_url(input: &str, target: CheckTarget) -> Result<Option<String>, CheckError> {
    match check::Input::of(input) {
        check::Input::Url(url) => Ok(match check::UrlKind::of(&url) {
            check::UrlKind::Mcp => Some(url),
            check::UrlKind::Base if target.is_mcp_host() => Some(mcp::endpoint_for_base(&url)),
            _ => None,
        }),
        check::Input::Path(_) if target.is_mcp_host() => Err(CheckError::Unreadable {
            target: input.to_owned(),
            message: format!(
                "--target {} previews a running MCP server: give its URL, e.g. http://localhost:5003/mcp",
                target.as_str()
            ),
        }),
        check::Input::Path(_) => Ok(None),
    }
}

/// Previews the MCP server at `url`: its instructions and tools, then what `check` finds.
fn run_mcp(
    input: &str,
    url: &str,
    target: CheckTarget,
    token: Option<String>,
    hint: &str,
) -> Result<Output, Error> {
    let options = mcp::Options {
        token,
        call_read_only: false,
    };
    let outcome =
        mcp::check(url, target, &options, true).map_err(|message| CheckError::Unreadable {
            target: input.to_owned(),
            message,
        })?;
    let preview = render_mcp(outcome.instructions.as_deref(), &outcome.tools);
    let mut out = Output::default();
    if preview.parts.is_empty() {
        let why = outcome
            .notes
            .iter()
            .find(|n| n.contains("token"))
            .cloned()
            .unwrap_or_else(|| "the server listed no tools".to_owned());
        let _ = writeln!(out.stdout, "{url}: nothing to show ({why})");
    } else {
        let _ = write!(out.stdout, "{}\n{}", preview.text, token_table(&preview));
    }
    let report = check::Report {
        target: input.to_owned(),
        findings: outcome.findings,
        notes: Vec::new(),
    };
    refuse_on_errors(&mut out, report, "server", hint);
    Ok(out)
}

/// The report's errors after a preview, and a refusal; nothing when there are none.
fn refuse_on_errors(out: &mut Output, report: check::Report, what: &'static str, hint: &str) {
    if report.errors() == 0 {
        return;
    }
    let errors = check::Report {
        findings: report
            .findings
            .into_iter()
            .filter(crate::diagnostic::Diagnostic::is_error)
            .collect(),
        notes: Vec::new(),
        ..report
    };
    out.stderr = format!("\n{}", errors.findings_text());
    out.failure = Some(
        Refusal::HostWouldRefuse {
            what,
            errors: errors.errors(),
            hint: hint.to_owned(),
        }
        .into(),
    );
}
