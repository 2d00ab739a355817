//! The `OpenAPI` rules: what the plugin host or the GPT editor needs, and what breaks real
//! consumers although validators pass. Each rule says beside it what the host did; `OpenAI`'s
//! plugin pages that stated it are gone, and no copy is kept in this repository.

use crate::names::is_identifier;
use std::collections::HashMap;

use serde_json::Value;

use super::domain::{self, UrlParts};
use super::manifest_rules::Facts;
use crate::check::codes;
use crate::diagnostic::{Diagnostic, Severity};
use crate::document::key_path;
use crate::openapi::{Spec, Target, template_names};
use crate::rules::char_count;

/// What the spec rules need besides the spec.
#[derive(Debug, Clone)]
pub struct SpecScope {
    /// Plugins or GPT Actions.
    pub target: Target,
    /// What the manifest says, when there is one.
    pub manifest: Option<Facts>,
}

/// Every rule `spec` breaks.
pub fn check(spec: &Value, scope: &SpecScope) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if !spec.is_object() {
        found.push(
            Diagnostic::error(
                codes::SPEC_NOT_OBJECT,
                "",
                "the spec must be a mapping (an object)",
            )
            .with_fix("start the spec with `openapi: 3.0.1`, `info:` and `paths:`"),
        );
        return found;
    }
    version(spec, &mut found);
    structure(spec, &mut found);
    servers(spec, scope, &mut found);
    security(spec, scope, &mut found);
    operations(spec, scope, &mut found);
    property_required(spec, "", scope.target, &mut found);
    references(spec, spec, "", &mut found);
    found
}

fn version(spec: &Value, found: &mut Vec<Diagnostic>) {
    match spec.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") || v.starts_with("3.1.") => {}
        Some(other) => found.push(
            Diagnostic::error(
                codes::SPEC_OPENAPI_VERSION,
                "openapi",
                format!("openapi is {other}; the host reads OpenAPI 3.0.x and 3.1.x"),
            )
            .with_fix("write `openapi: 3.0.1` (or 3.1.0) and convert the spec if it is older"),
        ),
        None => found.push(
            Diagnostic::error(
                codes::SPEC_OPENAPI_VERSION,
                "",
                if spec.get("swagger").is_some() {
                    "this is a Swagger 2.0 spec; the host reads OpenAPI 3.0.x and 3.1.x"
                } else {
                    "the spec has no `openapi` version"
                },
            )
            .with_fix("write `openapi: 3.0.1` (or 3.1.0) at the top"),
        ),
    }
}

fn structure(spec: &Value, found: &mut Vec<Diagnostic>) {
    match spec.get("info") {
        Some(Value::Object(info)) => {
            for key in ["title", "version"] {
                if !info.get(key).is_some_and(Value::is_string) {
                    found.push(
                        Diagnostic::error(
                            codes::SPEC_MISSING_FIELD,
                            &key_path("info", key),
                            format!("info.{key} is required (a string)"),
                        )
                        .with_fix(format!("add `{key}:` under `info:`")),
                    );
                }
            }
        }
        _ => found.push(
            Diagnostic::error(
                codes::SPEC_MISSING_FIELD,
                "info",
                "the spec has no `info` object",
            )
            .with_fix("add `info:` with `title:` and `version:`"),
        ),
    }
    match spec.get("paths") {
        Some(Value::Object(paths)) if paths.is_empty() => found.push(
            Diagnostic::warning(
                codes::SPEC_NO_OPERATIONS,
                "paths",
                "the spec has no paths, so the model has nothing to call",
            )
            .with_fix("describe at least one operation"),
        ),
        Some(Value::Object(_)) => {}
        _ => found.push(
            Diagnostic::error(
                codes::SPEC_MISSING_FIELD,
                "paths",
                "the spec has no `paths` object",
            )
            .with_fix("add `paths:` with the operations"),
        ),
    }
}

fn servers(spec: &Value, scope: &SpecScope, found: &mut Vec<Diagnostic>) {
    let urls: Vec<(usize, &str)> = spec
        .get("servers")
        .and_then(Value::as_array)
        .map(|servers| {
            servers
                .iter()
                .enumerate()
                .filter_map(|(i, s)| Some((i, s.get("url")?.as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    if urls.is_empty() {
        let (severity, why) = match scope.target {
            Target::Plugins => (
                Severity::Warning,
                "the spec names no `servers`; the host then calls the host that served the spec",
            ),
            Target::Actions => (
                Severity::Error,
                "the spec names no `servers`; a GPT Action takes its host from servers[0].url",
            ),
        };
        found.push(
            Diagnostic::new(severity, codes::SPEC_SERVERS_MISSING, "servers", why)
                .with_fix("add `servers:` with `- url: https://your.domain`"),
        );
        return;
    }
    if scope.target == Target::Actions {
        for &(i, url) in &urls {
            if UrlParts::parse(url).is_none_or(|u| u.scheme != "https") {
                found.push(
                    Diagnostic::error(
                        codes::SPEC_SERVERS_HTTPS,
                        &format!("servers[{i}].url"),
                        format!("servers[{i}].url {url:?} is not an absolute https:// URL; GPT Actions call only those"),
                    )
                    .with_fix("use the API's https:// origin, e.g. https://api.example.com"),
                );
            }
        }
    }
    let Some(root) = scope.manifest.as_ref().and_then(|m| m.root.clone()) else {
        return;
    };
    let agrees = |url: &str| {
        UrlParts::parse(url).is_some_and(|u| {
            if domain::is_localhost(&root.host) {
                domain::is_localhost(&u.host) && u.effective_port() == root.effective_port()
            } else {
                domain::on_domain(&u.host, domain::root_domain(&root.host))
            }
        })
    };
    // Relative server URLs resolve against the spec's own URL, on the plugin's domain.
    if !urls
        .iter()
        .any(|&(_, url)| agrees(url) || url.starts_with('/'))
    {
        let listed: Vec<&str> = urls.iter().map(|&(_, u)| u).collect();
        found.push(
            Diagnostic::error(
                codes::SPEC_SERVERS_DOMAIN,
                "servers",
                format!(
                    "no server URL ({}) is on the plugin's domain {}; the host calls only servers on it",
                    listed.join(", "),
                    if domain::is_localhost(&root.host) { root.origin() } else { domain::root_domain(&root.host).to_owned() }
                ),
            )
            .with_fix(format!("list `- url: {}` first under `servers:`", root.origin())),
        );
    }
}

fn security(spec: &Value, scope: &SpecScope, found: &mut Vec<Diagnostic>) {
    let has_schemes = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty());
    let no_auth = match scope.manifest.as_ref().and_then(|m| m.auth_type.as_deref()) {
        Some(kind) => kind == "none",
        None => !has_schemes,
    };
    if no_auth && spec.get("security").is_none() {
        found.push(
            Diagnostic::warning(
                codes::SPEC_SECURITY_MISSING,
                "",
                "the spec needs no auth but does not say so; linters with default rules, and some consumers, then assume it needs some",
            )
            .with_fix("add `security: []` at the top level"),
        );
    }
    if scope.manifest.as_ref().and_then(|m| m.auth_type.as_deref()) == Some("none") {
        let reader = Spec::new(spec);
        let guarded: Vec<String> = reader
            .operations()
            .iter()
            .filter(|op| {
                requires_credentials(op.value.get("security").or_else(|| spec.get("security")))
            })
            .map(|op| format!("{} {}", op.method.to_uppercase(), op.path))
            .collect();
        if !guarded.is_empty() {
            found.push(
                Diagnostic::error(
                    codes::SPEC_AUTH_MISMATCH,
                    "security",
                    format!(
                        "the manifest's auth is \"none\", so the host sends no credentials, but the spec requires them on {}: every such call gets 401",
                        guarded.join(", ")
                    ),
                )
                .with_fix("set the manifest's auth to the scheme the API checks (service_http, user_http or oauth), or `security: []` where none is needed"),
            );
        }
    }
    if let Some(kind) = scope.manifest.as_ref().and_then(|m| m.auth_type.as_deref())
        && matches!(kind, "service_http" | "user_http" | "oauth")
        && !has_schemes
    {
        found.push(
            Diagnostic::warning(
                codes::SPEC_SECURITY_SCHEMES,
                "components",
                format!("the manifest's auth is {kind:?} but the spec declares no securitySchemes, so tools importing it (and GPT Actions) do not know to send credentials"),
            )
            .with_fix("declare `components.securitySchemes` (e.g. `bearerAuth: {type: http, scheme: bearer}`) and a top-level `security`"),
        );
    }
}

fn operations(spec: &Value, scope: &SpecScope, found: &mut Vec<Diagnostic>) {
    let reader = Spec::new(spec);
    let description_max = scope.target.description_max();
    let parameter_max = scope.target.parameter_description_max();
    let mut ids: HashMap<&str, String> = HashMap::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(list) = item.get("parameters").and_then(Value::as_array)
                && !list.is_empty()
            {
                let at = key_path(&key_path("paths", path), "parameters");
                found.push(
                    Diagnostic::warning(
                        codes::SPEC_PATH_ITEM_PARAMETERS,
                        &at,
                        format!("parameters of {path} are declared on the path item; LangChain drops them and Semantic Kernel fails on them"),
                    )
                    .with_fix("declare the parameters under each operation instead"),
                );
            }
        }
    }
    for op in reader.operations() {
        let name = format!("{} {}", op.method.to_uppercase(), op.path);
        match op.value.get("operationId") {
            Some(Value::String(id)) => {
                if !is_identifier(id) {
                    found.push(
                        Diagnostic::error(
                            codes::SPEC_OPERATION_ID_INVALID,
                            &key_path(&op.at, "operationId"),
                            format!("operationId {id:?} of {name} is not an identifier; it becomes a function name in the model's prompt"),
                        )
                        .with_fix("use letters, digits and _, starting with a letter, e.g. listTodos"),
                    );
                }
                if let Some(first) = ids.get(id.as_str()) {
                    found.push(
                        Diagnostic::error(
                            codes::SPEC_OPERATION_ID_DUPLICATE,
                            &key_path(&op.at, "operationId"),
                            format!("operationId {id:?} of {name} is also used by {first}"),
                        )
                        .with_fix("give every operation its own operationId"),
                    );
                } else {
                    ids.insert(id, name.clone());
                }
            }
            _ => found.push(
                Diagnostic::error(
                    codes::SPEC_OPERATION_ID_MISSING,
                    &op.at,
                    format!("{name} has no operationId; the model calls operations by it"),
                )
                .with_fix("add `operationId:` with a name such as listTodos"),
            ),
        }
        let mut described = false;
        for key in ["description", "summary"] {
            if let Some(text) = op.value.get(key).and_then(Value::as_str) {
                described |= !text.trim().is_empty();
                let len = char_count(text);
                if len > description_max {
                    found.push(
                        Diagnostic::new(
                            length_severity(scope.target),
                            codes::SPEC_DESCRIPTION_LENGTH,
                            &key_path(&op.at, key),
                            format!(
                                "the {key} of {name} has {len} characters; {}",
                                length_consequence(scope.target, description_max)
                            ),
                        )
                        .with_fix("shorten it; put general guidance in description_for_model"),
                    );
                }
            }
        }
        if !described {
            found.push(
                Diagnostic::warning(
                    codes::SPEC_OPERATION_UNDESCRIBED,
                    &op.at,
                    format!("{name} has no description or summary; the model sees only its name"),
                )
                .with_fix("add a one-line `summary:` saying what it does"),
            );
        }
        for parameter in &op.parameters {
            if parameter.from_path_item {
                continue;
            }
            if let Some(text) = parameter.description {
                let len = char_count(text);
                if len > parameter_max {
                    found.push(
                        Diagnostic::new(
                            length_severity(scope.target),
                            codes::SPEC_PARAMETER_DESCRIPTION_LENGTH,
                            &key_path(&parameter.at, "description"),
                            format!("the description of parameter `{}` of {name} has {len} characters; {}", parameter.name, length_consequence(scope.target, parameter_max)),
                        )
                        .with_fix("shorten it"),
                    );
                }
            }
        }
        path_parameters(&op, &name, found);
        if op.mutates() && op.value.get("x-openai-isConsequential").is_none() {
            found.push(
                Diagnostic::warning(
                    codes::SPEC_CONSEQUENTIAL,
                    &op.at,
                    format!(
                        "{name} does not set x-openai-isConsequential; GPT Actions then treat every \
                         non-GET call as consequential and ask the user to confirm each call of it, \
                         with no \"Always allow\" (for a {} that only reads, such as a search, that is needless friction)",
                        op.method.to_uppercase()
                    ),
                )
                .with_fix("add `x-openai-isConsequential: true` if it changes data (always ask), or `false` if it only reads (offers \"Always allow\")"),
            );
        }
        if op.method == "delete" && op.value.get("requestBody").is_some() {
            found.push(
                Diagnostic::warning(
                    codes::SPEC_DELETE_BODY,
                    &key_path(&op.at, "requestBody"),
                    format!(
                        "{name} takes a request body; OpenAPI 3.0 defines none for DELETE, so validators \
                         and importers may drop it, and proxies and HTTP clients may not send it"
                    ),
                )
                .with_fix("identify what to delete in the path or the query (DELETE /todos/{id})"),
            );
        }
        responses(&reader, &op, &name, found);
    }
}

fn path_parameters(op: &crate::openapi::Operation<'_>, name: &str, found: &mut Vec<Diagnostic>) {
    let names = template_names(op.path);
    for wanted in &names {
        if !op
            .parameters
            .iter()
            .any(|p| p.location == "path" && p.name == *wanted)
        {
            found.push(
                Diagnostic::error(
                    codes::SPEC_PATH_PARAMETER,
                    &op.at,
                    format!("{name} has `{{{wanted}}}` in its path but declares no path parameter `{wanted}`"),
                )
                .with_fix(format!("add `- name: {wanted}` with `in: path`, `required: true` and a schema to its parameters")),
            );
        }
    }
    for parameter in op.parameters.iter().filter(|p| p.location == "path") {
        if !names.contains(&parameter.name) {
            found.push(
                Diagnostic::error(
                    codes::SPEC_PATH_PARAMETER,
                    &parameter.at,
                    format!(
                        "path parameter `{}` of {name} is not in the path template",
                        parameter.name
                    ),
                )
                .with_fix(format!(
                    "put `{{{}}}` in the path, or move it to `in: query`",
                    parameter.name
                )),
            );
        } else if !parameter.required {
            found.push(
                Diagnostic::error(
                    codes::SPEC_PATH_PARAMETER,
                    &parameter.at,
                    format!(
                        "path parameter `{}` of {name} must have `required: true`",
                        parameter.name
                    ),
                )
                .with_fix("add `required: true`"),
            );
        }
    }
}

fn responses(
    reader: &Spec<'_>,
    op: &crate::openapi::Operation<'_>,
    name: &str,
    found: &mut Vec<Diagnostic>,
) {
    let Some(responses) = op.value.get("responses").and_then(Value::as_object) else {
        found.push(
            Diagnostic::error(
                codes::SPEC_RESPONSES_MISSING,
                &op.at,
                format!("{name} has no `responses`"),
            )
            .with_fix("describe at least the success response, with a schema"),
        );
        return;
    };
    let responses_at = key_path(&op.at, "responses");
    if !responses
        .keys()
        .any(|status| status.starts_with('2') || status == "default")
    {
        found.push(
            Diagnostic::warning(
                codes::SPEC_SUCCESS_RESPONSE,
                &responses_at,
                format!("{name} describes no 2xx response, so the model cannot know what success returns"),
            )
            .with_fix("add the success status (200, 201 or 204) with its schema"),
        );
    }
    for (status, response) in responses {
        let at = key_path(&responses_at, status);
        let Some(response) = reader.resolve(response) else {
            continue;
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            let needs_body = status.starts_with('2')
                && status != "204"
                && op.method != "head"
                && op.method != "delete";
            if needs_body {
                found.push(
                    Diagnostic::warning(
                        codes::SPEC_RESPONSE_SCHEMA,
                        &at,
                        format!("the {status} response of {name} has no content schema, so the model does not know what it returns"),
                    )
                    .with_fix("add `content: application/json: schema:` (or use 204 if there is no body)"),
                );
            }
            continue;
        };
        for (media_type, media) in content {
            if media.get("schema").is_none() {
                found.push(
                    Diagnostic::warning(
                        codes::SPEC_RESPONSE_SCHEMA,
                        &key_path(&key_path(&at, "content"), media_type),
                        format!("the {status} {media_type} response of {name} has no schema"),
                    )
                    .with_fix("add a `schema:` describing the body"),
                );
            }
        }
    }
}

/// Whether a `security` value asks for credentials: a list without an empty requirement.
fn requires_credentials(security: Option<&Value>) -> bool {
    security.and_then(Value::as_array).is_some_and(|list| {
        !list.is_empty()
            && !list
                .iter()
                .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
    })
}

/// A description over its documented limit: GPT Actions' editor refuses it; the plugin host
/// documented 200 characters but was seen taking longer ones (`OpenAI`'s own retrieval plugin
/// shipped a 236-character description; a community test saw 300 render).
fn length_severity(target: Target) -> Severity {
    match target {
        Target::Actions => Severity::Error,
        Target::Plugins => Severity::Warning,
    }
}

fn length_consequence(target: Target, max: usize) -> String {
    match target {
        Target::Actions => format!("the GPT editor refuses more than {max}"),
        Target::Plugins => format!(
            "the plugin docs allow {max} (ChatGPT was seen taking longer ones, but said the limit \
             would shrink; LangChain and Semantic Kernel pass it on as is)"
        ),
    }
}

/// Spec validity: an error where the target validates the spec on import (GPT Actions), a
/// warning for the plugin host, which took specs validators reject.
fn validity_severity(target: Target) -> Severity {
    match target {
        Target::Actions => Severity::Error,
        Target::Plugins => Severity::Warning,
    }
}

/// Finds `required: true` written inside a property instead of a `required` list.
fn property_required(value: &Value, at: &str, target: Target, found: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Object(properties)) = object.get("properties") {
                let properties_at = key_path(at, "properties");
                for (name, property) in properties {
                    if property.get("required").is_some_and(Value::is_boolean) {
                        found.push(
                            Diagnostic::new(
                                validity_severity(target),
                                codes::SPEC_PROPERTY_REQUIRED,
                                &key_path(&key_path(&properties_at, name), "required"),
                                format!(
                                    "property `{name}` has `required: {}` inside it, which is not OpenAPI: {}",
                                    property["required"],
                                    match target {
                                        Target::Actions => "the GPT editor's importer, LangChain and Semantic Kernel reject the spec",
                                        Target::Plugins => "ChatGPT's plugin host took it (OpenAI's quickstart shipped it), but LangChain's and Semantic Kernel's loaders, the GPT editor and validators reject the spec, and the field is not marked required for the model",
                                    }
                                ),
                            )
                            .with_fix(format!("remove it and add `required: [{name}]` to the object schema")),
                        );
                    }
                }
            }
            for (key, child) in object {
                property_required(child, &key_path(at, key), target, found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                property_required(child, &format!("{at}[{i}]"), target, found);
            }
        }
        _ => {}
    }
}

/// Finds `$ref`s that lead nowhere.
fn references(root: &Value, value: &Value, at: &str, found: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                let at = key_path(at, "$ref");
                if let Some(pointer) = reference.strip_prefix('#') {
                    if root.pointer(pointer).is_none() {
                        found.push(
                            Diagnostic::error(
                                codes::SPEC_REF,
                                &at,
                                format!("$ref {reference:?} points to nothing in the spec"),
                            )
                            .with_fix(
                                "point it at an existing entry, e.g. #/components/schemas/Todo",
                            ),
                        );
                    }
                } else {
                    found.push(
                        Diagnostic::warning(
                            codes::SPEC_REF,
                            &at,
                            format!("$ref {reference:?} points outside the spec; the host reads the spec alone"),
                        )
                        .with_fix("copy the referenced schema into components"),
                    );
                }
            }
            for (key, child) in object {
                references(root, child, &key_path(at, key), found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                references(root, child, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn good() -> Value {
        json!({
            "openapi": "3.0.1",
            "info": {"title": "TODO", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "security": [],
            "paths": {
                "/todos/{id}": {
                    "delete": {
                        "operationId": "deleteTodo",
                        "summary": "Delete one item.",
                        "x-openai-isConsequential": true,
                        "parameters": [{"name": "id", "in": "path", "required": true, "description": "The id.", "schema": {"type": "string"}}],
                        "responses": {"204": {"description": "Deleted."}}
                    }
                },
                "/todos": {
                    "get": {
                        "operationId": "listTodos",
                        "summary": "List the items.",
                        "responses": {"200": {"description": "The items.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/List"}}}}}
                    }
                }
            },
            "components": {"schemas": {"List": {"type": "object", "required": ["todos"], "properties": {"todos": {"type": "array", "items": {"type": "string"}}}}}}
        })
    }

    fn plugin() -> SpecScope {
        SpecScope {
            target: Target::Plugins,
            manifest: Some(Facts {
                root: UrlParts::parse("https://example.com"),
                auth_type: Some("none".into()),
                ..Facts::default()
            }),
        }
    }

    fn codes(spec: &Value, scope: &SpecScope) -> Vec<(&'static str, String)> {
        check(spec, scope)
            .into_iter()
            .map(|d| (d.code, d.path))
            .collect()
    }

    fn one(spec: &Value, scope: &SpecScope) -> (&'static str, String, Severity) {
        let found = check(spec, scope);
        assert_eq!(found.len(), 1, "{found:#?}");
        (found[0].code, found[0].path.clone(), found[0].severity)
    }

    const GET: &str = "/paths/~1todos/get";
    const DELETE: &str = "/paths/~1todos~1{id}/delete";

    fn edit(f: impl FnOnce(&mut Value)) -> Value {
        let mut spec = good();
        f(&mut spec);
        spec
    }

    #[test]
    fn a_good_spec_has_no_finding() {
        assert_eq!(codes(&good(), &plugin()), vec![]);
        let actions = SpecScope {
            target: Target::Actions,
            manifest: None,
        };
        assert_eq!(codes(&good(), &actions), vec![]);
    }

    #[test]
    fn the_version_and_structure_are_required() {
        assert_eq!(
            one(&edit(|s| s["openapi"] = json!("2.0")), &plugin()).0,
            "spec-openapi-version"
        );
        assert_eq!(
            one(
                &edit(|s| {
                    s.as_object_mut().unwrap().remove("openapi");
                }),
                &plugin()
            )
            .0,
            "spec-openapi-version"
        );
        assert_eq!(
            codes(&edit(|s| s["openapi"] = json!("3.1.0")), &plugin()),
            vec![]
        );
        assert_eq!(
            codes(
                &edit(|s| {
                    s["info"] = json!({});
                }),
                &plugin()
            ),
            vec![
                ("spec-missing-field", "info.title".to_owned()),
                ("spec-missing-field", "info.version".to_owned())
            ]
        );
        assert_eq!(
            one(
                &edit(|s| {
                    s.as_object_mut().unwrap().remove("paths");
                }),
                &plugin()
            )
            .0,
            "spec-missing-field"
        );
        assert_eq!(
            codes(&json!("x"), &plugin()),
            vec![("spec-not-object", String::new())]
        );
    }

    #[test]
    fn operation_ids_are_present_unique_and_identifiers() {
        let found = codes(
            &edit(|s| s.pointer_mut(GET).unwrap()["operationId"] = json!("deleteTodo")),
            &plugin(),
        );
        assert_eq!(
            found,
            vec![(
                "spec-operation-id-duplicate",
                "paths[\"/todos\"].get.operationId".to_owned()
            )]
        );
        let found = one(
            &edit(|s| s.pointer_mut(GET).unwrap()["operationId"] = json!("list-todos")),
            &plugin(),
        );
        assert_eq!(found.0, "spec-operation-id-invalid");
        let found = one(
            &edit(|s| {
                s.pointer_mut(GET)
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove("operationId");
            }),
            &plugin(),
        );
        assert_eq!(
            (found.0, found.1.as_str()),
            ("spec-operation-id-missing", "paths[\"/todos\"].get")
        );
    }

    #[test]
    fn description_limits_depend_on_the_target() {
        let long =
            |n: usize| edit(|s| s.pointer_mut(GET).unwrap()["summary"] = json!("x".repeat(n)));
        assert_eq!(one(&long(201), &plugin()).0, "spec-description-length");
        let actions = SpecScope {
            target: Target::Actions,
            ..plugin()
        };
        assert_eq!(codes(&long(300), &actions), vec![]);
        assert_eq!(one(&long(301), &actions).0, "spec-description-length");
        let param = |n: usize| {
            edit(|s| {
                s.pointer_mut(DELETE).unwrap()["parameters"][0]["description"] =
                    json!("y".repeat(n));
            })
        };
        assert_eq!(
            one(&param(201), &plugin()).1,
            "paths[\"/todos/{id}\"].delete.parameters[0].description"
        );
        assert_eq!(codes(&param(700), &actions), vec![]);
        assert_eq!(
            one(&param(701), &actions).0,
            "spec-parameter-description-length"
        );
        let bare = edit(|s| {
            s.pointer_mut(GET)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove("summary");
        });
        assert_eq!(one(&bare, &plugin()).0, "spec-operation-undescribed");
    }

    #[test]
    fn servers_must_agree_with_the_manifest() {
        let other = edit(|s| s["servers"] = json!([{"url": "https://other.org"}]));
        assert_eq!(one(&other, &plugin()).0, "spec-servers-domain");
        let none = edit(|s| {
            s.as_object_mut().unwrap().remove("servers");
        });
        assert_eq!(one(&none, &plugin()).2, Severity::Warning);
        let actions = SpecScope {
            target: Target::Actions,
            manifest: None,
        };
        assert_eq!(
            one(&none, &actions),
            (
                "spec-servers-missing",
                "servers".to_owned(),
                Severity::Error
            )
        );
        let http = edit(|s| s["servers"] = json!([{"url": "http://api.example.com"}]));
        assert_eq!(one(&http, &actions).0, "spec-servers-https");
        let local = SpecScope {
            target: Target::Plugins,
            manifest: Some(Facts {
                root: UrlParts::parse("http://localhost:5003"),
                auth_type: Some("none".into()),
                ..Facts::default()
            }),
        };
        let port = edit(|s| s["servers"] = json!([{"url": "http://localhost:5003"}]));
        assert_eq!(codes(&port, &local), vec![]);
        let wrong_port = edit(|s| s["servers"] = json!([{"url": "http://127.0.0.1:8080"}]));
        assert_eq!(one(&wrong_port, &local).0, "spec-servers-domain");
    }

    #[test]
    fn mutating_operations_say_whether_they_are_consequential() {
        let spec = edit(|s| {
            s.pointer_mut(DELETE)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove("x-openai-isConsequential");
        });
        assert_eq!(
            one(&spec, &plugin()),
            (
                "spec-consequential",
                "paths[\"/todos/{id}\"].delete".to_owned(),
                Severity::Warning
            )
        );
    }

    #[test]
    fn responses_need_schemas() {
        let none = edit(|s| {
            s.pointer_mut(GET)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove("responses");
        });
        assert_eq!(one(&none, &plugin()).0, "spec-responses-missing");
        let no_schema = edit(|s| {
            s.pointer_mut(GET).unwrap()["responses"]["200"]["content"]["application/json"] =
                json!({});
        });
        assert_eq!(
            one(&no_schema, &plugin()).1,
            "paths[\"/todos\"].get.responses.200.content[\"application/json\"]"
        );
        let no_content = edit(|s| {
            s.pointer_mut(GET).unwrap()["responses"]["200"] = json!({"description": "x"});
        });
        assert_eq!(one(&no_content, &plugin()).0, "spec-response-schema");
        let only_errors = edit(|s| {
            s.pointer_mut(GET).unwrap()["responses"] = json!({"404": {"description": "x", "content": {"application/json": {"schema": {}}}}});
        });
        assert_eq!(one(&only_errors, &plugin()).0, "spec-success-response");
    }

    #[test]
    fn what_breaks_real_consumers_is_reported() {
        let on_item = edit(|s| {
            let item = s.pointer_mut("/paths/~1todos~1{id}").unwrap();
            let params = item["delete"]
                .as_object_mut()
                .unwrap()
                .remove("parameters")
                .unwrap();
            item["parameters"] = params;
        });
        assert_eq!(
            one(&on_item, &plugin()),
            (
                "spec-path-item-parameters",
                "paths[\"/todos/{id}\"].parameters".to_owned(),
                Severity::Warning
            )
        );
        let inline = edit(|s| {
            s["components"]["schemas"]["List"]["properties"]["todos"]["required"] = json!(true);
        });
        assert_eq!(
            one(&inline, &plugin()).1,
            "components.schemas.List.properties.todos.required"
        );
        let no_security = edit(|s| {
            s.as_object_mut().unwrap().remove("security");
        });
        assert_eq!(one(&no_security, &plugin()).0, "spec-security-missing");
    }

    #[test]
    fn path_templates_and_parameters_match() {
        let missing = edit(|s| {
            s.pointer_mut(DELETE).unwrap()["parameters"] = json!([]);
        });
        assert_eq!(one(&missing, &plugin()).0, "spec-path-parameter");
        let optional = edit(|s| {
            s.pointer_mut(DELETE).unwrap()["parameters"][0]["required"] = json!(false);
        });
        assert_eq!(one(&optional, &plugin()).0, "spec-path-parameter");
    }

    #[test]
    fn references_must_resolve_and_auth_needs_schemes() {
        let dangling = edit(|s| {
            s.pointer_mut(GET).unwrap()["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"] = json!("#/components/schemas/Nope");
        });
        assert_eq!(one(&dangling, &plugin()).0, "spec-ref");
        let authed = SpecScope {
            target: Target::Plugins,
            manifest: Some(Facts {
                root: UrlParts::parse("https://example.com"),
                auth_type: Some("service_http".into()),
                ..Facts::default()
            }),
        };
        assert_eq!(one(&good(), &authed).0, "spec-security-schemes");
        assert!(
            is_identifier("listTodos")
                && is_identifier("_x1")
                && !is_identifier("1x")
                && !is_identifier("a.b")
        );
    }
}
