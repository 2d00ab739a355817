//! The catalogue of finding codes: one constant per code, each saying what it guards and which
//! host (or consumer) fails without it. The rules use these constants, never the text; the tests
//! hold the catalogue against the README's rule tables and against the fixtures and test servers
//! that produce each code.

// The doc lines are also the README's table rows: product names (ChatGPT, LangChain, OpenAI)
// are prose there, not code in backticks.
#![allow(clippy::doc_markdown)]

/// Declares each code as a constant and lists them all in [`ALL`], with their doc lines.
macro_rules! catalogue {
    ($($(#[doc = $doc:literal])+ $name:ident = $code:literal;)+) => {
        $($(#[doc = $doc])+ pub const $name: &str = $code;)+

        /// Every code, with the line that says what it guards (as rustdoc keeps it: after a
        /// space), in the order of the rules.
        pub const ALL: &[(&str, &str)] = &[$(($code, concat!($($doc),+))),+];
    };
}

catalogue! {
    // Manifest rules (`ai-plugin.json`), on a file or a served manifest.
    /// The manifest is valid JSON; ChatGPT reported a syntax error as a CORS failure and installed nothing.
    MANIFEST_SYNTAX = "manifest-syntax";
    /// The manifest is a JSON object; no consumer (ChatGPT, LangChain, Semantic Kernel) reads anything else.
    MANIFEST_NOT_OBJECT = "manifest-not-object";
    /// A field the plugin docs mark required is present; ChatGPT's installer and LangChain's `AIPluginTool` refuse the manifest without it.
    MANIFEST_MISSING_FIELD = "manifest-missing-field";
    /// Each field has the JSON type the docs give; ChatGPT, LangChain and Semantic Kernel fail to parse another.
    MANIFEST_WRONG_TYPE = "manifest-wrong-type";
    /// `schema_version` is `"v1"`, the only version ever published; no consumer is known to refuse another, so a warning.
    MANIFEST_SCHEMA_VERSION = "manifest-schema-version";
    /// `name_for_human` fits 20 characters (an error over the alpha docs' 50); ChatGPT's plugin list cuts a longer one.
    MANIFEST_NAME_FOR_HUMAN = "manifest-name-for-human";
    /// `name_for_model` is 1-50 of `A-Za-z0-9_`; it is ChatGPT's prompt namespace and LangChain's tool name, which the OpenAI API refuses otherwise.
    MANIFEST_NAME_FOR_MODEL = "manifest-name-for-model";
    /// `description_for_human` fits 100 characters (an error over the alpha docs' 120); ChatGPT's plugin list cuts a longer one.
    MANIFEST_DESCRIPTION_FOR_HUMAN = "manifest-description-for-human";
    /// `description_for_model` is there and fits the docs' 8,000 characters; ChatGPT puts it whole into every prompt.
    MANIFEST_DESCRIPTION_FOR_MODEL = "manifest-description-for-model";
    /// `description_for_model` starts with "Plugin for", as OpenAI's docs asked; nothing refused it.
    MANIFEST_DESCRIPTION_STYLE = "manifest-description-style";
    /// `auth.type` is one ChatGPT knows (`none`, `service_http`, `user_http`, `oauth`); ChatGPT and Semantic Kernel refuse another.
    MANIFEST_AUTH_TYPE = "manifest-auth-type";
    /// `auth.authorization_type` is `bearer` or `basic`; ChatGPT cannot build the `Authorization` header otherwise.
    MANIFEST_AUTH_FIELD = "manifest-auth-field";
    /// `authorization_content_type` is JSON or form; ChatGPT sends its token request only as one of those.
    MANIFEST_OAUTH_CONTENT_TYPE = "manifest-oauth-content-type";
    /// Auth other than `none` is not served from localhost; ChatGPT installs such plugins only from an HTTPS domain.
    MANIFEST_LOCALHOST_AUTH = "manifest-localhost-auth";
    /// `api.type` is `openapi`; Semantic Kernel and LangChain refuse anything else.
    MANIFEST_API_TYPE = "manifest-api-type";
    /// `api.url` and the OAuth URLs are absolute (error: the call fails; Semantic Kernel refuses); `logo_url` and `legal_info_url` too (warning: no logo, no legal link).
    MANIFEST_URL = "manifest-url";
    /// `contact_email` is an email address; OpenAI's review writes to it (warning: nothing fails to install).
    MANIFEST_CONTACT_EMAIL = "manifest-contact-email";
    /// Off localhost, the manifest and every URL in it use HTTPS; ChatGPT fetches nothing else.
    MANIFEST_HTTPS = "manifest-https";
    /// `api.url` is on the plugin's root domain or a subdomain; ChatGPT's domain verification refuses it otherwise.
    MANIFEST_API_DOMAIN = "manifest-api-domain";
    /// `legal_info_url` shares the plugin's second-level domain; ChatGPT's domain verification refuses it otherwise.
    MANIFEST_LEGAL_DOMAIN = "manifest-legal-domain";
    /// `contact_email` shares the plugin's second-level domain, as the docs ask ("should"): a warning.
    MANIFEST_EMAIL_DOMAIN = "manifest-email-domain";

    // Spec rules (the OpenAPI document).
    /// The spec is valid YAML or JSON; ChatGPT and GPT Actions' importer cannot read it otherwise.
    SPEC_SYNTAX = "spec-syntax";
    /// The spec exists at `api.url`'s path or as `openapi.yaml`/`.json`; without it the host has nothing to call.
    SPEC_NOT_FOUND = "spec-not-found";
    /// The spec is a YAML/JSON object; every consumer needs one.
    SPEC_NOT_OBJECT = "spec-not-object";
    /// `openapi` is 3.0.x or 3.1.x; GPT Actions' importer and the OpenAPI loaders refuse others.
    SPEC_OPENAPI_VERSION = "spec-openapi-version";
    /// `info` (title, version) and `paths` are present; validators and GPT Actions' importer refuse a spec without them.
    SPEC_MISSING_FIELD = "spec-missing-field";
    /// The spec has at least one operation; a plugin without one gives the model nothing to call.
    SPEC_NO_OPERATIONS = "spec-no-operations";
    /// `servers` names the API; GPT Actions needs it (error), the plugin host falls back to the spec's host (warning).
    SPEC_SERVERS_MISSING = "spec-servers-missing";
    /// `servers` use https; GPT Actions calls nothing else.
    SPEC_SERVERS_HTTPS = "spec-servers-https";
    /// `servers` are on the manifest's domain; ChatGPT calls only the plugin's root domain or its subdomains.
    SPEC_SERVERS_DOMAIN = "spec-servers-domain";
    /// A no-auth spec says `security: []`; linters with default rules flag it otherwise (warning).
    SPEC_SECURITY_MISSING = "spec-security-missing";
    /// A spec that requires credentials is not paired with `auth: none`; every call of ChatGPT would get 401.
    SPEC_AUTH_MISMATCH = "spec-auth-mismatch";
    /// Auth in the manifest is described by `securitySchemes`; GPT Actions and Semantic Kernel then know how to send it.
    SPEC_SECURITY_SCHEMES = "spec-security-schemes";
    /// Parameters sit on each operation; LangChain drops path-item parameters and Semantic Kernel crashes on them.
    SPEC_PATH_ITEM_PARAMETERS = "spec-path-item-parameters";
    /// `operationId` is identifier-safe; it is the function name in ChatGPT's prompt and GPT Actions.
    SPEC_OPERATION_ID_INVALID = "spec-operation-id-invalid";
    /// `operationId`s are unique; the host's prompt would hold two functions of one name.
    SPEC_OPERATION_ID_DUPLICATE = "spec-operation-id-duplicate";
    /// Every operation has an `operationId`; without one ChatGPT and GPT Actions cannot name the function.
    SPEC_OPERATION_ID_MISSING = "spec-operation-id-missing";
    /// Summaries and descriptions fit 200 characters (plugins: a warning) or 300 (GPT Actions' importer: an error).
    SPEC_DESCRIPTION_LENGTH = "spec-description-length";
    /// Every operation has a summary or description; the model otherwise guesses what it does.
    SPEC_OPERATION_UNDESCRIBED = "spec-operation-undescribed";
    /// Parameter descriptions fit 200 characters (plugins: a warning) or 700 (GPT Actions' importer: an error).
    SPEC_PARAMETER_DESCRIPTION_LENGTH = "spec-parameter-description-length";
    /// Mutating operations say `x-openai-isConsequential`; without it GPT Actions confirms every non-GET call.
    SPEC_CONSEQUENTIAL = "spec-consequential";
    /// A DELETE has no request body; HTTP gives it no meaning and proxies and clients drop it.
    SPEC_DELETE_BODY = "spec-delete-body";
    /// Path templates and path parameters agree; the host cannot build the URL otherwise.
    SPEC_PATH_PARAMETER = "spec-path-parameter";
    /// Every operation has `responses`; validators and GPT Actions' importer refuse it otherwise.
    SPEC_RESPONSES_MISSING = "spec-responses-missing";
    /// Every operation declares a 2xx response; the model then knows what success returns.
    SPEC_SUCCESS_RESPONSE = "spec-success-response";
    /// Responses carry a schema; the model and GPT Actions' return types come from it.
    SPEC_RESPONSE_SCHEMA = "spec-response-schema";
    /// `required` is an array on the object, not `true` in a property; validators, LangChain and Semantic Kernel reject it (GPT Actions: error).
    SPEC_PROPERTY_REQUIRED = "spec-property-required";
    /// Every `$ref` resolves; every consumer fails on one that does not.
    SPEC_REF = "spec-ref";

    // Live rules, for a running plugin's URL.
    /// The manifest URL answers 200; ChatGPT installs nothing otherwise.
    LIVE_MANIFEST_STATUS = "live-manifest-status";
    /// The manifest is served as `application/json` (`text/json`, the quickstart's, is a warning).
    LIVE_MANIFEST_CONTENT_TYPE = "live-manifest-content-type";
    /// The served manifest parses as JSON; ChatGPT showed a syntax error as a CORS failure.
    LIVE_MANIFEST_JSON = "live-manifest-json";
    /// The manifest and spec are served without a redirect to another domain; ChatGPT refuses those.
    LIVE_REDIRECT = "live-redirect";
    /// The spec at `api.url` can be fetched within 15 s; ChatGPT re-fetches it on every call.
    LIVE_SPEC_FETCH = "live-spec-fetch";
    /// The CORS preflight from `https://chat.openai.com` succeeds; ChatGPT's page calls a localhost plugin from the browser.
    LIVE_CORS = "live-cors";
    /// The CORS preflight from `https://chatgpt.com` succeeds too; ChatGPT's pages moved there.
    LIVE_CORS_CHATGPT_COM = "live-cors-chatgpt-com";
    /// On localhost, the preflight answers `Access-Control-Allow-Private-Network: true`; Chrome blocks the call otherwise.
    LIVE_CORS_PRIVATE_NETWORK = "live-cors-private-network";
    /// The logo URL answers with an image; ChatGPT shows none otherwise.
    LIVE_LOGO = "live-logo";
    /// The logo is a PNG or JPEG; ChatGPT takes no GIFs, and shows nothing for other formats.
    LIVE_LOGO_FORMAT = "live-logo-format";
    /// The logo is square (512x512 suggested); ChatGPT shows it square, so another shape is distorted (warning).
    LIVE_LOGO_SIZE = "live-logo-size";
    /// An operation that asks for credentials answers 401 without them; ChatGPT's OAuth and token flows start from it.
    LIVE_AUTH_STATUS = "live-auth-status";
    /// An operation whose spec asks for credentials does not answer without them.
    LIVE_AUTH_UNPROTECTED = "live-auth-unprotected";
    /// A GET operation that needs no input answers 2xx within 45 s; ChatGPT's call fails otherwise.
    LIVE_CALL = "live-call";
    /// A response fits 100,000 characters; ChatGPT refuses larger ones (ResponseTooLargeError).
    LIVE_RESPONSE_SIZE = "live-response-size";
    /// A GET's JSON fits the spec's response schema; the model reads the schema, not the answer.
    LIVE_RESPONSE_SCHEMA = "live-response-schema";

    // MCP rules, for an MCP endpoint.
    /// Something answers MCP at the URL; every host fails to connect otherwise.
    MCP_ENDPOINT = "mcp-endpoint";
    /// The handshake succeeds in at least one protocol era; every host fails to connect otherwise.
    MCP_HANDSHAKE = "mcp-handshake";
    /// The 2025-era handshake (`initialize`) is served; ChatGPT and Claude connect with it.
    MCP_ERA = "mcp-era";
    /// `notifications/initialized` gets a 2xx; SDK-based clients stop otherwise.
    MCP_NOTIFICATION_STATUS = "mcp-notification-status";
    /// `tools/list` answers with a `tools` array; every host needs it.
    MCP_TOOLS_LIST = "mcp-tools-list";
    /// Tool names follow MCP (1-128 of `A-Za-z0-9_.-`, unique) and OpenAI function names (64, no dots).
    MCP_TOOL_NAME = "mcp-tool-name";
    /// Each tool has a description long enough to say when to use it; ChatGPT's review refuses it otherwise.
    MCP_TOOL_DESCRIPTION = "mcp-tool-description";
    /// `inputSchema` is an object schema; SDK clients that validate the list refuse it otherwise.
    MCP_TOOL_INPUT_SCHEMA = "mcp-tool-input-schema";
    /// Every input property is described; the model guesses otherwise.
    MCP_TOOL_PROPERTY_DESCRIPTION = "mcp-tool-property-description";
    /// Tools close `additionalProperties`; OpenAI's strict function calling needs it.
    MCP_TOOL_ADDITIONAL_PROPERTIES = "mcp-tool-additional-properties";
    /// `readOnlyHint`, `destructiveHint`, `openWorldHint` are explicit and agree; ChatGPT's app review refuses missing ones.
    MCP_TOOL_HINTS = "mcp-tool-hints";
    /// Tools declare an object `outputSchema`; ChatGPT's review and widgets use it.
    MCP_TOOL_OUTPUT_SCHEMA = "mcp-tool-output-schema";
    /// A tool's definition fits 700 tokens; every host pays for it in context.
    MCP_TOOL_TOKENS = "mcp-tool-tokens";
    /// All tools together fit 10,000 tokens; every host pays for them in context.
    MCP_TOOLS_TOKENS = "mcp-tools-tokens";
    /// The number of tools stays under 40 (Cursor), and 128 (the OpenAI API; an error for chatgpt-app).
    MCP_TOOLS_COUNT = "mcp-tools-count";
    /// No `openai/visibility` or `openai/outputTemplate` without `ui.resourceUri`; Claude and other MCP Apps hosts ignore them.
    MCP_META_DEPRECATED = "mcp-meta-deprecated";
    /// Status texts fit 64 characters; ChatGPT cuts them.
    MCP_META_INVOCATION_TEXT = "mcp-meta-invocation-text";
    /// A widget a tool names is served by `resources/read`; ChatGPT and Claude show nothing otherwise.
    MCP_WIDGET_MISSING = "mcp-widget-missing";
    /// (`--call-read-only`) A read-only tool's call succeeds; SDK clients show an error otherwise.
    MCP_CALL = "mcp-call";
    /// (`--call-read-only`) `structuredContent` fits `outputSchema`; SDK clients reject the result otherwise.
    MCP_CALL_STRUCTURED = "mcp-call-structured";
    /// (`--call-read-only`) A text block carries the structured result; older clients see only text.
    MCP_CALL_TEXT = "mcp-call-text";
    /// A foreign `Origin` gets 403; users' browsers are open to DNS rebinding otherwise.
    MCP_ORIGIN = "mcp-origin";
    /// A local server refuses a foreign `Host`; users' browsers are open to DNS rebinding otherwise.
    MCP_HOST = "mcp-host";
    /// A token in the query string is refused; it would land in logs.
    MCP_QUERY_TOKEN = "mcp-query-token";
    /// The CORS preflight needs no credentials; browser clients (MCP Inspector) cannot connect otherwise.
    MCP_PREFLIGHT_AUTH = "mcp-preflight-auth";
    /// `WWW-Authenticate` is exposed to browsers; browser clients cannot start OAuth otherwise.
    MCP_CORS_EXPOSE = "mcp-cors-expose";
    /// A 401 carries `WWW-Authenticate: Bearer resource_metadata=...`; ChatGPT says "Error fetching OAuth configuration" otherwise.
    MCP_AUTH_CHALLENGE = "mcp-auth-challenge";
    /// The protected resource metadata is JSON; ChatGPT and Claude cannot read an HTML page.
    MCP_PRM_JSON = "mcp-prm-json";
    /// The protected resource metadata is served at the advertised or well-known URL; ChatGPT and Claude find no OAuth otherwise.
    MCP_PRM_MISSING = "mcp-prm-missing";
    /// The metadata's `resource` is the MCP URL; every OAuth client refuses a mismatch.
    MCP_PRM_RESOURCE = "mcp-prm-resource";
    /// The metadata names an authorization server; every OAuth client needs one.
    MCP_PRM_AUTHORIZATION_SERVERS = "mcp-prm-authorization-servers";
    /// The authorization server's metadata is JSON; every OAuth client needs it.
    MCP_AS_JSON = "mcp-as-json";
    /// The authorization server's metadata is served; every OAuth client needs it.
    MCP_AS_METADATA = "mcp-as-metadata";
    /// Its `issuer` matches the server's URL; every OAuth client refuses a mismatch.
    MCP_AS_ISSUER = "mcp-as-issuer";
    /// It names the authorization and token endpoints; every OAuth client needs both.
    MCP_AS_ENDPOINTS = "mcp-as-endpoints";
    /// S256 is among `code_challenge_methods_supported`; every MCP client must refuse the server otherwise.
    MCP_AS_PKCE = "mcp-as-pkce";
    /// `none` is among the token endpoint auth methods; public clients (Claude, Inspector) need it.
    MCP_AS_TOKEN_AUTH = "mcp-as-token-auth";
    /// Dynamic registration or client ID metadata documents are offered; ChatGPT and Claude register that way.
    MCP_AS_REGISTRATION = "mcp-as-registration";
    /// `authorization_response_iss_parameter_supported`; without it ChatGPT falls back to per-connector callbacks.
    MCP_AS_ISS = "mcp-as-iss";
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::ALL;

    /// Every quoted word that looks like a finding code (`manifest-…`, `spec-…`, `live-…`,
    /// `mcp-…`) in `text`.
    fn quoted_codes(text: &str, quote: char) -> Vec<&str> {
        text.split(quote)
            .skip(1)
            .step_by(2)
            .filter(|word| {
                ["manifest-", "spec-", "live-", "mcp-"]
                    .iter()
                    .any(|family| word.starts_with(family))
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .collect()
    }

    #[test]
    fn codes_are_unique_and_each_has_a_doc_line() {
        let mut seen = BTreeSet::new();
        for (code, doc) in ALL {
            assert!(seen.insert(code), "{code} is in the catalogue twice");
            assert!(doc.len() > 20, "{code} needs a line saying what it guards");
        }
    }

    /// The rules name codes through the constants: a code written out as text in a rule could
    /// drift from the catalogue unseen. Tests may write them out (they say what they expect).
    #[test]
    fn no_rule_writes_a_code_as_text() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let codes: BTreeSet<&str> = ALL.iter().map(|(code, _)| *code).collect();
        let mut offenders = Vec::new();
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("check/codes.rs") {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            let rules = text.split("#[cfg(test)]").next().unwrap_or_default();
            for code in quoted_codes(rules, '"') {
                if codes.contains(code) {
                    offenders.push(format!("{}: \"{code}\"", path.display()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "use the constants of check::codes instead of:\n{}",
            offenders.join("\n")
        );
    }

    /// README.md documents every code in a rule table (a line starting with `|`), and names no
    /// code the catalogue does not have.
    #[test]
    fn the_readme_tables_document_exactly_the_catalogue() {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
                .unwrap();
        let documented: BTreeSet<&str> = readme
            .lines()
            .filter(|line| line.starts_with('|'))
            .flat_map(|line| quoted_codes(line, '`'))
            .collect();
        let catalogue: BTreeSet<&str> = ALL.iter().map(|(code, _)| *code).collect();
        // The plugin rules' rows are the catalogue's lines, word for word (the MCP table adds
        // severities per target, so only its codes are held against the catalogue).
        let stale: Vec<_> = ALL
            .iter()
            .filter(|(code, _)| !code.starts_with("mcp-"))
            .filter(|(code, doc)| !readme.contains(&format!("| `{code}` | {} |", doc.trim())))
            .map(|(code, _)| code)
            .collect();
        assert!(
            stale.is_empty(),
            "README.md's rows for {stale:?} differ from their lines in src/check/codes.rs"
        );
        let missing: Vec<_> = catalogue.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&catalogue).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "README.md's rule tables lack {missing:?} and name codes not in the catalogue: {unknown:?}"
        );
    }
}
