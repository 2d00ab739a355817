//! Whether the tools a built-in stack needs to run and test its project are installed: checked
//! after `new` writes the project, so the first command of the next steps does not fail on a
//! missing interpreter. A missing tool is reported in one line; the project stays written.

use std::process::Command;

use crate::choices::Stack;

/// The oldest Python the Python stack runs on.
pub const PYTHON_MIN: (u32, u32) = (3, 10);
/// The oldest Node.js the TypeScript stack runs on: the first 22 with `node:sqlite` unflagged.
pub const NODE_MIN: (u32, u32) = (22, 13);

/// Runs a program with arguments, returning its standard output if it ran and succeeded.
pub type Runner<'a> = &'a dyn Fn(&str, &[&str]) -> Option<String>;

/// Runs `program` from `PATH`; `None` if it is not there or fails.
pub fn run_from_path(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What to install before the project of `stack` runs, in one line; `None` when all is there.
pub fn missing(stack: Stack, run: Runner<'_>) -> Option<String> {
    match stack {
        Stack::Rust => run("cargo", &["--version"]).is_none().then(|| {
            "cargo is not on PATH: install Rust (https://rustup.rs) to build and run this project"
                .to_owned()
        }),
        Stack::Python => {
            let (major, minor) = PYTHON_MIN;
            let wanted = format!("Python {major}.{minor} or newer with venv");
            let Some(version) = run("python3", &["--version"]) else {
                return Some(format!(
                    "python3 is not on PATH: install {wanted} to run this project"
                ));
            };
            match python_version(&version) {
                Some(found) if found >= PYTHON_MIN => {}
                _ => {
                    return Some(format!(
                        "python3 on PATH is `{}`: install {wanted} to run this project",
                        version.trim()
                    ));
                }
            }
            // Debian's python3 lacks venv's pip bootstrap until python3-venv is installed.
            run("python3", &["-c", "import venv, ensurepip"])
                .is_none()
                .then(|| {
                    "python3 has no working venv module: install it (python3-venv on Debian and \
                     Ubuntu) to run this project"
                        .to_owned()
                })
        }
        Stack::Typescript => {
            let (major, minor) = NODE_MIN;
            let wanted = format!("Node.js {major}.{minor} or newer with npm");
            let Some(version) = run("node", &["--version"]) else {
                return Some(format!(
                    "node is not on PATH: install {wanted} to run this project"
                ));
            };
            if node_version(&version).is_none_or(|found| found < NODE_MIN) {
                return Some(format!(
                    "node on PATH is `{}`: install {wanted} to run this project",
                    version.trim()
                ));
            }
            run("npm", &["--version"])
                .is_none()
                .then(|| format!("npm is not on PATH: install {wanted} to run this project"))
        }
    }
}

/// `Python 3.12.1` → `(3, 12)`.
fn python_version(text: &str) -> Option<(u32, u32)> {
    let version = text.trim().strip_prefix("Python ")?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((major, minor))
}

/// `v22.13.1` → `(22, 13)`.
fn node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().strip_prefix('v')?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runner that knows only `programs`, each with its output.
    fn only(programs: &[(&str, &str)]) -> impl Fn(&str, &[&str]) -> Option<String> + use<> {
        let programs: Vec<(String, String)> = programs
            .iter()
            .map(|(p, o)| ((*p).to_owned(), (*o).to_owned()))
            .collect();
        move |program, args| {
            let key = if args.first() == Some(&"-c") {
                format!("{program} -c")
            } else {
                program.to_owned()
            };
            programs
                .iter()
                .find(|(p, _)| *p == key)
                .map(|(_, o)| o.clone())
        }
    }

    #[test]
    fn nothing_is_said_when_the_toolchain_is_there() {
        let all = only(&[
            ("cargo", "cargo 1.85.0"),
            ("python3", "Python 3.10.12\n"),
            ("python3 -c", ""),
            ("node", "v22.13.0\n"),
            ("npm", "10.2.4\n"),
        ]);
        for stack in Stack::ALL {
            assert_eq!(missing(stack, &all), None, "{stack}");
        }
    }

    #[test]
    fn each_missing_or_old_tool_is_named_with_what_to_install() {
        let none = only(&[]);
        for (stack, says) in [
            (Stack::Rust, "cargo is not on PATH: install Rust"),
            (
                Stack::Python,
                "python3 is not on PATH: install Python 3.10 or newer",
            ),
            (
                Stack::Typescript,
                "node is not on PATH: install Node.js 22.13 or newer",
            ),
        ] {
            let line = missing(stack, &none).unwrap();
            assert!(line.starts_with(says), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
        let old_python = only(&[("python3", "Python 3.9.2"), ("python3 -c", "")]);
        assert_eq!(
            missing(Stack::Python, &old_python).unwrap(),
            "python3 on PATH is `Python 3.9.2`: install Python 3.10 or newer with venv to run \
             this project"
        );
        let no_venv = only(&[("python3", "Python 3.12.3")]);
        assert!(
            missing(Stack::Python, &no_venv)
                .unwrap()
                .contains("python3-venv")
        );
        let old_node = only(&[("node", "v18.19.0"), ("npm", "9.2.0")]);
        assert!(
            missing(Stack::Typescript, &old_node)
                .unwrap()
                .starts_with("node on PATH is `v18.19.0`")
        );
        // Node.js 22 before 22.13 has no `node:sqlite` without a flag; 20 has none.
        for old in ["v22.12.0", "v20.19.0"] {
            let found = only(&[("node", old), ("npm", "10.9.0")]);
            assert_eq!(
                missing(Stack::Typescript, &found).unwrap(),
                format!(
                    "node on PATH is `{old}`: install Node.js 22.13 or newer with npm to run \
                     this project"
                )
            );
        }
        for new in ["v22.13.0", "v23.0.0", "v24.21.0"] {
            let found = only(&[("node", new), ("npm", "10.9.0")]);
            assert_eq!(missing(Stack::Typescript, &found), None, "{new}");
        }
        let no_npm = only(&[("node", "v22.13.1")]);
        assert!(
            missing(Stack::Typescript, &no_npm)
                .unwrap()
                .starts_with("npm is not on PATH")
        );
    }

    #[test]
    fn versions_are_read_from_the_tools_own_words() {
        assert_eq!(python_version("Python 3.12.1\n"), Some((3, 12)));
        assert_eq!(python_version("Python 3.13.0rc1"), Some((3, 13)));
        assert_eq!(python_version("Python 3.14"), Some((3, 14)));
        assert_eq!(python_version("pypy"), None);
        assert_eq!(node_version("v22.13.1\n"), Some((22, 13)));
        assert_eq!(node_version("v24.0.0-nightly2026"), Some((24, 0)));
        assert_eq!(node_version("22.13"), None);
        assert_eq!(node_version("v22"), None);
    }
}
