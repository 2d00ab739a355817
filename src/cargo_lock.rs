//! Putting a rendered `Cargo.lock`'s packages in the order cargo writes them.
//!
//! Cargo writes a lock's `[[package]]` entries sorted by name (byte order), then version
//! (semver order), and `cargo build` rewrites a lock whose text differs from what it would write
//! (`--locked` refuses it). The project's own entry must therefore sit where its name sorts
//! among the locked crates. A template cannot know that place without a condition in every gap
//! between two names (hundreds of handlebars expressions, which doubled the cost of `new`), so
//! the Rust template writes the project's entry once and [`sort_packages`] moves it after
//! rendering.

use std::borrow::Cow;
use std::cmp::Ordering;

/// The file name whose rendered text [`sort_packages`] applies to.
pub const FILE_NAME: &str = "Cargo.lock";

const PACKAGE: &str = "[[package]]";

/// `lock` with its `[[package]]` blocks in cargo's order (by name, then version), each followed
/// by one blank line but the last, as cargo writes them. The header before the first block, and
/// any other table after the blocks (`[metadata]`, `[[patch.unused]]`), are kept as they are.
/// A lock without packages, or already in cargo's form, is returned unchanged.
pub fn sort_packages(lock: &str) -> Cow<'_, str> {
    let Some(first) = line_starts(lock).find(|&at| is_line(lock, at, PACKAGE)) else {
        return Cow::Borrowed(lock);
    };
    let (header, rest) = lock.split_at(first);
    // The blocks end where a line opens a table other than `[[package]]`.
    let end = line_starts(rest)
        .find(|&at| rest[at..].starts_with('[') && !is_line(rest, at, PACKAGE))
        .unwrap_or(rest.len());
    let (packages, tail) = rest.split_at(end);

    let mut blocks: Vec<&str> = Vec::new();
    let mut start = 0;
    for at in line_starts(packages).filter(|&at| at > 0 && is_line(packages, at, PACKAGE)) {
        blocks.push(packages[start..at].trim_end());
        start = at;
    }
    blocks.push(packages[start..].trim_end());
    // Stable: entries equal in name and version (from different sources) keep their order.
    blocks.sort_by(|a, b| compare_packages(a, b));

    let mut out = String::with_capacity(lock.len());
    out.push_str(header);
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(block);
        out.push('\n');
    }
    if !tail.is_empty() {
        out.push('\n');
        out.push_str(tail);
    }
    if out == lock {
        Cow::Borrowed(lock)
    } else {
        Cow::Owned(out)
    }
}

/// The byte offsets at which `text`'s lines start.
fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(
        text.match_indices('\n')
            .map(|(at, _)| at + 1)
            .filter(move |&at| at < text.len()),
    )
}

/// Whether the line of `text` starting at `at` is `line` (ignoring trailing whitespace).
fn is_line(text: &str, at: usize, line: &str) -> bool {
    text[at..]
        .split('\n')
        .next()
        .is_some_and(|l| l.trim_end() == line)
}

/// Cargo's order of two `[[package]]` blocks: name as bytes, then version as semver.
fn compare_packages(a: &str, b: &str) -> Ordering {
    field(a, "name")
        .cmp(field(b, "name"))
        .then_with(|| compare_versions(field(a, "version"), field(b, "version")))
}

/// The value of a block's `key = "value"` line, or `""` without one.
fn field<'a>(block: &'a str, key: &str) -> &'a str {
    block
        .lines()
        .find_map(|line| {
            line.strip_prefix(key)?
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')
        })
        .unwrap_or("")
}

/// Semver precedence (`0.9.0` < `0.10.0-alpha` < `0.10.0-rc.1` < `0.10.0`), then build metadata
/// as text, as the `semver` crate cargo uses orders versions. Text that is not a version sorts
/// after every version, by its bytes.
fn compare_versions(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Some(x), Some(y)) => x.cmp_precedence(&y).then_with(|| x.build.cmp(y.build)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// A version's parts, borrowed from its text.
struct Version<'a> {
    numbers: [u64; 3],
    pre: &'a str,
    build: &'a str,
}

impl<'a> Version<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let (text, build) = text.split_once('+').unwrap_or((text, ""));
        let (core, pre) = text.split_once('-').unwrap_or((text, ""));
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let numbers = [parts.next()??, parts.next()??, parts.next()??];
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            numbers,
            pre,
            build,
        })
    }

    fn cmp_precedence(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release comes before its release.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(self.pre, other.pre),
            }
        })
    }
}

/// Pre-release identifiers one by one: numbers by value and before words, words by bytes; a
/// prefix comes first (`alpha` < `alpha.1`).
fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        let ordering = match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                (Err(_), Err(_)) => x.cmp(y),
            },
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "# This file is automatically @generated by Cargo.\n\
                          # It is not intended for manual editing.\n\
                          version = 4\n\n";

    fn package(name: &str, version: &str) -> String {
        format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n")
    }

    /// A lock as cargo writes it: the header, then the blocks with a blank line between.
    fn lock(packages: &[(&str, &str)]) -> String {
        let blocks: Vec<String> = packages.iter().map(|(n, v)| package(n, v)).collect();
        format!("{HEADER}{}", blocks.join("\n"))
    }

    /// `cargo generate-lockfile` (cargo 1.9x) over path crates with these names and versions
    /// wrote them in this order: bytes for names (`-` < digits < `_` < lowercase, uppercase
    /// first), semver for versions.
    const CARGO_ORDER: [(&str, &str); 11] = [
        ("Zed", "1.0.0"),
        ("a", "0.1.0"),
        ("a-b", "0.1.0"),
        ("a0", "0.1.0"),
        ("a_b", "0.1.0"),
        ("ab", "0.1.0"),
        ("dup", "0.9.0"),
        ("dup", "0.10.0-alpha"),
        ("dup", "0.10.0-rc.1"),
        ("dup", "0.10.0"),
        ("m-root", "0.1.0"),
    ];

    #[test]
    fn a_lock_in_cargo_order_is_left_as_it_is() {
        let sorted = lock(&CARGO_ORDER);
        assert!(matches!(sort_packages(&sorted), Cow::Borrowed(_)));
    }

    #[test]
    fn blocks_in_any_order_come_out_in_cargo_order() {
        let expected = lock(&CARGO_ORDER);
        for shift in 1..CARGO_ORDER.len() {
            let mut shuffled = CARGO_ORDER;
            shuffled.rotate_left(shift);
            shuffled.swap(0, CARGO_ORDER.len() - 1);
            let input = lock(&shuffled);
            assert_ne!(input, expected);
            assert_eq!(sort_packages(&input), expected, "rotated by {shift}");
        }
    }

    /// The Rust template writes the project's entry first, with a blank line after it; cargo
    /// wants it where its name sorts, and the file to end without a blank line.
    #[test]
    fn the_project_entry_moves_to_where_its_name_sorts() {
        let locked = [("axum", "0.8.4"), ("serde", "1.0.219"), ("tokio", "1.47.1")];
        for (project, place) in [
            ("aa_plugin", 0),
            ("0-first", 0),
            ("serde-todo", 2),
            ("serde_todo", 2),
            ("serde0", 2),
            ("tokio-x", 3),
            ("zz_top", 3),
        ] {
            let mut rendered = format!("{HEADER}{}\n", package(project, "0.1.0"));
            rendered += &locked.map(|(n, v)| package(n, v)).join("\n");
            let mut expected = locked.to_vec();
            expected.insert(place, (project, "0.1.0"));
            assert_eq!(sort_packages(&rendered), lock(&expected), "{project}");
        }
    }

    #[test]
    fn what_surrounds_the_blocks_is_kept() {
        let input = format!(
            "{HEADER}{}\n\n\n{}\n[metadata]\n\"x\" = \"y\"\n",
            package("b", "1.0.0"),
            package("a", "1.0.0")
        );
        let expected = format!(
            "{HEADER}{}\n{}\n[metadata]\n\"x\" = \"y\"\n",
            package("a", "1.0.0"),
            package("b", "1.0.0")
        );
        assert_eq!(sort_packages(&input), expected);
        for untouched in ["", "version = 4\n", "[[package]]x\n", "name = \"b\"\n"] {
            assert_eq!(sort_packages(untouched), untouched);
        }
    }

    #[test]
    fn versions_compare_as_semver() {
        for (lower, higher) in [
            ("0.9.0", "0.10.0"),
            ("1.0.0-alpha", "1.0.0"),
            ("1.0.0-alpha", "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
            ("1.0.0-beta.2", "1.0.0-beta.11"),
            ("1.0.0-rc.1", "1.0.0"),
            ("1.0.0", "1.0.0+build"),
            ("2.0.0", "not-a-version"),
        ] {
            assert_eq!(
                compare_versions(lower, higher),
                Ordering::Less,
                "{lower} < {higher}"
            );
            assert_eq!(
                compare_versions(higher, lower),
                Ordering::Greater,
                "{higher} > {lower}"
            );
        }
        assert_eq!(compare_versions("1.2.3", "1.2.3"), Ordering::Equal);
    }
}
