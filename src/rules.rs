//! The one rule per plugin answer, and its limits.
//!
//! Each rule is shared by the prompt (`validate_with`), by flags and answers files, and by
//! manifest validation, so a value is judged by the same rule, with the same message, wherever
//! it comes from. Lengths count Unicode scalar values (what a person calls characters), which
//! is also what the plugin host counted.

/// Longest `name_for_human` the host accepts.
pub const NAME_FOR_HUMAN_MAX: usize = 20;
/// Longest `name_for_model` the host accepts.
pub const NAME_FOR_MODEL_MAX: usize = 50;
/// Longest `description_for_human` the host accepts.
pub const DESCRIPTION_FOR_HUMAN_MAX: usize = 100;
/// Longest `description_for_model` the host accepts.
pub const DESCRIPTION_FOR_MODEL_MAX: usize = 8000;
/// The port macOS Control Center takes.
pub const MACOS_TAKEN_PORT: u16 = 5000;
/// The port the original quickstart used.
pub const DEFAULT_PORT: u16 = 5003;

/// Counts characters the way the limits do.
pub fn char_count(value: &str) -> usize {
    value.chars().count()
}

fn within(value: &str, what: &str, max: usize) -> Result<(), String> {
    let len = char_count(value);
    if value.trim().is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if len > max {
        return Err(format!(
            "{what} must be at most {max} characters (it has {len})"
        ));
    }
    Ok(())
}

fn single_line(value: &str, what: &str) -> Result<(), String> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{what} must be one line of text (it contains the control character {})",
            c.escape_unicode()
        )),
        None => Ok(()),
    }
}

/// A directory name: anything but empty.
pub fn directory(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("the project directory must not be empty".to_owned());
    }
    if value.contains('\0') {
        return Err("the project directory must not contain a NUL character".to_owned());
    }
    Ok(())
}

/// `name_for_human`: one line, 1 to 20 characters.
pub fn name_for_human(value: &str) -> Result<(), String> {
    within(value, "name_for_human", NAME_FOR_HUMAN_MAX)?;
    single_line(value, "name_for_human")
}

/// `name_for_model`: `^[A-Za-z][A-Za-z0-9_]{0,49}$`, because it becomes an identifier in the
/// model's prompt (`namespace <name_for_model>`).
pub fn name_for_model(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("name_for_model must not be empty".to_owned());
    }
    let len = char_count(value);
    if len > NAME_FOR_MODEL_MAX {
        return Err(format!(
            "name_for_model must be at most {NAME_FOR_MODEL_MAX} characters (it has {len})"
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!(
            "name_for_model must start with a letter A-Z or a-z (`{value}` does not)"
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!(
            "name_for_model may hold only ASCII letters (a-z, A-Z), digits and `_` (found {bad:?})"
        ));
    }
    Ok(())
}

fn printable(value: &str, what: &str) -> Result<(), String> {
    match value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        Some(c) => Err(format!(
            "{what} may hold line breaks and tabs but no other control character (found {})",
            c.escape_unicode()
        )),
        None => Ok(()),
    }
}

/// `description_for_human`: 1 to 100 characters.
pub fn description_for_human(value: &str) -> Result<(), String> {
    within(value, "description_for_human", DESCRIPTION_FOR_HUMAN_MAX)?;
    printable(value, "description_for_human")
}

/// `description_for_model`: 1 to 8000 characters.
pub fn description_for_model(value: &str) -> Result<(), String> {
    within(value, "description_for_model", DESCRIPTION_FOR_MODEL_MAX)?;
    printable(value, "description_for_model")
}

/// An OAuth client id: 1 to 100 URL-safe characters (`A-Z a-z 0-9 - . _ ~`), so it travels
/// unescaped in URLs and Basic credentials.
pub fn oauth_client_id(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("oauth_client_id must not be empty".to_owned());
    }
    let len = char_count(value);
    if len > 100 {
        return Err(format!(
            "oauth_client_id must be at most 100 characters (it has {len})"
        ));
    }
    match value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        Some(bad) => Err(format!(
            "oauth_client_id may hold only ASCII letters (a-z, A-Z), digits and - . _ ~ (found \
             {bad:?})"
        )),
        None => Ok(()),
    }
}

/// An OAuth scope: space-separated scope tokens of printable ASCII without `"` and `\`
/// (RFC 6749, 3.3). Empty is allowed (`OpenAI`'s own example used it).
pub fn oauth_scope(value: &str) -> Result<(), String> {
    if value.len() > 200 {
        return Err(format!(
            "oauth_scope must be at most 200 characters (it has {})",
            char_count(value)
        ));
    }
    if value != value.trim() || value.contains("  ") {
        return Err(
            "oauth_scope is scope names separated by single spaces, with none around them"
                .to_owned(),
        );
    }
    match value
        .chars()
        .find(|&c| c != ' ' && !(c.is_ascii_graphic() && c != '"' && c != '\\'))
    {
        Some(bad) => Err(format!(
            "oauth_scope may hold only printable ASCII other than \" and \\ (found {bad:?})"
        )),
        None => Ok(()),
    }
}

/// A TCP port, 1 to 65535.
pub fn port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(u16::try_from(n).expect("checked range")),
        Ok(n) => Err(format!("port must be between 1 and 65535 (got {n})")),
        Err(_) => Err(format!(
            "port must be a whole number between 1 and 65535 (got `{value}`)"
        )),
    }
}

/// A warning for ports that work but will bite some users.
pub fn port_warning(port: u16) -> Option<String> {
    (port == MACOS_TAKEN_PORT).then(|| {
        format!(
            "port {MACOS_TAKEN_PORT} is taken by macOS Control Center (AirPlay Receiver); \
             ChatGPT then fails with \"Failed to fetch localhost OpenAPI spec\". \
             {DEFAULT_PORT} is a safe choice"
        )
    })
}

/// `contact_email`: `local@domain.tld`, no spaces.
pub fn contact_email(value: &str) -> Result<(), String> {
    let fail = |why: &str| {
        Err(format!(
            "contact_email `{value}` is not an email address: {why}"
        ))
    };
    if value.is_empty() {
        return Err("contact_email must not be empty".to_owned());
    }
    if value.len() > 254 {
        return fail("it is longer than 254 bytes");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("it contains whitespace");
    }
    let Some((local, domain)) = value.split_once('@') else {
        return fail("it has no `@`");
    };
    if local.is_empty() {
        return fail("nothing comes before the `@`");
    }
    if domain.contains('@') {
        return fail("it has more than one `@`");
    }
    if !is_domain(domain) || !domain.contains('.') {
        return fail("the part after `@` must be a domain such as example.com");
    }
    Ok(())
}

/// Dot-separated DNS labels of letters, digits and inner hyphens (`example.com`, `localhost`).
pub(crate) fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// An absolute `http` or `https` URL with a host, as the manifest's URL fields need.
pub fn http_url(value: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("`{value}` is not an absolute http(s) URL: {why}"));
    let Some(pieces) = crate::url::pieces(value).filter(|p| matches!(p.scheme, "https" | "http"))
    else {
        return fail("it must start with https:// or http://");
    };
    if let Some(bad) = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return fail(&format!("it contains {bad:?}"));
    }
    let (host, port) = (pieces.host, pieces.port);
    if host.is_empty() {
        return fail("it has no host");
    }
    if !(is_domain(host) || (host.starts_with('[') && host.ends_with(']'))) {
        return fail(&format!("`{host}` is not a valid host name"));
    }
    if let Some(port) = port
        && self::port(port).is_err()
    {
        return fail(&format!("`{port}` is not a valid port"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choices::{AuthType, OauthContentType, Stack};
    use crate::question::Field;

    #[test]
    fn name_for_human_counts_characters_not_bytes() {
        assert!(name_for_human("ÄÖÜ äöü 🎉🎉🎉 Todo!!!").is_ok());
        let err = name_for_human("A name that is far too long").unwrap_err();
        assert_eq!(
            err,
            "name_for_human must be at most 20 characters (it has 27)"
        );
    }

    #[test]
    fn name_for_human_rejects_blank_and_multiline() {
        assert!(
            name_for_human("")
                .unwrap_err()
                .contains("must not be empty")
        );
        assert!(
            name_for_human("   ")
                .unwrap_err()
                .contains("must not be empty")
        );
        assert!(
            name_for_human("two\nlines")
                .unwrap_err()
                .contains("one line")
        );
        assert!(name_for_human("Q: \"x\" {{y}} - #").is_ok());
    }

    #[test]
    fn name_for_model_follows_the_identifier_rule() {
        for good in ["todo", "Todo_2", "a", &"a".repeat(50)] {
            assert_eq!(name_for_model(good), Ok(()), "{good}");
        }
        let cases = [
            ("", "must not be empty"),
            ("2todo", "must start with a letter"),
            ("_todo", "must start with a letter"),
            ("todo list", "found ' '"),
            ("todo-list", "found '-'"),
            ("tödo", "found 'ö'"),
        ];
        for (bad, why) in cases {
            let err = name_for_model(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let long = "a".repeat(51);
        assert_eq!(
            name_for_model(&long).unwrap_err(),
            "name_for_model must be at most 50 characters (it has 51)"
        );
    }

    #[test]
    fn descriptions_have_their_limits() {
        assert!(description_for_human(&"x".repeat(100)).is_ok());
        assert_eq!(
            description_for_human(&"x".repeat(101)).unwrap_err(),
            "description_for_human must be at most 100 characters (it has 101)"
        );
        assert!(description_for_model(&"é".repeat(8000)).is_ok());
        assert_eq!(
            description_for_model(&"x".repeat(8001)).unwrap_err(),
            "description_for_model must be at most 8000 characters (it has 8001)"
        );
        assert!(description_for_model("line one\nline two\ttab").is_ok());
        assert!(description_for_model("").is_err());
        assert!(
            description_for_human("bell\u{7}")
                .unwrap_err()
                .contains("no other control character (found \\u{7})")
        );
        assert!(description_for_model("cr\r\n").is_err());
    }

    #[test]
    fn ports_are_1_to_65535_and_5000_warns() {
        assert_eq!(port("5003"), Ok(5003));
        assert_eq!(port("65535"), Ok(65535));
        assert_eq!(
            port("0").unwrap_err(),
            "port must be between 1 and 65535 (got 0)"
        );
        assert_eq!(
            port("70000").unwrap_err(),
            "port must be between 1 and 65535 (got 70000)"
        );
        assert!(port("http").unwrap_err().contains("whole number"));
        assert!(port("-1").is_err());
        assert!(port_warning(5000).unwrap().contains("macOS"));
        assert_eq!(port_warning(5003), None);
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        for good in ["dev@example.com", "a.b+c@sub.example.org"] {
            assert_eq!(contact_email(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("", "must not be empty"),
            ("dev", "no `@`"),
            ("@example.com", "before the `@`"),
            ("dev@localhost", "domain"),
            ("dev@exa mple.com", "whitespace"),
            ("a@b@example.com", "more than one"),
            ("dev@-x.com", "domain"),
        ] {
            let err = contact_email(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn urls_must_be_absolute_http() {
        for good in [
            "https://example.com",
            "http://localhost:5003/legal",
            "https://sub.example.com/a?b=c#d",
            "http://[::1]:8080/",
            "http://127.0.0.1/legal",
        ] {
            assert_eq!(http_url(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("example.com", "must start with"),
            ("ftp://example.com", "must start with"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://exa mple.com", "contains ' '"),
            ("https://example.com:99999/", "not a valid port"),
            ("https://exa_mple.com/", "not a valid host"),
            ("https://example.com/\"", "contains '\"'"),
        ] {
            let err = http_url(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn oauth_answers_have_their_rules() {
        assert!(oauth_client_id("todo-plugin.chatgpt_1~").is_ok());
        assert!(
            oauth_client_id("")
                .unwrap_err()
                .contains("must not be empty")
        );
        assert!(oauth_client_id("a b").unwrap_err().contains("found ' '"));
        assert!(oauth_client_id("a:b").unwrap_err().contains("found ':'"));
        assert!(
            oauth_client_id(&"a".repeat(101))
                .unwrap_err()
                .contains("it has 101")
        );
        for good in ["", "todos", "todos:read todos:write", "a!#$%&'()*+,-./"] {
            assert_eq!(oauth_scope(good), Ok(()), "{good}");
        }
        for bad in [
            " todos",
            "todos ",
            "a  b",
            "caf\u{e9}",
            "say\"hi\"",
            "back\\slash",
            "tab\t",
        ] {
            assert!(oauth_scope(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            "form".parse::<OauthContentType>(),
            Ok(OauthContentType::Form)
        );
        assert_eq!(OauthContentType::Json.media_type(), "application/json");
        assert!("xml".parse::<OauthContentType>().is_err());
        assert!(Field::OauthScope.applies_to(AuthType::Oauth));
        assert!(!Field::OauthScope.applies_to(AuthType::UserHttp));
        assert!(Field::Port.applies_to(AuthType::None));
    }

    #[test]
    fn auth_and_stack_parse_their_names_only() {
        for auth in AuthType::ALL {
            assert_eq!(auth.as_str().parse::<AuthType>(), Ok(auth));
        }
        assert_eq!(
            "oauth2".parse::<AuthType>().unwrap_err(),
            "unknown auth type `oauth2`; choose one of: none, service_http, user_http, oauth"
        );
        assert_eq!("rust".parse::<Stack>(), Ok(Stack::Rust));
        assert_eq!("python".parse::<Stack>(), Ok(Stack::Python));
        assert_eq!("typescript".parse::<Stack>(), Ok(Stack::Typescript));
        assert!(
            "Rust"
                .parse::<Stack>()
                .unwrap_err()
                .contains("unknown stack")
        );
    }

    #[test]
    fn every_field_has_a_flag_named_after_its_key() {
        assert_eq!(Field::NameForModel.flag(), "--name-for-model");
        assert_eq!(Field::LegalInfoUrl.flag(), "--legal-info-url");
        assert_eq!(Field::Directory.flag(), "[DIR]");
        assert!(Field::Port.validate("0").is_err());
        assert!(Field::Auth.validate("user_http").is_ok());
    }
}
