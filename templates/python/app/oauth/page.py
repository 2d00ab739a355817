"""The sign-in and consent page, and the error page, as small self-contained HTML (no
JavaScript, no external resources)."""

from dataclasses import dataclass

from fastapi.responses import HTMLResponse

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827;"
    "margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}"
    "main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 3px #0002;width:22rem}"
    "h1{font-size:1.25rem;margin:0 0 .5rem}label{display:block;margin:.75rem 0 .25rem;"
    "font-weight:600}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #d1d5db;"
    "border-radius:6px;font:inherit}"
    ".buttons{display:flex;flex-direction:row-reverse;gap:.5rem;margin-top:1.25rem}"
    "button{flex:1;padding:.6rem;border-radius:6px;border:1px solid #d1d5db;font:inherit;"
    "cursor:pointer;background:#fff}"
    "button.primary{background:#2563eb;color:#fff;border-color:#2563eb}"
    ".error{color:#b91c1c;background:#fef2f2;padding:.5rem;border-radius:6px}"
    ".muted{color:#6b7280;font-size:.875rem}"
)

HEADERS = {
    # Never framed (no clickjacking of the Allow button), never cached, no referrer leak.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
"""The headers of every page here."""


@dataclass(frozen=True)
class Consent:
    """What the consent page shows, and what its form carries back to the server unchanged."""

    plugin: str
    """The plugin's name."""
    client: str
    """Who asks: the client's name, or its id."""
    hidden: list[tuple[str, str]]
    """The hidden fields: the id of the request kept on the server (`pending.py`)."""
    scope: list[str]
    """The scopes asked for."""
    redirect_host: str
    """Where the user goes back to."""
    username: str
    """A username to fill in."""
    error: str | None
    """Why the last attempt failed, if it did."""


def escape(text: str) -> str:
    """Escapes text for HTML element content and quoted attributes."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body}</main>\n</body>\n</html>\n"
    )


def consent(page: Consent) -> HTMLResponse:
    """The sign-in and consent page."""
    body = (
        f"<h1>Sign in to {escape(page.plugin)}</h1>\n"
        f'<p class="muted"><strong>{escape(page.client)}</strong> asks to use your TODO list'
    )
    if page.scope:
        body += f" (scope: {escape(' '.join(page.scope))})"
    body += f". You will be sent back to {escape(page.redirect_host)}.</p>\n"
    if page.error is not None:
        body += f'<p class="error">{escape(page.error)}</p>\n'
    body += '<form method="post">\n'
    for name, value in page.hidden:
        body += f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'
    body += (
        '<label for="username">Username</label>\n'
        '<input id="username" name="username" autocomplete="username" '
        f'value="{escape(page.username)}">\n'
        '<label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password">\n'
        '<div class="buttons">\n'
        '<button class="primary" type="submit" name="decision" value="allow">Allow</button>\n'
        '<button type="submit" name="decision" value="deny">Deny</button>\n'
        "</div>\n</form>\n"
        '<p class="muted">Demo sign-in: the users are in OAUTH_USERS. Replace it with your own '
        "sign-in before you share the plugin.</p>\n"
    )
    return html(200, document("Sign in", body))


def error(status: int, title: str, message: str) -> HTMLResponse:
    """An error shown to the person, for requests that must not be redirected anywhere."""
    body = (
        f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n"
        '<p class="muted">Check the client id and redirect URI configured in ChatGPT.</p>\n'
    )
    return html(status, document(title, body))


def html(status: int, page: str) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=HEADERS)
