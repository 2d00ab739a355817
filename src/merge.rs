//! The three-way line merge `update` does on a file both the user and the template changed.
//!
//! The sides: the base (what ai-plugin generated last time), yours (the file as it is in the
//! project) and the template's (what ai-plugin generates now). A change on one side only is
//! taken; changes on both sides to the same lines are a conflict, written inline with git's
//! markers so that editors and `git mergetool` recognise them:
//!
//! ```text
//! <<<<<<< yours
//! your lines
//! ||||||| generated before
//! the lines ai-plugin generated last time
//! =======
//! the lines ai-plugin generates now
//! >>>>>>> ai-plugin
//! ```
//!
//! Both sides' lines are always in the result, so a conflict loses nothing. The line merge
//! itself is diffy's (`git merge-file`'s algorithm, diff3 style).

/// The label of the user's side of a conflict.
pub const YOURS: &str = "yours";
/// The label of the base in a conflict.
pub const BASE: &str = "generated before";
/// The label of the template's side of a conflict.
pub const THEIRS: &str = "ai-plugin";

/// The result of merging one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The merged text, with conflict markers where both sides changed the same lines.
    pub text: String,
    /// How many conflicts the text holds.
    pub conflicts: usize,
}

/// Merges `yours` and `theirs`, both changed from `base`, line by line.
pub fn merge(base: &str, yours: &str, theirs: &str) -> Merged {
    let mut options = diffy::MergeOptions::new();
    options
        .set_conflict_style(diffy::ConflictStyle::Diff3)
        .set_incomplete_hunk_style(diffy::IncompleteHunkStyle::Git);
    match options.merge(base, yours, theirs) {
        Ok(text) => Merged { text, conflicts: 0 },
        Err(marked) => relabel(&marked),
    }
}

/// diffy labels the sides `ours`, `original` and `theirs`; in a project, the user's file is
/// "yours" and the new side is ai-plugin's.
fn relabel(marked: &str) -> Merged {
    let mut text = String::with_capacity(marked.len() + 64);
    let mut conflicts = 0;
    for line in marked.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let relabeled = match body {
            "<<<<<<< ours" => {
                conflicts += 1;
                Some(format!("<<<<<<< {YOURS}"))
            }
            "||||||| original" => Some(format!("||||||| {BASE}")),
            ">>>>>>> theirs" => Some(format!(">>>>>>> {THEIRS}")),
            _ => None,
        };
        match relabeled {
            Some(marker) => text.push_str(&marker),
            None => text.push_str(body),
        }
        text.push_str(end);
    }
    Merged { text, conflicts }
}

/// Whether `text` holds a conflict marker line (left from an earlier update).
pub fn has_markers(text: &str) -> bool {
    text.lines().any(|l| {
        l.starts_with("<<<<<<< ") || l.starts_with(">>>>>>> ") || l.starts_with("||||||| ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn changes_on_different_lines_merge_cleanly() {
        let base = "a\nb\nc\nd\ne\n";
        let yours = "a\nB (yours)\nc\nd\ne\n";
        let theirs = "a\nb\nc\nd\nE (new)\n";
        let merged = merge(base, yours, theirs);
        assert_eq!(merged.conflicts, 0);
        assert_eq!(merged.text, "a\nB (yours)\nc\nd\nE (new)\n");
    }

    #[test]
    fn changes_to_the_same_line_are_a_marked_conflict_with_both_sides() {
        let merged = merge("a\nb\nc\n", "a\nmine\nc\n", "a\nnew\nc\n");
        assert_eq!(merged.conflicts, 1);
        assert_eq!(
            merged.text,
            "a\n<<<<<<< yours\nmine\n||||||| generated before\nb\n=======\nnew\n>>>>>>> \
             ai-plugin\nc\n"
        );
        assert!(has_markers(&merged.text));
    }

    #[test]
    fn a_conflict_at_an_unterminated_last_line_keeps_markers_on_their_own_lines() {
        let merged = merge("a\nb", "a\nmine", "a\nnew");
        assert_eq!(merged.conflicts, 1);
        for line in merged.text.lines() {
            for marker in ["<<<<<<<", "|||||||", "=======", ">>>>>>>"] {
                assert!(
                    !line.contains(marker) || line.starts_with(marker),
                    "{line:?} in:\n{}",
                    merged.text
                );
            }
        }
        assert!(merged.text.contains("mine\n"), "{}", merged.text);
    }

    /// One side's edit of a base: lines replaced, removed, or inserted; each inserted or
    /// changed line is unique to its side (`yours-3`, `theirs-7`).
    #[derive(Debug, Clone)]
    enum Edit {
        Replace(usize),
        Delete(usize),
        Insert(usize),
    }

    fn edit_strategy() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0..40usize).prop_map(Edit::Replace),
            (0..40usize).prop_map(Edit::Delete),
            (0..41usize).prop_map(Edit::Insert),
        ]
    }

    fn apply(base: &[String], edits: &[Edit], side: &str) -> Vec<String> {
        let mut lines = base.to_vec();
        for (n, edit) in edits.iter().enumerate() {
            let line = format!("{side}-{n}");
            match *edit {
                Edit::Replace(i) if i < lines.len() => lines[i] = line,
                Edit::Delete(i) if i < lines.len() => {
                    lines.remove(i);
                }
                Edit::Insert(i) => lines.insert(i.min(lines.len()), line),
                _ => {}
            }
        }
        lines
    }

    fn text(lines: &[String]) -> String {
        lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect()
    }

    proptest! {
        /// No line the user wrote is lost: every line of theirs that ai-plugin never generated
        /// is in the result, conflict or not; and a result without conflicts has no markers
        /// and every line the template added.
        #[test]
        fn no_user_line_is_lost_without_a_conflict_marker(
            // Repeated lines (`x`) make the alignment ambiguous, as `}` does in real code.
            base in proptest::collection::vec(
                prop_oneof![Just("x".to_owned()), "[a-e]{1,2}"], 0..30),
            yours in proptest::collection::vec(edit_strategy(), 0..8),
            theirs in proptest::collection::vec(edit_strategy(), 0..8),
        ) {
            let mine = apply(&base, &yours, "yours");
            let new = apply(&base, &theirs, "theirs");
            let merged = merge(&text(&base), &text(&mine), &text(&new));
            let out: Vec<&str> = merged.text.lines().collect();
            for line in mine.iter().filter(|l| l.starts_with("yours-")) {
                prop_assert!(out.contains(&line.as_str()), "lost {line}:\n{}", merged.text);
            }
            if merged.conflicts == 0 {
                prop_assert!(!has_markers(&merged.text), "{}", merged.text);
                for line in new.iter().filter(|l| l.starts_with("theirs-")) {
                    prop_assert!(out.contains(&line.as_str()), "lost {line}:\n{}", merged.text);
                }
            } else {
                prop_assert!(merged.text.contains("<<<<<<< yours\n"), "{}", merged.text);
                prop_assert!(merged.text.contains(">>>>>>> ai-plugin\n"), "{}", merged.text);
            }
        }
    }
}
