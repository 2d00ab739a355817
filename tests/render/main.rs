//! Tests that need no generated project's toolchain for most of what they check: the trees `new`
//! generates and the templates of the user's, as snapshots in memory, and `check` and `preview`
//! as a user runs them against fixtures and small servers started here.
//!
//! Run one part alone by its module: `cargo test --test render generated::`.

mod check;
mod check_mcp;
mod generated;
mod snapshot_tree;
#[path = "../support/mod.rs"]
mod support;
mod templates;
