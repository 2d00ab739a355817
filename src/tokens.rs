//! Token counts: what a text costs the model, in `o200k_base` (ChatGPT) and `cl100k_base` (an
//! estimate for Claude). A leaf, so that both `preview` and `check`'s MCP rules can count.

/// The tokens of `text` in `o200k_base` (ChatGPT's encoding); without the `tokenizer` feature,
/// an estimate of one token per four characters.
pub fn count_tokens(text: &str) -> usize {
    match counters() {
        Some((o200k, _)) => o200k(text),
        None => text.chars().count().div_ceil(4),
    }
}

/// Counts the tokens of a text.
pub type Counter = Box<dyn Fn(&str) -> usize>;

/// The `o200k_base` and `cl100k_base` counters, when the `tokenizer` feature is on.
#[cfg(feature = "tokenizer")]
pub fn counters() -> Option<(Counter, Counter)> {
    let o200k = tiktoken_rs::o200k_base_singleton();
    let cl100k = tiktoken_rs::cl100k_base_singleton();
    Some((
        Box::new(move |text: &str| o200k.encode_ordinary(text).len()),
        Box::new(move |text: &str| cl100k.encode_ordinary(text).len()),
    ))
}

/// The `o200k_base` and `cl100k_base` counters, when the `tokenizer` feature is on.
#[cfg(not(feature = "tokenizer"))]
pub fn counters() -> Option<(Counter, Counter)> {
    None
}
