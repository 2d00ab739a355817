//! The built-in templates, embedded in the binary: `templates/_base/` under each stack's folder,
//! with the shared partials of `templates/_partials/`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use include_dir::{Dir, DirEntry, include_dir};

use super::types::{
    CONFIG_FILE, PARTIALS_DIR, Template, TemplateConfig, TemplateError, TemplateFile,
};
use crate::choices::{AuthType, Stack};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

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

/// Not for users: a folder laid out as `templates/` whose templates replace the embedded ones
/// in `new` and `update`, so that a test can generate a project as an older ai-plugin did
/// (`tests/fixtures/templates-before-mcp`) and update it with today's.
pub const BUILTIN_OVERRIDE_ENV: &str = "AI_PLUGIN_TEST_BUILTIN_TEMPLATES";

impl Template {
    /// The built-in template for `stack`, with the shared base and partials.
    pub fn builtin(stack: Stack) -> Result<Template, TemplateError> {
        if let Some(root) = std::env::var_os(BUILTIN_OVERRIDE_ENV) {
            return builtin_from_folder(std::path::Path::new(&root), stack);
        }
        let (config, files) = builtin_files(stack)?;
        Template::assemble(&format!("{stack}/{CONFIG_FILE}"), config, files, None)
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

/// The built-in template of `stack` from a folder laid out as `templates/` (see
/// [`BUILTIN_OVERRIDE_ENV`]), layered as the embedded one is.
fn builtin_from_folder(root: &std::path::Path, stack: Stack) -> Result<Template, TemplateError> {
    let name = stack.as_str();
    let config_path = root.join(name).join(CONFIG_FILE);
    let config = std::fs::read_to_string(&config_path).map_err(|e| TemplateError::Config {
        path: config_path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut files: BTreeMap<String, TemplateFile> = BTreeMap::new();
    for (sub, prefix) in [("_base", ""), (PARTIALS_DIR, PARTIALS_DIR), (name, "")] {
        let layer = root.join(sub);
        for entry in walkdir::WalkDir::new(&layer).sort_by_file_name() {
            let entry = entry.map_err(|e| TemplateError::Config {
                path: layer.display().to_string(),
                message: e.to_string(),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&layer)
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
            let contents = std::fs::read(entry.path()).map_err(|e| TemplateError::Config {
                path: entry.path().display().to_string(),
                message: e.to_string(),
            })?;
            let key = path.strip_suffix(".hbs").unwrap_or(&path).to_owned();
            files.insert(
                key,
                TemplateFile {
                    path,
                    contents: Cow::Owned(contents),
                },
            );
        }
    }
    Template::assemble(
        &format!("{name}/{CONFIG_FILE}"),
        &config,
        files.into_values().collect(),
        None,
    )
}
