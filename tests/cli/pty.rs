//! The real prompts, answered in a pseudo-terminal as a person would answer them.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ai_plugin::choices::AuthType;
use expectrl::process::unix::{PtyStream, UnixProcess, WaitStatus};
use expectrl::process::{NonBlocking, Process as _};
use expectrl::stream::log::LogStream;
use expectrl::{Eof, Expect, Session};

use crate::support::{child, entries, manifest, record, record_str, workspace};

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const CTRL_C: &str = "\x03";
const ESCAPE: &str = "\x1b";

/// Everything read from and written to the terminal, for failure messages.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Write for Transcript {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The terminal's output as it came, byte for byte, for a terminal emulator to draw.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

/// A stream that keeps a copy of everything read from it in an [`Output`].
struct Tee<S> {
    stream: S,
    output: Output,
}

impl<S: Read> Read for Tee<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.output.0.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<S: Write> Write for Tee<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

impl<S: NonBlocking> NonBlocking for Tee<S> {
    fn set_blocking(&mut self, on: bool) -> std::io::Result<()> {
        self.stream.set_blocking(on)
    }
}

/// `ai-plugin new` in a pseudo-terminal.
struct Pty {
    session: Session<UnixProcess, LogStream<Tee<PtyStream>, Transcript>>,
    transcript: Transcript,
    output: Output,
    size: (u16, u16),
}

impl Pty {
    /// In a terminal wide enough for every line.
    fn spawn(cwd: &Path, args: &[&OsStr]) -> Pty {
        Pty::spawn_sized(cwd, args, (200, 50))
    }

    /// In a terminal of `size` (columns, rows).
    fn spawn_sized(cwd: &Path, args: &[&OsStr], size: (u16, u16)) -> Pty {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("ai-plugin"));
        command
            .current_dir(cwd)
            .args(["new", "--no-git"])
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        let mut process =
            UnixProcess::spawn_command(command).expect("spawn ai-plugin in a pseudo-terminal");
        process
            .set_window_size(size.0, size.1)
            .expect("set the terminal size");
        let stream = process.open_stream().expect("open the pseudo-terminal");
        let output = Output::default();
        let transcript = Transcript::default();
        let stream = LogStream::new(
            Tee {
                stream,
                output: output.clone(),
            },
            transcript.clone(),
        );
        let mut session = Session::new(process, stream).expect("start the session");
        session.set_expect_timeout(Some(Duration::from_secs(30)));
        Pty {
            session,
            transcript,
            output,
            size,
        }
    }

    /// The lines the terminal shows now, as a person reads them: a line the terminal wrapped
    /// onto the next rows is one line; trailing blank lines are left out. A row that starts with
    /// a prompt's mark starts a line: the emulator keeps a row's wrap mark when the next row is
    /// cleared and written again.
    fn screen_lines(&self) -> Vec<String> {
        let (columns, rows) = self.size;
        let size = |n| std::num::NonZeroU16::new(n).expect("a terminal has rows and columns");
        let mut parser = vt100::Parser::new(size(rows), size(columns), 0);
        parser.process(&self.output.0.lock().unwrap());
        let screen = parser.screen();
        let mut lines: Vec<String> = Vec::new();
        let mut continues = false;
        for (row, text) in (0..).zip(screen.rows(0, columns)) {
            let marked = text.starts_with(['✔', '✘', '?', '❯']);
            match lines.last_mut() {
                Some(last) if continues && !marked => last.push_str(&text),
                _ => lines.push(text),
            }
            continues = screen.row_wrapped(row);
        }
        while lines.last().is_some_and(|line| line.trim().is_empty()) {
            lines.pop();
        }
        lines
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript.0.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears on the terminal.
    fn expect(&mut self, text: &str) {
        if let Err(e) = self.session.expect(text) {
            panic!(
                "waiting for {text:?}: {e}\n--- terminal so far ---\n{}",
                self.transcript()
            );
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("type into the terminal");
    }

    /// Waits for `prompt`, then types `answer` and Enter.
    fn answer(&mut self, prompt: &str, answer: &str) {
        self.expect(prompt);
        self.send(answer);
        self.send(ENTER);
    }

    /// Reads to the end and returns how the process ended.
    fn finish(self) -> (WaitStatus, String) {
        let (status, transcript, _) = self.finish_with_screen();
        (status, transcript)
    }

    /// Reads to the end and returns how the process ended, and the lines on the screen then.
    fn finish_with_screen(mut self) -> (WaitStatus, String, Vec<String>) {
        if let Err(e) = self.session.expect(Eof) {
            panic!(
                "waiting for the end: {e}\n--- terminal so far ---\n{}",
                self.transcript()
            );
        }
        let status = self
            .session
            .get_process()
            .wait()
            .expect("wait for ai-plugin");
        (status, self.transcript(), self.screen_lines())
    }
}

/// What the terminal showed: the transcript's reads joined (the log splits them anywhere), with
/// escapes as the log writes them (`\r\n` as four characters).
fn screen(transcript: &str) -> String {
    transcript
        .lines()
        .filter_map(|line| line.strip_prefix("read: \"")?.strip_suffix('"'))
        .collect()
}

fn exit_code(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        _ => None,
    }
}

/// The status a shell reports (`$?`): the exit code, or 128 + the signal that ended it.
///
/// Ctrl-C at a dialoguer prompt makes `console` raise SIGINT in the process, so today it ends
/// by the signal rather than by `exit(130)` (see the report); both read as 130 in a shell.
fn shell_status(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, signal, _) => Some(128 + signal as i32),
        _ => None,
    }
}

#[test]
fn prompts_are_answered_in_order_and_a_bad_answer_is_asked_again() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let mut pty = Pty::spawn(tmp.path(), &[project.as_os_str()]);

    pty.answer("(name_for_human)", "Far Too Long A Name For This");
    pty.expect("at most 20 characters (it has 28)");
    pty.answer("(name_for_human)", "Pty Bot");
    pty.expect("(name_for_model)");
    pty.expect("pty_bot"); // the default follows the name just given
    pty.send(ENTER);
    pty.answer("(description_for_human)", "Made in a pseudo-terminal.");
    pty.answer("(description_for_model)", "");
    // The stack is asked before the auth type.
    pty.expect("Server stack");
    pty.expect("typescript"); // the last choice is drawn
    assert!(!pty.transcript().contains("Authentication"));
    pty.send(ENTER);
    pty.expect("Authentication");
    pty.expect("user_http");
    pty.send(DOWN);
    pty.send(ENTER);
    pty.answer("Local port", "6001");
    pty.answer("Contact email", "pty@example.com");
    pty.expect("Legal information URL");
    pty.expect("http://localhost:6001/legal"); // the default follows the port just given
    pty.send(ENTER);
    pty.expect("Created");
    let (status, transcript) = pty.finish();

    assert_eq!(exit_code(status), Some(0), "{status:?}\n{transcript}");
    // The auth choice is echoed as its value alone, not as the padded menu line.
    let screen = screen(&transcript);
    let before_port = &screen[..screen.find("Local port").expect("the port is asked")];
    let echo = &before_port[before_port
        .rfind("service_http")
        .expect("the choice is echoed")..];
    let echo = echo.split("\\r\\n").next().unwrap_or_default();
    assert!(
        !echo.contains(AuthType::ServiceHttp.explanation()) && !echo.contains("  "),
        "the echo {echo:?} repeats the menu line:\n{transcript}"
    );
    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "Pty Bot");
    assert_eq!(manifest["name_for_model"], "pty_bot");
    assert_eq!(
        manifest["description_for_human"],
        "Made in a pseudo-terminal."
    );
    assert!(
        manifest["description_for_model"]
            .as_str()
            .unwrap()
            .starts_with("Plugin for managing a TODO list."),
        "{manifest}"
    );
    assert_eq!(manifest["auth"]["type"], "service_http");
    assert_eq!(manifest["contact_email"], "pty@example.com");
    assert_eq!(manifest["legal_info_url"], "http://localhost:6001/legal");
    assert_eq!(manifest["api"]["url"], "http://localhost:6001/openapi.yaml");
    let record = record(&project);
    assert_eq!(record_str(&record, "stack"), "rust");
    assert_eq!(record_str(&record, "auth"), "service_http");
    assert_eq!(entries(tmp.path()), ["proj"], "no staging folder is left");
}

#[test]
fn ctrl_c_at_the_first_prompt_exits_130_and_writes_nothing() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let mut pty = Pty::spawn(tmp.path(), &[project.as_os_str()]);

    pty.expect("(name_for_human)");
    pty.send(CTRL_C);
    let (status, transcript) = pty.finish();

    assert_eq!(shell_status(status), Some(130), "{status:?}\n{transcript}");
    assert!(!project.exists());
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[test]
fn ctrl_c_says_cancelled_once_on_its_own_line() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let mut pty = Pty::spawn(tmp.path(), &[project.as_os_str()]);
    pty.expect("(name_for_human)");
    pty.send("abc");
    pty.expect("abc");
    pty.send(CTRL_C);
    let (status, transcript) = pty.finish();
    assert_eq!(shell_status(status), Some(130), "{status:?}\n{transcript}");
    assert!(
        !transcript.contains("abccancelled"),
        "the message starts a new line:\n{transcript}"
    );

    let args: Vec<&OsStr> = [
        project.as_os_str(),
        OsStr::new("--name-for-human=Menu Bot"),
        OsStr::new("--name-for-model=menu_bot"),
        OsStr::new("--description-for-human=d"),
        OsStr::new("--description-for-model=d"),
    ]
    .into();
    let mut pty = Pty::spawn(tmp.path(), &args);
    pty.expect("Server stack");
    pty.expect("typescript");
    pty.send(CTRL_C);
    let (status, transcript) = pty.finish();
    assert_eq!(shell_status(status), Some(130), "{status:?}\n{transcript}");
    assert_eq!(
        transcript.matches("cancelled; nothing was written").count(),
        1,
        "said once:\n{transcript}"
    );
    assert!(!project.exists());
}

#[test]
fn escape_at_a_menu_cancels_with_130_says_so_and_writes_nothing() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let args: Vec<&OsStr> = [
        project.as_os_str(),
        OsStr::new("--name-for-human=Esc Bot"),
        OsStr::new("--name-for-model=esc_bot"),
        OsStr::new("--description-for-human=d"),
        OsStr::new("--description-for-model=d"),
    ]
    .into();
    let mut pty = Pty::spawn(tmp.path(), &args);

    // The given answers are not asked: the first question is the menu.
    pty.expect("Server stack");
    pty.expect("typescript");
    pty.send(ESCAPE);
    pty.expect("cancelled; nothing was written");
    let (status, transcript) = pty.finish();

    assert_eq!(exit_code(status), Some(130), "{status:?}\n{transcript}");
    assert!(
        !transcript.contains("(name_for_human)"),
        "a given answer was asked:\n{transcript}"
    );
    // The menu hid the cursor; the error report shows it again.
    let hidden = transcript.find("?25l").expect("the menu hides the cursor");
    assert!(
        transcript[hidden..].contains("?25h"),
        "the cursor is left hidden:\n{transcript}"
    );
    assert!(!project.exists());
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[test]
fn without_a_directory_it_is_asked_first_and_names_the_rest() {
    let tmp = workspace();
    std::fs::create_dir(child(&tmp, "taken")).unwrap();
    std::fs::write(child(&tmp, "taken/notes.txt"), "mine").unwrap();
    let mut pty = Pty::spawn(tmp.path(), &[]);

    // A non-empty directory is refused at the prompt, and asked again.
    pty.answer("Project directory", "taken");
    pty.expect("is not empty");
    pty.answer("Project directory", "my-dir");
    pty.expect("(name_for_human)");
    pty.expect("My Dir"); // the default comes from the directory
    pty.send(ENTER);
    pty.answer("(name_for_model)", "");
    pty.answer("(description_for_human)", "");
    pty.answer("(description_for_model)", "");
    pty.answer("Server stack", "");
    pty.answer("Authentication", "");
    pty.answer("Local port", "");
    pty.answer("Contact email", "");
    pty.answer("Legal information URL", "");
    pty.expect("Created");
    let (status, transcript) = pty.finish();

    assert_eq!(exit_code(status), Some(0), "{status:?}\n{transcript}");
    let project = child(&tmp, "my-dir");
    let manifest = manifest(&project);
    assert_eq!(manifest["name_for_human"], "My Dir");
    assert_eq!(manifest["name_for_model"], "my_dir");
    assert_eq!(manifest["auth"]["type"], "none");
    assert_eq!(manifest["legal_info_url"], "http://localhost:5003/legal");
    assert_eq!(entries(&child(&tmp, "taken")), ["notes.txt"]);
    assert_eq!(entries(tmp.path()), ["my-dir", "taken"]);
}

#[test]
fn a_templates_variables_are_asked_after_the_plugins_questions() {
    let tmp = workspace();
    let project = child(&tmp, "course");
    let template = crate::support::template_fixture("course");
    let args: Vec<&OsStr> = [
        project.as_os_str(),
        OsStr::new("--template"),
        template.as_os_str(),
        OsStr::new("--name-for-human=Pty Course"),
        OsStr::new("--name-for-model=pty_course"),
        OsStr::new("--description-for-human=d"),
        OsStr::new("--description-for-model=Plugin for d."),
        OsStr::new("--auth=none"),
        OsStr::new("--port=5003"),
        OsStr::new("--contact-email=pty@example.com"),
        OsStr::new("--legal-info-url=https://example.com/legal"),
    ]
    .into();
    let mut pty = Pty::spawn(tmp.path(), &args);

    // A value that breaks the pattern is asked again with the template's own message.
    pty.answer("Course code", "cs 101");
    pty.expect("use a course code such as CS101");
    pty.answer("Course code", "CS101");
    pty.expect("Python package");
    pty.expect("pty_course_cs101"); // the default uses the answers before it
    pty.send(ENTER);
    pty.expect("Add a Dockerfile?");
    pty.send(DOWN); // yes → no
    pty.send(ENTER);
    pty.expect("Database");
    pty.expect("postgres");
    pty.send(DOWN);
    pty.send(DOWN); // sqlite → none
    pty.send(ENTER);
    pty.answer("Worker processes", "many");
    pty.expect("workers must be a whole number");
    pty.answer("Worker processes", "3");
    pty.expect("Created");
    let (status, transcript) = pty.finish();

    assert_eq!(exit_code(status), Some(0), "{status:?}\n{transcript}");
    assert!(
        !transcript.contains("Server stack"),
        "a template decides the stack:\n{transcript}"
    );
    assert!(
        !transcript.contains("Course code ()"),
        "a variable without a default shows no empty brackets:\n{transcript}"
    );
    let record = record(&project);
    let variables = record["variables"].as_table().unwrap();
    assert_eq!(variables["course"].as_str(), Some("CS101"));
    assert_eq!(variables["package"].as_str(), Some("pty_course_cs101"));
    assert_eq!(variables["docker"].as_bool(), Some(false));
    assert_eq!(variables["database"].as_str(), Some("none"));
    assert_eq!(variables["workers"].as_integer(), Some(3));
    assert!(!project.join("Dockerfile").exists());
    assert!(!project.join("db").exists());
}

#[test]
fn port_5000_is_warned_about_and_asked_again_then_kept_if_typed_again() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let args: Vec<&OsStr> = [
        project.as_os_str(),
        OsStr::new("--name-for-human=Port Bot"),
        OsStr::new("--name-for-model=port_bot"),
        OsStr::new("--description-for-human=d"),
        OsStr::new("--description-for-model=d"),
        OsStr::new("--stack=rust"),
        OsStr::new("--auth=none"),
        OsStr::new("--contact-email=a@b.cd"),
        OsStr::new("--legal-info-url=https://b.cd/legal"),
    ]
    .into();
    let mut pty = Pty::spawn(tmp.path(), &args);
    pty.answer("Local port", "5000");
    pty.expect("enter 5000 again to keep it");
    pty.answer("Local port", "5000");
    pty.expect("Created");
    let (status, transcript) = pty.finish();
    assert_eq!(exit_code(status), Some(0), "{status:?}\n{transcript}");
    assert_eq!(
        manifest(&project)["api"]["url"],
        "http://localhost:5000/openapi.yaml"
    );
    assert!(
        !screen(&transcript).contains("warning:"),
        "the warning is said at the prompt, not again after it:\n{transcript}"
    );
}

#[test]
fn at_80_columns_the_questions_leave_only_their_answers_on_the_screen() {
    let tmp = workspace();
    let project = child(&tmp, "proj");
    let mut pty = Pty::spawn_sized(tmp.path(), &[project.as_os_str()], (80, 60));
    let typed = "Typed at length, so that the answer runs past the end of the first row.";

    // A rejected answer, then a good one.
    pty.answer("(name_for_human)", "Far Too Long A Name For This");
    pty.expect("at most 20 characters (it has 28)");
    pty.answer("(name_for_human)", "Pty Bot");
    pty.expect("(name_for_model)");
    pty.send(ENTER);
    // A typed answer wider than what is left of the prompt's row.
    pty.answer("(description_for_human)", typed);
    // A default wider than the terminal.
    pty.expect("(description_for_model)");
    pty.expect("current id");
    pty.send(ENTER);
    // The stack, then the auth type, whose menu lines are wider than the terminal.
    pty.expect("Server stack");
    pty.expect("typescript");
    pty.send(ENTER);
    pty.expect("Authentication");
    pty.expect("oauth");
    pty.send(DOWN);
    pty.send(ENTER);
    for question in ["Local port", "Contact email", "Legal information URL"] {
        pty.answer(question, "");
    }
    pty.expect("Created");
    let (status, transcript, screen) = pty.finish_with_screen();

    assert_eq!(exit_code(status), Some(0), "{status:?}\n{transcript}");
    let shown = screen.join("\n");
    let created = screen
        .iter()
        .position(|line| line.starts_with("Created"))
        .unwrap_or_else(|| panic!("no `Created` line on the screen:\n{shown}"));
    let answers = [
        "Pty Bot",
        "pty_bot",
        typed,
        "so that you use a current id.",
        "rust",
        "service_http",
        "5003",
        "support@example.com",
        "http://localhost:5003/legal",
    ];
    let asked = &screen[..created];
    assert_eq!(
        asked.len(),
        answers.len(),
        "the screen keeps a line besides the answers:\n{shown}"
    );
    for (line, answer) in asked.iter().zip(answers) {
        assert!(
            line.starts_with("✔ ") && line.ends_with(answer),
            "{line:?} is not the echo of {answer:?}:\n{shown}"
        );
    }
}
