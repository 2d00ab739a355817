//! Generated projects, built, tested and started as their READMEs say, for every stack: the
//! same behaviour over HTTP and MCP, OAuth for MCP, official MCP clients, storage under crashes
//! and on PostgreSQL, `update`, a template of the user's, and consumers of the generated spec.
//!
//! Run one part alone by its module (`cargo test --test projects storage::`), or one stack of it
//! (`cargo test --test projects storage::two_rust_instances_share_postgresql`). The tests run in parallel as libtest
//! runs any binary's (one thread per core, `RUST_TEST_THREADS` to change it); generated Rust
//! projects share one target directory (`target/tmp/generated-projects`), where cargo's lock
//! takes their builds in turn.

mod conformance;
mod consumers;
mod e2e;
mod mcp_clients;
mod mcp_oauth;
mod python;
mod storage;
#[path = "../support/mod.rs"]
mod support;
mod template_e2e;
mod update;
