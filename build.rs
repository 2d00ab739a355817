//! `include_dir` does not notice a file added to `templates/`; this makes cargo rebuild then.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
