//! What ai-plugin's own README and CI script tell people to run.

use std::fs;
use std::path::Path;

/// Every line of `text` that runs `cargo install`.
fn cargo_installs(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("cargo install"))
        .collect()
}

#[test]
fn every_cargo_install_the_readme_and_ci_give_uses_the_lock_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for file in ["README.md", ".ci/run"] {
        let text = fs::read_to_string(root.join(file)).unwrap();
        for line in cargo_installs(&text) {
            // Lines that name another tool's install (`cargo install cargo-generate`) compare,
            // they do not tell anyone to install ai-plugin.
            if !line.contains("--path") {
                continue;
            }
            checked += 1;
            assert!(
                line.contains("--locked"),
                "{file}: `{}` re-resolves every dependency; add --locked so the install uses \
                 Cargo.lock",
                line.trim()
            );
        }
    }
    assert!(
        checked > 0,
        "README.md no longer shows how to install ai-plugin"
    );
}

#[test]
fn the_readme_starts_with_the_install_and_the_test_command() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("```")
        .nth(1)
        .expect("README.md has a code block");
    let commands: Vec<&str> = block
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(" #").next().unwrap_or(l).trim())
        .collect();
    assert_eq!(
        commands,
        [
            "cargo install --locked --path . && ai-plugin new my-plugin",
            "cargo test"
        ]
    );
}
