//! Schemathesis (from PyPI): requests generated from a running server's own `openapi.yaml`, so
//! the promise that the spec matches the server is tested beyond hand-picked examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The schemathesis release line the checks below are written for.
const REQUIREMENT: &str = "schemathesis>=4.32,<5";

/// What must hold for every generated request: no 500, every answer as the spec declares it
/// (status, media type, headers, body), and no schema-valid request refused with a 4xx the
/// spec does not allow for valid input (401, 404 and 409 are allowed).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,\
                      positive_data_acceptance";

/// The `st` command of a virtual environment with schemathesis, made on first use (one per
/// target directory, shared by every test of the run).
fn st() -> &'static Path {
    static ST: OnceLock<PathBuf> = OnceLock::new();
    ST.get_or_init(|| {
        // Its virtual environment needs Python for every stack: say what to install first.
        super::require_toolchain("python");
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-venv");
        let st = venv.join("bin/st");
        if st.exists() {
            return st;
        }
        let run = |program: &Path, args: &[&str]| {
            let output = Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
            assert!(
                output.status.success(),
                "`{} {}` failed (schemathesis comes from PyPI):\n{}{}",
                program.display(),
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        };
        run(
            Path::new("python3"),
            &["-m", "venv", venv.to_str().unwrap()],
        );
        run(
            &venv.join("bin/pip"),
            &[
                "install",
                "--quiet",
                "--disable-pip-version-check",
                REQUIREMENT,
            ],
        );
        st
    })
}

/// Runs schemathesis against the server at `base` (as `token`'s user, if any) for a bounded
/// number of examples; panics with its report if any check fails.
pub fn check(base: &str, token: Option<&str>, what: &str) {
    let spec = format!("{base}/openapi.yaml");
    let mut command = Command::new(st());
    command.args([
        "run",
        &spec,
        "--url",
        base,
        "--mode",
        "positive",
        "--checks",
        CHECKS,
        "--phases",
        "coverage,fuzzing,stateful",
        "--max-examples",
        "40",
        // The spec's `pattern` is ECMA-262, which schemathesis reads as a Python regex; they
        // differ on U+FEFF alone (white space for ECMA-262, not for Python), so a random seed
        // could, rarely, generate a text the spec refuses. A fixed seed keeps runs repeatable.
        "--seed",
        "10",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
    ]);
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    // Schemathesis keeps a cache of the failures it found in `.schemathesis/` of its working
    // directory and replays them: each run starts from an empty one.
    let workdir = tempfile::tempdir().unwrap();
    let output = command
        .current_dir(workdir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{what}: schemathesis found requests the server does not answer as its spec says:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
