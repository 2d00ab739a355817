//! The sign-in and consent page, and the error page, as small self-contained HTML (no
//! JavaScript, no external resources).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// What the consent form carries back to the server, unchanged.
pub struct Consent<'a> {
    /// The plugin's name.
    pub plugin: &'a str,
    /// Who asks: the client's name, or its id.
    pub client: &'a str,
    /// The hidden fields: the id of the request kept on the server (`pending.rs`).
    pub hidden: &'a [(&'a str, &'a str)],
    /// The scopes asked for.
    pub scope: &'a [String],
    /// Where the user goes back to.
    pub redirect_host: &'a str,
    /// A username to fill in.
    pub username: &'a str,
    /// Why the last attempt failed, if it did.
    pub error: Option<&'a str>,
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827;\
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}\
main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 3px #0002;width:22rem}\
h1{font-size:1.25rem;margin:0 0 .5rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #d1d5db;border-radius:6px;\
font:inherit}.buttons{display:flex;flex-direction:row-reverse;gap:.5rem;margin-top:1.25rem}\
button{flex:1;padding:.6rem;\
border-radius:6px;border:1px solid #d1d5db;font:inherit;cursor:pointer;background:#fff}\
button.primary{background:#2563eb;color:#fff;border-color:#2563eb}\
.error{color:#b91c1c;background:#fef2f2;padding:.5rem;border-radius:6px}\
.muted{color:#6b7280;font-size:.875rem}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        escape(title)
    )
}

/// The sign-in and consent page.
pub fn consent(consent: &Consent<'_>) -> Response {
    let mut body = format!(
        "<h1>Sign in to {}</h1>\n<p class=\"muted\"><strong>{}</strong> asks to use your TODO list",
        escape(consent.plugin),
        escape(consent.client)
    );
    if !consent.scope.is_empty() {
        body.push_str(&format!(" (scope: {})", escape(&consent.scope.join(" "))));
    }
    body.push_str(&format!(
        ". You will be sent back to {}.</p>\n",
        escape(consent.redirect_host)
    ));
    if let Some(error) = consent.error {
        body.push_str(&format!("<p class=\"error\">{}</p>\n", escape(error)));
    }
    body.push_str("<form method=\"post\">\n");
    for (name, value) in consent.hidden {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape(name),
            escape(value)
        ));
    }
    body.push_str(&format!(
        "<label for=\"username\">Username</label>\n\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" value=\"{}\">\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\">\n\
         <div class=\"buttons\">\n\
         <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </div>\n</form>\n\
         <p class=\"muted\">Demo sign-in: the users are in OAUTH_USERS. Replace it with your own \
         sign-in before you share the plugin.</p>\n",
        escape(consent.username)
    ));
    html(StatusCode::OK, &document("Sign in", &body))
}

/// An error shown to the person, for requests that must not be redirected anywhere.
pub fn error(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p class=\"muted\">Check the client id and redirect URI \
         configured in ChatGPT.</p>\n",
        escape(title),
        escape(message)
    );
    html(status, &document(title, &body))
}

fn html(status: StatusCode, page: &str) -> Response {
    let mut response = (status, Html(page.to_owned())).into_response();
    let headers = response.headers_mut();
    // Never framed (no clickjacking of the Allow button), never cached, no referrer leak.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_html_specials() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
