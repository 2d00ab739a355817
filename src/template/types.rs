//! A template: its `template.toml` ([`TemplateConfig`]), its files and partials, where it came
//! from, and what can stop one being read.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::condition::{Conditional, glob_covers};
use super::problem::Problem;
use super::source::TemplateSource;
use crate::choices::AuthType;
use crate::variables::Variable;

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
        "the template `{template}` has {count}; nothing was written \
         (`ai-plugin template check` lists them too):\n{list}",
        count = crate::text::plural(problems.len(), "problem"),
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

impl Template {
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
