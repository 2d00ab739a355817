//! Templates: a folder with a `template.toml` and the files to render.
//!
//! The built-in stacks are templates in this same format, embedded in the binary, with one
//! extra: the embedded collection has shared layers. `templates/_base/` holds what every stack
//! shares (spec, logo, `.env`) and `templates/_partials/` the shared handlebars partials; a
//! built-in template is `_base/` with `templates/<stack>/` on top (a stack's file replaces a
//! base file with the same output path). `ai-plugin template init` writes a built-in template
//! out as one self-contained folder, with the layers flattened in.
//!
//! A template of the user's is read from a folder ([`folder::read_folder`], never following links) or
//! a git repository ([`source`]), and checked ([`check`]) before anything is rendered.

//!
//! This module is a facade over its parts, none of which imports it: [`types`] (the template and
//! its `template.toml`), [`condition`] (the condition and glob language of `template.toml`),
//! [`embedded`] (the built-in templates), [`folder`] (reading a template of the user's),
//! [`source`] (where one comes from), [`problem`] and [`check`] (what can be wrong with one).

pub mod check;
pub mod condition;
pub mod embedded;
pub mod folder;
pub mod problem;
pub mod source;
pub mod types;

pub use condition::{Condition, Conditional, glob_covers, glob_match, glob_problem};
pub use embedded::{builtin_files, builtins, supports};
pub use folder::{load_folder, read_folder};
pub use problem::Problem;
pub use types::{
    CONFIG_FILE, CONFIG_LIMIT, Folder, PARTIALS_DIR, Partial, Template, TemplateConfig,
    TemplateError, TemplateFile, partial_name, static_path_problem,
};

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::choices::{AuthType, Stack};

    #[test]
    fn every_stack_has_a_template_with_its_own_name() {
        for stack in Stack::ALL {
            let template = Template::builtin(stack).unwrap();
            assert_eq!(template.config.name, stack.as_str());
            assert!(!template.files.is_empty());
            assert!(
                template.files.iter().all(|f| f.path != CONFIG_FILE),
                "template.toml is not a project file"
            );
            assert!(
                template
                    .files
                    .iter()
                    .all(|f| !f.path.starts_with(PARTIALS_DIR)),
                "partials are not project files"
            );
        }
        let names: Vec<String> = builtins().into_iter().map(|c| c.name).collect();
        assert_eq!(names, Stack::ALL.map(|s| s.as_str().to_owned()));
    }

    #[test]
    fn the_rust_template_implements_every_auth_type() {
        for auth in AuthType::ALL {
            assert!(supports(Stack::Rust, auth), "{auth}");
        }
    }

    #[test]
    fn globs_match_components_and_any_depth() {
        let cases = [
            ("src/auth.rs", "src/auth.rs", true),
            ("src/auth.rs", "src/auth.rsx", false),
            ("src/*.rs", "src/auth.rs", true),
            ("src/*.rs", "src/a/auth.rs", false),
            ("src/**", "src/a/b.rs", true),
            ("src/**/*.rs", "src/b.rs", true),
            ("**/oauth*", "tests/oauth_flow.rs", true),
            ("*", "a/b", false),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(glob_match(pattern, path), expected, "{pattern} ~ {path}");
        }
    }

    #[test]
    fn a_glob_covers_everything_in_a_folder_it_names() {
        assert!(glob_covers("docs", "docs/a/b.md"));
        assert!(glob_covers("docs/*", "docs/a/b.md"));
        assert!(glob_covers("*.md", "README.md"));
        assert!(!glob_covers("docs", "docsx/a.md"));
        assert!(!glob_covers("a/b", "a"));
    }

    #[test]
    fn bad_globs_are_explained() {
        for good in ["a", "src/**/*.rs", "**", "*.hbs", "a-b_c.d"] {
            assert_eq!(glob_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("/etc/*", "relative"),
            ("a\\b", "relative"),
            ("src/?.rs", "`?`"),
            ("[ab].rs", "`[`"),
            ("a//b", "empty"),
            ("../x", "`..`"),
            ("a**/b", "whole component"),
        ] {
            let problem = glob_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem}");
        }
    }

    #[test]
    fn conditions_read_the_context() {
        let context = serde_json::json!({
            "yes": true, "no": false, "auth": "none", "empty": "", "port": 5003
        });
        let holds = |condition: &str| {
            Conditional {
                condition: condition.into(),
                include: vec![],
                exclude: vec![],
            }
            .holds(&context)
        };
        assert!(
            holds("yes") && holds("!no") && holds("auth") && holds("!empty") && holds("!missing")
        );
        assert!(!holds("no") && !holds("!yes") && !holds("missing"));
        assert!(holds("auth == none") && holds("auth == \"none\"") && holds("auth=='none'"));
        assert!(holds("auth != oauth") && !holds("auth != none"));
        assert!(holds("port == 5003") && holds("yes == true") && holds("missing == ''"));
        assert!(!holds("bad name") && !holds("== x") && !holds("!"));
    }

    #[test]
    fn conditions_parse_or_say_why_not() {
        assert_eq!(
            Condition::parse(" !has_auth "),
            Ok(Condition::Truthy {
                name: "has_auth",
                negated: true
            })
        );
        assert_eq!(
            Condition::parse("db != 'none'"),
            Ok(Condition::Compare {
                name: "db",
                equal: false,
                value: "none"
            })
        );
        let err = Condition::parse("auth is oauth").unwrap_err();
        assert!(err.contains("`name == value`"), "{err}");
    }

    #[test]
    fn include_needs_the_condition_and_exclude_drops_under_it() {
        let conditional = Conditional {
            condition: "flag".into(),
            include: vec!["only_with/**".into()],
            exclude: vec!["only_without.txt".into()],
        };
        let on = serde_json::json!({"flag": true});
        let off = serde_json::json!({"flag": false});
        assert!(conditional.keeps("only_with/a.txt", &on));
        assert!(!conditional.keeps("only_with/a.txt", &off));
        assert!(!conditional.keeps("only_without.txt", &on));
        assert!(conditional.keeps("only_without.txt", &off));
        assert!(conditional.keeps("other.txt", &on) && conditional.keeps("other.txt", &off));
    }

    #[test]
    fn base_files_are_shared_and_partials_are_found() {
        let template = Template::builtin(Stack::Rust).unwrap();
        let paths: Vec<&str> = template.files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"openapi.yaml.hbs"), "{paths:?}");
        assert!(paths.contains(&"logo.png"), "{paths:?}");
        assert!(template.partials.contains_key("readme_chatgpt"));
        assert_eq!(
            template.partials["readme_chatgpt"].path,
            "_partials/readme_chatgpt.md.hbs"
        );
    }

    #[test]
    fn partial_names_are_cut_at_the_first_dot() {
        assert_eq!(
            partial_name("_partials/readme_api.md.hbs").as_deref(),
            Some("readme_api")
        );
        assert_eq!(
            partial_name("_partials/spec/ops.yaml.hbs").as_deref(),
            Some("spec/ops")
        );
        assert_eq!(partial_name("src/_partials/x.hbs"), None);
        assert_eq!(partial_name("_partialsx/x.hbs"), None);
    }

    #[test]
    fn names_that_become_dot_dot_are_refused() {
        for bad in ["_.", "a/_./b", "_..hbs", "x/./y"] {
            assert!(static_path_problem(bad).is_some(), "{bad}");
        }
        for good in ["_gitignore", "__init__.py", "a/_env.hbs", "a..b", "..."] {
            assert_eq!(static_path_problem(good), None, "{good}");
        }
    }

    #[test]
    fn ignored_files_and_partials_are_not_project_files() {
        let file = |path: &str| TemplateFile {
            path: path.to_owned(),
            contents: Cow::Borrowed(b"x"),
        };
        let template = Template::assemble(
            CONFIG_FILE,
            "name = 't'\ndescription = 'd'\nignore = ['notes', '*.bak']\n",
            vec![
                file("a.txt"),
                file("notes/todo.md"),
                file("b.bak"),
                file("_partials/p.hbs"),
                file(CONFIG_FILE),
            ],
            None,
        )
        .unwrap();
        let paths: Vec<&str> = template.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.txt"]);
        assert_eq!(template.partials["p"].text, "x");
        assert_eq!(template.config.auth, ["none"]);
        assert_eq!(template.config.auth_types(), [AuthType::None]);
    }
}
