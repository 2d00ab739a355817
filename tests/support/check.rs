//! Running `ai-plugin check` from a test, as the check and MCP check tests do.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs `ai-plugin ARGS` from the repository root (so fixture paths in reports are stable).
pub fn ai_plugin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ai-plugin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `check --format json` on `target` (a folder, file or URL): the exit code and the report.
pub fn check_json(target: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", target, "--format", "json"];
    args.extend_from_slice(extra);
    let output = ai_plugin(&args);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "check {target} printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

/// (code, severity) of every finding.
pub fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
