//! A template of the user's: its folder read from disk without following any link, then checked
//! before anything is rendered.

use std::borrow::Cow;
use std::fs;
use std::path::Path;

use super::check;
use super::problem::Problem;
use super::source::{TemplateSource, clone, inside};
use super::types::{CONFIG_FILE, CONFIG_LIMIT, Folder, Template, TemplateError, TemplateFile};

impl TemplateSource {
    /// Fetches (for git) and reads the template, and checks it: any problem refuses it.
    pub fn load(&self) -> Result<Template, TemplateError> {
        let unreadable = |message: String| TemplateError::Unreadable {
            template: self.describe(),
            message,
        };
        if self.is_git() {
            let clone = clone(&self.location, self.branch.as_deref()).map_err(unreadable)?;
            let repo = clone.path().join("repo");
            let root = match &self.subfolder {
                Some(sub) => inside(&repo, sub).map_err(unreadable)?,
                None => repo,
            };
            load_folder(&root, &self.describe(), "", Some(self.clone()))
        } else {
            if self.branch.is_some() {
                return Err(unreadable(
                    "--branch applies only to a git URL (https://, ssh://, file://, \
                     user@host:path); this is a folder"
                        .to_owned(),
                ));
            }
            let base = Path::new(&self.location);
            let root = match &self.subfolder {
                Some(sub) => inside(base, sub).map_err(unreadable)?,
                None => base.to_path_buf(),
            };
            let prefix = root.display().to_string();
            load_folder(&root, &self.describe(), &prefix, Some(self.clone()))
        }
    }
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
            // Folders are walked into; `template.toml` was read above.
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
