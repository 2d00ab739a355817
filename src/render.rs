//! Rendering a template into a [`Plan`]: every output file with its bytes, in memory, no I/O.
//!
//! `*.hbs` files are rendered (strict mode, no HTML escaping) and lose the suffix; everything
//! else is copied byte for byte. A rendered `Cargo.lock` then gets its packages in cargo's order
//! (`cargo_lock`). A leading `_` in a path component becomes `.` (`_gitignore` →
//! `.gitignore`), so dotfiles in a template never act on this repository; a leading `__` is kept
//! (`__init__.py`).

use std::fmt;
use std::path::{Component, Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;

use crate::cargo_lock;
use crate::chunk::{self, Piece};
use crate::template::types::{Template, TemplateFile};

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileMode {
    /// Readable by everyone (0644 on Unix).
    Normal,
    /// Holds secrets: only the owner reads it (0600 on Unix).
    Private,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Relative to the project directory.
    pub path: PathBuf,
    /// The exact bytes.
    pub contents: Vec<u8>,
    /// Permissions.
    pub mode: FileMode,
}

/// Everything a project consists of, before anything is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files sorted by path.
    pub files: Vec<PlannedFile>,
}

impl Plan {
    /// Adds or replaces a file, keeping the order.
    pub fn insert(&mut self, file: PlannedFile) {
        match self.files.binary_search_by(|f| f.path.cmp(&file.path)) {
            Ok(i) => self.files[i] = file,
            Err(i) => self.files.insert(i, file),
        }
    }

    /// The file at `path`, if planned.
    pub fn get(&self, path: &str) -> Option<&PlannedFile> {
        self.files.iter().find(|f| f.path == Path::new(path))
    }

    /// The file at `path` as text, if planned and UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
            .and_then(|f| std::str::from_utf8(&f.contents).ok())
    }
}

/// One file that failed to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file's path in the template.
    pub file: String,
    /// What went wrong, with line and column where known.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.file, self.message)
    }
}

/// Files that failed to render; all of them, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the template failed to render (nothing was written):\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct RenderError(pub Vec<FileError>);

pub use crate::escape_helpers::registry;

/// Renders every file of `template` with `context`.
pub fn render(template: &Template, context: &impl Serialize) -> Result<Plan, RenderError> {
    let values = serde_json::to_value(context).map_err(|e| {
        RenderError(vec![FileError {
            file: "(context)".to_owned(),
            message: e.to_string(),
        }])
    })?;
    render_value(template, values)
}

/// Renders every file of `template` with the context `values`.
pub fn render_value(template: &Template, values: serde_json::Value) -> Result<Plan, RenderError> {
    let mut registry = registry();
    let mut errors = Vec::new();
    for (name, partial) in &template.partials {
        if let Err(e) = chunk::refuse_too_deep(partial.text.as_ref()).and_then(|()| {
            registry
                .register_partial(name, partial.text.as_ref())
                .map_err(|e| e.to_string())
        }) {
            errors.push(FileError {
                file: partial.path.clone(),
                message: e,
            });
        }
    }
    // Conditions and file names are judged on the same values the templates see.
    let context = handlebars::Context::from(values);
    let values = context.data();

    let mut plan = Plan::default();
    for file in &template.files {
        match render_file(&mut registry, template, file, &context, values) {
            Ok(Some(planned)) => plan.insert(planned),
            Ok(None) => {}
            Err(message) => errors.push(FileError {
                file: file.path.clone(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(RenderError(errors))
    }
}

/// One file's output, or `None` when a condition leaves it out.
fn render_file(
    registry: &mut Handlebars<'_>,
    template: &Template,
    file: &TemplateFile,
    context: &handlebars::Context,
    values: &serde_json::Value,
) -> Result<Option<PlannedFile>, String> {
    let path = output_path(registry, &file.path, context)?;
    let slashed = path.to_string_lossy().replace('\\', "/");
    if !template
        .config
        .conditional
        .iter()
        .all(|c| c.keeps(&slashed, values))
    {
        return Ok(None);
    }
    let contents = if file.path.ends_with(".hbs") {
        let text = std::str::from_utf8(&file.contents)
            .map_err(|e| format!("a .hbs file must be UTF-8 text: {e}"))?;
        let rendered = render_text(registry, &file.path, text, context)?;
        finish(&path, rendered).into_bytes()
    } else {
        file.contents.to_vec()
    };
    let mode = if path.file_name().is_some_and(|n| n == ".env") {
        FileMode::Private
    } else {
        FileMode::Normal
    };
    Ok(Some(PlannedFile {
        path,
        contents,
        mode,
    }))
}

/// What a rendered file still needs once its template has run: a `Cargo.lock` gets its packages
/// in cargo's order ([`cargo_lock::sort_packages`]), since a template cannot place the project's
/// own entry cheaply. Every other file is returned as rendered.
fn finish(path: &Path, rendered: String) -> String {
    if path.file_name().is_some_and(|n| n == cargo_lock::FILE_NAME) {
        match cargo_lock::sort_packages(&rendered) {
            std::borrow::Cow::Owned(sorted) => sorted,
            std::borrow::Cow::Borrowed(_) => rendered,
        }
    } else {
        rendered
    }
}

/// Renders `text` piece by piece (see `chunk`): lines without tags are copied, the rest is
/// compiled in short pieces. An error is reported from the whole text, so its line and column
/// are the file's.
fn render_text(
    registry: &mut Handlebars<'_>,
    name: &str,
    text: &str,
    context: &handlebars::Context,
) -> Result<String, String> {
    chunk::refuse_too_deep(text)?;
    let mut out = String::with_capacity(text.len());
    for (i, piece) in chunk::pieces(text).into_iter().enumerate() {
        let piece = match piece {
            Piece::Verbatim(text) => {
                out.push_str(text);
                continue;
            }
            Piece::Template(text) => text,
        };
        if let Some(rendered) = simple_conditions(piece, context.data()) {
            out.push_str(&rendered);
            continue;
        }
        let piece_name = format!("{name}#{i}");
        let rendered = registry
            .register_template_string(&piece_name, piece)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                registry
                    .render_with_context(&piece_name, context)
                    .map_err(|e| e.to_string())
            });
        match rendered {
            Ok(text) => out.push_str(&text),
            Err(_) => return render_whole(registry, name, text, context),
        }
    }
    Ok(out)
}

/// A piece made only of `{{#if flag}}` / `{{#unless flag}}` blocks, each tag alone on its line,
/// around lines without tags, with `flag` a `true`/`false` value: what handlebars renders for
/// it, without compiling it; `None` for anything else. handlebars parses slowly per character,
/// and the Rust template's `Cargo.lock` holds the OAuth-only packages, some 12 KB, in such
/// blocks (they doubled the lock's cost to `new`).
fn simple_conditions(piece: &str, values: &serde_json::Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = piece;
    while !rest.is_empty() {
        let (helper, open) = if let Some(open) = rest.strip_prefix("{{#if ") {
            ("if", open)
        } else {
            ("unless", rest.strip_prefix("{{#unless ")?)
        };
        let (name, inside) = open.split_once("}}\n")?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let close = format!("{{{{/{helper}}}}}\n");
        let end = inside.find("{{")?;
        let body = &inside[..end];
        if !inside[end..].starts_with(&close) || !(body.is_empty() || body.ends_with('\n')) {
            return None;
        }
        let serde_json::Value::Bool(flag) = values.get(name)? else {
            return None;
        };
        if *flag == (helper == "if") {
            out.push_str(body);
        }
        rest = &inside[end + close.len()..];
    }
    Some(out)
}

fn render_whole(
    registry: &mut Handlebars<'_>,
    name: &str,
    text: &str,
    context: &handlebars::Context,
) -> Result<String, String> {
    registry
        .register_template_string(name, text)
        .map_err(|e| e.to_string())?;
    registry
        .render_with_context(name, context)
        .map_err(|e| e.to_string())
}

/// Where a template file lands: `.hbs` dropped, `_x` → `.x` (`__x` stays), `{{vars}}` filled;
/// refused if it would leave the project directory.
fn output_path(
    registry: &Handlebars<'_>,
    template_path: &str,
    context: &handlebars::Context,
) -> Result<PathBuf, String> {
    let trimmed = template_path.strip_suffix(".hbs").unwrap_or(template_path);
    let mut path = PathBuf::new();
    for component in trimmed.split('/') {
        let component = if component.contains("{{") {
            chunk::refuse_too_deep(component).map_err(|e| format!("in the file name: {e}"))?;
            registry
                .render_template_with_context(component, context)
                .map_err(|e| format!("in the file name: {e}"))?
        } else {
            component.to_owned()
        };
        let component = match component.strip_prefix('_') {
            Some(rest) if !rest.starts_with('_') => format!(".{rest}"),
            _ => component,
        };
        let why = if component.is_empty() {
            Some("an empty name")
        } else if component == "." || component == ".." {
            Some("a name that would leave the project directory")
        } else if component.contains(['/', '\\']) {
            Some(
                "a path, which could be absolute or leave the project directory (a name from a \
                 variable must be one file or folder name)",
            )
        } else if component.contains('\0')
            || !matches!(
                Path::new(&component).components().next(),
                Some(Component::Normal(_))
            )
        {
            Some("a name that would leave the project directory")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(format!("the file name renders as {component:?}: {why}"));
        }
        path.push(component);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use super::*;
    use crate::template::{Partial, TemplateConfig};

    fn template(files: &[(&str, &'static [u8])]) -> Template {
        Template {
            config: TemplateConfig {
                name: "t".into(),
                description: "d".into(),
                run: "run".into(),
                test: "test".into(),
                auth: vec!["none".into()],
                ignore: vec![],
                variables: vec![],
                conditional: vec![
                    crate::template::Conditional {
                        condition: "!skip".into(),
                        include: vec!["skipped/**".into()],
                        exclude: vec![],
                    },
                    crate::template::Conditional {
                        condition: "skip == \"all\"".into(),
                        include: vec![],
                        exclude: vec!["kept.txt".into()],
                    },
                ],
            },
            files: files
                .iter()
                .map(|(path, contents)| TemplateFile {
                    path: (*path).to_owned(),
                    contents: Cow::Borrowed(*contents),
                })
                .collect(),
            partials: BTreeMap::from([(
                "greet".to_owned(),
                Partial {
                    path: "_partials/greet.hbs".to_owned(),
                    text: Cow::Borrowed("hi {{name}}"),
                },
            )]),
            source: None,
        }
    }

    #[test]
    fn hbs_files_render_and_others_copy_verbatim() {
        let t = template(&[
            ("README.md.hbs", b"# {{name}} <{{> greet}}>"),
            ("raw.txt", b"{{name}} \xff\x00"),
            ("_gitignore", b"target/\n"),
            ("app/__init__.py", b""),
            ("src/{{snake_case name}}.rs.hbs", b"// {{rust_str name}}"),
        ]);
        let plan = render(&t, &serde_json::json!({"name": "A & B"})).unwrap();
        let paths: Vec<_> = plan
            .files
            .iter()
            .map(|f| f.path.to_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                ".gitignore",
                "README.md",
                "app/__init__.py",
                "raw.txt",
                "src/a_b.rs"
            ]
        );
        assert_eq!(plan.text("README.md"), Some("# A & B <hi A & B>"));
        assert_eq!(plan.get("raw.txt").unwrap().contents, b"{{name}} \xff\x00");
        assert_eq!(plan.text("src/a_b.rs"), Some("// \"A & B\""));
    }

    #[test]
    fn conditional_files_follow_their_condition() {
        let t = template(&[("skipped/a.txt", b"a"), ("kept.txt", b"k")]);
        let paths = |skip: bool| -> Vec<PathBuf> {
            render(&t, &serde_json::json!({"skip": skip}))
                .unwrap()
                .files
                .into_iter()
                .map(|f| f.path)
                .collect()
        };
        assert_eq!(paths(true), [PathBuf::from("kept.txt")]);
        assert_eq!(
            paths(false),
            [PathBuf::from("kept.txt"), PathBuf::from("skipped/a.txt")]
        );
        let all = render(&t, &serde_json::json!({"skip": "all"})).unwrap();
        assert!(all.files.is_empty(), "{:?}", all.files);
    }

    /// Only a rendered file named `Cargo.lock` gets cargo's order; a copied one, or a rendered
    /// file of another name, is left as written.
    #[test]
    fn a_rendered_cargo_lock_gets_cargo_order() {
        const UNSORTED: &[u8] = b"version = 4\n\n[[package]]\nname = \"{{name}}\"\n\n\
                                  [[package]]\nname = \"a\"\n";
        let t = template(&[
            ("Cargo.lock.hbs", UNSORTED),
            ("sub/Cargo.lock.hbs", UNSORTED),
            ("other.lock.hbs", UNSORTED),
            ("copied/Cargo.lock", UNSORTED),
        ]);
        let plan = render(&t, &serde_json::json!({"name": "b"})).unwrap();
        let sorted = "version = 4\n\n[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\n";
        let as_written = "version = 4\n\n[[package]]\nname = \"b\"\n\n[[package]]\nname = \"a\"\n";
        assert_eq!(plan.text("Cargo.lock"), Some(sorted));
        assert_eq!(plan.text("sub/Cargo.lock"), Some(sorted));
        assert_eq!(plan.text("other.lock"), Some(as_written));
        assert_eq!(
            plan.text("copied/Cargo.lock").unwrap(),
            std::str::from_utf8(UNSORTED).unwrap()
        );
    }

    #[test]
    fn the_env_file_is_private() {
        let t = template(&[("_env.hbs", b"X=1\n"), ("_env.example", b"X=\n")]);
        let plan = render(&t, &serde_json::json!({})).unwrap();
        assert_eq!(plan.get(".env").unwrap().mode, FileMode::Private);
        assert_eq!(plan.get(".env.example").unwrap().mode, FileMode::Normal);
    }

    #[test]
    fn every_failing_file_is_reported_with_its_line() {
        let t = template(&[
            ("a.txt.hbs", b"ok\n{{missing}}"),
            ("b.txt.hbs", b"{{#if x}}unclosed"),
            ("c.txt.hbs", b"fine"),
        ]);
        let err = render(&t, &serde_json::json!({"x": true})).unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert_eq!(err.0[0].file, "a.txt.hbs");
        assert!(err.0[0].message.contains("line 2"), "{}", err.0[0].message);
        assert!(err.0[0].message.contains("missing"), "{}", err.0[0].message);
        assert_eq!(err.0[1].file, "b.txt.hbs");
    }

    #[test]
    fn rendered_names_cannot_escape_the_project() {
        for (evil, says) in [
            ("..", "leave the project"),
            ("/etc", "could be absolute"),
            ("a/b", "could be absolute"),
            ("a\\b", "could be absolute"),
            ("", "an empty name"),
            (".", "leave the project"),
        ] {
            let t = template(&[("{{name}}.hbs", b"x")]);
            let err = render(&t, &serde_json::json!({"name": evil})).unwrap_err();
            assert!(err.0[0].message.contains(says), "{evil}: {err}");
            assert!(err.to_string().contains("nothing was written"), "{err}");
        }
    }

    #[test]
    fn only_plain_flag_blocks_skip_the_compiler() {
        let values = serde_json::json!({"on": true, "off": false, "name": "n"});
        for (piece, expected) in [
            ("{{#if on}}\na\n{{/if}}\n", Some("a\n")),
            (
                "{{#if off}}\na\n{{/if}}\n{{#unless off}}\nb\n\n{{/unless}}\n",
                Some("b\n\n"),
            ),
            ("{{#if on}}\n{{/if}}\n", Some("")),
            ("{{#if on}}\na\n{{else}}\nb\n{{/if}}\n", None),
            ("{{#if on}}\n{{name}}\n{{/if}}\n", None),
            ("{{#if on}}\na {{/if}}\n", None),
            ("{{#if on}}a\n{{/if}}\n", None),
            ("{{#if on}}\na\n{{/if}}", None),
            ("{{#if name}}\na\n{{/if}}\n", None),
            ("{{#if missing}}\na\n{{/if}}\n", None),
            ("{{#if (not on)}}\na\n{{/if}}\n", None),
            ("{{#if on~}}\na\n{{/if}}\n", None),
            ("x\n{{#if on}}\na\n{{/if}}\n", None),
        ] {
            assert_eq!(
                simple_conditions(piece, &values).as_deref(),
                expected,
                "{piece:?}"
            );
        }
    }

    /// Each piece rendered on its own, with no fallback to the whole: `None` if a piece fails.
    fn by_pieces_only(
        registry: &mut Handlebars<'_>,
        text: &str,
        context: &handlebars::Context,
    ) -> Option<String> {
        let mut out = String::new();
        for (i, piece) in chunk::pieces(text).into_iter().enumerate() {
            match piece {
                Piece::Verbatim(text) => out.push_str(text),
                Piece::Template(text) => match simple_conditions(text, context.data()) {
                    Some(rendered) => out.push_str(&rendered),
                    None => out.push_str(
                        &render_whole(registry, &format!("piece#{i}"), text, context).ok()?,
                    ),
                },
            }
        }
        Some(out)
    }

    /// The proof `chunk` is kept on: for every `.hbs` file of every built-in template, under
    /// every auth type it implements, rendering piece by piece (no fallback) gives exactly what
    /// rendering the whole file gives.
    #[test]
    fn every_builtin_file_renders_the_same_by_pieces_as_whole() {
        use crate::answers::{Fill, PartialAnswers, resolve};
        use crate::choices::Stack;
        use crate::question::Field;
        use crate::question::Source;

        for stack in Stack::ALL {
            let template = Template::builtin(stack).unwrap();
            for auth in template.config.auth_types() {
                let mut given = PartialAnswers::default();
                given.give(Field::Auth, auth.as_str(), Source::Flag);
                given.give(Field::Stack, stack.as_str(), Source::Flag);
                let answers = resolve(
                    &given,
                    Fill::Defaults,
                    &mut crate::prompt::ScriptedPrompter::default(),
                    &|_| Ok(()),
                )
                .unwrap();
                let mut values = crate::project::answers_context(&template, &answers);
                values["secrets"] =
                    serde_json::to_value(crate::context::Secrets::placeholder()).unwrap();
                let mut registry = registry();
                for (name, partial) in &template.partials {
                    registry
                        .register_partial(name, partial.text.as_ref())
                        .unwrap();
                }
                let context = handlebars::Context::from(values);
                let mut checked = 0;
                for file in template.files.iter().filter(|f| f.path.ends_with(".hbs")) {
                    let text = std::str::from_utf8(&file.contents).unwrap();
                    let whole = render_whole(&mut registry, &file.path, text, &context).unwrap();
                    let pieces = by_pieces_only(&mut registry, text, &context);
                    assert_eq!(
                        pieces.as_deref(),
                        Some(whole.as_str()),
                        "{stack} {auth}: {}",
                        file.path
                    );
                    checked += 1;
                }
                assert!(checked > 5, "{stack} {auth}: only {checked} .hbs files");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Templates put together, line by line, from the constructs the cutter must respect
        /// (blocks, `else`, `~` on either side, comments holding `}}`, inline and alone on their
        /// line, raw braces, blank and indented lines): the pieces render, and to the same text
        /// as the whole. It found that a comment after any `~` tag renders differently alone
        /// (`"{{~#if flag}} t {{/if~}}\nkeep\nx {{!-- c --}} y\n"`: whole `x y`, pieces `x  y`).
        #[test]
        fn generated_templates_render_the_same_by_pieces_as_whole(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "plain line\n", "\n", "   \n", "keep   \n", "{{name}}\n", "{{json name}} x\n",
                "{ x }\n", "}\n", "{\n",
                "\\{{name}}\n", "{{{name}}}\n", "é\n", "\t- item\n", "{{~name}}\n",
                "{{name~}}\n", "   {{~name}} tail\n",
                "{{#if flag}}\n  yes\n{{else}}\n  no\n{{/if}}\n",
                "{{~#if flag}} t {{/if~}}\n", "   {{~#if flag}}x{{/if}}\n",
                "{{#if flag~}}\n   y\n{{~/if}}\n",
                "{{#if flag}}\n[[package]]\nname = \"a\"\n\n{{/if}}\n",
                "{{#unless flag}}\n  n\n{{/unless}}\n", "{{#if flag}}\n{{/if}}\n",
                "{{#if name}}\nn\n{{/if}}\n", "{{#unless flag}}\n{{~else~}}\n z\n{{/unless}}\n",
                "{{#each items}}\n- {{this}}{{#unless @last}},{{/unless}}\n{{/each}}\n",
                "x {{!-- c --}} y\n", "{{!-- a }} comment --}}\n", "  {{! short }}\n",
            ]), 0..40),
            flag in proptest::bool::ANY,
        ) {
            let text: String = parts.concat();
            let values = serde_json::json!({
                "name": "N \"q\"", "flag": flag, "items": ["a", "b", "c"],
            });
            let context = handlebars::Context::from(values);
            let mut registry = registry();
            let whole = render_whole(&mut registry, "whole", &text, &context).unwrap();
            let pieces = by_pieces_only(&mut registry, &text, &context);
            proptest::prop_assert_eq!(pieces.as_deref(), Some(whole.as_str()), "{:?}", text);
        }
    }
}
