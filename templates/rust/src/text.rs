//! The white space around a TODO text: exactly the characters JSON Schema's `\s` matches
//! (ECMA-262's WhiteSpace and LineTerminator), so the spec's `pattern: "\\S"` and the server
//! refuse the same texts. Rust's `str::trim` would differ (it strips U+0085 and keeps U+FEFF).

/// Whether `c` is in ECMA-262's `\s`.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `text` without the [`is_space`] characters at either end; empty when it has nothing else.
pub fn trim_spaces(text: &str) -> &str {
    text.trim_matches(is_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ecma_white_space_is_trimmed() {
        for blank in [
            "\r",
            "\u{b}",
            " \t\n\u{c}",
            "\u{a0}\u{feff}\u{3000}",
            "\u{2028}\u{2029}",
        ] {
            assert_eq!(trim_spaces(blank), "", "{blank:?}");
        }
        for kept in ["\u{85}", "\u{1c}", "\u{1f}", "\u{180e}", "\u{200b}"] {
            assert_eq!(trim_spaces(kept), kept, "{kept:?}");
        }
        assert_eq!(trim_spaces(" \u{feff}eggs\u{a0} "), "eggs");
    }
}
