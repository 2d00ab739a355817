//! What `update` does to each file, decided from three sides: the base (what ai-plugin
//! generated last time, [`crate::base`]), the project's files as they are, and the new plan
//! (today's templates with the current answers). Pure: the caller reads the files and writes
//! the outcome through [`crate::write`].
//!
//! | base → yours | base → new | outcome |
//! |---|---|---|
//! | same | any | the new version |
//! | changed | same | yours, untouched |
//! | changed | changed | a line merge; conflicts marked inline |
//! | deleted by you | any | stays deleted |
//! | absent | new file | added (merged with yours if you made one there) |
//! | same | dropped | removed |
//! | changed | dropped | kept, and listed |

use std::path::{Path, PathBuf};

use crate::base::{BASE_PATH, Base, BaseFile, key};
use crate::context::ANSWERS_RECORD;
use crate::merge;
use crate::render::{FileMode, Plan, PlannedFile};

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Already as the template now generates it: nothing to do.
    Unchanged,
    /// You never changed it: it takes the new version.
    Updated,
    /// You changed it and the template did not: it stays as you have it.
    KeptYours,
    /// Both changed it, on different lines: merged.
    Merged,
    /// Both changed the same lines: merged with this many conflicts marked inline.
    Conflicted(usize),
    /// Both changed a file that is not text: yours is kept, the new version is not applied.
    BinaryConflict,
    /// A file the template now adds.
    Added,
    /// You deleted it: it stays deleted.
    DeletedByYou,
    /// The template no longer generates it and you never changed it: removed.
    Removed,
    /// The template no longer generates it, but you changed it: kept.
    KeptDropped,
    /// A file ai-plugin always writes itself: the secrets (extended), the answers record, the
    /// base.
    Own,
}

/// One file's update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpdate {
    /// The path, `/`-separated, relative to the project.
    pub path: String,
    /// What happens to it.
    pub change: Change,
    /// The file as it is in the project, if it is there.
    pub current: Option<Vec<u8>>,
    /// What it becomes: `None` when it is left alone or removed.
    pub write: Option<PlannedFile>,
}

/// Decides every file's update. `current` reads a file of the project (`None` when it is not
/// there).
pub fn reconcile(
    base: &Base,
    new: &Plan,
    current: &dyn Fn(&Path) -> Option<Vec<u8>>,
) -> Vec<FileUpdate> {
    let mut updates = Vec::new();
    for file in &new.files {
        let path = key(&file.path);
        let now = current(&file.path);
        let own = file.mode == FileMode::Private || path == ANSWERS_RECORD || path == BASE_PATH;
        let (change, write) = if own {
            let write = (now.as_deref() != Some(&file.contents)).then(|| file.clone());
            (Change::Own, write)
        } else {
            decide(base.get(&path), file, now.as_deref())
        };
        updates.push(FileUpdate {
            path,
            change,
            current: now,
            write,
        });
    }
    for path in base.paths() {
        if new.get(path).is_some() {
            continue;
        }
        let now = current(Path::new(path));
        let change = match (&now, base.get(path)) {
            (None, _) => continue,
            (Some(now), Some(was)) if was.matches(now) => Change::Removed,
            (Some(_), _) => Change::KeptDropped,
        };
        updates.push(FileUpdate {
            path: path.clone(),
            change,
            current: now,
            write: None,
        });
    }
    updates.sort_by(|a, b| a.path.cmp(&b.path));
    updates
}

fn decide(
    base: Option<BaseFile<'_>>,
    new: &PlannedFile,
    now: Option<&[u8]>,
) -> (Change, Option<PlannedFile>) {
    let with = |contents: Vec<u8>| PlannedFile {
        contents,
        ..new.clone()
    };
    let Some(now) = now else {
        return match base {
            Some(_) => (Change::DeletedByYou, None),
            None => (Change::Added, Some(new.clone())),
        };
    };
    if now == new.contents.as_slice() {
        return (Change::Unchanged, None);
    }
    match base {
        Some(was) if was.matches(now) => return (Change::Updated, Some(new.clone())),
        Some(was) if was.matches(&new.contents) => return (Change::KeptYours, None),
        _ => {}
    }
    // Both changed it (or you made a file where the template now adds one: the base is empty).
    let base_text = match base {
        Some(BaseFile::Text(text)) => Some(text),
        Some(BaseFile::Binary(_)) => None,
        None => Some(""),
    };
    let sides = base_text
        .zip(std::str::from_utf8(now).ok())
        .zip(std::str::from_utf8(&new.contents).ok());
    let Some(((base_text, yours), theirs)) = sides else {
        return (Change::BinaryConflict, None);
    };
    let merged = merge::merge(base_text, yours, theirs);
    let change = if merged.conflicts > 0 {
        Change::Conflicted(merged.conflicts)
    } else if merged.text.as_bytes() == now {
        return (Change::KeptYours, None);
    } else {
        Change::Merged
    };
    (change, Some(with(merged.text.into_bytes())))
}

/// The files to write, as a plan for [`crate::write::write`].
pub fn writes(updates: &[FileUpdate]) -> Plan {
    let mut plan = Plan::default();
    for file in updates.iter().filter_map(|u| u.write.clone()) {
        plan.insert(file);
    }
    plan
}

/// The files to remove.
pub fn removals(updates: &[FileUpdate]) -> Vec<PathBuf> {
    updates
        .iter()
        .filter(|u| u.change == Change::Removed)
        .map(|u| PathBuf::from(&u.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn plan(files: &[(&str, &str)]) -> Plan {
        let mut plan = Plan::default();
        for (path, text) in files {
            plan.insert(PlannedFile {
                path: path.into(),
                contents: text.as_bytes().to_vec(),
                mode: FileMode::Normal,
            });
        }
        plan
    }

    fn changes(
        base: &[(&str, &str)],
        new: &[(&str, &str)],
        now: &[(&str, &str)],
    ) -> Vec<(String, Change, Option<String>)> {
        let base = Base::of(&plan(base));
        let now: BTreeMap<PathBuf, Vec<u8>> = now
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
            .collect();
        reconcile(&base, &plan(new), &|p| now.get(p).cloned())
            .into_iter()
            .map(|u| {
                let text = u.write.map(|w| String::from_utf8(w.contents).unwrap());
                (u.path, u.change, text)
            })
            .collect()
    }

    #[test]
    fn each_file_goes_the_way_of_the_table() {
        let got = changes(
            &[
                ("same", "a\n"),
                ("untouched", "old\n"),
                ("yours", "a\n"),
                ("both", "1\n2\n3\n"),
                ("clash", "x\n"),
                ("deleted", "d\n"),
                ("dropped", "gone\n"),
                ("dropped-edited", "gone\n"),
            ],
            &[
                ("same", "a\n"),
                ("untouched", "new\n"),
                ("yours", "a\n"),
                ("both", "1\n2\n3 new\n"),
                ("clash", "x new\n"),
                ("deleted", "d new\n"),
                ("added", "hello\n"),
            ],
            &[
                ("same", "a\n"),
                ("untouched", "old\n"),
                ("yours", "a mine\n"),
                ("both", "1 mine\n2\n3\n"),
                ("clash", "x mine\n"),
                ("dropped", "gone\n"),
                ("dropped-edited", "gone, but mine\n"),
            ],
        );
        let expect = |p: &str, c: Change, t: Option<&str>| (p.to_owned(), c, t.map(str::to_owned));
        assert_eq!(
            got,
            [
                expect("added", Change::Added, Some("hello\n")),
                expect("both", Change::Merged, Some("1 mine\n2\n3 new\n")),
                expect(
                    "clash",
                    Change::Conflicted(1),
                    Some(
                        "<<<<<<< yours\nx mine\n||||||| generated before\nx\n=======\nx new\n\
                         >>>>>>> ai-plugin\n"
                    )
                ),
                expect("deleted", Change::DeletedByYou, None),
                expect("dropped", Change::Removed, None),
                expect("dropped-edited", Change::KeptDropped, None),
                expect("same", Change::Unchanged, None),
                expect("untouched", Change::Updated, Some("new\n")),
                expect("yours", Change::KeptYours, None),
            ]
        );
    }

    #[test]
    fn a_file_you_made_where_the_template_now_adds_one_is_merged_not_replaced() {
        let got = changes(&[], &[("new.py", "x = 1\n")], &[("new.py", "mine = 2\n")]);
        let (_, change, text) = &got[0];
        assert_eq!(*change, Change::Conflicted(1));
        assert!(text.as_deref().unwrap().contains("mine = 2\n"));
    }
}
