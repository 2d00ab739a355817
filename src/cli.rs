//! The command line: clap definitions only. Turning them into answers is `answers`' job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Scaffold ChatGPT plugins and GPT Actions that run, and pass their own tests, on the first try.
#[derive(Debug, Parser)]
#[command(name = "ai-plugin", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per run: boxing `NewArgs` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new plugin project: asks for what it needs, or takes it from flags.
    New(NewArgs),
    /// Bring a generated project to new answers or a newer ai-plugin, keeping every edit
    ///
    /// A three-way merge of what was generated last time, your files, and what is generated now.
    Update(UpdateArgs),
    /// Check a plugin (a project folder, a manifest, a spec, or a running plugin's URL) the way
    /// the host reads it: every finding, with where it is and how to fix it.
    Check(CheckArgs),
    /// Print the text the model reads for a plugin, and what it costs in tokens.
    Preview(PreviewArgs),
    /// List the built-in templates (`new --stack NAME`, `template init --from NAME`).
    Templates,
    /// Write or check a template of your own (`new --template DIR`).
    #[command(subcommand)]
    Template(TemplateCommand),
}

/// `ai-plugin template ...`.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Write a new template into DIR, a self-contained copy of a built-in one, ready to edit
    Init(TemplateInitArgs),
    /// Check a template: its template.toml, every .hbs file, every variable, glob and regex;
    /// every problem with its file, line and column (exit 0 clean, 1 problems, 2 unreadable)
    Check(TemplateCheckArgs),
}

/// `ai-plugin template init`.
#[derive(Debug, Args)]
pub struct TemplateInitArgs {
    /// The folder to write the template into (new or empty)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The built-in template to start from (see `ai-plugin templates`)
    #[arg(long, value_name = "NAME", default_value = "rust")]
    pub from: String,
}

/// `ai-plugin template check`.
#[derive(Debug, Args)]
pub struct TemplateCheckArgs {
    /// The template folder
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `ai-plugin new`: every prompt has a flag named after the manifest field it fills.
#[derive(Debug, Args)]
#[command(
    after_help = "Precedence: a flag, then the --answers file, then the prompt \
(or the default under --yes). Without a terminal nothing is asked: missing answers are named.\n\n\
Exit codes: 0 written, 1 the project could not be written (e.g. a non-empty directory without \
--force), 2 bad or missing answers, 130 cancelled at a prompt."
)]
// On/off flags are bools in clap; each is taken apart into its own meaning in `cmd::new`.
#[allow(clippy::struct_excessive_bools)]
pub struct NewArgs {
    /// The project directory to create [default: asked; with --yes, the name for people in
    /// kebab-case, else todo-plugin]
    #[arg(value_name = "DIR")]
    pub dir: Option<String>,

    /// Plugin name shown to people (at most 20 characters)
    #[arg(
        long,
        value_name = "TEXT",
        help_heading = "Manifest",
        allow_hyphen_values = true
    )]
    pub name_for_human: Option<String>,
    /// Plugin name the model uses: a letter, then letters, digits or _ (at most 50)
    #[arg(long, value_name = "NAME", help_heading = "Manifest")]
    pub name_for_model: Option<String>,
    /// Description shown to people (at most 100 characters)
    #[arg(
        long,
        value_name = "TEXT",
        help_heading = "Manifest",
        allow_hyphen_values = true
    )]
    pub description_for_human: Option<String>,
    /// Description the model reads (at most 8000 characters)
    #[arg(
        long,
        value_name = "TEXT",
        help_heading = "Manifest",
        allow_hyphen_values = true
    )]
    pub description_for_model: Option<String>,
    /// Server stack: rust, python or typescript (a built-in template) [default: rust]
    #[arg(
        long,
        value_name = "STACK",
        help_heading = "Server",
        conflicts_with = "template"
    )]
    pub stack: Option<String>,
    /// Authentication: none, service_http, user_http or oauth [default: none, or oauth when an
    /// --oauth-* flag is given]
    #[arg(long, value_name = "TYPE", help_heading = "Server")]
    pub auth: Option<String>,
    /// OAuth client id ChatGPT presents (oauth; default derived from name_for_model)
    #[arg(long, value_name = "ID", help_heading = "Server")]
    pub oauth_client_id: Option<String>,
    /// OAuth scope, space-separated (oauth; default `todos`)
    #[arg(
        long,
        value_name = "SCOPE",
        help_heading = "Server",
        allow_hyphen_values = true
    )]
    pub oauth_scope: Option<String>,
    /// How ChatGPT sends the token request: json or form (oauth; default json)
    #[arg(long, value_name = "TYPE", help_heading = "Server")]
    pub oauth_content_type: Option<String>,
    /// Port the server listens on by default (1-65535) [default: 5003]
    #[arg(long, value_name = "PORT", help_heading = "Server")]
    pub port: Option<String>,
    /// Contact email for the plugin
    #[arg(long, value_name = "EMAIL", help_heading = "Contact")]
    pub contact_email: Option<String>,
    /// URL of the plugin's legal information
    #[arg(long, value_name = "URL", help_heading = "Contact")]
    pub legal_info_url: Option<String>,

    /// A template of your own: a folder, or a git URL (https://, ssh://, file://, user@host:path)
    #[arg(long, value_name = "PATH|URL", help_heading = "Template")]
    pub template: Option<String>,
    /// The branch or tag of a git template
    #[arg(long, value_name = "BRANCH", help_heading = "Template")]
    pub branch: Option<String>,
    /// The template's folder inside the repository or folder
    #[arg(long, value_name = "PATH", help_heading = "Template")]
    pub subfolder: Option<String>,
    /// A value for a template variable (repeatable)
    #[arg(
        short = 'd',
        long = "define",
        value_name = "NAME=VALUE",
        help_heading = "Template",
        allow_hyphen_values = true
    )]
    pub define: Vec<String>,

    /// Take the default for every answer not given
    #[arg(short, long)]
    pub yes: bool,
    /// Read answers from a TOML file: keys as the flags, in snake_case (`directory`, `template`,
    /// `branch` and `subfolder` too), and a `[variables]` table for a template's variables, as
    /// ai-plugin.toml records them
    #[arg(long, value_name = "FILE.toml")]
    pub answers: Option<PathBuf>,
    /// Write into a non-empty directory: only the template's files are written, nothing is deleted
    #[arg(long)]
    pub force: bool,
    /// Print the files that would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Make no git repository (by default a new project outside any repository gets one, with a
    /// first commit when git has a user identity)
    #[arg(long)]
    pub no_git: bool,
}

/// `ai-plugin update`.
#[derive(Debug, Args)]
#[command(
    after_help = "Each file: unchanged by you, it takes the new version; changed by you \
only, it stays; changed by both, the lines are merged and a conflict is written inline between \
<<<<<<< yours and >>>>>>> ai-plugin markers. New files are added; files the template no longer \
writes are removed only if you never changed them. .env keeps every line and gets the variables \
it lacks. The base (what was generated last time) is .ai-plugin/base.json: commit it.\n\n\
Exit codes: 0 updated (or nothing to do), 1 conflicts were marked (every other file is \
updated) or the update was refused, 2 bad arguments or answers."
)]
pub struct UpdateArgs {
    /// The project folder (it holds ai-plugin.toml)
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Change an answer, with the same checks as `new` (repeatable): an ai-plugin.toml key
    /// (`auth=oauth` adds OAuth) or a template variable
    #[arg(long = "set", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// Show what would change, as a diff, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Update even though the git working tree has uncommitted changes
    #[arg(long)]
    pub allow_dirty: bool,
    /// Update from this template instead of the one ai-plugin.toml records (a folder or a git
    /// URL)
    #[arg(long, value_name = "PATH|URL", help_heading = "Template")]
    pub template: Option<String>,
    /// The branch or tag of the git template to update to
    #[arg(long, value_name = "BRANCH", help_heading = "Template")]
    pub branch: Option<String>,
    /// The template's folder inside the repository or folder
    #[arg(long, value_name = "PATH", help_heading = "Template")]
    pub subfolder: Option<String>,
}

/// How `check` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people: each finding with its source line and fix.
    Text,
    /// For machines: one JSON object.
    Json,
}

/// `ai-plugin check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the target \
could not be read.\n\n--format json prints one object: {target, ok, errors, warnings, findings: \
[{code, severity, path, location?: {file, line, column, source_line}, message, fix?}], notes}; \
when the target cannot be read (exit 2), the same with ok: false, no findings, and error: the \
reason.\n\nWith a URL, check fetches the manifest, spec and logo, sends a CORS preflight, \
and calls the spec's operations without credentials (expecting 401) and its GET operations \
(measuring the response).\n\nAn MCP endpoint (https://host/mcp, or a plugin's base URL, whose /mcp \
is tried too) is checked as an MCP client in both protocol eras: tools/list, the tools' names, \
descriptions, schemas and hints, OAuth discovery (401 challenge, protected resource and \
authorization server metadata), Origin, Host, CORS preflight and tokens in the query string."
)]
pub struct CheckArgs {
    /// A project folder, an ai-plugin.json, a spec file, or the base URL of a running plugin
    /// (`localhost:5003` with no such file means http://localhost:5003)
    #[arg(value_name = "TARGET", default_value = ".")]
    pub target: String,
    /// Whose rules: plugins (manifest + spec, 200/200 description limits; /mcp tried too),
    /// actions (spec only, 300/700), or an MCP host: chatgpt-app (what app review refuses is an
    /// error), claude, mcp (the MCP spec)
    #[arg(
        long = "target",
        value_name = "RULES",
        value_enum,
        default_value = "plugins"
    )]
    pub target_kind: crate::check::CheckTarget,
    /// Report format
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Bearer token sent with the GET calls that measure response sizes, and to an MCP server
    /// that wants one (URL targets)
    // A token may start with `-` (base64url), so the value after `--token` is always taken.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: Option<String>,
    /// Call the MCP server's read-only tools (readOnlyHint true), without arguments, and check
    /// their results against their outputSchema; other tools are never called
    #[arg(long)]
    pub call_read_only: bool,
    /// The domain a folder or file will be served from (e.g. example.com), for the domain
    /// rules; without it, the domain of api.url
    #[arg(long, value_name = "HOST")]
    pub domain: Option<String>,
}

/// `ai-plugin preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// A project folder, an ai-plugin.json, a spec file, or the base URL of a running plugin
    /// (`localhost:5003` with no such file means http://localhost:5003)
    #[arg(value_name = "TARGET", default_value = ".")]
    pub target: String,
    /// Render as a plugin (namespace from name_for_model), as a GPT Action (namespace from the
    /// server's domain, with return types), or, for an MCP server (`https://host/mcp`, or a base
    /// URL with chatgpt-app, claude or mcp), its instructions and tools as the host lists them
    #[arg(
        long = "target",
        value_name = "RULES",
        value_enum,
        default_value = "plugins"
    )]
    pub target_kind: crate::check::CheckTarget,
    /// Bearer token for an MCP server that wants one
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: Option<String>,
}
