//! YAML text to the JSON value a host's loader reads from it, with where each value starts.
//!
//! granit-parser reads the text into events (it does all of YAML's syntax: flow and block
//! styles, quoting, escapes, block scalars, anchors, tags). This module builds the value from
//! those events the way YAML 1.2's core schema (the one `OpenAPI` 3.1 names) says:
//! - a plain scalar is `null` (`~`, `null`, empty), a boolean (`true`, `false`, in lower case,
//!   capitalized or upper case), an integer (decimal, `0o` octal, `0x` hexadecimal), a float
//!   (with `.inf` and `.nan`, which JSON cannot hold and which stay text), or else text; a
//!   quoted or block scalar is text; the core tags (`!!str`, `!!int`, …) choose the type;
//! - an alias is a copy of its anchor's value, and a `<<` key merges mappings into its own
//!   (keys written in the mapping win);
//! - a key is the text it is written as (`200:` is the key `"200"`).
//!
//! It refuses, each with the place: a duplicate key (loaders disagree on which one wins), a
//! mapping or list used as a key (JSON has none), a second document, nesting deeper than 128
//! levels, aliases included (as `serde_json` does for JSON), and aliases that expand to more
//! than [`MAX_ALIASED_NODES`] values (a "billion laughs" text of a few hundred bytes would
//! otherwise fill the memory).

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use crate::document::{index_path, key_path};

/// How deep mappings and lists may nest: `serde_json`'s limit for JSON.
pub const MAX_DEPTH: usize = 128;

/// How many values aliases may copy in all; more is refused as a YAML bomb. Far above what any
/// real spec holds (one copied response schema is tens of values).
pub const MAX_ALIASED_NODES: usize = 1_000_000;

/// A YAML text read into a value.
#[derive(Debug)]
pub struct Loaded {
    /// The document's value (`null` for an empty text).
    pub value: Value,
    /// JSON path (as [`key_path`] and [`index_path`] write it) → byte offset where the value,
    /// or for a member of a mapping its key, starts.
    pub spans: HashMap<String, usize>,
}

/// Why a YAML text could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Where: a byte offset into the text.
    pub offset: usize,
    /// What was wrong, in the parser's words or ours.
    pub message: String,
    /// True for a syntax error (the text is not YAML); false for YAML that has no JSON value.
    pub syntax: bool,
}

/// Reads `text` (one YAML document) into a JSON value and the index of where its values are.
pub fn load(text: &str) -> Result<Loaded, LoadError> {
    let mut events = Vec::new();
    for item in Parser::new_from_str(text) {
        match item {
            Ok((Event::Comment(..), _)) => {}
            Ok((event, span)) => {
                let offset = span
                    .start
                    .byte_offset()
                    .unwrap_or_else(|| char_to_byte(text, span.start.index()));
                events.push((event, offset));
            }
            Err(error) => {
                let marker = error.marker();
                let offset = marker
                    .byte_offset()
                    .unwrap_or_else(|| char_to_byte(text, marker.index()));
                return Err(LoadError {
                    offset,
                    message: error.info().clone(),
                    syntax: true,
                });
            }
        }
    }
    let mut builder = Builder {
        events: &events,
        at: 0,
        spans: HashMap::new(),
        anchors: HashMap::new(),
        aliased: 0,
    };
    builder.skip_while(|e| matches!(e, Event::StreamStart | Event::DocumentStart(..)));
    let value = match builder.peek() {
        None | Some((Event::StreamEnd | Event::DocumentEnd, _)) => Value::Null,
        Some(_) => builder.node("", 0)?,
    };
    builder.skip_while(|e| matches!(e, Event::DocumentEnd));
    if let Some((Event::DocumentStart(..), offset)) = builder.peek() {
        return Err(LoadError {
            offset: *offset,
            message: "a second YAML document starts here; a spec or manifest is one document"
                .to_owned(),
            syntax: false,
        });
    }
    Ok(Loaded {
        value,
        spans: builder.spans,
    })
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// Walks the events of one document, building its value.
struct Builder<'a, 'e> {
    events: &'a [(Event<'e>, usize)],
    at: usize,
    spans: HashMap<String, usize>,
    /// Anchor id → the value it was set on, for the aliases after it, and how deep it nests.
    anchors: HashMap<usize, (Value, usize)>,
    /// Values copied by aliases so far.
    aliased: usize,
}

impl<'e> Builder<'_, 'e> {
    fn peek(&self) -> Option<&(Event<'e>, usize)> {
        self.events.get(self.at)
    }

    fn skip_while(&mut self, skip: impl Fn(&Event<'e>) -> bool) {
        while self.peek().is_some_and(|(event, _)| skip(event)) {
            self.at += 1;
        }
    }

    fn error(offset: usize, message: String) -> LoadError {
        LoadError {
            offset,
            message,
            syntax: false,
        }
    }

    /// The node at the cursor, recorded under `path`.
    fn node(&mut self, path: &str, depth: usize) -> Result<Value, LoadError> {
        let Some((event, offset)) = self.events.get(self.at) else {
            return Ok(Value::Null);
        };
        let offset = *offset;
        self.spans.entry(path.to_owned()).or_insert(offset);
        self.at += 1;
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                (scalar(text, *style, tag.as_deref()), *anchor)
            }
            Event::Alias(id) => (self.alias(*id, offset, depth)?, 0),
            Event::SequenceStart(_, anchor, _) => {
                Self::nest(depth, offset)?;
                let mut items = Vec::new();
                while !matches!(self.peek(), None | Some((Event::SequenceEnd, _))) {
                    let item = self.node(&index_path(path, items.len()), depth + 1)?;
                    items.push(item);
                }
                self.at += 1;
                (Value::Array(items), *anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                Self::nest(depth, offset)?;
                (Value::Object(self.mapping(path, depth)?), *anchor)
            }
            _ => (Value::Null, 0),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), height(&value)));
        }
        Ok(value)
    }

    fn nest(depth: usize, offset: usize) -> Result<(), LoadError> {
        if depth >= MAX_DEPTH {
            return Err(Self::error(
                offset,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    /// A copy of anchor `id`'s value, for an alias at `depth`: within the nesting limit there
    /// too, and within the budget of copies.
    fn alias(&mut self, id: usize, offset: usize, depth: usize) -> Result<Value, LoadError> {
        let (anchored, anchored_height) = self.anchors.get(&id).unwrap_or(&(Value::Null, 0));
        if depth + anchored_height > MAX_DEPTH {
            return Err(Self::error(
                offset,
                format!("nested more than {MAX_DEPTH} levels deep, through this alias"),
            ));
        }
        self.aliased += count(anchored);
        if self.aliased > MAX_ALIASED_NODES {
            return Err(Self::error(
                offset,
                format!(
                    "its aliases copy more than {MAX_ALIASED_NODES} values (is it a YAML bomb?)"
                ),
            ));
        }
        Ok(anchored.clone())
    }

    /// The members of the mapping whose start the cursor has passed, up to its end.
    fn mapping(&mut self, path: &str, depth: usize) -> Result<Map<String, Value>, LoadError> {
        let mut members = Map::new();
        let mut merged = Vec::new();
        let events = self.events;
        loop {
            let Some((key_event, key_offset)) = events.get(self.at) else {
                return Ok(members);
            };
            let key_offset = *key_offset;
            let key = match key_event {
                Event::MappingEnd => {
                    self.at += 1;
                    break;
                }
                Event::Scalar(text, style, anchor, _) => {
                    if *anchor != 0 {
                        let key = Value::String(text.clone().into_owned());
                        self.anchors.insert(*anchor, (key, 0));
                    }
                    if *style == ScalarStyle::Plain && text == "<<" {
                        self.at += 1;
                        merged.push((key_offset, self.node(path, depth + 1)?));
                        continue;
                    }
                    text.clone().into_owned()
                }
                Event::Alias(id) => match self.anchors.get(id).map(|(value, _)| value) {
                    Some(Value::String(text)) => text.clone(),
                    Some(value @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                        value.to_string()
                    }
                    _ => return Err(Self::error(key_offset, complex_key())),
                },
                _ => return Err(Self::error(key_offset, complex_key())),
            };
            self.at += 1;
            if members.contains_key(&key) {
                return Err(Self::error(
                    key_offset,
                    format!(
                        "the key {} appears twice in one mapping; hosts' YAML loaders disagree on \
                         which one counts",
                        Value::String(key)
                    ),
                ));
            }
            let child = key_path(path, &key);
            self.spans.insert(child.clone(), key_offset);
            let value = self.node(&child, depth + 1)?;
            members.insert(key, value);
        }
        for (offset, value) in merged {
            let sources = match value {
                Value::Object(map) => vec![map],
                Value::Array(items) if items.iter().all(Value::is_object) => items
                    .into_iter()
                    .filter_map(|item| match item {
                        Value::Object(map) => Some(map),
                        _ => None,
                    })
                    .collect(),
                _ => {
                    return Err(Self::error(
                        offset,
                        "a merge key (<<) takes a mapping or a list of mappings".to_owned(),
                    ));
                }
            };
            for source in sources {
                for (key, value) in source {
                    members.entry(key).or_insert(value);
                }
            }
        }
        Ok(members)
    }
}

fn complex_key() -> String {
    "a key here is a mapping or a list, which JSON cannot hold; keys must be text".to_owned()
}

/// How many mappings and lists `value` nests: 0 for a scalar, 1 for `[1]`.
fn height(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(height).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(height).max().unwrap_or(0),
        _ => 0,
    }
}

/// How many values `value` holds, itself included.
fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// A scalar's value: by its core tag if it has one, else by the core schema when it is plain.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let text_value = || Value::String(text.to_owned());
    match tag.and_then(Tag::core_suffix) {
        Some("str") => return text_value(),
        Some("null") => return Value::Null,
        Some("bool") => return boolean(text).map_or_else(text_value, Value::Bool),
        Some("int") => return integer(text).unwrap_or_else(text_value),
        Some("float") => {
            return integer(text)
                .and_then(|n| n.as_f64())
                .or_else(|| float(text))
                .and_then(Number::from_f64)
                .map_or_else(text_value, Value::Number);
        }
        _ => {}
    }
    // `! text` (the non-specific tag) is text too.
    let non_specific = tag.is_some_and(|t| t.handle().is_empty() && t.suffix() == "!");
    if style != ScalarStyle::Plain || non_specific {
        return text_value();
    }
    resolve_plain(text)
}

/// The core schema's reading of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = boolean(text) {
        return Value::Bool(b);
    }
    if let Some(number) = integer(text) {
        return number;
    }
    float(text)
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`; past 64 bits, the nearest float.
fn integer(text: &str) -> Option<Value> {
    let (radix, digits) = if let Some(octal) = text.strip_prefix("0o") {
        (8, octal)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(if let Ok(n) = text.parse::<i64>() {
            Value::from(n)
        } else if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            Value::from(n)
        } else {
            Number::from_f64(text.parse::<f64>().ok()?).map(Value::Number)?
        });
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if let Ok(n) = u64::from_str_radix(digits, radix) {
        return Some(Value::from(n));
    }
    let wide = digits
        .chars()
        .filter_map(|c| c.to_digit(radix))
        .fold(0f64, |n, d| n * f64::from(radix) + f64::from(d));
    Number::from_f64(wide).map(Value::Number)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`; `.inf` and `.nan` are not finite, so
/// they give `None` here and stay text.
fn float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && (!whole.is_empty() || !fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fmt::Write as _;

    fn value(text: &str) -> Value {
        load(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
            .value
    }

    fn refused(text: &str) -> LoadError {
        load(text).expect_err(text)
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let text = "- ~\n- null\n- NULL\n-\n- nUll\n- true\n- False\n- TRUE\n- tRue\n- yes\n\
                    - no\n- on\n- 12\n- -3\n- +4\n- 0o17\n- 0x1F\n- 017\n- 1_000\n- 0b101\n\
                    - 1.5\n- .5\n- 1.\n- -1e3\n- 6.8523015e+5\n- .inf\n- -.Inf\n- .nan\n\
                    - 1e400\n- 2001-12-14\n- 1.2.3\n- '12'\n- \"true\"\n- |\n  12\n";
        assert_eq!(
            value(text),
            json!([
                null,
                null,
                null,
                null,
                "nUll",
                true,
                false,
                true,
                "tRue",
                "yes",
                "no",
                "on",
                12,
                -3,
                4,
                15,
                31,
                17,
                "1_000",
                "0b101",
                1.5,
                0.5,
                1.0,
                -1000.0,
                685_230.15,
                ".inf",
                "-.Inf",
                ".nan",
                "1e400",
                "2001-12-14",
                "1.2.3",
                "12",
                "true",
                "12\n"
            ])
        );
    }

    #[test]
    fn integers_past_64_bits_become_floats() {
        assert_eq!(
            value(
                "- 18446744073709551615\n- 18446744073709551616\n- -9223372036854775809\n- 0xFFFFFFFFFFFFFFFFF\n"
            ),
            json!([
                u64::MAX,
                18_446_744_073_709_551_616.0,
                -9_223_372_036_854_775_809.0,
                295_147_905_179_352_830_000.0
            ])
        );
    }

    #[test]
    fn core_tags_choose_the_type() {
        assert_eq!(
            value(
                "- !!str 1\n- !!int \"2\"\n- !!float 3\n- !!bool \"true\"\n- !!null ''\n- !custom 5\n- ! 6\n- !!int x\n"
            ),
            json!(["1", 2, 3.0, true, null, 5, "6", "x"])
        );
    }

    #[test]
    fn keys_are_the_text_they_are_written_as() {
        assert_eq!(
            value("200: a\n~: b\ntrue: c\n1.50: d\n'x': e\n"),
            json!({"200": "a", "~": "b", "true": "c", "1.50": "d", "x": "e"})
        );
    }

    #[test]
    fn aliases_copy_their_anchor_and_merge_keys_merge() {
        assert_eq!(
            value("a: &x {k: 1}\nb: *x\nc: &s 7\n*s : 3\n"),
            json!({"a": {"k": 1}, "b": {"k": 1}, "c": 7, "7": 3})
        );
        assert_eq!(
            value("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n"),
            json!({"base": {"x": 1, "y": 2}, "d": {"y": 3, "x": 1}}),
            "a key written in the mapping wins over a merged one"
        );
        assert_eq!(
            value("d:\n  <<: [{a: 1}, {a: 2, b: 2}]\n'<<': q\n"),
            json!({"d": {"a": 1, "b": 2}, "<<": "q"}),
            "the first merged mapping wins; a quoted << is an ordinary key"
        );
        assert!(refused("d:\n  <<: 5\n").message.contains("merge key"));
    }

    #[test]
    fn an_empty_text_is_null_and_one_document_may_be_marked() {
        assert_eq!(value(""), Value::Null);
        assert_eq!(value("# only a comment\n"), Value::Null);
        assert_eq!(value("---\na: 1\n...\n"), json!({"a": 1}));
    }

    #[test]
    fn what_json_cannot_hold_is_refused_at_its_place() {
        let duplicate = refused("a: 1\nb: 2\na: 3\n");
        assert_eq!((duplicate.offset, duplicate.syntax), (10, false));
        assert!(
            duplicate.message.contains("\"a\" appears twice"),
            "{duplicate:?}"
        );
        assert_eq!(refused("x: 1\n? [a]\n: 1\n").offset, 7);
        let second = refused("a: 1\n---\nb: 2\n");
        assert_eq!(second.offset, 5);
        assert!(second.message.contains("second YAML document"));
    }

    #[test]
    fn a_syntax_error_is_placed() {
        let error = refused("a: [1, 2\nb: 3\n");
        assert!(error.syntax);
        assert!(error.offset > 0 && error.offset <= 14, "{error:?}");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(count(&value(&deep(MAX_DEPTH))), MAX_DEPTH);
        let error = refused(&deep(MAX_DEPTH + 1));
        assert!(error.message.contains("nested more than 128"), "{error:?}");
        assert_eq!(error.offset, MAX_DEPTH);
        assert!(
            load(&deep(100_000)).is_err(),
            "refused, not a stack overflow"
        );
        // Aliases stack nesting too: each level holds the one before, 60 lists deeper.
        let mut chain = String::new();
        for level in 0..3 {
            let inner = if level == 0 {
                "x".to_owned()
            } else {
                format!("*a{}", level - 1)
            };
            writeln!(
                chain,
                "a{level}: &a{level} {}{inner}{}",
                "[".repeat(60),
                "]".repeat(60)
            )
            .unwrap();
        }
        let two: String = chain.split_inclusive('\n').take(2).collect();
        assert_eq!(
            height(&value(&two)),
            1 + 60 + 60,
            "within the limit through an alias"
        );
        let error = refused(&chain);
        assert!(error.message.contains("through this alias"), "{error:?}");
        assert_eq!(error.offset, two.len() + "a2: &a2 ".len() + 60);
    }

    #[test]
    fn a_yaml_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let list = [previous.as_str(); 10].join(", ");
            writeln!(text, "a{level}: &a{level} [{list}]").unwrap();
        }
        let error = refused(&text);
        assert!(error.message.contains("YAML bomb"), "{error:?}");
        assert!(text.len() < 1_000);
    }

    #[test]
    fn values_and_keys_are_located() {
        let text = "a:\n  b: [1, {c: 2}]\n  'd.e': x\n";
        let spans = load(text).unwrap().spans;
        let at = |path: &str| spans.get(path).copied();
        assert_eq!(at(""), Some(0));
        assert_eq!(at("a"), Some(0));
        assert_eq!(at("a.b"), Some(5));
        assert_eq!(at("a.b[0]"), Some(9));
        assert_eq!(at("a.b[1].c"), Some(13));
        assert_eq!(at("a[\"d.e\"]"), Some(22));
    }

    /// Any JSON value, with text that looks like other types, numbers at the edges and keys
    /// that need quoting.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = prop_oneof![
            "[ -~\u{a0}-\u{2ff}\n\t]{0,12}",
            prop::sample::select(vec![
                "",
                "~",
                "null",
                "true",
                "False",
                "yes",
                "no",
                "on",
                "12",
                "-3",
                "0o17",
                "0x1F",
                "1.5",
                ".inf",
                ".nan",
                "1e3",
                "<<",
                "- x",
                "a: b",
                "#c",
                "&a",
                "*a",
                "!t",
                "'q'",
                "\"d\"",
                " pad ",
                "2001-12-14",
                "1_000",
            ])
            .prop_map(str::to_owned),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON holds finite numbers", |f| f.is_finite())
                .prop_map(Value::from),
            text.clone().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((text.clone(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// A value's JSON text (JSON is YAML) reads back as the value, and what another YAML
        /// library (serde-saphyr) writes for it reads as that library reads it. (Not always as
        /// the value: it writes the text "\n" as an empty block scalar, which is "".)
        #[test]
        fn what_a_yaml_writer_writes_reads_back(value in any_value()) {
            let yaml = serde_saphyr::to_string(&value).unwrap();
            let theirs: Value = serde_saphyr::from_str(&yaml).unwrap();
            proptest::prop_assert_eq!(&load(&yaml).unwrap().value, &theirs, "{}", yaml);
            let json = serde_json::to_string_pretty(&value).unwrap();
            proptest::prop_assert_eq!(&load(&json).unwrap().value, &value, "{}", json);
        }
    }
}
