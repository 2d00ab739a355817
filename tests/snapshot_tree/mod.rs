//! A generated tree as one text, for snapshots of what `new` would write.

use ai_plugin::render::{FileMode, Plan};

/// The whole tree as one text: each file's path, mode and contents (binary files by size).
pub fn tree(plan: &Plan) -> String {
    let mut out = String::new();
    for file in &plan.files {
        let mode = match file.mode {
            FileMode::Normal => "",
            FileMode::Private => " (private)",
        };
        out.push_str(&format!("=== {}{mode}\n", file.path.display()));
        match std::str::from_utf8(&file.contents) {
            Ok(text) if !text.contains('\0') => out.push_str(text),
            _ => out.push_str(&format!("<{} binary bytes>\n", file.contents.len())),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
