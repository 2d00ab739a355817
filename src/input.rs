//! Reading a file the user names (an answers file, a template's `template.toml`, a file to
//! `check`): only a regular file, and only up to a limit. A named pipe would block the read
//! forever and a device such as `/dev/zero` never ends, so both are refused before they are
//! opened, and a file is never read past its limit.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// One mebibyte, the unit limits are given in.
pub const MIB: u64 = 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a regular file: a folder, a named pipe, a device or a socket.
    #[error("it is {kind}, not a regular file; pass the path of {expected}")]
    NotAFile {
        /// What it is ("a named pipe (FIFO)").
        kind: &'static str,
        /// What to pass instead ("an answers file (TOML)").
        expected: &'static str,
    },
    /// Longer than the limit.
    #[error("it is larger than {}, the limit for {expected}", Size(*.limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// What the file is meant to be.
        expected: &'static str,
    },
    /// Not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotUtf8,
    /// The operating system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A size in bytes, shown in MiB or KiB when it is a whole number of them.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= 1024 && n % 1024 == 0 => write!(f, "{} KiB", n / 1024),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// What a file type is, in words, when it is not a regular file.
fn kind(file_type: fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// The bytes of the regular file at `path` (links followed), if it holds at most `limit` bytes.
/// `expected` says what the file should be, for the error ("an answers file (TOML)").
pub fn read_bytes(path: &Path, limit: u64, expected: &'static str) -> Result<Vec<u8>, InputError> {
    // Judged before opening: opening a named pipe blocks until something writes to it.
    if let Some(kind) = kind(fs::metadata(path)?.file_type()) {
        return Err(InputError::NotAFile { kind, expected });
    }
    let file = File::open(path)?;
    // The file may have been swapped since; judge what was opened.
    let meta = file.metadata()?;
    if let Some(kind) = kind(meta.file_type()) {
        return Err(InputError::NotAFile { kind, expected });
    }
    let too_large = InputError::TooLarge { limit, expected };
    if meta.len() > limit {
        return Err(too_large);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file that grows while it is read still stops at the limit.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large);
    }
    Ok(bytes)
}

/// The text of the regular file at `path`, as [`read_bytes`] reads it.
pub fn read_text(path: &Path, limit: u64, expected: &'static str) -> Result<String, InputError> {
    String::from_utf8(read_bytes(path, limit, expected)?).map_err(|_| InputError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.toml");
        fs::write(&path, "x = 1\n").unwrap();
        assert_eq!(read_text(&path, 6, "a file").unwrap(), "x = 1\n");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.toml");
        fs::write(&path, vec![b'x'; 2 * 1024 + 1]).unwrap();
        let err = read_text(&path, 2 * 1024, "an answers file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is larger than 2 KiB, the limit for an answers file"
        );
    }

    #[test]
    fn a_folder_is_not_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_text(tmp.path(), MIB, "an answers file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a folder, not a regular file; pass the path of an answers file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_before_it_is_read() {
        let err = read_text(Path::new("/dev/zero"), MIB, "a file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a character device, not a regular file; pass the path of a file"
        );
    }

    #[test]
    fn sizes_are_shown_in_whole_units() {
        assert_eq!(Size(MIB).to_string(), "1 MiB");
        assert_eq!(Size(20 * MIB).to_string(), "20 MiB");
        assert_eq!(Size(3 * 1024).to_string(), "3 KiB");
        assert_eq!(Size(1000).to_string(), "1000 bytes");
    }
}
