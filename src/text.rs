//! Small pieces of English the messages share.

/// `n` and `word`, plural unless `n` is 1: "1 error", "2 errors", "0 warnings".
pub fn plural(n: usize, word: &str) -> String {
    plural_as(n, word, &format!("{word}s"))
}

/// `n` and the right one of `one` or `many`, for a plural not made with `s`: "1 entry",
/// "3 entries".
pub fn plural_as(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_any_other_count_plural() {
        for (n, expected) in [(0, "0 errors"), (1, "1 error"), (2, "2 errors")] {
            assert_eq!(plural(n, "error"), expected);
        }
        assert_eq!(plural_as(1, "entry", "entries"), "1 entry");
        assert_eq!(plural_as(3, "entry", "entries"), "3 entries");
    }
}
