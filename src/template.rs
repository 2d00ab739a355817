//! Templates: the files of a project before rendering, embedded in the binary.
//!
//! `templates/_base/` holds what every stack shares (spec, logo, `.env`), `templates/_partials/`
//! the shared handlebars partials, and `templates/<stack>/` a stack's own files plus its
//! `template.toml`. A stack's file replaces a base file with the same output path.

use std::borrow::Cow;
use std::collections::BTreeMap;

use include_dir::{Dir, DirEntry, include_dir};
use serde::Deserialize;

use crate::fields::{AuthType, Stack};

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
    /// The auth types the template implements (`none`, `service_http`, ...).
    pub auth: Vec<String>,
    /// Files that exist only under a condition.
    #[serde(default)]
    pub conditional: Vec<Conditional>,
}

/// Output files that are generated only when a context value is true (`if = "has_auth"`) or,
/// with a leading `!`, false.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditional {
    /// The name of a context value, optionally negated with `!`.
    #[serde(rename = "if")]
    pub condition: String,
    /// Glob patterns of output paths: `*` matches within a path component, `**` any components.
    pub include: Vec<String>,
}

impl Conditional {
    /// Whether `path` (an output path, `/`-separated) is one of this condition's files.
    pub fn covers(&self, path: &str) -> bool {
        self.include.iter().any(|pattern| glob_match(pattern, path))
    }

    /// Whether the condition holds for `context`: the named value is truthy (or falsy under `!`).
    pub fn holds(&self, context: &serde_json::Value) -> bool {
        let (negated, name) = match self.condition.strip_prefix('!') {
            Some(name) => (true, name.trim()),
            None => (false, self.condition.trim()),
        };
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

/// Whether the built-in template of `stack` implements `auth`.
pub fn supports(stack: Stack, auth: AuthType) -> bool {
    let path = format!("{}/{CONFIG_FILE}", stack.as_str());
    TEMPLATES
        .get_file(&path)
        .and_then(|f| f.contents_utf8())
        .and_then(|text| toml::from_str::<TemplateConfig>(text).ok())
        .is_some_and(|config| config.auth.iter().any(|a| a == auth.as_str()))
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
        let config: TemplateConfig = toml::from_str(config).map_err(|e| TemplateError::Config {
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
                let file_name = file
                    .path()
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy();
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
    fn conditions_read_the_context() {
        let context = serde_json::json!({"yes": true, "no": false, "auth": "none", "empty": ""});
        let holds = |condition: &str| {
            Conditional {
                condition: condition.into(),
                include: vec![],
            }
            .holds(&context)
        };
        assert!(
            holds("yes") && holds("!no") && holds("auth") && holds("!empty") && holds("!missing")
        );
        assert!(!holds("no") && !holds("!yes") && !holds("missing"));
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
