//! `.ai-plugin/base.json`: what ai-plugin generated last time, kept in the project as the base
//! of `update`'s three-way merge.
//!
//! Why a file in the project, and not the network or git history: the templates that generated
//! a project may be gone (an older ai-plugin, a template repository rewritten or offline), not
//! every project is a git repository, and git history gets squashed and rebased. One file that
//! is committed with the project travels with every clone, so a clone can update too. It holds
//! the text of every generated file except the secrets (`.env`) and the answers record; a file
//! that is not UTF-8 (a logo) is kept as a hash only, enough to tell whether the user changed it.
//! No stack's tooling reads it: it is JSON in a hidden folder, and no template ignores it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::context::ANSWERS_RECORD;
use crate::render::{FileMode, Plan, PlannedFile};

/// Where the base is kept, relative to the project.
pub const BASE_PATH: &str = ".ai-plugin/base.json";

/// The largest base read: every generated file's text, with room to spare.
const BASE_LIMIT: u64 = 16 * crate::input::MIB;

/// What ai-plugin generated last time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Base {
    /// A note for whoever opens the file.
    #[serde(rename = "//", default)]
    pub note: String,
    /// The ai-plugin version that generated it.
    pub generated_by: String,
    /// Each generated UTF-8 file's text, by path (`/`-separated).
    pub files: BTreeMap<String, String>,
    /// Each generated file that is not UTF-8, by path: its [`hash`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub binary: BTreeMap<String, String>,
}

/// The base of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseFile<'a> {
    /// Its text.
    Text(&'a str),
    /// The hash of its bytes.
    Binary(&'a str),
}

impl BaseFile<'_> {
    /// Whether `contents` is what was generated.
    pub fn matches(&self, contents: &[u8]) -> bool {
        match self {
            BaseFile::Text(text) => text.as_bytes() == contents,
            BaseFile::Binary(digest) => *digest == hash(contents),
        }
    }
}

/// Why the base could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    /// It could not be read.
    #[error(transparent)]
    Read(#[from] crate::input::InputError),
    /// It is not a base.
    #[error(
        "`{BASE_PATH}` is not what ai-plugin wrote ({0}); restore it from version control, or \
         delete it to update against today's templates"
    )]
    Json(#[from] serde_json::Error),
}

/// Whether the planned file belongs in the base: not the secrets, not the answers record (it
/// is rewritten from the answers), not the base itself.
fn in_base(file: &PlannedFile) -> bool {
    file.mode != FileMode::Private
        && file.path != Path::new(ANSWERS_RECORD)
        && file.path != Path::new(BASE_PATH)
}

/// The `/`-separated key of a path.
pub fn key(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Base {
    /// The base of what `plan` generates.
    pub fn of(plan: &Plan) -> Base {
        let mut base = Base {
            note: format!(
                "What ai-plugin generated for this project, the base `ai-plugin update` merges \
                 your changes and the new templates' with. Commit it; do not edit it. {ANSWERS_RECORD} \
                 holds the answers."
            ),
            generated_by: format!("ai-plugin {}", env!("CARGO_PKG_VERSION")),
            ..Base::default()
        };
        for file in plan.files.iter().filter(|f| in_base(f)) {
            match std::str::from_utf8(&file.contents) {
                Ok(text) => {
                    base.files.insert(key(&file.path), text.to_owned());
                }
                Err(_) => {
                    base.binary.insert(key(&file.path), hash(&file.contents));
                }
            }
        }
        base
    }

    /// The base kept in `project`; `None` when there is none.
    pub fn read(project: &Path) -> Result<Option<Base>, BaseError> {
        let path = project.join(BASE_PATH);
        if !path.exists() {
            return Ok(None);
        }
        let text = crate::input::read_text(&path, BASE_LIMIT, "ai-plugin's base (JSON)")?;
        Ok(Some(serde_json::from_str(&text)?))
    }

    /// The base of the file at `path`, if ai-plugin generated one there.
    pub fn get(&self, path: &str) -> Option<BaseFile<'_>> {
        self.files
            .get(path)
            .map(|t| BaseFile::Text(t))
            .or_else(|| self.binary.get(path).map(|h| BaseFile::Binary(h)))
    }

    /// Every path in the base.
    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.files.keys().chain(self.binary.keys())
    }

    /// The file to write into the project.
    pub fn planned(&self) -> PlannedFile {
        let mut text = serde_json::to_string_pretty(self).expect("a base always serializes");
        text.push('\n');
        PlannedFile {
            path: BASE_PATH.into(),
            contents: text.into_bytes(),
            mode: FileMode::Normal,
        }
    }
}

/// Adds the base of `plan` to it, so that the project keeps what it was generated as.
pub fn add_to(plan: &mut Plan) {
    let base = Base::of(plan);
    plan.insert(base.planned());
}

/// FNV-1a, 64 bits, as hex: stable across Rust versions and platforms, which std's hasher is
/// not. Enough to tell whether a file changed; not meant to resist anyone.
pub fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let mut plan = Plan::default();
        for (path, contents, mode) in [
            ("src/main.rs", b"fn main() {}\n".to_vec(), FileMode::Normal),
            ("logo.png", vec![0x89, b'P', 0xff, 0], FileMode::Normal),
            (".env", b"SECRET=1\n".to_vec(), FileMode::Private),
            (ANSWERS_RECORD, b"name = 1\n".to_vec(), FileMode::Normal),
        ] {
            plan.insert(PlannedFile {
                path: path.into(),
                contents,
                mode,
            });
        }
        plan
    }

    #[test]
    fn the_base_keeps_texts_and_hashes_but_never_the_secrets() {
        let base = Base::of(&plan());
        assert_eq!(
            base.paths().collect::<Vec<_>>(),
            ["src/main.rs", "logo.png"]
        );
        assert!(base.get(".env").is_none());
        assert!(base.get("src/main.rs").unwrap().matches(b"fn main() {}\n"));
        assert!(
            !base
                .get("src/main.rs")
                .unwrap()
                .matches(b"fn main() { edited }\n")
        );
        assert!(
            base.get("logo.png")
                .unwrap()
                .matches(&[0x89, b'P', 0xff, 0])
        );
        assert!(
            !base
                .get("logo.png")
                .unwrap()
                .matches(&[0x89, b'P', 0xff, 1])
        );
        let json = String::from_utf8(base.planned().contents).unwrap();
        assert!(!json.contains("SECRET"), "{json}");
    }

    #[test]
    fn the_base_reads_back_as_written() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(Base::read(tmp.path()).unwrap(), None);
        let mut plan = plan();
        add_to(&mut plan);
        let file = plan.get(BASE_PATH).unwrap();
        std::fs::create_dir_all(tmp.path().join(".ai-plugin")).unwrap();
        std::fs::write(tmp.path().join(BASE_PATH), &file.contents).unwrap();
        assert_eq!(Base::read(tmp.path()).unwrap(), Some(Base::of(&plan)));
        std::fs::write(tmp.path().join(BASE_PATH), "{").unwrap();
        let err = Base::read(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(BASE_PATH), "{err}");
    }
}
