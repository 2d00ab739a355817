//! Token counts: what a text costs the model, in `o200k_base`, the encoding of every current
//! `OpenAI` model (GPT-4o, GPT-4.1, GPT-5, the o-series). Other hosts tokenize differently (Claude's
//! tokenizer is not public), so a count is exact for ChatGPT and an estimate elsewhere. A leaf, so
//! that both `preview` and `check`'s MCP rules can count.

#[cfg(feature = "tokenizer")]
mod o200k;

/// The encoding the counts are in.
pub const ENCODING: &str = "o200k_base";

/// The tokens of `text` in `o200k_base`; without the `tokenizer` feature, an estimate of one
/// token per four characters.
pub fn count_tokens(text: &str) -> usize {
    exact_count(text).unwrap_or_else(|| text.chars().count().div_ceil(4))
}

/// The tokens of `text` in `o200k_base`, or `None` when this build has no tokenizer (the
/// `tokenizer` feature is off).
#[cfg(feature = "tokenizer")]
pub fn exact_count(text: &str) -> Option<usize> {
    Some(o200k::count(text))
}

/// The tokens of `text` in `o200k_base`, or `None` when this build has no tokenizer (the
/// `tokenizer` feature is off).
#[cfg(not(feature = "tokenizer"))]
pub fn exact_count(_text: &str) -> Option<usize> {
    None
}
