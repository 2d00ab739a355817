//! Ctrl-C while `new` writes: SIGINT sent at moments swept across a whole run (before staging,
//! while the staging folder fills, while the project moves into place, after), into a new
//! target and into an existing empty one, with a large template of the user's (so the writing
//! takes a while) and with a built-in stack. Whatever the moment, after the process ends:
//! - the target is untouched (missing, or still empty) or complete (every file, every byte);
//! - no `.ai-plugin-staging-*` folder is left beside it;
//! - the exit code is 0 only if the project is complete;
//! - "nothing was written" is said only if nothing was.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::support::{entries, staging_leftovers, tree_bytes, workspace, write_files};

/// Files in the large template: enough that staging and moving take a noticeable time.
const LARGE_TEMPLATE_FILES: usize = 1500;

/// Whether the target exists before the run.
#[derive(Debug, Clone, Copy)]
enum Before {
    Missing,
    Empty,
}

/// When SIGINT is sent.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This long after the start.
    AfterStart(Duration),
    /// This long after the staging folder appears.
    AfterStaging(Duration),
    /// As soon as the project starts to appear in the target: during the move.
    TargetFills,
}

/// Runs `ai-plugin new proj ARGS` in `dir`, sends SIGINT `when`, and waits for the end.
/// Returns the output, how long after the start the staging folder was first seen (if it
/// was), and how long the run took.
fn run(dir: &Path, args: &[&str], when: Option<When>) -> (Output, Option<Duration>, Duration) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ai-plugin"))
        .current_dir(dir)
        .args(["new", "proj", "--no-git"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ai-plugin starts");
    let start = Instant::now();
    let target = dir.join("proj");
    let was_empty_dir = target.is_dir();
    let mut staging_seen = None;
    // Polls until `done` holds or the child has ended; notes when staging is first seen.
    let mut wait_for = |child: &mut Child, done: &dyn Fn(bool) -> bool| loop {
        let staging = !staging_leftovers(dir).is_empty();
        if staging && staging_seen.is_none() {
            staging_seen = Some(start.elapsed());
        }
        if done(staging) || child.try_wait().unwrap().is_some() {
            return;
        }
        sleep(Duration::from_micros(200));
    };
    match when {
        None => wait_for(&mut child, &|_| false),
        Some(When::AfterStart(delay)) => sleep(delay),
        Some(When::AfterStaging(delay)) => {
            wait_for(&mut child, &|staging| staging);
            sleep(delay);
        }
        Some(When::TargetFills) => wait_for(&mut child, &|_| {
            if was_empty_dir {
                !entries(&target).is_empty()
            } else {
                target.exists()
            }
        }),
    }
    if when.is_some() {
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill has no memory effects; the child is ours and not yet waited for.
        unsafe { libc::kill(pid, libc::SIGINT) };
    }
    let output = child.wait_with_output().unwrap();
    (output, staging_seen, start.elapsed())
}

/// The project's files and bytes, but for the secrets, which differ on every run.
fn project_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = tree_bytes(dir);
    tree.remove(".env");
    tree
}

/// Sends SIGINT at moments swept across a run of `new ARGS` in a fresh folder, for a new and
/// an existing empty target, and checks what must hold after each.
// Prints what the sweep saw: the test output is the place to read it.
#[allow(clippy::print_stderr)]
fn sweep(args: &[&str]) {
    let reference = workspace();
    let (output, staging_at, took) = run(reference.path(), args, None);
    assert!(output.status.success(), "{output:?}");
    let complete = project_tree(&reference.path().join("proj"));
    // The staging folder may come and go between two looks; then sweep the last half.
    let staging_at = staging_at.unwrap_or(took / 2);
    let writing = took.saturating_sub(staging_at);

    let mut moments: Vec<When> = (0..3)
        .map(|i| When::AfterStart(staging_at * i / 3))
        .collect();
    moments.extend((0..5).map(|i| When::AfterStaging(writing * i / 4)));
    moments.push(When::TargetFills);
    let mut seen = BTreeMap::<&str, usize>::new();
    for before in [Before::Missing, Before::Empty] {
        for &when in &moments {
            let ws = workspace();
            let target = ws.path().join("proj");
            if let Before::Empty = before {
                fs::create_dir(&target).unwrap();
            }
            let (output, _, _) = run(ws.path(), args, Some(when));
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context = format!(
                "{before:?} target, SIGINT {when:?} (a full run took {took:?}, staging at \
                 {staging_at:?}): {}\nstderr: {stderr}",
                output.status
            );
            let leftovers = staging_leftovers(ws.path());
            assert!(
                leftovers.is_empty(),
                "staging left: {leftovers:?}; {context}"
            );
            let untouched = match before {
                Before::Missing => !target.exists(),
                Before::Empty => target.is_dir() && entries(&target).is_empty(),
            };
            let is_complete = target.is_dir() && project_tree(&target) == complete;
            assert!(
                untouched || is_complete,
                "a partial project ({} of {} files); {context}",
                crate::support::files_under(&target).len(),
                complete.len()
            );
            if output.status.success() {
                assert!(is_complete, "exit 0 without a complete project; {context}");
            }
            if stderr.contains("nothing was written") {
                assert!(untouched, "said nothing was written, but it was; {context}");
            }
            *seen
                .entry(if is_complete { "complete" } else { "untouched" })
                .or_default() += 1;
        }
    }
    eprintln!("{args:?}: {seen:?}");
}

#[test]
fn ctrl_c_at_any_moment_leaves_a_large_template_untouched_or_complete() {
    let template = workspace();
    let mut files = vec![(
        "template.toml".to_owned(),
        "name = \"large\"\ndescription = \"many files\"\n".to_owned(),
    )];
    for i in 0..LARGE_TEMPLATE_FILES {
        files.push((format!("d{:02}/f{i:04}.txt", i % 50), format!("file {i}\n")));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
    write_files(template.path(), &files);
    let template = template.path().to_str().unwrap();
    sweep(&["--yes", "--template", template]);
}

#[test]
fn ctrl_c_at_any_moment_leaves_a_builtin_stack_untouched_or_complete() {
    sweep(&["--yes", "--stack", "rust"]);
}
