//! `ai-plugin new --yes` as a whole process: wall time and peak memory per generated project,
//! beside a plain `cp -r` of the same output for scale. Run with `cargo bench --bench new`
//! (`BENCH_RUNS=500` for more runs).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench reports on the terminal

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `command` to completion; its wall time and peak resident memory in KiB.
fn measure(command: &mut Command) -> (Duration, i64) {
    let start = Instant::now();
    // The child is reaped by wait4 below, which also reports its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("the command starts");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; the pointers are valid.
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed"
    );
    (elapsed, usage.ru_maxrss)
}

// Durations and run counts far below the precision limits.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
fn summarize(name: &str, mut samples: Vec<(Duration, i64)>) {
    samples.sort_by_key(|s| s.0);
    let n = samples.len();
    let at = |q: f64| samples[((n as f64 - 1.0) * q).round() as usize].0;
    let mean = samples.iter().map(|s| s.0).sum::<Duration>() / n as u32;
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    println!(
        "{name:<28} median {:>8.2?}  mean {:>8.2?}  p95 {:>8.2?}  min {:>8.2?}  peak RSS {:>6.1} MiB  ({n} runs)",
        at(0.5),
        mean,
        at(0.95),
        at(0.0),
        peak as f64 / 1024.0
    );
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let binary = env!("CARGO_BIN_EXE_ai-plugin");
    let work = tempfile::tempdir().unwrap();
    let generate = |dir: &Path, auth: &str| {
        let mut command = Command::new(binary);
        command
            .args(["new", "--yes", "--auth", auth])
            .arg(dir)
            .stdout(std::process::Stdio::null());
        command
    };
    measure(&mut generate(&work.path().join("warm-up"), "none"));

    println!("ai-plugin new --yes, as a whole process ({binary})");
    for auth in ["none", "service_http", "user_http"] {
        let samples = (0..runs)
            .map(|i| {
                measure(&mut generate(
                    &work.path().join(format!("{auth}-{i}")),
                    auth,
                ))
            })
            .collect();
        summarize(&format!("new --yes --auth {auth}"), samples);
    }
    let source = work.path().join("none-0");
    let files = walkdir::WalkDir::new(&source)
        .into_iter()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_type().is_file()))
        .count();
    let samples = (0..runs)
        .map(|i| {
            measure(
                Command::new("cp")
                    .arg("-r")
                    .arg(&source)
                    .arg(work.path().join(format!("copy-{i}"))),
            )
        })
        .collect();
    summarize(&format!("cp -r of the output ({files} files)"), samples);
}
