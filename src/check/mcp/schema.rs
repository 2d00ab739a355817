//! Enough JSON Schema to judge a tool's `structuredContent` against its `outputSchema`:
//! `type`, `enum`, `const`, `properties`, `required`, `additionalProperties: false`, `items`,
//! `anyOf` / `oneOf` / `allOf` and local `$ref`s. Keywords it does not know pass, so a finding
//! from here is always a real mismatch.

use serde_json::Value;

/// Every place where `value` breaks `schema`, as `path: what` (empty when it fits).
pub fn mismatches(value: &Value, schema: &Value) -> Vec<String> {
    mismatches_in(value, schema, schema)
}

/// The same, with `$ref`s resolved in `root` (an `OpenAPI` document, for a response schema).
pub fn mismatches_in(value: &Value, schema: &Value, root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(value, schema, root, "$", 0, &mut out);
    out
}

fn walk(
    value: &Value,
    schema: &Value,
    root: &Value,
    at: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > 32 || out.len() > 20 {
        return;
    }
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            out.push(format!("{at}: no value is allowed here"));
        }
        return;
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
        {
            walk(value, target, root, at, depth + 1, out);
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !names.is_empty() && !names.iter().any(|name| has_type(value, name)) {
            out.push(format!(
                "{at}: is {}, the schema says {}",
                type_of(value),
                names.join(" or ")
            ));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(value)
    {
        out.push(format!(
            "{at}: {value} is not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        out.push(format!("{at}: {value} is not {constant}"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = schema.get(key)
            && !options.iter().any(|option| {
                let mut inner = Vec::new();
                walk(value, option, root, at, depth + 1, &mut inner);
                inner.is_empty()
            })
        {
            out.push(format!("{at}: matches none of the {key} schemas"));
        }
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for part in all {
            walk(value, part, root, at, depth + 1, out);
        }
    }
    if let Value::Object(object) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    out.push(format!("{at}: `{name}` is required and missing"));
                }
            }
        }
        for (name, item) in object {
            let path = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => walk(item, property, root, &path, depth + 1, out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        out.push(format!("{path}: not in the schema, which allows no others"));
                    }
                    Some(extra @ Value::Object(_)) => {
                        walk(item, extra, root, &path, depth + 1, out);
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            walk(
                item,
                item_schema,
                root,
                &format!("{at}[{i}]"),
                depth + 1,
                out,
            );
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_judged_against_the_keywords_it_knows() {
        let schema = json!({
            "type": "object",
            "properties": {
                "todos": {"type": "array", "items": {"$ref": "#/$defs/todo"}},
                "kind": {"enum": ["a", "b"]}
            },
            "required": ["todos"],
            "additionalProperties": false,
            "$defs": {"todo": {"type": "string"}}
        });
        assert!(mismatches(&json!({"todos": ["x"], "kind": "a"}), &schema).is_empty());
        for (value, expected) in [
            (json!(["x"]), "$: is an array, the schema says object"),
            (json!({}), "$: `todos` is required and missing"),
            (
                json!({"todos": [1]}),
                "$.todos[0]: is a number, the schema says string",
            ),
            (
                json!({"todos": [], "more": 1}),
                "$.more: not in the schema, which allows no others",
            ),
            (
                json!({"todos": [], "kind": "c"}),
                "$.kind: \"c\" is not one of [\"a\",\"b\"]",
            ),
        ] {
            assert_eq!(mismatches(&value, &schema), [expected], "{value}");
        }
        let either = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert!(mismatches(&json!(3), &either).is_empty());
        assert_eq!(mismatches(&json!(1.5), &either).len(), 1);
        assert!(mismatches(&json!({"x": 1}), &json!({"unknownKeyword": 1})).is_empty());
    }
}
