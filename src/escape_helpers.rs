//! Handlebars helpers that quote a value correctly for the file it lands in.
//!
//! HTML escaping is off for every template (it would corrupt code), so any answer that reaches
//! a file goes through one of these: `{{json x}}`, `{{yaml x}}`, `{{rust_str x}}`,
//! `{{toml_str x}}`, `{{html x}}`, plus the case helpers from heck.

use std::fmt::Write as _;

use handlebars::{Handlebars, handlebars_helper};
use heck::{ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToSnakeCase};
use serde_json::Value;

/// A JSON string literal (or any JSON value, serialized).
pub fn json_literal(value: &Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

/// A YAML double-quoted scalar that any YAML 1.1 or 1.2 parser reads back to `text`.
///
/// JSON string syntax is almost YAML, but YAML forbids some raw characters JSON allows (C1
/// controls, U+FEFF, U+FFFE/U+FFFF) and YAML 1.1 treats U+0085, U+2028 and U+2029 as line
/// breaks, so those are escaped too.
pub fn yaml_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rust string literal.
pub fn rust_literal(text: &str) -> String {
    // `Debug` for `str` quotes and escapes exactly as Rust source reads it back.
    format!("{text:?}")
}

/// Text safe inside HTML element content and quoted attribute values.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A one-line TOML basic string.
pub fn toml_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

mod defs {
    use super::{
        ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToSnakeCase, handlebars_helper, html_text,
        json_literal, rust_literal, toml_literal, yaml_literal,
    };

    handlebars_helper!(json: |value: Json| json_literal(value));
    handlebars_helper!(yaml: |text: str| yaml_literal(text));
    handlebars_helper!(rust_str: |text: str| rust_literal(text));
    handlebars_helper!(toml_str: |text: str| toml_literal(text));
    handlebars_helper!(html: |text: str| html_text(text));
    handlebars_helper!(snake_case: |text: str| text.to_snake_case());
    handlebars_helper!(kebab_case: |text: str| text.to_kebab_case());
    handlebars_helper!(pascal_case: |text: str| text.to_pascal_case());
    handlebars_helper!(shouty_snake_case: |text: str| text.to_shouty_snake_case());
}

/// The names of the helpers [`register`] adds.
pub const NAMES: [&str; 9] = [
    "json",
    "yaml",
    "rust_str",
    "toml_str",
    "html",
    "snake_case",
    "kebab_case",
    "pascal_case",
    "shouty_snake_case",
];

/// Registers every helper above on `registry`.
pub fn register(registry: &mut Handlebars<'_>) {
    registry.register_helper("json", Box::new(defs::json));
    registry.register_helper("yaml", Box::new(defs::yaml));
    registry.register_helper("rust_str", Box::new(defs::rust_str));
    registry.register_helper("toml_str", Box::new(defs::toml_str));
    registry.register_helper("html", Box::new(defs::html));
    registry.register_helper("snake_case", Box::new(defs::snake_case));
    registry.register_helper("kebab_case", Box::new(defs::kebab_case));
    registry.register_helper("pascal_case", Box::new(defs::pascal_case));
    registry.register_helper("shouty_snake_case", Box::new(defs::shouty_snake_case));
}

/// A handlebars registry with the house settings: strict, no escaping, our helpers.
pub fn registry<'a>() -> Handlebars<'a> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    register(&mut registry);
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &[&str] = &[
        "",
        "plain",
        "quote \" and 'single'",
        "back\\slash \\n not a newline",
        "new\nline\r\ntab\t",
        "{{handlebars}} {{{triple}}}",
        ": # - [ ] { } & * ! | > % @ `",
        "- leading dash",
        "yes",
        "null",
        "0x1F",
        "emoji 🎉 and ÄÖÜ",
        "\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}",
        "trailing space ",
    ];

    #[test]
    fn json_literals_parse_back() {
        for text in NASTY {
            let literal = json_literal(&Value::from(*text));
            let back: String = serde_json::from_str(&literal).unwrap();
            assert_eq!(&back, text);
        }
    }

    #[test]
    fn yaml_literals_parse_back_as_strings() {
        for text in NASTY {
            let doc = format!("key: {}\n", yaml_literal(text));
            let back: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            assert_eq!(back["key"], *text, "{doc:?}");
            let ours = crate::yaml::load(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e:?}"));
            assert_eq!(ours.value["key"], *text, "src/yaml.rs reads {doc:?}");
        }
    }

    #[test]
    fn yaml_literals_hold_no_raw_line_breaks_or_non_printables() {
        for text in NASTY {
            let literal = yaml_literal(text);
            assert!(
                !literal
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')),
                "{literal:?}"
            );
        }
    }

    #[test]
    fn toml_literals_parse_back() {
        for text in NASTY {
            let doc = format!("key = {}\n", toml_literal(text));
            let back: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(back["key"].as_str(), Some(*text));
        }
    }

    #[test]
    fn rust_literals_are_escaped() {
        assert_eq!(rust_literal("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(rust_literal("{}"), "\"{}\"");
        assert_eq!(rust_literal("\u{0}"), "\"\\0\"");
    }

    #[test]
    fn every_named_helper_is_registered() {
        let mut registry = Handlebars::new();
        register(&mut registry);
        for name in NAMES {
            let rendered = registry.render_template(&format!("{{{{{name} \"Ab\"}}}}"), &());
            assert!(rendered.is_ok(), "{name}: {rendered:?}");
        }
        assert!(registry.render_template("{{nope \"Ab\"}}", &()).is_err());
    }

    #[test]
    fn helpers_render_through_handlebars() {
        let mut registry = Handlebars::new();
        register(&mut registry);
        registry.register_escape_fn(handlebars::no_escape);
        let data = serde_json::json!({"t": "a \"b\"\n", "n": "Todo Plugin"});
        let render = |template: &str| registry.render_template(template, &data).unwrap();
        assert_eq!(render("{{json t}}"), r#""a \"b\"\n""#);
        assert_eq!(render("{{yaml t}}"), r#""a \"b\"\n""#);
        assert_eq!(render("{{rust_str t}}"), r#""a \"b\"\n""#);
        assert_eq!(render("{{toml_str t}}"), r#""a \"b\"\n""#);
        assert_eq!(render("{{html t}}"), "a &quot;b&quot;\n");
        assert_eq!(render("{{snake_case n}}"), "todo_plugin");
        assert_eq!(render("{{kebab_case n}}"), "todo-plugin");
        assert_eq!(render("{{pascal_case n}}"), "TodoPlugin");
        assert_eq!(render("{{shouty_snake_case n}}"), "TODO_PLUGIN");
    }
}
