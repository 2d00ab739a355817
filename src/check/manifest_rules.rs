//! The manifest rules, each with what the host did beside it (`OpenAI`'s plugin pages that stated
//! it are gone, and no copy is kept in this repository): one module, used by `check` on any
//! manifest and by
//! `new` on the one it generates ([`crate::manifest::PluginManifest::validate`]).
//!
//! The rules run over a `serde_json::Value`, not the typed struct, so a manifest with missing
//! fields or wrong types still gets every finding rather than one parse error. Field values are
//! judged by the rules in [`crate::rules`], the same ones the prompts and flags use.

use serde_json::{Map, Value};

use super::domain::{self, UrlParts};
use crate::check::codes;
use crate::diagnostic::{Diagnostic, Severity};
use crate::manifest::SCHEMA_VERSION;
use crate::rules;

/// What the rules need to know besides the manifest itself.
#[derive(Debug, Clone)]
pub struct ManifestScope {
    /// The URL the manifest was fetched from, when it was; otherwise the domain is taken from
    /// `api.url` (the manifest is served on the API's domain).
    pub served_from: Option<UrlParts>,
    /// How bad a non-`none` auth type on localhost is: an error for a plugin served there, a
    /// warning for a project folder that will be deployed to a domain.
    pub localhost_auth: Severity,
}

impl ManifestScope {
    /// A manifest read from a file: its domain is the one `api.url` names.
    pub fn file() -> ManifestScope {
        ManifestScope {
            served_from: None,
            localhost_auth: Severity::Warning,
        }
    }

    /// A manifest fetched from `url`.
    pub fn served(url: UrlParts) -> ManifestScope {
        ManifestScope {
            served_from: Some(url),
            localhost_auth: Severity::Error,
        }
    }
}

/// What the spec rules need to know about the manifest.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The host the plugin is verified for (root domain, or the local host).
    pub root: Option<UrlParts>,
    /// `auth.type`, when it is a string.
    pub auth_type: Option<String>,
    /// `name_for_model`, when it is a string.
    pub name_for_model: Option<String>,
    /// `description_for_model`, when it is a string.
    pub description_for_model: Option<String>,
    /// `api.url`, when it is a string.
    pub api_url: Option<String>,
    /// `logo_url`, when it is a string.
    pub logo_url: Option<String>,
}

impl Facts {
    /// Whether the plugin is served from this machine.
    pub fn is_localhost(&self) -> bool {
        self.root
            .as_ref()
            .is_some_and(|r| domain::is_localhost(&r.host))
    }

    /// Reads the facts from a manifest value, whatever its shape.
    pub fn of(manifest: &Value, scope: &ManifestScope) -> Facts {
        let text = |key: &str| manifest.get(key).and_then(Value::as_str).map(str::to_owned);
        let api_url = manifest
            .get("api")
            .and_then(|a| a.get("url"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let root = scope
            .served_from
            .clone()
            .or_else(|| api_url.as_deref().and_then(UrlParts::parse));
        Facts {
            root,
            auth_type: manifest
                .get("auth")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            name_for_model: text("name_for_model"),
            description_for_model: text("description_for_model"),
            api_url,
            logo_url: text("logo_url"),
        }
    }
}

/// Who refuses a manifest without a required field.
const REFUSED_WITHOUT: &str = "the plugin docs require it, and ChatGPT's installer and the manifest \
     parsers of LangChain and Semantic Kernel refuse a manifest without it";
/// Who cannot read a field of the wrong type.
const UNPARSED: &str = "ChatGPT, LangChain and Semantic Kernel cannot parse it";

/// Every auth type the host knows.
const AUTH_TYPES: [&str; 4] = ["none", "service_http", "user_http", "oauth"];
/// The token request content types the host sends.
const OAUTH_CONTENT_TYPES: [&str; 2] = ["application/json", "application/x-www-form-urlencoded"];

/// Every rule `manifest` breaks, in the order of the manifest's fields.
pub fn check(manifest: &Value, scope: &ManifestScope) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let Some(object) = manifest.as_object() else {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_NOT_OBJECT,
                "",
                format!(
                    "the manifest must be a JSON object (it is {})",
                    kind(manifest)
                ),
            )
            .with_fix("write the manifest as { \"schema_version\": \"v1\", ... }"),
        );
        return found;
    };
    let facts = Facts::of(manifest, scope);

    if let Some(version) = required_string(object, "", "schema_version", &mut found)
        && version != SCHEMA_VERSION
    {
        found.push(
            Diagnostic::warning(
                codes::MANIFEST_SCHEMA_VERSION,
                "schema_version",
                format!(
                    "schema_version is {version:?}, and \"{SCHEMA_VERSION}\" is the only version OpenAI \
                     published: no consumer is known to refuse another (LangChain and Semantic \
                     Kernel read it as text), but a host that checks it would"
                ),
            )
            .with_fix(format!("set \"schema_version\": \"{SCHEMA_VERSION}\"")),
        );
    }
    let mut fields = Fields {
        object,
        found: &mut found,
    };
    fields.validated(
        "name_for_human",
        codes::MANIFEST_NAME_FOR_HUMAN,
        rules::name_for_human,
        Grade::Length {
            max: rules::NAME_FOR_HUMAN_MAX,
            taken: NAME_FOR_HUMAN_ALPHA_MAX,
        },
        "shorten it to the name a person sees in a host's list of plugins or apps",
    );
    fields.validated(
        "name_for_model",
        codes::MANIFEST_NAME_FOR_MODEL,
        rules::name_for_model,
        Grade::Error(
            "ChatGPT writes it into the prompt as `namespace <name_for_model>`, and LangChain names its tool with it, which the OpenAI API refuses outside [A-Za-z0-9_-]{1,64}",
        ),
        "use a letter, then letters, digits or _ (it becomes the model's namespace name)",
    );
    fields.validated(
        "description_for_human",
        codes::MANIFEST_DESCRIPTION_FOR_HUMAN,
        rules::description_for_human,
        Grade::Length {
            max: rules::DESCRIPTION_FOR_HUMAN_MAX,
            taken: DESCRIPTION_FOR_HUMAN_ALPHA_MAX,
        },
        "say in one short sentence what the plugin does",
    );
    fields.validated(
        "description_for_model",
        codes::MANIFEST_DESCRIPTION_FOR_MODEL,
        rules::description_for_model,
        Grade::Error(
            "ChatGPT puts it whole into every prompt, and the plugin docs cap it at 8,000 characters (an empty one tells the model nothing)",
        ),
        "start with \"Plugin for ...\" and keep only what the model needs",
    );
    description_style(object, fields.found);
    auth_rules(object, &facts, scope, fields.found);
    api_rules(object, fields.found);
    fields.validated(
        "logo_url",
        codes::MANIFEST_URL,
        rules::http_url,
        Grade::Warning("ChatGPT shows no logo; nothing refuses the manifest for it"),
        "use the absolute URL of the logo, e.g. https://example.com/logo.png",
    );
    fields.validated(
        "legal_info_url",
        codes::MANIFEST_URL,
        rules::http_url,
        Grade::Warning(
            "the plugin store's legal link goes nowhere; nothing refuses the manifest for it",
        ),
        "use the absolute URL of the plugin's legal page",
    );
    fields.validated(
        "contact_email",
        codes::MANIFEST_CONTACT_EMAIL,
        rules::contact_email,
        Grade::Warning(
            "OpenAI's review and users cannot write to it; nothing refuses the manifest for it",
        ),
        "give an address that reads mail about the plugin",
    );
    domain_rules(object, &facts, scope, &mut found);
    found
}

struct Fields<'a> {
    object: &'a Map<String, Value>,
    found: &'a mut Vec<Diagnostic>,
}

impl Fields<'_> {
    /// The string at `key`, reporting it missing or of the wrong type.
    fn string(&mut self, key: &str) -> Option<&str> {
        required_string(self.object, "", key, self.found)
    }

    fn validated(
        &mut self,
        key: &str,
        code: &'static str,
        rule: fn(&str) -> Result<(), String>,
        grade: Grade,
        fix: &str,
    ) {
        if let Some(value) = self.string(key)
            && let Err(message) = rule(value)
        {
            let (severity, consumer) = grade.of(value, rule);
            self.found.push(
                Diagnostic::new(severity, code, key, format!("{message}: {consumer}"))
                    .with_fix(fix),
            );
        }
    }
}

/// `name_for_human` over 20 characters: the alpha docs allowed 50, and `OpenAI`'s own examples
/// page gave "TODO List (service auth)" (24), so ChatGPT took such names.
const NAME_FOR_HUMAN_ALPHA_MAX: usize = 50;
/// `description_for_human` over 100 characters: the alpha docs allowed 120.
const DESCRIPTION_FOR_HUMAN_ALPHA_MAX: usize = 120;

/// How bad breaking a field's rule is, by what the hosts did: an error when a consumer refuses
/// the manifest or a call fails, a warning when it works worse. The texts say which consumer.
#[derive(Clone, Copy)]
enum Grade {
    /// A consumer fails, as the text says.
    Error(&'static str),
    /// It works worse, as the text says.
    Warning(&'static str),
    /// Over the docs' `max` characters but within what ChatGPT `taken` (a warning: its list
    /// cuts the text); over both, or broken otherwise (empty, two lines), an error.
    Length { max: usize, taken: usize },
}

impl Grade {
    fn of(&self, value: &str, rule: fn(&str) -> Result<(), String>) -> (Severity, String) {
        match *self {
            Grade::Error(consumer) => (Severity::Error, consumer.to_owned()),
            Grade::Warning(consumer) => (Severity::Warning, consumer.to_owned()),
            Grade::Length { max, taken } => {
                let len = rules::char_count(value);
                let shortened: String = value.chars().take(max).collect();
                if len <= taken && rule(&shortened).is_ok() {
                    (
                        Severity::Warning,
                        format!(
                            "the later plugin docs' limit; ChatGPT took up to {taken} (the alpha \
                             docs' limit, and OpenAI's own examples), and cuts it in its list"
                        ),
                    )
                } else if len > taken {
                    (
                        Severity::Error,
                        format!(
                            "over every limit the plugin docs gave ({max}, and {taken} in the \
                             alpha), so expect ChatGPT's installer to refuse it"
                        ),
                    )
                } else {
                    (
                        Severity::Error,
                        "the plugin docs ask for a short line of text, which ChatGPT shows in its plugin list".to_owned(),
                    )
                }
            }
        }
    }
}

/// `OpenAI`'s plugin docs asked that `description_for_model` start with "Plugin for", as the
/// examples in `openai/plugins-quickstart` do: a warning, since the host did not enforce it.
fn description_style(object: &Map<String, Value>, found: &mut Vec<Diagnostic>) {
    let Some(text) = object.get("description_for_model").and_then(Value::as_str) else {
        return;
    };
    // An invalid one already has its error.
    if rules::description_for_model(text).is_err() || text.trim_start().starts_with("Plugin for") {
        return;
    }
    found.push(
        Diagnostic::warning(
            codes::MANIFEST_DESCRIPTION_STYLE,
            "description_for_model",
            "description_for_model does not start with \"Plugin for\", as OpenAI's plugin docs ask",
        )
        .with_fix("begin with what the plugin is for, e.g. \"Plugin for managing a TODO list\""),
    );
}

fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn required_string<'v>(
    object: &'v Map<String, Value>,
    parent: &str,
    key: &str,
    found: &mut Vec<Diagnostic>,
) -> Option<&'v str> {
    let at = path(parent, key);
    match object.get(key) {
        None => {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_MISSING_FIELD,
                    &at,
                    format!("`{at}` is required and missing: {REFUSED_WITHOUT}"),
                )
                .with_fix(format!("add \"{key}\": \"...\"")),
            );
            None
        }
        Some(Value::String(value)) => Some(value),
        Some(other) => {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_WRONG_TYPE,
                    &at,
                    format!(
                        "`{at}` must be a string (it is {}): {UNPARSED}",
                        kind(other)
                    ),
                )
                .with_fix(format!("write `{at}` as a JSON string in double quotes")),
            );
            None
        }
    }
}

fn required_object<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    example: &str,
    found: &mut Vec<Diagnostic>,
) -> Option<&'v Map<String, Value>> {
    match object.get(key) {
        None => {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_MISSING_FIELD,
                    key,
                    format!("`{key}` is required and missing: {REFUSED_WITHOUT}"),
                )
                .with_fix(format!("add \"{key}\": {example}")),
            );
            None
        }
        Some(Value::Object(inner)) => Some(inner),
        Some(other) => {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_WRONG_TYPE,
                    key,
                    format!(
                        "`{key}` must be an object (it is {}): {UNPARSED}",
                        kind(other)
                    ),
                )
                .with_fix(format!("write it as {example}")),
            );
            None
        }
    }
}

fn auth_rules(
    object: &Map<String, Value>,
    facts: &Facts,
    scope: &ManifestScope,
    found: &mut Vec<Diagnostic>,
) {
    let Some(auth) = required_object(object, "auth", "{ \"type\": \"none\" }", found) else {
        return;
    };
    let Some(auth_type) = required_string(auth, "auth", "type", found) else {
        return;
    };
    let kind_name = auth_type;
    if !AUTH_TYPES.contains(&kind_name) {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_AUTH_TYPE,
                "auth.type",
                format!(
                    "auth.type {kind_name:?} is not one ChatGPT knows ({}); it and Semantic Kernel refuse the manifest",
                    AUTH_TYPES.join(", ")
                ),
            )
            .with_fix("use one of none, service_http, user_http or oauth"),
        );
        return;
    }
    if matches!(kind_name, "service_http" | "user_http") {
        authorization_type(auth, found);
    }
    if matches!(kind_name, "service_http" | "oauth") {
        verification_tokens(auth, found);
    }
    if kind_name == "oauth" {
        for key in ["client_url", "authorization_url"] {
            if let Some(url) = required_string(auth, "auth", key, found)
                && let Err(message) = rules::http_url(url)
            {
                let at = format!("auth.{key}");
                found.push(
                    Diagnostic::error(
                        codes::MANIFEST_URL,
                        &at,
                        format!("{at}: {message}: ChatGPT's sign-in fails without an absolute URL"),
                    )
                    .with_fix("use an absolute https:// URL on the plugin's domain"),
                );
            }
        }
        if let Some(scope_value) = auth.get("scope") {
            if !scope_value.is_string() {
                found.push(Diagnostic::error(
                    codes::MANIFEST_WRONG_TYPE,
                    "auth.scope",
                    format!(
                        "`auth.scope` must be a string (it is {}): {UNPARSED}",
                        kind(scope_value)
                    ),
                ));
            }
        } else {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_MISSING_FIELD,
                    "auth.scope",
                    "`auth.scope` is required for oauth (it may be \"\"): ChatGPT sends it in the sign-in URL, and Semantic Kernel parses it",
                )
                .with_fix("add \"scope\": \"\" or the scopes the plugin asks for"),
            );
        }
        if let Some(content_type) =
            required_string(auth, "auth", "authorization_content_type", found)
            && !OAUTH_CONTENT_TYPES.contains(&content_type)
        {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_OAUTH_CONTENT_TYPE,
                    "auth.authorization_content_type",
                    format!(
                        "authorization_content_type {content_type:?} is not one ChatGPT sends; its token request would not reach the server as declared"
                    ),
                )
                .with_fix("use application/json or application/x-www-form-urlencoded"),
            );
        }
    }
    if kind_name != "none" && facts.is_localhost() {
        found.push(
            Diagnostic::new(
                scope.localhost_auth,
                codes::MANIFEST_LOCALHOST_AUTH,
                "auth.type",
                format!("auth.type {kind_name:?} does not work on localhost: ChatGPT installs only \"none\" from there"),
            )
            .with_fix(
                "serve the plugin on an https:// domain (set PUBLIC_URL), \
                 or use auth \"none\" while developing on localhost",
            ),
        );
    }
}

fn authorization_type(auth: &Map<String, Value>, found: &mut Vec<Diagnostic>) {
    if let Some(value) = required_string(auth, "auth", "authorization_type", found)
        && !matches!(value, "bearer" | "basic")
    {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_AUTH_FIELD,
                "auth.authorization_type",
                format!("authorization_type must be \"bearer\" or \"basic\" (it is {value:?}): ChatGPT cannot build the Authorization header, and Semantic Kernel refuses the manifest"),
            )
            .with_fix("use \"bearer\" unless the API takes HTTP Basic credentials"),
        );
    }
}

fn verification_tokens(auth: &Map<String, Value>, found: &mut Vec<Diagnostic>) {
    match auth.get("verification_tokens") {
        None => found.push(
            Diagnostic::error(
                codes::MANIFEST_MISSING_FIELD,
                "auth.verification_tokens",
                "`auth.verification_tokens` is required for this auth type: ChatGPT matches it with the token it showed at setup, and refuses the plugin without it",
            )
            .with_fix("add \"verification_tokens\": { \"openai\": \"<the token ChatGPT shows>\" }"),
        ),
        Some(Value::Object(tokens)) => {
            for (service, token) in tokens {
                if !token.is_string() {
                    let at = format!("auth.verification_tokens.{service}");
                    found.push(Diagnostic::error(
                        codes::MANIFEST_WRONG_TYPE,
                        &at,
                        format!("`{at}` must be a string (it is {}): {UNPARSED}", kind(token)),
                    ));
                }
            }
        }
        Some(other) => found.push(
            Diagnostic::error(
                codes::MANIFEST_WRONG_TYPE,
                "auth.verification_tokens",
                format!(
                    "`auth.verification_tokens` must be an object (it is {}): {UNPARSED}",
                    kind(other)
                ),
            )
            .with_fix("write it as { \"openai\": \"<token>\" }"),
        ),
    }
}

fn api_rules(object: &Map<String, Value>, found: &mut Vec<Diagnostic>) {
    let Some(api) = required_object(
        object,
        "api",
        "{ \"type\": \"openapi\", \"url\": \"https://example.com/openapi.yaml\" }",
        found,
    ) else {
        return;
    };
    if let Some(kind) = required_string(api, "api", "type", found)
        && kind != "openapi"
    {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_API_TYPE,
                "api.type",
                format!("api.type must be \"openapi\" (it is {kind:?}): Semantic Kernel and LangChain refuse anything else"),
            )
            .with_fix("set \"type\": \"openapi\""),
        );
    }
    if let Some(url) = required_string(api, "api", "url", found)
        && let Err(message) = rules::http_url(url)
    {
        found.push(
            Diagnostic::error(codes::MANIFEST_URL, "api.url", format!("{message}: ChatGPT finds no spec to call, and Semantic Kernel needs an absolute URL")).with_fix(
                "use the absolute URL of the spec, e.g. https://example.com/openapi.yaml",
            ),
        );
    }
}

/// HTTPS and same-domain rules for a plugin not on localhost: the host fetched plugins over
/// HTTPS only, except on localhost, and verified the domains as [`domain`] describes.
fn domain_rules(
    object: &Map<String, Value>,
    facts: &Facts,
    scope: &ManifestScope,
    found: &mut Vec<Diagnostic>,
) {
    let Some(root_url) = &facts.root else {
        return;
    };
    if domain::is_localhost(&root_url.host) {
        return;
    }
    let root = domain::root_domain(&root_url.host);
    let string_at = |path: &[&str]| -> Option<&str> {
        let mut value = object.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        value.as_str()
    };
    let mut urls = vec![
        ("api.url", string_at(&["api", "url"])),
        ("logo_url", string_at(&["logo_url"])),
        ("legal_info_url", string_at(&["legal_info_url"])),
    ];
    if string_at(&["auth", "type"]) == Some("oauth") {
        urls.push(("auth.client_url", string_at(&["auth", "client_url"])));
        urls.push((
            "auth.authorization_url",
            string_at(&["auth", "authorization_url"]),
        ));
    }
    if let Some(served) = &scope.served_from
        && served.scheme != "https"
    {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_HTTPS,
                "",
                format!(
                    "the manifest is served over {} from {}; ChatGPT installs nothing but HTTPS (TLS 1.2+, port 443) off localhost",
                    served.scheme, served.host
                ),
            )
            .with_fix("serve the plugin over https:// with a valid certificate"),
        );
    }
    for (at, url) in &urls {
        let Some(parts) = url.and_then(UrlParts::parse) else {
            continue;
        };
        if parts.scheme != "https" {
            found.push(
                Diagnostic::error(
                    codes::MANIFEST_HTTPS,
                    at,
                    format!("{at} uses http://; off localhost ChatGPT calls only https:// URLs, so this one fails"),
                )
                .with_fix(if domain::is_localhost(&parts.host) {
                    // A checked folder whose URLs are still the local ones, as `new` writes
                    // them: its server rewrites them to PUBLIC_URL when it serves them.
                    format!(
                        "use https://{host}{path} (a project made by `ai-plugin new` serves its \
                         localhost URLs under PUBLIC_URL: set PUBLIC_URL=https://{host} in .env, \
                         then check the running server's URL)",
                        host = root_url.host,
                        path = parts.path
                    )
                } else {
                    format!("use https://{}{}", parts.host, parts.path)
                }),
            );
        }
    }
    if let Some(api) = string_at(&["api", "url"]).and_then(UrlParts::parse)
        && !domain::on_domain(&api.host, root)
    {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_API_DOMAIN,
                "api.url",
                format!(
                    "api.url is on {}, which is not the plugin's root domain {root} or a subdomain of it: ChatGPT's domain verification refuses the plugin",
                    api.host
                ),
            )
            .with_fix(format!("serve the spec from {root} or a subdomain of it")),
        );
    }
    let second = domain::second_level(root);
    if let Some(legal) = string_at(&["legal_info_url"]).and_then(UrlParts::parse)
        && domain::second_level(&legal.host) != second
    {
        found.push(
            Diagnostic::error(
                codes::MANIFEST_LEGAL_DOMAIN,
                "legal_info_url",
                format!(
                    "legal_info_url is on {}; it must share the second-level domain {second} of the plugin: ChatGPT's domain verification refuses it",
                    legal.host
                ),
            )
            .with_fix(format!("host the legal page on {second} or a subdomain of it")),
        );
    }
    if let Some(email) = string_at(&["contact_email"])
        && let Some((_, email_domain)) = email.rsplit_once('@')
        && rules::contact_email(email).is_ok()
        && domain::second_level(&email_domain.to_ascii_lowercase()) != second
    {
        found.push(
            Diagnostic::warning(
                codes::MANIFEST_EMAIL_DOMAIN,
                "contact_email",
                format!(
                    "contact_email is on {email_domain}; the plugin docs ask (\"should\") that it share the second-level domain {second} of the plugin, and nothing refuses it"
                ),
            )
            .with_fix(format!("use an address @{second}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn good() -> Value {
        json!({
            "schema_version": "v1",
            "name_for_human": "TODO",
            "name_for_model": "todo",
            "description_for_human": "Keep a TODO list.",
            "description_for_model": "Plugin for a TODO list.",
            "auth": {"type": "none"},
            "api": {"type": "openapi", "url": "https://api.example.com/openapi.yaml"},
            "logo_url": "https://example.com/logo.png",
            "contact_email": "dev@example.com",
            "legal_info_url": "https://www.example.com/legal"
        })
    }

    fn codes(manifest: &Value, scope: &ManifestScope) -> Vec<(&'static str, String)> {
        check(manifest, scope)
            .into_iter()
            .map(|d| (d.code, d.path))
            .collect()
    }

    fn with(mut manifest: Value, path: &[&str], value: Value) -> Value {
        let mut at = &mut manifest;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        manifest
    }

    fn served(url: &str) -> ManifestScope {
        ManifestScope::served(UrlParts::parse(url).unwrap())
    }

    #[test]
    fn a_good_manifest_has_no_finding() {
        assert_eq!(codes(&good(), &ManifestScope::file()), vec![]);
        assert_eq!(codes(&good(), &served("https://www.example.com")), vec![]);
    }

    /// The grade follows what the host did: over the later docs' limit but within the alpha's
    /// (which ChatGPT took) a warning; over both, or not one line, an error; relative logo and
    /// legal URLs a warning, a relative `api.url` an error. Each message names who fails.
    #[test]
    fn field_rules_are_graded_by_what_the_host_did() {
        let graded = |path: &[&str], value: Value| -> Vec<(&'static str, Severity)> {
            check(&with(good(), path, value), &ManifestScope::file())
                .into_iter()
                .map(|d| {
                    assert!(d.message.contains(": "), "no consumer in {:?}", d.message);
                    (d.code, d.severity)
                })
                .collect()
        };
        use Severity::{Error, Warning};
        let cases: Vec<(&[&str], Value, (&str, Severity))> = vec![
            (
                &["name_for_human"],
                json!("x".repeat(21)),
                ("manifest-name-for-human", Warning),
            ),
            (
                &["name_for_human"],
                json!("x".repeat(50)),
                ("manifest-name-for-human", Warning),
            ),
            (
                &["name_for_human"],
                json!("x".repeat(51)),
                ("manifest-name-for-human", Error),
            ),
            (
                &["name_for_human"],
                json!("two\nlines"),
                ("manifest-name-for-human", Error),
            ),
            (
                &["name_for_human"],
                json!(""),
                ("manifest-name-for-human", Error),
            ),
            (
                &["description_for_human"],
                json!("x".repeat(120)),
                ("manifest-description-for-human", Warning),
            ),
            (
                &["description_for_human"],
                json!("x".repeat(121)),
                ("manifest-description-for-human", Error),
            ),
            (
                &["schema_version"],
                json!("v2"),
                ("manifest-schema-version", Warning),
            ),
            (&["logo_url"], json!("/logo.png"), ("manifest-url", Warning)),
            (
                &["legal_info_url"],
                json!("/legal"),
                ("manifest-url", Warning),
            ),
            (
                &["contact_email"],
                json!("dev at example.com"),
                ("manifest-contact-email", Warning),
            ),
            (
                &["api", "url"],
                json!("/openapi.yaml"),
                ("manifest-url", Error),
            ),
            (
                &["name_for_model"],
                json!("a b"),
                ("manifest-name-for-model", Error),
            ),
        ];
        for (path, value, want) in cases {
            assert_eq!(
                graded(path, value.clone()),
                vec![want],
                "{path:?} = {value}"
            );
        }
    }

    #[test]
    fn every_missing_field_and_wrong_type_is_reported() {
        let manifest = json!({"schema_version": 1, "auth": "none", "api": {}});
        let found = codes(&manifest, &ManifestScope::file());
        let expected = [
            ("manifest-wrong-type", "schema_version"),
            ("manifest-missing-field", "name_for_human"),
            ("manifest-missing-field", "name_for_model"),
            ("manifest-missing-field", "description_for_human"),
            ("manifest-missing-field", "description_for_model"),
            ("manifest-wrong-type", "auth"),
            ("manifest-missing-field", "api.type"),
            ("manifest-missing-field", "api.url"),
            ("manifest-missing-field", "logo_url"),
            ("manifest-missing-field", "legal_info_url"),
            ("manifest-missing-field", "contact_email"),
        ];
        let expected: Vec<(&str, String)> = expected
            .iter()
            .map(|(c, p)| (*c, (*p).to_owned()))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(
            codes(&json!([1]), &ManifestScope::file()),
            vec![("manifest-not-object", String::new())]
        );
    }

    #[test]
    fn field_values_are_judged_by_the_shared_validators() {
        let cases = [
            (
                &["schema_version"][..],
                json!("v2"),
                "manifest-schema-version",
            ),
            (
                &["name_for_human"],
                json!("x".repeat(21)),
                "manifest-name-for-human",
            ),
            (
                &["name_for_model"],
                json!("todo list"),
                "manifest-name-for-model",
            ),
            (
                &["description_for_human"],
                json!(""),
                "manifest-description-for-human",
            ),
            (
                &["description_for_model"],
                json!("x".repeat(8001)),
                "manifest-description-for-model",
            ),
            (&["api", "type"], json!("graphql"), "manifest-api-type"),
            (&["api", "url"], json!("/openapi.yaml"), "manifest-url"),
            (&["logo_url"], json!("logo.png"), "manifest-url"),
            (
                &["contact_email"],
                json!("nobody"),
                "manifest-contact-email",
            ),
            (
                &["legal_info_url"],
                json!("ftp://example.com"),
                "manifest-url",
            ),
        ];
        for (path, value, code) in cases {
            let found = check(&with(good(), path, value), &ManifestScope::file());
            assert_eq!(found.len(), 1, "{path:?}: {found:?}");
            assert_eq!(found[0].code, code);
            assert_eq!(found[0].path, path.join("."));
            assert!(found[0].fix.is_some());
        }
    }

    #[test]
    fn auth_variants_need_their_fields() {
        let auth = |value: Value| codes(&with(good(), &["auth"], value), &ManifestScope::file());
        assert_eq!(
            auth(json!({"type": "magic"})),
            vec![("manifest-auth-type", "auth.type".to_owned())]
        );
        assert_eq!(
            auth(json!({})),
            vec![("manifest-missing-field", "auth.type".to_owned())]
        );
        assert_eq!(
            auth(json!({"type": "service_http"})),
            vec![
                (
                    "manifest-missing-field",
                    "auth.authorization_type".to_owned()
                ),
                (
                    "manifest-missing-field",
                    "auth.verification_tokens".to_owned()
                )
            ]
        );
        assert_eq!(
            auth(json!({"type": "user_http", "authorization_type": "digest"})),
            vec![("manifest-auth-field", "auth.authorization_type".to_owned())]
        );
        assert_eq!(
            auth(
                json!({"type": "service_http", "authorization_type": "bearer", "verification_tokens": {"openai": 1}})
            ),
            vec![(
                "manifest-wrong-type",
                "auth.verification_tokens.openai".to_owned()
            )]
        );
        assert_eq!(
            auth(json!({"type": "user_http", "authorization_type": "basic"})),
            vec![]
        );
    }

    #[test]
    fn oauth_needs_absolute_urls_and_a_known_content_type() {
        let oauth = json!({
            "type": "oauth",
            "client_url": "https://example.com/oauth/authorize",
            "scope": "",
            "authorization_url": "https://example.com/oauth/token",
            "authorization_content_type": "application/json",
            "verification_tokens": {"openai": "abc"}
        });
        assert_eq!(
            codes(
                &with(good(), &["auth"], oauth.clone()),
                &ManifestScope::file()
            ),
            vec![]
        );
        let broken = with(
            with(
                with(oauth.clone(), &["client_url"], json!("/oauth")),
                &["authorization_content_type"],
                json!("text/plain"),
            ),
            &["authorization_url"],
            json!("http://example.com/token"),
        );
        assert_eq!(
            codes(&with(good(), &["auth"], broken), &ManifestScope::file()),
            vec![
                ("manifest-url", "auth.client_url".to_owned()),
                (
                    "manifest-oauth-content-type",
                    "auth.authorization_content_type".to_owned()
                ),
                ("manifest-https", "auth.authorization_url".to_owned()),
            ]
        );
        let mut missing = oauth;
        missing.as_object_mut().unwrap().remove("scope");
        assert_eq!(
            codes(&with(good(), &["auth"], missing), &ManifestScope::file()),
            vec![("manifest-missing-field", "auth.scope".to_owned())]
        );
    }

    #[test]
    fn only_auth_none_works_on_localhost() {
        let local = with(
            with(
                with(
                    good(),
                    &["api", "url"],
                    json!("http://localhost:5003/openapi.yaml"),
                ),
                &["logo_url"],
                json!("http://localhost:5003/logo.png"),
            ),
            &["auth"],
            json!({"type": "user_http", "authorization_type": "bearer"}),
        );
        let in_folder = check(&local, &ManifestScope::file());
        assert_eq!(in_folder.len(), 1, "{in_folder:?}");
        assert_eq!(in_folder[0].code, "manifest-localhost-auth");
        assert_eq!(in_folder[0].severity, Severity::Warning);
        let served = check(&local, &served("http://localhost:5003"));
        assert_eq!(served[0].severity, Severity::Error);
        // Off localhost the domain rules apply, not this one.
        assert_eq!(
            codes(
                &with(
                    good(),
                    &["auth"],
                    json!({"type": "user_http", "authorization_type": "bearer"})
                ),
                &ManifestScope::file()
            ),
            vec![]
        );
    }

    #[test]
    fn remote_plugins_need_https_and_one_domain() {
        let manifest = with(
            with(
                with(
                    good(),
                    &["api", "url"],
                    json!("https://other.com/openapi.yaml"),
                ),
                &["legal_info_url"],
                json!("http://legal.elsewhere.org/"),
            ),
            &["contact_email"],
            json!("dev@mail.other.com"),
        );
        assert_eq!(
            codes(&manifest, &served("https://example.com/")),
            vec![
                ("manifest-https", "legal_info_url".to_owned()),
                ("manifest-api-domain", "api.url".to_owned()),
                ("manifest-legal-domain", "legal_info_url".to_owned()),
                ("manifest-email-domain", "contact_email".to_owned()),
            ]
        );
        assert_eq!(
            codes(&good(), &served("http://example.com/")),
            vec![("manifest-https", String::new())]
        );
    }

    #[test]
    fn a_local_url_checked_for_a_domain_is_fixed_on_that_domain() {
        let manifest = with(
            good(),
            &["api", "url"],
            json!("http://localhost:5003/openapi.yaml"),
        );
        let found = check(&manifest, &served("https://todos.example.com/"));
        let https = found
            .iter()
            .find(|d| d.code == "manifest-https" && d.path == "api.url")
            .expect("api.url over http is an error");
        let fix = https.fix.as_deref().unwrap_or_default();
        assert!(
            fix.starts_with("use https://todos.example.com/openapi.yaml")
                && fix.contains("PUBLIC_URL=https://todos.example.com"),
            "{fix}"
        );
    }
}
