//! `OpenAPI` specs as `check` and `preview` read them: the operations, their parameters and
//! bodies, with local `$ref`s followed, over a plain `serde_json::Value` so that any spec,
//! 3.0 or 3.1, YAML or JSON, well-formed or not, can be read as far as it goes.

use serde_json::Value;

use crate::document::{index_path, key_path};

/// The HTTP methods a path item may hold, in the order the `OpenAPI` spec lists them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which host reads the spec; their limits differ (the spec rules of `check` say how).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// A `ChatGPT` plugin (`ai-plugin.json` plus spec).
    Plugins,
    /// A GPT Action (the spec alone, imported into the GPT editor).
    Actions,
}

impl Target {
    /// The longest operation `description` or `summary`, in characters.
    pub fn description_max(self) -> usize {
        match self {
            Target::Plugins => 200,
            Target::Actions => 300,
        }
    }

    /// The longest parameter `description`, in characters.
    pub fn parameter_description_max(self) -> usize {
        match self {
            Target::Plugins => 200,
            Target::Actions => 700,
        }
    }

    /// How findings name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Plugins => "plugins",
            Target::Actions => "actions",
        }
    }
}

/// A spec, and a way to follow its references.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    /// The whole document.
    pub root: &'a Value,
}

/// One operation: a method on a path.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// The path template, e.g. `/todos/{id}`.
    pub path: &'a str,
    /// The method, lowercase.
    pub method: &'a str,
    /// Where the operation is: `paths["/todos/{id}"].delete`.
    pub at: String,
    /// The operation object.
    pub value: &'a Value,
    /// The parameters, those of the path item first, each overridden by the operation's own.
    pub parameters: Vec<Parameter<'a>>,
}

/// One parameter of an operation, its `$ref` followed.
#[derive(Debug, Clone)]
pub struct Parameter<'a> {
    /// `name`.
    pub name: &'a str,
    /// `in`: path, query, header or cookie.
    pub location: &'a str,
    /// Whether it must be given.
    pub required: bool,
    /// `description`.
    pub description: Option<&'a str>,
    /// `schema`, its `$ref` followed.
    pub schema: Option<&'a Value>,
    /// Where it is written.
    pub at: String,
    /// Whether it was declared on the path item rather than on the operation.
    pub from_path_item: bool,
}

impl<'a> Operation<'a> {
    /// `operationId`, if it is a string.
    pub fn operation_id(&self) -> Option<&'a str> {
        self.value.get("operationId").and_then(Value::as_str)
    }

    /// What the model reads about the operation: `description`, else `summary`.
    pub fn text(&self) -> Option<&'a str> {
        ["description", "summary"]
            .into_iter()
            .filter_map(|key| self.value.get(key).and_then(Value::as_str))
            .find(|text| !text.trim().is_empty())
    }

    /// Whether the method changes data (everything but GET, HEAD, OPTIONS and TRACE).
    pub fn mutates(&self) -> bool {
        !matches!(self.method, "get" | "head" | "options" | "trace")
    }
}

impl<'a> Spec<'a> {
    /// A spec over `root`.
    pub fn new(root: &'a Value) -> Spec<'a> {
        Spec { root }
    }

    /// Follows a local `$ref` chain (`#/components/...`), at most 32 links; `None` if it
    /// leads nowhere. Values without `$ref` are returned as they are.
    pub fn resolve(&self, value: &'a Value) -> Option<&'a Value> {
        let mut value = value;
        for _ in 0..32 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => value = self.pointer(reference)?,
                None => return Some(value),
            }
        }
        None
    }

    /// The value a local reference names.
    pub fn pointer(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> Vec<Operation<'a>> {
        let mut found = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return found;
        };
        for (path, item) in paths {
            let item_at = key_path("paths", path);
            let Some(item) = self.resolve(item).and_then(Value::as_object) else {
                continue;
            };
            let shared = self.parameters(item.get("parameters"), &item_at, true);
            for method in METHODS {
                let Some(value) = item.get(method) else {
                    continue;
                };
                if !value.is_object() {
                    continue;
                }
                let at = key_path(&item_at, method);
                let own = self.parameters(value.get("parameters"), &at, false);
                let mut parameters: Vec<Parameter<'a>> = shared
                    .iter()
                    .filter(|p| {
                        !own.iter()
                            .any(|o| o.name == p.name && o.location == p.location)
                    })
                    .cloned()
                    .collect();
                parameters.extend(own);
                found.push(Operation {
                    path,
                    method,
                    at,
                    value,
                    parameters,
                });
            }
        }
        found
    }

    fn parameters(
        self,
        list: Option<&'a Value>,
        parent: &str,
        from_path_item: bool,
    ) -> Vec<Parameter<'a>> {
        let Some(list) = list.and_then(Value::as_array) else {
            return Vec::new();
        };
        let at = key_path(parent, "parameters");
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let p = self.resolve(p)?;
                Some(Parameter {
                    name: p.get("name")?.as_str()?,
                    location: p.get("in")?.as_str()?,
                    required: p.get("required").and_then(Value::as_bool) == Some(true),
                    description: p.get("description").and_then(Value::as_str),
                    schema: p.get("schema").and_then(|s| self.resolve(s)),
                    at: index_path(&at, i),
                    from_path_item,
                })
            })
            .collect()
    }

    /// The JSON request body schema of `operation` (its `$ref` followed) and whether the body
    /// is required.
    pub fn request_body(&self, operation: &Operation<'a>) -> Option<(&'a Value, bool)> {
        let body = self.resolve(operation.value.get("requestBody")?)?;
        let schema = media_schema(body.get("content")?)?;
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        Some((self.resolve(schema)?, required))
    }

    /// The schema of the first 2xx JSON response of `operation`, its `$ref` followed.
    pub fn success_schema(&self, operation: &Operation<'a>) -> Option<&'a Value> {
        let responses = operation.value.get("responses")?.as_object()?;
        let (_, response) = responses
            .iter()
            .find(|(status, _)| status.starts_with('2') || status.as_str() == "2XX")?;
        let response = self.resolve(response)?;
        self.resolve(media_schema(response.get("content")?)?)
    }
}

/// The schema of the JSON media type in a `content` map (or of the first one).
fn media_schema(content: &Value) -> Option<&Value> {
    let content = content.as_object()?;
    let media = content
        .iter()
        .find(|(media_type, _)| media_type.contains("json"))
        .or_else(|| content.iter().next())?
        .1;
    media.get("schema")
}

/// The names in braces of a path template: `/a/{b}/{c}` → `[b, c]`.
pub fn template_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operations_merge_path_item_parameters_and_follow_refs() {
        let root = json!({
            "paths": {
                "/a/{id}": {
                    "parameters": [{"name": "id", "in": "path", "required": true}],
                    "get": {"operationId": "getA", "summary": "Get an A"},
                    "delete": {
                        "operationId": "deleteA",
                        "description": "",
                        "summary": "Delete it",
                        "parameters": [
                            {"$ref": "#/components/parameters/Id"},
                            {"name": "force", "in": "query"}
                        ]
                    }
                }
            },
            "components": {"parameters": {"Id": {"name": "id", "in": "path", "required": true, "description": "own"}}}
        });
        let spec = Spec::new(&root);
        let ops = spec.operations();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].at, "paths[\"/a/{id}\"].get");
        assert!(ops[0].parameters[0].from_path_item);
        assert_eq!(ops[1].parameters.len(), 2);
        assert_eq!(ops[1].parameters[0].description, Some("own"));
        assert!(!ops[1].parameters[0].from_path_item);
        assert_eq!(
            ops[1].parameters[1].at,
            "paths[\"/a/{id}\"].delete.parameters[1]"
        );
        assert_eq!(ops[1].text(), Some("Delete it"));
        assert!(ops[1].mutates() && !ops[0].mutates());
    }

    #[test]
    fn references_that_loop_or_dangle_resolve_to_nothing() {
        let root = json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}, "c": {"$ref": "#/nope"}});
        let spec = Spec::new(&root);
        assert_eq!(spec.resolve(&root["a"]), None);
        assert_eq!(spec.resolve(&root["c"]), None);
        assert_eq!(template_names("/a/{b}/x/{c}"), vec!["b", "c"]);
    }
}
