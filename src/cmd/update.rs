//! `ai-plugin update`: bring a generated project to new answers or a newer ai-plugin, keeping
//! every edit. Reads the project's answers (`ai-plugin.toml`) and base (`.ai-plugin/base.json`),
//! plans the project again with `new`'s stages, decides each file with [`crate::update`], and
//! writes through [`crate::write`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Output;
use super::new::{self, Planned};
use crate::answers::{Answers, AnswersFile};
use crate::base::{self, BASE_PATH, Base};
use crate::cli::{NewArgs, UpdateArgs};
use crate::error::{Error, UpdateRefusal, UsageError};
use crate::git;
use crate::project::{ANSWERS_RECORD, Secrets};
use crate::prompt::ScriptedPrompter;
use crate::question::{AnswersError, Field, Source};
use crate::template::Template;
use crate::update::{self, Change, FileUpdate};
use crate::write::{self, Outcome, TargetPolicy};

/// How many `git status` lines a refusal names.
const DIRTY_SHOWN: usize = 5;

/// Runs `update`: check the project, plan it again, decide each file, write, report.
pub fn run(args: UpdateArgs) -> Result<Output, Error> {
    let UpdateArgs {
        dir,
        set,
        dry_run,
        allow_dirty,
        template,
        branch,
        subfolder,
    } = args;
    let record_path = dir.join(ANSWERS_RECORD);
    if !record_path.is_file() {
        return Err(UpdateRefusal::NotAProject(dir).into());
    }
    let record = new::read_answers_file(&record_path)?;
    if !dry_run && !allow_dirty {
        refuse_uncommitted(&dir)?;
    }
    let source = (template, branch, subfolder);
    let (args, file) = request(&dir, &source, &set, &record)?;

    let secrets = Secrets::generate().map_err(Error::Secrets)?;
    let mut prompter = ScriptedPrompter::default();
    let Planned {
        answers,
        template,
        mut plan,
    } = new::plan_with(
        args,
        Some((record_path.clone(), file)),
        &mut prompter,
        &secrets,
    )
    .map_err(as_set)?;
    base::add_to(&mut plan);
    let (base, recorded_base) = if let Some(base) = Base::read(&dir)? {
        (base, true)
    } else {
        // Today's templates with the recorded answers: the best base without one recorded.
        let placeholder = Secrets::placeholder();
        let then = new::plan_with(
            new_args(&dir, &source),
            Some((record_path.clone(), record)),
            &mut prompter,
            &placeholder,
        )?;
        (Base::of(&then.plan), false)
    };

    let read = |path: &Path| -> Option<Vec<u8>> {
        let path = dir.join(path);
        path.is_file().then(|| std::fs::read(&path).ok()).flatten()
    };
    let updates = update::reconcile(&base, &plan, &read);
    // Said before writing: the record is one of the files written.
    let mut out = heading(&dir, &template, &answers, dry_run, &base, recorded_base);
    answer_changes(&mut out, &record_path, &plan);
    let writes = update::writes(&updates);
    let removals = update::removals(&updates);
    let outcome = if dry_run {
        write::preflight(&writes, &dir, TargetPolicy::Force)?.1
    } else if writes.files.is_empty() && removals.is_empty() {
        Outcome::default()
    } else {
        let outcome = write::write(&writes, &dir, TargetPolicy::Force)?;
        write::remove(&dir, &removals)?;
        outcome
    };

    report(&mut out, &updates, &outcome);
    if dry_run {
        diff(&mut out, &updates);
    }
    let failure = conflicts(&mut out, &updates, dry_run);
    if failure.is_none() && !dry_run {
        out.push_str("\nNext: review the changes (`git diff`), run the tests");
        if !template.config.test.is_empty() {
            let _ = write!(out, " (`{}`)", template.config.test);
        }
        let _ = writeln!(out, ", and commit {BASE_PATH} with the rest.");
    }
    Ok(Output {
        stdout: out,
        stderr: String::new(),
        failure: failure.filter(|_| !dry_run),
    })
}

/// `--set` reaches `new`'s checks as its flags: its refusals name `--set`, not the flags.
fn as_set(error: Error) -> Error {
    match error {
        Error::Answers(AnswersError::Rejected { invalid, missing }) => {
            Error::Answers(AnswersError::Rejected {
                invalid: invalid
                    .into_iter()
                    .map(|mut i| {
                        if i.source == Source::Flag {
                            i.source = Source::Set;
                        }
                        i
                    })
                    .collect(),
                missing,
            })
        }
        error => error,
    }
}

/// Refuses a project in a git work tree with uncommitted changes.
fn refuse_uncommitted(dir: &Path) -> Result<(), Error> {
    let changes = git::uncommitted(dir).unwrap_or_default();
    if changes.is_empty() {
        return Ok(());
    }
    let mut shown: Vec<String> = changes
        .iter()
        .take(DIRTY_SHOWN)
        .map(|l| format!("`{}`", l.trim()))
        .collect();
    if changes.len() > DIRTY_SHOWN {
        shown.push(format!("{} more", changes.len() - DIRTY_SHOWN));
    }
    Err(UpdateRefusal::Dirty {
        dir: dir.to_owned(),
        changes: shown,
    }
    .into())
}

/// `new`'s arguments and answers file for the project as `--set` changes it.
fn request(
    dir: &Path,
    source: &TemplateArgs,
    set: &[String],
    record: &AnswersFile,
) -> Result<(NewArgs, AnswersFile), Error> {
    let user_template = source.0.is_some() || record.template.is_some();
    let mut args = new_args(dir, source);
    let mut file = record.clone();
    for assignment in set {
        let Some((key, value)) = assignment.split_once('=') else {
            return Err(UsageError::Set(assignment.clone()).into());
        };
        set_answer(&mut args, key.trim(), value, user_template, record)?;
    }
    // Another auth type drops the OAuth answers, unless they are set too.
    if args.auth.as_deref().is_some_and(|a| a != "oauth") {
        file.oauth_client_id = None;
        file.oauth_scope = None;
        file.oauth_content_type = None;
    }
    Ok((args, file))
}

/// The first lines: what is updated, with what, from which base.
fn heading(
    dir: &Path,
    template: &Template,
    answers: &Answers,
    dry_run: bool,
    base: &Base,
    recorded_base: bool,
) -> String {
    let mut out = String::new();
    let kind = template.source.as_ref().map_or_else(
        || format!("stack: {}", template.config.name),
        |s| format!("template: {}", s.describe()),
    );
    let (verb, note) = if dry_run {
        ("Would update", " (dry run: nothing was written)")
    } else {
        ("Updated", "")
    };
    let _ = writeln!(
        out,
        "{verb} `{}` ({kind}, auth: {}) with ai-plugin {}{note}.",
        dir.display(),
        answers.auth,
        env!("CARGO_PKG_VERSION"),
    );
    if recorded_base {
        let _ = writeln!(
            out,
            "Base: {BASE_PATH}, what {} generated.",
            base.generated_by
        );
    } else {
        let _ = writeln!(
            out,
            "Base: none recorded (the project predates {BASE_PATH}), so the base is today's \
             templates with the recorded answers: where an older ai-plugin generated something \
             else, the difference counts as yours and is kept. From now on {BASE_PATH} records \
             the base; commit it."
        );
    }
    out
}

/// Lists the conflicts at the end; the failure they make (exit 1), if any.
fn conflicts(out: &mut String, updates: &[FileUpdate], dry_run: bool) -> Option<Error> {
    let conflicted: Vec<(&str, usize)> = updates
        .iter()
        .filter_map(|u| match u.change {
            Change::Conflicted(n) => Some((u.path.as_str(), n)),
            _ => None,
        })
        .collect();
    let binary: Vec<&str> = updates
        .iter()
        .filter(|u| u.change == Change::BinaryConflict)
        .map(|u| u.path.as_str())
        .collect();
    if conflicted.is_empty() && binary.is_empty() {
        return None;
    }
    let _ = writeln!(
        out,
        "\nConflicts{}, marked inline between `<<<<<<< yours` and `>>>>>>> ai-plugin` (the \
         text generated before is between `||||||| generated before` and `=======`):",
        if dry_run {
            " the update would write"
        } else {
            ""
        }
    );
    for (path, n) in &conflicted {
        let _ = writeln!(out, "  {path} ({})", crate::text::plural(*n, "conflict"));
    }
    for path in &binary {
        let _ = writeln!(
            out,
            "  {path} (not text: yours is kept, the new version is not applied)"
        );
    }
    Some(
        UpdateRefusal::Conflicts {
            conflicts: conflicted.iter().map(|(_, n)| n).sum::<usize>() + binary.len(),
            files: conflicted.len() + binary.len(),
        }
        .into(),
    )
}

/// `--template`, `--branch`, `--subfolder`.
type TemplateArgs = (Option<String>, Option<String>, Option<String>);

/// `new`'s arguments for planning the project in `dir` from its record, with no answer given.
fn new_args(dir: &Path, (template, branch, subfolder): &TemplateArgs) -> NewArgs {
    NewArgs {
        dir: Some(dir.to_string_lossy().into_owned()),
        name_for_human: None,
        name_for_model: None,
        description_for_human: None,
        description_for_model: None,
        auth: None,
        oauth_client_id: None,
        oauth_scope: None,
        oauth_content_type: None,
        contact_email: None,
        legal_info_url: None,
        stack: None,
        port: None,
        template: template.clone(),
        branch: branch.clone(),
        subfolder: subfolder.clone(),
        define: Vec::new(),
        // An answer the record lacks (the OAuth ones after `--set auth=oauth`, a variable a
        // newer template declares) takes its default: update asks nothing.
        yes: true,
        answers: None,
        force: true,
        dry_run: false,
        no_git: true,
    }
}

/// Gives one `--set` answer as `new`'s flag (or `--define`), so it is checked as one.
fn set_answer(
    args: &mut NewArgs,
    key: &str,
    value: &str,
    user_template: bool,
    record: &AnswersFile,
) -> Result<(), Error> {
    let refuse = |why: &'static str| -> Error {
        UsageError::SetKey {
            key: key.to_owned(),
            why,
            variables: record.variables.keys().cloned().collect(),
        }
        .into()
    };
    let given = Some(value.to_owned());
    match Field::ALL.into_iter().find(|f| f.key() == key) {
        Some(Field::Directory) => return Err(refuse("the project stays in its folder")),
        Some(Field::Stack) => {
            return Err(refuse(
                "another stack rewrites every file; generate a new project with `ai-plugin \
                 new` and move your code over",
            ));
        }
        Some(Field::NameForHuman) => args.name_for_human = given,
        Some(Field::NameForModel) => args.name_for_model = given,
        Some(Field::DescriptionForHuman) => args.description_for_human = given,
        Some(Field::DescriptionForModel) => args.description_for_model = given,
        Some(Field::Auth) => args.auth = given,
        Some(Field::OauthClientId) => args.oauth_client_id = given,
        Some(Field::OauthScope) => args.oauth_scope = given,
        Some(Field::OauthContentType) => args.oauth_content_type = given,
        Some(Field::Port) => args.port = given,
        Some(Field::ContactEmail) => args.contact_email = given,
        Some(Field::LegalInfoUrl) => args.legal_info_url = given,
        None if user_template => args.define.push(format!("{key}={value}")),
        None => return Err(refuse("no such answer")),
    }
    Ok(())
}

/// Lists the answers that change: `key: old → new` (`variables.name` for a variable).
fn answer_changes(out: &mut String, record_path: &Path, plan: &crate::render::Plan) {
    /// The record's answers, with each variable as `variables.name`.
    fn flat(text: &str) -> BTreeMap<String, toml::Value> {
        let mut answers = BTreeMap::new();
        for (key, value) in text.parse::<toml::Table>().unwrap_or_default() {
            match value {
                toml::Value::Table(table) => {
                    for (name, value) in table {
                        answers.insert(format!("{key}.{name}"), value);
                    }
                }
                value => {
                    answers.insert(key, value);
                }
            }
        }
        answers
    }
    let old = std::fs::read_to_string(record_path)
        .map(|t| flat(&t))
        .unwrap_or_default();
    let new = plan.text(ANSWERS_RECORD).map(flat).unwrap_or_default();
    let show = |v: Option<&toml::Value>| v.map_or_else(|| "(none)".to_owned(), ToString::to_string);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<String> = keys
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| format!("  {k}: {} → {}", show(old.get(k)), show(new.get(k))))
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(out, "Answers changed:");
        for line in changed {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// One line per file that changes, then the files kept as the user has them.
fn report(out: &mut String, updates: &[FileUpdate], outcome: &Outcome) {
    let mut lines = Vec::new();
    let mut yours = Vec::new();
    for u in updates {
        let what = match &u.change {
            Change::Unchanged => continue,
            Change::KeptYours => {
                yours.push(u.path.clone());
                continue;
            }
            Change::DeletedByYou => {
                yours.push(format!("{} (deleted)", u.path));
                continue;
            }
            Change::Updated => "updated (you had not changed it)".to_owned(),
            Change::Merged => "merged (your changes and the template's)".to_owned(),
            Change::Conflicted(n) => format!(
                "merged with {} (listed below)",
                crate::text::plural(*n, "conflict")
            ),
            Change::BinaryConflict => "kept yours: both changed it and it is not text".to_owned(),
            Change::Added => "added (new in the template)".to_owned(),
            Change::Removed => {
                "removed (the template no longer writes it; you had not changed it)".to_owned()
            }
            Change::KeptDropped => "kept (the template no longer writes it, but you changed \
                 it; delete it if you do not need it)"
                .to_owned(),
            Change::Own if u.write.is_none() => continue,
            Change::Own if u.path == BASE_PATH => {
                if u.current.is_none() {
                    "added (the base of the next update; commit it)".to_owned()
                } else {
                    "updated (the base of the next update)".to_owned()
                }
            }
            Change::Own if u.path == ANSWERS_RECORD => "updated (the answers)".to_owned(),
            Change::Own => {
                let path = PathBuf::from(&u.path);
                if let Some(e) = outcome.extended.iter().find(|e| e.path == path) {
                    format!("kept, added {} (it holds your secrets)", e.added.join(", "))
                } else if u.current.is_none() {
                    "added".to_owned()
                } else {
                    continue;
                }
            }
        };
        lines.push((u.path.as_str(), what));
    }
    if lines.is_empty() {
        out.push_str("\nAlready up to date: nothing to change.\n");
    } else {
        out.push('\n');
        let width = lines
            .iter()
            .map(|(p, _)| p.chars().count())
            .max()
            .unwrap_or(0);
        for (path, what) in lines {
            let _ = writeln!(out, "  {path:width$}  {what}");
        }
    }
    if !yours.is_empty() {
        let _ = writeln!(
            out,
            "\nYour changes, kept as they are (the template did not change these files, or \
             you deleted them): {}",
            yours.join(", ")
        );
    }
}

/// The diff of every file the update would change (`--dry-run`).
fn diff(out: &mut String, updates: &[FileUpdate]) {
    for u in updates {
        let after: Option<Vec<u8>> = match (&u.change, &u.write) {
            (Change::Removed, _) => Some(Vec::new()),
            (Change::Own, _) if u.path == BASE_PATH => continue,
            // Only the answers record: `.env` holds secrets, and the base is the new files.
            (Change::Own, _) if u.path != ANSWERS_RECORD => continue,
            (_, Some(w)) => Some(w.contents.clone()),
            (_, None) => continue,
        };
        let Some(after) = after else { continue };
        let before = u.current.clone().unwrap_or_default();
        match (std::str::from_utf8(&before), std::str::from_utf8(&after)) {
            (Ok(before), Ok(after)) => {
                let a = format!("a/{}", u.path);
                let b = format!("b/{}", u.path);
                let mut options = diffy::DiffOptions::new();
                options.set_original_filename(a).set_modified_filename(b);
                let patch = options.create_patch(before, after);
                let _ = write!(out, "\n{patch}");
            }
            _ => {
                let _ = writeln!(out, "\nBinary file {} changes", u.path);
            }
        }
    }
}
