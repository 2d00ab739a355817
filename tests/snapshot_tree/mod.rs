//! A generated tree as one text, for snapshots of what `new` would write.

use std::fmt::Write as _;

use ai_plugin::render::{FileMode, Plan};

/// The whole tree as one text: each file's path, mode and contents (binary files by size).
pub fn tree(plan: &Plan) -> String {
    let mut out = String::new();
    for file in &plan.files {
        let mode = match file.mode {
            FileMode::Normal => "",
            FileMode::Private => " (private)",
        };
        let _ = writeln!(out, "=== {}{mode}", file.path.display());
        match std::str::from_utf8(&file.contents) {
            Ok(text) if !text.contains('\0') => out.push_str(text),
            _ => {
                let _ = writeln!(out, "<{} binary bytes>", file.contents.len());
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
