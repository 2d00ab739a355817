//! Names: what counts as an identifier, and the names derived from others (a human name from
//! the project folder, a model name from the human one, the Cargo and npm package names from the
//! model name, each with its registry's rules beside it).

use std::path::Path;

use crate::rules;

/// Whether `text` is an identifier: an ASCII letter or `_`, then letters, digits or `_`. A template
/// variable's name must be one, and so must an `operationId` the model calls as a function.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// "todo-plugin" → "Todo Plugin", whole words only, within the 20-character limit.
pub fn human_name_from_directory(directory: &Path) -> String {
    // `.` and `..` have no name of their own: use the folder they stand for.
    let base = match directory.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => std::fs::canonicalize(directory)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    };
    let mut name = String::new();
    for word in base
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        let first = chars.next().expect("non-empty word");
        let word: String = first.to_uppercase().chain(chars).collect();
        let sep = usize::from(!name.is_empty());
        if rules::char_count(&name) + sep + rules::char_count(&word) > rules::NAME_FOR_HUMAN_MAX {
            break;
        }
        if sep == 1 {
            name.push(' ');
        }
        name.push_str(&word);
    }
    if name.is_empty() {
        "TODO Plugin".to_owned()
    } else {
        name
    }
}

/// "Todo Plugin!" → "`todo_plugin"`: ASCII letters, digits and `_`, starting with a letter.
///
/// Words split as heck splits them: a run of capitals is one word ("My API Plugin" →
/// `my_api_plugin`, "`HTTPServer`" → `http_server`). Common Latin accents are folded to ASCII
/// ("Café" → `cafe`); other characters separate words.
pub fn model_name_from_human(human: &str) -> String {
    let original: Vec<char> = human.chars().collect();
    let mut chars: Vec<char> = Vec::with_capacity(original.len());
    for (i, &c) in original.iter().enumerate() {
        match fold_latin(c) {
            Some(ascii) => {
                let start = chars.len();
                chars.extend(ascii.chars());
                // "Œuvre" is one word: a capital ligature before a small letter is "Oe".
                if original.get(i + 1).is_some_and(|n| n.is_lowercase()) {
                    for folded in &mut chars[start + 1..] {
                        folded.make_ascii_lowercase();
                    }
                }
            }
            None => chars.push(c),
        }
    }
    let mut name = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let previous = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let starts_word = c.is_ascii_uppercase()
                && previous.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
                });
            if starts_word && !name.ends_with('_') {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_matches('_');
    let mut name = match name.chars().next() {
        None => return "todo_plugin".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("plugin_{name}"),
        Some(_) => name.to_owned(),
    };
    name.truncate(rules::NAME_FOR_MODEL_MAX);
    name.trim_end_matches('_').to_owned()
}

/// The ASCII letters a Latin letter with a diacritic (or a ligature) is written with when
/// accents are dropped; `None` for anything else.
fn fold_latin(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄ", "A"),
        ("àáâãäåāăą", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("ĎĐ", "D"),
        ("ďđ", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("ĤĦ", "H"),
        ("ĥħ", "h"),
        ("ÌÍÎÏĨĪĬĮİ", "I"),
        ("ìíîïĩīĭįı", "i"),
        ("Ĵ", "J"),
        ("ĵ", "j"),
        ("Ķ", "K"),
        ("ķ", "k"),
        ("ĹĻĽĿŁ", "L"),
        ("ĺļľŀł", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņň", "n"),
        ("ÒÓÔÕÖØŌŎŐ", "O"),
        ("òóôõöøōŏő", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠȘ", "S"),
        ("śŝşšș", "s"),
        ("ŢŤŦȚ", "T"),
        ("ţťŧț", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"),
        ("ùúûüũūŭůűų", "u"),
        ("Ŵ", "W"),
        ("ŵ", "w"),
        ("ÝŶŸ", "Y"),
        ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("Æ", "AE"),
        ("æ", "ae"),
        ("Œ", "OE"),
        ("œ", "oe"),
        ("ß", "ss"),
        ("Þ", "TH"),
        ("þ", "th"),
        ("Ð", "D"),
        ("ð", "d"),
    ];
    TABLE
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map(|(_, ascii)| *ascii)
}

/// A Cargo package name from `name_for_model`: kebab-case, and never a name Rust reserves.
pub fn crate_name(name_for_model: &str) -> String {
    const RESERVED: &[&str] = &[
        "alloc",
        "core",
        "proc-macro",
        "std",
        "test",
        "self",
        "super",
        "crate",
        "async",
        "await",
        "fn",
        "mod",
        "struct",
        "type",
        "use",
        "where",
        "impl",
        "loop",
        "match",
        "move",
        "ref",
        "return",
        "static",
        "trait",
        "true",
        "false",
        "unsafe",
        "while",
        "yield",
        "abstract",
        "as",
        "box",
        "break",
        "const",
        "continue",
        "do",
        "dyn",
        "else",
        "enum",
        "extern",
        "final",
        "for",
        "if",
        "in",
        "let",
        "macro",
        "mut",
        "override",
        "priv",
        "pub",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "build",
    ];
    let name = heck::ToKebabCase::to_kebab_case(name_for_model);
    if RESERVED.contains(&name.as_str()) {
        format!("{name}-plugin")
    } else {
        name
    }
}

/// An npm package name from `name_for_model`: kebab-case (so lowercase, URL-safe, no leading
/// `.` or `_`), and never the name of a Node.js built-in module or of a dependency of the
/// generated project, which npm and Node.js would confuse with it.
pub fn npm_name(name_for_model: &str) -> String {
    const TAKEN: &[&str] = &[
        "assert",
        "async-hooks",
        "buffer",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics-channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf-hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "sea",
        "sqlite",
        "stream",
        "string-decoder",
        "sys",
        "test",
        "timers",
        "tls",
        "trace-events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker-threads",
        "zlib",
        "hono",
        "typescript",
        "types-node",
        "undici-types",
    ];
    let name = heck::ToKebabCase::to_kebab_case(name_for_model);
    if TAKEN.contains(&name.as_str()) {
        format!("{name}-plugin")
    } else {
        name
    }
}
