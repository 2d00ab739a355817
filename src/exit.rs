//! The process exit codes: 0 success, 1 findings or a failed command, 2 a usage error, 130
//! cancelled. At the bottom of the module graph, so that both the error type and the Ctrl-C
//! handler can name them.

/// Exit code for a usage error: bad or missing answers.
pub const USAGE: u8 = 2;
/// Exit code when the person cancels at a prompt (as a shell reports Ctrl-C).
pub const CANCELLED: u8 = 130;
