//! `o200k_base` without a regex engine: the vocabulary as compact bytes, the pre-tokenizer's
//! pattern as a hand-written scanner, and tiktoken's byte pair merge. Counts equal tiktoken's
//! (the tests compare both on the repository's texts and on generated ones).
//!
//! Why not tiktoken-rs: it embeds its encodings as base64 text (3.6 MB for this one, 1.7 MB for
//! `cl100k_base`) and builds `regex` and `fancy-regex`, which made `cargo install` slower and the
//! binary 13.7 MB; this module adds 1.6 MB and no crate.

mod classes;

use std::collections::HashMap;
use std::sync::OnceLock;

/// The vocabulary in rank order: each token is its length (one byte) and then its bytes. Made
/// from tiktoken's `o200k_base.tiktoken` (MIT, as shipped by tiktoken-rs); the test
/// `vocabulary_is_tiktokens` checks it, and rewrites it under `AI_PLUGIN_UPDATE_TABLES=1`.
const VOCABULARY: &[u8] = include_bytes!("o200k_base.bin");

/// The tokens of `text` in `o200k_base`, special tokens read as ordinary text (tiktoken's
/// `encode_ordinary`).
pub(super) fn count(text: &str) -> usize {
    let ranks = ranks();
    Scanner::new(text)
        .map(|piece| count_piece(ranks, piece.as_bytes()))
        .sum()
}

/// Token bytes to rank, built on first use (about 200,000 entries).
fn ranks() -> &'static HashMap<&'static [u8], u32> {
    static RANKS: OnceLock<HashMap<&'static [u8], u32>> = OnceLock::new();
    RANKS.get_or_init(|| {
        let mut ranks = HashMap::with_capacity(200_000);
        let mut rest = VOCABULARY;
        let mut rank = 0u32;
        while let Some((&len, tail)) = rest.split_first() {
            let (token, tail) = tail.split_at(usize::from(len));
            ranks.insert(token, rank);
            rank += 1;
            rest = tail;
        }
        ranks
    })
}

/// The tokens of one piece: one if the piece is a token, else what the merges leave.
fn count_piece(ranks: &HashMap<&[u8], u32>, piece: &[u8]) -> usize {
    if piece.len() == 1 || ranks.contains_key(piece) {
        return 1;
    }
    byte_pair_merge(ranks, piece).len() - 1
}

/// tiktoken's `_byte_pair_merge` (MIT): merge the adjacent pair of lowest rank, leftmost first,
/// until no pair is a token. Returns the start of each part and the end.
fn byte_pair_merge(ranks: &HashMap<&[u8], u32>, piece: &[u8]) -> Vec<(usize, u32)> {
    let rank_of = |bytes: &[u8]| ranks.get(bytes).copied().unwrap_or(u32::MAX);
    let mut parts = Vec::with_capacity(piece.len() + 1);
    let mut min_rank = (u32::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = rank_of(&piece[i..i + 2]);
        if rank < min_rank.0 {
            min_rank = (rank, i);
        }
        parts.push((i, rank));
    }
    parts.push((piece.len() - 1, u32::MAX));
    parts.push((piece.len(), u32::MAX));

    // The rank of parts[i] merged with the part after next (parts[i + 1] is about to go).
    let get_rank = |parts: &Vec<(usize, u32)>, i: usize| {
        if i + 3 < parts.len() {
            rank_of(&piece[parts[i].0..parts[i + 3].0])
        } else {
            u32::MAX
        }
    };
    while min_rank.0 != u32::MAX {
        let i = min_rank.1;
        if i > 0 {
            parts[i - 1].1 = get_rank(&parts, i - 1);
        }
        parts[i].1 = get_rank(&parts, i);
        parts.remove(i + 1);
        min_rank = (u32::MAX, usize::MAX);
        for (i, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min_rank.0 {
                min_rank = (rank, i);
            }
        }
    }
    parts
}

/// What the pre-tokenizer's pattern asks of a character (Unicode 16 general categories and
/// `White_Space`, as the `regex` crate has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `Lu`, `Lt`.
    Upper,
    /// `Ll`.
    Lower,
    /// `Lm`, `Lo`: both "upper" and "lower" in the pattern.
    OtherLetter,
    /// `M`: both "upper" and "lower", and not a letter.
    Mark,
    /// `N`.
    Number,
    /// `White_Space` (`\s`).
    Space,
    /// Anything else: punctuation, symbols, controls, unassigned.
    Other,
}

impl Class {
    fn of(c: char) -> Class {
        let c = u32::from(c);
        let i = classes::RUNS.partition_point(|&(start, _)| start <= c);
        classes::RUNS[i - 1].1
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`
    fn is_upper(self) -> bool {
        matches!(self, Class::Upper | Class::OtherLetter | Class::Mark)
    }

    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`
    fn is_lower(self) -> bool {
        matches!(self, Class::Lower | Class::OtherLetter | Class::Mark)
    }

    /// `[^\s\p{L}\p{N}]`
    fn is_symbol(self) -> bool {
        matches!(self, Class::Mark | Class::Other)
    }
}

/// Splits a text into the pieces of the `o200k_base` pattern, leftmost-first as a backtracking
/// regex engine matches it:
///
/// ```text
/// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |\p{N}{1,3}
/// | ?[^\s\p{L}\p{N}]+[\r\n/]*
/// |\s*[\r\n]+
/// |\s+(?!\S)
/// |\s+
/// ```
///
/// Every character starts a match of some alternative, so the pieces cover the text.
struct Scanner<'a> {
    text: &'a str,
    chars: Vec<(usize, char, Class)>,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        let chars = text
            .char_indices()
            .map(|(i, c)| (i, c, Class::of(c)))
            .collect();
        Scanner { text, chars, at: 0 }
    }

    fn char(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c, _)| c)
    }

    fn class(&self, i: usize) -> Option<Class> {
        self.chars.get(i).map(|&(_, _, class)| class)
    }

    /// The first index from `i` whose class fails `test`.
    fn run(&self, mut i: usize, test: impl Fn(Class) -> bool) -> usize {
        while self.class(i).is_some_and(&test) {
            i += 1;
        }
        i
    }

    /// The end of the match that starts at `p` (at least `p + 1`).
    fn match_at(&self, p: usize) -> usize {
        // Alternatives 1 and 2, each first with the optional prefix character, then without.
        let prefixed = self.char(p).zip(self.class(p)).is_some_and(|(c, class)| {
            c != '\r' && c != '\n' && matches!(class, Class::Mark | Class::Space | Class::Other)
        });
        for word in [Self::lower_word, Self::upper_word] {
            if prefixed && let Some(end) = word(self, p + 1) {
                return end;
            }
            if let Some(end) = word(self, p) {
                return end;
            }
        }
        let class = self.class(p).expect("a match starts on a character");
        // \p{N}{1,3}
        if class == Class::Number {
            return self.run(p, |c| c == Class::Number).min(p + 3);
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n/]*
        let start = if self.char(p) == Some(' ') && self.class(p + 1).is_some_and(Class::is_symbol)
        {
            p + 1
        } else {
            p
        };
        if self.class(start).is_some_and(Class::is_symbol) {
            let mut end = self.run(start, Class::is_symbol);
            while matches!(self.char(end), Some('\r' | '\n' | '/')) {
                end += 1;
            }
            return end;
        }
        // Only white space is left: every other class matched above.
        debug_assert_eq!(class, Class::Space);
        let end = self.run(p, |c| c == Class::Space);
        // \s*[\r\n]+ ends after the run's last line break.
        if let Some(last_break) = (p..end)
            .rev()
            .find(|&i| matches!(self.char(i), Some('\r' | '\n')))
        {
            return last_break + 1;
        }
        // \s+(?!\S) leaves the run's last space to the word after it; \s+ takes a lone one.
        if end < self.chars.len() && end - p > 1 {
            end - 1
        } else {
            end
        }
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` and a contraction, from `s`.
    fn lower_word(&self, s: usize) -> Option<usize> {
        let upper_end = self.run(s, Class::is_upper);
        let end = if self.class(upper_end).is_some_and(Class::is_lower) {
            self.run(upper_end, Class::is_lower)
        } else {
            // Backtracking: the upper run gives back characters until one can be the lower part.
            (s..upper_end).rev().find(|&i| self.chars[i].2.is_lower())? + 1
        };
        Some(self.contraction(end))
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` and a contraction, from `s`.
    fn upper_word(&self, s: usize) -> Option<usize> {
        let upper_end = self.run(s, Class::is_upper);
        if upper_end == s {
            return None;
        }
        Some(self.contraction(self.run(upper_end, Class::is_lower)))
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `i`: where it ends (`i` when there is none).
    fn contraction(&self, i: usize) -> usize {
        // Simple case folding, as the regex crate does it: only ſ (long s) folds into these
        // letters besides their capitals.
        let folded = |j: usize| {
            self.char(j).map(|c| match c {
                'ſ' => 's',
                c => c.to_ascii_lowercase(),
            })
        };
        if self.char(i) != Some('\'') {
            return i;
        }
        match (folded(i + 1), folded(i + 2)) {
            (Some('s' | 't' | 'm' | 'd'), _) => i + 2,
            (Some('r' | 'v'), Some('e')) | (Some('l'), Some('l')) => i + 3,
            _ => i,
        }
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.chars.len() {
            return None;
        }
        let end = self.match_at(self.at);
        let from = self.chars[self.at].0;
        let to = self.chars.get(end).map_or(self.text.len(), |&(i, _, _)| i);
        self.at = end;
        Some(&self.text[from..to])
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use proptest::prelude::*;

    use super::*;

    const UPDATE: &str = "AI_PLUGIN_UPDATE_TABLES";

    fn tiktoken_pieces(text: &str) -> Vec<&str> {
        static PATTERN: OnceLock<fancy_regex::Regex> = OnceLock::new();
        PATTERN
            .get_or_init(|| {
                fancy_regex::Regex::new(tiktoken_rs::O200K_BASE_PAT_STR)
                    .expect("tiktoken's pattern")
            })
            .find_iter(text)
            .map(|m| m.expect("the pattern matches").as_str())
            .collect()
    }

    fn tiktoken_count(text: &str) -> usize {
        tiktoken_rs::o200k_base_singleton()
            .encode_ordinary(text)
            .len()
    }

    fn assert_same_as_tiktoken(text: &str) {
        let ours: Vec<&str> = Scanner::new(text).collect();
        assert_eq!(ours, tiktoken_pieces(text), "pieces of {text:?}");
        assert_eq!(count(text), tiktoken_count(text), "count of {text:?}");
    }

    #[test]
    fn counts_as_tiktoken_does_on_the_repository_texts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = 0;
        for entry in walkdir::WalkDir::new(root.join("templates"))
            .into_iter()
            .chain(walkdir::WalkDir::new(root.join("tests/fixtures")))
            .chain(walkdir::WalkDir::new(root.join("README.md")))
        {
            let entry = entry.expect("a readable tree");
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                assert_same_as_tiktoken(&text);
                texts += 1;
            }
        }
        assert!(texts > 100, "only {texts} texts read");
    }

    #[test]
    fn splits_as_the_pattern_does_where_it_backtracks() {
        for text in [
            "",
            "hello world",
            "Hello World HELLO wORLD",
            "  two spaces before, three after   ",
            "trailing spaces   ",
            "line\r\n\r\n  indented\n\tтаб",
            "don't we'LL they'RE I'M it'ſ O'NEIL 'tis '",
            "12345 1,000,000 ²³ Ⅻ ٣٤٥",
            "CamelCase HTTPServer ǅemal ʰaʰ 中文字 あいう",
            "e\u{301}\u{301} \u{301}x A\u{301}B \u{301}\u{301}",
            "a/b/c\n// comment\n/*x*/",
            "emoji 👍🏽 and ZWJ 👩‍💻!!!",
            "\u{a0}nbsp \u{2028}line sep\u{3000}ideographic",
            "{\"type\":\"object\",\"additionalProperties\":false}",
        ] {
            assert_same_as_tiktoken(text);
        }
    }

    proptest! {
        #[test]
        fn splits_and_counts_as_tiktoken_on_any_mix_of_classes(
            text in "[aZ'sStTrReEvVlLmMdDſ \\r\\n\\t/1٣²Ⅻ\u{301}ǅʰ中あ👍.,!\u{a0}\u{2028}_-]{0,40}"
        ) {
            assert_same_as_tiktoken(&text);
        }
    }

    #[test]
    fn char_classes_are_the_regex_crates() {
        let is = |pattern: &str| regex::Regex::new(&format!("^{pattern}$")).expect("a class");
        let tests = [
            (is(r"[\p{Lu}\p{Lt}]"), Class::Upper),
            (is(r"\p{Ll}"), Class::Lower),
            (is(r"[\p{Lm}\p{Lo}]"), Class::OtherLetter),
            (is(r"\p{M}"), Class::Mark),
            (is(r"\p{N}"), Class::Number),
            (is(r"\s"), Class::Space),
        ];
        let mut runs: Vec<(u32, Class)> = Vec::new();
        let mut buf = [0u8; 4];
        for code in 0..=u32::from(char::MAX) {
            let class = char::from_u32(code).map_or(Class::Other, |c| {
                let c: &str = c.encode_utf8(&mut buf);
                tests
                    .iter()
                    .find(|(re, _)| re.is_match(c))
                    .map_or(Class::Other, |&(_, class)| class)
            });
            if runs.last().is_none_or(|&(_, last)| last != class) {
                runs.push((code, class));
            }
        }
        if std::env::var_os(UPDATE).is_some() {
            write_classes(&runs);
        }
        assert!(
            runs == classes::RUNS,
            "src/tokens/o200k/classes.rs differs from the regex crate's Unicode tables; run this \
             test with {UPDATE}=1 to write it again"
        );
    }

    fn write_classes(runs: &[(u32, Class)]) {
        let mut out = String::from(
            "//! Generated from the `regex` crate's Unicode tables by the test\n\
             //! `tokens::o200k::tests::char_classes_are_the_regex_crates`; do not edit (run that \
             test with\n//! `AI_PLUGIN_UPDATE_TABLES=1` to write it again).\n\n\
             use super::Class::{\n    self, Lower as L, Mark as M, Number as N, Other as X, \
             OtherLetter as O, Space as S, Upper as U,\n};\n\n\
             /// The first code point of each run of characters of one class, and that class.\n\
             #[rustfmt::skip]\npub(super) const RUNS: &[(u32, Class)] = &[\n",
        );
        for line in runs.chunks(8) {
            let cells: Vec<String> = line
                .iter()
                .map(|&(start, class)| {
                    let short = match class {
                        Class::Upper => 'U',
                        Class::Lower => 'L',
                        Class::OtherLetter => 'O',
                        Class::Mark => 'M',
                        Class::Number => 'N',
                        Class::Space => 'S',
                        Class::Other => 'X',
                    };
                    format!("(0x{start:x}, {short}),")
                })
                .collect();
            let _ = writeln!(out, "    {}", cells.join(" "));
        }
        out.push_str("];\n");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tokens/o200k/classes.rs");
        std::fs::write(path, out).expect("classes.rs is writable");
    }

    #[test]
    fn vocabulary_is_tiktokens() {
        let bpe = tiktoken_rs::o200k_base_singleton();
        let mut expected = Vec::new();
        for rank in 0..199_998 {
            let token = bpe.decode_bytes(&[rank]).expect("a rank of o200k_base");
            expected.push(u8::try_from(token.len()).expect("tokens are short"));
            expected.extend(token);
        }
        if std::env::var_os(UPDATE).is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tokens/o200k_base.bin");
            std::fs::write(path, &expected).expect("o200k_base.bin is writable");
        }
        assert!(
            expected == VOCABULARY,
            "src/tokens/o200k_base.bin differs from tiktoken-rs's o200k_base; run this test with \
             {UPDATE}=1 to write it again"
        );
        assert_eq!(ranks().len(), 199_998);
    }

    #[test]
    fn a_long_piece_merges_as_tiktoken_does() {
        // tiktoken merges pieces of 100 bytes or more with a heap; the result is the same.
        for text in ["x".repeat(500), "ab".repeat(300), "🎉".repeat(120)] {
            assert_same_as_tiktoken(&text);
        }
    }
}
