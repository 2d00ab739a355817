//! The small language of `template.toml`'s `[[conditional]]` tables: conditions over context
//! values (`has_auth`, `!has_auth`, `auth == oauth`) and globs over paths (`*` within a name,
//! `**` across folders).

use crate::names::is_identifier;
use serde::Deserialize;

/// Output files that exist only when a condition holds (`include`), or that are left out when
/// it holds (`exclude`).
///
/// A condition is a context value, true when it is truthy (`if = "has_auth"`), negated with a
/// leading `!`, or compared with `==` / `!=` (`if = "auth == oauth"`, `if = 'db != "none"'`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditional {
    /// The condition.
    #[serde(rename = "if")]
    pub condition: String,
    /// Globs of output paths that exist only when the condition holds.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of output paths that are left out when the condition holds.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A parsed condition of a [`Conditional`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition<'a> {
    /// The value named is truthy (or falsy when `negated`).
    Truthy {
        /// The context value.
        name: &'a str,
        /// Written with a leading `!`.
        negated: bool,
    },
    /// The value named, as text, equals `value` (or differs from it when `!equal`).
    Compare {
        /// The context value.
        name: &'a str,
        /// `==` rather than `!=`.
        equal: bool,
        /// The text compared with, quotes removed.
        value: &'a str,
    },
}

impl<'a> Condition<'a> {
    /// Parses `name`, `!name`, `name == value` or `name != value` (the value optionally quoted).
    pub fn parse(text: &'a str) -> Result<Condition<'a>, String> {
        let identifier = |name: &'a str| -> Result<&'a str, String> {
            if is_identifier(name) {
                Ok(name)
            } else {
                Err(format!(
                    "the condition `{text}` must name a value (letters, digits and _), \
                     as `name`, `!name`, `name == value` or `name != value`"
                ))
            }
        };
        for (operator, equal) in [("==", true), ("!=", false)] {
            if let Some((name, value)) = text.split_once(operator) {
                let value = value.trim();
                let value = ['"', '\'']
                    .into_iter()
                    .find_map(|q| value.strip_prefix(q).and_then(|v| v.strip_suffix(q)))
                    .unwrap_or(value);
                return Ok(Condition::Compare {
                    name: identifier(name.trim())?,
                    equal,
                    value,
                });
            }
        }
        let text = text.trim();
        match text.strip_prefix('!') {
            Some(name) => Ok(Condition::Truthy {
                name: identifier(name.trim())?,
                negated: true,
            }),
            None => Ok(Condition::Truthy {
                name: identifier(text)?,
                negated: false,
            }),
        }
    }

    /// The context value the condition reads.
    pub fn name(self) -> &'a str {
        match self {
            Condition::Truthy { name, .. } | Condition::Compare { name, .. } => name,
        }
    }

    /// Whether the condition holds for `context`.
    pub fn holds(self, context: &serde_json::Value) -> bool {
        match self {
            Condition::Truthy { name, negated } => {
                let truthy = match context.get(name) {
                    None | Some(serde_json::Value::Null) => false,
                    Some(serde_json::Value::Bool(b)) => *b,
                    Some(serde_json::Value::String(s)) => !s.is_empty(),
                    Some(serde_json::Value::Number(n)) => n.as_f64() != Some(0.0),
                    Some(serde_json::Value::Array(a)) => !a.is_empty(),
                    Some(serde_json::Value::Object(_)) => true,
                };
                truthy != negated
            }
            Condition::Compare { name, equal, value } => {
                let actual = match context.get(name) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                (actual == value) == equal
            }
        }
    }
}

impl Conditional {
    /// Whether one of this conditional's globs names `path` (an output path, `/`-separated).
    pub fn covers(&self, path: &str) -> bool {
        self.include
            .iter()
            .chain(&self.exclude)
            .any(|pattern| glob_covers(pattern, path))
    }

    /// Whether the condition holds for `context` (an unreadable condition never holds; `template
    /// check` reports it).
    pub fn holds(&self, context: &serde_json::Value) -> bool {
        Condition::parse(&self.condition).is_ok_and(|c| c.holds(context))
    }

    /// Whether the output file at `path` is generated for `context`, as far as this conditional
    /// is concerned.
    pub fn keeps(&self, path: &str, context: &serde_json::Value) -> bool {
        let included = self.include.iter().any(|p| glob_covers(p, path));
        let excluded = self.exclude.iter().any(|p| glob_covers(p, path));
        if !included && !excluded {
            return true;
        }
        let holds = self.holds(context);
        !(included && !holds || excluded && holds)
    }
}

/// Matches `/`-separated `path` against `pattern`, where `*` matches any characters within one
/// component and a `**` component matches any number of components.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn components(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => components(&p[1..], s) || (!s.is_empty() && components(p, &s[1..])),
            (Some(pat), Some(seg)) => {
                component(pat.as_bytes(), seg.as_bytes()) && components(&p[1..], &s[1..])
            }
            _ => false,
        }
    }
    fn component(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => component(&p[1..], s) || (!s.is_empty() && component(p, &s[1..])),
            (Some(a), Some(b)) if a == b => component(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    components(&p, &s)
}

/// Whether `pattern` matches `path` or one of the folders it is in, so that `docs` and
/// `docs/**` both name everything under `docs/`.
pub fn glob_covers(pattern: &str, path: &str) -> bool {
    glob_match(pattern, path)
        || path
            .match_indices('/')
            .any(|(i, _)| glob_match(pattern, &path[..i]))
}

/// Why `pattern` is not a glob this matcher reads, if it is not.
pub fn glob_problem(pattern: &str) -> Option<String> {
    if pattern.is_empty() {
        return Some("an empty glob matches nothing".to_owned());
    }
    if pattern.starts_with('/') || pattern.contains('\\') {
        return Some(format!(
            "the glob `{pattern}` must be a relative path with `/` separators (it is matched \
             against paths inside the template)"
        ));
    }
    if let Some(c) = pattern.chars().find(|c| "?[]{}!".contains(*c)) {
        return Some(format!(
            "the glob `{pattern}` uses `{c}`; only `*` (within a name) and `**` (any folders) \
             are supported"
        ));
    }
    for component in pattern.split('/') {
        if component.is_empty() || component == "." || component == ".." {
            return Some(format!(
                "the glob `{pattern}` has an empty, `.` or `..` component"
            ));
        }
        if component.contains("**") && component != "**" {
            return Some(format!(
                "the glob `{pattern}` uses `**` inside a name; `**` must be a whole component \
                 (`a/**/b`)"
            ));
        }
    }
    None
}
