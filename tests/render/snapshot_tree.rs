//! A generated tree as snapshots, for what `new` would write: one of its path list, then one per
//! text file, so that a change to one template file reviews as the files it changes.
//!
//! The caller asserts them (insta names and places a snapshot by where it is asserted), under
//! names that sort by tree and then by path: `<tree>` for the list, `<tree>/<path>` for a file
//! (insta writes `/` as `__`). A file no longer generated leaves its snapshot unreferenced:
//! `cargo insta test --unreferenced=delete` removes it.

use std::fmt::Write as _;

use ai_plugin::render::{FileMode, Plan};

/// The lock files the stacks ship: thousands of lines of resolved versions, which
/// `scripts/lock-templates` writes and the `locks` tests of tests/projects/e2e.rs check against their
/// manifests. They are in the path list, marked, but have no snapshot of their own.
const LOCK_FILES: [&str; 3] = ["Cargo.lock", "package-lock.json", "constraints.txt"];

/// The snapshots of `plan`, as (name under the tree's name, contents): first the path list
/// (`""`), each path with its mode, binary files with their size, lock files and text files
/// without a final newline marked; then each text file but the locks (`"/<path>"`).
pub fn snapshots(plan: &Plan) -> Vec<(String, String)> {
    let mut list = String::new();
    let mut files = Vec::new();
    for file in &plan.files {
        let path = file.path.display().to_string();
        list.push_str(&path);
        if file.mode == FileMode::Private {
            list.push_str(" (private)");
        }
        match std::str::from_utf8(&file.contents) {
            _ if LOCK_FILES.iter().any(|lock| file.path.as_os_str() == *lock) => {
                list.push_str(" (lock file, not snapshotted)");
            }
            Ok(text) if !text.contains('\0') => {
                if !text.is_empty() && !text.ends_with('\n') {
                    list.push_str(" (no final newline)");
                }
                files.push((format!("/{path}"), text.to_owned()));
            }
            _ => {
                let _ = write!(list, " <{} binary bytes>", file.contents.len());
            }
        }
        list.push('\n');
    }
    files.insert(0, (String::new(), list));
    files
}
