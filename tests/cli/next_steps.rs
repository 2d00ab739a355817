//! What `new` tells the user to do next: how to use the plugin today, in the README's order,
//! and never a screen that no longer exists.

use crate::support::{new_in, stdout_of, workspace};

#[test]
fn the_next_steps_say_where_to_use_the_plugin_today() {
    let tmp = workspace();
    for auth in ["none", "service_http", "user_http", "oauth"] {
        let assert = new_in(tmp.path())
            .args([auth, "--yes", "--auth", auth, "--name-for-model", "todo"])
            .assert()
            .success();
        let stdout = stdout_of(&assert);
        assert!(
            stdout.contains("MCP:      http://localhost:5003/mcp\n"),
            "{auth}: {stdout}"
        );
        let inspector = "npx @modelcontextprotocol/inspector --cli http://localhost:5003/mcp \
                         --transport http --method tools/list";
        let header = " --header \"Authorization: Bearer $TOKEN\"";
        let with_header = format!("{inspector}{header}\n");
        if auth == "none" {
            assert!(stdout.contains(&format!("{inspector}\n")), "{stdout}");
        } else {
            assert!(stdout.contains(&with_header), "{auth}: {stdout}");
        }
        // ChatGPT app, Claude, the Inspector, a GPT Action: the README's order.
        let at = |text: &str| {
            stdout
                .find(text)
                .unwrap_or_else(|| panic!("{auth}: no {text:?} in {stdout}"))
        };
        let order = [
            at("As a ChatGPT app:"),
            at("In Claude:"),
            at("In the MCP Inspector"),
            at("As a GPT Action:"),
        ];
        assert!(order.is_sorted(), "{auth}: {stdout}");
        let chatgpt = &stdout[order[0]..order[1]];
        match auth {
            "none" | "oauth" => assert!(
                chatgpt.contains("Settings → Apps → Advanced settings → Developer mode"),
                "{chatgpt}"
            ),
            _ => assert!(chatgpt.contains("not with auth"), "{chatgpt}"),
        }
        // The plugin store is mentioned once, as gone; its screens are never a step.
        assert_eq!(stdout.matches("plugin store").count(), 1, "{stdout}");
        assert!(stdout.contains("plugin store, which read the manifest, is gone"));
        assert!(!stdout.contains("Develop your own plugin"), "{stdout}");
    }
}

#[test]
fn a_missing_toolchain_is_named_in_one_line_and_the_project_is_still_written() {
    let tmp = workspace();
    // A PATH with nothing on it: no python3, node, npm or cargo.
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    for (stack, says) in [
        (
            "python",
            "python3 is not on PATH: install Python 3.10 or newer with venv",
        ),
        (
            "typescript",
            "node is not on PATH: install Node.js 22.13 or newer with npm",
        ),
        ("rust", "cargo is not on PATH: install Rust"),
    ] {
        let assert = new_in(tmp.path())
            .env("PATH", &empty)
            .args([stack, "--yes", "--stack", stack])
            .assert()
            .success();
        let stdout = stdout_of(&assert);
        let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(says)).collect();
        assert_eq!(lines.len(), 1, "{stack}: {stdout}");
        assert!(
            tmp.path().join(stack).join("ai-plugin.toml").is_file(),
            "{stack}: the project is written"
        );
    }
    // With the toolchain there (this machine runs cargo), nothing is said.
    let assert = new_in(tmp.path())
        .args(["with-cargo", "--yes", "--stack", "rust"])
        .assert()
        .success();
    assert!(!stdout_of(&assert).contains("not on PATH"));
}
