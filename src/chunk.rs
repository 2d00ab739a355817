//! Splitting a long handlebars template into pieces that compile fast and render the same.
//!
//! handlebars' parser is slow per character, and it records each element's line by counting
//! from the start of the text, so compiling the long files of a generated project took most of
//! `new`'s time. Lines without any tag are passed through untouched, and a template is cut
//! only after a line break where no block is open and no `~` whitespace control reaches
//! across, so every piece is a whole template and the pieces' output, joined, is the
//! template's output.

/// A piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text without any `{{`: it renders as itself.
    Verbatim(&'a str),
    /// Text to compile and render.
    Template(&'a str),
}

impl<'a> Piece<'a> {
    /// The piece's text.
    pub fn text(self) -> &'a str {
        match self {
            Piece::Verbatim(text) | Piece::Template(text) => text,
        }
    }
}

/// `text` cut into pieces that render, in order, exactly as `text` renders: runs of lines
/// without tags are verbatim, and everything else is cut only after a line break where no
/// block is open and no `~` whitespace control reaches across.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut cuts = vec![0];
    let mut depth = 0usize;
    let mut at = 0;
    let bytes = text.as_bytes();
    // Once a `~` tag has been read, handlebars-rust strips whitespace around a later comment
    // (inline or alone on its line) that the comment's piece rendered alone keeps: no cut
    // between the first `~` and the last comment.
    let first_tilde = [text.find("{{~"), text.find("~}}")]
        .into_iter()
        .flatten()
        .min();
    let last_comment = text.rfind("{{!").or_else(|| text.rfind("{{~!"));
    let tilde_reaches_comment = |end: usize| {
        first_tilde.is_some_and(|tilde| tilde < end) && last_comment.is_some_and(|c| c >= end)
    };
    while at < bytes.len() {
        if bytes[at] == b'\n' {
            at += 1;
            if depth == 0
                && !tilde_reaches_comment(at)
                && may_cut(text, *cuts.last().expect("starts with 0"), at)
            {
                cuts.push(at);
            }
            continue;
        }
        if !(bytes[at] == b'{' && bytes.get(at + 1) == Some(&b'{')) {
            at += 1;
            continue;
        }
        // A raw block, a comment or an expression: skip it whole, noting blocks.
        let tag = &text[at..];
        let close = if tag.starts_with("{{{{") {
            // Raw blocks are never cut: the rest is one piece.
            None
        } else if tag.starts_with("{{!--") || tag.starts_with("{{~!--") {
            tag.find("--}}").map(|i| i + 4)
        } else {
            tag.find("}}").map(|i| i + 2)
        };
        let Some(close) = close else {
            // An unclosed tag or a raw block: leave the rest whole for the parser.
            break;
        };
        let inner = tag[2..].trim_start_matches('~').trim_start();
        let inverse_open = inner.starts_with('^') && !inner[1..].trim_start().starts_with("}}");
        if inner.starts_with('#') || inverse_open {
            depth += 1;
        } else if inner.starts_with('/') {
            depth = depth.saturating_sub(1);
        }
        at += close;
    }
    // The rest, including all of it after a raw block or an unclosed tag, is one segment.
    if *cuts.last().expect("starts with 0") < text.len() {
        cuts.push(text.len());
    }

    // Join neighbouring lines of the same kind, so each template piece is compiled once.
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let mut run_start = 0;
    let mut run_is_template = None;
    for window in cuts.windows(2) {
        let segment = &text[window[0]..window[1]];
        let is_template = segment.contains("{{");
        match run_is_template {
            Some(kind) if kind != is_template => {
                pieces.push(piece(&text[run_start..window[0]], kind));
                run_start = window[0];
            }
            _ => {}
        }
        run_is_template = Some(is_template);
    }
    match run_is_template {
        Some(kind) => pieces.push(piece(&text[run_start..], kind)),
        None => pieces.push(Piece::Template(text)),
    }
    pieces
}

/// The deepest nesting of blocks and, inside a tag, of `(`, `[` and `{` that a template may
/// have. handlebars parses and renders nesting by recursion: a few thousand levels (3,000
/// `{{#if}}` blocks, 4,000 subexpressions) overflow the main thread's stack and abort the
/// process, and pest's stack guard catches only the parser's share. Real templates nest a
/// handful of levels.
pub const MAX_NESTING: usize = 100;

/// Refuses a text that nests deeper than [`MAX_NESTING`], before handlebars reads it: the byte
/// offset of the tag where the limit is passed, and the message to show. Over-counting is
/// harmless (a `(` in a `[...]` path key counts), as real templates stay far below the limit.
pub fn too_deep(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let mut blocks = 0usize;
    let mut at = 0;
    while let Some(found) = text[at..].find("{{") {
        let start = at + found;
        let escaped = bytes[..start]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count()
            % 2
            == 1;
        if escaped {
            at = start + 2;
            continue;
        }
        let tag = &text[start..];
        if tag.starts_with("{{{{") {
            // A raw block's text is not parsed: skip to after its end tag.
            match tag
                .find("{{{{/")
                .and_then(|end| tag[end..].find("}}}}").map(|e| end + e + 4))
            {
                Some(end) => at = start + end,
                None => return None,
            }
            continue;
        }
        let inner = tag[2..].trim_start_matches('~');
        if inner.starts_with('!') {
            let end = if inner.starts_with("!--") {
                "--}}"
            } else {
                "}}"
            };
            match tag.find(end) {
                Some(i) => at = start + i + end.len(),
                None => return None,
            }
            continue;
        }
        let inner = inner.trim_start();
        if inner.starts_with('/') {
            blocks = blocks.saturating_sub(1);
        } else if inner.starts_with('#')
            || (inner.starts_with('^') && !inner[1..].trim_start().starts_with("}}"))
        {
            // `{{^}}` alone is `{{else}}`; `{{^name}}` opens an inverse block.
            blocks += 1;
        }
        // The tag itself: brackets outside string literals, up to `}}` at bracket depth 0.
        let mut brackets = 0usize;
        let mut quote = None;
        let mut i = 2;
        let tag_bytes = tag.as_bytes();
        while i < tag_bytes.len() {
            let b = tag_bytes[i];
            if let Some(q) = quote {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            } else {
                match b {
                    b'"' | b'\'' => quote = Some(b),
                    b'(' | b'[' | b'{' => brackets += 1,
                    b'}' if brackets == 0 && tag_bytes.get(i + 1) == Some(&b'}') => break,
                    b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
                    _ => {}
                }
            }
            let depth = blocks + brackets;
            if depth > MAX_NESTING {
                return Some((
                    start + i,
                    format!(
                        "blocks and brackets nest {depth} levels deep here; ai-plugin reads at \
                         most {MAX_NESTING} (deeper would overflow the stack): flatten the \
                         template, for example with `{{{{else if ...}}}}` or a partial"
                    ),
                ));
            }
            i += 1;
        }
        if blocks > MAX_NESTING {
            return Some((
                start,
                format!(
                    "blocks nest {blocks} levels deep here; ai-plugin reads at most \
                     {MAX_NESTING} (deeper would overflow the stack): flatten the template, \
                     for example with `{{{{else if ...}}}}` or a partial"
                ),
            ));
        }
        if i >= tag_bytes.len() {
            // An unclosed tag: the parser reports it.
            return None;
        }
        at = start + i + 2;
    }
    None
}

/// [`too_deep`] as an error naming the line and column, for the texts rendered without
/// `template check` first (partials, file names, variables' defaults).
pub fn refuse_too_deep(text: &str) -> Result<(), String> {
    match too_deep(text) {
        Some((offset, message)) => {
            let (line, column) = crate::template::check::line_column(text, offset);
            Err(format!("line {line}, column {column}: {message}"))
        }
        None => Ok(()),
    }
}

fn piece(text: &str, is_template: bool) -> Piece<'_> {
    if is_template {
        Piece::Template(text)
    } else {
        Piece::Verbatim(text)
    }
}

/// Whether whitespace control (`~`) would reach across the cut: on the line before or after
/// it, or further away across lines holding only whitespace (`~` strips all whitespace on its
/// side, newlines included, up to the next other character).
fn may_cut(text: &str, start: usize, end: usize) -> bool {
    let before = &text[start..end];
    let last_line = before[..before.len() - 1]
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..]);
    let after = &text[end..];
    let next_line = after.split('\n').next().unwrap_or_default();
    let reaches_forward =
        text[..end].trim_end().ends_with("~}}") || text[..end].trim_end().ends_with("~}}}");
    let reaches_back = after.trim_start().starts_with("{{~");
    // When a comment stands alone on its line, handlebars-rust strips line breaks around it
    // beyond that line (before it, and after the tag that follows it): no cut on the line
    // before such a comment, nor in the two lines after it.
    let standalone_comment = text[..end]
        .trim_end_matches('\n')
        .rsplit('\n')
        .take(2)
        .chain(std::iter::once(next_line))
        .any(|line| line.trim_start().starts_with("{{!"));
    !last_line.contains("~}}")
        && !next_line.contains("{{~")
        && !reaches_forward
        && !reaches_back
        && !standalone_comment
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::render;

    fn render_whole(text: &str, data: &serde_json::Value) -> String {
        render::registry().render_template(text, data).unwrap()
    }

    fn render_pieces(text: &str, data: &serde_json::Value) -> String {
        pieces(text)
            .into_iter()
            .map(|piece| match piece {
                Piece::Verbatim(text) => text.to_owned(),
                Piece::Template(text) => render_whole(text, data),
            })
            .collect()
    }

    fn joined(text: &str) -> String {
        pieces(text).into_iter().map(Piece::text).collect()
    }

    fn long_template() -> String {
        let mut text = String::new();
        for i in 0..60 {
            let _ = writeln!(text, "line {i} of {{{{name}}}}");
            text.push_str("plain line: { braces } and } alone\n\n");
            text.push_str("{{#if flag}}\n  flagged {{name}}\n{{else}}\n  not flagged\n{{/if}}\n");
            text.push_str("{{#each items}}\n- {{this}}{{#unless @last}},{{/unless}}\n{{/each}}\n");
            // Comments, then `~` tags: a comment after a `~` tag keeps the text between whole.
            if i < 30 {
                text.push_str("{{!-- a comment with }} inside --}}\n");
            } else if i % 7 == 0 {
                text.push_str("keep   \n{{~#if flag}} trimmed {{/if~}}\n   next\n");
            }
        }
        text
    }

    #[test]
    fn pieces_join_to_the_text() {
        let text = long_template();
        let pieces = pieces(&text);
        assert!(pieces.len() > 5, "{}", pieces.len());
        assert_eq!(joined(&text), text);
        for pair in pieces.windows(2) {
            assert_ne!(
                std::mem::discriminant(&pair[0]),
                std::mem::discriminant(&pair[1]),
                "neighbours of one kind are joined"
            );
        }
    }

    #[test]
    fn lines_without_tags_are_verbatim() {
        let text = "fn a() {}\n{{#if x}}\ny\n{{/if}}\nfn b() {}\nfn c() {}\n";
        assert_eq!(
            pieces(text),
            [
                Piece::Verbatim("fn a() {}\n"),
                Piece::Template("{{#if x}}\ny\n{{/if}}\n"),
                Piece::Verbatim("fn b() {}\nfn c() {}\n"),
            ]
        );
    }

    #[test]
    fn pieces_render_as_the_whole_does() {
        let text = long_template();
        for flag in [true, false] {
            let data = serde_json::json!({"name": "x", "flag": flag, "items": ["a", "b"]});
            assert_eq!(render_pieces(&text, &data), render_whole(&text, &data));
        }
    }

    #[test]
    fn no_piece_ends_inside_a_block() {
        let mut text = String::from("{{#if flag}}\n");
        text.push_str(&"x\n".repeat(2000));
        text.push_str("{{/if}}\nafter\n");
        let pieces = pieces(&text);
        assert_eq!(pieces.len(), 2);
        let block = pieces[0].text();
        assert!(block.starts_with("{{#if flag}}") && block.ends_with("{{/if}}\n"));
        assert_eq!(pieces[1], Piece::Verbatim("after\n"));
    }

    #[test]
    fn text_of_any_script_is_cut_at_character_boundaries() {
        let text = "é 🎉 {{x}} ü\n".repeat(400);
        assert_eq!(joined(&text), text);
    }

    #[test]
    fn short_and_unusual_texts_stay_whole() {
        assert_eq!(pieces(""), [Piece::Template("")]);
        assert_eq!(
            pieces("no newline {{x}}"),
            [Piece::Template("no newline {{x}}")]
        );
        let unclosed = format!("{}\n{{{{#if", "a".repeat(3000));
        assert_eq!(joined(&unclosed), unclosed);
    }

    #[test]
    fn whitespace_control_reaches_across_blank_lines() {
        let data = serde_json::json!({"name": "N", "flag": true});
        for text in [
            "{ x }\n\n   {{~name}} tail\n",
            "{{#if flag}}a{{/if~}}\n\n\nplain\n",
            "{{name~}}\n   \n\t\nnext {{name}}\n",
            "{{!-- a }} comment --}}\n{{name}}\nplain line\n",
            "{{name~}}\n{ x }\n{{!-- a }} comment --}}\n{{name}}\nplain line\n",
            "keep   \né\n{{!-- a }} comment --}}\n\nplain line\n",
            // A comment anywhere after a `~` tag: handlebars-rust strips around it.
            "{{name~}}\nkeep   \n{ x }\nx {{!-- c --}} y\n",
        ] {
            assert_eq!(
                render_pieces(text, &data),
                render_whole(text, &data),
                "{text:?}"
            );
        }
    }

    fn nested_ifs(depth: usize) -> String {
        "{{#if a}}".repeat(depth) + "x" + &"{{/if}}".repeat(depth)
    }

    fn nested_subexpressions(depth: usize) -> String {
        format!(
            "{{{{snake_case {}a{}}}}}",
            "(snake_case ".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_where_it_passes_it() {
        for text in [
            nested_ifs(100_000),
            nested_subexpressions(100_000),
            format!("{{{{x {}{}}}}}", "[".repeat(100_000), "]".repeat(100_000)),
            nested_ifs(MAX_NESTING + 1),
        ] {
            let (offset, message) = too_deep(&text).expect("refused");
            assert!(offset < 20 * (MAX_NESTING + 1), "{offset}");
            assert!(
                message.contains("nest") && message.contains("flatten"),
                "{message}"
            );
            assert!(
                refuse_too_deep(&text)
                    .unwrap_err()
                    .starts_with("line 1, column ")
            );
        }
    }

    #[test]
    fn nesting_up_to_the_limit_renders_even_on_a_test_threads_stack() {
        // Test threads have 2 MB of stack and a debug build's frames are large: the limit must
        // hold there too, so the refusal is the only way a deep template fails.
        let data = serde_json::json!({ "a": "A b" });
        let ifs = nested_ifs(MAX_NESTING);
        assert_eq!(too_deep(&ifs), None);
        assert_eq!(render_whole(&ifs, &data), "x");
        let mixed = "{{#if a}}".repeat(MAX_NESTING / 2)
            + &nested_subexpressions(MAX_NESTING / 2 - 1)
            + &"{{/if}}".repeat(MAX_NESTING / 2);
        assert_eq!(too_deep(&mixed), None);
        assert_eq!(render_whole(&mixed, &data), "a_b");
    }

    #[test]
    fn what_handlebars_does_not_nest_is_not_counted() {
        let many = |one: &str| one.repeat(3 * MAX_NESTING);
        for text in [
            many("{{#if a}}x{{^}}y{{/if}}\n"),
            many("{{#if a}}x{{else}}y{{/if}}"),
            format!("{{{{x \"{}\" '{}'}}}}", "(".repeat(500), "[".repeat(500)),
            format!(
                "{{{{!-- {} --}}}}{{{{! {} }}}}",
                nested_ifs(500),
                "(".repeat(500)
            ),
            format!("{{{{{{{{raw}}}}}}}}{}{{{{{{{{/raw}}}}}}}}", nested_ifs(500)),
            many("\\{{#if a}}"),
            many("{{{a}}}{{x (y (z))}}"),
        ] {
            assert_eq!(too_deep(&text), None, "{}", &text[..60]);
        }
    }
}
