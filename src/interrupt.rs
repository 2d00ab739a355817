//! Ctrl-C: the terminal library raises SIGINT itself when Ctrl-C is pressed at a prompt, which
//! would kill the process with the cursor still hidden. This handler restores the terminal,
//! removes a staging folder that is being filled, and exits 130.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::EXIT_CANCELLED;

/// A staging folder to remove if the process is interrupted while it exists.
static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Installs the handler once per process; later calls do nothing.
pub fn install() {
    // An error means a handler is already installed (e.g. by an embedding program).
    let _ = ctrlc::set_handler(|| {
        let stderr = console::Term::stderr();
        if stderr.is_term() {
            let _ = stderr.show_cursor();
        }
        let staging = STAGING.lock().ok().and_then(|mut s| s.take());
        if let Some(staging) = staging {
            let _ = std::fs::remove_dir_all(staging);
        }
        say_cancelled();
        std::process::exit(i32::from(EXIT_CANCELLED));
    });
}

/// Whether the cancellation has been said.
static SAID: AtomicBool = AtomicBool::new(false);

/// Says "cancelled; nothing was written", once per process: at a prompt, Ctrl-C reaches both
/// this handler and the prompt (which returns an error that is reported), in either order.
/// On a terminal the message starts a new line, as the cursor may be after typed text.
pub fn say_cancelled() {
    if SAID.swap(true, Ordering::SeqCst) {
        return;
    }
    let newline = if console::Term::stderr().is_term() {
        "\n"
    } else {
        ""
    };
    eprintln!("{newline}cancelled; nothing was written");
}

/// Marks `path` as a staging folder to remove on interrupt, until [`release`] is called.
pub fn guard(path: PathBuf) {
    if let Ok(mut staging) = STAGING.lock() {
        *staging = Some(path);
    }
}

/// The staging folder no longer needs removing on interrupt.
pub fn release() {
    if let Ok(mut staging) = STAGING.lock() {
        *staging = None;
    }
}
