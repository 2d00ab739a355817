//! Templates: a folder with a `template.toml` and the files to render.
//!
//! The built-in stacks are templates in this same format, embedded in the binary, with one
//! extra: the embedded collection has shared layers. `templates/_base/` holds what every stack
//! shares (spec, logo, `.env`) and `templates/_partials/` the shared handlebars partials; a
//! built-in template is `_base/` with `templates/<stack>/` on top (a stack's file replaces a
//! base file with the same output path). `ai-plugin template init` writes a built-in template
//! out as one self-contained folder, with the layers flattened in.
//!
//! A template of the user's is read from a folder ([`read_folder`], never following links) or
//! a git repository ([`source`]), and checked ([`check`]) before anything is rendered.

pub mod check;
pub mod commands;
pub mod source;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use include_dir::{Dir, DirEntry, include_dir};
use serde::Deserialize;

use crate::fields::{AuthType, Stack};
use crate::variables::Variable;
use check::Problem;
use source::TemplateSource;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The file in a template folder that describes it; it is never rendered.
pub const CONFIG_FILE: &str = "template.toml";
/// The largest `template.toml` read.
pub const CONFIG_LIMIT: u64 = crate::input::MIB;

/// The folder of a template that holds its handlebars partials (`{{> name}}`).
pub const PARTIALS_DIR: &str = "_partials";

/// A template's `template.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// The template's name (for a built-in one, as `--stack` takes it).
    pub name: String,
    /// One line on what it generates.
    pub description: String,
    /// The command that installs what is needed and runs the plugin (may be empty).
    #[serde(default)]
    pub run: String,
    /// The command that runs the project's tests (may be empty).
    #[serde(default)]
    pub test: String,
    /// The auth types the template implements (`none`, `service_http`, ...); only `none` when
    /// not given.
    #[serde(default = "only_none")]
    pub auth: Vec<String>,
    /// Globs of template paths that are not part of the template (notes, drafts).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The template's own questions, asked after the plugin's, in this order.
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// Files that exist only under a condition, or are left out under one.
    #[serde(default)]
    pub conditional: Vec<Conditional>,
}

fn only_none() -> Vec<String> {
    vec![AuthType::None.as_str().to_owned()]
}

impl TemplateConfig {
    /// The auth types the template implements, in the order `new` offers them.
    pub fn auth_types(&self) -> Vec<AuthType> {
        AuthType::ALL
            .into_iter()
            .filter(|a| self.auth.iter().any(|s| s == a.as_str()))
            .collect()
    }
}

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

/// Whether `text` is a variable name: an ASCII letter or `_`, then letters, digits or `_`.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

/// One file of a template, by its path in the template (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    /// The path inside the template, before renaming.
    pub path: String,
    /// The bytes.
    pub contents: Cow<'static, [u8]>,
}

/// A handlebars partial of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    /// Its path in the template (`_partials/readme_api.md.hbs`).
    pub path: String,
    /// Its text.
    pub text: Cow<'static, str>,
}

/// A template ready to render.
#[derive(Debug, Clone)]
pub struct Template {
    /// What `template.toml` says.
    pub config: TemplateConfig,
    /// Its files, sorted by path (without `template.toml`, partials and ignored files).
    pub files: Vec<TemplateFile>,
    /// Handlebars partials by name: a partial's file name up to its first `.`.
    pub partials: BTreeMap<String, Partial>,
    /// Where it came from: `None` for a built-in template.
    pub source: Option<TemplateSource>,
}

/// A template that cannot be read, or that is refused.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The folder is missing.
    #[error("there is no built-in template `{0}`")]
    Missing(String),
    /// `template.toml` is missing or wrong.
    #[error("`{path}` is not a valid template.toml: {message}")]
    Config {
        /// Where it is.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A partial is not UTF-8.
    #[error("partial `{0}` is not UTF-8 text")]
    PartialNotText(String),
    /// The template (folder, git repository, subfolder) could not be read.
    #[error("cannot read the template `{template}`: {message}")]
    Unreadable {
        /// The template as given.
        template: String,
        /// What went wrong, and what to do.
        message: String,
    },
    /// The template has problems (a broken `template.toml` or file, a link, a path that would
    /// leave the project); nothing was written.
    #[error(
        "the template `{template}` has {count} problem{s}; nothing was written \
         (`ai-plugin template check` lists them too):\n{list}",
        count = problems.len(),
        s = if problems.len() == 1 { "" } else { "s" },
        list = problems.iter().map(|p| format!("  {}", p.display_in(prefix)))
            .collect::<Vec<_>>().join("\n")
    )]
    Problems {
        /// The template as given.
        template: String,
        /// What file paths are shown under (the folder as given; empty for a clone).
        prefix: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// Whether the built-in template of `stack` implements `auth`.
pub fn supports(stack: Stack, auth: AuthType) -> bool {
    let path = format!("{}/{CONFIG_FILE}", stack.as_str());
    TEMPLATES
        .get_file(&path)
        .and_then(|f| f.contents_utf8())
        .and_then(|text| toml::from_str::<TemplateConfig>(text).ok())
        .is_some_and(|config| config.auth.iter().any(|a| a == auth.as_str()))
}

/// The built-in templates' configurations, in the order `--stack` offers them.
pub fn builtins() -> Vec<TemplateConfig> {
    Stack::ALL
        .into_iter()
        .filter_map(|stack| {
            let (text, _) = builtin_files(stack).ok()?;
            toml::from_str(text).ok()
        })
        .collect()
}

/// A built-in template as one self-contained folder: its `template.toml` text, and its files
/// with the shared base flattened in and the shared partials under `_partials/`.
pub fn builtin_files(stack: Stack) -> Result<(&'static str, Vec<TemplateFile>), TemplateError> {
    let name = stack.as_str();
    let dir = TEMPLATES
        .get_dir(name)
        .ok_or_else(|| TemplateError::Missing(name.to_owned()))?;
    let config_path = format!("{name}/{CONFIG_FILE}");
    let config = TEMPLATES
        .get_file(&config_path)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| TemplateError::Config {
            path: config_path.clone(),
            message: "the file is missing".to_owned(),
        })?;

    // Keyed by output path (`.hbs` dropped), so a stack's `x` replaces the base's `x.hbs`.
    let mut files: BTreeMap<String, TemplateFile> = BTreeMap::new();
    let layers = [
        ("_base", "", TEMPLATES.get_dir("_base")),
        (PARTIALS_DIR, PARTIALS_DIR, TEMPLATES.get_dir(PARTIALS_DIR)),
        (name, "", Some(dir)),
    ];
    for (root, prefix, tree) in layers {
        let Some(tree) = tree else { continue };
        for file in embedded_files(tree) {
            let relative = file
                .path()
                .strip_prefix(root)
                .expect("a file lies under its folder")
                .to_string_lossy()
                .replace('\\', "/");
            let path = if prefix.is_empty() {
                relative
            } else {
                format!("{prefix}/{relative}")
            };
            if path == CONFIG_FILE {
                continue;
            }
            let key = path.strip_suffix(".hbs").unwrap_or(&path).to_owned();
            files.insert(
                key,
                TemplateFile {
                    path,
                    contents: Cow::Borrowed(file.contents()),
                },
            );
        }
    }
    Ok((config, files.into_values().collect()))
}

impl Template {
    /// The built-in template for `stack`, with the shared base and partials.
    pub fn builtin(stack: Stack) -> Result<Template, TemplateError> {
        let (config, files) = builtin_files(stack)?;
        Template::assemble(&format!("{stack}/{CONFIG_FILE}"), config, files, None)
    }

    /// A template from its `template.toml` text and its files (paths relative to the template
    /// folder): partials are taken out of `_partials/`, ignored files dropped.
    pub fn assemble(
        config_path: &str,
        config_text: &str,
        files: Vec<TemplateFile>,
        source: Option<TemplateSource>,
    ) -> Result<Template, TemplateError> {
        let config: TemplateConfig =
            toml::from_str(config_text).map_err(|e| TemplateError::Config {
                path: config_path.to_owned(),
                message: e.to_string(),
            })?;
        let mut kept = Vec::with_capacity(files.len());
        let mut partials = BTreeMap::new();
        for file in files {
            if file.path == CONFIG_FILE || config.ignore.iter().any(|g| glob_covers(g, &file.path))
            {
                continue;
            }
            match partial_name(&file.path) {
                Some(name) => {
                    let text = match file.contents {
                        Cow::Borrowed(bytes) => Cow::Borrowed(
                            std::str::from_utf8(bytes)
                                .map_err(|_| TemplateError::PartialNotText(name.clone()))?,
                        ),
                        Cow::Owned(bytes) => Cow::Owned(
                            String::from_utf8(bytes)
                                .map_err(|_| TemplateError::PartialNotText(name.clone()))?,
                        ),
                    };
                    partials.insert(
                        name,
                        Partial {
                            path: file.path,
                            text,
                        },
                    );
                }
                None => kept.push(file),
            }
        }
        kept.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Template {
            config,
            files: kept,
            partials,
            source,
        })
    }
}

/// The partial a template path defines, if it is under `_partials/`: its path there with the
/// file name cut at the first `.` (`_partials/readme_api.md.hbs` → `readme_api`).
pub fn partial_name(path: &str) -> Option<String> {
    let rest = path.strip_prefix(PARTIALS_DIR)?.strip_prefix('/')?;
    let (folder, file) = match rest.rsplit_once('/') {
        Some((folder, file)) => (Some(folder), file),
        None => (None, rest),
    };
    let stem = file.split('.').next().unwrap_or_default();
    Some(match folder {
        Some(folder) => format!("{folder}/{stem}"),
        None => stem.to_owned(),
    })
}

/// Why a template path can never be a safe output path, whatever the answers: a component that
/// is, or becomes (`_.` → `..`), `.` or `..`.
pub fn static_path_problem(path: &str) -> Option<String> {
    let trimmed = path.strip_suffix(".hbs").unwrap_or(path);
    for component in trimmed.split('/') {
        let renamed = match component.strip_prefix('_') {
            Some(rest) if !rest.starts_with('_') => format!(".{rest}"),
            _ => component.to_owned(),
        };
        if renamed.is_empty() || renamed == "." || renamed == ".." {
            return Some(format!(
                "the name `{component}` would become `{renamed}`, which leaves the project \
                 directory or names no file"
            ));
        }
    }
    None
}

/// A template folder as read from disk, before it is checked.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The text of its `template.toml`.
    pub config_text: String,
    /// Every regular file but `template.toml`, by path relative to the folder, sorted.
    pub files: Vec<TemplateFile>,
    /// What was refused while reading: links, special files, names that are not UTF-8.
    pub problems: Vec<Problem>,
}

/// The folders under `root` (at most three levels down, not through links or `.git`, `/`
/// separated) that hold a `template.toml`, sorted; at most five.
fn folders_with_config(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .min_depth(2)
        .max_depth(4)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() == CONFIG_FILE)
        .filter_map(|e| {
            let folder = e.path().parent()?.strip_prefix(root).ok()?;
            let parts: Option<Vec<&str>> = folder
                .components()
                .map(|c| c.as_os_str().to_str())
                .collect();
            Some(parts?.join("/"))
        })
        .take(5)
        .collect()
}

/// Reads the template folder `root` without following any link: links, special files and
/// non-UTF-8 names are recorded as problems, never read. A `.git` folder is skipped.
pub fn read_folder(root: &Path, shown_as: &str) -> Result<Folder, TemplateError> {
    let unreadable = |message: String| TemplateError::Unreadable {
        template: shown_as.to_owned(),
        message,
    };
    match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(unreadable("it is not a folder".to_owned())),
        Err(e) => return Err(unreadable(e.to_string())),
    }
    let config_path = root.join(CONFIG_FILE);
    let mut problems = Vec::new();
    let config_text = match fs::symlink_metadata(&config_path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            problems.push(Problem::file(CONFIG_FILE, link_refused()));
            String::new()
        }
        Ok(_) => crate::input::read_text(&config_path, CONFIG_LIMIT, "a template.toml")
            .map_err(|e| unreadable(format!("cannot read its {CONFIG_FILE}: {e}")))?,
        Err(_) => {
            let found = folders_with_config(root);
            if let Some(first) = found.first() {
                return Err(unreadable(format!(
                    "there is no {CONFIG_FILE} at its top, but there is one in: {}; with \
                     `new --template`, add `--subfolder {first}`",
                    found
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            return Err(unreadable(format!(
                "there is no {CONFIG_FILE} in it (a template is a folder with a {CONFIG_FILE} \
                 and the files to render; `ai-plugin template init DIR` writes one)"
            )));
        }
    };

    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walk {
        let entry = entry.map_err(|e| unreadable(e.to_string()))?;
        if entry.depth() == 0 {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .expect("walkdir yields paths under its root");
        let Some(path) = slashed(relative) else {
            problems.push(Problem::file(
                &relative.to_string_lossy(),
                "the name is not UTF-8 text".to_owned(),
            ));
            continue;
        };
        let file_type = entry.file_type();
        if file_type.is_symlink() {
            problems.push(Problem::file(&path, link_refused()));
        } else if file_type.is_dir() || path == CONFIG_FILE {
            continue;
        } else if !file_type.is_file() {
            problems.push(Problem::file(
                &path,
                "is not a regular file (a device, socket or pipe); it is refused".to_owned(),
            ));
        } else {
            let contents = fs::read(entry.path())
                .map_err(|e| unreadable(format!("cannot read `{path}`: {e}")))?;
            files.push(TemplateFile {
                path,
                contents: Cow::Owned(contents),
            });
        }
    }
    Ok(Folder {
        config_text,
        files,
        problems,
    })
}

fn link_refused() -> String {
    "is a symbolic link; templates may not hold links (one could point outside the template or \
     the project), so copy the file in instead"
        .to_owned()
}

/// `relative` with `/` separators, if every component is UTF-8.
fn slashed(relative: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

/// Loads and checks the template in folder `root`; any problem refuses it.
pub fn load_folder(
    root: &Path,
    shown_as: &str,
    prefix: &str,
    source: Option<TemplateSource>,
) -> Result<Template, TemplateError> {
    let folder = read_folder(root, shown_as)?;
    let problems = check::check(&folder);
    if !problems.is_empty() {
        return Err(TemplateError::Problems {
            template: shown_as.to_owned(),
            prefix: prefix.to_owned(),
            problems,
        });
    }
    Template::assemble(CONFIG_FILE, &folder.config_text, folder.files, source)
}

fn embedded_files(dir: &'static Dir<'static>) -> Vec<&'static include_dir::File<'static>> {
    let mut found = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => stack.push(d),
                DirEntry::File(f) => found.push(f),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stack_has_a_template_with_its_own_name() {
        for stack in Stack::ALL {
            let template = Template::builtin(stack).unwrap();
            assert_eq!(template.config.name, stack.as_str());
            assert!(!template.files.is_empty());
            assert!(
                template.files.iter().all(|f| f.path != CONFIG_FILE),
                "template.toml is not a project file"
            );
            assert!(
                template
                    .files
                    .iter()
                    .all(|f| !f.path.starts_with(PARTIALS_DIR)),
                "partials are not project files"
            );
        }
        let names: Vec<String> = builtins().into_iter().map(|c| c.name).collect();
        assert_eq!(names, Stack::ALL.map(|s| s.as_str().to_owned()));
    }

    #[test]
    fn the_rust_template_implements_every_auth_type() {
        for auth in AuthType::ALL {
            assert!(supports(Stack::Rust, auth), "{auth}");
        }
    }

    #[test]
    fn globs_match_components_and_any_depth() {
        let cases = [
            ("src/auth.rs", "src/auth.rs", true),
            ("src/auth.rs", "src/auth.rsx", false),
            ("src/*.rs", "src/auth.rs", true),
            ("src/*.rs", "src/a/auth.rs", false),
            ("src/**", "src/a/b.rs", true),
            ("src/**/*.rs", "src/b.rs", true),
            ("**/oauth*", "tests/oauth_flow.rs", true),
            ("*", "a/b", false),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(glob_match(pattern, path), expected, "{pattern} ~ {path}");
        }
    }

    #[test]
    fn a_glob_covers_everything_in_a_folder_it_names() {
        assert!(glob_covers("docs", "docs/a/b.md"));
        assert!(glob_covers("docs/*", "docs/a/b.md"));
        assert!(glob_covers("*.md", "README.md"));
        assert!(!glob_covers("docs", "docsx/a.md"));
        assert!(!glob_covers("a/b", "a"));
    }

    #[test]
    fn bad_globs_are_explained() {
        for good in ["a", "src/**/*.rs", "**", "*.hbs", "a-b_c.d"] {
            assert_eq!(glob_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("/etc/*", "relative"),
            ("a\\b", "relative"),
            ("src/?.rs", "`?`"),
            ("[ab].rs", "`[`"),
            ("a//b", "empty"),
            ("../x", "`..`"),
            ("a**/b", "whole component"),
        ] {
            let problem = glob_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn conditions_read_the_context() {
        let context = serde_json::json!({
            "yes": true, "no": false, "auth": "none", "empty": "", "port": 5003
        });
        let holds = |condition: &str| {
            Conditional {
                condition: condition.into(),
                include: vec![],
                exclude: vec![],
            }
            .holds(&context)
        };
        assert!(
            holds("yes") && holds("!no") && holds("auth") && holds("!empty") && holds("!missing")
        );
        assert!(!holds("no") && !holds("!yes") && !holds("missing"));
        assert!(holds("auth == none") && holds("auth == \"none\"") && holds("auth=='none'"));
        assert!(holds("auth != oauth") && !holds("auth != none"));
        assert!(holds("port == 5003") && holds("yes == true") && holds("missing == ''"));
        assert!(!holds("bad name") && !holds("== x") && !holds("!"));
    }

    #[test]
    fn conditions_parse_or_say_why_not() {
        assert_eq!(
            Condition::parse(" !has_auth "),
            Ok(Condition::Truthy {
                name: "has_auth",
                negated: true
            })
        );
        assert_eq!(
            Condition::parse("db != 'none'"),
            Ok(Condition::Compare {
                name: "db",
                equal: false,
                value: "none"
            })
        );
        let err = Condition::parse("auth is oauth").unwrap_err();
        assert!(err.contains("`name == value`"), "{err}");
    }

    #[test]
    fn include_needs_the_condition_and_exclude_drops_under_it() {
        let conditional = Conditional {
            condition: "flag".into(),
            include: vec!["only_with/**".into()],
            exclude: vec!["only_without.txt".into()],
        };
        let on = serde_json::json!({"flag": true});
        let off = serde_json::json!({"flag": false});
        assert!(conditional.keeps("only_with/a.txt", &on));
        assert!(!conditional.keeps("only_with/a.txt", &off));
        assert!(!conditional.keeps("only_without.txt", &on));
        assert!(conditional.keeps("only_without.txt", &off));
        assert!(conditional.keeps("other.txt", &on) && conditional.keeps("other.txt", &off));
    }

    #[test]
    fn base_files_are_shared_and_partials_are_found() {
        let template = Template::builtin(Stack::Rust).unwrap();
        let paths: Vec<&str> = template.files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"openapi.yaml.hbs"), "{paths:?}");
        assert!(paths.contains(&"logo.png"), "{paths:?}");
        assert!(template.partials.contains_key("readme_chatgpt"));
        assert_eq!(
            template.partials["readme_chatgpt"].path,
            "_partials/readme_chatgpt.md.hbs"
        );
    }

    #[test]
    fn partial_names_are_cut_at_the_first_dot() {
        assert_eq!(
            partial_name("_partials/readme_api.md.hbs").as_deref(),
            Some("readme_api")
        );
        assert_eq!(
            partial_name("_partials/spec/ops.yaml.hbs").as_deref(),
            Some("spec/ops")
        );
        assert_eq!(partial_name("src/_partials/x.hbs"), None);
        assert_eq!(partial_name("_partialsx/x.hbs"), None);
    }

    #[test]
    fn names_that_become_dot_dot_are_refused() {
        for bad in ["_.", "a/_./b", "_..hbs", "x/./y"] {
            assert!(static_path_problem(bad).is_some(), "{bad}");
        }
        for good in ["_gitignore", "__init__.py", "a/_env.hbs", "a..b", "..."] {
            assert_eq!(static_path_problem(good), None, "{good}");
        }
    }

    #[test]
    fn ignored_files_and_partials_are_not_project_files() {
        let file = |path: &str| TemplateFile {
            path: path.to_owned(),
            contents: Cow::Borrowed(b"x"),
        };
        let template = Template::assemble(
            CONFIG_FILE,
            "name = 't'\ndescription = 'd'\nignore = ['notes', '*.bak']\n",
            vec![
                file("a.txt"),
                file("notes/todo.md"),
                file("b.bak"),
                file("_partials/p.hbs"),
                file(CONFIG_FILE),
            ],
            None,
        )
        .unwrap();
        let paths: Vec<&str> = template.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.txt"]);
        assert_eq!(template.partials["p"].text, "x");
        assert_eq!(template.config.auth, ["none"]);
        assert_eq!(template.config.auth_types(), [AuthType::None]);
    }
}
