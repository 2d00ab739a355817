//! `ai-plugin new`: choose the template, gather the answers and the template's variables, plan
//! the project, write it, say what to do next.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Output;
use crate::answers::{self, Answers, AnswersFile, Fill, Given, Offer, PartialAnswers, Source};
use crate::base::{self, Base};
use crate::choices::AuthType;
use crate::cli::NewArgs;
use crate::error::{AnswersFileError, Error, UsageError};
use crate::git;
use crate::input;
use crate::project::{self, ProjectError, SPEC_PATH, Secrets};
use crate::prompt::{DialoguerPrompter, Prompter};
use crate::question::Field;
use crate::render::{FileMode, Plan};
use crate::template::Template;
use crate::template::source::TemplateSource;
use crate::template::types::TemplateError;
use crate::toolchain;
use crate::variables;
use crate::write::{self, Outcome, TargetPolicy, WriteError};

/// Runs `new` with the real terminal prompter.
pub fn run(args: NewArgs, terminal: bool) -> Result<Output, Error> {
    let mut prompter = DialoguerPrompter::default();
    let stdout = generate(args, terminal, &mut prompter)?;
    let stderr = if crate::interrupt::requested() {
        "Ctrl-C came too late to cancel: the project was already moving into place, so the \
         move was finished and the project is complete\n"
            .to_owned()
    } else {
        String::new()
    };
    Ok(Output {
        stdout,
        stderr,
        failure: None,
    })
}

/// Everything `new` does, stage by stage; returns what it prints on success.
pub fn generate(
    args: NewArgs,
    terminal: bool,
    prompter: &mut dyn Prompter,
) -> Result<String, Error> {
    let file = read_answers_file_arg(&args)?;
    let request = Request::from_parts(args, file, terminal)?;
    let secrets = Secrets::generate().map_err(Error::Secrets)?;
    let recorded = request.recorded;
    let Planned {
        answers,
        template,
        mut plan,
    } = plan_request(&request, prompter, &secrets)?;
    base::add_to(&mut plan);
    // Regenerating a project over itself: say which of the user's changes it overwrites.
    let changed = if recorded {
        changed_by_user(&plan, &answers.directory)
    } else {
        Vec::new()
    };
    if request.dry_run {
        let (_, outcome) = write::preflight(&plan, &answers.directory, request.target)?;
        let mut out = dry_run_listing(&plan, &answers.directory, &outcome, &changed);
        if recorded {
            out.push_str(&recorded_note(&changed));
        }
        return Ok(out);
    }
    let outcome = write::write(&plan, &answers.directory, request.target)?;
    let mut notes = Vec::new();
    if recorded {
        notes.push(recorded_note(&changed).trim().to_owned());
    }
    // Only a folder that holds nothing but the project becomes a repository: files of the
    // user's that the template did not write stay out of any commit.
    if request.git && outcome.not_written.is_empty() {
        notes.extend(git::init(&answers.directory).line());
    }
    // Checked once the project is written: the user may install what is missing next.
    let missing = answers
        .stack
        .filter(|_| template.source.is_none())
        .and_then(|stack| toolchain::missing(stack, &toolchain::run_from_path));
    notes.extend(missing.map(|m| format!("Before the next steps: {m}.")));
    Ok(next_steps(&answers, &template, &plan, &outcome, &notes))
}

/// What a request plans: the answers, the template, and the files.
pub(crate) struct Planned {
    /// The complete answers.
    pub(crate) answers: Answers,
    /// The template rendered.
    pub(crate) template: Template,
    /// The project's files (without the base).
    pub(crate) plan: Plan,
}

/// Reads the `--answers` file of `args`, if one is given.
fn read_answers_file_arg(args: &NewArgs) -> Result<Option<(PathBuf, AnswersFile)>, Error> {
    args.answers
        .as_deref()
        .map(|path| read_answers_file(path).map(|file| (path.to_owned(), file)))
        .transpose()
}

/// Plans the project `args` ask for, with `file` as the answers file (`update` passes the
/// project's `ai-plugin.toml`, with `--set` as the flags): the same checks as `new`.
pub(crate) fn plan_with(
    args: NewArgs,
    file: Option<(PathBuf, AnswersFile)>,
    prompter: &mut dyn Prompter,
    secrets: &Secrets,
) -> Result<Planned, Error> {
    let request = Request::from_parts(args, file, false)?;
    plan_request(&request, prompter, secrets)
}

fn plan_request(
    request: &Request,
    prompter: &mut dyn Prompter,
    secrets: &Secrets,
) -> Result<Planned, Error> {
    let template = request.template.load()?;
    let answers = resolve_answers(request, &template, prompter)?;
    let template = template.into_template(&answers)?;
    let values = resolve_variables(request, &template, &answers, prompter)?;
    let plan = project::plan_template(&template, &answers, &values, secrets)?;
    Ok(Planned {
        answers,
        template,
        plan,
    })
}

/// The planned files (not the secrets, the record or the base) whose text in `dir` differs
/// from what ai-plugin generated there last time (its base; without one, from what the
/// recorded answers generate now): the user's changes that `new --force` overwrites.
fn changed_by_user(plan: &Plan, dir: &Path) -> Vec<PathBuf> {
    let base = Base::read(dir).ok().flatten();
    plan.files
        .iter()
        .filter(|f| {
            f.mode != FileMode::Private
                && f.path != Path::new(project::ANSWERS_RECORD)
                && f.path != Path::new(base::BASE_PATH)
        })
        .filter(|f| {
            let Ok(now) = std::fs::read(dir.join(&f.path)) else {
                return false;
            };
            let generated = base
                .as_ref()
                .and_then(|b| b.get(&base::key(&f.path)))
                .map_or_else(|| now == f.contents, |was| was.matches(&now));
            now != f.contents && !generated
        })
        .map(|f| f.path.clone())
        .collect()
}

/// What `new --force` says when it regenerates a project over itself.
fn recorded_note(changed: &[PathBuf]) -> String {
    let mut out = format!(
        "\nAnswers: read from the project's {}, flags first. `ai-plugin update` changes \
         answers or brings a newer ai-plugin while keeping your edits.\n",
        project::ANSWERS_RECORD
    );
    if !changed.is_empty() {
        let names: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(
            out,
            "Overwrote your changes to: {} (the text ai-plugin generated replaces yours; \
             `ai-plugin update` would have merged them)",
            names.join(", ")
        );
    }
    out
}

/// Which template `new` generates from: `T` is where a template of the user's is
/// ([`TemplateSource`]) until it is loaded, then the [`Template`] itself.
#[derive(Debug)]
enum TemplateChoice<T> {
    /// A built-in template, whose stack is one of the answers.
    Builtin,
    /// A template of the user's (`--template`, or the answers file's `template`).
    User(T),
}

impl TemplateChoice<TemplateSource> {
    /// Reads a template of the user's, once, before any question (it decides what is asked).
    fn load(&self) -> Result<TemplateChoice<Template>, Error> {
        Ok(match self {
            TemplateChoice::Builtin => TemplateChoice::Builtin,
            TemplateChoice::User(source) => TemplateChoice::User(source.load()?),
        })
    }
}

impl TemplateChoice<Template> {
    /// The template to render: the user's, or the built-in one of the stack answered.
    fn into_template(self, answers: &Answers) -> Result<Template, Error> {
        match self {
            TemplateChoice::User(template) => Ok(template),
            TemplateChoice::Builtin => {
                let stack = answers.stack.ok_or_else(|| {
                    ProjectError::from(TemplateError::Missing("(no stack chosen)".to_owned()))
                })?;
                Ok(Template::builtin(stack).map_err(ProjectError::from)?)
            }
        }
    }
}

/// What the arguments ask for, checked for how they go together, before any template is read
/// or any question asked.
#[derive(Debug)]
struct Request {
    /// The template chosen, not yet read.
    template: TemplateChoice<TemplateSource>,
    /// The plugin answers given by flags and the answers file (flags win).
    answers: PartialAnswers,
    /// The template variables given by `--define` and the answers file (`--define` wins).
    variables: BTreeMap<String, Given>,
    /// How to fill what was not given.
    fill: Fill,
    /// Whether a folder that holds files may receive the project (`--force`).
    target: TargetPolicy,
    /// `--dry-run`: plan, list, write nothing.
    dry_run: bool,
    /// Whether the project gets a git repository of its own (not `--no-git`).
    git: bool,
    /// Whether the answers come from the target's own `ai-plugin.toml` (`--force` over a
    /// generated project, without `--answers`).
    recorded: bool,
}

impl Request {
    /// Reads the answers file and sorts every argument into its place; every flag is taken
    /// apart here, so none is silently dropped.
    #[cfg(test)]
    fn from_args(args: NewArgs, terminal: bool) -> Result<Request, Error> {
        let file = read_answers_file_arg(&args)?;
        Request::from_parts(args, file, terminal)
    }

    /// The request of `args`, with the answers file already read. `--force` into a
    /// generated project without `--answers` reads the project's `ai-plugin.toml`: its
    /// answers are never reset to defaults.
    fn from_parts(
        args: NewArgs,
        file: Option<(PathBuf, AnswersFile)>,
        terminal: bool,
    ) -> Result<Request, Error> {
        let NewArgs {
            dir,
            name_for_human,
            name_for_model,
            description_for_human,
            description_for_model,
            auth,
            oauth_client_id,
            oauth_scope,
            oauth_content_type,
            contact_email,
            legal_info_url,
            stack,
            port,
            template,
            branch,
            subfolder,
            define,
            yes,
            answers: _,
            force,
            dry_run,
            no_git,
        } = args;
        let record = dir
            .as_deref()
            .map(|d| Path::new(d).join(project::ANSWERS_RECORD))
            .filter(|path| force && file.is_none() && path.is_file());
        let recorded = record.is_some();
        let file = match record {
            Some(path) => Some(read_answers_file(&path).map(|f| (path, f))?),
            None => file,
        };
        let template = template_choice(
            template,
            branch,
            subfolder,
            stack.is_some(),
            file.as_ref().map(|(_, f)| f),
        )?;
        let user_template = matches!(template, TemplateChoice::User(_));

        let mut answers = PartialAnswers::default();
        for (field, value) in [
            (Field::Directory, dir),
            (Field::NameForHuman, name_for_human),
            (Field::NameForModel, name_for_model),
            (Field::DescriptionForHuman, description_for_human),
            (Field::DescriptionForModel, description_for_model),
            (Field::Auth, auth),
            (Field::OauthClientId, oauth_client_id),
            (Field::OauthScope, oauth_scope),
            (Field::OauthContentType, oauth_content_type),
            (Field::Stack, stack),
            (Field::Port, port),
            (Field::ContactEmail, contact_email),
            (Field::LegalInfoUrl, legal_info_url),
        ] {
            if let Some(value) = value {
                answers.give(field, value, Source::Flag);
            }
        }
        if let Some((path, file)) = &file {
            if user_template && file.template.is_none() {
                // The file was written for another template: its stack does not apply.
                let mut file = file.clone();
                file.stack = None;
                answers.merge_file(&file, path);
            } else {
                answers.merge_file(file, path);
            }
        }

        let mut variables: BTreeMap<String, Given> = BTreeMap::new();
        for definition in define {
            let Some((name, value)) = definition.split_once('=') else {
                return Err(UsageError::Define(definition).into());
            };
            variables.entry(name.trim().to_owned()).or_insert(Given {
                value: value.to_owned(),
                source: Source::Flag,
            });
        }
        if !user_template && !variables.is_empty() {
            return Err(UsageError::DefineWithoutTemplate.into());
        }
        if let Some((path, file)) = file.as_ref().filter(|_| user_template) {
            for (name, value) in &file.variables {
                variables.entry(name.clone()).or_insert(Given {
                    value: value.to_string(),
                    source: Source::File(path.clone()),
                });
            }
        }

        let fill = if yes {
            Fill::Defaults
        } else if terminal {
            Fill::Prompt
        } else {
            Fill::Nothing
        };
        Ok(Request {
            template,
            answers,
            variables,
            fill,
            target: TargetPolicy::from_force(force),
            dry_run,
            git: !no_git,
            recorded,
        })
    }
}

/// The plugin answers: the given ones checked (with the template's variables, so that every
/// problem is reported at once), the rest filled by the request's [`Fill`].
fn resolve_answers(
    request: &Request,
    template: &TemplateChoice<Template>,
    prompter: &mut dyn Prompter,
) -> Result<Answers, Error> {
    // A directory given up front is judged before any question is asked.
    if let Some(dir) = request.answers.get(Field::Directory)
        && let Err(refused @ WriteError::NotEmpty { .. }) =
            request.target.admit(Path::new(&dir.value))
    {
        return Err(refused.into());
    }
    // At the prompt, a directory that would be refused later is asked again at once.
    let target_ok = |dir: &str| {
        request
            .target
            .admit(Path::new(dir))
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let (offer, declared) = match template {
        TemplateChoice::User(t) => (Offer::Template(&t.config), &t.config.variables[..]),
        TemplateChoice::Builtin => (Offer::Stacks, &[][..]),
    };
    let earlier = variables::check_given(declared, &request.variables, request.fill);
    Ok(answers::resolve_with(
        &request.answers,
        request.fill,
        prompter,
        &target_ok,
        offer,
        earlier,
    )?)
}

/// The template's own variables, given, asked, or defaulted; their defaults may use the
/// plugin answers.
fn resolve_variables(
    request: &Request,
    template: &Template,
    answers: &Answers,
    prompter: &mut dyn Prompter,
) -> Result<variables::Values, Error> {
    if template.config.variables.is_empty() {
        return Ok(variables::Values::new());
    }
    Ok(variables::resolve(
        &template.config.variables,
        &request.variables,
        request.fill,
        prompter,
        &project::answers_context(template, answers),
    )?)
}

/// The template of the user's to use, if any: `--template` wins over the answers file's, and
/// `--stack` over the file's template.
fn template_choice(
    template: Option<String>,
    branch: Option<String>,
    subfolder: Option<String>,
    stack_given: bool,
    file: Option<&AnswersFile>,
) -> Result<TemplateChoice<TemplateSource>, Error> {
    if let Some(location) = template {
        return Ok(TemplateChoice::User(TemplateSource {
            location,
            branch,
            subfolder,
        }));
    }
    let from_file = file
        .filter(|_| !stack_given)
        .and_then(|f| f.template.clone().map(|t| (t, f)));
    if let Some((location, file)) = from_file {
        if file.stack.is_some() {
            return Err(UsageError::StackAndTemplate.into());
        }
        return Ok(TemplateChoice::User(TemplateSource {
            location,
            branch: branch.or_else(|| file.branch.clone()),
            subfolder: subfolder.or_else(|| file.subfolder.clone()),
        }));
    }
    if branch.is_some() || subfolder.is_some() {
        return Err(UsageError::BranchWithoutTemplate.into());
    }
    Ok(TemplateChoice::Builtin)
}

/// The largest answers file read: far more than any set of answers needs.
pub const ANSWERS_FILE_LIMIT: u64 = input::MIB;

pub(crate) fn read_answers_file(path: &Path) -> Result<AnswersFile, Error> {
    let fail = |source: AnswersFileError| Error::AnswersFile {
        path: path.to_owned(),
        source,
    };
    let text = input::read_text(path, ANSWERS_FILE_LIMIT, "an answers file (TOML)")
        .map_err(|e| fail(e.into()))?;
    toml::from_str(&text).map_err(|e| fail(e.into()))
}

fn dry_run_listing(plan: &Plan, target: &Path, outcome: &Outcome, changed: &[PathBuf]) -> String {
    let mut out = format!(
        "Would write {} files to `{}` (dry run: nothing was written):\n",
        plan.files.len(),
        target.display()
    );
    let width = plan
        .files
        .iter()
        .map(|f| f.path.to_string_lossy().chars().count())
        .max()
        .unwrap_or(0);
    for file in &plan.files {
        let mut notes = Vec::new();
        if changed.contains(&file.path) {
            notes.push("overwrites your changes".to_owned());
        } else if outcome.overwritten.contains(&file.path) {
            notes.push("overwrites".to_owned());
        }
        if outcome.kept.contains(&file.path) {
            notes.push("exists: kept".to_owned());
        }
        if let Some(extended) = outcome.extended.iter().find(|e| e.path == file.path) {
            notes.push(format!("exists: kept, adds {}", extended.added.join(", ")));
        }
        if file.mode == FileMode::Private {
            notes.push("private".to_owned());
        }
        let _ = writeln!(
            out,
            "  {:width$}  {:>7} B{}",
            file.path.to_string_lossy(),
            file.contents.len(),
            if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join(", "))
            }
        );
    }
    not_written(&mut out, outcome);
    out
}

/// Lists the files in the target that the template did not write, if any.
fn not_written(out: &mut String, outcome: &Outcome) {
    if outcome.not_written.is_empty() {
        return;
    }
    out.push_str(
        "\nNot written by this template (left as they were; delete them if they came from an \
         earlier generation):\n",
    );
    for path in &outcome.not_written {
        let _ = writeln!(out, "  {}", path.display());
    }
}

/// Where the plugin can be used today, in the order the README gives: a ChatGPT app, Claude,
/// the MCP Inspector, a GPT Action. ChatGPT's plugin store, which read the manifest, is gone.
fn where_to_use(auth: AuthType, name: &str, url: &str) -> String {
    let inspector = format!(
        "npx @modelcontextprotocol/inspector --cli {url}/mcp --transport http --method tools/list"
    );
    let (chatgpt, claude, inspector) = match auth {
        AuthType::None => (
            "in developer mode (Settings → Apps → Advanced settings → Developer mode), create an \
             app with the HTTPS URL of /mcp and no authentication (for local work: a tunnel, and \
             PUBLIC_URL set to its address); apps take auth none or OAuth"
                .to_owned(),
            "Settings → Connectors → Add custom connector, with the HTTPS URL of /mcp".to_owned(),
            inspector,
        ),
        AuthType::ServiceHttp | AuthType::UserHttp => (
            format!(
                "not with auth {auth}: apps take no authentication or OAuth, not bearer tokens"
            ),
            format!(
                "custom connectors take none or OAuth; Claude Code sends the token: claude mcp \
                 add --transport http {name} {url}/mcp --header \"Authorization: Bearer $TOKEN\""
            ),
            format!("{inspector} --header \"Authorization: Bearer $TOKEN\""),
        ),
        AuthType::Oauth => (
            "in developer mode (Settings → Apps → Advanced settings → Developer mode), create an \
             app with the HTTPS URL of /mcp and OAuth, nothing else: ChatGPT registers itself \
             and opens the consent page (for local work: a tunnel, and PUBLIC_URL set to its \
             address)"
                .to_owned(),
            "Settings → Connectors → Add custom connector, with the HTTPS URL of /mcp: Claude \
             registers itself and opens the consent page"
                .to_owned(),
            format!("{inspector} --header \"Authorization: Bearer $TOKEN\""),
        ),
    };
    let token = match auth {
        AuthType::None => "",
        AuthType::ServiceHttp => " (TOKEN: SERVICE_AUTH_TOKEN from .env)",
        AuthType::UserHttp => " (TOKEN: a user's token from USER_TOKENS in .env)",
        AuthType::Oauth => {
            " (its web UI signs in on its own; the CLI takes TOKEN, an access token: README.md \
             shows how to get one)"
        }
    };
    let action = match auth {
        AuthType::None => "no authentication",
        AuthType::ServiceHttp => "API key, Bearer, SERVICE_AUTH_TOKEN",
        AuthType::UserHttp => "API key, Bearer, one token for every user",
        AuthType::Oauth => "OAuth, with OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET",
    };
    let mut out = String::from("Use it (README.md says more):\n");
    let _ = writeln!(out, "  As a ChatGPT app: {chatgpt}.");
    let _ = writeln!(out, "  In Claude: {claude}.");
    let _ = writeln!(out, "  In the MCP Inspector{token}:\n    {inspector}");
    let _ = writeln!(
        out,
        "  As a GPT Action: import https://<your domain>/openapi.yaml in the GPT editor ({action})."
    );
    out.push_str("ChatGPT's plugin store, which read the manifest, is gone.\n");
    out
}

/// What to do once the project is written; `notes` (the repository, what to install first) are
/// said before the steps.
pub fn next_steps(
    answers: &Answers,
    template: &Template,
    plan: &Plan,
    outcome: &Outcome,
    notes: &[String],
) -> String {
    let config = &template.config;
    let dir = answers.directory.display();
    let url = project::local_url(answers.port);
    let kind = if template.source.is_some() {
        "template"
    } else {
        "stack"
    };
    let mut out = format!(
        "Created {:?} in `{dir}` ({kind}: {}, auth: {}).\n",
        answers.name_for_human, config.name, answers.auth
    );
    let names = |paths: &[std::path::PathBuf]| -> String {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        names.join(", ")
    };
    if !outcome.overwritten.is_empty() {
        let _ = writeln!(out, "Overwrote: {}", names(&outcome.overwritten));
    }
    if !outcome.kept.is_empty() {
        let _ = writeln!(
            out,
            "Kept (it holds your secrets): {}",
            names(&outcome.kept)
        );
    }
    for extended in &outcome.extended {
        let _ = writeln!(
            out,
            "Kept {} (it holds your secrets), added: {}",
            extended.path.display(),
            extended.added.join(", ")
        );
    }
    not_written(&mut out, outcome);
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            let _ = writeln!(out, "{note}");
        }
    }
    out.push_str("\nNext steps:\n");
    // No `cd .` when the project is the current folder.
    if answers
        .directory
        .components()
        .ne([std::path::Component::CurDir])
    {
        let _ = writeln!(out, "  cd {dir}");
    }
    if !config.run.is_empty() {
        let _ = writeln!(out, "  {}    # serves {url}", config.run);
    }
    if !config.test.is_empty() {
        let _ = writeln!(out, "  {}", config.test);
    }
    out.push('\n');
    // The built-in stacks serve MCP at /mcp; a template of the user's own may not.
    let serves_mcp = template.source.is_none();
    if serves_mcp {
        let _ = writeln!(out, "MCP:      {url}/mcp");
    }
    if plan.get(SPEC_PATH).is_some() {
        let _ = writeln!(out, "Spec:     {url}/openapi.yaml");
    } else {
        let _ = writeln!(
            out,
            "Spec:     {url}/openapi.yaml (the template writes no {SPEC_PATH}: the manifest \
             points there, so the server must serve one; only the manifest was checked)"
        );
    }
    let _ = writeln!(out, "Manifest: {url}/.well-known/ai-plugin.json");
    out.push('\n');
    if serves_mcp {
        out.push_str(&where_to_use(answers.auth, &answers.name_for_model, &url));
    } else {
        let _ = writeln!(
            out,
            "Use it as a GPT Action: import https://<your domain>/openapi.yaml in the GPT editor \
             (serve it over HTTPS: a tunnel and PUBLIC_URL for local work)."
        );
    }
    let secrets = match answers.auth {
        AuthType::None => "none are needed for auth none".to_owned(),
        AuthType::ServiceHttp => "SERVICE_AUTH_TOKEN is the bearer token of /mcp and \
            the API"
            .to_owned(),
        AuthType::UserHttp => "USER_TOKENS maps each user to their bearer token".to_owned(),
        AuthType::Oauth => "OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are what you give \
            the GPT editor; OAUTH_USERS holds the demo sign-in"
            .to_owned(),
    };
    if plan.get(".env").is_some() {
        let _ = writeln!(
            out,
            "Secrets:  {} (git-ignored): {secrets}",
            answers.directory.join(".env").display()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The OAuth plugins serve the discovery documents ChatGPT apps and Claude need, so the
    /// next steps send both to the URL alone, as the generated README does.
    #[test]
    fn oauth_plugins_are_added_to_chatgpt_and_claude_with_the_url_alone() {
        let steps = where_to_use(AuthType::Oauth, "todo", "http://localhost:5003");
        let line = |start: &str| {
            steps
                .lines()
                .find(|l| l.trim_start().starts_with(start))
                .unwrap_or_else(|| panic!("no `{start}` line in:\n{steps}"))
                .to_owned()
        };
        for (start, who) in [("As a ChatGPT app:", "ChatGPT"), ("In Claude:", "Claude")] {
            let line = line(start);
            assert!(line.contains("/mcp"), "{line}");
            assert!(line.contains(&format!("{who} registers itself")), "{line}");
            assert!(!line.contains("yet"), "{line}");
        }
    }

    #[test]
    fn every_question_has_a_flag_that_reaches_the_request() {
        for field in Field::ALL {
            let value = format!("value-of-{}", field.key());
            let given = if field == Field::Directory {
                value.clone()
            } else {
                format!("{}={value}", field.flag())
            };
            let cli = Cli::try_parse_from(["ai-plugin", "new", given.as_str()])
                .unwrap_or_else(|e| panic!("{field} has no flag `{given}`: {e}"));
            let Command::New(args) = cli.command else {
                panic!("`new` parsed as another command")
            };
            let request = Request::from_args(args, false).unwrap();
            let answer = request
                .answers
                .get(field)
                .unwrap_or_else(|| panic!("`{given}` did not reach the answers as {field}"));
            assert_eq!(answer.value, value, "{field}");
            assert_eq!(answer.source, Source::Flag, "{field}");
        }
    }
}
