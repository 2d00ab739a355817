//! `ai-plugin templates`, `ai-plugin template init` and `ai-plugin template check`, each
//! returning what it prints.

use std::fmt::Write as _;
use std::path::Path;

use super::Output;
use crate::choices::Stack;
use crate::cli::{TemplateCheckArgs, TemplateInitArgs};
use crate::error::{Error, Refusal, UsageError};
use crate::render::{FileMode, Plan, PlannedFile};
use crate::template::check;
use crate::template::condition::glob_covers;
use crate::template::embedded::{builtin_files, builtins};
use crate::template::folder::read_folder;
use crate::template::types::{CONFIG_FILE, TemplateConfig, partial_name};
use crate::text::plural;
use crate::write;

/// The built-in templates, a line each.
pub fn list() -> String {
    let configs = builtins();
    let width = configs.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for config in configs {
        let _ = writeln!(
            out,
            "{:width$}  {} (auth: {})",
            config.name,
            config.description,
            config.auth.join(", ")
        );
    }
    out.push_str(
        "\nUse one with `ai-plugin new --stack NAME`, or start your own from it with \
         `ai-plugin template init DIR --from NAME`.\n",
    );
    out
}

/// Writes a self-contained copy of a built-in template into a new or empty folder.
pub fn init(args: TemplateInitArgs) -> Result<String, Error> {
    let TemplateInitArgs { dir, from } = args;
    let stack: Stack = from
        .parse()
        .map_err(|_| UsageError::UnknownBuiltin { name: from.clone() })?;
    if let write::TargetState::NonEmpty(entries) = write::inspect(&dir)? {
        return Err(Refusal::NotEmpty { dir, entries }.into());
    }
    let (config_text, files) = builtin_files(stack).map_err(crate::project::ProjectError::from)?;
    let name = template_name(&dir, stack);
    let mut plan = Plan::default();
    plan.insert(PlannedFile {
        path: CONFIG_FILE.into(),
        contents: init_config(config_text, stack, &name).into_bytes(),
        mode: FileMode::Normal,
    });
    for file in files {
        plan.insert(PlannedFile {
            path: file.path.into(),
            contents: file.contents.into_owned(),
            mode: FileMode::Normal,
        });
    }
    write::write(&plan, &dir, write::TargetPolicy::NewOrEmpty)?;
    let shown = dir.display();
    // The name is the folder's unless the folder has none (`.`): say it only then.
    let named = if dir.file_name().and_then(|n| n.to_str()) == Some(name.as_str()) {
        String::new()
    } else {
        format!(", named `{name}`")
    };
    Ok(format!(
        "Wrote a template to `{shown}` ({} files, a copy of the built-in `{stack}` one{named}).\n\n\
         Edit it, then:\n  ai-plugin template check {shown}\n  \
         ai-plugin new --template {shown}\n",
        plan.files.len()
    ))
}

/// The name of a new template: its folder's name, if that is one.
fn template_name(dir: &Path, stack: Stack) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| format!("my-{stack}"), ToOwned::to_owned)
}

/// A built-in `template.toml`, renamed, with a header on the format and a commented example of
/// a variable at the end (where uncommenting it starts a new table).
fn init_config(config_text: &str, stack: Stack, name: &str) -> String {
    let mut out = format!(
        "# An ai-plugin template, copied from the built-in `{stack}` template by\n\
         # `ai-plugin template init`. Files ending in .hbs are rendered with handlebars (the\n\
         # plugin answers such as {{{{name_for_model}}}} and {{{{auth}}}}, and the variables you\n\
         # declare below); every other file is copied byte for byte. _partials/ holds partials\n\
         # ({{{{> name}}}}). A leading _ in a name becomes a dot (_gitignore → .gitignore).\n\
         # Check it with `ai-plugin template check DIR`, use it with `ai-plugin new --template DIR`.\n\n"
    );
    for line in config_text.lines() {
        if line.starts_with("name = ") {
            let _ = writeln!(out, "name = {}", crate::escape_helpers::toml_literal(name));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(
        "\n# Your own questions, asked after the plugin's, in order (remove the leading `# `).\n\
         # type is string, bool, choice (with choices = [...]) or integer; a default may use the\n\
         # plugin answers and earlier variables; pattern must match the whole value.\n\
         # [[variables]]\n\
         # name = \"course\"\n\
         # prompt = \"Course code\"\n\
         # pattern = \"[A-Z]{2,4}[0-9]{3}\"\n\
         # pattern_message = \"use a course code such as CS101\"\n\
         # required = true\n\
         # default = \"CS101\"\n",
    );
    out
}

/// Checks a template folder: every problem, and a failure (exit 1) if there are any.
pub fn check(args: TemplateCheckArgs) -> Result<Output, Error> {
    let TemplateCheckArgs { dir } = args;
    let shown = dir.display().to_string();
    let folder = read_folder(&dir, &shown)?;
    let problems = check::check(&folder);
    if problems.is_empty() {
        let config: TemplateConfig =
            toml::from_str(&folder.config_text).expect("checked: template.toml parses");
        let ignored = folder
            .files
            .iter()
            .filter(|f| config.ignore.iter().any(|g| glob_covers(g, &f.path)))
            .count();
        let partials = folder
            .files
            .iter()
            .filter(|f| partial_name(&f.path).is_some())
            .count();
        return Ok(Output::stdout(format!(
            "`{shown}`: the template `{}` is fine ({}, {}, {}; {ignored} ignored)\n",
            config.name,
            plural(folder.files.len() - partials - ignored, "file"),
            plural(partials, "partial"),
            plural(config.variables.len(), "variable")
        )));
    }
    let mut stdout = String::new();
    for problem in &problems {
        let _ = writeln!(stdout, "{}", problem.display_in(&shown));
    }
    let failure = Error::TemplateCheck {
        problems: problems.len(),
        template: shown.clone(),
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        failure: Some(failure),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateConfig;

    #[test]
    fn an_initialized_config_is_the_builtin_one_renamed() {
        for stack in Stack::ALL {
            let (text, _) = builtin_files(stack).unwrap();
            let original: TemplateConfig = toml::from_str(text).unwrap();
            let copied: TemplateConfig =
                toml::from_str(&init_config(text, stack, "my \"course\"")).unwrap();
            assert_eq!(copied.name, "my \"course\"");
            assert_eq!(
                TemplateConfig {
                    name: original.name.clone(),
                    ..copied
                },
                original
            );
        }
    }

    #[test]
    fn the_commented_variable_example_works_when_uncommented() {
        let (text, _) = builtin_files(Stack::Rust).unwrap();
        let config = init_config(text, Stack::Rust, "t");
        let start = config.find("# [[variables]]").unwrap();
        let uncommented = format!("{}{}", &config[..start], config[start..].replace("# ", ""));
        let parsed: TemplateConfig = toml::from_str(&uncommented).unwrap();
        assert_eq!(parsed.variables.len(), 1);
        assert!(parsed.variables[0].problems().is_empty());
    }

    #[test]
    fn every_builtin_template_is_listed() {
        let listing = list();
        for stack in Stack::ALL {
            assert!(listing.contains(&format!("{stack} ")), "{listing}");
        }
    }
}
