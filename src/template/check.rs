//! Checking a template before anything is rendered: `template.toml` (syntax, keys, variables,
//! regexes, globs, conditions, defaults), every handlebars file (syntax, and every value, helper
//! and partial it uses), and every path (links, names that leave the project). `ai-plugin
//! template check` prints the problems; `ai-plugin new --template` refuses a template with any.
//!
//! Values are checked where they are read in the top-level context: inside `{{#each}}`,
//! `{{#with}}` and other blocks that change the context, only `@root.` and `../` references
//! that lead back to it are checked, since the others name fields of the items.

use std::collections::{BTreeMap, BTreeSet};

use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, Template as Hbs, TemplateElement,
};
use handlebars::{Path as HbsPath, TemplateError as HbsError};
use toml::de::{DeTable, DeValue};

pub use super::problem::Problem;

use super::condition::{Condition, glob_covers, glob_problem};
use super::types::{
    CONFIG_FILE, Folder, PARTIALS_DIR, TemplateConfig, partial_name, static_path_problem,
};
use crate::choices::AuthType;
use crate::context::BUILTIN_NAMES;
use crate::escape_helpers;

/// Helpers handlebars itself registers.
const HANDLEBARS_HELPERS: [&str; 17] = [
    "if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte",
    "and", "or", "not", "len",
];

/// Block helpers whose body sees the same context as the block.
const SAME_CONTEXT_BLOCKS: [&str; 2] = ["if", "unless"];

/// Every problem of the template read into `folder`, in file order.
pub fn check(folder: &Folder) -> Vec<Problem> {
    let mut problems = folder.problems.clone();
    let text = folder.config_text.as_str();
    let config = match toml::from_str::<TemplateConfig>(text) {
        Ok(config) => Some(config),
        Err(e) => {
            let position = e.span().map_or((1, 1), |s| line_column(text, s.start));
            problems.push(Problem::at(
                CONFIG_FILE,
                position,
                e.message().trim_end().to_owned(),
            ));
            None
        }
    };
    let Some(config) = config else {
        // Without a readable template.toml, names are all that can be judged.
        for file in &folder.files {
            if let Some(problem) = static_path_problem(&file.path) {
                problems.push(Problem::file(&file.path, problem));
            }
        }
        return problems;
    };

    let spans = Spans::parse(text);
    check_config(&config, &spans, &mut problems);

    let variables: Vec<&str> = config.variables.iter().map(|v| v.name.as_str()).collect();
    let known = |name: &str| BUILTIN_NAMES.contains(&name) || variables.contains(&name);
    let files: Vec<_> = folder
        .files
        .iter()
        .filter(|f| !config.ignore.iter().any(|g| glob_covers(g, &f.path)))
        .collect();
    let partials: BTreeSet<String> = files.iter().filter_map(|f| partial_name(&f.path)).collect();
    let mut outputs: BTreeMap<String, &str> = BTreeMap::new();
    for file in files {
        let path = file.path.as_str();
        if let Some(problem) = static_path_problem(path) {
            problems.push(Problem::file(path, problem));
        } else if partial_name(path).is_none() && !path.contains("{{") {
            let output = static_output_path(path);
            if WRITTEN_BY_AI_PLUGIN.contains(&output.as_str()) {
                problems.push(Problem::file(
                    path,
                    format!(
                        "`{output}` is written by ai-plugin itself (from the answers), so this \
                         file would be replaced; remove it"
                    ),
                ));
            } else if let Some(first) = outputs.insert(output.clone(), path) {
                problems.push(Problem::file(
                    path,
                    format!("`{first}` also becomes `{output}`; keep one of them"),
                ));
            }
        }
        let is_partial = path.starts_with(&format!("{PARTIALS_DIR}/"));
        if !is_partial {
            for component in path.split('/').filter(|c| c.contains("{{")) {
                for (_, message) in handlebars_problems(component, &known, &partials) {
                    problems.push(Problem::file(path, format!("in the file name: {message}")));
                }
            }
        }
        if !(is_partial || path.ends_with(".hbs")) {
            continue;
        }
        let Ok(source) = std::str::from_utf8(&file.contents) else {
            problems.push(Problem::file(
                path,
                "a .hbs file or partial must be UTF-8 text".to_owned(),
            ));
            continue;
        };
        for (position, message) in handlebars_problems(source, &known, &partials) {
            problems.push(Problem::at(path, position, message));
        }
    }
    problems
}

fn check_config(config: &TemplateConfig, spans: &Spans<'_>, problems: &mut Vec<Problem>) {
    let mut at = |path: &[Key<'_>], message: String| {
        problems.push(Problem::at(CONFIG_FILE, spans.locate(path), message));
    };
    if config.name.trim().is_empty() {
        at(
            &[Key::Name("name")],
            "the name must not be empty".to_owned(),
        );
    }
    for (i, auth) in config.auth.iter().enumerate() {
        if let Err(e) = auth.parse::<AuthType>() {
            at(&[Key::Name("auth"), Key::Index(i)], e);
        }
    }
    if config.auth.is_empty() {
        at(
            &[Key::Name("auth")],
            "list the auth types the template implements (at least `none`)".to_owned(),
        );
    }
    for (i, glob) in config.ignore.iter().enumerate() {
        if let Some(problem) = glob_problem(glob) {
            at(&[Key::Name("ignore"), Key::Index(i)], problem);
        }
    }

    let mut declared: Vec<&str> = Vec::new();
    for (i, variable) in config.variables.iter().enumerate() {
        let here = |key: &'static str| [Key::Name("variables"), Key::Index(i), Key::Name(key)];
        for (key, problem) in variable.problems() {
            at(&here(key), problem);
        }
        let name = variable.name.as_str();
        if BUILTIN_NAMES.contains(&name) {
            at(
                &here("name"),
                format!(
                    "`{name}` is a built-in answer, which every template has already; choose \
                     another name"
                ),
            );
        } else if helper_names().any(|h| h == name) {
            at(
                &here("name"),
                format!("`{name}` is the name of a helper (`{{{{{name} x}}}}`); choose another"),
            );
        } else if declared.contains(&name) {
            at(
                &here("name"),
                format!("the variable `{name}` is declared twice"),
            );
        }
        if let Some(default) = variable.default_template() {
            let known =
                |n: &str| (BUILTIN_NAMES.contains(&n) && n != "secrets") || declared.contains(&n);
            for (_, message) in handlebars_problems(default, &known, &BTreeSet::new()) {
                let message = if message.starts_with("unknown variable") {
                    format!(
                        "in the default of `{name}`: {message}; a default may use the built-in \
                         answers (not `secrets`) and the variables declared before it"
                    )
                } else {
                    format!("in the default of `{name}`: {message}")
                };
                at(&here("default"), message);
            }
        }
        declared.push(name);
    }

    for (i, conditional) in config.conditional.iter().enumerate() {
        let here = |rest: &[Key<'static>]| {
            let mut path = vec![Key::Name("conditional"), Key::Index(i)];
            path.extend_from_slice(rest);
            path
        };
        match Condition::parse(&conditional.condition) {
            Err(e) => at(&here(&[Key::Name("if")]), e),
            Ok(condition) => {
                let name = condition.name();
                if !(BUILTIN_NAMES.contains(&name) || declared.contains(&name)) {
                    at(
                        &here(&[Key::Name("if")]),
                        format!(
                            "unknown value `{name}` in the condition: not a built-in answer or \
                             a variable declared in template.toml"
                        ),
                    );
                }
            }
        }
        if conditional.include.is_empty() && conditional.exclude.is_empty() {
            at(
                &here(&[]),
                "a conditional needs `include` or `exclude` globs".to_owned(),
            );
        }
        for (list, globs) in [
            ("include", &conditional.include),
            ("exclude", &conditional.exclude),
        ] {
            for (j, glob) in globs.iter().enumerate() {
                if let Some(problem) = glob_problem(glob) {
                    at(&here(&[Key::Name(list), Key::Index(j)]), problem);
                }
            }
        }
    }
}

/// The files `new` adds to every project, whatever the template.
const WRITTEN_BY_AI_PLUGIN: [&str; 2] = [
    crate::manifest::MANIFEST_PATH,
    crate::context::ANSWERS_RECORD,
];

/// The output path of a template path without `{{`: `.hbs` dropped, `_x` → `.x`.
fn static_output_path(path: &str) -> String {
    let trimmed = path.strip_suffix(".hbs").unwrap_or(path);
    trimmed
        .split('/')
        .map(|component| match component.strip_prefix('_') {
            Some(rest) if !rest.starts_with('_') => format!(".{rest}"),
            _ => component.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn helper_names() -> impl Iterator<Item = &'static str> {
    HANDLEBARS_HELPERS
        .into_iter()
        .chain(escape_helpers::NAMES.iter().copied())
}

/// The problems of one handlebars text: its syntax error, or every unknown value, helper and
/// partial, each with its line and column.
pub fn handlebars_problems(
    source: &str,
    known: &dyn Fn(&str) -> bool,
    partials: &BTreeSet<String>,
) -> Vec<((usize, usize), String)> {
    if let Some((offset, message)) = crate::chunk::too_deep(source) {
        return vec![(line_column(source, offset), message)];
    }
    match Hbs::compile(source) {
        Err(e) => {
            let (position, mut message) = syntax_problem(&e);
            if position == line_column(source, source.len()) {
                // Handlebars notices an open block only at the end of the text; point at the
                // tag that opened it instead.
                match unclosed_block(source) {
                    Some((offset, name)) => {
                        return vec![(
                            line_column(source, offset),
                            format!(
                                "`{{{{#{name}}}}}` opened here is never closed; add \
                                 `{{{{/{name}}}}}`"
                            ),
                        )];
                    }
                    None => {
                        message.push_str(" (at the end of the text: is a `{{#block}}` left open?)");
                    }
                }
            }
            vec![(position, message)]
        }
        Ok(template) => {
            let mut walker = Walker {
                known,
                partials,
                inline: BTreeSet::new(),
                found: Vec::new(),
            };
            walker.collect_inline(&template);
            walker.template(&template, 0, (1, 1));
            walker.found
        }
    }
}

/// The innermost block tag (`{{#name ...}}`) that no `{{/name}}` closes: its byte offset and
/// name. Comments and escaped `\{{` are skipped; a closing tag that matches no open block is
/// ignored (handlebars reports those itself, where they are).
fn unclosed_block(source: &str) -> Option<(usize, String)> {
    fn name_of(text: &str) -> String {
        text.trim_start_matches(['>', '*'])
            .trim_start()
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '}' | '~' | '('))
            .collect()
    }
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut rest = 0;
    while let Some(found) = source[rest..].find("{{") {
        let start = rest + found;
        let after = &source[start + 2..];
        if source[..start].ends_with('\\') {
            rest = start + 2;
            continue;
        }
        let tag_end = if after.starts_with("!--") {
            after.find("--}}").map(|i| i + 4)
        } else {
            after.find("}}").map(|i| i + 2)
        };
        let Some(tag_end) = tag_end else { break };
        rest = start + 2 + tag_end;
        let tag = after.trim_start_matches('{').trim_start_matches('~');
        if let Some(opening) = tag.strip_prefix('#') {
            open.push((start, name_of(opening)));
        } else if let Some(closing) = tag.strip_prefix('/') {
            let name = name_of(closing);
            if let Some(at) = open.iter().rposition(|(_, n)| *n == name) {
                open.truncate(at);
            }
        }
    }
    open.pop().filter(|(_, name)| !name.is_empty())
}

fn syntax_problem(e: &HbsError) -> ((usize, usize), String) {
    (
        e.pos().unwrap_or((1, 1)),
        format!("handlebars syntax error: {}", e.reason()),
    )
}

/// Walks a parsed template, tracking how many context-changing blocks deep it is.
struct Walker<'a> {
    known: &'a dyn Fn(&str) -> bool,
    partials: &'a BTreeSet<String>,
    /// Partials the text defines itself (`{{#*inline "name"}}`).
    inline: BTreeSet<String>,
    found: Vec<((usize, usize), String)>,
}

impl Walker<'_> {
    fn collect_inline(&mut self, template: &Hbs) {
        for element in &template.elements {
            match element {
                TemplateElement::DecoratorBlock(d) | TemplateElement::DecoratorExpression(d) => {
                    if let (Parameter::Name(n), Some(Parameter::Literal(name))) =
                        (&d.name, d.params.first())
                        && n == "inline"
                        && let Some(name) = name.as_str()
                    {
                        self.inline.insert(name.to_owned());
                    }
                }
                TemplateElement::HelperBlock(h) => {
                    for t in [&h.template, &h.inverse].into_iter().flatten() {
                        self.collect_inline(t);
                    }
                }
                _ => {}
            }
        }
    }

    fn template(&mut self, template: &Hbs, depth: usize, outer: (usize, usize)) {
        for (i, element) in template.elements.iter().enumerate() {
            let position = template.mapping.get(i).map_or(outer, |m| (m.0, m.1));
            self.element(element, depth, position);
        }
    }

    fn element(&mut self, element: &TemplateElement, depth: usize, position: (usize, usize)) {
        match element {
            // Text and comments hold no names; anything else handlebars adds is not ours to check.
            TemplateElement::RawString(_) | TemplateElement::Comment(_) => {}
            TemplateElement::Expression(h) | TemplateElement::HtmlExpression(h) => {
                self.helper(h, false, depth, position);
            }
            TemplateElement::HelperBlock(h) => self.helper(h, true, depth, position),
            TemplateElement::PartialExpression(d) | TemplateElement::PartialBlock(d) => {
                self.partial(d, depth, position);
            }
            TemplateElement::DecoratorExpression(d) | TemplateElement::DecoratorBlock(d) => {
                match &d.name {
                    Parameter::Name(n) if n == "inline" => {
                        if let Some(t) = &d.template {
                            self.template(t, depth, position);
                        }
                    }
                    other => self.found.push((
                        position,
                        format!(
                            "unknown decorator `{}` (only `{{{{#*inline}}}}` is available)",
                            parameter_text(other)
                        ),
                    )),
                }
            }
            // Elements a later handlebars may add are rendered as it sees fit.
            _ => {}
        }
    }

    fn helper(&mut self, h: &HelperTemplate, block: bool, depth: usize, position: (usize, usize)) {
        let simple = h.params.is_empty() && h.hash.is_empty() && !block;
        let name = match &h.name {
            Parameter::Name(name) => {
                if helper_names().any(|known| known == name) {
                    Some(name.as_str())
                } else if simple {
                    self.reference(name, depth, position);
                    None
                } else {
                    self.found
                        .push((position, format!("unknown helper `{name}`")));
                    None
                }
            }
            Parameter::Path(path) if simple => {
                self.path(path, depth, position);
                None
            }
            Parameter::Path(path) => {
                self.found
                    .push((position, format!("unknown helper `{}`", path_text(path))));
                None
            }
            Parameter::Subexpression(s) => {
                self.element(&s.element, depth, position);
                None
            }
            _ => None,
        };
        for parameter in h.params.iter().chain(h.hash.values()) {
            self.parameter(parameter, depth, position);
        }
        if block {
            let inner = if name.is_some_and(|n| SAME_CONTEXT_BLOCKS.contains(&n)) {
                depth
            } else {
                depth + 1
            };
            if let Some(t) = &h.template {
                self.template(t, inner, position);
            }
            if let Some(t) = &h.inverse {
                self.template(t, depth, position);
            }
        }
    }

    fn partial(&mut self, d: &DecoratorTemplate, depth: usize, position: (usize, usize)) {
        let name = match &d.name {
            Parameter::Name(name) => Some(name.clone()),
            Parameter::Path(path) => Some(path_text(path)),
            Parameter::Literal(value) => value.as_str().map(ToOwned::to_owned),
            _ => None,
        };
        if let Some(name) = name
            && !name.starts_with('@')
            && !self.partials.contains(&name)
            && !self.inline.contains(&name)
        {
            self.found.push((
                position,
                format!("unknown partial `{name}` (partials are the files in `{PARTIALS_DIR}/`)"),
            ));
        }
        for parameter in d.params.iter().chain(d.hash.values()) {
            self.parameter(parameter, depth, position);
        }
        if let Some(t) = &d.template {
            self.template(t, depth, position);
        }
    }

    fn parameter(&mut self, parameter: &Parameter, depth: usize, position: (usize, usize)) {
        match parameter {
            Parameter::Name(name) => self.reference(name, depth, position),
            Parameter::Path(path) => self.path(path, depth, position),
            Parameter::Subexpression(s) => self.element(&s.element, depth, position),
            _ => {}
        }
    }

    fn path(&mut self, path: &HbsPath, depth: usize, position: (usize, usize)) {
        if let HbsPath::Relative((_, raw)) = path {
            self.reference(raw, depth, position);
        }
    }

    /// Checks a value reference as written (`name`, `a.b`, `../x`, `@root.y`, `this.z`).
    fn reference(&mut self, raw: &str, depth: usize, position: (usize, usize)) {
        let mut path = raw.trim();
        let mut depth = depth;
        if let Some(rest) = path.strip_prefix("@root") {
            path = rest.trim_start_matches(['.', '/']);
            depth = 0;
        } else if path.starts_with('@') {
            return;
        }
        while let Some(rest) = path.strip_prefix("../") {
            depth = depth.saturating_sub(1);
            path = rest;
        }
        for prefix in ["this.", "this/", "./"] {
            if let Some(rest) = path.strip_prefix(prefix) {
                path = rest;
            }
        }
        if depth > 0 || path.is_empty() || path == "this" || path == "." {
            return;
        }
        let first = path.split(['.', '/']).next().unwrap_or_default();
        let first = first.trim_start_matches('[').trim_end_matches(']');
        if !(self.known)(first) {
            self.found.push((
                position,
                format!(
                    "unknown variable `{first}`: not a built-in answer or a variable declared \
                     in template.toml"
                ),
            ));
        }
    }
}

fn path_text(path: &HbsPath) -> String {
    match path {
        HbsPath::Relative((_, raw)) | HbsPath::Local((_, _, raw)) => raw.clone(),
    }
}

fn parameter_text(parameter: &Parameter) -> String {
    match parameter {
        Parameter::Name(name) => name.clone(),
        Parameter::Path(path) => path_text(path),
        Parameter::Literal(value) => value.to_string(),
        _ => "(...)".to_owned(),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A step into a TOML document.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Name(&'a str),
    Index(usize),
}

/// The spans of `template.toml`, to say where a key's value is.
struct Spans<'a> {
    text: &'a str,
    root: Option<toml::Spanned<DeTable<'a>>>,
}

impl<'a> Spans<'a> {
    fn parse(text: &'a str) -> Spans<'a> {
        Spans {
            text,
            root: DeTable::parse(text).ok(),
        }
    }

    /// The line and column of the value at `path`, or of the nearest enclosing one found.
    fn locate(&self, path: &[Key<'_>]) -> (usize, usize) {
        let Some(root) = &self.root else {
            return (1, 1);
        };
        let mut span = None;
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut value: Option<&DeValue<'_>> = None;
        for key in path {
            let next = match (key, table, value) {
                (Key::Name(name), Some(t), _) => {
                    t.iter().find(|(k, _)| k.get_ref() == name).map(|(_, v)| v)
                }
                (Key::Index(i), _, Some(DeValue::Array(items))) => items.get(*i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = Some(next.span());
            value = Some(next.get_ref());
            table = match next.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        span.map_or((1, 1), |s| line_column(self.text, s.start))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::choices::Stack;
    use crate::template::{TemplateFile, builtin_files};

    fn folder(config: &str, files: &[(&str, &str)]) -> Folder {
        Folder {
            config_text: config.to_owned(),
            files: files
                .iter()
                .map(|(path, text)| TemplateFile {
                    path: (*path).to_owned(),
                    contents: Cow::Owned(text.as_bytes().to_vec()),
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    fn shown(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    /// One problem shown per expectation, each starting with it.
    fn assert_each_starts_with(shown: &[String], expect: &[&str]) {
        assert_eq!(shown.len(), expect.len(), "{shown:#?}");
        for (got, want) in shown.iter().zip(expect) {
            assert!(
                got.starts_with(want),
                "{got}\n  does not start with\n{want}"
            );
        }
    }

    const BASIC: &str = "name = 't'\ndescription = 'd'\n";

    #[test]
    fn every_builtin_template_passes_the_check() {
        for stack in Stack::ALL {
            let (config, files) = builtin_files(stack).unwrap();
            let problems = check(&Folder {
                config_text: config.to_owned(),
                files,
                problems: Vec::new(),
            });
            assert!(problems.is_empty(), "{stack}: {:#?}", shown(&problems));
        }
    }

    #[test]
    fn toml_errors_have_their_line_and_column() {
        let problems = check(&folder("name = 't'\ndescription = 'd'\nnmae = 1\n", &[]));
        let shown = shown(&problems);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0].starts_with("template.toml:3:1: unknown field `nmae`"),
            "{shown:?}"
        );
        let problems = check(&folder("name = 't\n", &[]));
        assert!(
            shown_one(&problems).starts_with("template.toml:1:"),
            "{problems:?}"
        );
    }

    fn shown_one(problems: &[Problem]) -> String {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems[0].to_string()
    }

    #[test]
    fn unknown_values_helpers_and_partials_are_found_with_their_position() {
        let problems = check(&folder(
            BASIC,
            &[
                ("a.txt.hbs", "{{name_for_model}}\n  {{nope}} {{secrets.x}}"),
                ("b.txt.hbs", "{{#if has_auth}}\n{{missing.deep}}{{/if}}"),
                ("c.txt.hbs", "{{shout name_for_human}} {{> nowhere}}"),
                (
                    "d.txt.hbs",
                    "{{#each oauth_scopes}}{{this}} {{item}}{{/each}}",
                ),
                (
                    "e.txt.hbs",
                    "{{#each oauth_scopes}}{{@root.gone}}{{../up}}{{/each}}",
                ),
                ("f.txt", "{{not checked: copied as is}}"),
                ("g.txt.hbs", "{{#with secrets}}{{x}}{{else}}{{y}}{{/with}}"),
                (
                    "h.txt.hbs",
                    "{{json (kebab_case wrong)}} {{eq auth \"none\"}}",
                ),
            ],
        ));
        assert_eq!(
            shown(&problems),
            [
                "a.txt.hbs:2:3: unknown variable `nope`: not a built-in answer or a variable \
                 declared in template.toml",
                "b.txt.hbs:2:1: unknown variable `missing`: not a built-in answer or a variable \
                 declared in template.toml",
                "c.txt.hbs:1:1: unknown helper `shout`",
                "c.txt.hbs:1:26: unknown partial `nowhere` (partials are the files in \
                 `_partials/`)",
                "e.txt.hbs:1:23: unknown variable `gone`: not a built-in answer or a variable \
                 declared in template.toml",
                "e.txt.hbs:1:37: unknown variable `up`: not a built-in answer or a variable \
                 declared in template.toml",
                "g.txt.hbs:1:31: unknown variable `y`: not a built-in answer or a variable \
                 declared in template.toml",
                "h.txt.hbs:1:1: unknown variable `wrong`: not a built-in answer or a variable \
                 declared in template.toml",
            ]
        );
    }

    #[test]
    fn syntax_errors_have_their_line_and_column() {
        let problems = check(&folder(
            BASIC,
            &[("x.hbs", "line one\n  {{#if x}}never closed")],
        ));
        let shown = shown_one(&problems);
        assert!(shown.starts_with("x.hbs:2:"), "{shown}");
    }

    #[test]
    fn an_unclosed_block_is_shown_where_it_opens() {
        for (text, expected) in [
            (
                "one\n{{#if x}}\nthree\n",
                "x.hbs:2:1: `{{#if}}` opened here is never closed; add `{{/if}}`",
            ),
            (
                "{{#each items}}{{/each}}\n  {{~#with x}}{{!-- {{/with}} --}}{{#if y}}{{/if}}",
                "x.hbs:2:3: `{{#with}}` opened here is never closed; add `{{/with}}`",
            ),
            (
                "{{#if a}}\n{{#unless b}}\n",
                "x.hbs:2:1: `{{#unless}}` opened here is never closed; add `{{/unless}}`",
            ),
        ] {
            let problems = check(&folder(BASIC, &[("x.hbs", text)]));
            assert_eq!(shown_one(&problems), expected, "{text:?}");
        }
    }

    #[test]
    fn declared_variables_and_partials_are_known() {
        let config = format!(
            "{BASIC}[[variables]]\nname = 'course'\ndefault = 'CS101'\n\n\
             [[variables]]\nname = 'slug'\ndefault = '{{{{kebab_case course}}}}-{{{{port}}}}'\n"
        );
        let problems = check(&folder(
            &config,
            &[
                (
                    "src/{{slug}}.txt.hbs",
                    "{{course}} {{> footer}} {{> inline_one}}\
                  {{#*inline \"inline_one\"}}x{{/inline}}",
                ),
                ("_partials/footer.md.hbs", "{{slug}}"),
            ],
        ));
        assert!(problems.is_empty(), "{:#?}", shown(&problems));
    }

    #[test]
    fn variables_are_checked_where_they_are_declared() {
        let config = format!(
            "{BASIC}\n\
             [[variables]]\nname = 'port'\n\n\
             [[variables]]\nname = 'code'\npattern = '[A-Z'\n\n\
             [[variables]]\nname = 'early'\ndefault = '{{{{later}}}}'\n\n\
             [[variables]]\nname = 'later'\ndefault = '{{{{secrets.service_auth_token}}}}'\n\n\
             [[variables]]\nname = 'later'\ntype = 'choice'\n\n\
             [[variables]]\nname = 'json'\n"
        );
        let problems = check(&folder(&config, &[]));
        let shown = shown(&problems);
        let expect = [
            "template.toml:5:8: `port` is a built-in answer",
            "template.toml:9:11: `code`: the pattern is not a valid regex",
            "template.toml:13:11: in the default of `early`: unknown variable `later`",
            "template.toml:17:11: in the default of `later`: unknown variable `secrets`",
            "template.toml:20:8: `later` is a choice but has no `choices`",
            "template.toml:20:8: the variable `later` is declared twice",
            "template.toml:24:8: `json` is the name of a helper",
        ];
        assert_each_starts_with(&shown, &expect);
    }

    #[test]
    fn globs_conditions_and_auth_are_checked() {
        let config = format!(
            "{BASIC}auth = ['none', 'magic']\nignore = ['/abs']\n\n\
             [[conditional]]\nif = 'nobody'\ninclude = ['a']\n\n\
             [[conditional]]\nif = 'has auth'\nexclude = ['a?b']\n\n\
             [[conditional]]\nif = 'auth_oauth'\n"
        );
        let shown = shown(&check(&folder(&config, &[])));
        let expect = [
            "template.toml:3:17: unknown auth type `magic`",
            "template.toml:4:11: the glob `/abs` must be a relative path",
            "template.toml:7:6: unknown value `nobody` in the condition",
            "template.toml:11:6: the condition `has auth` must name a value",
            "template.toml:12:12: the glob `a?b` uses `?`",
            "template.toml:14:1: a conditional needs `include` or `exclude` globs",
        ];
        assert_each_starts_with(&shown, &expect);
    }

    #[test]
    fn names_and_ignored_files() {
        let config = format!("{BASIC}ignore = ['drafts']\n");
        let problems = check(&folder(
            &config,
            &[
                ("drafts/broken.hbs", "{{#if"),
                ("_./escape.txt", "x"),
                ("{{unknown}}.txt", "x"),
            ],
        ));
        let shown = shown(&problems);
        assert_eq!(shown.len(), 2, "{shown:#?}");
        assert!(
            shown[0].starts_with("_./escape.txt: the name `_.`"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("{{unknown}}.txt: in the file name: unknown variable `unknown`"),
            "{shown:?}"
        );
    }

    #[test]
    fn two_files_for_one_output_and_ai_plugins_own_files_are_refused() {
        let problems = check(&folder(
            BASIC,
            &[
                ("README.md", "a"),
                ("README.md.hbs", "b"),
                ("ai-plugin.toml", "c"),
                ("_well-known/ai-plugin.json.hbs", "d"),
                ("_env", "e"),
            ],
        ));
        assert_eq!(
            shown(&problems),
            [
                "README.md.hbs: `README.md` also becomes `README.md`; keep one of them",
                "ai-plugin.toml: `ai-plugin.toml` is written by ai-plugin itself (from the \
                 answers), so this file would be replaced; remove it",
                "_well-known/ai-plugin.json.hbs: `.well-known/ai-plugin.json` is written by \
                 ai-plugin itself (from the answers), so this file would be replaced; remove it",
            ]
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\nçd\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 5), (2, 2));
        assert_eq!(line_column(text, 4), (2, 1), "inside a character");
    }

    #[test]
    fn templates_nested_too_deep_for_the_stack_are_refused_with_a_position() {
        // 4,000 subexpressions overflowed the stack (the process aborted) before the limit.
        let deep = format!("{{{{x {}y{}}}}}", "(y ".repeat(10_000), ")".repeat(10_000));
        let problems = handlebars_problems(&deep, &|_| true, &BTreeSet::new());
        assert_eq!(problems.len(), 1, "{problems:?}");
        let ((line, column), message) = &problems[0];
        assert_eq!((*line, *column), (1, 5 + 3 * crate::chunk::MAX_NESTING));
        assert!(message.contains("nest"), "{message}");
    }
}
