//! Templates: the files of a project before rendering, embedded in the binary.
//!
//! `templates/_base/` holds what every stack shares (spec, logo, `.env`), `templates/_partials/`
//! the shared handlebars partials, and `templates/<stack>/` a stack's own files plus its
//! `template.toml`. A stack's file replaces a base file with the same output path.

use std::borrow::Cow;
use std::collections::BTreeMap;

use include_dir::{Dir, DirEntry, include_dir};
use serde::Deserialize;

use crate::fields::Stack;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The file in a template folder that describes it; it is never rendered.
pub const CONFIG_FILE: &str = "template.toml";

/// A template's `template.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// The template's name, as `--stack` takes it.
    pub name: String,
    /// One line on what it generates.
    pub description: String,
    /// The command that installs what is needed and runs the plugin.
    pub run: String,
    /// The command that runs the project's tests.
    pub test: String,
}

/// One file of a template, by its path in the template (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    /// The path inside the template, before renaming.
    pub path: String,
    /// The bytes.
    pub contents: Cow<'static, [u8]>,
}

/// A template ready to render.
#[derive(Debug, Clone)]
pub struct Template {
    /// What `template.toml` says.
    pub config: TemplateConfig,
    /// Its files, base files first, sorted by path.
    pub files: Vec<TemplateFile>,
    /// Handlebars partials by name.
    pub partials: BTreeMap<String, String>,
}

/// A template that cannot be read.
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
}

impl Template {
    /// The built-in template for `stack`, with the shared base and partials.
    pub fn builtin(stack: Stack) -> Result<Template, TemplateError> {
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
        let config: TemplateConfig =
            toml::from_str(config).map_err(|e| TemplateError::Config {
                path: config_path,
                message: e.to_string(),
            })?;

        let mut files: BTreeMap<String, TemplateFile> = BTreeMap::new();
        for (root, tree) in [("_base", TEMPLATES.get_dir("_base")), (name, Some(dir))] {
            let Some(tree) = tree else { continue };
            for file in embedded_files(tree) {
                let path = file
                    .path()
                    .strip_prefix(root)
                    .expect("a file lies under its folder")
                    .to_string_lossy()
                    .replace('\\', "/");
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

        let mut partials = BTreeMap::new();
        if let Some(dir) = TEMPLATES.get_dir("_partials") {
            for file in embedded_files(dir) {
                let file_name = file.path().file_name().unwrap_or_default().to_string_lossy();
                let partial = file_name.split('.').next().unwrap_or_default().to_owned();
                let text = file
                    .contents_utf8()
                    .ok_or_else(|| TemplateError::PartialNotText(partial.clone()))?;
                partials.insert(partial, text.to_owned());
            }
        }

        Ok(Template {
            config,
            files: files.into_values().collect(),
            partials,
        })
    }
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
        }
    }

    #[test]
    fn base_files_are_shared_and_partials_are_found() {
        let template = Template::builtin(Stack::Rust).unwrap();
        let paths: Vec<&str> = template.files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"openapi.yaml.hbs"), "{paths:?}");
        assert!(paths.contains(&"logo.png"), "{paths:?}");
        assert!(template.partials.contains_key("readme_chatgpt"));
    }
}
