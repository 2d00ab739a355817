//! Ctrl-C. The terminal library raises SIGINT itself when Ctrl-C is pressed at a prompt, which
//! would kill the process with the cursor still hidden; until writing begins, the handler
//! restores the terminal, says that nothing was written (true: nothing has been) and exits 130.
//!
//! Once writing begins ([`begin_writing`]) the handler only records the request: the writer
//! looks at [`requested`] at safe points and, before its point of no return, removes what it
//! staged itself and returns a cancellation; after it, the writer finishes and the command says
//! the project is complete. The handler never touches files, so it can never race the writer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::exit;

/// Whether writing has begun. The handler holds the lock while it decides and exits, so writing
/// cannot begin between its decision and the exit.
static WRITING: Mutex<bool> = Mutex::new(false);

/// Whether Ctrl-C was pressed once writing had begun.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler once per process; later calls do nothing.
pub fn install() {
    // An error means a handler is already installed (e.g. by an embedding program).
    let _ = ctrlc::set_handler(|| {
        let writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        if *writing {
            REQUESTED.store(true, Ordering::SeqCst);
            return;
        }
        let stderr = console::Term::stderr();
        if stderr.is_term() {
            let _ = stderr.show_cursor();
        }
        say_cancelled();
        std::process::exit(i32::from(exit::CANCELLED));
    });
}

/// From now on, Ctrl-C only sets [`requested`]: the process no longer exits on its own.
pub fn begin_writing() {
    *WRITING.lock().unwrap_or_else(PoisonError::into_inner) = true;
}

/// Whether Ctrl-C was pressed since [`begin_writing`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Whether the cancellation has been said.
static SAID: AtomicBool = AtomicBool::new(false);

/// Says "cancelled; nothing was written", once per process: at a prompt, Ctrl-C reaches both
/// this handler and the prompt (which returns an error that is reported), in either order.
/// On a terminal the message starts a new line, as the cursor may be after typed text.
// The Ctrl-C handler runs outside any command, so it speaks for itself.
#[allow(clippy::print_stderr)]
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
