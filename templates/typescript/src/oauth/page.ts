/**
 * The sign-in and consent page, and the error page, as small self-contained HTML (no
 * JavaScript, no external resources).
 */

/** What the consent form carries back to the server, unchanged. */
export interface Consent {
  /** The plugin's name. */
  readonly plugin: string;
  /** Who asks: the client's name, or its id. */
  readonly client: string;
  /** The hidden fields: the id of the request kept on the server (`pending.ts`). */
  readonly hidden: ReadonlyArray<readonly [string, string]>;
  /** The scopes asked for. */
  readonly scope: readonly string[];
  /** Where the user goes back to. */
  readonly redirectHost: string;
  /** A username to fill in. */
  readonly username: string;
  /** Why the last attempt failed, if it did. */
  readonly error?: string | undefined;
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827;" +
  "margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}" +
  "main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 3px #0002;width:22rem}" +
  "h1{font-size:1.25rem;margin:0 0 .5rem}" +
  "label{display:block;margin:.75rem 0 .25rem;font-weight:600}" +
  "input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #d1d5db;" +
  "border-radius:6px;font:inherit}" +
  ".buttons{display:flex;flex-direction:row-reverse;gap:.5rem;margin-top:1.25rem}" +
  "button{flex:1;padding:.6rem;" +
  "border-radius:6px;border:1px solid #d1d5db;font:inherit;cursor:pointer;background:#fff}" +
  "button.primary{background:#2563eb;color:#fff;border-color:#2563eb}" +
  ".error{color:#b91c1c;background:#fef2f2;padding:.5rem;border-radius:6px}" +
  ".muted{color:#6b7280;font-size:.875rem}";

function document(title: string, body: string): string {
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<main>\n` +
    `${body}</main>\n</body>\n</html>\n`
  );
}

/** The sign-in and consent page. */
export function consentPage(consent: Consent): Response {
  let body =
    `<h1>Sign in to ${escapeHtml(consent.plugin)}</h1>\n` +
    `<p class="muted">${escapeHtml(consent.client)} asks to use your TODO list`;
  if (consent.scope.length > 0) {
    body += ` (scope: ${escapeHtml(consent.scope.join(" "))})`;
  }
  body += `. You will be sent back to ${escapeHtml(consent.redirectHost)}.</p>\n`;
  if (consent.error !== undefined) {
    body += `<p class="error">${escapeHtml(consent.error)}</p>\n`;
  }
  body += '<form method="post">\n';
  for (const [name, value] of consent.hidden) {
    body += `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">\n`;
  }
  body +=
    '<label for="username">Username</label>\n' +
    '<input id="username" name="username" autocomplete="username" ' +
    `value="${escapeHtml(consent.username)}">\n` +
    '<label for="password">Password</label>\n' +
    '<input id="password" name="password" type="password" autocomplete="current-password">\n' +
    '<div class="buttons">\n' +
    '<button class="primary" type="submit" name="decision" value="allow">Allow</button>\n' +
    '<button type="submit" name="decision" value="deny">Deny</button>\n' +
    "</div>\n</form>\n" +
    '<p class="muted">Demo sign-in: the users are in OAUTH_USERS. Replace it with your own ' +
    "sign-in before you share the plugin.</p>\n";
  return html(200, document("Sign in", body));
}

/** An error shown to the person, for requests that must not be redirected anywhere. */
export function errorPage(status: 400 | 500, title: string, message: string): Response {
  const body =
    `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n` +
    '<p class="muted">Check the client id and redirect URI configured in ChatGPT.</p>\n';
  return html(status, document(title, body));
}

function html(status: number, page: string): Response {
  return new Response(page, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      // Never framed (no clickjacking of the Allow button), never cached, no referrer leak.
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      "x-frame-options": "DENY",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  });
}
