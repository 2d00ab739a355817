//! One thing wrong with a template, and where: what reading a folder refuses and what `template
//! check` finds.

use std::fmt;

/// One thing wrong with a template, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the template folder (`/`-separated).
    pub file: String,
    /// The line and column (from 1), when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem with a whole file (or its name).
    pub fn file(file: &str, message: String) -> Problem {
        Problem {
            file: file.to_owned(),
            position: None,
            message,
        }
    }

    /// A problem at a line and column of a file.
    pub fn at(file: &str, (line, column): (usize, usize), message: String) -> Problem {
        Problem {
            file: file.to_owned(),
            position: Some((line, column)),
            message,
        }
    }

    /// `folder/file:line:column: message`, with the file under `folder` (when not empty).
    pub fn display_in(&self, folder: &str) -> String {
        let file = if folder.is_empty() {
            self.file.clone()
        } else {
            format!("{}/{}", folder.trim_end_matches('/'), self.file)
        };
        match self.position {
            Some((line, column)) => format!("{file}:{line}:{column}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_in(""))
    }
}
