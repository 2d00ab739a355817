//! Files the user names that never end: a named pipe (nothing ever writes to it) and
//! `/dev/zero`, given as the answers file, as a template's `template.toml` or to `check`, are
//! refused at once, and a file over its limit is refused with the limit. Every run has a time
//! limit, so a regression fails instead of hanging.

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

use crate::support::{ai_plugin_in, child, entries, new_in, stderr_of, workspace, write_files};

/// Long enough for a slow machine, short enough that a hang fails the test.
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    let status = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
    assert_eq!(status, 0, "mkfifo {}", path.display());
}

/// Runs `cmd` with the time limit; it must exit with `code` and say `expected` on stderr.
fn refused(cmd: &mut Command, code: i32, expected: &[&str]) {
    let assert = cmd.timeout(TIME_LIMIT).assert().code(code);
    let stderr = stderr_of(&assert);
    for part in expected {
        assert!(stderr.contains(part), "{part:?} not in\n{stderr}");
    }
}

#[test]
fn an_answers_file_that_is_a_named_pipe_is_refused() {
    let tmp = workspace();
    let fifo = child(&tmp, "answers.toml");
    mkfifo(&fifo);
    refused(
        new_in(tmp.path())
            .args(["p", "--yes", "--answers"])
            .arg(&fifo),
        2,
        &[
            &format!("the answers file `{}`", fifo.display()),
            "it is a named pipe (FIFO), not a regular file; pass the path of an answers file \
             (TOML)",
        ],
    );
    assert_eq!(entries(tmp.path()), ["answers.toml"]);
}

#[test]
fn an_answers_file_that_never_ends_is_refused() {
    let tmp = workspace();
    refused(
        new_in(tmp.path()).args(["p", "--yes", "--answers", "/dev/zero"]),
        2,
        &[
            "the answers file `/dev/zero`",
            "it is a character device, not a regular file",
        ],
    );
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn an_answers_file_over_one_mib_is_refused_with_the_limit() {
    let tmp = workspace();
    let file = child(&tmp, "answers.toml");
    let mut text = "name_for_model = \"big\"\n".to_owned();
    text.push_str(&"# padding\n".repeat(110_000));
    fs::write(&file, text).unwrap();
    refused(
        new_in(tmp.path())
            .args(["p", "--yes", "--answers"])
            .arg(&file),
        2,
        &["it is larger than 1 MiB, the limit for an answers file"],
    );
}

#[test]
fn a_template_whose_template_toml_is_a_named_pipe_is_refused() {
    let tmp = workspace();
    write_files(tmp.path(), &[("t/README.md", "# hello\n")]);
    mkfifo(&tmp.path().join("t/template.toml"));
    let expected = [
        "cannot read the template `t`: cannot read its template.toml: it is a named pipe \
         (FIFO), not a regular file",
    ];
    refused(
        new_in(tmp.path()).args(["p", "--yes", "--template", "t"]),
        2,
        &expected,
    );
    refused(
        ai_plugin_in(tmp.path()).args(["template", "check", "t"]),
        2,
        &expected,
    );
    assert_eq!(entries(tmp.path()), ["t"]);
}

#[test]
fn check_refuses_a_named_pipe_and_a_device() {
    let tmp = workspace();
    let fifo = child(&tmp, "ai-plugin.json");
    mkfifo(&fifo);
    refused(
        ai_plugin_in(tmp.path()).arg("check").arg(&fifo),
        2,
        &[
            &format!("`{}`", fifo.display()),
            "it is a named pipe (FIFO), not a regular file",
        ],
    );
    refused(
        ai_plugin_in(tmp.path()).args(["check", "/dev/zero"]),
        2,
        &[
            "`/dev/zero`",
            "it is a character device, not a regular file",
        ],
    );
}
